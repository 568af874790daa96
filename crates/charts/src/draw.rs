//! The one drawing path: a `ChartSpec` onto any plotters backend (the webview's canvas, SVG and
//! PNG for export). Layout happens in device pixels, scaled by `ChartStyle::scale`.

use crate::hover::Frame;
use crate::plot::{layout, Axis, Plot};
use crate::scale::Marker;
use crate::spec::{ChartSpec, ChartStyle, Rgb};
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// The font family asked of every backend: the browser resolves it on the canvas; natively it
/// is the bundled DejaVu Sans, registered under this name.
pub const FONT_FAMILY: &str = "sans-serif";

/// Plotters' font size per em.
pub(crate) const PLOTTERS_EM: f64 = 1.24;

/// What a draw did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawStats {
    /// Points drawn, on lines or as markers (points outside a zoom are not drawn).
    pub points_drawn: usize,
    /// Where the plot went (`None` when there was no room for axes): for hover and zoom.
    pub frame: Option<Frame>,
}

/// A chart could not be drawn (the backend failed, or text could not be measured).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct ChartError(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError(e.to_string())
    }
}

/// An axis is its own plotters coordinate: linear in plot units, with the ticks `plot` chose
/// (and no minor grid).
impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        let pixel = f64::from(limit.0) + t * f64::from(limit.1 - limit.0);
        pixel.round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.iter().map(|t| t.at).collect()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, value: &f64) -> String {
        self.ticks
            .iter()
            .find(|t| t.at == *value)
            .map(|t| t.label.clone())
            .unwrap_or_default()
    }
}

pub(crate) fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Device pixels for `scale`.
#[derive(Clone, Copy)]
pub(crate) struct Px(pub(crate) f64);

impl Px {
    pub(crate) fn of(self, v: f64) -> i32 {
        (v * self.0).round() as i32
    }
    pub(crate) fn width(self, v: f64) -> u32 {
        ((v * self.0).round() as u32).max(1)
    }
    /// A font whose em is `size` layout pixels. Plotters' sizes are line heights, 1.24 em (its SVG
    /// backend writes `size / 1.24` as the font size; the canvas wrapper does the same).
    pub(crate) fn font(self, size: f64, color: Rgb) -> TextStyle<'static> {
        let mut style = TextStyle::from((FONT_FAMILY, size * PLOTTERS_EM * self.0).into_font());
        style.color = rgb(color).to_backend_color();
        style
    }
}

enum LegendEntry {
    Series(String, Rgb),
    Marker(Marker),
}

/// Readies a backend for a figure: the fonts (natively), the pixel scale and the background.
pub(crate) fn begin<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, style: &ChartStyle) -> Result<Px, ChartError> {
    #[cfg(not(target_arch = "wasm32"))]
    crate::export::register_fonts()?;
    let scale = if style.scale.is_finite() {
        style.scale.clamp(0.5, 8.0)
    } else {
        1.0
    };
    root.fill(&rgb(style.theme.colors().background))?;
    Ok(Px(scale))
}

/// Draws `spec` onto `root` (filling it), sized to the area.
pub fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
    style: &ChartStyle,
) -> Result<DrawStats, ChartError> {
    let px = begin(root, style)?;
    let colors = style.theme.colors();
    let (width, height) = root.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);
    let pad = px.of(12.0);

    let title_font = px.font(14.0, colors.text).pos(Pos::new(HPos::Left, VPos::Top));
    let legend_font = px.font(12.0, colors.text).pos(Pos::new(HPos::Left, VPos::Center));
    let tick_font = px.font(11.0, colors.muted);
    let desc_font = px.font(12.0, colors.muted);

    // Title.
    let (_, title_h) = root.estimate_text_size(&spec.title, &title_font)?;
    root.draw_text(&spec.title, &title_font, (pad, pad))?;
    let mut top = pad + title_h as i32 + px.of(8.0);

    // Lay the data out once to know which markers exist and how wide the y labels are; then again
    // with as many x ticks as the plot's real width holds.
    let (_, tick_h) = root.estimate_text_size("0", &tick_font)?;
    let (_, desc_h) = root.estimate_text_size("step", &desc_font)?;
    let x_area = px.of(10.0) + tick_h as i32 + px.of(8.0) + desc_h as i32;
    let x_ticks_for = |plot_w: i32| (plot_w / px.of(100.0).max(1)).clamp(2, 12) as usize;
    let x_guess = x_ticks_for(width - 2 * pad - px.of(60.0));
    let mut plot = layout(spec, style.utc_offset_minutes, x_guess, 5);

    // Legend rows under the title: the series, then the kinds of marker shown.
    let named = if style.legend { plot.series.as_slice() } else { &[] };
    let entries: Vec<LegendEntry> = named
        .iter()
        .map(|s| LegendEntry::Series(shorten(&s.label, 48), s.color))
        .chain(plot.markers_present().into_iter().map(LegendEntry::Marker))
        .collect();
    let swatch = px.of(18.0);
    let row_h = px.of(18.0);
    let (mut x, mut rows) = (pad, 0);
    let mut placed = Vec::new();
    for entry in &entries {
        let text = match entry {
            LegendEntry::Series(label, _) => label.as_str(),
            LegendEntry::Marker(m) => m.label(),
        };
        let (text_w, _) = root.estimate_text_size(text, &legend_font)?;
        let entry_w = swatch + px.of(6.0) + text_w as i32;
        if x > pad && x + entry_w > width - pad {
            x = pad;
            rows += 1;
        }
        placed.push((entry, text, x, top + rows * row_h + row_h / 2));
        x += entry_w + px.of(16.0);
    }
    if !entries.is_empty() {
        top += (rows + 1) * row_h + px.of(6.0);
    }

    let plot_h = height - top - pad - x_area;
    let y_ticks = (plot_h / px.of(44.0).max(1)).clamp(2, 10) as usize;
    plot = layout(spec, style.utc_offset_minutes, x_guess, y_ticks);
    let mut label_w = 0;
    for tick in &plot.y.ticks {
        label_w = label_w.max(root.estimate_text_size(&tick.label, &tick_font)?.0 as i32);
    }
    let y_area = label_w + px.of(10.0) + desc_h as i32 + px.of(8.0);
    let plot_w = width - 2 * pad - y_area;
    let x_ticks = x_ticks_for(plot_w);
    if x_ticks != x_guess {
        plot = layout(spec, style.utc_offset_minutes, x_ticks, y_ticks);
    }

    for (entry, text, x, cy) in placed {
        match entry {
            LegendEntry::Series(_, color) => {
                let line = rgb(*color).stroke_width(px.width(2.0));
                root.draw(&PathElement::new(vec![(x, cy), (x + swatch, cy)], line))?;
            }
            LegendEntry::Marker(m) => draw_marker(root, (x + swatch / 2, cy), *m, px, colors.muted)?,
        }
        root.draw_text(text, &legend_font, (x + swatch + px.of(6.0), cy))?;
    }

    // Too small for axes: the title and legend are all there is room for.
    if plot_w < px.of(40.0) || plot_h < px.of(30.0) {
        return Ok(DrawStats {
            points_drawn: 0,
            frame: None,
        });
    }
    draw_plot(
        root,
        &plot,
        spec,
        px,
        style,
        (top, pad, x_area, y_area),
        (tick_font, desc_font),
    )
}

/// The axes, grid, lines and markers below the legend.
fn draw_plot<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &Plot,
    spec: &ChartSpec,
    px: Px,
    style: &ChartStyle,
    (top, pad, x_area, y_area): (i32, i32, i32, i32),
    (tick_font, desc_font): (TextStyle<'static>, TextStyle<'static>),
) -> Result<DrawStats, ChartError> {
    let colors = style.theme.colors();
    let area = root.margin(top, pad, pad, pad);
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(plot.x.clone(), plot.y.clone())?;
    chart
        .configure_mesh()
        .x_labels(plot.x.ticks.len().max(1))
        .y_labels(plot.y.ticks.len().max(1))
        .max_light_lines(0)
        .bold_line_style(rgb(colors.grid).stroke_width(px.width(1.0)))
        .axis_style(rgb(colors.axis).stroke_width(px.width(1.0)))
        .set_all_tick_mark_size(px.of(4.0))
        .label_style(tick_font)
        .axis_desc_style(desc_font)
        .x_desc(plot.x.title.clone())
        .y_desc(plot.y.title.clone())
        .draw()?;

    let smoothing = plot.series.iter().any(|s| !s.smoothed.is_empty());
    for series in &plot.series {
        let color = rgb(series.color);
        let (raw_style, raw_dot) = if smoothing {
            (color.mix(0.3).stroke_width(px.width(1.0)), color.mix(0.3).filled())
        } else {
            (color.stroke_width(px.width(1.5)), color.filled())
        };
        let dot = px.of(2.0).max(1) as u32;
        for part in &series.raw {
            match part.as_slice() {
                [only] => chart.plotting_area().draw(&Circle::new(*only, dot, raw_dot))?,
                line => chart
                    .plotting_area()
                    .draw(&PathElement::new(line.to_vec(), raw_style))?,
            }
        }
        for part in &series.smoothed {
            match part.as_slice() {
                [only] => chart.plotting_area().draw(&Circle::new(*only, dot, color.filled()))?,
                line => chart
                    .plotting_area()
                    .draw(&PathElement::new(line.to_vec(), color.stroke_width(px.width(2.0))))?,
            }
        }
    }

    // Points without a place on the y axis sit on the plot's top or bottom edge.
    let r = px.of(4.0).max(2);
    for series in &plot.series {
        for &(x, marker) in &series.markers {
            let edge = if marker.at_top() { plot.y.hi } else { plot.y.lo };
            let (cx, cy) = chart.backend_coord(&(x, edge));
            let cy = if marker.at_top() { cy + r + 1 } else { cy - r - 1 };
            draw_marker(root, (cx, cy), marker, px, series.color)?;
        }
    }

    if plot.points_drawn() == 0 {
        let message = if spec.point_count() == 0 {
            "No points"
        } else {
            "No points in this range"
        };
        let plotting = chart.plotting_area().strip_coord_spec();
        let (w, h) = plotting.dim_in_pixel();
        let font = px.font(13.0, colors.muted).pos(Pos::new(HPos::Center, VPos::Center));
        plotting.draw_text(message, &font, (w as i32 / 2, h as i32 / 2))?;
    }
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    Ok(DrawStats {
        points_drawn: plot.points_drawn(),
        frame: Some(Frame {
            left: f64::from(xs.start),
            right: f64::from(xs.end),
            top: f64::from(ys.start),
            bottom: f64::from(ys.end),
            x: (plot.x.lo, plot.x.hi),
            y: (plot.y.lo, plot.y.hi),
            y_scale: spec.y_scale,
        }),
    })
}

/// ▲ +inf, ▼ −inf, × NaN, ▽ (hollow) a value ≤ 0 on a log scale, centred on `c`.
pub(crate) fn draw_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (cx, cy): (i32, i32),
    marker: Marker,
    px: Px,
    color: Rgb,
) -> Result<(), ChartError> {
    let r = px.of(4.0).max(2);
    let color = rgb(color);
    let down = vec![(cx - r, cy - r), (cx + r, cy - r), (cx, cy + r)];
    match marker {
        Marker::PosInf => root.draw(&Polygon::new(
            vec![(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)],
            color.filled(),
        ))?,
        Marker::NegInf => root.draw(&Polygon::new(down, color.filled()))?,
        Marker::NonPositive => {
            let mut outline = down;
            outline.push(outline[0]);
            root.draw(&PathElement::new(outline, color.stroke_width(px.width(1.5))))?
        }
        Marker::Nan => {
            let pen = color.stroke_width(px.width(1.5));
            root.draw(&PathElement::new(vec![(cx - r, cy - r), (cx + r, cy + r)], pen))?;
            root.draw(&PathElement::new(vec![(cx - r, cy + r), (cx + r, cy - r)], pen))?;
        }
    }
    Ok(())
}

pub(crate) fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(max_chars - 1).collect();
        short.push('…');
        short
    }
}
