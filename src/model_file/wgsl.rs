//! The WGSL emitter: a tape as a WGSL function, one `let` per op in the tape's order, so the
//! CPU twin ([`super::eval`]) and the GPU compute the same operations in the same order.
//! States and parameters travel as fixed-size arrays of `Real` in the model's own order.

use super::Model;
use super::lower::{self, Lowered};
use super::tape::{Input, Op};
use crate::model::Precision;
use std::fmt::Write;

/// A finite constant as a WGSL literal of type `Real` that parses to the same f64.
fn literal(c: f64) -> String {
    // `{:?}` is the shortest text that parses back to the same f64 and always has a '.' or 'e'.
    format!("Real({c:?})")
}

/// `lowered` as `fn name(s, p, dt, current, g_extra, drive_extra) -> array<Real, N>`, returning
/// the outputs in order.
pub fn function(model: &Model, lowered: &Lowered, name: &str) -> String {
    let (n_states, n_params) = (model.states.len(), model.parameters.len().max(1));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Generated from model '{}' ({} exp per call).",
        model.name,
        lowered.tape.exp_count()
    );
    let _ = writeln!(
        out,
        "fn {name}(s: array<Real, {n_states}>, p: array<Real, {n_params}>, dt: Real, current: Real, g_extra: Real, drive_extra: Real) -> array<Real, {}> {{",
        lowered.outputs.len()
    );
    for (id, op) in lowered.tape.ops.iter().enumerate() {
        let t = |k: usize| format!("t{k}");
        let value = match *op {
            Op::Const(c) => literal(c),
            Op::Input(Input::State(k)) => format!("s[{k}]"),
            Op::Input(Input::Param(k)) => format!("p[{k}]"),
            Op::Input(Input::Dt) => "dt".into(),
            Op::Input(Input::Current) => "current".into(),
            Op::Input(Input::ExtraConductance) => "g_extra".into(),
            Op::Input(Input::ExtraDrive) => "drive_extra".into(),
            Op::Add(a, b) => format!("{} + {}", t(a), t(b)),
            Op::Sub(a, b) => format!("{} - {}", t(a), t(b)),
            Op::Mul(a, b) => format!("{} * {}", t(a), t(b)),
            Op::Div(a, b) => format!("{} / {}", t(a), t(b)),
            Op::Neg(a) => format!("-{}", t(a)),
            Op::Exp(a) => format!("exp_real({})", t(a)),
            Op::Log(a) => format!("log({})", t(a)),
            Op::Sqrt(a) => format!("sqrt({})", t(a)),
            Op::XOverExpm1(a, e) => format!("x_over_expm1({}, {})", t(a), t(e)),
            Op::Exprel(a) => format!("exprel({})", t(a)),
        };
        let _ = writeln!(out, "    let t{id}: Real = {value};");
    }
    let results: Vec<String> = lowered
        .outputs
        .iter()
        .map(|(_, id)| format!("t{id}"))
        .collect();
    let _ = writeln!(
        out,
        "    return array<Real, {}>({});",
        results.len(),
        results.join(", ")
    );
    out.push_str("}\n");
    out
}

/// The model's generated functions: `model_exp_euler` (the next state) and
/// `model_derivatives` (dX/dt).
pub fn functions(model: &Model) -> String {
    let step = lower::exp_euler_tape(model, true, true);
    let derivatives = lower::derivative_tape(model, true, true);
    function(model, &step, "model_exp_euler") + &function(model, &derivatives, "model_derivatives")
}

/// A complete module around the model's functions (the precision prelude and the shared
/// `exprel`/`x_over_expm1`), for naga to validate.
pub fn module(model: &Model, precision: Precision) -> String {
    crate::backend::gpu::shader::prelude(precision).to_string()
        + crate::backend::gpu::shader::COMMON
        + &functions(model)
}
