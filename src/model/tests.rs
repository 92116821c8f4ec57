use super::*;

/// The voltages where a rate's formula is 0/0: Traub αm (VT + 13), αn (VT + 15), βm (VT + 40);
/// classic αm (−40) and αn (−55).
fn singular_voltages(p: &Params<f64>) -> Vec<f64> {
    match p.kind {
        ModelKind::Traub => vec![p.vt + 13.0, p.vt + 15.0, p.vt + 40.0],
        ModelKind::Classic => vec![-40.0, -55.0],
    }
}

fn rate_list<R: Real>(r: &Rates<R>) -> [f64; 6] {
    [
        r.alpha_m, r.beta_m, r.alpha_h, r.beta_h, r.alpha_n, r.beta_n,
    ]
    .map(|x| x.wide())
}

fn check_continuous_at_singularities<R: Real>(tolerance: f64) {
    for p in [Params::traub(), Params::classic()] {
        let p = p.cast::<R>();
        let state = State {
            v: R::zero(),
            m: R::of(0.3),
            h: R::of(0.6),
            n: R::of(0.4),
        };
        for v in singular_voltages(&p.cast()) {
            let at = rate_list(&p.rates(R::of(v)));
            assert!(
                at.iter().all(|x| x.is_finite() && *x > 0.0),
                "{:?} at {v}: {at:?}",
                p.kind
            );
            let d = p.derivatives(
                &State {
                    v: R::of(v),
                    ..state
                },
                R::zero(),
            );
            assert!(
                d.first_non_finite().is_none(),
                "{:?} derivatives at {v}: {d:?}",
                p.kind
            );
            for dv in [-1e-6, 1e-6] {
                let near = rate_list(&p.rates(R::of(v + dv)));
                for (a, b) in at.iter().zip(near) {
                    assert!(
                        (a - b).abs() <= tolerance * a,
                        "{:?} at {v}{dv:+}: {a} vs {b}",
                        p.kind
                    );
                }
            }
        }
    }
}

/// 1e-6 mV moves a rate by about |dα/dV|·1e-6 ≈ 1e-7 relative (the rates change by O(1) per
/// 10 mV); 1e-6 leaves room for that and for rounding, while a jump or NaN at the point fails.
#[test]
fn rates_are_finite_and_continuous_at_singular_voltages_f64() {
    check_continuous_at_singularities::<f64>(1e-6);
}

/// In f32, ±1e-6 mV rounds to a neighbouring float of V or to V itself; the rates then differ by
/// f32 rounding of the rate formulas, a few ulp ≈ 1e-6 relative.
#[test]
fn rates_are_finite_and_continuous_at_singular_voltages_f32() {
    check_continuous_at_singularities::<f32>(4e-6);
}

/// Exponential Euler's step is consistent with the equations: over a tiny step the change per
/// unit time tends to the derivatives (the error is O(dt)).
#[test]
fn exp_euler_step_follows_the_derivatives() {
    for p in [Params::traub(), Params::classic()] {
        let s = State {
            v: -58.0,
            m: 0.2,
            h: 0.5,
            n: 0.4,
        };
        let d = p.derivatives(&s, 3.0);
        let dt = 1e-7;
        let next = crate::integrate::exp_euler_hh(&p, &s, 0.0, 3.0, dt);
        let got = [next.v - s.v, next.m - s.m, next.h - s.h, next.n - s.n].map(|x| x / dt);
        let want = [d.v, d.m, d.h, d.n];
        for k in 0..4 {
            // O(dt) from the method (|d²x/dt²|·dt ≲ 1e3·1e-7) plus rounding of a 1e-7 step
            // (ε·|x|/dt ≈ 1e-14·60/1e-7 ≈ 1e-6): 1e-4 relative to the derivative plus 1e-4.
            assert!(
                (got[k] - want[k]).abs() <= 1e-4 * (1.0 + want[k].abs()),
                "{k}: {} vs {}",
                got[k],
                want[k]
            );
        }
    }
}

/// The literal factors of the shared exponentials are e⁻⁵, e^(−1/2) and e⁻² to the last bit
/// that glibc's exp gives.
#[test]
fn shared_exponential_factors_are_exact() {
    for (value, x) in [
        (super::E_MINUS_5, -5.0_f64),
        (super::E_MINUS_HALF, -0.5),
        (super::E_MINUS_2, -2.0),
    ] {
        // One ulp: libm's exp is faithful, the literals were rounded once.
        assert!((value - x.exp()).abs() <= f64::EPSILON * value, "e^{x}");
    }
}

#[test]
fn temperature_factor_is_one_at_6_3_and_triples_per_10_degrees() {
    assert_eq!(phi_from_temperature(CLASSIC_REFERENCE_TEMPERATURE_C), 1.0);
    assert!((phi_from_temperature(16.3) - 3.0).abs() < 1e-12);
}
