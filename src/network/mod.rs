//! Networks of Traub–Miles neurons with exponential conductance synapses: groups of neurons,
//! projections between them (fixed probability or fixed in-degree, homogeneous or uniformly
//! drawn weights, excitatory or inhibitory), sampled on the host from a seed and stored as
//! pre→post CSR. The same seed gives the same network on every backend and every run.

pub mod cobahh;
mod connect;
pub mod sim;
pub mod stats;
pub mod step;

use crate::error::{Error, Result};
use crate::model::{ModelKind, Params, State};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64Mcg;
use serde::Serialize;
use std::ops::Range;

/// Which conductance a synapse adds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Receptor {
    Excitatory,
    Inhibitory,
}

/// How pre and post neurons are paired.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Connectivity {
    /// Every pair independently with probability `p`.
    FixedProb { p: f64, autapses: bool },
    /// Exactly `k` distinct inputs per postsynaptic neuron.
    FixedInDegree { k: usize, autapses: bool },
}

/// Synaptic weights [nS].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Weight {
    Constant(f64),
    /// Drawn per synapse, uniformly in [low, high).
    Uniform {
        low: f64,
        high: f64,
    },
}

/// A normal distribution for initial values: mean + sd·N(0, 1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct NormalInit {
    pub mean: f64,
    pub sd: f64,
}

impl NormalInit {
    pub const fn fixed(value: f64) -> Self {
        NormalInit {
            mean: value,
            sd: 0.0,
        }
    }
}

/// Initial state of a group: V, ge, gi drawn per neuron; gates at the given values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct InitDist {
    /// [mV]
    pub v: NormalInit,
    /// [nS]
    pub ge: NormalInit,
    /// [nS]
    pub gi: NormalInit,
    pub gates: (f64, f64, f64),
}

/// A group of identical neurons.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    pub size: usize,
    pub params: Params<f64>,
    pub init: InitDist,
    /// No spike is detected within this long after a spike [ms]; 0 for none.
    pub refractory_ms: f64,
    /// Constant injected current [pA].
    pub current: f64,
}

/// Synapses from every neuron of `pre` to neurons of `post`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Projection {
    pub pre: usize,
    pub post: usize,
    pub connectivity: Connectivity,
    pub weight: Weight,
    pub receptor: Receptor,
}

/// The exponential synapses shared by the whole network.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SynapseModel {
    /// [ms]
    pub tau_e_ms: f64,
    /// [ms]
    pub tau_i_ms: f64,
    /// Reversal potentials [mV].
    pub e_e: f64,
    pub e_i: f64,
}

/// A network's membrane state: the HH variables and the two conductances [nS].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NetState<R> {
    pub v: R,
    pub m: R,
    pub h: R,
    pub n: R,
    pub ge: R,
    pub gi: R,
}

/// Host memory allowed for the synapses of one network [bytes].
pub const MAX_SYNAPSE_BYTES: u64 = 8 << 30;
/// Bytes per synapse on the host and the device: target index (u32) and fixed-point weight (u32).
pub const BYTES_PER_SYNAPSE: u64 = 8;

/// The description of a network before sampling.
#[derive(Clone, Debug, Default)]
pub struct NetworkBuilder {
    groups: Vec<Group>,
    projections: Vec<Projection>,
    synapses: Option<SynapseModel>,
    seed: u64,
}

/// Pre→post synapses in CSR form. A synapse's `target` indexes the accumulators of both
/// receptors at once: `post` for excitatory, `n + post` for inhibitory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csr {
    /// `row_start[i]..row_start[i + 1]` are neuron i's synapses; length n + 1.
    pub row_start: Vec<u32>,
    pub target: Vec<u32>,
    /// Weight in units of `Network::weight_quantum_ns`.
    pub weight_q: Vec<u32>,
}

/// A sampled network: flat per-neuron arrays and the CSR.
#[derive(Clone, Debug)]
pub struct Network {
    pub groups: Vec<Group>,
    /// Neuron index range of each group.
    pub ranges: Vec<Range<usize>>,
    pub params: Vec<Params<f64>>,
    pub init: Vec<NetState<f64>>,
    pub refractory_ms: Vec<f64>,
    /// Constant injected current of each neuron [pA].
    pub current: Vec<f64>,
    pub synapses: SynapseModel,
    pub csr: Csr,
    /// [nS] per unit of `Csr::weight_q`: a power of two small enough that no neuron's summed
    /// input in one step can overflow u32, so integer accumulation is exact.
    pub weight_quantum_ns: f64,
}

impl NetworkBuilder {
    pub fn new(seed: u64) -> Self {
        NetworkBuilder {
            seed,
            ..Default::default()
        }
    }

    pub fn synapses(mut self, model: SynapseModel) -> Self {
        self.synapses = Some(model);
        self
    }

    /// Adds a group and returns its index.
    pub fn group(&mut self, group: Group) -> usize {
        self.groups.push(group);
        self.groups.len() - 1
    }

    pub fn connect(&mut self, projection: Projection) {
        self.projections.push(projection);
    }

    /// Checks every value and the memory the synapses will need, before sampling.
    fn validate(&self) -> Result<SynapseModel> {
        let syn = self
            .synapses
            .ok_or_else(|| Error::invalid("network", "no synapse model", "a SynapseModel"))?;
        for (name, tau) in [("tau_e", syn.tau_e_ms), ("tau_i", syn.tau_i_ms)] {
            if !(tau > 0.0 && tau.is_finite()) {
                return Err(Error::invalid(name, tau, "a time constant > 0 ms"));
            }
        }
        for g in &self.groups {
            if g.size == 0 {
                return Err(Error::invalid(
                    "population size",
                    format!("0 ({})", g.name),
                    "at least one neuron",
                ));
            }
            if g.params.kind != ModelKind::Traub {
                return Err(Error::invalid(
                    "network model",
                    format!("{:?}", g.params.kind),
                    "traub",
                ));
            }
            if !(g.refractory_ms >= 0.0 && g.refractory_ms.is_finite()) {
                return Err(Error::invalid(
                    "refractory period (ms)",
                    g.refractory_ms,
                    "a finite time ≥ 0",
                ));
            }
        }
        let mut expected_synapses = 0.0;
        for pr in &self.projections {
            let (pre, post) = (&self.groups[pr.pre], &self.groups[pr.post]);
            let no_self = pr.pre == pr.post;
            match pr.connectivity {
                Connectivity::FixedProb { p, .. } => {
                    if !(0.0..=1.0).contains(&p) {
                        return Err(Error::invalid(
                            "connection probability",
                            p,
                            "a probability in [0, 1]",
                        ));
                    }
                    expected_synapses += p * pre.size as f64 * post.size as f64;
                }
                Connectivity::FixedInDegree { k, autapses } => {
                    let available = if no_self && !autapses {
                        pre.size - 1
                    } else {
                        pre.size
                    };
                    if k > available {
                        return Err(Error::invalid(
                            "in-degree",
                            k,
                            format!(
                                "at most {available}, the distinct inputs {} offers to {}",
                                pre.name, post.name
                            ),
                        ));
                    }
                    expected_synapses += (k * post.size) as f64;
                }
            }
            let (low, high) = match pr.weight {
                Weight::Constant(w) => (w, w),
                Weight::Uniform { low, high } => (low, high),
            };
            if !(low >= 0.0 && high >= low && high.is_finite()) {
                return Err(Error::invalid(
                    "weight (nS)",
                    format!("{low}..{high}"),
                    "finite weights ≥ 0 (the receptor sets the sign)",
                ));
            }
        }
        let bytes = expected_synapses * BYTES_PER_SYNAPSE as f64;
        if bytes > MAX_SYNAPSE_BYTES as f64 {
            return Err(Error::invalid(
                "network size",
                format!("≈ {:.3e} synapses", expected_synapses),
                format!(
                    "at most {} MiB of synapses ({} bytes each); this network needs ≈ {:.0} MiB",
                    MAX_SYNAPSE_BYTES >> 20,
                    BYTES_PER_SYNAPSE,
                    bytes / 1048576.0
                ),
            ));
        }
        Ok(syn)
    }

    /// Samples connectivity, weights and initial states from the seed.
    pub fn build(self) -> Result<Network> {
        let synapses = self.validate()?;
        let mut ranges = Vec::new();
        let mut next = 0;
        for g in &self.groups {
            ranges.push(next..next + g.size);
            next += g.size;
        }
        let n = next;
        // One generator per purpose and projection, so adding one never changes the others.
        let stream = |purpose: u64, index: usize| {
            Pcg64Mcg::seed_from_u64(
                self.seed ^ (purpose << 56) ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            )
        };

        let mut params = Vec::with_capacity(n);
        let mut init = Vec::with_capacity(n);
        let mut refractory_ms = Vec::with_capacity(n);
        let mut current = Vec::with_capacity(n);
        for (gi, g) in self.groups.iter().enumerate() {
            let mut rng = stream(1, gi);
            let draw = |d: NormalInit, rng: &mut Pcg64Mcg| {
                d.mean + d.sd * Normal::new(0.0, 1.0).expect("unit normal").sample(rng)
            };
            for _ in 0..g.size {
                params.push(g.params);
                refractory_ms.push(g.refractory_ms);
                current.push(g.current);
                let (m, h, nn) = g.init.gates;
                let v = draw(g.init.v, &mut rng);
                let ge = draw(g.init.ge, &mut rng);
                let gi_ = draw(g.init.gi, &mut rng);
                init.push(NetState {
                    v,
                    m,
                    h,
                    n: nn,
                    ge,
                    gi: gi_,
                });
            }
        }

        // Edges as (pre, target, weight), then a counting sort by pre into CSR.
        let mut edges: Vec<(u32, u32, f64)> = Vec::new();
        for (pi, pr) in self.projections.iter().enumerate() {
            let mut rng = stream(2, pi);
            let mut weights = stream(3, pi);
            let (pre0, post0) = (ranges[pr.pre].start, ranges[pr.post].start);
            let offset = match pr.receptor {
                Receptor::Excitatory => 0,
                Receptor::Inhibitory => n,
            };
            let no_self = pr.pre == pr.post;
            let mut push = |pre: usize, post: usize| {
                let w = match pr.weight {
                    Weight::Constant(w) => w,
                    Weight::Uniform { low, high } => {
                        low + (high - low) * rand::RngExt::random::<f64>(&mut weights)
                    }
                };
                edges.push(((pre0 + pre) as u32, (offset + post0 + post) as u32, w));
            };
            let (n_pre, n_post) = (self.groups[pr.pre].size, self.groups[pr.post].size);
            match pr.connectivity {
                Connectivity::FixedProb { p, autapses } => connect::fixed_probability(
                    &mut rng,
                    n_pre,
                    n_post,
                    p,
                    no_self && !autapses,
                    &mut push,
                ),
                Connectivity::FixedInDegree { k, autapses } => connect::fixed_in_degree(
                    &mut rng,
                    n_pre,
                    n_post,
                    k,
                    no_self && !autapses,
                    &mut push,
                ),
            }
        }
        let weight_quantum_ns = quantum_for(&edges, n);
        let mut row_start = vec![0u32; n + 1];
        for &(pre, _, _) in &edges {
            row_start[pre as usize + 1] += 1;
        }
        for i in 0..n {
            row_start[i + 1] += row_start[i];
        }
        let mut fill = row_start.clone();
        let mut target = vec![0u32; edges.len()];
        let mut weight_q = vec![0u32; edges.len()];
        for &(pre, t, w) in &edges {
            let slot = fill[pre as usize] as usize;
            target[slot] = t;
            weight_q[slot] = (w / weight_quantum_ns).round() as u32;
            fill[pre as usize] += 1;
        }
        Ok(Network {
            groups: self.groups,
            ranges,
            params,
            init,
            refractory_ms,
            current,
            synapses,
            csr: Csr {
                row_start,
                target,
                weight_q,
            },
            weight_quantum_ns,
        })
    }
}

/// The finest power-of-two quantum for which the largest possible one-step input of any
/// accumulator (all its synapses at once) stays below 2³²: then u32 sums are exact.
fn quantum_for(edges: &[(u32, u32, f64)], n: usize) -> f64 {
    let mut total = vec![0.0_f64; 2 * n];
    for &(_, t, w) in edges {
        total[t as usize] += w;
    }
    let worst = total.iter().copied().fold(0.0, f64::max).max(1e-300);
    // Finest first: 2⁻³⁰ nS, coarser until the worst case fits with a factor 2 to spare.
    let mut q = 2f64.powi(-30);
    while worst / q >= 2f64.powi(31) {
        q *= 2.0;
    }
    q
}

/// Runs `net` with `cfg` on the backend chosen as `hhsim --backend` would choose it.
pub fn simulate(
    net: &Network,
    cfg: &sim::NetConfig,
    backend: crate::backend::BackendChoice,
    precision: crate::model::Precision,
) -> Result<sim::NetResult> {
    cfg.validate(net)?;
    let engine = crate::backend::Engine::select(backend, precision, cfg.method)?;
    engine.run_network(precision, net, cfg, |_| Ok(()))
}

impl Network {
    pub fn n_neurons(&self) -> usize {
        self.params.len()
    }

    pub fn n_synapses(&self) -> usize {
        self.csr.target.len()
    }
}

/// `NetState` as the single-neuron `State` of the HH model (the conductances aside).
impl<R: Copy> NetState<R> {
    pub fn hh(&self) -> State<R> {
        State {
            v: self.v,
            m: self.m,
            h: self.h,
            n: self.n,
        }
    }
}

#[cfg(test)]
mod tests;
