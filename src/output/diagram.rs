//! The figures of `hhsim analyze`: the bifurcation diagram with the f–I curve beneath, the f–I
//! curve alone, and the phase plane of V and one gate.

use super::OutputDir;
use super::plot::{FONT, register_font};
use crate::analysis::{Bifurcation, Direction, FiCurve, PhasePlane};
use crate::error::Result;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;

type Drawn = Result<(), Box<dyn std::error::Error>>;

pub const DIAGRAM_SIZE: (u32, u32) = (1000, 900);
pub const FI_SIZE: (u32, u32) = (900, 600);
pub const PHASE_PLANE_SIZE: (u32, u32) = (900, 800);

const UP: RGBColor = RGBColor(31, 90, 200);
const DOWN: RGBColor = RGBColor(210, 60, 40);
const HOPF: RGBColor = RGBColor(20, 150, 60);
const FOLD: RGBColor = RGBColor(120, 120, 120);

fn colour(direction: Direction) -> RGBColor {
    match direction {
        Direction::Up => UP,
        Direction::Down => DOWN,
    }
}

fn span(values: impl Iterator<Item = f64>, pad_fraction: f64, min_pad: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * pad_fraction).max(min_pad);
    (lo - pad, hi + pad)
}

/// Labels for the figures: the parameter with its unit, and a title.
pub struct Labels {
    pub title: String,
    pub param: String,
}

/// `bifurcation.png`: V against the parameter (stable equilibria solid, unstable dashed, cycle
/// maxima and minima as markers, filled for the up-sweep and open for the down-sweep, Hopf
/// points as green triangles, folds of equilibria as grey crosses, folds of cycles as dashed
/// verticals) and the two sweeps' frequencies beneath.
pub fn write_bifurcation_png(dir: &OutputDir, d: &Bifurcation, labels: &Labels) -> Result<()> {
    dir.write("bifurcation.png", |tmp| {
        draw_bifurcation(tmp, d, labels).map_err(|e| e.to_string())
    })
}

/// Equilibria joined into polylines: a branch (the k-th equilibrium in V) continues while the
/// number of equilibria and its stability stay the same. Returns (stable, points) per line.
fn equilibrium_lines(d: &Bifurcation) -> Vec<(bool, Vec<(f64, f64)>)> {
    let mut by_value: Vec<Vec<(f64, bool)>> = vec![Vec::new(); d.values.len()];
    let mut k = 0;
    for (i, value) in d.values.iter().enumerate() {
        while k < d.equilibria.len() && d.equilibria[k].value == *value {
            by_value[i].push((d.equilibria[k].v, d.equilibria[k].stable));
            k += 1;
        }
    }
    let mut lines: Vec<(bool, Vec<(f64, f64)>)> = Vec::new();
    // open[b]: index into `lines` of branch b's current line.
    let mut open: Vec<Option<usize>> = Vec::new();
    for (i, eq) in by_value.iter().enumerate() {
        let continues = i > 0 && by_value[i - 1].len() == eq.len();
        if !continues {
            open = vec![None; eq.len()];
        }
        for (b, &(v, stable)) in eq.iter().enumerate() {
            let point = (d.values[i], v);
            match open[b] {
                Some(l) if lines[l].0 == stable => lines[l].1.push(point),
                Some(l) => {
                    // The stability changes between two values: the new line starts where the
                    // old one ended, so the branch stays connected.
                    let last = *lines[l].1.last().expect("lines are never empty");
                    lines.push((stable, vec![last, point]));
                    open[b] = Some(lines.len() - 1);
                }
                None => {
                    lines.push((stable, vec![point]));
                    open[b] = Some(lines.len() - 1);
                }
            }
        }
    }
    lines
}

fn draw_bifurcation(path: &Path, d: &Bifurcation, labels: &Labels) -> Drawn {
    register_font();
    let root = BitMapBackend::new(path, DIAGRAM_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(&labels.title, (FONT, 20))?;
    let (top, bottom) = root.split_vertically(DIAGRAM_SIZE.1 * 6 / 10);
    let x = span(d.values.iter().copied(), 0.02, 1e-9);
    let y = span(
        d.equilibria
            .iter()
            .map(|e| e.v)
            .chain(d.cycles.iter().flat_map(|c| [c.v_min, c.v_max])),
        0.05,
        1.0,
    );
    let mut chart = ChartBuilder::on(&top)
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)?;
    chart
        .configure_mesh()
        .y_desc("V (mV)")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for fold in &d.cycle_fold {
        chart.draw_series(DashedLineSeries::new(
            [(fold.value, y.0), (fold.value, y.1)],
            6,
            4,
            colour(fold.direction).mix(0.5).stroke_width(1),
        ))?;
    }
    for (stable, points) in equilibrium_lines(d) {
        if stable {
            chart.draw_series(LineSeries::new(points, BLACK.stroke_width(2)))?;
        } else {
            chart.draw_series(DashedLineSeries::new(points, 8, 6, BLACK.stroke_width(2)))?;
        }
    }
    for c in &d.cycles {
        let style = match c.direction {
            Direction::Up => UP.filled(),
            Direction::Down => DOWN.stroke_width(1),
        };
        chart.draw_series([c.v_min, c.v_max].map(|v| Circle::new((c.value, v), 3, style)))?;
    }
    chart.draw_series(
        d.hopf
            .iter()
            .map(|h| TriangleMarker::new((h.value, h.v), 8, HOPF.filled())),
    )?;
    chart.draw_series(
        d.fold
            .iter()
            .map(|f| Cross::new((f.value, f.v), 7, FOLD.stroke_width(2))),
    )?;

    let frequencies: Vec<(Direction, Vec<(f64, f64)>)> = [Direction::Up, Direction::Down]
        .into_iter()
        .map(|dir| {
            let points = d
                .cycles
                .iter()
                .filter(|c| c.direction == dir)
                .map(|c| (c.value, c.frequency_hz))
                .collect();
            (dir, points)
        })
        .collect();
    draw_frequencies(&bottom, x, &labels.param, &frequencies, &d.cycle_fold)?;
    root.present()?;
    Ok(())
}

/// Frequency against the parameter, one colour per sweep direction.
fn draw_frequencies(
    area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    x: (f64, f64),
    param: &str,
    curves: &[(Direction, Vec<(f64, f64)>)],
    folds: &[crate::analysis::CycleFold],
) -> Drawn {
    let top = curves
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x.0..x.1, 0.0..top * 1.08)?;
    chart
        .configure_mesh()
        .x_desc(param)
        .y_desc("frequency (Hz)")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for fold in folds {
        chart.draw_series(DashedLineSeries::new(
            [(fold.value, 0.0), (fold.value, top * 1.08)],
            6,
            4,
            colour(fold.direction).mix(0.5).stroke_width(1),
        ))?;
    }
    for (direction, points) in curves {
        let c = colour(*direction);
        let name = match direction {
            Direction::Up => "up-sweep",
            Direction::Down => "down-sweep",
        };
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 2, c.filled())))?
            .label(name)
            .legend(move |(x, y)| Circle::new((x, y), 4, c.filled()));
    }
    draw_legend(&mut chart)?;
    Ok(())
}

type Chart<'a> = ChartContext<'a, BitMapBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The series' labels in a box at the upper left.
fn draw_legend(chart: &mut Chart) -> Drawn {
    chart
        .configure_series_labels()
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    Ok(())
}

/// `fi.png`: the frequency of both sweeps against the parameter.
pub fn write_fi_png(dir: &OutputDir, f: &FiCurve, labels: &Labels) -> Result<()> {
    dir.write("fi.png", |tmp| {
        (|| -> Drawn {
            register_font();
            let root = BitMapBackend::new(tmp, FI_SIZE).into_drawing_area();
            root.fill(&WHITE)?;
            let root = root.titled(&labels.title, (FONT, 20))?;
            let x = span(f.values.iter().copied(), 0.02, 1e-9);
            let curve = |hz: &[f64]| -> Vec<(f64, f64)> {
                f.values
                    .iter()
                    .zip(hz)
                    .filter(|(_, h)| **h > 0.0)
                    .map(|(v, h)| (*v, *h))
                    .collect()
            };
            let curves = [
                (Direction::Up, curve(&f.up_hz)),
                (Direction::Down, curve(&f.down_hz)),
            ];
            draw_frequencies(&root, x, &labels.param, &curves, &f.cycle_fold)?;
            root.present()?;
            Ok(())
        })()
        .map_err(|e| e.to_string())
    })
}

/// `phase_plane.png`: the vector field (grey arrows of equal length, the dot at the head), the V-nullcline
/// (orange), the gate's nullcline (green; `labels.param` names the gate), fixed points (filled: stable, open: unstable) and the
/// full model's trajectories from their starts (circles).
pub fn write_phase_plane_png(dir: &OutputDir, p: &PhasePlane, labels: &Labels) -> Result<()> {
    dir.write("phase_plane.png", |tmp| {
        draw_phase_plane(tmp, p, labels).map_err(|e| e.to_string())
    })
}

fn draw_phase_plane(path: &Path, p: &PhasePlane, labels: &Labels) -> Drawn {
    register_font();
    let root = BitMapBackend::new(path, PHASE_PLANE_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(&labels.title, (FONT, 20))?;
    let (v0, v1) = (p.field_v[0], p.field_v[p.field_v.len() - 1]);
    let (n0, n1) = (p.field_n[0], p.field_n[p.field_n.len() - 1]);
    let mut chart = ChartBuilder::on(&root)
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(v0..v1, n0..n1)?;
    chart
        .configure_mesh()
        .x_desc("V (mV)")
        .y_desc(labels.param.as_str())
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    // Arrows of one length on the figure: each axis scaled by its range.
    let (sv, sn) = (v1 - v0, n1 - n0);
    let arrow = 0.35 / (p.field_v.len() - 1) as f64;
    let mut arrows = Vec::new();
    let mut heads = Vec::new();
    for (j, &n) in p.field_n.iter().enumerate() {
        for (i, &v) in p.field_v.iter().enumerate() {
            let (dv, dn) = (p.field_dv[j][i] / sv, p.field_dn[j][i] / sn);
            let norm = (dv * dv + dn * dn).sqrt();
            if norm.is_nan() || norm <= 0.0 {
                continue;
            }
            let tip = (v + arrow * dv / norm * sv, n + arrow * dn / norm * sn);
            arrows.push(PathElement::new(vec![(v, n), tip], RGBColor(150, 150, 150)));
            heads.push(Circle::new(tip, 2, RGBColor(90, 90, 90).filled()));
        }
    }
    chart.draw_series(arrows)?;
    chart.draw_series(heads)?;
    let orange = RGBColor(230, 140, 20);
    chart
        .draw_series(
            p.v_nullcline
                .iter()
                .map(|&q| Circle::new(q, 1, orange.filled())),
        )?
        .label("dV/dt = 0")
        .legend(move |(x, y)| Circle::new((x, y), 4, orange.filled()));
    chart
        .draw_series(LineSeries::new(p.n_nullcline.clone(), HOPF.stroke_width(2)))?
        .label(format!("d{}/dt = 0", labels.param))
        .legend(|(x, y)| PathElement::new(vec![(x - 8, y), (x + 8, y)], HOPF.stroke_width(2)));
    let palette = [UP, DOWN, RGBColor(130, 60, 170), RGBColor(0, 140, 140)];
    for (k, traj) in p.trajectories.iter().enumerate() {
        let c = palette[k % palette.len()];
        let points: Vec<(f64, f64)> = traj.iter().map(|s| (s.1, s.2)).collect();
        chart.draw_series(LineSeries::new(points.clone(), c.stroke_width(1)))?;
        chart.draw_series(points.first().map(|&q| Circle::new(q, 4, c.filled())))?;
    }
    for f in &p.fixed_points {
        let style = if f.stable {
            BLACK.filled()
        } else {
            BLACK.stroke_width(2)
        };
        chart.draw_series([Circle::new((f.v, f.gate), 6, style)])?;
    }
    draw_legend(&mut chart)?;
    root.present()?;
    Ok(())
}
