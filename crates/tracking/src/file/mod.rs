//! MLflow's file store (an `mlruns/` folder), read and written in MLflow 3.17.2's layout so
//! MLflow and Runlens can share one store.
//!
//! **Every disk access runs on Tokio's blocking pool**, and **every file Runlens rewrites goes
//! through a temporary file renamed into place**, so neither an async caller nor a reader in
//! another process (MLflow itself) ever waits on or sees half a write. Metric points are the one
//! exception: they are appended with a single write, as MLflow appends them, because rewriting a
//! history could drop the points another writer appends meanwhile.
//!
//! Layout (see `io` for names): `<root>/<exp>/meta.yaml`, `<root>/<exp>/tags/<key>`,
//! `<root>/<exp>/<run>/{meta.yaml,params/,tags/,metrics/,artifacts/,inputs/}`,
//! `<root>/<exp>/datasets/<id>/meta.yaml`, `<root>/.trash/<exp>/` for deleted experiments, and
//! `<root>/models/<name>/` for the model registry.

mod experiments;
mod io;
mod logged_models;
pub(crate) mod names;
mod registry;
mod runs;
mod traces;
mod yaml;

use crate::error::Result;
use crate::store::Store;
use async_trait::async_trait;
use runlens_core::ipc::StoreKind;
use runlens_core::request::*;
use runlens_core::sampling::{sample_points, SampledSeries, StepRange};
use runlens_core::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// An open `mlruns/` folder. Cheap to share: clones of the inner state go to the blocking pool.
pub struct FileStore {
    fs: Arc<Fs>,
}

/// What the blocking closures work on: the store's root and the lock that serialises this
/// process's writes (MLflow's file store has no cross-process lock; ids are claimed with
/// exclusive `mkdir`s so two processes cannot take the same one).
struct Fs {
    root: PathBuf,
    write_lock: Mutex<()>,
}

impl Fs {
    fn lock(&self) -> MutexGuard<'_, ()> {
        // A panic while holding the lock cannot leave a file half written (writes are renames).
        self.write_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl FileStore {
    /// Opens an existing `mlruns/` folder after a quick check that it is one: it must hold an
    /// experiment folder (`<id>/meta.yaml`), a `.trash/` or a `models/` folder.
    pub fn open(path: &Path) -> Result<FileStore> {
        let root = std::path::absolute(path).map_err(|e| io::io_err(path, e))?;
        let meta = std::fs::metadata(&root).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                io::not_found(format!("{} does not exist", root.display()))
            } else {
                io::io_err(&root, e)
            }
        })?;
        if !meta.is_dir() {
            return Err(not_a_store(&root, "it is a file, not an mlruns/ folder"));
        }
        if !looks_like_store(&root)? {
            let hint = if root.join("mlruns").is_dir() {
                "; it contains an mlruns/ folder: open that instead"
            } else if root.join("mlflow.db").is_file() {
                "; it contains mlflow.db: open that instead"
            } else {
                ""
            };
            return Err(not_a_store(
                &root,
                &format!("it has no experiment folders (<id>/meta.yaml), no .trash/ and no models/{hint}"),
            ));
        }
        Ok(FileStore {
            fs: Arc::new(Fs {
                root,
                write_lock: Mutex::new(()),
            }),
        })
    }

    /// The absolute path of the store's root folder.
    pub fn root(&self) -> &Path {
        &self.fs.root
    }

    /// Runs `f` on the blocking pool with the store's state.
    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Fs) -> Result<T> + Send + 'static,
    {
        let fs = Arc::clone(&self.fs);
        tokio::task::spawn_blocking(move || f(&fs))
            .await
            .map_err(|e| ApiError::internal(format!("a file store task failed: {e}")))?
    }
}

fn not_a_store(root: &Path, why: &str) -> crate::error::TrackingError {
    ApiError::new(
        ErrorCode::NotAnMlflowStore,
        format!("{} is not an MLflow file store: {why}", root.display()),
    )
    .into()
}

fn looks_like_store(root: &Path) -> Result<bool> {
    if root.join(io::TRASH).is_dir() || root.join(io::MODELS).is_dir() {
        return Ok(true);
    }
    Ok(io::subdirs(root)?.iter().any(|(_, dir)| dir.join(io::META).is_file()))
}

#[async_trait]
impl Store for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File
    }

    fn uri(&self) -> String {
        self.fs.root.display().to_string()
    }

    /// The file store records no MLflow version.
    async fn version(&self) -> Result<Option<String>> {
        Ok(None)
    }

    async fn search_experiments(&self, req: &SearchExperiments) -> Result<Page<Experiment>> {
        let req = req.clone();
        self.run(move |fs| fs.search_experiments(&req)).await
    }

    async fn get_experiment(&self, experiment_id: &str) -> Result<Experiment> {
        let id = experiment_id.to_string();
        self.run(move |fs| fs.get_experiment(&id)).await
    }

    async fn get_experiment_by_name(&self, name: &str) -> Result<Experiment> {
        let name = name.to_string();
        self.run(move |fs| fs.get_experiment_by_name(&name)).await
    }

    async fn create_experiment(&self, req: &CreateExperiment) -> Result<String> {
        let req = req.clone();
        self.run(move |fs| fs.create_experiment(&req)).await
    }

    async fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()> {
        let (id, name) = (experiment_id.to_string(), new_name.to_string());
        self.run(move |fs| fs.rename_experiment(&id, &name)).await
    }

    async fn delete_experiment(&self, experiment_id: &str) -> Result<()> {
        let id = experiment_id.to_string();
        self.run(move |fs| fs.delete_experiment(&id)).await
    }

    async fn restore_experiment(&self, experiment_id: &str) -> Result<()> {
        let id = experiment_id.to_string();
        self.run(move |fs| fs.restore_experiment(&id)).await
    }

    async fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()> {
        let (id, key, value) = (experiment_id.to_string(), key.to_string(), value.to_string());
        self.run(move |fs| fs.set_experiment_tag(&id, &key, &value)).await
    }

    async fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()> {
        let (id, key) = (experiment_id.to_string(), key.to_string());
        self.run(move |fs| fs.delete_experiment_tag(&id, &key)).await
    }

    async fn search_runs(&self, req: &SearchRuns) -> Result<Page<Run>> {
        let req = req.clone();
        self.run(move |fs| fs.search_runs(&req)).await
    }

    async fn get_run(&self, run_id: &str) -> Result<Run> {
        let id = run_id.to_string();
        self.run(move |fs| fs.get_run(&id)).await
    }

    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        let (id, key) = (run_id.to_string(), key.to_string());
        self.run(move |fs| fs.metric_history(&id, &key)).await
    }

    async fn sampled_history(&self, run_id: &str, key: &str, max_points: usize) -> Result<SampledSeries> {
        let (id, key) = (run_id.to_string(), key.to_string());
        self.run(move |fs| {
            let points = fs.metric_points(&id, &key, None)?;
            Ok(SampledSeries {
                total_points: points.len(),
                points: sample_points(points, max_points),
                run_id: id,
                key,
            })
        })
        .await
    }

    async fn sampled_history_in(
        &self,
        run_id: &str,
        key: &str,
        max_points: usize,
        steps: StepRange,
    ) -> Result<SampledSeries> {
        let (id, key) = (run_id.to_string(), key.to_string());
        self.run(move |fs| {
            let points = fs.metric_points(&id, &key, Some(steps))?;
            Ok(SampledSeries {
                total_points: points.len(),
                points: sample_points(points, max_points),
                run_id: id,
                key,
            })
        })
        .await
    }

    async fn create_run(&self, req: &CreateRun) -> Result<RunInfo> {
        let req = req.clone();
        self.run(move |fs| fs.create_run(&req)).await
    }

    async fn update_run(&self, run_id: &str, req: &UpdateRun) -> Result<RunInfo> {
        let (id, req) = (run_id.to_string(), req.clone());
        self.run(move |fs| fs.update_run(&id, &req)).await
    }

    async fn log_batch(&self, run_id: &str, batch: &LogBatch) -> Result<()> {
        let (id, batch) = (run_id.to_string(), batch.clone());
        self.run(move |fs| fs.log_batch(&id, &batch)).await
    }

    async fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        let (id, key) = (run_id.to_string(), key.to_string());
        self.run(move |fs| fs.delete_tag(&id, &key)).await
    }

    async fn delete_run(&self, run_id: &str) -> Result<()> {
        let id = run_id.to_string();
        self.run(move |fs| fs.set_run_lifecycle(&id, LifecycleStage::Deleted))
            .await
    }

    async fn restore_run(&self, run_id: &str) -> Result<()> {
        let id = run_id.to_string();
        self.run(move |fs| fs.set_run_lifecycle(&id, LifecycleStage::Active))
            .await
    }

    async fn list_artifacts(&self, run_id: &str, path: Option<&str>) -> Result<Vec<FileInfo>> {
        let (id, path) = (run_id.to_string(), path.map(str::to_string));
        self.run(move |fs| crate::artifacts::list(&fs.artifact_root(&id)?, path.as_deref()))
            .await
    }

    async fn read_artifact(&self, run_id: &str, path: &str, max_bytes: u64) -> Result<ArtifactContent> {
        let (id, path) = (run_id.to_string(), path.to_string());
        self.run(move |fs| crate::artifacts::read(&fs.artifact_root(&id)?, &path, max_bytes))
            .await
    }

    async fn write_artifact(&self, run_id: &str, path: &str, bytes: &[u8]) -> Result<()> {
        let (id, path, bytes) = (run_id.to_string(), path.to_string(), bytes.to_vec());
        self.run(move |fs| crate::artifacts::write(&fs.artifact_root(&id)?, &path, &bytes))
            .await
    }

    async fn search_registered_models(&self, req: &SearchModels) -> Result<Page<RegisteredModel>> {
        let req = req.clone();
        self.run(move |fs| fs.search_registered_models(&req)).await
    }

    async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        let name = name.to_string();
        self.run(move |fs| fs.get_registered_model(&name)).await
    }

    async fn model_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let name = name.to_string();
        self.run(move |fs| fs.model_versions(&name)).await
    }

    async fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        let name = name.to_string();
        self.run(move |fs| fs.get_model_version(&name, version)).await
    }

    async fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        let (name, alias) = (name.to_string(), alias.to_string());
        self.run(move |fs| fs.get_model_version_by_alias(&name, &alias)).await
    }

    async fn create_registered_model(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<RegisteredModel> {
        let (name, description, tags) = (name.to_string(), description.map(str::to_string), tags.clone());
        self.run(move |fs| fs.create_registered_model(&name, description.as_deref(), &tags))
            .await
    }

    async fn create_model_version(&self, req: &CreateModelVersion) -> Result<ModelVersion> {
        let req = req.clone();
        self.run(move |fs| fs.create_model_version(&req)).await
    }

    async fn transition_stage(&self, req: &TransitionStage) -> Result<ModelVersion> {
        let req = req.clone();
        self.run(move |fs| fs.transition_stage(&req)).await
    }

    async fn set_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        let (name, alias) = (name.to_string(), alias.to_string());
        self.run(move |fs| fs.set_alias(&name, &alias, version)).await
    }

    async fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        let (name, alias) = (name.to_string(), alias.to_string());
        self.run(move |fs| fs.delete_alias(&name, &alias)).await
    }

    async fn update_registered_model(&self, name: &str, description: &str) -> Result<()> {
        let (name, description) = (name.to_string(), description.to_string());
        self.run(move |fs| fs.update_registered_model(&name, &description))
            .await
    }

    async fn update_model_version(&self, name: &str, version: i64, description: &str) -> Result<()> {
        let (name, description) = (name.to_string(), description.to_string());
        self.run(move |fs| fs.update_model_version(&name, version, &description))
            .await
    }

    async fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        let (name, key, value) = (name.to_string(), key.to_string(), value.to_string());
        self.run(move |fs| fs.set_registered_model_tag(&name, &key, &value))
            .await
    }

    async fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        let (name, key) = (name.to_string(), key.to_string());
        self.run(move |fs| fs.delete_registered_model_tag(&name, &key)).await
    }

    async fn set_model_version_tag(&self, name: &str, version: i64, key: &str, value: &str) -> Result<()> {
        let (name, key, value) = (name.to_string(), key.to_string(), value.to_string());
        self.run(move |fs| fs.set_model_version_tag(&name, version, &key, &value))
            .await
    }

    async fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        let (name, key) = (name.to_string(), key.to_string());
        self.run(move |fs| fs.delete_model_version_tag(&name, version, &key))
            .await
    }

    async fn run_logged_models(
        &self,
        experiment_id: &str,
        run_id: &str,
    ) -> Result<Vec<runlens_core::registry::LoggedModel>> {
        let (experiment_id, run_id) = (experiment_id.to_string(), run_id.to_string());
        self.run(move |fs| fs.run_logged_models(&experiment_id, &run_id)).await
    }

    async fn get_logged_model(&self, model_id: &str) -> Result<runlens_core::registry::LoggedModel> {
        let model_id = model_id.to_string();
        self.run(move |fs| fs.get_logged_model(&model_id)).await
    }

    async fn read_model_file(&self, location: &str, path: &str, max_bytes: u64) -> Result<ArtifactContent> {
        crate::artifacts::read_under(location, path, max_bytes).await
    }

    async fn search_traces(
        &self,
        req: &runlens_core::traces::SearchTracesRequest,
    ) -> Result<Page<runlens_core::traces::TraceSummary>> {
        let req = req.clone();
        self.run(move |fs| fs.search_traces(&req)).await
    }

    async fn get_trace(&self, trace_id: &str) -> Result<runlens_core::traces::TraceDetail> {
        let id = trace_id.to_string();
        let (mut detail, location) = self.run(move |fs| fs.get_trace(&id)).await?;
        crate::traces::fill_from_trace_data(&mut detail, &location).await;
        Ok(detail)
    }
}

#[cfg(test)]
mod tests;
