//! The REST store: an MLflow tracking server reached over its REST API (`/api/2.0/mlflow/...`),
//! at a base URL that may carry a path prefix.
//!
//! [`client`] does the HTTP (credentials, retries, error mapping), [`proto`] holds MLflow's JSON
//! shapes, [`convert`] turns them into core types, [`artifacts`] handles run artifacts. Paging is
//! MLflow's own: `max_results` and `page_token` go to the server as given and its
//! `next_page_token` comes back unchanged.

mod artifacts;
pub(crate) mod client;
mod convert;
mod logged_models;
mod proto;
mod traces;

#[cfg(test)]
mod tests;

use crate::connect::ConnectOptions;
use crate::error::{Result, TrackingError};
use crate::store::Store;
use async_trait::async_trait;
use client::Client;
use reqwest::Method;
use runlens_core::ipc::StoreKind;
use runlens_core::request::*;
use runlens_core::sampling::{sample_points, sample_points_in, Point, SampledSeries, StepRange};
use runlens_core::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

/// MLflow's limits on one `runs/log-batch` request.
const BATCH_MAX_ENTITIES: usize = 1000;
const BATCH_MAX_PARAMS_OR_TAGS: usize = 100;
/// `registered-models/search` refuses more than this per page.
const MODELS_PAGE_LIMIT: usize = 1000;
/// MLflow's client asks for this many registered models per page when not told otherwise.
const MODELS_PAGE_DEFAULT: usize = 100;
/// The page size used to list all versions of one model.
const VERSIONS_PAGE: usize = 10_000;
/// The most points per run `metrics/get-history-bulk-interval` answers (MLflow's
/// `MAX_RESULTS_PER_RUN`).
const BULK_INTERVAL_MAX: usize = 2500;

/// A store behind an MLflow tracking server.
pub struct RestStore {
    client: Client,
    /// run id → artifact URI, which never changes for a run.
    artifact_roots: Mutex<HashMap<String, String>>,
}

impl fmt::Debug for RestStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestStore")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl RestStore {
    /// Prepares a store for the server at `base` (e.g. `https://host/mlflow`); no request is made
    /// until the first call. Fails only on a URL that cannot name a server.
    pub fn new(base: url::Url, options: ConnectOptions) -> Result<RestStore> {
        Ok(RestStore {
            client: Client::new(base, options)?,
            artifact_roots: Mutex::new(HashMap::new()),
        })
    }

    fn missing(&self, what: &str, endpoint: &str) -> ApiError {
        ApiError::new(
            ErrorCode::ServerError,
            format!(
                "the server at {} answered {endpoint} without {what}",
                self.client.shown()
            ),
        )
    }

    async fn run_info_of(&self, run_id: &str) -> Result<RunInfo> {
        Ok(self.get_run(run_id).await?.info)
    }
}

/// Drops `null` members so MLflow never sees a field it would have to ignore.
fn compact(mut body: Value) -> Value {
    proto::strip_nulls(&mut body);
    body
}

fn tag_list<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<Value> {
    pairs.into_iter().map(|(k, v)| json!({"key": k, "value": v})).collect()
}

fn non_empty(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

use crate::now_ms;

/// A filter matching one model name exactly. MLflow's filter strings have no escape for `'`;
/// a name containing one (or a backslash) is matched with `LIKE`, `_` standing for those
/// characters, and the caller keeps only exact matches.
fn name_filter(name: &str) -> String {
    if name.contains(['\'', '\\']) {
        format!("name LIKE '{}'", name.replace(['\'', '\\'], "_"))
    } else {
        format!("name = '{name}'")
    }
}

/// Splits a batch into requests MLflow accepts (≤ 1000 entities, ≤ 100 params, ≤ 100 tags each).
fn split_batch(batch: &LogBatch) -> Vec<Value> {
    let mut metrics = batch.metrics.iter().peekable();
    let mut params = batch.params.iter().peekable();
    let mut tags = batch.tags.iter().peekable();
    let mut out = Vec::new();
    while metrics.peek().is_some() || params.peek().is_some() || tags.peek().is_some() {
        let p: Vec<Value> = params
            .by_ref()
            .take(BATCH_MAX_PARAMS_OR_TAGS)
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
        let t: Vec<Value> = tags
            .by_ref()
            .take(BATCH_MAX_PARAMS_OR_TAGS)
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
        let room = BATCH_MAX_ENTITIES - p.len() - t.len();
        let m: Vec<Value> = metrics
            .by_ref()
            .take(room)
            .map(|m| json!({"key": m.key, "value": m.value, "timestamp": m.timestamp, "step": m.step}))
            .collect();
        out.push(json!({"metrics": m, "params": p, "tags": t}));
    }
    out
}

#[async_trait]
impl Store for RestStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Rest
    }

    fn uri(&self) -> String {
        self.client.shown().to_string()
    }

    async fn version(&self) -> Result<Option<String>> {
        let resp = self.client.send(&client::Call::get("version", &[])).await?;
        let (bytes, _) = self.client.read_limited_mapped(resp, 4096).await?;
        let text = String::from_utf8_lossy(&bytes).trim().to_string();
        let plausible = !text.is_empty()
            && text.len() <= 64
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'));
        if !plausible {
            return Err(ApiError::new(
                ErrorCode::ServerError,
                format!(
                    "the server at {} did not answer /version with an MLflow version: is this an MLflow tracking server?",
                    self.client.shown()
                ),
            )
            .with_detail(format!("the answer began {:?}", text.chars().take(80).collect::<String>()))
            .into());
        }
        Ok(Some(text))
    }

    // Experiments

    async fn search_experiments(&self, req: &SearchExperiments) -> Result<Page<Experiment>> {
        // Parsed here first so a bad filter is reported with its position, as for local stores.
        runlens_core::filter::parse_experiment_filter(req.filter.as_deref().unwrap_or(""))?;
        for o in &req.order_by {
            runlens_core::order::parse_experiment_order(o)?;
        }
        let body = compact(json!({
            "view_type": req.view_type.as_str(),
            // MLflow reads a missing max_results as 0 and refuses it: always send one.
            "max_results": req.page.limit(),
            "filter": non_empty(&req.filter),
            "order_by": req.order_by,
            "page_token": req.page.page_token.as_deref().filter(|t| !t.is_empty()),
        }));
        let resp: proto::SearchExperimentsResponse = self.client.search("experiments/search", &body).await?;
        Ok(Page {
            items: resp.experiments.into_iter().map(convert::experiment).collect(),
            next_page_token: resp.next_page_token.filter(|t| !t.is_empty()),
        })
    }

    async fn get_experiment(&self, experiment_id: &str) -> Result<Experiment> {
        let resp: proto::ExperimentResponse = self
            .client
            .get("experiments/get", &[("experiment_id", experiment_id.to_string())])
            .await?;
        Ok(convert::experiment(
            resp.experiment
                .ok_or_else(|| self.missing("an experiment", "experiments/get"))?,
        ))
    }

    async fn get_experiment_by_name(&self, name: &str) -> Result<Experiment> {
        let resp: proto::ExperimentResponse = self
            .client
            .get("experiments/get-by-name", &[("experiment_name", name.to_string())])
            .await?;
        Ok(convert::experiment(resp.experiment.ok_or_else(|| {
            self.missing("an experiment", "experiments/get-by-name")
        })?))
    }

    async fn create_experiment(&self, req: &CreateExperiment) -> Result<String> {
        let body = compact(json!({
            "name": req.name,
            "artifact_location": non_empty(&req.artifact_location),
            "tags": tag_list(&req.tags),
        }));
        let resp: proto::CreateExperimentResponse = self.client.post("experiments/create", &body).await?;
        Ok(resp
            .experiment_id
            .ok_or_else(|| self.missing("an experiment id", "experiments/create"))?)
    }

    async fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()> {
        let body = json!({"experiment_id": experiment_id, "new_name": new_name});
        let _: proto::Empty = self.client.post("experiments/update", &body).await?;
        Ok(())
    }

    async fn delete_experiment(&self, experiment_id: &str) -> Result<()> {
        let _: proto::Empty = self
            .client
            .post("experiments/delete", &json!({"experiment_id": experiment_id}))
            .await?;
        Ok(())
    }

    async fn restore_experiment(&self, experiment_id: &str) -> Result<()> {
        let _: proto::Empty = self
            .client
            .post("experiments/restore", &json!({"experiment_id": experiment_id}))
            .await?;
        Ok(())
    }

    async fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()> {
        let body = json!({"experiment_id": experiment_id, "key": key, "value": value});
        let _: proto::Empty = self.client.post("experiments/set-experiment-tag", &body).await?;
        Ok(())
    }

    async fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()> {
        let body = json!({"experiment_id": experiment_id, "key": key});
        let _: proto::Empty = self.client.post("experiments/delete-experiment-tag", &body).await?;
        Ok(())
    }

    // Runs

    async fn search_runs(&self, req: &SearchRuns) -> Result<Page<Run>> {
        runlens_core::filter::parse_run_filter(req.filter.as_deref().unwrap_or(""))?;
        for o in &req.order_by {
            runlens_core::order::parse_run_order(o)?;
        }
        let body = compact(json!({
            "experiment_ids": req.experiment_ids,
            "filter": non_empty(&req.filter),
            "run_view_type": req.view_type.as_str(),
            "max_results": req.page.limit(),
            "order_by": req.order_by,
            "page_token": req.page.page_token.as_deref().filter(|t| !t.is_empty()),
        }));
        let resp: proto::SearchRunsResponse = self.client.search("runs/search", &body).await?;
        Ok(Page {
            items: resp.runs.into_iter().map(convert::run).collect(),
            next_page_token: resp.next_page_token.filter(|t| !t.is_empty()),
        })
    }

    async fn get_run(&self, run_id: &str) -> Result<Run> {
        let resp: proto::RunResponse = self.client.get("runs/get", &[("run_id", run_id.to_string())]).await?;
        Ok(convert::run(resp.run.ok_or_else(|| self.missing("a run", "runs/get"))?))
    }

    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        // Without max_results MLflow answers the whole history at once; other servers may page.
        let mut points = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![("run_id", run_id.to_string()), ("metric_key", key.to_string())];
            if let Some(t) = &token {
                query.push(("page_token", t.clone()));
            }
            let page: proto::MetricHistoryResponse = self.client.get("metrics/get-history", &query).await?;
            let got = page.metrics.len();
            points.extend(page.metrics);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if got > 0 && token.as_deref() != Some(next.as_str()) => token = Some(next),
                _ => break,
            }
        }
        Ok(convert::history(points))
    }

    /// A zoomed chart's range through `metrics/get-history-bulk-interval` (what MLflow's own UI
    /// uses): the server reads only the range and answers at most 2,500 points of it, evenly
    /// spread over its rows with the first and last kept; those are then sampled here to
    /// `max_points`, keeping their extremes. A range that holds more than 2,500 points is
    /// therefore the server's selection of it (and `total_points` counts what the server sent).
    /// Servers without the endpoint, and ranges beyond its 32-bit steps, read the whole history.
    async fn sampled_history_in(
        &self,
        run_id: &str,
        key: &str,
        max_points: usize,
        steps: StepRange,
    ) -> Result<SampledSeries> {
        let in_proto = |s: i64| i32::try_from(s).is_ok();
        if in_proto(steps.start) && in_proto(steps.end) {
            let query = [
                ("run_ids", run_id.to_string()),
                ("metric_key", key.to_string()),
                ("start_step", steps.start.to_string()),
                ("end_step", steps.end.to_string()),
                ("max_results", BULK_INTERVAL_MAX.to_string()),
            ];
            let answer: Result<proto::MetricHistoryResponse> =
                self.client.get("metrics/get-history-bulk-interval", &query).await;
            match answer {
                Ok(page) => {
                    let points: Vec<Point> = convert::history(page.metrics)
                        .iter()
                        .filter(|m| steps.contains(m.step))
                        .map(Point::from)
                        .collect();
                    return Ok(SampledSeries {
                        run_id: run_id.to_string(),
                        key: key.to_string(),
                        total_points: points.len(),
                        points: sample_points(points, max_points),
                    });
                }
                Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::FeatureDisabled) => {}
                Err(e) => return Err(e),
            }
        }
        let history = self.metric_history(run_id, key).await?;
        let (total_points, points) = sample_points_in(history.iter().map(Point::from).collect(), steps, max_points);
        Ok(SampledSeries {
            run_id: run_id.to_string(),
            key: key.to_string(),
            total_points,
            points,
        })
    }

    async fn create_run(&self, req: &CreateRun) -> Result<RunInfo> {
        let mut tags = req.tags.clone();
        if let Some(parent) = req.parent_run_id.as_deref().filter(|p| !p.is_empty()) {
            tags.insert(tag::PARENT_RUN_ID.to_string(), parent.to_string());
        }
        let user = req
            .user_id
            .clone()
            .filter(|u| !u.is_empty())
            .or_else(|| tags.get(tag::USER).cloned());
        if let Some(u) = &user {
            tags.entry(tag::USER.to_string()).or_insert_with(|| u.clone());
        }
        let body = compact(json!({
            "experiment_id": req.experiment_id,
            "run_name": non_empty(&req.run_name),
            "user_id": user,
            "start_time": req.start_time.unwrap_or_else(now_ms),
            "tags": tag_list(&tags),
        }));
        let resp: proto::RunResponse = self.client.post("runs/create", &body).await?;
        Ok(convert::run(resp.run.ok_or_else(|| self.missing("a run", "runs/create"))?).info)
    }

    async fn update_run(&self, run_id: &str, req: &UpdateRun) -> Result<RunInfo> {
        // Ending a run (as MLflow's set_terminated does) records when, unless it already ended.
        let mut end_time = req.end_time;
        if end_time.is_none() && req.status.is_some_and(RunStatus::is_terminal) {
            let current = self.run_info_of(run_id).await?;
            if current.end_time.is_none() {
                end_time = Some(now_ms());
            }
        }
        let body = compact(json!({
            "run_id": run_id,
            "run_uuid": run_id,
            "status": req.status.map(RunStatus::as_str),
            "end_time": end_time,
            "run_name": non_empty(&req.run_name),
        }));
        let resp: proto::UpdateRunResponse = self.client.post("runs/update", &body).await?;
        let info = resp
            .run_info
            .ok_or_else(|| self.missing("the run's info", "runs/update"))?;
        Ok(convert::run_info(info, None))
    }

    async fn log_batch(&self, run_id: &str, batch: &LogBatch) -> Result<()> {
        for mut part in split_batch(batch) {
            part["run_id"] = json!(run_id);
            let _: proto::Empty = self.client.post("runs/log-batch", &part).await?;
        }
        Ok(())
    }

    async fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        let _: proto::Empty = self
            .client
            .post("runs/delete-tag", &json!({"run_id": run_id, "key": key}))
            .await?;
        Ok(())
    }

    async fn delete_run(&self, run_id: &str) -> Result<()> {
        let _: proto::Empty = self.client.post("runs/delete", &json!({"run_id": run_id})).await?;
        Ok(())
    }

    async fn restore_run(&self, run_id: &str) -> Result<()> {
        let _: proto::Empty = self.client.post("runs/restore", &json!({"run_id": run_id})).await?;
        Ok(())
    }

    // Artifacts

    async fn list_artifacts(&self, run_id: &str, path: Option<&str>) -> Result<Vec<FileInfo>> {
        self.list_artifacts_impl(run_id, path).await
    }

    async fn read_artifact(&self, run_id: &str, path: &str, max_bytes: u64) -> Result<ArtifactContent> {
        self.read_artifact_impl(run_id, path, max_bytes).await
    }

    async fn write_artifact(&self, run_id: &str, path: &str, bytes: &[u8]) -> Result<()> {
        self.write_artifact_impl(run_id, path, bytes).await
    }

    // Model registry

    async fn search_registered_models(&self, req: &SearchModels) -> Result<Page<RegisteredModel>> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(f) = non_empty(&req.filter) {
            query.push(("filter", f.to_string()));
        }
        let limit = req
            .page
            .max_results
            .unwrap_or(MODELS_PAGE_DEFAULT)
            .clamp(1, MODELS_PAGE_LIMIT);
        query.push(("max_results", limit.to_string()));
        query.extend(req.order_by.iter().map(|o| ("order_by", o.clone())));
        if let Some(t) = req.page.page_token.as_deref().filter(|t| !t.is_empty()) {
            query.push(("page_token", t.to_string()));
        }
        let resp: proto::SearchRegisteredModelsResponse = self.client.get("registered-models/search", &query).await?;
        Ok(Page {
            items: resp
                .registered_models
                .into_iter()
                .map(convert::registered_model)
                .collect::<Result<_, _>>()?,
            next_page_token: resp.next_page_token.filter(|t| !t.is_empty()),
        })
    }

    async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        let resp: proto::RegisteredModelResponse = self
            .client
            .get("registered-models/get", &[("name", name.to_string())])
            .await?;
        let model = resp
            .registered_model
            .ok_or_else(|| self.missing("a registered model", "registered-models/get"))?;
        Ok(convert::registered_model(model)?)
    }

    async fn model_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![
                ("filter", name_filter(name)),
                ("order_by", "version_number DESC".to_string()),
                ("max_results", VERSIONS_PAGE.to_string()),
            ];
            if let Some(t) = &token {
                query.push(("page_token", t.clone()));
            }
            let page: proto::SearchModelVersionsResponse = self.client.get("model-versions/search", &query).await?;
            let got = page.model_versions.len();
            for v in page.model_versions {
                if v.name == name {
                    out.push(convert::model_version(v)?);
                }
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if got > 0 && token.as_deref() != Some(next.as_str()) => token = Some(next),
                _ => break,
            }
        }
        out.sort_by_key(|v| std::cmp::Reverse(v.version));
        if !out.is_empty() {
            let aliases = self.get_registered_model(name).await?.aliases;
            for v in &mut out {
                convert::fill_aliases(v, &aliases);
            }
        }
        Ok(out)
    }

    async fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        let query = [("name", name.to_string()), ("version", version.to_string())];
        let resp: proto::ModelVersionResponse = self.client.get("model-versions/get", &query).await?;
        let v = resp
            .model_version
            .ok_or_else(|| self.missing("a model version", "model-versions/get"))?;
        Ok(convert::model_version(v)?)
    }

    async fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        let query = [("name", name.to_string()), ("alias", alias.to_string())];
        // MLflow answers an unknown alias with INVALID_PARAMETER_VALUE ("... alias x not found.").
        let resp: proto::ModelVersionResponse = match self.client.get("registered-models/alias", &query).await {
            Err(TrackingError::Api(e)) if e.code == ErrorCode::InvalidArgument && e.message.contains("not found") => {
                return Err(ApiError {
                    code: ErrorCode::NotFound,
                    ..e
                }
                .into())
            }
            other => other?,
        };
        let v = resp
            .model_version
            .ok_or_else(|| self.missing("a model version", "registered-models/alias"))?;
        Ok(convert::model_version(v)?)
    }

    async fn create_registered_model(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<RegisteredModel> {
        let body = compact(json!({
            "name": name,
            "description": description.filter(|d| !d.is_empty()),
            "tags": tag_list(tags),
        }));
        let resp: proto::RegisteredModelResponse = self.client.post("registered-models/create", &body).await?;
        let model = resp
            .registered_model
            .ok_or_else(|| self.missing("a registered model", "registered-models/create"))?;
        Ok(convert::registered_model(model)?)
    }

    async fn create_model_version(&self, req: &CreateModelVersion) -> Result<ModelVersion> {
        // A logged model's `models:/m-<id>` source goes with its id, as MLflow's client sends it
        // (the server refuses that source otherwise).
        let model_id = req
            .source
            .strip_prefix("models:/")
            .map(|id| id.trim_matches('/'))
            .filter(|id| id.starts_with("m-") && !id.contains('/'));
        let body = compact(json!({
            "name": req.name,
            "source": req.source,
            "run_id": non_empty(&req.run_id),
            "description": non_empty(&req.description),
            "tags": tag_list(&req.tags),
            "model_id": model_id,
        }));
        let resp: proto::ModelVersionResponse = self.client.post("model-versions/create", &body).await?;
        let v = resp
            .model_version
            .ok_or_else(|| self.missing("a model version", "model-versions/create"))?;
        Ok(convert::model_version(v)?)
    }

    async fn transition_stage(&self, req: &TransitionStage) -> Result<ModelVersion> {
        if req.archive_existing_versions && !req.stage.allows_archiving_others() {
            return Err(ApiError::invalid(format!(
                "archiving the other versions is possible only when moving to Staging or Production, not {}",
                req.stage
            ))
            .into());
        }
        let body = json!({
            "name": req.name,
            "version": req.version.to_string(),
            "stage": req.stage.as_str(),
            "archive_existing_versions": req.archive_existing_versions,
        });
        let resp: proto::ModelVersionResponse = self.client.post("model-versions/transition-stage", &body).await?;
        let v = resp
            .model_version
            .ok_or_else(|| self.missing("a model version", "model-versions/transition-stage"))?;
        Ok(convert::model_version(v)?)
    }

    async fn set_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        validate_alias(alias)?;
        let body = json!({"name": name, "alias": alias, "version": version.to_string()});
        let _: proto::Empty = self.client.post("registered-models/alias", &body).await?;
        Ok(())
    }

    async fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        let body = json!({"name": name, "alias": alias});
        let _: proto::Empty = self
            .client
            .with_body(Method::DELETE, "registered-models/alias", &body)
            .await?;
        Ok(())
    }

    async fn update_registered_model(&self, name: &str, description: &str) -> Result<()> {
        let body = json!({"name": name, "description": description});
        let _: proto::Empty = self
            .client
            .with_body(Method::PATCH, "registered-models/update", &body)
            .await?;
        Ok(())
    }

    async fn update_model_version(&self, name: &str, version: i64, description: &str) -> Result<()> {
        let body = json!({"name": name, "version": version.to_string(), "description": description});
        let _: proto::Empty = self
            .client
            .with_body(Method::PATCH, "model-versions/update", &body)
            .await?;
        Ok(())
    }

    async fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        let body = json!({"name": name, "key": key, "value": value});
        let _: proto::Empty = self.client.post("registered-models/set-tag", &body).await?;
        Ok(())
    }

    async fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        let body = json!({"name": name, "key": key});
        let _: proto::Empty = self
            .client
            .with_body(Method::DELETE, "registered-models/delete-tag", &body)
            .await?;
        Ok(())
    }

    async fn set_model_version_tag(&self, name: &str, version: i64, key: &str, value: &str) -> Result<()> {
        let body = json!({"name": name, "version": version.to_string(), "key": key, "value": value});
        let _: proto::Empty = self.client.post("model-versions/set-tag", &body).await?;
        Ok(())
    }

    async fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        let body = json!({"name": name, "version": version.to_string(), "key": key});
        let _: proto::Empty = self
            .client
            .with_body(Method::DELETE, "model-versions/delete-tag", &body)
            .await?;
        Ok(())
    }

    async fn prompt_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        self.prompt_versions_impl(name).await
    }

    async fn run_logged_models(&self, experiment_id: &str, run_id: &str) -> Result<Vec<registry::LoggedModel>> {
        self.run_logged_models_impl(experiment_id, run_id).await
    }

    async fn get_logged_model(&self, model_id: &str) -> Result<registry::LoggedModel> {
        self.get_logged_model_impl(model_id).await
    }

    async fn read_model_file(&self, location: &str, path: &str, max_bytes: u64) -> Result<ArtifactContent> {
        self.read_model_file_impl(location, path, max_bytes).await
    }

    async fn search_traces(
        &self,
        req: &runlens_core::traces::SearchTracesRequest,
    ) -> Result<Page<runlens_core::traces::TraceSummary>> {
        self.search_traces_impl(req).await
    }

    async fn get_trace(&self, trace_id: &str) -> Result<runlens_core::traces::TraceDetail> {
        self.get_trace_impl(trace_id).await
    }

    async fn read_logged_model_file(&self, model_id: &str, path: &str, max_bytes: u64) -> Result<ArtifactContent> {
        self.read_logged_model_file_impl(model_id, path, max_bytes).await
    }
}
