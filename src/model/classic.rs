//! The 1952 Hodgkin–Huxley squid axon model in the form of `brainpy.neurons.HH` (resting
//! potential near −65 mV convention), with the temperature factor φ = Q10^((T − 6.3 °C)/10),
//! Q10 = 3, multiplying every gating rate: its parameters; its rates are in `models/hh.toml`.

use super::{ModelKind, Params};

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
