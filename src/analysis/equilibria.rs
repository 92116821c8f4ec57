//! Equilibria of one neuron and their stability. At an equilibrium every gate sits at its
//! steady state, so the equilibria are the roots of dV/dt along the steady-state curve, a
//! function of V alone: a scan of V brackets every root (every branch, where there are several),
//! bisection narrows each, and Newton on the full system polishes it to f(x*) ≈ 0. Along a
//! parameter, Newton also continues each branch from the previous value, which keeps the two
//! roots next to a fold that the scan's step cannot separate.

use super::system::System;
use nalgebra::{Complex, DVector};
use serde::Serialize;

/// The V range scanned for equilibria [mV]: wider than any resting or depolarised state of
/// a neuron (the reversal potentials of the bundled models lie well within it).
pub const SCAN_RANGE_MV: (f64, f64) = (-150.0, 100.0);
/// Scan step [mV]: roots closer than this (next to a fold) may be missed by the scan; the
/// fold search in `bifurcation` finds where such a pair disappears.
const SCAN_STEP_MV: f64 = 0.25;
/// Newton stops once every component of f is below this [mV/ms, 1/ms]: 100× f64 rounding of
/// the largest terms, and below the 1e-10 that the tests ask of an equilibrium.
pub const RESIDUAL_TOLERANCE: f64 = 1e-12;
const MAX_NEWTON_STEPS: usize = 50;
/// Eigenvalues with |Im| below this [1/ms] count as real.
pub const REAL_EIGENVALUE_IM: f64 = 1e-9;

/// An equilibrium with the eigenvalues of its Jacobian, largest real part first.
#[derive(Clone, Debug, PartialEq)]
pub struct Equilibrium {
    /// V [mV] and the gates, in the model's state order.
    pub state: DVector<f64>,
    pub eigenvalues: Vec<Complex<f64>>,
}

impl Equilibrium {
    /// Evaluates the Jacobian's eigenvalues at the equilibrium `state` of `sys`.
    pub fn at(sys: &System, state: DVector<f64>) -> Self {
        let mut eigenvalues: Vec<Complex<f64>> = sys
            .jacobian(&state)
            .complex_eigenvalues()
            .iter()
            .copied()
            .collect();
        eigenvalues.sort_by(|a, b| b.re.total_cmp(&a.re).then(b.im.total_cmp(&a.im)));
        Equilibrium { state, eigenvalues }
    }

    pub fn v(&self) -> f64 {
        self.state[0]
    }

    /// Linearly stable: every eigenvalue has a negative real part.
    pub fn stable(&self) -> bool {
        self.eigenvalues[0].re < 0.0
    }

    /// The largest real part among complex pairs (`None` without one): a Hopf point is where
    /// it crosses zero.
    pub fn oscillatory_growth(&self) -> Option<f64> {
        self.eigenvalues
            .iter()
            .find(|e| e.im.abs() > REAL_EIGENVALUE_IM)
            .map(|e| e.re)
    }

    /// The angular frequency of that pair [rad/ms].
    pub fn oscillatory_frequency(&self) -> Option<f64> {
        self.eigenvalues
            .iter()
            .find(|e| e.im.abs() > REAL_EIGENVALUE_IM)
            .map(|e| e.im.abs())
    }

    /// Eigenvalues as [re, im] pairs, for JSON.
    pub fn eigenvalue_pairs(&self) -> Vec<[f64; 2]> {
        self.eigenvalues.iter().map(|e| [e.re, e.im]).collect()
    }
}

/// Every equilibrium of `sys` within [`SCAN_RANGE_MV`], in order of V.
pub fn equilibria(sys: &System) -> Vec<Equilibrium> {
    let (lo, hi) = SCAN_RANGE_MV;
    let n = ((hi - lo) / SCAN_STEP_MV).round() as usize;
    let at = |k: usize| lo + SCAN_STEP_MV * k as f64;
    let mut found: Vec<Equilibrium> = Vec::new();
    let mut prev = sys.reduced_dv(at(0));
    for k in 1..=n {
        let f = sys.reduced_dv(at(k));
        if prev == 0.0 || prev.signum() != f.signum() {
            let v = bisect_root(|v| sys.reduced_dv(v), at(k - 1), at(k));
            if let Some(x) = newton(sys, sys.resting_at(v)) {
                let duplicate = found
                    .last()
                    .is_some_and(|e| (e.v() - x[0]).abs() < SAME_ROOT_MV);
                if !duplicate {
                    found.push(Equilibrium::at(sys, x));
                }
            }
        }
        prev = f;
    }
    found
}

/// The equilibria of each of `systems` (a parameter grid in order): those the scan finds, and
/// those Newton reaches from the previous value's equilibria, in order of V.
pub fn equilibria_along(systems: &[System]) -> Vec<Vec<Equilibrium>> {
    let mut all: Vec<Vec<Equilibrium>> = Vec::with_capacity(systems.len());
    for sys in systems {
        let mut found = equilibria(sys);
        let continued = all
            .last()
            .into_iter()
            .flatten()
            .filter_map(|e| newton(sys, e.state.clone()));
        for x in continued.collect::<Vec<_>>() {
            if !found.iter().any(|e| (e.v() - x[0]).abs() < SAME_ROOT_MV) {
                found.push(Equilibrium::at(sys, x));
            }
        }
        found.sort_by(|a, b| a.v().total_cmp(&b.v()));
        all.push(found);
    }
    all
}

/// Two equilibria closer than this in V are one [mV]: Newton pins a root to ≈ 1e-12 mV, and
/// distinct roots lie far further apart except within ≈ 1e-10 of a fold.
const SAME_ROOT_MV: f64 = 1e-6;

/// Newton's method on f(x) = 0 from `x0`; `None` when it does not reach
/// [`RESIDUAL_TOLERANCE`] or leaves the physical range of the gates.
pub fn newton(sys: &System, x0: DVector<f64>) -> Option<DVector<f64>> {
    let mut x = x0;
    for _ in 0..MAX_NEWTON_STEPS {
        let f = sys.rhs(&x);
        if f.amax() <= RESIDUAL_TOLERANCE {
            return Some(x);
        }
        let step = sys.jacobian(&x).lu().solve(&(-f))?;
        x += step;
        let gates_ok =
            (1..x.len()).all(|k| x[k].is_finite() && (-1e-9..=1.0 + 1e-9).contains(&x[k]));
        if !x[0].is_finite() || !gates_ok {
            return None;
        }
    }
    (sys.rhs(&x).amax() <= RESIDUAL_TOLERANCE).then_some(x)
}

/// Halvings that take any finite bracket to adjacent f64 values (2¹¹ exponents × 53 bits is a
/// bound far above the 1100 or so that the widest bracket needs): a cap, so that a bracket
/// that is not finite (a model whose rates overflow) cannot spin.
const MAX_BISECTIONS: usize = 4096;

/// A root of `f` in [a, b], where f(a) and f(b) differ in sign, narrowed until the bracket
/// stops shrinking in f64 (NaN when the bracket is not finite).
pub fn bisect_root(f: impl Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    if !(a.is_finite() && b.is_finite()) {
        return f64::NAN;
    }
    let mut fa = f(a);
    for _ in 0..MAX_BISECTIONS {
        let mid = 0.5 * (a + b);
        if mid <= a.min(b) || mid >= a.max(b) {
            return mid;
        }
        let fm = f(mid);
        if fm == 0.0 {
            return mid;
        }
        if fm.signum() == fa.signum() {
            a = mid;
            fa = fm;
        } else {
            b = mid;
        }
    }
    0.5 * (a + b)
}

/// One equilibrium as `bifurcation.json` lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EquilibriumPoint {
    /// The parameter's value.
    pub value: f64,
    /// [mV].
    pub v: f64,
    /// Every gate by name, in the model's state order (a JSON object).
    #[serde(serialize_with = "as_map")]
    pub gates: Vec<(String, f64)>,
    pub stable: bool,
    /// [re, im] [1/ms], largest real part first.
    pub eigenvalues: Vec<[f64; 2]>,
}

impl EquilibriumPoint {
    pub fn new(sys: &System, value: f64, e: &Equilibrium) -> Self {
        EquilibriumPoint {
            value,
            v: e.state[0],
            gates: (sys.model().states.iter().zip(&e.state))
                .skip(1)
                .map(|(name, &x)| (name.clone(), x))
                .collect(),
            stable: e.stable(),
            eigenvalues: e.eigenvalue_pairs(),
        }
    }
}

/// Name–value pairs as a JSON object, in their order.
fn as_map<S: serde::Serializer>(pairs: &[(String, f64)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(name, x)| (name, x)))
}
