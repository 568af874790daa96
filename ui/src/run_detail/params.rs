//! Params (decoded as MaxFlow writes them, long ones folded, artifact-stored ones linked) and the
//! metrics summary (each row opens the metric's chart).

use super::use_page;
use crate::{format, routes};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use runlens_core::display::{fold_summary, is_long, ParamValue};
use runlens_core::ipc::MetricSummary;
use wasm_bindgen::JsCast;

/// More params than this get a search box.
const SEARCH_FROM: usize = 15;

/// A stored value as text, folded behind a `<details>` when long or on several lines.
pub fn value_text(text: String) -> AnyView {
    if is_long(&text) {
        view! {
            <details class="long-value">
                <summary>{fold_summary(&text)}</summary>
                <pre>{text}</pre>
            </details>
        }
        .into_any()
    } else {
        view! { <span class="value">{text}</span> }.into_any()
    }
}

#[component]
pub fn Params() -> impl IntoView {
    let page = use_page();
    let params = Memo::new(move |_| {
        page.with(|d| {
            d.run
                .data
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let search = RwSignal::new(String::new());
    let shown = move || {
        let needle = search.get().to_lowercase();
        params
            .get()
            .into_iter()
            .filter(|(k, v)| {
                needle.is_empty() || k.to_lowercase().contains(&needle) || v.to_lowercase().contains(&needle)
            })
            .collect::<Vec<_>>()
    };
    let row = move |(key, stored): (String, String)| {
        let value = match ParamValue::decode(&stored) {
            ParamValue::Plain(text) => value_text(text),
            ParamValue::Json(text) => view! {
                <span class="json-value" title="Stored as JSON; shown decoded">
                    {value_text(text)}
                    <span class="hint-badge">"JSON"</span>
                </span>
            }
            .into_any(),
            ParamValue::Artifact(name) => {
                let href = routes::artifact_path(&page.experiment_id(), &page.run_id.get_untracked(), &name);
                // The router follows the link; the preview is further down the page.
                let reveal = |_| {
                    if let Some(card) = document().get_element_by_id("artifacts-card") {
                        card.scroll_into_view();
                    }
                };
                view! {
                    <a class="param-artifact" href=href data-artifact=name.clone() on:click=reveal
                        title="Too long for a param: stored as an artifact">
                        "artifact: " {name.clone()}
                    </a>
                }
                .into_any()
            }
        };
        let data_key = key.clone();
        view! {
            <tr data-key=data_key>
                <td class="key">{key}</td>
                <td class="val">{value}</td>
            </tr>
        }
    };
    view! {
        <section class="card" id="params-card">
            <header class="card-head">
                <h2>"Parameters"</h2>
                <span class="count">{move || params.with(Vec::len)}</span>
                {move || (params.with(Vec::len) > SEARCH_FROM).then(|| view! {
                    <input type="search" id="params-filter" class="card-search" placeholder="Search params"
                        aria-label="Search params" prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev)) />
                })}
            </header>
            {move || if params.with(Vec::is_empty) {
                view! { <p class="muted empty-note">"No parameters."</p> }.into_any()
            } else {
                view! {
                    <table class="kv-table" id="params-table">
                        <thead><tr><th>"Name"</th><th>"Value"</th></tr></thead>
                        <tbody>{move || {
                            let rows = shown();
                            if rows.is_empty() {
                                view! { <tr><td colspan="2" class="muted">"No param matches."</td></tr> }.into_any()
                            } else {
                                rows.into_iter().map(row).collect_view().into_any()
                            }
                        }}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn Metrics() -> impl IntoView {
    let page = use_page();
    let navigate = use_navigate();
    let metrics = Memo::new(move |_| page.with(|d| d.metrics.clone()).unwrap_or_default());
    let row = move |m: MetricSummary| {
        let href = routes::metric_chart_path(&page.experiment_id(), &page.run_id.get_untracked(), &m.key);
        let open = {
            let navigate = navigate.clone();
            let href = href.clone();
            move |ev: leptos::ev::MouseEvent| {
                // A click on the key's link is the router's already.
                let on_link = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|e| e.closest("a").ok().flatten())
                    .is_some();
                if !on_link {
                    navigate(&href, NavigateOptions::default());
                }
            }
        };
        let data_key = m.key.clone();
        view! {
            <tr class="clickable" data-key=data_key on:click=open title="Open the chart">
                <td class="key"><a class="metric-link" href=href>{m.key}</a></td>
                <td class="num">{format::metric(m.latest)}</td>
                <td class="num">{m.step}</td>
                <td class="num">{format::optional_number(m.min)}</td>
                <td class="num">{format::optional_number(m.max)}</td>
                <td class="num">{m.points}</td>
            </tr>
        }
    };
    view! {
        <section class="card" id="metrics-card">
            <header class="card-head">
                <h2>"Metrics"</h2>
                <span class="count">{move || metrics.with(Vec::len)}</span>
                <span class="spacer"></span>
                <Show when=move || !metrics.with(Vec::is_empty)>
                    <a class="card-link" id="all-metrics-charts"
                        href=move || routes::run_metrics_path(&page.experiment_id(), &page.run_id.get())>
                        "All metrics as charts"
                    </a>
                </Show>
            </header>
            {move || if metrics.with(Vec::is_empty) {
                view! { <p class="muted empty-note">"No metrics."</p> }.into_any()
            } else {
                let row = row.clone();
                view! {
                    <table class="kv-table metrics" id="metrics-table">
                        <thead><tr>
                            <th>"Metric"</th><th class="num">"Latest"</th><th class="num">"Step"</th>
                            <th class="num">"Min"</th><th class="num">"Max"</th><th class="num">"Points"</th>
                        </tr></thead>
                        <tbody>{move || metrics.get().into_iter().map(row.clone()).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
