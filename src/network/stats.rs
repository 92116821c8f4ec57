//! Summary statistics of a network's spikes, gathered as the run goes so that they never need
//! the spike list: counts per neuron and group, and the coefficient of variation of each
//! neuron's inter-spike intervals.

use crate::error::Result;
use crate::monitor::{SpikeSink, Spikes};
use std::ops::Range;

/// Per neuron: its spike count and the sums of its inter-spike intervals and of their squares,
/// in whole steps. Integer sums are exact, so the statistics do not depend on how the run was
/// cut into chunks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeTally {
    counts: Vec<u64>,
    last_step: Vec<u64>,
    isi_sum: Vec<u64>,
    /// The intervals of one neuron sum to less than the run's 2³² steps, so the sum of their
    /// squares is below 2⁶⁴ and the products in [`SpikeTally::mean_isi_cv`] below 2⁹⁶.
    isi_square_sum: Vec<u128>,
}

impl SpikeTally {
    pub fn new(n_neurons: usize) -> Self {
        SpikeTally {
            counts: vec![0; n_neurons],
            last_step: vec![0; n_neurons],
            isi_sum: vec![0; n_neurons],
            isi_square_sum: vec![0; n_neurons],
        }
    }

    /// Spikes of each neuron.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Spikes of the neurons in `range`.
    pub fn group_count(&self, range: &Range<usize>) -> u64 {
        self.counts[range.clone()].iter().sum()
    }

    /// Mean firing rate of the neurons in `range` [Hz] over `duration_ms`.
    pub fn group_rate_hz(&self, range: &Range<usize>, duration_ms: f64) -> f64 {
        self.group_count(range) as f64 / range.len() as f64 / (duration_ms / 1000.0)
    }

    /// Mean over neurons with at least three spikes of the CV (population standard deviation
    /// over mean) of their inter-spike intervals; `None` if no neuron has three.
    pub fn mean_isi_cv(&self) -> Option<f64> {
        let cvs: Vec<f64> = (0..self.counts.len())
            .filter(|&i| self.counts[i] >= 3)
            .map(|i| {
                let n = u128::from(self.counts[i] - 1);
                let sum = u128::from(self.isi_sum[i]);
                // n²·variance = n·Σx² − (Σx)², exact in integers (and ≥ 0).
                let n2_var = n * self.isi_square_sum[i] - sum * sum;
                (n2_var as f64).sqrt() / sum as f64
            })
            .collect();
        (!cvs.is_empty()).then(|| cvs.iter().sum::<f64>() / cvs.len() as f64)
    }
}

impl SpikeSink for SpikeTally {
    fn take(&mut self, chunk: &Spikes) -> Result<()> {
        for (&i, &step) in chunk.neuron.iter().zip(&chunk.step) {
            let i = i as usize;
            if self.counts[i] > 0 {
                let isi = step - self.last_step[i];
                self.isi_sum[i] += isi;
                self.isi_square_sum[i] += u128::from(isi) * u128::from(isi);
            }
            self.counts[i] += 1;
            self.last_step[i] = step;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// The tally of random trains taken in random chunks against counts and CVs computed from
    /// the whole list in two passes of floating point.
    #[test]
    fn the_tally_equals_statistics_of_the_whole_list() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(1);
        let n = 50;
        let mut pairs: Vec<(u64, u32)> = (0..5000)
            .map(|_| {
                (
                    rng.random_range(0..100_000u64),
                    rng.random_range(0..n as u32),
                )
            })
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let all = Spikes::from_pairs(pairs);
        let mut tally = SpikeTally::new(n);
        let mut start = 0;
        while start < all.len() {
            let end = (start + rng.random_range(0..300)).min(all.len());
            let chunk = Spikes {
                neuron: all.neuron[start..end].to_vec(),
                step: all.step[start..end].to_vec(),
            };
            tally.take(&chunk).unwrap();
            start = end;
        }
        let counts: Vec<u64> = all.counts(n).iter().map(|&c| u64::from(c)).collect();
        assert_eq!(tally.counts(), &counts[..]);
        assert_eq!(
            tally.group_count(&(10..20)),
            counts[10..20].iter().sum::<u64>()
        );
        let cvs: Vec<f64> = (0..n as u32)
            .map(|i| {
                let steps = all.steps_of(i);
                let isi: Vec<f64> = steps.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
                let mean = isi.iter().sum::<f64>() / isi.len() as f64;
                let var = isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / isi.len() as f64;
                var.sqrt() / mean
            })
            .collect();
        let expected = cvs.iter().sum::<f64>() / n as f64;
        let got = tally.mean_isi_cv().unwrap();
        // The tally's integer sums are exact; the two-pass float reference rounds at about
        // 1e-16 per term over ~100 intervals a neuron.
        assert!(
            (got - expected).abs() <= 1e-12 * expected,
            "{got} vs {expected}"
        );
        assert_eq!(SpikeTally::new(3).mean_isi_cv(), None);
    }
}
