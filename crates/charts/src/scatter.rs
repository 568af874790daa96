//! Scatter: one dot per run, a param or metric across, a metric up. Axes as in parallel
//! coordinates (numeric, log when asked or when values span decades, or categorical); NaN and
//! ±inf sit on the plot's edges as the metric charts' markers; runs missing a value are counted
//! under the title, not drawn.

use crate::columns::{Cell, Place, ValueAxis};
use crate::draw::{begin, draw_marker, rgb, ChartError, DrawStats};
use crate::hover::Frame;
use crate::plot::Axis;
use crate::scale::Marker;
use crate::spec::{ChartStyle, Rgb, YScale};
use crate::ticks::Tick;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScatterSpec {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub points: Vec<ScatterPoint>,
    /// Log axes: `Some` as chosen, `None` when values span two decades or more.
    #[serde(default)]
    pub x_log: Option<bool>,
    #[serde(default)]
    pub y_log: Option<bool>,
}

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScatterPoint {
    pub label: String,
    pub color: Rgb,
    pub x: Cell,
    pub y: Cell,
}

/// Where a dot goes, as fractions of the axes (slots beyond 0..1 for markers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dot {
    pub x: f64,
    pub y: f64,
    /// Drawn as this marker instead of a dot (a value without a place on its axis).
    pub marker: Option<Marker>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScatterLayout {
    pub x: ValueAxis,
    pub y: ValueAxis,
    /// Per point: its dot, or `None` when the run lacks a value.
    pub dots: Vec<Option<Dot>>,
    /// Plot ranges in fractions: 0..1 with air, wider where markers sit beyond an end.
    pub x_span: (f64, f64),
    pub y_span: (f64, f64),
}

impl ScatterLayout {
    /// Runs left out for lack of a value.
    pub fn missing(&self) -> usize {
        self.dots.iter().filter(|d| d.is_none()).count()
    }
}

const AIR: f64 = 0.04;
const SLOT: f64 = 0.08;

pub fn layout_scatter(spec: &ScatterSpec) -> ScatterLayout {
    let x = ValueAxis::of(spec.points.iter().map(|p| &p.x), spec.x_log);
    let y = ValueAxis::of(spec.points.iter().map(|p| &p.y), spec.y_log);
    let (mut x_span, mut y_span) = ((-AIR, 1.0 + AIR), (-AIR, 1.0 + AIR));
    let dots: Vec<Option<Dot>> = spec
        .points
        .iter()
        .map(|p| {
            let (px, py) = (x.place(&p.x), y.place(&p.y));
            let at = |place: Place| match place {
                Place::At(t) => Some((t, None)),
                Place::Marker(m) => Some((if m.at_top() { 1.0 + SLOT } else { -SLOT }, Some(m))),
                Place::Missing => None,
            };
            let ((fx, mx), (fy, my)) = (at(px)?, at(py)?);
            Some(Dot {
                x: fx,
                y: fy,
                marker: my.or(mx),
            })
        })
        .collect();
    for dot in dots.iter().flatten() {
        x_span = (x_span.0.min(dot.x - AIR), x_span.1.max(dot.x + AIR));
        y_span = (y_span.0.min(dot.y - AIR), y_span.1.max(dot.y + AIR));
    }
    ScatterLayout {
        x,
        y,
        dots,
        x_span,
        y_span,
    }
}

/// The point whose dot is nearest to a pixel, within `radius` pixels.
pub fn nearest(layout: &ScatterLayout, frame: &Frame, (px, py): (f64, f64), radius: f64) -> Option<usize> {
    layout
        .dots
        .iter()
        .enumerate()
        .filter_map(|(i, dot)| {
            let dot = (*dot)?;
            let dx = frame.px_of_x(dot.x) - px;
            let dy = frame.py_of_value(dot.y)? - py;
            let d = (dx * dx + dy * dy).sqrt();
            (d <= radius).then_some((i, d))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

fn axis(values: &ValueAxis, span: (f64, f64), title: &str, max_ticks: usize) -> Axis {
    Axis {
        lo: span.0,
        hi: span.1,
        ticks: values
            .ticks(max_ticks)
            .into_iter()
            .map(|t| Tick {
                at: t.at,
                label: crate::draw::shorten(&t.label, 18),
            })
            .collect(),
        title: if values.is_log() {
            format!("{title} (log)")
        } else {
            title.to_string()
        },
    }
}

/// Draws `spec` onto `root` (filling it).
pub fn draw_scatter<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &ScatterSpec,
    style: &ChartStyle,
) -> Result<DrawStats, ChartError> {
    let px = begin(root, style)?;
    let colors = style.theme.colors();
    let (width, height) = root.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);
    let pad = px.of(12.0);
    let layout = layout_scatter(spec);
    let title_font = px.font(14.0, colors.text).pos(Pos::new(HPos::Left, VPos::Top));
    let note_font = px.font(11.5, colors.muted).pos(Pos::new(HPos::Left, VPos::Top));
    let (_, title_h) = root.estimate_text_size(&spec.title, &title_font)?;
    root.draw_text(&spec.title, &title_font, (pad, pad))?;
    let mut top = pad + title_h as i32 + px.of(8.0);
    let missing = layout.missing();
    if missing > 0 {
        let note = format!(
            "{missing} run{} without both values not shown",
            if missing == 1 { "" } else { "s" }
        );
        let (_, h) = root.estimate_text_size(&note, &note_font)?;
        root.draw_text(&note, &note_font, (pad, top))?;
        top += h as i32 + px.of(6.0);
    }
    let tick_font = px.font(11.0, colors.muted);
    let desc_font = px.font(12.0, colors.muted);
    let (_, tick_h) = root.estimate_text_size("0", &tick_font)?;
    let (_, desc_h) = root.estimate_text_size("x", &desc_font)?;
    let x_area = px.of(10.0) + tick_h as i32 + px.of(8.0) + desc_h as i32;
    let plot_h = height - top - pad - x_area;
    let y_ticks = (plot_h / px.of(44.0).max(1)).clamp(2, 10) as usize;
    let y_axis = axis(&layout.y, layout.y_span, &spec.y_label, y_ticks);
    let mut label_w = 0;
    for tick in &y_axis.ticks {
        label_w = label_w.max(root.estimate_text_size(&tick.label, &tick_font)?.0 as i32);
    }
    let y_area = label_w + px.of(10.0) + desc_h as i32 + px.of(8.0);
    let plot_w = width - 2 * pad - y_area;
    if plot_w < px.of(40.0) || plot_h < px.of(30.0) {
        return Ok(DrawStats {
            points_drawn: 0,
            frame: None,
        });
    }
    let x_ticks = (plot_w / px.of(90.0).max(1)).clamp(2, 12) as usize;
    let x_axis = axis(&layout.x, layout.x_span, &spec.x_label, x_ticks);

    let area = root.margin(top, pad, pad, pad);
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x_axis.clone(), y_axis.clone())?;
    chart
        .configure_mesh()
        .x_labels(x_axis.ticks.len().max(1))
        .y_labels(y_axis.ticks.len().max(1))
        .max_light_lines(0)
        .bold_line_style(rgb(colors.grid).stroke_width(px.width(1.0)))
        .axis_style(rgb(colors.axis).stroke_width(px.width(1.0)))
        .set_all_tick_mark_size(px.of(4.0))
        .label_style(tick_font)
        .axis_desc_style(desc_font)
        .x_desc(x_axis.title.clone())
        .y_desc(y_axis.title.clone())
        .draw()?;

    let radius = px.of(4.5).max(2) as u32;
    let mut drawn = 0;
    for (point, dot) in spec.points.iter().zip(&layout.dots) {
        let Some(dot) = dot else { continue };
        drawn += 1;
        let (cx, cy) = chart.backend_coord(&(dot.x, dot.y));
        match dot.marker {
            Some(marker) => draw_marker(root, (cx, cy), marker, px, point.color)?,
            None => {
                let color = rgb(point.color);
                root.draw(&Circle::new((cx, cy), radius, color.mix(0.8).filled()))?;
                root.draw(&Circle::new(
                    (cx, cy),
                    radius,
                    rgb(colors.background).stroke_width(px.width(1.0)),
                ))?;
            }
        }
    }
    if drawn == 0 {
        let plotting = chart.plotting_area().strip_coord_spec();
        let (w, h) = plotting.dim_in_pixel();
        let font = px.font(13.0, colors.muted).pos(Pos::new(HPos::Center, VPos::Center));
        let message = if spec.points.is_empty() {
            "No runs"
        } else {
            "No run has both values"
        };
        plotting.draw_text(message, &font, (w as i32 / 2, h as i32 / 2))?;
    }
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    Ok(DrawStats {
        points_drawn: drawn,
        frame: Some(Frame {
            left: f64::from(xs.start),
            right: f64::from(xs.end),
            top: f64::from(ys.start),
            bottom: f64::from(ys.end),
            x: layout.x_span,
            y: layout.y_span,
            y_scale: YScale::Linear,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::run_color;
    use runlens_core::MetricValue;

    fn point(id: &str, x: Cell, y: f64) -> ScatterPoint {
        ScatterPoint {
            label: id.into(),
            color: run_color(id),
            x,
            y: Cell::Number(MetricValue(y)),
        }
    }

    #[test]
    fn dots_markers_and_missing_runs() {
        let spec = ScatterSpec {
            title: "loss by lr".into(),
            x_label: "lr".into(),
            y_label: "loss".into(),
            points: vec![
                point("a", Cell::Text("1".into()), 0.5),
                point("b", Cell::Text("3".into()), 1.5),
                point("c", Cell::Missing, 0.1),
                point("d", Cell::Text("2".into()), f64::INFINITY),
            ],
            x_log: Some(false),
            y_log: None,
        };
        let l = layout_scatter(&spec);
        assert_eq!(l.missing(), 1);
        assert!(l.dots[2].is_none());
        let (a, b, d) = (l.dots[0].unwrap(), l.dots[1].unwrap(), l.dots[3].unwrap());
        assert!(a.x < d.x && d.x < b.x);
        assert!(a.y < b.y && a.marker.is_none());
        assert_eq!(d.marker, Some(Marker::PosInf));
        assert!(
            d.y > 1.0 && l.y_span.1 > d.y,
            "the +∞ marker sits above the data, inside the plot"
        );
        assert_eq!(l.x_span, (-AIR, 1.0 + AIR));

        let frame = Frame {
            left: 0.0,
            right: 100.0,
            top: 0.0,
            bottom: 100.0,
            x: (0.0, 1.0),
            y: (0.0, 1.0),
            y_scale: YScale::Linear,
        };
        let hit = |x, y| nearest(&l, &frame, (x, y), 6.0);
        let ax = frame.px_of_x(a.x);
        let ay = frame.py_of_value(a.y).unwrap();
        assert_eq!(hit(ax + 2.0, ay - 2.0), Some(0));
        assert_eq!(hit(ax + 30.0, ay), None);
    }
}
