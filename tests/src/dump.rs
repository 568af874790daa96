//! MLflow's answers about a store, as `fixtures/dump_mlflow.py` writes them: Runlens's own types
//! (so reading a dump already proves our JSON format fits MLflow's data), plus the searches MLflow
//! was asked, with their filter strings, so the Rust side can ask the same.

use runlens_core::{Experiment, FileInfo, Metric, ModelVersion, RegisteredModel, Run, ViewType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dump {
    pub uri: String,
    pub mlflow_version: String,
    /// `search_experiments(view_type=ALL)` in MLflow's default order.
    pub experiments: Vec<Experiment>,
    pub experiment_searches: Vec<ExperimentSearch>,
    /// experiment id → `search_runs(view ALL)` in MLflow's default order.
    pub runs: BTreeMap<String, Vec<Run>>,
    /// run id → `get_run`.
    pub runs_by_get: BTreeMap<String, Run>,
    pub run_searches: Vec<RunSearch>,
    pub histories: Vec<History>,
    /// run id → directory ("" = the root) → one level of `list_artifacts`.
    pub artifacts: BTreeMap<String, BTreeMap<String, Vec<FileInfo>>>,
    /// `search_registered_models()` in MLflow's default order.
    pub registered_models: Vec<RegisteredModel>,
    /// name → `get_registered_model`.
    pub models: BTreeMap<String, RegisteredModel>,
    /// name → every version, newest first.
    pub model_versions: BTreeMap<String, Vec<ModelVersion>>,
    pub versions_by_alias: Vec<AliasAnswer>,
}

/// An error MLflow raised instead of answering.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MlflowError {
    pub error_code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExperimentSearch {
    pub filter: Option<String>,
    pub order_by: Vec<String>,
    pub view_type: ViewType,
    #[serde(default)]
    pub experiment_ids: Option<Vec<String>>,
    #[serde(default)]
    pub error: Option<MlflowError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSearch {
    pub experiment_ids: Vec<String>,
    pub filter: Option<String>,
    pub order_by: Vec<String>,
    pub view_type: ViewType,
    /// Set when only the first page was asked for.
    pub max_results: Option<usize>,
    #[serde(default)]
    pub run_ids: Option<Vec<String>>,
    #[serde(default)]
    pub error: Option<MlflowError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct History {
    pub run_id: String,
    pub key: String,
    /// Ordered by step, timestamp, value (see QUIRKS in dump_mlflow.py).
    pub metrics: Vec<Metric>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AliasAnswer {
    pub name: String,
    pub alias: String,
    pub version: ModelVersion,
}

impl Dump {
    /// Every run of the store, by `get_run`.
    pub fn all_runs(&self) -> impl Iterator<Item = &Run> {
        self.runs_by_get.values()
    }

    pub fn run_named(&self, name: &str) -> &Run {
        self.all_runs()
            .find(|r| r.info.run_name == name)
            .unwrap_or_else(|| panic!("no run named {name:?} in MLflow's dump of {}", self.uri))
    }

    pub fn experiment_named(&self, name: &str) -> &Experiment {
        self.experiments
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("no experiment named {name:?} in MLflow's dump of {}", self.uri))
    }

    /// "name (1a2b3c4d)" for a run id, to make id lists readable in reports.
    pub fn describe_run(&self, run_id: &str) -> String {
        let short = &run_id[..run_id.len().min(8)];
        match self.runs_by_get.get(run_id) {
            Some(r) => format!("{} ({short})", r.info.run_name),
            None => format!("? ({short})"),
        }
    }

    pub fn describe_experiment(&self, experiment_id: &str) -> String {
        match self.experiments.iter().find(|e| e.experiment_id == experiment_id) {
            Some(e) => format!("{} ({experiment_id})", e.name),
            None => format!("? ({experiment_id})"),
        }
    }
}
