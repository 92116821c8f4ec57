//! One neuron of a model as an autonomous ODE x' = f(x; p) with x = (V, m, h, n), for the
//! analysis on the host: the right-hand side, its Jacobian and the steady state of the gates.
//! Everything here is f64: the analysis solves for equilibria to 1e-10.

use crate::error::{Error, Result};
use crate::model::{ModelKind, Params, State};
use crate::population::NeuronSpec;
use crate::sweep::SweepParam;
use nalgebra::{Matrix4, Vector4};

/// A model's parameters and the constant current injected into it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct System {
    pub params: Params<f64>,
    /// Injected current [pA | µA/cm²].
    pub current: f64,
}

/// Step of the central differences that give the rates' voltage derivatives [mV]. With one
/// Richardson extrapolation the truncation error is ≈ (h/s)⁴ relative for rates varying on a
/// scale s ≥ 4 mV (below 1e-10), and the rounding error ≈ ε·|α|/h (≈ 1e-13 relative): far
/// below the 1e-6 that eigenvalue comparisons need.
const RATE_DERIVATIVE_STEP_MV: f64 = 0.01;

impl System {
    pub fn new(params: Params<f64>, current: f64) -> Self {
        System { params, current }
    }

    /// This system with `param` set to `value` (in the unit a sweep axis uses).
    pub fn with(&self, param: SweepParam, value: f64) -> System {
        let mut spec = NeuronSpec {
            params: self.params,
            init: State::default(),
            current: self.current,
        };
        param.apply(&mut spec, value);
        System::new(spec.params, spec.current)
    }

    /// f(x): dV/dt [mV/ms] and the gates' rates of change [1/ms].
    pub fn rhs(&self, x: &Vector4<f64>) -> Vector4<f64> {
        let d = self.params.derivatives(&to_state(x), self.current);
        Vector4::new(d.v, d.m, d.h, d.n)
    }

    /// The gates at their steady state at potential `v`.
    pub fn resting_at(&self, v: f64) -> Vector4<f64> {
        from_state(&self.params.gates_at_rest(v))
    }

    /// dV/dt with every gate at its steady state: zero exactly at the equilibria, whose gates
    /// are always at steady state. A function of V alone, so its roots can be bracketed.
    pub fn reduced_dv(&self, v: f64) -> f64 {
        self.rhs(&self.resting_at(v))[0]
    }

    /// ∂f/∂x, analytic in the gates and conductances; only the rates' derivatives in V are
    /// taken numerically (Richardson-extrapolated central differences, see
    /// [`RATE_DERIVATIVE_STEP_MV`]).
    pub fn jacobian(&self, x: &Vector4<f64>) -> Matrix4<f64> {
        let p = &self.params;
        let (v, m, h, n) = (x[0], x[1], x[2], x[3]);
        let r = p.rates(v);
        let dr = rate_derivatives(p, v);
        let c = p.c;
        let mut j = Matrix4::zeros();
        j[(0, 0)] = -(p.g_na * m * m * m * h + p.g_k * n.powi(4) + p.g_l) / c;
        j[(0, 1)] = 3.0 * p.g_na * m * m * h * (p.e_na - v) / c;
        j[(0, 2)] = p.g_na * m * m * m * (p.e_na - v) / c;
        j[(0, 3)] = 4.0 * p.g_k * n.powi(3) * (p.e_k - v) / c;
        let gates = [
            (1, m, r.alpha_m, r.beta_m, dr[0], dr[1]),
            (2, h, r.alpha_h, r.beta_h, dr[2], dr[3]),
            (3, n, r.alpha_n, r.beta_n, dr[4], dr[5]),
        ];
        for (row, x, alpha, beta, d_alpha, d_beta) in gates {
            j[(row, 0)] = d_alpha * (1.0 - x) - d_beta * x;
            j[(row, row)] = -(alpha + beta);
        }
        j
    }

    /// The parameters an analysis can vary for this model: every sweep axis except the spike
    /// threshold (it changes no dynamics) and the one rate shift the model lacks.
    pub fn parameters(kind: ModelKind) -> Vec<SweepParam> {
        SweepParam::ALL
            .into_iter()
            .filter(|p| match p {
                SweepParam::Threshold => false,
                SweepParam::Vt => kind == ModelKind::Traub,
                SweepParam::Temperature => kind == ModelKind::Classic,
                _ => true,
            })
            .collect()
    }

    /// Parses a parameter name this model has, or says which it has.
    pub fn parameter(kind: ModelKind, name: &str) -> Result<SweepParam> {
        let known = Self::parameters(kind);
        SweepParam::parse(name)
            .ok()
            .filter(|p| known.contains(p))
            .ok_or_else(|| {
                let names: Vec<&str> = known.iter().map(|p| p.name()).collect();
                Error::invalid(
                    "parameter",
                    name,
                    format!("a parameter of this model: {}", names.join(", ")),
                )
            })
    }
}

/// dα/dV and dβ/dV of the three gates [1/(ms·mV)], in the order αm, βm, αh, βh, αn, βn.
fn rate_derivatives(p: &Params<f64>, v: f64) -> [f64; 6] {
    let rates = |v: f64| {
        let r = p.rates(v);
        [
            r.alpha_m, r.beta_m, r.alpha_h, r.beta_h, r.alpha_n, r.beta_n,
        ]
    };
    let central = |h: f64| {
        let (up, down) = (rates(v + h), rates(v - h));
        std::array::from_fn::<f64, 6, _>(|k| (up[k] - down[k]) / (2.0 * h))
    };
    let (coarse, fine) = (
        central(RATE_DERIVATIVE_STEP_MV),
        central(RATE_DERIVATIVE_STEP_MV / 2.0),
    );
    std::array::from_fn(|k| (4.0 * fine[k] - coarse[k]) / 3.0)
}

pub fn to_state(x: &Vector4<f64>) -> State<f64> {
    State {
        v: x[0],
        m: x[1],
        h: x[2],
        n: x[3],
    }
}

pub fn from_state(s: &State<f64>) -> Vector4<f64> {
    Vector4::new(s.v, s.m, s.h, s.n)
}
