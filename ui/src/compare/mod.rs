//! The compare view: runs side by side for a review. Its header names each run in its colour
//! (the colour its lines have in every chart); three tabs show the metric charts (`Charts`: the
//! grid of `chart::grid`), what differs (`Table`: runs, metrics with the best run marked, params
//! and tags, in `table`) and how params relate to a metric (`Plots`: parallel coordinates and
//! scatter, in `plots`, which the experiment's plots page shares).
//!
//! Mounted by the router as `<ComparePage />` at `/compare?runs=a,b,c&tab=…` and
//! `<ExperimentPlotsPage experiment_id />`.

mod plots;
mod table;

pub use plots::ExperimentPlotsPage;
pub use table::CompareTables;

use crate::app::ErrorBanner;
use crate::chart::grid::ChartGrid;
use crate::chart::RunLabel;
use crate::{ipc, routes};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;
use plots::{RunPlots, Scope};
use runlens_charts::RunPalette;
use runlens_core::compare::Comparison;
use std::collections::BTreeSet;

/// Runs beyond this many fold their chips into two rows.
const CHIPS_FOLDED: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Charts,
    Table,
    Plots,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Charts, Tab::Table, Tab::Plots];

    fn as_str(self) -> &'static str {
        match self {
            Tab::Charts => "charts",
            Tab::Table => "table",
            Tab::Plots => "plots",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Charts => "Charts",
            Tab::Table => "Differences",
            Tab::Plots => "Parallel & scatter",
        }
    }

    fn parse(text: Option<String>) -> Tab {
        Tab::ALL
            .into_iter()
            .find(|t| Some(t.as_str()) == text.as_deref())
            .unwrap_or(Tab::Charts)
    }
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let search = use_location().search;
    let run_ids = Memo::new(move |_| search.with(|s| routes::compared_runs(s)));
    let tab = Memo::new(move |_| search.with(|s| Tab::parse(routes::query_value(s, "tab"))));
    // The runs at once; the metrics' exact ranges (which read every history) only once the
    // differences are asked for, so the charts do not wait for them.
    let answer = LocalResource::new(move || {
        let ids = run_ids.get();
        async move {
            if ids.is_empty() {
                return None;
            }
            Some(ipc::compare_runs(ids, false).await)
        }
    });
    let data = Memo::new(move |_| match answer.get() {
        Some(Some(Ok(c))) => Some(c),
        _ => None,
    });
    let want_summaries = Memo::new(move |was: Option<&bool>| was.copied().unwrap_or(false) || tab.get() == Tab::Table);
    let detailed = LocalResource::new(move || {
        let (ids, wanted) = (run_ids.get(), want_summaries.get());
        async move {
            if ids.is_empty() || !wanted {
                return None;
            }
            Some(ipc::compare_runs(ids, true).await)
        }
    });
    let navigate = use_navigate();
    let go = Callback::new(move |(ids, tab): (Vec<String>, Tab)| {
        let tab = (tab != Tab::Charts).then_some(tab.as_str());
        navigate(
            &routes::compare_path(&ids, tab),
            NavigateOptions {
                replace: true,
                ..Default::default()
            },
        );
    });
    let labels = Memo::new(move |_| {
        data.with(|d| {
            d.iter()
                .flat_map(|c| &c.runs)
                .map(|r| RunLabel::new(&r.run.info.run_id, &r.run.info.run_name))
                .collect::<Vec<_>>()
        })
    });
    let keys = Memo::new(move |_| {
        data.with(|d| {
            let keys: BTreeSet<String> = d
                .iter()
                .flat_map(|c| &c.runs)
                .flat_map(|r| r.run.data.metrics.iter().map(|m| m.key.clone()))
                .collect();
            keys.into_iter().collect::<Vec<_>>()
        })
    });
    let body = move || {
        if run_ids.with(Vec::is_empty) {
            return view! {
                <div class="empty-state"><p>"Select two or more runs in an experiment's table, then press Compare."</p></div>
            }
            .into_any();
        }
        match answer.get() {
            None | Some(None) => view! {
                <p class="muted" id="compare-loading">{format!("Reading {} runs…", run_ids.with(Vec::len))}</p>
            }
            .into_any(),
            Some(Some(Err(error))) => view! { <ErrorBanner error /> }.into_any(),
            Some(Some(Ok(_))) => view! {
                <Header data go tab />
                <div class="compare-body">
                    {move || match tab.get() {
                        Tab::Charts => view! { <ChartGrid runs=labels keys=keys add_to_review=true /> }.into_any(),
                        Tab::Table => match detailed.get() {
                            Some(Some(Ok(full))) => {
                                let data = Memo::new(move |_| Some(full.clone()));
                                view! { <table::CompareTables data /> }.into_any()
                            }
                            Some(Some(Err(error))) => view! { <ErrorBanner error /> }.into_any(),
                            _ => view! { <p class="muted" id="compare-reading-metrics">"Reading every metric's history for its range…"</p> }.into_any(),
                        },
                        Tab::Plots => {
                            let scope = Signal::derive(move || Scope::Runs(run_ids.get()));
                            view! { <RunPlots scope /> }.into_any()
                        }
                    }}
                </div>
            }
            .into_any(),
        }
    };
    view! { <section class="compare-page" id="compare">{body}</section> }
}

/// The runs as chips in their colours (each a link to the run, with its status and a button to
/// leave it out), the tabs, and runs that could not be found.
#[component]
fn Header(data: Memo<Option<Comparison>>, go: Callback<(Vec<String>, Tab)>, tab: Memo<Tab>) -> impl IntoView {
    let ids = move || {
        data.with(|d| {
            d.iter()
                .flat_map(|c| &c.runs)
                .map(|r| r.run.info.run_id.clone())
                .collect::<Vec<_>>()
        })
    };
    let chips = move || {
        let all = ids();
        let removable = all.len() > 2;
        let palette = RunPalette::of(all.iter().map(String::as_str));
        data.get()
            .map(|c| c.runs)
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                let info = r.run.info;
                let href = routes::run_path(&info.experiment_id, &info.run_id);
                let status = info.status.as_str();
                let without: Vec<String> = all.iter().filter(|id| **id != info.run_id).cloned().collect();
                let name = RunLabel::new(&info.run_id, &info.run_name).name;
                view! {
                    <li class="run-chip" data-run-id=info.run_id.clone() title=format!("{} · {}", r.experiment_name, info.run_id)>
                        <span class="swatch" style:background-color=palette.color(&info.run_id).hex()></span>
                        <a href=href>{name}</a>
                        <span class=format!("status status-{}", status.to_ascii_lowercase())>{status}</span>
                        {removable.then(|| view! {
                            <button type="button" class="quiet chip-remove" title="Leave this run out of the comparison"
                                on:click=move |_| go.run((without.clone(), tab.get_untracked()))>"×"</button>
                        })}
                    </li>
                }
            })
            .collect_view()
    };
    let missing = move || {
        let missing = data.with(|d| d.as_ref().map(|c| c.missing.clone()).unwrap_or_default());
        (!missing.is_empty()).then(|| {
            view! {
                <div class="error-banner" role="alert" id="compare-missing">
                    <strong>{format!("{} run{} not found in this store (deleted for good, or from another store):", missing.len(), if missing.len() == 1 { " was" } else { "s were" })}</strong>
                    <ul>{missing.into_iter().map(|id| view! { <li><code>{id}</code></li> }).collect_view()}</ul>
                </div>
            }
        })
    };
    let count = move || data.with(|d| d.as_ref().map_or(0, |c| c.runs.len()));
    // Many runs: two rows of chips until asked for all, so the charts stay in view.
    let all_chips = RwSignal::new(false);
    let many = move || count() > CHIPS_FOLDED;
    let review_item = Signal::derive(move || {
        let run_ids = ids();
        (!run_ids.is_empty()).then_some(runlens_core::review::ReviewItem::Comparison { run_ids })
    });
    view! {
        <header class="compare-head">
            <div class="compare-title-row">
                <h1>{move || format!("Comparing {} run{}", count(), if count() == 1 { "" } else { "s" })}</h1>
                <crate::review::AddToReview item=review_item id="add-comparison-to-review" />
            </div>
            <div class="chips-row">
                <ul class="run-chips" id="compare-runs" class:folded=move || many() && !all_chips.get()>{chips}</ul>
                <Show when=many>
                    <button type="button" class="quiet chips-more" id="compare-all-runs" on:click=move |_| all_chips.update(|a| *a = !*a)>
                        {move || if all_chips.get() { "Fewer".to_string() } else { format!("All {} runs", count()) }}
                    </button>
                </Show>
            </div>
            {missing}
            <Show when=move || count() == 1>
                <p class="muted">"Add another run to compare: select two or more in an experiment's table and press Compare."</p>
            </Show>
            <nav class="compare-tabs" role="tablist">
                {Tab::ALL
                    .into_iter()
                    .map(|t| view! {
                        <button type="button" role="tab" id=format!("tab-{}", t.as_str())
                            class:active=move || tab.get() == t aria-selected=move || (tab.get() == t).to_string()
                            on:click=move |_| go.run((ids(), t))>{t.label()}</button>
                    })
                    .collect_view()}
            </nav>
        </header>
    }
}
