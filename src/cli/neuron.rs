//! `hhsim neuron`: one or more independent neurons, one per `--current` value.

use super::model_choice::ModelChoice;
use super::shared_args::StimulusArgs;
use super::{Host, Numbers, in_output_dir, number_list};
use crate::backend::BackendChoice;
use crate::backend::population::{Population, RunConfig};
use crate::builtin::InitialState;
use crate::error::{Error, Result};
use crate::input::Stimulus;
use crate::integrate::Method;
use crate::kernel::check::check_parameters;
use crate::kernel::{Precision, steady};
use crate::model::Units;
use crate::monitor::Spikes;
use crate::output::arrays::WriteNpyArray;
use crate::output::plot::{MAX_PANELS, TraceFigure, write_trace_png};
use crate::output::{OutputDir, arrays};
use ndarray::{Array1, Array2};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct NeuronArgs {
    /// Neuron model: `hh` (1952 squid axon, per-area units), `traub` (Traub–Miles, pA/nS), a
    /// bundled model file (`traub_km`, `hh_a`; see `hhsim models`) or the path of a model file.
    #[arg(long, default_value = "hh")]
    model: String,
    #[arg(long, value_enum, default_value = "exp-euler")]
    method: Method,
    #[arg(long, value_enum, default_value = "f64")]
    precision: Precision,
    /// Time step [ms].
    #[arg(long, default_value_t = 0.01)]
    dt: f64,
    /// Simulated time [ms].
    #[arg(long, default_value_t = 100.0)]
    duration: f64,
    /// Constant current per neuron, one neuron per value [µA/cm² for hh, pA for traub; a
    /// model file's current unit]. Default: 10 µA/cm² (hh), 20 pA (traub), 0 (model files).
    #[arg(long, value_name = "A,B,...", value_parser = number_list)]
    current: Option<Numbers>,
    /// Override a parameter, NAME=VALUE (repeatable), by the model file's names and units
    /// (`hhsim models` lists them; for traub: c [pF], gna, gk, gl [mS/cm²], ena, ek, el, vt
    /// [mV], area; for hh also temperature [°C] for T), or `threshold` [mV].
    #[arg(long = "set", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub set: Vec<String>,
    /// Temperature [°C] of the hh model (its parameter T); its rates scale by 3^((T − 6.3)/10).
    #[arg(long)]
    temperature: Option<f64>,
    /// Initial state: `brainpy` (V −65, m .5, h .6, n .32) or `rest` for hh; `sweep`
    /// (V = EL, gates 0) or `rest` for traub. Default: brainpy (hh), sweep (traub).
    #[arg(long, value_enum)]
    init: Option<InitialState>,
    /// Spike threshold [mV]. Default: 20 (hh), −20 (traub).
    #[arg(long)]
    threshold: Option<f64>,
    /// Record the state every this many steps.
    #[arg(long, default_value_t = 1)]
    record_every: usize,
    /// `auto`: a GPU adapter if there is one (software ones included), else the CPU.
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendChoice,
    #[command(flatten)]
    stimulus: StimulusArgs,
    /// Output directory.
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

/// What `summary.json` records about a `neuron` run.
#[derive(Serialize)]
pub struct Summary<'a> {
    command: &'static str,
    /// The name of the model in its file (`traub`, `hh`, …).
    model: &'a str,
    /// What `--model` named: a bundled model or the path of a model file.
    model_file: &'a str,
    states: Vec<&'a str>,
    backend: &'static str,
    adapter: Option<String>,
    spikes_truncated: bool,
    precision: Precision,
    method: Method,
    dt_ms: f64,
    duration_ms: f64,
    n_neurons: usize,
    n_steps: usize,
    record_every: usize,
    /// The initial value of each state, by name.
    init: serde_json::Map<String, serde_json::Value>,
    /// The named initial state of a built-in model (`--init`), else none.
    init_state: Option<InitialState>,
    /// The parameters by the file's names, in its units.
    params: serde_json::Map<String, serde_json::Value>,
    threshold_mv: f64,
    currents: &'a [f64],
    current_unit: &'static str,
    stimulus: &'a Stimulus,
    seed: u64,
    spike_counts: Vec<u32>,
    rates_hz: Vec<f64>,
    neuron_steps_per_s: f64,
    wall_s: f64,
    setup_s: f64,
    simulate_s: f64,
}

/// Everything the run needs, checked: built before the output directory is touched.
struct Plan {
    /// The neurons as the kernel gets them (a built-in's alias applied).
    population: Population,
    config: RunConfig,
    /// The parameters by the file's names, as set.
    params: Vec<f64>,
    init: Vec<f64>,
    init_state: Option<InitialState>,
}

/// The trace must fit comfortably in memory on a small machine.
const MAX_TRACE_MIB: usize = 4096;

/// The run: the model's parameters with `--temperature` (hh), `--threshold` and `--set`, its
/// initial state (a built-in's `--init`, else the file's `[initial]`), one neuron per current.
fn plan(args: &NeuronArgs) -> Result<Plan> {
    let mut choice = ModelChoice::parse(&args.model)?;
    let builtin = choice.builtin;
    if let (Some(init), None) = (args.init, builtin) {
        return Err(Error::invalid(
            "--init",
            init.name(),
            "nothing with a model file, whose [initial] gives the initial state",
        ));
    }
    let mut params = choice.model.default_parameters();
    choice.apply_temperature(&mut params, args.temperature)?;
    if let Some(th) = args.threshold {
        choice.model.threshold = th;
    }
    choice.apply_settings(&mut params, &args.set)?;
    let model = choice.model;
    if !model.threshold.is_finite() {
        return Err(Error::invalid(
            "--threshold",
            model.threshold,
            "a finite potential in mV",
        ));
    }
    let init_state = builtin.map(|b| args.init.unwrap_or(b.default_init()));
    let init = match (builtin, init_state) {
        (Some(b), Some(state)) => b.initial(state, &model, &params)?,
        _ => steady::initial_state(&model, &params),
    };
    let currents = match (&args.current, builtin) {
        (Some(c), _) => c.0.clone(),
        (None, Some(b)) => vec![b.default_current()],
        (None, None) => vec![0.0],
    };
    let mut config = RunConfig::for_duration(args.method, args.dt, args.duration)?;
    if args.record_every == 0 {
        return Err(Error::invalid(
            "--record-every",
            0,
            "a whole number of steps ≥ 1",
        ));
    }
    config.record_every = args.record_every;
    check_trace_size(args, currents.len(), model.states.len(), config.n_steps)?;
    let kernel_row = builtin.map_or(params.clone(), |b| b.kernel_row(&model, &params));
    // Checked here as the run checks it, before the output directory is touched.
    check_parameters(&model, [&kernel_row], None)?;
    let population = Population {
        stimulus: args.stimulus.stimulus(),
        ..Population::uniform(model, kernel_row, init.clone(), currents)
    };
    population.validate()?;
    Ok(Plan {
        population,
        config,
        params,
        init,
        init_state,
    })
}

/// The trace (`states` variables per neuron and sample, as f64, held twice while decoded and
/// written) must fit comfortably in memory on a small machine.
fn check_trace_size(args: &NeuronArgs, neurons: usize, states: usize, steps: usize) -> Result<()> {
    let samples = steps.div_ceil(args.record_every);
    let trace_mib = (neurons * samples * states * 2 * 8) >> 20;
    if trace_mib > MAX_TRACE_MIB {
        let expected = format!(
            "a larger interval: the trace would take {trace_mib} MiB of memory, more than {MAX_TRACE_MIB} MiB"
        );
        return Err(Error::invalid(
            "--record-every",
            args.record_every,
            expected,
        ));
    }
    Ok(())
}

/// A finished `neuron` run: everything the command writes, held in memory.
pub struct NeuronRun {
    args: NeuronArgs,
    plan: Plan,
    pub spikes: Spikes,
    pub spike_counts: Vec<u32>,
    spikes_truncated: bool,
    /// The step of each sample.
    pub trace_steps: Vec<u64>,
    /// Each state's trace, neurons × samples, by name (`v` first).
    pub trace: Vec<(String, Array2<f64>)>,
    n_steps: usize,
    backend: &'static str,
    adapter: Option<String>,
    started: Instant,
    setup_s: f64,
    simulate_s: f64,
}

/// Runs `hhsim neuron`: the run, then its files in `--out`.
pub fn run(args: NeuronArgs, started: Instant) -> Result<()> {
    let out = args.out.clone();
    let (dir, run) = in_output_dir(&out, || compute(args, &Host::command_line(), started))?;
    run.save_into(&dir)?;
    dir.finish();
    println!(
        "{} neuron(s), {} steps, {} spike(s) in {:.3} s; results in {}",
        run.spike_counts.len(),
        run.n_steps,
        run.spikes.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// Checks the arguments and runs the neurons; writes nothing.
pub fn compute(args: NeuronArgs, host: &Host, started: Instant) -> Result<NeuronRun> {
    let plan = plan(&args)?;
    let engine = host.engine(args.backend, args.precision, args.method)?;
    let setup_s = started.elapsed().as_secs_f64();
    let sim_start = Instant::now();
    let result = engine.run_population(args.precision, &plan.population, &plan.config)?;
    let (trace_steps, columns) = result.trace.expect("neuron runs always record a trace");
    let trace: Vec<(String, Array2<f64>)> = (plan.population.model.states.iter().cloned())
        .zip(columns)
        .collect();
    let spikes_truncated = result.spikes_truncated;
    if spikes_truncated {
        crate::notes::note(
            "some neurons spiked more often than the spike buffer holds; the spike list lacks their late spikes (the summary has exact counts)",
        );
    }
    Ok(NeuronRun {
        simulate_s: sim_start.elapsed().as_secs_f64(),
        backend: engine.backend_name(),
        adapter: engine.adapter_name(),
        args,
        plan,
        spikes: result.spikes,
        spike_counts: result.spike_counts,
        spikes_truncated,
        trace_steps,
        trace,
        n_steps: result.n_steps,
        started,
        setup_s,
    })
}

impl NeuronRun {
    /// Writes trace.npz, spikes.npz, trace.png and summary.json into `out`.
    pub fn save(&self, out: &Path) -> Result<()> {
        let dir = OutputDir::create(out)?;
        self.save_into(&dir)?;
        dir.finish();
        Ok(())
    }

    fn save_into(&self, dir: &OutputDir) -> Result<()> {
        self.write_outputs(dir)?;
        dir.write_json("summary.json", &self.summary())
    }

    /// What summary.json records; `wall_s` counts until now.
    pub fn summary(&self) -> Summary<'_> {
        let n = self.spike_counts.len();
        let duration_s = self.n_steps as f64 * self.args.dt / 1000.0;
        let pop = &self.plan.population;
        let model = &pop.model;
        let named = |names: &mut dyn Iterator<Item = &String>, values: &[f64]| {
            names
                .zip(values)
                .map(|(k, &v)| (k.clone(), v.into()))
                .collect()
        };
        Summary {
            command: "neuron",
            model: &model.name,
            model_file: &self.args.model,
            states: self.trace.iter().map(|(name, _)| name.as_str()).collect(),
            backend: self.backend,
            adapter: self.adapter.clone(),
            spikes_truncated: self.spikes_truncated,
            precision: self.args.precision,
            method: self.args.method,
            dt_ms: self.args.dt,
            duration_ms: self.args.duration,
            n_neurons: n,
            n_steps: self.n_steps,
            record_every: self.args.record_every,
            init: named(&mut model.states.iter(), &self.plan.init),
            init_state: self.plan.init_state,
            params: named(
                &mut model.parameters.iter().map(|(n, _)| n),
                &self.plan.params,
            ),
            threshold_mv: model.threshold,
            currents: &pop.current,
            current_unit: Units::current_unit(model.units),
            stimulus: &pop.stimulus,
            seed: self.args.stimulus.seed,
            rates_hz: self
                .spike_counts
                .iter()
                .map(|&c| c as f64 / duration_s)
                .collect(),
            spike_counts: self.spike_counts.clone(),
            neuron_steps_per_s: (n * self.n_steps) as f64 / self.simulate_s,
            wall_s: self.started.elapsed().as_secs_f64(),
            setup_s: self.setup_s,
            simulate_s: self.simulate_s,
        }
    }

    /// The time step [ms].
    pub fn dt_ms(&self) -> f64 {
        self.args.dt
    }

    /// trace.npz (`t` and every state), spikes.npz and trace.png.
    fn write_outputs(&self, dir: &OutputDir) -> Result<()> {
        let dt = self.args.dt;
        crate::output::spike_file::write_spikes(dir, &self.spikes, dt)?;
        let t_ms = Array1::from_iter(self.trace_steps.iter().map(|&s| s as f64 * dt));
        let mut named: Vec<(&str, &dyn WriteNpyArray)> = vec![("t", &t_ms)];
        named.extend(
            self.trace
                .iter()
                .map(|(name, a)| (name.as_str(), a as &dyn WriteNpyArray)),
        );
        arrays::write_npz_arrays(dir, "trace.npz", &named)?;
        let n = self.spike_counts.len();
        let summary = self.summary();
        let title = &self.plan.population.model.name;
        let figure = TraceFigure {
            title: format!(
                "{title} neuron, {}, {}, dt = {} ms",
                self.args.method.name(),
                self.args.precision.name(),
                dt
            ),
            t_ms: t_ms.as_slice().expect("contiguous"),
            v: self.trace[0].1.view(),
            labels: summary
                .currents
                .iter()
                .map(|c| format!("I = {c} {}", summary.current_unit))
                .collect(),
            spike_times_ms: (0..n.min(MAX_PANELS) as u32)
                .map(|j| {
                    self.spikes
                        .steps_of(j)
                        .iter()
                        .map(|&s| s as f64 * dt)
                        .collect()
                })
                .collect(),
            thresholds: vec![summary.threshold_mv; n],
        };
        write_trace_png(dir, "trace.png", &figure)
    }
}
