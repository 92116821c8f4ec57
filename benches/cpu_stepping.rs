//! CPU reference (the twin of the generated kernels) throughput in neuron-steps/s: one neuron and 10 000 neurons, every method, f32
//! and f64, Traub neurons driven at 0–20 pA. dt is 0.01 ms: the explicit methods diverge on the
//! Traub neuron at the sweep's 0.1 ms (its Na⁺ time constant gNa/C is ≈ 0.01 ms).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hhsim::backend::Engine;
use hhsim::backend::population::{Population, RunConfig};
use hhsim::builtin::BuiltIn;
use hhsim::integrate::Method;
use hhsim::kernel::Real;
use std::time::Duration;

/// `n` Traub neurons (as `--model traub` runs them) with currents spread over the sweep's 0–20 pA.
fn population(n: usize) -> Population {
    let traub = BuiltIn::Traub;
    let model = traub.model();
    let params = model.default_parameters();
    Population::uniform(
        model.clone(),
        traub.kernel_row(&model, &params),
        traub.grid_start(&model, &params),
        (0..n).map(|j| 20.0 * j as f64 / n as f64).collect(),
    )
}

fn bench_precision<R: Real>(c: &mut Criterion, n_neurons: usize, n_steps: usize) {
    let pop = population(n_neurons);
    let mut group = c.benchmark_group(format!("cpu_stepping/{n_neurons}_neurons"));
    group.throughput(Throughput::Elements((n_neurons * n_steps) as u64));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for method in [Method::ExpEuler, Method::Rk4, Method::Rk2, Method::Euler] {
        let cfg = RunConfig {
            method,
            dt_ms: 0.01,
            n_steps,
            record_every: 0,
            spike_steps: false,
        };
        group.bench_function(BenchmarkId::new(method.name(), R::NAME), |b| {
            b.iter(|| {
                Engine::Cpu
                    .run_population(R::PRECISION, &pop, &cfg)
                    .unwrap()
            })
        });
    }
    group.finish();
}

fn cpu_stepping(c: &mut Criterion) {
    bench_precision::<f32>(c, 1, 10_000);
    bench_precision::<f64>(c, 1, 10_000);
    bench_precision::<f32>(c, 10_000, 100);
    bench_precision::<f64>(c, 10_000, 100);
}

criterion_group!(benches, cpu_stepping);
criterion_main!(benches);
