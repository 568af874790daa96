//! An experiment's traces (route `/experiments/:e/traces`): status, time, duration, name,
//! request and response previews and token counts, newest first, with a search and a status
//! filter applied by the store, a page at a time.

use super::{millis, status_class};
use crate::app::ErrorBanner;
use crate::{format, ipc, routes};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use runlens_core::traces::{SearchTracesRequest, TraceStatus, TraceSummary};
use runlens_core::{ApiError, PageRequest};
use std::time::Duration;

/// Traces per page.
const PAGE: usize = 100;

#[component]
pub fn TracesPage() -> impl IntoView {
    let params = use_params_map();
    let experiment_id = Signal::derive(move || params.with(|p| p.get("experiment_id").unwrap_or_default()));
    let experiment = super::experiment_name(experiment_id);
    let search = RwSignal::new(String::new());
    let applied = RwSignal::new(String::new());
    let typing = StoredValue::new(0u64);
    let status = RwSignal::new(None::<TraceStatus>);
    let items = RwSignal::new(Vec::<TraceSummary>::new());
    let next = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let asked = StoredValue::new(0u64);

    let load = move |token: Option<String>| {
        let request = SearchTracesRequest {
            experiment_id: experiment_id.get_untracked(),
            status: status.get_untracked(),
            text: Some(applied.get_untracked()).filter(|t| !t.trim().is_empty()),
            page: PageRequest {
                max_results: Some(PAGE),
                page_token: token.clone(),
            },
        };
        let n = asked.get_value() + 1;
        asked.set_value(n);
        loading.set(true);
        spawn_local(async move {
            let answer = ipc::search_traces(request).await;
            if asked.try_get_value() != Some(n) {
                return;
            }
            loading.set(false);
            match answer {
                Ok(page) => {
                    if token.is_some() {
                        items.update(|i| i.extend(page.items));
                    } else {
                        items.set(page.items);
                    }
                    next.set(page.next_page_token);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    Effect::new(move |_| {
        experiment_id.track();
        status.track();
        applied.track();
        load(None);
    });

    view! {
        <section class="traces-page" id="traces-page">
            <header class="page-head">
                <nav class="breadcrumbs">
                    <a href=move || routes::experiment_path(&experiment_id.get())>
                        {move || experiment.get().unwrap_or_default()}
                    </a>
                    <span>"›"</span>
                    <span>"Traces"</span>
                </nav>
                <h1>"Traces"</h1>
            </header>
            <div class="grid-tools">
                <input type="search" id="trace-search" class="table-search" placeholder="Search names, requests, responses and spans"
                    autocomplete="off" spellcheck="false" prop:value=move || search.get()
                    on:input=move |ev| {
                        search.set(event_target_value(&ev));
                        let n = typing.get_value() + 1;
                        typing.set_value(n);
                        set_timeout(move || {
                            if typing.try_get_value() == Some(n) {
                                applied.set(search.get_untracked());
                            }
                        }, Duration::from_millis(300));
                    } />
                <select id="trace-status" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    status.set((!v.is_empty()).then(|| TraceStatus::parse(&v)));
                }>
                    <option value="">"Any status"</option>
                    <option value="OK">"OK"</option>
                    <option value="ERROR">"Error"</option>
                    <option value="IN_PROGRESS">"In progress"</option>
                </select>
                <span class="row-count" id="trace-count">
                    {move || {
                        let n = items.with(Vec::len);
                        let more = if next.with(Option::is_some) { "+" } else { "" };
                        format!("{}{more} trace{}", format::count(n), if n == 1 { "" } else { "s" })
                    }}
                </span>
            </div>
            {move || error.get().map(|error| view! { <ErrorBanner error /> })}
            <div class="traces-scroll">
                <table class="data-grid traces-table" id="traces-table">
                    <thead><tr>
                        <th class="c-status">"Status"</th>
                        <th class="c-time">"Time"</th>
                        <th class="c-duration num">"Duration"</th>
                        <th class="c-name">"Name"</th>
                        <th>"Request"</th>
                        <th>"Response"</th>
                        <th class="c-tokens num">"Tokens"</th>
                    </tr></thead>
                    <tbody>
                        <For each=move || items.get() key=|t| t.trace_id.clone() let:trace>
                            <TraceRow trace experiment_id=experiment_id.get_untracked() />
                        </For>
                    </tbody>
                </table>
                <Show when=move || !loading.get() && items.with(Vec::is_empty)>
                    <p class="muted grid-empty" id="traces-empty">"No traces match."</p>
                </Show>
                <Show when=move || next.with(Option::is_some)>
                    <button type="button" id="traces-more" disabled=move || loading.get()
                        on:click=move |_| load(next.get_untracked())>"Load more"</button>
                </Show>
            </div>
        </section>
    }
}

#[component]
fn TraceRow(trace: TraceSummary, experiment_id: String) -> impl IntoView {
    let href = routes::trace_path(&experiment_id, &trace.trace_id);
    let tokens = trace
        .tokens
        .map(|t| {
            let total = t.total().map(|n| format::count(n.max(0) as usize)).unwrap_or_default();
            match (t.input_tokens, t.output_tokens) {
                (Some(i), Some(o)) => format!("{total} ({i} in / {o} out)"),
                _ => total,
            }
        })
        .unwrap_or_default();
    let name = trace.name.clone().unwrap_or_else(|| trace.trace_id.clone());
    view! {
        <tr class="trace-row" data-trace-id=trace.trace_id.clone() data-status=trace.status.as_str()>
            <td><span class=status_class(trace.status.as_str())>{trace.status.as_str()}</span></td>
            <td class="c-time">{format::datetime(Some(trace.timestamp_ms))}</td>
            <td class="num">{millis(trace.execution_time_ms)}</td>
            <td class="c-name"><a class="trace-link" href=href title=trace.trace_id.clone()>{name}</a></td>
            <td class="preview" title=trace.request_preview.clone().unwrap_or_default()>{trace.request_preview.clone().unwrap_or_default()}</td>
            <td class="preview" title=trace.response_preview.clone().unwrap_or_default()>{trace.response_preview.clone().unwrap_or_default()}</td>
            <td class="num">{tokens}</td>
        </tr>
    }
}
