//! Charts as files, natively: SVG text and PNG bytes from the same drawing path as the canvas.
//! Text is measured (and, in PNGs, drawn) with the bundled DejaVu Sans.

use crate::draw::{ChartError, DrawStats, FONT_FAMILY};
use crate::figure::{draw_figure, ExportFormat, ExportRequest, Figure};
use crate::spec::{ChartSpec, ChartStyle};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::sync::OnceLock;

/// DejaVu Sans 2.37 (Bitstream Vera license, see assets/fonts/LICENSE-DejaVu.txt).
static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the bundled font under [`FONT_FAMILY`] once; plotters measures text with it.
pub(crate) fn register_fonts() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), ChartError>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS)
                .map_err(|_| ChartError("the bundled DejaVu Sans font cannot be read".into()))
        })
        .clone()
}

/// The chart as an SVG document of `width` × `height` pixels, light theme, times in UTC.
pub fn render_svg(spec: &ChartSpec, width: u32, height: u32) -> Result<String, ChartError> {
    render_svg_with(spec, width, height, &ChartStyle::default()).map(|(svg, _)| svg)
}

/// [`render_svg`] in a given style.
pub fn render_svg_with(
    spec: &ChartSpec,
    width: u32,
    height: u32,
    style: &ChartStyle,
) -> Result<(String, DrawStats), ChartError> {
    figure_svg(&Figure::Metric(spec.clone()), width, height, style)
}

/// Any figure as an SVG document of `width` × `height` pixels.
pub fn figure_svg(
    figure: &Figure,
    width: u32,
    height: u32,
    style: &ChartStyle,
) -> Result<(String, DrawStats), ChartError> {
    let mut svg = String::new();
    let stats = {
        let root = SVGBackend::with_string(&mut svg, (width.max(1), height.max(1))).into_drawing_area();
        let stats = draw_figure(&root, figure, style)?;
        root.present()?;
        stats
    };
    Ok((svg, stats))
}

/// The file an export asks for (PNG or SVG bytes), drawn within [`ExportRequest::bounded`].
pub fn export(request: &ExportRequest) -> Result<Vec<u8>, ChartError> {
    let r = request.bounded();
    match r.format {
        ExportFormat::Svg => Ok(figure_svg(&r.figure, r.width, r.height, &r.style)?.0.into_bytes()),
        ExportFormat::Png => {
            let w = (f64::from(r.width) * r.style.scale).round() as u32;
            let h = (f64::from(r.height) * r.style.scale).round() as u32;
            Ok(figure_png(&r.figure, w, h, &r.style)?.0)
        }
    }
}

/// The chart as a PNG image of `width` × `height` pixels, light theme, times in UTC.
pub fn render_png(spec: &ChartSpec, width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    render_png_with(spec, width, height, &ChartStyle::default()).map(|(png, _)| png)
}

/// [`render_png`] in a given style (`scale: 2.0` for a sharp image at twice the size).
pub fn render_png_with(
    spec: &ChartSpec,
    width: u32,
    height: u32,
    style: &ChartStyle,
) -> Result<(Vec<u8>, DrawStats), ChartError> {
    figure_png(&Figure::Metric(spec.clone()), width, height, style)
}

/// Any figure as a PNG image of `width` × `height` pixels.
pub fn figure_png(
    figure: &Figure,
    width: u32,
    height: u32,
    style: &ChartStyle,
) -> Result<(Vec<u8>, DrawStats), ChartError> {
    let (width, height) = (width.max(1), height.max(1));
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    let stats = {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        let stats = draw_figure(&root, figure, style)?;
        root.present()?;
        stats
    };
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let encode = |e: png::EncodingError| ChartError(format!("cannot encode the PNG: {e}"));
    let mut writer = encoder.write_header().map_err(encode)?;
    writer.write_image_data(&pixels).map_err(encode)?;
    writer.finish().map_err(encode)?;
    Ok((png, stats))
}
