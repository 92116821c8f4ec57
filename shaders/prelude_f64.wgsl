// Precision prelude for f64: prepended to every kernel by src/backend/gpu/shader.rs.
// SPIR-V's GLSL.std.450 Exp is defined for 16- and 32-bit floats only, so f64 brings its own exp.
alias Real = f64;

// Below this |x| exprel uses its series; keep in sync with `Real::EXPREL_SERIES_BELOW` for f64.
const EXPREL_SERIES_BELOW: Real = 0.02;

// ln 2 split so that k·LN2_HI is exact for |k| < 2^11 (the fdlibm constants).
const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const LOG2_E: f64 = 1.44269504088896338700e+00;

// e^x for x in [-708, 709] (clamped outside; the models never get near): x = k·ln2 + r with
// |r| ≤ ln2/2, e^r by its Taylor polynomial through r^13 (truncation < 4e-18 relative), times 2^k.
fn exp_real(x_in: f64) -> f64 {
    let x = clamp(x_in, -708.0, 709.0);
    let k = floor(x * LOG2_E + 0.5);
    let r = (x - k * LN2_HI) - k * LN2_LO;
    var p: f64 = 1.0 / 6227020800.0;   // 1/13!
    p = p * r + 1.0 / 479001600.0;     // 1/12!
    p = p * r + 1.0 / 39916800.0;      // 1/11!
    p = p * r + 1.0 / 3628800.0;       // 1/10!
    p = p * r + 1.0 / 362880.0;        // 1/9!
    p = p * r + 1.0 / 40320.0;         // 1/8!
    p = p * r + 1.0 / 5040.0;          // 1/7!
    p = p * r + 1.0 / 720.0;           // 1/6!
    p = p * r + 1.0 / 120.0;           // 1/5!
    p = p * r + 1.0 / 24.0;            // 1/4!
    p = p * r + 1.0 / 6.0;             // 1/3!
    p = p * r + 0.5;                   // 1/2!
    p = p * r + 1.0;
    p = p * r + 1.0;
    return ldexp(p, i32(k));
}

// Largest finite f64: NaN fails every ordered comparison and ±inf exceeds it.
fn is_finite_real(x: Real) -> bool {
    return abs(x) <= 1.7976931348623157e308;
}

// ln x for x > 0 (SPIR-V's Log is defined for 16- and 32-bit floats only): the f32 logarithm,
// then two Halley steps on e^y = x, each tripling the correct digits (7 → 21 → beyond f64's 16).
// Twin: src/model/soft_exp.rs `ln_f64`.
fn log_real(x: f64) -> f64 {
    var y = f64(log(f32(x)));
    var e = exp_real(y);
    y = y + 2.0 * (x - e) / (x + e);
    e = exp_real(y);
    y = y + 2.0 * (x - e) / (x + e);
    return y;
}
