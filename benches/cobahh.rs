//! COBA-HH at S = 1 (4000 neurons, 1 simulated second per iteration) and S = 10 (40 000 neurons,
//! 100 ms per iteration, to keep ten samples practical), in-degree 80, on the GPU in f32 and f64
//! and on the CPU reference in f64, side by side: neuron-steps/s (criterion's throughput).
//! The network is built once per scale, outside the timing. `hhsim bench --workload cobahh`
//! times whole processes, S = 100 included.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use hhsim::backend::Engine;
use hhsim::backend::network::NetConfig;
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use hhsim::network::cobahh::{CobaHh, Variant};
use std::time::Duration;

fn cobahh(c: &mut Criterion) {
    let gpu = hhsim::backend::gpu::GpuContext::new(true)
        .or_else(|_| hhsim::backend::gpu::GpuContext::new(false))
        .ok()
        .map(|ctx| Engine::Gpu(std::sync::Arc::new(ctx)));
    let cpu = Engine::Cpu;
    let cfg = NetConfig {
        method: Method::ExpEuler,
        dt_ms: 0.1,
        duration_ms: 1000.0,
        record: vec![],
        record_every: 1,
    };
    for (scale, duration_ms) in [(1.0, 1000.0), (10.0, 100.0)] {
        let cfg = NetConfig {
            duration_ms,
            ..cfg.clone()
        };
        let net = CobaHh::new(Variant::Brian2, scale, 1).build().unwrap();
        let mut group = c.benchmark_group(format!("cobahh/S{scale}_{duration_ms}ms"));
        group.throughput(Throughput::Elements(
            (net.n_neurons() * cfg.n_steps()) as u64,
        ));
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_secs(5));
        let mut rows: Vec<(&Engine, Precision, &str)> = Vec::new();
        if let Some(gpu) = &gpu {
            rows.push((gpu, Precision::F32, "gpu"));
            if let Engine::Gpu(ctx) = gpu
                && ctx.adapter.f64
            {
                rows.push((gpu, Precision::F64, "gpu"));
            }
        }
        rows.push((&cpu, Precision::F64, "cpu"));
        for (engine, precision, name) in rows {
            group.bench_function(BenchmarkId::new(name, precision.name()), |b| {
                b.iter(|| {
                    let mut spikes = hhsim::monitor::SpikeList::new();
                    engine
                        .run_network(precision, &net, &cfg, &mut spikes, |_| Ok(()))
                        .unwrap()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, cobahh);
criterion_main!(benches);
