//! The one trait every MLflow store implements: SQLite, file store and REST server alike.
//! Operations that are the same everywhere (projects, run trees, sampling) live in the facade.

use crate::error::Result;
use async_trait::async_trait;
use runlens_core::ipc::StoreKind;
use runlens_core::request::*;
use runlens_core::sampling::{sample_history, sample_points_in, Point, SampledSeries, StepRange};
use runlens_core::*;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn kind(&self) -> StoreKind;
    /// The store's location with any secret removed.
    fn uri(&self) -> String;
    /// The MLflow version that wrote the store (schema) or serves it.
    async fn version(&self) -> Result<Option<String>>;

    // Experiments
    async fn search_experiments(&self, req: &SearchExperiments) -> Result<Page<Experiment>>;
    async fn get_experiment(&self, experiment_id: &str) -> Result<Experiment>;
    async fn get_experiment_by_name(&self, name: &str) -> Result<Experiment>;
    async fn create_experiment(&self, req: &CreateExperiment) -> Result<String>;
    async fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()>;
    async fn delete_experiment(&self, experiment_id: &str) -> Result<()>;
    async fn restore_experiment(&self, experiment_id: &str) -> Result<()>;
    async fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()>;
    async fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()>;

    // Runs
    async fn search_runs(&self, req: &SearchRuns) -> Result<Page<Run>>;
    async fn get_run(&self, run_id: &str) -> Result<Run>;
    /// Every point of one metric of one run, ordered by step then timestamp.
    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>>;
    /// One history sampled to at most `max_points` points (see `runlens_core::sampling`). Stores
    /// that can read points more cheaply than whole metrics override it.
    async fn sampled_history(&self, run_id: &str, key: &str, max_points: usize) -> Result<SampledSeries> {
        let history = self.metric_history(run_id, key).await?;
        Ok(SampledSeries {
            run_id: run_id.to_string(),
            key: key.to_string(),
            total_points: history.len(),
            points: sample_history(&history, max_points),
        })
    }
    /// The points of one history whose step is in `steps`, sampled to at most `max_points`
    /// (a zoomed chart); `total_points` counts the points in the range. This default reads the
    /// whole history; stores that can read only the range override it.
    async fn sampled_history_in(
        &self,
        run_id: &str,
        key: &str,
        max_points: usize,
        steps: StepRange,
    ) -> Result<SampledSeries> {
        let history = self.metric_history(run_id, key).await?;
        let (total_points, points) = sample_points_in(history.iter().map(Point::from).collect(), steps, max_points);
        Ok(SampledSeries {
            run_id: run_id.to_string(),
            key: key.to_string(),
            total_points,
            points,
        })
    }
    async fn create_run(&self, req: &CreateRun) -> Result<RunInfo>;
    async fn update_run(&self, run_id: &str, req: &UpdateRun) -> Result<RunInfo>;
    async fn log_batch(&self, run_id: &str, batch: &LogBatch) -> Result<()>;
    async fn delete_tag(&self, run_id: &str, key: &str) -> Result<()>;
    async fn delete_run(&self, run_id: &str) -> Result<()>;
    async fn restore_run(&self, run_id: &str) -> Result<()>;

    // Artifacts (paths are relative to the run's artifact root and can never leave it)
    async fn list_artifacts(&self, run_id: &str, path: Option<&str>) -> Result<Vec<FileInfo>>;
    async fn read_artifact(&self, run_id: &str, path: &str, max_bytes: u64) -> Result<ArtifactContent>;
    async fn write_artifact(&self, run_id: &str, path: &str, bytes: &[u8]) -> Result<()>;

    // Model registry
    async fn search_registered_models(&self, req: &SearchModels) -> Result<Page<RegisteredModel>>;
    async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel>;
    /// All versions of one model, newest first.
    async fn model_versions(&self, name: &str) -> Result<Vec<ModelVersion>>;
    async fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion>;
    async fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion>;
    async fn create_registered_model(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<RegisteredModel>;
    async fn create_model_version(&self, req: &CreateModelVersion) -> Result<ModelVersion>;
    async fn transition_stage(&self, req: &TransitionStage) -> Result<ModelVersion>;
    async fn set_alias(&self, name: &str, alias: &str, version: i64) -> Result<()>;
    async fn delete_alias(&self, name: &str, alias: &str) -> Result<()>;
    async fn update_registered_model(&self, name: &str, description: &str) -> Result<()>;
    async fn update_model_version(&self, name: &str, version: i64, description: &str) -> Result<()>;
    async fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()>;
    async fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()>;
    async fn set_model_version_tag(&self, name: &str, version: i64, key: &str, value: &str) -> Result<()>;
    async fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()>;

    // Registry additions for the registry screens (#7): prompts, MLflow 3 logged models, model files
    /// Every version of a prompt, newest first. (MLflow's version searches leave prompt versions
    /// out unless asked for them; stores that read versions directly need no override.)
    async fn prompt_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        self.model_versions(name).await
    }
    /// The MLflow 3 logged models of an experiment whose source run is `run_id`, oldest first.
    async fn run_logged_models(&self, experiment_id: &str, run_id: &str) -> Result<Vec<registry::LoggedModel>>;
    async fn get_logged_model(&self, model_id: &str) -> Result<registry::LoggedModel>;
    /// At most `max_bytes` of a file under a model's files at `location` (a version's source or
    /// a logged model's artifact location, as the store gave it); `path` can never leave it.
    async fn read_model_file(&self, location: &str, path: &str, max_bytes: u64) -> Result<ArtifactContent>;
    /// At most `max_bytes` of a logged model's file, relative to its artifact location.
    async fn read_logged_model_file(&self, model_id: &str, path: &str, max_bytes: u64) -> Result<ArtifactContent> {
        let model = self.get_logged_model(model_id).await?;
        self.read_model_file(&model.artifact_location, path, max_bytes).await
    }

    // Traces (#8)
    /// One experiment's traces, newest first, narrowed by state and a text search (see
    /// `runlens_core::traces::SearchTracesRequest`).
    async fn search_traces(
        &self,
        req: &runlens_core::traces::SearchTracesRequest,
    ) -> Result<Page<runlens_core::traces::TraceSummary>>;
    /// A whole trace with its spans.
    async fn get_trace(&self, trace_id: &str) -> Result<runlens_core::traces::TraceDetail>;
}
