//! One run's page: header (name, status, times, parent and children), actions, description,
//! params, metrics, tags, git and data cards, and the artifact browser.
//!
//! Mounted by the router as `<RunDetail run_id artifact />`. The page shows what the store
//! holds: after every write it reads the run again (never an optimistic guess), and a failed
//! write shows its reason and leaves the page as it was.

mod cards;
mod description;
mod header;
mod params;
mod tags;

use crate::app::{ErrorBanner, Shell};
use crate::artifacts::Artifacts;
use crate::ipc;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_core::ipc::{EditFailure, RunDetail as Detail, RunEdit};
use runlens_core::{ApiError, RunStatus};

/// The page's state, shared by its sections through the context.
#[derive(Clone, Copy)]
pub(crate) struct RunPage {
    pub run_id: Signal<String>,
    /// The run as last read; `None` until the first read answers.
    pub detail: RwSignal<Option<Detail>>,
    /// Why the run could not be read at all.
    load_error: RwSignal<Option<ApiError>>,
    /// Why the last write (or a later read, or opening a link) failed.
    pub error: RwSignal<Option<ApiError>>,
    /// Runs a bulk edit could not change, with the reason.
    pub failures: RwSignal<Vec<EditFailure>>,
    /// A write is under way: action buttons wait.
    pub busy: RwSignal<bool>,
    /// Bumped by each read, so only the newest answer is used.
    reads: StoredValue<u64>,
    /// Told about each write, so lists elsewhere read the store again.
    shell: Option<Shell>,
}

impl RunPage {
    fn new(run_id: Signal<String>) -> Self {
        RunPage {
            run_id,
            detail: RwSignal::new(None),
            load_error: RwSignal::new(None),
            error: RwSignal::new(None),
            failures: RwSignal::new(Vec::new()),
            busy: RwSignal::new(false),
            reads: StoredValue::new(0),
            shell: use_context::<Shell>(),
        }
    }

    /// Reads `f` of the run (tracked); `None` before the first read.
    pub fn with<T>(&self, f: impl FnOnce(&Detail) -> T) -> Option<T> {
        self.detail.with(|d| d.as_ref().map(f))
    }

    pub fn experiment_id(&self) -> String {
        self.with(|d| d.run.info.experiment_id.clone()).unwrap_or_default()
    }

    /// Reads the run again; the newest read wins.
    pub fn reload(&self) {
        self.read(false);
    }

    /// Reads the run again in the background (live updates): a failure keeps what is shown and
    /// says nothing (the link banner tells about a lost server).
    fn refresh(&self) {
        self.read(true);
    }

    fn read(&self, quiet: bool) {
        let page = *self;
        let Some(run_id) = page.run_id.try_get_untracked() else {
            return;
        };
        let Some(read) = page.reads.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        spawn_local(async move {
            let answer = ipc::get_run(run_id.clone()).await;
            if page.reads.try_get_value() != Some(read) || page.run_id.try_get_untracked() != Some(run_id) {
                return;
            }
            match answer {
                Ok(detail) => {
                    page.detail.try_set(Some(detail));
                    page.load_error.try_set(None);
                }
                Err(e) if page.detail.try_with_untracked(Option::is_none).unwrap_or(false) => {
                    page.load_error.try_set(Some(e));
                }
                Err(_) if quiet => {}
                Err(e) => {
                    page.error.try_set(Some(e));
                }
            }
        });
    }

    /// Applies `edit` to this run, then reads the run again. `on_success` runs once the store
    /// accepted the change (e.g. to close an editor); on failure the reason is shown and nothing
    /// else changes.
    pub fn edit(&self, edit: RunEdit, on_success: impl FnOnce() + 'static) {
        let page = *self;
        if page.busy.get_untracked() {
            return;
        }
        let run_id = page.run_id.get_untracked();
        page.busy.set(true);
        page.error.set(None);
        page.failures.set(Vec::new());
        let shell = page.shell;
        spawn_local(async move {
            let answer = ipc::edit_runs(vec![run_id.clone()], edit).await;
            page.busy.try_set(false);
            // The user may have moved to another run meanwhile: this answer is not about it.
            if page.run_id.try_get_untracked() != Some(run_id) {
                return;
            }
            match answer {
                Ok(outcome) => {
                    if outcome.failed.is_empty() {
                        on_success();
                    } else {
                        page.failures.try_set(outcome.failed);
                    }
                    if !outcome.done.is_empty() {
                        if let Some(shell) = shell {
                            shell.changed();
                        }
                    }
                    page.reload();
                }
                Err(e) => {
                    page.error.try_set(Some(e));
                }
            }
        });
    }
}

pub(crate) fn use_page() -> RunPage {
    expect_context::<RunPage>()
}

#[component]
pub fn RunDetail(
    #[prop(into)] run_id: Signal<String>,
    #[prop(into)] artifact: Signal<Option<String>>,
) -> impl IntoView {
    // Memos: the page reads the run again only when the id really changes.
    let run_id = Signal::from(Memo::new(move |_| run_id.get()));
    let artifact = Signal::from(Memo::new(move |_| artifact.get()));
    let page = RunPage::new(run_id);
    provide_context(page);
    // Another run: start from nothing and read it.
    Effect::new(move |_| {
        run_id.track();
        page.detail.set(None);
        page.load_error.set(None);
        page.error.set(None);
        page.failures.set(Vec::new());
        page.reload();
    });
    let loaded = Memo::new(move |_| page.detail.with(Option::is_some));
    refresh_while_running(page);
    view! {
        <section id="run-detail" class="run-detail" aria-busy=move || (!loaded.get()).to_string()>
            {move || {
                if loaded.get() {
                    view! { <Loaded artifact /> }.into_any()
                } else if let Some(error) = page.load_error.get() {
                    view! { <ErrorBanner error /> }.into_any()
                } else {
                    view! { <p class="muted">"Loading run…"</p> }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Loaded(artifact: Signal<Option<String>>) -> impl IntoView {
    let page = use_page();
    let experiment_id = Signal::derive(move || page.experiment_id());
    view! {
        <header::Header />
        <WriteErrors />
        <div class="detail-grid">
            <description::Description />
            <params::Params />
            <params::Metrics />
            <tags::Tags />
            <div class="card-stack">
                <cards::GitCard />
                <cards::DataCard />
            </div>
            <crate::registry::RunModelsCard run_id=page.run_id />
            <crate::tables::TablesCard run_id=page.run_id experiment_id />
            <Artifacts run_id=page.run_id experiment_id selected=artifact />
        </div>
    }
}

/// The last write's failure, and each run a bulk edit could not change.
#[component]
fn WriteErrors() -> impl IntoView {
    let page = use_page();
    view! {
        <div id="run-errors">
            {move || page.error.get().map(|error| view! {
                <div class="dismissable">
                    <ErrorBanner error />
                    <button class="quiet dismiss" title="Dismiss" on:click=move |_| page.error.set(None)>"×"</button>
                </div>
            })}
            {move || page.failures.get().into_iter().map(|failure| {
                let mut error = failure.error;
                error.message = format!("Run {}: {}", failure.run_id, error.message);
                view! { <ErrorBanner error /> }
            }).collect_view()}
        </div>
    }
}

/// While the run is RUNNING (or SCHEDULED), reads it again whenever the store changes (its files
/// for a local store, every answer of a server; see `connections::live`): status, end time and
/// metrics follow the run as it goes. A finished run whose own files changed is read again too.
fn refresh_while_running(page: RunPage) {
    crate::connections::live::on_tick(move |changes| {
        let Some(run_id) = page.run_id.try_get_untracked() else {
            return;
        };
        let live = page
            .detail
            .try_with_untracked(|d| {
                d.as_ref()
                    .is_some_and(|d| matches!(d.run.info.status, RunStatus::Running | RunStatus::Scheduled))
            })
            .unwrap_or(false);
        let touched = !changes.everything && changes.runs.contains(&run_id);
        if (live || touched) && !page.busy.get_untracked() {
            page.refresh();
        }
    });
}
