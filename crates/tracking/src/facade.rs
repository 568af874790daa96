//! [`Tracking`]: the store chosen from a URI, plus the operations that are the same for every
//! store (projects, run trees, sampled histories, tables).

use crate::connect::ConnectOptions;
use crate::error::Result;
use crate::preview::size_text;
use crate::store::Store;
use crate::uri::{parse_location, Location};
use runlens_core::ipc::{MetricSummary, RunDetail, RunRef, StoreKind};
use runlens_core::project::{group_into_projects, Project};
use runlens_core::request::*;
use runlens_core::sampling::{SampledSeries, StepRange};
use runlens_core::tree::{build_run_tree, RunNode};
use runlens_core::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::ops::Deref;
use std::sync::Arc;

/// Most children a run's detail lists (a sweep's parent can have thousands; the runs table shows
/// them all).
const MAX_CHILDREN: usize = 500;
/// How many metric histories [`Tracking::sampled_histories`] reads at once.
const PARALLEL_HISTORIES: usize = 4;
/// Points sampled per metric for a run's summary: enough to find the exact range (sampling keeps
/// every bucket's extremes) while a 100,000-step history stays cheap to send.
const SUMMARY_POINTS: usize = 64;

/// An open MLflow store. Cheap to clone; every clone talks to the same store.
#[derive(Clone)]
pub struct Tracking {
    store: Arc<dyn Store>,
    /// Parsed tables of this store's runs (see `tables.rs`).
    pub(crate) tables: Arc<crate::tables::TableCache>,
}

impl Deref for Tracking {
    type Target = dyn Store;
    fn deref(&self) -> &Self::Target {
        self.store.as_ref()
    }
}

/// A `log_table` table: MLflow's pandas "split" JSON without the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub data: Vec<Vec<serde_json::Value>>,
}

impl Tracking {
    /// Opens the store a URI or path names (see [`parse_location`]). Local stores are checked at
    /// once (is it an MLflow store, which version); a server is first contacted by the first call.
    pub async fn open(uri: &str, options: &ConnectOptions) -> Result<Tracking> {
        let location = parse_location(uri)?;
        let store: Arc<dyn Store> = match location {
            Location::Sqlite(path) => Arc::new(crate::sqlite::SqliteStore::open(&path).await?),
            Location::File(path) => {
                let store = tokio::task::spawn_blocking(move || crate::file::FileStore::open(&path))
                    .await
                    .map_err(|e| ApiError::internal(format!("opening the file store failed: {e}")))??;
                Arc::new(store)
            }
            Location::Rest(url) => Arc::new(crate::rest::RestStore::new(url, options.clone())?),
        };
        Ok(Tracking::from_store(store))
    }

    pub fn from_store(store: Arc<dyn Store>) -> Tracking {
        Tracking {
            store,
            tables: Default::default(),
        }
    }

    pub fn kind(&self) -> StoreKind {
        self.store.kind()
    }

    /// Every experiment matching the search, across all pages.
    pub async fn all_experiments(&self, req: &SearchExperiments) -> Result<Vec<Experiment>> {
        every_page(req.page.page_token.clone(), |token| {
            let (store, mut req) = (self.store.clone(), req.clone());
            req.page.page_token = token;
            async move { store.search_experiments(&req).await }
        })
        .await
    }

    /// Every run matching the search, across all pages (of MLflow's largest size).
    pub async fn all_runs(&self, req: &SearchRuns) -> Result<Vec<Run>> {
        every_page(req.page.page_token.clone(), |token| {
            let (store, mut req) = (self.store.clone(), req.clone());
            req.page.page_token = token;
            req.page.max_results.get_or_insert(PageRequest::MAX_LIMIT);
            async move { store.search_runs(&req).await }
        })
        .await
    }

    /// Every registered model matching the search, across all pages.
    pub async fn all_registered_models(&self, req: &SearchModels) -> Result<Vec<RegisteredModel>> {
        every_page(req.page.page_token.clone(), |token| {
            let (store, mut req) = (self.store.clone(), req.clone());
            req.page.page_token = token;
            async move { store.search_registered_models(&req).await }
        })
        .await
    }

    /// Experiments grouped into projects (`__maxai_project__`, then `project`, else Unassigned).
    pub async fn projects(&self, view_type: ViewType, name_filter: Option<&str>) -> Result<Vec<Project>> {
        let req = SearchExperiments {
            view_type,
            filter: None,
            order_by: vec!["name ASC".into()],
            page: PageRequest::default(),
        };
        let mut experiments = self.all_experiments(&req).await?;
        // Matched here, not in a filter string: quotes and `%` in names mean the same on every store.
        if let Some(needle) = name_filter.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()) {
            experiments.retain(|e| e.name.to_lowercase().contains(&needle));
        }
        Ok(group_into_projects(experiments))
    }

    /// The runs matching a search as a forest (children under `mlflow.parentRunId`, any depth).
    /// Ancestors of matching runs are included so a matching child is shown in place.
    pub async fn run_tree(&self, req: &SearchRuns) -> Result<Vec<RunNode>> {
        let mut runs = self.all_runs(req).await?;
        let ancestors = self.ancestors_of(&runs).await?;
        runs.extend(ancestors);
        Ok(build_run_tree(runs))
    }

    /// The parents, grandparents and so on of `runs` that are not among them, each once, in the
    /// order found. A parent that was purged is skipped: its children are then shown as roots.
    pub async fn ancestors_of(&self, runs: &[Run]) -> Result<Vec<Run>> {
        let mut have: HashSet<String> = runs.iter().map(|r| r.info.run_id.clone()).collect();
        let mut wanted: Vec<String> = Vec::new();
        for parent in runs.iter().filter_map(Run::parent_run_id) {
            if !have.contains(parent) && !wanted.iter().any(|w| w == parent) {
                wanted.push(parent.to_string());
            }
        }
        wanted.reverse(); // popped from the end: first parent first
        let mut found = Vec::new();
        while let Some(parent) = wanted.pop() {
            if !have.insert(parent.clone()) {
                continue;
            }
            let run = match self.store.get_run(&parent).await {
                Ok(run) => run,
                Err(e) if e.code() == ErrorCode::NotFound => continue,
                Err(e) => return Err(e),
            };
            if let Some(grandparent) = run.parent_run_id().filter(|g| !have.contains(*g)) {
                wanted.push(grandparent.to_string());
            }
            found.push(run);
        }
        Ok(found)
    }

    /// A run with what its detail page shows: its experiment, its parent (marked missing when
    /// `mlflow.parentRunId` names a run the store does not have), its direct children oldest
    /// first, and each metric's latest value with the range of its whole history.
    pub async fn run_detail(&self, run_id: &str) -> Result<RunDetail> {
        let run = self.store.get_run(run_id).await?;
        let experiment = self.store.get_experiment(&run.info.experiment_id).await?;
        let parent = match run.parent_run_id() {
            None => None,
            Some(parent_id) => Some(match self.store.get_run(parent_id).await {
                Ok(parent) => run_ref(&parent),
                Err(e) if e.code() == ErrorCode::NotFound => RunRef {
                    run_id: parent_id.to_string(),
                    run_name: String::new(),
                    status: None,
                    lifecycle_stage: None,
                    missing: true,
                },
                Err(e) => return Err(e),
            }),
        };
        let children_page = self
            .store
            .search_runs(&SearchRuns {
                experiment_ids: vec![run.info.experiment_id.clone()],
                // A quote in a string literal is written twice.
                filter: Some(format!(
                    "tags.`{}` = '{}'",
                    tag::PARENT_RUN_ID,
                    run.info.run_id.replace('\'', "''")
                )),
                view_type: ViewType::All,
                order_by: vec!["attributes.start_time ASC".into()],
                page: PageRequest {
                    max_results: Some(MAX_CHILDREN),
                    page_token: None,
                },
            })
            .await?;
        let more_children = children_page.next_page_token.is_some();
        let children = children_page.items.iter().map(run_ref).collect();
        let metrics = self
            .metric_summaries(std::slice::from_ref(&run))
            .await?
            .pop()
            .unwrap_or_default();
        Ok(RunDetail {
            run,
            experiment,
            parent,
            children,
            more_children,
            metrics,
        })
    }

    /// Each run's metrics, ordered by key: the latest value and the exact range of the whole
    /// history. All the runs' histories are read in one batch, a few at a time.
    pub async fn metric_summaries(&self, runs: &[Run]) -> Result<Vec<Vec<MetricSummary>>> {
        let pairs: Vec<(String, String)> = runs
            .iter()
            .flat_map(|run| {
                run.data
                    .metrics
                    .iter()
                    .map(|m| (run.info.run_id.clone(), m.key.clone()))
            })
            .collect();
        let mut series = self.sample_pairs(pairs, SUMMARY_POINTS, None).await?.into_iter();
        let mut out = Vec::with_capacity(runs.len());
        for run in runs {
            let mut metrics: Vec<MetricSummary> = run
                .data
                .metrics
                .iter()
                .zip(series.by_ref())
                .map(|(latest, series)| {
                    // Sampling keeps each bucket's smallest and largest finite value, so the range
                    // of a sample is the range of the whole history.
                    let finite = series
                        .points
                        .iter()
                        .filter(|p| p.value.is_finite_value())
                        .map(|p| p.value.get());
                    let (min, max) = finite.fold((None, None), |(lo, hi): (Option<f64>, Option<f64>), v| {
                        (Some(lo.map_or(v, |lo| lo.min(v))), Some(hi.map_or(v, |hi| hi.max(v))))
                    });
                    MetricSummary {
                        key: latest.key.clone(),
                        latest: latest.value,
                        step: latest.step,
                        timestamp: latest.timestamp,
                        min,
                        max,
                        points: series.total_points,
                    }
                })
                .collect();
            metrics.sort_by(|a, b| a.key.cmp(&b.key));
            out.push(metrics);
        }
        Ok(out)
    }

    /// A whole artifact, for saving elsewhere: refused when it is larger than `limit` bytes
    /// (checked from the listing before anything is read, when the store lists sizes).
    pub async fn read_whole_artifact(&self, run_id: &str, path: &str, limit: u64) -> Result<ArtifactContent> {
        let too_large = |size: Option<u64>| {
            ApiError::invalid(format!(
                "{path} is {}; Runlens saves artifacts of at most {}: \
                 download it with `mlflow artifacts download` instead",
                size_text(size, limit as usize + 1),
                size_text(Some(limit), 0)
            ))
        };
        let parent = path.trim_matches('/').rsplit_once('/').map(|(dir, _)| dir);
        if let Ok(listing) = self.store.list_artifacts(run_id, parent).await {
            let listed = listing
                .iter()
                .find(|f| f.path.trim_matches('/') == path.trim_matches('/'));
            if let Some(size) = listed.and_then(|f| f.file_size).filter(|s| *s > limit) {
                return Err(too_large(Some(size)).into());
            }
        }
        let content = self.store.read_artifact(run_id, path, limit).await?;
        if content.truncated {
            return Err(too_large(content.total_size).into());
        }
        Ok(content)
    }

    /// Sampled histories for many runs and metrics at once: at most `max_points` points per
    /// series, keeping first, last, extremes and non-finite markers. Series come back in the
    /// order asked (runs, then keys within a run); the first failure in that order is the error.
    pub async fn sampled_histories(
        &self,
        run_ids: &[String],
        keys: &[String],
        max_points: usize,
    ) -> Result<Vec<SampledSeries>> {
        self.sampled_histories_in(run_ids, keys, max_points, None).await
    }

    /// [`Tracking::sampled_histories`] of only the steps in `steps` when given (a zoomed chart):
    /// each series then holds up to `max_points` points of that range, and `total_points`
    /// counts the points in it.
    pub async fn sampled_histories_in(
        &self,
        run_ids: &[String],
        keys: &[String],
        max_points: usize,
        steps: Option<StepRange>,
    ) -> Result<Vec<SampledSeries>> {
        let pairs = run_ids
            .iter()
            .flat_map(|run_id| keys.iter().map(move |key| (run_id.clone(), key.clone())))
            .collect();
        self.sample_pairs(pairs, max_points, steps).await
    }

    /// One sampled series per (run, key) pair, in the order given; the first failure in that
    /// order is the error.
    async fn sample_pairs(
        &self,
        pairs: Vec<(String, String)>,
        max_points: usize,
        steps: Option<StepRange>,
    ) -> Result<Vec<SampledSeries>> {
        // Histories are read a few at a time side by side: the SQLite store reads on several
        // connections, a server answers several requests at once.
        let slots = Arc::new(tokio::sync::Semaphore::new(PARALLEL_HISTORIES));
        let mut tasks = tokio::task::JoinSet::new();
        let count = pairs.len();
        for (index, (run_id, key)) in pairs.into_iter().enumerate() {
            let (store, slots) = (self.store.clone(), slots.clone());
            tasks.spawn(async move {
                // The semaphore is never closed, so acquiring only waits.
                let _slot = slots.acquire_owned().await.ok();
                let series = match steps {
                    Some(steps) => store.sampled_history_in(&run_id, &key, max_points, steps).await,
                    None => store.sampled_history(&run_id, &key, max_points).await,
                };
                (index, series)
            });
        }
        let mut results: Vec<Option<Result<SampledSeries>>> = (0..count).map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            let (index, series) =
                joined.map_err(|e| ApiError::internal(format!("reading a metric history failed: {e}")))?;
            results[index] = Some(series);
        }
        results.into_iter().flatten().collect()
    }

    /// Logs a text artifact.
    pub async fn log_text(&self, run_id: &str, path: &str, text: &str) -> Result<()> {
        self.store.write_artifact(run_id, path, text.as_bytes()).await
    }

    /// Logs a table as MLflow's `log_table` does: rows are appended to an existing table of the
    /// same columns, and the run tag `mlflow.loggedArtifacts` lists the file as a table.
    pub async fn log_table(&self, run_id: &str, path: &str, table: &Table) -> Result<()> {
        const MAX_TABLE_BYTES: u64 = 512 * 1024 * 1024;
        let mut merged = table.clone();
        // Only a missing table starts afresh: any other failure must not overwrite existing rows.
        match self.store.read_artifact(run_id, path, MAX_TABLE_BYTES).await {
            Ok(existing) => {
                if existing.truncated {
                    return Err(ApiError::invalid(format!(
                        "table {path} is larger than {MAX_TABLE_BYTES} bytes; Runlens will not rewrite it"
                    ))
                    .into());
                }
                let old: Table = serde_json::from_slice(&existing.bytes).map_err(|e| {
                    ApiError::invalid(format!(
                        "{path} exists but is not a log_table table; it was left as it is"
                    ))
                    .with_detail(e.to_string())
                })?;
                if old.columns != table.columns {
                    return Err(ApiError::invalid(format!(
                        "table {path} already exists with columns {:?}; new rows have {:?}",
                        old.columns, table.columns
                    ))
                    .into());
                }
                merged.data = old.data.into_iter().chain(table.data.iter().cloned()).collect();
            }
            Err(e) if e.code() == ErrorCode::NotFound => {}
            Err(e) => return Err(e),
        }
        let json = serde_json::to_vec(&merged).map_err(|e| ApiError::internal(e.to_string()))?;
        self.store.write_artifact(run_id, path, &json).await?;
        let run = self.store.get_run(run_id).await?;
        let mut listed: Vec<BTreeMap<String, String>> = run
            .data
            .tags
            .get(tag::LOGGED_ARTIFACTS)
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or_default();
        if !listed.iter().any(|e| e.get("path").map(String::as_str) == Some(path)) {
            listed.push(BTreeMap::from([
                ("path".into(), path.into()),
                ("type".into(), "table".into()),
            ]));
            let value = serde_json::to_string(&listed).map_err(|e| ApiError::internal(e.to_string()))?;
            let batch = LogBatch {
                tags: vec![(tag::LOGGED_ARTIFACTS.into(), value)],
                ..Default::default()
            };
            self.store.log_batch(run_id, &batch).await?;
        }
        Ok(())
    }
}

/// Fetches pages from `first` on, following `next_page_token` until the last page.
async fn every_page<T, Fut>(first: Option<String>, mut fetch: impl FnMut(Option<String>) -> Fut) -> Result<Vec<T>>
where
    Fut: std::future::Future<Output = Result<Page<T>>>,
{
    let (mut all, mut token) = (Vec::new(), first);
    loop {
        let page = fetch(token.take()).await?;
        all.extend(page.items);
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return Ok(all),
        }
    }
}

/// How a detail page names another run.
fn run_ref(run: &Run) -> RunRef {
    RunRef {
        run_id: run.info.run_id.clone(),
        run_name: run.info.run_name.clone(),
        status: Some(run.info.status),
        lifecycle_stage: Some(run.info.lifecycle_stage),
        missing: false,
    }
}

#[cfg(test)]
mod tests;
