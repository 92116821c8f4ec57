//! Parameter grids of uncoupled neurons, one neuron per grid cell, run as batched populations:
//! the gNa × I sweep of the Brian2 paper and any other pair (or single axis) of parameters of a
//! model file ([`grid::Grid`]). A grid is cut into chunks of cells; each chunk is one
//! population on the chosen backend.

pub mod grid;

use crate::error::{Error, Result};
use crate::memory::Estimate;
use serde::{Deserialize, Serialize};
use std::ops::Range;

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

/// The chunks of at most `chunk_cells` cells that `range` is run in, in order.
pub fn chunks(range: Range<usize>, chunk_cells: usize) -> Vec<Range<usize>> {
    let step = chunk_cells.max(1);
    range
        .clone()
        .step_by(step)
        .map(|start| start..(start + step).min(range.end))
        .collect()
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
