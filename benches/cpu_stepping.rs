//! CPU reference (the twin of the generated kernels) throughput in neuron-steps/s: one neuron and 10 000 neurons, every method, f32
//! and f64, Traub neurons driven at 0–20 pA. dt is 0.01 ms: the explicit methods diverge on the
//! Traub neuron at the sweep's 0.1 ms (its Na⁺ time constant gNa/C is ≈ 0.01 ms).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hhsim::backend::Engine;
use hhsim::input::Stimulus;
use hhsim::integrate::Method;
use hhsim::model::{InitialState, Params, Real};
use hhsim::population::{NeuronSpec, Population, RunConfig};
use std::time::Duration;

/// `n` Traub neurons with currents spread over the sweep's 0–20 pA.
fn population(n: usize) -> Population {
    let params = Params::traub();
    let init = InitialState::Sweep.state(&params).unwrap();
    let neurons = (0..n)
        .map(|j| NeuronSpec {
            params,
            init,
            current: 20.0 * j as f64 / n as f64,
        })
        .collect();
    Population {
        neurons,
        stimulus: Stimulus::default(),
        first_index: 0,
    }
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
            duration_ms: n_steps as f64 * 0.01,
            record_every: None,
            spike_steps: false,
        };
        group.bench_function(BenchmarkId::new(method.name(), R::NAME), |b| {
            b.iter(|| Engine::Cpu.run(R::PRECISION, &pop, &cfg).unwrap())
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
