//! The software f64 exponential and logarithm of `shaders/prelude_f64.wgsl` (`exp_real`,
//! `log_real`), op for op, so that a CPU twin computes the GPU's f64 values exactly instead of
//! the platform's libm ones.

// ln 2 split so that k·LN2_HI is exact for |k| < 2^11 (the fdlibm constants, the shader's
// literals written shortest), and log2(e).
const LN2_HI: f64 = 0.6931471803691238;
const LN2_LO: f64 = 1.9082149292705877e-10;
const LOG2_E: f64 = std::f64::consts::LOG2_E;

/// 1.5·2⁵²: for |t| < 2⁵¹, (t + ROUNDER) − ROUNDER is t rounded to the nearest integer.
const ROUNDER: f64 = 6_755_399_441_055_744.0;
/// 2⁵²: an integer 0 ≤ m < 2⁵² added to it sits in the low bits of the sum's mantissa.
const TWO_POW_52: f64 = 4_503_599_627_370_496.0;

/// e^x for x in [−708, 709] (clamped outside): x = k·ln2 + r, e^r by its Taylor polynomial
/// through r^13, times 2^k. The floor and 2^k are formed with float arithmetic and bit moves
/// rather than a libm call and an integer conversion, values bit for bit the same, so that a
/// loop of exponentials over a batch's lanes vectorises.
#[inline]
pub fn exp_f64(x_in: f64) -> f64 {
    let x = x_in.clamp(-708.0, 709.0);
    let t = x * LOG2_E + 0.5;
    // ⌊t⌋: t rounded to the nearest integer, less one where that rounded up.
    let nearest = (t + ROUNDER) - ROUNDER;
    let k = if nearest > t { nearest - 1.0 } else { nearest };
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut p: f64 = 1.0 / 6227020800.0;
    for inverse_factorial in [
        1.0 / 479001600.0,
        1.0 / 39916800.0,
        1.0 / 3628800.0,
        1.0 / 362880.0,
        1.0 / 40320.0,
        1.0 / 5040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p * r + inverse_factorial;
    }
    // ldexp(p, k): k + 1023 (within 1…2046 for x in [−708, 709]) from the mantissa's low bits
    // into the exponent field.
    p * f64::from_bits(((k + 1023.0) + TWO_POW_52).to_bits() << 52)
}

/// ln x as `log_real` in `shaders/prelude_f64.wgsl` computes it: the f32 logarithm refined by
/// two Halley steps on e^y = x, with [`exp_f64`].
pub fn ln_f64(x: f64) -> f64 {
    let mut y = f64::from((x as f32).ln());
    for _ in 0..2 {
        let e = exp_f64(y);
        y += 2.0 * (x - e) / (x + e);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shader's formulation, with `floor` and an integer 2^k, as `exp_real` writes it.
    fn exp_as_the_shader_writes_it(x_in: f64) -> f64 {
        let x = x_in.clamp(-708.0, 709.0);
        let k = (x * LOG2_E + 0.5).floor();
        let r = (x - k * LN2_HI) - k * LN2_LO;
        let mut p: f64 = 1.0 / 6227020800.0;
        for c in [
            479001600.0,
            39916800.0,
            3628800.0,
            362880.0,
            40320.0,
            5040.0,
            720.0,
            120.0,
            24.0,
            6.0,
            2.0,
            1.0,
            1.0,
        ] {
            p = p * r + 1.0 / c;
        }
        p * f64::from_bits(((k as i64 + 1023) as u64) << 52)
    }

    /// The vectorisable floor and 2^k change no bit: densely over the clamp's range, at the
    /// rounding ties of k (t = x·log2 e + 0.5 an integer), at and beyond the ends, and NaN.
    #[test]
    fn exp_is_the_shaders_formulation_bit_for_bit() {
        let mut args: Vec<f64> = (-1_420_000..=1_420_000).map(|k| k as f64 * 5e-4).collect();
        args.extend((-1100..=1100).map(|k| (k as f64 - 0.5) / LOG2_E));
        args.extend([
            -1e9, -745.0, -708.0, 709.0, 710.0, 1e9, 0.0, -0.0, 1e-300, -1e-300,
        ]);
        for x in args {
            let (got, want) = (exp_f64(x), exp_as_the_shader_writes_it(x));
            assert_eq!(got.to_bits(), want.to_bits(), "e^{x}: {got} vs {want}");
        }
        assert!(exp_f64(f64::NAN).is_nan());
    }

    /// Two Halley steps from the f32 guess reach f64 precision.
    #[test]
    fn ln_agrees_with_libm_within_two_ulp() {
        for &x in &[1e-30, 1e-5, 0.3, 1.0 / 3.0, 1.0, 2.0, 10.0, 1234.5, 3e30] {
            let (got, want) = (ln_f64(x), x.ln());
            assert!(
                (got - want).abs() <= 2.0 * f64::EPSILON * want.abs().max(1e-300),
                "x = {x}: {got} vs {want}"
            );
        }
        assert_eq!(ln_f64(1.0), 0.0);
    }

    /// Within 2 ulp of the platform's exp, as `hhsim validate` requires of the shader's.
    #[test]
    fn agrees_with_libm_within_two_ulp() {
        let mut x = -700.0;
        while x < 700.0 {
            let (got, want) = (exp_f64(x), x.exp());
            let ulp = f64::EPSILON * want;
            assert!((got - want).abs() <= 2.0 * ulp, "x = {x}: {got} vs {want}");
            x += 0.37;
        }
        assert_eq!(exp_f64(0.0), 1.0);
    }
}
