//! The driver of populations of independent neurons of a model file: it checks and sizes a
//! run, cuts it into chunks and calls a [`PopulationEngine`] per chunk: the generated kernel
//! (`gpu::population`) or its CPU twin (`cpu::population`), which runs the same tapes in the
//! same order. Inputs are a constant current per neuron, the shared stimulus and seeded noise;
//! results are spikes, counts and a trace of every state.

use crate::error::{Error, Result};
use crate::input::{NoiseStream, Stimulus};
use crate::integrate::Method;
use crate::kernel::Real;
use crate::kernel::check::check_parameters;
use crate::kernel::layout::PopulationRun;
use crate::memory::{self, Estimate};
use crate::model::Model;
use crate::monitor::Spikes;
use ndarray::Array2;
use std::mem::size_of;

/// Neurons of one model file, each with its own parameters, initial state and current.
#[derive(Clone, Debug)]
pub struct Population {
    pub model: Model,
    /// Parameter values per neuron, in the model's order.
    pub params: Vec<Vec<f64>>,
    /// Initial state per neuron, in the model's order.
    pub init: Vec<Vec<f64>>,
    /// Constant injected current per neuron.
    pub current: Vec<f64>,
    /// Spike threshold per neuron (upward crossing) [mV]; usually the model's.
    pub threshold: Vec<f64>,
    pub stimulus: Stimulus,
    /// Neuron j draws noise from stream `first_index + j` (a sweep's cell index).
    pub first_index: usize,
}

/// How a population of a model file is run.
#[derive(Clone, Copy, Debug)]
pub struct RunConfig {
    pub method: Method,
    pub dt_ms: f64,
    pub n_steps: usize,
    /// Record every state every this many steps (0: no trace).
    pub record_every: usize,
    /// Keep the step of each spike (else only counts, as a sweep needs).
    pub spike_steps: bool,
}

impl Population {
    /// `currents.len()` neurons alike but for their current: parameters `params`, initial
    /// state `init`, the model's threshold, no shared stimulus.
    pub fn uniform(model: Model, params: Vec<f64>, init: Vec<f64>, currents: Vec<f64>) -> Self {
        let n = currents.len();
        Population {
            params: vec![params; n],
            init: vec![init; n],
            current: currents,
            threshold: vec![model.threshold; n],
            stimulus: Stimulus::default(),
            first_index: 0,
            model,
        }
    }

    /// At least one neuron, finite currents and thresholds, and a usable stimulus; called
    /// before any work (the parameters are checked by the model when the run starts).
    pub fn validate(&self) -> Result<()> {
        if self.current.is_empty() {
            return Err(Error::invalid("population size", 0, "at least one neuron"));
        }
        if let Some(c) = self.current.iter().find(|c| !c.is_finite()) {
            return Err(Error::invalid("current", c, "a finite number"));
        }
        if let Some(t) = self.threshold.iter().find(|t| !t.is_finite()) {
            return Err(Error::invalid("threshold", t, "a finite potential in mV"));
        }
        self.stimulus.validate()
    }
}

impl RunConfig {
    /// A run of `duration_ms` in steps of `dt_ms` (rounded to the nearest whole step) that
    /// keeps every spike's step and records no trace; checked before any work.
    pub fn for_duration(method: Method, dt_ms: f64, duration_ms: f64) -> Result<Self> {
        Ok(RunConfig {
            method,
            dt_ms,
            n_steps: crate::integrate::n_steps(dt_ms, duration_ms)?,
            record_every: 0,
            spike_steps: true,
        })
    }
}

/// What a run produces.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationResult {
    pub spikes: Spikes,
    pub spike_counts: Vec<u32>,
    /// True when some neuron spiked more often than the spike buffer holds: the counts are exact
    /// but `spikes` lacks the late ones.
    pub spikes_truncated: bool,
    /// Sample steps and, per state, neurons × samples.
    pub trace: Option<(Vec<u64>, Vec<Array2<f64>>)>,
    /// The state after the last step (neurons × states), widened to f64.
    pub final_states: Array2<f64>,
    pub n_steps: usize,
}

/// Steps per chunk of a population at most: one dispatch runs the whole chunk in its step loop
/// (so it must stay within lavapipe's loop limit and short enough for drivers that watch for
/// long-running work), and the host drains the trace after each chunk. A network's chunk is
/// [`crate::backend::network::MAX_NETWORK_CHUNK_STEPS`].
pub const MAX_POPULATION_CHUNK_STEPS: usize = 10_000;

/// Budget for the spike-step buffer [bytes]; within it every spike is kept.
const SPIKE_BUFFER_BYTES: usize = 64 << 20;
/// Budget for one chunk's noise and trace buffers [bytes].
const CHUNK_BUFFER_BYTES: usize = 32 << 20;

/// Steps per chunk: at most [`MAX_POPULATION_CHUNK_STEPS`] (lavapipe's loop limit), within
/// the noise and trace budgets, and a multiple of the recording interval so that every chunk
/// starts on a sample.
fn chunk_steps(cfg: &RunConfig, n: usize, ns: usize, noise: bool, real: usize) -> usize {
    let mut steps = cfg.n_steps.min(MAX_POPULATION_CHUNK_STEPS);
    if noise {
        steps = steps.min(CHUNK_BUFFER_BYTES / (n * real));
    }
    if cfg.record_every > 0 {
        let every = cfg.record_every;
        let samples = (CHUNK_BUFFER_BYTES / (n * ns * real)).max(1);
        steps = steps.min(samples * every);
        steps -= steps % every;
        steps = steps.max(every);
    }
    steps.max(1)
}

/// What sets a population run's memory.
pub struct Sizes {
    neurons: usize,
    states: usize,
    /// Per neuron: the parameters and the threshold.
    params: usize,
    spike_slots: usize,
    chunk_steps: usize,
    noise: bool,
    samples_per_chunk: usize,
    /// Trace samples of the whole run.
    samples: usize,
    /// Bytes per real number of the run's precision.
    real: usize,
}

/// What to change when a population's neurons take too much memory.
const FEWER_NEURONS: &str = "the number of neurons (currents, grid cells per chunk, values)";
/// What to change when the trace takes too much memory.
const FEWER_SAMPLES: &str =
    "the samples (a larger --record-every, a shorter --duration, fewer neurons)";

impl Sizes {
    /// Host memory: the buffers, the trace as recorded and as returned (f64 arrays), and one
    /// chunk's input.
    fn host(&self) -> Estimate {
        let (n, real) = (self.neurons as f64, self.real as f64);
        let mut e = Estimate::new();
        e.add(
            "states, parameters and results",
            n,
            // states twice (buffer and final f64 array), parameters, current, counts, status
            real * (self.states + self.params + 1) as f64 + 8.0 * self.states as f64 + 8.0,
            FEWER_NEURONS,
        )
        .add(
            "spike steps",
            self.spike_slots as f64,
            4.0 + 12.0,
            FEWER_NEURONS,
        )
        .add(
            "trace",
            self.samples as f64 * n * self.states as f64,
            real + 8.0,
            FEWER_SAMPLES,
        )
        .add(
            "one chunk's input",
            self.chunk_steps as f64 * if self.noise { n + 1.0 } else { 1.0 },
            real,
            FEWER_NEURONS,
        );
        e
    }

    /// Each GPU buffer against the adapter's limit on a storage binding.
    pub fn check_bindings(&self, limit: u64) -> Result<()> {
        let (n, real) = (self.neurons as f64, self.real as f64);
        let noise = if self.noise { n } else { 0.0 };
        let trace = self.samples_per_chunk as f64 * n * self.states as f64;
        for (what, bytes, option) in [
            ("states", n * self.states as f64 * real, FEWER_NEURONS),
            ("parameters", n * self.params as f64 * real, FEWER_NEURONS),
            ("spike steps", self.spike_slots as f64 * 4.0, FEWER_NEURONS),
            ("trace of a chunk", trace * real, FEWER_SAMPLES),
            (
                "noise of a chunk",
                self.chunk_steps as f64 * noise * real,
                FEWER_NEURONS,
            ),
            (
                "input of a chunk",
                self.chunk_steps as f64 * real,
                "--record-every",
            ),
        ] {
            memory::check_binding(what, bytes, limit, option)?;
        }
        Ok(())
    }
}

/// The buffers the kernel and its twin share.
#[derive(Clone, Debug, Default)]
pub struct Buffers<R> {
    pub states: Vec<R>,
    pub spike_count: Vec<u32>,
    pub spike_steps: Vec<u32>,
    pub status: Vec<u32>,
}

/// Checks that the GPU kernels have `method` (exponential Euler and RK4; Euler and RK2 exist on
/// the CPU only).
pub fn gpu_method(method: Method) -> Result<()> {
    match method {
        Method::ExpEuler | Method::Rk4 => Ok(()),
        _ => Err(Error::invalid(
            "--method",
            method.name(),
            "exp-euler or rk4 on the GPU backend (euler and rk2 run with --backend cpu)",
        )),
    }
}

/// The next `steps` steps of noise of every stream into `noise`, step-major (one value per step
/// and neuron), or nothing when there are no streams.
pub fn fill_noise<R: Real>(noise: &mut Vec<R>, streams: &mut [NoiseStream], steps: usize) {
    noise.clear();
    if streams.is_empty() {
        return;
    }
    let n = streams.len();
    noise.resize(steps * n, R::zero());
    for (j, stream) in streams.iter_mut().enumerate() {
        for k in 0..steps {
            noise[k * n + j] = R::of(stream.next_value());
        }
    }
}

/// The first neuron whose state stopped being finite (status 1 + its step), as an error.
pub fn check_status(status: &[u32]) -> Result<()> {
    match status.iter().enumerate().find(|(_, s)| **s != 0) {
        Some((neuron, &status)) => Err(Error::NonFinite {
            neuron,
            step: u64::from(status - 1),
        }),
        None => Ok(()),
    }
}

/// (step, neuron) of every kept spike: `counts[i]` spikes of neuron i, of which the first
/// `capacity` stand in its slots of `steps`.
pub fn spike_pairs(counts: &[u32], steps: &[u32], capacity: usize) -> Vec<(u64, u32)> {
    let mut pairs = Vec::new();
    for (i, &count) in counts.iter().enumerate() {
        let kept = (count as usize).min(capacity);
        pairs.extend(
            steps[i * capacity..i * capacity + kept]
                .iter()
                .map(|&s| (u64::from(s), i as u32)),
        );
    }
    pairs
}

/// Which of its parts a population kernel needs for a run: pipeline constants on the GPU (the
/// kernel then carries no code for the others), facts the twin reads from the run's uniforms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelFeatures {
    pub record_trace: bool,
    pub noise: bool,
    pub shared_input: bool,
    pub spike_steps: bool,
}

/// What an engine needs to set up the population kernel for one run.
pub struct PopulationSetup<'m, R> {
    pub model: &'m Model,
    pub method: Method,
    /// Every neuron's initial state, neuron-major.
    pub init: Vec<R>,
    /// Every neuron's row: its parameters, then its threshold.
    pub params: Vec<R>,
    pub current: Vec<R>,
    /// Spike steps kept per neuron.
    pub spike_capacity: usize,
    pub chunk_steps: usize,
    pub samples_per_chunk: usize,
    pub features: KernelFeatures,
    pub sizes: Sizes,
}

/// A backend's population kernel (`integrate_model`), set up for one run. The driver
/// ([`run_population`]) plans the chunks and calls it once per chunk.
pub trait PopulationEngine<R: Real> {
    /// Runs the steps of `run` with the chunk's shared input (one value per step) and noise (per
    /// step and neuron, or empty); returns the chunk's `n_samples` trace samples, sample-major,
    /// every neuron's states in each.
    fn run_chunk(
        &mut self,
        run: &PopulationRun<R>,
        shared: &[R],
        noise: &[R],
        n_samples: usize,
    ) -> Result<Vec<R>>;
    /// The buffers after the last chunk.
    fn finish(&mut self) -> Result<Buffers<R>>;
}

/// Runs a population of a model file on the engine `make` sets up.
pub fn run_population<'e, R: Real>(
    pop: &Population,
    cfg: &RunConfig,
    make: impl FnOnce(PopulationSetup<'_, R>) -> Result<Box<dyn PopulationEngine<R> + 'e>>,
) -> Result<PopulationResult> {
    let model = &pop.model;
    // A sample every n_steps or more steps is the one at step 0 alone: the same trace, and a
    // chunk no longer than the run.
    let cfg = &RunConfig {
        record_every: cfg.record_every.min(cfg.n_steps),
        ..*cfg
    };
    let neuron = |i: usize| format!("neuron {}", pop.first_index + i);
    check_parameters(model, &pop.params, Some(&neuron))?;
    let n = pop.current.len();
    let ns = model.states.len();
    let np = model.parameters.len().max(1);
    let flat = |rows: &[Vec<f64>], width: usize| -> Vec<R> {
        rows.iter()
            .flat_map(|r| (0..width).map(|k| R::of(r.get(k).copied().unwrap_or(0.0))))
            .collect()
    };
    // A row per neuron: its parameters, then its threshold (as the kernel reads them).
    let params: Vec<R> = flat(&pop.params, np)
        .chunks(np)
        .zip(&pop.threshold)
        .flat_map(|(row, &threshold)| row.iter().copied().chain([R::of(threshold)]))
        .collect();
    let current: Vec<R> = pop.current.iter().map(|&c| R::of(c)).collect();
    let mut noise_streams: Vec<_> = (0..n)
        .filter_map(|j| pop.stimulus.noise_for(pop.first_index + j))
        .collect();
    // A crossing needs a step below and one above: at most ⌈steps/2⌉ spikes per neuron.
    let spike_capacity = if cfg.spike_steps {
        (cfg.n_steps / 2 + 1).min((SPIKE_BUFFER_BYTES / 4 / n.max(1)).max(1))
    } else {
        0
    };
    let chunk = chunk_steps(cfg, n, ns, !noise_streams.is_empty(), size_of::<R>());
    let samples_per_chunk = if cfg.record_every == 0 {
        0
    } else {
        chunk.div_ceil(cfg.record_every)
    };
    let sizes = Sizes {
        neurons: n,
        states: ns,
        params: np + 1,
        spike_slots: n * spike_capacity,
        chunk_steps: chunk,
        noise: !noise_streams.is_empty(),
        samples_per_chunk,
        samples: if cfg.record_every == 0 {
            0
        } else {
            cfg.n_steps.div_ceil(cfg.record_every)
        },
        real: size_of::<R>(),
    };
    sizes.host().check()?;
    let features = KernelFeatures {
        record_trace: cfg.record_every > 0,
        noise: !noise_streams.is_empty(),
        shared_input: pop.stimulus.has_shared(),
        spike_steps: spike_capacity > 0,
    };
    let mut engine = make(PopulationSetup {
        model,
        method: cfg.method,
        init: flat(&pop.init, ns),
        params,
        current,
        spike_capacity,
        chunk_steps: chunk,
        samples_per_chunk,
        features,
        sizes,
    })?;
    let mut samples: Vec<R> = Vec::new();
    let mut noise = Vec::new();
    let mut first = 0;
    while first < cfg.n_steps {
        let steps = chunk.min(cfg.n_steps - first);
        fill_noise(&mut noise, &mut noise_streams, steps);
        let run = PopulationRun {
            n_neurons: n as u32,
            first_neuron: 0,
            n_steps: steps as u32,
            first_step: first as u32,
            record_every: cfg.record_every as u32,
            spike_capacity: spike_capacity as u32,
            has_noise: u32::from(!noise.is_empty()),
            _pad: 0,
            dt: R::of(cfg.dt_ms),
        };
        let n_samples = if cfg.record_every == 0 {
            0
        } else {
            steps.div_ceil(cfg.record_every)
        };
        let shared: Vec<R> = (pop.stimulus)
            .shared_steps(cfg.dt_ms, cfg.n_steps, first..first + steps)
            .into_iter()
            .map(R::of)
            .collect();
        samples.extend(engine.run_chunk(&run, &shared, &noise, n_samples)?);
        first += steps;
    }
    let buffers = engine.finish()?;
    check_status(&buffers.status)?;
    let pairs = spike_pairs(&buffers.spike_count, &buffers.spike_steps, spike_capacity);
    let trace = (cfg.record_every > 0).then(|| {
        let n_samples = samples.len() / (n * ns);
        let steps = (0..n_samples)
            .map(|k| (k * cfg.record_every) as u64)
            .collect();
        let columns = (0..ns)
            .map(|j| {
                Array2::from_shape_fn((n, n_samples), |(i, k)| {
                    samples[(k * n + i) * ns + j].wide()
                })
            })
            .collect();
        (steps, columns)
    });
    Ok(PopulationResult {
        spikes_truncated: buffers
            .spike_count
            .iter()
            .any(|&c| c as usize > spike_capacity),
        spikes: Spikes::from_pairs(pairs),
        spike_counts: buffers.spike_count,
        trace,
        final_states: Array2::from_shape_fn((n, ns), |(i, j)| buffers.states[i * ns + j].wide()),
        n_steps: cfg.n_steps,
    })
}
