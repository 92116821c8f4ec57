//! The fold of limit cycles located precisely, by shooting on a Poincaré section. A cycle
//! crosses the section V = V_s upwards once per period; the return map P takes the gates
//! (m, h, n) at one crossing to those at the next. A cycle is a fixed point of P, and at a
//! fold of cycles one multiplier of P passes 1, so (y, p) solves the extended system
//! P(y; p) − y = 0, det(DP(y; p) − I) = 0, which Newton's method solves from the simulated
//! bracket. The flow is integrated on the host by RK4 with a small fixed step, so the fold is
//! the ODE's, not that of the coarser step the engine ran.

use super::system::System;
use crate::integrate::{Method, step};
use crate::model::State;
use crate::sweep::SweepParam;
use nalgebra::{Matrix3, Matrix4, Vector3, Vector4};

/// RK4 step of the shooting [ms]: its local error (≈ dt⁵) keeps P accurate to far below the
/// finite-difference steps used on it.
const SHOOT_DT_MS: f64 = 0.005;
/// A return is searched for this long at most [ms]: several periods of the slowest cycle the
/// search accepts.
const MAX_RETURN_MS: f64 = 2000.0;
/// Central-difference step for DP [1, on gates]: the truncation error ≈ δ² ≈ 1e-12, the
/// rounding error of P (≈ 1e-13 after a few thousand steps) over δ ≈ 1e-7.
const DP_STEP: f64 = 1e-6;
/// Finite-difference step for the extended system's Jacobian, on gates and relative to the
/// parameter: Newton needs it only to a few digits.
const NEWTON_FD_STEP: f64 = 1e-5;
/// From a start 1 µA/cm² from the fold the trust region below takes about 11 steps and Newton
/// 4 more (the classic model's folds below its first Hopf point).
const MAX_NEWTON_STEPS: usize = 30;
/// Newton gives up when even a step cut to this fraction does not lower the residual. Where it
/// converged it always took whole steps; next to a Hopf point, where the small cycle has
/// multipliers near 1 as well, it only crawls, and this bounds the time lost there.
const MIN_DAMPING: f64 = 1.0 / 16.0;
/// Newton stops when its step in the parameter is below this, relative to max(1, |p|) …
const NEWTON_STEP_TOLERANCE: f64 = 1e-10;
/// … and its step in the gates below this.
const GATE_TOLERANCE: f64 = 1e-7;
/// The largest change of the parameter in one Newton step, relative to max(1, |p|).
const MAX_PARAMETER_STEP: f64 = 0.01;

/// A model along one parameter, with the section its cycles cross.
struct Shooter<'a> {
    base: &'a System,
    param: SweepParam,
    section_v: f64,
}

impl Shooter<'_> {
    fn flow_step(sys: &System, s: &State<f64>, dt: f64) -> State<f64> {
        step(Method::Rk4, &sys.params, s, sys.current, dt)
    }

    /// From any state, the gates at the next upward crossing of the section after V has been
    /// below it.
    fn next_crossing(&self, sys: &System, mut s: State<f64>) -> Option<Vector3<f64>> {
        let mut armed = s.v < self.section_v;
        let steps = (MAX_RETURN_MS / SHOOT_DT_MS) as usize;
        for _ in 0..steps {
            let next = Self::flow_step(sys, &s, SHOOT_DT_MS);
            if !next.v.is_finite() {
                return None;
            }
            if armed && next.v >= self.section_v {
                // The partial step that lands on the section, by bisection on its length: P
                // stays smooth in y, which the finite differences rely on.
                let (mut lo, mut hi) = (0.0, SHOOT_DT_MS);
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    if Self::flow_step(sys, &s, mid).v < self.section_v {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                let x = Self::flow_step(sys, &s, 0.5 * (lo + hi));
                return Some(Vector3::new(x.m, x.h, x.n));
            }
            armed |= next.v < self.section_v;
            s = next;
        }
        None
    }

    /// P(y; p).
    fn ret(&self, y: &Vector3<f64>, p: f64) -> Option<Vector3<f64>> {
        let sys = self.base.with(self.param, p);
        let s = State {
            v: self.section_v,
            m: y[0],
            h: y[1],
            n: y[2],
        };
        self.next_crossing(&sys, s)
    }

    /// The extended system: P(y) − y and det(DP − I).
    fn extended(&self, z: &Vector4<f64>) -> Option<Vector4<f64>> {
        let (y, p) = (Vector3::new(z[0], z[1], z[2]), z[3]);
        let py = self.ret(&y, p)?;
        let mut dp = Matrix3::zeros();
        for k in 0..3 {
            let mut e = Vector3::zeros();
            e[k] = DP_STEP;
            let column = (self.ret(&(y + e), p)? - self.ret(&(y - e), p)?) / (2.0 * DP_STEP);
            dp.set_column(k, &column);
        }
        let det = (dp - Matrix3::identity()).determinant();
        let r = py - y;
        Some(Vector4::new(r[0], r[1], r[2], det))
    }
}

/// The fold of cycles near `p0`, starting from `start`, a state on (or near) the stable cycle at
/// `p0`, with the section at `section_v` [mV]. `None` when Newton does not converge.
pub fn locate_cycle_fold(
    base: &System,
    param: SweepParam,
    p0: f64,
    start: &Vector4<f64>,
    section_v: f64,
) -> Option<f64> {
    let shooter = Shooter {
        base,
        param,
        section_v,
    };
    let sys = base.with(param, p0);
    let s = super::system::to_state(start);
    let y = shooter.next_crossing(&sys, s)?;
    let mut z = Vector4::new(y[0], y[1], y[2], p0);
    let scale = p0.abs().max(1.0);
    let mut g = shooter.extended(&z)?;
    for _ in 0..MAX_NEWTON_STEPS {
        let mut jac = Matrix4::zeros();
        for k in 0..4 {
            let h = if k == 3 {
                NEWTON_FD_STEP * scale
            } else {
                NEWTON_FD_STEP
            };
            let mut e = Vector4::zeros();
            e[k] = h;
            let column = (shooter.extended(&(z + e))? - shooter.extended(&(z - e))?) / (2.0 * h);
            jac.set_column(k, &column);
        }
        let mut full = jac.lu().solve(&(-g))?;
        // Converged once the parameter stops moving: it is what the search reports, and the
        // gates are pinned only to the ≈1e-9 that the noise of the finite-difference DP
        // allows, below which no step lowers the residual any more.
        let settled = (0..3).all(|k| full[k].abs() < GATE_TOLERANCE)
            && full[3].abs() < NEWTON_STEP_TOLERANCE * scale;
        if settled {
            return Some(z[3] + full[3]);
        }
        // A trust region on the parameter: the fold lies near the simulated one, and a long
        // step would carry Newton to another solution.
        let limit = MAX_PARAMETER_STEP * scale;
        if full[3].abs() > limit {
            full *= limit / full[3].abs();
        }
        // Damped: halve the step until the residual shrinks.
        let mut t = 1.0;
        let (next, g_next) = loop {
            let candidate = z + full * t;
            if let Some(gc) = shooter.extended(&candidate)
                && gc.amax() < g.amax()
            {
                break (candidate, gc);
            }
            t *= 0.5;
            if t < MIN_DAMPING {
                return None;
            }
        };
        z = next;
        g = g_next;
    }
    None
}
