//! Each integrator of the CPU reference converges to an f64 RK4 solution at a far smaller step
//! with its published order, for both built-in models, at a fixed time before the first spike.

use crate::common::{builtin_population, run_config};
use hhsim::backend::Engine;
use hhsim::backend::population::RunConfig;
use hhsim::builtin::{BuiltIn, InitialState};
use hhsim::integrate::Method;
use hhsim::kernel::Precision;

/// Integrates one neuron of `case` for `t_ms` on the CPU reference in f64 and returns V at the
/// end.
fn v_after(method: Method, case: &Case, dt: f64) -> f64 {
    let pop = builtin_population(case.builtin, None, case.init, &[case.i_ext]);
    let cfg = RunConfig {
        spike_steps: false,
        ..run_config(method, dt, case.t_ms)
    };
    let r = Engine::Cpu
        .run_population(Precision::F64, &pop, &cfg)
        .unwrap();
    r.final_states[[0, 0]]
}

/// Least-squares slope of log(error) against log(dt).
fn fitted_order(dts: &[f64], errors: &[f64]) -> f64 {
    let xs: Vec<f64> = dts.iter().map(|d| d.ln()).collect();
    let ys: Vec<f64> = errors.iter().map(|e| e.ln()).collect();
    let (mx, my) = (
        xs.iter().sum::<f64>() / xs.len() as f64,
        ys.iter().sum::<f64>() / ys.len() as f64,
    );
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    sxy / sxx
}

/// The order must be within this of the method's order: the error is c·dtᵖ only asymptotically,
/// and higher-order terms bend the log-log line over a factor-8 range of dt.
const ORDER_TOLERANCE: f64 = 0.3;

struct Case {
    builtin: BuiltIn,
    init: InitialState,
    i_ext: f64,
    /// Before the first spike: V rises fast there, so every method's error is well above rounding.
    t_ms: f64,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            builtin: BuiltIn::Hh,
            init: InitialState::Rest,
            i_ext: 10.0,
            t_ms: 1.0,
        },
        Case {
            builtin: BuiltIn::Traub,
            init: InitialState::Sweep,
            i_ext: 20.0,
            t_ms: 2.0,
        },
    ]
}

fn check_order(method: Method, dts: &[f64]) {
    for case in cases() {
        let reference = v_after(Method::Rk4, &case, 1e-4);
        let errors: Vec<f64> = dts
            .iter()
            .map(|&dt| (v_after(method, &case, dt) - reference).abs())
            .collect();
        let order = fitted_order(dts, &errors);
        eprintln!(
            "{:?} {:?}: errors {errors:?}, order {order:.3}",
            method, case.builtin
        );
        assert!(
            (order - method.order() as f64).abs() <= ORDER_TOLERANCE,
            "{method:?} on {:?}: fitted order {order:.3}, expected {} (errors {errors:?})",
            case.builtin,
            method.order()
        );
    }
}

// The step ranges keep each method in its asymptotic regime and its error far above the
// reference's (RK4 at dt 1e-4 ms: error ≈ 1e-4⁴ relative, below f64 rounding).

#[test]
fn euler_converges_with_order_one() {
    check_order(Method::Euler, &[0.02, 0.01, 0.005, 0.0025]);
}

#[test]
fn exponential_euler_converges_with_order_one() {
    check_order(Method::ExpEuler, &[0.02, 0.01, 0.005, 0.0025]);
}

#[test]
fn rk2_converges_with_order_two() {
    check_order(Method::Rk2, &[0.04, 0.02, 0.01, 0.005]);
}

#[test]
fn rk4_converges_with_order_four() {
    check_order(Method::Rk4, &[0.1, 0.05, 0.025, 0.0125]);
}
