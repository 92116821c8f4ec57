//! One step of a network neuron: the HH variables with the two synaptic conductances in the
//! membrane equation, and the exact exponential decay of the conductances. The specification
//! `update_neuron` in shaders/network_neuron.wgsl mirrors operation for operation.

use super::NetState;
use crate::integrate::{Method, exp_euler_hh};
use crate::model::{Params, Real};

/// Synaptic constants of a step, precomputed on the host in f64 and rounded once, so that both
/// backends use the same values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynConsts<R> {
    pub e_e: R,
    pub e_i: R,
    /// e^(−dt/τ) and e^(−dt/(2τ)).
    pub decay_e: R,
    pub decay_i: R,
    pub decay_e_half: R,
    pub decay_i_half: R,
}

impl<R: Real> SynConsts<R> {
    pub fn new(syn: &super::SynapseModel, dt_ms: f64) -> Self {
        SynConsts {
            e_e: R::of(syn.e_e),
            e_i: R::of(syn.e_i),
            decay_e: R::of((-dt_ms / syn.tau_e_ms).exp()),
            decay_i: R::of((-dt_ms / syn.tau_i_ms).exp()),
            decay_e_half: R::of((-dt_ms / (2.0 * syn.tau_e_ms)).exp()),
            decay_i_half: R::of((-dt_ms / (2.0 * syn.tau_i_ms)).exp()),
        }
    }
}

/// Advances `s` by `dt`; `i_ext` is a constant injected current [pA].
pub fn network_step<R: Real>(
    method: Method,
    p: &Params<R>,
    s: &NetState<R>,
    c: &SynConsts<R>,
    i_ext: R,
    dt: R,
) -> NetState<R> {
    match method {
        Method::Rk4 => rk4(p, s, c, i_ext, dt),
        _ => exp_euler(p, s, c, i_ext, dt),
    }
}

/// Brian2's exponential Euler: V is linear in V with the gates and conductances frozen.
fn exp_euler<R: Real>(
    p: &Params<R>,
    s: &NetState<R>,
    c: &SynConsts<R>,
    i_ext: R,
    dt: R,
) -> NetState<R> {
    let hh = exp_euler_hh(
        p,
        &s.hh(),
        s.ge + s.gi,
        s.ge * c.e_e + s.gi * c.e_i + i_ext,
        dt,
    );
    NetState {
        v: hh.v,
        m: hh.m,
        h: hh.h,
        n: hh.n,
        ge: s.ge * c.decay_e,
        gi: s.gi * c.decay_i,
    }
}

/// RK4 on the HH variables, with the conductances taken exactly at each stage's time.
fn rk4<R: Real>(p: &Params<R>, s: &NetState<R>, c: &SynConsts<R>, i_ext: R, dt: R) -> NetState<R> {
    let hh = s.hh();
    let f = |x: &crate::model::State<R>, ge: R, gi: R| {
        p.derivatives(x, ge * (c.e_e - x.v) + gi * (c.e_i - x.v) + i_ext)
    };
    let half = dt * R::of(0.5);
    let (ge_half, gi_half) = (s.ge * c.decay_e_half, s.gi * c.decay_i_half);
    let (ge_end, gi_end) = (s.ge * c.decay_e, s.gi * c.decay_i);
    let k1 = f(&hh, s.ge, s.gi);
    let k2 = f(&hh.add_scaled(half, &k1), ge_half, gi_half);
    let k3 = f(&hh.add_scaled(half, &k2), ge_half, gi_half);
    let k4 = f(&hh.add_scaled(dt, &k3), ge_end, gi_end);
    let next = hh.rk4_combine(dt, [&k1, &k2, &k3, &k4]);
    NetState {
        v: next.v,
        m: next.m,
        h: next.h,
        n: next.n,
        ge: ge_end,
        gi: gi_end,
    }
}
