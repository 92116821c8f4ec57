//! Summary statistics of a network's spikes: group rates, population rate per bin, and the
//! coefficient of variation of inter-spike intervals.

use crate::monitor::Spikes;
use std::ops::Range;

/// Mean firing rate of the neurons in `range` [Hz] over `duration_ms`.
pub fn group_rate_hz(spikes: &Spikes, range: &Range<usize>, duration_ms: f64) -> f64 {
    let count = spikes
        .neuron
        .iter()
        .filter(|&&i| range.contains(&(i as usize)))
        .count();
    count as f64 / range.len() as f64 / (duration_ms / 1000.0)
}

/// Population rate [Hz per neuron] of `range` in bins of `bin_steps` steps.
pub fn population_rate_hz(
    spikes: &Spikes,
    range: &Range<usize>,
    n_steps: usize,
    bin_steps: usize,
    dt_ms: f64,
) -> Vec<f64> {
    let mut bins = vec![0.0; n_steps.div_ceil(bin_steps)];
    for (&i, &step) in spikes.neuron.iter().zip(&spikes.step) {
        if range.contains(&(i as usize)) {
            bins[step as usize / bin_steps] += 1.0;
        }
    }
    let scale = 1000.0 / (range.len() as f64 * bin_steps as f64 * dt_ms);
    bins.iter().map(|c| c * scale).collect()
}

/// Mean over neurons with at least three spikes of the CV of their inter-spike intervals;
/// `None` if no neuron has three.
pub fn mean_isi_cv(spikes: &Spikes, n_neurons: usize) -> Option<f64> {
    let mut trains: Vec<Vec<u64>> = vec![Vec::new(); n_neurons];
    for (&i, &step) in spikes.neuron.iter().zip(&spikes.step) {
        trains[i as usize].push(step);
    }
    let cvs: Vec<f64> = trains
        .iter()
        .filter(|t| t.len() >= 3)
        .map(|t| {
            let isi: Vec<f64> = t.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
            let mean = isi.iter().sum::<f64>() / isi.len() as f64;
            let var = isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / isi.len() as f64;
            var.sqrt() / mean
        })
        .collect();
    (!cvs.is_empty()).then(|| cvs.iter().sum::<f64>() / cvs.len() as f64)
}
