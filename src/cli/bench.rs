//! `hhsim bench`: end-to-end timings of the reference workloads, each run as its own `hhsim`
//! process (process start to files written), per backend and precision, with neuron-steps/s
//! and the ratio to the CPU reference measured in the same session.

use hhsim::backend::gpu::GpuContext;
use hhsim::error::{Error, Result};
use hhsim::output::OutputDir;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Grid size N of the gNa × I sweep (N × N cells).
    #[arg(long, default_value_t = 300)]
    size: usize,
    /// Simulated time [ms].
    #[arg(long, default_value_t = 1000.0)]
    duration: f64,
    /// Skip the CPU reference (the slowest row).
    #[arg(long)]
    no_cpu: bool,
    /// Where each run writes its results, and bench.json.
    #[arg(long, default_value = "out/bench")]
    out: PathBuf,
}

#[derive(Serialize)]
struct Row {
    workload: String,
    backend: &'static str,
    precision: &'static str,
    wall_s: f64,
    setup_s: f64,
    simulate_s: f64,
    neuron_steps: f64,
    /// Neuron-steps per wall second of the whole process.
    neuron_steps_per_s: f64,
    /// CPU reference wall time / this wall time.
    speedup_vs_cpu: Option<f64>,
}

/// Runs `hhsim sweep` as a child process and times it from spawn to exit.
fn timed_sweep(
    out: &Path,
    size: usize,
    duration: f64,
    backend: &str,
    precision: &str,
) -> Result<(f64, serde_json::Value)> {
    let exe = std::env::current_exe().map_err(|e| Error::Write {
        path: "hhsim".into(),
        reason: e.to_string(),
    })?;
    let grid = |range: &str| format!("{range}:{size}");
    let args = [
        "sweep".to_string(),
        "--gna".into(),
        grid("10:100"),
        "--current".into(),
        grid("0:20"),
        "--duration".into(),
        duration.to_string(),
        "--backend".into(),
        backend.into(),
        "--precision".into(),
        precision.into(),
        "--out".into(),
        out.display().to_string(),
    ];
    let start = Instant::now();
    let status = Command::new(exe)
        .args(&args)
        .status()
        .map_err(|e| Error::Write {
            path: out.to_owned(),
            reason: e.to_string(),
        })?;
    let wall = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(Error::Write {
            path: out.to_owned(),
            reason: format!("hhsim {} failed with {status}", args.join(" ")),
        });
    }
    let summary = std::fs::read_to_string(out.join("summary.json")).map_err(|e| Error::Write {
        path: out.join("summary.json"),
        reason: e.to_string(),
    })?;
    Ok((
        wall,
        serde_json::from_str(&summary).map_err(|e| Error::Write {
            path: out.join("summary.json"),
            reason: e.to_string(),
        })?,
    ))
}

pub fn run(args: BenchArgs) -> Result<()> {
    if args.size == 0 {
        return Err(Error::invalid("--size", 0, "at least 1"));
    }
    if !(args.duration > 0.0 && args.duration.is_finite()) {
        return Err(Error::invalid(
            "--duration",
            args.duration,
            "a finite time > 0 ms",
        ));
    }
    let dir = OutputDir::create(&args.out)?;
    let mut configs = Vec::new();
    match GpuContext::new(false) {
        Ok(ctx) => {
            println!(
                "adapter: {} ({}), f64: {}",
                ctx.adapter.name, ctx.adapter.backend, ctx.adapter.f64
            );
            configs.push(("gpu", "f32"));
            if ctx.adapter.f64 {
                configs.push(("gpu", "f64"));
            }
        }
        Err(e) => println!("no GPU rows: {e}"),
    }
    if !args.no_cpu {
        configs.push(("cpu", "f64"));
    }
    let workload = format!("sweep {0}×{0}×{1} ms", args.size, args.duration);
    let neuron_steps = (args.size * args.size) as f64 * (args.duration / 0.1).round();
    let mut rows = Vec::new();
    // The whole process for one step of the first configuration: what a user waits before
    // integration starts (no code generation or compile step).
    if let Some((backend, precision)) = configs.first() {
        let (wall, _) = timed_sweep(
            &args.out.join("first-step"),
            args.size,
            0.1,
            backend,
            precision,
        )?;
        println!(
            "time to first integrated step ({backend} {precision}, whole 1-step process): {wall:.3} s"
        );
    }
    for (backend, precision) in configs {
        let (wall, summary) = timed_sweep(
            &args.out.join(format!("{backend}-{precision}")),
            args.size,
            args.duration,
            backend,
            precision,
        )?;
        let get = |k: &str| summary[k].as_f64().unwrap_or(f64::NAN);
        rows.push(Row {
            workload: workload.clone(),
            backend,
            precision,
            wall_s: wall,
            setup_s: get("setup_s"),
            simulate_s: get("simulate_s"),
            neuron_steps,
            neuron_steps_per_s: neuron_steps / wall,
            speedup_vs_cpu: None,
        });
        let r = rows.last().expect("just pushed");
        println!(
            "{:<28} {:<4} {:<4} wall {:>8.2} s  setup {:>6.3} s  {:>10.3e} neuron-steps/s",
            r.workload, r.backend, r.precision, r.wall_s, r.setup_s, r.neuron_steps_per_s
        );
    }
    if let Some(cpu_wall) = rows.iter().find(|r| r.backend == "cpu").map(|r| r.wall_s) {
        for r in &mut rows {
            r.speedup_vs_cpu = Some(cpu_wall / r.wall_s);
        }
        println!();
        for r in &rows {
            println!(
                "{} {}: {:.2}× the CPU reference",
                r.backend,
                r.precision,
                cpu_wall / r.wall_s
            );
        }
    }
    dir.write_json("bench.json", &rows)?;
    Ok(())
}
