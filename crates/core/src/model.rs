//! MLflow's entities as Runlens sees them. Field names follow MLflow's REST API (snake_case), so
//! `runlens-cli --json` output reads like MLflow's own answers.

use crate::metric::MetricValue;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

pub type Tags = BTreeMap<String, String>;

/// Well-known tag keys.
pub mod tag {
    pub const RUN_NAME: &str = "mlflow.runName";
    pub const PARENT_RUN_ID: &str = "mlflow.parentRunId";
    pub const USER: &str = "mlflow.user";
    pub const NOTE: &str = "mlflow.note.content";
    pub const SOURCE_NAME: &str = "mlflow.source.name";
    pub const SOURCE_TYPE: &str = "mlflow.source.type";
    pub const GIT_COMMIT: &str = "mlflow.source.git.commit";
    pub const LOGGED_ARTIFACTS: &str = "mlflow.loggedArtifacts";
    pub const MAXAI_PROJECT: &str = "__maxai_project__";
    pub const PROJECT: &str = "project";
    pub const MAXAI_RUN_TYPE: &str = "__maxai_run_type__";
    pub const MAXAI_COMMIT: &str = "__maxai_commit__";
    pub const DATA_CONTEXT: &str = "mlflow.data.context";
}

/// Whether an experiment or run is in the bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LifecycleStage {
    #[default]
    Active,
    Deleted,
}

impl LifecycleStage {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStage::Active => "active",
            LifecycleStage::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(LifecycleStage::Active),
            "deleted" => Some(LifecycleStage::Deleted),
            _ => None,
        }
    }
}

/// Which lifecycle stages a search returns (MLflow's `ViewType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ViewType {
    #[default]
    ActiveOnly,
    DeletedOnly,
    All,
}

impl ViewType {
    pub fn includes(self, stage: LifecycleStage) -> bool {
        match self {
            ViewType::ActiveOnly => stage == LifecycleStage::Active,
            ViewType::DeletedOnly => stage == LifecycleStage::Deleted,
            ViewType::All => true,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ViewType::ActiveOnly => "ACTIVE_ONLY",
            ViewType::DeletedOnly => "DELETED_ONLY",
            ViewType::All => "ALL",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().replace('-', "_").as_str() {
            "active_only" | "active" => Some(ViewType::ActiveOnly),
            "deleted_only" | "deleted" => Some(ViewType::DeletedOnly),
            "all" => Some(ViewType::All),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    #[default]
    Running,
    Scheduled,
    Finished,
    Failed,
    Killed,
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Running,
        RunStatus::Scheduled,
        RunStatus::Finished,
        RunStatus::Failed,
        RunStatus::Killed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Scheduled => "SCHEDULED",
            RunStatus::Finished => "FINISHED",
            RunStatus::Failed => "FAILED",
            RunStatus::Killed => "KILLED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text))
    }

    /// The file store writes statuses as integers (MLflow's protobuf enum numbers).
    pub fn from_proto(n: i64) -> Option<Self> {
        Some(match n {
            1 => RunStatus::Running,
            2 => RunStatus::Scheduled,
            3 => RunStatus::Finished,
            4 => RunStatus::Failed,
            5 => RunStatus::Killed,
            _ => return None,
        })
    }

    pub fn to_proto(self) -> i64 {
        match self {
            RunStatus::Running => 1,
            RunStatus::Scheduled => 2,
            RunStatus::Finished => 3,
            RunStatus::Failed => 4,
            RunStatus::Killed => 5,
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, RunStatus::Finished | RunStatus::Failed | RunStatus::Killed)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub experiment_id: String,
    pub name: String,
    pub artifact_location: String,
    pub lifecycle_stage: LifecycleStage,
    /// Milliseconds since the Unix epoch.
    pub creation_time: Option<i64>,
    pub last_update_time: Option<i64>,
    pub tags: Tags,
}

impl Experiment {
    /// The experiment's description (MLflow keeps it in the tag `mlflow.note.content`).
    pub fn description(&self) -> Option<&str> {
        self.tags.get(tag::NOTE).map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub run_id: String,
    pub run_name: String,
    pub experiment_id: String,
    pub user_id: String,
    pub status: RunStatus,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub artifact_uri: String,
    pub lifecycle_stage: LifecycleStage,
}

/// One logged metric point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub key: String,
    pub value: MetricValue,
    pub timestamp: i64,
    pub step: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunData {
    /// The latest value of each metric (MLflow's choice: greatest step, then timestamp, then
    /// value), sorted by key.
    pub metrics: Vec<Metric>,
    pub params: BTreeMap<String, String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub info: RunInfo,
    pub data: RunData,
    /// Datasets the run used, ordered by dataset name then digest.
    pub inputs: Vec<DatasetInput>,
}

impl Run {
    pub fn parent_run_id(&self) -> Option<&str> {
        self.data.tags.get(tag::PARENT_RUN_ID).map(String::as_str)
    }

    pub fn metric(&self, key: &str) -> Option<&Metric> {
        self.data.metrics.iter().find(|m| m.key == key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    pub name: String,
    pub digest: String,
    pub source_type: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetInput {
    pub dataset: Dataset,
    /// Input tags, e.g. `mlflow.data.context` = `training`.
    pub tags: Tags,
}

/// An entry in a run's artifact tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Relative to the run's artifact root, `/`-separated.
    pub path: String,
    pub is_dir: bool,
    /// Size in bytes; `None` for directories.
    pub file_size: Option<u64>,
}

/// The bytes of an artifact, possibly cut at the size limit the caller asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactContent {
    pub path: String,
    /// The artifact's full size, when the store knows it.
    pub total_size: Option<u64>,
    pub truncated: bool,
    pub bytes: Vec<u8>,
}

/// Model registry stages (deprecated by MLflow 2.9, still served by MLflow 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Stage {
    #[default]
    None,
    Staging,
    Production,
    Archived,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::None, Stage::Staging, Stage::Production, Stage::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::None => "None",
            Stage::Staging => "Staging",
            Stage::Production => "Production",
            Stage::Archived => "Archived",
        }
    }

    /// Case-insensitive, as MLflow accepts stages.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text))
    }

    /// `archive_existing_versions` is allowed only when moving into one of these.
    pub fn allows_archiving_others(self) -> bool {
        matches!(self, Stage::Staging | Stage::Production)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    pub name: String,
    pub version: i64,
    pub creation_timestamp: Option<i64>,
    pub last_updated_timestamp: Option<i64>,
    pub description: Option<String>,
    pub user_id: Option<String>,
    pub current_stage: Stage,
    pub source: String,
    pub run_id: Option<String>,
    pub status: String,
    pub status_message: Option<String>,
    pub run_link: Option<String>,
    pub tags: Tags,
    /// Aliases pointing at this version, sorted.
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredModel {
    pub name: String,
    pub creation_timestamp: Option<i64>,
    pub last_updated_timestamp: Option<i64>,
    pub description: Option<String>,
    pub tags: Tags,
    /// alias → version.
    pub aliases: BTreeMap<String, i64>,
    /// The newest version in each stage that has one, ordered None, Staging, Production, Archived.
    pub latest_versions: Vec<ModelVersion>,
}

/// Checks an alias the way MLflow does: letters, digits, `_` and `-`, at most 255 characters,
/// and not of the reserved form `v<number>` nor `latest`.
pub fn validate_alias(alias: &str) -> Result<(), crate::ApiError> {
    let reserved_version = alias
        .strip_prefix(['v', 'V'])
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    if alias.is_empty() || alias.len() > 255 {
        return Err(crate::ApiError::invalid("an alias must have 1 to 255 characters"));
    }
    if !alias.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(crate::ApiError::invalid(format!(
            "alias {alias:?} may contain only letters, digits, '_' and '-'"
        )));
    }
    if reserved_version || alias.eq_ignore_ascii_case("latest") {
        return Err(crate::ApiError::invalid(format!(
            "alias {alias:?} is reserved: 'latest' and 'v<number>' name versions"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_stages_parse_case_insensitively() {
        assert_eq!(RunStatus::parse("finished"), Some(RunStatus::Finished));
        assert_eq!(RunStatus::from_proto(4), Some(RunStatus::Failed));
        assert_eq!(Stage::parse("production"), Some(Stage::Production));
        assert_eq!(Stage::parse("Prod"), None);
        assert!(Stage::Staging.allows_archiving_others());
        assert!(!Stage::Archived.allows_archiving_others());
    }

    #[test]
    fn aliases_are_validated_like_mlflow() {
        assert!(validate_alias("champion").is_ok());
        assert!(validate_alias("challenger-2").is_ok());
        assert!(validate_alias("v3").is_err());
        assert!(validate_alias("V10").is_err());
        assert!(validate_alias("v").is_ok());
        assert!(validate_alias("latest").is_err());
        assert!(validate_alias("bad alias").is_err());
        assert!(validate_alias("").is_err());
        assert!(validate_alias("é1").is_err(), "non-ASCII is refused, not a panic");
    }
}
