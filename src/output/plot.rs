//! PNG figures drawn with plotters. Text uses the DejaVu Sans font shipped in this folder
//! (licence beside it), so figures look the same on every machine, with or without fonts.

use super::OutputDir;
use crate::error::Result;
use ndarray::ArrayView2;
use plotters::prelude::*;
use std::sync::Once;

pub(crate) const FONT: &str = "sans-serif";

pub(crate) fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, include_bytes!("DejaVuSans.ttf"))
            .unwrap_or_else(|_| panic!("the shipped DejaVuSans.ttf is a valid TrueType font"));
    });
}

/// Membrane potential traces, one panel per neuron, spikes marked on the threshold line.
pub struct TraceFigure<'a> {
    pub title: String,
    /// Sample times [ms].
    pub t_ms: &'a [f64],
    /// [mV], neurons × samples.
    pub v: ArrayView2<'a, f64>,
    /// One caption per neuron, e.g. its current.
    pub labels: Vec<String>,
    /// Spike times of each neuron [ms].
    pub spike_times_ms: Vec<Vec<f64>>,
    /// Threshold of each neuron [mV].
    pub thresholds: Vec<f64>,
}

/// At most this many panels; a larger population shows its first neurons.
pub const MAX_PANELS: usize = 8;
const WIDTH_PX: u32 = 1000;
const PANEL_HEIGHT_PX: u32 = 170;
const TITLE_HEIGHT_PX: u32 = 40;

/// The size of `trace.png` for `n_neurons` neurons.
pub fn trace_figure_size(n_neurons: usize) -> (u32, u32) {
    let panels = n_neurons.clamp(1, MAX_PANELS) as u32;
    (WIDTH_PX, TITLE_HEIGHT_PX + panels * PANEL_HEIGHT_PX)
}

/// Draws `fig` into `name` in `dir`.
pub fn write_trace_png(dir: &OutputDir, name: &str, fig: &TraceFigure) -> Result<()> {
    dir.write(name, |tmp| draw_traces(tmp, fig).map_err(|e| e.to_string()))
}

fn draw_traces(
    path: &std::path::Path,
    fig: &TraceFigure,
) -> Result<(), Box<dyn std::error::Error>> {
    register_font();
    let n_shown = fig.v.nrows().min(MAX_PANELS);
    let root = BitMapBackend::new(path, trace_figure_size(fig.v.nrows())).into_drawing_area();
    root.fill(&WHITE)?;
    let mut title = fig.title.clone();
    if fig.v.nrows() > n_shown {
        title += &format!(" (first {n_shown} of {} neurons)", fig.v.nrows());
    }
    let root = root.titled(&title, (FONT, 20))?;
    // The last sample or spike; a trace of one sample (at t = 0) still spans 1 ms.
    let last_spike = fig.spike_times_ms.iter().flatten().copied();
    let t_end = (fig.t_ms.last().copied().into_iter())
        .chain(last_spike)
        .fold(1.0, f64::max);
    for (j, panel) in root
        .split_evenly((n_shown.max(1), 1))
        .iter()
        .enumerate()
        .take(n_shown)
    {
        let v = fig.v.row(j);
        let (lo, hi) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let pad = ((hi - lo) * 0.05).max(1.0);
        let mut chart = ChartBuilder::on(panel)
            .caption(&fig.labels[j], (FONT, 14))
            .margin(6)
            .x_label_area_size(if j + 1 == n_shown { 32 } else { 14 })
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..t_end, (lo - pad)..(hi + pad))?;
        let mut mesh = chart.configure_mesh();
        mesh.y_desc("V (mV)")
            .label_style((FONT, 12))
            .light_line_style(WHITE.mix(0.0));
        if j + 1 == n_shown {
            mesh.x_desc("t (ms)");
        }
        mesh.draw()?;
        chart.draw_series(LineSeries::new(
            fig.t_ms.iter().copied().zip(v.iter().copied()),
            &BLUE,
        ))?;
        let v_th = fig.thresholds[j];
        chart.draw_series(
            fig.spike_times_ms[j]
                .iter()
                .map(|&t| TriangleMarker::new((t, v_th), 4, RED.filled())),
        )?;
    }
    root.present()?;
    Ok(())
}

/// A firing-rate map over a sweep's grid, or an f–I style curve for a single axis.
pub struct RateFigure<'a> {
    pub title: String,
    /// Rates [Hz]: rows × columns for two axes, one row for a single axis.
    pub rates: ArrayView2<'a, f64>,
    /// Label (with unit) and values of the column axis.
    pub x: (String, &'a [f64]),
    /// Label and values of the row axis; `None` for a single axis.
    pub y: Option<(String, &'a [f64])>,
}

/// The size of `rates.png`.
pub const RATE_FIGURE_SIZE: (u32, u32) = (900, 760);
/// Cells drawn per axis at most; larger grids are shown as block means.
const MAX_DRAWN_CELLS: usize = 600;

/// Draws `fig` into `name` in `dir`.
pub fn write_rate_png(dir: &OutputDir, name: &str, fig: &RateFigure) -> Result<()> {
    dir.write(name, |tmp| {
        let drawn = match &fig.y {
            Some(_) => draw_rate_map(tmp, fig),
            None => draw_rate_curve(tmp, fig),
        };
        drawn.map_err(|e| e.to_string())
    })
}

/// Half a step beyond each end, so that each cell's rectangle is centred on its value.
fn cell_edges(values: &[f64]) -> (f64, f64) {
    let (first, last) = (values[0], values[values.len() - 1]);
    let half = if values.len() > 1 {
        (last - first) / (values.len() - 1) as f64 / 2.0
    } else {
        0.5
    };
    (first - half, last + half)
}

fn draw_rate_map(
    path: &std::path::Path,
    fig: &RateFigure,
) -> Result<(), Box<dyn std::error::Error>> {
    register_font();
    let (y_label, y_values) = fig.y.as_ref().expect("a map has two axes");
    let (x_label, x_values) = (&fig.x.0, fig.x.1);
    let (rows, cols) = fig.rates.dim();
    let max_rate = fig.rates.iter().copied().fold(0.0, f64::max).max(1e-9);
    let root = BitMapBackend::new(path, RATE_FIGURE_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(&fig.title, (FONT, 20))?;
    let (map_area, bar_area) = root.split_horizontally(RATE_FIGURE_SIZE.0 - 130);

    let (x0, x1) = cell_edges(x_values);
    let (y0, y1) = cell_edges(y_values);
    let mut chart = ChartBuilder::on(&map_area)
        .margin(10)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(x_label.as_str())
        .y_desc(y_label.as_str())
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()?;
    // Blocks of cells, averaged, when the grid has more cells than pixels to show them.
    let (by, bx) = (
        rows.div_ceil(MAX_DRAWN_CELLS),
        cols.div_ceil(MAX_DRAWN_CELLS),
    );
    let (dx, dy) = ((x1 - x0) / cols as f64, (y1 - y0) / rows as f64);
    let mut blocks = Vec::new();
    for r in (0..rows).step_by(by) {
        for c in (0..cols).step_by(bx) {
            let block = fig
                .rates
                .slice(ndarray::s![r..(r + by).min(rows), c..(c + bx).min(cols)]);
            let mean = block.mean().unwrap_or(0.0);
            let corner = (x0 + c as f64 * dx, y0 + r as f64 * dy);
            let far = (
                x0 + ((c + bx).min(cols)) as f64 * dx,
                y0 + ((r + by).min(rows)) as f64 * dy,
            );
            blocks.push(Rectangle::new(
                [corner, far],
                ViridisRGB::get_color_normalized(mean, 0.0, max_rate).filled(),
            ));
        }
    }
    chart.draw_series(blocks)?;

    let mut bar = ChartBuilder::on(&bar_area)
        .margin_top(10)
        .margin_bottom(55)
        .margin_right(10)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, 0.0..max_rate)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc("rate (Hz)")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()?;
    let steps = 256;
    bar.draw_series((0..steps).map(|k| {
        let (lo, hi) = (
            max_rate * k as f64 / steps as f64,
            max_rate * (k + 1) as f64 / steps as f64,
        );
        Rectangle::new(
            [(0.0, lo), (1.0, hi)],
            ViridisRGB::get_color_normalized(lo, 0.0, max_rate).filled(),
        )
    }))?;
    root.present()?;
    Ok(())
}

fn draw_rate_curve(
    path: &std::path::Path,
    fig: &RateFigure,
) -> Result<(), Box<dyn std::error::Error>> {
    register_font();
    let (x_label, x_values) = (&fig.x.0, fig.x.1);
    let rates = fig.rates.row(0);
    let max_rate = rates.iter().copied().fold(0.0, f64::max).max(1.0);
    let root = BitMapBackend::new(path, RATE_FIGURE_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(&fig.title, (FONT, 20))?;
    let (x0, x1) = cell_edges(x_values);
    let mut chart = ChartBuilder::on(&root)
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(x0..x1, 0.0..max_rate * 1.05)?;
    chart
        .configure_mesh()
        .x_desc(x_label.as_str())
        .y_desc("rate (Hz)")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()?;
    let points: Vec<(f64, f64)> = x_values
        .iter()
        .copied()
        .zip(rates.iter().copied())
        .collect();
    chart.draw_series(LineSeries::new(points.clone(), &BLUE))?;
    chart.draw_series(points.into_iter().map(|p| Circle::new(p, 2, BLUE.filled())))?;
    root.present()?;
    Ok(())
}

/// A spike raster with one colour per group and the population rate beneath.
pub struct RasterFigure {
    pub title: String,
    /// Spike times [ms] and neuron indices of the neurons drawn (multiples of `every`).
    pub t_ms: Vec<f64>,
    pub neuron: Vec<u32>,
    pub every: usize,
    /// Each group's name and neuron range (colours in order: blue, red, …).
    pub groups: Vec<(String, std::ops::Range<usize>)>,
    pub duration_ms: f64,
    /// Population rate per group [Hz], in bins of `bin_ms`.
    pub rates: Vec<Vec<f64>>,
    pub bin_ms: f64,
}

pub const RASTER_FIGURE_SIZE: (u32, u32) = (1100, 800);
/// At most this many neurons are drawn; larger networks show an even sample.
const MAX_RASTER_ROWS: usize = 1000;
/// At most this many spikes are kept for drawing (12 MiB): beyond, every second row of those
/// drawn is dropped, again as needed, so that a long run's raster costs bounded memory and time.
const MAX_RASTER_POINTS: usize = 1 << 20;
/// The rate panel's bins: 2 ms, wider where a run would need more than this many.
const MAX_RATE_BINS: usize = 10_000;

impl RasterFigure {
    /// The raster of a run of `n_steps` steps of `dt_ms` whose spikes `for_each` passes in order
    /// as (step, neuron); `groups` are contiguous and in order.
    pub fn gather(
        title: String,
        groups: Vec<(String, std::ops::Range<usize>)>,
        n_steps: usize,
        dt_ms: f64,
        for_each: impl FnOnce(&mut dyn FnMut(u64, u32)) -> Result<()>,
    ) -> Result<Self> {
        let n = groups.iter().map(|(_, r)| r.end).max().unwrap_or(0);
        let bin_steps = ((2.0 / dt_ms).round() as usize)
            .max(n_steps.div_ceil(MAX_RATE_BINS))
            .max(1);
        let mut counts = vec![vec![0u64; n_steps.div_ceil(bin_steps)]; groups.len()];
        let mut every = n.div_ceil(MAX_RASTER_ROWS).max(1);
        let (mut steps, mut neurons) = (Vec::new(), Vec::<u32>::new());
        for_each(&mut |step, i| {
            let g = groups.partition_point(|(_, r)| r.end <= i as usize);
            if let Some(bin) = counts
                .get_mut(g)
                .and_then(|bins| bins.get_mut(step as usize / bin_steps))
            {
                *bin += 1;
            }
            if (i as usize).is_multiple_of(every) {
                steps.push(step);
                neurons.push(i);
                if neurons.len() > MAX_RASTER_POINTS {
                    every *= 2;
                    let keep: Vec<bool> = neurons
                        .iter()
                        .map(|&k| (k as usize).is_multiple_of(every))
                        .collect();
                    let mut flags = keep.iter();
                    steps.retain(|_| *flags.next().expect("one flag per spike"));
                    let mut flags = keep.iter();
                    neurons.retain(|_| *flags.next().expect("one flag per spike"));
                }
            }
        })?;
        let rates = groups
            .iter()
            .zip(&counts)
            .map(|((_, r), bins)| {
                let scale = 1000.0 / (r.len() as f64 * bin_steps as f64 * dt_ms);
                bins.iter().map(|&c| c as f64 * scale).collect()
            })
            .collect();
        Ok(RasterFigure {
            title,
            t_ms: steps.iter().map(|&s| s as f64 * dt_ms).collect(),
            neuron: neurons,
            every,
            groups,
            duration_ms: n_steps as f64 * dt_ms,
            rates,
            bin_ms: bin_steps as f64 * dt_ms,
        })
    }
}

/// Draws `fig` into `name` in `dir`.
pub fn write_raster_png(dir: &OutputDir, name: &str, fig: &RasterFigure) -> Result<()> {
    dir.write(name, |tmp| draw_raster(tmp, fig).map_err(|e| e.to_string()))
}

fn draw_raster(
    path: &std::path::Path,
    fig: &RasterFigure,
) -> Result<(), Box<dyn std::error::Error>> {
    register_font();
    let colours = [BLUE, RED, GREEN, MAGENTA];
    let n = fig.groups.iter().map(|(_, r)| r.end).max().unwrap_or(0);
    let every = fig.every;
    let root = BitMapBackend::new(path, RASTER_FIGURE_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut title = fig.title.clone();
    if every > 1 {
        title += &format!(" (every {every}th neuron shown)");
    }
    let root = root.titled(&title, (FONT, 20))?;
    let (top, bottom) = root.split_vertically(520);
    let mut raster = ChartBuilder::on(&top)
        .margin(8)
        .x_label_area_size(25)
        .y_label_area_size(65)
        .build_cartesian_2d(0.0..fig.duration_ms, 0.0..n.max(1) as f64)?;
    raster
        .configure_mesh()
        .disable_mesh()
        .y_desc("neuron")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()?;
    for (g, (name, range)) in fig.groups.iter().enumerate() {
        let colour = colours[g % colours.len()];
        let points = fig
            .t_ms
            .iter()
            .zip(&fig.neuron)
            .filter(|(_, i)| range.contains(&(**i as usize)))
            .map(|(&t, &i)| Circle::new((t, i as f64), 1, colour.filled()));
        raster
            .draw_series(points)?
            .label(name.as_str())
            .legend(move |(x, y)| Circle::new((x, y), 4, colour.filled()));
    }
    raster
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FONT, 14))
        .draw()?;

    let max_rate = fig.rates.iter().flatten().copied().fold(1.0, f64::max);
    let mut rate = ChartBuilder::on(&bottom)
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(65)
        .build_cartesian_2d(0.0..fig.duration_ms, 0.0..max_rate * 1.05)?;
    rate.configure_mesh()
        .disable_mesh()
        .x_desc("t (ms)")
        .y_desc(format!("rate (Hz), {} ms bins", fig.bin_ms))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()?;
    for (g, rates) in fig.rates.iter().enumerate() {
        let colour = colours[g % colours.len()];
        let points = rates
            .iter()
            .enumerate()
            .map(|(k, &r)| ((k as f64 + 0.5) * fig.bin_ms, r));
        rate.draw_series(LineSeries::new(points, colour))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three times more spikes than the raster keeps: every second row is dropped twice, the
    /// rows left are whole (each kept neuron keeps all its spikes), and the rates count every
    /// spike.
    #[test]
    fn a_raster_of_many_spikes_keeps_whole_rows_within_its_bound() {
        let groups = vec![("E".to_string(), 0..800), ("I".to_string(), 800..1000)];
        let (n_steps, dt) = (3 * MAX_RASTER_POINTS / 1000, 0.1);
        let fig = RasterFigure::gather("t".into(), groups, n_steps, dt, |f| {
            for step in 0..n_steps as u64 {
                (0..1000).for_each(|i| f(step, i));
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(fig.every, 4);
        assert!(fig.neuron.len() <= MAX_RASTER_POINTS);
        assert_eq!(fig.neuron.len(), 250 * n_steps);
        assert!(fig.neuron.iter().all(|&i| i % 4 == 0));
        assert_eq!(fig.t_ms[fig.t_ms.len() - 1], (n_steps - 1) as f64 * dt);
        // Every neuron fires every step: 1 / dt spikes per ms, 10 kHz, in each full 2 ms bin.
        assert_eq!(fig.bin_ms, 20.0 * dt);
        for rates in &fig.rates {
            let full = &rates[..rates.len() - 1];
            assert!(
                full.iter().all(|&r| (r - 10_000.0).abs() < 1e-9),
                "{full:?}"
            );
        }
    }
}
