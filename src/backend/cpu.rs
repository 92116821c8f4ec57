//! The CPU reference backend: integrates each independent neuron in turn, in f32 or f64, with
//! any method, and records spikes and traces.

use crate::error::{Error, Result};
use crate::integrate::step;
use crate::model::{Real, State};
use crate::monitor::{Spikes, Trace};
use crate::population::{Population, RunConfig};
use ndarray::Array2;

/// What a run of independent neurons produces.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationResult {
    pub spikes: Spikes,
    pub trace: Option<Trace>,
    /// The state after the last step, widened to f64.
    pub final_states: Vec<State<f64>>,
    pub n_steps: usize,
}

/// Runs every neuron of `pop` for `cfg.n_steps()` steps in precision `R`.
///
/// Spikes are upward crossings of the neuron's threshold, v_old < θ ≤ v_new. A NaN or infinite
/// state stops the run with the neuron and step where it appeared.
pub fn run_population<R: Real>(pop: &Population, cfg: &RunConfig) -> Result<PopulationResult> {
    let n_steps = cfg.n_steps();
    let shared = pop.stimulus.shared_per_step(cfg.dt_ms, n_steps);
    let dt = R::of(cfg.dt_ms);
    let sample_steps: Vec<u64> = match cfg.record_every {
        Some(k) => (0..n_steps as u64).step_by(k).collect(),
        None => Vec::new(),
    };
    let n = pop.neurons.len();
    let mut traces = [(); 4].map(|_| Array2::<f64>::zeros((n, sample_steps.len())));
    let mut spikes = Vec::new();
    let mut final_states = Vec::with_capacity(n);

    for (j, spec) in pop.neurons.iter().enumerate() {
        let p = spec.params.cast::<R>();
        let mut s: State<R> = spec.init.cast();
        let mut noise = pop.stimulus.noise_for(j);
        let mut next_sample = 0;
        for (k, &shared_now) in shared.iter().enumerate() {
            if sample_steps.get(next_sample) == Some(&(k as u64)) {
                for (trace, x) in traces.iter_mut().zip([s.v, s.m, s.h, s.n]) {
                    trace[[j, next_sample]] = x.wide();
                }
                next_sample += 1;
            }
            let noise_now = noise.as_mut().map_or(0.0, |n| n.next_value());
            let i_ext = R::of(spec.current + shared_now + noise_now);
            let next = step(cfg.method, &p, &s, i_ext, dt);
            if let Some((variable, value)) = next.first_non_finite() {
                return Err(Error::NonFinite {
                    neuron: j,
                    step: k as u64,
                    variable,
                    value,
                });
            }
            if s.v < p.v_th && next.v >= p.v_th {
                spikes.push((k as u64, j as u32));
            }
            s = next;
        }
        final_states.push(s.cast());
    }

    let trace = cfg.record_every.map(|_| {
        let [v, m, h, n] = traces;
        Trace {
            steps: sample_steps,
            v,
            m,
            h,
            n,
        }
    });
    Ok(PopulationResult {
        spikes: Spikes::from_pairs(spikes),
        trace,
        final_states,
        n_steps,
    })
}
