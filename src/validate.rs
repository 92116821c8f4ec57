//! The CPU-vs-GPU checks behind `hhsim validate`: the f64 software `exp`, and for each model and
//! GPU method, spike-for-spike identity in f64 and spike-count agreement in f32, on populations
//! of independent neurons with distinct currents; for the built-in models or a model file.

use crate::backend::gpu::GpuContext;
use crate::backend::gpu::exp_check::exp_check;
use crate::backend::population::{Population, RunConfig};
use crate::backend::{Engine, cpu};
use crate::builtin::{BuiltIn, InitialState};
use crate::error::Result;
use crate::integrate::Method;
use crate::kernel::Precision;
use crate::kernel::steady;
use crate::model::{Model, Units};
use crate::monitor::Spikes;
use serde::Serialize;
use std::sync::Arc;

/// The neuron a check runs.
#[derive(Clone, Debug)]
pub struct Neuron {
    pub model: Model,
    /// The parameters as the kernel gets them.
    pub params: Vec<f64>,
    pub init: Vec<f64>,
    /// The name the checks report.
    pub label: String,
    /// Compare V at 20 points of the run, every neuron (a model file's checks); else V after
    /// the run alone (the built-in models' checks).
    pub v_during_run: bool,
}

impl Neuron {
    /// A built-in model (its file `model`) with the file's parameters `params`, from the
    /// named initial state.
    pub fn built_in(
        builtin: BuiltIn,
        model: &Model,
        params: &[f64],
        init: InitialState,
    ) -> Result<Self> {
        Ok(Neuron {
            init: builtin.initial(init, model, params)?,
            params: builtin.kernel_row(model, params),
            label: builtin.label().to_string(),
            v_during_run: false,
            model: model.clone(),
        })
    }

    /// A model file with these parameters, from its initial state.
    pub fn file(model: &Model, params: &[f64]) -> Self {
        Neuron {
            init: steady::initial_state(model, params),
            params: params.to_vec(),
            label: model.name.clone(),
            v_during_run: true,
            model: model.clone(),
        }
    }
}

/// A validation workload: a model, a GPU method, and a step at which that method is stable.
#[derive(Clone, Debug)]
pub struct Case {
    pub neuron: Neuron,
    pub method: Method,
    pub dt_ms: f64,
    /// Currents spread evenly over this range, one neuron each [pA | µA/cm²].
    pub currents: (f64, f64),
}

impl Case {
    /// Numbers a neuron of this case holds per row of its description and results: parameters
    /// and states, and V at 20 points of the run for every state.
    pub fn width(&self) -> usize {
        let model = &self.neuron.model;
        model.parameters.len() + 21 * model.states.len()
    }
}

/// What a check compares of one run: every neuron's spikes and counts, and V (after the run,
/// or at 20 points of it for every neuron).
struct Outcome {
    spikes: Spikes,
    counts: Vec<u32>,
    v: Vec<f64>,
}

impl Case {
    /// The `n` currents (n ≥ 2), evenly spread over the case's range.
    fn currents(&self, n: usize) -> impl Iterator<Item = f64> {
        let (lo, hi) = self.currents;
        (0..n).map(move |j| lo + (hi - lo) * j as f64 / (n - 1).max(1) as f64)
    }

    /// Runs `n` neurons for `duration_ms` on `engine` in `precision`.
    fn run(
        &self,
        engine: &Engine,
        precision: Precision,
        n: usize,
        duration_ms: f64,
    ) -> Result<Outcome> {
        let neuron = &self.neuron;
        let pop = Population::uniform(
            neuron.model.clone(),
            neuron.params.clone(),
            neuron.init.clone(),
            self.currents(n).collect(),
        );
        let mut cfg = RunConfig::for_duration(self.method, self.dt_ms, duration_ms)?;
        if neuron.v_during_run {
            cfg.record_every = cfg.n_steps.div_ceil(20);
        }
        let r = engine.run_population(precision, &pop, &cfg)?;
        let v = match r.trace {
            Some((_, states)) => states[0].iter().copied().collect(),
            None => r.final_states.column(0).to_vec(),
        };
        Ok(Outcome {
            v,
            spikes: r.spikes,
            counts: r.spike_counts,
        })
    }

    pub fn label(&self) -> String {
        format!("{} {}", self.neuron.label, self.method.name())
    }
}

/// A built-in model with both GPU methods, from the state its checks start at (traub: the
/// sweep's, hh: rest), with its file `model`'s parameters `params`.
pub fn builtin_cases(builtin: BuiltIn, model: &Model, params: &[f64]) -> Result<Vec<Case>> {
    // RK4 needs dt ≤ ≈ 0.02 ms on the Traub neuron (gNa/C ≈ 100 /ms).
    let (init, steps, currents) = match builtin {
        BuiltIn::Traub => (InitialState::Sweep, [0.1, 0.01], (0.0, 200.0)),
        BuiltIn::Hh => (InitialState::Rest, [0.05, 0.05], (0.0, 40.0)),
    };
    let neuron = Neuron::built_in(builtin, model, params, init)?;
    Ok([Method::ExpEuler, Method::Rk4]
        .into_iter()
        .zip(steps)
        .map(|(method, dt_ms)| Case {
            neuron: neuron.clone(),
            method,
            dt_ms,
            currents,
        })
        .collect())
}

/// Both built-in models with both GPU methods.
pub fn cases() -> Vec<Case> {
    [BuiltIn::Traub, BuiltIn::Hh]
        .into_iter()
        .flat_map(|b| {
            let model = b.model();
            builtin_cases(b, &model, &model.default_parameters())
                .expect("the built-in models start from their own states")
        })
        .collect()
}

/// A model file with both GPU methods, at steps every bundled model is stable at (exp-Euler
/// 0.05 ms, RK4 0.01 ms), with currents 0–200 pA (absolute units) or 0–40 µA/cm² (density),
/// the ranges of the built-in checks.
pub fn file_cases(model: &Model, params: &[f64]) -> Vec<Case> {
    let currents = match model.units {
        Units::Absolute => (0.0, 200.0),
        Units::Density => (0.0, 40.0),
    };
    [(Method::ExpEuler, 0.05), (Method::Rk4, 0.01)]
        .map(|(method, dt_ms)| Case {
            neuron: Neuron::file(model, params),
            method,
            dt_ms,
            currents,
        })
        .to_vec()
}

/// Where f64 GPU and CPU trains agree, V after the run may still differ by ulp-level `exp`
/// differences carried through the run; this bounds it [mV].
pub const V_AGREEMENT_F64_MV: f64 = 1e-6;
/// f32 rounding moves spike times by a fraction of a step, so over a run a spike can slip past
/// the end: counts may differ by one for a few neurons.
pub const F32_SAME_COUNT_FRACTION: f64 = 0.995;
/// A train is regular when its inter-spike intervals after the first vary by less than this
/// (coefficient of variation): a limit cycle's vary far less (the physics tests see < 0.01),
/// while a train that skips spikes, as next to a boundary between firing regimes, varies by a
/// whole period. Only regular trains are held to counts within one in f32: in an irregular one
/// any rounding can change the pattern of skipped spikes, so there the equal fraction alone
/// bounds f32 (hh_a near 33 µA/cm² differs by 2).
pub const REGULAR_ISI_CV: f64 = 0.05;

/// Whether the spike steps of one train are regular ([`REGULAR_ISI_CV`]); trains of fewer
/// than three spikes after the first have no intervals to vary and count as regular.
fn regular(steps: &[u64]) -> bool {
    let isi: Vec<f64> = steps
        .windows(2)
        .skip(1)
        .map(|w| (w[1] - w[0]) as f64)
        .collect();
    if isi.len() < 2 {
        return true;
    }
    let mean = isi.iter().sum::<f64>() / isi.len() as f64;
    let var = isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / isi.len() as f64;
    var.sqrt() < REGULAR_ISI_CV * mean
}
/// The software f64 `exp`: Horner rounding of its polynomial (≈ 1 ulp) plus the rounding of the
/// reduced argument (≈ 0.5 ulp of e^r).
pub const EXP_MAX_ULP: u64 = 2;

/// One row of the table.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub check: String,
    pub size: String,
    pub precision: &'static str,
    pub metric: String,
    pub limit: String,
    /// `None` when the adapter cannot run the check (f64 on an adapter without it).
    pub pass: Option<bool>,
}

/// Maximum distance in ulps between the GPU's f64 `exp` and the host's over the arguments the
/// models produce (|x| ≤ 60, densely, and the tiny ones near exprel's series boundary).
pub fn exp_ulp_error(ctx: &GpuContext) -> Result<u64> {
    let mut args: Vec<f64> = (-60_000..=60_000)
        .map(|k| k as f64 * 1e-3 + 1.234e-5)
        .collect();
    args.extend((-300..=300).map(|k| k as f64 * 1e-4));
    let got = exp_check(ctx, &args)?;
    let want = cpu::exp_check(&args);
    let ulps = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs();
    Ok(got
        .iter()
        .zip(&want)
        .map(|(g, w)| ulps(*g, *w))
        .max()
        .unwrap_or(0))
}

/// f64 GPU against f64 CPU: (neurons whose spike steps differ, max |ΔV| at the end where they agree).
pub fn f64_identity(
    ctx: &Arc<GpuContext>,
    case: &Case,
    n: usize,
    duration_ms: f64,
) -> Result<(usize, f64, usize)> {
    let g = case.run(&Engine::Gpu(ctx.clone()), Precision::F64, n, duration_ms)?;
    let c = case.run(&Engine::Cpu, Precision::F64, n, duration_ms)?;
    let differing = (0..n as u32)
        .filter(|&j| g.spikes.steps_of(j) != c.spikes.steps_of(j))
        .count();
    let worst_v =
        g.v.iter()
            .zip(&c.v)
            .fold(0.0_f64, |w, (a, b)| w.max((a - b).abs()));
    Ok((differing, worst_v, c.spikes.len()))
}

/// f32 GPU against f64 CPU spike counts: (fraction equal, largest difference among regular
/// f64 trains, number of irregular ones).
pub fn f32_counts(
    ctx: &Arc<GpuContext>,
    case: &Case,
    n: usize,
    duration_ms: f64,
) -> Result<(f64, u32, usize)> {
    let g = case.run(&Engine::Gpu(ctx.clone()), Precision::F32, n, duration_ms)?;
    let c = case.run(&Engine::Cpu, Precision::F64, n, duration_ms)?;
    let diffs: Vec<u32> = g
        .counts
        .iter()
        .zip(&c.counts)
        .map(|(a, b)| a.abs_diff(*b))
        .collect();
    let same = diffs.iter().filter(|&&d| d == 0).count() as f64 / n as f64;
    let is_regular: Vec<bool> = (0..n as u32)
        .map(|j| regular(&c.spikes.steps_of(j)))
        .collect();
    let worst = (diffs.iter().zip(&is_regular))
        .filter(|(_, r)| **r)
        .map(|(d, _)| *d)
        .max()
        .unwrap_or(0);
    let irregular = is_regular.iter().filter(|r| !**r).count();
    Ok((same, worst, irregular))
}

/// Runs every check of `cases` on `ctx`'s adapter; `step` is called with each check's name
/// before it runs.
pub fn run_checks(
    ctx: &Arc<GpuContext>,
    cases: &[Case],
    n: usize,
    duration_ms: f64,
    mut step: impl FnMut(&str) -> Result<()>,
) -> Result<Vec<Check>> {
    let has_f64 = ctx.adapter.f64;
    let skipped = |check: String, size: String, limit: String| Check {
        check,
        size,
        precision: "f64",
        metric: "skipped: adapter lacks f64".into(),
        limit,
        pass: None,
    };
    let mut rows = Vec::new();

    let exp_limit = format!("≤ {EXP_MAX_ULP} ulp");
    step("software exp")?;
    rows.push(if has_f64 {
        let ulp = exp_ulp_error(ctx)?;
        Check {
            check: "software exp vs f64::exp".into(),
            size: "121 202 args".into(),
            precision: "f64",
            metric: format!("max {ulp} ulp"),
            limit: exp_limit,
            pass: Some(ulp <= EXP_MAX_ULP),
        }
    } else {
        skipped(
            "software exp vs f64::exp".into(),
            "121 202 args".into(),
            exp_limit,
        )
    });

    for case in cases {
        let size = format!("{n} neurons × {} ms", duration_ms);
        let name = format!("{}: spike steps GPU = CPU", case.label());
        let limit = format!("0 differ, |ΔV| ≤ {V_AGREEMENT_F64_MV:e} mV");
        step(&name)?;
        rows.push(if has_f64 {
            let (differing, dv, spikes) = f64_identity(ctx, case, n, duration_ms)?;
            Check {
                check: name,
                size: size.clone(),
                precision: "f64",
                metric: format!("{differing} differ ({spikes} spikes), |ΔV| {dv:.1e} mV"),
                limit,
                pass: Some(differing == 0 && dv <= V_AGREEMENT_F64_MV),
            }
        } else {
            skipped(name, size.clone(), limit)
        });
        let name = format!("{}: spike counts GPU f32 vs CPU f64", case.label());
        step(&name)?;
        let (same, worst, irregular) = f32_counts(ctx, case, n, duration_ms)?;
        rows.push(Check {
            check: name,
            size,
            precision: "f32",
            metric: format!(
                "{:.2} % equal, max diff {worst} ({irregular} irregular)",
                same * 100.0
            ),
            limit: format!(
                "≥ {:.1} % equal, max diff ≤ 1 if regular",
                F32_SAME_COUNT_FRACTION * 100.0
            ),
            pass: Some(same >= F32_SAME_COUNT_FRACTION && worst <= 1),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::regular;

    /// A periodic train (with a longer first interval, as from rest) is regular; one that skips a
    /// spike is not; a train too short to have intervals after the first counts as regular.
    #[test]
    fn trains_that_skip_spikes_are_irregular() {
        let periodic: Vec<u64> = [10]
            .into_iter()
            .chain((1..20).map(|k| 40 + 250 * k))
            .collect();
        assert!(regular(&periodic));
        let mut skipping = periodic.clone();
        skipping.remove(7);
        assert!(!regular(&skipping));
        assert!(regular(&[5, 300, 560]));
        assert!(regular(&[]));
    }
}
