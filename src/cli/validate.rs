//! `hhsim validate`: the CPU-vs-GPU checks on whatever adapter is present, as a table; exit
//! status 1 when any check fails.

use super::Host;
use super::model_choice::ModelChoice;
use crate::backend::gpu::{AdapterSummary, GpuContext};
use crate::error::{Error, Result};
use crate::validate::{Check, builtin_cases, cases, file_cases, run_checks};
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Neurons per check, each with its own current.
    #[arg(long, default_value_t = 1000)]
    pub neurons: usize,
    /// Simulated time per check [ms].
    #[arg(long, default_value_t = 1000.0)]
    pub duration: f64,
    /// Check one model: `traub` or `hh` (the built-in models, from the states and at the steps
    /// of their checks; default both), or a model file (a bundled one by name, e.g.
    /// `traub_km`, or a path).
    #[arg(long)]
    pub model: Option<String>,
    /// Override a parameter of the model, NAME=VALUE (repeatable).
    #[arg(
        long = "set",
        value_name = "NAME=VALUE",
        allow_hyphen_values = true,
        requires = "model"
    )]
    pub set: Vec<String>,
}

/// The checks' results on one adapter.
pub struct ValidateRun {
    pub adapter: AdapterSummary,
    pub checks: Vec<Check>,
}

impl ValidateRun {
    /// Whether every check passed (skipped ones do not fail).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|r| r.pass != Some(false))
    }
}

/// Checks the arguments and runs every check on the GPU (with f64 when the adapter has it;
/// the f64 checks are reported as skipped otherwise).
pub fn compute(args: &ValidateArgs, host: &Host) -> Result<ValidateRun> {
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
    let cases = match args.model.as_deref().map(ModelChoice::parse).transpose()? {
        None => cases(),
        Some(mut choice) => {
            let mut params = choice.model.default_parameters();
            choice.apply_settings(&mut params, &args.set)?;
            match choice.builtin {
                Some(builtin) => builtin_cases(builtin, &choice.model, &params)?,
                None => file_cases(&choice.model, &params),
            }
        }
    };
    // Per neuron, for each of the two engines a check compares: its description (a row of
    // parameters and of states, current, threshold), the run's buffers and its outcome, for
    // the widest model of the cases.
    let width = cases.iter().map(|c| c.width()).max().unwrap_or(0) as f64;
    let per_engine = 2.0 * (24.0 + 8.0 * width) + 2.0 * 8.0 * width + 64.0;
    crate::memory::Estimate::new()
        .add(
            "neurons",
            args.neurons as f64,
            2.0 * per_engine,
            "--neurons",
        )
        .check()?;
    let ctx = if host.shared_device {
        GpuContext::shared(false)?
    } else {
        Arc::new(GpuContext::new(true).or_else(|_| GpuContext::new(false))?)
    };
    if host.progress.is_none() {
        println!(
            "adapter: {} ({}, {}), f64: {}",
            ctx.adapter.name, ctx.adapter.backend, ctx.adapter.device_type, ctx.adapter.f64
        );
    }
    // The exp check, then two per case.
    let progress = host.progress(1 + 2 * cases.len() as u64, "{bar:30} {pos}/{len} {msg}");
    let mut done = 0;
    let checks = run_checks(&ctx, &cases, args.neurons, args.duration, |name| {
        progress.message(name);
        done += 1;
        progress.set(done)
    })?;
    progress.finish();
    Ok(ValidateRun {
        adapter: ctx.adapter.clone(),
        checks,
    })
}

/// Whether every check passed (skipped ones do not fail).
pub fn run(args: ValidateArgs) -> Result<bool> {
    let run = compute(&args, &Host::command_line())?;
    let rows = &run.checks;

    let widths = [48, 22, 9, 44, 36];
    let line = |cells: [&str; 6]| {
        let mut s = String::new();
        for (cell, w) in cells.iter().zip(widths) {
            s += &format!("{cell:<w$} ");
        }
        println!("{}{}", s, cells[5]);
    };
    line(["check", "size", "precision", "metric", "limit", "pass"]);
    for r in rows {
        let pass = match r.pass {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "skipped",
        };
        line([&r.check, &r.size, r.precision, &r.metric, &r.limit, pass]);
    }
    let failed = rows.iter().filter(|r| r.pass == Some(false)).count();
    println!("\n{} checks, {failed} failed", rows.len());
    Ok(run.passed())
}
