//! A chart item as `runlens-charts` figures: one metric chart per key, the runs' lines in their
//! colours, drawn as the item's view says (x axis, log scale, smoothing). The report inlines them
//! as SVG; the shell saves them as PNG files.

use crate::data::ChartsData;
use runlens_charts::{
    ChartSeries, ChartSpec, ChartStyle, ExportFormat, ExportRequest, Figure, RunPalette, XAxis, YScale,
};
use runlens_core::review::ChartView;

/// A chart's size in layout pixels (in the report it scales to the page's width).
pub const CHART_WIDTH: u32 = 760;
pub const CHART_HEIGHT: u32 = 340;

/// One metric of a chart item: its chart, or `None` when none of the runs logged it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricChart {
    pub metric: String,
    pub spec: Option<ChartSpec>,
}

/// The item's charts, one per metric in the item's order.
pub fn metric_charts(data: &ChartsData, metrics: &[String], view: &ChartView) -> Vec<MetricChart> {
    let palette = RunPalette::of(data.runs.runs.iter().map(|r| r.run.info.run_id.as_str()));
    metrics
        .iter()
        .map(|metric| {
            let series: Vec<ChartSeries> = data
                .series_of(metric)
                .filter(|s| !s.points.is_empty())
                .map(|s| ChartSeries::from_sampled_in(s, data.run_name(&s.run_id), &palette))
                .collect();
            let spec = (!series.is_empty()).then(|| ChartSpec {
                series,
                x_axis: x_axis(view),
                y_scale: if view.log_y { YScale::Log } else { YScale::Linear },
                smoothing: view.smoothing,
                ..ChartSpec::new(metric.clone())
            });
            MetricChart {
                metric: metric.clone(),
                spec,
            }
        })
        .collect()
}

/// The view's x axis; a name this version does not know reads as steps.
pub fn x_axis(view: &ChartView) -> XAxis {
    XAxis::parse(&view.x_axis).unwrap_or_default()
}

/// How a chart is drawn for the report: SVG, light, no legend (the item's legend is HTML).
pub fn report_request(spec: &ChartSpec) -> ExportRequest {
    request(spec, ExportFormat::Svg, false, 1.0)
}

/// How a chart is saved as a file: a sharp PNG that names its lines itself.
pub fn png_request(spec: &ChartSpec) -> ExportRequest {
    request(spec, ExportFormat::Png, true, 2.0)
}

fn request(spec: &ChartSpec, format: ExportFormat, legend: bool, scale: f64) -> ExportRequest {
    ExportRequest {
        figure: Figure::Metric(spec.clone()),
        format,
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
        style: ChartStyle {
            legend,
            scale,
            ..ChartStyle::default()
        },
    }
}
