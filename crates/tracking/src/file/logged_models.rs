//! MLflow 3 logged models in the file store: `mlruns/<exp>/models/<model_id>/meta.yaml` with
//! `tags/<key>` and `params/<key>` files beside it (read only; Runlens never writes them).

use super::io::{self, invalid, not_found, parse_int, META, MODELS, PARAMS, TAGS};
use super::yaml::{read_meta, Meta, StringFields};
use super::Fs;
use crate::error::Result;
use runlens_core::registry::LoggedModel;
use runlens_core::ViewType;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Default, Deserialize)]
struct LoggedModelMeta {
    model_id: Option<String>,
    experiment_id: Option<String>,
    name: Option<String>,
    artifact_location: Option<String>,
    creation_timestamp: Option<String>,
    last_updated_timestamp: Option<String>,
    status: Option<String>,
    model_type: Option<String>,
    source_run_id: Option<String>,
    lifecycle_stage: Option<String>,
}

/// Read only, never rewritten.
impl StringFields for LoggedModelMeta {}

/// A logged model id as MLflow makes them (`m-` and hex), so it is one plain folder name.
fn check_id(model_id: &str) -> Result<()> {
    if model_id.starts_with("m-") && io::is_id(model_id, 64) {
        Ok(())
    } else {
        Err(invalid(format!("{model_id:?} is not a logged model id")))
    }
}

impl Fs {
    /// One model folder; `None` when it is not a live logged model of `experiment_id`.
    fn read_logged_model(&self, dir: &Path, experiment_id: &str) -> Result<Option<LoggedModel>> {
        let meta = match read_meta::<LoggedModelMeta>(&dir.join(META))? {
            Meta::Found(meta, _) => meta,
            Meta::Missing | Meta::Empty => return Ok(None),
        };
        if meta.lifecycle_stage.as_deref() == Some("deleted")
            || meta.experiment_id.as_deref().is_some_and(|e| e != experiment_id)
        {
            return Ok(None);
        }
        let folder = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Some(LoggedModel {
            model_id: meta.model_id.unwrap_or(folder),
            experiment_id: experiment_id.to_string(),
            name: meta.name.unwrap_or_default(),
            artifact_location: meta.artifact_location.unwrap_or_default(),
            creation_timestamp: parse_int(meta.creation_timestamp.as_deref()),
            last_updated_timestamp: parse_int(meta.last_updated_timestamp.as_deref()),
            status: LoggedModel::status_name(parse_int(meta.status.as_deref()).unwrap_or(0)).to_string(),
            model_type: meta.model_type.filter(|t| !t.is_empty()),
            source_run_id: meta.source_run_id.filter(|r| !r.is_empty()),
            tags: io::read_keyed_values(&dir.join(TAGS))?,
            params: io::read_keyed_values(&dir.join(PARAMS))?,
        }))
    }

    /// The live logged models of `run_id` in `experiment_id`, oldest first.
    pub(super) fn run_logged_models(&self, experiment_id: &str, run_id: &str) -> Result<Vec<LoggedModel>> {
        let Some(exp) = self.find_experiment(experiment_id)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (_, dir) in io::subdirs(&exp.dir.join(MODELS))? {
            if let Some(model) = self.read_logged_model(&dir, experiment_id)? {
                if model.source_run_id.as_deref() == Some(run_id) {
                    out.push(model);
                }
            }
        }
        out.sort_by(|a, b| {
            a.creation_timestamp
                .cmp(&b.creation_timestamp)
                .then_with(|| a.model_id.cmp(&b.model_id))
        });
        Ok(out)
    }

    /// One live logged model, looked for in every experiment (as MLflow does).
    pub(super) fn get_logged_model(&self, model_id: &str) -> Result<LoggedModel> {
        check_id(model_id)?;
        for exp in self.experiment_dirs(ViewType::All)? {
            let dir = exp.dir.join(MODELS).join(model_id);
            if dir.is_dir() {
                if let Some(model) = self.read_logged_model(&dir, &exp.id)? {
                    return Ok(model);
                }
            }
        }
        Err(not_found(format!(
            "logged model {model_id} does not exist in this store"
        )))
    }
}
