//! `exprel(x) = (eˣ − 1)/x` and its reciprocal `x/(eˣ − 1)`: the formulas behind every removable
//! singularity of the models (αm, βm, αn of both models take the reciprocal; exponential Euler's
//! membrane step the former). The GPU kernels carry the same formulas in `shaders/common.wgsl`,
//! since WGSL has no `expm1`.

use super::Real;

/// (eˣ − 1)/x, equal to 1 at x = 0 and finite and smooth everywhere.
///
/// Near zero the direct quotient loses digits to cancellation (and is 0/0 at x = 0), so a
/// Taylor series through x⁶ takes over below [`Real::EXPREL_SERIES_BELOW`].
pub fn exprel<R: Real>(x: R) -> R {
    exprel_given(x, x.exp())
}

/// [`exprel`] given `e` = eˣ (computed by the caller, e.g. by the GPU's own exponential).
pub fn exprel_given<R: Real>(x: R, e: R) -> R {
    if x.abs() < R::EXPREL_SERIES_BELOW {
        // Horner form of 1 + x/2 + x²/6 + x³/24 + x⁴/120 + x⁵/720 + x⁶/5040.
        let c = |k: f64| R::of(1.0 / k);
        R::one()
            + x * (c(2.0)
                + x * (c(6.0) + x * (c(24.0) + x * (c(120.0) + x * (c(720.0) + x * c(5040.0))))))
    } else {
        (e - R::one()) / x
    }
}

/// x/(eˣ − 1) given `e` = eˣ, which a caller may share between several rates; equal to 1 at
/// x = 0 and finite and smooth everywhere.
///
/// Below [`Real::EXPREL_SERIES_BELOW`] the quotient loses digits as `exprel` does, and the series
/// through x⁶ takes over (Bernoulli numbers: 1 − x/2 + x²/12 − x⁴/720 + x⁶/30240; the next term,
/// x⁸/1209600, is below 6e-11 at the f32 switch 0.3 and 3e-20 at the f64 switch 0.02).
pub fn x_over_expm1<R: Real>(x: R, e: R) -> R {
    if x.abs() < R::EXPREL_SERIES_BELOW {
        let c = |k: f64| R::of(1.0 / k);
        let x2 = x * x;
        R::one() + x * (c(-2.0) + x * (c(12.0) + x2 * (c(-720.0) + x2 * c(30240.0))))
    } else {
        x / (e - R::one())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The series and the quotient meet at the switch point; f64 `exp_m1` is the yardstick.
    #[test]
    fn exprel_matches_expm1_over_x_on_both_sides_of_the_switch() {
        for &x in &[
            -5.0, -0.5, -0.021, -0.019, -1e-9, 1e-9, 0.019, 0.021, 0.5, 5.0,
        ] {
            let want = f64::exp_m1(x) / x;
            let got = exprel(x);
            // 1e-13: the quotient's cancellation error just above the switch is ≈ ε/0.02 ≈ 1.1e-14.
            assert!(
                (got - want).abs() <= 1e-13 * want,
                "x = {x}: {got} vs {want}"
            );
            let got32 = exprel(x as f32) as f64;
            // 2e-6: f32 rounding of x and of exp, amplified by ε/|x| ≈ 4e-7 at the f32 switch 0.3.
            assert!(
                (got32 - want).abs() <= 2e-6 * want,
                "f32 x = {x}: {got32} vs {want}"
            );
        }
        assert_eq!(exprel(0.0_f64), 1.0);
        assert_eq!(exprel(0.0_f32), 1.0);
    }

    /// The reciprocal, with the exponential passed in, against f64 `exp_m1` on both sides of
    /// both switches.
    #[test]
    fn x_over_expm1_matches_the_reciprocal_of_expm1_over_x() {
        for &x in &[
            -20.0, -5.0, -0.31, -0.29, -0.021, -0.019, -1e-9, 1e-9, 0.019, 0.021, 0.29, 0.31, 5.0,
            20.0,
        ] {
            let want = x / f64::exp_m1(x);
            let got = x_over_expm1(x, x.exp());
            // 1e-13: as for exprel, the quotient's cancellation just above the switch, ≈ ε/0.02.
            assert!(
                (got - want).abs() <= 1e-13 * want,
                "x = {x}: {got} vs {want}"
            );
            let x32 = x as f32;
            let got32 = x_over_expm1(x32, x32.exp()) as f64;
            // 2e-6: f32 rounding of x and of exp, amplified by ε/|x| ≈ 4e-7 at the f32 switch 0.3.
            assert!(
                (got32 - want).abs() <= 2e-6 * want,
                "f32 x = {x}: {got32} vs {want}"
            );
        }
        assert_eq!(x_over_expm1(0.0_f64, 1.0), 1.0);
        assert_eq!(x_over_expm1(0.0_f32, 1.0), 1.0);
    }
}
