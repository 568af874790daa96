//! Parallel coordinates: one vertical axis per chosen param and a chosen metric last, one line
//! per run through its values. Numeric axes are linear or (spanning decades) log; other params
//! are categorical. Values without a place sit in labelled slots: NaN and +∞ above an axis,
//! −∞ (and ≤ 0 on a log axis) below it, and runs without the value lower still.

use crate::columns::{Cell, ValueAxis, BOTTOM_SLOT, MISSING_SLOT, TOP_SLOT};
use crate::draw::{begin, rgb, shorten, ChartError, DrawStats, Px};
use crate::spec::{gradient, ChartStyle, Rgb};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

/// What a parallel-coordinates chart shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParallelSpec {
    pub title: String,
    /// Axis titles, left to right (params, then the metric).
    pub axes: Vec<String>,
    pub lines: Vec<ParallelLine>,
    /// Set when lines are coloured by a value (with [`gradient`]): named in a colour legend.
    #[serde(default)]
    pub color_scale: Option<ColorScale>,
}

/// One run: its values, one per axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParallelLine {
    pub label: String,
    pub color: Rgb,
    pub cells: Vec<Cell>,
}

/// The value the line colours stand for, from `lo` (the gradient's start) to `hi`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColorScale {
    pub label: String,
    pub lo: f64,
    pub hi: f64,
}

/// A parallel-coordinates chart in axis fractions.
#[derive(Debug, Clone, PartialEq)]
pub struct ParallelLayout {
    pub axes: Vec<ValueAxis>,
    /// Per line, per axis: where it crosses, as a fraction of the axis (slots included).
    pub lines: Vec<Vec<f64>>,
    /// Per axis: whether any line uses the top, bottom and missing slots.
    pub slots: Vec<(bool, bool, bool)>,
}

/// Lays the spec out; a line's missing cells (fewer cells than axes) count as missing values.
pub fn layout_parallel(spec: &ParallelSpec) -> ParallelLayout {
    let cell = |line: &ParallelLine, i: usize| line.cells.get(i).cloned().unwrap_or(Cell::Missing);
    let axes: Vec<ValueAxis> = (0..spec.axes.len())
        .map(|i| {
            let column: Vec<Cell> = spec.lines.iter().map(|l| cell(l, i)).collect();
            ValueAxis::of(&column, None)
        })
        .collect();
    let lines: Vec<Vec<f64>> = spec
        .lines
        .iter()
        .map(|line| {
            axes.iter()
                .enumerate()
                .map(|(i, axis)| axis.place(&cell(line, i)).fraction())
                .collect()
        })
        .collect();
    let slots = (0..axes.len())
        .map(|i| {
            let used = |slot: f64| lines.iter().any(|l| l[i] == slot);
            (used(TOP_SLOT), used(BOTTOM_SLOT), used(MISSING_SLOT))
        })
        .collect();
    ParallelLayout { axes, lines, slots }
}

/// The fractions the plot spans: the axis, the slots some line uses, and a little air.
fn span(slots: &[(bool, bool, bool)]) -> (f64, f64) {
    let any = |pick: fn(&(bool, bool, bool)) -> bool| slots.iter().any(pick);
    let low = if any(|s| s.2) {
        MISSING_SLOT
    } else if any(|s| s.1) {
        BOTTOM_SLOT
    } else {
        0.0
    };
    let high = if any(|s| s.0) { TOP_SLOT } else { 1.0 };
    (low - 0.05, high + 0.05)
}

/// Draws `spec` onto `root` (filling it).
pub fn draw_parallel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &ParallelSpec,
    style: &ChartStyle,
) -> Result<DrawStats, ChartError> {
    let px = begin(root, style)?;
    let colors = style.theme.colors();
    let (width, height) = root.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);
    let pad = px.of(12.0);
    let title_font = px.font(14.0, colors.text).pos(Pos::new(HPos::Left, VPos::Top));
    let (_, title_h) = root.estimate_text_size(&spec.title, &title_font)?;
    root.draw_text(&spec.title, &title_font, (pad, pad))?;
    if let Some(scale) = &spec.color_scale {
        draw_color_scale(root, scale, px, style, (width - pad, pad))?;
    }
    let layout = layout_parallel(spec);
    let n = layout.axes.len();
    let message = if n < 2 {
        Some("Choose at least two axes")
    } else if spec.lines.is_empty() {
        Some("No runs")
    } else {
        None
    };
    let axis_font = px.font(12.0, colors.text).pos(Pos::new(HPos::Center, VPos::Top));
    let tick_font = px.font(10.5, colors.muted).pos(Pos::new(HPos::Left, VPos::Center));
    let (_, axis_title_h) = root.estimate_text_size("Mg", &axis_font)?;
    let top = pad + title_h as i32 + px.of(14.0) + axis_title_h as i32 + px.of(10.0);
    let bottom = height - pad - px.of(4.0);
    // Room for the first axis' title (centred on it) and the last axis' tick labels.
    let spacing_guess = (width - 2 * pad - px.of(80.0)) / (n as i32 - 1).max(1);
    let first_title = match spec.axes.first() {
        Some(t) => {
            root.estimate_text_size(
                &fit(root, t, &axis_font, spacing_guess.max(px.of(60.0)) - px.of(8.0))?,
                &axis_font,
            )?
            .0 as i32
        }
        None => 0,
    };
    let left = pad + px.of(8.0).max(first_title / 2);
    let right = width - pad - px.of(72.0);
    if let Some(message) = message.filter(|_| right > left && bottom > top) {
        let font = px.font(13.0, colors.muted).pos(Pos::new(HPos::Center, VPos::Center));
        root.draw_text(message, &font, ((left + right) / 2, (top + bottom) / 2))?;
    }
    if message.is_some() || right - left < px.of(60.0) || bottom - top < px.of(60.0) {
        return Ok(DrawStats {
            points_drawn: 0,
            frame: None,
        });
    }
    let x_of = |i: usize| left + ((right - left) as f64 * i as f64 / (n - 1) as f64).round() as i32;
    let span = span(&layout.slots);
    let y_of = |f: f64| bottom - (((f - span.0) / (span.1 - span.0)) * (bottom - top) as f64).round() as i32;

    // Lines under the axes; many lines are drawn lighter so the bundle still reads.
    let alpha = if spec.lines.len() > 200 {
        0.35
    } else if spec.lines.len() > 30 {
        0.6
    } else {
        0.9
    };
    let pen_width = if spec.lines.len() > 200 { 1.0 } else { 1.6 };
    for (line, fractions) in spec.lines.iter().zip(&layout.lines) {
        let points: Vec<(i32, i32)> = fractions.iter().enumerate().map(|(i, f)| (x_of(i), y_of(*f))).collect();
        let pen = rgb(line.color).mix(alpha).stroke_width(px.width(pen_width));
        root.draw(&PathElement::new(points, pen))?;
    }

    // Axes: the line, its ticks, its title above, and the slots it uses.
    let spacing = (right - left) / (n as i32 - 1).max(1);
    for (i, axis) in layout.axes.iter().enumerate() {
        let x = x_of(i);
        let axis_pen = rgb(colors.axis).stroke_width(px.width(1.5));
        root.draw(&PathElement::new(vec![(x, y_of(0.0)), (x, y_of(1.0))], axis_pen))?;
        let title = fit(root, &spec.axes[i], &axis_font, spacing.max(px.of(60.0)) - px.of(8.0))?;
        root.draw_text(&title, &axis_font, (x, top - axis_title_h as i32 - px.of(14.0)))?;
        let ticks_wanted = ((bottom - top) / px.of(36.0).max(1)).clamp(2, 10) as usize;
        let label_room = if i + 1 == n { px.of(70.0) } else { spacing - px.of(14.0) };
        for tick in axis.ticks(ticks_wanted) {
            let y = y_of(tick.at);
            root.draw(&PathElement::new(
                vec![(x - px.of(3.0), y), (x + px.of(3.0), y)],
                axis_pen,
            ))?;
            let label = fit(root, &tick.label, &tick_font, label_room)?;
            // On a backing of the background, so labels stay readable over thousands of lines.
            let (w, h) = root.estimate_text_size(&label, &tick_font)?;
            let (w, h) = (w as i32, h as i32);
            let backing = rgb(colors.background).mix(0.8).filled();
            let (x0, y0) = (x + px.of(4.0), y - h / 2 - px.of(1.0));
            root.draw(&Rectangle::new(
                [(x0, y0), (x0 + w + px.of(4.0), y0 + h + px.of(2.0))],
                backing,
            ))?;
            root.draw_text(&label, &tick_font, (x + px.of(6.0), y))?;
        }
        let (top_used, bottom_used, missing_used) = layout.slots[i];
        let slot_font = px.font(10.0, colors.muted).pos(Pos::new(HPos::Left, VPos::Center));
        for (used, at, label) in [
            (top_used, TOP_SLOT, "NaN / +∞"),
            (bottom_used, BOTTOM_SLOT, if axis.is_log() { "−∞ / ≤ 0" } else { "−∞" }),
            (missing_used, MISSING_SLOT, "none"),
        ] {
            if used {
                let y = y_of(at);
                root.draw(&Circle::new(
                    (x, y),
                    px.of(2.5).max(1) as u32,
                    rgb(colors.axis).filled(),
                ))?;
                root.draw_text(label, &slot_font, (x + px.of(6.0), y))?;
            }
        }
    }
    Ok(DrawStats {
        points_drawn: spec.lines.len(),
        frame: None,
    })
}

/// `text`, shortened with an ellipsis until it is at most `max_width` pixels wide.
pub(crate) fn fit<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    font: &TextStyle<'_>,
    max_width: i32,
) -> Result<String, ChartError> {
    let mut chars = text.chars().count();
    let mut shown = text.to_string();
    while chars > 1 && root.estimate_text_size(&shown, font)?.0 as i32 > max_width {
        chars = (chars * 4 / 5).min(chars - 1);
        shown = shorten(text, chars);
    }
    Ok(shown)
}

/// A gradient bar with its label and ends, its right edge at `(right, top)`.
fn draw_color_scale<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scale: &ColorScale,
    px: Px,
    style: &ChartStyle,
    (right, top): (i32, i32),
) -> Result<(), ChartError> {
    let colors = style.theme.colors();
    let font = px.font(11.0, colors.muted).pos(Pos::new(HPos::Right, VPos::Center));
    let (bar_w, bar_h) = (px.of(120.0), px.of(10.0));
    let cy = top + px.of(8.0);
    let hi = crate::ticks::format_number(
        scale.hi,
        (scale.hi - scale.lo).abs() / 100.0,
        scale.hi.abs().max(scale.lo.abs()),
    );
    let lo = crate::ticks::format_number(
        scale.lo,
        (scale.hi - scale.lo).abs() / 100.0,
        scale.hi.abs().max(scale.lo.abs()),
    );
    let (hi_w, _) = root.estimate_text_size(&hi, &font)?;
    let bar_right = right - hi_w as i32 - px.of(6.0);
    root.draw_text(&hi, &font, (right, cy))?;
    let steps = 24;
    for k in 0..steps {
        let x0 = bar_right - bar_w + bar_w * k / steps;
        let x1 = bar_right - bar_w + bar_w * (k + 1) / steps;
        let color = gradient((k as f64 + 0.5) / steps as f64);
        root.draw(&Rectangle::new(
            [(x0, cy - bar_h / 2), (x1, cy + bar_h / 2)],
            rgb(color).filled(),
        ))?;
    }
    let label = format!("{}  {lo}", shorten(&scale.label, 40));
    root.draw_text(&label, &font, (bar_right - bar_w - px.of(6.0), cy))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::run_color;
    use runlens_core::MetricValue;

    fn line(id: &str, lr: &str, opt: Option<&str>, loss: f64) -> ParallelLine {
        ParallelLine {
            label: id.into(),
            color: run_color(id),
            cells: vec![
                Cell::Text(lr.into()),
                opt.map_or(Cell::Missing, |o| Cell::Text(o.into())),
                Cell::Number(MetricValue(loss)),
            ],
        }
    }

    #[test]
    fn lines_cross_each_axis_at_their_values() {
        let spec = ParallelSpec {
            title: "sweep".into(),
            axes: vec!["lr".into(), "optimizer".into(), "loss".into()],
            lines: vec![
                line("a", "0.001", Some("adam"), 0.5),
                line("b", "0.1", Some("sgd"), f64::NAN),
                line("c", "0.01", None, 0.25),
            ],
            color_scale: None,
        };
        let l = layout_parallel(&spec);
        assert!(l.axes[0].is_log());
        assert_eq!(l.axes[1], ValueAxis::Categories(vec!["adam".into(), "sgd".into()]));
        assert!(l.lines[0][0] > 0.0 && l.lines[0][0] < 0.1, "{}", l.lines[0][0]);
        assert!(
            (l.lines[2][0] - 0.5).abs() < 1e-9,
            "0.01 is half way on a log axis from 0.001 to 0.1"
        );
        assert_eq!((l.lines[0][1], l.lines[1][1], l.lines[2][1]), (0.0, 1.0, MISSING_SLOT));
        assert_eq!(l.lines[1][2], TOP_SLOT, "NaN loss sits above the axis");
        assert_eq!(
            l.slots,
            vec![(false, false, false), (false, false, true), (true, false, false)]
        );
        assert_eq!(span(&l.slots), (MISSING_SLOT - 0.05, TOP_SLOT + 0.05));
        assert_eq!(span(&[(false, false, false)]), (-0.05, 1.05));
        assert_eq!(
            span(&[(false, true, false), (false, false, false)]),
            (BOTTOM_SLOT - 0.05, 1.05)
        );
        // A line with fewer cells than axes is missing the rest.
        let mut short = spec.clone();
        short.lines[0].cells.truncate(1);
        assert_eq!(layout_parallel(&short).lines[0][2], MISSING_SLOT);
    }
}
