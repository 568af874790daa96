//! Metric charts: `MetricChart` draws a `runlens_charts::ChartSpec` on a canvas (the same plotters
//! path as SVG/PNG export), and `MetricChartPage` shows one metric of one run with its controls.
//!
//! Mounted by the router as `<MetricChartPage experiment_id run_id metric />`.

use crate::app::ErrorBanner;
use crate::{ipc, routes};
use leptos::html;
use leptos::prelude::*;
use runlens_charts::canvas::draw_on_canvas;
use runlens_charts::{ChartSeries, ChartSpec, ChartStyle, Theme, XAxis, YScale};
use runlens_core::ipc::SampledHistoriesRequest;
use runlens_core::sampling::SampledSeries;
use web_sys::HtmlCanvasElement;

/// Points asked of the backend per series: a sharp line at any window width.
const MAX_POINTS: usize = 1000;

/// A chart on a canvas that fills its box (size it with CSS). Redrawn when the spec changes and
/// when the window is resized, in device pixels. After each successful draw the canvas carries
/// `data-drawn="true"` and `data-points` (points drawn), for tests.
#[component]
pub fn MetricChart(
    #[prop(into)] spec: Signal<ChartSpec>,
    /// The canvas' id.
    #[prop(optional, into)]
    id: Option<String>,
) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    let resized = RwSignal::new(0_u32);
    let listener = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    on_cleanup(move || listener.remove());
    Effect::new(move |_| {
        resized.track();
        if let Some(canvas) = canvas.get() {
            spec.with(|spec| draw(&canvas, spec));
        }
    });
    view! { <canvas node_ref=canvas id=id class="metric-chart-canvas" data-drawn="false"></canvas> }
}

fn draw(canvas: &HtmlCanvasElement, spec: &ChartSpec) {
    let Some(window) = web_sys::window() else { return };
    let (css_width, css_height) = (canvas.client_width(), canvas.client_height());
    if css_width <= 0 || css_height <= 0 {
        return; // not laid out (hidden); the next resize draws it
    }
    let ratio = window.device_pixel_ratio();
    let ratio = if ratio.is_finite() && ratio > 0.0 { ratio } else { 1.0 };
    let width = (f64::from(css_width) * ratio).round() as u32;
    let height = (f64::from(css_height) * ratio).round() as u32;
    if canvas.width() != width {
        canvas.set_width(width);
    }
    if canvas.height() != height {
        canvas.set_height(height);
    }
    let dark = window
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches());
    let style = ChartStyle {
        theme: if dark { Theme::Dark } else { Theme::Light },
        scale: ratio,
        // getTimezoneOffset is minutes behind UTC.
        utc_offset_minutes: -(js_sys::Date::new_0().get_timezone_offset() as i32),
    };
    let _ = canvas.set_attribute("data-drawn", "false");
    match draw_on_canvas(canvas, spec, &style) {
        Ok(stats) => {
            let _ = canvas.set_attribute("data-points", &stats.points_drawn.to_string());
            let _ = canvas.set_attribute("data-drawn", "true");
        }
        Err(e) => leptos::logging::error!("{e}"),
    }
}

/// One metric of one run: the chart, x axis / log scale / smoothing controls, how many points
/// are shown, and a link back to the run.
#[component]
pub fn MetricChartPage(
    #[prop(into)] experiment_id: Signal<String>,
    #[prop(into)] run_id: Signal<String>,
    #[prop(into)] metric: Signal<String>,
) -> impl IntoView {
    let x_axis = RwSignal::new(XAxis::Step);
    let y_log = RwSignal::new(false);
    let smoothing = RwSignal::new(0.0_f64);

    let history = LocalResource::new(move || {
        let request = SampledHistoriesRequest {
            run_ids: vec![run_id.get()],
            keys: vec![metric.get()],
            max_points: Some(MAX_POINTS),
        };
        async move {
            let (run, key) = (request.run_ids[0].clone(), request.keys[0].clone());
            ipc::sampled_histories(request)
                .await
                .map(|all| all.into_iter().find(|s| s.run_id == run && s.key == key))
        }
    });
    // The run's name labels the line and the way back; its id will do until it arrives.
    let run_name = LocalResource::new(move || {
        let id = run_id.get();
        async move { ipc::get_run(id).await.ok().map(|d| d.run.info.run_name) }
    });
    let run_label = Signal::derive(move || {
        run_name
            .get()
            .flatten()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| run_id.with(|id| id.chars().take(8).collect()))
    });

    let spec = Memo::new(move |_| {
        let mut spec = ChartSpec::new(metric.get());
        spec.x_axis = x_axis.get();
        spec.y_scale = if y_log.get() { YScale::Log } else { YScale::Linear };
        spec.smoothing = smoothing.get();
        if let Some(Ok(Some(series))) = history.get() {
            spec.series.push(ChartSeries::from_sampled(&series, run_label.get()));
        }
        spec
    });

    let back = move || routes::run_path(&experiment_id.get(), &run_id.get());
    let chart = move || match history.get() {
        None => view! { <p class="muted chart-message">"Loading the history…"</p> }.into_any(),
        Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
        Some(Ok(None)) => view! {
            <p class="muted chart-message">"This run has no values logged for " <code>{metric.get()}</code> "."</p>
        }
        .into_any(),
        Some(Ok(Some(series))) => view! {
            <p class="point-count" id="point-count">{point_count(&series)}</p>
            <div class="chart-frame"><MetricChart spec id="metric-chart" /></div>
        }
        .into_any(),
    };

    view! {
        <div class="metric-chart-page">
            <nav class="chart-back"><a href=back>"← " {run_label}</a></nav>
            <h1 class="chart-title">{metric}</h1>
            <div class="chart-controls">
                <label>
                    "x axis"
                    <select id="x-axis" on:change=move |ev| {
                        if let Some(axis) = XAxis::parse(&event_target_value(&ev)) {
                            x_axis.set(axis);
                        }
                    }>
                        {XAxis::ALL
                            .into_iter()
                            .map(|axis| view! {
                                <option value=axis.as_str() selected=move || x_axis.get() == axis>
                                    {axis_name(axis)}
                                </option>
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    <input type="checkbox" id="y-log" prop:checked=y_log
                        on:change=move |ev| y_log.set(event_target_checked(&ev)) />
                    "log scale"
                </label>
                <label>
                    "smoothing"
                    <input type="range" id="smoothing" min="0" max="0.999" step="0.001"
                        prop:value=move || smoothing.get().to_string()
                        on:input=move |ev| smoothing.set(event_target_value(&ev).parse().unwrap_or(0.0)) />
                    <span class="smoothing-value">{move || format!("{:.2}", smoothing.get())}</span>
                </label>
            </div>
            {chart}
        </div>
    }
}

fn axis_name(axis: XAxis) -> &'static str {
    match axis {
        XAxis::Step => "step",
        XAxis::WallTime => "wall time",
        XAxis::Relative => "relative time",
    }
}

/// "1,000 of 100,000 points shown" (sampled by the backend).
fn point_count(series: &SampledSeries) -> String {
    let (shown, total) = (series.points.len(), series.total_points.max(series.points.len()));
    format!("{} of {} points shown", grouped(shown), grouped(total))
}

/// 1234567 → "1,234,567".
fn grouped(n: usize) -> String {
    let mut reversed = String::new();
    for (i, c) in n.to_string().chars().rev().enumerate() {
        if i > 0 && i % 3 == 0 {
            reversed.push(',');
        }
        reversed.push(c);
    }
    reversed.chars().rev().collect()
}
