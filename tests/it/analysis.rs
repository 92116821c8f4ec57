//! Dynamics analysis against independent checks: equilibria against the ODE and long
//! simulations, the Jacobian against finite differences, Hopf points and the fold of cycles
//! against grid refinement and the literature, batched cycles against a single neuron's run,
//! and the GPU cycle search against its CPU twin.

use crate::common;

use hhsim::analysis::{
    BifurcationSpec, CycleSearch, Direction, Parameter, PhasePlaneSpec, Reduction, System,
    bifurcation, equilibria, equilibrium_branches, fi_curve, phase_plane,
};
use hhsim::backend::Engine;
use hhsim::backend::population::{Population, RunConfig};
use hhsim::input::Stimulus;
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use hhsim::kernel::steady;
use hhsim::model::Model;
use nalgebra::{DMatrix, DVector};

/// A bundled model at its defaults, without input.
fn bundled(name: &str) -> System {
    System::new(Model::bundled(name).unwrap(), 0.0)
}

/// `sys` with parameter (or `current`) `name` set to `value`.
fn set(sys: &System, name: &str, value: f64) -> System {
    sys.with(sys.parameter(name).unwrap(), value)
}

fn classic(gl: Option<f64>) -> System {
    let sys = bundled("hh");
    gl.map_or(sys.clone(), |g| set(&sys, "gl", g))
}

fn search(window_ms: f64) -> CycleSearch {
    CycleSearch {
        method: Method::ExpEuler,
        precision: Precision::F64,
        dt_ms: 0.01,
        transient_ms: 300.0,
        window_ms,
    }
}

fn grid(base: System, start: f64, stop: f64, count: usize, window_ms: f64) -> BifurcationSpec {
    BifurcationSpec {
        base,
        param: Parameter::Current,
        values: (0..count)
            .map(|k| start + (stop - start) * k as f64 / (count - 1) as f64)
            .collect(),
        search: search(window_ms),
    }
}

#[test]
fn equilibria_solve_the_steady_state_and_attract_long_simulations_where_stable() {
    let traub = bundled("traub");
    for sys in [
        classic(None),
        classic(Some(0.3)),
        set(&classic(None), "current", 50.0),
        traub.clone(),
        bundled("traub_km"),
        bundled("hh_a"),
    ] {
        let eq = equilibria(&sys);
        assert!(!eq.is_empty());
        for e in &eq {
            assert!(
                sys.rhs(&e.state).amax() <= 1e-10,
                "residual at {:?}",
                e.state
            );
            if e.stable() {
                // RK4 leaves an equilibrium fixed, so a kicked start must come back to it; the
                // slowest decay (≥ 0.01/ms here) shrinks a 1 mV kick below 1e-8 mV in 2 s.
                assert!(e.eigenvalues[0].re < -0.01, "{sys:?}: {:?}", e.eigenvalues);
                let mut s = e.state.clone();
                s[0] += 1.0;
                for _ in 0..200_000 {
                    s = sys.step(Method::Rk4, &s, 0.01);
                }
                assert!((s[0] - e.v()).abs() < 1e-6, "{} vs {}", s[0], e.v());
            }
        }
    }
    // The classic model rests stably without input, with either leak; the sweep's Traub neuron
    // has no stable rest at I = 0 (it fires on its own).
    assert!(equilibria(&classic(None)).iter().any(|e| e.stable()));
    assert!(equilibria(&classic(Some(0.3))).iter().any(|e| e.stable()));
    assert!(equilibria(&traub).iter().all(|e| !e.stable()));
}

#[test]
fn jacobian_and_its_eigenvalues_match_finite_differences() {
    let rest = equilibria(&classic(Some(0.3)))[0].state.clone();
    let cases = [
        (classic(Some(0.3)), rest),
        (classic(None), DVector::from_vec(vec![-50.0, 0.2, 0.5, 0.4])),
        (
            set(&bundled("traub"), "current", 100.0),
            DVector::from_vec(vec![-55.0, 0.1, 0.6, 0.3]),
        ),
        // The singular voltage of the Traub file's αm (13 − (v − vt) = 0 at vt = −63).
        (
            bundled("traub"),
            DVector::from_vec(vec![-50.0, 0.1, 0.6, 0.3]),
        ),
        // Models with five and six states.
        (
            bundled("traub_km"),
            DVector::from_vec(vec![-55.0, 0.1, 0.6, 0.3, 0.05]),
        ),
        (
            set(&bundled("hh_a"), "current", 10.0),
            DVector::from_vec(vec![-60.0, 0.1, 0.5, 0.3, 0.4, 0.2]),
        ),
    ];
    for (sys, x) in cases {
        assert_eq!(x.len(), sys.dim(), "{sys:?}");
        // Central differences with steps 1e-4 mV and 1e-6: truncation ≈ h²·f''' and rounding
        // ≈ ε·|f|/h both stay near 1e-9 of the largest entry, well inside 1e-6.
        let n = sys.dim();
        let mut fd = DMatrix::zeros(n, n);
        for k in 0..n {
            let h = if k == 0 { 1e-4 } else { 1e-6 };
            let mut e = DVector::zeros(n);
            e[k] = h;
            fd.set_column(
                k,
                &((sys.rhs(&(&x + &e)) - sys.rhs(&(&x - &e))) / (2.0 * h)),
            );
        }
        let analytic = sys.jacobian(&x);
        let scale = fd.amax();
        assert!(
            (&analytic - &fd).amax() <= 1e-6 * scale,
            "{analytic} vs {fd}"
        );
        let sorted = |m: DMatrix<f64>| {
            let mut e: Vec<_> = m.complex_eigenvalues().iter().copied().collect();
            e.sort_by(|a, b| a.re.total_cmp(&b.re).then(a.im.total_cmp(&b.im)));
            e
        };
        for (a, b) in sorted(analytic).iter().zip(sorted(fd)) {
            assert!((a - b).norm() <= 1e-6 * scale, "{a} vs {b}");
        }
    }
}

#[test]
fn classic_hopf_points_and_cycle_fold_hold_under_grid_refinement() {
    // Literature, textbook leak (Rinzel & Miller 1980; Izhikevich 2007, ch. 6): subcritical
    // Hopf points at I ≈ 9.78 and 154.5 µA/cm², the stable cycle's fold at I ≈ 6.26.
    let expected_gl_03 = (9.78, 154.5, 6.26);
    let cpu = Engine::Cpu;
    for gl in [None, Some(0.3)] {
        let hopf = |count| equilibrium_branches(&grid(classic(gl), 0.0, 200.0, count, 100.0)).1;
        let (coarse, fine) = (hopf(101), hopf(201));
        assert_eq!(coarse.len(), 2, "gl {gl:?}: {coarse:?}");
        assert_eq!(fine.len(), 2);
        for (a, b) in coarse.iter().zip(&fine) {
            assert!(
                (a.value - b.value).abs() <= 1e-6 * b.value,
                "{a:?} vs {b:?}"
            );
        }
        // The fold below the first Hopf point, where the down-sweep's cycle ends, on grids of
        // 1 and 0.5 µA/cm².
        let fold = |count| {
            let d = bifurcation(&cpu, &grid(classic(gl), 0.0, 12.0, count, 100.0), |_| {})
                .expect("the analysis runs");
            let folds: Vec<_> = d
                .cycle_fold
                .iter()
                .filter(|f| f.direction == Direction::Down)
                .cloned()
                .collect();
            assert_eq!(folds.len(), 1, "{:?}", d.cycle_fold);
            assert_eq!(
                folds[0].located_by, "shooting",
                "{count} values, gl {gl:?}: {folds:?}"
            );
            folds[0].value
        };
        let (a, b) = (fold(13), fold(25));
        assert!((a - b).abs() <= 1e-6 * b, "cycle fold {a} vs {b}");
        assert!(
            b < fine[0].value,
            "the cycle fold {b} lies below the first Hopf point"
        );
        if gl.is_some() {
            let (h1, h2, f) = expected_gl_03;
            assert!((fine[0].value - h1).abs() < 0.01, "{fine:?}");
            assert!((fine[1].value - h2).abs() < 0.1, "{fine:?}");
            assert!((b - f).abs() < 0.01, "{b}");
        }
    }
}

#[test]
fn traub_sweep_neuron_fires_spontaneously_as_a_cycle_at_zero_current() {
    let spec = grid(bundled("traub"), 0.0, 10.0, 3, 300.0);
    let f = fi_curve(&Engine::Cpu, &spec, |_| {}).expect("the analysis runs");
    assert!(f.up_hz[0] > 5.0 && f.down_hz[0] > 5.0, "{f:?}");
    assert_eq!(f.rheobase, Some(0.0));
}

/// The firing frequency of one neuron run from the model's initial state (BrainPy's, for
/// `hh`) from its spikes after `settle_ms`.
fn single_run_frequency_hz(sys: &System, settle_ms: f64) -> f64 {
    let model = sys.model().clone();
    let pop = Population {
        init: vec![steady::initial_state(&model, sys.params())],
        params: vec![sys.params().to_vec()],
        current: vec![sys.current],
        threshold: vec![model.threshold],
        stimulus: Stimulus::default(),
        first_index: 0,
        model,
    };
    let cfg = RunConfig {
        method: Method::ExpEuler,
        dt_ms: 0.01,
        n_steps: 100_000,
        record_every: 0,
        spike_steps: true,
    };
    let r = Engine::Cpu
        .run_population(Precision::F64, &pop, &cfg)
        .unwrap();
    let t: Vec<f64> = r
        .spikes
        .times_ms(0.01)
        .into_iter()
        .filter(|&t| t > settle_ms)
        .collect();
    1000.0 * (t.len() - 1) as f64 / (t[t.len() - 1] - t[0])
}

#[test]
fn batched_cycle_frequency_equals_a_single_neuron_run() {
    let spec = grid(classic(None), 18.0, 22.0, 3, 100.0);
    let f = fi_curve(&Engine::Cpu, &spec, |_| {}).expect("the analysis runs");
    let single = single_run_frequency_hz(&set(&classic(None), "current", 20.0), 300.0);
    // Spike times sit on the 0.01 ms grid (±0.01 ms over a 700 ms span) and the batched period
    // averages interpolated crossings: both within 1e-4 of the cycle's frequency.
    assert!(
        (f.up_hz[1] - single).abs() <= 1e-3 * single,
        "{} vs {single}",
        f.up_hz[1]
    );
}

#[test]
fn gpu_cycle_search_equals_the_cpu_twin() {
    let Some(ctx) = common::gpu(true) else { return };
    let spec = grid(classic(None), 0.0, 20.0, 6, 100.0);
    let cpu = fi_curve(&Engine::Cpu, &spec, |_| {}).unwrap();
    let gpu = fi_curve(&Engine::Gpu(std::sync::Arc::new(ctx)), &spec, |_| {}).unwrap();
    // f64 on both: the software exp differs from libm by ulps, which moves interpolated
    // crossings by far less than 1e-9 of a period and changes no classification.
    for (a, b) in cpu
        .up_hz
        .iter()
        .chain(&cpu.down_hz)
        .zip(gpu.up_hz.iter().chain(&gpu.down_hz))
    {
        assert!((a - b).abs() <= 1e-9 * a.max(1.0), "{a} vs {b}");
    }
    assert!(cpu.up_hz.iter().any(|&f| f > 0.0));
}

#[test]
fn phase_plane_fixed_points_lie_on_both_nullclines() {
    let km = set(&bundled("traub_km"), "current", 20.0);
    let p = km.state_index("p").unwrap();
    // The 1952 model's V–n plane in Rinzel's reduction, and the M-current model's V–p plane
    // with every other gate at steady state.
    for (sys, gate, reduction) in [
        (classic(Some(0.3)), 3, Reduction::Rinzel),
        (km, p, Reduction::Steady),
    ] {
        let spec = PhasePlaneSpec {
            sys: sys.clone(),
            gate,
            reduction,
            v_range: (-90.0, 60.0),
            n_range: (0.0, 1.0),
            starts: vec![(-50.0, 0.4)],
            method: Method::ExpEuler,
            dt_ms: 0.01,
            duration_ms: 20.0,
        };
        let plane = phase_plane(&spec).unwrap();
        assert!(!plane.fixed_points.is_empty(), "{sys:?}");
        for f in &plane.fixed_points {
            let (dv, dn) = spec.field(f.v, f.gate);
            assert!(dv.abs() < 1e-8 && dn.abs() < 1e-8, "{f:?}: {dv}, {dn}");
            // The drawn V-nullcline passes through it, steep there or not (the M-current's is
            // vertical at its fixed point): a point within a grid step (0.27 mV, 0.0025).
            assert!(
                plane
                    .v_nullcline
                    .iter()
                    .any(|&(v, x)| (v - f.v).abs() < 0.3 && (x - f.gate).abs() < 0.003),
                "{f:?}"
            );
        }
        assert_eq!(plane.trajectories[0].len(), 201);
        if reduction == Reduction::Steady {
            // With every gate at steady state the plane's fixed points are the full model's
            // equilibria, V for V.
            let full: Vec<f64> = equilibria(&sys).iter().map(|e| e.v()).collect();
            assert_eq!(full.len(), plane.fixed_points.len(), "{full:?}");
            for (f, v) in plane.fixed_points.iter().zip(&full) {
                assert!((f.v - v).abs() < 1e-6, "{} vs {v}", f.v);
            }
        } else {
            // The reduced model rests stably near the full model's resting potential.
            let rest = equilibria(&sys)[0].v();
            assert!(
                plane
                    .fixed_points
                    .iter()
                    .any(|f| f.stable && (f.v - rest).abs() < 5.0)
            );
        }
    }
}

#[test]
fn folds_of_equilibria_are_where_a_real_eigenvalue_crosses_zero() {
    // With gK lowered to 5 mS/cm² the steady-state I–V curve of the classic model is N-shaped:
    // two folds along the current, where equilibria are born and die in pairs.
    let base = set(&classic(None), "gk", 5.0);
    let folds = |count| equilibrium_branches(&grid(base.clone(), -40.0, 10.0, count, 100.0)).2;
    let (coarse, fine) = (folds(26), folds(51));
    assert_eq!(fine.len(), 2, "{fine:?}");
    for (a, b) in coarse.iter().zip(&fine) {
        assert!(
            (a.value - b.value).abs() <= 1e-6 * b.value.abs().max(1.0),
            "{a:?} vs {b:?}"
        );
        let sys = set(&base, "current", b.value);
        let x = sys.resting_at(b.v);
        // At the fold the state is an equilibrium with a zero eigenvalue; bisection leaves the
        // value within 1e-10 of it, so both vanish to well below the eigenvalues' scale (≈ 1).
        assert!(sys.rhs(&x).amax() < 1e-8, "{b:?}: {}", sys.rhs(&x));
        let smallest = sys
            .jacobian(&x)
            .complex_eigenvalues()
            .iter()
            .map(|e| e.norm())
            .fold(f64::INFINITY, f64::min);
        assert!(smallest < 1e-4, "{b:?}: smallest |λ| {smallest}");
    }
}
