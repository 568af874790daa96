//! What differs between the compared runs, one column per run: their attributes (experiment,
//! status, start, duration, user, source, commit), their metrics (latest, min and max; the best
//! run marked, lower- or higher-is-better guessed from the key and switchable), their params and
//! their tags (differing values highlighted; "differences only" hides the rest).

use crate::chart::RunLabel;
use crate::{format, routes};
use leptos::prelude::*;
use runlens_charts::RunPalette;
use runlens_core::compare::{diff_rows, duration_ms, guess_direction, metric_rows, Comparison, DiffRow, Direction};
use runlens_core::display::{is_system_tag, ParamValue};
use runlens_core::{tag, Run};
use std::collections::HashMap;

/// Column headers: each run's colour and name, linked to the run.
fn run_headers(runs: &[Run]) -> impl IntoView {
    let palette = RunPalette::of(runs.iter().map(|r| r.info.run_id.as_str()));
    runs.iter()
        .map(|run| {
            let info = &run.info;
            let name = RunLabel::new(&info.run_id, &info.run_name).name;
            view! {
                <th class="run-col" title=info.run_id.clone()>
                    <span class="swatch" style:background-color=palette.color(&info.run_id).hex()></span>
                    <a href=routes::run_path(&info.experiment_id, &info.run_id)>{name}</a>
                </th>
            }
        })
        .collect_view()
}

#[component]
pub fn CompareTables(data: Memo<Option<Comparison>>) -> impl IntoView {
    let runs = Memo::new(move |_| {
        data.with(|d| {
            d.iter()
                .flat_map(|c| c.runs.iter().map(|r| r.run.clone()))
                .collect::<Vec<_>>()
        })
    });
    view! {
        <div class="compare-tables">
            <Attributes data runs />
            <Metrics data runs />
            <Diffs runs kind=DiffKind::Params />
            <Diffs runs kind=DiffKind::Tags />
        </div>
    }
}

#[component]
fn Attributes(data: Memo<Option<Comparison>>, runs: Memo<Vec<Run>>) -> impl IntoView {
    let now = js_sys::Date::now() as i64;
    let row = move |label: &'static str, cell: fn(&Run, &str, i64) -> String| {
        let experiments: Vec<String> = data.with(|d| {
            d.iter()
                .flat_map(|c| c.runs.iter().map(|r| r.experiment_name.clone()))
                .collect()
        });
        let texts: Vec<String> = runs.with(|runs| {
            runs.iter()
                .zip(&experiments)
                .map(|(run, experiment)| cell(run, experiment, now))
                .collect()
        });
        // A row no run has a value for says nothing.
        (!texts.iter().all(String::is_empty)).then(|| {
            let cells = texts
                .into_iter()
                .map(|text| view! { <td title=text.clone()>{text.clone()}</td> })
                .collect_view();
            view! { <tr><th scope="row">{label}</th>{cells}</tr> }
        })
    };
    let statuses = move || {
        runs.with(|runs| {
            runs.iter()
                .map(|run| {
                    let status = run.info.status.as_str();
                    view! { <td><span class=format!("status status-{}", status.to_ascii_lowercase())>{status}</span></td> }
                })
                .collect_view()
        })
    };
    view! {
        <section class="card compare-card" id="compare-attributes">
            <header class="card-head"><h2>"Runs"</h2></header>
            <div class="compare-scroll">
                <table class="compare-table" id="compare-runs-table">
                    <thead><tr><th></th>{move || runs.with(|r| run_headers(r))}</tr></thead>
                    <tbody>
                        {move || row("Experiment", |_, experiment, _| experiment.to_string())}
                        <tr><th scope="row">"Status"</th>{statuses}</tr>
                        {move || row("Started", |run, _, _| format::datetime(run.info.start_time))}
                        {move || row("Duration", |run, _, now| match duration_ms(&run.info, Some(now)) {
                            Some(ms) if run.info.end_time.is_none() => format!("{} so far", format::duration(Some(0), Some(ms))),
                            Some(ms) => format::duration(Some(0), Some(ms)),
                            None => String::new(),
                        })}
                        {move || row("User", |run, _, _| run.info.user_id.clone())}
                        {move || row("Source", |run, _, _| run.data.tags.get(tag::SOURCE_NAME).cloned().unwrap_or_default())}
                        {move || row("Commit", |run, _, _| {
                            run.data.tags.get(tag::GIT_COMMIT).or_else(|| run.data.tags.get(tag::MAXAI_COMMIT))
                                .map(|c| c.chars().take(10).collect()).unwrap_or_default()
                        })}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn Metrics(data: Memo<Option<Comparison>>, runs: Memo<Vec<Run>>) -> impl IntoView {
    // Directions the user switched, by key; every other key keeps its guess.
    let switched = RwSignal::new(HashMap::<String, Direction>::new());
    let rows = Memo::new(move |_| {
        let summaries: Vec<_> = data.with(|d| {
            d.iter()
                .flat_map(|c| c.runs.iter().map(|r| r.metrics.clone()))
                .collect()
        });
        switched.with(|s| {
            metric_rows(&summaries, |key| {
                s.get(key).copied().unwrap_or_else(|| guess_direction(key))
            })
        })
    });
    let row_view = move |row: runlens_core::compare::MetricRow| {
        let key = row.key.clone();
        let flip = {
            let key = key.clone();
            let direction = row.direction;
            move |_| {
                switched.update(|s| {
                    s.insert(key.clone(), direction.flipped());
                })
            }
        };
        let cells = row
            .cells
            .iter()
            .enumerate()
            .map(|(i, cell)| match cell {
                None => view! { <td class="num missing">"—"</td> }.into_any(),
                Some(m) => {
                    let best = row.best_latest.contains(&i);
                    let best_extreme = row.best_extreme.contains(&i);
                    let (min, max) = (format::optional_number(m.min), format::optional_number(m.max));
                    let (min_best, max_best) = match row.direction {
                        Direction::LowerIsBetter => (best_extreme, false),
                        Direction::HigherIsBetter => (false, best_extreme),
                    };
                    let title = format!(
                        "latest {} at step {} · {} points",
                        format::metric(m.latest),
                        m.step,
                        format::count(m.points)
                    );
                    view! {
                        <td class="num metric-cell" class:best=best title=title>
                            <div class="latest">
                                {best.then(|| view! { <span class="best-mark" title="Best latest value">"★ "</span> })}
                                {format::metric(m.latest)}
                            </div>
                            <div class="range">
                                <span class:best-extreme=min_best>{min}</span>
                                " … "
                                <span class:best-extreme=max_best>{max}</span>
                            </div>
                        </td>
                    }
                    .into_any()
                }
            })
            .collect_view();
        view! {
            <tr data-key=key.clone()>
                <th scope="row">
                    <div class="metric-key">
                        <span class="key-text">{key.clone()}</span>
                        <button type="button" class="quiet dir-toggle" data-direction=format!("{:?}", row.direction)
                            title=format!("{} — click to switch", row.direction.describe())
                            on:click=flip>{row.direction.arrow()}</button>
                    </div>
                </th>
                {cells}
            </tr>
        }
    };
    view! {
        <section class="card compare-card" id="compare-metrics">
            <header class="card-head">
                <h2>"Metrics"</h2>
                <span class="count">{move || rows.with(Vec::len)}</span>
                <span class="muted card-note">"latest, and min … max over the whole history; ★ best latest value; ↓ ↑ which way is better (click to switch)"</span>
            </header>
            {move || if rows.with(Vec::is_empty) {
                view! { <p class="muted empty-note">"None of these runs logged a metric."</p> }.into_any()
            } else {
                view! {
                    <div class="compare-scroll">
                        <table class="compare-table metrics" id="compare-metrics-table">
                            <thead><tr><th>"Metric"</th>{move || runs.with(|r| run_headers(r))}</tr></thead>
                            <tbody>{move || rows.get().into_iter().map(row_view).collect_view()}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum DiffKind {
    Params,
    Tags,
}

#[component]
fn Diffs(runs: Memo<Vec<Run>>, kind: DiffKind) -> impl IntoView {
    let only_differences = RwSignal::new(false);
    let system = RwSignal::new(false);
    let (name, id) = match kind {
        DiffKind::Params => ("Parameters", "params"),
        DiffKind::Tags => ("Tags", "tags"),
    };
    let all_rows = Memo::new(move |_| {
        runs.with(|runs| {
            let maps: Vec<&std::collections::BTreeMap<String, String>> = runs
                .iter()
                .map(|r| match kind {
                    DiffKind::Params => &r.data.params,
                    DiffKind::Tags => &r.data.tags,
                })
                .collect();
            diff_rows(&maps)
        })
    });
    let rows = Memo::new(move |_| {
        let (only, system) = (only_differences.get(), system.get());
        all_rows.with(|rows| {
            rows.iter()
                .filter(|r| kind == DiffKind::Params || system || !is_system_tag(&r.key))
                .filter(|r| !only || r.differs)
                .cloned()
                .collect::<Vec<DiffRow>>()
        })
    });
    let summary = move || {
        let relevant: Vec<DiffRow> = all_rows.with(|rows| {
            rows.iter()
                .filter(|r| kind == DiffKind::Params || system.get() || !is_system_tag(&r.key))
                .cloned()
                .collect()
        });
        let differing = relevant.iter().filter(|r| r.differs).count();
        format!("{differing} of {} differ", relevant.len())
    };
    let row_view = move |row: DiffRow| {
        let odd = row.odd_ones();
        let cells = row
            .values
            .iter()
            .zip(odd)
            .map(|(value, odd)| match value {
                None => view! { <td class="missing" class:odd=odd>"—"</td> }.into_any(),
                Some(v) => {
                    let shown = match ParamValue::decode(v) {
                        ParamValue::Plain(s) | ParamValue::Json(s) => s,
                        ParamValue::Artifact(name) => format!("artifact - {name}"),
                    };
                    let shown = if kind == DiffKind::Tags { v.clone() } else { shown };
                    view! { <td class="diff-cell" class:odd=odd title=v.clone()><span class="diff-value">{shown}</span></td> }.into_any()
                }
            })
            .collect_view();
        view! {
            <tr class:differs=row.differs data-key=row.key.clone()>
                <th scope="row" class="diff-key" title=row.key.clone()>{row.key.clone()}</th>
                {cells}
            </tr>
        }
    };
    view! {
        <section class="card compare-card" id=format!("compare-{id}")>
            <header class="card-head">
                <h2>{name}</h2>
                <span class="count">{summary}</span>
                <span class="spacer"></span>
                {(kind == DiffKind::Tags).then(|| view! {
                    <label class="toggle">
                        <input type="checkbox" id="tags-system" prop:checked=system
                            on:change=move |ev| system.set(event_target_checked(&ev)) />
                        "system tags"
                    </label>
                })}
                <label class="toggle">
                    <input type="checkbox" id=format!("{id}-diff-only") prop:checked=only_differences
                        on:change=move |ev| only_differences.set(event_target_checked(&ev)) />
                    "differences only"
                </label>
            </header>
            {move || if rows.with(Vec::is_empty) {
                let text = if all_rows.with(Vec::is_empty) {
                    format!("No {} on these runs.", name.to_lowercase())
                } else if only_differences.get() {
                    format!("Every run has the same {}.", name.to_lowercase())
                } else {
                    format!("Only system {}: switch them on to see them.", name.to_lowercase())
                };
                view! { <p class="muted empty-note">{text}</p> }.into_any()
            } else {
                view! {
                    <div class="compare-scroll">
                        <table class="compare-table kv-diff" id=format!("compare-{id}-table")>
                            <thead><tr><th>"Key"</th>{move || runs.with(|r| run_headers(r))}</tr></thead>
                            <tbody>{move || rows.get().into_iter().map(row_view).collect_view()}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
