//! `hhsim sweep`: a parameter grid of uncoupled neurons, run in chunks that are kept on disk
//! (so `--resume` continues an interrupted run), optionally as one shard of several; and
//! `hhsim merge`, which joins shards into the result of the whole grid.

use super::Host;
use super::model_choice::{ModelChoice, parameter_names};
use super::shared_args::StimulusArgs;
use crate::backend::population::RunConfig;
use crate::backend::{BackendChoice, Engine};
use crate::error::{Error, Result};
use crate::integrate::Method;
use crate::kernel::Precision;
use crate::output::OutputDir;
use crate::output::arrays::write_npy;
use crate::output::plot::{RateFigure, write_rate_png};
use crate::sweep::grid::{Axis, Grid, GridKey};
use crate::sweep::{CELLS_PER_CHUNK, Shard, chunks};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{Array1, Array2, ArrayD, IxDyn};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// Neuron model: `traub`, `hh`, a bundled model file (`traub_km`, `hh_a`) or the path of a
    /// model file, whose parameters are then the axis names.
    #[arg(long, default_value = "traub")]
    model: String,
    /// gNa axis (columns) [mS/cm²], both ends included.
    #[arg(
        long,
        value_name = "START:STOP:COUNT",
        default_value = "10:100:300",
        conflicts_with = "axis"
    )]
    gna: String,
    /// Current axis (rows) [pA for traub, µA/cm² for hh], both ends included.
    #[arg(
        long,
        value_name = "START:STOP:COUNT",
        default_value = "0:20:300",
        conflicts_with = "axis"
    )]
    current: String,
    /// Any parameter as an axis, given once (an f–I style curve) or twice (first: columns,
    /// second: rows), instead of --gna and --current (which only traub and hh have). NAME is
    /// current, threshold or a parameter of the model file (`hhsim models` lists them; hh's T
    /// is also `temperature`).
    #[arg(long, value_name = "NAME=START:STOP:COUNT")]
    axis: Vec<String>,
    #[arg(long, value_enum, default_value = "exp-euler")]
    method: Method,
    #[arg(long, value_enum, default_value = "f32")]
    precision: Precision,
    /// Time step [ms].
    #[arg(long, default_value_t = 0.1)]
    dt: f64,
    /// Simulated time [ms].
    #[arg(long, default_value_t = 1000.0)]
    duration: f64,
    /// Override a parameter, NAME=VALUE (repeatable), by the names of `--axis` (not an axis
    /// of this sweep), or `threshold` [mV].
    #[arg(long = "set", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub set: Vec<String>,
    /// Temperature [°C] of every hh cell (unless it is an axis).
    #[arg(long)]
    temperature: Option<f64>,
    #[command(flatten)]
    stimulus: StimulusArgs,
    /// `auto`: a GPU adapter if there is one (software ones included), else the CPU.
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendChoice,
    /// Run only part K of N of the grid (e.g. a Slurm array task); join parts with `hhsim merge`.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Continue an interrupted run in --out, keeping its finished chunks.
    #[arg(long)]
    resume: bool,
    /// Cells per chunk: each chunk is one batch on the backend and one checkpoint on disk.
    #[arg(long, default_value_t = CELLS_PER_CHUNK)]
    chunk_cells: usize,
    /// Output directory.
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

/// What identifies a run in its directory: `--resume` continues only the same run, and
/// `merge` joins shards of the same grid. Written first, as `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct RunKey {
    /// The grid, under the key model files' grids have always been written with (so that
    /// their directories still resume and merge).
    #[serde(rename = "file")]
    grid: GridKey,
    shard: Option<Shard>,
    /// The cells this run covers, [start, end) in row-major order.
    cells: (usize, usize),
    chunk_cells: usize,
}

const KEY_FILE: &str = "sweep.json";
const PART_FILE: &str = "spike_counts_part.npy";
const CHUNK_DIR: &str = "chunks";

fn read_key(dir: &Path) -> Result<RunKey> {
    let path = dir.join(KEY_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::invalid(
            "sweep directory",
            dir.display(),
            format!("a sweep's --out directory with {KEY_FILE} ({e})"),
        )
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::invalid(
            "sweep file",
            path.display(),
            format!("a {KEY_FILE} written by hhsim sweep ({e})"),
        )
    })?;
    if value.get("spec").is_some() {
        return Err(Error::invalid(
            "sweep file",
            path.display(),
            format!(
                "a {KEY_FILE} of this version: it holds a built-in model's grid as versions before model files wrote it; run that sweep again (without --resume), whose counts are the same"
            ),
        ));
    }
    let mut key: RunKey = serde_json::from_value(value).map_err(|e| {
        Error::invalid(
            "sweep file",
            path.display(),
            format!("a {KEY_FILE} written by hhsim sweep ({e})"),
        )
    })?;
    key.grid.fill_threshold()?;
    Ok(key)
}

fn chunk_name(chunk: &std::ops::Range<usize>) -> String {
    format!("cells-{:010}-{:010}.npy", chunk.start, chunk.end)
}

/// What `summary.json` records about a sweep, a shard of one, or a merge.
#[derive(Serialize)]
pub struct Summary {
    command: &'static str,
    /// The grid ([`SweepGrid::describe`]).
    #[serde(flatten)]
    grid: serde_json::Map<String, serde_json::Value>,
    shard: Option<Shard>,
    cells: (usize, usize),
    total_spikes: u64,
    backend: Option<&'static str>,
    adapter: Option<String>,
    neuron_steps_per_s: Option<f64>,
    wall_s: f64,
    setup_s: Option<f64>,
    simulate_s: Option<f64>,
    resumed_chunks: usize,
    merged_from: Vec<PathBuf>,
}

pub fn run(args: SweepArgs, started: Instant) -> Result<()> {
    let grid = grid_from(&args)?;
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let range = shard.map_or(0..grid.n_cells(), |s| s.cells(grid.n_cells()));
    let key = grid.key(&args.model, shard, &range, args.chunk_cells);
    // Owned before its checkpoint is read: no other run can write into it meanwhile.
    let dir = OutputDir::create(&args.out)?;
    if args.resume {
        let found = read_key(&args.out)?;
        if found != key {
            return Err(Error::invalid(
                "--resume",
                args.out.display(),
                "a directory holding this same sweep (grid, model, method, precision, dt, duration, stimulus, shard and chunk size)",
            ));
        }
        let result = if shard.is_some() {
            PART_FILE
        } else {
            "spike_counts.npy"
        };
        if !args.out.join(CHUNK_DIR).exists() && args.out.join(result).exists() {
            return Err(Error::invalid(
                "--resume",
                args.out.display(),
                format!(
                    "an unfinished sweep: this one is complete ({result} is written); rerun without --resume to compute it again"
                ),
            ));
        }
    }
    let (precision, method) = grid.precision_and_method();
    let engine = Engine::select(args.backend, precision, method)?;
    if !args.resume {
        dir.write_json(KEY_FILE, &key)?;
    }
    let chunk_dir = dir.subdir(CHUNK_DIR)?;
    let setup_s = started.elapsed().as_secs_f64();

    let chunks = chunks(range.clone(), args.chunk_cells);
    let bar = ProgressBar::new(range.len() as u64)
        .with_style(ProgressStyle::with_template(PROGRESS_TEMPLATE).expect("valid template"));
    let sim_start = Instant::now();
    let mut counts = Vec::with_capacity(range.len());
    let mut resumed = 0;
    for (done, chunk) in chunks.iter().enumerate() {
        let part = match run_or_resume(&grid, &engine, &chunk_dir, chunk, args.resume) {
            Ok((part, from_disk)) => {
                resumed += usize::from(from_disk);
                part
            }
            // A failure that another try may not meet (I/O, the GPU, an interrupt) keeps the
            // finished chunks; a run that went non-finite or met bad data would meet it again.
            Err(e)
                if done > 0 && e.exit_code() != 2 && !matches!(e, Error::NonFiniteCell { .. }) =>
            {
                dir.finish();
                return Err(Error::Checkpointed {
                    error: Box::new(e),
                    kept: done,
                    dir: chunk_dir.path().to_owned(),
                });
            }
            Err(e) => return Err(e),
        };
        counts.extend(part);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let simulate_s = sim_start.elapsed().as_secs_f64();
    let run_cells = chunks.iter().skip(resumed).map(|c| c.len()).sum::<usize>();
    let n_steps = grid.n_steps();

    let mut summary = Summary {
        command: "sweep",
        grid: grid.describe(&args.model),
        shard,
        cells: key.cells,
        total_spikes: counts.iter().map(|&c| u64::from(c)).sum(),
        backend: Some(engine.backend_name()),
        adapter: engine.adapter_name(),
        neuron_steps_per_s: Some((run_cells * n_steps) as f64 / simulate_s),
        wall_s: 0.0,
        setup_s: Some(setup_s),
        simulate_s: Some(simulate_s),
        resumed_chunks: resumed,
        merged_from: Vec::new(),
    };
    if shard.is_some() {
        write_npy(&dir, PART_FILE, &Array1::from(counts))?;
    } else {
        grid.write(&dir, counts)?;
    }
    summary.wall_s = started.elapsed().as_secs_f64();
    dir.write_json("summary.json", &summary)?;
    // The chunks are checkpoints only; the result files now hold everything.
    std::fs::remove_dir_all(chunk_dir.path()).map_err(|e| Error::Write {
        path: chunk_dir.path().to_owned(),
        reason: e.to_string(),
    })?;
    let out = dir.path().display().to_string();
    dir.finish();
    println!(
        "{} cells × {n_steps} steps in {:.2} s ({:.3e} neuron-steps/s); results in {out}",
        range.len(),
        summary.wall_s,
        summary.neuron_steps_per_s.unwrap_or(0.0),
    );
    Ok(())
}

/// One chunk's counts: read from its checkpoint when resuming and it is there (`true`), else
/// run and checkpointed.
fn run_or_resume(
    grid: &SweepGrid,
    engine: &Engine,
    chunk_dir: &OutputDir,
    chunk: &std::ops::Range<usize>,
    resume: bool,
) -> Result<(Vec<u32>, bool)> {
    let name = chunk_name(chunk);
    let path = chunk_dir.path().join(&name);
    if resume && path.exists() {
        match read_chunk(&path, chunk.len()) {
            Ok(part) => return Ok((part, true)),
            Err(reason) => crate::notes::note(&format!(
                "checkpoint {} is unusable ({reason}); its cells are computed again",
                path.display()
            )),
        }
    }
    let part = grid.run_chunk(engine, chunk.clone())?;
    let mut bytes = Vec::new();
    Array1::from(part.clone())
        .write_npy(&mut bytes)
        .map_err(|e| Error::Write {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    chunk_dir.write(&name, |tmp| {
        std::fs::write(tmp, &bytes).map_err(|e| e.to_string())
    })?;
    // Written after its chunk: a chunk without a matching checksum is not taken on resume.
    let checksum = format!("{:08x}\n", crc32fast::hash(&bytes));
    chunk_dir.write(&checksum_name(&name), |tmp| {
        std::fs::write(tmp, &checksum).map_err(|e| e.to_string())
    })?;
    Ok((part, false))
}

fn checksum_name(chunk_name: &str) -> String {
    format!("{chunk_name}.crc32")
}

/// A checkpoint's counts, if the file is whole: its CRC-32 matches the one written beside it
/// and it holds `cells` counts. Otherwise why not.
fn read_chunk(path: &Path, cells: usize) -> Result<Vec<u32>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let written = std::fs::read_to_string(path.with_file_name(checksum_name(&name)))
        .map_err(|_| "no checksum beside it".to_string())?;
    if written.trim() != format!("{:08x}", crc32fast::hash(&bytes)) {
        return Err("its checksum does not match: the file was changed or damaged".into());
    }
    let counts = Array1::<u32>::read_npy(bytes.as_slice()).map_err(|e| e.to_string())?;
    if counts.len() != cells {
        return Err(format!("{} counts for {cells} cells", counts.len()));
    }
    Ok(counts.to_vec())
}

/// A grid, as the command line runs it.
#[derive(Clone, Debug)]
pub struct SweepGrid(pub Grid);

impl SweepGrid {
    /// Rows = second axis, columns = first; 1-D for one axis.
    pub fn shape(&self) -> Vec<usize> {
        self.0.shape()
    }

    pub fn n_cells(&self) -> usize {
        self.0.n_cells()
    }

    /// Each axis's name and values, first axis first.
    pub fn axis_arrays(&self) -> Vec<(String, Vec<f64>)> {
        self.0.axis_arrays()
    }

    fn run_chunk(&self, engine: &Engine, chunk: std::ops::Range<usize>) -> Result<Vec<u32>> {
        (self.0.run_chunk(engine, chunk.clone())).map_err(|e| e.in_grid(chunk.start))
    }

    /// The host memory of a run of this grid in chunks of `chunk_cells` cells.
    fn memory(&self, chunk_cells: usize) -> crate::memory::Estimate {
        let sweep = &self.0;
        let (params, states) = (sweep.model.parameters.len(), sweep.model.states.len());
        // A cell of a running chunk: its description (rows of parameters, as set and as the
        // kernel gets them, and of the initial state, a current and a threshold) and the run's
        // buffers (states, parameters, threshold, current, count, status; f64 at most).
        let cell_bytes = 3 * 24 + 8 * (2 * params + states + 2) + 8 * (states + params + 3) + 8;
        crate::sweep::grid_memory(
            self.n_cells(),
            sweep.axes.iter().map(|a| a.count),
            chunk_cells,
            cell_bytes as f64,
        )
    }

    fn precision_and_method(&self) -> (Precision, Method) {
        (self.0.precision, self.0.method)
    }

    fn n_steps(&self) -> usize {
        self.0.n_steps
    }

    /// What `sweep.json` records of a run of `cells` of this grid; `model_arg` is what
    /// `--model` named.
    fn key(
        &self,
        model_arg: &str,
        shard: Option<Shard>,
        cells: &std::ops::Range<usize>,
        chunk_cells: usize,
    ) -> RunKey {
        RunKey {
            grid: self.0.key(model_arg),
            shard,
            cells: (cells.start, cells.end),
            chunk_cells,
        }
    }

    /// The grid as `summary.json` describes it, the same for every model: the model, the
    /// parameters by the file's names, the axes and run settings, and the result's shape.
    fn describe(&self, model_arg: &str) -> serde_json::Map<String, serde_json::Value> {
        let sweep = &self.0;
        let key = sweep.key(model_arg);
        let parameters: serde_json::Map<String, serde_json::Value> = key
            .parameters
            .iter()
            .map(|(n, x)| (n.clone(), (*x).into()))
            .collect();
        let value = serde_json::json!({
            "model": sweep.model.name,
            "model_file": model_arg,
            "parameters": parameters,
            "threshold_mv": sweep.model.threshold,
            "axes": key.axes,
            "method": key.method,
            "precision": key.precision,
            "dt_ms": key.dt_ms,
            "n_steps": key.n_steps,
            "stimulus": key.stimulus,
            "shape": sweep.shape(),
            "rows": sweep.axes.get(1).map(|a| a.name.as_str()),
            "columns": sweep.axes[0].name,
        });
        match value {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("json! of an object"),
        }
    }

    /// `spike_counts.npy` (rows = second axis, columns = first; 1-D for one axis), one `.npy`
    /// per axis, and `rates.png`.
    fn write(&self, dir: &OutputDir, counts: Vec<u32>) -> Result<()> {
        let sweep = &self.0;
        // Each axis's name, figure label (with a built-in model's unit) and values.
        let label = |name: &str| match sweep.builtin.and_then(|b| b.unit(name)) {
            Some(unit) => format!("{name} ({unit})"),
            None => name.to_string(),
        };
        let axes: Vec<(String, String, Vec<f64>)> = (sweep.axes.iter())
            .map(|a| (a.name.clone(), label(&a.name), a.values()))
            .collect();
        let duration_s = self.n_steps() as f64 * sweep.dt_ms / 1000.0;
        let title = format!(
            "firing rate, {} neuron, {duration_s} s, {} {}",
            sweep.model.name,
            sweep.method.name(),
            sweep.precision.name()
        );
        write_grid_files(dir, &self.shape(), counts, &axes, title, duration_s)
    }
}

impl RunKey {
    /// The grid this run belongs to.
    fn grid(&self) -> Result<SweepGrid> {
        Ok(SweepGrid(self.grid.grid()?))
    }

    /// What `--model` named.
    fn model_arg(&self) -> String {
        self.grid.model_file.clone()
    }
}

/// A finished sweep of the whole grid, held in memory.
pub struct SweepRun {
    pub grid: SweepGrid,
    /// One count per cell, row-major (rows = second axis).
    pub counts: Vec<u32>,
    chunk_cells: usize,
    /// What `--model` named.
    model_arg: String,
    backend: &'static str,
    adapter: Option<String>,
    started: Instant,
    setup_s: f64,
    simulate_s: f64,
}

/// The grid `args` describe: `--axis` names parameters of the model (or `current`, or
/// `threshold`), `--set` their values off the axes; a built-in model's default axes are
/// `--gna` and `--current`.
fn grid_from(args: &SweepArgs) -> Result<SweepGrid> {
    let mut choice = ModelChoice::parse(&args.model)?;
    let builtin = choice.builtin;
    if args.axis.is_empty() && builtin.is_none() {
        return Err(Error::invalid(
            "--model",
            &args.model,
            format!(
                "--axis NAME=START:STOP:COUNT with a model file (NAME current or one of {})",
                parameter_names(&choice.model)
            ),
        ));
    }
    let mut base = choice.model.default_parameters();
    choice.apply_temperature(&mut base, args.temperature)?;
    choice.apply_settings(&mut base, &args.set)?;
    let model = choice.model;
    let axis_texts = if args.axis.is_empty() {
        vec![
            format!("gna={}", args.gna),
            format!("current={}", args.current),
        ]
    } else {
        args.axis.clone()
    };
    let axes = (axis_texts.iter())
        .map(|a| Axis::parse(&model, builtin, a))
        .collect::<Result<Vec<_>>>()?;
    for item in &args.set {
        let name = item
            .split_once('=')
            .map_or(item.as_str(), |(name, _)| name.trim());
        let axis = Axis::parse(&model, builtin, &format!("{name}=0:0:1"));
        if axis.is_ok_and(|set| axes.iter().any(|a| a.target == set.target)) {
            return Err(Error::invalid(
                "--set",
                item,
                "a parameter that is not an axis of the sweep",
            ));
        }
    }
    let config = RunConfig::for_duration(args.method, args.dt, args.duration)?;
    let stimulus = args.stimulus.stimulus();
    stimulus.validate()?;
    let grid = SweepGrid(Grid {
        model,
        builtin,
        base,
        axes,
        stimulus,
        method: args.method,
        precision: args.precision,
        dt_ms: args.dt,
        n_steps: config.n_steps,
    });
    if args.chunk_cells == 0 {
        return Err(Error::invalid("--chunk-cells", 0, "at least 1"));
    }
    // Before the grid's checks, which visit every value of an axis.
    grid.memory(args.chunk_cells).check()?;
    grid.0.validate()?;
    Ok(grid)
}

/// Checks the arguments and runs the whole grid in memory, chunk by chunk (no checkpoints:
/// `--shard` and `--resume` belong to runs that keep them in `--out`); writes nothing.
pub fn compute(args: SweepArgs, host: &Host, started: Instant) -> Result<SweepRun> {
    if let Some(shard) = &args.shard {
        return Err(Error::invalid(
            "--shard",
            shard,
            "no shard for a sweep held in memory (shards are joined from --out directories by hhsim merge)",
        ));
    }
    if args.resume {
        return Err(Error::invalid(
            "--resume",
            true,
            "no --resume for a sweep held in memory (it continues a run from its --out directory)",
        ));
    }
    let grid = grid_from(&args)?;
    let (precision, method) = grid.precision_and_method();
    let engine = host.engine(args.backend, precision, method)?;
    let setup_s = started.elapsed().as_secs_f64();
    let sim_start = Instant::now();
    let n_cells = grid.n_cells();
    let progress = host.progress(n_cells as u64, PROGRESS_TEMPLATE);
    let mut counts = Vec::with_capacity(n_cells);
    for chunk in chunks(0..n_cells, args.chunk_cells) {
        counts.extend(grid.run_chunk(&engine, chunk)?);
        progress.set(counts.len() as u64)?;
    }
    progress.finish();
    Ok(SweepRun {
        simulate_s: sim_start.elapsed().as_secs_f64(),
        backend: engine.backend_name(),
        adapter: engine.adapter_name(),
        chunk_cells: args.chunk_cells,
        model_arg: args.model.clone(),
        grid,
        counts,
        started,
        setup_s,
    })
}

impl SweepRun {
    /// Writes what `hhsim sweep --out` writes for the whole grid: sweep.json,
    /// spike_counts.npy, one .npy per axis, rates.png and summary.json.
    pub fn save(&self, out: &Path) -> Result<()> {
        let dir = OutputDir::create(out)?;
        let cells = 0..self.grid.n_cells();
        let key = self
            .grid
            .key(&self.model_arg, None, &cells, self.chunk_cells);
        dir.write_json(KEY_FILE, &key)?;
        self.grid.write(&dir, self.counts.clone())?;
        dir.write_json("summary.json", &self.summary())?;
        dir.finish();
        Ok(())
    }

    /// What summary.json records; `wall_s` counts until now.
    pub fn summary(&self) -> serde_json::Value {
        let n = self.grid.n_cells();
        let summary = Summary {
            command: "sweep",
            grid: self.grid.describe(&self.model_arg),
            shard: None,
            cells: (0, n),
            total_spikes: self.counts.iter().map(|&c| u64::from(c)).sum(),
            backend: Some(self.backend),
            adapter: self.adapter.clone(),
            neuron_steps_per_s: Some((n * self.grid.n_steps()) as f64 / self.simulate_s),
            wall_s: self.started.elapsed().as_secs_f64(),
            setup_s: Some(self.setup_s),
            simulate_s: Some(self.simulate_s),
            resumed_chunks: 0,
            merged_from: Vec::new(),
        };
        serde_json::to_value(summary).expect("summaries serialize")
    }
}

const PROGRESS_TEMPLATE: &str = "{bar:40} {human_pos}/{human_len} cells  {per_sec}  eta {eta}";

/// A grid's `spike_counts.npy`, one `.npy` per axis (name, figure label, values) and
/// `rates.png`.
fn write_grid_files(
    dir: &OutputDir,
    shape: &[usize],
    counts: Vec<u32>,
    axes: &[(String, String, Vec<f64>)],
    title: String,
    duration_s: f64,
) -> Result<()> {
    let counts = ArrayD::from_shape_vec(IxDyn(shape), counts).expect("one count per cell");
    write_npy(dir, "spike_counts.npy", &counts)?;
    for (name, _, values) in axes {
        write_npy(dir, &format!("{name}.npy"), &Array1::from(values.clone()))?;
    }
    let cols = axes[0].2.len();
    let rates = Array2::from_shape_fn((counts.len() / cols, cols), |(r, c)| {
        counts.as_slice().expect("standard layout")[r * cols + c] as f64 / duration_s
    });
    let figure = RateFigure {
        title,
        rates: rates.view(),
        x: (axes[0].1.clone(), &axes[0].2),
        y: axes
            .get(1)
            .map(|(_, label, values)| (label.clone(), values.as_slice())),
    };
    write_rate_png(dir, "rates.png", &figure)
}

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The --out directories of the shards, in any order.
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Output directory for the whole grid.
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

/// Joins shards after checking they are parts of one grid that cover it exactly once.
pub fn merge(args: MergeArgs, started: Instant) -> Result<()> {
    let mut parts = Vec::new();
    for dir in &args.dirs {
        let key = read_key(dir)?;
        let Some(shard) = key.shard else {
            return Err(Error::invalid(
                "shard directory",
                dir.display(),
                "the output of hhsim sweep --shard K/N",
            ));
        };
        let path = dir.join(PART_FILE);
        let file = File::open(&path).map_err(|_| {
            Error::invalid(
                "shard directory",
                dir.display(),
                format!("a finished shard with {PART_FILE} (run or --resume it first)"),
            )
        })?;
        let counts = Array1::<u32>::read_npy(file).map_err(|e| {
            Error::invalid(
                "shard file",
                path.display(),
                format!("a {PART_FILE} written by hhsim ({e})"),
            )
        })?;
        parts.push((dir.clone(), key, shard, counts));
    }
    parts.sort_by_key(|p| p.2.k);
    let (first_dir, first, first_shard, _) = &parts[0];
    for (dir, key, shard, _) in &parts[1..] {
        if key.grid != first.grid {
            return Err(Error::invalid(
                "shard",
                dir.display(),
                format!(
                    "a shard of the same sweep as {} (grid, model, method, precision, dt, duration and stimulus differ)",
                    first_dir.display()
                ),
            ));
        }
        if shard.n != first_shard.n {
            return Err(Error::invalid(
                "shard",
                format!("{}/{} in {}", shard.k, shard.n, dir.display()),
                format!("a shard of {} like {}", first_shard.n, first_dir.display()),
            ));
        }
    }
    for pair in parts.windows(2) {
        if pair[0].2.k == pair[1].2.k {
            return Err(Error::invalid(
                "shards",
                format!("{} and {}", pair[0].0.display(), pair[1].0.display()),
                format!(
                    "each part once: both hold shard {}/{}",
                    pair[0].2.k, pair[0].2.n
                ),
            ));
        }
    }
    let n = first_shard.n;
    let missing: Vec<String> = (1..=n)
        .filter(|k| !parts.iter().any(|p| p.2.k == *k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(
            "shards",
            format!("{} of {n}", parts.len()),
            format!("all {n} parts; missing shard {}", missing.join(", ")),
        ));
    }
    let grid = first.grid()?;
    let n_cells = grid.n_cells();
    let mut counts = Vec::with_capacity(n_cells);
    for (dir, key, shard, part) in &parts {
        let cells = shard.cells(n_cells);
        if key.cells != (cells.start, cells.end) || part.len() != cells.len() {
            return Err(Error::invalid(
                "shard",
                dir.display(),
                format!(
                    "{} counts for cells {}..{}",
                    cells.len(),
                    cells.start,
                    cells.end
                ),
            ));
        }
        counts.extend(part.iter().copied());
    }
    let dir = OutputDir::create(&args.out)?;
    let model_arg = first.model_arg();
    dir.write_json(
        KEY_FILE,
        &grid.key(&model_arg, None, &(0..n_cells), first.chunk_cells),
    )?;
    let total_spikes = counts.iter().map(|&c| u64::from(c)).sum();
    grid.write(&dir, counts)?;
    let summary = Summary {
        command: "merge",
        grid: grid.describe(&model_arg),
        shard: None,
        cells: (0, n_cells),
        total_spikes,
        backend: None,
        adapter: None,
        neuron_steps_per_s: None,
        wall_s: started.elapsed().as_secs_f64(),
        setup_s: None,
        simulate_s: None,
        resumed_chunks: 0,
        merged_from: args.dirs.clone(),
    };
    dir.write_json("summary.json", &summary)?;
    println!("merged {n} shards into {}", dir.path().display());
    dir.finish();
    Ok(())
}
