//! What a run records: spikes (neuron, step) in Brian2's order and state traces, decoded on the
//! host in the same form whichever backend produced them.

use crate::error::{Error, Result};

/// Spikes sorted by step, then neuron index. A spike belongs to the step in which V crossed the
/// threshold upwards, and its time is that step's start, as Brian2's `SpikeMonitor` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spikes {
    pub neuron: Vec<u32>,
    pub step: Vec<u64>,
}

impl Spikes {
    /// Builds the list from unsorted (step, neuron) pairs.
    pub fn from_pairs(mut pairs: Vec<(u64, u32)>) -> Self {
        pairs.sort_unstable();
        let (step, neuron) = pairs.into_iter().unzip();
        Spikes { neuron, step }
    }

    pub fn len(&self) -> usize {
        self.neuron.len()
    }

    pub fn is_empty(&self) -> bool {
        self.neuron.is_empty()
    }

    /// Spike times [ms].
    pub fn times_ms(&self, dt_ms: f64) -> Vec<f64> {
        self.step.iter().map(|&s| s as f64 * dt_ms).collect()
    }

    /// Number of spikes of each of `n_neurons` neurons.
    pub fn counts(&self, n_neurons: usize) -> Vec<u32> {
        let mut counts = vec![0; n_neurons];
        for &i in &self.neuron {
            counts[i as usize] += 1;
        }
        counts
    }

    /// The steps at which one neuron spiked, in order.
    pub fn steps_of(&self, neuron: u32) -> Vec<u64> {
        self.neuron
            .iter()
            .zip(&self.step)
            .filter(|(i, _)| **i == neuron)
            .map(|(_, s)| *s)
            .collect()
    }
}

/// Where a network run's spikes go as they are decoded: chunk by chunk, each chunk sorted by
/// step then neuron and later than the one before, so what a sink sees in all is sorted too.
pub trait SpikeSink {
    fn take(&mut self, chunk: &Spikes) -> Result<()>;
}

/// A sink that keeps every spike in memory, for callers that want the list itself (Python,
/// tests). It holds at most half the memory available when it was made (the rest for copies
/// of the list and its files) and stops the run cleanly beyond that; `hhsim cobahh` streams
/// to its output file instead.
#[derive(Debug, Default)]
pub struct SpikeList {
    pub spikes: Spikes,
    budget: Option<u64>,
}

/// Memory per kept spike: the step and neuron held here, and the time array made from them
/// for NumPy or a file [bytes].
const KEPT_SPIKE_BYTES: u64 = 12 + 8;

impl SpikeList {
    pub fn new() -> Self {
        SpikeList {
            spikes: Spikes::default(),
            budget: crate::memory::available_bytes().map(|b| b / 2),
        }
    }
}

impl SpikeSink for SpikeList {
    fn take(&mut self, chunk: &Spikes) -> Result<()> {
        let held = (self.spikes.len() + chunk.len()) as u64;
        if let Some(budget) = self.budget
            && held * KEPT_SPIKE_BYTES > budget
        {
            return Err(Error::OutOfMemory {
                message: format!(
                    "the run's {held} spikes would take more than {}, half the memory available at its start; shorten the duration or run fewer neurons",
                    crate::memory::human(budget as f64)
                ),
            });
        }
        self.spikes.neuron.extend_from_slice(&chunk.neuron);
        self.spikes.step.extend_from_slice(&chunk.step);
        Ok(())
    }
}
