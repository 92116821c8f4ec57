//! PNG figures drawn with plotters. Text uses the DejaVu Sans font shipped in this folder
//! (licence beside it), so figures look the same on every machine, with or without fonts.

use super::OutputDir;
use crate::error::Result;
use ndarray::ArrayView2;
use plotters::prelude::*;
use std::sync::Once;

const FONT: &str = "sans-serif";

fn register_font() {
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
    let t_end = fig
        .t_ms
        .last()
        .copied()
        .unwrap_or(0.0)
        .max(f64::MIN_POSITIVE);
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
