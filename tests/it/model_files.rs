//! Model files on the GPU: the generated kernel against its CPU twin for every bundled model,
//! spike for spike in f64, and within a spike in f32.

use crate::common;

use hhsim::backend::Engine;
use hhsim::backend::population::{Population, RunConfig};
use hhsim::input::Stimulus;
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use hhsim::kernel::steady;
use hhsim::model::{BUNDLED, Model};
use std::sync::Arc;

/// 24 neurons driven from rest to fast firing: currents up to 3 µA/cm² (density models) or
/// 300 pA (Traub cells), 200 ms.
fn population(name: &str) -> Population {
    let model = Model::bundled(name).unwrap();
    let params = model.default_parameters();
    let top = match model.units {
        hhsim::model::Units::Density => 30.0,
        hhsim::model::Units::Absolute => 300.0,
    };
    let n = 24;
    Population {
        init: vec![steady::initial_state(&model, &params); n],
        params: vec![params; n],
        current: (0..n).map(|k| top * k as f64 / (n - 1) as f64).collect(),
        threshold: vec![model.threshold; n],
        stimulus: Stimulus::default(),
        first_index: 0,
        model,
    }
}

#[test]
fn generated_kernels_match_their_cpu_twin() {
    let Some(ctx) = common::gpu(true) else { return };
    let gpu = Engine::Gpu(Arc::new(ctx));
    for (name, _) in BUNDLED {
        let pop = population(name);
        for method in [Method::ExpEuler, Method::Rk4] {
            let cfg = RunConfig {
                method,
                dt_ms: 0.02,
                n_steps: 10_000,
                record_every: 50,
                spike_steps: true,
            };
            let cpu = Engine::Cpu
                .run_population(Precision::F64, &pop, &cfg)
                .unwrap();
            let on_gpu = gpu.run_population(Precision::F64, &pop, &cfg).unwrap();
            assert!(
                cpu.spikes.len() > 20,
                "{name} {method:?}: {} spikes",
                cpu.spikes.len()
            );
            // f64: the same ops in the same order, with the shader's own exp ported to the CPU.
            assert_eq!(cpu.spikes, on_gpu.spikes, "{name} {method:?} f64");
            let (_, cpu_trace) = cpu.trace.as_ref().unwrap();
            let (_, gpu_trace) = on_gpu.trace.as_ref().unwrap();
            for (c, g) in cpu_trace.iter().zip(gpu_trace) {
                let worst = (c - g).iter().fold(0.0f64, |m, d| m.max(d.abs()));
                // Identical ops; a last-bit difference (e.g. a fused multiply-add the driver
                // chose) may grow over 10 000 steps, but stays far below a microvolt.
                assert!(worst < 1e-6, "{name} {method:?}: trace differs by {worst}");
            }
            let cpu32 = Engine::Cpu
                .run_population(Precision::F32, &pop, &cfg)
                .unwrap();
            let gpu32 = gpu.run_population(Precision::F32, &pop, &cfg).unwrap();
            for (k, (&a, &b)) in cpu32
                .spike_counts
                .iter()
                .zip(&gpu32.spike_counts)
                .enumerate()
            {
                // f32: the GPU's exp differs from the host's in the last bits, which can move a
                // spike across the end of the run.
                assert!(
                    a.abs_diff(b) <= 1,
                    "{name} {method:?} f32 neuron {k}: {a} vs {b}"
                );
                let reference = cpu.spike_counts[k];
                assert!(
                    a.abs_diff(reference) <= 1,
                    "{name} {method:?} f32 vs f64 neuron {k}: {a} vs {reference}"
                );
            }
        }
    }
}

/// A grid of the traub file by path semantics (no built-in alias) over two `axes`: exp-Euler
/// at 0.1 ms for 1 s in f64.
fn traub_file_grid(axes: [&str; 2]) -> hhsim::sweep::grid::Grid {
    use hhsim::sweep::grid::{Axis, Grid};
    let model = Model::bundled("traub").unwrap();
    Grid {
        base: model.default_parameters(),
        axes: axes
            .iter()
            .map(|a| Axis::parse(&model, None, a).unwrap())
            .collect(),
        stimulus: Stimulus::default(),
        method: Method::ExpEuler,
        precision: Precision::F64,
        dt_ms: 0.1,
        n_steps: 10_000,
        builtin: None,
        model,
    }
}

/// The spike threshold is a sweep axis of every model file: thresholds up to 60 mV, above the
/// spikes' peak, count fewer spikes than -20 mV in every current.
#[test]
fn a_threshold_above_the_spike_peak_counts_fewer_spikes() {
    let engine = match common::gpu(true) {
        Some(ctx) => Engine::Gpu(Arc::new(ctx)),
        None => Engine::Cpu,
    };
    let sweep = traub_file_grid(["threshold=-20:60:5", "current=0:200:9"]);
    let counts = sweep.run_chunk(&engine, 0..sweep.n_cells()).unwrap();
    let column = |k: usize| counts.iter().skip(k).step_by(5).sum::<u32>();
    assert!(column(0) > 100, "{}", column(0));
    assert!(column(4) < column(0), "{} vs {}", column(4), column(0));
}

/// The bundled Traub file reproduces the hand-written kernel's published job: Brian2's
/// 300 × 300 gNa × I sweep in f64, 1 s, identical in every cell. The fixture was written by
/// `hhsim sweep --precision f64` with the hand-written kernel, before it was retired.
#[test]
fn the_traub_file_reproduces_the_f64_sweep_fixture() {
    use ndarray_npy::ReadNpyExt;
    // 900 million f64 neuron-steps: the GPU's work, not the twin's.
    let Some(ctx) = common::gpu(true) else { return };
    let engine = Engine::Gpu(Arc::new(ctx));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/brian2_sweep_f64_spike_counts.npy"
    );
    let fixture = ndarray::Array2::<u32>::read_npy(std::fs::File::open(path).unwrap()).unwrap();
    let sweep = traub_file_grid(["gna=10:100:300", "current=0:20:300"]);
    let counts = sweep.run_chunk(&engine, 0..sweep.n_cells()).unwrap();
    let fixture: Vec<u32> = fixture.iter().copied().collect();
    let differing = counts.iter().zip(&fixture).filter(|(a, b)| a != b).count();
    assert_eq!(counts.len(), 90_000);
    assert_eq!(differing, 0, "{differing} of 90 000 cells differ");
}

/// On the CPU a model file also runs forward Euler and RK2, built from its derivatives: the
/// twin's batched steps give the spikes of the analysis's host steps (`System::step`, one
/// neuron at a time through nalgebra, the methods' formulas written separately) exactly, as
/// both evaluate the same tape with the same operations in f64.
#[test]
fn cpu_only_methods_of_a_model_file_match_the_host_steps() {
    use hhsim::analysis::System;
    use hhsim::monitor::Spikes;
    use nalgebra::DVector;
    let file = population("traub");
    let (dt, n_steps) = (0.005, 20_000);
    for method in [Method::Euler, Method::Rk2] {
        let cfg = RunConfig {
            method,
            dt_ms: dt,
            n_steps,
            record_every: 0,
            spike_steps: true,
        };
        let from_file = Engine::Cpu
            .run_population(Precision::F64, &file, &cfg)
            .unwrap();
        let mut pairs = Vec::new();
        for (neuron, &current) in file.current.iter().enumerate() {
            let sys =
                System::new(file.model.clone(), current).with_params(file.params[neuron].clone());
            let threshold = file.threshold[neuron];
            let mut s = DVector::from_vec(file.init[neuron].clone());
            for k in 0..n_steps {
                let next = sys.step(method, &s, dt);
                if s[0] < threshold && next[0] >= threshold {
                    pairs.push((k as u64, neuron as u32));
                }
                s = next;
            }
        }
        let reference = Spikes::from_pairs(pairs);
        assert!(reference.len() > 20, "{method:?}: too few spikes");
        assert_eq!(from_file.spikes, reference, "{method:?}");
    }
}

/// A model's kernel compiles once per process: running the same model again, with other
/// parameters and currents, reuses the compiled pipeline; another method compiles another.
#[test]
fn a_models_kernel_compiles_once_per_process() {
    let Some(ctx) = common::gpu(false) else {
        return;
    };
    let ctx = Arc::new(ctx);
    let gpu = Engine::Gpu(ctx.clone());
    let cfg = |method| RunConfig {
        method,
        dt_ms: 0.05,
        n_steps: 100,
        record_every: 0,
        spike_steps: false,
    };
    let mut pop = population("traub_km");
    gpu.run_population(Precision::F32, &pop, &cfg(Method::ExpEuler))
        .unwrap();
    let compiled = ctx.compiled_pipelines();
    pop.current.iter_mut().for_each(|i| *i += 10.0);
    pop.params.iter_mut().for_each(|p| p[1] *= 1.1);
    gpu.run_population(Precision::F32, &pop, &cfg(Method::ExpEuler))
        .unwrap();
    assert_eq!(
        ctx.compiled_pipelines(),
        compiled,
        "the same kernel compiled again"
    );
    gpu.run_population(Precision::F32, &pop, &cfg(Method::Rk4))
        .unwrap();
    assert_eq!(ctx.compiled_pipelines(), compiled + 1);
}
