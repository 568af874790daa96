//! One table across runs, the review-meeting view (route
//! `/experiments/:e/tables?runs=a,b,c&table=<path>&key=<column>`): rows joined by an input
//! column, the input once and each run's output side by side with its scores; rows a run lacks
//! are marked; "only differing" keeps the rows whose outputs differ; each run's score columns
//! are summed up on top; a row opens with a word-level diff of two runs' outputs.
//!
//! The backend joins and filters; the page holds only the rows in view.

use super::grid::cell_line;
use super::value::CellView;
use crate::app::ErrorBanner;
use crate::{format, ipc, routes};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_location, use_navigate, use_params_map};
use runlens_core::tables::join::{CompareRow, CompareRun, CompareTablesRequest, CompareWindow, ScoreAggregate};
use runlens_core::tables::{number_text, Cell};
use runlens_core::textdiff::{word_diff, Change};
use runlens_core::ApiError;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

const BLOCK: usize = 60;
/// Height of a joined row in pixels (tables.css gives `tr.compare-row` exactly this).
const ROW_HEIGHT: f64 = 112.0;
const OVERSCAN: usize = 4;

/// What the window answers besides rows: the plan, the runs and the counts.
#[derive(Clone, PartialEq)]
struct Meta {
    window: CompareWindow,
}

#[component]
pub fn CompareTablesPage() -> impl IntoView {
    let params = use_params_map();
    let experiment_id = Signal::derive(move || params.with(|p| p.get("experiment_id").unwrap_or_default()));
    let search = use_location().search;
    let run_ids = Memo::new(move |_| {
        search.with(|s| {
            routes::query_value(s, "runs")
                .unwrap_or_default()
                .split(',')
                .filter(|r| !r.trim().is_empty())
                .map(|r| r.trim().to_string())
                .collect::<Vec<_>>()
        })
    });
    let table = Memo::new(move |_| search.with(|s| routes::query_value(s, "table")));
    let key = Memo::new(move |_| search.with(|s| routes::query_value(s, "key")));
    // Tables present in the runs: path → how many runs hold it.
    let present = LocalResource::new(move || {
        let runs = run_ids.get();
        async move {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            let mut problems = Vec::new();
            for run in &runs {
                match ipc::run_tables(run.clone()).await {
                    Ok(found) => {
                        for t in found.tables {
                            *counts.entry(t.path).or_insert(0) += 1;
                        }
                    }
                    Err(e) => problems.push(format!("{run}: {}", e.message)),
                }
            }
            let mut list: Vec<(String, usize)> = counts.into_iter().collect();
            list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            (list, problems)
        }
    });
    let experiment = crate::traces::experiment_name(experiment_id);
    let navigate = use_navigate();
    let go = move |table: Option<String>, key: Option<String>| {
        navigate(
            &routes::compare_tables_path(
                &experiment_id.get_untracked(),
                &run_ids.get_untracked(),
                table.as_deref(),
                key.as_deref(),
            ),
            Default::default(),
        );
    };
    let go_table = go.clone();
    // The table as chosen (or the first one found), for "Add to review".
    let review_item = Signal::derive(move || {
        let runs = run_ids.get();
        let chosen = table
            .get()
            .or_else(|| present.get().and_then(|(list, _)| list.first().map(|(p, _)| p.clone())))?;
        (!runs.is_empty()).then(|| runlens_core::review::ReviewItem::Table {
            experiment_id: experiment_id.get(),
            run_ids: runs,
            table: chosen,
            key: key.get(),
        })
    });
    view! {
        <section class="compare-tables" id="compare-tables">
            <header class="page-head">
                <nav class="breadcrumbs">
                    <a href=move || routes::experiment_path(&experiment_id.get())>{move || experiment.get().unwrap_or_default()}</a>
                    <span>"›"</span>
                    <span>"Compare tables"</span>
                </nav>
                <div class="compare-title-row">
                    <h1>{move || format!("Compare a table across {} runs", run_ids.with(Vec::len))}</h1>
                    <crate::review::AddToReview item=review_item id="add-table-to-review" />
                </div>
            </header>
            {move || {
                if run_ids.with(Vec::is_empty) {
                    return view! { <p class="muted">"Choose runs in the runs table, then “Compare tables”."</p> }.into_any();
                }
                match present.get() {
                    None => view! { <p class="muted">"Looking for the runs' tables…"</p> }.into_any(),
                    Some((list, problems)) => {
                        let chosen = table.get().or_else(|| list.first().map(|(p, _)| p.clone()));
                        let total = run_ids.with(Vec::len);
                        let go_table = go_table.clone();
                        let options = list.iter().map(|(path, n)| {
                            let label = if *n == total { path.clone() } else { format!("{path} (in {n} of {total} runs)") };
                            view! { <option value=path.clone() selected=chosen.as_deref() == Some(path.as_str())>{label}</option> }
                        }).collect_view();
                        view! {
                            {problems.into_iter().map(|p| view! { <p class="table-notes">{p}</p> }).collect_view()}
                            <div class="compare-choose">
                                <label for="compare-table">"Table"</label>
                                <select id="compare-table" on:change=move |ev| go_table(Some(event_target_value(&ev)), None)>
                                    {options}
                                </select>
                            </div>
                            {match chosen {
                                None => view! { <p class="muted" id="compare-no-table">"None of these runs has a table."</p> }.into_any(),
                                Some(path) => {
                                    let go = go.clone();
                                    let for_key = path.clone();
                                    let on_key = Callback::new(move |k: String| go(Some(for_key.clone()), Some(k)));
                                    view! { <Comparison run_ids=run_ids.get() path key=key.get() on_key /> }.into_any()
                                }
                            }}
                        }
                        .into_any()
                    }
                }
            }}
        </section>
    }
}

/// One table of these runs joined row by row (the page's body; a review's table slide too).
#[component]
pub fn Comparison(run_ids: Vec<String>, path: String, key: Option<String>, on_key: Callback<String>) -> impl IntoView {
    let output = RwSignal::new(None::<String>);
    let only_differing = RwSignal::new(false);
    let search = RwSignal::new(String::new());
    let applied_search = RwSignal::new(String::new());
    let typing = StoredValue::new(0u64);
    let meta = RwSignal::new(None::<Meta>);
    let blocks = RwSignal::new(HashMap::<usize, Vec<CompareRow>>::new());
    let pending = StoredValue::new(HashSet::<usize>::new());
    let generation = StoredValue::new(0u64);
    let error = RwSignal::new(None::<ApiError>);
    let opened = RwSignal::new(None::<CompareRow>);
    // The two runs whose outputs are diffed: indices into the runs.
    let diff_a = RwSignal::new(0usize);
    let diff_b = RwSignal::new(if run_ids.len() > 1 { 1usize } else { 0 });

    let request = {
        let (run_ids, path, key) = (run_ids.clone(), path.clone(), key.clone());
        move |offset: usize| CompareTablesRequest {
            run_ids: run_ids.clone(),
            path: path.clone(),
            key: key.clone(),
            output: output.get_untracked(),
            only_differing: only_differing.get_untracked(),
            search: applied_search.get_untracked(),
            offset,
            limit: BLOCK,
        }
    };
    let fetch = move |block: usize| {
        if blocks.with_untracked(|b| b.contains_key(&block)) || pending.with_value(|p| p.contains(&block)) {
            return;
        }
        pending.update_value(|p| {
            p.insert(block);
        });
        let gen = generation.get_value();
        let req = request(block * BLOCK);
        spawn_local(async move {
            let answer = ipc::compare_tables(req).await;
            if generation.try_get_value() != Some(gen) {
                return;
            }
            pending.update_value(|p| {
                p.remove(&block);
            });
            match answer {
                Ok(mut window) => {
                    let rows = std::mem::take(&mut window.rows);
                    meta.set(Some(Meta { window }));
                    blocks.update(|b| {
                        b.insert(block, rows);
                    });
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    // Any change of what is asked starts again from the top.
    Effect::new(move |previous: Option<(Option<String>, bool, String)>| {
        let now = (output.get(), only_differing.get(), applied_search.get());
        if previous.is_some_and(|p| p != now) {
            generation.update_value(|g| *g += 1);
            pending.set_value(HashSet::new());
            blocks.set(HashMap::new());
            opened.set(None);
            meta.update(|m| {
                if let Some(m) = m {
                    m.window.matching_rows = usize::MAX;
                }
            });
        }
        now
    });

    let scroller = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(500.0_f64);
    let measure = move || {
        if let Some(el) = scroller.get_untracked() {
            viewport.set(f64::from(el.client_height()).max(ROW_HEIGHT));
        }
    };
    Effect::new(move |_| {
        if scroller.get().is_some() {
            measure();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    let total = move || meta.with(|m| m.as_ref().map(|m| m.window.matching_rows).filter(|n| *n != usize::MAX));
    let range = Memo::new(move |_| {
        let total = total().unwrap_or(0);
        let first = (scroll_top.get() / ROW_HEIGHT) as usize;
        let shown = (viewport.get() / ROW_HEIGHT).ceil() as usize;
        (
            first.saturating_sub(OVERSCAN).min(total),
            (first + shown + OVERSCAN).min(total),
            total,
        )
    });
    Effect::new(move |_| {
        output.track();
        only_differing.track();
        applied_search.track();
        let (start, end, total_rows) = range.get();
        if total().is_none() {
            if let Some(el) = scroller.get_untracked() {
                el.set_scroll_top(0);
            }
            fetch(0);
            return;
        }
        if total_rows == 0 {
            return;
        }
        for b in start / BLOCK..=end.saturating_sub(1) / BLOCK {
            fetch(b);
        }
    });

    let runs = move || meta.with(|m| m.as_ref().map(|m| m.window.runs.clone()).unwrap_or_default());
    let columns = move || meta.with(|m| m.as_ref().map(|m| m.window.columns.clone()).unwrap_or_default());
    let plan = move || meta.with(|m| m.as_ref().map(|m| m.window.plan.clone()));
    let counts = move || {
        meta.with(|m| {
            m.as_ref().map(|m| {
                let w = &m.window;
                let shown = if w.matching_rows == usize::MAX {
                    String::new()
                } else {
                    format!("{} shown · ", format::count(w.matching_rows))
                };
                format!(
                    "{shown}{} inputs · {} differ",
                    format::count(w.total_rows),
                    format::count(w.differing_rows)
                )
            })
        })
    };
    let run_count = run_ids.len();
    let path_for_pane = path.clone();
    view! {
        <div class="compare-tools">
            <label for="compare-key">"Join on"</label>
            <select id="compare-key" on:change=move |ev| on_key.run(event_target_value(&ev))>
                {move || {
                    let current = plan().map(|p| p.key_column);
                    columns().into_iter().map(|c| {
                        let sel = current.as_deref() == Some(c.as_str());
                        view! { <option value=c.clone() selected=sel>{c.clone()}</option> }
                    }).collect_view()
                }}
            </select>
            <label for="compare-output">"Output"</label>
            <select id="compare-output" on:change=move |ev| output.set(Some(event_target_value(&ev)))>
                {move || {
                    let current = plan().map(|p| p.output_column);
                    columns().into_iter().map(|c| {
                        let sel = current.as_deref() == Some(c.as_str());
                        view! { <option value=c.clone() selected=sel>{c.clone()}</option> }
                    }).collect_view()
                }}
            </select>
            <label class="toggle">
                <input type="checkbox" id="only-differing" prop:checked=move || only_differing.get()
                    on:change=move |ev| only_differing.set(event_target_checked(&ev)) />
                "Only rows whose outputs differ"
            </label>
            <input type="search" id="compare-search" class="table-search" placeholder="Search inputs and outputs"
                autocomplete="off" spellcheck="false" prop:value=move || search.get()
                on:input=move |ev| {
                    search.set(event_target_value(&ev));
                    let n = typing.get_value() + 1;
                    typing.set_value(n);
                    set_timeout(move || {
                        if typing.try_get_value() == Some(n) {
                            applied_search.set(search.get_untracked());
                        }
                    }, Duration::from_millis(250));
                } />
            <span class="spacer"></span>
            <span class="row-count" id="compare-count">{counts}</span>
        </div>
        {move || error.get().map(|error| view! { <ErrorBanner error /> })}
        <div class="aggregates" id="aggregates">
            {move || runs().into_iter().enumerate().map(|(i, run)| view! { <RunSummary run index=i /> }).collect_view()}
        </div>
        <div class="grid-and-pane" class:with-pane=move || opened.with(Option::is_some)>
            <div class="grid-scroll compare-scroll" id="compare-scroll" node_ref=scroller
                on:scroll=move |ev| scroll_top.set(f64::from(event_target::<web_sys::Element>(&ev).scroll_top()))>
                <table class="data-grid compare-grid" id="compare-grid">
                    <colgroup>
                        <col class="c-num" />
                        <col class="c-input" />
                        {(0..run_count).map(|_| view! { <col class="c-run" /> }).collect_view()}
                    </colgroup>
                    <thead><tr class="head-row">
                        <th class="row-num">"#"</th>
                        <th>{move || plan().map(|p| format!("input · {}", p.key_column)).unwrap_or_else(|| "input".into())}</th>
                        {move || runs().into_iter().map(|r| view! {
                            <th data-run-id=r.run_id.clone() title=r.run_id.clone()>
                                <span class="column-title">{r.run_name.clone()}</span>
                                <span class="kind-badge">{plan().map(|p| p.output_column).unwrap_or_default()}</span>
                            </th>
                        }).collect_view()}
                    </tr></thead>
                    <tbody>
                        <tr class="spacer-row" aria-hidden="true" style:height=move || format!("{}px", range.get().0 as f64 * ROW_HEIGHT)></tr>
                        // Keyed rows: scrolling adds the rows that come into view and keeps the others.
                        {move || {
                            let score_names = plan().map(|p| p.score_columns).unwrap_or_default();
                            let in_view = move || {
                                let (start, end, _) = range.get();
                                blocks.with(|b| {
                                    (start..end)
                                        .map(|pos| (pos, b.get(&(pos / BLOCK)).and_then(|r| r.get(pos % BLOCK)).cloned()))
                                        .collect::<Vec<_>>()
                                })
                            };
                            view! {
                                <For each=in_view key=|(pos, row)| (*pos, row.as_ref().map(|r| r.index))
                                    children=move |(pos, row)| compare_row_view(pos, row, run_count, &score_names, opened) />
                            }
                        }}
                        <tr class="spacer-row" aria-hidden="true" style:height=move || {
                            let (_, end, total) = range.get();
                            format!("{}px", (total - end) as f64 * ROW_HEIGHT)
                        }></tr>
                    </tbody>
                </table>
                <Show when=move || total() == Some(0)>
                    <p class="muted grid-empty" id="compare-empty">"No rows match."</p>
                </Show>
            </div>
            {move || opened.get().map(|row| view! {
                <RowPane row runs=runs() path=path_for_pane.clone() diff_a diff_b opened />
            })}
        </div>
    }
}

fn aggregate_text(a: &ScoreAggregate) -> String {
    match (a.pass_rate, a.mean) {
        (Some(rate), _) => format!("{:.1}% pass", rate * 100.0),
        (None, Some(mean)) => format!("mean {}", short_number(mean)),
        _ => "no values".into(),
    }
}

fn short_number(x: f64) -> String {
    if x.abs() >= 1000.0 || x.fract() == 0.0 {
        number_text(runlens_core::MetricValue(x))
    } else {
        format!("{x:.3}")
    }
}

#[component]
fn RunSummary(run: CompareRun, index: usize) -> impl IntoView {
    view! {
        <div class="aggregate-card" data-run-id=run.run_id.clone() data-index=index>
            <div class="aggregate-head">
                <strong>{run.run_name.clone()}</strong>
                <span class="muted">{run.rows.map(|n| format!("{} rows", format::count(n))).unwrap_or_default()}</span>
            </div>
            {run.error.clone().map(|error| view! { <ErrorBanner error /> })}
            <dl class="aggregate-list">
                {run.aggregates.iter().map(|a| view! {
                    <div class="aggregate" data-column=a.column.clone()>
                        <dt>{a.column.clone()}</dt>
                        <dd>{aggregate_text(a)}</dd>
                    </div>
                }).collect_view()}
            </dl>
        </div>
    }
}

fn score_view(name: &str, cell: &Cell) -> impl IntoView {
    let class = match cell {
        Cell::Bool(true) => "score pass",
        Cell::Bool(false) => "score fail",
        Cell::Null => "score none",
        _ => "score",
    };
    view! { <span class=class title=name.to_string()>{format!("{name}: {}", cell_line(cell))}</span> }
}

fn compare_row_view(
    pos: usize,
    row: Option<CompareRow>,
    runs: usize,
    scores: &[String],
    opened: RwSignal<Option<CompareRow>>,
) -> AnyView {
    let Some(row) = row else {
        return view! {
            <tr class="compare-row loading" data-pos=pos>
                <td class="row-num muted">{pos + 1}</td><td></td>
                {(0..runs).map(|_| view! { <td></td> }).collect_view()}
            </tr>
        }
        .into_any();
    };
    let index = row.index;
    let is_open = move || opened.with(|o| o.as_ref().map(|r| r.index) == Some(index));
    let sides = row
        .sides
        .iter()
        .map(|side| match side {
            None => view! { <td class="side missing"><span class="missing-mark">"missing in this run"</span></td> }
                .into_any(),
            Some(side) => view! {
                <td class="side">
                    <div class="cell-text">{cell_line(&side.output)}</div>
                    <div class="scores">
                        {scores.iter().zip(&side.scores).map(|(n, c)| score_view(n, c)).collect_view()}
                    </div>
                </td>
            }
            .into_any(),
        })
        .collect_view();
    let row_for_click = row.clone();
    view! {
        <tr class="compare-row" data-pos=pos data-index=index class:differs=row.differs class:open=is_open
            on:click=move |_| opened.set(Some(row_for_click.clone()))>
            <td class="row-num muted">
                {pos + 1}
                {row.differs.then(|| view! { <span class="differs-mark" title="The outputs differ">"≠"</span> })}
            </td>
            <td class="input"><div class="cell-text">{cell_line(&row.input)}</div></td>
            {sides}
        </tr>
    }
    .into_any()
}

/// A joined row opened: the whole input, a word-level diff of two runs' outputs, each run's
/// whole output.
#[component]
fn RowPane(
    row: CompareRow,
    runs: Vec<CompareRun>,
    path: String,
    diff_a: RwSignal<usize>,
    diff_b: RwSignal<usize>,
    opened: RwSignal<Option<CompareRow>>,
) -> impl IntoView {
    // Whole cells: the input from the first run that has the row, then each run's output.
    let first = row.sides.iter().position(Option::is_some);
    let fetch_cells = {
        let (row, runs, path) = (row.clone(), runs.clone(), path.clone());
        move || {
            let (row, runs, path) = (row.clone(), runs.clone(), path.clone());
            async move {
                let mut input = None;
                if let Some(i) = first {
                    let (side, run) = (row.sides[i].as_ref().unwrap(), &runs[i]);
                    if let Some(col) = run.key_column {
                        input = ipc::table_cell(run.run_id.clone(), path.clone(), side.row, col)
                            .await
                            .ok();
                    }
                }
                let mut outputs = Vec::new();
                for (side, run) in row.sides.iter().zip(&runs) {
                    let cell = match (side, run.output_column) {
                        (Some(side), Some(col)) => {
                            Some(ipc::table_cell(run.run_id.clone(), path.clone(), side.row, col).await)
                        }
                        _ => None,
                    };
                    outputs.push(cell);
                }
                (input, outputs)
            }
        }
    };
    let cells = LocalResource::new(fetch_cells);
    let names: Vec<String> = runs.iter().map(|r| r.run_name.clone()).collect();
    let names_b = names.clone();
    let run_ids: Vec<String> = runs.iter().map(|r| r.run_id.clone()).collect();
    let input_cell = row.input.clone();
    view! {
        <aside class="cell-pane row-pane" id="row-pane" data-index=row.index>
            <header class="pane-head">
                <strong class="pane-title">{format!("Input {}", row.index + 1)}</strong>
                {row.differs.then(|| view! { <span class="kind-badge differs">"outputs differ"</span> })}
                <span class="spacer"></span>
                <button type="button" class="icon" id="row-pane-close" title="Close" on:click=move |_| opened.set(None)>"×"</button>
            </header>
            <div class="pane-body">
                {move || {
                    let (input, outputs) = match cells.get() {
                        None => return view! { <p class="muted">"…"</p> }.into_any(),
                        Some(found) => found,
                    };
                    let run_for_input = run_ids.first().cloned().unwrap_or_default();
                    let text = |i: usize| -> Option<String> {
                        outputs.get(i).and_then(|o| o.as_ref()).and_then(|r| r.as_ref().ok()).map(|c| c.text())
                    };
                    let (a, b) = (diff_a.get(), diff_b.get());
                    let diff = match (text(a), text(b)) {
                        (Some(x), Some(y)) => view! { <Diff old=x new=y /> }.into_any(),
                        _ => view! { <p class="muted" id="diff-missing">"One of these runs has no output for this input."</p> }.into_any(),
                    };
                    view! {
                        <h3 class="pane-section">"Input"</h3>
                        <CellView cell=input.unwrap_or(input_cell.clone()) run_id=run_for_input />
                        <h3 class="pane-section">"Diff"</h3>
                        <div class="diff-choose">
                            <select id="diff-a" on:change=move |ev| diff_a.set(event_target_value(&ev).parse().unwrap_or(0))>
                                {names.iter().enumerate().map(|(i, n)| view! { <option value=i.to_string() selected=i == a>{n.clone()}</option> }).collect_view()}
                            </select>
                            <span>"→"</span>
                            <select id="diff-b" on:change=move |ev| diff_b.set(event_target_value(&ev).parse().unwrap_or(0))>
                                {names_b.iter().enumerate().map(|(i, n)| view! { <option value=i.to_string() selected=i == b>{n.clone()}</option> }).collect_view()}
                            </select>
                        </div>
                        {diff}
                        {outputs.iter().enumerate().map(|(i, o)| {
                            let name = names.get(i).cloned().unwrap_or_default();
                            let body = match o {
                                None => view! { <p class="missing-mark">"missing in this run"</p> }.into_any(),
                                Some(Err(error)) => view! { <ErrorBanner error=error.clone() /> }.into_any(),
                                Some(Ok(cell)) => view! { <CellView cell=cell.clone() run_id=run_ids[i].clone() /> }.into_any(),
                            };
                            view! {
                                <h3 class="pane-section" data-run-index=i>{name}</h3>
                                {body}
                            }
                        }).collect_view()}
                    }
                    .into_any()
                }}
            </div>
        </aside>
    }
}

/// Word-level changes from `old` to `new`, as text.
#[component]
fn Diff(old: String, new: String) -> impl IntoView {
    let pieces = word_diff(&old, &new);
    // Places that changed: a removal and the addition beside it are one change.
    let changed = pieces
        .iter()
        .enumerate()
        .filter(|(i, p)| p.change != Change::Same && (*i == 0 || pieces[i - 1].change == Change::Same))
        .count();
    view! {
        <p class="hint" id="diff-summary">
            {if changed == 0 { "The two outputs are the same.".to_string() } else { format!("{changed} change{}", if changed == 1 { "" } else { "s" }) }}
        </p>
        <pre class="word-diff" id="word-diff">
            {pieces.into_iter().map(|p| match p.change {
                Change::Same => view! { <span>{p.text}</span> }.into_any(),
                Change::Removed => view! { <del>{p.text}</del> }.into_any(),
                Change::Added => view! { <ins>{p.text}</ins> }.into_any(),
            }).collect_view()}
        </pre>
    }
}
