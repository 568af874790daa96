//! The runs as a tree table that renders only the rows in view: the DOM holds about a screenful
//! of rows however many runs are loaded, and the next page is read as the end comes near.

use super::bulk::BulkBar;
use super::columns::{default_extra, Column, ColumnChoices, ColumnPicker, KnownKeys, FIXED};
use super::RunsLoader;
use crate::routes::{self, RunsQuery};
use crate::{format, keyboard};
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use runlens_core::tree::{build_run_tree, RunNode};
use runlens_core::Run;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Height of one row in pixels (style.css gives `tr.run-row` exactly this height).
const ROW_HEIGHT: f64 = 32.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 12;
/// The next page is read when fewer rows than this are left below the view.
const PREFETCH_ROWS: usize = 100;
/// Width of the checkbox column in pixels.
const SELECT_WIDTH: u32 = 34;
/// Deeper runs are indented like this level (style.css has one rule per level).
const MAX_INDENT: usize = 6;

/// One row of the tree as shown.
#[derive(Clone, Debug)]
struct TreeRow {
    run: Arc<Run>,
    depth: usize,
    children: usize,
    /// Shown only as the ancestor of a matching run.
    context: bool,
}

/// Matching runs in order, each preceded by its not-yet-placed ancestors (root first), so an
/// ancestor that did not match sits where its first matching descendant would be.
fn ordered_with_ancestors(runs: &[Run], ancestors: &HashMap<String, Run>) -> Vec<Run> {
    let mut placed: HashSet<&str> = HashSet::new();
    let mut out = Vec::with_capacity(runs.len() + ancestors.len());
    for run in runs {
        let mut chain = Vec::new();
        let mut parent = run.parent_run_id();
        while let Some(p) = parent {
            if placed.contains(p) || chain.len() > 64 {
                break;
            }
            match ancestors.get(p) {
                Some(a) => {
                    chain.push(a);
                    parent = a.parent_run_id();
                }
                None => break,
            }
        }
        for a in chain.into_iter().rev() {
            if placed.insert(&a.info.run_id) {
                out.push(a.clone());
            }
        }
        if placed.insert(&run.info.run_id) {
            out.push(run.clone());
        }
    }
    out
}

fn flatten(forest: &[RunNode], collapsed: &HashSet<String>, context: &HashSet<String>) -> Vec<TreeRow> {
    fn walk(
        node: &RunNode,
        depth: usize,
        collapsed: &HashSet<String>,
        context: &HashSet<String>,
        out: &mut Vec<TreeRow>,
    ) {
        out.push(TreeRow {
            run: Arc::new(node.run.clone()),
            depth,
            children: node.descendant_count(),
            context: context.contains(&node.run.info.run_id),
        });
        if !collapsed.contains(&node.run.info.run_id) {
            for child in &node.children {
                walk(child, depth + 1, collapsed, context, out);
            }
        }
    }
    let mut out = Vec::new();
    for root in forest {
        walk(root, 0, collapsed, context, &mut out);
    }
    out
}

/// Trees are rebuilt only when the runs change, so a new value always means a change.
fn changed<T>(old: Option<&Arc<T>>, new: Option<&Arc<T>>) -> bool {
    !matches!((old, new), (Some(a), Some(b)) if Arc::ptr_eq(a, b))
}

/// Ids of runs that have children, for "collapse all".
fn parents(forest: &[RunNode]) -> HashSet<String> {
    fn walk(node: &RunNode, out: &mut HashSet<String>) {
        if !node.children.is_empty() {
            out.insert(node.run.info.run_id.clone());
            node.children.iter().for_each(|c| walk(c, out));
        }
    }
    let mut out = HashSet::new();
    forest.iter().for_each(|n| walk(n, &mut out));
    out
}

#[component]
pub fn RunsTable(loader: RunsLoader, query: Signal<RunsQuery>) -> impl IntoView {
    let loaded = loader.loaded;
    let collapsed = RwSignal::new(HashSet::<String>::new());
    let selected = RwSignal::new(HashSet::<String>::new());
    let anchor = RwSignal::new(None::<String>);
    let cursor = RwSignal::new(None::<usize>);
    let forest = Memo::new_with_compare(
        move |_| loaded.with(|l| Arc::new(build_run_tree(ordered_with_ancestors(&l.runs, &l.ancestors)))),
        changed,
    );
    let context_ids = Memo::new(move |_| loaded.with(|l| l.ancestors.keys().cloned().collect::<HashSet<_>>()));
    let rows = Memo::new_with_compare(
        move |_| Arc::new(flatten(&forest.get(), &collapsed.get(), &context_ids.get())),
        changed,
    );

    // Columns: the fixed ones, then the chosen metric/param/tag columns of this experiment.
    let choices = expect_context::<ColumnChoices>();
    let known = Memo::new(move |_| loaded.with(|l| KnownKeys::of(l.runs.iter())));
    let experiment_id = move || {
        loaded
            .with(|l| l.experiment.as_ref().map(|e| e.experiment_id.clone()))
            .unwrap_or_default()
    };
    let extra = Signal::derive(move || {
        let id = experiment_id();
        choices
            .0
            .with(|c| c.get(&id).cloned())
            .unwrap_or_else(|| default_extra(&known.get()))
    });
    let set_extra = Callback::new(move |columns: Vec<Column>| {
        let id = experiment_id();
        choices.0.update(|c| {
            c.insert(id, columns);
        });
    });
    let columns = Memo::new(move |_| FIXED.iter().cloned().chain(extra.get()).collect::<Vec<_>>());

    // The window of rows in view.
    let scroller = NodeRef::<html::Div>::new();
    // A column just added is the last one: bring it into view.
    Effect::new(move |previous: Option<usize>| {
        let count = columns.with(Vec::len);
        if previous.is_some_and(|p| count > p) {
            if let Some(el) = scroller.get_untracked() {
                request_animation_frame(move || el.set_scroll_left(el.scroll_width()));
            }
        }
        count
    });
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(600.0_f64);
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
    // Another filter or order starts at the top (the table itself stays, so do its columns).
    Effect::new(move |previous: Option<RunsQuery>| {
        let now = query.get();
        if previous.is_some_and(|p| p != now) {
            if let Some(el) = scroller.get_untracked() {
                el.set_scroll_top(0);
            }
        }
        now
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    let range = Memo::new(move |_| {
        let total = rows.with(|r| r.len());
        let first = (scroll_top.get() / ROW_HEIGHT) as usize;
        let shown = (viewport.get() / ROW_HEIGHT).ceil() as usize;
        let start = first.saturating_sub(OVERSCAN).min(total);
        let end = (first + shown + OVERSCAN).min(total);
        (start, end, total)
    });
    // Near the end of what is loaded: read the next page.
    // (A page may add no visible row, e.g. children of collapsed runs: its arrival re-checks.)
    Effect::new(move |_| {
        let (_, end, total) = range.get();
        let more = loaded.with(|l| l.next_page_token.is_some() && !l.loading_more);
        if more && total.saturating_sub(end) < PREFETCH_ROWS {
            loader.load_more();
        }
    });
    // Runs that left the table (deleted, or no longer matching) leave the selection too.
    Effect::new(move |_| {
        let present: HashSet<String> = loaded.with(|l| l.runs.iter().map(|r| r.info.run_id.clone()).collect());
        if selected.with_untracked(|s| s.iter().any(|id| !present.contains(id))) {
            selected.update(|s| s.retain(|id| present.contains(id)));
        }
    });

    // Keyboard: arrows move the cursor row, Enter opens it, Space selects it.
    let navigate = use_navigate();
    let open_run = move |run: &Run| {
        navigate(
            &routes::run_path(&run.info.experiment_id, &run.info.run_id),
            Default::default(),
        )
    };
    let scroll_to = move |index: usize| {
        let Some(el) = scroller.get_untracked() else { return };
        let top = index as f64 * ROW_HEIGHT;
        let view = f64::from(el.client_height()) - ROW_HEIGHT * 1.5;
        let current = f64::from(el.scroll_top());
        if top < current {
            el.set_scroll_top(top as i32);
        } else if top > current + view {
            el.set_scroll_top((top - view) as i32);
        }
    };
    {
        let open_run = open_run.clone();
        keyboard::on_list_key(move |ev| {
            let total = rows.with_untracked(|r| r.len());
            if total == 0 {
                return;
            }
            let at = cursor.get_untracked();
            match ev.key().as_str() {
                "ArrowDown" | "ArrowUp" => {
                    ev.prevent_default();
                    let next = match (at, ev.key() == "ArrowDown") {
                        (None, _) => 0,
                        (Some(i), true) => (i + 1).min(total - 1),
                        (Some(i), false) => i.saturating_sub(1),
                    };
                    cursor.set(Some(next));
                    scroll_to(next);
                }
                "Enter" => {
                    if let Some(row) = at.and_then(|i| rows.with_untracked(|r| r.get(i).cloned())) {
                        ev.prevent_default();
                        open_run(&row.run);
                    }
                }
                " " => {
                    if let Some(row) = at.and_then(|i| rows.with_untracked(|r| r.get(i).cloned())) {
                        ev.prevent_default();
                        let id = row.run.info.run_id.clone();
                        selected.update(|s| {
                            if !s.remove(&id) {
                                s.insert(id.clone());
                            }
                        });
                        anchor.set(Some(id));
                    }
                }
                _ => {}
            }
        });
    }

    // Selection: a click toggles one run, shift-click selects the range from the last click.
    // Parents shown only because a child matches are never taken by a range or "all".
    let matching_ids = move || -> Vec<String> {
        rows.with_untracked(|r| {
            r.iter()
                .filter(|row| !row.context)
                .map(|row| row.run.info.run_id.clone())
                .collect()
        })
    };
    let select = Callback::new(move |(run_id, shift): (String, bool)| {
        let from = anchor.get_untracked().filter(|_| shift);
        match from {
            Some(from) => {
                let ids = matching_ids();
                let a = ids.iter().position(|id| *id == from);
                let b = ids.iter().position(|id| *id == run_id);
                if let (Some(a), Some(b)) = (a, b) {
                    let (lo, hi) = (a.min(b), a.max(b));
                    selected.update(|s| s.extend(ids[lo..=hi].iter().cloned()));
                }
            }
            None => selected.update(|s| {
                if !s.remove(&run_id) {
                    s.insert(run_id.clone());
                }
            }),
        }
        anchor.set(Some(run_id));
    });
    let all_selected = move || {
        let n = selected.with(|s| s.len());
        n > 0
            && rows.with(|r| {
                r.iter()
                    .filter(|row| !row.context)
                    .all(|row| selected.with(|s| s.contains(&row.run.info.run_id)))
            })
    };
    let select_all = move |ev: leptos::ev::Event| {
        if event_target_checked(&ev) {
            selected.set(matching_ids().into_iter().collect());
        } else {
            selected.set(HashSet::new());
        }
    };

    let count_text = move || {
        loaded.with(|l| {
            let n = l.runs.len();
            let noun = if n == 1 { "run" } else { "runs" };
            let matching = if query.with(|q| q.store_filter().is_some()) {
                " matching"
            } else {
                ""
            };
            let more = if l.next_page_token.is_some() { " so far" } else { "" };
            format!("{}{more} {noun}{matching}", format::count(n))
        })
    };
    let expand_all = move |_| collapsed.set(HashSet::new());
    let collapse_all = move |_| collapsed.set(parents(&forest.get_untracked()));
    let has_tree = move || forest.with(|f| f.iter().any(|n| !n.children.is_empty()));

    view! {
        <div class="table-tools">
            <span class="run-count" id="run-count">{count_text}</span>
            <Show when=has_tree>
                <button type="button" class="quiet" id="expand-all" on:click=expand_all>"Expand all"</button>
                <button type="button" class="quiet" id="collapse-all" on:click=collapse_all>"Collapse all"</button>
            </Show>
            <span class="spacer"></span>
            <ColumnPicker known=Signal::from(known) chosen=extra on_change=set_extra />
        </div>
        <BulkBar selected loader />
        <div class="runs-scroll" id="runs-scroll" node_ref=scroller
            on:scroll=move |ev| scroll_top.set(f64::from(event_target::<web_sys::Element>(&ev).scroll_top()))>
            <table class="runs-table" id="runs-table"
                style:width=move || format!("max(100%, {}px)", SELECT_WIDTH + columns.with(|c| c.iter().map(Column::width).sum::<u32>()))>
                <colgroup>
                    <col style:width=format!("{SELECT_WIDTH}px") />
                    {move || columns.get().iter().map(|c| view! { <col style:width=format!("{}px", c.width()) /> }).collect_view()}
                </colgroup>
                <thead><tr>
                    <th class="select-col">
                        <input type="checkbox" id="select-all" title="Select every loaded run that matches"
                            prop:checked=all_selected on:change=select_all />
                    </th>
                    <For each=move || columns.get() key=|c| c.id() let:column>
                        <ColumnHeader column query />
                    </For>
                </tr></thead>
                <tbody>
                    <tr class="spacer-row" aria-hidden="true"
                        style:height=move || format!("{}px", range.get().0 as f64 * ROW_HEIGHT)></tr>
                    {move || {
                        // Tracked directly: a refresh that keeps the row count must still redraw the rows.
                        loaded.track();
                        let (start, end, _) = range.get();
                        let rows = rows.get();
                        let columns = columns.get();
                        (start..end).map(|index| {
                            let row = rows[index].clone();
                            view! { <RunRow row index columns=columns.clone() collapsed selected cursor select /> }
                        }).collect_view()
                    }}
                    <tr class="spacer-row" aria-hidden="true"
                        style:height=move || {
                            let (_, end, total) = range.get();
                            format!("{}px", (total - end) as f64 * ROW_HEIGHT)
                        }></tr>
                </tbody>
            </table>
            <Show when=move || loaded.with(|l| l.loading_more)>
                <p class="muted loading-more" id="loading-more">"Loading more runs…"</p>
            </Show>
        </div>
    }
}

/// A header that sorts by its column when clicked: ascending first, then descending. The store
/// sorts, so the order holds across every page.
#[component]
fn ColumnHeader(column: Column, query: Signal<RunsQuery>) -> impl IntoView {
    let title = column.title();
    let group = column.group();
    let numeric = column.numeric();
    let Some(key) = column.sort_key() else {
        return view! { <th class:num=numeric>{title}</th> }.into_any();
    };
    let navigate = use_navigate();
    let state = {
        let key = key.clone();
        move || {
            query.with(|q| {
                let sort = q.sort.as_deref()?;
                let (k, dir) = sort.rsplit_once(' ')?;
                (k == key).then(|| dir.eq_ignore_ascii_case("ASC"))
            })
        }
    };
    let click = {
        let (key, state) = (key.clone(), state.clone());
        move |_| {
            let ascending = state() != Some(true);
            let q = RunsQuery {
                sort: Some(format!("{key} {}", if ascending { "ASC" } else { "DESC" })),
                ..query.get_untracked()
            };
            let experiment = crate::routes::experiment_in_path(&window().location().pathname().unwrap_or_default());
            if let Some(experiment) = experiment {
                navigate(&q.path(&experiment), Default::default());
            }
        }
    };
    let aria = {
        let state = state.clone();
        move || match state() {
            Some(true) => "ascending",
            Some(false) => "descending",
            None => "none",
        }
    };
    view! {
        <th aria-sort=aria class:num=numeric class:extra=group.is_some()>
            <button class="sort" data-sort-key=key on:click=click title=title.clone()>
                {group.map(|g| view! { <span class="column-group">{g}</span> })}
                <span class="column-title">{title.clone()}</span>
                <span class="sort-mark">{move || match state() {
                    Some(true) => "▲",
                    Some(false) => "▼",
                    None => "",
                }}</span>
            </button>
        </th>
    }
    .into_any()
}

#[component]
fn RunRow(
    row: TreeRow,
    index: usize,
    columns: Vec<Column>,
    collapsed: RwSignal<HashSet<String>>,
    selected: RwSignal<HashSet<String>>,
    cursor: RwSignal<Option<usize>>,
    select: Callback<(String, bool)>,
) -> impl IntoView {
    let TreeRow {
        run,
        depth,
        children,
        context,
    } = row;
    let info = &run.info;
    let id = info.run_id.clone();
    let is_selected = {
        let id = id.clone();
        move || selected.with(|s| s.contains(&id))
    };
    let mut toggle = (children > 0).then(|| {
        let id = id.clone();
        let is_collapsed = {
            let id = id.clone();
            move || collapsed.with(|c| c.contains(&id))
        };
        let expanded = {
            let is_collapsed = is_collapsed.clone();
            move || (!is_collapsed()).to_string()
        };
        let flip = move |_| {
            collapsed.update(|c| {
                if !c.remove(&id) {
                    c.insert(id.clone());
                }
            })
        };
        view! {
            <button class="tree-toggle" title="Show or hide child runs" on:click=flip
                aria-expanded=expanded>
                {move || if is_collapsed() { "▸" } else { "▾" }}
                <span class="child-count">{children}</span>
            </button>
        }
    });
    let link = routes::run_path(&info.experiment_id, &info.run_id);
    let cells = columns
        .iter()
        .map(|column| match column {
            Column::Status => {
                let status = info.status.as_str();
                view! { <td><span class=format!("status status-{}", status.to_ascii_lowercase())>{status}</span></td> }.into_any()
            }
            Column::Name => view! {
                <td class="name" title=info.run_id.clone()>
                    <span class=format!("tree-cell depth-{}", depth.min(MAX_INDENT))>
                        {toggle.take()}
                        <a class="run-name" href=link.clone()>{info.run_name.clone()}</a>
                        {context.then(|| view! { <span class="context-mark" title="Shown because a child run matches">"parent"</span> })}
                    </span>
                </td>
            }
            .into_any(),
            other => {
                let text = other.text(&run);
                view! { <td class:num=other.numeric() class:mono=matches!(other, Column::Source) title=text.clone()>{text.clone()}</td> }.into_any()
            }
        })
        .collect_view();
    let click_box = {
        let id = id.clone();
        move |ev: leptos::ev::MouseEvent| select.run((id.clone(), ev.shift_key()))
    };
    view! {
        <tr class="run-row" data-run-id=id.clone() data-depth=depth data-index=index
            class:child={depth > 0} class:context=context class:deleted=run.info.lifecycle_stage == runlens_core::LifecycleStage::Deleted
            class:selected=is_selected class:cursor=move || cursor.get() == Some(index)>
            <td class="select-col">
                <input type="checkbox" class="row-select" title="Select (shift-click selects a range)"
                    prop:checked=is_selected.clone() on:click=click_box />
            </td>
            {cells}
        </tr>
    }
}
