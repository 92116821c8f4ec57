//! The fold of limit cycles located precisely, by shooting on a Poincaré section. A cycle
//! crosses the section V = V_s upwards once per period; the return map P takes the gates at
//! one crossing to those at the next. A cycle is a fixed point of P, and at a
//! fold of cycles one multiplier of P passes 1, so (y, p) solves the extended system
//! P(y; p) − y = 0, det(DP(y; p) − I) = 0, which Newton's method solves from the simulated
//! bracket. The flow is integrated on the host by RK4 with a small fixed step, so the fold is
//! the ODE's, not that of the coarser step the engine ran.

use super::system::{Parameter, System};
use crate::integrate::Method;
use crate::kernel::step::NeuronStep;
use nalgebra::{DMatrix, DVector};

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
    param: Parameter,
    section_v: f64,
}

impl Shooter<'_> {
    fn flow_step(sys: &System, s: &DVector<f64>, dt: f64) -> DVector<f64> {
        sys.step(Method::Rk4, s, dt)
    }

    /// From each (state, parameter value), the gates at the next upward crossing of the section
    /// after V has been below it. Every start flows in lockstep as one lane of a batch of the
    /// twin's RK4 steps (a batch spreads the tape's interpretation over its lanes: several
    /// times faster than one neuron at a time); each crossing is then narrowed alone.
    fn crossings(&self, starts: &[(DVector<f64>, f64)]) -> Vec<Option<DVector<f64>>> {
        let lanes = starts.len();
        let systems: Vec<System> = starts
            .iter()
            .map(|&(_, p)| self.base.with(self.param, p))
            .collect();
        let model = self.base.model();
        let ns = model.states.len();
        let stride = model.parameters.len().max(1);
        let params: Vec<f64> = (systems.iter())
            .flat_map(|sys| (0..stride).map(|k| sys.params().get(k).copied().unwrap_or(0.0)))
            .collect();
        let current: Vec<f64> = systems.iter().map(|sys| sys.current).collect();
        let mut s: Vec<f64> = starts.iter().flat_map(|(x, _)| x.iter().copied()).collect();
        let mut armed: Vec<bool> = starts.iter().map(|(x, _)| x[0] < self.section_v).collect();
        let mut found: Vec<Option<DVector<f64>>> = vec![None; lanes];
        let mut active = vec![true; lanes];
        let mut rk4 = NeuronStep::<f64>::new(model, Method::Rk4);
        let steps = (MAX_RETURN_MS / SHOOT_DT_MS) as usize;
        for _ in 0..steps {
            if !active.contains(&true) {
                break;
            }
            let next = rk4.step(&params, stride, &current, &s, &[], SHOOT_DT_MS);
            for l in 0..lanes {
                if !active[l] {
                    continue;
                }
                let v = next[l * ns];
                if !v.is_finite() {
                    active[l] = false;
                } else if armed[l] && v >= self.section_v {
                    let before = DVector::from_column_slice(&s[l * ns..(l + 1) * ns]);
                    found[l] = Some(self.onto_section(&systems[l], &before));
                    active[l] = false;
                }
                armed[l] |= v < self.section_v;
            }
            s = next;
        }
        found
    }

    /// The gates where the step from `s`, which crosses the section, meets it: the partial
    /// step's length by bisection, so that P stays smooth in y, which the finite differences
    /// rely on.
    fn onto_section(&self, sys: &System, s: &DVector<f64>) -> DVector<f64> {
        let (mut lo, mut hi) = (0.0, SHOOT_DT_MS);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if Self::flow_step(sys, s, mid)[0] < self.section_v {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let x = Self::flow_step(sys, s, 0.5 * (lo + hi));
        x.rows(1, x.len() - 1).into_owned()
    }

    /// The extended system P(y) − y and det(DP − I) at each z = (y, p), every return map of
    /// them in one batch.
    fn extended(&self, zs: &[DVector<f64>]) -> Vec<Option<DVector<f64>>> {
        let Some(g) = zs.first().map(|z| z.len() - 1) else {
            return Vec::new();
        };
        // Per z: y, then y ± DP_STEP along each gate, all on the section.
        let on_section = |y: &DVector<f64>| {
            DVector::from_iterator(
                g + 1,
                std::iter::once(self.section_v).chain(y.iter().copied()),
            )
        };
        let mut starts = Vec::with_capacity(zs.len() * (2 * g + 1));
        for z in zs {
            let (y, p) = (z.rows(0, g).into_owned(), z[g]);
            starts.push((on_section(&y), p));
            for k in 0..g {
                let mut e = DVector::zeros(g);
                e[k] = DP_STEP;
                starts.push((on_section(&(&y + &e)), p));
                starts.push((on_section(&(&y - &e)), p));
            }
        }
        let returns = self.crossings(&starts);
        zs.iter()
            .zip(returns.chunks(2 * g + 1))
            .map(|(z, r)| {
                let r: Vec<&DVector<f64>> = r.iter().map(Option::as_ref).collect::<Option<_>>()?;
                let mut dp = DMatrix::zeros(g, g);
                for k in 0..g {
                    dp.set_column(k, &((r[1 + 2 * k] - r[2 + 2 * k]) / (2.0 * DP_STEP)));
                }
                let det = (dp - DMatrix::identity(g, g)).determinant();
                let residual = r[0] - z.rows(0, g);
                Some(DVector::from_iterator(
                    g + 1,
                    residual.iter().copied().chain([det]),
                ))
            })
            .collect()
    }
}

/// The fold of cycles near `p0`, starting from `start`, a state on (or near) the stable cycle at
/// `p0`, with the section at `section_v` [mV]. `None` when Newton does not converge.
pub fn locate_cycle_fold(
    base: &System,
    param: Parameter,
    p0: f64,
    start: &DVector<f64>,
    section_v: f64,
) -> Option<f64> {
    let shooter = Shooter {
        base,
        param,
        section_v,
    };
    let y = shooter.crossings(&[(start.clone(), p0)]).remove(0)?;
    // z = (gates at the section, parameter).
    let last = y.len();
    let mut z = DVector::from_iterator(last + 1, y.iter().copied().chain([p0]));
    let scale = p0.abs().max(1.0);
    let extended_at = |z: &DVector<f64>| shooter.extended(std::slice::from_ref(z)).remove(0);
    let mut g = extended_at(&z)?;
    for _ in 0..MAX_NEWTON_STEPS {
        // Central differences in every direction, all their return maps in one batch.
        let step = |k: usize| {
            if k == last {
                NEWTON_FD_STEP * scale
            } else {
                NEWTON_FD_STEP
            }
        };
        let probes: Vec<DVector<f64>> = (0..=last)
            .flat_map(|k| {
                let mut e = DVector::zeros(last + 1);
                e[k] = step(k);
                [&z + &e, &z - &e]
            })
            .collect();
        let sides = shooter.extended(&probes);
        let mut jac = DMatrix::zeros(last + 1, last + 1);
        for k in 0..=last {
            let (Some(up), Some(down)) = (&sides[2 * k], &sides[2 * k + 1]) else {
                return None;
            };
            jac.set_column(k, &((up - down) / (2.0 * step(k))));
        }
        let mut full = jac.lu().solve(&(-&g))?;
        // Converged once the parameter stops moving: it is what the search reports, and the
        // gates are pinned only to the ≈1e-9 that the noise of the finite-difference DP
        // allows, below which no step lowers the residual any more.
        let settled = (0..last).all(|k| full[k].abs() < GATE_TOLERANCE)
            && full[last].abs() < NEWTON_STEP_TOLERANCE * scale;
        if settled {
            return Some(z[last] + full[last]);
        }
        // A trust region on the parameter: the fold lies near the simulated one, and a long
        // step would carry Newton to another solution.
        let limit = MAX_PARAMETER_STEP * scale;
        if full[last].abs() > limit {
            full *= limit / full[last].abs();
        }
        // Damped: halve the step until the residual shrinks.
        let mut t = 1.0;
        let (next, g_next) = loop {
            let candidate = &z + &full * t;
            if let Some(gc) = extended_at(&candidate)
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
