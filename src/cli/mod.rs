//! The command line's subcommands and the argument parsers they share. `neuron`, `sweep`,
//! `cobahh` and `validate` are library functions too (a run held in memory, then its files), which
//! the Python package calls through a [`Host`] of its own.

mod analyze;
mod bench;
pub mod cobahh;
mod devices;
pub mod model_choice;
mod models;
pub mod neuron;
mod shared_args;
pub mod sweep;
pub mod validate;

pub use cobahh::{CobaHhArgs, CobaHhRun};
pub use neuron::{NeuronArgs, NeuronRun};
pub use sweep::{SweepArgs, SweepRun};
pub use validate::ValidateArgs;

use crate::backend::{BackendChoice, Engine};
use crate::error::Result;
use crate::integrate::Method;
use crate::kernel::Precision;
use crate::output::OutputDir;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// A progress callback: hears (done, total) after each chunk of work; an `Err` stops the run.
pub type ProgressCallback = Box<dyn Fn(u64, u64) -> Result<()> + Send + Sync>;

/// What a command needs from whoever runs it: the command line, or a host such as the Python
/// package that runs many jobs in one process.
pub struct Host {
    /// Reuse the process's one GPU device instead of opening one per run.
    pub shared_device: bool,
    /// Where progress goes; `None`: a bar on the terminal (indicatif draws only on a terminal).
    pub progress: Option<ProgressCallback>,
}

impl Host {
    /// The `hhsim` process: a device of its own, progress bars on the terminal.
    pub fn command_line() -> Self {
        Host {
            shared_device: false,
            progress: None,
        }
    }

    /// The engine for a run (see [`Engine::select`]).
    pub fn engine(
        &self,
        choice: BackendChoice,
        precision: Precision,
        method: Method,
    ) -> Result<Engine> {
        if self.shared_device {
            Engine::select_shared(choice, precision, method)
        } else {
            Engine::select(choice, precision, method)
        }
    }

    /// Progress over `total` units of work; `template` is the terminal bar's (indicatif's).
    pub fn progress(&self, total: u64, template: &str) -> Progress<'_> {
        Progress {
            bar: self.progress.is_none().then(|| {
                ProgressBar::new(total)
                    .with_style(ProgressStyle::with_template(template).expect("valid template"))
            }),
            callback: self.progress.as_ref(),
            total,
        }
    }
}

/// Takes `out` for this run, then runs `job`: a directory that cannot be made or is in use is
/// reported before any work, and what this run made is removed again when the job fails.
fn in_output_dir<T>(out: &Path, job: impl FnOnce() -> Result<T>) -> Result<(OutputDir, T)> {
    let dir = OutputDir::create(out)?;
    let value = job()?;
    Ok((dir, value))
}

/// One run's progress: a terminal bar or the host's callback.
pub struct Progress<'a> {
    bar: Option<ProgressBar>,
    callback: Option<&'a ProgressCallback>,
    total: u64,
}

impl Progress<'_> {
    /// `done` units of work are finished; an `Err` from the host stops the run.
    pub fn set(&self, done: u64) -> Result<()> {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
        self.callback.map_or(Ok(()), |f| f(done, self.total))
    }

    /// What is running now, shown beside the terminal bar.
    pub fn message(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_string());
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Hodgkin–Huxley neurons and networks on any GPU, validated against a CPU reference.
#[derive(Parser, Debug)]
#[command(name = "hhsim", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Simulate independent neurons; writes trace.npz, spikes.npz, trace.png, summary.json.
    #[command(allow_negative_numbers = true)]
    Neuron(Box<neuron::NeuronArgs>),
    /// Run the COBA-HH network (3200 E / 800 I Traub neurons at scale 1); writes spikes.npz,
    /// raster.png, summary.json and, with --record-v, trace.npz.
    #[command(allow_negative_numbers = true)]
    Cobahh(Box<cobahh::CobaHhArgs>),
    /// Run a parameter grid of uncoupled neurons (default: Brian2's 300 × 300 gNa × I job);
    /// writes spike_counts.npy, one .npy per axis, rates.png, summary.json.
    #[command(allow_negative_numbers = true)]
    Sweep(Box<sweep::SweepArgs>),
    /// Join the --out directories of `sweep --shard K/N` runs into the whole grid's results.
    Merge(sweep::MergeArgs),
    /// Time the reference workloads end to end per backend and precision.
    Bench(bench::BenchArgs),
    /// List GPU adapters, with f64 support and limits, and which one --backend auto picks.
    Devices,
    /// List the bundled model files, or print one as TOML.
    Models(models::ModelsArgs),
    /// Dynamics analysis: bifurcation diagrams, f–I curves with hysteresis, phase planes.
    #[command(subcommand)]
    Analyze(analyze::AnalyzeCommand),
    /// Compare GPU against CPU results and print a table; exit status 1 when a check fails.
    Validate(validate::ValidateArgs),
}

/// Runs the parsed command. `started` is the process start, for wall-clock figures.
/// Runs the parsed command; `Ok(false)` when it ran but found a failure (exit status 1).
pub fn run(cli: Cli, started: Instant) -> crate::Result<bool> {
    match cli.command {
        Command::Neuron(args) => neuron::run(*args, started).map(|()| true),
        Command::Cobahh(args) => cobahh::run(*args, started).map(|()| true),
        Command::Sweep(args) => sweep::run(*args, started).map(|()| true),
        Command::Merge(args) => sweep::merge(args, started).map(|()| true),
        Command::Bench(args) => bench::run(args).map(|()| true),
        Command::Devices => devices::run().map(|()| true),
        Command::Models(args) => models::run(args).map(|()| true),
        Command::Analyze(command) => analyze::run(command, started).map(|()| true),
        Command::Validate(args) => validate::run(args),
    }
}

/// Help and version go to stdout with status 0; a parse error becomes one line and status 2.
pub fn report_parse_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{}", parse_error_line(&e));
            ExitCode::from(2)
        }
    }
}

/// clap's message as one line: its first paragraph (the error, then e.g. the possible values);
/// usage and hints follow after a blank line.
pub fn parse_error_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    message.join(" ")
}

/// A comma-separated list of numbers on the command line, e.g. `1,2,4.5`. A type of its own so
/// that clap takes the whole list as one value.
#[derive(Clone, Debug, PartialEq)]
pub struct Numbers(pub Vec<f64>);

/// Parses a comma-separated list of numbers, e.g. `1,2,4.5`.
pub fn number_list(text: &str) -> Result<Numbers, String> {
    text.split(',')
        .map(|item| {
            let item = item.trim();
            item.parse::<f64>().map_err(|_| {
                format!("'{item}' is not a number; expected numbers separated by commas")
            })
        })
        .collect::<Result<_, _>>()
        .map(Numbers)
}
