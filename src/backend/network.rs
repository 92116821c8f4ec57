//! Running a network: lowering to the kernels' flat arrays, chunks of many steps, and decoding
//! the spike ring and traces on the host. Both backends implement [`NetEngine`]; the ring is
//! sized so that it cannot overflow within a chunk, and a count beyond it is an error.

use crate::error::{Error, Result};
use crate::integrate::Method;
use crate::kernel::Real;
use crate::kernel::layout::{NONE, NetUniforms, NeuronFlags, StepUniform};
use crate::kernel::step::synapse_constants;
use crate::model::Model;
use crate::monitor::{SpikeSink, Spikes};
use crate::network::Network;
use crate::network::stats::SpikeTally;
use ndarray::Array2;
use std::sync::Arc;

/// How to run a network and what to record.
#[derive(Clone, Debug, PartialEq)]
pub struct NetConfig {
    pub method: Method,
    pub dt_ms: f64,
    pub duration_ms: f64,
    /// Neurons whose state is recorded.
    pub record: Vec<usize>,
    /// Record every this many steps.
    pub record_every: usize,
}

/// Steps per chunk of a network at most: one command buffer of a dispatch per step (or a few
/// cooperative ones), one drain of the spike ring. Fewer than a population's
/// ([`crate::backend::population::MAX_POPULATION_CHUNK_STEPS`]): the ring and trace grow with the chunk.
pub const MAX_NETWORK_CHUNK_STEPS: usize = 1000;
/// Budget of the spike ring and of the trace buffer per chunk [bytes].
const CHUNK_BUFFER_BYTES: usize = 64 << 20;

impl NetConfig {
    pub fn validate(&self, net: &Network) -> Result<()> {
        crate::integrate::n_steps(self.dt_ms, self.duration_ms)?;
        if self.record_every == 0 {
            return Err(Error::invalid(
                "--record-every",
                0,
                "a whole number of steps ≥ 1",
            ));
        }
        if !matches!(self.method, Method::ExpEuler | Method::Rk4) {
            return Err(Error::invalid(
                "--method",
                self.method.name(),
                "exp-euler or rk4 for networks",
            ));
        }
        if let Some(&bad) = self.record.iter().find(|&&i| i >= net.n_neurons()) {
            return Err(Error::invalid(
                "recorded neuron",
                bad,
                format!("an index below {} (the network's size)", net.n_neurons()),
            ));
        }
        // The trace as recorded (f64 at most) and as returned (f64 arrays per variable).
        let samples = self.n_steps().div_ceil(self.record_every.max(1));
        crate::memory::Estimate::new()
            .add(
                "trace",
                (self.record.len() * net.n_variables()) as f64 * samples as f64,
                16.0,
                "the recorded neurons (--record-v) or the samples (--duration, --record-every)",
            )
            .check()
    }

    pub fn n_steps(&self) -> usize {
        (self.duration_ms / self.dt_ms).round().max(1.0) as usize
    }
}

/// A network lowered to the kernels' buffers.
#[derive(Clone, Debug)]
pub struct NetLowered<R> {
    pub model: Arc<Model>,
    pub uniforms: NetUniforms<R>,
    /// Per group: the model's parameters (at least one value), then the group's current.
    pub params: Vec<R>,
    /// Per synapse of the model: (reversal, e^(−dt/τ), e^(−dt/(2τ)), 0).
    pub synapses: Vec<[R; 4]>,
    /// Every neuron's variables, neuron-major, `n_variables` each.
    pub init: Vec<R>,
    pub n_variables: usize,
    pub flags: Vec<NeuronFlags>,
    pub row_start: Vec<u32>,
    pub target: Vec<u32>,
    pub weight_q: Vec<u32>,
    pub chunk_steps: usize,
    pub method: Method,
}

impl<R> NetLowered<R> {
    /// Values per group in `params`.
    pub fn params_per_group(&self) -> usize {
        self.model.parameters.len().max(1) + 1
    }
}

/// What one chunk leaves to decode.
#[derive(Clone, Debug, Default)]
pub struct ChunkRecords<R> {
    /// (step, neuron) of each spike, in device order.
    pub spikes: Vec<[u32; 2]>,
    /// Spikes the kernels counted into the ring (equal to `spikes.len()` unless it overflowed).
    pub ring_count: u32,
    /// Trace samples of the chunk, sample-major over the recorded neurons, `n_variables` values
    /// each.
    pub trace: Vec<R>,
}

/// A backend's network kernels. Chunks alternate between two halves of the ring and trace
/// (`StepUniform::half`), so an engine may drain one chunk while the next runs.
pub trait NetEngine<R: Real> {
    /// Starts the steps of one chunk; returns the records of the chunks finished meanwhile, in
    /// order (the CPU: this one; the GPU: the previous one, read while this one runs).
    fn run_chunk(
        &mut self,
        steps: &[StepUniform],
        n_samples: usize,
    ) -> Result<Vec<ChunkRecords<R>>>;
    /// Waits for the last chunk.
    fn finish(&mut self) -> Result<Finished<R>>;
    /// How the engine advances the network, for the run's summary.
    fn stepping(&self) -> SteppingReport;
}

/// How an engine advanced a network, as a run's summary reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SteppingReport {
    pub description: String,
    /// Device memory per neuron beyond what every engine holds (`hhsim cobahh`'s
    /// `bytes_per_neuron`).
    pub extra_bytes_per_neuron: usize,
}

/// What an engine hands back at the end of a run.
pub struct Finished<R> {
    /// Records of chunks not yet returned.
    pub last: Vec<ChunkRecords<R>>,
    /// Every neuron's variables, neuron-major.
    pub states: Vec<R>,
    /// Spikes counted on the device over the run.
    pub spike_total: u32,
}

/// Recorded state of chosen neurons.
#[derive(Clone, Debug, PartialEq)]
pub struct NetTrace {
    pub neurons: Vec<usize>,
    pub steps: Vec<u64>,
    /// Each variable of the neurons (the model's states, then its synapses' conductances) by
    /// name: recorded neurons × samples.
    pub variables: Vec<(String, Array2<f64>)>,
}

impl NetTrace {
    /// The trace of variable `name`.
    pub fn variable(&self, name: &str) -> Option<&Array2<f64>> {
        self.variables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a)
    }
}

/// What a network run produces besides the spikes, which went to the run's [`SpikeSink`].
#[derive(Clone, Debug, PartialEq)]
pub struct NetResult {
    /// Counts and interval statistics of the spikes.
    pub tally: SpikeTally,
    /// Spikes counted on the device over the run: equal to `tally.total()` (nothing lost).
    pub device_spike_total: u64,
    pub trace: Option<NetTrace>,
    /// The neurons' variables at the end: neurons × variables (named as in the trace).
    pub final_states: Array2<f64>,
    pub n_steps: usize,
    pub stepping: SteppingReport,
}

/// The most spikes one neuron can fire in `steps` steps: a crossing needs a step below the
/// threshold after the previous one, and the refractory window may demand more.
fn max_spikes(steps: usize, min_gap: usize) -> usize {
    steps.div_ceil(min_gap.max(2))
}

pub fn lower<R: Real>(net: &Network, cfg: &NetConfig) -> NetLowered<R> {
    let n = net.n_neurons();
    let refractory: Vec<u32> = net
        .refractory_ms
        .iter()
        .map(|&r| (r / cfg.dt_ms).round() as u32)
        .collect();
    let min_gap = refractory.iter().copied().min().unwrap_or(0) as usize;
    let state_bytes = net.n_variables() * std::mem::size_of::<R>();
    let mut chunk = MAX_NETWORK_CHUNK_STEPS.min(cfg.n_steps());
    while chunk > 1
        && (n * max_spikes(chunk, min_gap) * 8 > CHUNK_BUFFER_BYTES
            || chunk.div_ceil(cfg.record_every) * cfg.record.len() * state_bytes
                > CHUNK_BUFFER_BYTES)
    {
        chunk /= 2;
    }
    let mut flags: Vec<NeuronFlags> = refractory
        .iter()
        .map(|&r| NeuronFlags {
            refractory_steps: r,
            record_slot: NONE,
            last_spike: 0,
            group: 0,
        })
        .collect();
    for (g, range) in net.ranges.iter().enumerate() {
        flags[range.clone()]
            .iter_mut()
            .for_each(|f| f.group = g as u32);
    }
    for (slot, &i) in cfg.record.iter().enumerate() {
        flags[i].record_slot = slot as u32;
    }
    let n_params = net.model.parameters.len().max(1);
    let params = net
        .groups
        .iter()
        .flat_map(|g| {
            let mut values = g.params.clone();
            values.resize(n_params, 0.0);
            values.push(g.current);
            values.into_iter().map(R::of)
        })
        .collect();
    NetLowered {
        model: net.model.clone(),
        uniforms: NetUniforms {
            n_neurons: n as u32,
            n_recorded: cfg.record.len() as u32,
            ring_capacity: (n * max_spikes(chunk, min_gap)) as u32,
            trace_capacity: (chunk.div_ceil(cfg.record_every) * cfg.record.len()) as u32,
            dt: R::of(cfg.dt_ms),
            quantum: R::of(net.weight_quantum_ns),
            threshold: R::of(net.model.threshold),
            _pad: R::zero(),
        },
        params,
        synapses: synapse_constants(&net.model, cfg.dt_ms),
        init: net.init.iter().map(|&x| R::of(x)).collect(),
        n_variables: net.n_variables(),
        flags,
        row_start: net.csr.row_start.clone(),
        target: net.csr.target.clone(),
        weight_q: net.csr.weight_q.clone(),
        chunk_steps: chunk,
        method: cfg.method,
    }
}

/// Runs the network on `engine` for `cfg.n_steps()` steps and decodes what it recorded; each
/// chunk's spikes go to `spikes` as soon as they are read back.
pub fn run_network<R: Real>(
    cfg: &NetConfig,
    lowered: &NetLowered<R>,
    engine: &mut impl NetEngine<R>,
    spikes: &mut dyn SpikeSink,
    mut progress: impl FnMut(usize) -> Result<()>,
) -> Result<NetResult> {
    let n_steps = cfg.n_steps();
    let mut tally = SpikeTally::new(lowered.flags.len());
    let mut samples: Vec<R> = Vec::new();
    let mut sample_steps = Vec::new();
    let mut keep = |records: Vec<ChunkRecords<R>>| -> Result<()> {
        for r in records {
            if r.ring_count as usize != r.spikes.len() {
                return Err(Error::Gpu {
                    context: "draining the spike ring".into(),
                    message: format!(
                        "{} spikes counted but {} stored: the ring was sized too small",
                        r.ring_count,
                        r.spikes.len()
                    ),
                });
            }
            let chunk = Spikes::from_pairs(
                r.spikes
                    .iter()
                    .map(|&[step, i]| (u64::from(step), i))
                    .collect(),
            );
            tally.take(&chunk)?;
            spikes.take(&chunk)?;
            samples.extend(r.trace);
        }
        Ok(())
    };
    let mut first = 0;
    let mut chunk_index = 0;
    while first < n_steps {
        let len = lowered.chunk_steps.min(n_steps - first);
        let mut n_samples = 0u32;
        let steps: Vec<StepUniform> = (first..first + len)
            .map(|s| {
                let sample = if !cfg.record.is_empty() && s % cfg.record_every == 0 {
                    sample_steps.push(s as u64);
                    n_samples += 1;
                    n_samples - 1
                } else {
                    NONE
                };
                StepUniform {
                    step: s as u32,
                    parity: (s % 2) as u32,
                    sample,
                    half: chunk_index % 2,
                }
            })
            .collect();
        keep(engine.run_chunk(&steps, n_samples as usize)?)?;
        first += len;
        chunk_index += 1;
        progress(first)?;
    }
    let Finished {
        last,
        states: final_states,
        spike_total: total,
    } = engine.finish()?;
    keep(last)?;
    let n_rec = cfg.record.len();
    let width = lowered.n_variables;
    let names = crate::network::variables(&lowered.model);
    let trace = (n_rec > 0).then(|| {
        let n_samples = samples.len() / (n_rec * width);
        NetTrace {
            neurons: cfg.record.clone(),
            steps: sample_steps,
            variables: names
                .iter()
                .enumerate()
                .map(|(j, name)| {
                    let column = Array2::from_shape_fn((n_rec, n_samples), |(r, k)| {
                        samples[(k * n_rec + r) * width + j].wide()
                    });
                    (name.clone(), column)
                })
                .collect(),
        }
    });
    let final_states = Array2::from_shape_fn((final_states.len() / width, width), |(i, j)| {
        final_states[i * width + j].wide()
    });
    if let Some((i, _)) = final_states
        .outer_iter()
        .enumerate()
        .find(|(_, s)| !s.iter().all(|x| x.is_finite()))
    {
        return Err(Error::NonFinite {
            neuron: i,
            step: n_steps as u64,
        });
    }
    Ok(NetResult {
        stepping: engine.stepping(),
        tally,
        device_spike_total: u64::from(total),
        trace,
        final_states,
        n_steps,
    })
}
