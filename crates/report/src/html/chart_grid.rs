//! A chart item: one inline SVG chart per metric, drawn by `runlens-charts` as the item's view
//! says, under one legend of the runs in their colours.

use super::comparison::{missing_runs, palette_of};
use super::{note, run_label};
use crate::charts::{metric_charts, report_request, x_axis, MetricChart};
use crate::data::ChartsData;
use crate::format;
use crate::markup::Html;
use crate::svg;
use runlens_core::review::ChartView;

pub(super) fn render(h: &mut Html, data: &ChartsData, metrics: &[String], view: &ChartView) {
    missing_runs(h, &data.runs.missing);
    if data.runs.runs.is_empty() {
        note(h, "None of these runs is in the store any more.");
        return;
    }
    h.element("<p class=\"meta\">", &describe_view(view), "</p>\n");
    let palette = palette_of(&data.runs);
    h.raw("<ul class=\"legend\">");
    for compared in &data.runs.runs {
        h.raw("<li>");
        run_label(h, &palette, &compared.run.info.run_id, &compared.run.info.run_name);
        h.raw("</li>");
    }
    h.raw("</ul>\n<div class=\"charts\">\n");
    for chart in metric_charts(data, metrics, view) {
        figure(h, &chart);
    }
    h.raw("</div>\n");
}

/// `x axis: step · linear y · no smoothing`.
fn describe_view(view: &ChartView) -> String {
    let smoothing = if view.smoothing > 0.0 {
        format!("smoothing {}", format::metric(view.smoothing.into()))
    } else {
        "no smoothing".into()
    };
    let scale = if view.log_y { "log y" } else { "linear y" };
    format!("x axis: {} · {scale} · {smoothing}", x_axis(view).label())
}

fn figure(h: &mut Html, chart: &MetricChart) {
    let Some(spec) = &chart.spec else {
        h.raw("<figure class=\"chart empty\">")
            .element("<figcaption><strong>", &chart.metric, "</strong></figcaption>")
            .raw("<p class=\"note\">")
            .text(&format!("None of these runs logged {}.", chart.metric))
            .raw("</p></figure>\n");
        return;
    };
    h.raw("<figure class=\"chart\">");
    match draw(spec, &chart.metric) {
        Ok(inline) => {
            h.svg(&inline);
        }
        Err(why) => {
            h.raw("<div class=\"note warn\">")
                .text(&format!("The chart of {} could not be drawn: {why}", chart.metric))
                .raw("</div>");
        }
    }
    let points: usize = spec.series.iter().map(|s| s.points.len()).sum();
    h.element(
        "<figcaption>",
        &format!(
            "{} — {}, {}",
            chart.metric,
            format::count(spec.series.len(), "run", "runs"),
            format::count(points, "point", "points")
        ),
        "</figcaption>",
    )
    .raw("</figure>\n");
}

fn draw(spec: &runlens_charts::ChartSpec, label: &str) -> Result<svg::SafeSvg, String> {
    let bytes = runlens_charts::export(&report_request(spec)).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    svg::inline(&text, label).map_err(|e| e.0)
}
