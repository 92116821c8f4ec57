// Structs, exprel, gating rates and the membrane equation shared by every kernel. Keep the
// structs in sync with src/layout.rs (a test compares them through naga) and the formulas with
// src/model/ (the CPU twins).

const WORKGROUP_SIZE: u32 = 64u;
const MODEL_TRAUB: u32 = 0u;
const MODEL_CLASSIC: u32 = 1u;

// The neuron model, a pipeline constant so that a kernel carries one model's rates only:
// lavapipe executes both sides of a branch on a uniform, which made a run 35 % slower.
override MODEL: u32;


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

// (e^x − 1)/x with a series branch near 0; the twin is src/model/exprel.rs.
fn exprel(x: Real) -> Real {
    if (abs(x) < EXPREL_SERIES_BELOW) {
        return 1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0
            + x * (1.0 / 720.0 + x * (1.0 / 5040.0))))));
    }
    return (exp_real(x) - 1.0) / x;
}

// x/(e^x − 1) given e = e^x (shared with other rates), with a series branch near 0;
// the twin is src/model/exprel.rs.
fn x_over_expm1(x: Real, e: Real) -> Real {
    if (abs(x) < EXPREL_SERIES_BELOW) {
        let x2 = x * x;
        return 1.0 + x * (-1.0 / 2.0 + x * (1.0 / 12.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 30240.0))));
    }
    return x / (e - 1.0);
}

const E_MINUS_5: Real = 0.006737946999085467;
const E_MINUS_HALF: Real = 0.6065306597126334;
const E_MINUS_2: Real = 0.1353352832366127;

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
    let x_alpha_m = (13.0 - u) / 4.0;
    let e40 = exp_real((40.0 - u) / 5.0);
    return Rates(
        (0.32 * 4.0) * x_over_expm1(x_alpha_m, exp_real(x_alpha_m)),
        (0.28 * 5.0) * x_over_expm1((u - 40.0) / 5.0, 1.0 / e40),
        0.128 * exp_real((17.0 - u) / 18.0),
        4.0 / (1.0 + e40),
        (0.032 * 5.0) * x_over_expm1((15.0 - u) / 5.0, e40 * E_MINUS_5),
        0.5 * exp_real((10.0 - u) / 40.0),
    );
}

// Twin: src/model/classic.rs.
fn classic_rates(v: Real, phi: Real) -> Rates {
    let e35 = exp_real(-(v + 35.0) / 10.0);
    return Rates(
        phi * x_over_expm1(-(v + 40.0) / 10.0, e35 * E_MINUS_HALF),
        phi * 4.0 * exp_real(-(v + 65.0) / 18.0),
        phi * 0.07 * exp_real(-(v + 65.0) / 20.0),
        phi / (1.0 + e35),
        phi * 0.1 * x_over_expm1(-(v + 55.0) / 10.0, e35 * E_MINUS_2),
        phi * 0.125 * exp_real(-(v + 65.0) / 80.0),
    );
}

fn rates(p: NeuronParams, v: Real) -> Rates {
    if (MODEL == MODEL_TRAUB) {
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

// A gate with dx/dt = α(1 − x) − βx advanced exactly over dt with α, β frozen; twin:
// src/integrate.rs `gate_advance`.
fn gate_advance(x: Real, alpha: Real, beta: Real, dt: Real) -> Real {
    let sum = alpha + beta;
    let x_inf = alpha / sum;
    return x_inf + (x - x_inf) * exp_real(-sum * dt);
}

// Exponential Euler (Brian2's `exponential_euler`) for the HH variables, with a conductance
// `g_extra` and a term `drive_extra` (its g·E plus any current) added to the membrane equation.
// Twin: src/integrate.rs `exp_euler_hh`.
fn exp_euler_hh(p: NeuronParams, s: State, g_extra: Real, drive_extra: Real, dt: Real) -> State {
    let r = rates(p, s.v);
    let n2 = s.n * s.n;
    let g_na = p.g_na * s.m * s.m * s.m * s.h;
    let g_k = p.g_k * n2 * n2;
    let g_total = g_na + g_k + p.g_l + g_extra;
    let driven = g_na * p.e_na + g_k * p.e_k + p.g_l * p.e_l + drive_extra;
    let dt_over_c = dt / p.c;
    return State(
        s.v + (driven - g_total * s.v) * dt_over_c * exprel(-g_total * dt_over_c),
        gate_advance(s.m, r.alpha_m, r.beta_m, dt),
        gate_advance(s.h, r.alpha_h, r.beta_h, dt),
        gate_advance(s.n, r.alpha_n, r.beta_n, dt),
    );
}

// s + dt/6·(k1 + 2(k2 + k3) + k4); twin: State::rk4_combine.
fn rk4_combine(s: State, dt: Real, k1: State, k2: State, k3: State, k4: State) -> State {
    let sixth = dt / 6.0;
    return State(
        s.v + sixth * (k1.v + 2.0 * (k2.v + k3.v) + k4.v),
        s.m + sixth * (k1.m + 2.0 * (k2.m + k3.m) + k4.m),
        s.h + sixth * (k1.h + 2.0 * (k2.h + k3.h) + k4.h),
        s.n + sixth * (k1.n + 2.0 * (k2.n + k3.n) + k4.n),
    );
}

fn add_scaled(s: State, k: Real, d: State) -> State {
    return State(s.v + k * d.v, s.m + k * d.m, s.h + k * d.h, s.n + k * d.n);
}

fn state_is_finite(s: State) -> bool {
    return is_finite_real(s.v) && is_finite_real(s.m) && is_finite_real(s.h) && is_finite_real(s.n);
}
