//! One step of a network neuron of a model file, on the CPU: the model's states with its
//! synapses' conductances in the membrane equation, and the exact exponential decay of the
//! conductances. The generated kernels' `net_exp_euler` and `net_rk4`
//! ([`crate::model_file::wgsl::network_functions`]) compute the same operations in the same order
//! from the same tapes.

use crate::integrate::Method;
use crate::model::Real;
use crate::model_file::Model;
use crate::model_file::eval::evaluate_into;
use crate::model_file::lower::{self, Lowered};

/// Each synapse's constants for a step of `dt_ms`: (reversal, e^(−dt/τ), e^(−dt/(2τ)), 0),
/// computed in f64 and rounded once, so that both backends use the same values (the kernels
/// read them as `syn`).
pub fn synapse_constants<R: Real>(model: &Model, dt_ms: f64) -> Vec<[R; 4]> {
    model
        .synapses
        .iter()
        .map(|s| {
            [
                R::of(s.reversal_mv),
                R::of((-dt_ms / s.tau_ms).exp()),
                R::of((-dt_ms / (2.0 * s.tau_ms)).exp()),
                R::zero(),
            ]
        })
        .collect()
}

/// A model's step tapes, lowered once for a run.
pub struct NeuronStep {
    method: Method,
    exp_euler: Lowered,
    derivatives: Lowered,
    n_states: usize,
}

impl NeuronStep {
    pub fn new(model: &Model, method: Method) -> Self {
        NeuronStep {
            method,
            exp_euler: lower::exp_euler_tape(model, true, true),
            derivatives: lower::derivative_tape(model, true, true),
            n_states: model.states.len(),
        }
    }

    /// The next value of `s` (the model's states, then the conductances) after `dt`, under the
    /// parameters `p`, a constant current and the synapse constants `syn`.
    pub fn step<R: Real>(&self, p: &[R], current: R, s: &[R], syn: &[[R; 4]], dt: R) -> Vec<R> {
        let (x, g) = s.split_at(self.n_states);
        let mut values = Vec::with_capacity(self.exp_euler.tape.ops.len());
        let mut run = |tape: &Lowered, states: &[R], current: R, g_extra: R, drive: R| {
            evaluate_into(
                &tape.tape,
                states,
                p,
                [dt, current, g_extra, drive],
                &mut values,
            );
            tape.outputs
                .iter()
                .map(|&(_, id)| values[id])
                .collect::<Vec<R>>()
        };
        let decayed = |which: usize| g.iter().zip(syn).map(move |(&g, c)| g * c[which]);
        let mut next = match self.method {
            Method::Rk4 => {
                // Σ g·(E − v) + I at a stage's v, as the kernel sums it.
                let input = |state: &[R], g: &[R]| {
                    let terms = g.iter().zip(syn).map(|(&g, c)| g * (c[0] - state[0]));
                    terms
                        .reduce(|a, b| a + b)
                        .map_or(current, |sum| sum + current)
                };
                let (g_half, g_end): (Vec<R>, Vec<R>) =
                    (decayed(2).collect(), decayed(1).collect());
                let mut f = |state: &[R], g: &[R]| {
                    let i = input(state, g);
                    run(&self.derivatives, state, i, R::zero(), R::zero())
                };
                let shifted = |k: &[R], by: R| -> Vec<R> {
                    x.iter().zip(k).map(|(&a, &d)| a + by * d).collect()
                };
                let half = dt * R::of(0.5);
                let k1 = f(x, g);
                let k2 = f(&shifted(&k1, half), &g_half);
                let k3 = f(&shifted(&k2, half), &g_half);
                let k4 = f(&shifted(&k3, dt), &g_end);
                let (sixth, two) = (dt / R::of(6.0), R::of(2.0));
                (0..x.len())
                    .map(|j| x[j] + sixth * (k1[j] + two * (k2[j] + k3[j]) + k4[j]))
                    .collect()
            }
            _ => {
                let g_total = g.iter().copied().reduce(|a, b| a + b).unwrap_or(R::zero());
                let drives = g.iter().zip(syn).map(|(&g, c)| g * c[0]);
                let drive = drives
                    .reduce(|a, b| a + b)
                    .map_or(current, |sum| sum + current);
                run(&self.exp_euler, x, R::zero(), g_total, drive)
            }
        };
        next.extend(decayed(1));
        next
    }
}
