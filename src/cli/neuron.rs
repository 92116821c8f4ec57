//! `hhsim neuron`: one or more independent neurons, one per `--current` value.

use super::shared_args::{ModelArg, StimulusArgs, apply_overrides};
use super::{Host, Numbers, in_output_dir, number_list};
use crate::backend::{BackendChoice, PopulationResult};
use crate::error::{Error, Result};
use crate::input::Stimulus;
use crate::integrate::Method;
use crate::model::{InitialState, ModelKind, Params, Precision};
use crate::output::plot::{MAX_PANELS, TraceFigure, write_trace_png};
use crate::output::{OutputDir, arrays};
use crate::population::{NeuronSpec, Population, RunConfig};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct NeuronArgs {
    /// Neuron model: `hh` (1952 squid axon, per-area units) or `traub` (Traub–Miles, pA/nS).
    #[arg(long, value_enum, default_value = "hh")]
    model: ModelArg,
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
    /// Constant current per neuron, one neuron per value [µA/cm² for hh, pA for traub].
    /// Default: 10 µA/cm² (hh) or 20 pA (traub).
    #[arg(long, value_name = "A,B,...", value_parser = number_list)]
    current: Option<Numbers>,
    /// Override a parameter, NAME=VALUE (repeatable), by the names of `sweep --axis`: gna, gk,
    /// gl [mS/cm²], ena, ek, el, threshold [mV], vt (traub), temperature (hh) [°C].
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
    model: ModelKind,
    pub backend: &'static str,
    adapter: Option<String>,
    spikes_truncated: bool,
    precision: Precision,
    method: Method,
    dt_ms: f64,
    duration_ms: f64,
    pub n_neurons: usize,
    pub n_steps: usize,
    record_every: usize,
    init: InitialState,
    temperature_c: Option<f64>,
    params: &'a Params<f64>,
    currents: Vec<f64>,
    current_unit: &'static str,
    stimulus: &'a Stimulus,
    seed: u64,
    spike_counts: Vec<u32>,
    rates_hz: Vec<f64>,
    neuron_steps_per_s: f64,
    pub wall_s: f64,
    setup_s: f64,
    simulate_s: f64,
}

/// Everything the run needs, checked: built before the output directory is touched.
struct Plan {
    population: Population,
    config: RunConfig,
    params: Params<f64>,
    init: InitialState,
    currents: Vec<f64>,
}

/// Host memory per neuron and sample while a trace is decoded and written: v, m, h, n as f64,
/// held twice (device copy and output arrays).
const TRACE_BYTES_PER_SAMPLE: usize = 2 * 4 * 8;
/// The trace must fit comfortably in memory on a small machine.
const MAX_TRACE_MIB: usize = 4096;

fn plan(args: &NeuronArgs) -> Result<Plan> {
    let mut params = args.model.params(args.temperature)?;
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
    let samples = config.n_steps().div_ceil(args.record_every);
    let trace_mib = (population.neurons.len() * samples * TRACE_BYTES_PER_SAMPLE) >> 20;
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
    Ok(Plan {
        population,
        config,
        params,
        init,
        currents,
    })
}

/// A finished `neuron` run: everything the command writes, held in memory.
pub struct NeuronRun {
    args: NeuronArgs,
    plan: Plan,
    pub result: PopulationResult,
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
    let summary = run.summary();
    println!(
        "{} neuron(s), {} steps, {} spike(s) in {:.3} s; results in {}",
        summary.n_neurons,
        summary.n_steps,
        run.result.spikes.len(),
        summary.wall_s,
        out.display()
    );
    Ok(())
}

/// Checks the arguments and runs the neurons; writes nothing.
pub fn compute(args: NeuronArgs, host: &Host, started: Instant) -> Result<NeuronRun> {
    let plan = plan(&args)?;
    let engine = host.engine(args.backend, args.precision, plan.config.method)?;
    let setup_s = started.elapsed().as_secs_f64();
    let sim_start = Instant::now();
    let result = engine.run(args.precision, &plan.population, &plan.config)?;
    if result.spikes_truncated {
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
        result,
        started,
        setup_s,
    })
}

impl NeuronRun {
    /// Writes trace.npz, spikes.npz, trace.png and summary.json into `out`.
    pub fn save(&self, out: &Path) -> Result<()> {
        self.save_into(&OutputDir::create(out)?)
    }

    fn save_into(&self, dir: &OutputDir) -> Result<()> {
        write_outputs(dir, &self.args, &self.plan, &self.result)?;
        dir.write_json("summary.json", &self.summary())
    }

    /// What summary.json records; `wall_s` counts until now.
    pub fn summary(&self) -> Summary<'_> {
        let plan = &self.plan;
        let result = &self.result;
        let n = plan.population.neurons.len();
        let spike_counts = result.spike_counts.clone();
        let duration_s = result.n_steps as f64 * plan.config.dt_ms / 1000.0;
        Summary {
            command: "neuron",
            model: plan.params.kind,
            backend: self.backend,
            adapter: self.adapter.clone(),
            spikes_truncated: result.spikes_truncated,
            precision: self.args.precision,
            method: plan.config.method,
            dt_ms: plan.config.dt_ms,
            duration_ms: plan.config.duration_ms,
            n_neurons: n,
            n_steps: result.n_steps,
            record_every: self.args.record_every,
            init: plan.init,
            temperature_c: self.args.temperature,
            params: &plan.params,
            currents: plan.currents.clone(),
            current_unit: current_unit(plan.params.kind),
            stimulus: &plan.population.stimulus,
            seed: self.args.stimulus.seed,
            rates_hz: spike_counts
                .iter()
                .map(|&c| c as f64 / duration_s)
                .collect(),
            spike_counts,
            neuron_steps_per_s: (n * result.n_steps) as f64 / self.simulate_s,
            wall_s: self.started.elapsed().as_secs_f64(),
            setup_s: self.setup_s,
            simulate_s: self.simulate_s,
        }
    }

    /// The time step [ms].
    pub fn dt_ms(&self) -> f64 {
        self.plan.config.dt_ms
    }
}

fn current_unit(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Classic => "µA/cm²",
        ModelKind::Traub => "pA",
    }
}

fn write_outputs(
    dir: &OutputDir,
    args: &NeuronArgs,
    plan: &Plan,
    result: &PopulationResult,
) -> Result<()> {
    let dt = plan.config.dt_ms;
    arrays::write_spikes(dir, &result.spikes, dt)?;
    let trace = result
        .trace
        .as_ref()
        .expect("neuron runs always record a trace");
    arrays::write_trace(dir, trace, dt)?;
    let n = plan.population.neurons.len();
    let t_ms: Vec<f64> = trace.steps.iter().map(|&s| s as f64 * dt).collect();
    let unit = current_unit(plan.params.kind);
    let figure = TraceFigure {
        title: format!(
            "{} neuron, {}, {}, dt = {} ms",
            match plan.params.kind {
                ModelKind::Classic => "HH 1952",
                ModelKind::Traub => "Traub–Miles",
            },
            plan.config.method.name(),
            args.precision.name(),
            dt
        ),
        t_ms: &t_ms,
        v: trace.v.view(),
        labels: plan
            .currents
            .iter()
            .map(|c| format!("I = {c} {unit}"))
            .collect(),
        spike_times_ms: (0..n.min(MAX_PANELS) as u32)
            .map(|j| {
                result
                    .spikes
                    .steps_of(j)
                    .iter()
                    .map(|&s| s as f64 * dt)
                    .collect()
            })
            .collect(),
        thresholds: vec![plan.params.v_th; n],
    };
    write_trace_png(dir, "trace.png", &figure)
}
