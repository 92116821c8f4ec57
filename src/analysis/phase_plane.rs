//! The phase plane of V and one gate (n, say) of the reduced model: every other gate at its
//! steady state x∞(V), fast ones as m is; or, in Rinzel's reduction of the 1952 model (as
//! FitzHugh and Izhikevich draw it), h slaved to n by h = 0.89 − 1.1·n. Nullclines, the vector
//! field and the fixed points with their type are those of this 2-D system; the trajectories
//! are of the full model, started on the plane and projected onto it.

use super::equilibria::bisect_root;
use super::system::System;
use crate::backend::population::RunConfig;
use crate::error::{Error, Result};
use crate::integrate::Method;
use nalgebra::DVector;
use serde::Serialize;

/// How the gates off the plane follow its variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Reduction {
    /// h = 0.89 − 1.1·n (the plane's gate must be n, and the model must have h), every other
    /// gate at steady state.
    Rinzel,
    /// Every gate off the plane at steady state, x∞(V).
    Steady,
}

/// What to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct PhasePlaneSpec {
    pub sys: System,
    /// The state index of the plane's gate.
    pub gate: usize,
    pub reduction: Reduction,
    /// [mV]
    pub v_range: (f64, f64),
    pub n_range: (f64, f64),
    /// Starts (V [mV], gate) of the full-model trajectories.
    pub starts: Vec<(f64, f64)>,
    pub method: Method,
    pub dt_ms: f64,
    pub duration_ms: f64,
}

/// Arrows of the vector field per axis.
pub const FIELD_POINTS: usize = 21;
/// The grid on which the V-nullcline is bracketed: V values and gate values.
const NULLCLINE_V_POINTS: usize = 600;
const NULLCLINE_N_POINTS: usize = 400;
/// Trajectory samples are kept every this many steps.
const TRAJECTORY_EVERY: usize = 10;

/// A fixed point of the reduced system.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FixedPoint {
    /// [mV]
    pub v: f64,
    /// The plane's gate.
    pub gate: f64,
    /// "stable node", "unstable focus", "saddle", …
    pub kind: String,
    pub stable: bool,
    /// [re, im] [1/ms]
    pub eigenvalues: [[f64; 2]; 2],
}

/// The plane's contents.
#[derive(Clone, Debug, PartialEq)]
pub struct PhasePlane {
    pub field_v: Vec<f64>,
    pub field_n: Vec<f64>,
    /// dV/dt [mV/ms] and the gate's rate of change [1/ms], indexed [gate][v].
    pub field_dv: Vec<Vec<f64>>,
    pub field_dn: Vec<Vec<f64>>,
    /// Points (V, gate) of the V-nullcline (possibly several per V) and of the gate's.
    pub v_nullcline: Vec<(f64, f64)>,
    pub n_nullcline: Vec<(f64, f64)>,
    pub fixed_points: Vec<FixedPoint>,
    /// Per start: samples (t [ms], V, gate).
    pub trajectories: Vec<Vec<(f64, f64, f64)>>,
}

impl PhasePlaneSpec {
    /// Checks ranges, starts and times; called before any work.
    pub fn validate(&self) -> Result<()> {
        let (v0, v1) = self.v_range;
        if !(v0.is_finite() && v1.is_finite() && v1 > v0) {
            return Err(Error::invalid(
                "--v-range",
                format!("{v0}:{v1}"),
                "LOW:HIGH with HIGH > LOW [mV]",
            ));
        }
        let model = self.sys.model();
        if self.reduction == Reduction::Rinzel
            && (model.states[self.gate] != "n" || self.sys.state_index("h").is_none())
        {
            return Err(Error::invalid(
                "--reduction",
                "rinzel",
                format!(
                    "steady here: rinzel (h = 0.89 − 1.1·n) needs the plane's gate to be n and a gate h; the plane of {} has {}",
                    model.name, model.states[self.gate]
                ),
            ));
        }
        for &(v, n) in &self.starts {
            if !(v.is_finite() && (0.0..=1.0).contains(&n)) {
                return Err(Error::invalid(
                    "--start",
                    format!("{v},{n}"),
                    "V,X with V finite [mV] and 0 ≤ X ≤ 1 (the plane's gate)",
                ));
            }
        }
        RunConfig::for_duration(self.method, self.dt_ms, self.duration_ms)?;
        let samples = (self.duration_ms / self.dt_ms / TRAJECTORY_EVERY as f64).ceil() + 1.0;
        crate::memory::Estimate::new()
            .add(
                "trajectories",
                self.starts.len() as f64 * samples,
                std::mem::size_of::<(f64, f64, f64)>() as f64,
                "--duration or the number of --start",
            )
            .check()
    }

    /// The full model's state on the plane at (V, gate): the other gates at steady state, or
    /// h by Rinzel's relation.
    fn state(&self, v: f64, n: f64) -> DVector<f64> {
        let mut x = self.sys.resting_at(v);
        x[self.gate] = n;
        if self.reduction == Reduction::Rinzel {
            let h = self
                .sys
                .state_index("h")
                .expect("validated: the model has h");
            x[h] = 0.89 - 1.1 * n;
        }
        x
    }

    /// (dV/dt, d(gate)/dt) of the reduced system.
    pub fn field(&self, v: f64, n: f64) -> (f64, f64) {
        let d = self.sys.rhs(&self.state(v, n));
        (d[0], d[self.gate])
    }

    /// The gate's steady state at V.
    fn n_inf(&self, v: f64) -> f64 {
        self.sys.resting_at(v)[self.gate]
    }
}

fn linspace(a: f64, b: f64, count: usize) -> Vec<f64> {
    (0..count)
        .map(|k| a + (b - a) * k as f64 / (count - 1) as f64)
        .collect()
}

/// Draws the plane of `spec`.
pub fn phase_plane(spec: &PhasePlaneSpec) -> Result<PhasePlane> {
    spec.validate()?;
    let (v0, v1) = spec.v_range;
    let (n0, n1) = spec.n_range;
    let field_v = linspace(v0, v1, FIELD_POINTS);
    let field_n = linspace(n0, n1, FIELD_POINTS);
    let grid = |pick: fn((f64, f64)) -> f64| -> Vec<Vec<f64>> {
        field_n
            .iter()
            .map(|&n| field_v.iter().map(|&v| pick(spec.field(v, n))).collect())
            .collect()
    };
    let (field_dv, field_dn) = (grid(|f| f.0), grid(|f| f.1));

    let ns = linspace(n0, n1, NULLCLINE_N_POINTS);
    let vs = linspace(v0, v1, NULLCLINE_V_POINTS);
    // dV/dt on the grid, [v][gate]: the V-nullcline is bracketed along both axes, since where
    // dV/dt hardly depends on the gate (a near-vertical nullcline, as the M-current's p gives)
    // it slips between the gate values scanned at each V.
    let dv_grid: Vec<Vec<f64>> = vs
        .iter()
        .map(|&v| ns.iter().map(|&n| spec.field(v, n).0).collect())
        .collect();
    let crosses = |a: f64, b: f64| a.signum() != b.signum();
    let mut v_nullcline = Vec::new();
    let mut n_nullcline = Vec::new();
    for (i, &v) in vs.iter().enumerate() {
        for j in 0..ns.len() - 1 {
            if crosses(dv_grid[i][j], dv_grid[i][j + 1]) {
                let dv = |n: f64| spec.field(v, n).0;
                v_nullcline.push((v, bisect_root(dv, ns[j], ns[j + 1])));
            }
        }
        let n = spec.n_inf(v);
        if (n0..=n1).contains(&n) {
            n_nullcline.push((v, n));
        }
    }
    for (j, &n) in ns.iter().enumerate() {
        for i in 0..vs.len() - 1 {
            if crosses(dv_grid[i][j], dv_grid[i + 1][j]) {
                let dv = |v: f64| spec.field(v, n).0;
                v_nullcline.push((bisect_root(dv, vs[i], vs[i + 1]), n));
            }
        }
    }

    // Fixed points: where the V-nullcline meets n = n∞(V).
    let on_n_nullcline = |v: f64| spec.field(v, spec.n_inf(v)).0;
    let fixed_points = vs
        .windows(2)
        .filter(|w| on_n_nullcline(w[0]).signum() != on_n_nullcline(w[1]).signum())
        .map(|w| {
            let v = bisect_root(on_n_nullcline, w[0], w[1]);
            fixed_point(spec, v, spec.n_inf(v))
        })
        .collect();

    let trajectories = spec
        .starts
        .iter()
        .map(|&(v, n)| trajectory(spec, v, n))
        .collect();
    Ok(PhasePlane {
        field_v,
        field_n,
        field_dv,
        field_dn,
        v_nullcline,
        n_nullcline,
        fixed_points,
        trajectories,
    })
}

/// Classifies a fixed point by the eigenvalues of the reduced system's Jacobian, taken by
/// central differences (steps 1e-4 mV and 1e-6: the type needs only the signs of its trace and
/// determinant, far from their rounding).
fn fixed_point(spec: &PhasePlaneSpec, v: f64, n: f64) -> FixedPoint {
    let (hv, hn) = (1e-4, 1e-6);
    let (a, c) = {
        let (p, m) = (spec.field(v + hv, n), spec.field(v - hv, n));
        ((p.0 - m.0) / (2.0 * hv), (p.1 - m.1) / (2.0 * hv))
    };
    let (b, d) = {
        let (p, m) = (spec.field(v, n + hn), spec.field(v, n - hn));
        ((p.0 - m.0) / (2.0 * hn), (p.1 - m.1) / (2.0 * hn))
    };
    let (tr, det) = (a + d, a * d - b * c);
    let disc = tr * tr - 4.0 * det;
    let eigenvalues = if disc >= 0.0 {
        let r = disc.sqrt();
        [[0.5 * (tr + r), 0.0], [0.5 * (tr - r), 0.0]]
    } else {
        let r = (-disc).sqrt();
        [[0.5 * tr, 0.5 * r], [0.5 * tr, -0.5 * r]]
    };
    let stable = det > 0.0 && tr < 0.0;
    let kind = if det < 0.0 {
        "saddle".to_string()
    } else {
        format!(
            "{} {}",
            if tr < 0.0 { "stable" } else { "unstable" },
            if disc < 0.0 { "focus" } else { "node" }
        )
    };
    FixedPoint {
        v,
        gate: n,
        kind,
        stable,
        eigenvalues,
    }
}

/// The full model from (V, gate) on the plane, integrated on the host in f64.
fn trajectory(spec: &PhasePlaneSpec, v: f64, n: f64) -> Vec<(f64, f64, f64)> {
    let steps = (spec.duration_ms / spec.dt_ms).round() as usize;
    let mut s = spec.state(v, n);
    let mut out = vec![(0.0, s[0], s[spec.gate])];
    for k in 1..=steps {
        s = spec.sys.step(spec.method, &s, spec.dt_ms);
        if k % TRAJECTORY_EVERY == 0 || k == steps {
            out.push((k as f64 * spec.dt_ms, s[0], s[spec.gate]));
        }
    }
    out
}
