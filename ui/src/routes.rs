//! The app's places as URL paths (leptos_router): back/forward walk them and the last one is
//! remembered for the next start. Build links only with these functions.
//!
//! - `/` the store's overview
//! - `/experiments/:experiment_id` its runs
//! - `/experiments/:experiment_id/runs/:run_id` one run (`?artifact=<path>` selects an artifact)
//! - `/experiments/:experiment_id/runs/:run_id/chart?metric=<key>` one metric of that run

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

pub fn metric_chart_path(experiment_id: &str, run_id: &str, metric_key: &str) -> String {
    format!(
        "{}/chart?metric={}",
        run_path(experiment_id, run_id),
        encode(metric_key)
    )
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

/// The place one level up from `path`: a chart → its run → its experiment's runs (as last shown).
/// `None` at an experiment or the overview.
pub fn up_from(path: &str) -> Option<String> {
    if let Some(run) = path.strip_suffix("/chart") {
        return Some(run.to_string());
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
