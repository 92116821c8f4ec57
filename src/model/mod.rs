//! The two built-in Hodgkin–Huxley neurons as parameter sets, and the numerics every model
//! shares (precisions, the software exponential, `exprel`). Traub–Miles (COBA-HH and the gNa × I
//! sweep, in mV/ms/nS/pF/pA) and the classic 1952 squid axon model (per-area units mV/ms,
//! mS/cm², µF/cm², µA/cm²) are the bundled files `traub.toml` and `hh.toml`; [`Params`] names
//! their parameters as the sweep axes do and runs as those files
//! ([`crate::population::Population::as_model_file`]).

mod classic;
mod exprel;
mod golden;
mod initial;
mod real;
pub mod soft_exp;
mod traub;

pub use classic::{CLASSIC_REFERENCE_TEMPERATURE_C, phi_from_temperature, temperature_from_phi};
pub use exprel::{exprel, exprel_given, x_over_expm1};
pub use golden::golden_max;
pub use initial::InitialState;
pub use real::{Precision, Real};
pub use traub::NS_PER_MS_PER_CM2 as TRAUB_NS_PER_MS_PER_CM2;

use serde::{Deserialize, Serialize};

/// Which built-in model, and so which bundled file, a neuron is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Traub & Miles (1991) as written in Brian2's COBAHH example; rates shift with `vt`.
    Traub,
    /// Hodgkin & Huxley (1952) in the form of `brainpy.neurons.HH`; rates scale with `phi`.
    Classic,
}

/// The four state variables of the built-in models: membrane potential and the three gates,
/// in the order of their files' states.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct State<R> {
    /// Membrane potential [mV].
    pub v: R,
    /// Na⁺ activation gate [1].
    pub m: R,
    /// Na⁺ inactivation gate [1].
    pub h: R,
    /// K⁺ activation gate [1].
    pub n: R,
}

impl<R: Real> State<R> {
    /// The first variable that is NaN or infinite, by name, with its value.
    pub fn first_non_finite(&self) -> Option<(&'static str, f64)> {
        [("v", self.v), ("m", self.m), ("h", self.h), ("n", self.n)]
            .into_iter()
            .find(|(_, x)| !x.is_finite())
            .map(|(name, x)| (name, x.wide()))
    }
}

/// Parameters of one neuron. Units are those of its model: for Traub mV, nS, pF (currents in
/// pA); for Classic mV, mS/cm², µF/cm² (currents in µA/cm²).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params<R> {
    pub kind: ModelKind,
    /// Membrane capacitance [pF | µF/cm²].
    pub c: R,
    /// Maximal Na⁺ conductance [nS | mS/cm²].
    pub g_na: R,
    /// Maximal K⁺ conductance [nS | mS/cm²].
    pub g_k: R,
    /// Leak conductance [nS | mS/cm²].
    pub g_l: R,
    /// Na⁺ reversal potential [mV].
    pub e_na: R,
    /// K⁺ reversal potential [mV].
    pub e_k: R,
    /// Leak reversal potential [mV].
    pub e_l: R,
    /// Traub's threshold-shift parameter VT [mV]; the classic model has none.
    pub vt: R,
    /// Temperature factor φ multiplying the classic rates [1]; the Traub model has none.
    pub phi: R,
    /// Spike threshold, crossed upwards [mV].
    pub v_th: R,
}

impl Params<f64> {
    /// The COBA-HH and sweep neuron: Traub–Miles with area 20 000 µm² (DESIGN.md §3).
    pub fn traub() -> Self {
        traub::params()
    }

    /// The 1952 squid axon model at 6.3 °C (φ = 1), as `brainpy.neurons.HH` defines it.
    pub fn classic() -> Self {
        classic::params()
    }
}

#[cfg(test)]
mod tests;
