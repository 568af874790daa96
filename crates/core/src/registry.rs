//! The model registry as Runlens shows it: the answers of the registry screens (models list,
//! model page and stage board, version page, prompts, registering a run's model), the changes
//! the user can ask for, and the pure logic behind them — what a stage move or an alias change
//! will do *before* it is written (the confirmation shows exactly that, and the backend checks
//! the store still agrees), MaxFlow's registry conventions, and a line diff for prompt texts.

use crate::ipc::RunRef;
use crate::model::{Experiment, Metric, ModelVersion, RegisteredModel, Run, Stage, Tags};
use crate::preview::ModelCard;
use crate::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Tag keys of the registry conventions Runlens recognises.
pub mod tag {
    /// MaxFlow's experiment tag: a JSON array of the names of the models registered from it.
    pub const MAXAI_REGISTERED_MODELS: &str = "__maxai_registered_models__";
    /// Every MaxFlow tag starts with this.
    pub const MAXAI_PREFIX: &str = "__maxai_";
    /// MLflow 2's run tag: a JSON list of the models logged by the run (`artifact_path`, `flavors`).
    pub const LOG_MODEL_HISTORY: &str = "mlflow.log-model.history";
    /// MLflow 3 keeps prompts as registered models carrying this tag (`true`).
    pub const IS_PROMPT: &str = "mlflow.prompt.is_prompt";
    /// A prompt version's template.
    pub const PROMPT_TEXT: &str = "mlflow.prompt.text";
    /// `text` or `chat` (a chat template is a JSON list of messages).
    pub const PROMPT_TYPE: &str = "_mlflow_prompt_type";
}

/// The registry filter that selects prompts (MLflow leaves prompts out of model searches unless
/// a filter asks for them this way).
pub const PROMPT_FILTER: &str = "tags.`mlflow.prompt.is_prompt` = 'true'";

/// An MLflow 3 logged model (`log_model` in MLflow 3 writes one; its files live under its own
/// artifact location, `<experiment artifact root>/models/<model_id>/artifacts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedModel {
    /// `m-<32 hex>`.
    pub model_id: String,
    pub experiment_id: String,
    /// The name given to `log_model` (MLflow 2's `artifact_path`).
    pub name: String,
    pub artifact_location: String,
    pub creation_timestamp: Option<i64>,
    pub last_updated_timestamp: Option<i64>,
    /// `READY`, `PENDING`, `FAILED` or `UNSPECIFIED`.
    pub status: String,
    pub model_type: Option<String>,
    pub source_run_id: Option<String>,
    pub tags: Tags,
    pub params: BTreeMap<String, String>,
}

impl LoggedModel {
    /// MLflow's status numbers (SQLite column, file store `meta.yaml`).
    pub fn status_name(n: i64) -> &'static str {
        match n {
            1 => "PENDING",
            2 => "READY",
            3 => "FAILED",
            _ => "UNSPECIFIED",
        }
    }
}

/// A readable name for MLflow's LLM tasks (`metadata.task` or a flavor's `task` in `MLmodel`).
pub fn llm_task_label(task: &str) -> Option<&'static str> {
    match task.trim() {
        "llm/v1/chat" => Some("LLM chat (OpenAI-style messages in, a chat completion out)"),
        "llm/v1/completions" => Some("LLM completions (a prompt in, completions out)"),
        "llm/v1/embeddings" => Some("LLM embeddings (texts in, vectors out)"),
        _ => None,
    }
}

/// Whether a registered model is an MLflow 3 prompt.
pub fn is_prompt(model: &RegisteredModel) -> bool {
    model
        .tags
        .get(tag::IS_PROMPT)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Whether an experiment carries MaxFlow's tags (`__maxai_project__`, `__maxai_registered_models__`, ...).
pub fn is_maxflow(experiment: &Experiment) -> bool {
    experiment.tags.keys().any(|k| k.starts_with(tag::MAXAI_PREFIX))
}

/// The model names in an experiment's `__maxai_registered_models__` tag (none when absent or not
/// a JSON array of strings).
pub fn maxflow_models(experiment: &Experiment) -> Vec<String> {
    experiment
        .tags
        .get(tag::MAXAI_REGISTERED_MODELS)
        .and_then(|v| serde_json::from_str::<Vec<serde_json::Value>>(v).ok())
        .map(|items| items.into_iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// The `__maxai_registered_models__` value once `name` is added (`None`: already listed). A tag
/// that is not a JSON list is replaced by a list of this one name.
pub fn maxflow_models_with(experiment: &Experiment, name: &str) -> Option<String> {
    let mut names = maxflow_models(experiment);
    if names.iter().any(|n| n == name) {
        return None;
    }
    names.push(name.to_string());
    Some(serde_json::to_string(&names).unwrap_or_else(|_| "[]".into()))
}

/// MaxFlow's name for a model it registers: `<experiment>-<runName>-<artifact_path>`.
pub fn maxflow_model_name(experiment: &str, run_name: &str, artifact_path: &str) -> String {
    format!("{experiment}-{run_name}-{}", artifact_path.trim_matches('/'))
}

/// One entry of MLflow 2's `mlflow.log-model.history` run tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyModel {
    pub artifact_path: String,
    pub flavors: Vec<String>,
    pub model_uuid: Option<String>,
    pub utc_time_created: Option<String>,
}

/// The models a `mlflow.log-model.history` tag lists (entries without an artifact path are
/// skipped; the same path logged twice is listed once, with its latest entry).
pub fn parse_log_model_history(value: &str) -> Vec<LegacyModel> {
    let Ok(serde_json::Value::Array(entries)) = serde_json::from_str::<serde_json::Value>(value) else {
        return Vec::new();
    };
    let mut out: Vec<LegacyModel> = Vec::new();
    for entry in entries {
        let Some(path) = entry.get("artifact_path").and_then(|p| p.as_str()) else {
            continue;
        };
        let path = path.trim_matches('/').to_string();
        if path.is_empty() {
            continue;
        }
        let flavors = entry
            .get("flavors")
            .and_then(|f| f.as_object())
            .map(|f| f.keys().cloned().collect())
            .unwrap_or_default();
        let text = |key: &str| entry.get(key).and_then(|v| v.as_str()).map(String::from);
        let model = LegacyModel {
            artifact_path: path,
            flavors,
            model_uuid: text("model_uuid").or_else(|| text("model_id")),
            utc_time_created: text("utc_time_created"),
        };
        out.retain(|m| m.artifact_path != model.artifact_path);
        out.push(model);
    }
    out
}

/// Whether a model matches the list's search text: its name, a tag key or value, or
/// `key=value`, ignoring case. An empty search matches everything.
pub fn model_matches(model: &RegisteredModel, query: &str) -> bool {
    let needle = query.trim().to_lowercase();
    if needle.is_empty() {
        return true;
    }
    if model.name.to_lowercase().contains(&needle) {
        return true;
    }
    if let Some((key, value)) = needle.split_once('=') {
        let (key, value) = (key.trim(), value.trim());
        return model
            .tags
            .iter()
            .any(|(k, v)| k.to_lowercase() == key && v.to_lowercase().contains(value));
    }
    model
        .tags
        .iter()
        .any(|(k, v)| k.to_lowercase().contains(&needle) || v.to_lowercase().contains(&needle))
}

/// How the models list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ModelSort {
    /// By name, A to Z.
    #[default]
    Name,
    /// Most recently updated first.
    Updated,
}

impl ModelSort {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelSort::Name => "name",
            ModelSort::Updated => "updated",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "name" => Some(ModelSort::Name),
            "updated" => Some(ModelSort::Updated),
            _ => None,
        }
    }
}

/// Sorts models for the list: by name (ties by nothing else: names are unique), or newest
/// update first with the name breaking ties.
pub fn sort_models(models: &mut [RegisteredModel], sort: ModelSort) {
    match sort {
        ModelSort::Name => models.sort_by(|a, b| a.name.cmp(&b.name)),
        ModelSort::Updated => models.sort_by(|a, b| {
            b.last_updated_timestamp
                .cmp(&a.last_updated_timestamp)
                .then_with(|| a.name.cmp(&b.name))
        }),
    }
}

/// The metrics worth showing on every card of a board: the keys most of the versions' source
/// runs have, at most `max`, commonest first, then by name.
pub fn key_metrics(runs: &[&Run], max: usize) -> Vec<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for run in runs {
        for m in &run.data.metrics {
            *counts.entry(m.key.as_str()).or_default() += 1;
        }
    }
    let mut keys: Vec<(&str, usize)> = counts.into_iter().collect();
    keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    keys.into_iter().take(max).map(|(k, _)| k.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Answers of the registry screens
// ---------------------------------------------------------------------------------------------

/// The models list (or the prompts list): what matched the search, sorted as asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ListModelsRequest {
    /// Matched against names and tags (see [`model_matches`]).
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub sort: ModelSort,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    pub model: RegisteredModel,
    /// Experiments whose `__maxai_registered_models__` names this model.
    pub experiments: Vec<ExperimentLink>,
}

/// An experiment named by a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperimentLink {
    pub experiment_id: String,
    pub name: String,
}

/// One registered model (or prompt) by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRequest {
    pub name: String,
}

/// A model with every version as the model page and the stage board show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDetail {
    pub model: RegisteredModel,
    /// Newest first.
    pub versions: Vec<VersionCard>,
    /// The metrics each card shows (see [`key_metrics`]).
    pub key_metrics: Vec<String>,
    pub experiments: Vec<ExperimentLink>,
}

impl ModelDetail {
    pub fn version(&self, version: i64) -> Option<&VersionCard> {
        self.versions.iter().find(|v| v.version.version == version)
    }

    pub fn model_versions(&self) -> Vec<ModelVersion> {
        self.versions.iter().map(|v| v.version.clone()).collect()
    }
}

/// One version with its source run (when it has one) and that run's key metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionCard {
    pub version: ModelVersion,
    pub run: Option<SourceRun>,
    /// The run's latest values of the model's key metrics it has, in key order.
    pub metrics: Vec<Metric>,
}

/// The run a version came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRun {
    pub run: RunRef,
    /// `None` when the run is not in the store (`run.missing`).
    pub experiment_id: Option<String>,
}

/// A version with its files' model card and its source run, for the version page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionDetail {
    pub version: ModelVersion,
    /// Every version of the model (for "Compare with…"), newest first.
    pub siblings: Vec<VersionBrief>,
    pub run: Option<SourceRunDetail>,
    /// Where the version's files are, as the store names it.
    pub files: String,
    /// The `MLmodel` file read as a model card, when it could be read.
    pub card: Option<ModelCard>,
    /// Why there is no card.
    pub card_error: Option<ApiError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionBrief {
    pub version: i64,
    pub stage: Stage,
    pub run_id: Option<String>,
    pub aliases: Vec<String>,
}

/// The source run with what the version page shows of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRunDetail {
    pub source: SourceRun,
    pub experiment_name: Option<String>,
    /// Latest values, by key.
    pub metrics: Vec<Metric>,
    pub params: BTreeMap<String, String>,
}

/// One version by number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRequest {
    pub name: String,
    pub version: i64,
}

/// A change to a model's or a version's description or tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum RegistryEdit {
    /// An empty text clears the description.
    SetDescription {
        text: String,
    },
    SetTag {
        key: String,
        value: String,
    },
    DeleteTag {
        key: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditModelRequest {
    pub name: String,
    pub edit: RegistryEdit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditVersionRequest {
    pub name: String,
    pub version: i64,
    pub edit: RegistryEdit,
}

// ---------------------------------------------------------------------------------------------
// Stage moves and aliases, planned before anything is written
// ---------------------------------------------------------------------------------------------

/// Exactly what a stage move does: the version's move, and which other versions "archive
/// existing versions" moves to Archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionPlan {
    pub name: String,
    pub version: i64,
    pub from: Stage,
    pub to: Stage,
    pub archive_existing_versions: bool,
    /// Versions moved from `to` to Archived, ascending (empty unless archiving).
    pub archived: Vec<i64>,
    /// Versions already in `to` that stay there (ascending; empty when archiving).
    pub staying: Vec<i64>,
}

/// Plans moving `version` to `to`, as MLflow's `transition_model_version_stage` will do it.
pub fn plan_transition(
    name: &str,
    versions: &[ModelVersion],
    version: i64,
    to: Stage,
    archive_existing_versions: bool,
) -> Result<TransitionPlan, ApiError> {
    let current = versions
        .iter()
        .find(|v| v.version == version)
        .ok_or_else(|| ApiError::not_found(format!("model {name:?} has no version {version}")))?;
    if archive_existing_versions && !to.allows_archiving_others() {
        return Err(ApiError::invalid(format!(
            "“archive existing versions” applies only to moves into Staging or Production, not {to}"
        )));
    }
    let mut others: Vec<i64> = versions
        .iter()
        .filter(|v| v.version != version && v.current_stage == to)
        .map(|v| v.version)
        .collect();
    others.sort_unstable();
    let (archived, staying) = if archive_existing_versions {
        (others, Vec::new())
    } else {
        (Vec::new(), others)
    };
    Ok(TransitionPlan {
        name: name.to_string(),
        version,
        from: current.current_stage,
        to,
        archive_existing_versions,
        archived,
        staying,
    })
}

/// "version 2", "versions 1 and 2", "versions 1, 2 and 5".
pub fn versions_text(versions: &[i64]) -> String {
    let numbers: Vec<String> = versions.iter().map(i64::to_string).collect();
    match numbers.as_slice() {
        [] => "no version".into(),
        [one] => format!("version {one}"),
        [rest @ .., last] => format!("versions {} and {last}", rest.join(", ")),
    }
}

impl TransitionPlan {
    /// What will happen, in one or two sentences (the confirmation's body).
    pub fn summary(&self) -> String {
        let mut text = if self.from == self.to {
            format!("Version {} of “{}” stays in {}.", self.version, self.name, self.to)
        } else {
            format!(
                "Version {} of “{}” moves from {} to {}.",
                self.version, self.name, self.from, self.to
            )
        };
        if self.archive_existing_versions {
            if self.archived.is_empty() {
                text.push_str(&format!(
                    " “Archive existing versions” is on, but no other version is in {}: nothing else changes.",
                    self.to
                ));
            } else {
                text.push_str(&format!(
                    " “Archive existing versions” also moves {} from {} to Archived.",
                    versions_text(&self.archived),
                    self.to
                ));
            }
        } else if !self.staying.is_empty() {
            let verb = if self.staying.len() == 1 { "stays" } else { "stay" };
            text.push_str(&format!(
                " {} {verb} in {} too.",
                capitalised(&versions_text(&self.staying)),
                self.to
            ));
        }
        text
    }

    /// Every stage change, one line each (the confirmation's list).
    pub fn changes(&self) -> Vec<String> {
        let mut out = vec![format!("Version {}: {} → {}", self.version, self.from, self.to)];
        out.extend(
            self.archived
                .iter()
                .map(|v| format!("Version {v}: {} → {}", self.to, Stage::Archived)),
        );
        out
    }

    /// The stage of every version once the move is done, given the stages before it.
    pub fn stages_after(&self, versions: &[ModelVersion]) -> BTreeMap<i64, Stage> {
        versions
            .iter()
            .map(|v| {
                let stage = if v.version == self.version {
                    self.to
                } else if self.archived.contains(&v.version) {
                    Stage::Archived
                } else {
                    v.current_stage
                };
                (v.version, stage)
            })
            .collect()
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A stage move to write, with the plan the user confirmed: the backend plans again on the
/// store's current state and writes only when both agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionRequest {
    pub plan: TransitionPlan,
}

/// Setting, moving or removing one alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasPlan {
    pub name: String,
    pub alias: String,
    /// The version the alias names now.
    pub from: Option<i64>,
    /// The version it will name (`None`: removed).
    pub to: Option<i64>,
}

/// Plans pointing `alias` at `to` (or removing it), validated as MLflow validates aliases.
pub fn plan_alias(
    model: &RegisteredModel,
    versions: &[i64],
    alias: &str,
    to: Option<i64>,
) -> Result<AliasPlan, ApiError> {
    let alias = alias.trim();
    let from = model.aliases.get(alias).copied();
    match to {
        Some(version) => {
            crate::model::validate_alias(alias)?;
            if !versions.contains(&version) {
                return Err(ApiError::not_found(format!(
                    "model {:?} has no version {version}",
                    model.name
                )));
            }
            if from == Some(version) {
                return Err(ApiError::invalid(format!(
                    "alias “{alias}” already names version {version}"
                )));
            }
        }
        None if from.is_none() => {
            return Err(ApiError::not_found(format!(
                "model {:?} has no alias “{alias}”",
                model.name
            )))
        }
        None => {}
    }
    Ok(AliasPlan {
        name: model.name.clone(),
        alias: alias.to_string(),
        from,
        to,
    })
}

impl AliasPlan {
    pub fn summary(&self) -> String {
        match (self.from, self.to) {
            (None, Some(to)) => format!("Sets alias “{}” on version {to} of “{}”.", self.alias, self.name),
            (Some(from), Some(to)) => format!(
                "Moves alias “{}” of “{}” from version {from} to version {to}.",
                self.alias, self.name
            ),
            (Some(from), None) => format!("Removes alias “{}” from version {from} of “{}”.", self.alias, self.name),
            (None, None) => format!("Alias “{}” of “{}” stays unset.", self.alias, self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRequest {
    pub plan: AliasPlan,
}

// ---------------------------------------------------------------------------------------------
// Registering a run's model
// ---------------------------------------------------------------------------------------------

/// One run by id, for its models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunModelsRequest {
    pub run_id: String,
}

/// The models a run logged, ready to register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunModels {
    pub run_id: String,
    pub run_name: String,
    pub experiment_id: String,
    pub experiment_name: String,
    /// The experiment carries MaxFlow tags: names follow MaxFlow's convention and the
    /// experiment's `__maxai_registered_models__` lists each model registered from it.
    pub maxflow: bool,
    pub models: Vec<RunModel>,
    /// Registered models that exist, for registering as a new version of one of them; empty
    /// when the store has no registry.
    pub existing_models: Vec<String>,
    /// Why `existing_models` is empty although a registry may exist (e.g. no registry).
    pub registry_error: Option<ApiError>,
}

/// A model logged by a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunModel {
    /// The logged model's name, or MLflow 2's artifact path.
    pub name: String,
    /// MLflow 3's logged model id; `None` for a model known only from `mlflow.log-model.history`.
    pub model_id: Option<String>,
    /// What a registered version's `source` will be, as MLflow's own `register_model` writes it.
    pub source: String,
    pub flavors: Vec<String>,
    pub created: Option<i64>,
    /// The registered model name proposed first.
    pub suggested_name: String,
}

/// Registers one of a run's models as a new version of `model_name` (creating the model when
/// `create_model`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterRequest {
    pub run_id: String,
    /// The [`RunModel::source`] chosen.
    pub source: String,
    pub model_name: String,
    /// The user asked for a new model (the backend refuses when one exists by then) or a new
    /// version of an existing one.
    pub create_model: bool,
    #[serde(default)]
    pub description: Option<String>,
}

/// What registering did, read back from the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterOutcome {
    pub version: ModelVersion,
    pub created_model: bool,
    /// The experiment's `__maxai_registered_models__` now lists the model.
    pub maxflow_listed: bool,
}

/// A model name as MLflow accepts one: not empty, no `/` or `:` (they would break
/// `models:/<name>/<version>` URIs) and not a relative path.
pub fn validate_model_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::invalid("a registered model needs a name"));
    }
    if name.contains(['/', ':']) {
        return Err(ApiError::invalid(format!(
            "invalid model name {name:?}: names cannot contain '/' or ':'"
        )));
    }
    if name == "." || name == ".." {
        return Err(ApiError::invalid(format!("invalid model name {name:?}")));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Prompts
// ---------------------------------------------------------------------------------------------

/// A prompt with every version's template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptDetail {
    pub prompt: RegisteredModel,
    /// Newest first.
    pub versions: Vec<PromptVersion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptVersion {
    pub version: i64,
    /// The template as stored (`mlflow.prompt.text`); a chat template pretty-printed.
    pub template: String,
    pub chat: bool,
    pub description: Option<String>,
    pub aliases: Vec<String>,
    pub creation_timestamp: Option<i64>,
    /// The version's own tags, without MLflow's internal prompt tags.
    pub tags: Tags,
}

impl PromptVersion {
    pub fn from_version(v: &ModelVersion) -> PromptVersion {
        let chat = v
            .tags
            .get(tag::PROMPT_TYPE)
            .is_some_and(|t| t.eq_ignore_ascii_case("chat"));
        let raw = v.tags.get(tag::PROMPT_TEXT).cloned().unwrap_or_default();
        let template = if chat {
            serde_json::from_str::<serde_json::Value>(&raw)
                .ok()
                .and_then(|j| serde_json::to_string_pretty(&j).ok())
                .unwrap_or(raw)
        } else {
            raw
        };
        PromptVersion {
            version: v.version,
            template,
            chat,
            description: v.description.clone(),
            aliases: v.aliases.clone(),
            creation_timestamp: v.creation_timestamp,
            tags: v
                .tags
                .iter()
                .filter(|(k, _)| !k.starts_with("mlflow.prompt.") && !k.starts_with("_mlflow_"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: DiffKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    Same,
    Removed,
    Added,
}

/// The lines of `old` and `new` as a diff (longest common subsequence; removals before
/// additions at each change). Texts over 2,000 lines are compared as one block each.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    const MAX_LINES: usize = 2000;
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let line = |kind, text: &str| DiffLine {
        kind,
        text: text.to_string(),
    };
    if a.len() > MAX_LINES || b.len() > MAX_LINES {
        if old == new {
            return a.iter().map(|t| line(DiffKind::Same, t)).collect();
        }
        return a
            .iter()
            .map(|t| line(DiffKind::Removed, t))
            .chain(b.iter().map(|t| line(DiffKind::Added, t)))
            .collect();
    }
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len() + b.len()));
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(line(DiffKind::Same, a[i]));
            i += 1;
            j += 1;
        } else if j == b.len() || (i < a.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(line(DiffKind::Removed, a[i]));
            i += 1;
        } else {
            out.push(line(DiffKind::Added, b[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LifecycleStage, RunData, RunInfo, RunStatus};
    use crate::MetricValue;

    fn version(n: i64, stage: Stage) -> ModelVersion {
        ModelVersion {
            name: "m".into(),
            version: n,
            creation_timestamp: Some(n),
            last_updated_timestamp: Some(n),
            description: None,
            user_id: None,
            current_stage: stage,
            source: format!("runs:/r{n}/model"),
            run_id: Some(format!("r{n}")),
            status: "READY".into(),
            status_message: None,
            run_link: None,
            tags: Tags::new(),
            aliases: Vec::new(),
        }
    }

    fn model(aliases: &[(&str, i64)], tags: &[(&str, &str)]) -> RegisteredModel {
        RegisteredModel {
            name: "churn".into(),
            creation_timestamp: Some(1),
            last_updated_timestamp: Some(2),
            description: None,
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            aliases: aliases.iter().map(|(a, v)| (a.to_string(), *v)).collect(),
            latest_versions: Vec::new(),
        }
    }

    fn experiment(tags: &[(&str, &str)]) -> Experiment {
        Experiment {
            experiment_id: "1".into(),
            name: "churn".into(),
            artifact_location: String::new(),
            lifecycle_stage: LifecycleStage::Active,
            creation_time: None,
            last_update_time: None,
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn archiving_lists_exactly_the_other_versions_in_the_target_stage() {
        let versions = vec![
            version(1, Stage::Production),
            version(2, Stage::Production),
            version(3, Stage::Staging),
            version(4, Stage::None),
        ];
        let plan = plan_transition("m", &versions, 3, Stage::Production, true).unwrap();
        assert_eq!((plan.from, plan.to), (Stage::Staging, Stage::Production));
        assert_eq!(plan.archived, vec![1, 2]);
        assert!(plan.staying.is_empty());
        assert_eq!(
            plan.summary(),
            "Version 3 of “m” moves from Staging to Production. “Archive existing versions” also moves \
             versions 1 and 2 from Production to Archived."
        );
        assert_eq!(
            plan.changes(),
            vec![
                "Version 3: Staging → Production",
                "Version 1: Production → Archived",
                "Version 2: Production → Archived"
            ]
        );
        let after = plan.stages_after(&versions);
        assert_eq!(
            after.values().copied().collect::<Vec<_>>(),
            vec![Stage::Archived, Stage::Archived, Stage::Production, Stage::None]
        );

        let keep = plan_transition("m", &versions, 4, Stage::Production, false).unwrap();
        assert!(keep.archived.is_empty());
        assert_eq!(keep.staying, vec![1, 2]);
        assert!(
            keep.summary().ends_with("Versions 1 and 2 stay in Production too."),
            "{}",
            keep.summary()
        );

        let lonely = plan_transition("m", &versions, 4, Stage::Staging, true).unwrap();
        assert_eq!(lonely.archived, vec![3]);
        let none_there = plan_transition("m", &[version(1, Stage::None)], 1, Stage::Staging, true).unwrap();
        assert!(
            none_there.summary().contains("nothing else changes"),
            "{}",
            none_there.summary()
        );
    }

    #[test]
    fn archiving_is_refused_where_mlflow_refuses_it_and_unknown_versions_are_not_found() {
        let versions = vec![version(1, Stage::Staging)];
        for stage in [Stage::None, Stage::Archived] {
            let err = plan_transition("m", &versions, 1, stage, true).unwrap_err();
            assert_eq!(err.code, crate::ErrorCode::InvalidArgument, "{stage}");
        }
        assert!(plan_transition("m", &versions, 1, Stage::Archived, false).is_ok());
        assert_eq!(
            plan_transition("m", &versions, 9, Stage::Staging, false)
                .unwrap_err()
                .code,
            crate::ErrorCode::NotFound
        );
    }

    #[test]
    fn aliases_are_planned_and_validated_like_mlflow() {
        let m = model(&[("champion", 2)], &[]);
        let versions = [1, 2, 3];
        let set = plan_alias(&m, &versions, "challenger", Some(3)).unwrap();
        assert_eq!((set.from, set.to), (None, Some(3)));
        assert_eq!(set.summary(), "Sets alias “challenger” on version 3 of “churn”.");
        let moved = plan_alias(&m, &versions, "champion", Some(3)).unwrap();
        assert_eq!(
            moved.summary(),
            "Moves alias “champion” of “churn” from version 2 to version 3."
        );
        let removed = plan_alias(&m, &versions, "champion", None).unwrap();
        assert_eq!(removed.summary(), "Removes alias “champion” from version 2 of “churn”.");
        for bad in ["v3", "V12", "latest", "bad alias", "", "<b>x</b>"] {
            assert!(plan_alias(&m, &versions, bad, Some(1)).is_err(), "{bad:?}");
        }
        assert!(plan_alias(&m, &versions, "champion", Some(2)).is_err(), "already there");
        assert!(
            plan_alias(&m, &versions, "champion", Some(9)).is_err(),
            "no such version"
        );
        assert!(plan_alias(&m, &versions, "ghost", None).is_err(), "nothing to remove");
    }

    #[test]
    fn maxflow_conventions() {
        let mf = experiment(&[
            ("__maxai_project__", "retail"),
            ("__maxai_registered_models__", r#"["churn-a", "churn-b"]"#),
        ]);
        assert!(is_maxflow(&mf));
        assert!(!is_maxflow(&experiment(&[("project", "x")])));
        assert_eq!(maxflow_models(&mf), vec!["churn-a", "churn-b"]);
        assert_eq!(maxflow_models_with(&mf, "churn-a"), None);
        assert_eq!(
            maxflow_models_with(&mf, "churn-c").as_deref(),
            Some(r#"["churn-a","churn-b","churn-c"]"#)
        );
        let broken = experiment(&[("__maxai_registered_models__", "not json")]);
        assert!(maxflow_models(&broken).is_empty());
        assert_eq!(maxflow_models_with(&broken, "x").as_deref(), Some(r#"["x"]"#));
        assert_eq!(maxflow_model_name("churn", "run-7", "model/"), "churn-run-7-model");
    }

    #[test]
    fn log_model_history_lists_each_artifact_path_once() {
        let tag = r#"[{"artifact_path": "model", "flavors": {"python_function": {}, "sklearn": {}},
                       "utc_time_created": "2024-01-01 00:00:00.000000", "model_uuid": "abc"},
                      {"artifact_path": "model", "flavors": {"python_function": {}}},
                      {"artifact_path": "/tok/", "flavors": {}}, {"flavors": {}}]"#;
        let models = parse_log_model_history(tag);
        assert_eq!(models.len(), 2);
        assert_eq!(models[0].artifact_path, "model");
        assert_eq!(models[0].flavors, vec!["python_function"], "the later entry wins");
        assert_eq!(models[1].artifact_path, "tok");
        assert!(parse_log_model_history("{}").is_empty());
        assert!(parse_log_model_history("garbage").is_empty());
    }

    #[test]
    fn search_matches_names_and_tags_and_sorting_follows_the_choice() {
        let mut a = model(&[], &[("team", "Vision")]);
        a.name = "resnet".into();
        a.last_updated_timestamp = Some(5);
        let mut b = model(&[], &[("task", "ranking")]);
        b.name = "Alpha".into();
        b.last_updated_timestamp = Some(9);
        assert!(model_matches(&a, "RES"));
        assert!(model_matches(&a, "vision"));
        assert!(model_matches(&a, "team=vis"));
        assert!(!model_matches(&a, "task=vis"));
        assert!(model_matches(&a, "  "));
        assert!(!model_matches(&b, "vision"));
        let mut list = vec![a.clone(), b.clone()];
        sort_models(&mut list, ModelSort::Name);
        assert_eq!(list[0].name, "Alpha");
        sort_models(&mut list, ModelSort::Updated);
        assert_eq!(list[0].name, "Alpha");
        list[0].last_updated_timestamp = Some(1);
        sort_models(&mut list, ModelSort::Updated);
        assert_eq!(list[0].name, "resnet");
    }

    #[test]
    fn key_metrics_prefer_the_commonest_keys() {
        let run = |keys: &[&str]| Run {
            info: RunInfo {
                run_id: "r".into(),
                run_name: "r".into(),
                experiment_id: "1".into(),
                user_id: String::new(),
                status: RunStatus::Finished,
                start_time: None,
                end_time: None,
                artifact_uri: String::new(),
                lifecycle_stage: LifecycleStage::Active,
            },
            data: RunData {
                metrics: keys
                    .iter()
                    .map(|k| Metric {
                        key: k.to_string(),
                        value: MetricValue(1.0),
                        timestamp: 0,
                        step: 0,
                    })
                    .collect(),
                ..Default::default()
            },
            inputs: Vec::new(),
        };
        let (r1, r2, r3) = (run(&["auc", "loss", "zeta"]), run(&["auc", "f1"]), run(&["auc", "f1"]));
        assert_eq!(key_metrics(&[&r1, &r2, &r3], 3), vec!["auc", "f1", "loss"]);
        assert!(key_metrics(&[], 3).is_empty());
    }

    #[test]
    fn diffs_keep_common_lines_and_mark_changes() {
        let d = diff_lines(
            "Hello {{name}}\nBe brief.\nBye",
            "Hello {{name}}\nBe very brief.\nBye\nPS",
        );
        let kinds: Vec<DiffKind> = d.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            vec![
                DiffKind::Same,
                DiffKind::Removed,
                DiffKind::Added,
                DiffKind::Same,
                DiffKind::Added
            ]
        );
        assert_eq!(d[1].text, "Be brief.");
        assert_eq!(d[2].text, "Be very brief.");
        assert!(diff_lines("a\nb", "a\nb").iter().all(|l| l.kind == DiffKind::Same));
        assert_eq!(diff_lines("", "x").len(), 1);
    }

    #[test]
    fn prompt_versions_read_their_template_and_hide_internal_tags() {
        let mut v = version(2, Stage::None);
        v.tags.insert(tag::IS_PROMPT.into(), "true".into());
        v.tags.insert(
            tag::PROMPT_TEXT.into(),
            r#"[{"role": "system", "content": "Hi"}]"#.into(),
        );
        v.tags.insert(tag::PROMPT_TYPE.into(), "chat".into());
        v.tags.insert("owner".into(), "ann".into());
        let p = PromptVersion::from_version(&v);
        assert!(p.chat);
        assert!(p.template.contains("\"role\": \"system\""), "{}", p.template);
        assert_eq!(p.tags.keys().collect::<Vec<_>>(), vec!["owner"]);
        assert!(is_prompt(&model(&[], &[(tag::IS_PROMPT, "true")])));
        assert!(!is_prompt(&model(&[], &[])));
    }

    #[test]
    fn llm_tasks_are_recognised() {
        assert!(llm_task_label("llm/v1/chat").unwrap().starts_with("LLM chat"));
        assert!(llm_task_label("llm/v1/completions").is_some());
        assert!(llm_task_label(" llm/v1/embeddings ").is_some());
        assert_eq!(llm_task_label("text-generation"), None);
    }

    #[test]
    fn model_names_are_checked_like_mlflow() {
        assert!(validate_model_name("churn model ü").is_ok());
        for bad in ["", " ", "a/b", "a:b", ".."] {
            assert!(validate_model_name(bad).is_err(), "{bad:?}");
        }
    }
}
