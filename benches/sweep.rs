//! The gNa × I sweep end to end, as a user runs it: the `hhsim sweep` process from start to
//! files written, on the GPU in f32 and f64 and on the CPU reference, side by side. The grid is
//! the published 300 × 300; the simulated time is 100 ms (1000 steps) so that criterion's ten
//! samples per row stay practical — `hhsim bench` times the full 1 s job.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use hhsim::backend::gpu::GpuContext;
use std::process::Command;
use std::time::Duration;

const SIZE: usize = 300;
const DURATION_MS: f64 = 100.0;

fn run_sweep(out: &std::path::Path, backend: &str, precision: &str) {
    let status = Command::new(env!("CARGO_BIN_EXE_hhsim"))
        .args([
            "sweep",
            "--gna",
            &format!("10:100:{SIZE}"),
            "--current",
            &format!("0:20:{SIZE}"),
        ])
        .args([
            "--duration",
            &DURATION_MS.to_string(),
            "--backend",
            backend,
            "--precision",
            precision,
        ])
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("hhsim runs");
    assert!(status.success());
}

fn sweep(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group(format!("sweep/{SIZE}x{SIZE}x{DURATION_MS}ms_end_to_end"));
    group.throughput(Throughput::Elements(
        (SIZE * SIZE) as u64 * (DURATION_MS / 0.1) as u64,
    ));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(5));
    let mut configs = vec![];
    if let Ok(ctx) = GpuContext::new(false) {
        configs.push(("gpu", "f32"));
        if ctx.adapter.f64 {
            configs.push(("gpu", "f64"));
        }
    }
    configs.push(("cpu", "f64"));
    for (backend, precision) in configs {
        let out = tmp.path().join(format!("{backend}-{precision}"));
        group.bench_function(BenchmarkId::new(backend, precision), |b| {
            b.iter(|| run_sweep(&out, backend, precision))
        });
    }
    group.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
