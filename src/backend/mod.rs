//! The engines that run a described population or network: the drivers ([`population`],
//! and `network::sim` for networks) plan chunks and call a backend's kernels through a trait
//! (`PopulationEngine`, `NetEngine`), which [`cpu`] and [`gpu`] implement alike; [`Engine`]
//! picks the backend.

pub mod cpu;
mod engine;
pub mod gpu;
pub mod population;

pub use engine::{Engine, simulate};

use crate::backend::population::FileResult;
use crate::model::State;
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
