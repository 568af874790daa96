//! The item slides of a presentation: each reads what its item names and shows it with the
//! app's own component — the compare tables, the chart grid, the joined table, the stage board.

use crate::app::ErrorBanner;
use crate::chart::grid::ChartGrid;
use crate::chart::RunLabel;
use crate::ipc;
use leptos::prelude::*;
use runlens_charts::RunPalette;
use runlens_core::compare::Comparison;
use runlens_core::review::ChartView;

/// The compared runs in their chart colours (no links: the presentation stays put), and those
/// the store no longer has.
fn run_chips(comparison: &Comparison) -> impl IntoView {
    let palette = RunPalette::of(comparison.runs.iter().map(|r| r.run.info.run_id.as_str()));
    let chips = comparison
        .runs
        .iter()
        .map(|r| {
            let info = &r.run.info;
            let label = RunLabel::new(&info.run_id, &info.run_name);
            let status = info.status.as_str();
            view! {
                <li class="run-chip" data-run-id=info.run_id.clone() title=format!("{} · {}", r.experiment_name, info.run_id)>
                    <span class="swatch" style:background-color=palette.color(&info.run_id).hex()></span>
                    <span class="run-chip-name">{label.name}</span>
                    <span class=format!("status status-{}", status.to_ascii_lowercase())>{status}</span>
                </li>
            }
        })
        .collect_view();
    let missing = (!comparison.missing.is_empty()).then(|| {
        let n = comparison.missing.len();
        view! {
            <p class="slide-missing" role="note">
                {format!("{n} run{} of this item {} not in this store any more.", if n == 1 { "" } else { "s" }, if n == 1 { "is" } else { "are" })}
            </p>
        }
    });
    view! {
        <ul class="run-chips slide-runs">{chips}</ul>
        {missing}
    }
}

#[component]
pub fn ComparisonSlide(run_ids: Vec<String>) -> impl IntoView {
    let answer = LocalResource::new(move || ipc::compare_runs(run_ids.clone(), true));
    move || match answer.get() {
        None => view! { <p class="muted">"Reading the runs…"</p> }.into_any(),
        Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
        Some(Ok(comparison)) => {
            let chips = run_chips(&comparison);
            let data = Memo::new(move |_| Some(comparison.clone()));
            view! {
                {chips}
                <div class="slide-comparison"><crate::compare::CompareTables data /></div>
            }
            .into_any()
        }
    }
}

#[component]
pub fn ChartsSlide(run_ids: Vec<String>, metrics: Vec<String>, view: ChartView) -> impl IntoView {
    let answer = LocalResource::new(move || ipc::compare_runs(run_ids.clone(), false));
    let keys = Signal::stored(metrics);
    move || match answer.get() {
        None => view! { <p class="muted">"Reading the runs…"</p> }.into_any(),
        Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
        Some(Ok(comparison)) => {
            let chips = run_chips(&comparison);
            let labels: Vec<RunLabel> = comparison
                .runs
                .iter()
                .map(|r| RunLabel::new(&r.run.info.run_id, &r.run.info.run_name))
                .collect();
            let controls = super::controls_for(&view);
            view! {
                {chips}
                <div class="slide-charts">
                    <ChartGrid runs=Signal::stored(labels) keys controls />
                </div>
            }
            .into_any()
        }
    }
}

#[component]
pub fn TableSlide(experiment_id: String, run_ids: Vec<String>, table: String, key: Option<String>) -> impl IntoView {
    // The join key can be changed during the meeting, as on the page; the review keeps its own.
    let key = RwSignal::new(key);
    let experiment = crate::traces::experiment_name(Signal::stored(experiment_id));
    let on_key = Callback::new(move |k: String| key.set(Some(k)));
    view! {
        <p class="slide-table-source muted">
            {move || experiment.get().map(|e| format!("Experiment {e}"))}
        </p>
        <div class="compare-tables slide-table">
            {move || view! {
                <crate::tables::compare::Comparison run_ids=run_ids.clone() path=table.clone() key=key.get() on_key />
            }}
        </div>
    }
}

#[component]
pub fn BoardSlide(model: String, versions: Vec<i64>) -> impl IntoView {
    view! { <crate::registry::ModelBoard name=Signal::stored(model) highlight=versions /> }
}
