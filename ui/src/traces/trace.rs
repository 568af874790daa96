//! One trace (route `/experiments/:e/traces/:trace_id`): the span tree beside a timing
//! waterfall, and for the selected span its inputs, outputs, attributes and events.

use super::{millis, nanos, status_class};
use crate::app::ErrorBanner;
use crate::tables::value::ValueView;
use crate::{format, ipc, routes};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use runlens_core::traces::{span_tree, trace_span_ns, Span, TraceDetail};
use std::collections::HashSet;

#[component]
pub fn TracePage() -> impl IntoView {
    let params = use_params_map();
    let experiment_id = Signal::derive(move || params.with(|p| p.get("experiment_id").unwrap_or_default()));
    let trace_id = Signal::derive(move || params.with(|p| p.get("trace_id").unwrap_or_default()));
    let experiment = super::experiment_name(experiment_id);
    let trace = LocalResource::new(move || {
        let id = trace_id.get();
        async move { ipc::get_trace(id).await }
    });
    view! {
        <section class="trace-page" id="trace-page">
            <nav class="breadcrumbs">
                <a href=move || routes::experiment_path(&experiment_id.get())>{move || experiment.get().unwrap_or_default()}</a>
                <span>"›"</span>
                <a href=move || routes::traces_path(&experiment_id.get()) id="back-to-traces">"Traces"</a>
                <span>"›"</span>
                <span>{trace_id}</span>
            </nav>
            {move || match trace.get() {
                None => view! { <p class="muted">"Reading the trace…"</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
                Some(Ok(detail)) => view! { <Loaded detail experiment_id=experiment_id.get() /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Loaded(detail: TraceDetail, experiment_id: String) -> impl IntoView {
    let s = detail.summary.clone();
    let spans = StoredValue::new(detail.spans.clone());
    let tree = span_tree(&detail.spans);
    let total_ns = trace_span_ns(&detail.spans);
    let selected = RwSignal::new(tree.first().map(|e| e.index));
    let collapsed = RwSignal::new(HashSet::<usize>::new());
    let tokens = s
        .tokens
        .and_then(|t| t.total())
        .map(|n| format::count(n.max(0) as usize));
    let name = s.name.clone().unwrap_or_else(|| s.trace_id.clone());
    // Which tree entries are hidden under a collapsed ancestor.
    let rows = tree.clone();
    let visible = Memo::new(move |_| {
        let collapsed = collapsed.get();
        let mut out = Vec::new();
        let mut hide_below: Option<usize> = None;
        for entry in &rows {
            if let Some(depth) = hide_below {
                if entry.depth > depth {
                    continue;
                }
                hide_below = None;
            }
            out.push(*entry);
            if collapsed.contains(&entry.index) {
                hide_below = Some(entry.depth);
            }
        }
        out
    });
    let ticks: Vec<(f64, String)> = (0..=3)
        .map(|i| (f64::from(i as u8) * 100.0 / 3.0, nanos(total_ns * i / 3)))
        .collect();
    view! {
        <header class="trace-head">
            <h1 id="trace-name">{name}</h1>
            <span class=status_class(s.status.as_str()) id="trace-status">{s.status.as_str()}</span>
        </header>
        <dl class="run-meta trace-meta">
            <div><dt>"Started"</dt><dd>{format::datetime(Some(s.timestamp_ms))}</dd></div>
            <div><dt>"Duration"</dt><dd>{millis(s.execution_time_ms)}</dd></div>
            <div><dt>"Spans"</dt><dd id="trace-span-count">{detail.spans.len()}</dd></div>
            {tokens.map(|t| view! { <div><dt>"Tokens"</dt><dd id="trace-tokens">{t}</dd></div> })}
            <div><dt>"Trace id"</dt><dd><code>{s.trace_id.clone()}</code></dd></div>
            {s.run_id.clone().map(|run| view! {
                <div><dt>"Run"</dt><dd><a href=routes::run_path(&experiment_id, &run)><code>{run.clone()}</code></a></dd></div>
            })}
        </dl>
        {(!detail.notes.is_empty()).then(|| view! {
            <ul class="table-notes" id="trace-notes">{detail.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}</ul>
        })}
        <div class="trace-layout">
            <div class="span-tree-pane">
                <div class="waterfall-head">
                    <span class="span-name-col">"Span"</span>
                    <span class="span-bar-col ticks">
                        {ticks.into_iter().map(|(left, label)| view! {
                            <span class="tick" style:left=format!("{left}%")>{label}</span>
                        }).collect_view()}
                    </span>
                </div>
                <ul class="span-tree" id="span-tree" role="tree">
                    {move || visible.get().into_iter().map(|entry| {
                        let span = spans.with_value(|s| s[entry.index].clone());
                        let i = entry.index;
                        let left = span.offset_ns as f64 / total_ns as f64 * 100.0;
                        let width = (span.duration_ns.unwrap_or(total_ns - span.offset_ns) as f64 / total_ns as f64 * 100.0).max(0.4);
                        let is_collapsed = move || collapsed.with(|c| c.contains(&i));
                        let toggle = move |ev: leptos::ev::MouseEvent| {
                            ev.stop_propagation();
                            collapsed.update(|c| { if !c.remove(&i) { c.insert(i); } });
                        };
                        view! {
                            <li class="span-row" role="treeitem" data-span-id=span.span_id.clone() data-depth=entry.depth
                                class:selected=move || selected.get() == Some(i) class:error=span.status == "ERROR"
                                on:click=move |_| selected.set(Some(i))>
                                <span class="span-name-col">
                                    <span class=format!("span-indent depth-{}", entry.depth.min(8))></span>
                                    {(entry.children > 0).then(|| view! {
                                        <button type="button" class="tree-toggle" on:click=toggle
                                            aria-expanded=move || (!is_collapsed()).to_string()>
                                            {move || if is_collapsed() { "▸" } else { "▾" }}
                                        </button>
                                    })}
                                    <span class="span-name" title=span.name.clone()>{span.name.clone()}</span>
                                    {span.span_type.clone().map(|t| view! { <span class="kind-badge span-type">{t}</span> })}
                                </span>
                                <span class="span-bar-col">
                                    <span class="span-bar" class:error=span.status == "ERROR"
                                        style:left=format!("{left:.3}%") style:width=format!("{width:.3}%")></span>
                                    <span class="span-duration">{span.duration_ns.map(nanos).unwrap_or_else(|| "running".into())}</span>
                                </span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {tree.is_empty().then(|| view! { <p class="muted">"This trace has no spans."</p> })}
            </div>
            <div class="span-detail-pane" id="span-detail">
                {move || selected.get().map(|i| {
                    let span = spans.with_value(|s| s[i].clone());
                    view! { <SpanDetail span /> }
                })}
            </div>
        </div>
    }
}

#[component]
fn SpanDetail(span: Span) -> impl IntoView {
    view! {
        <header class="pane-head">
            <strong class="pane-title" id="span-title">{span.name.clone()}</strong>
            {span.span_type.clone().map(|t| view! { <span class="kind-badge">{t}</span> })}
            <span class=status_class(&span.status)>{span.status.clone()}</span>
        </header>
        <p class="muted span-timing">
            {format!("starts at +{}, takes {}", nanos(span.offset_ns), span.duration_ns.map(nanos).unwrap_or_else(|| "(still running)".into()))}
        </p>
        {span.status_message.clone().map(|m| view! { <p class="span-error" id="span-status-message">{m}</p> })}
        <h3 class="pane-section">"Inputs"</h3>
        <div id="span-inputs">
            {match span.inputs.clone() {
                Some(v) => view! { <ValueView value=v /> }.into_any(),
                None => view! { <p class="muted">"none"</p> }.into_any(),
            }}
        </div>
        <h3 class="pane-section">"Outputs"</h3>
        <div id="span-outputs">
            {match span.outputs.clone() {
                Some(v) => view! { <ValueView value=v /> }.into_any(),
                None => view! { <p class="muted">"none"</p> }.into_any(),
            }}
        </div>
        <h3 class="pane-section">"Attributes"</h3>
        <table class="kv-table" id="span-attributes">
            <tbody>
                {span.attributes.iter().map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    view! { <tr><th>{k.clone()}</th><td>{text}</td></tr> }
                }).collect_view()}
            </tbody>
        </table>
        <h3 class="pane-section">"Events"</h3>
        {if span.events.is_empty() {
            view! { <p class="muted">"none"</p> }.into_any()
        } else {
            view! {
                <ol class="span-events" id="span-events">
                    {span.events.iter().map(|e| {
                        view! {
                            <li class="span-event" data-event=e.name.clone()>
                                <div class="span-event-head"><strong>{e.name.clone()}</strong> <span class="muted">{format!("at +{}", nanos(e.offset_ns))}</span></div>
                                <table class="kv-table">
                                    <tbody>
                                        {e.attributes.iter().map(|(k, v)| {
                                            let text = match v {
                                                serde_json::Value::String(s) => s.clone(),
                                                other => other.to_string(),
                                            };
                                            view! { <tr><th>{k.clone()}</th><td>{text}</td></tr> }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }
            .into_any()
        }}
    }
}
