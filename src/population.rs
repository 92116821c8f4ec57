//! A population of independent neurons (no synapses) and how to run it: the description that
//! `hhsim neuron` builds and every backend consumes.

use crate::error::{Error, Result};
use crate::input::Stimulus;
use crate::integrate::Method;
use crate::model::{Params, State};

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
