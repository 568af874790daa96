//! The app's places as URL paths (leptos_router): back/forward walk them and the last one is
//! remembered for the next start. Build links only with these functions.
//!
//! - `/` the store's overview
//! - `/experiments/:experiment_id` its runs
//! - `/experiments/:experiment_id/runs/:run_id` one run (`?artifact=<path>` selects an artifact)
//! - `/experiments/:experiment_id/runs/:run_id/chart?metric=<key>` one metric of that run
//! - `/experiments/:experiment_id/runs/:run_id/tables?table=<path>` that run's tables
//! - `/experiments/:experiment_id/tables?runs=<id,id>&table=<path>&key=<column>` a table across runs
//! - `/experiments/:experiment_id/traces` its traces, `/experiments/:experiment_id/traces/:trace_id` one
//! - `/experiments/:experiment_id/runs/:run_id/metrics` every metric of that run as charts
//! - `/experiments/:experiment_id/plots` the experiment's runs as parallel coordinates and scatter
//! - `/compare?runs=<id>,<id>...&tab=<charts|table|plots>` runs side by side
//! - `/reviews` the saved reviews, `/reviews/:review_id` one review,
//!   `/reviews/:review_id/present?slide=<n>` presenting it (slides count from 1)

fn encode(part: &str) -> String {
    String::from(js_sys::encode_uri_component(part))
}

pub fn experiment_path(experiment_id: &str) -> String {
    format!("/experiments/{}", encode(experiment_id))
}

pub fn run_path(experiment_id: &str, run_id: &str) -> String {
    format!("{}/runs/{}", experiment_path(experiment_id), encode(run_id))
}

pub fn artifact_path(experiment_id: &str, run_id: &str, artifact: &str) -> String {
    format!("{}?artifact={}", run_path(experiment_id, run_id), encode(artifact))
}

/// A run's tables, one of them open.
pub fn run_tables_path(experiment_id: &str, run_id: &str, table: Option<&str>) -> String {
    let base = format!("{}/tables", run_path(experiment_id, run_id));
    match table {
        Some(t) => format!("{base}?table={}", encode(t)),
        None => base,
    }
}

/// One table across runs (the review-meeting view).
pub fn compare_tables_path(experiment_id: &str, run_ids: &[String], table: Option<&str>, key: Option<&str>) -> String {
    let mut path = format!(
        "{}/tables?runs={}",
        experiment_path(experiment_id),
        encode(&run_ids.join(","))
    );
    for (name, value) in [("table", table), ("key", key)] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            path.push_str(&format!("&{name}={}", encode(v)));
        }
    }
    path
}

pub fn traces_path(experiment_id: &str) -> String {
    format!("{}/traces", experiment_path(experiment_id))
}

pub fn trace_path(experiment_id: &str, trace_id: &str) -> String {
    format!("{}/{}", traces_path(experiment_id), encode(trace_id))
}

pub fn metric_chart_path(experiment_id: &str, run_id: &str, metric_key: &str) -> String {
    format!(
        "{}/chart?metric={}",
        run_path(experiment_id, run_id),
        encode(metric_key)
    )
}

pub fn run_metrics_path(experiment_id: &str, run_id: &str) -> String {
    format!("{}/metrics", run_path(experiment_id, run_id))
}

pub fn experiment_plots_path(experiment_id: &str) -> String {
    format!("{}/plots", experiment_path(experiment_id))
}

/// The compare view of these runs, in this order, on one of its tabs (`None`: the first).
pub fn compare_path(run_ids: &[String], tab: Option<&str>) -> String {
    let ids: Vec<String> = run_ids.iter().map(|id| encode(id)).collect();
    match tab {
        Some(tab) => format!("/compare?runs={}&tab={}", ids.join(","), encode(tab)),
        None => format!("/compare?runs={}", ids.join(",")),
    }
}

pub fn reviews_path() -> String {
    "/reviews".into()
}

pub fn review_path(review_id: &str) -> String {
    format!("/reviews/{}", encode(review_id))
}

/// Presenting a review, at slide `slide` (from 1).
pub fn present_path(review_id: &str, slide: usize) -> String {
    format!("{}/present?slide={slide}", review_path(review_id))
}

/// The run ids of a compare view's query string, in order, each once.
pub fn compared_runs(search: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in query_value(search, "runs").unwrap_or_default().split(',') {
        let id = id.trim();
        if !id.is_empty() && !ids.iter().any(|seen| seen == id) {
            ids.push(id.to_string());
        }
    }
    ids
}

/// The experiment a path is about (`/experiments/<id>...`), for the sidebar's selection.
pub fn experiment_in_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/experiments/")?;
    let id = rest.split('/').next().filter(|s| !s.is_empty())?;
    js_sys::decode_uri_component(id).ok().map(String::from)
}

/// How the runs table asks the store for runs; kept in the URL so back/forward and restarts
/// return to the same view.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RunsQuery {
    /// An MLflow filter as applied (it parsed).
    pub filter: Option<String>,
    /// The quick name search.
    pub name: Option<String>,
    /// One MLflow `order_by` clause, e.g. ``metrics.`loss` ASC``.
    pub sort: Option<String>,
    pub view: runlens_core::ViewType,
}

impl RunsQuery {
    /// Reads the query from a raw query string (`location.search`).
    pub fn from_search(search: &str) -> RunsQuery {
        let text = |key: &str| query_value(search, key).filter(|v| !v.trim().is_empty());
        RunsQuery {
            filter: text("filter"),
            name: text("name"),
            sort: text("sort"),
            view: text("view")
                .and_then(|v| runlens_core::ViewType::parse(&v))
                .unwrap_or_default(),
        }
    }

    /// The path of this query on an experiment's runs.
    pub fn path(&self, experiment_id: &str) -> String {
        let mut pairs = Vec::new();
        for (key, value) in [("filter", &self.filter), ("name", &self.name), ("sort", &self.sort)] {
            if let Some(v) = value {
                pairs.push(format!("{key}={}", encode(v)));
            }
        }
        if self.view != runlens_core::ViewType::ActiveOnly {
            pairs.push(format!("view={}", self.view.as_str()));
        }
        let base = experiment_path(experiment_id);
        if pairs.is_empty() {
            base
        } else {
            format!("{base}?{}", pairs.join("&"))
        }
    }

    /// The filter sent to the store: the typed filter and the name search, joined by AND
    /// (MLflow's grammar has no parentheses, only AND).
    pub fn store_filter(&self) -> Option<String> {
        let name = self.name.as_deref().map(|n| {
            let pattern = format!("%{n}%");
            let literal = if !pattern.contains('\'') {
                format!("'{pattern}'")
            } else if !pattern.contains('"') {
                format!("\"{pattern}\"")
            } else {
                format!("'{}'", pattern.replace('\'', "''"))
            };
            format!("attributes.run_name ILIKE {literal}")
        });
        match (self.filter.clone(), name) {
            (Some(f), Some(n)) => Some(format!("{f} AND {n}")),
            (f, n) => f.or(n),
        }
    }
}

thread_local! {
    /// The runs view of each experiment as last shown (with its query), for going back up.
    static LAST_RUNS_PATH: std::cell::RefCell<std::collections::HashMap<String, String>> = Default::default();
}

/// Remembers how an experiment's runs were last shown.
pub fn remember_runs_path(experiment_id: &str, path: String) {
    LAST_RUNS_PATH.with(|m| m.borrow_mut().insert(experiment_id.to_string(), path));
}

/// The place one level up from `path`: a chart or a run's charts → its run → its experiment's
/// runs (as last shown); an experiment's plots → its runs; a presentation → its review → the
/// reviews.
/// `None` at an experiment or the overview.
pub fn up_from(path: &str) -> Option<String> {
    // Reviews (#10): presenting → the review → the reviews.
    if let Some(rest) = path.strip_prefix("/reviews/") {
        return Some(match rest.strip_suffix("/present") {
            Some(review) => format!("/reviews/{review}"),
            None => reviews_path(),
        });
    }
    // LLM places (#8): a run's tables → the run; a trace → the traces; the traces or a table
    // across runs → the experiment's runs.
    if let Some(run) = path.strip_suffix("/tables").filter(|p| p.contains("/runs/")) {
        return Some(run.to_string());
    }
    if let Some((traces, _trace)) = path.split_once("/traces/") {
        return Some(format!("{traces}/traces"));
    }
    if let Some(experiment_part) = path.strip_suffix("/traces").or_else(|| path.strip_suffix("/tables")) {
        let experiment_id = experiment_in_path(experiment_part)?;
        let remembered = LAST_RUNS_PATH.with(|m| m.borrow().get(&experiment_id).cloned());
        return Some(remembered.unwrap_or_else(|| experiment_path(&experiment_id)));
    }
    if let Some(run) = path.strip_suffix("/chart").or_else(|| path.strip_suffix("/metrics")) {
        return Some(run.to_string());
    }
    if let Some(experiment_part) = path.strip_suffix("/plots") {
        let experiment_id = experiment_in_path(experiment_part)?;
        let remembered = LAST_RUNS_PATH.with(|m| m.borrow().get(&experiment_id).cloned());
        return Some(remembered.unwrap_or_else(|| experiment_path(&experiment_id)));
    }
    let (experiment_part, _run) = path.split_once("/runs/")?;
    let experiment_id = experiment_in_path(experiment_part)?;
    let remembered = LAST_RUNS_PATH.with(|m| m.borrow().get(&experiment_id).cloned());
    Some(remembered.unwrap_or_else(|| experiment_path(&experiment_id)))
}

/// One value of a raw query string (`?a=1&b=x%20y`), decoded once. (leptos_router's own query
/// map decodes values twice, which breaks values holding `%`, as LIKE filters do.)
pub fn query_value(search: &str, key: &str) -> Option<String> {
    web_sys::UrlSearchParams::new_with_str(search).ok()?.get(key)
}
