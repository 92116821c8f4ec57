//! The Traub–Miles neuron of Brian2's `examples/COBAHH.py` and the gNa × I sweep of the Brian2
//! paper (Appendix 4): its parameters; its rates are in `models/traub.toml`.

use super::{ModelKind, Params};

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
