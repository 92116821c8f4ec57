//! The engines that run a described population or network, and the host-side helpers they
//! share: generating noise, checking that states stayed finite, and decoding spikes.
//! Populations run the generated kernels of their model file (see [`crate::model_file::run`]).

pub mod cpu;
mod engine;
pub mod gpu;

pub use engine::Engine;

use crate::error::{Error, Result};
use crate::input::NoiseStream;
use crate::model::{Real, State};
use crate::model_file::run::FileResult;
use crate::monitor::{Spikes, Trace};
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

/// Steps per chunk of a population at most: one dispatch runs the whole chunk in its step loop
/// (so it must stay within lavapipe's loop limit and short enough for drivers that watch for
/// long-running work), and the host drains the trace after each chunk. A network's chunk is
/// [`crate::network::sim::MAX_NETWORK_CHUNK_STEPS`].
pub const MAX_POPULATION_CHUNK_STEPS: usize = 10_000;
const _: () = assert!(MAX_POPULATION_CHUNK_STEPS as u64 <= gpu::device::LLVMPIPE_LOOP_ITERATIONS);

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

impl PopulationResult {
    /// The result of a run of the bundled `traub` or `hh` file (states v, m, h, n).
    pub fn from_model_file(r: FileResult) -> PopulationResult {
        let state = |row: ndarray::ArrayView1<f64>| State {
            v: row[0],
            m: row[1],
            h: row[2],
            n: row[3],
        };
        PopulationResult {
            spikes: r.spikes,
            spike_counts: r.spike_counts,
            spikes_truncated: r.spikes_truncated,
            trace: r.trace.map(|(steps, mut states)| {
                let mut take = |k: usize| std::mem::take(&mut states[k]);
                Trace {
                    steps,
                    v: take(0),
                    m: take(1),
                    h: take(2),
                    n: take(3),
                }
            }),
            final_states: r.final_states.rows().into_iter().map(state).collect(),
            n_steps: r.n_steps,
        }
    }
}
