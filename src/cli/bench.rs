//! `hhsim bench`: end-to-end timings of the reference workloads, each run as its own `hhsim`
//! process (process start to files written), per backend and precision, with throughput and
//! the ratio to the CPU reference measured in the same session.

use super::{Numbers, number_list};
use crate::backend::gpu::GpuContext;
use crate::error::{Error, Result};
use crate::output::OutputDir;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Workload {
    /// The gNa × I sweep on an N × N grid (--size).
    Sweep,
    /// COBA-HH at each of --scales.
    Cobahh,
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Which workloads to time.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sweep,cobahh"
    )]
    workload: Vec<Workload>,
    /// Grid size N of the gNa × I sweep (N × N cells).
    #[arg(long, default_value_t = 300)]
    size: usize,
    /// COBA-HH scales S (N = 4000·S).
    #[arg(long, value_name = "S,S,...", value_parser = number_list, default_value = "1,10")]
    scales: Numbers,
    /// Simulated time [ms].
    #[arg(long, default_value_t = 1000.0)]
    duration: f64,
    /// Skip the CPU reference (the slowest rows).
    #[arg(long)]
    no_cpu: bool,
    /// Runs of each workload and configuration, taken in turn (every configuration once, then
    /// again), so that a machine whose speed drifts affects all alike; rows report the median.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Where each run writes its results, and bench.json.
    #[arg(long, default_value = "out/bench")]
    out: PathBuf,
}

#[derive(Serialize)]
struct Row {
    workload: String,
    backend: &'static str,
    precision: &'static str,
    /// The median of `walls_s`.
    wall_s: f64,
    /// Every run's wall time, in the order taken.
    walls_s: Vec<f64>,
    setup_s: f64,
    simulate_s: f64,
    /// Neuron-steps per wall second of the whole process.
    neuron_steps_per_s: f64,
    /// Synaptic events per simulating second (networks).
    synaptic_events_per_s: Option<f64>,
    /// Wall seconds per simulated second.
    wall_per_simulated_s: f64,
    /// CPU reference wall time / this wall time, for the same workload.
    speedup_vs_cpu: Option<f64>,
}

/// Runs `hhsim ARGS --out OUT` as a child process, timed from spawn to exit.
fn timed(args: &[String], out: &Path) -> Result<(f64, serde_json::Value)> {
    let exe = std::env::current_exe().map_err(|e| Error::Write {
        path: "hhsim".into(),
        reason: e.to_string(),
    })?;
    let start = Instant::now();
    let status = Command::new(exe)
        .args(args)
        .arg("--out")
        .arg(out)
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
    let path = out.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Write {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    Ok((
        wall,
        serde_json::from_str(&text).map_err(|e| Error::Write {
            path,
            reason: e.to_string(),
        })?,
    ))
}

/// The run with the median wall time (the upper one of an even count), with its summary.
fn median_run(runs: &[(f64, serde_json::Value)]) -> (f64, &serde_json::Value) {
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| runs[a].0.total_cmp(&runs[b].0));
    let (wall, summary) = &runs[order[runs.len() / 2]];
    (*wall, summary)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

pub fn run(args: BenchArgs) -> Result<()> {
    if args.repeat == 0 {
        return Err(Error::invalid("--repeat", 0, "at least 1"));
    }
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
    if let Some(&bad) = args.scales.0.iter().find(|s| !(**s > 0.0 && s.is_finite())) {
        return Err(Error::invalid("--scales", bad, "scales > 0"));
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
    let duration = args.duration.to_string();
    let mut workloads: Vec<(String, Vec<String>)> = Vec::new();
    if args.workload.contains(&Workload::Sweep) {
        let (gna, current) = (
            format!("10:100:{}", args.size),
            format!("0:20:{}", args.size),
        );
        workloads.push((
            format!("sweep {0}×{0}", args.size),
            strings(&[
                "sweep",
                "--gna",
                &gna,
                "--current",
                &current,
                "--duration",
                &duration,
            ]),
        ));
    }
    if args.workload.contains(&Workload::Cobahh) {
        for s in &args.scales.0 {
            workloads.push((
                format!("cobahh S={s}"),
                strings(&["cobahh", "--scale", &s.to_string(), "--duration", &duration]),
            ));
        }
    }

    let mut rows: Vec<Row> = Vec::new();
    for (name, base) in &workloads {
        // One step of the first configuration: what a user waits before integration starts
        // (there is no code generation or compile step).
        if let Some((backend, precision)) = configs.first() {
            let mut one = base.clone();
            one.extend(strings(&[
                "--duration",
                "0.1",
                "--backend",
                backend,
                "--precision",
                precision,
            ]));
            if let Some(k) = one.iter().position(|a| a == "--duration") {
                one.drain(k..k + 2);
            }
            let (wall, _) = timed(&one, &args.out.join("first-step"))?;
            println!(
                "{name}: time to first integrated step ({backend} {precision}, whole 1-step process) {wall:.3} s"
            );
        }
        let first_row = rows.len();
        let outs: Vec<PathBuf> = configs
            .iter()
            .map(|(backend, precision)| {
                args.out.join(format!(
                    "{}-{backend}-{precision}",
                    name.replace([' ', '×', '='], "_")
                ))
            })
            .collect();
        let mut runs: Vec<Vec<(f64, serde_json::Value)>> = vec![Vec::new(); configs.len()];
        for _ in 0..args.repeat {
            for (k, &(backend, precision)) in configs.iter().enumerate() {
                let mut run_args = base.clone();
                run_args.extend(strings(&["--backend", backend, "--precision", precision]));
                runs[k].push(timed(&run_args, &outs[k])?);
            }
        }
        for (k, &(backend, precision)) in configs.iter().enumerate() {
            let walls: Vec<f64> = runs[k].iter().map(|(wall, _)| *wall).collect();
            let (wall, summary) = median_run(&runs[k]);
            let get = |k: &str| summary[k].as_f64();
            let neurons = get("n_neurons")
                .or(get("n_cells"))
                .unwrap_or_else(|| summary["cells"][1].as_f64().unwrap_or(0.0));
            let steps = summary["n_steps"]
                .as_f64()
                .unwrap_or((args.duration / 0.1).round());
            let row = Row {
                workload: name.clone(),
                backend,
                precision,
                wall_s: wall,
                setup_s: get("setup_s").or(get("build_s")).unwrap_or(f64::NAN),
                simulate_s: get("simulate_s").unwrap_or(f64::NAN),
                neuron_steps_per_s: neurons * steps / wall,
                synaptic_events_per_s: get("synaptic_events_per_s"),
                wall_per_simulated_s: wall / (args.duration / 1000.0),
                speedup_vs_cpu: None,
                walls_s: walls,
            };
            let spread = if args.repeat > 1 {
                let (lo, hi) = row
                    .walls_s
                    .iter()
                    .fold((f64::INFINITY, 0.0f64), |(lo, hi), &w| {
                        (lo.min(w), hi.max(w))
                    });
                format!(" (median of {}, {lo:.2}–{hi:.2})", args.repeat)
            } else {
                String::new()
            };
            println!(
                "{:<18} {:<4} {:<4} wall {:>8.2} s{spread}  {:>6.2} s/simulated s  {:>10.3e} neuron-steps/s{}",
                row.workload,
                row.backend,
                row.precision,
                row.wall_s,
                row.wall_per_simulated_s,
                row.neuron_steps_per_s,
                row.synaptic_events_per_s
                    .map_or(String::new(), |e| format!("  {e:.3e} syn. events/s"))
            );
            rows.push(row);
        }
        if let Some(cpu_wall) = rows[first_row..]
            .iter()
            .find(|r| r.backend == "cpu")
            .map(|r| r.wall_s)
        {
            for r in &mut rows[first_row..] {
                r.speedup_vs_cpu = Some(cpu_wall / r.wall_s);
                if r.backend != "cpu" {
                    println!(
                        "{:<18} {} {}: {:.2}× the CPU reference",
                        r.workload,
                        r.backend,
                        r.precision,
                        cpu_wall / r.wall_s
                    );
                }
            }
        }
    }
    dir.write_json("bench.json", &rows)?;
    dir.finish();
    Ok(())
}
