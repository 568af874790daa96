//! What callers ask of a tracking store: searches and writes, one struct per operation.

use crate::metric::MetricValue;
use crate::model::{Metric, RunStatus, Stage, Tags, ViewType};
use crate::page::PageRequest;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SearchExperiments {
    #[serde(default)]
    pub view_type: ViewType,
    /// MLflow filter syntax over `name`, `tags.<key>`, times.
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub order_by: Vec<String>,
    #[serde(default, flatten)]
    pub page: PageRequest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SearchRuns {
    pub experiment_ids: Vec<String>,
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub view_type: ViewType,
    #[serde(default)]
    pub order_by: Vec<String>,
    #[serde(default, flatten)]
    pub page: PageRequest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CreateExperiment {
    pub name: String,
    #[serde(default)]
    pub artifact_location: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CreateRun {
    pub experiment_id: String,
    #[serde(default)]
    pub run_name: Option<String>,
    /// ms since the epoch; now when absent.
    #[serde(default)]
    pub start_time: Option<i64>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub tags: Tags,
    /// Makes the new run a child of this one (sets `mlflow.parentRunId`).
    #[serde(default)]
    pub parent_run_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UpdateRun {
    #[serde(default)]
    pub run_name: Option<String>,
    #[serde(default)]
    pub status: Option<RunStatus>,
    #[serde(default)]
    pub end_time: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LogBatch {
    #[serde(default)]
    pub metrics: Vec<Metric>,
    #[serde(default)]
    pub params: Vec<(String, String)>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

impl LogBatch {
    pub fn metric(key: &str, value: f64, timestamp: i64, step: i64) -> Self {
        LogBatch {
            metrics: vec![Metric {
                key: key.into(),
                value: MetricValue(value),
                timestamp,
                step,
            }],
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SearchModels {
    /// e.g. `name LIKE '%clf%'`.
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub order_by: Vec<String>,
    #[serde(default, flatten)]
    pub page: PageRequest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CreateModelVersion {
    pub name: String,
    /// Where the model's files are (an artifact URI such as `runs:/<id>/model` or a path).
    pub source: String,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionStage {
    pub name: String,
    pub version: i64,
    pub stage: Stage,
    /// Moves the other versions in the target stage to Archived (Staging/Production only).
    #[serde(default)]
    pub archive_existing_versions: bool,
}
