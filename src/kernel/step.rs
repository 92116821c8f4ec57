//! The CPU twin of a model file's step, for populations and networks: the model's states, with
//! any synapses' conductances in the membrane equation and their exact exponential decay. The
//! generated kernels (`method_step` of [`super::wgsl::population_functions`]; `net_exp_euler` and
//! `net_rk4` of [`super::wgsl::network_functions`]) compute the same operations in the same
//! order from the same tapes, one neuron per invocation; here a batch of neurons goes through
//! each op together ([`Batch`]), which gives every neuron the same values. Forward Euler and RK2
//! (midpoint) exist on the CPU only.

use super::eval::{Batch, BatchInputs};
use super::lower::{self, Lowered};
use crate::integrate::Method;
use crate::kernel::Real;
use crate::model::Model;

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

/// A model's step tapes, lowered once for a run, and the batch they are evaluated in.
pub struct NeuronStep<R> {
    method: Method,
    exp_euler: Lowered,
    derivatives: Lowered,
    n_states: usize,
    batch: Batch<R>,
    /// [`Tape::invariant`](super::tape::Tape::invariant) of the tape `method` evaluates.
    invariant: Vec<bool>,
    /// The parameters (and their stride), dt and lanes whose invariant ops the batch holds.
    invariant_for: Option<(Vec<R>, usize, R, usize)>,
}

/// Σ over the synapses of `term(k)`, then `last`: the kernels' left fold (`last` alone without
/// synapses).
fn fold<R: Real>(n_syn: usize, term: impl Fn(usize) -> R, last: R) -> R {
    (0..n_syn)
        .map(term)
        .reduce(|a, b| a + b)
        .map_or(last, |sum| sum + last)
}

impl<R: Real> NeuronStep<R> {
    pub fn new(model: &Model, method: Method) -> Self {
        let exp_euler = lower::exp_euler_tape(model, true, true);
        let derivatives = lower::derivative_tape(model, true, true);
        let invariant = match method {
            Method::ExpEuler => exp_euler.tape.invariant(),
            _ => derivatives.tape.invariant(),
        };
        NeuronStep {
            method,
            exp_euler,
            derivatives,
            n_states: model.states.len(),
            batch: Batch::default(),
            invariant,
            invariant_for: None,
        }
    }

    /// The next variables of a batch of neurons after `dt`. `s` holds each neuron's variables
    /// (the model's states, then the conductances), `params` its parameters (`param_stride`
    /// each) and `current` its current; `syn` the synapse constants.
    pub fn step(
        &mut self,
        params: &[R],
        param_stride: usize,
        current: &[R],
        s: &[R],
        syn: &[[R; 4]],
        dt: R,
    ) -> Vec<R> {
        let lanes = current.len();
        let (ns, n_syn) = (self.n_states, syn.len());
        let width = ns + n_syn;
        // Ops of parameters, dt and constants alone keep their values while those stay the same
        // (over a batch's steps and an RK4 step's stages): evaluated once, bit for bit as if
        // evaluated every time.
        let unchanged = self
            .invariant_for
            .as_ref()
            .is_some_and(|(p, stride, d, l)| {
                (*l, *stride, *d) == (lanes, param_stride, dt) && p.as_slice() == params
            });
        if !unchanged {
            self.invariant_for = Some((params.to_vec(), param_stride, dt, lanes));
        }
        let mut keep_invariant = unchanged;
        let g = |l: usize, k: usize| s[l * width + ns + k];
        let zeros = vec![R::zero(); lanes];
        let mut next = vec![R::zero(); lanes * width];
        let no_input = BatchInputs {
            lanes,
            states: s,
            state_stride: width,
            params,
            param_stride,
            dt,
            current: &zeros,
            extra_conductance: &zeros,
            extra_drive: &zeros,
        };
        // dX/dt of every lane at `states` (stride `stride`) under conductances `g_at`, with
        // Σ g·(E − v) + I at the stage's v, as the kernel sums it.
        let mut derivatives = |states: &[R], stride: usize, g_at: &dyn Fn(usize, usize) -> R| {
            let i: Vec<R> = (0..lanes)
                .map(|l| {
                    let v = states[l * stride];
                    fold(n_syn, |k| g_at(l, k) * (syn[k][0] - v), current[l])
                })
                .collect();
            let keep = keep_invariant.then_some(self.invariant.as_slice());
            self.batch.evaluate(
                &self.derivatives.tape,
                &BatchInputs {
                    states,
                    state_stride: stride,
                    current: &i,
                    ..no_input
                },
                keep,
            );
            keep_invariant = true;
            let out: Vec<Vec<R>> = (self.derivatives.outputs.iter())
                .map(|&(_, id)| self.batch.values(id).to_vec())
                .collect();
            out
        };
        // The states (no conductances) moved by `by` along `k`, stride ns.
        let shifted = |k: &[Vec<R>], by: R| -> Vec<R> {
            (0..lanes * ns)
                .map(|at| s[(at / ns) * width + at % ns] + by * k[at % ns][at / ns])
                .collect()
        };
        let mut set_states = |value: &dyn Fn(usize, usize) -> R| {
            for l in 0..lanes {
                for j in 0..ns {
                    next[l * width + j] = value(l, j);
                }
            }
        };
        let x = |l: usize, j: usize| s[l * width + j];
        let half = dt * R::of(0.5);
        let g_half = |l: usize, k: usize| g(l, k) * syn[k][2];
        let g_end = |l: usize, k: usize| g(l, k) * syn[k][1];
        match self.method {
            Method::Rk4 => {
                let k1 = derivatives(s, width, &g);
                let k2 = derivatives(&shifted(&k1, half), ns, &g_half);
                let k3 = derivatives(&shifted(&k2, half), ns, &g_half);
                let k4 = derivatives(&shifted(&k3, dt), ns, &g_end);
                let (sixth, two) = (dt / R::of(6.0), R::of(2.0));
                set_states(&|l, j| {
                    x(l, j) + sixth * (k1[j][l] + two * (k2[j][l] + k3[j][l]) + k4[j][l])
                });
            }
            Method::Rk2 => {
                let k1 = derivatives(s, width, &g);
                let k2 = derivatives(&shifted(&k1, half), ns, &g_half);
                set_states(&|l, j| x(l, j) + dt * k2[j][l]);
            }
            Method::Euler => {
                let k1 = derivatives(s, width, &g);
                set_states(&|l, j| x(l, j) + dt * k1[j][l]);
            }
            Method::ExpEuler => {
                let g_total: Vec<R> = (0..lanes)
                    .map(|l| (0..n_syn).map(|k| g(l, k)).reduce(|a, b| a + b))
                    .map(|sum| sum.unwrap_or(R::zero()))
                    .collect();
                let drive: Vec<R> = (0..lanes)
                    .map(|l| fold(n_syn, |k| g(l, k) * syn[k][0], current[l]))
                    .collect();
                self.batch.evaluate(
                    &self.exp_euler.tape,
                    &BatchInputs {
                        extra_conductance: &g_total,
                        extra_drive: &drive,
                        ..no_input
                    },
                    keep_invariant.then_some(self.invariant.as_slice()),
                );
                for (j, &(_, id)) in self.exp_euler.outputs.iter().enumerate() {
                    for (l, &value) in self.batch.values(id).iter().enumerate() {
                        next[l * width + j] = value;
                    }
                }
            }
        }
        for l in 0..lanes {
            for k in 0..n_syn {
                next[l * width + ns + k] = g(l, k) * syn[k][1];
            }
        }
        next
    }
}
