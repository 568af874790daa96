//! Pointing at a metric chart: a crosshair listing each run's value at the pointer's x, drag to
//! zoom (the panel then reads the range again at full detail), double-click to see everything;
//! and saving any figure as PNG or SVG ("Save as…", drawn by the backend from the same figure).
//!
//! The overlays are positioned with CSSOM properties (`style:left=`), never inline styles.

use super::{screen_style, x_text, Drawn, FigureCanvas};
use crate::app::ErrorBanner;
use crate::{format, ipc};
use leptos::ev::MouseEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_charts::hover::values_at;
use runlens_charts::{ChartSpec, ExportFormat, ExportRequest, Figure, XAxis};
use runlens_core::{ApiError, MetricValue};

/// Pixels a drag must cover before it zooms (shorter ones are clicks).
const MIN_DRAG: f64 = 5.0;

#[component]
pub fn InteractiveChart(
    #[prop(into)] spec: Signal<ChartSpec>,
    /// A drag asks for `Some(x range)`; a double-click for `None` (everything).
    on_zoom: Callback<Option<(f64, f64)>>,
    #[prop(optional_no_strip, into)] id: Option<String>,
    #[prop(default = true)] legend: bool,
) -> impl IntoView {
    let drawn = RwSignal::new(None::<Drawn>);
    // The pointer in CSS pixels from the box's corner, while it is over the box.
    let pointer = RwSignal::new(None::<(f64, f64)>);
    // A drag: where it started and where it is, in CSS pixels.
    let drag = RwSignal::new(None::<(f64, f64)>);
    let boxed = NodeRef::<html::Div>::new();
    let figure = Signal::derive(move || Figure::Metric(spec.get()));

    let local = move |ev: &MouseEvent| -> Option<(f64, f64)> {
        let rect = boxed.get_untracked()?.get_bounding_client_rect();
        Some((
            f64::from(ev.client_x()) - rect.left(),
            f64::from(ev.client_y()) - rect.top(),
        ))
    };
    // The frame in CSS pixels.
    let frame_css = move || {
        let d = drawn.get()?;
        let f = d.frame?;
        Some((f, d.ratio))
    };
    let on_plot = move |(x, y): (f64, f64)| {
        drawn
            .get_untracked()
            .and_then(|d| d.frame.map(|f| f.contains(x * d.ratio, y * d.ratio)))
            .unwrap_or(false)
    };
    let move_pointer = move |ev: MouseEvent| {
        let Some(at) = local(&ev) else { return };
        pointer.set(Some(at));
        if drag.get_untracked().is_some() {
            drag.update(|d| {
                if let Some(d) = d {
                    d.1 = at.0;
                }
            });
        }
    };
    let start_drag = move |ev: MouseEvent| {
        if ev.button() != 0 {
            return;
        }
        if let Some(at) = local(&ev).filter(|at| on_plot(*at)) {
            ev.prevent_default();
            drag.set(Some((at.0, at.0)));
        }
    };
    let finish_drag = move || {
        let Some((from, to)) = drag.get_untracked() else { return };
        drag.set(None);
        let Some(d) = drawn.get_untracked() else { return };
        if let Some(range) = d
            .frame
            .and_then(|f| f.drag_range(from * d.ratio, to * d.ratio, MIN_DRAG * d.ratio))
        {
            on_zoom.run(Some(range));
        }
    };
    // A drag may end outside the chart.
    let release = window_event_listener(leptos::ev::mouseup, move |_| finish_drag());
    on_cleanup(move || release.remove());

    // Each run's point nearest to the pointer's x.
    let hovered = Memo::new(move |_| {
        let (x, y) = pointer.get()?;
        let d = drawn.get()?;
        let frame = d.frame?;
        if !frame.contains(x * d.ratio, y * d.ratio) {
            return None;
        }
        let at = frame.x_at(x * d.ratio);
        let rows = spec.with(|s| values_at(s, at, frame.x));
        Some((at, rows))
    });

    let crosshair = move || {
        let (f, ratio) = frame_css()?;
        let (x, _) = pointer.get()?;
        hovered.with(Option::is_some).then(|| {
            view! {
                <div class="chart-crosshair" aria-hidden="true"
                    style:left=format!("{x}px") style:top=format!("{}px", f.top / ratio)
                    style:height=format!("{}px", (f.bottom - f.top) / ratio)></div>
            }
        })
    };
    let dots = move || {
        let (f, ratio) = frame_css()?;
        let (_, rows) = hovered.get()?;
        Some(
            rows.into_iter()
                .filter_map(|row| {
                    let y = f.py_of_value(row.smoothed.unwrap_or(row.value))?;
                    let x = f.px_of_x(row.x);
                    Some(view! {
                        <span class="chart-dot" aria-hidden="true" style:left=format!("{}px", x / ratio)
                            style:top=format!("{}px", y / ratio) style:background-color=row.color.hex()></span>
                    })
                })
                .collect_view(),
        )
    };
    let tooltip = move || {
        let (at, rows) = hovered.get()?;
        let (f, ratio) = frame_css()?;
        let (x, _) = pointer.get()?;
        let axis = spec.with(|s| s.x_axis);
        let width = drawn.get().map_or(0.0, |d| d.width);
        let flip = x > width - 280.0;
        let header = x_text(axis, at);
        // Highest first, so the list reads as a ranking; NaN and infinities last.
        let mut rows = rows;
        let rank = |v: f64| {
            if MetricValue(v).is_finite_value() {
                v
            } else {
                f64::NEG_INFINITY
            }
        };
        rows.sort_by(|a, b| rank(b.smoothed.unwrap_or(b.value)).total_cmp(&rank(a.smoothed.unwrap_or(a.value))));
        let rows_view = rows
            .into_iter()
            .map(|row| {
                let value = format::metric(MetricValue(row.value));
                let smoothed = row
                    .smoothed
                    .map(|s| format!("smoothed {}", format::metric(MetricValue(s))));
                // On time axes each run's point has its own step; on the step axis the header says it.
                let place = (axis != XAxis::Step).then(|| format!("step {}", format::count(row.step.max(0) as usize)));
                view! {
                    <li>
                        <span class="swatch" style:background-color=row.color.hex()></span>
                        <span class="hover-name">{row.label}</span>
                        <span class="hover-value">{value}</span>
                        {smoothed.map(|s| view! { <span class="hover-extra">{s}</span> })}
                        {place.map(|p| view! { <span class="hover-extra">{p}</span> })}
                    </li>
                }
            })
            .collect_view();
        Some(view! {
            <div class="chart-tooltip" class:flip=flip role="status"
                style:left=format!("{x}px") style:top=format!("{}px", f.top / ratio + 6.0)>
                <div class="hover-x">{header}</div>
                <ul>{rows_view}</ul>
            </div>
        })
    };
    let selection = move || {
        let (from, to) = drag.get()?;
        let (f, ratio) = frame_css()?;
        let (lo, hi) = (from.min(to).max(f.left / ratio), from.max(to).min(f.right / ratio));
        (hi > lo).then(|| {
            view! {
                <div class="chart-selection" aria-hidden="true" style:left=format!("{lo}px") style:width=format!("{}px", hi - lo)
                    style:top=format!("{}px", f.top / ratio) style:height=format!("{}px", (f.bottom - f.top) / ratio)></div>
            }
        })
    };
    view! {
        <div class="chart-box" node_ref=boxed
            title="Drag across the chart to zoom; double-click to see all of it"
            on:mousemove=move_pointer
            on:mouseleave=move |_| pointer.set(None)
            on:mousedown=start_drag
            on:dblclick=move |ev: MouseEvent| {
                ev.prevent_default();
                drag.set(None);
                on_zoom.run(None);
            }>
            <FigureCanvas figure id legend drawn />
            {crosshair}
            {dots}
            {selection}
            {tooltip}
        </div>
    }
}

/// The size a figure is exported at: what is on screen, but never smaller than a slide wants,
/// and taller for a long legend.
fn export_size(figure: &Figure, on_screen: Option<(f64, f64)>) -> (u32, u32) {
    let (w, h) = on_screen.unwrap_or((1200.0, 675.0));
    let legend_rows = match figure {
        Figure::Metric(spec) => spec.series.len().div_ceil(4),
        _ => 0,
    };
    let width = w.max(960.0).round() as u32;
    let height = h.max(540.0).round() as u32 + 18 * legend_rows.saturating_sub(1) as u32;
    (width, height)
}

/// "PNG…" and "SVG…": asks where to save the figure and has the backend draw it there, in this
/// screen's theme, PNGs at twice the pixels. Says where it went, or why it could not.
#[component]
pub fn ExportButtons(
    #[prop(into)] figure: Signal<Option<Figure>>,
    /// The figure's size on screen, in CSS pixels.
    #[prop(optional, into)]
    size: Option<Signal<(f64, f64)>>,
) -> impl IntoView {
    let outcome = RwSignal::new(None::<Result<String, ApiError>>);
    let busy = RwSignal::new(false);
    let save = move |format: ExportFormat| {
        let Some(figure) = figure.get_untracked() else { return };
        let (width, height) = export_size(&figure, size.map(|s| s.get_untracked()));
        let mut style = screen_style(true);
        style.scale = 2.0;
        let request = ExportRequest {
            figure,
            format,
            width,
            height,
            style,
        };
        busy.set(true);
        outcome.set(None);
        spawn_local(async move {
            let answer = ipc::save_chart_as(request).await;
            busy.try_set(false);
            match answer {
                Ok(Some(path)) => {
                    outcome.try_set(Some(Ok(path)));
                    set_timeout(
                        move || {
                            outcome.try_update(|o| {
                                if matches!(o, Some(Ok(_))) {
                                    *o = None;
                                }
                            });
                        },
                        std::time::Duration::from_secs(8),
                    );
                }
                Ok(None) => {}
                Err(e) => {
                    outcome.try_set(Some(Err(e)));
                }
            }
        });
    };
    let disabled = move || busy.get() || figure.with(Option::is_none);
    view! {
        <span class="export-buttons">
            <button type="button" class="quiet export-png" title="Save this chart as a PNG image…"
                disabled=disabled on:click=move |_| save(ExportFormat::Png)>"PNG…"</button>
            <button type="button" class="quiet export-svg" title="Save this chart as an SVG image…"
                disabled=disabled on:click=move |_| save(ExportFormat::Svg)>"SVG…"</button>
            {move || outcome.get().map(|o| view! {
                <div class="export-outcome">
                    {match o {
                        Ok(path) => view! { <p class="notice">"Saved to " <code>{path}</code></p> }.into_any(),
                        Err(error) => view! { <ErrorBanner error /> }.into_any(),
                    }}
                    <button type="button" class="quiet dismiss" title="Dismiss" on:click=move |_| outcome.set(None)>"×"</button>
                </div>
            })}
        </span>
    }
}
