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
    let fields = |prefix: &str, n: usize| {
        (0..n)
            .map(|k| format!("    {prefix}{k}: Real,\n"))
            .collect::<String>()
    };
    let structs = format!(
        "struct ModelState {{\n{}}}\n\nstruct ModelParams {{\n{}}}\n\n",
        fields("x", model.states.len()),
        fields("q", model.parameters.len().max(1))
    );
    let step = lower::exp_euler_tape(model, true, true);
    let derivatives = lower::derivative_tape(model, true, true);
    structs
        + &function(model, &step, "model_exp_euler")
        + &function(model, &derivatives, "model_derivatives")
}

/// A complete module around the model's functions (the precision prelude and the shared
/// `exprel`/`x_over_expm1`), for naga to validate.
pub fn module(model: &Model, precision: Precision) -> String {
    crate::backend::gpu::shader::prelude(precision).to_string()
        + crate::backend::gpu::shader::COMMON
        + &functions(model)
}

/// The population kernel of a model file: `integrate_model` integrates neuron
/// `run.first_neuron + gid` over a chunk of steps with `method`, as `shaders/population.wgsl`
/// does for the built-in models, over flat arrays of `Real` (states × neurons, parameters ×
/// neurons). Loops over the states are written out: lavapipe counts every loop iteration of an
/// invocation against one limit. Twin: [`super::run::integrate_chunk`].
pub fn population_kernel(model: &Model, method: crate::integrate::Method) -> String {
    let ns = model.states.len();
    let np = model.parameters.len().max(1);
    let each = |f: &dyn Fn(usize) -> String| (0..ns).map(f).collect::<Vec<_>>().join("\n");
    let step = match method {
        crate::integrate::Method::Rk4 => format!(
            "    let half = dt * 0.5;
    let k1 = model_derivatives(s, p, dt, i_ext, 0.0, 0.0);
    let k2 = model_derivatives(ModelState({s2}), p, dt, i_ext, 0.0, 0.0);
    let k3 = model_derivatives(ModelState({s3}), p, dt, i_ext, 0.0, 0.0);
    let k4 = model_derivatives(ModelState({s4}), p, dt, i_ext, 0.0, 0.0);
    let sixth = dt / 6.0;
    return ModelState({combined});",
            s2 = (0..ns)
                .map(|j| format!("s.x{j} + half * k1.x{j}"))
                .collect::<Vec<_>>()
                .join(", "),
            s3 = (0..ns)
                .map(|j| format!("s.x{j} + half * k2.x{j}"))
                .collect::<Vec<_>>()
                .join(", "),
            s4 = (0..ns)
                .map(|j| format!("s.x{j} + dt * k3.x{j}"))
                .collect::<Vec<_>>()
                .join(", "),
            combined = (0..ns)
                .map(|j| format!(
                    "s.x{j} + sixth * (k1.x{j} + 2.0 * (k2.x{j} + k3.x{j}) + k4.x{j})"
                ))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => "    return model_exp_euler(s, p, dt, 0.0, 0.0, i_ext);".to_string(),
    };
    format!(
        "
struct FileRun {{
    n_neurons: u32,
    first_neuron: u32,
    n_steps: u32,
    first_step: u32,
    record_every: u32,
    spike_capacity: u32,
    has_noise: u32,
    pad: u32,
    dt: Real,
    threshold: Real,
}}

// Pipeline constants: the kernel carries no code for features a run does not use (lavapipe runs
// both sides of every branch). The twin reads the same facts from the run's uniforms.
override RECORD_TRACE: bool;
override HAS_NOISE: bool;
override HAS_SHARED_INPUT: bool;
override RECORD_SPIKE_STEPS: bool;

@group(0) @binding(0) var<uniform> run: FileRun;
@group(0) @binding(1) var<storage, read_write> states: array<Real>;
@group(0) @binding(2) var<storage, read> params: array<Real>;
@group(0) @binding(3) var<storage, read> current: array<Real>;
@group(0) @binding(4) var<storage, read> shared_input: array<Real>;
@group(0) @binding(5) var<storage, read> noise: array<Real>;
@group(0) @binding(6) var<storage, read_write> spike_count: array<u32>;
@group(0) @binding(7) var<storage, read_write> spike_steps: array<u32>;
@group(0) @binding(8) var<storage, read_write> trace: array<Real>;
@group(0) @binding(9) var<storage, read_write> status: array<u32>;

fn method_step(s: ModelState, p: ModelParams, i_ext: Real, dt: Real) -> ModelState {{
{step}
}}

@compute @workgroup_size(WORKGROUP_SIZE)
fn integrate_model(@builtin(global_invocation_id) gid: vec3<u32>) {{
    let i = run.first_neuron + gid.x;
    if (i >= run.n_neurons || status[i] != 0u) {{
        return;
    }}
    var s = ModelState({load_s});
    let p = ModelParams({load_p});
    // Read once: a storage read inside the loop costs every step.
    let i_const = current[i];
    let dt = run.dt;
    let threshold = run.threshold;
    var count = spike_count[i];
    var failed_at = 0u;
    for (var k = 0u; k < run.n_steps; k++) {{
        let step = run.first_step + k;
        if (RECORD_TRACE && k % run.record_every == 0u) {{
            let at = ((k / run.record_every) * run.n_neurons + i) * {ns}u;
{record}
        }}
        var i_ext = i_const;
        if (HAS_SHARED_INPUT) {{
            i_ext = i_ext + shared_input[k];
        }}
        if (HAS_NOISE) {{
            i_ext = i_ext + noise[k * run.n_neurons + i];
        }}
        let next = method_step(s, p, i_ext, dt);
        if (!({finite})) {{
            failed_at = step + 1u;
            break;
        }}
        if (s.x0 < threshold && next.x0 >= threshold) {{
            if (RECORD_SPIKE_STEPS && count < run.spike_capacity) {{
                spike_steps[i * run.spike_capacity + count] = step;
            }}
            count = count + 1u;
        }}
        s = next;
    }}
{store}
    spike_count[i] = count;
    if (failed_at != 0u) {{
        status[i] = failed_at;
    }}
}}
",
        load_s = (0..ns)
            .map(|j| format!("states[i * {ns}u + {j}u]"))
            .collect::<Vec<_>>()
            .join(", "),
        load_p = (0..np)
            .map(|j| format!("params[i * {np}u + {j}u]"))
            .collect::<Vec<_>>()
            .join(", "),
        record = each(&|j| format!("            trace[at + {j}u] = s.x{j};")),
        finite = (0..ns)
            .map(|j| format!("is_finite_real(next.x{j})"))
            .collect::<Vec<_>>()
            .join(" && "),
        store = each(&|j| format!("    states[i * {ns}u + {j}u] = s.x{j};")),
    )
}

/// The complete kernel module of a model file for `method` in `precision`.
pub fn population_module(
    model: &Model,
    method: crate::integrate::Method,
    precision: Precision,
) -> String {
    module(model, precision) + &population_kernel(model, method)
}
