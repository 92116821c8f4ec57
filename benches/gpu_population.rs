//! 90 000 uncoupled Traub neurons (the bundled file's generated kernel) × 1000 exponential-Euler steps at dt 0.1 ms (currents over the
//! sweep's 0–20 pA), on the GPU in f32 and f64 and on the CPU reference in f64, side by side in
//! one run: throughput in neuron-steps/s, and the GPU/CPU ratio from the same process.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use hhsim::backend::Engine;
use hhsim::backend::gpu::GpuContext;
use hhsim::backend::population::{Population, RunConfig};
use hhsim::builtin::BuiltIn;
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use std::sync::Arc;
use std::time::Duration;

const N_NEURONS: usize = 90_000;
const N_STEPS: usize = 1000;

/// Traub neurons (as `--model traub` runs them) with currents spread over the sweep's 0–20 pA.
fn population() -> Population {
    let traub = BuiltIn::Traub;
    let model = traub.model();
    let params = model.default_parameters();
    Population::uniform(
        model.clone(),
        traub.kernel_row(&model, &params),
        traub.grid_start(&model, &params),
        (0..N_NEURONS)
            .map(|j| 20.0 * j as f64 / N_NEURONS as f64)
            .collect(),
    )
}

fn gpu_population(c: &mut Criterion) {
    let pop = population();
    let cfg = RunConfig {
        method: Method::ExpEuler,
        dt_ms: 0.1,
        n_steps: N_STEPS,
        record_every: 0,
        spike_steps: false,
    };
    let mut group = c.benchmark_group("gpu_population/90000_traub_x_1000_steps");
    group.throughput(Throughput::Elements((N_NEURONS * N_STEPS) as u64));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(5));
    match GpuContext::new(true).or_else(|_| GpuContext::new(false)) {
        Ok(ctx) => {
            eprintln!("adapter: {} ({})", ctx.adapter.name, ctx.adapter.backend);
            let f64 = ctx.adapter.f64;
            let gpu = Engine::Gpu(Arc::new(ctx));
            group.bench_function(BenchmarkId::new("gpu", "f32"), |b| {
                b.iter(|| gpu.run_population(Precision::F32, &pop, &cfg).unwrap())
            });
            if f64 {
                group.bench_function(BenchmarkId::new("gpu", "f64"), |b| {
                    b.iter(|| gpu.run_population(Precision::F64, &pop, &cfg).unwrap())
                });
            }
        }
        Err(e) => eprintln!("no GPU benchmark: {e}"),
    }
    group.bench_function(BenchmarkId::new("cpu", "f64"), |b| {
        b.iter(|| {
            Engine::Cpu
                .run_population(Precision::F64, &pop, &cfg)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, gpu_population);
criterion_main!(benches);
