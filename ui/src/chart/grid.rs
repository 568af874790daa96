//! Many metrics at once: a grid of charts grouped by the `/` prefix of their keys (`train/…`,
//! `val/…`), with a search box and shared x axis, log scale and smoothing. Each chart reads its
//! histories when it first comes near the view, so a run with hundreds of metrics opens at once.
//!
//! Used by the compare view and by a run's metrics page (`RunMetricsPage`, mounted by the router
//! as `<RunMetricsPage experiment_id run_id />`).

use super::interact::ExportButtons;
use super::{ChartControls, ChartControlsBar, MetricPanel, RunLabel};
use crate::app::ErrorBanner;
use crate::{format, ipc, routes};
use leptos::html;
use leptos::prelude::*;
use runlens_charts::Figure;
use runlens_core::compare::{group_by_prefix, key_matches};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// How far outside the view a chart starts reading its data.
const NEAR_VIEW: &str = "400px 0px";

#[component]
pub fn ChartGrid(
    #[prop(into)] runs: Signal<Vec<RunLabel>>,
    #[prop(into)] keys: Signal<Vec<String>>,
    /// Whether each chart names its runs (the compare view names them once, above the grid).
    #[prop(default = false)]
    legend: bool,
    /// The x axis, scale and smoothing to start from (a review's chart slide); fresh ones if none.
    #[prop(optional)]
    controls: Option<ChartControls>,
    /// Offers "Add to review" for the charts shown (after the search) as they are drawn.
    #[prop(default = false)]
    add_to_review: bool,
) -> impl IntoView {
    let controls = controls.unwrap_or_else(ChartControls::new);
    let search = RwSignal::new(String::new());
    let groups = Memo::new(move |_| {
        let needle = search.get();
        keys.with(|keys| group_by_prefix(keys.iter().map(String::as_str).filter(|k| key_matches(k, &needle))))
    });
    let review_item = add_to_review.then(|| {
        let item = Signal::derive(move || {
            let run_ids: Vec<String> = runs.with(|r| r.iter().map(|r| r.run_id.clone()).collect());
            let metrics: Vec<String> = groups.with(|g| g.iter().flat_map(|g| g.keys.iter().cloned()).collect());
            (!run_ids.is_empty() && !metrics.is_empty()).then(|| runlens_core::review::ReviewItem::Charts {
                run_ids,
                metrics,
                view: crate::review::chart_view(controls),
            })
        });
        view! { <crate::review::AddToReview item id="add-charts-to-review" label="Add charts to review" /> }
    });
    let total = move || keys.with(Vec::len);
    let shown = move || groups.with(|g| g.iter().map(|g| g.keys.len()).sum::<usize>());
    view! {
        <div class="chart-grid-page">
            <ChartControlsBar controls>
                <input type="search" id="chart-search" class="chart-search" placeholder="Search metrics"
                    autocomplete="off" spellcheck="false"
                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                <span class="muted chart-count">{move || {
                    let (shown, total) = (shown(), total());
                    if shown == total {
                        format!("{} chart{}", format::count(total), if total == 1 { "" } else { "s" })
                    } else {
                        format!("{} of {} charts", format::count(shown), format::count(total))
                    }
                }}</span>
                {review_item}
            </ChartControlsBar>
            <Show when=move || shown() == 0>
                <p class="muted chart-message" id="no-charts">{move || if total() == 0 {
                    "No metrics were logged.".to_string()
                } else {
                    format!("No metric matches “{}”.", search.get())
                }}</p>
            </Show>
            <For each=move || groups.get() key=|g| (g.name.clone(), g.keys.clone()) let:group>
                <details class="chart-group" open data-group=group.name.clone()>
                    <summary>
                        <span class="group-name">{if group.name.is_empty() { "metrics".to_string() } else { group.name.clone() }}</span>
                        <span class="count">{group.keys.len()}</span>
                    </summary>
                    <div class="chart-grid">
                        {group.keys.into_iter().map(|key| view! { <ChartCard runs key controls legend /> }).collect_view()}
                    </div>
                </details>
            </For>
        </div>
    }
}

/// One metric's chart in the grid: reads its data once near the view; can be widened to the
/// whole row and saved as PNG or SVG.
#[component]
fn ChartCard(runs: Signal<Vec<RunLabel>>, key: String, controls: ChartControls, legend: bool) -> impl IntoView {
    let card = NodeRef::<html::Div>::new();
    let near = RwSignal::new(false);
    let wide = RwSignal::new(false);
    let figure = RwSignal::new(None::<Figure>);
    let size = RwSignal::new((960.0, 540.0));
    let observer = StoredValue::new_local(None::<(web_sys::IntersectionObserver, Closure<dyn FnMut(js_sys::Array)>)>);
    Effect::new(move |_| {
        let Some(element) = card.get() else { return };
        if near.get_untracked() || observer.with_value(Option::is_some) {
            return;
        }
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let seen = entries.iter().any(|e| {
                e.dyn_into::<web_sys::IntersectionObserverEntry>()
                    .is_ok_and(|e| e.is_intersecting())
            });
            if seen {
                near.try_set(true);
            }
        });
        let options = web_sys::IntersectionObserverInit::new();
        options.set_root_margin(NEAR_VIEW);
        match web_sys::IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &options) {
            Ok(watch) => {
                watch.observe(&element);
                observer.set_value(Some((watch, callback)));
            }
            // No observer (never in WebKit): read at once.
            Err(_) => near.set(true),
        }
    });
    // Once near, the observer has done its work.
    Effect::new(move |_| {
        if near.get() {
            observer.update_value(|o| {
                if let Some((watch, _)) = o.take() {
                    watch.disconnect();
                }
            });
        }
    });
    on_cleanup(move || {
        observer.try_update_value(|o| {
            if let Some((watch, _)) = o.take() {
                watch.disconnect();
            }
        });
    });
    Effect::new(move |_| {
        wide.track();
        if let Some(element) = card.get() {
            size.set((f64::from(element.client_width()), f64::from(element.client_height())));
        }
    });
    let id = format!("chart-{}", slug(&key));
    let title = key.clone();
    view! {
        <div class="chart-card" class:wide=wide node_ref=card data-key=key.clone()>
            <div class="card-tools">
                <ExportButtons figure=figure size=size />
                <button type="button" class="quiet widen" title=move || if wide.get() { "Narrower" } else { "Wider" }
                    on:click=move |_| wide.update(|w| *w = !*w)>{move || if wide.get() { "⤡" } else { "⤢" }}</button>
            </div>
            <MetricPanel runs key=title controls id legend active=near figure_out=figure />
        </div>
    }
}

/// A metric key as an id fragment: letters and digits kept, anything else `-` (with a hash of
/// the key so two keys never share an id).
fn slug(key: &str) -> String {
    let readable: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let hash = key
        .bytes()
        .fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    format!("{readable}-{hash:08x}")
}

/// Every metric of one run as a grid of charts.
#[component]
pub fn RunMetricsPage(
    #[prop(into)] experiment_id: Signal<String>,
    #[prop(into)] run_id: Signal<String>,
) -> impl IntoView {
    // While the run is RUNNING, its metrics (and new ones) are read again as the store changes.
    let running = StoredValue::new(false);
    let reread = super::reread_while_running(run_id, running);
    let detail = LocalResource::new(move || {
        let id = run_id.get();
        reread.track();
        async move { ipc::get_run(id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(d)) = detail.get() {
            running.set_value(super::is_live(d.run.info.status));
        }
    });
    let label = Memo::new(move |_| {
        let name = match detail.get() {
            Some(Ok(d)) => d.run.info.run_name,
            _ => String::new(),
        };
        RunLabel::new(&run_id.get(), &name)
    });
    let keys = Memo::new(move |_| match detail.get() {
        Some(Ok(d)) => d.metrics.iter().map(|m| m.key.clone()).collect::<Vec<_>>(),
        _ => Vec::new(),
    });
    let runs = Signal::derive(move || vec![label.get()]);
    let back = move || routes::run_path(&experiment_id.get(), &run_id.get());
    view! {
        <div class="run-metrics-page" id="run-metrics">
            <nav class="chart-back"><a href=back>"← " {move || label.get().name}</a></nav>
            <h1 class="chart-title">{move || format!("{} — all metrics", label.get().name)}</h1>
            {move || match detail.get() {
                None => view! { <p class="muted">"Loading the run…"</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
                Some(Ok(_)) => view! { <ChartGrid runs keys=keys add_to_review=true /> }.into_any(),
            }}
        </div>
    }
}
