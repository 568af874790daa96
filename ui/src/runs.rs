//! The runs of the chosen experiment as a table.

use crate::app::{ErrorBanner, Shell};
use crate::{format, ipc};
use leptos::prelude::*;
use runlens_core::filter::parse_run_filter;
use runlens_core::ipc::{ListRunsRequest, RunsPage};
use runlens_core::tree::{build_run_tree, RunNode};
use runlens_core::{tag, PageRequest, Run, ViewType};
use std::collections::HashSet;
use std::sync::Arc;

const PAGE: usize = 200;
/// Deeper runs are indented like this level (style.css has one rule per level).
const MAX_INDENT: usize = 6;

#[component]
pub fn RunsView() -> impl IntoView {
    let shell = expect_context::<Shell>();
    let filter_text = RwSignal::new(String::new());
    let applied = RwSignal::new(None::<String>);
    let sort = RwSignal::new(None::<Sort>);
    let view_type = RwSignal::new(ViewType::ActiveOnly);
    let query = Query {
        filter_text,
        applied,
        sort,
        view_type,
    };
    // Another experiment starts unfiltered, in the store's default order.
    Effect::new(move |_| {
        shell.experiment.track();
        filter_text.set(String::new());
        applied.set(None);
        sort.set(None);
    });
    let page = LocalResource::new(move || {
        let experiment = shell.experiment.get();
        let filter = applied.get();
        let order_by = sort.get().map(|s| vec![s.order_by()]).unwrap_or_default();
        let view_type = view_type.get();
        async move {
            match experiment {
                None => None,
                Some(id) => Some(
                    ipc::list_runs(ListRunsRequest {
                        experiment_id: id,
                        filter,
                        order_by,
                        view_type,
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
        Some(Some(Err(e))) => view! {
            <FilterBar query />
            <ErrorBanner error=e />
        }
        .into_any(),
        Some(Some(Ok(p))) => view! { <RunsTable page=p query /> }.into_any(),
    }
}

/// How the table asks the store for runs: filter (as typed and as applied), order, lifecycle.
#[derive(Clone, Copy)]
struct Query {
    filter_text: RwSignal<String>,
    applied: RwSignal<Option<String>>,
    sort: RwSignal<Option<Sort>>,
    view_type: RwSignal<ViewType>,
}

/// A column the store sorts by (MLflow `order_by` syntax) and the direction.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Sort {
    key: &'static str,
    ascending: bool,
}

impl Sort {
    fn order_by(self) -> String {
        format!("{} {}", self.key, if self.ascending { "ASC" } else { "DESC" })
    }
}

/// The table's columns: title and, when the store can sort by it, the `order_by` key.
const COLUMNS: [(&str, Option<&str>); 8] = [
    ("Status", Some("attributes.status")),
    ("Name", Some("attributes.run_name")),
    ("User", Some("attributes.user_id")),
    ("Started", Some("attributes.start_time")),
    ("Duration", None),
    ("Run type", Some("tags.`__maxai_run_type__`")),
    ("Source / commit", Some("tags.`mlflow.source.git.commit`")),
    ("Metrics", None),
];

/// A header that sorts by its column when clicked: ascending first, then descending.
#[component]
fn ColumnHeader(title: &'static str, key: Option<&'static str>, sort: RwSignal<Option<Sort>>) -> impl IntoView {
    let Some(key) = key else {
        return view! { <th>{title}</th> }.into_any();
    };
    let state = move || sort.get().filter(|s| s.key == key);
    let click = move |_| {
        let ascending = !matches!(state(), Some(Sort { ascending: true, .. }));
        sort.set(Some(Sort { key, ascending }));
    };
    let aria = move || match state() {
        Some(Sort { ascending: true, .. }) => "ascending",
        Some(_) => "descending",
        None => "none",
    };
    view! {
        <th aria-sort=aria>
            <button class="sort" data-sort-key=key on:click=click>
                {title}
                <span class="sort-mark">{move || match state() {
                    Some(Sort { ascending: true, .. }) => "▲",
                    Some(_) => "▼",
                    None => "",
                }}</span>
            </button>
        </th>
    }
    .into_any()
}

/// MLflow's filter syntax, checked as it is typed (the core parser runs here in wasm): a filter
/// that does not parse shows where and what was expected, and is not sent. Beside it, which
/// runs to show: active, deleted or all.
#[component]
fn FilterBar(query: Query) -> impl IntoView {
    let Query {
        filter_text: text,
        applied,
        view_type,
        ..
    } = query;
    let error = Memo::new(move |_| parse_run_filter(&text.get()).err());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if error.get_untracked().is_none() {
            let t = text.get_untracked().trim().to_string();
            applied.set((!t.is_empty()).then_some(t));
        }
    };
    let clear = move |_| {
        text.set(String::new());
        applied.set(None);
    };
    view! {
        <form class="filter-bar" id="filter-form" on:submit=submit>
            <input id="run-filter" type="text" spellcheck="false" autocomplete="off"
                placeholder="metrics.accuracy > 0.9 AND params.lr = '0.01'"
                class:invalid=move || error.get().is_some()
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev)) />
            <button type="submit" class="primary" disabled=move || error.get().is_some()>"Filter"</button>
            <button type="button" class="quiet" on:click=clear>"Clear"</button>
            <select id="run-view" title="Which runs to show"
                on:change=move |ev| view_type.set(ViewType::parse(&event_target_value(&ev)).unwrap_or_default())
                prop:value=move || view_type.get().as_str()>
                <option value="ACTIVE_ONLY">"Active"</option>
                <option value="DELETED_ONLY">"Deleted"</option>
                <option value="ALL">"All"</option>
            </select>
        </form>
        {move || error.get().map(|e| {
            let chars: Vec<char> = text.get().chars().collect();
            let at = e.position.min(chars.len());
            let before: String = chars[..at].iter().collect();
            let marked: String = chars.get(at).map(|c| c.to_string()).unwrap_or_else(|| " ".into());
            let after: String = chars.get(at + 1..).map(|r| r.iter().collect()).unwrap_or_default();
            view! {
                <div class="filter-error" id="filter-error" role="alert">
                    <code class="filter-echo">{before}<mark>{marked}</mark>{after}</code>
                    <span>{e.to_string()}</span>
                </div>
            }
        })}
    }
}

/// One visible row of the run tree.
#[derive(Clone)]
struct TreeRow {
    run: Run,
    depth: usize,
    children: usize,
}

/// The rows to show: every root, and the children of runs that are not collapsed.
fn visible_rows(forest: &[RunNode], collapsed: &HashSet<String>) -> Vec<TreeRow> {
    fn walk(node: &RunNode, depth: usize, collapsed: &HashSet<String>, out: &mut Vec<TreeRow>) {
        out.push(TreeRow {
            run: node.run.clone(),
            depth,
            children: node.descendant_count(),
        });
        if !collapsed.contains(&node.run.info.run_id) {
            for child in &node.children {
                walk(child, depth + 1, collapsed, out);
            }
        }
    }
    let mut out = Vec::new();
    for root in forest {
        walk(root, 0, collapsed, &mut out);
    }
    out
}

#[component]
fn RunsTable(page: RunsPage, query: Query) -> impl IntoView {
    let exp = page.experiment.clone();
    let count = page.runs.len();
    let more = page.next_page_token.is_some();
    let description = exp.description().map(str::to_string);
    let filtered = query.applied.get_untracked().is_some();
    let forest = Arc::new(build_run_tree(page.runs));
    let collapsed = RwSignal::new(HashSet::<String>::new());
    let rows = move || visible_rows(&forest, &collapsed.get());
    view! {
        <section class="runs" id="runs">
            <header class="runs-head">
                <h1 id="experiment-title">{exp.name.clone()}</h1>
                <span class="muted">"experiment " {exp.experiment_id.clone()}</span>
                <span class="run-count" id="run-count">
                    {count} {if count == 1 { " run" } else { " runs" }}
                    {filtered.then_some(" matching")}
                    {more.then_some(format!(" (first {PAGE})"))}
                </span>
            </header>
            {description.map(|d| view! { <p class="description">{d}</p> })}
            <FilterBar query />
            {if count == 0 {
                let empty = match (filtered, query.view_type.get_untracked()) {
                    (true, _) => "No run matches this filter.",
                    (false, ViewType::DeletedOnly) => "No deleted runs in this experiment.",
                    _ => "No runs in this experiment yet.",
                };
                view! { <p class="muted" id="no-runs">{empty}</p> }.into_any()
            } else {
                view! {
                    <table class="runs-table" id="runs-table">
                        <thead><tr>
                            {COLUMNS.into_iter().map(|(title, key)| view! { <ColumnHeader title key sort=query.sort /> }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {move || rows().into_iter().map(|row| view! { <RunRow row collapsed /> }).collect_view()}
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
fn RunRow(row: TreeRow, collapsed: RwSignal<HashSet<String>>) -> impl IntoView {
    let TreeRow { run, depth, children } = row;
    let info = run.info.clone();
    let status = info.status.as_str();
    let metrics: Vec<String> = run
        .data
        .metrics
        .iter()
        .take(3)
        .map(|m| format!("{} {}", m.key, format::metric(m.value)))
        .collect();
    let id = info.run_id.clone();
    let toggle = (children > 0).then(|| {
        let id = id.clone();
        let is_collapsed = {
            let id = id.clone();
            move || collapsed.with(|c| c.contains(&id))
        };
        let flip = move |_| {
            collapsed.update(|c| {
                if !c.remove(&id) {
                    c.insert(id.clone());
                }
            })
        };
        view! {
            <button class="tree-toggle" title="Show or hide child runs" on:click=flip>
                {move || if is_collapsed() { "▸" } else { "▾" }}
                <span class="child-count">{children}</span>
            </button>
        }
    });
    view! {
        <tr data-run-id=info.run_id.clone() data-depth=depth class:child={depth > 0}>
            <td><span class=format!("status status-{}", status.to_ascii_lowercase())>{status}</span></td>
            <td class="name" title=info.run_id.clone()>
                <span class=format!("tree-cell depth-{}", depth.min(MAX_INDENT))>
                    {toggle}
                    <span class="run-name">{info.run_name.clone()}</span>
                </span>
            </td>
            <td>{info.user_id.clone()}</td>
            <td class="num">{format::datetime(info.start_time)}</td>
            <td class="num">{format::duration(info.start_time, info.end_time)}</td>
            <td>{run.data.tags.get(tag::MAXAI_RUN_TYPE).cloned().unwrap_or_default()}</td>
            <td class="mono">{short_commit(&run)}</td>
            <td class="metrics">{metrics.into_iter().map(|m| view! { <div>{m}</div> }).collect_view()}</td>
        </tr>
    }
}
