//! The WGSL emitter: a tape as a WGSL function, one `let` per op in the tape's order, so the
//! CPU twin ([`super::eval`]) and the GPU compute the same operations in the same order.
//! States and parameters travel as fixed-size arrays of `Real` in the model's own order.

use super::lower::{self, Lowered};
use super::tape::{Input, Op};
use crate::model::Model;
use std::fmt::Write;

/// A finite constant as a WGSL literal of type `Real` that parses to the same f64.
fn literal(c: f64) -> String {
    // `{:?}` is the shortest text that parses back to the same f64 and always has a '.' or 'e'.
    format!("Real({c:?})")
}

/// `lowered` as `fn name(s, p, dt, current, g_extra, drive_extra) -> ModelState`, returning the
/// outputs (one per state) in order.
pub fn function(model: &Model, lowered: &Lowered, name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Generated from model '{}' ({} exp per call).",
        model.name,
        lowered.tape.exp_count()
    );
    let _ = writeln!(
        out,
        "fn {name}(s: ModelState, p: ModelParams, dt: Real, current: Real, g_extra: Real, drive_extra: Real) -> ModelState {{"
    );
    for (id, op) in lowered.tape.ops.iter().enumerate() {
        let t = |k: usize| format!("t{k}");
        let value = match *op {
            Op::Const(c) => literal(c),
            Op::Input(Input::State(k)) => format!("s.x{k}"),
            Op::Input(Input::Param(k)) => format!("p.q{k}"),
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
            Op::Log(a) => format!("log_real({})", t(a)),
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
    let _ = writeln!(out, "    return ModelState({});", results.join(", "));
    out.push_str("}\n");
    out
}

/// The model's state and parameters as structs (scalars the compiler keeps in registers), and
/// its generated functions: `model_exp_euler` (the next state) and `model_derivatives` (dX/dt).
pub fn functions(model: &Model) -> String {
    let fields = |prefix: &str, ks: &mut dyn Iterator<Item = usize>| {
        ks.map(|k| format!("    {prefix}{k}: Real,\n"))
            .collect::<String>()
    };
    let used = lower::used_parameters(model);
    // A struct needs a member: a model whose steps read no parameter gets one unused.
    let params = if used.is_empty() {
        "    unused: Real,\n".to_string()
    } else {
        fields("q", &mut used.iter().copied())
    };
    let structs = format!(
        "struct ModelState {{\n{}}}\n\nstruct ModelParams {{\n{params}}}\n\n",
        fields("x", &mut (0..model.states.len())),
    );
    let step = lower::exp_euler_tape(model, true, true);
    let derivatives = lower::derivative_tape(model, true, true);
    structs
        + &function(model, &step, "model_exp_euler")
        + &function(model, &derivatives, "model_derivatives")
}

/// The arguments of `ModelParams(...)`: parameter `j` as `load(j)` for each parameter the
/// model's steps read (the others never reach the shader).
fn model_params(model: &Model, load: &dyn Fn(usize) -> String) -> String {
    let used = lower::used_parameters(model);
    if used.is_empty() {
        return "Real(0.0)".into();
    }
    used.into_iter().map(load).collect::<Vec<_>>().join(", ")
}

/// The model's part of the population kernel (shaders/population.wgsl): the sizes
/// `N_STATES` and `N_PARAMS`, loading a neuron's state and parameters, storing and recording
/// its state, whether a state is finite, and `method_step`, one step of `method`. Loops over
/// the states are written out: lavapipe counts every loop iteration of an invocation against
/// one limit. Twin: `backend::cpu::population::integrate_model`, over [`super::step::NeuronStep`].
pub fn population_functions(model: &Model, method: crate::integrate::Method) -> String {
    let ns = model.states.len();
    let np = model.parameters.len().max(1);
    // A row of parameters per neuron: the model's, then the spike threshold.
    let row = np + 1;
    let each = |f: &dyn Fn(usize) -> String| (0..ns).map(f).collect::<Vec<_>>().join("\n");
    let list = |f: &dyn Fn(usize) -> String, separator: &str| {
        (0..ns).map(f).collect::<Vec<_>>().join(separator)
    };
    let step = match method {
        crate::integrate::Method::Rk4 => format!(
            "    let half = dt * 0.5;
    let k1 = model_derivatives(s, p, dt, i_ext, 0.0, 0.0);
    let k2 = model_derivatives(ModelState({s2}), p, dt, i_ext, 0.0, 0.0);
    let k3 = model_derivatives(ModelState({s3}), p, dt, i_ext, 0.0, 0.0);
    let k4 = model_derivatives(ModelState({s4}), p, dt, i_ext, 0.0, 0.0);
    let sixth = dt / 6.0;
    return ModelState({combined});",
            s2 = list(&|j| format!("s.x{j} + half * k1.x{j}"), ", "),
            s3 = list(&|j| format!("s.x{j} + half * k2.x{j}"), ", "),
            s4 = list(&|j| format!("s.x{j} + dt * k3.x{j}"), ", "),
            combined = list(
                &|j| format!("s.x{j} + sixth * (k1.x{j} + 2.0 * (k2.x{j} + k3.x{j}) + k4.x{j})"),
                ", "
            ),
        ),
        _ => "    return model_exp_euler(s, p, dt, 0.0, 0.0, i_ext);".to_string(),
    };
    format!(
        "
const N_STATES: u32 = {ns}u;
const N_PARAMS: u32 = {np}u;

fn load_state(i: u32) -> ModelState {{
    return ModelState({load_s});
}}

fn load_params(i: u32) -> ModelParams {{
    return ModelParams({load_p});
}}

fn store_state(i: u32, s: ModelState) {{
{store}
}}

fn record_state(at: u32, s: ModelState) {{
{record}
}}

fn state_is_finite(s: ModelState) -> bool {{
    return {finite};
}}

fn method_step(s: ModelState, p: ModelParams, i_ext: Real, dt: Real) -> ModelState {{
{step}
}}
",
        load_s = list(&|j| format!("states[i * {ns}u + {j}u]"), ", "),
        load_p = model_params(model, &|j| format!("params[i * {row}u + {j}u]")),
        store = each(&|j| format!("    states[i * {ns}u + {j}u] = s.x{j};")),
        record = each(&|j| format!("    trace[at + {j}u] = s.x{j};")),
        finite = list(&|j| format!("is_finite_real(s.x{j})"), " && "),
    )
}

/// The model's part of the network kernels (shaders/network*.wgsl): `NetState` (the states
/// `x0…`, then the synapses' conductances `g0…`), `GroupParams` (the parameters `q0…`, then the
/// group's current), loading and storing a neuron's state as whole vec4s, taking in the
/// accumulated spikes, and one step of exponential Euler or RK4 with the conductances in the
/// membrane equation. Twin: [`super::step::NeuronStep`], operation for operation.
pub fn network_functions(model: &Model) -> String {
    let ns = model.states.len();
    let k_syn = model.synapses.len();
    let np = model.parameters.len().max(1);
    let width = ns + k_syn;
    let vec4s = width.div_ceil(4);
    let var = |j: usize| {
        if j < ns {
            format!("x{j}")
        } else {
            format!("g{}", j - ns)
        }
    };
    let list = |items: &mut dyn Iterator<Item = String>| items.collect::<Vec<_>>().join(", ");
    let fields = list(&mut (0..width).map(|j| format!("{}: Real", var(j))));
    let params = list(&mut (0..np).map(|j| format!("q{j}: Real")));
    let loads = (0..vec4s)
        .map(|w| format!("    let w{w} = net_state[{vec4s}u * i + {w}u];\n"))
        .collect::<String>();
    let loaded =
        list(&mut (0..width).map(|j| format!("w{}.{}", j / 4, ["x", "y", "z", "w"][j % 4])));
    let stores = (0..vec4s)
        .map(|w| {
            let parts = list(&mut (4 * w..4 * w + 4).map(|j| {
                if j < width {
                    format!("s.{}", var(j))
                } else {
                    "Real(0.0)".into()
                }
            }));
            format!("    net_state[{vec4s}u * i + {w}u] = vec4<Real>({parts});\n")
        })
        .collect::<String>();
    let takes = (0..k_syn)
        .map(|k| {
            format!(
                "    t.g{k} = t.g{k} + Real(atomicExchange(&acc[input + {k}u * net.n_neurons + i], 0u)) * net.quantum;\n"
            )
        })
        .collect::<String>();
    // Σ over the synapses of `term(k)`, then `last` added: the twin's left fold.
    let sum_then = |term: &dyn Fn(usize) -> String, last: &str| {
        let mut terms: Vec<String> = (0..k_syn).map(term).collect();
        terms.extend((!last.is_empty()).then(|| last.to_string()));
        if terms.is_empty() {
            "Real(0.0)".to_string()
        } else {
            terms.join(" + ")
        }
    };
    let model_state = |of: &str| list(&mut (0..ns).map(|j| format!("{of}.x{j}")));
    let model_params = model_params(model, &|j| format!("p.q{j}"));
    let decayed =
        |which: &str| list(&mut (0..k_syn).map(|k| format!("s.g{k} * syn[{k}u].{which}")));
    let with_synapses = |states: String, synapses: String| {
        if k_syn == 0 {
            states
        } else {
            format!("{states}, {synapses}")
        }
    };
    let stage_input = |x: &str, g: &dyn Fn(usize) -> String| {
        sum_then(
            &|k| format!("{} * (syn[{k}u].x - {x}.x0)", g(k)),
            "p.current",
        )
    };
    let shifted =
        |by: &str, k: &str| list(&mut (0..ns).map(|j| format!("x.x{j} + {by} * {k}.x{j}")));
    let combined = list(
        &mut (0..ns)
            .map(|j| format!("x.x{j} + sixth * (k1.x{j} + 2.0 * (k2.x{j} + k3.x{j}) + k4.x{j})")),
    );
    let half_g = |k: usize| format!("gh{k}");
    let end_g = |k: usize| format!("ge{k}");
    let now_g = |k: usize| format!("s.g{k}");
    let lets = |prefix: &str, which: &str| {
        (0..k_syn)
            .map(|k| format!("    let {prefix}{k} = s.g{k} * syn[{k}u].{which};\n"))
            .collect::<String>()
    };
    format!(
        "
const N_SYN: u32 = {k_syn}u;
// The synapse constants' array needs at least one element.
const SYN_SLOTS: u32 = {slots}u;

struct NetState {{ {fields} }}

struct GroupParams {{ {params}, current: Real }}

fn load_state(i: u32) -> NetState {{
{loads}    return NetState({loaded});
}}

fn store_state(i: u32, s: NetState) {{
{stores}}}

// Adds the integer input of block `input` to the conductances, clearing it.
fn take_input(i: u32, input: u32, s: NetState) -> NetState {{
    var t = s;
{takes}    return t;
}}

fn net_exp_euler(p: GroupParams, s: NetState, dt: Real) -> NetState {{
    let g_total = {g_total};
    let drive = {drive};
    let m = model_exp_euler(ModelState({x_now}), ModelParams({model_params}), dt, 0.0, g_total, drive);
    return NetState({exp_next});
}}

fn net_rk4(p: GroupParams, s: NetState, dt: Real) -> NetState {{
    let q = ModelParams({model_params});
    let x = ModelState({x_now});
    let half = dt * 0.5;
{half_lets}{end_lets}    let k1 = model_derivatives(x, q, dt, {in1}, 0.0, 0.0);
    let x2 = ModelState({x2});
    let k2 = model_derivatives(x2, q, dt, {in2}, 0.0, 0.0);
    let x3 = ModelState({x3});
    let k3 = model_derivatives(x3, q, dt, {in3}, 0.0, 0.0);
    let x4 = ModelState({x4});
    let k4 = model_derivatives(x4, q, dt, {in4}, 0.0, 0.0);
    let sixth = dt / 6.0;
    return NetState({rk4_next});
}}
",
        slots = k_syn.max(1),
        g_total = sum_then(&now_g, ""),
        drive = sum_then(&|k| format!("s.g{k} * syn[{k}u].x"), "p.current"),
        x_now = model_state("s"),
        exp_next = with_synapses(model_state("m"), decayed("y")),
        half_lets = lets("gh", "z"),
        end_lets = lets("ge", "y"),
        in1 = stage_input("x", &now_g),
        x2 = shifted("half", "k1"),
        in2 = stage_input("x2", &half_g),
        x3 = shifted("half", "k2"),
        in3 = stage_input("x3", &half_g),
        x4 = shifted("dt", "k3"),
        in4 = stage_input("x4", &end_g),
        rk4_next = with_synapses(combined, list(&mut (0..k_syn).map(end_g))),
    )
}

/// Everything the network kernels need from the model: its functions and its network part.
pub fn network_part(model: &Model) -> String {
    functions(model) + &network_functions(model)
}
