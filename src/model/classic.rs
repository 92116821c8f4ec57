//! The 1952 Hodgkin–Huxley squid axon model in the form of `brainpy.neurons.HH` (resting
//! potential near −65 mV convention), with the temperature factor φ = Q10^((T − 6.3 °C)/10),
//! Q10 = 3, multiplying every gating rate. αm and αn go through `x_over_expm1`.

use super::{ModelKind, Params, Rates, Real, x_over_expm1};

/// The temperature at which φ = 1 [°C].
pub const CLASSIC_REFERENCE_TEMPERATURE_C: f64 = 6.3;
/// Rate change per 10 °C.
const Q10: f64 = 3.0;

/// φ for a temperature in °C.
pub fn phi_from_temperature(temperature_c: f64) -> f64 {
    Q10.powf((temperature_c - CLASSIC_REFERENCE_TEMPERATURE_C) / 10.0)
}

/// The temperature [°C] at which the rates scale by φ (the inverse of [`phi_from_temperature`]).
pub fn temperature_from_phi(phi: f64) -> f64 {
    CLASSIC_REFERENCE_TEMPERATURE_C + 10.0 * phi.ln() / Q10.ln()
}

pub(super) fn params() -> Params<f64> {
    Params {
        kind: ModelKind::Classic,
        c: 1.0,
        g_na: 120.0,
        g_k: 36.0,
        g_l: 0.03,
        e_na: 50.0,
        e_k: -77.0,
        e_l: -54.387,
        vt: 0.0,
        phi: 1.0,
        v_th: 20.0,
    }
}

/// e^(−1/2) and e⁻², written out so that shaders/common.wgsl can carry the same literals (a test
/// compares them).
pub const E_MINUS_HALF: f64 = 0.6065306597126334;
pub const E_MINUS_2: f64 = 0.1353352832366127;

pub(super) fn rates<R: Real>(v: R, phi: R) -> Rates<R> {
    let c = R::of;
    // e^(−(V + 35)/10) is βh's exponential; αm's and αn's are e^(−1/2) and e⁻² times it.
    let e35 = (-(v + c(35.0)) / c(10.0)).exp();
    Rates {
        // 0.1·(V + 40)/(1 − exp(−(V + 40)/10)) = x/(eˣ − 1) with x = −(V + 40)/10
        alpha_m: phi * x_over_expm1(-(v + c(40.0)) / c(10.0), e35 * c(E_MINUS_HALF)),
        beta_m: phi * c(4.0) * (-(v + c(65.0)) / c(18.0)).exp(),
        alpha_h: phi * c(0.07) * (-(v + c(65.0)) / c(20.0)).exp(),
        beta_h: phi / (R::one() + e35),
        // 0.01·(V + 55)/(1 − exp(−(V + 55)/10)) = 0.1·x/(eˣ − 1) with x = −(V + 55)/10
        alpha_n: phi * c(0.1) * x_over_expm1(-(v + c(55.0)) / c(10.0), e35 * c(E_MINUS_2)),
        beta_n: phi * c(0.125) * (-(v + c(65.0)) / c(80.0)).exp(),
    }
}
