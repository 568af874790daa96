//! A table built for long text: only the rows in view are in the page, fetched from the
//! backend a block at a time in the order the backend sorted and filtered them (100,000 rows
//! never cross into the webview). Columns can be hidden and resized, a header click sorts, a
//! search looks through every cell and each column has its own filter; rows clip to one line
//! or wrap to a few. A click on a cell opens it whole in the side pane.

use super::value::ImageView;
use crate::app::ErrorBanner;
use crate::{format, ipc};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_core::tables::query::{ColumnFilter, SortBy, TableQuery};
use runlens_core::tables::{number_text, Cell, ColumnKind, TableInfo, TableRowsRequest, WindowRow};
use runlens_core::ApiError;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use wasm_bindgen::JsCast;

/// Rows fetched per request.
const BLOCK: usize = 100;
/// Row heights in pixels (tables.css gives `tr.table-row` and `.wrap` exactly these).
pub const CLIP_HEIGHT: f64 = 30.0;
pub const WRAP_HEIGHT: f64 = 92.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 8;
/// Blocks kept around the view; farther ones are dropped.
const KEEP_BLOCKS: usize = 12;
/// While scrolling, blocks are asked for at most this often.
const THROTTLE: Duration = Duration::from_millis(60);
/// Typing waits this long before the backend is asked.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// The cell the side pane shows: (row as stored, column).
pub type CellAt = (usize, usize);

/// A column's width to start with, by what it holds.
fn initial_width(kind: ColumnKind) -> u32 {
    match kind {
        ColumnKind::Number => 120,
        ColumnKind::Bool => 100,
        ColumnKind::Image => 120,
        ColumnKind::Empty => 100,
        _ => 320,
    }
}

/// A cell in one line: what the grid shows (the pane shows it whole).
pub fn cell_line(cell: &Cell) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Number(n) => number_text(*n),
        Cell::Cut { preview, .. } => format!("{preview}…"),
        other => other.text(),
    }
}

fn kind_class(cell: &Cell) -> &'static str {
    match cell {
        Cell::Null => "null",
        Cell::Bool(true) => "bool true",
        Cell::Bool(false) => "bool false",
        Cell::Number(_) => "num",
        Cell::Json(v) if super::value::messages_of(v).is_some() => "chat",
        Cell::Json(_) => "json",
        Cell::Cut {
            kind: ColumnKind::Chat, ..
        } => "chat",
        Cell::Cut {
            kind: ColumnKind::Json, ..
        } => "json",
        _ => "text",
    }
}

/// Runs `apply` after the input has been quiet for [`DEBOUNCE`].
fn debounced(counter: StoredValue<u64>, apply: impl FnOnce() + 'static) {
    let n = counter.get_value() + 1;
    counter.set_value(n);
    set_timeout(
        move || {
            if counter.try_get_value() == Some(n) {
                apply();
            }
        },
        DEBOUNCE,
    );
}

#[component]
pub fn TableGrid(
    info: TableInfo,
    /// The cell shown in the side pane.
    open: RwSignal<Option<CellAt>>,
) -> impl IntoView {
    let run_id = info.run_id.clone();
    let path = info.path.clone();
    let columns = info.columns.clone();
    let width_count = columns.len();
    let query = RwSignal::new(TableQuery::default());
    let search = RwSignal::new(String::new());
    let filters = RwSignal::new(vec![String::new(); width_count]);
    let typing = StoredValue::new(0u64);
    let hidden = RwSignal::new(HashSet::<usize>::new());
    let widths = RwSignal::new(columns.iter().map(|c| initial_width(c.kind)).collect::<Vec<_>>());
    let wrap = RwSignal::new(false);
    let show_columns = RwSignal::new(false);
    let row_height = move || if wrap.get() { WRAP_HEIGHT } else { CLIP_HEIGHT };

    // Rows by block, for the current query only.
    let generation = StoredValue::new(0u64);
    let blocks = RwSignal::new(HashMap::<usize, Vec<WindowRow>>::new());
    let pending = StoredValue::new(HashSet::<usize>::new());
    let matching = RwSignal::new(Some(info.total_rows));
    let error = RwSignal::new(None::<ApiError>);
    let total_rows = info.total_rows;

    let fetch = {
        let (run_id, path) = (run_id.clone(), path.clone());
        move |block: usize| {
            if blocks.with_untracked(|b| b.contains_key(&block)) || pending.with_value(|p| p.contains(&block)) {
                return;
            }
            pending.update_value(|p| {
                p.insert(block);
            });
            let gen = generation.get_value();
            let request = TableRowsRequest {
                run_id: run_id.clone(),
                path: path.clone(),
                query: query.get_untracked(),
                offset: block * BLOCK,
                limit: BLOCK,
            };
            spawn_local(async move {
                let answer = ipc::table_rows(request).await;
                if generation.try_get_value() != Some(gen) {
                    return;
                }
                pending.update_value(|p| {
                    p.remove(&block);
                });
                match answer {
                    Ok(window) => {
                        matching.set(Some(window.matching_rows));
                        blocks.update(|b| {
                            b.insert(block, window.rows);
                        });
                        error.set(None);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };

    // The window of rows in view.
    let scroller = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(600.0_f64);
    let measure = move || {
        if let Some(el) = scroller.get_untracked() {
            viewport.set(f64::from(el.client_height()).max(CLIP_HEIGHT));
        }
    };
    Effect::new(move |_| {
        if scroller.get().is_some() {
            measure();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    let range = Memo::new(move |_| {
        let total = matching.get().unwrap_or(0);
        let h = row_height();
        let first = (scroll_top.get() / h) as usize;
        let shown = (viewport.get() / h).ceil() as usize;
        let start = first.saturating_sub(OVERSCAN).min(total);
        let end = (first + shown + OVERSCAN).min(total);
        (start, end, total)
    });
    // A new query: start again from the top.
    Effect::new(move |previous: Option<TableQuery>| {
        let now = query.get();
        if previous.is_some_and(|p| p != now) {
            generation.update_value(|g| *g += 1);
            pending.set_value(HashSet::new());
            blocks.set(HashMap::new());
            matching.set(None);
            if let Some(el) = scroller.get_untracked() {
                el.set_scroll_top(0);
            }
            scroll_top.set(0.0);
        }
        now
    });
    // Fetch what is in view (block 0 first, which also tells how many rows match). While the
    // table scrolls fast, blocks are asked for at most every THROTTLE, for the rows in view
    // then: a fling through 100,000 rows must not ask for every block it passes.
    let timer_set = StoredValue::new(false);
    Effect::new({
        let fetch = fetch.clone();
        move |_| {
            query.track();
            let (start, end, total) = range.get();
            if matching.get().is_none() {
                fetch(0);
                return;
            }
            if total == 0 {
                return;
            }
            let (first, last) = (start / BLOCK, end.saturating_sub(1) / BLOCK);
            let far = |b: &usize| *b + KEEP_BLOCKS < first || *b > last + KEEP_BLOCKS;
            if blocks.with_untracked(|m| m.keys().any(far)) {
                blocks.update(|m| m.retain(|b, _| !far(b)));
            }
            let missing = (first..=last).any(|b| !blocks.with_untracked(|m| m.contains_key(&b)));
            if !missing || timer_set.get_value() {
                return;
            }
            timer_set.set_value(true);
            let fetch = fetch.clone();
            set_timeout(
                move || {
                    if timer_set.try_set_value(false).is_some() {
                        return;
                    }
                    let Some((start, end, total)) = range.try_get_untracked() else {
                        return;
                    };
                    if total > 0 {
                        for b in start / BLOCK..=end.saturating_sub(1) / BLOCK {
                            fetch(b);
                        }
                    }
                },
                THROTTLE,
            );
        }
    });

    // Sorting: ascending, descending, stored order.
    let sort_by = move |column: usize| {
        query.update(|q| {
            q.sort = match q.sort {
                Some(SortBy {
                    column: c,
                    descending: false,
                }) if c == column => Some(SortBy {
                    column,
                    descending: true,
                }),
                Some(SortBy {
                    column: c,
                    descending: true,
                }) if c == column => None,
                _ => Some(SortBy {
                    column,
                    descending: false,
                }),
            }
        })
    };
    let apply_filters = move || {
        let texts = filters.get_untracked();
        let s = search.get_untracked();
        query.update(|q| {
            q.search = s;
            q.filters = texts
                .iter()
                .enumerate()
                .filter(|(_, t)| !t.trim().is_empty())
                .map(|(column, text)| ColumnFilter {
                    column,
                    text: text.clone(),
                })
                .collect();
        });
    };

    // Column resizing: drag a header's right edge.
    let drag = StoredValue::new(None::<(usize, f64, u32)>);
    let moving = window_event_listener(leptos::ev::mousemove, move |ev| {
        if let Some((col, x0, w0)) = drag.get_value() {
            let w = (f64::from(w0) + f64::from(ev.client_x()) - x0).clamp(60.0, 1600.0) as u32;
            widths.update(|ws| ws[col] = w);
        }
    });
    let released = window_event_listener(leptos::ev::mouseup, move |_| drag.set_value(None));
    on_cleanup(move || {
        moving.remove();
        released.remove();
    });

    let visible = Memo::new({
        let n = width_count;
        move |_| hidden.with(|h| (0..n).filter(|i| !h.contains(i)).collect::<Vec<_>>())
    });
    let table_width = move || visible.get().iter().map(|&c| widths.with(|w| w[c])).sum::<u32>() + 68;
    let count_text = move || {
        let filtered = !query.with(TableQuery::is_plain) || query.with(|q| q.sort.is_some());
        match matching.get() {
            None => "Counting rows…".to_string(),
            Some(n) if filtered && n != total_rows => {
                format!("{} of {} rows", format::count(n), format::count(total_rows))
            }
            Some(n) => format!("{} rows", format::count(n)),
        }
    };
    let columns_menu = columns.clone();
    let header_columns = columns.clone();
    let filter_columns = columns.clone();
    let row_run = run_id.clone();

    view! {
        <div class="grid-tools">
            <input type="search" id="table-search" class="table-search" placeholder="Search every cell"
                autocomplete="off" spellcheck="false"
                prop:value=move || search.get()
                on:input=move |ev| {
                    search.set(event_target_value(&ev));
                    debounced(typing, apply_filters);
                } />
            <span class="row-count" id="table-row-count">{count_text}</span>
            <span class="spacer"></span>
            <label class="toggle">
                <input type="checkbox" id="table-wrap" prop:checked=move || wrap.get()
                    on:change=move |ev| wrap.set(event_target_checked(&ev)) />
                "Wrap"
            </label>
            <div class="column-picker">
                <button type="button" id="table-columns" aria-expanded=move || show_columns.get().to_string()
                    on:click=move |_| show_columns.update(|s| *s = !*s)>
                    {move || {
                        let n = hidden.with(HashSet::len);
                        if n == 0 { "Columns".to_string() } else { format!("Columns ({n} hidden)") }
                    }}
                </button>
                <Show when=move || show_columns.get()>
                    <div class="column-menu table-column-menu" id="table-column-menu">
                        <div class="column-options">
                            {columns_menu.iter().enumerate().map(|(i, c)| view! {
                                <label class="column-option" data-column=c.name.clone()>
                                    <input type="checkbox" prop:checked=move || hidden.with(|h| !h.contains(&i))
                                        on:change=move |ev| {
                                            let shown = event_target_checked(&ev);
                                            hidden.update(|h| { if shown { h.remove(&i); } else { h.insert(i); } });
                                        } />
                                    <span class="column-key">{c.name.clone()}</span>
                                    <span class="kind-badge">{kind_label(c.kind)}</span>
                                </label>
                            }).collect_view()}
                        </div>
                    </div>
                </Show>
            </div>
        </div>
        {move || error.get().map(|error| view! { <ErrorBanner error /> })}
        <div class="grid-scroll" id="table-scroll" node_ref=scroller
            on:scroll=move |ev| scroll_top.set(f64::from(event_target::<web_sys::Element>(&ev).scroll_top()))>
            <table class="data-grid" id="table-grid" class:wrap=move || wrap.get()
                style:width=move || format!("{}px", table_width())>
                <colgroup>
                    <col style:width="68px" />
                    {move || visible.get().into_iter().map(|c| view! { <col style:width=move || format!("{}px", widths.with(|w| w[c])) /> }).collect_view()}
                </colgroup>
                <thead>
                    <tr class="head-row">
                        <th class="row-num">"#"</th>
                        {move || visible.get().into_iter().map(|c| {
                            let column = header_columns[c].clone();
                            let mark = move || match query.with(|q| q.sort) {
                                Some(SortBy { column: s, descending }) if s == c => if descending { "▼" } else { "▲" },
                                _ => "",
                            };
                            let aria = move || match query.with(|q| q.sort) {
                                Some(SortBy { column: s, descending }) if s == c => if descending { "descending" } else { "ascending" },
                                _ => "none",
                            };
                            view! {
                                <th aria-sort=aria data-column=column.name.clone() class:num=column.kind == ColumnKind::Number>
                                    <button type="button" class="sort" title=format!("Sort by {}", column.name) on:click=move |_| sort_by(c)>
                                        <span class="column-title">{column.name.clone()}</span>
                                        {(!matches!(column.kind, ColumnKind::Number | ColumnKind::Bool | ColumnKind::Empty))
                                            .then(|| view! { <span class="kind-badge">{kind_label(column.kind)}</span> })}
                                        <span class="sort-mark">{mark}</span>
                                    </button>
                                    <span class="col-resize" title="Drag to resize"
                                        on:mousedown=move |ev: leptos::ev::MouseEvent| {
                                            ev.prevent_default();
                                            drag.set_value(Some((c, f64::from(ev.client_x()), widths.with_untracked(|w| w[c]))));
                                        }></span>
                                </th>
                            }
                        }).collect_view()}
                    </tr>
                    <tr class="filter-row">
                        <th class="row-num"></th>
                        {move || visible.get().into_iter().map(|c| {
                            let name = filter_columns[c].name.clone();
                            view! {
                                <th>
                                    <input type="search" class="column-filter" data-column=name.clone()
                                        placeholder="filter" autocomplete="off" spellcheck="false"
                                        prop:value=move || filters.with(|f| f[c].clone())
                                        on:input=move |ev| {
                                            let text = event_target_value(&ev);
                                            filters.update(|f| f[c] = text);
                                            debounced(typing, apply_filters);
                                        } />
                                </th>
                            }
                        }).collect_view()}
                    </tr>
                </thead>
                // One click handler for every cell (rows come and go as the table scrolls).
                <tbody on:click=move |ev| {
                    let td = ev
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .and_then(|e| e.closest("td.cell").ok().flatten());
                    if let Some(td) = td {
                        let number = |name: &str| td.get_attribute(name).and_then(|v| v.parse::<usize>().ok());
                        if let (Some(row), Some(column)) = (number("data-row"), number("data-column-index")) {
                            open.set(Some((row, column)));
                        }
                    }
                }>
                    <tr class="spacer-row" aria-hidden="true"
                        style:height=move || format!("{}px", range.get().0 as f64 * row_height())></tr>
                    // Keyed rows: scrolling adds the rows that come into view and keeps the others.
                    {move || {
                        let cols = visible.get();
                        let run = row_run.clone();
                        let in_view = move || {
                            let (start, end, _) = range.get();
                            blocks.with(|b| {
                                (start..end)
                                    .map(|pos| (pos, b.get(&(pos / BLOCK)).and_then(|rows| rows.get(pos % BLOCK)).cloned()))
                                    .collect::<Vec<_>>()
                            })
                        };
                        view! {
                            <For each=in_view key=|(pos, row)| (*pos, row.as_ref().map(|r| r.index))
                                children=move |(pos, row)| row_view(pos, row, &cols, open, &run) />
                        }
                    }}
                    <tr class="spacer-row" aria-hidden="true"
                        style:height=move || {
                            let (_, end, total) = range.get();
                            format!("{}px", (total - end) as f64 * row_height())
                        }></tr>
                </tbody>
            </table>
            <Show when=move || matching.get() == Some(0)>
                <p class="muted grid-empty" id="table-empty">"No rows match."</p>
            </Show>
        </div>
    }
}

pub fn kind_label(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Empty => "empty",
        ColumnKind::Text => "text",
        ColumnKind::Number => "number",
        ColumnKind::Bool => "bool",
        ColumnKind::Json => "json",
        ColumnKind::Chat => "chat",
        ColumnKind::Image => "image",
        ColumnKind::Mixed => "mixed",
    }
}

fn row_view(
    pos: usize,
    row: Option<WindowRow>,
    cols: &[usize],
    open: RwSignal<Option<CellAt>>,
    run_id: &str,
) -> AnyView {
    let Some(row) = row else {
        return view! {
            <tr class="table-row loading" data-pos=pos>
                <td class="row-num muted">{pos + 1}</td>
                <td class="cell-loading" colspan=cols.len()></td>
            </tr>
        }
        .into_any();
    };
    let index = row.index;
    let cells = cols
        .iter()
        .map(|&c| {
            let cell = row.cells.get(c).cloned().unwrap_or(Cell::Null);
            let is_open = move || open.get() == Some((index, c));
            let class = format!("cell {}", kind_class(&cell));
            let content = match &cell {
                Cell::Image(image) => view! { <ImageView run_id=run_id.to_string() image=image.clone() /> }.into_any(),
                other => {
                    let text = cell_line(other);
                    view! { <div class="cell-text">{text}</div> }.into_any()
                }
            };
            view! {
                <td class=class data-row=index data-column-index=c class:open=is_open>{content}</td>
            }
        })
        .collect_view();
    view! {
        <tr class="table-row" data-pos=pos data-index=index>
            <td class="row-num muted">{index + 1}</td>
            {cells}
        </tr>
    }
    .into_any()
}
