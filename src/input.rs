//! Injected currents: a constant per neuron, plus a stimulus shared by all neurons (piecewise
//! sections and pulse trains) and optional seeded Gaussian noise drawn per neuron and step.
//!
//! Currents are in the model's unit (pA for Traub, µA/cm² for the classic model). Every input is
//! sampled once per step, at the step's start, and held over the step.

use crate::error::{Error, Result};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Piecewise-constant input like BrainPy's `section_input`: `values[k]` for `durations_ms[k]`,
/// one section after another from t = 0; zero after the last section ends.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sections {
    pub values: Vec<f64>,
    pub durations_ms: Vec<f64>,
}

/// Rectangular pulses of one width and amplitude starting at the given onsets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PulseTrain {
    pub onsets_ms: Vec<f64>,
    pub width_ms: f64,
    pub amplitude: f64,
}

/// Gaussian current noise: each neuron draws an independent N(0, σ²) value every step from its
/// own stream of a seeded generator.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    pub sigma: f64,
    pub seed: u64,
}

/// Everything added to the neurons' constant currents.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stimulus {
    pub sections: Option<Sections>,
    pub pulses: Option<PulseTrain>,
    pub noise: Option<Noise>,
}

fn require_finite(name: &'static str, x: f64) -> Result<()> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(name, x, "a finite number"))
    }
}

fn require_non_negative(name: &'static str, x: f64) -> Result<()> {
    if x >= 0.0 && x.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(name, x, "a finite number ≥ 0"))
    }
}

impl Stimulus {
    /// Checks every value; called when the run is described, before any work.
    pub fn validate(&self) -> Result<()> {
        if let Some(s) = &self.sections {
            if s.values.len() != s.durations_ms.len() {
                return Err(Error::LengthMismatch {
                    first: "--sections",
                    first_len: s.values.len(),
                    second: "--section-durations",
                    second_len: s.durations_ms.len(),
                });
            }
            for &v in &s.values {
                require_finite("--sections value", v)?;
            }
            for &d in &s.durations_ms {
                require_non_negative("--section-durations value", d)?;
            }
        }
        if let Some(p) = &self.pulses {
            require_non_negative("--pulse-width", p.width_ms)?;
            require_finite("--pulse-amplitude", p.amplitude)?;
            for &t in &p.onsets_ms {
                require_non_negative("--pulses onset", t)?;
            }
        }
        if let Some(n) = &self.noise {
            require_non_negative("--noise", n.sigma)?;
        }
        Ok(())
    }

    /// Whether the stimulus has a part shared by every neuron (sections or pulses); without one,
    /// [`Stimulus::shared_per_step`] is all zeros.
    pub fn has_shared(&self) -> bool {
        self.sections.is_some() || self.pulses.is_some()
    }

    /// The shared (noise-free) part of the input for each of `n_steps` steps of `dt_ms`.
    ///
    /// Times are turned into step indices by rounding, so a section of 2 ms at dt 0.1 ms lasts
    /// exactly 20 steps whatever the float error in 2/0.1.
    pub fn shared_per_step(&self, dt_ms: f64, n_steps: usize) -> Vec<f64> {
        self.shared_steps(dt_ms, n_steps, 0..n_steps)
    }

    /// [`Stimulus::shared_per_step`] of the steps `window` alone: a run holds one chunk's
    /// input at a time, whatever its duration.
    pub fn shared_steps(&self, dt_ms: f64, n_steps: usize, window: Range<usize>) -> Vec<f64> {
        let to_step = |t_ms: f64| ((t_ms / dt_ms).round() as usize).min(n_steps);
        let mut current = vec![0.0; window.len()];
        let mut add = |start: usize, end: usize, value: f64| {
            let (start, end) = (start.max(window.start), end.min(window.end));
            if start < end {
                current[start - window.start..end - window.start]
                    .iter_mut()
                    .for_each(|c| *c += value);
            }
        };
        if let Some(s) = &self.sections {
            let mut elapsed_ms = 0.0;
            for (&value, &duration) in s.values.iter().zip(&s.durations_ms) {
                add(to_step(elapsed_ms), to_step(elapsed_ms + duration), value);
                elapsed_ms += duration;
            }
        }
        if let Some(p) = &self.pulses {
            for &onset in &p.onsets_ms {
                add(to_step(onset), to_step(onset + p.width_ms), p.amplitude);
            }
        }
        current
    }

    /// The noise source of one neuron, or `None` when the stimulus has no noise.
    pub fn noise_for(&self, neuron: usize) -> Option<NoiseStream> {
        self.noise.map(|n| NoiseStream::new(n, neuron))
    }
}

/// The per-step noise values of one neuron, in order.
pub struct NoiseStream {
    rng: Pcg64Mcg,
    normal: Normal<f64>,
}

impl NoiseStream {
    fn new(noise: Noise, neuron: usize) -> Self {
        // Distinct, reproducible streams: the seed and the neuron index are mixed through
        // SplitMix64's `seed_from_u64`, so neighbouring neurons do not get correlated states.
        let key = noise.seed ^ (neuron as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        NoiseStream {
            rng: Pcg64Mcg::seed_from_u64(key),
            normal: Normal::new(0.0, noise.sigma).expect("sigma was validated as finite and ≥ 0"),
        }
    }

    /// The next step's noise current.
    pub fn next_value(&mut self) -> f64 {
        self.normal.sample(&mut self.rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_follow_each_other_and_end_at_zero() {
        let s = Stimulus {
            sections: Some(Sections {
                values: vec![0.0, 1.0, 2.0],
                durations_ms: vec![1.0, 0.2, 0.2],
            }),
            ..Default::default()
        };
        let per_step = s.shared_per_step(0.1, 16);
        let mut want = vec![0.0; 10];
        want.extend([1.0, 1.0, 2.0, 2.0, 0.0, 0.0]);
        assert_eq!(per_step, want);
    }

    #[test]
    fn a_window_of_the_shared_input_is_that_part_of_the_whole() {
        let s = Stimulus {
            sections: Some(Sections {
                values: vec![0.5, 1.0],
                durations_ms: vec![0.3, 0.4],
            }),
            pulses: Some(PulseTrain {
                onsets_ms: vec![0.2, 0.6],
                width_ms: 0.3,
                amplitude: 3.0,
            }),
            ..Default::default()
        };
        let whole = s.shared_per_step(0.1, 12);
        for window in [0..12, 0..1, 2..5, 5..12, 11..12, 4..4] {
            assert_eq!(s.shared_steps(0.1, 12, window.clone()), whole[window]);
        }
    }

    #[test]
    fn pulses_add_their_amplitude_for_their_width() {
        let s = Stimulus {
            pulses: Some(PulseTrain {
                onsets_ms: vec![0.1, 0.5],
                width_ms: 0.2,
                amplitude: 3.0,
            }),
            ..Default::default()
        };
        assert_eq!(
            s.shared_per_step(0.1, 8),
            vec![0.0, 3.0, 3.0, 0.0, 0.0, 3.0, 3.0, 0.0]
        );
    }

    #[test]
    fn noise_is_reproducible_per_seed_and_distinct_per_neuron() {
        let s = Stimulus {
            noise: Some(Noise {
                sigma: 2.0,
                seed: 7,
            }),
            ..Default::default()
        };
        let draw = |j| {
            (0..4)
                .map(|_| 0)
                .scan(s.noise_for(j).unwrap(), |n, _| Some(n.next_value()))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[test]
    fn noise_has_the_requested_standard_deviation() {
        let s = Stimulus {
            noise: Some(Noise {
                sigma: 2.0,
                seed: 1,
            }),
            ..Default::default()
        };
        let mut stream = s.noise_for(0).unwrap();
        let n = 100_000;
        let xs: Vec<f64> = (0..n).map(|_| stream.next_value()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        // Standard errors: mean σ/√n ≈ 0.0063, sd σ/√(2n) ≈ 0.0045; 5 standard errors each.
        assert!(mean.abs() < 0.032, "mean {mean}");
        assert!((sd - 2.0).abs() < 0.023, "sd {sd}");
    }

    #[test]
    fn mismatched_sections_and_negative_widths_are_refused() {
        let s = Stimulus {
            sections: Some(Sections {
                values: vec![1.0, 2.0],
                durations_ms: vec![1.0],
            }),
            ..Default::default()
        };
        assert!(matches!(s.validate(), Err(Error::LengthMismatch { .. })));
        let p = Stimulus {
            pulses: Some(PulseTrain {
                onsets_ms: vec![1.0],
                width_ms: -1.0,
                amplitude: 1.0,
            }),
            ..Default::default()
        };
        assert!(matches!(p.validate(), Err(Error::InvalidValue { .. })));
    }
}
