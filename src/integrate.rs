//! One integration step of a neuron's ODEs: exponential Euler (Brian2's `exponential_euler`),
//! RK4, and on the CPU reference also forward Euler and RK2 (midpoint).
//!
//! The injected current is held constant over a step: inputs are sampled once per step at its
//! start, as BrainPy's per-step input arrays are.

use crate::model::{Params, Real, State, exprel};
use serde::{Deserialize, Serialize};

/// An integration method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Each variable is linear in itself with the others frozen at the start of the step and is
    /// advanced exactly under that frozen equation (first order).
    ExpEuler,
    /// Classic fourth-order Runge–Kutta.
    Rk4,
    /// Second-order Runge–Kutta, midpoint rule.
    Rk2,
    /// Forward Euler (first order).
    Euler,
}

impl Method {
    /// The global order of accuracy.
    pub fn order(self) -> u32 {
        match self {
            Method::ExpEuler | Method::Euler => 1,
            Method::Rk2 => 2,
            Method::Rk4 => 4,
        }
    }

    /// The name the command line uses.
    pub fn name(self) -> &'static str {
        match self {
            Method::ExpEuler => "exp-euler",
            Method::Rk4 => "rk4",
            Method::Rk2 => "rk2",
            Method::Euler => "euler",
        }
    }
}

/// Advances `s` by `dt` [ms] under the constant injected current `i_ext`.
pub fn step<R: Real>(method: Method, p: &Params<R>, s: &State<R>, i_ext: R, dt: R) -> State<R> {
    match method {
        Method::ExpEuler => exp_euler(p, s, i_ext, dt),
        Method::Rk4 => rk4(p, s, i_ext, dt),
        Method::Rk2 => {
            let k1 = p.derivatives(s, i_ext);
            let k2 = p.derivatives(&s.add_scaled(dt * R::of(0.5), &k1), i_ext);
            s.add_scaled(dt, &k2)
        }
        Method::Euler => s.add_scaled(dt, &p.derivatives(s, i_ext)),
    }
}

/// A gate with dx/dt = α(1 − x) − β·x advanced exactly over `dt` with α and β frozen:
/// x∞ + (x − x∞)·e^{−(α+β)·dt}, x∞ = α/(α + β), as Brian2 writes it (α + β > 0 for every rate of
/// both models). Twin: `gate_advance` in shaders/common.wgsl.
pub fn gate_advance<R: Real>(x: R, alpha: R, beta: R, dt: R) -> R {
    let sum = alpha + beta;
    let x_inf = alpha / sum;
    x_inf + (x - x_inf) * (-sum * dt).exp()
}

/// Exponential Euler for the HH variables: each is linear in itself with the others frozen at
/// the start of the step and is advanced exactly under that equation. `g_extra` [nS] and
/// `drive_extra` (its g·E plus any current) [pA] join the membrane equation C·dV/dt =
/// drive − g·V; a network passes its synaptic conductances there. V advances as
/// V + dt·(dV/dt)·exprel(−g·dt/C), which stays finite when the conductance vanishes.
/// Twin: `exp_euler_hh` in shaders/common.wgsl, operation for operation.
pub fn exp_euler_hh<R: Real>(
    p: &Params<R>,
    s: &State<R>,
    g_extra: R,
    drive_extra: R,
    dt: R,
) -> State<R> {
    let r = p.rates(s.v);
    let (g_na, g_k) = p.channel_conductances(s);
    let g_total = g_na + g_k + p.g_l + g_extra;
    let driven = g_na * p.e_na + g_k * p.e_k + p.g_l * p.e_l + drive_extra;
    let dt_over_c = dt / p.c;
    State {
        v: s.v + (driven - g_total * s.v) * dt_over_c * exprel(-g_total * dt_over_c),
        m: gate_advance(s.m, r.alpha_m, r.beta_m, dt),
        h: gate_advance(s.h, r.alpha_h, r.beta_h, dt),
        n: gate_advance(s.n, r.alpha_n, r.beta_n, dt),
    }
}

fn exp_euler<R: Real>(p: &Params<R>, s: &State<R>, i_ext: R, dt: R) -> State<R> {
    exp_euler_hh(p, s, R::zero(), i_ext, dt)
}

fn rk4<R: Real>(p: &Params<R>, s: &State<R>, i_ext: R, dt: R) -> State<R> {
    let half = dt * R::of(0.5);
    let k1 = p.derivatives(s, i_ext);
    let k2 = p.derivatives(&s.add_scaled(half, &k1), i_ext);
    let k3 = p.derivatives(&s.add_scaled(half, &k2), i_ext);
    let k4 = p.derivatives(&s.add_scaled(dt, &k3), i_ext);
    s.rk4_combine(dt, [&k1, &k2, &k3, &k4])
}
