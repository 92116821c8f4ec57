//! Traub–Miles rates as in Brian2's `examples/COBAHH.py` and the gNa × I sweep of the Brian2
//! paper (Appendix 4). Every rate is shifted by VT; αm, βm and αn go through `x_over_expm1`.

use super::{ModelKind, Params, Rates, Real, x_over_expm1};

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

/// e⁻⁵, written out so that shaders/common.wgsl can carry the same literal (a test compares them).
pub const E_MINUS_5: f64 = 0.006737946999085467;

pub(super) fn rates<R: Real>(v: R, vt: R) -> Rates<R> {
    let c = R::of;
    let u = v - vt; // the rates depend on V only through V − VT
    let x_alpha_m = (c(13.0) - u) / c(4.0);
    // e^((40 − u)/5) is βh's exponential; βm's is its reciprocal and αn's is e⁻⁵ times it, so
    // one exp serves three rates (exp is the costliest operation of a GPU step).
    let e40 = ((c(40.0) - u) / c(5.0)).exp();
    Rates {
        // 0.32·(13 − u)/(exp((13 − u)/4) − 1)
        alpha_m: c(0.32 * 4.0) * x_over_expm1(x_alpha_m, x_alpha_m.exp()),
        // 0.28·(u − 40)/(exp((u − 40)/5) − 1)
        beta_m: c(0.28 * 5.0) * x_over_expm1((u - c(40.0)) / c(5.0), R::one() / e40),
        alpha_h: c(0.128) * ((c(17.0) - u) / c(18.0)).exp(),
        beta_h: c(4.0) / (R::one() + e40),
        // 0.032·(15 − u)/(exp((15 − u)/5) − 1)
        alpha_n: c(0.032 * 5.0) * x_over_expm1((c(15.0) - u) / c(5.0), e40 * c(E_MINUS_5)),
        beta_n: c(0.5) * ((c(10.0) - u) / c(40.0)).exp(),
    }
}
