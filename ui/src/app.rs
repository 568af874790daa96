//! The top level: the welcome screen or the workspace (top bar, sidebar, routed pages, status bar).

use crate::runs::RunsView;
use crate::{format, ipc, keyboard, routes, sidebar::Sidebar, welcome::Welcome};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::{use_location, use_params_map};
use leptos_router::path;
use runlens_core::ipc::{StartupState, StoreSummary};
use runlens_core::ApiError;

/// What the window shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    Starting,
    Welcome {
        looked_at: Vec<String>,
        failed: Option<(String, ApiError)>,
    },
    /// A store is open; `place` is where to go first (the remembered route).
    Workspace {
        store: StoreSummary,
        place: Option<String>,
    },
}

/// Shared by every component: the screen, and a counter bumped after every write so lists that
/// show the store's state read it again.
#[derive(Clone, Copy)]
pub struct Shell {
    pub screen: RwSignal<Screen>,
    pub changes: RwSignal<u64>,
}

impl Shell {
    /// Switches to a freshly opened store, at its overview.
    pub fn opened(&self, store: StoreSummary) {
        self.screen.set(Screen::Workspace { store, place: None });
    }

    /// Something was written: lists re-read the store.
    pub fn changed(&self) {
        self.changes.update(|n| *n += 1);
    }
}

#[component]
pub fn App() -> impl IntoView {
    let shell = Shell {
        screen: RwSignal::new(Screen::Starting),
        changes: RwSignal::new(0),
    };
    provide_context(shell);
    crate::dialog::provide_confirm();
    let connections = crate::connections::provide();
    spawn_local(async move {
        let screen = match ipc::startup().await {
            Ok(StartupState::Open { store, place }) => Screen::Workspace { store, place },
            Ok(StartupState::Welcome { looked_at }) => Screen::Welcome {
                looked_at,
                failed: None,
            },
            Ok(StartupState::Failed {
                attempted,
                error,
                connection,
            }) => {
                // A saved connection without its password (or with a rejected one): ask for it.
                if let Some(id) = connection.filter(|_| error.code == runlens_core::ErrorCode::Unauthenticated) {
                    connections.edit_by_id(id, Some(error.clone()));
                }
                Screen::Welcome {
                    looked_at: vec![],
                    failed: Some((attempted, error)),
                }
            }
            Err(error) => Screen::Welcome {
                looked_at: vec![],
                failed: Some(("startup".into(), error)),
            },
        };
        shell.screen.set(screen);
    });
    // The document title follows the open store (the shell sets the native title the same way).
    Effect::new(move |_| {
        let title = match shell.screen.get() {
            Screen::Workspace { store, .. } => format!("{} — Runlens", store.display_name),
            _ => "Runlens".to_string(),
        };
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&title);
        }
    });
    let in_workspace = Memo::new(move |_| matches!(shell.screen.get(), Screen::Workspace { .. }));
    let screen = move || match shell.screen.get() {
        Screen::Starting => view! { <div class="starting">"Opening your store…"</div> }.into_any(),
        Screen::Welcome { looked_at, failed } => view! { <Welcome looked_at failed /> }.into_any(),
        Screen::Workspace { store, place } => {
            // The router starts from the window's address: the remembered place, else the overview.
            let start = place.filter(|p| p.starts_with('/')).unwrap_or_else(|| "/".into());
            if let Ok(history) = window().history() {
                let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&start));
            }
            view! { <Router><Workspace store /></Router> }.into_any()
        }
    };
    view! {
        {screen}
        <crate::connections::ConnectionManager />
        // The workspace has its own; the connection manager asks questions on the welcome screen too.
        <Show when=move || !in_workspace.get()><crate::dialog::ConfirmHost /></Show>
    }
}

#[component]
fn Workspace(store: StoreSummary) -> impl IntoView {
    remember_places();
    keyboard::install();
    crate::runs::ColumnChoices::provide();
    crate::connections::live::provide();
    let connections = crate::connections::use_connections();
    let back = move |_| connections.show_list();
    // Presenting a review hides the top bar, the sidebar and the status bar.
    let location = use_location();
    let presenting = move || location.pathname.with(|p| crate::review::is_presentation(p));
    view! {
        <div class="workspace" class:presenting=presenting>
            <header class="topbar">
                <span class="brand">"Runlens"</span>
                <span class="store-name" title=store.uri.clone()>{store.display_name.clone()}</span>
                <button class="quiet" id="open-another" on:click=back>"Open another store…"</button>
            </header>
            <Sidebar />
            <main class="content">
                <crate::connections::live::LinkBanner />
                <Routes fallback=|| view! { <div class="empty-state"><p>"Nothing here."</p></div> }>
                    <Route path=path!("/") view=Overview />
                    <Route path=path!("/experiments/:experiment_id") view=ExperimentPage />
                    <Route path=path!("/experiments/:experiment_id/runs/:run_id") view=RunPage />
                    <Route path=path!("/experiments/:experiment_id/runs/:run_id/chart") view=ChartPage />
                    <Route path=path!("/experiments/:experiment_id/runs/:run_id/metrics") view=RunMetricsPage />
                    <Route path=path!("/experiments/:experiment_id/plots") view=ExperimentPlotsPage />
                    <Route path=path!("/experiments/:experiment_id/runs/:run_id/tables") view=crate::tables::RunTablesPage />
                    <Route path=path!("/experiments/:experiment_id/tables") view=crate::tables::CompareTablesPage />
                    <Route path=path!("/experiments/:experiment_id/traces") view=crate::traces::TracesPage />
                    <Route path=path!("/experiments/:experiment_id/traces/:trace_id") view=crate::traces::TracePage />
                    <Route path=path!("/compare") view=crate::compare::ComparePage />
                    <Route path=path!("/models") view=crate::registry::ModelsPage />
                    <Route path=path!("/models/:name") view=|| view! { <crate::registry::ModelPage board=false /> } />
                    <Route path=path!("/models/:name/board") view=|| view! { <crate::registry::ModelPage board=true /> } />
                    <Route path=path!("/models/:name/versions/:version") view=crate::registry::VersionPage />
                    <Route path=path!("/prompts") view=crate::registry::PromptsPage />
                    <Route path=path!("/prompts/:name") view=crate::registry::PromptPage />
                    <Route path=path!("/reviews") view=crate::review::ReviewsPage />
                    <Route path=path!("/reviews/:review_id") view=crate::review::ReviewPage />
                    <Route path=path!("/reviews/:review_id/present") view=crate::review::PresentPage />
                </Routes>
            </main>
            <StatusBar store />
            <crate::dialog::ConfirmHost />
        </div>
    }
}

/// Saves each new place (path and query) for the next start; the first one is where we start.
fn remember_places() {
    let location = use_location();
    Effect::new(move |previous: Option<String>| {
        let place = format!("{}{}", location.pathname.get(), {
            let search = location.search.get();
            if search.is_empty() || search.starts_with('?') {
                search
            } else {
                format!("?{search}")
            }
        });
        if previous.as_ref().is_some_and(|p| p != &place) {
            let place = place.clone();
            spawn_local(async move {
                // Losing a place is harmless; the next navigation saves again.
                let _ = ipc::remember_place(place).await;
            });
        }
        place
    });
}

#[component]
fn Overview() -> impl IntoView {
    view! {
        <div class="empty-state" id="overview">
            <p>"Choose an experiment on the left to see its runs."</p>
            <p class="hint">"Keys: ↑ ↓ move, Enter opens, / filters, Esc goes back."</p>
        </div>
    }
}

fn param(name: &'static str) -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.with(|p| p.get(name).unwrap_or_default()))
}

#[component]
fn ExperimentPage() -> impl IntoView {
    let experiment_id = param("experiment_id");
    let search = use_location().search;
    let runs_query = Signal::derive(move || search.with(|s| routes::RunsQuery::from_search(s)));
    view! { <RunsView experiment_id runs_query /> }
}

#[component]
fn RunPage() -> impl IntoView {
    let run_id = param("run_id");
    let search = use_location().search;
    let artifact = Signal::derive(move || search.with(|s| routes::query_value(s, "artifact")));
    view! { <crate::run_detail::RunDetail run_id artifact /> }
}

#[component]
fn ChartPage() -> impl IntoView {
    let experiment_id = param("experiment_id");
    let run_id = param("run_id");
    let search = use_location().search;
    let metric = Signal::derive(move || search.with(|s| routes::query_value(s, "metric").unwrap_or_default()));
    view! { <crate::chart::MetricChartPage experiment_id run_id metric /> }
}

#[component]
fn RunMetricsPage() -> impl IntoView {
    let experiment_id = param("experiment_id");
    let run_id = param("run_id");
    view! { <crate::chart::grid::RunMetricsPage experiment_id run_id /> }
}

#[component]
fn ExperimentPlotsPage() -> impl IntoView {
    let experiment_id = param("experiment_id");
    view! { <crate::compare::ExperimentPlotsPage experiment_id /> }
}

#[component]
fn StatusBar(store: StoreSummary) -> impl IntoView {
    view! {
        <footer class="statusbar" id="statusbar">
            <span class="kind">{store.kind.label()}</span>
            <span class="uri" title=store.uri.clone()>{store.uri.clone()}</span>
            <span>{store.version.clone().unwrap_or_default()}</span>
            <span class="origin">"opened from " {store.opened_from.clone()}</span>
            {store.insecure_tls.then(|| view! {
                <span class="tls-warning" id="tls-warning" title="TLS certificates of this server are not checked">"⚠ TLS checks off"</span>
            })}
            <span class="spacer"></span>
            <crate::connections::live::LinkStatus />
        </footer>
    }
}

/// A backend error as the user reads it: what happened, and the underlying cause folded below.
#[component]
pub fn ErrorBanner(error: ApiError) -> impl IntoView {
    let code = format!("{:?}", error.code);
    view! {
        <div class="error-banner" role="alert" data-code=code>
            <strong>{error.message.clone()}</strong>
            {error.detail.clone().map(|d| view! { <details><summary>"Details"</summary><pre>{d}</pre></details> })}
        </div>
    }
}

/// "3 days ago"-style age for sidebars.
pub fn age(ms: Option<i64>) -> String {
    let Some(ms) = ms else { return String::new() };
    let now = js_sys::Date::now() as i64;
    let minutes = (now - ms).max(0) / 60_000;
    match minutes {
        0 => "just now".into(),
        1..=59 => format!("{minutes} min ago"),
        60..=1439 => format!("{} h ago", minutes / 60),
        1440..=43_199 => format!("{} d ago", minutes / 1440),
        _ => format::datetime(Some(ms)).chars().take(10).collect(),
    }
}
