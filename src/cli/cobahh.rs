//! `hhsim cobahh`: the COBA-HH benchmark network; writes spikes.npz, raster.png, summary.json
//! and, with --record-v, trace.npz.

use super::model_choice::{apply_file_settings, model_file};
use super::{Host, Numbers, number_list};
use crate::backend::network::{NetConfig, NetResult, NetTrace};
use crate::backend::{BackendChoice, Engine};
use crate::error::{Error, Result};
use crate::integrate::Method;
use crate::kernel::Precision;
use crate::monitor::{SpikeSink, Spikes};
use crate::network::BYTES_PER_SYNAPSE;
use crate::network::cobahh::{self, CobaHh, EXCITATORY, INHIBITORY, Variant};
use crate::network::stats::SpikeTally;
use crate::output::OutputDir;
use crate::output::arrays::write_npz_arrays;
use crate::output::plot::{RasterFigure, write_raster_png};
use crate::output::spike_file::SpikeFile;
use ndarray::Array1;
use serde::Serialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct CobaHhArgs {
    /// `brian2`: random V, ge, gi and a 3 ms refractory window; `brainpy`: random V, g = 0,
    /// pure threshold crossing.
    #[arg(long, value_enum, default_value = "brian2")]
    variant: Variant,
    /// Network size N = 4000·S (80 % excitatory).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Keep p = 0.02 at every scale instead of an in-degree of 80 (p = 80/N).
    #[arg(long, conflicts_with_all = ["p", "in_degree"])]
    fixed_p: bool,
    /// Connection probability of every projection (default 80/N).
    #[arg(long, conflicts_with = "in_degree")]
    p: Option<f64>,
    /// Exactly K inputs from each population's share instead of a probability: K·4/5 from E and
    /// K/5 from I.
    #[arg(long, value_name = "K")]
    in_degree: Option<usize>,
    /// Excitatory weight [nS].
    #[arg(long, default_value_t = cobahh::W_E)]
    we: f64,
    /// Inhibitory weight [nS].
    #[arg(long, default_value_t = cobahh::W_I)]
    wi: f64,
    /// Excitatory synaptic time constant [ms] (default: the model's synapse `ge`, 5 ms in
    /// `traub`).
    #[arg(long)]
    tau_e: Option<f64>,
    /// Inhibitory synaptic time constant [ms] (default: the model's synapse `gi`, 10 ms in
    /// `traub`).
    #[arg(long)]
    tau_i: Option<f64>,
    /// Constant current injected into every neuron [pA].
    #[arg(long, default_value_t = 0.0)]
    current: f64,
    /// The neuron: `traub` (Traub–Miles, the default), a bundled model file or the path of one.
    /// Its `[[synapse]]`s `ge` and `gi` take the excitatory and inhibitory projections.
    #[arg(long, default_value = "traub")]
    model: String,
    /// Override a parameter of every neuron, NAME=VALUE (repeatable), by the model file's names
    /// (`traub`: gna, gk, gl [mS/cm²], ena, ek, el, vt [mV], c [pF], area), or `threshold` [mV].
    #[arg(long = "set", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub set: Vec<String>,
    /// Simulated time [ms].
    #[arg(long, default_value_t = 1000.0)]
    duration: f64,
    /// Time step [ms].
    #[arg(long, default_value_t = 0.1)]
    dt: f64,
    /// Seed of connectivity and initial state.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, value_enum, default_value = "exp-euler")]
    method: Method,
    #[arg(long, value_enum, default_value = "f32")]
    precision: Precision,
    /// `auto`: a GPU adapter if there is one (software ones included), else the CPU.
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendChoice,
    /// Neurons whose variables (Traub: v, m, h, n, ge, gi) go to trace.npz, e.g. 0,1,3200.
    #[arg(long, value_name = "IDS", value_parser = number_list)]
    record_v: Option<Numbers>,
    /// Record the state every this many steps.
    #[arg(long, default_value_t = 1)]
    record_every: usize,
    /// Output directory.
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

#[derive(Clone, Serialize)]
pub struct GroupSummary {
    pub name: String,
    pub size: usize,
    pub rate_hz: f64,
    pub spikes: u64,
}

/// What `summary.json` records about a COBA-HH run.
#[derive(Clone, Serialize)]
pub struct Summary {
    command: &'static str,
    variant: Variant,
    scale: f64,
    pub n_neurons: usize,
    pub n_synapses: usize,
    connection_probability: Option<f64>,
    pub groups: Vec<GroupSummary>,
    pub total_spikes: u64,
    device_spike_total: u64,
    mean_isi_cv: Option<f64>,
    backend: &'static str,
    adapter: Option<String>,
    precision: Precision,
    method: Method,
    pub dt_ms: f64,
    duration_ms: f64,
    n_steps: usize,
    seed: u64,
    /// How the engine stepped the network.
    stepping: String,
    /// Device memory per neuron and per synapse, accounted from the engine's buffers.
    bytes_per_neuron: usize,
    bytes_per_synapse: u64,
    /// The engine's device memory in all, accounted [bytes].
    device_bytes: u64,
    /// The process's peak resident memory, measured (VmHWM) when the run ended; on a software
    /// adapter it includes the device's buffers [bytes].
    host_peak_bytes: Option<u64>,
    pub wall_s: f64,
    build_s: f64,
    pub simulate_s: f64,
    neuron_steps_per_s: f64,
    synaptic_events_per_s: f64,
}

fn record_ids(args: &CobaHhArgs) -> Result<Vec<usize>> {
    let ids = args
        .record_v
        .as_ref()
        .map(|n| n.0.clone())
        .unwrap_or_default();
    ids.iter()
        .map(|&x| {
            if x >= 0.0 && x.fract() == 0.0 && x < u32::MAX as f64 {
                Ok(x as usize)
            } else {
                Err(Error::invalid(
                    "--record-v",
                    x,
                    "neuron indices (whole numbers ≥ 0)",
                ))
            }
        })
        .collect()
}

/// A finished COBA-HH run: everything the command writes but the spikes, which went to the
/// run's sink.
pub struct CobaHhRun {
    pub result: NetResult,
    summary: Summary,
    variant: Variant,
    /// Each group's name and neuron range, for the raster.
    pub groups: Vec<(String, Range<usize>)>,
    started: Instant,
}

/// Runs `hhsim cobahh`: the run, its spikes streamed into `--out` as they come, then the other
/// files.
pub fn run(args: CobaHhArgs, started: Instant) -> Result<()> {
    let out = args.out.clone();
    let dir = OutputDir::create(&out)?;
    let mut spikes = SpikeFile::new(&dir)?;
    let run = compute(args, &Host::command_line(), started, &mut spikes)?;
    run.save_into(&dir, &mut spikes)?;
    dir.finish();
    let summary = run.summary();
    println!(
        "{} neurons, {} synapses: E {:.1} Hz, I {:.1} Hz, {} spikes; {:.2} s in all ({:.2} s simulating); results in {}",
        summary.n_neurons,
        summary.n_synapses,
        summary.groups[0].rate_hz,
        summary.groups[1].rate_hz,
        summary.total_spikes,
        summary.wall_s,
        summary.simulate_s,
        out.display()
    );
    Ok(())
}

/// Checks the arguments, builds the network and runs it, its spikes going to `spikes`; writes
/// nothing else.
pub fn compute(
    args: CobaHhArgs,
    host: &Host,
    started: Instant,
    spikes: &mut dyn SpikeSink,
) -> Result<CobaHhRun> {
    let record = record_ids(&args)?;
    let mut neuron = model_file(&args.model)?;
    for (flag, name, tau) in [
        ("--tau-e", EXCITATORY, args.tau_e),
        ("--tau-i", INHIBITORY, args.tau_i),
    ] {
        if let Some(tau) = tau.filter(|t| !(*t > 0.0 && t.is_finite())) {
            return Err(Error::invalid(flag, tau, "a time constant > 0 ms"));
        }
        let synapse = neuron.synapses.iter_mut().find(|s| s.name == name);
        if let (Some(synapse), Some(tau)) = (synapse, tau) {
            synapse.tau_ms = tau;
        }
    }
    let mut params = neuron.default_parameters();
    apply_file_settings(&mut neuron, &mut params, &args.set)?;
    let base = CobaHh::new(args.variant, args.scale, args.seed);
    if let Some(k) = args.in_degree
        && base.scale > 0.0
        && k > base.max_in_degree()
    {
        let (_, n_e, n_i) = base.sizes();
        return Err(Error::invalid(
            "--in-degree",
            k,
            format!(
                "at most {} at this scale: 4/5 of the inputs come from the {n_e} E neurons and 1/5 from the {n_i} I neurons",
                base.max_in_degree()
            ),
        ));
    }
    let model = CobaHh {
        p: if args.fixed_p { Some(0.02) } else { args.p },
        in_degree: args.in_degree.map(|k| (k * 4 / 5, k / 5)),
        w_e: args.we,
        w_i: args.wi,
        current: args.current,
        model: std::sync::Arc::new(neuron),
        params,
        ..base
    };
    // The engine before the network: one too large for the adapter's buffers is caught before
    // it is built (auto then runs on the CPU, once the network is known to fit in memory).
    let mut engine = host.engine(args.backend, args.precision, args.method)?;
    let too_large = match &engine {
        Engine::Gpu(ctx) => crate::backend::gpu::network::check_neuron_buffers(
            ctx,
            model.sizes().0,
            model.model.states.len() + model.model.synapses.len(),
            model.model.synapses.len(),
            args.precision.bytes(),
        )
        .err(),
        Engine::Cpu => None,
    };
    if args.backend != BackendChoice::Auto
        && let Some(e) = too_large
    {
        return Err(e);
    }
    let net = model.build()?;
    if let Some(e) = too_large {
        crate::notes::note(&format!("running on the CPU reference backend: {e}"));
        engine = Engine::Cpu;
    }
    let cfg = NetConfig {
        method: args.method,
        dt_ms: args.dt,
        duration_ms: args.duration,
        record,
        record_every: args.record_every,
    };
    cfg.validate(&net)?;
    let build_s = started.elapsed().as_secs_f64();
    if let (BackendChoice::Auto, Engine::Gpu(ctx)) = (args.backend, &engine)
        && let Err(e) = crate::backend::gpu::network::check_limits(
            ctx,
            &net.csr.row_start,
            net.n_variables(),
            net.model.synapses.len(),
            args.precision.bytes(),
        )
    {
        crate::notes::note(&format!("running on the CPU reference backend: {e}"));
        engine = Engine::Cpu;
    }
    let n_steps = cfg.n_steps();
    let progress = host.progress(n_steps as u64, "{bar:40} {pos}/{len} steps  eta {eta}");
    let sim_start = Instant::now();
    let result = engine.run_network(args.precision, &net, &cfg, spikes, |done| {
        progress.set(done as u64)
    })?;
    progress.finish();
    let simulate_s = sim_start.elapsed().as_secs_f64();

    let duration_ms = n_steps as f64 * args.dt;
    let named: Vec<(String, Range<usize>)> = net
        .groups
        .iter()
        .zip(&net.ranges)
        .map(|(g, r)| (g.name.clone(), r.clone()))
        .collect();
    let groups = group_summaries(&result.tally, &named, duration_ms);
    let events: u64 = (result.tally.counts().iter().enumerate())
        .map(|(i, &count)| count * u64::from(net.csr.row_start[i + 1] - net.csr.row_start[i]))
        .sum();
    let real = args.precision.bytes();
    // Device memory: the variables padded to whole vec4s, flags (4 u32), two accumulators
    // per synapse (one per step parity) and one CSR row start; parameters are per group.
    let bytes_per_neuron = net.n_variables().next_multiple_of(4) * real
        + 4 * (4 + 2 * net.model.synapses.len() + 1)
        + result.stepping.extra_bytes_per_neuron;
    let summary = Summary {
        command: "cobahh",
        variant: args.variant,
        scale: args.scale,
        n_neurons: net.n_neurons(),
        n_synapses: net.n_synapses(),
        connection_probability: model.in_degree.is_none().then(|| model.probability()),
        total_spikes: result.tally.total(),
        device_spike_total: result.device_spike_total,
        mean_isi_cv: result.tally.mean_isi_cv(),
        groups,
        backend: engine.backend_name(),
        adapter: engine.adapter_name(),
        precision: args.precision,
        method: args.method,
        dt_ms: args.dt,
        duration_ms,
        n_steps,
        seed: args.seed,
        stepping: result.stepping.description.clone(),
        bytes_per_neuron,
        bytes_per_synapse: BYTES_PER_SYNAPSE,
        device_bytes: bytes_per_neuron as u64 * net.n_neurons() as u64
            + BYTES_PER_SYNAPSE * net.n_synapses() as u64,
        host_peak_bytes: crate::memory::peak_resident_bytes(),
        wall_s: 0.0,
        build_s,
        simulate_s,
        neuron_steps_per_s: (net.n_neurons() * n_steps) as f64 / simulate_s,
        synaptic_events_per_s: events as f64 / simulate_s,
    };
    Ok(CobaHhRun {
        result,
        summary,
        variant: args.variant,
        groups: named,
        started,
    })
}

/// Each group's size, mean rate over `duration_ms` and spike count.
pub fn group_summaries(
    tally: &SpikeTally,
    groups: &[(String, Range<usize>)],
    duration_ms: f64,
) -> Vec<GroupSummary> {
    groups
        .iter()
        .map(|(name, r)| GroupSummary {
            name: name.clone(),
            size: r.len(),
            rate_hz: tally.group_rate_hz(r, duration_ms),
            spikes: tally.group_count(r),
        })
        .collect()
}

impl CobaHhRun {
    /// What summary.json records; `wall_s` counts until now.
    pub fn summary(&self) -> Summary {
        Summary {
            wall_s: self.started.elapsed().as_secs_f64(),
            ..self.summary.clone()
        }
    }

    /// Writes the run's files, with its spikes kept in memory (`spikes`), into `out`.
    pub fn save(&self, out: &Path, spikes: &Spikes) -> Result<()> {
        let dir = OutputDir::create(out)?;
        let mut file = SpikeFile::new(&dir)?;
        file.take(spikes)?;
        self.save_into(&dir, &mut file)?;
        dir.finish();
        Ok(())
    }

    /// Writes spikes.npz, raster.png, summary.json and, when neurons were recorded, trace.npz.
    fn save_into(&self, dir: &OutputDir, spikes: &mut SpikeFile) -> Result<()> {
        let s = &self.summary;
        let title = format!(
            "COBA-HH ({:?}), {} neurons, E {:.1} Hz, I {:.1} Hz",
            self.variant, s.n_neurons, s.groups[0].rate_hz, s.groups[1].rate_hz
        );
        write_network_files(dir, spikes, &self.result, &self.groups, title, s.dt_ms)?;
        dir.write_json("summary.json", &self.summary())
    }
}

/// A network run's spikes.npz, raster.png (one colour per group, population rates beneath)
/// and, when neurons were recorded, trace.npz.
pub fn write_network_files(
    dir: &OutputDir,
    spikes: &mut SpikeFile,
    result: &NetResult,
    groups: &[(String, Range<usize>)],
    title: String,
    dt: f64,
) -> Result<()> {
    spikes.write_npz(dir, dt)?;
    if let Some(trace) = &result.trace {
        write_trace(dir, trace, dt)?;
    }
    let figure = RasterFigure::gather(title, groups.to_vec(), result.n_steps, dt, |f| {
        spikes.for_each(f)
    })?;
    write_raster_png(dir, "raster.png", &figure)
}

fn write_trace(dir: &OutputDir, trace: &NetTrace, dt_ms: f64) -> Result<()> {
    let t = Array1::from_iter(trace.steps.iter().map(|&s| s as f64 * dt_ms));
    let neurons = Array1::from_iter(trace.neurons.iter().map(|&i| i as u32));
    let mut arrays: Vec<(&str, &dyn crate::output::arrays::WriteNpyArray)> =
        vec![("t", &t), ("neuron", &neurons)];
    arrays.extend(trace.variables.iter().map(|(name, a)| {
        (
            name.as_str(),
            a as &dyn crate::output::arrays::WriteNpyArray,
        )
    }));
    write_npz_arrays(dir, "trace.npz", &arrays)
}
