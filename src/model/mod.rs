//! Hodgkin–Huxley neuron models: parameters, state, gating rates and the right-hand side of the
//! ODEs, generic over f32 and f64. Two rate sets exist: Traub–Miles (COBA-HH and the gNa × I
//! sweep, in mV/ms/nS/pF/pA) and the classic 1952 squid axon model (per-area units mV/ms,
//! mS/cm², µF/cm², µA/cm²). The membrane equation is the same for both.

mod classic;
mod exprel;
mod initial;
mod real;
pub mod soft_exp;
mod traub;

pub use classic::{CLASSIC_REFERENCE_TEMPERATURE_C, phi_from_temperature, temperature_from_phi};
pub use exprel::{exprel, exprel_given, x_over_expm1};
pub use initial::InitialState;
pub use real::{Precision, Real};
pub use traub::NS_PER_MS_PER_CM2 as TRAUB_NS_PER_MS_PER_CM2;
/// The shared-exponential factors of the rates, for the test of their values.
#[cfg(test)]
pub(crate) use {
    classic::{E_MINUS_2, E_MINUS_HALF},
    traub::E_MINUS_5,
};

use serde::{Deserialize, Serialize};

/// Which set of gating rate functions a neuron uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Traub & Miles (1991) as written in Brian2's COBAHH example; rates shift with `vt`.
    Traub,
    /// Hodgkin & Huxley (1952) in the form of `brainpy.neurons.HH`; rates scale with `phi`.
    Classic,
}

/// The four state variables: membrane potential and the three gates. `State` in
/// shaders/common.wgsl mirrors it (keep in sync).
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
    /// `self + k·d`: one stage of an explicit Runge–Kutta method.
    pub fn add_scaled(&self, k: R, d: &State<R>) -> State<R> {
        State {
            v: self.v + k * d.v,
            m: self.m + k * d.m,
            h: self.h + k * d.h,
            n: self.n + k * d.n,
        }
    }

    /// The RK4 update s + dt/6·(k1 + 2(k2 + k3) + k4) from the four stage derivatives.
    pub fn rk4_combine(&self, dt: R, k: [&State<R>; 4]) -> State<R> {
        let sixth = dt / R::of(6.0);
        let two = R::of(2.0);
        let [k1, k2, k3, k4] = k;
        State {
            v: self.v + sixth * (k1.v + two * (k2.v + k3.v) + k4.v),
            m: self.m + sixth * (k1.m + two * (k2.m + k3.m) + k4.m),
            h: self.h + sixth * (k1.h + two * (k2.h + k3.h) + k4.h),
            n: self.n + sixth * (k1.n + two * (k2.n + k3.n) + k4.n),
        }
    }

    /// Converts between precisions (rounding to nearest when narrowing).
    pub fn cast<S: Real>(&self) -> State<S> {
        State {
            v: S::of(self.v.wide()),
            m: S::of(self.m.wide()),
            h: S::of(self.h.wide()),
            n: S::of(self.n.wide()),
        }
    }

    /// The first variable that is NaN or infinite, by name, with its value.
    pub fn first_non_finite(&self) -> Option<(&'static str, f64)> {
        [("v", self.v), ("m", self.m), ("h", self.h), ("n", self.n)]
            .into_iter()
            .find(|(_, x)| !x.is_finite())
            .map(|(name, x)| (name, x.wide()))
    }
}

/// Opening and closing rates of the three gates [1/ms].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates<R> {
    pub alpha_m: R,
    pub beta_m: R,
    pub alpha_h: R,
    pub beta_h: R,
    pub alpha_n: R,
    pub beta_n: R,
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
    /// Traub's threshold-shift parameter VT [mV]; the classic rates ignore it.
    pub vt: R,
    /// Temperature factor φ multiplying the classic rates [1]; the Traub rates ignore it.
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

impl<R: Real> Params<R> {
    /// Converts between precisions (rounding to nearest when narrowing).
    pub fn cast<S: Real>(&self) -> Params<S> {
        let c = |x: R| S::of(x.wide());
        Params {
            kind: self.kind,
            c: c(self.c),
            g_na: c(self.g_na),
            g_k: c(self.g_k),
            g_l: c(self.g_l),
            e_na: c(self.e_na),
            e_k: c(self.e_k),
            e_l: c(self.e_l),
            vt: c(self.vt),
            phi: c(self.phi),
            v_th: c(self.v_th),
        }
    }

    /// Gating rates at membrane potential `v` [mV].
    pub fn rates(&self, v: R) -> Rates<R> {
        match self.kind {
            ModelKind::Traub => traub::rates(v, self.vt),
            ModelKind::Classic => classic::rates(v, self.phi),
        }
    }

    /// Na⁺ and K⁺ conductances opened by the gates [nS | mS/cm²].
    pub(crate) fn channel_conductances(&self, s: &State<R>) -> (R, R) {
        let n2 = s.n * s.n;
        (self.g_na * s.m * s.m * s.m * s.h, self.g_k * n2 * n2)
    }

    /// The right-hand side dX/dt [mV/ms, 1/ms] under the injected current `i_ext`.
    pub fn derivatives(&self, s: &State<R>, i_ext: R) -> State<R> {
        let r = self.rates(s.v);
        let (g_na, g_k) = self.channel_conductances(s);
        let i_ion = g_na * (self.e_na - s.v) + g_k * (self.e_k - s.v) + self.g_l * (self.e_l - s.v);
        let gate = |x: R, a: R, b: R| a * (R::one() - x) - b * x;
        State {
            v: (i_ion + i_ext) / self.c,
            m: gate(s.m, r.alpha_m, r.beta_m),
            h: gate(s.h, r.alpha_h, r.beta_h),
            n: gate(s.n, r.alpha_n, r.beta_n),
        }
    }

    /// The steady state of the gates at potential `v`: x∞ = α/(α+β).
    pub fn gates_at_rest(&self, v: R) -> State<R> {
        let r = self.rates(v);
        State {
            v,
            m: r.alpha_m / (r.alpha_m + r.beta_m),
            h: r.alpha_h / (r.alpha_h + r.beta_h),
            n: r.alpha_n / (r.alpha_n + r.beta_n),
        }
    }
}

#[cfg(test)]
mod tests;
