//! A run's tables: the "Tables" card on the run page (every table the run holds, and the
//! prompts its template params fill) and the tables page, where one table opens in the grid
//! with a side pane for the cell clicked.

use super::grid::{kind_label, CellAt, TableGrid};
use super::value::CellView;
use crate::app::ErrorBanner;
use crate::{format, ipc, routes};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};
use runlens_core::tables::prompt::{FilledPrompt, PromptPart};
use runlens_core::tables::{RunTables, TableInfo, TableRef};

/// The card on the run page.
#[component]
pub fn TablesCard(#[prop(into)] run_id: Signal<String>, #[prop(into)] experiment_id: Signal<String>) -> impl IntoView {
    let tables = LocalResource::new(move || {
        let run_id = run_id.get();
        async move { ipc::run_tables(run_id).await }
    });
    view! {
        <section class="card wide" id="tables-card">
            <header class="card-head">
                <h2>"Tables"</h2>
                <span class="spacer"></span>
                {move || tables.get().and_then(|t| t.ok()).filter(|t| !t.tables.is_empty()).map(|_| view! {
                    <a class="card-link" id="open-tables" href=move || routes::run_tables_path(&experiment_id.get(), &run_id.get(), None)>
                        "Open tables"
                    </a>
                })}
            </header>
            {move || match tables.get() {
                None => view! { <p class="muted">"Looking for tables…"</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
                Some(Ok(found)) => card_body(found, experiment_id.get(), run_id.get()).into_any(),
            }}
        </section>
    }
}

fn card_body(found: RunTables, experiment_id: String, run_id: String) -> impl IntoView {
    let empty = found.tables.is_empty() && found.prompts.is_empty();
    view! {
        {empty.then(|| view! { <p class="muted" id="tables-none">"No tables or prompt templates in this run."</p> })}
        <ul class="table-list" id="table-list">
            {found.tables.into_iter().map(|t| {
                let href = routes::run_tables_path(&experiment_id, &run_id, Some(&t.path));
                view! { <li>{table_link(&t, href, false)}</li> }
            }).collect_view()}
        </ul>
        {found.prompts.into_iter().map(|p| view! { <PromptView prompt=p /> }).collect_view()}
        {notes(found.notes)}
    }
}

fn table_link(t: &TableRef, href: String, selected: bool) -> impl IntoView {
    view! {
        <a class="table-link" class:selected=selected data-path=t.path.clone() data-kind=t.kind.label() href=href
            aria-current=selected.then_some("page") title=t.path.clone()>
            <span class="table-path">{t.path.clone()}</span>
            <span class=format!("kind-badge table-kind kind-{:?}", t.kind).to_lowercase()>{t.kind.label()}</span>
            <span class="size">{t.size.map(format::bytes).unwrap_or_default()}</span>
        </a>
    }
}

fn notes(notes: Vec<String>) -> impl IntoView {
    (!notes.is_empty()).then(|| {
        view! {
            <ul class="table-notes" id="table-notes">
                {notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        }
    })
}

/// A template param filled with the run's params, the variables marked.
#[component]
pub fn PromptView(prompt: FilledPrompt) -> impl IntoView {
    view! {
        <div class="prompt-card" data-param=prompt.param.clone()>
            <div class="prompt-head">
                <span class="prompt-label">"Prompt"</span>
                <code>{prompt.param.clone()}</code>
                <span class="muted">"filled from this run's params"</span>
            </div>
            <pre class="prompt-text">
                {prompt.parts.into_iter().map(|part| match part {
                    PromptPart::Text { text } => view! { <span>{text}</span> }.into_any(),
                    PromptPart::Var { name, value: Some(value) } => view! {
                        <mark class="prompt-var" title=format!("{{{name}}}") data-var=name.clone()>{value}</mark>
                    }.into_any(),
                    PromptPart::Var { name, value: None } => view! {
                        <mark class="prompt-var missing" title="no param of this name" data-var=name.clone()>{format!("{{{name}}}")}</mark>
                    }.into_any(),
                }).collect_view()}
            </pre>
        </div>
    }
}

/// The tables page of a run (route `/experiments/:e/runs/:r/tables?table=`).
#[component]
pub fn RunTablesPage() -> impl IntoView {
    let params = use_params_map();
    let experiment_id = Signal::derive(move || params.with(|p| p.get("experiment_id").unwrap_or_default()));
    let run_id = Signal::derive(move || params.with(|p| p.get("run_id").unwrap_or_default()));
    let search = use_location().search;
    let selected = Signal::derive(move || search.with(|s| routes::query_value(s, "table")));
    let run = LocalResource::new(move || {
        let run_id = run_id.get();
        async move { ipc::get_run(run_id).await }
    });
    let tables = LocalResource::new(move || {
        let run_id = run_id.get();
        async move { ipc::run_tables(run_id).await }
    });
    let run_name = move || {
        run.get()
            .and_then(|r| r.ok())
            .map(|d| d.run.info.run_name)
            .unwrap_or_default()
    };
    let experiment_name = move || {
        run.get()
            .and_then(|r| r.ok())
            .map(|d| d.experiment.name)
            .unwrap_or_default()
    };
    view! {
        <section class="tables-page" id="tables-page">
            <header class="page-head">
                <nav class="breadcrumbs">
                    <a href=move || routes::experiment_path(&experiment_id.get())>{experiment_name}</a>
                    <span>"›"</span>
                    <a href=move || routes::run_path(&experiment_id.get(), &run_id.get())>{run_name}</a>
                    <span>"›"</span>
                    <span>"Tables"</span>
                </nav>
                <h1>"Tables of " {run_name}</h1>
            </header>
            {move || match tables.get() {
                None => view! { <p class="muted">"Looking for tables…"</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
                Some(Ok(found)) => {
                    let chosen = selected.get().or_else(|| found.tables.first().map(|t| t.path.clone()));
                    let list = found.tables.iter().map(|t| {
                        let href = routes::run_tables_path(&experiment_id.get_untracked(), &run_id.get_untracked(), Some(&t.path));
                        let is = chosen.as_deref() == Some(t.path.as_str());
                        view! { <li>{table_link(t, href, is)}</li> }
                    }).collect_view();
                    let empty = found.tables.is_empty();
                    view! {
                        <div class="tables-layout">
                            <nav class="tables-nav">
                                <ul class="table-list" id="tables-nav">{list}</ul>
                                {empty.then(|| view! { <p class="muted">"This run has no tables."</p> })}
                                {found.prompts.clone().into_iter().map(|p| view! { <PromptView prompt=p /> }).collect_view()}
                                {notes(found.notes.clone())}
                            </nav>
                            {chosen.map(|path| view! { <OpenTable run_id=run_id.get_untracked() path /> })}
                        </div>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

/// One table opened: the grid and the cell pane. Re-created for each table.
#[component]
fn OpenTable(run_id: String, path: String) -> impl IntoView {
    let info = LocalResource::new({
        let (run_id, path) = (run_id.clone(), path.clone());
        move || ipc::open_table(run_id.clone(), path.clone())
    });
    let shown = path.clone();
    view! {
        <div class="table-main" id="table-main" data-path=shown>
            {move || match info.get() {
                None => view! { <p class="muted" id="table-loading">"Reading " <code>{path.clone()}</code> "…"</p> }.into_any(),
                Some(Err(error)) => view! { <div id="table-error"><ErrorBanner error /></div> }.into_any(),
                Some(Ok(info)) => view! { <TableWithPane info /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn TableWithPane(info: TableInfo) -> impl IntoView {
    let open = RwSignal::new(None::<CellAt>);
    let header = format!("{} · {}", info.path, info.kind.label());
    let notes_view = notes(info.notes.clone());
    let pane_info = info.clone();
    view! {
        <div class="table-title">
            <h2>{header}</h2>
        </div>
        {notes_view}
        <div class="grid-and-pane" class:with-pane=move || open.get().is_some()>
            <div class="grid-column">
                <TableGrid info open />
            </div>
            {move || open.get().map(|at| view! { <CellPane info=pane_info.clone() at open /> })}
        </div>
    }
}

/// The side pane: the whole cell, fetched from the backend.
#[component]
fn CellPane(info: TableInfo, at: CellAt, open: RwSignal<Option<CellAt>>) -> impl IntoView {
    let (row, column) = at;
    let name = info.columns.get(column).map(|c| c.name.clone()).unwrap_or_default();
    let kind = info.columns.get(column).map(|c| kind_label(c.kind)).unwrap_or("");
    let run_id = info.run_id.clone();
    let cell = LocalResource::new({
        let (run_id, path) = (info.run_id.clone(), info.path.clone());
        move || ipc::table_cell(run_id.clone(), path.clone(), row, column)
    });
    view! {
        <aside class="cell-pane" id="cell-pane" data-row=row data-column=name.clone()>
            <header class="pane-head">
                <strong class="pane-title">{name.clone()}</strong>
                <span class="kind-badge">{kind}</span>
                <span class="muted">{format!("row {}", row + 1)}</span>
                <span class="spacer"></span>
                <button type="button" class="icon" id="cell-pane-close" title="Close" on:click=move |_| open.set(None)>"×"</button>
            </header>
            <div class="pane-body">
                {move || match cell.get() {
                    None => view! { <p class="muted">"…"</p> }.into_any(),
                    Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
                    Some(Ok(cell)) => view! { <CellView cell run_id=run_id.clone() /> }.into_any(),
                }}
            </div>
        </aside>
    }
}
