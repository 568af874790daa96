//! Runlens' metric charts: one plotters drawing path for the webview's canvas and for SVG and
//! PNG export, with the maths that decides what is drawn kept pure and tested on its own.
//!
//! - `spec`: what a chart shows (`ChartSpec`) and how it looks (`ChartStyle`), run colours.
//! - `smooth`: TensorBoard's debiased EMA. `scale`: y positions, markers, ranges, clipping.
//! - `ticks`: round-number, log and clock-aligned ticks and their labels.
//! - `plot`: a spec laid out in plot units. `draw`: that layout onto any plotters backend.
//! - `hover`: where the plot is drawn and what lies under the pointer (crosshair, zoom).
//! - `columns`, `parallel`, `scatter`: runs' params and metrics as parallel coordinates and
//!   scatter plots. `figure`: any of the three, and what an export asks for.
//! - `export` (native): SVG and PNG. `canvas` (wasm): an `HtmlCanvasElement`.
//!
//! Non-finite values (NaN, ±inf and the ±f64::MAX SQL stores write for ±inf) never enter a range:
//! they are drawn as markers on the plot's edge, and smoothing passes them through.

#[cfg(target_arch = "wasm32")]
pub mod canvas;
pub mod columns;
pub mod draw;
#[cfg(not(target_arch = "wasm32"))]
pub mod export;
pub mod figure;
pub mod hover;
pub mod parallel;
pub mod plot;
pub mod scale;
pub mod scatter;
pub mod smooth;
pub mod spec;
pub mod ticks;

pub use draw::{draw_chart, ChartError, DrawStats};
#[cfg(not(target_arch = "wasm32"))]
pub use export::{export, figure_png, figure_svg, render_png, render_png_with, render_svg, render_svg_with};
pub use figure::{draw_figure, ExportFormat, ExportRequest, Figure};
pub use scale::Marker;
pub use spec::{
    gradient, run_color, run_colors, ChartSeries, ChartSpec, ChartStyle, Rgb, RunPalette, Theme, XAxis, YScale, PALETTE,
};
