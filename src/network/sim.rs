//! Running a network: lowering to the kernels' flat arrays, chunks of many steps, and decoding
//! the spike ring and traces on the host. Both backends implement [`NetEngine`]; the ring is
//! sized so that it cannot overflow within a chunk, and a count beyond it is an error.

use super::step::SynConsts;
use super::{NetState, Network};
use crate::error::{Error, Result};
use crate::integrate::Method;
use crate::layout::{NONE, NetUniforms, NeuronFlags, NeuronParams, StepUniform, model_code};
use crate::model::Real;
use crate::monitor::Spikes;
use ndarray::Array2;

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

/// Steps per chunk at most: one command buffer, one drain of the spike ring.
pub const MAX_CHUNK_STEPS: usize = 1000;
/// Budget of the spike ring and of the trace buffer per chunk [bytes].
const CHUNK_BUFFER_BYTES: usize = 64 << 20;

impl NetConfig {
    pub fn validate(&self, net: &Network) -> Result<()> {
        let as_run = crate::population::RunConfig {
            method: self.method,
            dt_ms: self.dt_ms,
            duration_ms: self.duration_ms,
            record_every: Some(self.record_every),
            spike_steps: true,
        };
        as_run.validate()?;
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
        Ok(())
    }

    pub fn n_steps(&self) -> usize {
        (self.duration_ms / self.dt_ms).round().max(1.0) as usize
    }
}

/// A network lowered to the kernels' buffers.
#[derive(Clone, Debug)]
pub struct NetLowered<R> {
    pub uniforms: NetUniforms<R>,
    /// One entry per group.
    pub params: Vec<NeuronParams<R>>,
    pub init: Vec<NetState<R>>,
    pub flags: Vec<NeuronFlags>,
    pub row_start: Vec<u32>,
    pub target: Vec<u32>,
    pub weight_q: Vec<u32>,
    pub chunk_steps: usize,
    pub method: Method,
}

/// What one chunk leaves to decode.
#[derive(Clone, Debug, Default)]
pub struct ChunkRecords<R> {
    /// (step, neuron) of each spike, in device order.
    pub spikes: Vec<[u32; 2]>,
    /// Spikes the kernels counted into the ring (equal to `spikes.len()` unless it overflowed).
    pub ring_count: u32,
    /// Trace samples of the chunk, sample-major over the recorded neurons.
    pub trace: Vec<NetState<R>>,
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
    pub states: Vec<NetState<R>>,
    /// Spikes counted on the device over the run.
    pub spike_total: u32,
}

/// Recorded state of chosen neurons.
#[derive(Clone, Debug, PartialEq)]
pub struct NetTrace {
    pub neurons: Vec<usize>,
    pub steps: Vec<u64>,
    /// Each recorded × samples: v [mV], m, h, n, ge [nS], gi [nS].
    pub v: Array2<f64>,
    pub m: Array2<f64>,
    pub h: Array2<f64>,
    pub n: Array2<f64>,
    pub ge: Array2<f64>,
    pub gi: Array2<f64>,
}

/// What a network run produces.
#[derive(Clone, Debug, PartialEq)]
pub struct NetResult {
    pub spikes: Spikes,
    /// Spikes counted on the device over the run: equal to `spikes.len()` (nothing lost).
    pub device_spike_total: u64,
    pub trace: Option<NetTrace>,
    pub final_states: Vec<NetState<f64>>,
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
    let state_bytes = std::mem::size_of::<NetState<R>>();
    let mut chunk = MAX_CHUNK_STEPS.min(cfg.n_steps());
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
    let c = SynConsts::<R>::new(&net.synapses, cfg.dt_ms);
    NetLowered {
        uniforms: NetUniforms {
            n_neurons: n as u32,
            n_recorded: cfg.record.len() as u32,
            ring_capacity: (n * max_spikes(chunk, min_gap)) as u32,
            model: model_code(net.params[0].kind),
            trace_capacity: (chunk.div_ceil(cfg.record_every) * cfg.record.len()) as u32,
            _pad: 0,
            dt: R::of(cfg.dt_ms),
            quantum: R::of(net.weight_quantum_ns),
            e_e: c.e_e,
            e_i: c.e_i,
            decay_e: c.decay_e,
            decay_i: c.decay_i,
            decay_e_half: c.decay_e_half,
            decay_i_half: c.decay_i_half,
        },
        params: net
            .groups
            .iter()
            .map(|g| NeuronParams::lower(&g.params, g.current))
            .collect(),
        init: net
            .init
            .iter()
            .map(|s| NetState {
                v: R::of(s.v),
                m: R::of(s.m),
                h: R::of(s.h),
                n: R::of(s.n),
                ge: R::of(s.ge),
                gi: R::of(s.gi),
            })
            .collect(),
        flags,
        row_start: net.csr.row_start.clone(),
        target: net.csr.target.clone(),
        weight_q: net.csr.weight_q.clone(),
        chunk_steps: chunk,
        method: cfg.method,
    }
}

/// Runs the network on `engine` for `cfg.n_steps()` steps and decodes what it recorded.
pub fn run_network<R: Real>(
    cfg: &NetConfig,
    lowered: &NetLowered<R>,
    engine: &mut impl NetEngine<R>,
    mut progress: impl FnMut(usize) -> Result<()>,
) -> Result<NetResult> {
    let n_steps = cfg.n_steps();
    let mut pairs: Vec<(u64, u32)> = Vec::new();
    let mut samples: Vec<NetState<R>> = Vec::new();
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
            pairs.extend(r.spikes.iter().map(|&[step, i]| (u64::from(step), i)));
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
    let trace = (n_rec > 0).then(|| {
        let n_samples = samples.len() / n_rec;
        let col = |f: fn(&NetState<R>) -> R| {
            Array2::from_shape_fn((n_rec, n_samples), |(r, k)| {
                f(&samples[k * n_rec + r]).wide()
            })
        };
        NetTrace {
            neurons: cfg.record.clone(),
            steps: sample_steps,
            v: col(|s| s.v),
            m: col(|s| s.m),
            h: col(|s| s.h),
            n: col(|s| s.n),
            ge: col(|s| s.ge),
            gi: col(|s| s.gi),
        }
    });
    if let Some((i, _)) = final_states
        .iter()
        .enumerate()
        .find(|(_, s)| !(s.v.is_finite() && s.ge.is_finite() && s.gi.is_finite()))
    {
        return Err(Error::NonFinite {
            neuron: i,
            step: n_steps as u64,
        });
    }
    Ok(NetResult {
        stepping: engine.stepping(),
        spikes: Spikes::from_pairs(pairs),
        device_spike_total: u64::from(total),
        trace,
        final_states: final_states
            .iter()
            .map(|s| NetState {
                v: s.v.wide(),
                m: s.m.wide(),
                h: s.h.wide(),
                n: s.n.wide(),
                ge: s.ge.wide(),
                gi: s.gi.wide(),
            })
            .collect(),
        n_steps,
    })
}
