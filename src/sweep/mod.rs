//! Parameter grids of uncoupled neurons, one neuron per grid cell, run as batched populations:
//! the gNa × I sweep of the Brian2 paper and any other pair (or single axis) of parameters.
//! A grid is cut into chunks of cells; each chunk is one population on the chosen backend.

pub mod file;

use crate::backend::{Engine, PopulationResult};
use crate::error::{Error, Result};
use crate::input::Stimulus;
use crate::integrate::Method;
use crate::memory::Estimate;
use crate::model::{ModelKind, Params, Precision, State, phi_from_temperature};
use crate::population::{NeuronSpec, Population, RunConfig};
use ndarray::{Array1, ArrayD, IxDyn};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A model parameter a sweep axis can vary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SweepParam {
    Gna,
    Gk,
    Gl,
    Ena,
    Ek,
    El,
    Vt,
    Current,
    Threshold,
    Temperature,
}

impl SweepParam {
    pub const ALL: [SweepParam; 10] = [
        SweepParam::Gna,
        SweepParam::Gk,
        SweepParam::Gl,
        SweepParam::Ena,
        SweepParam::Ek,
        SweepParam::El,
        SweepParam::Vt,
        SweepParam::Current,
        SweepParam::Threshold,
        SweepParam::Temperature,
    ];

    /// The name on the command line and in output file names.
    pub fn name(self) -> &'static str {
        match self {
            SweepParam::Gna => "gna",
            SweepParam::Gk => "gk",
            SweepParam::Gl => "gl",
            SweepParam::Ena => "ena",
            SweepParam::Ek => "ek",
            SweepParam::El => "el",
            SweepParam::Vt => "vt",
            SweepParam::Current => "current",
            SweepParam::Threshold => "threshold",
            SweepParam::Temperature => "temperature",
        }
    }

    /// The symbol for figure labels.
    pub fn symbol(self) -> &'static str {
        match self {
            SweepParam::Gna => "gNa",
            SweepParam::Gk => "gK",
            SweepParam::Gl => "gL",
            SweepParam::Ena => "ENa",
            SweepParam::Ek => "EK",
            SweepParam::El => "EL",
            SweepParam::Vt => "VT",
            SweepParam::Current => "I",
            SweepParam::Threshold => "threshold",
            SweepParam::Temperature => "T",
        }
    }

    /// The unit axis values are given in: conductances per area for both models.
    pub fn unit(self, kind: ModelKind) -> &'static str {
        match (self, kind) {
            (SweepParam::Gna | SweepParam::Gk | SweepParam::Gl, _) => "mS/cm²",
            (SweepParam::Current, ModelKind::Traub) => "pA",
            (SweepParam::Current, ModelKind::Classic) => "µA/cm²",
            (SweepParam::Temperature, _) => "°C",
            _ => "mV",
        }
    }

    /// Parses a name, or says which names exist.
    pub fn parse(name: &str) -> Result<Self> {
        let lower = name.to_lowercase();
        SweepParam::ALL
            .into_iter()
            .find(|p| p.name() == lower)
            .ok_or_else(|| {
                let names: Vec<&str> = SweepParam::ALL.iter().map(|p| p.name()).collect();
                Error::invalid(
                    "sweep parameter",
                    name,
                    format!("one of {}", names.join(", ")),
                )
            })
    }

    /// Sets this parameter of a neuron to `value` (in [`Self::unit`]).
    pub fn apply(self, spec: &mut NeuronSpec, value: f64) {
        let per_area = match spec.params.kind {
            ModelKind::Traub => crate::model::TRAUB_NS_PER_MS_PER_CM2,
            ModelKind::Classic => 1.0,
        };
        let p = &mut spec.params;
        match self {
            SweepParam::Gna => p.g_na = value * per_area,
            SweepParam::Gk => p.g_k = value * per_area,
            SweepParam::Gl => p.g_l = value * per_area,
            SweepParam::Ena => p.e_na = value,
            SweepParam::Ek => p.e_k = value,
            SweepParam::El => p.e_l = value,
            SweepParam::Vt => p.vt = value,
            SweepParam::Current => spec.current = value,
            SweepParam::Threshold => p.v_th = value,
            SweepParam::Temperature => p.phi = phi_from_temperature(value),
        }
    }
}

/// One axis: `count` values from `start` to `stop`, both included (NumPy's `linspace`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    pub param: SweepParam,
    pub start: f64,
    pub stop: f64,
    pub count: usize,
}

impl Axis {
    /// Parses `START:STOP:COUNT`.
    pub fn parse(param: SweepParam, text: &str) -> Result<Self> {
        let (start, stop, count) = parse_range(param.name(), text)?;
        Ok(Axis {
            param,
            start,
            stop,
            count,
        })
    }

    /// Parses `NAME=START:STOP:COUNT`.
    pub fn parse_named(text: &str) -> Result<Self> {
        let Some((name, range)) = text.split_once('=') else {
            return Err(Error::invalid(
                "--axis",
                text,
                "NAME=START:STOP:COUNT, e.g. gk=10:50:100",
            ));
        };
        Axis::parse(SweepParam::parse(name.trim())?, range)
    }

    pub fn values(&self) -> Vec<f64> {
        linspace(self.start, self.stop, self.count)
    }
}

/// Parses an axis range `START:STOP:COUNT` of the parameter `name`.
pub fn parse_range(name: &str, text: &str) -> Result<(f64, f64, usize)> {
    let bad = || {
        Error::invalid(
            "axis",
            format!("{name}={text}"),
            "START:STOP:COUNT, e.g. 10:100:300, with STOP ≥ START and COUNT ≥ 1",
        )
    };
    let parts: Vec<&str> = text.split(':').collect();
    let [start, stop, count] = parts.as_slice() else {
        return Err(bad());
    };
    let (start, stop): (f64, f64) = (
        start.trim().parse().map_err(|_| bad())?,
        stop.trim().parse().map_err(|_| bad())?,
    );
    let count: usize = count.trim().parse().map_err(|_| bad())?;
    if count == 0 || !start.is_finite() || !stop.is_finite() || (count > 1 && stop < start) {
        return Err(bad());
    }
    Ok((start, stop, count))
}

/// The host memory of a grid's run: a count per cell as run and as written, each axis's
/// values, and one chunk of `chunk` cells, each `cell_bytes` while it runs.
pub fn grid_memory(
    cells: usize,
    axis_counts: impl Iterator<Item = usize>,
    chunk: usize,
    cell_bytes: f64,
) -> Estimate {
    let values: usize = axis_counts.sum();
    let mut e = Estimate::new();
    e.add(
        "spike counts",
        cells as f64,
        8.0,
        "the grid (or split it with --shard K/N)",
    )
    .add("axis values", values as f64, 8.0, "the axes' COUNT")
    .add(
        "one chunk's cells",
        chunk.min(cells) as f64,
        cell_bytes,
        "--chunk-cells",
    );
    e
}

/// `count` values from `start` to `stop`, both included (NumPy's `linspace`).
pub fn linspace(start: f64, stop: f64, count: usize) -> Vec<f64> {
    if count == 1 {
        return vec![start];
    }
    let step = (stop - start) / (count - 1) as f64;
    (0..count)
        .map(|k| {
            if k + 1 == count {
                stop
            } else {
                start + step * k as f64
            }
        })
        .collect()
}

/// The result array must fit in memory with room to spare [bytes]; beyond, shard the grid.
pub const MAX_RESULT_BYTES: usize = 4 << 30;
/// Cells per chunk: one population on the backend at a time, which bounds device and host memory
/// (1 Mi cells: 16 MiB of f32 state and 44 MiB of parameters) and paces the progress bar.
pub const CELLS_PER_CHUNK: usize = 1 << 20;

/// A grid of uncoupled neurons and how to run each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// Parameters every cell starts from before the axes set theirs.
    pub base: Params<f64>,
    /// Current every cell gets unless an axis sets it.
    pub base_current: f64,
    /// The first axis runs along columns, the second (if any) along rows.
    pub axes: Vec<Axis>,
    pub stimulus: Stimulus,
    pub method: Method,
    pub precision: Precision,
    pub dt_ms: f64,
    pub duration_ms: f64,
}

impl SweepSpec {
    /// The Brian2 paper's job (Appendix 4): Traub neurons, gNa = linspace(10, 100, 300) mS/cm²
    /// × I = linspace(0, 20, 300) pA, exponential Euler, dt 0.1 ms, 1 s, in f32.
    pub fn brian2_gna_current() -> Self {
        SweepSpec {
            base: Params::traub(),
            base_current: 0.0,
            axes: vec![
                Axis {
                    param: SweepParam::Gna,
                    start: 10.0,
                    stop: 100.0,
                    count: 300,
                },
                Axis {
                    param: SweepParam::Current,
                    start: 0.0,
                    stop: 20.0,
                    count: 300,
                },
            ],
            stimulus: Stimulus::default(),
            method: Method::ExpEuler,
            precision: Precision::F32,
            dt_ms: 0.1,
            duration_ms: 1000.0,
        }
    }

    pub fn config(&self) -> RunConfig {
        RunConfig {
            method: self.method,
            dt_ms: self.dt_ms,
            duration_ms: self.duration_ms,
            record_every: None,
            spike_steps: false,
        }
    }

    /// Cells along each axis: `[rows, columns]` for two axes, `[count]` for one.
    pub fn shape(&self) -> Vec<usize> {
        self.axes.iter().rev().map(|a| a.count).collect()
    }

    pub fn n_cells(&self) -> usize {
        self.axes.iter().map(|a| a.count).product()
    }

    /// Checks axes, parameters and size; called before any work.
    pub fn validate(&self) -> Result<()> {
        if self.axes.is_empty() || self.axes.len() > 2 {
            return Err(Error::invalid("number of axes", self.axes.len(), "1 or 2"));
        }
        if self.axes.len() == 2 && self.axes[0].param == self.axes[1].param {
            return Err(Error::invalid(
                "--axis",
                self.axes[1].param.name(),
                "two different parameters",
            ));
        }
        if self.axes.iter().any(|a| a.param == SweepParam::Temperature)
            && self.base.kind != ModelKind::Classic
        {
            return Err(Error::invalid(
                "--axis",
                "temperature",
                "an axis of --model hh only: Traub rates have no temperature factor",
            ));
        }
        self.config().validate()?;
        let bytes = self.n_cells().saturating_mul(4);
        if self.n_cells() > u32::MAX as usize || bytes > MAX_RESULT_BYTES {
            return Err(Error::invalid(
                "grid size",
                format!("{} cells", self.n_cells()),
                format!(
                    "at most {} MiB of spike counts in one run (this grid needs {} MiB): split it with --shard K/N",
                    MAX_RESULT_BYTES >> 20,
                    bytes >> 20
                ),
            ));
        }
        // The corners of the grid hold every axis's extreme values.
        let last = self.n_cells() - 1;
        let corners = Population {
            neurons: vec![self.cell(0), self.cell(last)],
            stimulus: self.stimulus.clone(),
            first_index: 0,
        };
        corners.validate()?;
        // Their rates, as the model file runs them (each chunk's cells are checked again when
        // it runs).
        let file = corners.as_model_file()?;
        let cell = |k: usize| format!("grid cell {}", [0, last][k]);
        file.model.check_parameters(&file.params, Some(&cell))
    }

    /// The neuron of cell `index` (row-major): V at its EL, every gate closed.
    pub fn cell(&self, index: usize) -> NeuronSpec {
        self.population(index..index + 1).neurons.remove(0)
    }

    /// The cells `range` as one population; cell c draws noise from stream c.
    pub fn population(&self, range: Range<usize>) -> Population {
        let values: Vec<Vec<f64>> = self.axes.iter().map(|a| a.values()).collect();
        let neurons = range
            .clone()
            .map(|index| {
                let mut spec = NeuronSpec {
                    params: self.base,
                    init: State::default(),
                    current: self.base_current,
                };
                let (col, row) = (index % self.axes[0].count, index / self.axes[0].count);
                for ((axis, v), k) in self.axes.iter().zip(&values).zip([col, row]) {
                    axis.param.apply(&mut spec, v[k]);
                }
                spec.init = State {
                    v: spec.params.e_l,
                    ..State::default()
                };
                spec
            })
            .collect();
        Population {
            neurons,
            stimulus: self.stimulus.clone(),
            first_index: range.start,
        }
    }

    /// The chunks of at most `chunk_cells` cells that `range` is run in, in order.
    pub fn chunks(range: Range<usize>, chunk_cells: usize) -> Vec<Range<usize>> {
        let step = chunk_cells.max(1);
        range
            .clone()
            .step_by(step)
            .map(|start| start..(start + step).min(range.end))
            .collect()
    }

    /// Runs the cells of `chunk` on `engine` and returns their spike counts.
    pub fn run_chunk(&self, engine: &Engine, chunk: Range<usize>) -> Result<Vec<u32>> {
        let result: PopulationResult =
            engine.run(self.precision, &self.population(chunk), &self.config())?;
        Ok(result.spike_counts)
    }

    /// Runs the whole grid and returns the spike counts shaped as [`Self::shape`].
    pub fn run(&self, engine: &Engine) -> Result<ArrayD<u32>> {
        self.validate()?;
        let mut counts = Vec::with_capacity(self.n_cells());
        for chunk in Self::chunks(0..self.n_cells(), CELLS_PER_CHUNK) {
            counts.extend(self.run_chunk(engine, chunk)?);
        }
        Ok(ArrayD::from_shape_vec(IxDyn(&self.shape()), counts).expect("one count per cell"))
    }

    /// Each axis's values, for `gna.npy`, `current.npy`, ….
    pub fn axis_arrays(&self) -> Vec<(&'static str, Array1<f64>)> {
        self.axes
            .iter()
            .map(|a| (a.param.name(), Array1::from(a.values())))
            .collect()
    }
}

/// Part K (1-based) of N of a grid, for job arrays on a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl Shard {
    /// Parses `K/N` with 1 ≤ K ≤ N.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || Error::invalid("--shard", text, "K/N with 1 ≤ K ≤ N, e.g. 3/8");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    /// The cells of this part: N near-equal contiguous ranges of the row-major cell order.
    pub fn cells(&self, n_cells: usize) -> Range<usize> {
        let at = |k: usize| (n_cells as u128 * k as u128 / self.n as u128) as usize;
        at(self.k - 1)..at(self.k)
    }
}
