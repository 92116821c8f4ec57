//! `hhsim validate`: the CPU-vs-GPU checks on whatever adapter is present, as a table; exit
//! status 1 when any check fails.

use hhsim::backend::gpu::GpuContext;
use hhsim::error::{Error, Result};
use hhsim::validate::run_checks;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Neurons per check, each with its own current.
    #[arg(long, default_value_t = 1000)]
    neurons: usize,
    /// Simulated time per check [ms].
    #[arg(long, default_value_t = 1000.0)]
    duration: f64,
}

/// Whether every check passed (skipped ones do not fail).
pub fn run(args: ValidateArgs) -> Result<bool> {
    if args.neurons < 2 {
        return Err(Error::invalid("--neurons", args.neurons, "at least 2"));
    }
    if !(args.duration > 0.0 && args.duration.is_finite()) {
        return Err(Error::invalid(
            "--duration",
            args.duration,
            "a finite time > 0 ms",
        ));
    }
    // f64 when the adapter has it; the f64 checks are reported as skipped otherwise.
    let ctx = GpuContext::new(true).or_else(|_| GpuContext::new(false))?;
    println!(
        "adapter: {} ({}, {}), f64: {}",
        ctx.adapter.name, ctx.adapter.backend, ctx.adapter.device_type, ctx.adapter.f64
    );
    let bar = ProgressBar::new(9).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").expect("valid template"),
    );
    let rows = run_checks(&ctx, args.neurons, args.duration, |name| {
        bar.set_message(name.to_string());
        bar.inc(1);
    })?;
    bar.finish_and_clear();

    let widths = [48, 22, 9, 44, 36];
    let line = |cells: [&str; 6]| {
        let mut s = String::new();
        for (cell, w) in cells.iter().zip(widths) {
            s += &format!("{cell:<w$} ");
        }
        println!("{}{}", s, cells[5]);
    };
    line(["check", "size", "precision", "metric", "limit", "pass"]);
    for r in &rows {
        let pass = match r.pass {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "skipped",
        };
        line([&r.check, &r.size, r.precision, &r.metric, &r.limit, pass]);
    }
    let failed = rows.iter().filter(|r| r.pass == Some(false)).count();
    println!("\n{} checks, {failed} failed", rows.len());
    Ok(failed == 0)
}
