//! The registry screens' reads and writes on [`Tracking`], the same for every store: models and
//! prompts lists with MaxFlow's experiment links, a model with its versions' source runs (the
//! stage board), stage moves and alias changes written only when the store still agrees with the
//! plan the user confirmed (and read back afterwards), a version's model card read from its
//! files wherever they are, and registering a run's logged model.

use crate::error::Result;
use crate::facade::Tracking;
use crate::preview::{input_example_path, model_card, pretty_json};
use runlens_core::ipc::RunRef;
use runlens_core::preview::{ModelCard, PREVIEW_LIMIT};
use runlens_core::registry::*;
use runlens_core::request::{CreateModelVersion, SearchModels, TransitionStage};
use runlens_core::*;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Key metrics a board card shows.
const CARD_METRICS: usize = 3;
/// Source runs read at once for a board.
const PARALLEL_RUNS: usize = 4;
/// The most an `MLmodel` file (or a file beside it) may weigh to be read for a card.
const MLMODEL_LIMIT: u64 = PREVIEW_LIMIT;

/// Where a version's files are.
#[derive(Debug, Clone, PartialEq)]
enum Files {
    /// Under a run's artifacts (`runs:/<id>/<path>`, or a source inside the run's artifact root).
    Run { run_id: String, path: String },
    /// An MLflow 3 logged model (`models:/m-<id>`).
    Logged(String),
    /// Any other location the store may be able to read.
    At(String),
}

impl Files {
    fn describe(&self) -> String {
        match self {
            Files::Run { run_id, path } if path.is_empty() => format!("runs:/{run_id}"),
            Files::Run { run_id, path } => format!("runs:/{run_id}/{path}"),
            Files::Logged(id) => format!("models:/{id}"),
            Files::At(location) => location.clone(),
        }
    }
}

fn join(base: &str, path: &str) -> String {
    let base = base.trim_matches('/');
    if base.is_empty() {
        path.to_string()
    } else {
        format!("{base}/{path}")
    }
}

fn link(e: &Experiment) -> ExperimentLink {
    ExperimentLink {
        experiment_id: e.experiment_id.clone(),
        name: e.name.clone(),
    }
}

fn source_ref(run_id: &str, run: Option<&Run>) -> SourceRun {
    match run {
        Some(r) => SourceRun {
            run: RunRef {
                run_id: r.info.run_id.clone(),
                run_name: r.info.run_name.clone(),
                status: Some(r.info.status),
                lifecycle_stage: Some(r.info.lifecycle_stage),
                missing: false,
            },
            experiment_id: Some(r.info.experiment_id.clone()),
        },
        None => SourceRun {
            run: RunRef {
                run_id: run_id.to_string(),
                run_name: String::new(),
                status: None,
                lifecycle_stage: None,
                missing: true,
            },
            experiment_id: None,
        },
    }
}

fn stale(what: &str, now: String) -> ApiError {
    ApiError::invalid(format!(
        "the registry changed since it was shown ({what}): now {now} Nothing was written; look again at the current state"
    ))
}

impl Tracking {
    /// Every experiment (deleted ones too) with MaxFlow's registered-model list.
    async fn maxflow_links(&self) -> Result<HashMap<String, Vec<ExperimentLink>>> {
        let experiments = self
            .all_experiments(&runlens_core::request::SearchExperiments {
                view_type: ViewType::All,
                ..Default::default()
            })
            .await?;
        let mut links: HashMap<String, Vec<ExperimentLink>> = HashMap::new();
        for e in &experiments {
            for name in maxflow_models(e) {
                links.entry(name).or_default().push(link(e));
            }
        }
        Ok(links)
    }

    /// The registered models (prompts left out) matching the search, sorted as asked, each with
    /// the experiments whose `__maxai_registered_models__` names it. A store without a registry
    /// answers `FeatureDisabled`.
    pub async fn list_models(&self, req: &ListModelsRequest) -> Result<Vec<ModelSummary>> {
        let mut models = self.all_registered_models(&SearchModels::default()).await?;
        models.retain(|m| !is_prompt(m) && model_matches(m, req.query.as_deref().unwrap_or("")));
        sort_models(&mut models, req.sort);
        let mut links = self.maxflow_links().await?;
        Ok(models
            .into_iter()
            .map(|model| ModelSummary {
                experiments: links.remove(&model.name).unwrap_or_default(),
                model,
            })
            .collect())
    }

    /// The prompts (MLflow 3) matching the search, sorted as asked.
    pub async fn list_prompts(&self, req: &ListModelsRequest) -> Result<Vec<RegisteredModel>> {
        let search = SearchModels {
            filter: Some(PROMPT_FILTER.into()),
            ..Default::default()
        };
        let mut prompts = self.all_registered_models(&search).await?;
        prompts.retain(|m| is_prompt(m) && model_matches(m, req.query.as_deref().unwrap_or("")));
        sort_models(&mut prompts, req.sort);
        Ok(prompts)
    }

    /// The runs behind `run_ids`, read a few at a time; a run the store does not have is `None`.
    async fn registry_source_runs(&self, run_ids: Vec<String>) -> Result<HashMap<String, Option<Run>>> {
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLEL_RUNS));
        let mut tasks = tokio::task::JoinSet::new();
        for run_id in run_ids {
            let (me, slots) = (self.clone(), slots.clone());
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await.ok();
                let run = me.get_run(&run_id).await;
                (run_id, run)
            });
        }
        let mut out = HashMap::new();
        while let Some(joined) = tasks.join_next().await {
            let (run_id, run) = joined.map_err(|e| ApiError::internal(format!("reading a source run failed: {e}")))?;
            let run = match run {
                Ok(run) => Some(run),
                Err(e) if e.code() == ErrorCode::NotFound => None,
                Err(e) => return Err(e),
            };
            out.insert(run_id, run);
        }
        Ok(out)
    }

    /// A model (or prompt) with every version, each with its source run and that run's key
    /// metrics: what the model page and the stage board show.
    pub async fn model_detail(&self, name: &str) -> Result<ModelDetail> {
        let model = self.get_registered_model(name).await?;
        let versions = if is_prompt(&model) {
            self.prompt_versions(name).await?
        } else {
            self.model_versions(name).await?
        };
        let mut run_ids: Vec<String> = versions.iter().filter_map(|v| v.run_id.clone()).collect();
        run_ids.sort();
        run_ids.dedup();
        let runs = self.registry_source_runs(run_ids).await?;
        let present: Vec<&Run> = runs.values().flatten().collect();
        let keys = key_metrics(&present, CARD_METRICS);
        let cards = versions
            .into_iter()
            .map(|version| {
                let run = version
                    .run_id
                    .as_deref()
                    .map(|id| (id, runs.get(id).and_then(Option::as_ref)));
                let metrics = run
                    .and_then(|(_, r)| r)
                    .map(|r| keys.iter().filter_map(|k| r.metric(k).cloned()).collect())
                    .unwrap_or_default();
                VersionCard {
                    run: run.map(|(id, r)| source_ref(id, r)),
                    metrics,
                    version,
                }
            })
            .collect();
        let experiments = self.maxflow_links().await?.remove(name).unwrap_or_default();
        Ok(ModelDetail {
            model,
            versions: cards,
            key_metrics: keys,
            experiments,
        })
    }

    /// Moves a version as `plan` says, if the store's current state gives the same plan (else
    /// nothing is written), and answers the model as stored afterwards.
    pub async fn transition_planned(&self, plan: &TransitionPlan) -> Result<ModelDetail> {
        let versions = self.model_versions(&plan.name).await?;
        let now = plan_transition(
            &plan.name,
            &versions,
            plan.version,
            plan.to,
            plan.archive_existing_versions,
        )?;
        if now != *plan {
            return Err(stale(&plan.summary(), now.summary()).into());
        }
        self.transition_stage(&TransitionStage {
            name: plan.name.clone(),
            version: plan.version,
            stage: plan.to,
            archive_existing_versions: plan.archive_existing_versions,
        })
        .await?;
        self.model_detail(&plan.name).await
    }

    /// Sets, moves or removes an alias as `plan` says, if the alias still names `plan.from`, and
    /// answers the model as stored afterwards.
    pub async fn alias_planned(&self, plan: &AliasPlan) -> Result<ModelDetail> {
        let model = self.get_registered_model(&plan.name).await?;
        let numbers: Vec<i64> = self
            .model_versions(&plan.name)
            .await?
            .iter()
            .map(|v| v.version)
            .collect();
        let current = model.aliases.get(&plan.alias).copied();
        if current != plan.from {
            let now = match current {
                Some(v) => format!("alias “{}” names version {v}.", plan.alias),
                None => format!("alias “{}” is not set.", plan.alias),
            };
            return Err(stale(&plan.summary(), now).into());
        }
        let checked = plan_alias(&model, &numbers, &plan.alias, plan.to)?;
        match checked.to {
            Some(version) => self.set_alias(&plan.name, &checked.alias, version).await?,
            None => self.delete_alias(&plan.name, &checked.alias).await?,
        }
        self.model_detail(&plan.name).await
    }

    /// Changes a model's description or tags and answers the model as stored afterwards.
    pub async fn edit_model(&self, name: &str, edit: &RegistryEdit) -> Result<ModelDetail> {
        match edit {
            RegistryEdit::SetDescription { text } => self.update_registered_model(name, text).await?,
            RegistryEdit::SetTag { key, value } => {
                check_tag_key(key)?;
                self.set_registered_model_tag(name, key.trim(), value).await?
            }
            RegistryEdit::DeleteTag { key } => {
                check_tag_key(key)?;
                self.delete_registered_model_tag(name, key).await?
            }
        }
        self.model_detail(name).await
    }

    /// Changes a version's description or tags and answers the version as stored afterwards.
    pub async fn edit_version(&self, name: &str, version: i64, edit: &RegistryEdit) -> Result<VersionDetail> {
        match edit {
            RegistryEdit::SetDescription { text } => self.update_model_version(name, version, text).await?,
            RegistryEdit::SetTag { key, value } => {
                check_tag_key(key)?;
                self.set_model_version_tag(name, version, key.trim(), value).await?
            }
            RegistryEdit::DeleteTag { key } => {
                check_tag_key(key)?;
                self.delete_model_version_tag(name, version, key).await?
            }
        }
        self.version_detail(name, version).await
    }

    /// Where a version's files are: a `runs:/` source or one inside the source run's artifact
    /// root reads through the run, `models:/m-<id>` through the logged model, and
    /// `models:/<name>/<version>` (or `@alias`) through that version.
    fn version_files<'a>(
        &'a self,
        v: &'a ModelVersion,
        depth: u8,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Files>> + Send + 'a>> {
        Box::pin(async move {
            let source = v.source.trim();
            if let Some(rest) = source.strip_prefix("runs:/") {
                let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
                return Ok(Files::Run {
                    run_id: run_id.to_string(),
                    path: path.trim_matches('/').to_string(),
                });
            }
            if let Some(rest) = source.strip_prefix("models:/") {
                let rest = rest.trim_matches('/');
                if rest.starts_with("m-") && !rest.contains('/') {
                    return Ok(Files::Logged(rest.to_string()));
                }
                if depth < 3 {
                    let target = if let Some((name, alias)) = rest.split_once('@') {
                        Some(self.get_model_version_by_alias(name, alias).await?)
                    } else if let Some((name, number)) = rest.rsplit_once('/') {
                        match number.parse::<i64>() {
                            Ok(n) => Some(self.get_model_version(name, n).await?),
                            Err(_) => None,
                        }
                    } else {
                        None
                    };
                    if let Some(target) = target {
                        return self.version_files(&target, depth + 1).await;
                    }
                }
            }
            if let Some(run_id) = &v.run_id {
                if let Ok(run) = self.get_run(run_id).await {
                    let root = run.info.artifact_uri.trim_end_matches('/');
                    if !root.is_empty() {
                        if source == root {
                            return Ok(Files::Run {
                                run_id: run_id.clone(),
                                path: String::new(),
                            });
                        }
                        if let Some(path) = source.strip_prefix(&format!("{root}/")) {
                            return Ok(Files::Run {
                                run_id: run_id.clone(),
                                path: path.trim_matches('/').to_string(),
                            });
                        }
                    }
                }
            }
            Ok(Files::At(source.to_string()))
        })
    }

    async fn read_files(&self, files: &Files, path: &str, max: u64) -> Result<ArtifactContent> {
        match files {
            Files::Run { run_id, path: base } => self.read_artifact(run_id, &join(base, path), max).await,
            Files::Logged(model_id) => self.read_logged_model_file(model_id, path, max).await,
            Files::At(location) => self.read_model_file(location, path, max).await,
        }
    }

    /// The `MLmodel` under `files` as a model card, with its input example and requirements
    /// when they can be read.
    async fn card_at(&self, files: &Files) -> Result<ModelCard> {
        let content = self.read_files(files, "MLmodel", MLMODEL_LIMIT).await?;
        if content.truncated {
            return Err(ApiError::invalid("the model's MLmodel file is too large to show").into());
        }
        let text = String::from_utf8_lossy(&content.bytes);
        let mut card = model_card(&text)
            .map_err(|e| ApiError::invalid("the model's MLmodel file is not valid YAML").with_detail(e))?;
        if let Some(example) = input_example_path(&content.bytes) {
            if let Ok(found) = self.read_files(files, &example, MLMODEL_LIMIT).await {
                card.input_example = Some(pretty_json(&String::from_utf8_lossy(&found.bytes)));
            }
        }
        if let Ok(found) = self.read_files(files, "requirements.txt", MLMODEL_LIMIT).await {
            card.requirements = String::from_utf8_lossy(&found.bytes)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect();
        }
        Ok(card)
    }

    /// A version with its model card, its source run's metrics and params, and its siblings.
    pub async fn version_detail(&self, name: &str, version: i64) -> Result<VersionDetail> {
        let v = self.get_model_version(name, version).await?;
        let model = self.get_registered_model(name).await?;
        let all = if is_prompt(&model) {
            self.prompt_versions(name).await?
        } else {
            self.model_versions(name).await?
        };
        let siblings = all
            .iter()
            .map(|s| VersionBrief {
                version: s.version,
                stage: s.current_stage,
                run_id: s.run_id.clone(),
                aliases: s.aliases.clone(),
            })
            .collect();
        let run = match &v.run_id {
            None => None,
            Some(run_id) => match self.get_run(run_id).await {
                Ok(r) => {
                    let experiment_name = self.get_experiment(&r.info.experiment_id).await.ok().map(|e| e.name);
                    Some(SourceRunDetail {
                        source: source_ref(run_id, Some(&r)),
                        experiment_name,
                        metrics: r.data.metrics.clone(),
                        params: r.data.params.clone(),
                    })
                }
                Err(e) if e.code() == ErrorCode::NotFound => Some(SourceRunDetail {
                    source: source_ref(run_id, None),
                    experiment_name: None,
                    metrics: Vec::new(),
                    params: BTreeMap::new(),
                }),
                Err(e) => return Err(e),
            },
        };
        let files = self.version_files(&v, 0).await?;
        let (card, card_error) = match self.card_at(&files).await {
            Ok(card) => (Some(card), None),
            Err(e) => (None, Some(ApiError::from(e))),
        };
        Ok(VersionDetail {
            files: files.describe(),
            version: v,
            siblings,
            run,
            card,
            card_error,
        })
    }

    /// The models a run logged, ready to register: its MLflow 3 logged models, then the models of
    /// MLflow 2's `mlflow.log-model.history` tag that are not among them and whose `MLmodel` is
    /// in the run's artifacts.
    pub async fn run_models(&self, run_id: &str) -> Result<RunModels> {
        let run = self.get_run(run_id).await?;
        let experiment = self.get_experiment(&run.info.experiment_id).await?;
        let maxflow = is_maxflow(&experiment);
        let suggest = |name: &str| {
            if maxflow {
                maxflow_model_name(&experiment.name, &run.info.run_name, name)
            } else {
                format!("{}-{}", run.info.run_name, name.trim_matches('/'))
            }
        };
        let logged = match self.run_logged_models(&experiment.experiment_id, run_id).await {
            Ok(models) => models,
            // Servers and stores from before MLflow 3 have no logged models.
            Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::FeatureDisabled) => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut models = Vec::new();
        for m in &logged {
            let flavors = match self.card_at(&Files::Logged(m.model_id.clone())).await {
                Ok(card) => card.flavors.into_iter().map(|f| f.name).collect(),
                Err(_) => Vec::new(),
            };
            models.push(RunModel {
                name: m.name.clone(),
                model_id: Some(m.model_id.clone()),
                source: format!("models:/{}", m.model_id),
                flavors,
                created: m.creation_timestamp,
                suggested_name: suggest(&m.name),
            });
        }
        let history = run
            .data
            .tags
            .get(registry::tag::LOG_MODEL_HISTORY)
            .map(|t| parse_log_model_history(t))
            .unwrap_or_default();
        let known_ids: HashSet<&str> = logged.iter().map(|m| m.model_id.as_str()).collect();
        let known_names: HashSet<&str> = logged.iter().map(|m| m.name.as_str()).collect();
        for h in history {
            if h.model_uuid.as_deref().is_some_and(|id| known_ids.contains(id))
                || known_names.contains(h.artifact_path.as_str())
            {
                continue;
            }
            let listing = self
                .list_artifacts(run_id, Some(&h.artifact_path))
                .await
                .unwrap_or_default();
            let mlmodel = format!("{}/MLmodel", h.artifact_path);
            if !listing.iter().any(|f| f.path.trim_matches('/') == mlmodel) {
                continue;
            }
            models.push(RunModel {
                source: format!("{}/{}", run.info.artifact_uri.trim_end_matches('/'), h.artifact_path),
                suggested_name: suggest(&h.artifact_path),
                name: h.artifact_path,
                model_id: None,
                flavors: h.flavors,
                created: None,
            });
        }
        let (existing_models, registry_error) = match self.all_registered_models(&SearchModels::default()).await {
            Ok(all) => {
                let mut names: Vec<String> = all.into_iter().map(|m| m.name).collect();
                names.sort();
                (names, None)
            }
            Err(e) => (Vec::new(), Some(ApiError::from(e))),
        };
        Ok(RunModels {
            run_id: run.info.run_id.clone(),
            run_name: run.info.run_name.clone(),
            experiment_id: experiment.experiment_id.clone(),
            experiment_name: experiment.name.clone(),
            maxflow,
            models,
            existing_models,
            registry_error,
        })
    }

    /// Registers one of a run's models, as MLflow's `register_model` does: the model is created
    /// when asked (and refused if it exists by then), then a version from the model's source and
    /// run. In a MaxFlow experiment the experiment's `__maxai_registered_models__` lists the
    /// model afterwards. Answers the version as stored.
    pub async fn register_run_model(&self, req: &RegisterRequest) -> Result<RegisterOutcome> {
        let name = req.model_name.trim();
        validate_model_name(name)?;
        let models = self.run_models(&req.run_id).await?;
        let chosen = models
            .models
            .iter()
            .find(|m| m.source == req.source)
            .ok_or_else(|| ApiError::invalid(format!("{} is not one of the run's models", req.source)))?;
        let exists = match self.get_registered_model(name).await {
            Ok(_) => true,
            Err(e) if e.code() == ErrorCode::NotFound => false,
            Err(e) => return Err(e),
        };
        match (req.create_model, exists) {
            (true, true) => {
                return Err(ApiError::new(
                    ErrorCode::AlreadyExists,
                    format!("a registered model named “{name}” exists already: register a new version of it instead"),
                )
                .into())
            }
            (false, false) => {
                return Err(ApiError::not_found(format!("there is no registered model named “{name}”")).into())
            }
            (true, false) => {
                self.create_registered_model(name, None, &Tags::new()).await?;
            }
            (false, true) => {}
        }
        let created = self
            .create_model_version(&CreateModelVersion {
                name: name.to_string(),
                source: chosen.source.clone(),
                run_id: Some(req.run_id.clone()),
                description: req.description.clone().filter(|d| !d.trim().is_empty()),
                tags: Tags::new(),
            })
            .await?;
        let mut maxflow_listed = false;
        if models.maxflow {
            let experiment = self.get_experiment(&models.experiment_id).await?;
            if let Some(value) = maxflow_models_with(&experiment, name) {
                self.set_experiment_tag(
                    &experiment.experiment_id,
                    registry::tag::MAXAI_REGISTERED_MODELS,
                    &value,
                )
                .await?;
            }
            maxflow_listed = true;
        }
        Ok(RegisterOutcome {
            version: self.get_model_version(name, created.version).await?,
            created_model: req.create_model,
            maxflow_listed,
        })
    }

    /// A prompt with every version's template.
    pub async fn prompt_detail(&self, name: &str) -> Result<PromptDetail> {
        let prompt = self.get_registered_model(name).await?;
        if !is_prompt(&prompt) {
            return Err(ApiError::not_found(format!("“{name}” is a registered model, not a prompt")).into());
        }
        let versions = self.prompt_versions(name).await?;
        Ok(PromptDetail {
            prompt,
            versions: versions.iter().map(PromptVersion::from_version).collect(),
        })
    }
}

/// Tag keys a user may set or remove here: not empty, and not the tag that makes a model a prompt.
fn check_tag_key(key: &str) -> Result<()> {
    if key.trim().is_empty() {
        return Err(ApiError::invalid("a tag needs a key").into());
    }
    if key.trim() == registry::tag::IS_PROMPT {
        return Err(ApiError::invalid(format!(
            "{} marks prompts; Runlens leaves it as it is",
            registry::tag::IS_PROMPT
        ))
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_describe_where_they_are() {
        let run = Files::Run {
            run_id: "abc".into(),
            path: "model".into(),
        };
        assert_eq!(run.describe(), "runs:/abc/model");
        assert_eq!(Files::Logged("m-1".into()).describe(), "models:/m-1");
        assert_eq!(join("model/", "MLmodel"), "model/MLmodel");
        assert_eq!(join("", "MLmodel"), "MLmodel");
        assert!(check_tag_key(" ").is_err());
        assert!(check_tag_key(registry::tag::IS_PROMPT).is_err());
        assert!(check_tag_key("owner").is_ok());
    }
}
