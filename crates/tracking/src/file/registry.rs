//! The model registry of the file store: `mlruns/models/<name>/meta.yaml` with `tags/` and
//! `aliases/<alias>` (file holds the version), and `version-<n>/meta.yaml` with `tags/`.
//!
//! MLflow rewrites the model's `meta.yaml` (its `last_updated_timestamp` and the copy of the
//! aliases) whenever a version, alias or tag of the model changes; Runlens does the same.

use super::io::{self, already_exists, corrupt, invalid, not_found, parse_int, write_atomic, META, MODELS, TAGS};
use super::yaml::{read_meta, Doc, Meta, Node, StringFields};
use super::Fs;
use crate::error::Result;
use runlens_core::filter::{parse_experiment_filter, Field};
use runlens_core::request::{CreateModelVersion, SearchModels, TransitionStage};
use runlens_core::{
    validate_alias, ApiError, Experiment, LifecycleStage, ModelVersion, Page, RegisteredModel, Stage, Tags, ViewType,
};
use serde::Deserialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ALIASES: &str = "aliases";
const VERSION_PREFIX: &str = "version-";
/// The stage MLflow's file store gives a deleted version (its folder stays).
const STAGE_DELETED: &str = "Deleted_Internal";
/// Prompts are registered models with this tag; MLflow leaves them out of model searches.
const PROMPT_TAG: &str = "mlflow.prompt.is_prompt";
const MAX_TAG_VALUE_LENGTH: usize = 100_000;

#[derive(Debug, Default, Deserialize)]
struct ModelMeta {
    name: Option<String>,
    creation_timestamp: Option<String>,
    last_updated_timestamp: Option<String>,
    description: Option<String>,
    workspace: Option<String>,
    deployment_job_id: Option<String>,
    deployment_job_state: Option<String>,
}

impl StringFields for ModelMeta {
    fn string_fields(&self) -> Vec<(&'static str, &Option<String>)> {
        vec![
            ("name", &self.name),
            ("description", &self.description),
            ("workspace", &self.workspace),
            ("deployment_job_id", &self.deployment_job_id),
            ("deployment_job_state", &self.deployment_job_state),
        ]
    }
}

#[derive(Debug, Default, Deserialize)]
struct VersionMeta {
    name: Option<String>,
    creation_timestamp: Option<String>,
    last_updated_timestamp: Option<String>,
    description: Option<String>,
    user_id: Option<String>,
    current_stage: Option<String>,
    source: Option<String>,
    run_id: Option<String>,
    status: Option<String>,
    status_message: Option<String>,
    run_link: Option<String>,
    storage_location: Option<String>,
    model_id: Option<String>,
    workspace: Option<String>,
    deployment_job_state: Option<String>,
}

impl StringFields for VersionMeta {
    fn string_fields(&self) -> Vec<(&'static str, &Option<String>)> {
        vec![
            ("name", &self.name),
            ("description", &self.description),
            ("user_id", &self.user_id),
            ("current_stage", &self.current_stage),
            ("source", &self.source),
            ("run_id", &self.run_id),
            ("status", &self.status),
            ("status_message", &self.status_message),
            ("run_link", &self.run_link),
            ("storage_location", &self.storage_location),
            ("model_id", &self.model_id),
            ("workspace", &self.workspace),
            ("deployment_job_state", &self.deployment_job_state),
        ]
    }
}

/// The parts of an MLflow 3 logged model (`<exp>/models/m-<id>/meta.yaml`) a version needs.
#[derive(Debug, Default, Deserialize)]
struct LoggedModelMeta {
    artifact_location: Option<String>,
    source_run_id: Option<String>,
}

/// Read only, never rewritten.
impl StringFields for LoggedModelMeta {}

/// One version as stored, with what `ModelVersion` does not carry.
struct VersionRecord {
    version: ModelVersion,
    storage_location: Option<String>,
    dir: PathBuf,
    doc: Doc,
}

/// MLflow's model name rule for the file store: no path separators, `:` or `%`, and a name that
/// is exactly one folder.
fn validate_model_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(invalid("a registered model needs a name"));
    }
    if name.contains(['/', '\\', ':', '%']) {
        return Err(invalid(format!(
            "invalid model name {name:?}: names cannot contain '/', '\\', ':' or '%'"
        )));
    }
    if name == "." || name.starts_with("..") {
        return Err(invalid(format!(
            "invalid model name {name:?}: the name must not be a relative path"
        )));
    }
    Ok(())
}

fn validate_model_tag(key: &str, value: &str) -> Result<()> {
    io::validate_key("tag", key)?;
    io::check_length(&format!("the value of tag {key:?}"), value, MAX_TAG_VALUE_LENGTH)
}

/// Alias names as MLflow checks them before touching `aliases/<alias>`.
fn validate_alias_chars(alias: &str) -> Result<()> {
    if alias.is_empty()
        || alias.chars().count() > 255
        || !alias.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return Err(invalid(format!(
            "invalid alias {alias:?}: use 1 to 255 letters, digits, '_' or '-'"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ModelKey {
    Name,
    Created,
    Updated,
}

/// One registered-model `order_by` clause: `name`, `creation_timestamp` or
/// `last_updated_timestamp`, optionally `ASC`/`DESC`.
fn parse_model_order(text: &str) -> Result<(ModelKey, bool)> {
    let trimmed = text.trim();
    let upper = trimmed.to_ascii_uppercase();
    let (key, ascending) = if upper.ends_with(" DESC") {
        (&trimmed[..trimmed.len() - 5], false)
    } else if upper.ends_with(" ASC") {
        (&trimmed[..trimmed.len() - 4], true)
    } else {
        (trimmed, true)
    };
    let key = key.trim();
    let key = key
        .strip_prefix("attributes.")
        .or_else(|| key.strip_prefix("attribute."))
        .unwrap_or(key);
    let key = key.trim_matches(|c| c == '`' || c == '"' || c == '\'');
    let parsed = match key {
        "name" => ModelKey::Name,
        "creation_timestamp" => ModelKey::Created,
        "last_updated_timestamp" => ModelKey::Updated,
        other => {
            return Err(invalid(format!(
                "cannot order registered models by {other:?}: use name, creation_timestamp or last_updated_timestamp"
            )))
        }
    };
    Ok((parsed, ascending))
}

fn compare_models(a: &RegisteredModel, b: &RegisteredModel, order: &[(ModelKey, bool)]) -> Ordering {
    for &(key, ascending) in order {
        let ord = match key {
            ModelKey::Name => directed(a.name.cmp(&b.name), ascending),
            ModelKey::Created => compare_times(a.creation_timestamp, b.creation_timestamp, ascending),
            ModelKey::Updated => compare_times(a.last_updated_timestamp, b.last_updated_timestamp, ascending),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

fn directed(ord: Ordering, ascending: bool) -> Ordering {
    if ascending {
        ord
    } else {
        ord.reverse()
    }
}

/// Missing times go last whatever the direction.
fn compare_times(a: Option<i64>, b: Option<i64>, ascending: bool) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => directed(x.cmp(&y), ascending),
        _ => a.is_none().cmp(&b.is_none()),
    }
}

/// A model seen as an experiment, so the experiment filter grammar (`name`, `tags.<key>`) can
/// select models.
fn as_experiment(m: &RegisteredModel) -> Experiment {
    Experiment {
        experiment_id: String::new(),
        name: m.name.clone(),
        artifact_location: String::new(),
        lifecycle_stage: LifecycleStage::Active,
        creation_time: m.creation_timestamp,
        last_update_time: m.last_updated_timestamp,
        tags: m.tags.clone(),
    }
}

impl Fs {
    fn models_dir(&self) -> PathBuf {
        self.root.join(MODELS)
    }

    fn model_dir(&self, name: &str) -> Result<PathBuf> {
        validate_model_name(name)?;
        let dir = self.models_dir().join(name);
        if !dir.is_dir() {
            return Err(not_found(format!("registered model {name:?} does not exist")));
        }
        Ok(dir)
    }

    fn read_model_meta(&self, dir: &Path) -> Result<(ModelMeta, Doc)> {
        let path = dir.join(META);
        match read_meta::<ModelMeta>(&path)? {
            Meta::Found(meta, doc) => Ok((meta, doc)),
            Meta::Missing => Err(corrupt(dir, "is a model folder without meta.yaml", None)),
            Meta::Empty => Err(corrupt(&path, "is empty", None)),
        }
    }

    /// alias → version as written in `aliases/<alias>`.
    fn aliases_of(dir: &Path) -> Result<BTreeMap<String, String>> {
        Ok(io::read_keyed_values(&dir.join(ALIASES))?
            .into_iter()
            .map(|(k, v)| (k, v.trim().to_string()))
            .collect())
    }

    /// Every version folder of a model with its number, deleted ones included.
    fn version_dirs(model_dir: &Path) -> Result<Vec<(i64, PathBuf)>> {
        Ok(io::subdirs(model_dir)?
            .into_iter()
            .filter_map(|(name, path)| Some((name.strip_prefix(VERSION_PREFIX)?.parse::<i64>().ok()?, path)))
            .collect())
    }

    /// One version; `None` when it was deleted or its folder has no `meta.yaml` yet.
    fn read_version(
        &self,
        model: &str,
        number: i64,
        dir: &Path,
        aliases: &BTreeMap<String, String>,
    ) -> Result<Option<VersionRecord>> {
        let path = dir.join(META);
        let (meta, doc) = match read_meta::<VersionMeta>(&path)? {
            Meta::Found(meta, doc) => (meta, doc),
            Meta::Missing | Meta::Empty => return Ok(None),
        };
        let stage_text = meta.current_stage.as_deref().unwrap_or("None");
        if stage_text == STAGE_DELETED {
            return Ok(None);
        }
        let current_stage = Stage::parse(stage_text)
            .ok_or_else(|| corrupt(&path, format!("has an unknown current_stage {stage_text:?}"), None))?;
        let key = number.to_string();
        let version = ModelVersion {
            name: meta.name.unwrap_or_else(|| model.to_string()),
            version: number,
            creation_timestamp: parse_int(meta.creation_timestamp.as_deref()),
            last_updated_timestamp: parse_int(meta.last_updated_timestamp.as_deref()),
            description: meta.description,
            user_id: meta.user_id,
            current_stage,
            source: meta.source.unwrap_or_default(),
            run_id: meta.run_id.filter(|r| !r.is_empty()),
            status: meta.status.unwrap_or_else(|| "READY".to_string()),
            status_message: meta.status_message,
            run_link: meta.run_link,
            tags: io::read_keyed_values(&dir.join(TAGS))?,
            aliases: aliases
                .iter()
                .filter(|(_, v)| **v == key)
                .map(|(a, _)| a.clone())
                .collect(),
        };
        Ok(Some(VersionRecord {
            version,
            storage_location: meta.storage_location,
            dir: dir.to_path_buf(),
            doc,
        }))
    }

    /// The live versions of a model, newest first.
    fn version_records(&self, name: &str, dir: &Path) -> Result<Vec<VersionRecord>> {
        let aliases = Self::aliases_of(dir)?;
        let mut out = Vec::new();
        for (number, vdir) in Self::version_dirs(dir)? {
            if let Some(record) = self.read_version(name, number, &vdir, &aliases)? {
                out.push(record);
            }
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.version.version));
        Ok(out)
    }

    fn version_record(&self, name: &str, version: i64) -> Result<(PathBuf, VersionRecord)> {
        let dir = self.model_dir(name)?;
        let vdir = dir.join(format!("{VERSION_PREFIX}{version}"));
        let missing = || not_found(format!("model {name:?} has no version {version}"));
        if !vdir.is_dir() {
            return Err(missing());
        }
        let aliases = Self::aliases_of(&dir)?;
        let record = self.read_version(name, version, &vdir, &aliases)?.ok_or_else(missing)?;
        Ok((dir, record))
    }

    fn build_model(&self, dir: &Path) -> Result<RegisteredModel> {
        let (meta, _) = self.read_model_meta(dir)?;
        let folder = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = meta.name.unwrap_or(folder);
        let versions = self.version_records(&name, dir)?;
        // Versions are newest first, so the first one met in each stage is that stage's latest.
        let latest_versions = Stage::ALL
            .iter()
            .filter_map(|stage| {
                versions
                    .iter()
                    .find(|v| v.version.current_stage == *stage)
                    .map(|v| v.version.clone())
            })
            .collect();
        let aliases = Self::aliases_of(dir)?
            .into_iter()
            .filter_map(|(a, v)| Some((a, v.parse::<i64>().ok()?)))
            .collect();
        Ok(RegisteredModel {
            name,
            creation_timestamp: parse_int(meta.creation_timestamp.as_deref()),
            last_updated_timestamp: parse_int(meta.last_updated_timestamp.as_deref()),
            description: meta.description,
            tags: io::read_keyed_values(&dir.join(TAGS))?,
            aliases,
            latest_versions,
        })
    }

    /// Rewrites the model's `meta.yaml` after a change: new `last_updated_timestamp`, the aliases
    /// copied from `aliases/`, and the description when one is given.
    fn touch_model(&self, dir: &Path, now: i64, description: Option<&str>) -> Result<()> {
        let (_, mut doc) = self.read_model_meta(dir)?;
        let aliases = Self::aliases_of(dir)?
            .into_iter()
            .map(|(a, v)| (a, Node::Str(v)))
            .collect();
        doc.set("last_updated_timestamp", now)
            .set("aliases", Node::Map(aliases));
        if let Some(d) = description {
            doc.set("description", d);
        }
        write_atomic(&dir.join(META), dir, doc.render().as_bytes())
    }

    pub(super) fn search_registered_models(&self, req: &SearchModels) -> Result<Page<RegisteredModel>> {
        let text = req.filter.as_deref().unwrap_or("");
        let filter = parse_experiment_filter(text).map_err(ApiError::from)?;
        if let Some(c) = filter.clauses.iter().find(|c| {
            !matches!(
                c.field,
                Field::Tag(_) | Field::Attribute(runlens_core::filter::Attribute::Name)
            )
        }) {
            return Err(invalid(format!(
                "registered models can be filtered by name and tags only, not by {:?}",
                c.field
            )));
        }
        let mut order = req
            .order_by
            .iter()
            .map(|o| parse_model_order(o))
            .collect::<Result<Vec<_>>>()?;
        if !order.iter().any(|(k, _)| *k == ModelKey::Name) {
            order.push((ModelKey::Name, true));
        }
        let include_prompts = text.contains(PROMPT_TAG);
        let mut models = Vec::new();
        for (_, dir) in io::subdirs(&self.models_dir())? {
            // A folder without meta.yaml is a model still being created (or not a model).
            if !dir.join(META).is_file() {
                continue;
            }
            let model = self.build_model(&dir)?;
            let is_prompt = model
                .tags
                .get(PROMPT_TAG)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            if (include_prompts || !is_prompt) && filter.matches_experiment(&as_experiment(&model)) {
                models.push(model);
            }
        }
        models.sort_by(|a, b| compare_models(a, b, &order));
        Ok(Page::slice(models, &req.page)?)
    }

    pub(super) fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        let dir = self.model_dir(name)?;
        self.build_model(&dir)
    }

    pub(super) fn model_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let dir = self.model_dir(name)?;
        Ok(self
            .version_records(name, &dir)?
            .into_iter()
            .map(|r| r.version)
            .collect())
    }

    pub(super) fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        Ok(self.version_record(name, version)?.1.version)
    }

    pub(super) fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        let dir = self.model_dir(name)?;
        if alias.eq_ignore_ascii_case("latest") {
            return self
                .version_records(name, &dir)?
                .into_iter()
                .next()
                .map(|r| r.version)
                .ok_or_else(|| not_found(format!("model {name:?} has no versions")));
        }
        validate_alias_chars(alias)?;
        let version = Self::aliases_of(&dir)?
            .remove(alias)
            .ok_or_else(|| not_found(format!("model {name:?} has no alias {alias:?}")))?;
        let number = version.parse::<i64>().map_err(|_| {
            corrupt(
                &dir.join(ALIASES).join(alias),
                format!("should hold a version number, not {version:?}"),
                None,
            )
        })?;
        self.get_model_version(name, number)
    }

    pub(super) fn create_registered_model(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<RegisteredModel> {
        validate_model_name(name)?;
        for (key, value) in tags {
            validate_model_tag(key, value)?;
        }
        let _guard = self.lock();
        let models = self.models_dir();
        std::fs::create_dir_all(&models).map_err(|e| io::io_err(&models, e))?;
        let dir = models.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(already_exists(format!("registered model {name:?} already exists")))
            }
            Err(e) => return Err(io::io_err(&dir, e)),
        }
        let now = io::now_ms();
        let mut doc = Doc::new();
        doc.set("aliases", Node::Map(Vec::new()))
            .set("creation_timestamp", now)
            .set("deployment_job_id", Node::Null)
            .set("deployment_job_state", Node::Null)
            .set("description", description)
            .set("last_updated_timestamp", now)
            .set("name", name)
            .set("workspace", "default");
        if let Err(e) = write_atomic(&dir.join(META), &dir, doc.render().as_bytes()) {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
        for (key, value) in tags {
            write_atomic(&dir.join(TAGS).join(key), &dir, value.as_bytes())?;
        }
        self.build_model(&dir)
    }

    /// Where a version's files are, its run and its MLflow 3 logged model, from its source:
    /// `models:/m-<id>` is looked up among the logged models, `models:/<name>/<version>` and
    /// `models:/<name>@<alias>` among the registered versions; anything else is its own location.
    fn resolve_source(&self, source: &str, run_id: Option<String>) -> Result<(String, Option<String>, Option<String>)> {
        let Some(rest) = source.strip_prefix("models:/") else {
            return Ok((source.to_string(), run_id, None));
        };
        let rest = rest.trim_start_matches('/').trim_end_matches('/');
        let unresolvable = |why: String| invalid(format!("cannot use {source:?} as a model version source: {why}"));
        if rest.starts_with("m-") && io::is_id(rest, 256) {
            for exp in self.experiment_dirs(ViewType::All)? {
                let path = exp.dir.join(MODELS).join(rest).join(META);
                if let Meta::Found(m, _) = read_meta::<LoggedModelMeta>(&path)? {
                    let location = m.artifact_location.unwrap_or_else(|| source.to_string());
                    return Ok((location, run_id.or(m.source_run_id), Some(rest.to_string())));
                }
            }
            return Err(unresolvable(format!("logged model {rest} does not exist")));
        }
        let found = if let Some((name, alias)) = rest.split_once('@') {
            self.get_model_version_by_alias(name, alias)
        } else if let Some((name, which)) = rest.rsplit_once('/') {
            match which.parse::<i64>() {
                Ok(v) => self.get_model_version(name, v),
                Err(_) if which.eq_ignore_ascii_case("latest") => self.get_model_version_by_alias(name, "latest"),
                Err(_) => match Stage::parse(which) {
                    Some(stage) => self
                        .model_versions(name)?
                        .into_iter()
                        .find(|v| v.current_stage == stage)
                        .ok_or_else(|| not_found(format!("model {name:?} has no version in stage {stage}"))),
                    None => Err(unresolvable(format!(
                        "{which:?} is neither a version, a stage nor 'latest'"
                    ))),
                },
            }
        } else {
            Err(unresolvable(
                "expected models:/<name>/<version>, models:/<name>@<alias> or models:/m-<id>".into(),
            ))
        };
        let v = found.map_err(|e| unresolvable(ApiError::from(e).message))?;
        let (_, record) = self.version_record(&v.name, v.version)?;
        let location = record
            .storage_location
            .filter(|s| !s.is_empty())
            .unwrap_or(record.version.source);
        Ok((location, run_id, None))
    }

    pub(super) fn create_model_version(&self, req: &CreateModelVersion) -> Result<ModelVersion> {
        validate_model_name(&req.name)?;
        for (key, value) in &req.tags {
            validate_model_tag(key, value)?;
        }
        let _guard = self.lock();
        let dir = self.model_dir(&req.name)?;
        let (storage_location, run_id, model_id) =
            self.resolve_source(&req.source, req.run_id.clone().filter(|r| !r.is_empty()))?;
        let mut claimed = None;
        for _ in 0..3 {
            let next = Self::version_dirs(&dir)?.into_iter().map(|(n, _)| n).max().unwrap_or(0) + 1;
            let vdir = dir.join(format!("{VERSION_PREFIX}{next}"));
            match std::fs::create_dir(&vdir) {
                Ok(()) => {
                    claimed = Some((next, vdir));
                    break;
                }
                // Another writer took that number first: count again.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io::io_err(&vdir, e)),
            }
        }
        let (version, vdir) = claimed.ok_or_else(|| {
            already_exists(format!(
                "could not claim a new version number for model {:?}; try again",
                req.name
            ))
        })?;
        let now = io::now_ms();
        let mut doc = Doc::new();
        doc.set("creation_timestamp", now)
            .set("current_stage", Stage::None.as_str())
            .set("deployment_job_state", Node::Null)
            .set("description", req.description.clone())
            .set("last_updated_timestamp", now)
            .set("model_id", model_id)
            .set("name", req.name.as_str())
            .set("run_id", run_id)
            .set("run_link", Node::Null)
            .set("source", req.source.as_str())
            .set("status", "READY")
            .set("status_message", Node::Null)
            .set("storage_location", storage_location)
            .set("user_id", Node::Null)
            .set("version", version)
            .set("workspace", "default");
        if let Err(e) = write_atomic(&vdir.join(META), &vdir, doc.render().as_bytes()) {
            let _ = std::fs::remove_dir_all(&vdir);
            return Err(e);
        }
        for (key, value) in &req.tags {
            write_atomic(&vdir.join(TAGS).join(key), &vdir, value.as_bytes())?;
        }
        self.touch_model(&dir, now, None)?;
        self.get_model_version(&req.name, version)
    }

    pub(super) fn transition_stage(&self, req: &TransitionStage) -> Result<ModelVersion> {
        if req.archive_existing_versions && !req.stage.allows_archiving_others() {
            return Err(invalid(format!(
                "archive_existing_versions only applies when moving to Staging or Production, not {}",
                req.stage
            )));
        }
        let _guard = self.lock();
        let (dir, mut target) = self.version_record(&req.name, req.version)?;
        let now = io::now_ms();
        if req.archive_existing_versions {
            for mut other in self.version_records(&req.name, &dir)? {
                if other.version.version != req.version && other.version.current_stage == req.stage {
                    other
                        .doc
                        .set("current_stage", Stage::Archived.as_str())
                        .set("last_updated_timestamp", now);
                    write_atomic(&other.dir.join(META), &other.dir, other.doc.render().as_bytes())?;
                }
            }
        }
        target
            .doc
            .set("current_stage", req.stage.as_str())
            .set("last_updated_timestamp", now);
        write_atomic(&target.dir.join(META), &target.dir, target.doc.render().as_bytes())?;
        self.touch_model(&dir, now, None)?;
        self.get_model_version(&req.name, req.version)
    }

    pub(super) fn set_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        validate_alias(alias)?;
        let _guard = self.lock();
        let (dir, _) = self.version_record(name, version)?;
        write_atomic(&dir.join(ALIASES).join(alias), &dir, version.to_string().as_bytes())?;
        self.touch_model(&dir, io::now_ms(), None)
    }

    /// Removing an alias that does not exist succeeds, as in MLflow.
    pub(super) fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        validate_alias_chars(alias)?;
        let _guard = self.lock();
        let dir = self.model_dir(name)?;
        let path = dir.join(ALIASES).join(alias);
        if path.is_file() {
            std::fs::remove_file(&path).map_err(|e| io::io_err(&path, e))?;
            self.touch_model(&dir, io::now_ms(), None)?;
        }
        Ok(())
    }

    pub(super) fn update_registered_model(&self, name: &str, description: &str) -> Result<()> {
        let _guard = self.lock();
        let dir = self.model_dir(name)?;
        self.touch_model(&dir, io::now_ms(), Some(description))
    }

    pub(super) fn update_model_version(&self, name: &str, version: i64, description: &str) -> Result<()> {
        let _guard = self.lock();
        let (_, mut record) = self.version_record(name, version)?;
        record
            .doc
            .set("description", description)
            .set("last_updated_timestamp", io::now_ms());
        write_atomic(&record.dir.join(META), &record.dir, record.doc.render().as_bytes())
    }

    pub(super) fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        validate_model_tag(key, value)?;
        let _guard = self.lock();
        let dir = self.model_dir(name)?;
        write_atomic(&dir.join(TAGS).join(key), &dir, value.as_bytes())?;
        self.touch_model(&dir, io::now_ms(), None)
    }

    /// Removing a tag that does not exist succeeds, as in MLflow.
    pub(super) fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        io::validate_key("tag", key)?;
        let _guard = self.lock();
        let dir = self.model_dir(name)?;
        let path = dir.join(TAGS).join(key);
        if path.is_file() {
            std::fs::remove_file(&path).map_err(|e| io::io_err(&path, e))?;
            self.touch_model(&dir, io::now_ms(), None)?;
        }
        Ok(())
    }

    /// Like MLflow, a version tag change updates the model's `last_updated_timestamp`.
    pub(super) fn set_model_version_tag(&self, name: &str, version: i64, key: &str, value: &str) -> Result<()> {
        validate_model_tag(key, value)?;
        let _guard = self.lock();
        let (dir, record) = self.version_record(name, version)?;
        write_atomic(&record.dir.join(TAGS).join(key), &record.dir, value.as_bytes())?;
        self.touch_model(&dir, io::now_ms(), None)
    }

    pub(super) fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        io::validate_key("tag", key)?;
        let _guard = self.lock();
        let (dir, record) = self.version_record(name, version)?;
        let path = record.dir.join(TAGS).join(key);
        if path.is_file() {
            std::fs::remove_file(&path).map_err(|e| io::io_err(&path, e))?;
            self.touch_model(&dir, io::now_ms(), None)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_stay_inside_the_models_folder() {
        assert!(validate_model_name("clf").is_ok());
        assert!(validate_model_name("my model v2").is_ok());
        for bad in ["", "  ", "a/b", "..", ".", "..x", "a:b", "a%b", "a\\b"] {
            assert!(validate_model_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn model_order_takes_mlflow_keys() {
        assert_eq!(parse_model_order("name DESC").unwrap(), (ModelKey::Name, false));
        assert_eq!(
            parse_model_order("last_updated_timestamp").unwrap(),
            (ModelKey::Updated, true)
        );
        assert_eq!(
            parse_model_order("attributes.creation_timestamp asc").unwrap(),
            (ModelKey::Created, true)
        );
        assert!(parse_model_order("bogus").is_err());
    }
}
