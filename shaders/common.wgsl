// Structs, bindings, exprel, gating rates and the membrane equation shared by the population
// kernels. Keep the structs in sync with src/layout.rs (a test compares them through naga) and the
// formulas with src/model/ (the CPU twins).

const WORKGROUP_SIZE: u32 = 64u;
const MODEL_TRAUB: u32 = 0u;
const MODEL_CLASSIC: u32 = 1u;

// Pipeline constants: the host builds a pipeline per combination so that the step loop carries
// no code for features a run does not use (measured: 29 % faster without them on lavapipe).
// The CPU twin reads the same facts from `run.record_every` and `run.has_noise`.
override RECORD_TRACE: bool = true;
override HAS_NOISE: bool = true;

struct State {
    v: Real,
    m: Real,
    h: Real,
    n: Real,
}

struct NeuronParams {
    c: Real,
    g_na: Real,
    g_k: Real,
    g_l: Real,
    e_na: Real,
    e_k: Real,
    e_l: Real,
    vt: Real,
    phi: Real,
    v_th: Real,
    i_const: Real,
}

struct RunUniforms {
    n_neurons: u32,
    first_neuron: u32,
    n_steps: u32,
    first_step: u32,
    model: u32,
    record_every: u32,
    spike_capacity: u32,
    has_noise: u32,
    dt: Real,
}

@group(0) @binding(0) var<uniform> run: RunUniforms;
@group(0) @binding(1) var<storage, read_write> states: array<State>;
@group(0) @binding(2) var<storage, read> params: array<NeuronParams>;
@group(0) @binding(3) var<storage, read> shared_input: array<Real>;
@group(0) @binding(4) var<storage, read> noise: array<Real>;
@group(0) @binding(5) var<storage, read_write> spike_count: array<u32>;
@group(0) @binding(6) var<storage, read_write> spike_steps: array<u32>;
@group(0) @binding(7) var<storage, read_write> trace: array<State>;
@group(0) @binding(8) var<storage, read_write> status: array<u32>;

// (e^x − 1)/x with a series branch near 0; the twin is src/model/exprel.rs.
fn exprel(x: Real) -> Real {
    if (abs(x) < EXPREL_SERIES_BELOW) {
        return 1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0
            + x * (1.0 / 720.0 + x * (1.0 / 5040.0))))));
    }
    return (exp_real(x) - 1.0) / x;
}

struct Rates {
    alpha_m: Real,
    beta_m: Real,
    alpha_h: Real,
    beta_h: Real,
    alpha_n: Real,
    beta_n: Real,
}

// Twin: src/model/traub.rs.
fn traub_rates(v: Real, vt: Real) -> Rates {
    let u = v - vt;
    return Rates(
        (0.32 * 4.0) / exprel((13.0 - u) / 4.0),
        (0.28 * 5.0) / exprel((u - 40.0) / 5.0),
        0.128 * exp_real((17.0 - u) / 18.0),
        4.0 / (1.0 + exp_real((40.0 - u) / 5.0)),
        (0.032 * 5.0) / exprel((15.0 - u) / 5.0),
        0.5 * exp_real((10.0 - u) / 40.0),
    );
}

// Twin: src/model/classic.rs.
fn classic_rates(v: Real, phi: Real) -> Rates {
    return Rates(
        phi / exprel(-(v + 40.0) / 10.0),
        phi * 4.0 * exp_real(-(v + 65.0) / 18.0),
        phi * 0.07 * exp_real(-(v + 65.0) / 20.0),
        phi / (1.0 + exp_real(-(v + 35.0) / 10.0)),
        phi * 0.1 / exprel(-(v + 55.0) / 10.0),
        phi * 0.125 * exp_real(-(v + 65.0) / 80.0),
    );
}

fn rates(p: NeuronParams, v: Real) -> Rates {
    if (run.model == MODEL_TRAUB) {
        return traub_rates(v, p.vt);
    }
    return classic_rates(v, p.phi);
}

// dX/dt; twin: Params::derivatives.
fn derivatives(p: NeuronParams, s: State, i_ext: Real) -> State {
    let r = rates(p, s.v);
    let n2 = s.n * s.n;
    let g_na = p.g_na * s.m * s.m * s.m * s.h;
    let g_k = p.g_k * n2 * n2;
    let i_ion = g_na * (p.e_na - s.v) + g_k * (p.e_k - s.v) + p.g_l * (p.e_l - s.v);
    return State(
        (i_ion + i_ext) / p.c,
        r.alpha_m * (1.0 - s.m) - r.beta_m * s.m,
        r.alpha_h * (1.0 - s.h) - r.beta_h * s.h,
        r.alpha_n * (1.0 - s.n) - r.beta_n * s.n,
    );
}

fn add_scaled(s: State, k: Real, d: State) -> State {
    return State(s.v + k * d.v, s.m + k * d.m, s.h + k * d.h, s.n + k * d.n);
}

fn state_is_finite(s: State) -> bool {
    return is_finite_real(s.v) && is_finite_real(s.m) && is_finite_real(s.h) && is_finite_real(s.n);
}

// Integrates neuron `run.first_neuron + gid` over the chunk's steps with the kernel's
// `method_step`; twin: src/backend/cpu.rs `integrate_steps`.
fn integrate_neuron(gid: u32) {
    let i = run.first_neuron + gid;
    if (i >= run.n_neurons || status[i] != 0u) {
        return;
    }
    let p = params[i];
    var s = states[i];
    var count = spike_count[i];
    for (var k = 0u; k < run.n_steps; k++) {
        let step = run.first_step + k;
        if (RECORD_TRACE && k % run.record_every == 0u) {
            trace[(k / run.record_every) * run.n_neurons + i] = s;
        }
        var i_ext = p.i_const + shared_input[k];
        if (HAS_NOISE) {
            i_ext = i_ext + noise[k * run.n_neurons + i];
        }
        let next = method_step(p, s, i_ext, run.dt);
        if (!state_is_finite(next)) {
            status[i] = step + 1u;
            break;
        }
        if (s.v < p.v_th && next.v >= p.v_th) {
            if (count < run.spike_capacity) {
                spike_steps[i * run.spike_capacity + count] = step;
            }
            count = count + 1u;
        }
        s = next;
    }
    states[i] = s;
    spike_count[i] = count;
}
