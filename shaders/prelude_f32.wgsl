// Precision prelude for f32: prepended to every kernel by src/backend/gpu/shader.rs.
alias Real = f32;

// Below this |x| exprel uses its series; keep in sync with `Real::EXPREL_SERIES_BELOW` for f32.
const EXPREL_SERIES_BELOW: Real = 0.3;

fn exp_real(x: Real) -> Real {
    return exp(x);
}

// Bit test: the exponent field is all ones exactly for NaN and ±inf.
fn is_finite_real(x: Real) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// Natural logarithm (models' `log` and non-integer powers).
fn log_real(x: Real) -> Real {
    return log(x);
}
