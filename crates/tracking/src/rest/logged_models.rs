//! MLflow 3 logged models, prompt versions and model files on a tracking server:
//! `logged-models/search`, `logged-models/get`, the UI's `logged-models/<id>/artifacts/files`
//! route, and the artifact proxy for model locations it serves.

use super::artifacts::{check_path, proxy_root};
use super::client::Call;
use super::proto::{int, KeyValue};
use super::{convert, proto, RestStore};
use crate::error::Result;
use crate::store::Store;
use runlens_core::registry::{LoggedModel, PROMPT_FILTER};
use runlens_core::{ApiError, ArtifactContent, ErrorCode, ModelVersion};
use serde::Deserialize;
use serde_json::json;

/// `logged-models/search` answers at most this many per page.
const PAGE: usize = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Info {
    model_id: String,
    experiment_id: String,
    name: String,
    #[serde(deserialize_with = "int::opt_i64")]
    creation_timestamp_ms: Option<i64>,
    #[serde(deserialize_with = "int::opt_i64")]
    last_updated_timestamp_ms: Option<i64>,
    artifact_uri: String,
    status: Option<String>,
    model_type: Option<String>,
    source_run_id: Option<String>,
    tags: Vec<KeyValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Data {
    params: Vec<KeyValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Model {
    info: Info,
    data: Data,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchResponse {
    models: Vec<Model>,
    next_page_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GetResponse {
    model: Option<Model>,
}

/// `LOGGED_MODEL_READY` → `READY`, as the other stores name statuses.
fn status(text: Option<&str>) -> String {
    match text.unwrap_or_default() {
        "LOGGED_MODEL_READY" | "READY" => "READY",
        "LOGGED_MODEL_PENDING" | "PENDING" => "PENDING",
        "LOGGED_MODEL_UPLOAD_FAILED" | "FAILED" => "FAILED",
        _ => "UNSPECIFIED",
    }
    .to_string()
}

fn logged_model(m: Model) -> LoggedModel {
    LoggedModel {
        model_id: m.info.model_id,
        experiment_id: m.info.experiment_id,
        name: m.info.name,
        artifact_location: m.info.artifact_uri,
        creation_timestamp: m.info.creation_timestamp_ms,
        last_updated_timestamp: m.info.last_updated_timestamp_ms,
        status: status(m.info.status.as_deref()),
        model_type: m.info.model_type.filter(|t| !t.is_empty()),
        source_run_id: m.info.source_run_id.filter(|r| !r.is_empty()),
        tags: m.info.tags.into_iter().map(|t| (t.key, t.value)).collect(),
        params: m.data.params.into_iter().map(|p| (p.key, p.value)).collect(),
    }
}

impl RestStore {
    pub(super) async fn run_logged_models_impl(&self, experiment_id: &str, run_id: &str) -> Result<Vec<LoggedModel>> {
        // Run ids are hex, so the literal needs no escaping; anything else matches nothing.
        if !run_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({
                "experiment_ids": [experiment_id],
                "filter": format!("source_run_id = '{run_id}'"),
                "max_results": PAGE,
            });
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let page: SearchResponse = self.client.search("logged-models/search", &body).await?;
            let got = page.models.len();
            out.extend(page.models.into_iter().map(logged_model));
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if got > 0 && token.as_deref() != Some(next.as_str()) => token = Some(next),
                _ => break,
            }
        }
        out.retain(|m| m.source_run_id.as_deref() == Some(run_id));
        out.sort_by(|a, b| {
            a.creation_timestamp
                .cmp(&b.creation_timestamp)
                .then_with(|| a.model_id.cmp(&b.model_id))
        });
        Ok(out)
    }

    pub(super) async fn get_logged_model_impl(&self, model_id: &str) -> Result<LoggedModel> {
        let path = format!("{}/logged-models/{}", super::client::API, model_id);
        let resp: GetResponse = self.client.call(&Call::get(&path, &[])).await?;
        resp.model
            .map(logged_model)
            .ok_or_else(|| self.missing("a logged model", "logged-models/get").into())
    }

    /// A logged model's file through the route MLflow's UI uses, which reads the model's
    /// artifact location on the server (proxied or not).
    pub(super) async fn read_logged_model_file_impl(
        &self,
        model_id: &str,
        path: &str,
        max_bytes: u64,
    ) -> Result<ArtifactContent> {
        let relative = check_path(path)?;
        if relative.is_empty() || !model_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(ApiError::invalid(format!("cannot read {path:?} of logged model {model_id:?}")).into());
        }
        let route = format!("ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files");
        let query = [("artifact_file_path", relative)];
        let resp = self.client.send(&Call::get(&route, &query)).await?;
        self.limited(resp, path, max_bytes).await
    }

    /// A file under a model location the server's artifact proxy serves (`mlflow-artifacts:`).
    pub(super) async fn read_model_file_impl(
        &self,
        location: &str,
        path: &str,
        max_bytes: u64,
    ) -> Result<ArtifactContent> {
        let relative = check_path(path)?;
        let Some(root) = proxy_root(location) else {
            return Err(ApiError::new(
                ErrorCode::FeatureDisabled,
                format!(
                    "the model's files are at {location}, which the server at {} does not serve through its artifact proxy",
                    self.client.shown()
                ),
            )
            .into());
        };
        let proxied = format!("api/2.0/mlflow-artifacts/artifacts/{root}/{relative}");
        let resp = self.client.send(&Call::get(&proxied, &[])).await?;
        self.limited(resp, path, max_bytes).await
    }

    async fn limited(&self, resp: reqwest::Response, path: &str, max_bytes: u64) -> Result<ArtifactContent> {
        let total = resp.content_length();
        let limit = usize::try_from(max_bytes).unwrap_or(usize::MAX);
        let (bytes, more) = self.client.read_limited_mapped(resp, limit).await?;
        Ok(ArtifactContent {
            path: path.to_string(),
            total_size: total.or_else(|| (!more).then_some(bytes.len() as u64)),
            truncated: more || total.is_some_and(|t| t > max_bytes),
            bytes,
        })
    }

    /// Prompt versions: MLflow's version search returns them only when the filter asks for prompts.
    pub(super) async fn prompt_versions_impl(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![
                ("filter", format!("{} AND {PROMPT_FILTER}", super::name_filter(name))),
                ("max_results", super::VERSIONS_PAGE.to_string()),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_models_read_mlflows_json() {
        let json = r#"{"info": {"model_id": "m-1", "experiment_id": "3", "name": "clf",
            "creation_timestamp_ms": "1700000000000", "last_updated_timestamp_ms": 1700000000001,
            "artifact_uri": "mlflow-artifacts:/3/models/m-1/artifacts", "status": "LOGGED_MODEL_READY",
            "model_type": "pyfunc", "source_run_id": "abc", "tags": [{"key": "a", "value": "1"}]},
            "data": {"params": [{"key": "p", "value": "2"}]}}"#;
        let m = logged_model(serde_json::from_str(json).unwrap());
        assert_eq!(m.creation_timestamp, Some(1_700_000_000_000));
        assert_eq!(m.status, "READY");
        assert_eq!(m.tags["a"], "1");
        assert_eq!(m.params["p"], "2");
        assert_eq!(m.source_run_id.as_deref(), Some("abc"));
    }
}
