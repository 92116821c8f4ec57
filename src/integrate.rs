//! The integration methods: exponential Euler (Brian2's `exponential_euler`), RK4, and on the
//! CPU reference also forward Euler and RK2 (midpoint). Their steps are lowered from each
//! model's tapes (`kernel::lower`, `kernel::step`).
//!
//! The injected current is held constant over a step: inputs are sampled once per step at its
//! start, as BrainPy's per-step input arrays are.

use crate::error::{Error, Result};
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

/// Steps of `dt_ms` in `duration_ms`, rounded to the nearest whole step (at least one): both
/// finite and > 0, dt ≤ duration, and the steps countable in 32 bits, as the kernels count
/// them. Checked before any work.
pub fn n_steps(dt_ms: f64, duration_ms: f64) -> Result<usize> {
    if !(duration_ms > 0.0 && duration_ms.is_finite()) {
        return Err(Error::invalid(
            "--duration",
            duration_ms,
            "a finite time > 0 ms",
        ));
    }
    if !(dt_ms > 0.0 && dt_ms <= duration_ms) {
        let limit = format!("a time step > 0 ms and ≤ the duration ({duration_ms} ms)");
        return Err(Error::invalid("--dt", dt_ms, limit));
    }
    let steps = (duration_ms / dt_ms).round();
    if steps > f64::from(u32::MAX) {
        return Err(Error::invalid(
            "--duration",
            duration_ms,
            format!(
                "at most {} steps of --dt (this run has {steps:.3e}; steps are counted in 32 bits)",
                u32::MAX
            ),
        ));
    }
    Ok(steps.max(1.0) as usize)
}
