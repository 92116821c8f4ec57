//! The COBA-HH benchmark network (Brette et al. 2007; Brian2's `examples/COBAHH.py`; BrainPy's
//! example): 80 % excitatory, 20 % inhibitory Traub–Miles neurons, exponential conductances.
//! The neuron is a model file (the bundled `traub` by default) with the synapses `ge` and `gi`.

use super::{
    Connectivity, Group, InitValue, Network, NetworkBuilder, NormalInit, Projection, Weight,
};
use crate::error::{Error, Result};
use crate::kernel::steady;
use crate::model::Model;
use serde::Serialize;
use std::sync::Arc;

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

/// The synapses excitatory and inhibitory projections name: the bundled Traub model's, τ 5 ms
/// and 10 ms, reversal 0 mV and −80 mV.
pub const EXCITATORY: &str = "ge";
pub const INHIBITORY: &str = "gi";

/// COBA-HH and the knobs a user may turn; `CobaHh::new` gives the published network.
#[derive(Clone, Debug)]
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
    /// Constant current injected into every neuron [pA] (0 in the published network).
    pub current: f64,
    /// The neuron of both populations (Traub–Miles, area 20 000 µm², by default), with the
    /// synapses [`EXCITATORY`] and [`INHIBITORY`].
    pub model: Arc<Model>,
    /// The model's parameters.
    pub params: Vec<f64>,
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
            current: 0.0,
            model: Arc::new(Model::bundled("traub").expect("the bundled models parse")),
            params: Model::bundled("traub")
                .expect("the bundled models parse")
                .default_parameters(),
            seed,
        }
    }

    /// Neurons in all, excitatory and inhibitory.
    pub fn sizes(&self) -> (usize, usize, usize) {
        let n = (BASE_NEURONS as f64 * self.scale).round() as usize;
        // 4n/5 without overflow for any scale (a huge one is refused by the memory estimate).
        let n_e = n / 5 * 4 + n % 5 * 4 / 5;
        (n, n_e, n - n_e)
    }

    /// The connection probability used for a fixed-probability network.
    pub fn probability(&self) -> f64 {
        self.p
            .unwrap_or_else(|| (IN_DEGREE / self.sizes().0.max(1) as f64).min(1.0))
    }

    /// The largest `--in-degree` K this network can take: 4K/5 inputs come from the E group
    /// and K/5 from the I group (both rounded down), each at most the group's size.
    pub fn max_in_degree(&self) -> usize {
        let (_, n_e, n_i) = self.sizes();
        let (e, i) = (n_e.saturating_add(1), n_i.saturating_add(1));
        (e.saturating_mul(5).div_ceil(4) - 1).min(i.saturating_mul(5) - 1)
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
        // V = EL − 5 mV + 5·N(0, 1), EL the model's `el` or, without one, its initial v.
        let el = match self.model.parameters.iter().position(|(n, _)| n == "el") {
            Some(k) => self.params[k],
            None => steady::initial_state(&self.model, &self.params)[0],
        };
        let normal = |mean, sd| InitValue::Normal(NormalInit { mean, sd });
        let (synaptic, refractory_ms) = match self.variant {
            Variant::Brian2 => ((normal(40.0, 15.0), normal(200.0, 120.0)), 3.0),
            // Drawn at sd 0 rather than fixed, so V takes the same draws as in Brian2's variant.
            Variant::Brainpy => ((normal(0.0, 0.0), normal(0.0, 0.0)), 0.0),
        };
        let init = vec![
            ("v".to_string(), normal(el - 5.0, 5.0)),
            (EXCITATORY.to_string(), synaptic.0),
            (INHIBITORY.to_string(), synaptic.1),
        ];
        let mut b = NetworkBuilder::new(self.model.clone(), self.seed);
        let group = |name: &str, size| Group {
            name: name.into(),
            size,
            params: self.params.clone(),
            init: init.clone(),
            refractory_ms,
            current: self.current,
        };
        let e = b.group(group("E", n_e));
        let i = b.group(group("I", n_i));
        for (pre, weight, synapse) in [(e, self.w_e, EXCITATORY), (i, self.w_i, INHIBITORY)] {
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
                    synapse: synapse.to_string(),
                });
            }
        }
        b.build()
    }
}
