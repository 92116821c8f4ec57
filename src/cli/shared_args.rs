//! Flags that `neuron` and `sweep` share: the model and the stimulus added to every neuron.

use super::{Numbers, number_list};
use crate::error::{Error, Result};
use crate::input::{Noise, PulseTrain, Sections, Stimulus};
use crate::model::{ModelKind, Params, State, phi_from_temperature};
use crate::population::NeuronSpec;
use crate::sweep::SweepParam;

/// `--model`: the command line's names for the two models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelArg {
    Hh,
    Traub,
}

impl ModelArg {
    /// The model's default parameters, at `temperature_c` for hh (refused for traub).
    pub fn params(self, temperature_c: Option<f64>) -> Result<Params<f64>> {
        let mut params = match self {
            ModelArg::Hh => Params::classic(),
            ModelArg::Traub => Params::traub(),
        };
        if let Some(t) = temperature_c {
            if params.kind != ModelKind::Classic {
                return Err(Error::invalid(
                    "--temperature",
                    t,
                    "nothing with --model traub, whose rates have no temperature factor",
                ));
            }
            if !t.is_finite() {
                return Err(Error::invalid(
                    "--temperature",
                    t,
                    "a finite temperature in °C",
                ));
            }
            params.phi = phi_from_temperature(t);
        }
        Ok(params)
    }
}

/// `--set NAME=VALUE` overrides (repeatable), by the names of `sweep --axis`: gna, gk, gl
/// [mS/cm²], ena, ek, el, vt (traub), threshold [mV], temperature (hh) [°C]. The current has
/// an option of its own.
pub fn apply_overrides(params: &mut Params<f64>, items: &[String]) -> Result<()> {
    let kind = params.kind;
    let settable = |p: &SweepParam| match p {
        SweepParam::Current => false,
        SweepParam::Vt => kind == ModelKind::Traub,
        SweepParam::Temperature => kind == ModelKind::Classic,
        _ => true,
    };
    for item in items {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| Error::invalid("--set", item, "NAME=VALUE, e.g. gl=0.3"))?;
        let param = SweepParam::parse(name.trim())
            .ok()
            .filter(settable)
            .ok_or_else(|| {
                let names: Vec<&str> = SweepParam::ALL
                    .iter()
                    .filter(|p| settable(p))
                    .map(|p| p.name())
                    .collect();
                Error::invalid(
                    "--set",
                    item,
                    format!(
                        "NAME=VALUE with NAME a parameter of this model: {}",
                        names.join(", ")
                    ),
                )
            })?;
        let value: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| Error::invalid("--set", item, "NAME=VALUE with a finite VALUE"))?;
        let mut spec = NeuronSpec {
            params: *params,
            init: State::default(),
            current: 0.0,
        };
        param.apply(&mut spec, value);
        *params = spec.params;
    }
    Ok(())
}

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
