//! One neuron of a model file as an autonomous ODE x' = f(x; p), x = (V, gates…) in the file's
//! state order, for the analysis on the host: the right-hand side and the integration steps
//! from the model's own tapes, evaluated as the twin evaluates them, the Jacobian by
//! forward-mode differentiation of the derivative tape, and the gates' steady states.
//! Everything here is f64: the analysis solves for equilibria to 1e-10.

use crate::error::{Error, Result};
use crate::integrate::Method;
use crate::kernel::Real;
use crate::kernel::eval::{self, Inputs, evaluate_ops};
use crate::kernel::lower::{self, Lowered};
use crate::kernel::steady;
use crate::kernel::tape::{Input, Op};
use crate::model::Model;
use nalgebra::{DMatrix, DVector};
use std::cell::RefCell;
use std::sync::Arc;

/// What an analysis can vary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parameter {
    /// Parameter k of the model, in file order.
    Model(usize),
    /// The constant injected current.
    Current,
}

/// A model's tapes, lowered once and shared by every system of the model.
struct Tapes {
    model: Model,
    derivatives: Lowered,
    /// [`Tape::invariant`](crate::kernel::tape::Tape::invariant) of `derivatives`.
    invariant: Vec<bool>,
    exp_euler: Lowered,
    rates: Lowered,
    /// The rate tape's op of each state's steady state (`None` for v).
    steady: Vec<Option<usize>>,
}

/// A model with its parameters and the constant current injected into it.
#[derive(Clone)]
pub struct System {
    tapes: Arc<Tapes>,
    /// The model's parameters, in file order.
    params: Vec<f64>,
    /// The derivative tape evaluated at `params`, of which the ops of parameters alone are
    /// kept by every evaluation: the analysis evaluates f millions of times per parameter set.
    fixed: Arc<Vec<f64>>,
    /// Injected current [pA | µA/cm², by the model's units].
    pub current: f64,
}

thread_local! {
    /// The op values of the evaluation in progress, reused to spare an allocation per call.
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

impl PartialEq for System {
    fn eq(&self, other: &Self) -> bool {
        self.tapes.model.source == other.tapes.model.source
            && self.params == other.params
            && self.current == other.current
    }
}

impl std::fmt::Debug for System {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("System")
            .field("model", &self.tapes.model.name)
            .field("params", &self.params)
            .field("current", &self.current)
            .finish()
    }
}

impl System {
    /// `model` at its default parameters under `current`.
    pub fn new(model: Model, current: f64) -> Self {
        let rates = lower::rate_tape(&model);
        let steady = steady::steady_state_ops(&model, &rates);
        let derivatives = lower::derivative_tape(&model, true, true);
        let tapes = Arc::new(Tapes {
            invariant: derivatives.tape.invariant(),
            derivatives,
            exp_euler: lower::exp_euler_tape(&model, true, true),
            rates,
            steady,
            model,
        });
        let params = tapes.model.default_parameters();
        System {
            fixed: Arc::new(Self::fixed_values(&tapes, &params)),
            params,
            current,
            tapes,
        }
    }

    fn fixed_values(tapes: &Tapes, params: &[f64]) -> Vec<f64> {
        let tape = &tapes.derivatives.tape;
        let zeros = vec![0.0; tapes.model.states.len()];
        let mut values = Vec::new();
        eval::evaluate_into(tape, &zeros, params, [0.0; 4], &mut values);
        values
    }

    /// The model's parameters, in file order.
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// This system with the model's parameters `params` (in file order).
    pub fn with_params(&self, params: Vec<f64>) -> System {
        assert_eq!(params.len(), self.params.len(), "one value per parameter");
        System {
            fixed: Arc::new(Self::fixed_values(&self.tapes, &params)),
            params,
            ..self.clone()
        }
    }

    pub fn model(&self) -> &Model {
        &self.tapes.model
    }

    /// The number of states (V and every gate with kinetics).
    pub fn dim(&self) -> usize {
        self.tapes.model.states.len()
    }

    /// The index of state `name` (v is 0).
    pub fn state_index(&self, name: &str) -> Option<usize> {
        self.tapes.model.states.iter().position(|s| s == name)
    }

    /// This system with `param` set to `value`.
    pub fn with(&self, param: Parameter, value: f64) -> System {
        match param {
            Parameter::Model(k) => {
                let mut params = self.params.clone();
                params[k] = value;
                self.with_params(params)
            }
            Parameter::Current => System {
                current: value,
                ..self.clone()
            },
        }
    }

    /// `current` or the name of one of the model's parameters, or says which there are.
    pub fn parameter(&self, name: &str) -> Result<Parameter> {
        let model = &self.tapes.model;
        if name == "current" {
            return Ok(Parameter::Current);
        }
        match model.parameters.iter().position(|(n, _)| n == name) {
            Some(k) => Ok(Parameter::Model(k)),
            None => {
                let names: Vec<&str> = model.parameters.iter().map(|(n, _)| n.as_str()).collect();
                Err(Error::invalid(
                    "parameter",
                    name,
                    format!(
                        "current or a parameter of {}: {}",
                        model.name,
                        names.join(", ")
                    ),
                ))
            }
        }
    }

    /// The name of `param` as [`Self::parameter`] reads it.
    pub fn parameter_name(&self, param: Parameter) -> &str {
        match param {
            Parameter::Model(k) => &self.tapes.model.parameters[k].0,
            Parameter::Current => "current",
        }
    }

    /// Runs `then` on the derivative tape's op values at state `x`.
    fn with_derivative_values<T>(&self, x: &[f64], then: impl FnOnce(&[f64]) -> T) -> T {
        SCRATCH.with_borrow_mut(|values| {
            values.clear();
            values.extend_from_slice(&self.fixed);
            let scalars = [0.0, self.current, 0.0, 0.0];
            let tape = &self.tapes.derivatives.tape;
            let keep = Some(self.tapes.invariant.as_slice());
            evaluate_ops(tape, x, &self.params, scalars, values, keep);
            then(values)
        })
    }

    /// f(x): dV/dt [mV/ms] and the gates' rates of change [1/ms].
    pub fn rhs(&self, x: &DVector<f64>) -> DVector<f64> {
        let outputs = &self.tapes.derivatives.outputs;
        self.with_derivative_values(x.as_slice(), |values| {
            DVector::from_iterator(outputs.len(), outputs.iter().map(|&(_, id)| values[id]))
        })
    }

    /// The state at potential `v` with every gate at its steady state.
    pub fn resting_at(&self, v: f64) -> DVector<f64> {
        let t = &self.tapes;
        let values =
            eval::evaluate::<f64>(&t.rates.tape, &Inputs::at_rest(&t.model, &self.params, v));
        DVector::from_iterator(
            self.dim(),
            t.steady.iter().map(|id| id.map_or(v, |id| values[id])),
        )
    }

    /// dV/dt with every gate at its steady state: zero exactly at the equilibria, whose gates
    /// are always at steady state. A function of V alone, so its roots can be bracketed.
    pub fn reduced_dv(&self, v: f64) -> f64 {
        self.rhs(&self.resting_at(v))[0]
    }

    /// ∂f/∂x, exact up to rounding: the derivative tape evaluated with a tangent per state
    /// (forward-mode differentiation, op by op).
    pub fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let d = &self.tapes.derivatives;
        let values = self.with_derivative_values(x.as_slice(), <[f64]>::to_vec);
        let n = self.dim();
        // tangent[op · n + k] = ∂(op's value)/∂x_k.
        let mut tangent = vec![0.0; d.tape.ops.len() * n];
        for (at, op) in d.tape.ops.iter().enumerate() {
            let (done, rest) = tangent.split_at_mut(at * n);
            let out = &mut rest[..n];
            let t = |id: usize| &done[id * n..(id + 1) * n];
            let v = |id: usize| values[id];
            let mut scaled = |id: usize, k: f64| {
                for (o, &a) in out.iter_mut().zip(t(id)) {
                    *o = k * a;
                }
            };
            match *op {
                Op::Input(Input::State(k)) => out[k] = 1.0,
                Op::Const(_) | Op::Input(_) => {}
                Op::Neg(a) => scaled(a, -1.0),
                Op::Exp(a) => scaled(a, values[at]),
                Op::Log(a) => scaled(a, 1.0 / v(a)),
                Op::Sqrt(a) => scaled(a, 0.5 / values[at]),
                Op::XOverExpm1(a, e) => scaled(a, x_over_expm1_slope(v(a), v(e))),
                Op::Exprel(a) => scaled(a, exprel_slope(v(a))),
                Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) => {
                    // ∂(a ∘ b) = ka·∂a + kb·∂b
                    let (ka, kb) = match *op {
                        Op::Add(..) => (1.0, 1.0),
                        Op::Sub(..) => (1.0, -1.0),
                        Op::Mul(..) => (v(b), v(a)),
                        _ => (1.0 / v(b), -values[at] / v(b)),
                    };
                    for ((o, &ta), &tb) in out.iter_mut().zip(t(a)).zip(t(b)) {
                        *o = ka * ta + kb * tb;
                    }
                }
            }
        }
        DMatrix::from_fn(n, n, |row, k| tangent[d.outputs[row].1 * n + k])
    }

    /// One step of `method` from `x` over `dt` [ms], from the tapes the kernels run (in f64 and
    /// with the twin's operations).
    pub fn step(&self, method: Method, x: &DVector<f64>, dt: f64) -> DVector<f64> {
        let half = 0.5 * dt;
        match method {
            Method::ExpEuler => SCRATCH.with_borrow_mut(|values| {
                // The injected current enters as drive, as in the kernels.
                let e = &self.tapes.exp_euler;
                let scalars = [dt, 0.0, 0.0, self.current];
                values.clear();
                values.resize(e.tape.ops.len(), 0.0);
                let x = x.as_slice();
                evaluate_ops(&e.tape, x, &self.params, scalars, values, None);
                DVector::from_iterator(x.len(), e.outputs.iter().map(|&(_, id)| values[id]))
            }),
            Method::Euler => x + self.rhs(x) * dt,
            Method::Rk2 => {
                let k1 = self.rhs(x);
                x + self.rhs(&(x + &k1 * half)) * dt
            }
            Method::Rk4 => {
                let k1 = self.rhs(x);
                let k2 = self.rhs(&(x + &k1 * half));
                let k3 = self.rhs(&(x + &k2 * half));
                let k4 = self.rhs(&(x + &k3 * dt));
                x + (k1 + (k2 + k3) * 2.0 + k4) * (dt / 6.0)
            }
        }
    }
}

/// d/dx of x/(eˣ − 1) given e = eˣ: (e − 1 − x·e)/(e − 1)², and near 0, where that cancels,
/// its series −1/2 + x/6 − x³/180 + x⁵/5040 (the next term, x⁷/151200, is below 1e-17 at the
/// switch).
fn x_over_expm1_slope(x: f64, e: f64) -> f64 {
    if x.abs() < f64::EXPREL_SERIES_BELOW {
        let x2 = x * x;
        -0.5 + x * (1.0 / 6.0 + x2 * (-1.0 / 180.0 + x2 / 5040.0))
    } else {
        let em1 = e - 1.0;
        (em1 - x * e) / (em1 * em1)
    }
}

/// d/dx of (eˣ − 1)/x: (x·eˣ − eˣ + 1)/x², and near 0 its series 1/2 + x/3 + x²/8 + x³/30 +
/// x⁴/144 (the next term, x⁵/840, is below 4e-12 at the switch).
fn exprel_slope(x: f64) -> f64 {
    if x.abs() < f64::EXPREL_SERIES_BELOW {
        0.5 + x * (1.0 / 3.0 + x * (1.0 / 8.0 + x * (1.0 / 30.0 + x / 144.0)))
    } else {
        let e = x.exp();
        (x * e - e + 1.0) / (x * x)
    }
}

/// The slopes at the series switch agree with the closed forms on either side (the quotient's
/// cancellation costs ≈ ε/x² ≈ 3e-13 there).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slopes_are_continuous_at_the_series_switch() {
        let s = f64::EXPREL_SERIES_BELOW;
        for x in [-s, s] {
            let (inside, outside) = (x * (1.0 - 1e-12), x * (1.0 + 1e-12));
            let gap = x_over_expm1_slope(inside, inside.exp())
                - x_over_expm1_slope(outside, outside.exp());
            assert!(gap.abs() < 1e-11, "x/(eˣ−1) at {x}: {gap}");
            let gap = exprel_slope(inside) - exprel_slope(outside);
            assert!(gap.abs() < 1e-11, "exprel at {x}: {gap}");
        }
        // Against a central difference of the functions themselves away from the switch.
        for x in [-3.0, -0.5, 0.01, 0.7, 4.0] {
            let h = 1e-5;
            let f = |x: f64| crate::kernel::x_over_expm1(x, x.exp());
            let fd = (f(x + h) - f(x - h)) / (2.0 * h);
            assert!((x_over_expm1_slope(x, x.exp()) - fd).abs() < 1e-9, "at {x}");
            let g = |x: f64| crate::kernel::exprel(x);
            let fd = (g(x + h) - g(x - h)) / (2.0 * h);
            assert!((exprel_slope(x) - fd).abs() < 1e-9, "at {x}");
        }
    }
}
