//! Limit cycles by batched simulation: every start is one neuron of a population run on the
//! engine (the GPU when there is one). A run settles for `transient_ms`, then a window of
//! `window_ms` is sampled and each neuron is classified as resting, cycling (with its period)
//! or unresolved. The extrema of each cycle are then taken on the host over one period at every
//! step, from the state the engine ended in.

use super::system::{Parameter, System};
use crate::backend::Engine;
use crate::backend::population::{Population, RunConfig};
use crate::error::{Error, Result};
use crate::input::Stimulus;
use crate::integrate::Method;
use crate::kernel::Precision;
use nalgebra::DVector;
use serde::Serialize;

/// How the engine simulates the starts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CycleSearch {
    pub method: Method,
    pub precision: Precision,
    /// [ms]
    pub dt_ms: f64,
    /// Time given to each start to settle on its attractor [ms].
    pub transient_ms: f64,
    /// Time sampled after the transient [ms]; a cycle needs three periods within it.
    pub window_ms: f64,
}

impl CycleSearch {
    /// Checks the times; called before any work.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("--transient", self.transient_ms),
            ("--window", self.window_ms),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(Error::invalid(name, value, "a finite time > 0 ms"));
            }
        }
        self.config(self.transient_ms, 0)?;
        self.config(self.window_ms, 0).map(|_| ())
    }

    /// A run of `duration_ms` that counts spikes and records every `record_every` steps (0:
    /// no trace).
    fn config(&self, duration_ms: f64, record_every: usize) -> Result<RunConfig> {
        Ok(RunConfig {
            record_every,
            spike_steps: false,
            ..RunConfig::for_duration(self.method, self.dt_ms, duration_ms)?
        })
    }

    /// Steps between window samples: about [`SAMPLE_INTERVAL_MS`].
    fn record_every(&self) -> usize {
        ((SAMPLE_INTERVAL_MS / self.dt_ms).floor() as usize).max(1)
    }
}

/// The window is sampled about this often [ms]: period estimates interpolate the mid-level
/// crossings, where V moves fast and nearly linearly, and average over every period in the
/// window, so finer samples would buy little and cost host memory (2000 starts × 3000
/// samples × 32 B).
const SAMPLE_INTERVAL_MS: f64 = 0.1;
/// Below this peak-to-peak amplitude in the window's second half a start counts as resting
/// [mV]. Starts from a stable equilibrium are kicked by a tenth of it, so a decaying
/// oscillation never reaches it, while it stays small enough to follow the shrinking cycles
/// next to a Hopf point (a few mV within 1 µA/cm² of the classic model's upper one).
pub const MIN_CYCLE_AMPLITUDE_MV: f64 = 0.5;
/// A cycle has converged when its periods in the window differ from their mean by less than
/// this fraction: sampled crossings are interpolated to well under 0.1 % of a period, while a
/// trajectory still drifting towards or away from a cycle changes its period by more.
const PERIOD_SPREAD: f64 = 0.01;
/// … and when its amplitude in the two halves of the window agrees within this fraction
/// (sampled extrema can miss a spike's peak by a few mV of a 100 mV cycle).
const AMPLITUDE_SPREAD: f64 = 0.05;

/// A limit cycle found by simulation.
#[derive(Clone, Debug, PartialEq)]
pub struct Cycle {
    /// [mV], over one period at every step.
    pub v_min: f64,
    pub v_max: f64,
    /// [ms]
    pub period_ms: f64,
    /// The state at the cycle's peak of V, to start neighbouring values from: there it lies
    /// farthest from the equilibrium and from any unstable cycle around it, so a start at a
    /// nearby value lands on that value's stable cycle whenever it exists (a state from an
    /// arbitrary phase, e.g. the afterhyperpolarisation, can fall inside the unstable cycle).
    pub state: DVector<f64>,
}

impl Cycle {
    pub fn frequency_hz(&self) -> f64 {
        1000.0 / self.period_ms
    }
}

/// What one start settled into.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Rest,
    Cycle(Cycle),
    /// Oscillating, but not converged within the transient, or slower than a third of the
    /// window.
    Unresolved,
}

impl Outcome {
    pub fn cycle(&self) -> Option<&Cycle> {
        match self {
            Outcome::Cycle(c) => Some(c),
            _ => None,
        }
    }
}

/// Simulates each system from its start as one batched population and classifies the result.
pub fn settle(
    engine: &Engine,
    search: &CycleSearch,
    systems: &[System],
    starts: &[DVector<f64>],
) -> Result<Vec<Outcome>> {
    debug_assert_eq!(systems.len(), starts.len(), "one start per system");
    let Some(first) = systems.first() else {
        return Ok(Vec::new());
    };
    let population = |states: Vec<Vec<f64>>| Population {
        model: first.model().clone(),
        params: systems.iter().map(|sys| sys.params().to_vec()).collect(),
        init: states,
        current: systems.iter().map(|sys| sys.current).collect(),
        threshold: vec![first.model().threshold; systems.len()],
        stimulus: Stimulus::default(),
        first_index: 0,
    };
    let rows = |x: &[DVector<f64>]| x.iter().map(|s| s.iter().copied().collect()).collect();
    let settle_cfg = search.config(search.transient_ms, 0)?;
    let settled =
        engine.run_population(search.precision, &population(rows(starts)), &settle_cfg)?;
    let after: Vec<Vec<f64>> = settled
        .final_states
        .rows()
        .into_iter()
        .map(|r| r.to_vec())
        .collect();

    let every = search.record_every();
    let window_cfg = search.config(search.window_ms, every)?;
    let window = engine.run_population(search.precision, &population(after), &window_cfg)?;
    let (_, trace) = window.trace.expect("the window is recorded");
    let sample_ms = every as f64 * search.dt_ms;
    Ok(systems
        .iter()
        .zip(window.final_states.rows())
        .enumerate()
        .map(|(j, (sys, end))| {
            let v: Vec<f64> = trace[0].row(j).to_vec();
            match classify(&v, sample_ms) {
                Classified::Rest => Outcome::Rest,
                Classified::Unresolved => Outcome::Unresolved,
                Classified::Cycle { period_ms } => {
                    let end = DVector::from_iterator(end.len(), end.iter().copied());
                    let (v_min, v_max, state) = extrema_over(sys, search, &end, period_ms);
                    Outcome::Cycle(Cycle {
                        v_min,
                        v_max,
                        period_ms,
                        state,
                    })
                }
            }
        })
        .collect())
}

enum Classified {
    Rest,
    Cycle { period_ms: f64 },
    Unresolved,
}

fn range(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// Classifies a window of V samples taken every `sample_ms`.
fn classify(v: &[f64], sample_ms: f64) -> Classified {
    let (first, second) = v.split_at(v.len() / 2);
    let (lo, hi) = range(second);
    let amplitude = hi - lo;
    // NaN (a diverged start) counts as resting too: it shows no cycle.
    if amplitude.is_nan() || amplitude < MIN_CYCLE_AMPLITUDE_MV {
        return Classified::Rest;
    }
    let (lo1, hi1) = range(first);
    if ((hi1 - lo1) - amplitude).abs() > AMPLITUDE_SPREAD * amplitude {
        return Classified::Unresolved;
    }
    let mid = 0.5 * (lo + hi);
    let crossings: Vec<f64> = v
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] < mid && w[1] >= mid)
        .map(|(k, w)| (k as f64 + (mid - w[0]) / (w[1] - w[0])) * sample_ms)
        .collect();
    if crossings.len() < 4 {
        return Classified::Unresolved;
    }
    let periods: Vec<f64> = crossings.windows(2).map(|c| c[1] - c[0]).collect();
    let period_ms = (crossings[crossings.len() - 1] - crossings[0]) / periods.len() as f64;
    if periods
        .iter()
        .any(|p| (p - period_ms).abs() > PERIOD_SPREAD * period_ms)
    {
        return Classified::Unresolved;
    }
    Classified::Cycle { period_ms }
}

/// V's extremes over one period from `start`, integrated on the host in f64 with the search's
/// method and step, looking at every step; and the state at the maximum.
fn extrema_over(
    sys: &System,
    search: &CycleSearch,
    start: &DVector<f64>,
    period_ms: f64,
) -> (f64, f64, DVector<f64>) {
    let steps = (period_ms / search.dt_ms).ceil() as usize + 1;
    let mut s = start.clone();
    let (mut lo, mut peak) = (s[0], s.clone());
    for _ in 0..steps {
        s = sys.step(search.method, &s, search.dt_ms);
        lo = lo.min(s[0]);
        if s[0] > peak[0] {
            peak = s.clone();
        }
    }
    (lo, peak[0], peak)
}

/// Which way a quasi-static sweep of the parameter runs: each value starts where the previous
/// one ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
}

/// The cycles found along a grid of values in both directions, and the brackets where a
/// direction's cycles end (a fold of limit cycles lies inside).
#[derive(Clone, Debug, Default)]
pub struct CycleScan {
    pub up: Vec<Option<Cycle>>,
    pub down: Vec<Option<Cycle>>,
    /// Starts that neither rested nor converged, per value (from either direction).
    pub unresolved: Vec<bool>,
    /// (last index with a cycle, first index without) in sweep order, with the direction.
    pub ends: Vec<(usize, usize, Direction)>,
    /// Batched runs made, for the summary.
    pub runs: usize,
    pub neuron_runs: usize,
}

/// Values started from a neighbour's cycle in one batched run, at most.
const MAX_BLOCK: usize = 512;

/// Finds the cycles of `systems` (a grid in parameter order) in both sweep directions.
/// `starts[i]` is the perturbed equilibrium of value i. Round 0 runs every value from it;
/// then each direction carries the cycle of the last value that had one onto the values after
/// it (all of a block from that one state, in one run), keeping the contiguous successes and
/// retrying the first failure from its immediate neighbour, until every block ends at a value
/// that does not cycle when started from its neighbour's cycle.
pub fn scan(
    engine: &Engine,
    search: &CycleSearch,
    systems: &[System],
    starts: &[DVector<f64>],
    mut progress: impl FnMut(&str),
) -> Result<CycleScan> {
    let k = systems.len();
    progress("cycles from the perturbed equilibria");
    let base = settle(engine, search, systems, starts)?;
    let mut out = CycleScan {
        unresolved: base.iter().map(|o| *o == Outcome::Unresolved).collect(),
        runs: 2,
        neuron_runs: k,
        ..CycleScan::default()
    };
    #[derive(Clone, PartialEq)]
    enum Slot {
        Found(Cycle),
        None,
        Pending,
    }
    let initial: Vec<Slot> = base
        .iter()
        .map(|o| o.cycle().map_or(Slot::Pending, |c| Slot::Found(c.clone())))
        .collect();
    let mut slots = [initial.clone(), initial];
    let orders: [Vec<usize>; 2] = [(0..k).collect(), (0..k).rev().collect()];
    loop {
        // (direction, positions in sweep order) of each block, started from the cycle before it.
        let mut blocks: Vec<(usize, Vec<usize>)> = Vec::new();
        for d in 0..2 {
            let order = &orders[d];
            let mut pos = 1;
            while pos < k {
                let from_cycle = matches!(slots[d][order[pos - 1]], Slot::Found(_));
                if from_cycle && slots[d][order[pos]] == Slot::Pending {
                    let block: Vec<usize> = (pos..k)
                        .take_while(|&q| slots[d][order[q]] == Slot::Pending)
                        .take(MAX_BLOCK)
                        .collect();
                    pos += block.len();
                    blocks.push((d, block));
                } else {
                    pos += 1;
                }
            }
        }
        if blocks.is_empty() {
            break;
        }
        progress("cycles carried from neighbouring values");
        let mut batch_systems = Vec::new();
        let mut batch_starts = Vec::new();
        for (d, block) in &blocks {
            let Slot::Found(from) = &slots[*d][orders[*d][block[0] - 1]] else {
                unreachable!("a block follows a value with a cycle")
            };
            for &q in block {
                batch_systems.push(systems[orders[*d][q]].clone());
                batch_starts.push(from.state.clone());
            }
        }
        let results = settle(engine, search, &batch_systems, &batch_starts)?;
        out.runs += 2;
        out.neuron_runs += results.len();
        let mut results = results.into_iter();
        for (d, block) in blocks {
            let outcomes: Vec<Outcome> = results.by_ref().take(block.len()).collect();
            for (n, (&q, outcome)) in block.iter().zip(&outcomes).enumerate() {
                let i = orders[d][q];
                match outcome {
                    Outcome::Cycle(c) => slots[d][i] = Slot::Found(c.clone()),
                    other => {
                        if n == 0 {
                            // Started from its immediate neighbour's cycle: the sweep's cycle
                            // ends here.
                            slots[d][i] = Slot::None;
                            out.unresolved[i] |= *other == Outcome::Unresolved;
                            out.ends.push((
                                orders[d][q - 1],
                                i,
                                [Direction::Up, Direction::Down][d],
                            ));
                        }
                        break;
                    }
                }
            }
        }
    }
    let found = |s: &Slot| match s {
        Slot::Found(c) => Some(c.clone()),
        _ => None,
    };
    out.up = slots[0].iter().map(found).collect();
    out.down = slots[1].iter().map(found).collect();
    Ok(out)
}

/// Probes per bracket and refinement level of a fold of limit cycles.
const FOLD_PROBES: usize = 15;
/// Levels of refinement: each shrinks the bracket (FOLD_PROBES + 1)-fold, 4096-fold in all.
const FOLD_LEVELS: usize = 3;

/// Narrows each bracket (value with a cycle, that cycle, neighbouring value without) to where
/// the cycle disappears: probes between the two ends start from the cycle at the cycling end,
/// and the last probe still cycling and the first not become the new bracket. Returns the
/// final brackets.
pub fn refine_folds(
    engine: &Engine,
    search: &CycleSearch,
    base: &System,
    param: Parameter,
    mut brackets: Vec<(f64, Cycle, f64)>,
) -> Result<Vec<(f64, Cycle, f64)>> {
    let probe = |a: f64, b: f64, p: usize| a + (b - a) * p as f64 / (FOLD_PROBES + 1) as f64;
    for _ in 0..FOLD_LEVELS {
        let mut systems = Vec::new();
        let mut starts = Vec::new();
        for (a, cycle, b) in &brackets {
            for p in 1..=FOLD_PROBES {
                systems.push(base.with(param, probe(*a, *b, p)));
                starts.push(cycle.state.clone());
            }
        }
        let outcomes = settle(engine, search, &systems, &starts)?;
        for (bracket, mine) in brackets.iter_mut().zip(outcomes.chunks(FOLD_PROBES)) {
            let (a, b) = (bracket.0, bracket.2);
            let cycling = mine.iter().take_while(|o| o.cycle().is_some()).count();
            *bracket = match cycling {
                0 => (a, bracket.1.clone(), probe(a, b, 1)),
                n => (
                    probe(a, b, n),
                    mine[n - 1].cycle().expect("counted as cycling").clone(),
                    probe(a, b, n + 1),
                ),
            };
        }
    }
    Ok(brackets)
}
