//! The top level: the welcome screen or the workspace (sidebar, runs, status bar).

use crate::{format, ipc, runs::RunsView, sidebar::Sidebar, welcome::Welcome};
use leptos::prelude::*;
use leptos::task::spawn_local;
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
    Workspace(StoreSummary),
}

/// Shared by every component: the screen and the experiment on display.
#[derive(Clone, Copy)]
pub struct Shell {
    pub screen: RwSignal<Screen>,
    pub experiment: RwSignal<Option<String>>,
}

impl Shell {
    /// Switches to a freshly opened store.
    pub fn opened(&self, store: StoreSummary) {
        self.experiment.set(None);
        self.screen.set(Screen::Workspace(store));
    }
}

#[component]
pub fn App() -> impl IntoView {
    let shell = Shell {
        screen: RwSignal::new(Screen::Starting),
        experiment: RwSignal::new(None),
    };
    provide_context(shell);
    spawn_local(async move {
        let screen = match ipc::startup().await {
            Ok(StartupState::Open { store, .. }) => Screen::Workspace(store),
            Ok(StartupState::Welcome { looked_at }) => Screen::Welcome {
                looked_at,
                failed: None,
            },
            Ok(StartupState::Failed { attempted, error }) => Screen::Welcome {
                looked_at: vec![],
                failed: Some((attempted, error)),
            },
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
            Screen::Workspace(store) => format!("{} — Runlens", store.display_name),
            _ => "Runlens".to_string(),
        };
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&title);
        }
    });
    move || match shell.screen.get() {
        Screen::Starting => view! { <div class="starting">"Opening your store…"</div> }.into_any(),
        Screen::Welcome { looked_at, failed } => view! { <Welcome looked_at failed /> }.into_any(),
        Screen::Workspace(store) => view! { <Workspace store /> }.into_any(),
    }
}

#[component]
fn Workspace(store: StoreSummary) -> impl IntoView {
    let shell = expect_context::<Shell>();
    let back = move |_| {
        shell.screen.set(Screen::Welcome {
            looked_at: vec![],
            failed: None,
        })
    };
    view! {
        <div class="workspace">
            <header class="topbar">
                <span class="brand">"Runlens"</span>
                <span class="store-name" title=store.uri.clone()>{store.display_name.clone()}</span>
                <button class="quiet" on:click=back>"Open another store…"</button>
            </header>
            <Sidebar />
            <main class="content">
                <RunsView />
            </main>
            <StatusBar store />
        </div>
    }
}

#[component]
fn StatusBar(store: StoreSummary) -> impl IntoView {
    view! {
        <footer class="statusbar" id="statusbar">
            <span class="kind">{store.kind.label()}</span>
            <span class="uri" title=store.uri.clone()>{store.uri.clone()}</span>
            <span>{store.version.clone().unwrap_or_default()}</span>
            <span class="origin">"opened from " {store.opened_from.clone()}</span>
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
