//! The built-in models' populations (their bundled files' generated kernels) on the GPU against
//! the CPU twin (both models, both GPU methods): the f64 software exp, one-step accuracy in f32,
//! finiteness everywhere on every engine, traces and stimuli. With HHSIM_REQUIRE_GPU=1 none may skip.

use crate::common::{self, builtin_population, every_engine, run_config};

use hhsim::backend::Engine;
use hhsim::backend::gpu::GpuContext;
use hhsim::backend::population::{Population, PopulationResult, RunConfig};
use hhsim::builtin::BuiltIn;
use hhsim::input::Stimulus;
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use hhsim::validate::{
    Case, EXP_MAX_ULP, F32_SAME_COUNT_FRACTION, V_AGREEMENT_F64_MV, cases, f32_counts, f64_identity,
};
use rand::{RngExt, SeedableRng};
use std::sync::Arc;

const N_NEURONS: usize = 1000;

/// `pop` on the GPU in `precision`.
fn on_gpu(
    ctx: &Arc<GpuContext>,
    precision: Precision,
    pop: &Population,
    cfg: &RunConfig,
) -> PopulationResult {
    (Engine::Gpu(ctx.clone()))
        .run_population(precision, pop, cfg)
        .unwrap()
}

/// `pop` on the CPU twin in f64.
fn on_cpu(pop: &Population, cfg: &RunConfig) -> PopulationResult {
    Engine::Cpu
        .run_population(Precision::F64, pop, cfg)
        .unwrap()
}

/// `n` neurons of a case with currents spread over its range.
fn population(case: &Case, n: usize) -> Population {
    let (lo, hi) = case.currents;
    let neuron = &case.neuron;
    let currents = (0..n).map(|j| lo + (hi - lo) * j as f64 / (n - 1) as f64);
    Population::uniform(
        neuron.model.clone(),
        neuron.params.clone(),
        neuron.init.clone(),
        currents.collect(),
    )
}

/// `hhsim validate`'s f64 check at full size: every neuron's spike steps identical.
#[test]
fn f64_gpu_matches_f64_cpu_spike_for_spike_over_one_second() {
    let Some(ctx) = common::gpu(true) else { return };
    let ctx = Arc::new(ctx);
    for case in cases() {
        let (differing, worst_v, spikes) = f64_identity(&ctx, &case, N_NEURONS, 1000.0).unwrap();
        let label = case.label();
        eprintln!("{label}: {spikes} spikes, {differing} neurons differ, max |ΔV| {worst_v:e} mV");
        assert!(spikes > 0, "{label}: no spikes at all");
        assert_eq!(differing, 0, "{label}: spike steps differ");
        assert!(
            worst_v <= V_AGREEMENT_F64_MV,
            "{label}: V differs by {worst_v} mV"
        );
    }
}

/// `hhsim validate`'s f32 check at full size.
#[test]
fn f32_gpu_counts_agree_with_f64_cpu_within_one() {
    let Some(ctx) = common::gpu(false) else {
        return;
    };
    let ctx = Arc::new(ctx);
    for case in cases() {
        let (same, worst, irregular) = f32_counts(&ctx, &case, N_NEURONS, 1000.0).unwrap();
        let label = case.label();
        eprintln!(
            "{label}: {:.2} % equal counts, worst difference {worst} ({irregular} irregular)",
            same * 100.0
        );
        assert!(worst <= 1, "{label}: a count differs by {worst}");
        assert!(
            same >= F32_SAME_COUNT_FRACTION,
            "{label}: only {:.2} % equal",
            same * 100.0
        );
    }
}

/// Random valid states: V in [−100, 60] mV, gates in [0, 1].
fn random_states(n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let v = rng.random_range(-100.0..60.0);
            let mut gate = || rng.random_range(0.0..1.0);
            vec![v, gate(), gate(), gate()]
        })
        .collect()
}

/// A neuron of the built-in model at its default parameters from each of `states`, without
/// input.
fn from_states(builtin: BuiltIn, states: &[Vec<f64>]) -> Population {
    let one = builtin_population(builtin, None, builtin.default_init(), &[0.0]);
    let n = states.len();
    Population {
        params: vec![one.params[0].clone(); n],
        init: states.to_vec(),
        current: vec![0.0; n],
        threshold: vec![one.threshold[0]; n],
        ..one
    }
}

/// One step of `method` from each of `states` (v, m, h, n) at the built-in model's default
/// parameters, on the GPU in f32 and on the CPU twin in f64.
fn one_f32_step(
    ctx: &Arc<GpuContext>,
    builtin: BuiltIn,
    states: &[Vec<f64>],
    method: Method,
    dt: f64,
) -> (PopulationResult, PopulationResult) {
    let pop = from_states(builtin, states);
    let cfg = run_config(method, dt, dt);
    (on_gpu(ctx, Precision::F32, &pop, &cfg), on_cpu(&pop, &cfg))
}

/// One step in f32 from a random state against f64. Each variable x' = x + Δ: x itself carries
/// f32 rounding (2⁻²⁴|x|), and Δ carries the relative error of its rates. WGSL allows `exp`
/// 3 + 2|x| ulp, with |x| ≤ 40 here (e.g. (40 − u)/5 at V = −100) that is 83 ulp ≈ 5e-6
/// relative; with cancellation inside the derivatives we allow 1e-4 of |Δ|. So the tolerance is
/// 2⁻²³|x| + 1e-4·|Δ| + a floor of 1e-6 for the gates near 0.
#[test]
fn one_f32_step_from_random_states_is_within_rounding_of_f64() {
    let Some(ctx) = common::gpu(false) else {
        return;
    };
    let ctx = Arc::new(ctx);
    let states = random_states(4096, 11);
    for builtin in [BuiltIn::Traub, BuiltIn::Hh] {
        for (method, dt) in [(Method::ExpEuler, 0.1), (Method::Rk4, 0.01)] {
            let (g, c) = one_f32_step(&ctx, builtin, &states, method, dt);
            let mut worst = 0.0_f64;
            for (k, s0) in states.iter().enumerate() {
                let (gs, cs) = (g.final_states.row(k), c.final_states.row(k));
                for ((x0, x32), x64) in s0.iter().zip(gs).zip(cs) {
                    let tolerance = x64.abs() * 2f64.powi(-23) + 1e-4 * (x64 - x0).abs() + 1e-6;
                    worst = worst.max((x32 - x64).abs() / tolerance);
                    assert!(
                        (x32 - x64).abs() <= tolerance,
                        "{builtin:?} {method:?} from {s0:?}: {x32} vs {x64}"
                    );
                }
            }
            eprintln!("{builtin:?} {method:?}: worst error {worst:.3} of tolerance");
        }
    }
}

/// The rate formulas' singular points and a dense grid of V, with gates at 0, ½ and 1.
fn singular_and_grid_states(builtin: BuiltIn) -> Vec<Vec<f64>> {
    let mut vs: Vec<f64> = (0..=320).map(|k| -100.0 + 0.5 * k as f64).collect();
    vs.extend(match builtin {
        // The traub file's rates are singular at V − VT = 13, 15 and 40 mV (VT = −63 mV).
        BuiltIn::Traub => vec![-50.0, -48.0, -23.0],
        BuiltIn::Hh => vec![-40.0, -55.0],
    });
    let mut states = Vec::new();
    for &v in &vs {
        for g in [0.0, 0.5, 1.0] {
            states.push(vec![v, g, g, g]);
        }
    }
    states
}

#[test]
fn no_nan_or_inf_from_any_state_including_singular_voltages_on_every_engine() {
    let engines = every_engine();
    for builtin in [BuiltIn::Traub, BuiltIn::Hh] {
        let pop = from_states(builtin, &singular_and_grid_states(builtin));
        for (method, dt) in [(Method::ExpEuler, 0.1), (Method::Rk4, 0.01)] {
            for on in &engines {
                // The run itself fails on a non-finite state, naming neuron and step.
                let r = (on.engine)
                    .run_population(on.precision, &pop, &run_config(method, dt, dt))
                    .unwrap_or_else(|e| panic!("{builtin:?} {method:?} {}: {e}", on.label));
                for s in r.final_states.rows() {
                    assert!(
                        s.iter().all(|x| x.is_finite()),
                        "{builtin:?} {method:?} {}: {s:?}",
                        on.label
                    );
                }
            }
        }
    }
}

/// Over every argument the models produce (|x| ≤ 60 densely, and the tiny arguments near
/// exprel's series boundary): the bound's reason is beside `EXP_MAX_ULP`.
#[test]
fn software_exp_is_within_two_ulp_of_the_host_exp() {
    let Some(ctx) = common::gpu(true) else { return };
    let worst = hhsim::validate::exp_ulp_error(&ctx).unwrap();
    eprintln!("software exp: max error {worst} ulp");
    assert!(
        worst <= EXP_MAX_ULP,
        "software exp is {worst} ulp from f64::exp"
    );
}

#[test]
fn traces_and_noise_match_the_cpu_twin_in_f64() {
    let Some(ctx) = common::gpu(true) else { return };
    let ctx = Arc::new(ctx);
    let case = &cases()[2];
    // Three batches of the twin: with two or more cores it splits them between threads, so the
    // shares' traces and noise streams are checked too.
    let mut pop = population(case, 150);
    pop.stimulus = Stimulus {
        sections: Some(hhsim::input::Sections {
            values: vec![0.0, 5.0, -2.0],
            durations_ms: vec![10.0, 30.0, 20.0],
        }),
        pulses: Some(hhsim::input::PulseTrain {
            onsets_ms: vec![15.0, 45.0],
            width_ms: 1.0,
            amplitude: 20.0,
        }),
        noise: Some(hhsim::input::Noise {
            sigma: 3.0,
            seed: 5,
        }),
    };
    let cfg = RunConfig {
        record_every: 7,
        ..run_config(case.method, case.dt_ms, 80.0)
    };
    let g = on_gpu(&ctx, Precision::F64, &pop, &cfg);
    let c = on_cpu(&pop, &cfg);
    assert_eq!(g.spikes, c.spikes);
    let (gt, ct) = (g.trace.unwrap(), c.trace.unwrap());
    assert_eq!(gt.0, ct.0);
    let worst = (gt.1[0].iter())
        .zip(ct.1[0].iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst <= V_AGREEMENT_F64_MV, "trace V differs by {worst} mV");
}
