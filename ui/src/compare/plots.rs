//! Many runs at once: parallel coordinates (chosen params → a chosen metric) and a scatter (a
//! param or metric across, a metric up), for the compared runs or every run of an experiment.
//! Only the chosen columns are read (`run_values`); a scatter dot names its run under the
//! pointer and opens it on a click.

use crate::app::ErrorBanner;
use crate::chart::interact::ExportButtons;
use crate::chart::{Drawn, FigureCanvas, RunLabel};
use crate::{format, ipc, routes};
use leptos::ev::MouseEvent;
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use runlens_charts::columns::Cell;
use runlens_charts::parallel::{ColorScale, ParallelLine, ParallelSpec};
use runlens_charts::scatter::{layout_scatter, nearest, ScatterPoint, ScatterSpec};
use runlens_charts::{gradient, Figure, Rgb, RunPalette};
use runlens_core::compare::{guess_direction, key_matches, Direction, RunValues, RunValuesRequest};
use runlens_core::{ApiError, Experiment, MetricValue};

/// A parallel-coordinates chart with nothing in it (while a choice is being read again).
fn empty_parallel() -> Figure {
    Figure::Parallel(ParallelSpec {
        title: String::new(),
        axes: vec![],
        lines: vec![],
        color_scale: None,
    })
}

/// Which runs the plots show.
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    Experiment(String),
    Runs(Vec<String>),
}

impl Scope {
    fn request(&self, params: Vec<String>, metrics: Vec<String>) -> RunValuesRequest {
        match self {
            Scope::Experiment(id) => RunValuesRequest {
                experiment_id: Some(id.clone()),
                params,
                metrics,
                ..Default::default()
            },
            Scope::Runs(ids) => RunValuesRequest {
                run_ids: ids.clone(),
                params,
                metrics,
                ..Default::default()
            },
        }
    }
}

/// A column a scatter axis can show.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Column {
    Param(String),
    Metric(String),
}

impl Column {
    fn value(&self) -> String {
        match self {
            Column::Param(k) => format!("param:{k}"),
            Column::Metric(k) => format!("metric:{k}"),
        }
    }

    fn parse(text: &str) -> Option<Column> {
        if let Some(k) = text.strip_prefix("param:") {
            Some(Column::Param(k.to_string()))
        } else {
            text.strip_prefix("metric:").map(|k| Column::Metric(k.to_string()))
        }
    }

    fn key(&self) -> &str {
        match self {
            Column::Param(k) | Column::Metric(k) => k,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ColorBy {
    Run,
    Metric,
}

/// Lines beyond this many are coloured by the metric unless the user says otherwise.
const RUN_COLOURS_UP_TO: usize = 12;
/// Default number of param axes.
const DEFAULT_AXES: usize = 4;
/// Values without a place on a colour scale.
const NO_COLOUR: Rgb = Rgb(0x98, 0xa1, 0xb3);

fn scale_choice(text: &str) -> Option<bool> {
    match text {
        "linear" => Some(false),
        "log" => Some(true),
        _ => None,
    }
}

/// The metric to plot when none was chosen: a validation loss if there is one, else any
/// lower-is-better metric, else the first.
fn default_metric(keys: &[String]) -> Option<String> {
    let lower: Vec<&String> = keys
        .iter()
        .filter(|k| guess_direction(k) == Direction::LowerIsBetter)
        .collect();
    lower
        .iter()
        .find(|k| k.to_lowercase().contains("val"))
        .or(lower.first())
        .map(|k| k.to_string())
        .or_else(|| keys.first().cloned())
}

/// The values the plots were drawn from, with the columns asked (rows hold them in this order).
#[derive(Clone, Debug, PartialEq)]
struct Table {
    params: Vec<String>,
    metrics: Vec<String>,
    values: RunValues,
}

impl Table {
    fn cell(&self, row: usize, column: &Column) -> Cell {
        let run = &self.values.runs[row];
        match column {
            Column::Param(k) => self
                .params
                .iter()
                .position(|p| p == k)
                .and_then(|i| run.params[i].clone())
                .map_or(Cell::Missing, Cell::Text),
            Column::Metric(k) => self
                .metrics
                .iter()
                .position(|m| m == k)
                .and_then(|i| run.metrics[i])
                .map_or(Cell::Missing, Cell::Number),
        }
    }
}

#[component]
pub fn RunPlots(
    #[prop(into)] scope: Signal<Scope>,
    /// Told the experiment, when the scope is one.
    #[prop(optional)]
    experiment_out: Option<RwSignal<Option<Experiment>>>,
) -> impl IntoView {
    // First what can be chosen, then the chosen columns.
    let keys = LocalResource::new(move || {
        let scope = scope.get();
        async move { ipc::run_values(scope.request(vec![], vec![])).await }
    });
    let known = Memo::new(move |_| match keys.get() {
        Some(Ok(v)) => Some(v),
        _ => None,
    });
    if let Some(out) = experiment_out {
        Effect::new(move |_| out.set(known.with(|k| k.as_ref().and_then(|v| v.experiment.clone()))));
    }
    let axes = RwSignal::new(None::<Vec<String>>);
    let metric = RwSignal::new(None::<String>);
    let color_by = RwSignal::new(None::<ColorBy>);
    let scatter_x = RwSignal::new(None::<Column>);
    let scatter_y = RwSignal::new(None::<String>);
    let x_scale = RwSignal::new(None::<bool>);
    let y_scale = RwSignal::new(None::<bool>);

    let chosen_axes = Memo::new(move |_| {
        axes.get().unwrap_or_else(|| {
            known.with(|k| {
                k.as_ref()
                    .map(|v| {
                        let pool = if v.varying_params.is_empty() {
                            &v.param_keys
                        } else {
                            &v.varying_params
                        };
                        pool.iter().take(DEFAULT_AXES).cloned().collect()
                    })
                    .unwrap_or_default()
            })
        })
    });
    let chosen_metric = Memo::new(move |_| {
        metric
            .get()
            .or_else(|| known.with(|k| k.as_ref().and_then(|v| default_metric(&v.metric_keys))))
    });
    let chosen_x = Memo::new(move |_| {
        scatter_x.get().or_else(|| {
            chosen_axes.with(|a| a.first().cloned()).map(Column::Param).or_else(|| {
                known
                    .with(|k| k.as_ref().and_then(|v| v.metric_keys.first().cloned()))
                    .map(Column::Metric)
            })
        })
    });
    let chosen_y = Memo::new(move |_| scatter_y.get().or_else(|| chosen_metric.get()));
    let columns = Memo::new(move |_| {
        let mut params = chosen_axes.get();
        let mut metrics: Vec<String> = chosen_metric.get().into_iter().chain(chosen_y.get()).collect();
        match chosen_x.get() {
            Some(Column::Param(k)) => params.push(k),
            Some(Column::Metric(k)) => metrics.push(k),
            None => {}
        }
        params.dedup();
        let mut seen = std::collections::HashSet::new();
        params.retain(|p| seen.insert(p.clone()));
        let mut seen = std::collections::HashSet::new();
        metrics.retain(|m| seen.insert(m.clone()));
        (params, metrics)
    });
    let table = LocalResource::new(move || {
        let (scope, (params, metrics), ready) = (scope.get(), columns.get(), known.with(Option::is_some));
        async move {
            if !ready {
                return None;
            }
            let answer = ipc::run_values(scope.request(params.clone(), metrics.clone())).await;
            Some(answer.map(|values| Table {
                params,
                metrics,
                values,
            }))
        }
    });
    let data = Memo::new(move |_| match table.get() {
        Some(Some(Ok(t))) => Some(t),
        _ => None,
    });

    let parallel = Memo::new(move |_| {
        let metric = chosen_metric.get()?;
        let axes = chosen_axes.get();
        data.with(|t| {
            let t = t.as_ref()?;
            let metric_column = Column::Metric(metric.clone());
            let values: Vec<Option<f64>> = (0..t.values.runs.len())
                .map(|i| {
                    t.cell(i, &metric_column)
                        .number()
                        .filter(|v| MetricValue(*v).is_finite_value())
                })
                .collect();
            let (lo, hi) = values
                .iter()
                .flatten()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
            let by = color_by.get().unwrap_or(if t.values.runs.len() > RUN_COLOURS_UP_TO {
                ColorBy::Metric
            } else {
                ColorBy::Run
            });
            let palette = RunPalette::of(t.values.runs.iter().map(|r| r.run_id.as_str()));
            let lines = t
                .values
                .runs
                .iter()
                .enumerate()
                .map(|(i, run)| ParallelLine {
                    label: RunLabel::new(&run.run_id, &run.run_name).name,
                    color: match (by, values[i]) {
                        (ColorBy::Run, _) => palette.color(&run.run_id),
                        (ColorBy::Metric, Some(v)) if hi > lo => gradient((v - lo) / (hi - lo)),
                        (ColorBy::Metric, Some(_)) => gradient(0.5),
                        (ColorBy::Metric, None) => NO_COLOUR,
                    },
                    cells: axes
                        .iter()
                        .map(|k| t.cell(i, &Column::Param(k.clone())))
                        .chain([t.cell(i, &metric_column)])
                        .collect(),
                })
                .collect();
            Some(Figure::Parallel(ParallelSpec {
                title: format!(
                    "{metric} by {}",
                    if axes.is_empty() {
                        "…".to_string()
                    } else {
                        axes.join(", ")
                    }
                ),
                axes: axes.iter().cloned().chain([metric.clone()]).collect(),
                lines,
                color_scale: (by == ColorBy::Metric && lo <= hi).then(|| ColorScale {
                    label: metric.clone(),
                    lo,
                    hi,
                }),
            }))
        })
    });
    let scatter_spec = Memo::new(move |_| {
        let (x, y) = (chosen_x.get()?, chosen_y.get()?);
        data.with(|t| {
            let t = t.as_ref()?;
            let y_column = Column::Metric(y.clone());
            let palette = RunPalette::of(t.values.runs.iter().map(|r| r.run_id.as_str()));
            Some(ScatterSpec {
                title: format!("{y} against {}", x.key()),
                x_label: x.key().to_string(),
                y_label: y.clone(),
                points: t
                    .values
                    .runs
                    .iter()
                    .enumerate()
                    .map(|(i, run)| ScatterPoint {
                        label: RunLabel::new(&run.run_id, &run.run_name).name,
                        color: palette.color(&run.run_id),
                        x: t.cell(i, &x),
                        y: t.cell(i, &y_column),
                    })
                    .collect(),
                x_log: x_scale.get(),
                y_log: y_scale.get(),
            })
        })
    });
    let scatter = Signal::derive(move || scatter_spec.get().map(Figure::Scatter));
    // The canvases wait for the values (an empty chart first would read as "no runs").
    let parallel_ready = Memo::new(move |_| parallel.with(Option::is_some));
    let scatter_runs = Memo::new(move |_| {
        data.with(|t| {
            t.iter()
                .flat_map(|t| &t.values.runs)
                .map(|r| (r.experiment_id.clone(), r.run_id.clone()))
                .collect::<Vec<_>>()
        })
    });

    let error = move || -> Option<ApiError> {
        match (keys.get(), table.get()) {
            (Some(Err(e)), _) | (_, Some(Some(Err(e)))) => Some(e),
            _ => None,
        }
    };
    let run_count = move || known.with(|k| k.as_ref().map_or(0, |v| v.runs.len()));
    view! {
        <div class="run-plots" id="run-plots">
            {move || error().map(|error| view! { <ErrorBanner error /> })}
            {move || match known.get() {
                None => view! { <p class="muted">"Reading the runs…"</p> }.into_any(),
                Some(v) if v.runs.is_empty() => view! { <p class="muted">"No runs to plot."</p> }.into_any(),
                Some(v) => {
                    let (param_keys, metric_keys) = (v.param_keys.clone(), v.metric_keys.clone());
                    let metric_options = metric_keys.clone();
                    view! {
                        <p class="muted plot-note">{format!("{} runs", format::count(run_count()))}</p>
                        <section class="card plot-card" id="parallel-card">
                            <header class="card-head plot-controls">
                                <h2>"Parallel coordinates"</h2>
                                <AxisPicker keys=param_keys.clone() chosen=chosen_axes axes />
                                <label>"metric"
                                    <select id="parallel-metric" on:change=move |ev| metric.set(Some(event_target_value(&ev)))>
                                        {metric_options.iter().map(|k| {
                                            let k2 = k.clone();
                                            view! { <option value=k.clone() selected=move || chosen_metric.get().as_deref() == Some(k2.as_str())>{k.clone()}</option> }
                                        }).collect_view()}
                                    </select>
                                </label>
                                <label>"colour"
                                    <select id="parallel-colour" on:change=move |ev| color_by.set(Some(if event_target_value(&ev) == "run" { ColorBy::Run } else { ColorBy::Metric }))>
                                        <option value="run" selected=move || matches!(color_by.get(), Some(ColorBy::Run)) || (color_by.get().is_none() && run_count() <= RUN_COLOURS_UP_TO)>"by run"</option>
                                        <option value="metric" selected=move || matches!(color_by.get(), Some(ColorBy::Metric)) || (color_by.get().is_none() && run_count() > RUN_COLOURS_UP_TO)>"by metric"</option>
                                    </select>
                                </label>
                                <span class="spacer"></span>
                                <ExportButtons figure=parallel />
                            </header>
                            <div class="plot-frame">
                                {move || if parallel_ready.get() {
                                    let figure = Signal::derive(move || parallel.get().unwrap_or_else(empty_parallel));
                                    view! { <FigureCanvas figure id="parallel-chart".to_string() /> }.into_any()
                                } else {
                                    view! { <p class="muted chart-message">"Reading the runs' values…"</p> }.into_any()
                                }}
                            </div>
                        </section>
                        <section class="card plot-card" id="scatter-card">
                            <header class="card-head plot-controls">
                                <h2>"Scatter"</h2>
                                <label>"across"
                                    <select id="scatter-x" on:change=move |ev| scatter_x.set(Column::parse(&event_target_value(&ev)))>
                                        <optgroup label="params">
                                            {param_keys.iter().map(|k| {
                                                let c = Column::Param(k.clone());
                                                let c2 = c.clone();
                                                view! { <option value=c.value() selected=move || chosen_x.get() == Some(c2.clone())>{k.clone()}</option> }
                                            }).collect_view()}
                                        </optgroup>
                                        <optgroup label="metrics">
                                            {metric_keys.iter().map(|k| {
                                                let c = Column::Metric(k.clone());
                                                let c2 = c.clone();
                                                view! { <option value=c.value() selected=move || chosen_x.get() == Some(c2.clone())>{k.clone()}</option> }
                                            }).collect_view()}
                                        </optgroup>
                                    </select>
                                    <ScaleSelect id="scatter-x-scale" choice=x_scale />
                                </label>
                                <label>"up"
                                    <select id="scatter-y" on:change=move |ev| scatter_y.set(Some(event_target_value(&ev)))>
                                        {metric_keys.iter().map(|k| {
                                            let k2 = k.clone();
                                            view! { <option value=k.clone() selected=move || chosen_y.get().as_deref() == Some(k2.as_str())>{k.clone()}</option> }
                                        }).collect_view()}
                                    </select>
                                    <ScaleSelect id="scatter-y-scale" choice=y_scale />
                                </label>
                                <span class="spacer"></span>
                                <ExportButtons figure=scatter />
                            </header>
                            <ScatterView spec=scatter_spec runs=scatter_runs />
                        </section>
                    }
                    .into_any()
                }
            }}
        </div>
    }
}

#[component]
fn ScaleSelect(id: &'static str, choice: RwSignal<Option<bool>>) -> impl IntoView {
    view! {
        <select id=id class="scale-select" title="Axis scale" on:change=move |ev| choice.set(scale_choice(&event_target_value(&ev)))>
            <option value="auto" selected=move || choice.get().is_none()>"auto"</option>
            <option value="linear" selected=move || choice.get() == Some(false)>"linear"</option>
            <option value="log" selected=move || choice.get() == Some(true)>"log"</option>
        </select>
    }
}

/// Which params are axes: a searchable list of checkboxes.
#[component]
fn AxisPicker(keys: Vec<String>, chosen: Memo<Vec<String>>, axes: RwSignal<Option<Vec<String>>>) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let all = keys.clone();
    let toggle = move |key: String, on: bool| {
        let mut now: Vec<String> = chosen.get_untracked();
        now.retain(|k| *k != key);
        if on {
            now.push(key);
        }
        // Axes keep the keys' order.
        let ordered: Vec<String> = all.iter().filter(|k| now.contains(k)).cloned().collect();
        axes.set(Some(ordered));
    };
    view! {
        <details class="axis-picker" id="parallel-axes">
            <summary>{move || match chosen.with(Vec::len) {
                1 => "1 param axis".to_string(),
                n => format!("{n} param axes"),
            }}</summary>
            <div class="axis-menu">
                <input type="search" placeholder="Search params" autocomplete="off" spellcheck="false"
                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                <div class="axis-options">
                    {keys.into_iter().map(|key| {
                        let (k1, k2, k3, k4) = (key.clone(), key.clone(), key.clone(), key.clone());
                        let toggle = toggle.clone();
                        view! {
                            <label class="axis-option" data-key=k4
                                class:hidden=move || !key_matches(&k3, &search.get())>
                                <input type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&k1))
                                    on:change=move |ev| toggle(k2.clone(), event_target_checked(&ev)) />
                                <span>{key}</span>
                            </label>
                        }
                    }).collect_view()}
                </div>
            </div>
        </details>
    }
}

/// The scatter with its pointer: the nearest run's name and values, and a click opens it.
#[component]
fn ScatterView(
    #[prop(into)] spec: Signal<Option<ScatterSpec>>,
    /// Each point's (experiment id, run id), in the points' order.
    #[prop(into)]
    runs: Signal<Vec<(String, String)>>,
) -> impl IntoView {
    let drawn = RwSignal::new(None::<Drawn>);
    let pointer = RwSignal::new(None::<(f64, f64)>);
    let boxed = NodeRef::<html::Div>::new();
    let layout = Memo::new(move |_| spec.with(|s| s.as_ref().map(layout_scatter)));
    let ready = Memo::new(move |_| spec.with(Option::is_some));
    let hit = Memo::new(move |_| {
        let (x, y) = pointer.get()?;
        let d = drawn.get()?;
        let frame = d.frame?;
        layout.with(|l| nearest(l.as_ref()?, &frame, (x * d.ratio, y * d.ratio), 9.0 * d.ratio))
    });
    let navigate = use_navigate();
    let figure = Signal::derive(move || {
        Figure::Scatter(spec.get().unwrap_or(ScatterSpec {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            points: vec![],
            x_log: None,
            y_log: None,
        }))
    });
    let local = move |ev: &MouseEvent| -> Option<(f64, f64)> {
        let rect = boxed.get_untracked()?.get_bounding_client_rect();
        Some((
            f64::from(ev.client_x()) - rect.left(),
            f64::from(ev.client_y()) - rect.top(),
        ))
    };
    let open = move |_| {
        let Some(i) = hit.get_untracked() else { return };
        if let Some((experiment_id, run_id)) = runs.with_untracked(|r| r.get(i).cloned()) {
            navigate(&routes::run_path(&experiment_id, &run_id), Default::default());
        }
    };
    let tooltip = move || {
        let i = hit.get()?;
        let (x, y) = pointer.get()?;
        let point = spec.with(|s| s.as_ref().and_then(|s| s.points.get(i).cloned()))?;
        let (x_label, y_label) = spec.with(|s| s.as_ref().map(|s| (s.x_label.clone(), s.y_label.clone())))?;
        let flip = drawn.get().is_some_and(|d| x > d.width - 260.0);
        Some(view! {
            <div class="chart-tooltip" class:flip=flip role="status" style:left=format!("{x}px") style:top=format!("{}px", y + 14.0)>
                <div class="hover-x">
                    <span class="swatch" style:background-color=point.color.hex()></span>
                    <span class="hover-name">{point.label}</span>
                </div>
                <ul>
                    <li><span class="hover-name">{x_label}</span><span class="hover-value">{point.x.text()}</span></li>
                    <li><span class="hover-name">{y_label}</span><span class="hover-value">{point.y.text()}</span></li>
                </ul>
                <div class="hover-extra">"click to open the run"</div>
            </div>
        })
    };
    view! {
        <div class="plot-frame chart-box" class:pointing=move || hit.get().is_some() node_ref=boxed
            on:mousemove=move |ev| pointer.set(local(&ev))
            on:mouseleave=move |_| pointer.set(None)
            on:click=open>
            {move || if ready.get() {
                view! { <FigureCanvas figure id="scatter-chart".to_string() drawn /> }.into_any()
            } else {
                view! { <p class="muted chart-message">"Reading the runs' values…"</p> }.into_any()
            }}
            {tooltip}
        </div>
    }
}

/// Every active run of an experiment as parallel coordinates and a scatter.
#[component]
pub fn ExperimentPlotsPage(#[prop(into)] experiment_id: Signal<String>) -> impl IntoView {
    let experiment = RwSignal::new(None::<Experiment>);
    let scope = Signal::derive(move || Scope::Experiment(experiment_id.get()));
    let back = move || routes::experiment_path(&experiment_id.get());
    let name = move || {
        experiment
            .with(|e| e.as_ref().map(|e| e.name.clone()))
            .unwrap_or_else(|| experiment_id.get())
    };
    view! {
        <div class="experiment-plots-page" id="experiment-plots">
            <nav class="chart-back"><a href=back>"← " {name}</a></nav>
            <h1 class="chart-title">{move || format!("{} — runs plotted", name())}</h1>
            <RunPlots scope experiment_out=experiment />
        </div>
    }
}
