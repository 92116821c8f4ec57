//! The CPU twin of generated kernels: executes a tape op by op in the tape's order, in f32 or
//! f64, with the GPU's exponential ([`Real::exp_twin`]) and the kernels' `exprel` and
//! `x_over_expm1`.

use super::Model;
use super::tape::{Input, Op, Tape};
use crate::model::{Real, exprel_given, x_over_expm1};

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
    let mut values: Vec<R> = Vec::with_capacity(tape.ops.len());
    for op in &tape.ops {
        let x = |id: usize| values[id];
        let value = match *op {
            Op::Const(c) => R::of(c),
            Op::Input(Input::State(k)) => inputs.states[k],
            Op::Input(Input::Param(k)) => inputs.params[k],
            Op::Input(Input::Dt) => inputs.dt,
            Op::Input(Input::Current) => inputs.current,
            Op::Input(Input::ExtraConductance) => inputs.extra_conductance,
            Op::Input(Input::ExtraDrive) => inputs.extra_drive,
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
        values.push(value);
    }
    values
}
