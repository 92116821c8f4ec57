//! `exprel(x) = (eˣ − 1)/x`, the one formula behind every rate function with a removable
//! singularity (αm, βm, αn of both models). The GPU kernels carry the same formula in
//! `shaders/common.wgsl`, since WGSL has no `expm1`.

use super::Real;

/// (eˣ − 1)/x, equal to 1 at x = 0 and finite and smooth everywhere.
///
/// Near zero the direct quotient loses digits to cancellation (and is 0/0 at x = 0), so a
/// Taylor series through x⁶ takes over below [`Real::EXPREL_SERIES_BELOW`].
pub fn exprel<R: Real>(x: R) -> R {
    if x.abs() < R::EXPREL_SERIES_BELOW {
        // Horner form of 1 + x/2 + x²/6 + x³/24 + x⁴/120 + x⁵/720 + x⁶/5040.
        let c = |k: f64| R::of(1.0 / k);
        R::one()
            + x * (c(2.0)
                + x * (c(6.0) + x * (c(24.0) + x * (c(120.0) + x * (c(720.0) + x * c(5040.0))))))
    } else {
        (x.exp() - R::one()) / x
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
}
