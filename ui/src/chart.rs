//! Charts in the webview: every figure (`runlens_charts::Figure`) is drawn on a canvas by the same
//! plotters path as the SVG/PNG exports.
//!
//! - [`FigureCanvas`]: a figure on a canvas sized by CSS, redrawn (once per frame at most) when it
//!   or the canvas' size changes; reports where the plot went for hover and zoom.
//! - [`MetricPanel`]: one metric of some runs — reads their sampled histories, shows the chart
//!   with its crosshair and drag-to-zoom (`interact`), and reads a zoomed range again at full
//!   detail. [`ChartControls`]: the x axis, log scale and smoothing several panels share.
//! - `grid`: many metrics as a grid grouped by `/` prefix with a search (compare view, a run's
//!   metrics page). [`MetricChartPage`]: one metric of one run.
//!
//! Mounted by the router as `<MetricChartPage experiment_id run_id metric />` and
//! `<grid::RunMetricsPage experiment_id run_id />`.

pub mod grid;
pub mod interact;

use crate::app::ErrorBanner;
use crate::{format, ipc, routes};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_charts::canvas::draw_on_canvas;
use runlens_charts::hover::Frame;
use runlens_charts::plot::step_range_for;
use runlens_charts::{ChartSeries, ChartSpec, ChartStyle, Figure, RunPalette, Theme, XAxis, YScale};
use runlens_core::ipc::SampledHistoriesRequest;
use runlens_core::sampling::{SampledSeries, StepRange};
use std::collections::HashMap;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

/// Points asked of the backend per series: a sharp line at any window width.
pub const MAX_POINTS: usize = 1000;

/// The device pixel ratio (1 when the browser reports nonsense).
pub fn pixel_ratio() -> f64 {
    let ratio = window().device_pixel_ratio();
    if ratio.is_finite() && ratio > 0.0 {
        ratio
    } else {
        1.0
    }
}

/// How charts look on this screen now: the system's light or dark theme, its pixel ratio and
/// its time zone.
pub fn screen_style(legend: bool) -> ChartStyle {
    let dark = window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches());
    ChartStyle {
        theme: if dark { Theme::Dark } else { Theme::Light },
        scale: pixel_ratio(),
        // getTimezoneOffset is minutes behind UTC.
        utc_offset_minutes: -(js_sys::Date::new_0().get_timezone_offset() as i32),
        legend,
    }
}

/// Where the last draw put the plot: its frame in canvas pixels, the pixel ratio that relates
/// them to CSS pixels, and the canvas' CSS size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drawn {
    pub frame: Option<Frame>,
    pub ratio: f64,
    pub width: f64,
    pub height: f64,
}

/// A figure on a canvas that fills its box (size it with CSS). Redrawn when the figure or the
/// canvas' size changes, at most once per animation frame, in device pixels. After each draw the
/// canvas carries `data-drawn="true"` and `data-points` (points, lines or dots drawn), for tests.
#[component]
pub fn FigureCanvas(
    #[prop(into)] figure: Signal<Figure>,
    /// The canvas' id.
    #[prop(optional_no_strip, into)]
    id: Option<String>,
    /// Whether metric charts name their series under the title.
    #[prop(default = true)]
    legend: bool,
    /// Told where each draw put the plot.
    #[prop(optional)]
    drawn: Option<RwSignal<Option<Drawn>>>,
) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    let resized = RwSignal::new(0_u32);
    let scheduled = StoredValue::new(false);
    // The canvas' own size changes (window, grid, a wider card): draw again.
    let observer = StoredValue::new_local(None::<(web_sys::ResizeObserver, Closure<dyn FnMut()>)>);
    Effect::new(move |_| {
        let Some(element) = canvas.get() else { return };
        if observer.with_value(Option::is_some) {
            return;
        }
        let callback = Closure::<dyn FnMut()>::new(move || {
            resized.try_update(|n| *n += 1);
        });
        if let Ok(watch) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            watch.observe(&element);
            observer.set_value(Some((watch, callback)));
        }
    });
    on_cleanup(move || {
        observer.try_with_value(|o| {
            if let Some((watch, _)) = o {
                watch.disconnect();
            }
        });
    });
    Effect::new(move |_| {
        resized.track();
        figure.track();
        let Some(element) = canvas.get() else { return };
        let _ = element.set_attribute("data-drawn", "false");
        if scheduled.get_value() {
            return;
        }
        scheduled.set_value(true);
        request_animation_frame(move || {
            // The canvas may be gone by now (the page moved on).
            if scheduled.try_update_value(|s| *s = false).is_none() {
                return;
            }
            let Some(element) = canvas.get_untracked() else { return };
            let Some(result) = figure.try_with_untracked(|f| draw(&element, f, legend)) else {
                return;
            };
            if let (Some(result), Some(drawn)) = (result, drawn) {
                drawn.try_set(Some(result));
            }
        });
    });
    let label = move || figure.with(|f| f.title().to_string());
    view! { <canvas node_ref=canvas id=id class="metric-chart-canvas" data-drawn="false" role="img" aria-label=label></canvas> }
}

fn draw(canvas: &HtmlCanvasElement, figure: &Figure, legend: bool) -> Option<Drawn> {
    let (css_width, css_height) = (canvas.client_width(), canvas.client_height());
    if css_width <= 0 || css_height <= 0 {
        return None; // not laid out (hidden); the next resize draws it
    }
    let style = screen_style(legend);
    let width = (f64::from(css_width) * style.scale).round() as u32;
    let height = (f64::from(css_height) * style.scale).round() as u32;
    if canvas.width() != width {
        canvas.set_width(width);
    }
    if canvas.height() != height {
        canvas.set_height(height);
    }
    match draw_on_canvas(canvas, figure, &style) {
        Ok(stats) => {
            let _ = canvas.set_attribute("data-points", &stats.points_drawn.to_string());
            let _ = canvas.set_attribute("data-drawn", "true");
            Some(Drawn {
                frame: stats.frame,
                ratio: style.scale,
                width: f64::from(css_width),
                height: f64::from(css_height),
            })
        }
        Err(e) => {
            leptos::logging::error!("{e}");
            show_draw_error(canvas, &e.to_string());
            None
        }
    }
}

/// A chart that could not be drawn says so on its canvas instead of staying blank.
fn show_draw_error(canvas: &HtmlCanvasElement, message: &str) {
    let _ = canvas.set_attribute("data-drawn", "failed");
    canvas.set_title(message);
    let context = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok());
    if let Some(context) = context {
        let ratio = pixel_ratio();
        context.clear_rect(0.0, 0.0, f64::from(canvas.width()), f64::from(canvas.height()));
        context.set_font(&format!("{}px sans-serif", (13.0 * ratio).round()));
        context.set_fill_style_str("#b42318");
        let _ = context.fill_text(message, 12.0 * ratio, 24.0 * ratio);
    }
}

/// How the metric charts of a page are shown: shared by every panel on it.
#[derive(Clone, Copy)]
pub struct ChartControls {
    pub x_axis: RwSignal<XAxis>,
    pub y_log: RwSignal<bool>,
    pub smoothing: RwSignal<f64>,
}

impl ChartControls {
    pub fn new() -> Self {
        ChartControls {
            x_axis: RwSignal::new(XAxis::Step),
            y_log: RwSignal::new(false),
            smoothing: RwSignal::new(0.0),
        }
    }
}

/// The x axis choice, the log scale switch and the smoothing slider.
#[component]
pub fn ChartControlsBar(controls: ChartControls, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    let ChartControls {
        x_axis,
        y_log,
        smoothing,
    } = controls;
    view! {
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
            <label title="Exponential moving average; the raw line stays faint behind">
                "smoothing"
                <input type="range" id="smoothing" min="0" max="0.99" step="0.01"
                    prop:value=move || smoothing.get().to_string()
                    on:input=move |ev| smoothing.set(event_target_value(&ev).parse().unwrap_or(0.0)) />
                <span class="smoothing-value">{move || format!("{:.2}", smoothing.get())}</span>
            </label>
            {children.map(|c| c())}
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

/// A run as a chart names it; its colour is its colour among the runs shown with it
/// (`RunPalette`), the same in every view of those runs.
#[derive(Clone, Debug, PartialEq)]
pub struct RunLabel {
    pub run_id: String,
    pub name: String,
}

impl RunLabel {
    /// The run's name, or the start of its id when it has none.
    pub fn new(run_id: &str, name: &str) -> RunLabel {
        RunLabel {
            run_id: run_id.to_string(),
            name: if name.trim().is_empty() {
                run_id.chars().take(8).collect()
            } else {
                name.to_string()
            },
        }
    }
}

/// What a panel's chart holds: each run's full-range sample, and the zoom with what it read.
#[derive(Clone, Debug, Default, PartialEq)]
struct Zoom {
    range: Option<(f64, f64)>,
    /// Run id → the series read again for the zoomed range.
    detail: HashMap<String, SampledSeries>,
    /// The zoomed range is being read.
    reading: bool,
    /// Why reading the zoomed range failed (the sampled points stay on the chart).
    failed: Option<String>,
}

/// One metric of some runs: reads the sampled histories once `active` (charts out of view wait),
/// then shows the chart with crosshair and zoom, a line saying how many points are shown, and
/// the zoom's state. `id` names the canvas.
#[component]
pub fn MetricPanel(
    #[prop(into)] runs: Signal<Vec<RunLabel>>,
    #[prop(into)] key: Signal<String>,
    controls: ChartControls,
    #[prop(optional_no_strip, into)] id: Option<String>,
    #[prop(default = true)] legend: bool,
    #[prop(into, default = Signal::stored(true))] active: Signal<bool>,
    /// Told the figure on screen (for exports outside the panel).
    #[prop(optional)]
    figure_out: Option<RwSignal<Option<Figure>>>,
    /// Each change reads the histories again (live updates of a RUNNING run); the chart on screen
    /// stays while they are read, and when reading fails.
    #[prop(optional, into)]
    reread: Option<Signal<u64>>,
) -> impl IntoView {
    let reread = reread.or_else(|| use_context::<ChartReread>().map(|c| c.0));
    let run_ids = Memo::new(move |_| runs.with(|r| r.iter().map(|r| r.run_id.clone()).collect::<Vec<_>>()));
    let kept = StoredValue::new(None::<(Vec<String>, String, Vec<SampledSeries>)>);
    let history = LocalResource::new(move || {
        if let Some(reread) = reread {
            reread.track();
        }
        let (ids, key, active) = (run_ids.get(), key.get(), active.get());
        async move {
            if !active || ids.is_empty() {
                return None;
            }
            let request = SampledHistoriesRequest {
                run_ids: ids.clone(),
                keys: vec![key.clone()],
                max_points: Some(MAX_POINTS),
                steps: None,
            };
            let answer = ipc::sampled_histories(request)
                .await
                .map(|all| all.into_iter().filter(|s| !s.points.is_empty()).collect::<Vec<_>>());
            Some(match answer {
                Ok(series) => {
                    kept.try_set_value(Some((ids, key, series.clone())));
                    Ok(series)
                }
                Err(error) => match kept.try_get_value().flatten() {
                    Some((kept_ids, kept_key, series)) if kept_ids == ids && kept_key == key => Ok(series),
                    _ => Err(error),
                },
            })
        }
    });
    let zoom = RwSignal::new(Zoom::default());
    let generation = StoredValue::new(0_u64);
    let reset = move || {
        generation.update_value(|g| *g += 1);
        zoom.set(Zoom::default());
    };
    // Another axis (the zoom's unit changes), metric or set of runs: the whole range again.
    Effect::new(move |previous: Option<(XAxis, String, Vec<String>)>| {
        let now = (controls.x_axis.get(), key.get(), run_ids.get());
        if previous.is_some_and(|p| p != now) {
            reset();
        }
        now
    });
    let full = Memo::new(move |_| match history.get() {
        Some(Some(Ok(series))) => Some(series),
        _ => None,
    });
    let spec = Memo::new(move |_| {
        let mut spec = ChartSpec::new(key.get());
        spec.x_axis = controls.x_axis.get();
        spec.y_scale = if controls.y_log.get() {
            YScale::Log
        } else {
            YScale::Linear
        };
        spec.smoothing = controls.smoothing.get();
        let names: HashMap<String, String> =
            runs.with(|r| r.iter().map(|r| (r.run_id.clone(), r.name.clone())).collect());
        let palette = runs.with(|r| RunPalette::of(r.iter().map(|r| r.run_id.as_str())));
        zoom.with(|z| {
            spec.x_range = z.range;
            full.with(|full| {
                for series in full.iter().flatten() {
                    let shown = z
                        .detail
                        .get(&series.run_id)
                        .filter(|_| z.range.is_some())
                        .unwrap_or(series);
                    let mut line = ChartSeries::new(
                        names
                            .get(&series.run_id)
                            .cloned()
                            .unwrap_or_else(|| series.run_id.clone()),
                        palette.color(&series.run_id),
                        shown.points.clone(),
                    );
                    line.origin = series.points.iter().map(|p| p.timestamp).min();
                    spec.series.push(line);
                }
            });
        });
        spec
    });
    if let Some(out) = figure_out {
        Effect::new(move |_| out.set(full.with(Option::is_some).then(|| Figure::Metric(spec.get()))));
    }
    let on_zoom = Callback::new(move |range: Option<(f64, f64)>| {
        let Some(range) = range else {
            reset();
            return;
        };
        // Each run's steps around the view, read again at full detail (runs sharing a range
        // share a request).
        let (axis, key_now) = (controls.x_axis.get_untracked(), key.get_untracked());
        let mut by_range: Vec<(StepRange, Vec<String>)> = Vec::new();
        spec.with_untracked(|spec| {
            for (series, run_id) in spec.series.iter().zip(
                full.get_untracked()
                    .unwrap_or_default()
                    .iter()
                    .map(|s| s.run_id.clone()),
            ) {
                if let Some(steps) = step_range_for(series, axis, range) {
                    match by_range.iter_mut().find(|(r, _)| *r == steps) {
                        Some((_, ids)) => ids.push(run_id),
                        None => by_range.push((steps, vec![run_id])),
                    }
                }
            }
        });
        generation.update_value(|g| *g += 1);
        let this = generation.get_value();
        zoom.update(|z| {
            z.range = Some(range);
            z.reading = !by_range.is_empty();
            z.failed = None;
        });
        let pending = std::rc::Rc::new(std::cell::Cell::new(by_range.len()));
        for (steps, ids) in by_range {
            let key = key_now.clone();
            let pending = pending.clone();
            spawn_local(async move {
                let request = SampledHistoriesRequest {
                    run_ids: ids,
                    keys: vec![key],
                    max_points: Some(MAX_POINTS),
                    steps: Some(steps),
                };
                let answer = ipc::sampled_histories(request).await;
                if generation.try_get_value() != Some(this) {
                    return; // zoomed elsewhere or reset meanwhile
                }
                pending.set(pending.get() - 1);
                zoom.try_update(|z| {
                    // A failed read keeps the sampled points: the chart still shows the range.
                    match answer {
                        Ok(read) => {
                            for series in read {
                                z.detail.insert(series.run_id.clone(), series);
                            }
                        }
                        Err(e) => z.failed = Some(e.message),
                    }
                    z.reading = pending.get() > 0;
                });
            });
        }
    });

    let status = move || {
        let shown = spec.with(|s| s.point_count());
        let z = zoom.get();
        let total: usize = full.with(|f| f.iter().flatten().map(|s| s.total_points.max(s.points.len())).sum());
        match z.range {
            None => full.with(|f| {
                let n = f.as_ref().map_or(0, Vec::len);
                let runs = if n > 1 { format!("{n} runs · ") } else { String::new() };
                format!(
                    "{runs}{} of {} points shown",
                    format::count(shown),
                    format::count(total)
                )
            }),
            Some((lo, hi)) => {
                let in_range: usize = z.detail.values().map(|s| s.total_points).sum();
                let what = if z.reading {
                    "reading at full detail…".to_string()
                } else if let Some(why) = &z.failed {
                    format!("showing the sampled points: the range could not be read at full detail ({why})")
                } else if in_range > 0 && in_range <= shown {
                    format!("all {} points", format::count(in_range))
                } else if in_range > 0 {
                    format!("{} of {} points", format::count(shown), format::count(in_range))
                } else {
                    "no points here".to_string()
                };
                format!("Zoomed: {} · {what}", range_text(controls.x_axis.get(), lo, hi))
            }
        }
    };
    let zoomed = move || zoom.with(|z| z.range.is_some());
    let canvas_id = id.clone();
    view! {
        {move || match history.get() {
            None | Some(None) => view! { <p class="muted chart-message">"Loading the history…"</p> }.into_any(),
            Some(Some(Err(error))) => view! { <ErrorBanner error /> }.into_any(),
            Some(Some(Ok(series))) if series.is_empty() => view! {
                <p class="muted chart-message">"No values logged for " <code>{key.get()}</code> "."</p>
            }
            .into_any(),
            Some(Some(Ok(_))) => {
                let id = canvas_id.clone();
                view! {
                    <div class="panel-status">
                        <span class="point-count" class:zoomed=zoomed>{status}</span>
                        <Show when=zoomed>
                            <button type="button" class="quiet zoom-reset" title="Or double-click the chart"
                                on:click=move |_| reset()>"Reset zoom"</button>
                        </Show>
                    </div>
                    <interact::InteractiveChart spec=spec on_zoom id=id legend />
                }
                .into_any()
            }
        }}
    }
}

/// A zoom's x interval as the axis reads it: `steps 78 – 149`, two times, two durations.
fn range_text(axis: XAxis, lo: f64, hi: f64) -> String {
    match axis {
        XAxis::Step => format!(
            "steps {} – {}",
            format::count(lo.max(0.0).round() as usize),
            format::count(hi.max(0.0).round() as usize)
        ),
        _ => format!("{} – {}", x_text(axis, lo), x_text(axis, hi)),
    }
}

/// Panels below read their histories again at each change of this counter (a RUNNING run's
/// pages provide it; see [`reread_while_running`]).
#[derive(Clone, Copy)]
pub struct ChartReread(pub Signal<u64>);

/// While the run is RUNNING (`running`, kept by the page from its own read of the run), bumps a
/// counter at each change of the store that may touch it (see `connections::live`), and provides
/// it as [`ChartReread`] to the panels below: their lines grow as the run logs.
pub fn reread_while_running(run_id: Signal<String>, running: StoredValue<bool>) -> RwSignal<u64> {
    let reread = RwSignal::new(0_u64);
    provide_context(ChartReread(reread.into()));
    crate::connections::live::on_tick(move |changes| {
        let touched = changes.everything || changes.runs.iter().any(|r| *r == run_id.get_untracked());
        if running.get_value() && touched {
            reread.update(|n| *n += 1);
        }
    });
    reread
}

/// Whether a run status is still going.
pub fn is_live(status: runlens_core::RunStatus) -> bool {
    matches!(
        status,
        runlens_core::RunStatus::Running | runlens_core::RunStatus::Scheduled
    )
}

/// An x value as the axis reads it: a step, a local date and time, or a duration.
pub fn x_text(axis: XAxis, x: f64) -> String {
    match axis {
        XAxis::Step => format!("step {}", format::count(x.max(0.0).round() as usize)),
        XAxis::WallTime => format::datetime(Some(x.round() as i64)),
        XAxis::Relative => runlens_charts::ticks::format_duration(x, 1000.0),
    }
}

/// One metric of one run: the chart with its controls, how many points are shown, and a link
/// back to the run.
#[component]
pub fn MetricChartPage(
    #[prop(into)] experiment_id: Signal<String>,
    #[prop(into)] run_id: Signal<String>,
    #[prop(into)] metric: Signal<String>,
) -> impl IntoView {
    let controls = ChartControls::new();
    // While the run is RUNNING, store changes read the run and its history again: the line grows
    // as the run logs.
    let running = StoredValue::new(false);
    let reread = reread_while_running(run_id, running);
    // The run's name labels the line and the way back; its id will do until it arrives.
    let run_info = LocalResource::new(move || {
        let id = run_id.get();
        reread.track();
        async move { ipc::get_run(id).await.ok().map(|d| d.run.info) }
    });
    Effect::new(move |_| {
        if let Some(Some(info)) = run_info.get() {
            running.set_value(is_live(info.status));
        }
    });
    let label = Memo::new(move |_| {
        let name = run_info.get().flatten().map(|i| i.run_name).unwrap_or_default();
        RunLabel::new(&run_id.get(), &name)
    });
    let runs = Signal::derive(move || vec![label.get()]);
    let back = move || routes::run_path(&experiment_id.get(), &run_id.get());
    let all = move || routes::run_metrics_path(&experiment_id.get(), &run_id.get());
    let figure = RwSignal::new(None::<Figure>);
    view! {
        <div class="metric-chart-page">
            <nav class="chart-back">
                <a href=back>"← " {move || label.get().name}</a>
                <span class="sep">"·"</span>
                <a href=all id="all-metrics-link">"All metrics as charts"</a>
            </nav>
            <h1 class="chart-title">{metric}</h1>
            <ChartControlsBar controls>
                <interact::ExportButtons figure=figure />
            </ChartControlsBar>
            <div class="chart-frame single">
                <MetricPanel runs key=metric controls id="metric-chart".to_string() figure_out=figure />
            </div>
        </div>
    }
}
