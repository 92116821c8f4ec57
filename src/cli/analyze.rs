//! `hhsim analyze`: bifurcation diagrams, f–I curves and phase planes of one neuron model.

use super::model_choice::{apply_file_overrides, model_file};
use crate::analysis::{
    self, Bifurcation, BifurcationSpec, CycleSearch, FiCurve, Parameter, PhasePlane,
    PhasePlaneSpec, Reduction, System, equilibria,
};
use crate::backend::{BackendChoice, Engine};
use crate::error::{Error, Result};
use crate::integrate::Method;
use crate::kernel::Precision;
use crate::kernel::check::CHECKED_VOLTAGES;
use crate::output::diagram::{self, Labels};
use crate::output::{OutputDir, arrays};
use crate::sweep::parse_range;
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
    /// The plane of V and one gate (n by default) of the reduced model: nullclines, vector
    /// field, fixed points and full-model trajectories; writes phase_plane.json,
    /// phase_plane.npz, phase_plane.png.
    #[command(allow_negative_numbers = true)]
    PhasePlane(Box<PhasePlaneArgs>),
}

/// The largest injected current accepted [the model's current unit]: far beyond any
/// physiological drive of the bundled models (the 1952 model's upper Hopf point is near 155
/// µA/cm²).
pub const MAX_CURRENT: f64 = 10_000.0;

/// The model and its parameter overrides.
#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// Neuron model: `hh` (1952 squid axon, per-area units), `traub` (Traub–Miles, pA/nS),
    /// another bundled model (`hhsim models`) or the path of a model file.
    #[arg(long, default_value = "hh")]
    model: String,
    /// Override a parameter of the model, NAME=VALUE, in the file's units (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Constant injected current [µA/cm² for hh, pA for traub: the model's unit] (default 0).
    #[arg(long)]
    current: Option<f64>,
}

impl ModelArgs {
    /// The model with the overrides applied, the current fixed unless `--param` names it, and
    /// that parameter (when `param` is given).
    fn system(&self, param: Option<&str>) -> Result<(System, Option<Parameter>)> {
        let model = model_file(&self.model)?;
        let current = self.current.unwrap_or(0.0);
        if !(current.is_finite() && current.abs() <= MAX_CURRENT) {
            return Err(Error::invalid(
                "--current",
                current,
                format!(
                    "a current within ±{MAX_CURRENT} {}",
                    model.units.current_unit()
                ),
            ));
        }
        let sys = System::new(model, current);
        let swept = param.map(|name| sys.parameter(name)).transpose()?;
        if self.current.is_some() && swept == Some(Parameter::Current) {
            return Err(Error::invalid(
                "--current",
                current,
                "nothing while --param sweeps the current",
            ));
        }
        let mut params = sys.params().to_vec();
        apply_file_overrides(sys.model(), &mut params, &self.set)?;
        if let Some(Parameter::Model(k)) = swept
            && let Some(item) = self.set.iter().find(|item| {
                item.split_once('=')
                    .is_some_and(|(name, _)| name.trim() == sys.model().parameters[k].0)
            })
        {
            return Err(Error::invalid(
                "--set",
                item,
                "a parameter other than the one --param sweeps",
            ));
        }
        Ok((sys.with_params(params), swept))
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
    /// Default: 100 for hh (whose cycles run at 50 Hz and more), 300 for other models (traub
    /// fires spontaneously at about 14 Hz).
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
    /// The gate on the plane's second axis. Default: n where the model has it, else its last
    /// gate.
    #[arg(long)]
    gate: Option<String>,
    /// How the gates off the plane follow it: `steady` (each at x∞(V)) or `rinzel` (h = 0.89 −
    /// 1.1·n, the others at steady state; the plane's gate must be n). Default: rinzel for hh,
    /// steady for other models.
    #[arg(long, value_enum)]
    reduction: Option<Reduction>,
    /// The V range shown, LOW:HIGH [mV]. Default: -100:60, where every rate is checked finite.
    #[arg(long, value_name = "LOW:HIGH", allow_hyphen_values = true)]
    v_range: Option<String>,
    /// A trajectory start V,X on the plane, X the gate (repeatable). Default: three kicks of
    /// the resting state.
    #[arg(long = "start", value_name = "V,X", allow_hyphen_values = true)]
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

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Bifurcation,
    Fi,
}

/// Splits `--param NAME=START:STOP:COUNT` into the name and its grid.
fn parse_param(text: &str) -> Result<(&str, Vec<f64>)> {
    let Some((name, range)) = text.split_once('=') else {
        return Err(Error::invalid(
            "--param",
            text,
            "NAME=START:STOP:COUNT, e.g. current=0:200:2001",
        ));
    };
    let name = name.trim();
    let (start, stop, count) = parse_range(name, range)?;
    if count > MAX_VALUES {
        return Err(Error::invalid(
            "--param",
            text,
            format!("COUNT ≤ {MAX_VALUES}"),
        ));
    }
    Ok((name, crate::sweep::linspace(start, stop, count)))
}

/// The most values an analysis takes: each is a neuron simulated for the transient and the
/// window and a Newton search for its equilibria (about 1 KiB and a few ms each), and a
/// diagram finer than this resolves nothing more on one axis.
const MAX_VALUES: usize = 100_000;

/// The name figures give a model.
fn model_title(model: &crate::model::Model) -> String {
    match model.name.as_str() {
        "hh" => "HH 1952".to_string(),
        "traub" => "Traub–Miles".to_string(),
        name => name.to_string(),
    }
}

/// What a sweep's JSON says besides its results.
#[derive(Serialize)]
struct RunInfo {
    model: String,
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
    let (name, values) = parse_param(&args.param)?;
    let (base, param) = args.model.system(Some(name))?;
    let param = param.expect("a parameter was named");
    let model = base.model().clone();
    let spec = BifurcationSpec {
        base,
        param,
        values,
        search: CycleSearch {
            method: args.engine.method,
            precision: args.engine.precision,
            dt_ms: args.engine.dt,
            transient_ms: args.transient,
            window_ms: args
                .window
                .unwrap_or(if model.name == "hh" { 100.0 } else { 300.0 }),
        },
    };
    // The unit of the swept quantity: the current's, or none a file names for a parameter.
    let unit = match param {
        Parameter::Current => model.units.current_unit(),
        Parameter::Model(_) => "",
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
    let (engine, result) = outcome?;
    let info = RunInfo {
        model: model.name.clone(),
        unit,
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
            model_title(&model),
            match kind {
                Kind::Bifurcation => "bifurcation diagram",
                Kind::Fi => "f–I curve, up and down sweeps",
            },
            spec.search.method.name(),
            spec.search.precision.name(),
            spec.search.dt_ms
        ),
        param: match param {
            Parameter::Current => format!("I ({unit})"),
            Parameter::Model(_) => name.to_string(),
        },
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
    dir.finish();
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
    let dim = eq.first().map_or(0, |e| e.eigenvalues.len());
    let eigen = Array3::from_shape_fn((eq.len(), dim, 2), |(i, k, c)| eq[i].eigenvalues[k][c]);
    let eq_stable: Array1<bool> = eq.iter().map(|e| e.stable).collect();
    let up = |dir: &analysis::Direction| *dir == analysis::Direction::Up;
    let cycle_up: Array1<bool> = d.cycles.iter().map(|c| up(&c.direction)).collect();
    let cycle_fold_up: Array1<bool> = d.cycle_fold.iter().map(|c| up(&c.direction)).collect();
    // One column per gate, `eq_<gate>`, in the model's state order.
    let gate_names: Vec<String> = eq.first().map_or(Vec::new(), |e| {
        e.gates
            .iter()
            .map(|(name, _)| format!("eq_{name}"))
            .collect()
    });
    let gate_columns: Vec<Array1<f64>> = (0..gate_names.len())
        .map(|k| column(eq, |e| e.gates[k].1))
        .collect();
    let values = Array1::from(d.values.clone());
    let columns = [
        ("eq_value", column(eq, |e| e.value)),
        ("eq_v", column(eq, |e| e.v)),
        ("hopf_value", column(&d.hopf, |h| h.value)),
        ("hopf_v", column(&d.hopf, |h| h.v)),
        ("hopf_frequency_hz", column(&d.hopf, |h| h.frequency_hz)),
        ("fold_value", column(&d.fold, |f| f.value)),
        ("fold_v", column(&d.fold, |f| f.v)),
        ("cycle_fold_value", column(&d.cycle_fold, |f| f.value)),
        ("cycle_value", column(&d.cycles, |c| c.value)),
        ("cycle_v_min", column(&d.cycles, |c| c.v_min)),
        ("cycle_v_max", column(&d.cycles, |c| c.v_max)),
        ("cycle_period_ms", column(&d.cycles, |c| c.period_ms)),
        ("cycle_frequency_hz", column(&d.cycles, |c| c.frequency_hz)),
    ];
    let mut arrays: Vec<(&str, &dyn arrays::WriteNpyArray)> = vec![
        ("values", &values),
        ("eq_stable", &eq_stable),
        ("eq_eigenvalues", &eigen),
        ("cycle_fold_up", &cycle_fold_up),
        ("cycle_up", &cycle_up),
    ];
    arrays.extend(
        columns
            .iter()
            .map(|(name, a)| (*name, a as &dyn arrays::WriteNpyArray)),
    );
    arrays.extend(
        gate_names
            .iter()
            .zip(&gate_columns)
            .map(|(name, a)| (name.as_str(), a as &dyn arrays::WriteNpyArray)),
    );
    arrays::write_npz_arrays(dir, "bifurcation.npz", &arrays)
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
    model: &'a str,
    current: f64,
    set: &'a [String],
    gate: &'a str,
    reduction: Reduction,
    v_range: (f64, f64),
    starts: &'a [(f64, f64)],
    fixed_points: &'a [analysis::FixedPoint],
    wall_s: f64,
}

/// The state index of `--gate`, or n where the model has it, else its last gate.
fn plane_gate(sys: &System, name: Option<&str>) -> Result<usize> {
    let states = &sys.model().states;
    match name {
        Some(name) => sys.state_index(name).filter(|&k| k > 0).ok_or_else(|| {
            Error::invalid(
                "--gate",
                name,
                format!(
                    "a gate of {} with kinetics: {}",
                    sys.model().name,
                    states[1..].join(", ")
                ),
            )
        }),
        None => Ok(sys.state_index("n").unwrap_or(states.len() - 1)),
    }
}

fn run_phase_plane(args: PhasePlaneArgs, started: Instant) -> Result<()> {
    let (sys, _) = args.model.system(None)?;
    if sys.dim() < 2 {
        return Err(Error::invalid(
            "--model",
            &args.model.model,
            "a model with at least one gate with kinetics, for the plane's second axis",
        ));
    }
    let gate = plane_gate(&sys, args.gate.as_deref())?;
    let v_range = match &args.v_range {
        Some(text) => pair("--v-range", text, ':', "LOW:HIGH [mV], e.g. -90:60")?,
        None => CHECKED_VOLTAGES,
    };
    let starts = if args.starts.is_empty() {
        let rest = match equilibria(&sys).first() {
            Some(e) => (e.v(), e.state[gate]),
            None => {
                let v = sys.model().initial[0].expect("v has an initial value");
                (v, sys.resting_at(v)[gate])
            }
        };
        vec![
            (rest.0 + 3.0, rest.1),
            (rest.0 + 15.0, rest.1),
            (rest.0 + 15.0, (rest.1 + 0.2).min(1.0)),
        ]
    } else {
        args.starts
            .iter()
            .map(|s| pair("--start", s, ',', "V,X, e.g. -50,0.4"))
            .collect::<Result<_>>()?
    };
    let model = sys.model().clone();
    let gate_name = model.states[gate].clone();
    let spec = PhasePlaneSpec {
        sys,
        gate,
        reduction: args.reduction.unwrap_or(if model.name == "hh" {
            Reduction::Rinzel
        } else {
            Reduction::Steady
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
    let plane = analysis::phase_plane(&spec)?;
    write_phase_plane_npz(&dir, &plane)?;
    let labels = Labels {
        title: format!(
            "{}: V–{gate_name} plane, I = {} {}, {}",
            model_title(&model),
            spec.sys.current,
            model.units.current_unit(),
            match spec.reduction {
                Reduction::Rinzel => "h = 0.89 − 1.1 n",
                Reduction::Steady => "other gates at x∞(V)",
            }
        ),
        param: gate_name.clone(),
    };
    diagram::write_phase_plane_png(&dir, &plane, &labels)?;
    let report = PhasePlaneReport {
        model: &model.name,
        current: spec.sys.current,
        set: &args.model.set,
        gate: &gate_name,
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
    dir.finish();
    Ok(())
}

/// `_n` in these names is the plane's gate, which `phase_plane.json` names.
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
            ("fixed_n", &column(&p.fixed_points, |f| f.gate)),
            ("fixed_stable", &fixed_stable),
            ("trajectory_t", &traj(|s| s.0)),
            ("trajectory_v", &traj(|s| s.1)),
            ("trajectory_n", &traj(|s| s.2)),
        ],
    )
}
