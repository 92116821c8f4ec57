//! Steady states of a model's gates, through its rate tape: where a run starts when the file
//! leaves a gate's initial value out, and the resting states of `--init rest`.

use super::eval::{Inputs, evaluate};
use super::lower::{self, Lowered};
use crate::model::Model;

/// The initial state under `params`: the file's values, and each unlisted gate at its steady
/// state at the initial v.
pub fn initial_state(model: &Model, params: &[f64]) -> Vec<f64> {
    initial_states(model, &[params.to_vec()]).remove(0)
}

/// [`initial_state`] for many parameter sets, lowering the rates once.
pub fn initial_states(model: &Model, params: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let v = model.initial[0].expect("v is checked to have an initial value");
    steady_states(model, params, v)
        .into_iter()
        .map(|at_rest| {
            (model.initial.iter().zip(at_rest))
                .map(|(given, x)| given.unwrap_or(x))
                .collect()
        })
        .collect()
}

/// For each parameter set, the state at potential `v` with every gate at its steady state.
pub fn steady_states(model: &Model, params: &[Vec<f64>], v: f64) -> Vec<Vec<f64>> {
    let rates = lower::rate_tape(model);
    let steady = steady_state_ops(model, &rates);
    params
        .iter()
        .map(|p| {
            let at = Inputs::at_rest(model, p, v);
            let values = evaluate::<f64>(&rates.tape, &at);
            steady
                .iter()
                .map(|id| id.map_or(v, |id| values[id]))
                .collect()
        })
        .collect()
}

/// The op of [`lower::rate_tape`]'s `rates` that gives each state's steady state (`None` for
/// v, which has none).
pub fn steady_state_ops(model: &Model, rates: &Lowered) -> Vec<Option<usize>> {
    model
        .states
        .iter()
        .map(|state| {
            let name = format!("steady state of gate {state}");
            rates
                .outputs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|&(_, id)| id)
        })
        .collect()
}
