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

/// Builds COBA-HH with N = 4000·`scale` neurons. The connection probability is 80/N (in-degree
/// 80 on average, as BrainPy's scaling benchmark keeps it), or 0.02 with `fixed_p`.
pub fn build(variant: Variant, scale: f64, fixed_p: bool, seed: u64) -> Result<Network> {
    if !(scale > 0.0 && scale.is_finite()) {
        return Err(Error::invalid("--scale", scale, "a number > 0"));
    }
    let n = (BASE_NEURONS as f64 * scale).round() as usize;
    let n_e = n * 4 / 5;
    let n_i = n - n_e;
    if n_e == 0 || n_i == 0 {
        return Err(Error::invalid(
            "--scale",
            scale,
            format!("a scale giving at least one neuron per population ({n} neurons in all)"),
        ));
    }
    let p = if fixed_p {
        0.02
    } else {
        (IN_DEGREE / n as f64).min(1.0)
    };
    let params = Params::traub();
    let v = NormalInit {
        mean: params.e_l - 5.0,
        sd: 5.0,
    };
    let (init, refractory_ms) = match variant {
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
    let mut b = NetworkBuilder::new(seed).synapses(SYNAPSES);
    let e = b.group(Group {
        name: "E".into(),
        size: n_e,
        params,
        init,
        refractory_ms,
    });
    let i = b.group(Group {
        name: "I".into(),
        size: n_i,
        params,
        init,
        refractory_ms,
    });
    let connectivity = Connectivity::FixedProb { p, autapses: true };
    for (pre, weight, receptor) in [
        (e, W_E, Receptor::Excitatory),
        (i, W_I, Receptor::Inhibitory),
    ] {
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
