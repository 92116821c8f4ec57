//! A population of independent neurons (no synapses) and how to run it: the description that
//! `hhsim neuron` builds and every backend consumes.

use crate::backend::population::{FilePopulation, FileRunConfig};
use crate::error::{Error, Result};
use crate::input::Stimulus;
use crate::integrate::Method;
use crate::model::{ModelKind, Params, State, temperature_from_phi};
use crate::model_file::Model;

/// One neuron: its parameters, initial state and constant injected current.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronSpec {
    pub params: Params<f64>,
    pub init: State<f64>,
    /// Constant injected current [pA | µA/cm²].
    pub current: f64,
}

/// Neurons that do not interact, all driven by one shared stimulus plus their own current.
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    pub neurons: Vec<NeuronSpec>,
    pub stimulus: Stimulus,
    /// The index of `neurons[0]` in a larger set (a sweep's grid, run in chunks); neuron j
    /// draws its noise from stream `first_index + j`, so chunking never changes the noise.
    pub first_index: usize,
}

/// How long and how finely to integrate, and what to record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunConfig {
    pub method: Method,
    /// Time step [ms].
    pub dt_ms: f64,
    /// Simulated time [ms].
    pub duration_ms: f64,
    /// Record the state every this many steps; `None` records no trace.
    pub record_every: Option<usize>,
    /// Keep the step of every spike (`false`: count spikes only, as sweeps do).
    pub spike_steps: bool,
}

impl RunConfig {
    /// Checks dt and duration; called before any work.
    pub fn validate(&self) -> Result<()> {
        if !(self.duration_ms > 0.0 && self.duration_ms.is_finite()) {
            return Err(Error::invalid(
                "--duration",
                self.duration_ms,
                "a finite time > 0 ms",
            ));
        }
        if !(self.dt_ms > 0.0 && self.dt_ms <= self.duration_ms) {
            let limit = format!(
                "a time step > 0 ms and ≤ the duration ({} ms)",
                self.duration_ms
            );
            return Err(Error::invalid("--dt", self.dt_ms, limit));
        }
        let steps = self.duration_ms / self.dt_ms;
        if steps.round() > f64::from(u32::MAX) {
            return Err(Error::invalid(
                "--duration",
                self.duration_ms,
                format!(
                    "at most {} steps of --dt (this run has {steps:.3e}; steps are counted in 32 bits)",
                    u32::MAX
                ),
            ));
        }
        if self.record_every == Some(0) {
            return Err(Error::invalid(
                "--record-every",
                0,
                "a whole number of steps ≥ 1",
            ));
        }
        Ok(())
    }

    /// Number of steps: the duration divided by dt, rounded to the nearest whole step.
    pub fn n_steps(&self) -> usize {
        (self.duration_ms / self.dt_ms).round().max(1.0) as usize
    }
}

impl Population {
    /// Checks that the population is non-empty and every number is usable.
    pub fn validate(&self) -> Result<()> {
        if self.neurons.is_empty() {
            return Err(Error::invalid("population size", 0, "at least one neuron"));
        }
        for spec in &self.neurons {
            let p = &spec.params;
            if !(p.c > 0.0 && p.c.is_finite()) {
                return Err(Error::invalid("capacitance", p.c, "a finite value > 0"));
            }
            for (name, g) in [("gNa", p.g_na), ("gK", p.g_k), ("gL", p.g_l)] {
                if !(g >= 0.0 && g.is_finite()) {
                    return Err(Error::invalid(name, g, "a finite conductance ≥ 0"));
                }
            }
            for (name, x) in [
                ("ENa", p.e_na),
                ("EK", p.e_k),
                ("EL", p.e_l),
                ("VT", p.vt),
                ("phi", p.phi),
                ("threshold", p.v_th),
            ] {
                if !x.is_finite() {
                    return Err(Error::invalid(name, x, "a finite number"));
                }
            }
            if !spec.current.is_finite() {
                return Err(Error::invalid("current", spec.current, "a finite number"));
            }
        }
        self.stimulus.validate()
    }
}

impl RunConfig {
    /// The same run for a population of a model file.
    pub fn for_model_file(&self) -> FileRunConfig {
        FileRunConfig {
            method: self.method,
            dt_ms: self.dt_ms,
            n_steps: self.n_steps(),
            record_every: self.record_every.unwrap_or(0),
            spike_steps: self.spike_steps,
        }
    }
}

impl Population {
    /// The population as neurons of the bundled model file of its model (`traub` or `hh`),
    /// which is what every backend runs. All neurons must be of one model.
    pub fn as_model_file(&self) -> Result<FilePopulation> {
        let kind = self.neurons[0].params.kind;
        if let Some(other) = self.neurons.iter().find(|s| s.params.kind != kind) {
            return Err(Error::invalid(
                "population",
                format!("{:?} and {:?}", kind, other.params.kind),
                "neurons of one model",
            ));
        }
        let model = Model::bundled(match kind {
            ModelKind::Traub => "traub",
            ModelKind::Classic => "hh",
        })?;
        let state = |s: &State<f64>| vec![s.v, s.m, s.h, s.n];
        Ok(FilePopulation {
            params: self
                .neurons
                .iter()
                .map(|s| file_parameters(&model, &s.params))
                .collect(),
            init: self.neurons.iter().map(|s| state(&s.init)).collect(),
            current: self.neurons.iter().map(|s| s.current).collect(),
            threshold: self.neurons.iter().map(|s| s.params.v_th).collect(),
            stimulus: self.stimulus.clone(),
            first_index: self.first_index,
            model,
        })
    }
}

/// `p` as the parameters of its bundled model file, which names them as the sweep axes do.
/// The Traub file's conductances are per area times `area`; with `area` = 1 they are `p`'s
/// absolute ones exactly. The hh file scales its rates by 3^((T − 6.3)/10), so φ becomes T.
pub(crate) fn file_parameters(model: &Model, p: &Params<f64>) -> Vec<f64> {
    let mut values = model.default_parameters();
    let mut set = |name: &str, value: f64| {
        let k = model
            .parameters
            .iter()
            .position(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("the bundled {} file has no parameter {name}", model.name));
        values[k] = value;
    };
    set("c", p.c);
    set("gna", p.g_na);
    set("gk", p.g_k);
    set("gl", p.g_l);
    set("ena", p.e_na);
    set("ek", p.e_k);
    set("el", p.e_l);
    match p.kind {
        ModelKind::Traub => {
            set("area", 1.0);
            set("vt", p.vt);
        }
        ModelKind::Classic => set("T", temperature_from_phi(p.phi)),
    }
    values
}
