//! Networks of neurons of one model file with exponential conductance synapses: groups of
//! neurons, projections between them (fixed probability or fixed in-degree, homogeneous or
//! uniformly drawn weights, onto one of the model's synapses), sampled on the host from a seed
//! and stored as pre→post CSR. The same seed gives the same network on every backend and every
//! run.

pub mod cobahh;
mod connect;
pub mod stats;

use crate::error::{Error, Result};
use crate::kernel::check::check_parameters;
use crate::kernel::steady;
use crate::model::Model;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64Mcg;
use serde::Serialize;
use std::ops::Range;
use std::sync::Arc;

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

/// A group's initial value of one variable (a state of the model, or a synapse's conductance).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum InitValue {
    Fixed(f64),
    /// Drawn per neuron; one draw per neuron even when sd = 0, so a seed's other draws do not
    /// depend on the spread.
    Normal(NormalInit),
}

/// A group of identical neurons.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    pub size: usize,
    /// The model's parameters, in the model's order.
    pub params: Vec<f64>,
    /// Initial values by variable name. A variable not named starts at the model's initial
    /// state under `params` (a synapse at 0). Drawn values are drawn neuron by neuron, in the
    /// order of the network's variables.
    pub init: Vec<(String, InitValue)>,
    /// No spike is detected within this long after a spike [ms]; 0 for none.
    pub refractory_ms: f64,
    /// Constant injected current (the model's current unit).
    pub current: f64,
}

/// Synapses from every neuron of `pre` onto one synapse of the neurons of `post`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Projection {
    pub pre: usize,
    pub post: usize,
    pub connectivity: Connectivity,
    pub weight: Weight,
    /// The name of the model's `[[synapse]]` the spikes increment.
    pub synapse: String,
}

/// Peak host memory per neuron of a run, accounted from measurements: the process's peak
/// (VmHWM) of `hhsim cobahh --p 0` grew by 360 B per neuron from 40 000 to 400 000 neurons
/// (descriptions, lowered arrays, the engine's buffers, which lavapipe keeps in host memory).
pub const HOST_BYTES_PER_NEURON: f64 = 400.0;
/// Peak host memory per synapse of a run, accounted likewise: from 1.6 to 6.4 million
/// synapses (20 000 to 80 000 neurons) the peak grew by 191 MB, 35 B per synapse once the
/// neurons' share is taken off (sampling, the CSR, its copy on the engine); rounded up.
pub const HOST_BYTES_PER_SYNAPSE: f64 = 40.0;
/// Bytes per synapse on the host and the device: target index (u32) and fixed-point weight (u32).
pub const BYTES_PER_SYNAPSE: u64 = 8;

/// The description of a network before sampling.
#[derive(Clone, Debug)]
pub struct NetworkBuilder {
    model: Arc<Model>,
    groups: Vec<Group>,
    projections: Vec<Projection>,
    seed: u64,
}

/// Pre→post synapses in CSR form. A synapse's `target` indexes the accumulators of every
/// synapse of the model at once: `k·n + post` for the model's synapse k.
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
    /// Every neuron's model.
    pub model: Arc<Model>,
    pub groups: Vec<Group>,
    /// Neuron index range of each group.
    pub ranges: Vec<Range<usize>>,
    /// Each neuron's variables (the model's states, then its synapses' conductances),
    /// neuron-major: [`Network::variables`] values per neuron.
    pub init: Vec<f64>,
    pub refractory_ms: Vec<f64>,
    pub csr: Csr,
    /// [nS] per unit of `Csr::weight_q`: a power of two small enough that no neuron's summed
    /// input in one step can overflow u32, so integer accumulation is exact.
    pub weight_quantum_ns: f64,
}

/// The variables a network neuron of `model` carries: its states, then its synapses.
pub fn variables(model: &Model) -> Vec<String> {
    let synapses = model.synapses.iter().map(|s| s.name.clone());
    model.states.iter().cloned().chain(synapses).collect()
}

impl NetworkBuilder {
    pub fn new(model: Arc<Model>, seed: u64) -> Self {
        NetworkBuilder {
            model,
            groups: Vec::new(),
            projections: Vec::new(),
            seed,
        }
    }

    /// Adds a group and returns its index.
    pub fn group(&mut self, group: Group) -> usize {
        self.groups.push(group);
        self.groups.len() - 1
    }

    pub fn connect(&mut self, projection: Projection) {
        self.projections.push(projection);
    }

    /// The index of the model's synapse `name`, or an error listing the model's synapses.
    fn synapse_index(&self, pr: &Projection) -> Result<usize> {
        let synapses = &self.model.synapses;
        synapses
            .iter()
            .position(|s| s.name == pr.synapse)
            .ok_or_else(|| {
                let names: Vec<&str> = synapses.iter().map(|s| s.name.as_str()).collect();
                Error::invalid(
                    "projection synapse",
                    format!(
                        "{} ({} → {})",
                        pr.synapse, self.groups[pr.pre].name, self.groups[pr.post].name
                    ),
                    if names.is_empty() {
                        format!("a [[synapse]] of model {}, which has none", self.model.name)
                    } else {
                        format!(
                            "a synapse of model {}: {}",
                            self.model.name,
                            names.join(", ")
                        )
                    },
                )
            })
    }

    /// Checks every value and the memory the synapses will need, before sampling.
    fn validate(&self) -> Result<()> {
        for pr in &self.projections {
            self.synapse_index(pr)?;
        }
        let variables = variables(&self.model);
        for g in &self.groups {
            if g.size == 0 {
                return Err(Error::invalid(
                    "population size",
                    format!("0 ({})", g.name),
                    "at least one neuron",
                ));
            }
            if g.params.len() != self.model.parameters.len() {
                return Err(Error::invalid(
                    "group parameters",
                    format!("{} values ({})", g.params.len(), g.name),
                    format!("one per parameter of model {}", self.model.name),
                ));
            }
            let group = |_| format!("group {}", g.name);
            check_parameters(&self.model, [&g.params], Some(&group))?;
            if let Some((name, _)) = g.init.iter().find(|(name, _)| !variables.contains(name)) {
                return Err(Error::invalid(
                    "initial value",
                    format!("{name} ({})", g.name),
                    format!(
                        "a variable of the network's neurons: {}",
                        variables.join(", ")
                    ),
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
        for syn in &self.model.synapses {
            if !(syn.tau_ms > 0.0 && syn.tau_ms.is_finite()) {
                return Err(Error::invalid(
                    "synaptic time constant (ms)",
                    format!("{} ({})", syn.tau_ms, syn.name),
                    "a time constant > 0 ms",
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
        let neurons: usize = self.groups.iter().map(|g| g.size).sum();
        crate::memory::Estimate::new()
            .add(
                "neurons",
                neurons as f64,
                HOST_BYTES_PER_NEURON,
                "the number of neurons (--scale)",
            )
            .add(
                "synapses",
                expected_synapses,
                HOST_BYTES_PER_SYNAPSE,
                "the number of synapses (--scale, --p, --in-degree)",
            )
            .check()?;
        Ok(())
    }

    /// Samples connectivity, weights and initial states from the seed.
    pub fn build(self) -> Result<Network> {
        self.validate()?;
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

        let names = variables(&self.model);
        let mut init = Vec::with_capacity(n * names.len());
        let mut refractory_ms = Vec::with_capacity(n);
        for (gi, g) in self.groups.iter().enumerate() {
            let mut rng = stream(1, gi);
            let mut start = steady::initial_state(&self.model, &g.params);
            start.resize(names.len(), 0.0);
            let values: Vec<Option<InitValue>> = names
                .iter()
                .map(|name| g.init.iter().find(|(n, _)| n == name).map(|&(_, v)| v))
                .collect();
            for _ in 0..g.size {
                refractory_ms.push(g.refractory_ms);
                for (value, &default) in values.iter().zip(&start) {
                    init.push(match value {
                        None => default,
                        Some(InitValue::Fixed(x)) => *x,
                        Some(InitValue::Normal(d)) => {
                            d.mean
                                + d.sd
                                    * Normal::new(0.0, 1.0).expect("unit normal").sample(&mut rng)
                        }
                    });
                }
            }
        }

        // Edges as (pre, target, weight), then a counting sort by pre into CSR.
        let mut edges: Vec<(u32, u32, f64)> = Vec::new();
        for (pi, pr) in self.projections.iter().enumerate() {
            let mut rng = stream(2, pi);
            let mut weights = stream(3, pi);
            let (pre0, post0) = (ranges[pr.pre].start, ranges[pr.post].start);
            let offset = self.synapse_index(pr)? * n;
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
        let weight_quantum_ns = quantum_for(&edges, n * self.model.synapses.len());
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
            model: self.model,
            groups: self.groups,
            ranges,
            init,
            refractory_ms,
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
fn quantum_for(edges: &[(u32, u32, f64)], accumulators: usize) -> f64 {
    let mut total = vec![0.0_f64; accumulators];
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

impl Network {
    pub fn n_neurons(&self) -> usize {
        self.refractory_ms.len()
    }

    pub fn n_synapses(&self) -> usize {
        self.csr.target.len()
    }

    /// Variables per neuron: the model's states and its synapses.
    pub fn n_variables(&self) -> usize {
        self.model.states.len() + self.model.synapses.len()
    }
}

#[cfg(test)]
mod tests;
