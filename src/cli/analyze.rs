//! `hhsim analyze`: bifurcation diagrams, f–I curves and phase planes of one neuron model.

use super::shared_args::ModelArg;
use crate::analysis::{
    self, Bifurcation, BifurcationSpec, CycleSearch, FiCurve, PhasePlane, PhasePlaneSpec,
    Reduction, System, equilibria,
};
use crate::backend::{BackendChoice, Engine};
use crate::error::{Error, Result};
use crate::integrate::Method;
use crate::model::{ModelKind, Precision};
use crate::output::diagram::{self, Labels};
use crate::output::{OutputDir, arrays};
use crate::sweep::{Axis, SweepParam};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{Array1, Array2, Array3};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Subcommand, Debug)]
pub enum AnalyzeCommand {
    /// Equilibria with their stability, Hopf points, folds, and limit cycles in both sweep
    /// directions along one parameter; writes bifurcation.json, bifurcation.npz,
    /// bifurcation.png.
    #[command(allow_negative_numbers = true)]
    Bifurcation(Box<SweepArgs>),
    /// The firing frequency along one parameter (usually the current) swept up and down, with
    /// the rheobase and the minimum frequency; writes fi.json, fi.npz, fi.png.
    #[command(allow_negative_numbers = true)]
    Fi(Box<SweepArgs>),
    /// The V–n plane of the reduced model: nullclines, vector field, fixed points and full-model
    /// trajectories; writes phase_plane.json, phase_plane.npz, phase_plane.png.
    #[command(allow_negative_numbers = true)]
    PhasePlane(Box<PhasePlaneArgs>),
}

/// The largest injected current accepted [µA/cm² for hh, pA for traub]: far beyond any
/// physiological drive of either model (the classic model's upper Hopf point is near 155).
pub const MAX_CURRENT: f64 = 10_000.0;

/// The model and its parameter overrides.
#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// Neuron model: `hh` (1952 squid axon, per-area units) or `traub` (Traub–Miles, pA/nS).
    #[arg(long, value_enum, default_value = "hh")]
    model: ModelArg,
    /// Override a parameter, NAME=VALUE, in the units of `sweep --axis` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Constant injected current [µA/cm² for hh, pA for traub] (default 0).
    #[arg(long)]
    current: Option<f64>,
}

impl ModelArgs {
    /// The model with the overrides applied, and the current fixed unless `swept` is it.
    fn system(&self, swept: Option<SweepParam>) -> Result<System> {
        let params = self.model.params(None)?;
        let kind = params.kind;
        let current = self.current.unwrap_or(0.0);
        if !(current.is_finite() && current.abs() <= MAX_CURRENT) {
            return Err(Error::invalid(
                "--current",
                current,
                format!("a current within ±{MAX_CURRENT} {}", current_unit(kind)),
            ));
        }
        if self.current.is_some() && swept == Some(SweepParam::Current) {
            return Err(Error::invalid(
                "--current",
                current,
                "nothing while --param sweeps the current",
            ));
        }
        let mut sys = System::new(params, current);
        for item in &self.set {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| Error::invalid("--set", item, "NAME=VALUE, e.g. gl=0.3"))?;
            let param = System::parameter(kind, name.trim())?;
            let value: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| Error::invalid("--set", item, "NAME=VALUE with a finite VALUE"))?;
            if Some(param) == swept {
                return Err(Error::invalid(
                    "--set",
                    item,
                    "a parameter other than the one --param sweeps",
                ));
            }
            sys = sys.with(param, value);
        }
        Ok(sys)
    }
}

/// How the engine simulates.
#[derive(clap::Args, Debug)]
pub struct EngineArgs {
    /// `auto`: a GPU adapter if there is one (software ones included), else the CPU.
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendChoice,
    #[arg(long, value_enum, default_value = "f64")]
    precision: Precision,
    #[arg(long, value_enum, default_value = "exp-euler")]
    method: Method,
    /// Time step [ms].
    #[arg(long, default_value_t = 0.01)]
    dt: f64,
}

#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The parameter and its grid, NAME=START:STOP:COUNT (both ends included, COUNT ≥ 3).
    #[arg(long, value_name = "NAME=START:STOP:COUNT")]
    param: String,
    #[command(flatten)]
    engine: EngineArgs,
    /// Time each start is given to settle before it is sampled [ms].
    #[arg(long, default_value_t = 300.0)]
    transient: f64,
    /// Time sampled after the transient to classify a start [ms]; a cycle needs 3 periods in it.
    /// Default: 100 for hh (whose cycles run at 50 Hz and more), 300 for traub (it fires
    /// spontaneously at about 14 Hz).
    #[arg(long)]
    window: Option<f64>,
    /// Output directory.
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct PhasePlaneArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// How h follows the plane: `rinzel` (h = 0.89 − 1.1·n) or `steady` (h = h∞(V)).
    /// Default: rinzel for hh, steady for traub.
    #[arg(long, value_enum)]
    reduction: Option<Reduction>,
    /// The V range shown, LOW:HIGH [mV]. Default: EK − 10 to ENa + 5.
    #[arg(long, value_name = "LOW:HIGH", allow_hyphen_values = true)]
    v_range: Option<String>,
    /// A trajectory start V,N on the plane (repeatable). Default: three kicks of the resting
    /// state.
    #[arg(long = "start", value_name = "V,N", allow_hyphen_values = true)]
    starts: Vec<String>,
    #[arg(long, value_enum, default_value = "exp-euler")]
    method: Method,
    /// Time step of the trajectories [ms].
    #[arg(long, default_value_t = 0.01)]
    dt: f64,
    /// Length of each trajectory [ms].
    #[arg(long, default_value_t = 50.0)]
    duration: f64,
    /// Output directory.
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

pub fn run(command: AnalyzeCommand, started: Instant) -> Result<()> {
    match command {
        AnalyzeCommand::Bifurcation(args) => run_sweep(*args, started, Kind::Bifurcation),
        AnalyzeCommand::Fi(args) => run_sweep(*args, started, Kind::Fi),
        AnalyzeCommand::PhasePlane(args) => run_phase_plane(*args, started),
    }
}

fn current_unit(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Classic => "µA/cm²",
        ModelKind::Traub => "pA",
    }
}

fn model_title(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Classic => "HH 1952",
        ModelKind::Traub => "Traub–Miles",
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Bifurcation,
    Fi,
}

/// Parses `--param NAME=START:STOP:COUNT` for a model.
fn parse_param(kind: ModelKind, text: &str) -> Result<Axis> {
    let Some((name, range)) = text.split_once('=') else {
        return Err(Error::invalid(
            "--param",
            text,
            "NAME=START:STOP:COUNT, e.g. current=0:200:2001",
        ));
    };
    Axis::parse(System::parameter(kind, name.trim())?, range)
}

/// What a sweep's JSON says besides its results.
#[derive(Serialize)]
struct RunInfo {
    model: ModelKind,
    unit: &'static str,
    current: Option<f64>,
    set: Vec<String>,
    backend: &'static str,
    adapter: Option<String>,
    search: CycleSearch,
    wall_s: f64,
}

#[derive(Serialize)]
struct Report<'a, T: Serialize> {
    #[serde(flatten)]
    result: &'a T,
    #[serde(flatten)]
    info: RunInfo,
}

fn run_sweep(args: SweepArgs, started: Instant, kind: Kind) -> Result<()> {
    let model_kind = args.model.model.params(None)?.kind;
    let axis = parse_param(model_kind, &args.param)?;
    let spec = BifurcationSpec {
        base: args.model.system(Some(axis.param))?,
        param: axis.param,
        values: axis.values(),
        search: CycleSearch {
            method: args.engine.method,
            precision: args.engine.precision,
            dt_ms: args.engine.dt,
            transient_ms: args.transient,
            window_ms: args.window.unwrap_or(match model_kind {
                ModelKind::Classic => 100.0,
                ModelKind::Traub => 300.0,
            }),
        },
    };
    spec.validate()?;
    let dir = OutputDir::create(&args.out)?;
    let outcome = (|| {
        let engine = Engine::select(
            args.engine.backend,
            args.engine.precision,
            args.engine.method,
        )?;
        // indicatif draws only on a terminal: piped runs stay quiet.
        let bar = ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}").expect("valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        let progress = |stage: &str| bar.set_message(stage.to_string());
        let result = match kind {
            Kind::Bifurcation => {
                Outcome::Bifurcation(analysis::bifurcation(&engine, &spec, progress)?)
            }
            Kind::Fi => Outcome::Fi(analysis::fi_curve(&engine, &spec, progress)?),
        };
        bar.finish_and_clear();
        Ok((engine, result))
    })();
    let (engine, result) = match outcome {
        Ok(done) => done,
        Err(e) => {
            dir.discard_if_empty();
            return Err(e);
        }
    };
    let info = RunInfo {
        model: model_kind,
        unit: axis.param.unit(model_kind),
        current: args.model.current,
        set: args.model.set.clone(),
        backend: engine.backend_name(),
        adapter: engine.adapter_name(),
        search: spec.search,
        wall_s: started.elapsed().as_secs_f64(),
    };
    let labels = Labels {
        title: format!(
            "{}: {} ({}, {}, dt = {} ms)",
            model_title(model_kind),
            match kind {
                Kind::Bifurcation => "bifurcation diagram",
                Kind::Fi => "f–I curve, up and down sweeps",
            },
            spec.search.method.name(),
            spec.search.precision.name(),
            spec.search.dt_ms
        ),
        param: format!("{} ({})", axis.param.symbol(), axis.param.unit(model_kind)),
    };
    match result {
        Outcome::Bifurcation(d) => {
            write_bifurcation_npz(&dir, &d)?;
            diagram::write_bifurcation_png(&dir, &d, &labels)?;
            let report = Report { result: &d, info };
            dir.write_json("bifurcation.json", &report)?;
            println!(
                "{} values: {} equilibria, {} Hopf point(s), {} fold(s), {} cycle fold(s), {} cycles in {:.2} s (equilibria {:.2} s, cycles {:.2} s); results in {}",
                d.values.len(),
                d.equilibria.len(),
                d.hopf.len(),
                d.fold.len(),
                d.cycle_fold.len(),
                d.cycles.len(),
                report.info.wall_s,
                d.effort.equilibria_s,
                d.effort.cycles_s,
                dir.path().display()
            );
        }
        Outcome::Fi(f) => {
            write_fi_npz(&dir, &f)?;
            diagram::write_fi_png(&dir, &f, &labels)?;
            let report = Report { result: &f, info };
            dir.write_json("fi.json", &report)?;
            println!(
                "{} values: rheobase {}, minimum frequency {} in {:.2} s; results in {}",
                f.values.len(),
                f.rheobase
                    .map_or("none".into(), |r| format!("{r} {}", report.info.unit)),
                f.min_frequency_hz
                    .map_or("none".into(), |h| format!("{h:.2} Hz")),
                report.info.wall_s,
                dir.path().display()
            );
        }
    }
    Ok(())
}

enum Outcome {
    Bifurcation(Bifurcation),
    Fi(FiCurve),
}

fn column<T: Clone>(items: &[T], pick: impl Fn(&T) -> f64) -> Array1<f64> {
    items.iter().map(pick).collect()
}

fn write_bifurcation_npz(dir: &OutputDir, d: &Bifurcation) -> Result<()> {
    let eq = &d.equilibria;
    let eigen = Array3::from_shape_fn((eq.len(), 4, 2), |(i, k, c)| eq[i].eigenvalues[k][c]);
    let eq_stable: Array1<bool> = eq.iter().map(|e| e.stable).collect();
    let up = |dir: &analysis::Direction| *dir == analysis::Direction::Up;
    let cycle_up: Array1<bool> = d.cycles.iter().map(|c| up(&c.direction)).collect();
    let cycle_fold_up: Array1<bool> = d.cycle_fold.iter().map(|c| up(&c.direction)).collect();
    arrays::write_npz_arrays(
        dir,
        "bifurcation.npz",
        &[
            ("values", &Array1::from(d.values.clone())),
            ("eq_value", &column(eq, |e| e.value)),
            ("eq_v", &column(eq, |e| e.v)),
            ("eq_m", &column(eq, |e| e.m)),
            ("eq_h", &column(eq, |e| e.h)),
            ("eq_n", &column(eq, |e| e.n)),
            ("eq_stable", &eq_stable),
            ("eq_eigenvalues", &eigen),
            ("hopf_value", &column(&d.hopf, |h| h.value)),
            ("hopf_v", &column(&d.hopf, |h| h.v)),
            ("hopf_frequency_hz", &column(&d.hopf, |h| h.frequency_hz)),
            ("fold_value", &column(&d.fold, |f| f.value)),
            ("fold_v", &column(&d.fold, |f| f.v)),
            ("cycle_fold_value", &column(&d.cycle_fold, |f| f.value)),
            ("cycle_fold_up", &cycle_fold_up),
            ("cycle_value", &column(&d.cycles, |c| c.value)),
            ("cycle_v_min", &column(&d.cycles, |c| c.v_min)),
            ("cycle_v_max", &column(&d.cycles, |c| c.v_max)),
            ("cycle_period_ms", &column(&d.cycles, |c| c.period_ms)),
            ("cycle_frequency_hz", &column(&d.cycles, |c| c.frequency_hz)),
            ("cycle_up", &cycle_up),
        ],
    )
}

fn write_fi_npz(dir: &OutputDir, f: &FiCurve) -> Result<()> {
    arrays::write_npz_arrays(
        dir,
        "fi.npz",
        &[
            ("values", &Array1::from(f.values.clone())),
            ("up_hz", &Array1::from(f.up_hz.clone())),
            ("down_hz", &Array1::from(f.down_hz.clone())),
        ],
    )
}

/// Parses `A<sep>B` into two finite numbers.
fn pair(name: &'static str, text: &str, sep: char, expected: &str) -> Result<(f64, f64)> {
    let bad = || Error::invalid(name, text, expected);
    let (a, b) = text.split_once(sep).ok_or_else(bad)?;
    let a: f64 = a.trim().parse().map_err(|_| bad())?;
    let b: f64 = b.trim().parse().map_err(|_| bad())?;
    if !(a.is_finite() && b.is_finite()) {
        return Err(bad());
    }
    Ok((a, b))
}

/// The phase plane's JSON: the fixed points and what was drawn.
#[derive(Serialize)]
struct PhasePlaneReport<'a> {
    model: ModelKind,
    current: f64,
    set: &'a [String],
    reduction: Reduction,
    v_range: (f64, f64),
    starts: &'a [(f64, f64)],
    fixed_points: &'a [analysis::FixedPoint],
    wall_s: f64,
}

fn run_phase_plane(args: PhasePlaneArgs, started: Instant) -> Result<()> {
    let sys = args.model.system(None)?;
    let p = &sys.params;
    let v_range = match &args.v_range {
        Some(text) => pair("--v-range", text, ':', "LOW:HIGH [mV], e.g. -90:60")?,
        None => (p.e_k - 10.0, p.e_na + 5.0),
    };
    let starts = if args.starts.is_empty() {
        let rest = equilibria(&sys)
            .first()
            .map_or((p.e_l, p.gates_at_rest(p.e_l).n), |e| (e.v(), e.state[3]));
        vec![
            (rest.0 + 3.0, rest.1),
            (rest.0 + 15.0, rest.1),
            (rest.0 + 15.0, (rest.1 + 0.2).min(1.0)),
        ]
    } else {
        args.starts
            .iter()
            .map(|s| pair("--start", s, ',', "V,N, e.g. -50,0.4"))
            .collect::<Result<_>>()?
    };
    let spec = PhasePlaneSpec {
        sys,
        reduction: args.reduction.unwrap_or(match p.kind {
            ModelKind::Classic => Reduction::Rinzel,
            ModelKind::Traub => Reduction::Steady,
        }),
        v_range,
        n_range: (0.0, 1.0),
        starts,
        method: args.method,
        dt_ms: args.dt,
        duration_ms: args.duration,
    };
    spec.validate()?;
    let dir = OutputDir::create(&args.out)?;
    let plane = match analysis::phase_plane(&spec) {
        Ok(plane) => plane,
        Err(e) => {
            dir.discard_if_empty();
            return Err(e);
        }
    };
    write_phase_plane_npz(&dir, &plane)?;
    let labels = Labels {
        title: format!(
            "{}: V–n plane, I = {} {}, h {}",
            model_title(p.kind),
            sys.current,
            current_unit(p.kind),
            match spec.reduction {
                Reduction::Rinzel => "= 0.89 − 1.1 n",
                Reduction::Steady => "= h∞(V)",
            }
        ),
        param: String::new(),
    };
    diagram::write_phase_plane_png(&dir, &plane, &labels)?;
    let report = PhasePlaneReport {
        model: p.kind,
        current: sys.current,
        set: &args.model.set,
        reduction: spec.reduction,
        v_range,
        starts: &spec.starts,
        fixed_points: &plane.fixed_points,
        wall_s: started.elapsed().as_secs_f64(),
    };
    dir.write_json("phase_plane.json", &report)?;
    let kinds: Vec<String> = plane
        .fixed_points
        .iter()
        .map(|f| format!("{} at V = {:.3} mV", f.kind, f.v))
        .collect();
    println!(
        "fixed points: {}; results in {}",
        if kinds.is_empty() {
            "none".into()
        } else {
            kinds.join(", ")
        },
        dir.path().display()
    );
    Ok(())
}

fn write_phase_plane_npz(dir: &OutputDir, p: &PhasePlane) -> Result<()> {
    let grid = |g: &[Vec<f64>]| Array2::from_shape_fn((g.len(), g[0].len()), |(j, i)| g[j][i]);
    let samples = p.trajectories.iter().map(Vec::len).max().unwrap_or(0);
    // Trajectories all have the same length; NaN would pad a shorter one.
    let traj = |pick: fn(&(f64, f64, f64)) -> f64| {
        Array2::from_shape_fn((p.trajectories.len(), samples), |(k, s)| {
            p.trajectories[k].get(s).map_or(f64::NAN, pick)
        })
    };
    let fixed_stable: Array1<bool> = p.fixed_points.iter().map(|f| f.stable).collect();
    arrays::write_npz_arrays(
        dir,
        "phase_plane.npz",
        &[
            ("field_v", &Array1::from(p.field_v.clone())),
            ("field_n", &Array1::from(p.field_n.clone())),
            ("field_dv", &grid(&p.field_dv)),
            ("field_dn", &grid(&p.field_dn)),
            ("v_nullcline_v", &column(&p.v_nullcline, |q| q.0)),
            ("v_nullcline_n", &column(&p.v_nullcline, |q| q.1)),
            ("n_nullcline_v", &column(&p.n_nullcline, |q| q.0)),
            ("n_nullcline_n", &column(&p.n_nullcline, |q| q.1)),
            ("fixed_v", &column(&p.fixed_points, |f| f.v)),
            ("fixed_n", &column(&p.fixed_points, |f| f.n)),
            ("fixed_stable", &fixed_stable),
            ("trajectory_t", &traj(|s| s.0)),
            ("trajectory_v", &traj(|s| s.1)),
            ("trajectory_n", &traj(|s| s.2)),
        ],
    )
}
