//! 90 000 uncoupled Traub neurons (the bundled file's generated kernel) × 1000 exponential-Euler steps at dt 0.1 ms (currents over the
//! sweep's 0–20 pA), on the GPU in f32 and f64 and on the CPU reference in f64, side by side in
//! one run: throughput in neuron-steps/s, and the GPU/CPU ratio from the same process.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use hhsim::backend::Engine;
use hhsim::backend::gpu::GpuContext;
use hhsim::input::Stimulus;
use hhsim::integrate::Method;
use hhsim::model::{InitialState, Params, Precision};
use hhsim::population::{NeuronSpec, Population, RunConfig};
use std::sync::Arc;
use std::time::Duration;

const N_NEURONS: usize = 90_000;
const N_STEPS: usize = 1000;

fn population() -> Population {
    let params = Params::traub();
    let init = InitialState::Sweep.state(&params).unwrap();
    let neurons = (0..N_NEURONS)
        .map(|j| NeuronSpec {
            params,
            init,
            current: 20.0 * j as f64 / N_NEURONS as f64,
        })
        .collect();
    Population {
        neurons,
        stimulus: Stimulus::default(),
        first_index: 0,
    }
}

fn gpu_population(c: &mut Criterion) {
    let pop = population();
    let cfg = RunConfig {
        method: Method::ExpEuler,
        dt_ms: 0.1,
        duration_ms: N_STEPS as f64 * 0.1,
        record_every: None,
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
                b.iter(|| gpu.run(Precision::F32, &pop, &cfg).unwrap())
            });
            if f64 {
                group.bench_function(BenchmarkId::new("gpu", "f64"), |b| {
                    b.iter(|| gpu.run(Precision::F64, &pop, &cfg).unwrap())
                });
            }
        }
        Err(e) => eprintln!("no GPU benchmark: {e}"),
    }
    group.bench_function(BenchmarkId::new("cpu", "f64"), |b| {
        b.iter(|| Engine::Cpu.run(Precision::F64, &pop, &cfg).unwrap())
    });
    group.finish();
}

criterion_group!(benches, gpu_population);
criterion_main!(benches);
