//! Experiments of the file store: `mlruns/<id>/meta.yaml` plus `tags/<key>` files; deleted
//! experiments (with their runs) live in `mlruns/.trash/<id>/`.

use super::io::{
    self, already_exists, corrupt, invalid, not_found, parse_int, write_atomic, META, MODELS, TAGS, TRASH,
};
use super::names::random_experiment_id;
use super::yaml::{read_meta, Doc, Meta, StringFields};
use super::Fs;
use crate::error::Result;
use runlens_core::filter::parse_experiment_filter;
use runlens_core::order::{compare_experiments, parse_experiment_order};
use runlens_core::request::{CreateExperiment, SearchExperiments};
use runlens_core::{ApiError, Experiment, LifecycleStage, Page, ViewType};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Longest experiment name MLflow accepts.
const MAX_NAME_LENGTH: usize = 500;
/// Longest experiment tag value MLflow accepts.
const MAX_TAG_VALUE_LENGTH: usize = 20_000;

/// The fields of an experiment's `meta.yaml` that Runlens reads, each as written.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ExperimentMeta {
    experiment_id: Option<String>,
    name: Option<String>,
    artifact_location: Option<String>,
    lifecycle_stage: Option<String>,
    creation_time: Option<String>,
    last_update_time: Option<String>,
    workspace: Option<String>,
}

impl StringFields for ExperimentMeta {
    fn string_fields(&self) -> Vec<(&'static str, &Option<String>)> {
        vec![
            ("experiment_id", &self.experiment_id),
            ("name", &self.name),
            ("artifact_location", &self.artifact_location),
            ("lifecycle_stage", &self.lifecycle_stage),
            ("workspace", &self.workspace),
        ]
    }
}

/// An experiment folder, active (`mlruns/<id>`) or deleted (`mlruns/.trash/<id>`).
#[derive(Debug, Clone)]
pub(super) struct ExpDir {
    pub id: String,
    pub dir: PathBuf,
    pub deleted: bool,
}

/// Why a folder was passed over while listing: searches skip it (as MLflow does), a direct
/// lookup reports it.
pub(super) struct Skip {
    pub path: PathBuf,
    pub problem: String,
}

impl Skip {
    pub fn into_error(self) -> crate::error::TrackingError {
        corrupt(&self.path, self.problem, None)
    }
}

impl Fs {
    pub(super) fn trash(&self) -> PathBuf {
        self.root.join(TRASH)
    }

    /// Experiment folders of the given view, active first. The registry's `models/` and the
    /// `.trash/` folder are not experiments.
    pub(super) fn experiment_dirs(&self, view: ViewType) -> Result<Vec<ExpDir>> {
        let mut out = Vec::new();
        if view.includes(LifecycleStage::Active) {
            for (name, dir) in io::subdirs(&self.root)? {
                if name != TRASH && name != MODELS {
                    out.push(ExpDir {
                        id: name,
                        dir,
                        deleted: false,
                    });
                }
            }
        }
        if view.includes(LifecycleStage::Deleted) {
            for (name, dir) in io::subdirs(&self.trash())? {
                out.push(ExpDir {
                    id: name,
                    dir,
                    deleted: true,
                });
            }
        }
        Ok(out)
    }

    /// The folder of one experiment, active or deleted.
    pub(super) fn find_experiment(&self, id: &str) -> Result<Option<ExpDir>> {
        io::validate_experiment_id(id)?;
        let active = self.root.join(id);
        if id != MODELS && active.is_dir() {
            return Ok(Some(ExpDir {
                id: id.to_string(),
                dir: active,
                deleted: false,
            }));
        }
        let deleted = self.trash().join(id);
        if deleted.is_dir() {
            return Ok(Some(ExpDir {
                id: id.to_string(),
                dir: deleted,
                deleted: true,
            }));
        }
        Ok(None)
    }

    pub(super) fn experiment_dir(&self, id: &str) -> Result<ExpDir> {
        self.find_experiment(id)?
            .ok_or_else(|| not_found(format!("experiment {id} does not exist in {}", self.root.display())))
    }

    /// Reads one experiment folder. Missing or empty `meta.yaml` and an id that does not match
    /// the folder are [`Skip`]s; YAML that does not parse is an error.
    pub(super) fn read_experiment(&self, d: &ExpDir) -> Result<std::result::Result<(Experiment, Doc), Skip>> {
        let path = d.dir.join(META);
        let (meta, doc) = match read_meta::<ExperimentMeta>(&path)? {
            Meta::Found(meta, doc) => (meta, doc),
            Meta::Missing => {
                return Ok(Err(Skip {
                    path: d.dir.clone(),
                    problem: "is not an experiment: it has no meta.yaml".into(),
                }))
            }
            Meta::Empty => {
                return Ok(Err(Skip {
                    path,
                    problem: "is empty".into(),
                }))
            }
        };
        let recorded = meta.experiment_id.clone().unwrap_or_default();
        if recorded != d.id {
            return Ok(Err(Skip {
                path,
                problem: format!("records experiment_id {recorded:?} but its folder is named {:?}", d.id),
            }));
        }
        let stage = if d.deleted {
            LifecycleStage::Deleted
        } else {
            match meta.lifecycle_stage.as_deref() {
                None => LifecycleStage::Active,
                Some(s) => match LifecycleStage::parse(s) {
                    Some(stage) => stage,
                    None => {
                        return Ok(Err(Skip {
                            path,
                            problem: format!("has an unknown lifecycle_stage {s:?}"),
                        }))
                    }
                },
            }
        };
        let tags = io::read_keyed_values(&d.dir.join(TAGS))?;
        let experiment = Experiment {
            experiment_id: d.id.clone(),
            name: meta.name.unwrap_or_default(),
            artifact_location: meta.artifact_location.unwrap_or_default(),
            lifecycle_stage: stage,
            creation_time: parse_int(meta.creation_time.as_deref()),
            last_update_time: parse_int(meta.last_update_time.as_deref()),
            tags,
        };
        Ok(Ok((experiment, doc)))
    }

    fn read_experiment_strict(&self, d: &ExpDir) -> Result<(Experiment, Doc)> {
        self.read_experiment(d)?.map_err(Skip::into_error)
    }

    pub(super) fn get_experiment(&self, id: &str) -> Result<Experiment> {
        let d = self.experiment_dir(id)?;
        Ok(self.read_experiment_strict(&d)?.0)
    }

    /// Every readable experiment of a view; malformed folders are skipped as MLflow skips them.
    pub(super) fn all_experiments(&self, view: ViewType) -> Result<Vec<Experiment>> {
        let mut out = Vec::new();
        for d in self.experiment_dirs(view)? {
            if let Ok((e, _)) = self.read_experiment(&d)? {
                out.push(e);
            }
        }
        Ok(out)
    }

    pub(super) fn search_experiments(&self, req: &SearchExperiments) -> Result<Page<Experiment>> {
        let filter = parse_experiment_filter(req.filter.as_deref().unwrap_or("")).map_err(ApiError::from)?;
        let order = req
            .order_by
            .iter()
            .map(|o| parse_experiment_order(o))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::from)?;
        let mut found: Vec<Experiment> = self
            .all_experiments(req.view_type)?
            .into_iter()
            .filter(|e| filter.matches_experiment(e))
            .collect();
        found.sort_by(|a, b| compare_experiments(a, b, &order));
        Ok(Page::slice(found, &req.page)?)
    }

    pub(super) fn get_experiment_by_name(&self, name: &str) -> Result<Experiment> {
        let mut matches: Vec<Experiment> = self
            .all_experiments(ViewType::All)?
            .into_iter()
            .filter(|e| e.name == name)
            .collect();
        // Names are unique; should a hand-made store repeat one, the active experiment wins.
        matches.sort_by_key(|e| e.lifecycle_stage != LifecycleStage::Active);
        matches
            .into_iter()
            .next()
            .ok_or_else(|| not_found(format!("no experiment named {name:?} in {}", self.root.display())))
    }

    /// Names are unique among active and deleted experiments alike.
    fn check_name_free(&self, name: &str, except_id: Option<&str>) -> Result<()> {
        let taken = self
            .all_experiments(ViewType::All)?
            .into_iter()
            .find(|e| e.name == name && Some(e.experiment_id.as_str()) != except_id);
        match taken {
            Some(e) if e.lifecycle_stage == LifecycleStage::Deleted => Err(already_exists(format!(
                "experiment {name:?} already exists in the bin (id {}): restore it, or remove it from .trash/ to reuse the name",
                e.experiment_id
            ))),
            Some(e) => Err(already_exists(format!("experiment {name:?} already exists (id {})", e.experiment_id))),
            None => Ok(()),
        }
    }

    fn resolve_artifact_location(&self, id: &str, requested: Option<&str>) -> Result<String> {
        match requested.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(format!("{}/{id}", io::path_to_file_uri(&self.root))),
            Some(loc) if has_uri_scheme(loc) => Ok(loc.to_string()),
            // A plain path is made absolute, as MLflow's `resolve_uri_if_local` does.
            Some(loc) => Ok(std::path::absolute(Path::new(loc))
                .map_err(|e| io::io_err(Path::new(loc), e))?
                .to_string_lossy()
                .into_owned()),
        }
    }

    pub(super) fn create_experiment(&self, req: &CreateExperiment) -> Result<String> {
        let name = req.name.as_str();
        if name.is_empty() {
            return Err(invalid("an experiment needs a name"));
        }
        io::check_length("the experiment name", name, MAX_NAME_LENGTH)?;
        for (key, value) in &req.tags {
            validate_experiment_tag(key, value)?;
        }
        let _guard = self.lock();
        if !self.root.is_dir() {
            return Err(not_found(format!("{} no longer exists", self.root.display())));
        }
        self.check_name_free(name, None)?;
        let (id, dir) = self.new_experiment_dir()?;
        let now = io::now_ms();
        let artifact_location = match self.resolve_artifact_location(&id, req.artifact_location.as_deref()) {
            Ok(loc) => loc,
            Err(e) => {
                let _ = std::fs::remove_dir(&dir);
                return Err(e);
            }
        };
        let mut doc = Doc::new();
        doc.set("artifact_location", artifact_location)
            .set("creation_time", now)
            .set("effective_trace_archival_retention", None::<String>)
            .set("experiment_id", id.as_str())
            .set("last_update_time", now)
            .set("lifecycle_stage", LifecycleStage::Active.as_str())
            .set("name", name)
            .set("trace_location", None::<String>)
            .set("workspace", "default");
        if let Err(e) = write_atomic(&dir.join(META), &dir, doc.render().as_bytes()) {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
        for (key, value) in &req.tags {
            write_atomic(&dir.join(TAGS).join(key), &dir, value.as_bytes())?;
        }
        Ok(id)
    }

    /// Claims a fresh random id: `create_dir` fails if another writer took it first.
    fn new_experiment_dir(&self) -> Result<(String, PathBuf)> {
        let mut last_error = None;
        for _ in 0..16 {
            let id = random_experiment_id();
            if self.trash().join(&id).exists() {
                continue;
            }
            let dir = self.root.join(&id);
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok((id, dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => last_error = Some(io::io_err(&dir, e)),
            }
        }
        Err(last_error.unwrap_or_else(|| invalid("could not find a free experiment id; try again")))
    }

    fn active_experiment(&self, id: &str, action: &str) -> Result<(ExpDir, Experiment, Doc)> {
        let d = self.experiment_dir(id)?;
        if d.deleted {
            return Err(invalid(format!(
                "experiment {id} is deleted; restore it before you {action}"
            )));
        }
        let (e, doc) = self.read_experiment_strict(&d)?;
        if e.lifecycle_stage != LifecycleStage::Active {
            return Err(invalid(format!(
                "experiment {id} is deleted; restore it before you {action}"
            )));
        }
        Ok((d, e, doc))
    }

    pub(super) fn rename_experiment(&self, id: &str, new_name: &str) -> Result<()> {
        if new_name.is_empty() {
            return Err(invalid("an experiment needs a name"));
        }
        io::check_length("the experiment name", new_name, MAX_NAME_LENGTH)?;
        let _guard = self.lock();
        let (d, _, mut doc) = self.active_experiment(id, "rename it")?;
        self.check_name_free(new_name, Some(id))?;
        doc.set("name", new_name).set("last_update_time", io::now_ms());
        write_atomic(&d.dir.join(META), &d.dir, doc.render().as_bytes())
    }

    pub(super) fn delete_experiment(&self, id: &str) -> Result<()> {
        io::validate_experiment_id(id)?;
        if id == "0" {
            return Err(invalid(
                "the Default experiment (id 0) cannot be deleted: MLflow reserves it",
            ));
        }
        let _guard = self.lock();
        let d = self.experiment_dir(id)?;
        if d.deleted {
            return Err(not_found(format!("experiment {id} is already deleted")));
        }
        let (_, mut doc) = self.read_experiment_strict(&d)?;
        let target = self.trash().join(id);
        if target.exists() {
            return Err(already_exists(format!(
                "cannot delete experiment {id}: {} already exists",
                target.display()
            )));
        }
        let now = io::now_ms();
        for run_dir in self.run_dirs_of(&d)? {
            self.set_run_lifecycle_if(&d, &run_dir, LifecycleStage::Active, LifecycleStage::Deleted, Some(now))?;
        }
        doc.set("lifecycle_stage", LifecycleStage::Deleted.as_str())
            .set("last_update_time", now);
        write_atomic(&d.dir.join(META), &d.dir, doc.render().as_bytes())?;
        std::fs::create_dir_all(self.trash()).map_err(|e| io::io_err(&self.trash(), e))?;
        std::fs::rename(&d.dir, &target).map_err(|e| io::io_err(&d.dir, e))
    }

    pub(super) fn restore_experiment(&self, id: &str) -> Result<()> {
        io::validate_experiment_id(id)?;
        let _guard = self.lock();
        let source = self.trash().join(id);
        if !source.is_dir() {
            return Err(not_found(format!(
                "no deleted experiment with id {id} in {}",
                self.trash().display()
            )));
        }
        let target = self.root.join(id);
        if target.exists() {
            return Err(already_exists(format!(
                "cannot restore experiment {id}: an active experiment has the same id"
            )));
        }
        std::fs::rename(&source, &target).map_err(|e| io::io_err(&source, e))?;
        let d = ExpDir {
            id: id.to_string(),
            dir: target,
            deleted: false,
        };
        let (_, mut doc) = self.read_experiment_strict(&d)?;
        doc.set("lifecycle_stage", LifecycleStage::Active.as_str())
            .set("last_update_time", io::now_ms());
        for run_dir in self.run_dirs_of(&d)? {
            self.set_run_lifecycle_if(&d, &run_dir, LifecycleStage::Deleted, LifecycleStage::Active, None)?;
        }
        write_atomic(&d.dir.join(META), &d.dir, doc.render().as_bytes())
    }

    pub(super) fn set_experiment_tag(&self, id: &str, key: &str, value: &str) -> Result<()> {
        validate_experiment_tag(key, value)?;
        let _guard = self.lock();
        let (d, _, _) = self.active_experiment(id, "set tags")?;
        write_atomic(&d.dir.join(TAGS).join(key), &d.dir, value.as_bytes())
    }

    pub(super) fn delete_experiment_tag(&self, id: &str, key: &str) -> Result<()> {
        io::validate_key("tag", key)?;
        let _guard = self.lock();
        let (d, _, _) = self.active_experiment(id, "delete tags")?;
        let path = d.dir.join(TAGS).join(key);
        if !path.is_file() {
            return Err(not_found(format!("experiment {id} has no tag {key:?}")));
        }
        std::fs::remove_file(&path).map_err(|e| io::io_err(&path, e))
    }
}

fn validate_experiment_tag(key: &str, value: &str) -> Result<()> {
    io::validate_key("tag", key)?;
    io::check_length(
        &format!("the value of experiment tag {key:?}"),
        value,
        MAX_TAG_VALUE_LENGTH,
    )
}

/// `s3://...`, `file:...`, `mlflow-artifacts:/...` — anything with a scheme of two or more
/// characters (so a Windows drive letter is still a path).
fn has_uri_scheme(loc: &str) -> bool {
    match loc.split_once(':') {
        Some((scheme, _)) => {
            scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_told_from_paths() {
        assert!(has_uri_scheme("s3://bucket/x"));
        assert!(has_uri_scheme("mlflow-artifacts:/1"));
        assert!(has_uri_scheme("file:///tmp/x"));
        assert!(!has_uri_scheme("/tmp/x"));
        assert!(!has_uri_scheme("relative/dir"));
        assert!(!has_uri_scheme("C:\\data"));
    }
}
