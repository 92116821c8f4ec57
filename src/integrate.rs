//! One integration step of a neuron's ODEs: exponential Euler (Brian2's `exponential_euler`),
//! RK4, and on the CPU reference also forward Euler and RK2 (midpoint).
//!
//! The injected current is held constant over a step: inputs are sampled once per step at its
//! start, as BrainPy's per-step input arrays are.

use crate::model::{Linear, Params, Real, State, exprel};
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

/// Exponential Euler for one variable with dx/dt = a + b·x over `dt`: x ← −a/b + (x + a/b)·e^{b·dt},
/// written as x + dt·(a + b·x)·exprel(b·dt), the same value without dividing by b.
pub fn exp_euler_advance<R: Real>(x: R, a: R, b: R, dt: R) -> R {
    x + dt * (a + b * x) * exprel(b * dt)
}

fn exp_euler<R: Real>(p: &Params<R>, s: &State<R>, i_ext: R, dt: R) -> State<R> {
    let [v, m, h, n] = p.linear_parts(s, i_ext);
    let advance = |x: R, l: Linear<R>| exp_euler_advance(x, l.a, l.b, dt);
    State {
        v: advance(s.v, v),
        m: advance(s.m, m),
        h: advance(s.h, h),
        n: advance(s.n, n),
    }
}

fn rk4<R: Real>(p: &Params<R>, s: &State<R>, i_ext: R, dt: R) -> State<R> {
    let half = dt * R::of(0.5);
    let k1 = p.derivatives(s, i_ext);
    let k2 = p.derivatives(&s.add_scaled(half, &k1), i_ext);
    let k3 = p.derivatives(&s.add_scaled(half, &k2), i_ext);
    let k4 = p.derivatives(&s.add_scaled(dt, &k3), i_ext);
    s.rk4_combine(dt, [&k1, &k2, &k3, &k4])
}
