//! Flags that `neuron` and `sweep` share: the stimulus added to every neuron.

use super::{Numbers, number_list};
use crate::input::{Noise, PulseTrain, Sections, Stimulus};

/// Inputs shared by every neuron, on top of each neuron's constant current.
#[derive(clap::Args, Debug)]
pub struct StimulusArgs {
    /// Piecewise input values added to every neuron, one per section (see --section-durations).
    #[arg(long, value_name = "V,V,...", value_parser = number_list, allow_hyphen_values = true, requires = "section_durations")]
    sections: Option<Numbers>,
    /// Duration of each section [ms].
    #[arg(long, value_name = "MS,MS,...", value_parser = number_list, allow_hyphen_values = true, requires = "sections")]
    section_durations: Option<Numbers>,
    /// Pulse onsets [ms]; each pulse lasts --pulse-width and adds --pulse-amplitude.
    #[arg(long, value_name = "MS,MS,...", value_parser = number_list)]
    pulses: Option<Numbers>,
    /// Pulse width [ms].
    #[arg(long, default_value_t = 1.0)]
    pulse_width: f64,
    /// Pulse amplitude [current unit of the model].
    #[arg(long, default_value_t = 10.0)]
    pulse_amplitude: f64,
    /// Standard deviation of Gaussian current noise drawn per neuron and step [current unit];
    /// each neuron (each sweep cell) has its own stream, seeded by --seed.
    #[arg(long, value_name = "SIGMA")]
    noise: Option<f64>,
    /// Seed of the noise generator.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl StimulusArgs {
    /// The stimulus these flags describe (validated later with the rest of the run).
    pub fn stimulus(&self) -> Stimulus {
        let sections = match (&self.sections, &self.section_durations) {
            (Some(values), Some(durations)) => Some(Sections {
                values: values.0.clone(),
                durations_ms: durations.0.clone(),
            }),
            _ => None,
        };
        Stimulus {
            sections,
            pulses: self.pulses.as_ref().map(|onsets| PulseTrain {
                onsets_ms: onsets.0.clone(),
                width_ms: self.pulse_width,
                amplitude: self.pulse_amplitude,
            }),
            noise: self.noise.map(|sigma| Noise {
                sigma,
                seed: self.seed,
            }),
        }
    }
}
