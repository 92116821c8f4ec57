//! The COBA-HH benchmark network (Brette et al. 2007; Brian2's `examples/COBAHH.py`; BrainPy's
//! example): 80 % excitatory, 20 % inhibitory Traub–Miles neurons, exponential conductances.

use super::{
    Connectivity, Group, InitDist, Network, NetworkBuilder, NormalInit, Projection, Receptor,
    SynapseModel, Weight,
};
use crate::error::{Error, Result};
use crate::model::Params;
use serde::Serialize;

/// The two published definitions, which differ in initial state and refractoriness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// V = EL + 5·N(0,1) − 5 mV, ge = (1.5·N(0,1) + 4)·10 nS, gi = (12·N(0,1) + 20)·10 nS,
    /// 3 ms refractory window on the threshold.
    Brian2,
    /// V drawn as in Brian2, ge = gi = 0, pure upward crossing.
    Brainpy,
}

/// Neurons at scale 1.
pub const BASE_NEURONS: usize = 4000;
/// Expected inputs per neuron at p = 0.02 and 4000 neurons, kept at every scale by default.
pub const IN_DEGREE: f64 = 80.0;
/// Excitatory and inhibitory weights [nS].
pub const W_E: f64 = 6.0;
pub const W_I: f64 = 67.0;

/// The synapses of COBA-HH: τe 5 ms, τi 10 ms, Ee 0 mV, Ei −80 mV.
pub const SYNAPSES: SynapseModel = SynapseModel {
    tau_e_ms: 5.0,
    tau_i_ms: 10.0,
    e_e: 0.0,
    e_i: -80.0,
};

/// COBA-HH and the knobs a user may turn; `CobaHh::new` gives the published network.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CobaHh {
    pub variant: Variant,
    /// N = 4000·scale neurons, 80 % excitatory.
    pub scale: f64,
    /// Connection probability; `None`: 80/N (in-degree 80 on average, as BrainPy's scaling
    /// benchmark keeps it; 0.02 at scale 1).
    pub p: Option<f64>,
    /// Exactly this many inputs from each population instead of a probability.
    pub in_degree: Option<(usize, usize)>,
    /// Weights [nS].
    pub w_e: f64,
    pub w_i: f64,
    pub synapses: SynapseModel,
    /// Constant current injected into every neuron [pA] (0 in the published network).
    pub current: f64,
    /// The neuron of both populations (Traub–Miles, area 20 000 µm², by default).
    pub params: Params<f64>,
    pub seed: u64,
}

impl CobaHh {
    pub fn new(variant: Variant, scale: f64, seed: u64) -> Self {
        CobaHh {
            variant,
            scale,
            p: None,
            in_degree: None,
            w_e: W_E,
            w_i: W_I,
            synapses: SYNAPSES,
            current: 0.0,
            params: Params::traub(),
            seed,
        }
    }

    /// Neurons in all, excitatory and inhibitory.
    pub fn sizes(&self) -> (usize, usize, usize) {
        let n = (BASE_NEURONS as f64 * self.scale).round() as usize;
        let n_e = n * 4 / 5;
        (n, n_e, n - n_e)
    }

    /// The connection probability used for a fixed-probability network.
    pub fn probability(&self) -> f64 {
        self.p
            .unwrap_or_else(|| (IN_DEGREE / self.sizes().0.max(1) as f64).min(1.0))
    }

    pub fn build(&self) -> Result<Network> {
        if !(self.scale > 0.0 && self.scale.is_finite()) {
            return Err(Error::invalid("--scale", self.scale, "a number > 0"));
        }
        let (n, n_e, n_i) = self.sizes();
        if n_e == 0 || n_i == 0 {
            return Err(Error::invalid(
                "--scale",
                self.scale,
                format!("a scale giving at least one neuron per population ({n} neurons in all)"),
            ));
        }
        if !self.current.is_finite() {
            return Err(Error::invalid(
                "--current",
                self.current,
                "a finite current in pA",
            ));
        }
        let params = self.params;
        let v = NormalInit {
            mean: params.e_l - 5.0,
            sd: 5.0,
        };
        let (init, refractory_ms) = match self.variant {
            Variant::Brian2 => (
                InitDist {
                    v,
                    ge: NormalInit {
                        mean: 40.0,
                        sd: 15.0,
                    },
                    gi: NormalInit {
                        mean: 200.0,
                        sd: 120.0,
                    },
                    gates: (0.0, 0.0, 0.0),
                },
                3.0,
            ),
            Variant::Brainpy => (
                InitDist {
                    v,
                    ge: NormalInit::fixed(0.0),
                    gi: NormalInit::fixed(0.0),
                    gates: (0.0, 0.0, 0.0),
                },
                0.0,
            ),
        };
        let mut b = NetworkBuilder::new(self.seed).synapses(self.synapses);
        let group = |name: &str, size| Group {
            name: name.into(),
            size,
            params,
            init,
            refractory_ms,
            current: self.current,
        };
        let e = b.group(group("E", n_e));
        let i = b.group(group("I", n_i));
        for (pre, weight, receptor) in [
            (e, self.w_e, Receptor::Excitatory),
            (i, self.w_i, Receptor::Inhibitory),
        ] {
            let connectivity = match self.in_degree {
                Some((k_e, k_i)) => Connectivity::FixedInDegree {
                    k: if pre == e { k_e } else { k_i },
                    autapses: true,
                },
                None => Connectivity::FixedProb {
                    p: self.probability(),
                    autapses: true,
                },
            };
            for post in [e, i] {
                b.connect(Projection {
                    pre,
                    post,
                    connectivity,
                    weight: Weight::Constant(weight),
                    receptor,
                });
            }
        }
        b.build()
    }
}
