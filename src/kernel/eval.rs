//! The CPU twin of generated kernels: executes a tape op by op in the tape's order, in f32 or
//! f64, with the GPU's exponential ([`Real::exp_twin`]) and the kernels' `exprel` and
//! `x_over_expm1`.

use super::tape::{Input, Op, Tape};
use crate::kernel::{Real, exprel_given, x_over_expm1};
use crate::model::Model;

/// The values a tape reads.
#[derive(Clone, Debug)]
pub struct Inputs<R> {
    pub states: Vec<R>,
    pub params: Vec<R>,
    pub dt: R,
    pub current: R,
    pub extra_conductance: R,
    pub extra_drive: R,
}

impl Inputs<f64> {
    /// Inputs for evaluating rates at potential `v` (gates at 0, no input, dt 0).
    pub fn at_rest(model: &Model, params: &[f64], v: f64) -> Self {
        let mut states = vec![0.0; model.states.len()];
        states[0] = v;
        Inputs {
            states,
            params: params.to_vec(),
            dt: 0.0,
            current: 0.0,
            extra_conductance: 0.0,
            extra_drive: 0.0,
        }
    }
}

/// Every op's value, in tape order.
pub fn evaluate<R: Real>(tape: &Tape, inputs: &Inputs<R>) -> Vec<R> {
    let mut values = Vec::with_capacity(tape.ops.len());
    let scalars = [
        inputs.dt,
        inputs.current,
        inputs.extra_conductance,
        inputs.extra_drive,
    ];
    evaluate_into(tape, &inputs.states, &inputs.params, scalars, &mut values);
    values
}

/// [`evaluate`] into `values` (cleared first), for loops that evaluate a tape many times
/// without allocating. `scalars`: dt, current, extra conductance, extra drive.
pub fn evaluate_into<R: Real>(
    tape: &Tape,
    states: &[R],
    params: &[R],
    scalars: [R; 4],
    values: &mut Vec<R>,
) {
    values.clear();
    values.resize(tape.ops.len(), R::zero());
    evaluate_ops(tape, states, params, scalars, values, None);
}

/// Evaluates every op of `tape` into `values` (one slot per op), except those `keep` marks,
/// which keep the values they hold: the caller vouches they are still right (e.g.
/// [`Tape::invariant`] ops under the same parameters and dt).
pub fn evaluate_ops<R: Real>(
    tape: &Tape,
    states: &[R],
    params: &[R],
    scalars: [R; 4],
    values: &mut [R],
    keep: Option<&[bool]>,
) {
    let [dt, current, extra_conductance, extra_drive] = scalars;
    for (at, op) in tape.ops.iter().enumerate() {
        if keep.is_some_and(|keep| keep[at]) {
            continue;
        }
        let x = |id: usize| values[id];
        let value = match *op {
            Op::Const(c) => R::of(c),
            Op::Input(Input::State(k)) => states[k],
            Op::Input(Input::Param(k)) => params[k],
            Op::Input(Input::Dt) => dt,
            Op::Input(Input::Current) => current,
            Op::Input(Input::ExtraConductance) => extra_conductance,
            Op::Input(Input::ExtraDrive) => extra_drive,
            Op::Add(a, b) => x(a) + x(b),
            Op::Sub(a, b) => x(a) - x(b),
            Op::Mul(a, b) => x(a) * x(b),
            Op::Div(a, b) => x(a) / x(b),
            Op::Neg(a) => -x(a),
            Op::Exp(a) => x(a).exp_twin(),
            Op::Log(a) => x(a).ln_twin(),
            Op::Sqrt(a) => x(a).sqrt(),
            Op::XOverExpm1(a, e) => x_over_expm1(x(a), x(e)),
            Op::Exprel(a) => exprel_given(x(a), x(a).exp_twin()),
        };
        values[at] = value;
    }
}

/// The inputs of a tape for a batch of `lanes` neurons: states and parameters lane-major
/// (state k of a lane at `states[lane · state_stride + k]`), one current, extra conductance and
/// extra drive per lane.
#[derive(Clone, Copy, Debug)]
pub struct BatchInputs<'a, R> {
    pub lanes: usize,
    pub states: &'a [R],
    pub state_stride: usize,
    pub params: &'a [R],
    pub param_stride: usize,
    pub dt: R,
    pub current: &'a [R],
    pub extra_conductance: &'a [R],
    pub extra_drive: &'a [R],
}

/// A tape evaluated for a batch of neurons at once: each op for every lane before the next op,
/// so that interpreting an op costs once per batch rather than once per neuron. Every lane
/// computes exactly what [`evaluate`] computes for it.
#[derive(Clone, Debug, Default)]
pub struct Batch<R> {
    lanes: usize,
    /// `values[op · lanes + lane]`.
    values: Vec<R>,
}

impl<R: Real> Batch<R> {
    /// Evaluates `tape` for every lane. With `keep`, the ops it marks keep the values of the
    /// previous evaluation, which the caller vouches were of the same tape and lanes and are
    /// still right (e.g. [`Tape::invariant`] ops under unchanged parameters).
    pub fn evaluate(&mut self, tape: &Tape, inputs: &BatchInputs<R>, keep: Option<&[bool]>) {
        let lanes = inputs.lanes;
        self.lanes = lanes;
        // Every value is written before it is read: grow, never clear.
        if self.values.len() < tape.ops.len() * lanes {
            self.values.resize(tape.ops.len() * lanes, R::zero());
        }
        for (at, op) in tape.ops.iter().enumerate() {
            if keep.is_some_and(|keep| keep[at]) {
                continue;
            }
            let (done, rest) = self.values.split_at_mut(at * lanes);
            let out = &mut rest[..lanes];
            let x = |id: usize| &done[id * lanes..(id + 1) * lanes];
            // Loops written out per op, so that each op's arithmetic is inlined into its loop
            // rather than called per lane through a pointer.
            macro_rules! unary {
                ($a:expr, |$x:ident| $f:expr) => {
                    out.iter_mut().zip($a).for_each(|(o, &$x)| *o = $f)
                };
            }
            macro_rules! binary {
                ($a:expr, $b:expr, |$x:ident, $y:ident| $f:expr) => {
                    for ((o, &$x), &$y) in out.iter_mut().zip($a).zip($b) {
                        *o = $f;
                    }
                };
            }
            match *op {
                Op::Const(c) => out.fill(R::of(c)),
                Op::Input(Input::State(k)) => {
                    let n = inputs.state_stride;
                    (0..lanes).for_each(|l| out[l] = inputs.states[l * n + k]);
                }
                Op::Input(Input::Param(k)) => {
                    let n = inputs.param_stride;
                    (0..lanes).for_each(|l| out[l] = inputs.params[l * n + k]);
                }
                Op::Input(Input::Dt) => out.fill(inputs.dt),
                Op::Input(Input::Current) => out.copy_from_slice(inputs.current),
                Op::Input(Input::ExtraConductance) => out.copy_from_slice(inputs.extra_conductance),
                Op::Input(Input::ExtraDrive) => out.copy_from_slice(inputs.extra_drive),
                Op::Add(a, b) => binary!(x(a), x(b), |a, b| a + b),
                Op::Sub(a, b) => binary!(x(a), x(b), |a, b| a - b),
                Op::Mul(a, b) => binary!(x(a), x(b), |a, b| a * b),
                Op::Div(a, b) => binary!(x(a), x(b), |a, b| a / b),
                Op::Neg(a) => unary!(x(a), |a| -a),
                Op::Exp(a) => unary!(x(a), |a| a.exp_twin()),
                Op::Log(a) => unary!(x(a), |a| a.ln_twin()),
                Op::Sqrt(a) => unary!(x(a), |a| a.sqrt()),
                Op::XOverExpm1(a, e) => binary!(x(a), x(e), |a, e| x_over_expm1(a, e)),
                Op::Exprel(a) => unary!(x(a), |a| exprel_given(a, a.exp_twin())),
            }
        }
    }

    /// Op `id`'s value in every lane.
    pub fn values(&self, id: usize) -> &[R] {
        &self.values[id * self.lanes..(id + 1) * self.lanes]
    }
}
