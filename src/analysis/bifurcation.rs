//! The bifurcation diagram of one neuron in one parameter: the equilibria at every value with
//! their stability, Hopf points and folds of equilibria located between grid values, and the
//! limit cycles found by batched simulation in both sweep directions with the folds where
//! they end. The f–I curve is the cycles' part alone.

use super::cycles::{self, Cycle, CycleScan, CycleSearch, Direction};
use super::equilibria::{Equilibrium, EquilibriumPoint, equilibria_along, newton};
use super::shooting;
use super::system::{Parameter, System};
use crate::backend::Engine;
use crate::error::{Error, Result};
use crate::kernel::check::check_parameters;
use crate::kernel::golden_max;
use nalgebra::DVector;
use serde::Serialize;
use std::time::Instant;

/// A parameter range and how to look for cycles along it.
#[derive(Clone, Debug, PartialEq)]
pub struct BifurcationSpec {
    /// The model with every other parameter (and the current, unless it is `param`) set.
    pub base: System,
    pub param: Parameter,
    /// The grid, in increasing order.
    pub values: Vec<f64>,
    pub search: CycleSearch,
}

/// Fewest grid values: a crossing needs two values, a fold bracket a third to tell direction.
pub const MIN_VALUES: usize = 3;
/// Hopf points and folds are narrowed until their bracket is below this, relative to
/// max(1, |value|): well inside the 1e-8 the diagram promises.
const LOCATE_TOLERANCE: f64 = 1e-10;
/// The V kick given to an equilibrium before simulating it [mV]. A stable one gets a small kick
/// (its decaying oscillation stays below [`cycles::MIN_CYCLE_AMPLITUDE_MV`]); an unstable one a
/// large one, since near a Hopf point a small kick grows too slowly to reach the cycle within
/// the transient.
const KICK_STABLE_MV: f64 = 0.1 * cycles::MIN_CYCLE_AMPLITUDE_MV;
const KICK_UNSTABLE_MV: f64 = 10.0;
/// Shooting's fold is kept when it lies this close to the simulated one, relative to
/// max(1, |value|): the engine's first-order step moves the fold by far less, and a Newton
/// iteration that wandered off to another solution by far more.
const SHOOTING_AGREEMENT: f64 = 0.02;

impl BifurcationSpec {
    /// Checks the grid and the search; called before any work.
    pub fn validate(&self) -> Result<()> {
        if self.values.len() < MIN_VALUES {
            return Err(Error::invalid(
                "number of values",
                self.values.len(),
                format!("COUNT ≥ {MIN_VALUES}"),
            ));
        }
        if self
            .values
            .windows(2)
            .any(|w| w[1] <= w[0] || w[1].is_nan())
        {
            return Err(Error::invalid(
                "parameter range",
                format!("{}..{}", self.values[0], self.values[self.values.len() - 1]),
                "STOP > START",
            ));
        }
        if let Some(bad) = self.values.iter().find(|v| !v.is_finite()) {
            return Err(Error::invalid("parameter value", bad, "a finite number"));
        }
        let systems = self.systems();
        let value = |k: usize| format!("parameter value {}", self.values[k]);
        let rows = systems.iter().map(|s| s.params());
        check_parameters(self.base.model(), rows, Some(&value))?;
        self.search.validate()
    }

    fn systems(&self) -> Vec<System> {
        self.values
            .iter()
            .map(|&v| self.base.with(self.param, v))
            .collect()
    }

    /// The name of the swept parameter.
    pub fn param_name(&self) -> String {
        self.base.parameter_name(self.param).to_string()
    }
}

/// A Hopf point: a complex pair of eigenvalues crosses the imaginary axis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HopfPoint {
    pub value: f64,
    /// [mV]
    pub v: f64,
    /// Onset frequency, Im λ / 2π [Hz].
    pub frequency_hz: f64,
}

/// A fold of equilibria: two equilibria meet and vanish, a real eigenvalue crossing zero.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FoldPoint {
    pub value: f64,
    /// [mV]
    pub v: f64,
}

/// Where the stable cycle of a sweep direction disappears.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CycleFold {
    /// The fold of the ODE where shooting converged, else `simulated`.
    pub value: f64,
    pub direction: Direction,
    /// "shooting" or "simulation".
    pub located_by: &'static str,
    /// The midpoint of the last bracket the engine's runs narrowed (with their method and dt).
    pub simulated: f64,
}

/// One stable cycle at one value, as a sweep in `direction` finds it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CyclePoint {
    pub value: f64,
    /// [mV]
    pub v_min: f64,
    pub v_max: f64,
    pub period_ms: f64,
    pub frequency_hz: f64,
    pub direction: Direction,
}

/// Where the time went and how much was simulated.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Effort {
    pub equilibria_s: f64,
    pub cycles_s: f64,
    /// Batched engine runs and the neurons they held in all.
    pub engine_runs: usize,
    pub simulated_neurons: usize,
    /// Values where some start neither rested nor converged to a cycle.
    pub unresolved_values: usize,
}

impl Effort {
    /// The effort of a run whose cycle search started at `cycles_started`.
    fn of(equilibria_s: f64, cycles_started: Instant, scan: &CycleScan) -> Self {
        Effort {
            equilibria_s,
            cycles_s: cycles_started.elapsed().as_secs_f64(),
            engine_runs: scan.runs,
            simulated_neurons: scan.neuron_runs,
            unresolved_values: scan.unresolved.iter().filter(|&&u| u).count(),
        }
    }
}

/// The bifurcation diagram. The field names are those of `bifurcation.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bifurcation {
    pub param: String,
    pub values: Vec<f64>,
    pub equilibria: Vec<EquilibriumPoint>,
    pub hopf: Vec<HopfPoint>,
    pub fold: Vec<FoldPoint>,
    pub cycle_fold: Vec<CycleFold>,
    pub cycles: Vec<CyclePoint>,
    pub effort: Effort,
}

/// The equilibria, Hopf points and folds of equilibria along `spec`'s grid (no simulation).
pub fn equilibrium_branches(
    spec: &BifurcationSpec,
) -> (Vec<Vec<Equilibrium>>, Vec<HopfPoint>, Vec<FoldPoint>) {
    let eq = equilibria_along(&spec.systems());
    let mut hopf = Vec::new();
    let mut fold = Vec::new();
    for i in 0..eq.len() - 1 {
        let (a, b) = (&eq[i], &eq[i + 1]);
        let (pa, pb) = (spec.values[i], spec.values[i + 1]);
        if a.len() == b.len() {
            // The same branches on both sides, in order of V.
            for (ea, eb) in a.iter().zip(b) {
                if let (Some(ga), Some(gb)) = (ea.oscillatory_growth(), eb.oscillatory_growth())
                    && (ga < 0.0) != (gb < 0.0)
                    && let Some(h) = locate_hopf(spec, (pa, ea), (pb, eb))
                {
                    hopf.push(h);
                }
            }
        } else {
            let (many, p_many, p_few) = if a.len() > b.len() {
                (a, pa, pb)
            } else {
                (b, pb, pa)
            };
            for pair in many.windows(2) {
                if let Some(f) = locate_fold(spec, p_many, p_few, pair[0].v(), pair[1].v()) {
                    fold.push(f);
                }
            }
        }
    }
    (eq, hopf, fold)
}

/// Bisection on the parameter for the zero of the growth rate of the oscillatory pair, the
/// equilibrium followed by Newton from the interpolated state at each probe.
fn locate_hopf(
    spec: &BifurcationSpec,
    (mut pa, ea): (f64, &Equilibrium),
    (mut pb, eb): (f64, &Equilibrium),
) -> Option<HopfPoint> {
    let growth_a = ea.oscillatory_growth()?;
    let (mut xa, mut xb) = (ea.state.clone(), eb.state.clone());
    let mut last = ea.clone();
    while (pb - pa).abs() > LOCATE_TOLERANCE * pa.abs().max(1.0) {
        let p = 0.5 * (pa + pb);
        let sys = spec.base.with(spec.param, p);
        let x = newton(&sys, (&xa + &xb) * 0.5)?;
        let e = Equilibrium::at(&sys, x.clone());
        let g = e.oscillatory_growth()?;
        if (g < 0.0) == (growth_a < 0.0) {
            (pa, xa) = (p, x);
        } else {
            (pb, xb) = (p, x);
        }
        last = e;
    }
    Some(HopfPoint {
        value: 0.5 * (pa + pb),
        v: last.v(),
        frequency_hz: last.oscillatory_frequency()? / (2.0 * std::f64::consts::PI) * 1000.0,
    })
}

/// Locates where the equilibria at `va` < `vb` (adjacent, at `p_many`) meet and vanish on the
/// way to `p_few`: between two adjacent roots dV/dt has a hump of one sign, which shrinks to
/// touch zero at the fold. Bisection on the parameter for the sign of the hump's peak. `None`
/// when this pair survives at `p_few`.
fn locate_fold(
    spec: &BifurcationSpec,
    p_many: f64,
    p_few: f64,
    va: f64,
    vb: f64,
) -> Option<FoldPoint> {
    let reach = 0.25 * (vb - va) + 0.1;
    let (lo, hi) = (va - reach, vb + reach);
    let sign = spec
        .base
        .with(spec.param, p_many)
        .reduced_dv(0.5 * (va + vb))
        .signum();
    // The hump's peak of sign·dV/dt at parameter p, by golden-section search.
    let peak = |p: f64| {
        let sys = spec.base.with(spec.param, p);
        let f = |v: f64| sign * sys.reduced_dv(v);
        let v = golden_max(f, lo, hi);
        (f(v), v)
    };
    if peak(p_few).0 >= 0.0 {
        return None;
    }
    let (mut pm, mut pf) = (p_many, p_few);
    while (pf - pm).abs() > LOCATE_TOLERANCE * pm.abs().max(1.0) {
        let p = 0.5 * (pm + pf);
        if peak(p).0 >= 0.0 {
            pm = p;
        } else {
            pf = p;
        }
    }
    let value = 0.5 * (pm + pf);
    Some(FoldPoint {
        value,
        v: peak(value).1,
    })
}

/// Where each value's simulations start: its stable equilibrium (the first in V when there
/// are several) or else its first unstable one, with V kicked upwards.
fn kicked_starts(systems: &[System], eq: &[Vec<Equilibrium>]) -> Vec<DVector<f64>> {
    eq.iter()
        .zip(systems)
        .map(|(list, sys)| {
            let chosen = list.iter().find(|e| e.stable()).or(list.first());
            let mut x = match chosen {
                Some(e) => e.state.clone(),
                // No equilibrium in range (a strongly driven neuron): any state will do.
                None => sys.resting_at(sys.model().initial[0].expect("v has an initial value")),
            };
            x[0] += if chosen.is_some_and(|e| e.stable()) {
                KICK_STABLE_MV
            } else {
                KICK_UNSTABLE_MV
            };
            x
        })
        .collect()
}

/// The cycles along the grid in both directions, each direction's cycle folds refined.
fn cycles_along(
    engine: &Engine,
    spec: &BifurcationSpec,
    eq: &[Vec<Equilibrium>],
    progress: impl FnMut(&str),
) -> Result<(CycleScan, Vec<CycleFold>, Vec<CyclePoint>)> {
    let systems = spec.systems();
    let mut progress = progress;
    let scan = cycles::scan(
        engine,
        &spec.search,
        &systems,
        &kicked_starts(&systems, eq),
        &mut progress,
    )?;
    let mut brackets = Vec::new();
    let mut directions = Vec::new();
    for &(last, first, direction) in &scan.ends {
        let found = match direction {
            Direction::Up => &scan.up,
            Direction::Down => &scan.down,
        };
        let cycle: Cycle = found[last]
            .clone()
            .expect("a bracket starts at a value with a cycle");
        brackets.push((spec.values[last], cycle, spec.values[first]));
        directions.push(direction);
    }
    progress("refining the folds of limit cycles");
    let grid_brackets = brackets.clone();
    let refined = cycles::refine_folds(engine, &spec.search, &spec.base, spec.param, brackets)?;
    let cycle_fold = refined
        .into_iter()
        .zip(grid_brackets)
        .zip(directions)
        .map(|(((a, cycle, b), (grid_a, grid_cycle, _)), direction)| {
            let simulated = 0.5 * (a + b);
            // From the cycle nearest the fold first; from the grid's, farther from it, when
            // that start falls off the thin basin the stable cycle has next to its fold.
            let near =
                |p: &f64| (p - simulated).abs() <= SHOOTING_AGREEMENT * simulated.abs().max(1.0);
            let shot = [(a, cycle), (grid_a, grid_cycle)]
                .into_iter()
                .find_map(|(p0, c)| {
                    let section_v = 0.5 * (c.v_min + c.v_max);
                    shooting::locate_cycle_fold(&spec.base, spec.param, p0, &c.state, section_v)
                        .filter(near)
                });
            CycleFold {
                value: shot.unwrap_or(simulated),
                direction,
                located_by: if shot.is_some() {
                    "shooting"
                } else {
                    "simulation"
                },
                simulated,
            }
        })
        .collect();
    let mut points = Vec::new();
    for (direction, found) in [(Direction::Up, &scan.up), (Direction::Down, &scan.down)] {
        for (value, cycle) in spec.values.iter().zip(found) {
            if let Some(c) = cycle {
                points.push(CyclePoint {
                    value: *value,
                    v_min: c.v_min,
                    v_max: c.v_max,
                    period_ms: c.period_ms,
                    frequency_hz: c.frequency_hz(),
                    direction,
                });
            }
        }
    }
    Ok((scan, cycle_fold, points))
}

/// The whole diagram; `progress` hears what stage runs.
pub fn bifurcation(
    engine: &Engine,
    spec: &BifurcationSpec,
    mut progress: impl FnMut(&str),
) -> Result<Bifurcation> {
    spec.validate()?;
    let started = Instant::now();
    progress("equilibria, Hopf points and folds");
    let (eq, hopf, fold) = equilibrium_branches(spec);
    let equilibria_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (scan, cycle_fold, cycles) = cycles_along(engine, spec, &eq, &mut progress)?;
    let effort = Effort::of(equilibria_s, started, &scan);
    Ok(Bifurcation {
        param: spec.param_name(),
        values: spec.values.clone(),
        equilibria: spec
            .values
            .iter()
            .zip(&eq)
            .flat_map(|(&value, list)| {
                list.iter()
                    .map(move |e| EquilibriumPoint::new(&spec.base, value, e))
            })
            .collect(),
        hopf,
        fold,
        cycle_fold,
        cycles,
        effort,
    })
}

/// An f–I curve (or f against any parameter) with hysteresis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FiCurve {
    pub param: String,
    pub values: Vec<f64>,
    /// Firing frequency of the up- and down-sweep at each value, 0 at rest [Hz].
    pub up_hz: Vec<f64>,
    pub down_hz: Vec<f64>,
    /// The first value at which the up-sweep fires (the rheobase for a slow current ramp).
    pub rheobase: Option<f64>,
    /// The lowest frequency of any stable cycle found [Hz].
    pub min_frequency_hz: Option<f64>,
    pub cycle_fold: Vec<CycleFold>,
    pub effort: Effort,
}

/// The f–I curve of `spec`'s grid: the diagram's cycles without the Hopf and fold search.
pub fn fi_curve(
    engine: &Engine,
    spec: &BifurcationSpec,
    mut progress: impl FnMut(&str),
) -> Result<FiCurve> {
    spec.validate()?;
    let started = Instant::now();
    progress("equilibria");
    let eq = equilibria_along(&spec.systems());
    let equilibria_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (scan, cycle_fold, _) = cycles_along(engine, spec, &eq, &mut progress)?;
    let hz = |found: &[Option<Cycle>]| -> Vec<f64> {
        found
            .iter()
            .map(|c| c.as_ref().map_or(0.0, Cycle::frequency_hz))
            .collect()
    };
    let (up_hz, down_hz) = (hz(&scan.up), hz(&scan.down));
    let rheobase = spec
        .values
        .iter()
        .zip(&up_hz)
        .find(|(_, f)| **f > 0.0)
        .map(|(v, _)| *v);
    let min_frequency_hz = up_hz
        .iter()
        .chain(&down_hz)
        .copied()
        .filter(|f| *f > 0.0)
        .min_by(f64::total_cmp);
    Ok(FiCurve {
        param: spec.param_name(),
        values: spec.values.clone(),
        up_hz,
        down_hz,
        rheobase,
        min_frequency_hz,
        cycle_fold,
        effort: Effort::of(equilibria_s, started, &scan),
    })
}
