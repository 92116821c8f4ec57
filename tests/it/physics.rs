//! Physical behaviour of the built-in models, on every engine (the CPU twin and the GPU, f32
//! and f64): rest is a fixed point, the classic model fires periodically above threshold
//! current, the sweep neuron fires tonically, and every method counts the same spikes as an f64
//! RK4 run at a small step.

use crate::common::{EngineCase, builtin_population, every_engine, run_config};
use hhsim::analysis::System;
use hhsim::backend::Engine;
use hhsim::backend::population::{Population, PopulationResult, RunConfig};
use hhsim::builtin::{BuiltIn, InitialState};
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use nalgebra::DVector;

/// `pop` on engine `on`.
fn run(on: &EngineCase, pop: &Population, cfg: &RunConfig) -> PopulationResult {
    on.engine
        .run_population(on.precision, pop, cfg)
        .unwrap_or_else(|e| panic!("{}: {e}", on.label))
}

fn population(builtin: BuiltIn, init: InitialState, currents: &[f64]) -> Population {
    builtin_population(builtin, None, init, currents)
}

/// Coefficient of variation of the inter-spike intervals of one spike train (given in steps).
fn isi_cv(steps: &[u64]) -> f64 {
    let isi: Vec<f64> = steps.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    let mean = isi.iter().sum::<f64>() / isi.len() as f64;
    (isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / isi.len() as f64).sqrt() / mean
}

#[test]
fn published_resting_state_is_a_fixed_point_of_the_classic_model() {
    let pop = population(BuiltIn::Hh, InitialState::Rest, &[0.0]);
    let rest = pop.init[0].clone();
    // The right-hand side of the model as the engine runs it: the bundled hh file.
    let sys = System::new(pop.model.clone(), 0.0);
    let d = sys.rhs(&DVector::from_vec(rest.clone()));
    // The published gates have 3 significant digits: n = 0.235 ± 5e-4 moves gK·n⁴·(EK − V) by up
    // to 4·0.2 % of 0.69 µA/cm² ≈ 6e-3, so dV/dt up to ≈ 7e-3 mV/ms is rounding, not drift.
    assert!(d[0].abs() < 1e-2, "dV/dt = {} mV/ms", d[0]);
    for x in d.iter().skip(1) {
        assert!(x.abs() < 1e-3, "gate derivative {x} /ms");
    }
    // The exact fixed point (bisection on dV/dt with every gate at its steady state) rounds to
    // the published values.
    let dv_at = |v: f64| sys.rhs(&sys.resting_at(v))[0];
    let (mut lo, mut hi) = (-80.0, -60.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if dv_at(lo) * dv_at(mid) <= 0.0 {
            hi = mid
        } else {
            lo = mid
        }
    }
    let exact = sys.resting_at(lo);
    assert!(
        (exact[0] - rest[0]).abs() < 0.005,
        "fixed point at {} mV",
        exact[0]
    );
    // Half a unit in the last printed digit of 0.0266, 0.772 and 0.235.
    for (x, published, half_digit) in [
        (exact[1], rest[1], 5e-5),
        (exact[2], rest[2], 5e-4),
        (exact[3], rest[3], 5e-4),
    ] {
        assert!(
            (x - published).abs() <= half_digit,
            "gate {x} vs published {published}"
        );
    }
    // Left alone for 200 ms it stays there on every engine: no spike and V within 0.1 mV.
    let cfg = RunConfig {
        record_every: 10,
        ..run_config(Method::Rk4, 0.01, 200.0)
    };
    for on in every_engine() {
        let r = run(&on, &pop, &cfg);
        assert!(r.spikes.is_empty(), "{}", on.label);
        let (_, states) = r.trace.unwrap();
        let drift = states[0]
            .iter()
            .map(|v| (v - rest[0]).abs())
            .fold(0.0, f64::max);
        assert!(drift < 0.1, "{}: V drifted {drift} mV from rest", on.label);
    }
}

#[test]
fn classic_model_fires_periodically_at_10_and_is_silent_at_0() {
    let pop = population(BuiltIn::Hh, InitialState::Rest, &[0.0, 10.0]);
    for on in every_engine() {
        let r = run(&on, &pop, &run_config(Method::Rk4, 0.01, 500.0));
        let counts = r.spikes.counts(2);
        assert_eq!(counts[0], 0, "{}: spikes without input", on.label);
        // The HH limit cycle at 10 µA/cm², 6.3 °C has a period near 14.6 ms: about 34 spikes
        // in 500 ms.
        assert!(
            (30..=38).contains(&counts[1]),
            "{}: {} spikes at 10 µA/cm²",
            on.label,
            counts[1]
        );
        // Periodic: once on the limit cycle (after the first spike) the intervals are all alike.
        let steps = r.spikes.steps_of(1);
        let cv = isi_cv(&steps[1..]);
        assert!(cv < 0.01, "{}: ISI CV {cv}", on.label);
    }
}

#[test]
fn traub_sweep_neuron_fires_tonically_at_gna_100_and_20_pa() {
    let pop = population(BuiltIn::Traub, InitialState::Sweep, &[20.0]);
    for on in every_engine() {
        let r = run(&on, &pop, &run_config(Method::ExpEuler, 0.1, 1000.0));
        let steps = r.spikes.steps_of(0);
        let label = &on.label;
        assert!(steps.len() >= 10, "{label}: {} spikes in 1 s", steps.len());
        // Tonic: regular intervals, and still firing in the last tenth of the second.
        let cv = isi_cv(&steps[1..]);
        assert!(cv < 0.05, "{label}: ISI CV {cv}");
        let last = *steps.last().unwrap();
        assert!(last >= 9000, "{label}: last spike at step {last}");
    }
}

/// Spike counts of every engine and method against the CPU's f64 RK4 at dt 0.01 ms.
///
/// Over 500 ms each method's spike times drift from the reference by a few percent of a period
/// at most at these steps, so a spike can only slip across the end of the window:
/// ±1 is the tolerance.
fn check_counts_against_reference(builtin: BuiltIn, init: InitialState, currents: &[f64]) {
    let pop = population(builtin, init, currents);
    let reference = Engine::Cpu
        .run_population(Precision::F64, &pop, &run_config(Method::Rk4, 0.01, 500.0))
        .unwrap()
        .spikes
        .counts(currents.len());
    for on in every_engine() {
        // Forward Euler and RK2 exist on the CPU only.
        let methods: &[Method] = match on.is_cpu() {
            true => &[Method::ExpEuler, Method::Rk4, Method::Rk2, Method::Euler],
            false => &[Method::ExpEuler, Method::Rk4],
        };
        for &method in methods {
            let got = run(&on, &pop, &run_config(method, 0.01, 500.0))
                .spikes
                .counts(currents.len());
            for (k, (g, w)) in got.iter().zip(&reference).enumerate() {
                assert!(
                    g.abs_diff(*w) <= 1,
                    "{} {method:?} at current {}: {g} spikes, reference {w}",
                    on.label,
                    currents[k]
                );
            }
        }
    }
}

#[test]
fn every_engine_and_method_counts_the_reference_spikes_classic() {
    let currents = [0.0, 2.0, 5.0, 6.5, 10.0, 20.0, 40.0];
    check_counts_against_reference(BuiltIn::Hh, InitialState::Brainpy, &currents);
}

#[test]
fn every_engine_and_method_counts_the_reference_spikes_traub() {
    let currents = [0.0, 5.0, 10.0, 20.0, 50.0, 100.0];
    check_counts_against_reference(BuiltIn::Traub, InitialState::Sweep, &currents);
}
