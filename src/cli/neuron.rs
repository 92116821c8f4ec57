//! `hhsim neuron`: one or more independent neurons, one per `--current` value.

use super::model_choice::{ModelChoice, apply_file_settings};
use super::shared_args::{StimulusArgs, apply_overrides};
use super::{Host, Numbers, in_output_dir, number_list};
use crate::backend::BackendChoice;
use crate::backend::population::{FilePopulation, FileRunConfig};
use crate::error::{Error, Result};
use crate::input::Stimulus;
use crate::integrate::Method;
use crate::model::State;
use crate::model::{InitialState, ModelKind, Params, Precision};
use crate::model_file::{Model, Units};
use crate::monitor::Spikes;
use crate::output::arrays::WriteNpyArray;
use crate::output::plot::{MAX_PANELS, TraceFigure, write_trace_png};
use crate::output::{OutputDir, arrays};
use crate::population::{NeuronSpec, Population, RunConfig};
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
    /// Override a parameter, NAME=VALUE (repeatable), by the names of `sweep --axis`: gna, gk,
    /// gl [mS/cm²], ena, ek, el, threshold [mV], vt (traub), temperature (hh) [°C]; for a model
    /// file, by the file's names and units, or `threshold` [mV].
    #[arg(long = "set", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub set: Vec<String>,
    /// Temperature [°C] of the hh model; its rates scale by 3^((T − 6.3)/10).
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
    /// `traub` or `classic` for the built-in models, the name of a model file's model.
    model: serde_json::Value,
    /// The path of the model file, or the bundled file's name.
    model_file: Option<String>,
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
    /// The named initial state (built-in models) or the initial values of the states.
    init: serde_json::Value,
    temperature_c: Option<f64>,
    /// The parameters: the built-in models' record, or a model file's by name.
    params: serde_json::Value,
    threshold_mv: f64,
    currents: Vec<f64>,
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

/// A model file's run, checked.
struct FilePlan {
    population: FilePopulation,
    config: FileRunConfig,
    params: Vec<f64>,
    init: Vec<f64>,
}

/// What the run is of.
enum Planned {
    BuiltIn(Box<Plan>),
    File(Box<FilePlan>),
}

/// Everything the run needs, checked: built before the output directory is touched.
struct Plan {
    population: Population,
    config: RunConfig,
    params: Params<f64>,
    init: InitialState,
    currents: Vec<f64>,
}

/// The trace must fit comfortably in memory on a small machine.
const MAX_TRACE_MIB: usize = 4096;

fn plan(args: &NeuronArgs) -> Result<Planned> {
    let model = match ModelChoice::parse(&args.model)? {
        ModelChoice::BuiltIn(model) => model,
        ModelChoice::File(model) => {
            return file_plan(args, *model).map(|plan| Planned::File(Box::new(plan)));
        }
    };
    let mut params = model.params(args.temperature)?;
    if let Some(th) = args.threshold {
        params.v_th = th;
    }
    apply_overrides(&mut params, &args.set)?;
    let init = args.init.unwrap_or(InitialState::default_for(params.kind));
    let init_state = init.state(&params).ok_or_else(|| {
        Error::invalid(
            "--init",
            format!("{init:?}").to_lowercase(),
            format!("{} for this model", InitialState::valid_for(params.kind)),
        )
    })?;
    let currents = args
        .current
        .clone()
        .map(|c| c.0)
        .unwrap_or_else(|| match params.kind {
            ModelKind::Classic => vec![10.0],
            ModelKind::Traub => vec![20.0],
        });
    let stimulus = args.stimulus.stimulus();
    let population = Population {
        neurons: currents
            .iter()
            .map(|&current| NeuronSpec {
                params,
                init: init_state,
                current,
            })
            .collect(),
        stimulus,
        first_index: 0,
    };
    let config = RunConfig {
        method: args.method,
        dt_ms: args.dt,
        duration_ms: args.duration,
        record_every: Some(args.record_every),
        spike_steps: true,
    };
    config.validate()?;
    population.validate()?;
    check_trace_size(args, population.neurons.len(), 4, config.n_steps())?;
    Ok(Planned::BuiltIn(Box::new(Plan {
        population,
        config,
        params,
        init,
        currents,
    })))
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

/// A model file's run: its parameters with `--set`, its [initial] state, the same inputs.
fn file_plan(args: &NeuronArgs, model: Model) -> Result<FilePlan> {
    if let Some(init) = args.init {
        return Err(Error::invalid(
            "--init",
            format!("{init:?}").to_lowercase(),
            "nothing with a model file, whose [initial] gives the initial state",
        ));
    }
    if let Some(t) = args.temperature {
        return Err(Error::invalid(
            "--temperature",
            t,
            "nothing with a model file (set its temperature parameter with --set, e.g. T=20)",
        ));
    }
    if !matches!(args.method, Method::ExpEuler | Method::Rk4) {
        return Err(Error::invalid(
            "--method",
            args.method.name(),
            "exp-euler or rk4 with a model file",
        ));
    }
    let mut model = model;
    let mut params = model.default_parameters();
    apply_file_settings(&mut model, &mut params, &args.set)?;
    let init = model.initial_state(&params);
    if let Some(th) = args.threshold {
        model.threshold = th;
    }
    let currents = args.current.clone().map_or(vec![0.0], |c| c.0);
    // The built-in checks of time step, duration, currents and stimulus apply as they are.
    let config = RunConfig {
        method: args.method,
        dt_ms: args.dt,
        duration_ms: args.duration,
        record_every: Some(args.record_every),
        spike_steps: true,
    };
    config.validate()?;
    let stimulus = args.stimulus.stimulus();
    let check = Population {
        neurons: currents
            .iter()
            .map(|&current| NeuronSpec {
                params: Params::traub(),
                init: State::default(),
                current,
            })
            .collect(),
        stimulus: stimulus.clone(),
        first_index: 0,
    };
    check.validate()?;
    if !model.threshold.is_finite() {
        return Err(Error::invalid(
            "--threshold",
            model.threshold,
            "a finite potential in mV",
        ));
    }
    check_trace_size(args, currents.len(), model.states.len(), config.n_steps())?;
    let n = currents.len();
    Ok(FilePlan {
        config: FileRunConfig {
            method: args.method,
            dt_ms: args.dt,
            n_steps: config.n_steps(),
            record_every: args.record_every,
            spike_steps: true,
        },
        population: FilePopulation {
            threshold: vec![model.threshold; n],
            model,
            params: vec![params.clone(); n],
            init: vec![init.clone(); n],
            current: currents,
            stimulus,
            first_index: 0,
        },
        params,
        init,
    })
}

/// A finished `neuron` run: everything the command writes, held in memory.
pub struct NeuronRun {
    args: NeuronArgs,
    planned: Planned,
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
    let planned = plan(&args)?;
    let engine = host.engine(args.backend, args.precision, args.method)?;
    let setup_s = started.elapsed().as_secs_f64();
    let sim_start = Instant::now();
    let (spikes, spike_counts, spikes_truncated, trace, n_steps) = match &planned {
        Planned::BuiltIn(plan) => {
            let result = engine.run(args.precision, &plan.population, &plan.config)?;
            let trace = result.trace.expect("neuron runs always record a trace");
            let named = vec![
                ("v".to_string(), trace.v),
                ("m".to_string(), trace.m),
                ("h".to_string(), trace.h),
                ("n".to_string(), trace.n),
            ];
            let truncated = result.spikes_truncated;
            (
                result.spikes,
                result.spike_counts,
                truncated,
                (trace.steps, named),
                result.n_steps,
            )
        }
        Planned::File(plan) => {
            let result = engine.run_population(args.precision, &plan.population, &plan.config)?;
            let (steps, columns) = result.trace.expect("neuron runs always record a trace");
            let named = plan
                .population
                .model
                .states
                .iter()
                .cloned()
                .zip(columns)
                .collect();
            (
                result.spikes,
                result.spike_counts,
                false,
                (steps, named),
                result.n_steps,
            )
        }
    };
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
        planned,
        spikes,
        spike_counts,
        spikes_truncated,
        trace_steps: trace.0,
        trace: trace.1,
        n_steps,
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
        let (model, model_file, init, params, threshold, currents, unit) = match &self.planned {
            Planned::BuiltIn(plan) => (
                to_json(&plan.params.kind),
                None,
                to_json(&plan.init),
                to_json(&plan.params),
                plan.params.v_th,
                plan.currents.clone(),
                current_unit(plan.params.kind),
            ),
            Planned::File(plan) => {
                let model = &plan.population.model;
                let named = |values: &[f64], names: &mut dyn Iterator<Item = &str>| {
                    serde_json::Value::Object(
                        names
                            .zip(values)
                            .map(|(k, &v)| (k.to_string(), v.into()))
                            .collect(),
                    )
                };
                (
                    model.name.clone().into(),
                    Some(self.args.model.clone()),
                    named(&plan.init, &mut model.states.iter().map(String::as_str)),
                    named(
                        &plan.params,
                        &mut model.parameters.iter().map(|(n, _)| n.as_str()),
                    ),
                    model.threshold,
                    plan.population.current.clone(),
                    Units::current_unit(model.units),
                )
            }
        };
        Summary {
            command: "neuron",
            model,
            model_file,
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
            init,
            temperature_c: self.args.temperature,
            params,
            threshold_mv: threshold,
            currents,
            current_unit: unit,
            stimulus: self.stimulus(),
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

    fn stimulus(&self) -> &Stimulus {
        match &self.planned {
            Planned::BuiltIn(plan) => &plan.population.stimulus,
            Planned::File(plan) => &plan.population.stimulus,
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
        let title = match &self.planned {
            Planned::BuiltIn(plan) => match plan.params.kind {
                ModelKind::Classic => "HH 1952".to_string(),
                ModelKind::Traub => "Traub–Miles".to_string(),
            },
            Planned::File(plan) => plan.population.model.name.clone(),
        };
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

fn to_json(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).expect("summaries serialize")
}

fn current_unit(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Classic => "µA/cm²",
        ModelKind::Traub => "pA",
    }
}
