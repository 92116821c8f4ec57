//! The engines that run a described population, and the host-side driver they share: lowering
//! to flat arrays, chunking the steps, generating noise, and decoding records. Engines see only
//! the lowered arrays; the CPU engine calls the kernels' twins, the GPU engine dispatches WGSL.

pub mod cpu;
mod engine;
pub mod gpu;

pub use engine::Engine;

use crate::error::{Error, Result};
use crate::input::NoiseStream;
use crate::layout::{NeuronParams, RunUniforms, model_code};
use crate::model::{Real, State};
use crate::monitor::{Spikes, Trace};
use crate::population::{Population, RunConfig};
use ndarray::Array2;
use serde::Serialize;

/// Which engine runs a simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// A GPU adapter if there is one, otherwise the CPU with a notice.
    Auto,
    Gpu,
    Cpu,
}

/// Steps per chunk at most: the host drains the trace after each chunk, a GPU dispatch stays
/// short enough for drivers that watch for long-running work, and the step loop stays within
/// lavapipe's loop limit.
pub const MAX_CHUNK_STEPS: usize = 10_000;
const _: () = assert!(MAX_CHUNK_STEPS as u64 <= gpu::device::LLVMPIPE_LOOP_ITERATIONS);
/// Budget for each of the per-chunk noise and trace buffers [bytes].
const CHUNK_BUFFER_BYTES: usize = 32 << 20;
/// Budget for the spike-step buffer [bytes]; within it every spike is kept.
const SPIKE_BUFFER_BYTES: usize = 64 << 20;

/// A population lowered to the flat arrays the kernels read.
#[derive(Clone, Debug)]
pub struct Lowered<R> {
    pub params: Vec<NeuronParams<R>>,
    pub init: Vec<State<R>>,
    /// `RunUniforms::model`.
    pub model: u32,
    pub dt: R,
    /// Spike steps kept per neuron: enough for every possible spike (a crossing needs a step
    /// below and one above, so at most ⌈steps/2⌉) unless that exceeds the buffer budget.
    pub spike_capacity: u32,
    pub record_every: u32,
}

/// What the engines hold across chunks and hand back at the end.
#[derive(Clone, Debug, Default)]
pub struct FinalBuffers<R> {
    pub states: Vec<State<R>>,
    pub spike_count: Vec<u32>,
    /// `spike_capacity` slots per neuron.
    pub spike_steps: Vec<u32>,
    /// 0, or 1 + the step at which the neuron's state became non-finite.
    pub status: Vec<u32>,
}

/// A backend's kernels for independent neurons.
pub trait PopulationEngine<R: Real> {
    /// Integrates one chunk. `shared` holds the chunk's per-step input, `noise` a value per step
    /// and neuron (step-major) or nothing. Returns the chunk's trace samples, step-major.
    fn run_chunk(
        &mut self,
        run: &RunUniforms<R>,
        shared: &[R],
        noise: &[R],
    ) -> Result<Vec<State<R>>>;
    /// The buffers after the last chunk.
    fn finish(&mut self) -> Result<FinalBuffers<R>>;
}

/// What a run of independent neurons produces.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationResult {
    pub spikes: Spikes,
    /// Spikes of each neuron, counted on the device (equal to the list's when nothing was cut).
    pub spike_counts: Vec<u32>,
    /// True when some neuron spiked more often than the spike buffer holds: the counts are
    /// exact but `spikes` lacks the late ones.
    pub spikes_truncated: bool,
    pub trace: Option<Trace>,
    /// The state after the last step, widened to f64.
    pub final_states: Vec<State<f64>>,
    pub n_steps: usize,
}

/// Lowers `pop` for a run of `cfg` in precision `R`; `pop` and `cfg` must be validated.
pub fn lower<R: Real>(pop: &Population, cfg: &RunConfig) -> Result<Lowered<R>> {
    let kind = pop.neurons[0].params.kind;
    if let Some(other) = pop.neurons.iter().find(|s| s.params.kind != kind) {
        return Err(Error::invalid(
            "population",
            format!("{:?} and {:?}", kind, other.params.kind),
            "neurons of one model",
        ));
    }
    let n = pop.neurons.len();
    let all_spikes = cfg.n_steps() / 2 + 1;
    let budget = (SPIKE_BUFFER_BYTES / 4 / n).max(1);
    Ok(Lowered {
        params: pop
            .neurons
            .iter()
            .map(|s| NeuronParams::lower(&s.params, s.current))
            .collect(),
        init: pop.neurons.iter().map(|s| s.init.cast()).collect(),
        model: model_code(kind),
        dt: R::of(cfg.dt_ms),
        spike_capacity: if cfg.spike_steps {
            all_spikes.min(budget) as u32
        } else {
            0
        },
        record_every: cfg.record_every.unwrap_or(0) as u32,
    })
}

/// Steps per chunk: at most [`MAX_CHUNK_STEPS`], within the noise and trace budgets, and a
/// multiple of the recording interval so every chunk starts on a sample.
fn chunk_steps<R: Real>(pop: &Population, cfg: &RunConfig) -> usize {
    let n = pop.neurons.len();
    let real = std::mem::size_of::<R>();
    let mut steps = cfg.n_steps().min(MAX_CHUNK_STEPS);
    if pop.stimulus.noise.is_some() {
        steps = steps.min(CHUNK_BUFFER_BYTES / (n * real));
    }
    if let Some(every) = cfg.record_every {
        let samples = (CHUNK_BUFFER_BYTES / (n * 4 * real)).max(1);
        steps = steps.min(samples * every);
        steps -= steps % every;
        steps = steps.max(every);
    }
    steps.max(1)
}

/// Runs `pop` on `engine` chunk by chunk and decodes spikes and traces on the host.
pub fn run_on<R: Real>(
    pop: &Population,
    cfg: &RunConfig,
    lowered: &Lowered<R>,
    engine: &mut impl PopulationEngine<R>,
) -> Result<PopulationResult> {
    let n = pop.neurons.len();
    let n_steps = cfg.n_steps();
    let shared: Vec<R> = pop
        .stimulus
        .shared_per_step(cfg.dt_ms, n_steps)
        .into_iter()
        .map(R::of)
        .collect();
    let mut noise_streams: Vec<_> = (0..n)
        .filter_map(|j| pop.stimulus.noise_for(pop.first_index + j))
        .collect();
    let chunk = chunk_steps::<R>(pop, cfg);
    let mut samples: Vec<State<R>> = Vec::new();
    let mut noise = Vec::new();

    let mut first = 0;
    while first < n_steps {
        let steps = chunk.min(n_steps - first);
        fill_noise(&mut noise, &mut noise_streams, steps);
        let run = RunUniforms {
            n_neurons: n as u32,
            first_neuron: 0,
            n_steps: steps as u32,
            first_step: first as u32,
            model: lowered.model,
            record_every: lowered.record_every,
            spike_capacity: lowered.spike_capacity,
            has_noise: u32::from(!noise.is_empty()),
            dt: lowered.dt,
        };
        samples.extend(engine.run_chunk(&run, &shared[first..first + steps], &noise)?);
        first += steps;
    }
    let buffers = engine.finish()?;
    decode(lowered, buffers, samples, n_steps)
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

fn decode<R: Real>(
    lowered: &Lowered<R>,
    b: FinalBuffers<R>,
    samples: Vec<State<R>>,
    n_steps: usize,
) -> Result<PopulationResult> {
    let n = b.states.len();
    check_status(&b.status)?;
    let cap = lowered.spike_capacity as usize;
    let pairs = spike_pairs(&b.spike_count, &b.spike_steps, cap);
    let trace = (lowered.record_every > 0).then(|| {
        let every = lowered.record_every as usize;
        let n_samples = samples.len() / n;
        let column = |f: fn(&State<R>) -> R| {
            Array2::from_shape_fn((n, n_samples), |(i, k)| f(&samples[k * n + i]).wide())
        };
        Trace {
            steps: (0..n_samples).map(|k| (k * every) as u64).collect(),
            v: column(|s| s.v),
            m: column(|s| s.m),
            h: column(|s| s.h),
            n: column(|s| s.n),
        }
    });
    Ok(PopulationResult {
        spikes: Spikes::from_pairs(pairs),
        spikes_truncated: b.spike_count.iter().any(|&c| c as usize > cap),
        spike_counts: b.spike_count,
        trace,
        final_states: b.states.iter().map(|s| s.cast()).collect(),
        n_steps,
    })
}
