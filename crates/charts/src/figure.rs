//! Any chart Runlens draws (`Figure`: a metric chart, parallel coordinates or a scatter), drawn by
//! one function onto any plotters backend, and what an export asks for (`ExportRequest`).

use crate::draw::{draw_chart, ChartError, DrawStats};
use crate::parallel::{draw_parallel, ParallelSpec};
use crate::scatter::{draw_scatter, ScatterSpec};
use crate::spec::{ChartSpec, ChartStyle};
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Figure {
    Metric(ChartSpec),
    Parallel(ParallelSpec),
    Scatter(ScatterSpec),
}

impl Figure {
    pub fn title(&self) -> &str {
        match self {
            Figure::Metric(spec) => &spec.title,
            Figure::Parallel(spec) => &spec.title,
            Figure::Scatter(spec) => &spec.title,
        }
    }

    /// Points (metric charts), lines (parallel coordinates) or dots (scatter) it holds.
    pub fn size(&self) -> usize {
        match self {
            Figure::Metric(spec) => spec.point_count(),
            Figure::Parallel(spec) => spec.lines.len(),
            Figure::Scatter(spec) => spec.points.len(),
        }
    }
}

/// Draws any figure onto `root` (filling it).
pub fn draw_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    figure: &Figure,
    style: &ChartStyle,
) -> Result<DrawStats, ChartError> {
    match figure {
        Figure::Metric(spec) => draw_chart(root, spec, style),
        Figure::Parallel(spec) => draw_parallel(root, spec, style),
        Figure::Scatter(spec) => draw_scatter(root, spec, style),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Png,
    Svg,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Png => "png",
            ExportFormat::Svg => "svg",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Png => "PNG image",
            ExportFormat::Svg => "SVG image",
        }
    }
}

/// A chart to export as a file: the figure on screen, its size in layout pixels and its look.
/// A PNG has `width × scale` by `height × scale` pixels; an SVG is `width × height`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRequest {
    pub figure: Figure,
    pub format: ExportFormat,
    pub width: u32,
    pub height: u32,
    pub style: ChartStyle,
}

/// Largest export side in layout pixels, and largest PNG in pixels (48 MB of RGB while drawn).
pub const MAX_EXPORT_SIDE: u32 = 4000;
pub const MAX_EXPORT_PIXELS: u64 = 16_000_000;

impl ExportRequest {
    /// A file name for the figure: its title with characters file systems refuse replaced.
    pub fn file_name(&self) -> String {
        let cleaned: String = self
            .figure
            .title()
            .chars()
            .map(|c| {
                if c.is_control() || "/\\:*?\"<>|".contains(c) {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let stem = cleaned.trim().trim_matches('.').chars().take(100).collect::<String>();
        let stem = if stem.is_empty() { "chart".to_string() } else { stem };
        format!("{stem}.{}", self.format.extension())
    }

    /// The request as drawn: sides at least 100 and at most [`MAX_EXPORT_SIDE`], a scale of 1 to 4
    /// (1 for SVG) that keeps a PNG under [`MAX_EXPORT_PIXELS`].
    pub fn bounded(&self) -> ExportRequest {
        let mut out = self.clone();
        out.width = self.width.clamp(100, MAX_EXPORT_SIDE);
        out.height = self.height.clamp(100, MAX_EXPORT_SIDE);
        let wanted = if self.style.scale.is_finite() {
            self.style.scale.clamp(1.0, 4.0)
        } else {
            1.0
        };
        out.style.scale = match self.format {
            ExportFormat::Svg => 1.0,
            ExportFormat::Png => {
                let area = f64::from(out.width) * f64::from(out.height);
                wanted.min((MAX_EXPORT_PIXELS as f64 / area).sqrt()).max(1.0)
            }
        };
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(title: &str, format: ExportFormat) -> ExportRequest {
        ExportRequest {
            figure: Figure::Metric(ChartSpec::new(title)),
            format,
            width: 800,
            height: 450,
            style: ChartStyle::default(),
        }
    }

    #[test]
    fn file_names_come_from_titles() {
        assert_eq!(request("val/loss", ExportFormat::Png).file_name(), "val_loss.png");
        assert_eq!(request("  ", ExportFormat::Svg).file_name(), "chart.svg");
        assert_eq!(request("a:b*c?\n", ExportFormat::Svg).file_name(), "a_b_c__.svg");
        assert_eq!(request("..", ExportFormat::Png).file_name(), "chart.png");
    }

    #[test]
    fn exports_are_bounded() {
        let mut big = request("x", ExportFormat::Png);
        big.width = 100_000;
        big.height = 3;
        big.style.scale = 50.0;
        let b = big.bounded();
        assert_eq!((b.width, b.height), (MAX_EXPORT_SIDE, 100));
        let png = f64::from(b.width) * b.style.scale * f64::from(b.height) * b.style.scale;
        assert!(png <= MAX_EXPORT_PIXELS as f64 * 1.0001);
        let mut svg = request("x", ExportFormat::Svg);
        svg.style.scale = 2.0;
        assert_eq!(svg.bounded().style.scale, 1.0);
        let mut nan = request("x", ExportFormat::Png);
        nan.style.scale = f64::NAN;
        assert_eq!(nan.bounded().style.scale, 1.0);
    }

    #[test]
    fn figures_travel_as_tagged_json() {
        let figure = Figure::Metric(ChartSpec::new("loss"));
        let json = serde_json::to_value(&figure).unwrap();
        assert_eq!(json["kind"], "metric");
        assert_eq!(serde_json::from_value::<Figure>(json).unwrap(), figure);
        // A style from before the legend switch still reads, legend on.
        let style: ChartStyle =
            serde_json::from_str(r#"{"theme":"dark","scale":2.0,"utc_offset_minutes":60}"#).unwrap();
        assert!(style.legend);
    }
}
