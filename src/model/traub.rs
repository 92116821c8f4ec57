//! Traub–Miles rates as in Brian2's `examples/COBAHH.py` and the gNa × I sweep of the Brian2
//! paper (Appendix 4). Every rate is shifted by VT; αm, βm and αn go through `exprel`.

use super::{ModelKind, Params, Rates, Real, exprel};

/// Membrane area of the Traub neuron [µm²]; per-area values below are multiplied by it.
pub const AREA_UM2: f64 = 20_000.0;
/// nS per mS/cm² for that area: 1 mS/cm² × 2·10⁻⁴ cm² = 0.2 µS = 200 nS.
pub const NS_PER_MS_PER_CM2: f64 = AREA_UM2 * 1e-8 * 1e6;

pub(super) fn params() -> Params<f64> {
    Params {
        kind: ModelKind::Traub,
        c: 1.0 * AREA_UM2 * 1e-8 * 1e6,  // 1 µF/cm² → 200 pF
        g_na: 100.0 * NS_PER_MS_PER_CM2, // 20 µS
        g_k: 30.0 * NS_PER_MS_PER_CM2,   // 6 µS
        g_l: 0.05 * NS_PER_MS_PER_CM2,   // 10 nS
        e_na: 50.0,
        e_k: -90.0,
        e_l: -60.0,
        vt: -63.0,
        phi: 1.0,
        v_th: -20.0,
    }
}

pub(super) fn rates<R: Real>(v: R, vt: R) -> Rates<R> {
    let c = R::of;
    let u = v - vt; // the rates depend on V only through V − VT
    Rates {
        // 0.32·(13 − u)/(exp((13 − u)/4) − 1) = 0.32·4 / exprel((13 − u)/4)
        alpha_m: c(0.32 * 4.0) / exprel((c(13.0) - u) / c(4.0)),
        // 0.28·(u − 40)/(exp((u − 40)/5) − 1)
        beta_m: c(0.28 * 5.0) / exprel((u - c(40.0)) / c(5.0)),
        alpha_h: c(0.128) * ((c(17.0) - u) / c(18.0)).exp(),
        beta_h: c(4.0) / (R::one() + ((c(40.0) - u) / c(5.0)).exp()),
        // 0.032·(15 − u)/(exp((15 − u)/5) − 1)
        alpha_n: c(0.032 * 5.0) / exprel((c(15.0) - u) / c(5.0)),
        beta_n: c(0.5) * ((c(10.0) - u) / c(40.0)).exp(),
    }
}
