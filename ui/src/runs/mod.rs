//! The experiment view: its header and actions, the filter bar, and the runs as a tree table
//! that loads further pages as it scrolls.
//!
//! The query (filter, name search, order, lifecycle) lives in the URL ([`RunsQuery`]), so
//! back/forward and restarts return to the same view. Runs are read a page at a time; each page
//! comes with the ancestors of its runs, so a matching child is always shown under its parent.

mod bulk;
mod columns;
mod experiment_head;
mod filter_bar;
mod table;

pub use columns::ColumnChoices;

use crate::app::{ErrorBanner, Shell};
use crate::ipc;
use crate::routes::RunsQuery;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use runlens_core::ipc::ListRunsRequest;
use runlens_core::{ApiError, Experiment, PageRequest, Run, RunStatus, ViewType};
use std::collections::HashMap;

/// Runs asked for per page.
const PAGE: usize = 200;

/// The runs read so far for the current experiment and query.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub experiment: Option<Experiment>,
    /// Matching runs in the store's order, as many pages as read so far.
    pub runs: Vec<Run>,
    /// Ancestors of matching runs that do not match themselves, by run id.
    pub ancestors: HashMap<String, Run>,
    pub next_page_token: Option<String>,
    /// The first page has arrived.
    pub ready: bool,
    pub loading_more: bool,
    pub error: Option<ApiError>,
}

impl Loaded {
    /// Puts fresh copies of runs in place of the ones held (after a refresh).
    fn replace(&mut self, fresh: Vec<Run>) {
        for run in fresh {
            let id = &run.info.run_id;
            if let Some(slot) = self.runs.iter_mut().find(|r| &r.info.run_id == id) {
                *slot = run;
            } else if let Some(slot) = self.ancestors.get_mut(id) {
                *slot = run;
            }
        }
    }
}

/// Reads pages of runs into a [`Loaded`] signal; answers to an older query are dropped.
#[derive(Clone, Copy)]
pub struct RunsLoader {
    pub loaded: RwSignal<Loaded>,
    generation: StoredValue<u64>,
    experiment_id: Signal<String>,
    query: Signal<RunsQuery>,
}

impl RunsLoader {
    fn request(&self, page_token: Option<String>) -> ListRunsRequest {
        let query = self.query.get_untracked();
        ListRunsRequest {
            experiment_id: self.experiment_id.get_untracked(),
            filter: query.store_filter(),
            order_by: query.sort.into_iter().collect(),
            view_type: query.view,
            page: PageRequest {
                max_results: Some(PAGE),
                page_token,
            },
        }
    }

    /// Starts over from the first page. The rows on screen stay until the new ones arrive (after
    /// a write, a sort or a filter the table, its selection, scroll and messages stay in place);
    /// only another experiment (`another_experiment`) starts from an empty table.
    pub fn reload(&self, another_experiment: bool) {
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        let (this, request) = (*self, self.request(None));
        if another_experiment {
            let keep_experiment = self.loaded.with_untracked(|l| {
                l.experiment
                    .clone()
                    .filter(|e| e.experiment_id == request.experiment_id)
            });
            self.loaded.set(Loaded {
                experiment: keep_experiment,
                ..Loaded::default()
            });
        }
        spawn_local(async move {
            let answer = ipc::list_runs(request).await;
            // The view may be gone (the user moved on) or the query changed meanwhile.
            if this.generation.try_get_value() != Some(generation) {
                return;
            }
            this.loaded.try_update(|l| {
                l.ready = true;
                l.loading_more = false;
                match answer {
                    Ok(page) => {
                        l.error = None;
                        l.experiment = Some(page.experiment);
                        l.runs = page.runs;
                        l.ancestors = page.ancestors.into_iter().map(|r| (r.info.run_id.clone(), r)).collect();
                        l.next_page_token = page.next_page_token;
                    }
                    Err(e) => l.error = Some(e),
                }
            });
        });
    }

    /// Reads the next page, if there is one and none is being read.
    pub fn load_more(&self) {
        let Some(token) = self.loaded.with_untracked(|l| {
            (!l.loading_more && l.error.is_none())
                .then(|| l.next_page_token.clone())
                .flatten()
        }) else {
            return;
        };
        let generation = self.generation.get_value();
        self.loaded.update(|l| l.loading_more = true);
        let (this, request) = (*self, self.request(Some(token)));
        spawn_local(async move {
            let answer = ipc::list_runs(request).await;
            if this.generation.try_get_value() != Some(generation) {
                return;
            }
            this.loaded.try_update(|l| {
                l.loading_more = false;
                match answer {
                    Ok(page) => {
                        for run in page.runs {
                            l.ancestors.remove(&run.info.run_id);
                            l.runs.push(run);
                        }
                        for run in page.ancestors {
                            let id = run.info.run_id.clone();
                            if !l.runs.iter().any(|r| r.info.run_id == id) {
                                l.ancestors.insert(id, run);
                            }
                        }
                        l.next_page_token = page.next_page_token;
                    }
                    Err(e) => l.error = Some(e),
                }
            });
        });
    }

    /// Reads the first page again if the store has runs of this query started after the newest
    /// one loaded (a run that just began), keeping what is shown until they arrive.
    pub fn check_new_runs(&self) {
        let (newest, empty) = self.loaded.with_untracked(|l| {
            let newest = l
                .runs
                .iter()
                .chain(l.ancestors.values())
                .filter_map(|r| r.info.start_time)
                .max();
            (newest, l.runs.is_empty())
        });
        let Some(newest) = newest else {
            if empty {
                self.reload(false);
            }
            return;
        };
        let mut request = self.request(None);
        let newer = format!("attributes.start_time > {newest}");
        request.filter = Some(match request.filter.take() {
            Some(filter) => format!("{filter} AND {newer}"),
            None => newer,
        });
        request.page.max_results = Some(1);
        let (this, generation) = (*self, self.generation.get_value());
        spawn_local(async move {
            if let Ok(page) = ipc::list_runs(request).await {
                if !page.runs.is_empty() && this.generation.try_get_value() == Some(generation) {
                    this.reload(false);
                }
            }
        });
    }

    /// Reads these runs again (RUNNING ones on screen) and puts the fresh copies in place.
    pub fn refresh(&self, run_ids: Vec<String>) {
        if run_ids.is_empty() {
            return;
        }
        let quoted: Vec<String> = run_ids.iter().map(|id| format!("'{id}'")).collect();
        let request = ListRunsRequest {
            experiment_id: self.experiment_id.get_untracked(),
            filter: Some(format!("attributes.run_id IN ({})", quoted.join(", "))),
            order_by: vec![],
            view_type: ViewType::All,
            page: PageRequest {
                max_results: Some(run_ids.len().max(1)),
                page_token: None,
            },
        };
        let (this, generation) = (*self, self.generation.get_value());
        spawn_local(async move {
            // A failed refresh keeps what is shown; the next tick tries again.
            if let Ok(page) = ipc::list_runs(request).await {
                if this.generation.try_get_value() == Some(generation) {
                    this.loaded.try_update(|l| l.replace(page.runs));
                }
            }
        });
    }
}

#[component]
pub fn RunsView(experiment_id: Signal<String>, runs_query: Signal<RunsQuery>) -> impl IntoView {
    let shell = expect_context::<Shell>();
    let loader = RunsLoader {
        loaded: RwSignal::new(Loaded::default()),
        generation: StoredValue::new(0),
        experiment_id,
        query: runs_query,
    };
    // Another experiment, another query, or a write anywhere: read from the first page.
    Effect::new(move |previous: Option<String>| {
        let shown = experiment_id.get();
        runs_query.track();
        shell.changes.track();
        loader.reload(previous.as_ref() != Some(&shown));
        shown
    });
    // Going back up from a run returns to the runs as shown now.
    Effect::new(move |_| {
        let id = experiment_id.get();
        crate::routes::remember_runs_path(&id, runs_query.get().path(&id));
    });
    let navigate = use_navigate();
    let apply = Callback::new(move |query: RunsQuery| {
        navigate(&query.path(&experiment_id.get_untracked()), Default::default());
    });
    follow_live_changes(loader);
    // What decides between table, message and nothing; the table itself follows `loaded`, so it
    // (and its scroll position, selection and collapsed rows) lives across pages and refreshes.
    let shape = Memo::new(move |_| loader.loaded.with(|l| (l.ready, l.runs.is_empty(), l.error.is_some())));
    let experiment = Memo::new(move |_| loader.loaded.with(|l| l.experiment.clone()));
    let error = Memo::new(move |_| loader.loaded.with(|l| l.error.clone()));
    view! {
        <section class="runs" id="runs">
            {move || experiment.get().map(|experiment| {
                view! { <experiment_head::ExperimentHead experiment /> }
            })}
            <filter_bar::FilterBar query=runs_query apply />
            {move || error.get().map(|error| view! { <ErrorBanner error /> })}
            {move || {
                let (ready, empty, failed) = shape.get();
                if !ready {
                    return view! { <p class="muted" id="runs-loading">"Loading runs…"</p> }.into_any();
                }
                if empty && failed {
                    return ().into_any();
                }
                if empty {
                    let q = runs_query.get();
                    let text = match (q.store_filter().is_some(), q.view) {
                        (true, _) => "No run matches this filter.",
                        (false, ViewType::DeletedOnly) => "No deleted runs in this experiment.",
                        _ => "No runs in this experiment yet.",
                    };
                    return view! { <p class="muted" id="no-runs">{text}</p> }.into_any();
                }
                view! { <table::RunsTable loader query=runs_query /> }.into_any()
            }}
        </section>
    }
}

/// When the store changes under this experiment (its files for a local store, every answer of a
/// server; see `connections::live`), reads again the RUNNING runs that are loaded and looks for
/// runs that started since.
fn follow_live_changes(loader: RunsLoader) {
    crate::connections::live::on_tick(move |changes| {
        if !changes.touches_experiment(&loader.experiment_id.get_untracked()) {
            return;
        }
        let running: Vec<String> = loader.loaded.with_untracked(|l| {
            l.runs
                .iter()
                .chain(l.ancestors.values())
                .filter(|r| matches!(r.info.status, RunStatus::Running | RunStatus::Scheduled))
                .map(|r| r.info.run_id.clone())
                .take(100)
                .collect()
        });
        loader.refresh(running);
        loader.check_new_runs();
    });
}
