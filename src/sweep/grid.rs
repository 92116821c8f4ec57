//! Parameter grids of a model file: any of its parameters (or the injected current, or the spike
//! threshold) as an axis, one uncoupled neuron per cell, each starting from its own steady state
//! (a built-in model's cells: from V = EL, every gate closed), run in chunks of cells on the
//! generated kernel or its twin.

use crate::backend::Engine;
use crate::backend::population::{Population, RunConfig};
use crate::builtin::BuiltIn;
use crate::error::{Error, Result};
use crate::input::Stimulus;
use crate::integrate::Method;
use crate::kernel::Precision;
use crate::kernel::steady;
use crate::model::Model;
use crate::sweep::{CELLS_PER_CHUNK, MAX_RESULT_BYTES, chunks, linspace, parse_range};
use ndarray::{ArrayD, IxDyn};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// What an axis varies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// Parameter k of the model.
    Param(usize),
    /// The constant injected current.
    Current,
    /// The spike threshold.
    Threshold,
}

/// One axis: `count` values from `start` to `stop`, both included.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub name: String,
    pub target: Target,
    pub start: f64,
    pub stop: f64,
    pub count: usize,
}

impl Axis {
    /// Parses `NAME=START:STOP:COUNT` with NAME a parameter of `model` (through the alias
    /// table of `builtin`), `current` or `threshold`.
    pub fn parse(model: &Model, builtin: Option<BuiltIn>, text: &str) -> Result<Self> {
        let Some((name, range)) = text.split_once('=') else {
            return Err(Error::invalid(
                "--axis",
                text,
                "NAME=START:STOP:COUNT, e.g. gm=0:50:51",
            ));
        };
        let name = name.trim();
        let file_name = match builtin {
            Some(b) => b.parameter(model, name),
            None => Some(name),
        };
        let target = match file_name.and_then(|f| model.parameters.iter().position(|(n, _)| n == f))
        {
            Some(k) => Target::Param(k),
            None if name == "current" => Target::Current,
            None if name == "threshold" => Target::Threshold,
            None => {
                let names: Vec<&str> = model.parameters.iter().map(|(n, _)| n.as_str()).collect();
                return Err(Error::invalid(
                    "--axis",
                    text,
                    format!(
                        "NAME=START:STOP:COUNT with NAME current, threshold or a parameter of {}: {}",
                        model.name,
                        names.join(", ")
                    ),
                ));
            }
        };
        let (start, stop, count) = parse_range(name, range)?;
        Ok(Axis {
            name: name.to_string(),
            target,
            start,
            stop,
            count,
        })
    }

    pub fn values(&self) -> Vec<f64> {
        linspace(self.start, self.stop, self.count)
    }
}

/// What identifies a model file's grid in a sweep's `--out` directory (`sweep.json`): with the
/// model's own text, so that `--resume` and `hhsim merge` rebuild the same grid whatever
/// became of the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridKey {
    /// What `--model` named: a bundled model or a path.
    pub model_file: String,
    pub model_source: String,
    /// The parameters before the axes apply, by name.
    pub parameters: Vec<(String, f64)>,
    /// The spike threshold before the axes apply [mV] (`None` in keys written before it was
    /// kept: the file's, see [`Self::fill_threshold`]).
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Each axis's name, first and last value and count.
    pub axes: Vec<(String, f64, f64, usize)>,
    /// The built-in name the model was run under (its alias table applied), if any.
    #[serde(default)]
    pub builtin: Option<BuiltIn>,
    pub stimulus: Stimulus,
    pub method: Method,
    pub precision: Precision,
    pub dt_ms: f64,
    pub n_steps: usize,
}

impl GridKey {
    /// Gives a key written before the threshold was kept the one its grid ran with, the
    /// file's, so that such a sweep still resumes and merges with a key written now.
    pub fn fill_threshold(&mut self) -> Result<()> {
        if self.threshold.is_none() {
            let model = Model::parse(&self.model_source, &self.model_file)?;
            self.threshold = Some(model.threshold);
        }
        Ok(())
    }

    /// The grid this key describes.
    pub fn grid(&self) -> Result<Grid> {
        let mut model = Model::parse(&self.model_source, &self.model_file)?;
        crate::kernel::check::check_model(&model)?;
        if let Some(threshold) = self.threshold {
            model.threshold = threshold;
        }
        let axes = self
            .axes
            .iter()
            .map(|(name, start, stop, count)| {
                let text = format!("{name}={start:?}:{stop:?}:{count}");
                Axis::parse(&model, self.builtin, &text)
            })
            .collect::<Result<Vec<_>>>()?;
        let sweep = Grid {
            base: self.parameters.iter().map(|&(_, x)| x).collect(),
            builtin: self.builtin,
            model,
            axes,
            stimulus: self.stimulus.clone(),
            method: self.method,
            precision: self.precision,
            dt_ms: self.dt_ms,
            n_steps: self.n_steps,
        };
        sweep.validate()?;
        Ok(sweep)
    }
}

/// A grid over one or two axes of a model file.
#[derive(Clone, Debug)]
pub struct Grid {
    pub model: Model,
    /// The built-in name the model runs under (see [`crate::builtin`]): its cells' rows reach
    /// the kernel through its alias table and start at V = EL, every gate closed.
    pub builtin: Option<BuiltIn>,
    /// The parameters of every cell before the axes apply.
    pub base: Vec<f64>,
    pub axes: Vec<Axis>,
    pub stimulus: Stimulus,
    pub method: Method,
    pub precision: Precision,
    pub dt_ms: f64,
    pub n_steps: usize,
}

impl Grid {
    /// The Brian2 paper's job (Appendix 4): Traub neurons, gNa = linspace(10, 100, 300) mS/cm²
    /// × I = linspace(0, 20, 300) pA, exponential Euler, dt 0.1 ms, 1 s, in f32.
    pub fn brian2_gna_current() -> Self {
        let builtin = BuiltIn::Traub;
        let model = builtin.model();
        let axis = |text: &str| Axis::parse(&model, Some(builtin), text).expect("a valid axis");
        Grid {
            base: model.default_parameters(),
            axes: vec![axis("gna=10:100:300"), axis("current=0:20:300")],
            builtin: Some(builtin),
            model,
            stimulus: Stimulus::default(),
            method: Method::ExpEuler,
            precision: Precision::F32,
            dt_ms: 0.1,
            n_steps: 10_000,
        }
    }

    /// This grid's key; `model_file` is what `--model` named.
    pub fn key(&self, model_file: &str) -> GridKey {
        GridKey {
            model_file: model_file.to_string(),
            model_source: self.model.source.clone(),
            parameters: self
                .model
                .parameters
                .iter()
                .zip(&self.base)
                .map(|((name, _), &x)| (name.clone(), x))
                .collect(),
            threshold: Some(self.model.threshold),
            axes: self
                .axes
                .iter()
                .map(|a| (a.name.clone(), a.start, a.stop, a.count))
                .collect(),
            builtin: self.builtin,
            stimulus: self.stimulus.clone(),
            method: self.method,
            precision: self.precision,
            dt_ms: self.dt_ms,
            n_steps: self.n_steps,
        }
    }

    /// Rows = second axis, columns = first; 1-D for one axis.
    pub fn shape(&self) -> Vec<usize> {
        self.axes.iter().rev().map(|a| a.count).collect()
    }

    /// The cells of the grid (saturating: an absurd grid is refused by its size, not by an
    /// overflow).
    pub fn n_cells(&self) -> usize {
        self.axes
            .iter()
            .map(|a| a.count)
            .fold(1, usize::saturating_mul)
    }

    /// One or two distinct axes, and a result that fits in memory.
    pub fn validate(&self) -> Result<()> {
        if self.axes.is_empty() || self.axes.len() > 2 {
            return Err(Error::invalid("number of axes", self.axes.len(), "1 or 2"));
        }
        if self.axes.len() == 2 && self.axes[0].target == self.axes[1].target {
            return Err(Error::invalid(
                "--axis",
                &self.axes[1].name,
                "two different parameters",
            ));
        }
        let cells = self.n_cells();
        let bytes = cells.saturating_mul(4);
        if cells > u32::MAX as usize || bytes > MAX_RESULT_BYTES {
            return Err(Error::invalid(
                "grid size",
                format!("{cells} cells"),
                format!(
                    "at most {} MiB of spike counts in one run (this grid needs {} MiB): split it with --shard K/N",
                    MAX_RESULT_BYTES >> 20,
                    bytes >> 20
                ),
            ));
        }
        self.check_parameters()
    }

    /// Every cell's parameters pass the model's check. Only the values of axes whose parameter
    /// the check reads are combined (a current or a conductance axis adds none to the other's).
    fn check_parameters(&self) -> Result<()> {
        let check = crate::kernel::check::ParameterCheck::new(&self.model);
        let values: Vec<Vec<f64>> = self.axes.iter().map(|a| a.values()).collect();
        let counts: Vec<usize> = (self.axes.iter())
            .map(|a| match a.target {
                Target::Param(j) if check.reads(j) => a.count,
                _ => 1,
            })
            .collect();
        let cols = self.axes[0].count;
        // (index along the first axis, along the second) of each combination to check.
        let combos = (0..counts.iter().product::<usize>()).map(|k| (k % counts[0], k / counts[0]));
        let rows = combos.clone().map(|(i0, i1)| {
            let mut p = self.base.clone();
            for ((axis, v), k) in self.axes.iter().zip(&values).zip([i0, i1]) {
                if let Target::Param(j) = axis.target {
                    p[j] = v[k];
                }
            }
            p
        });
        check.rows(rows).map_err(|(index, message)| {
            let (i0, i1) = combos.clone().nth(index).expect("a checked combination");
            Error::Model {
                message: format!(
                    "model {} (grid cell {}): {message}",
                    self.model.name,
                    i1 * cols + i0
                ),
            }
        })
    }

    /// Each axis's name and values, first axis first.
    pub fn axis_arrays(&self) -> Vec<(String, Vec<f64>)> {
        self.axes
            .iter()
            .map(|a| (a.name.clone(), a.values()))
            .collect()
    }

    /// The cells `range` as one population, each at its steady state (or [initial]).
    pub fn population(&self, range: Range<usize>) -> Population {
        let values: Vec<Vec<f64>> = self.axes.iter().map(|a| a.values()).collect();
        let cols = self.axes[0].count;
        let range_start = range.start;
        let mut params = Vec::with_capacity(range.len());
        let mut current = Vec::with_capacity(range.len());
        let mut threshold = Vec::with_capacity(range.len());
        for index in range {
            let mut p = self.base.clone();
            let mut i = 0.0;
            let mut theta = self.model.threshold;
            for ((axis, v), k) in self
                .axes
                .iter()
                .zip(&values)
                .zip([index % cols, index / cols])
            {
                match axis.target {
                    Target::Param(j) => p[j] = v[k],
                    Target::Current => i = v[k],
                    Target::Threshold => theta = v[k],
                }
            }
            params.push(p);
            current.push(i);
            threshold.push(theta);
        }
        let (params, init) = match self.builtin {
            Some(b) => (
                params
                    .iter()
                    .map(|p| b.kernel_row(&self.model, p))
                    .collect(),
                params
                    .iter()
                    .map(|p| b.grid_start(&self.model, p))
                    .collect(),
            ),
            None => {
                let init = steady::initial_states(&self.model, &params);
                (params, init)
            }
        };
        Population {
            init,
            threshold,
            params,
            current,
            stimulus: self.stimulus.clone(),
            first_index: range_start,
            model: self.model.clone(),
        }
    }

    /// Runs the cells of `chunk` and returns their spike counts.
    pub fn run_chunk(&self, engine: &Engine, chunk: Range<usize>) -> Result<Vec<u32>> {
        let cfg = RunConfig {
            method: self.method,
            dt_ms: self.dt_ms,
            n_steps: self.n_steps,
            record_every: 0,
            spike_steps: false,
        };
        Ok(engine
            .run_population(self.precision, &self.population(chunk), &cfg)?
            .spike_counts)
    }

    /// Runs the whole grid and returns the spike counts shaped as [`Self::shape`].
    pub fn run(&self, engine: &Engine) -> Result<ArrayD<u32>> {
        self.validate()?;
        let mut counts = Vec::with_capacity(self.n_cells());
        for chunk in chunks(0..self.n_cells(), CELLS_PER_CHUNK) {
            counts.extend(self.run_chunk(engine, chunk)?);
        }
        Ok(ArrayD::from_shape_vec(IxDyn(&self.shape()), counts).expect("one count per cell"))
    }
}
