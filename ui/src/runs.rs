//! The runs of the chosen experiment as a table.

use crate::app::{ErrorBanner, Shell};
use crate::{format, ipc};
use leptos::prelude::*;
use runlens_core::ipc::{ListRunsRequest, RunsPage};
use runlens_core::{tag, PageRequest, Run, ViewType};

const PAGE: usize = 200;

#[component]
pub fn RunsView() -> impl IntoView {
    let shell = expect_context::<Shell>();
    let page = LocalResource::new(move || {
        let experiment = shell.experiment.get();
        async move {
            match experiment {
                None => None,
                Some(id) => Some(
                    ipc::list_runs(ListRunsRequest {
                        experiment_id: id,
                        filter: None,
                        order_by: vec![],
                        view_type: ViewType::ActiveOnly,
                        page: PageRequest {
                            max_results: Some(PAGE),
                            page_token: None,
                        },
                    })
                    .await,
                ),
            }
        }
    });
    move || match page.get() {
        None => view! { <p class="muted">"Loading runs…"</p> }.into_any(),
        Some(None) => view! {
            <div class="empty-state"><p>"Choose an experiment on the left to see its runs."</p></div>
        }
        .into_any(),
        Some(Some(Err(e))) => view! { <ErrorBanner error=e /> }.into_any(),
        Some(Some(Ok(p))) => view! { <RunsTable page=p /> }.into_any(),
    }
}

#[component]
fn RunsTable(page: RunsPage) -> impl IntoView {
    let exp = page.experiment.clone();
    let count = page.runs.len();
    let more = page.next_page_token.is_some();
    let description = exp.description().map(str::to_string);
    view! {
        <section class="runs" id="runs">
            <header class="runs-head">
                <h1 id="experiment-title">{exp.name.clone()}</h1>
                <span class="muted">"experiment " {exp.experiment_id.clone()}</span>
                <span class="run-count" id="run-count">
                    {count} {if count == 1 { " run" } else { " runs" }} {more.then_some(format!(" (first {PAGE})"))}
                </span>
            </header>
            {description.map(|d| view! { <p class="description">{d}</p> })}
            {if page.runs.is_empty() {
                view! { <p class="muted">"No runs in this experiment yet."</p> }.into_any()
            } else {
                view! {
                    <table class="runs-table" id="runs-table">
                        <thead><tr>
                            <th>"Status"</th><th>"Name"</th><th>"User"</th><th>"Started"</th>
                            <th>"Duration"</th><th>"Run type"</th><th>"Source / commit"</th><th>"Metrics"</th>
                        </tr></thead>
                        <tbody>
                            {page.runs.into_iter().map(|r| view! { <RunRow run=r /> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

fn short_commit(run: &Run) -> String {
    let tags = &run.data.tags;
    let commit = tags.get(tag::GIT_COMMIT).or_else(|| tags.get(tag::MAXAI_COMMIT));
    match commit {
        Some(c) => c.chars().take(8).collect(),
        None => tags
            .get(tag::SOURCE_NAME)
            .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
            .unwrap_or_default(),
    }
}

#[component]
fn RunRow(run: Run) -> impl IntoView {
    let info = run.info.clone();
    let status = info.status.as_str();
    let child = run.parent_run_id().is_some();
    let metrics: Vec<String> = run
        .data
        .metrics
        .iter()
        .take(3)
        .map(|m| format!("{} {}", m.key, format::metric(m.value)))
        .collect();
    view! {
        <tr data-run-id=info.run_id.clone() class:child=child>
            <td><span class=format!("status status-{}", status.to_ascii_lowercase())>{status}</span></td>
            <td class="name" title=info.run_id.clone()>{info.run_name.clone()}</td>
            <td>{info.user_id.clone()}</td>
            <td class="num">{format::datetime(info.start_time)}</td>
            <td class="num">{format::duration(info.start_time, info.end_time)}</td>
            <td>{run.data.tags.get(tag::MAXAI_RUN_TYPE).cloned().unwrap_or_default()}</td>
            <td class="mono">{short_commit(&run)}</td>
            <td class="metrics">{metrics.join(" · ")}</td>
        </tr>
    }
}
