//! Edits the UI makes to runs (one at a time or many at once) and to experiments. A bulk edit
//! applies to each run on its own: one run's failure is reported with its id and never stops
//! the others.

use crate::error::Result;
use crate::facade::Tracking;
use crate::validate;
use runlens_core::ipc::{EditFailure, EditOutcome, ExperimentEdit, RunEdit};
use runlens_core::request::{LogBatch, UpdateRun};
use runlens_core::{tag, ApiError, Experiment, LifecycleStage, RunStatus};

/// MLflow's limit on an experiment tag's value.
const MAX_EXPERIMENT_TAG_VALUE_LENGTH: usize = 20_000;

impl Tracking {
    /// Applies one edit to each run (each id once, in the order given). Runs that were changed
    /// are in `done`; each run that was not is in `failed` with the reason.
    pub async fn edit_runs(&self, run_ids: &[String], edit: &RunEdit) -> EditOutcome {
        let mut outcome = EditOutcome::default();
        let mut ids: Vec<&String> = Vec::new();
        for id in run_ids {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        // An edit that is invalid in itself fails for every run without touching the store.
        if let Err(error) = check_run_edit(edit) {
            let error = ApiError::from(error);
            outcome.failed = ids
                .into_iter()
                .map(|id| EditFailure {
                    run_id: id.clone(),
                    error: error.clone(),
                })
                .collect();
            return outcome;
        }
        for id in ids {
            match self.edit_run(id, edit).await {
                Ok(()) => outcome.done.push(id.clone()),
                Err(e) => outcome.failed.push(EditFailure {
                    run_id: id.clone(),
                    error: e.into(),
                }),
            }
        }
        outcome
    }

    async fn edit_run(&self, run_id: &str, edit: &RunEdit) -> Result<()> {
        match edit {
            // The stores update `mlflow.runName` with the name, as MLflow's `update_run_info` does.
            RunEdit::Rename { name } => {
                let update = UpdateRun {
                    run_name: Some(name.trim().to_string()),
                    ..Default::default()
                };
                self.update_run(run_id, &update).await.map(drop)
            }
            RunEdit::SetDescription { text } if text.trim().is_empty() => {
                self.delete_tag_if_present(run_id, tag::NOTE).await
            }
            RunEdit::SetDescription { text } => self.set_run_tag(run_id, tag::NOTE, text).await,
            RunEdit::SetTag { key, value } => self.set_run_tag(run_id, key, value).await,
            RunEdit::DeleteTag { key } => self.delete_tag_if_present(run_id, key).await,
            RunEdit::Delete => self.delete_run(run_id).await,
            RunEdit::Restore => self.restore_run(run_id).await,
            RunEdit::EndStuck { status } => {
                let run = self.get_run(run_id).await?;
                let current = run.info.status;
                if !matches!(current, RunStatus::Running | RunStatus::Scheduled) {
                    return Err(ApiError::invalid(format!(
                        "run {:?} is {current}: only a RUNNING or SCHEDULED run can be ended",
                        run.info.run_name
                    ))
                    .into());
                }
                let update = UpdateRun {
                    status: Some(*status),
                    end_time: Some(crate::now_ms()),
                    run_name: None,
                };
                self.update_run(run_id, &update).await.map(drop)
            }
        }
    }

    async fn set_run_tag(&self, run_id: &str, key: &str, value: &str) -> Result<()> {
        let batch = LogBatch {
            tags: vec![(key.to_string(), value.to_string())],
            ..Default::default()
        };
        self.log_batch(run_id, &batch).await
    }

    /// Deleting a tag the run does not have leaves the run as asked: that is not a failure.
    async fn delete_tag_if_present(&self, run_id: &str, key: &str) -> Result<()> {
        let run = self.get_run(run_id).await?;
        if run.info.lifecycle_stage == LifecycleStage::Deleted {
            return Err(ApiError::invalid(format!("run {run_id} is deleted: restore it before changing it")).into());
        }
        if !run.data.tags.contains_key(key) {
            return Ok(());
        }
        self.delete_tag(run_id, key).await
    }

    /// Applies one edit to an experiment and answers the experiment as the store holds it then.
    pub async fn edit_experiment(&self, experiment_id: &str, edit: &ExperimentEdit) -> Result<Experiment> {
        match edit {
            ExperimentEdit::Rename { name } => {
                let name = name.trim();
                if name.is_empty() {
                    return Err(ApiError::invalid("an experiment name cannot be empty").into());
                }
                self.rename_experiment(experiment_id, name).await?;
            }
            ExperimentEdit::Delete => self.delete_experiment(experiment_id).await?,
            ExperimentEdit::Restore => self.restore_experiment(experiment_id).await?,
            ExperimentEdit::AssignProject { project: Some(project) } => {
                let project = project.trim();
                if project.is_empty() {
                    return Err(ApiError::invalid(
                        "a project name cannot be empty: choose Unassigned to remove the project",
                    )
                    .into());
                }
                validate::check_length("a project name", project, MAX_EXPERIMENT_TAG_VALUE_LENGTH)?;
                self.set_experiment_tag(experiment_id, tag::MAXAI_PROJECT, project)
                    .await?;
            }
            ExperimentEdit::AssignProject { project: None } => {
                let experiment = self.get_experiment(experiment_id).await?;
                for key in [tag::MAXAI_PROJECT, tag::PROJECT] {
                    if experiment.tags.contains_key(key) {
                        self.delete_experiment_tag(experiment_id, key).await?;
                    }
                }
            }
        }
        self.get_experiment(experiment_id).await
    }
}

/// What can be checked before any run is read: names, tag keys and values, the end status.
fn check_run_edit(edit: &RunEdit) -> Result<()> {
    match edit {
        RunEdit::Rename { name } if name.trim().is_empty() => {
            Err(ApiError::invalid("a run name cannot be empty").into())
        }
        RunEdit::Rename { name } => validate::run_tag(tag::RUN_NAME, name.trim()),
        RunEdit::SetDescription { text } => validate::run_tag(tag::NOTE, text),
        RunEdit::SetTag { key, value } => validate::run_tag(key, value),
        RunEdit::DeleteTag { key } => validate::check_key("tag", key),
        RunEdit::EndStuck { status } if !matches!(status, RunStatus::Failed | RunStatus::Killed) => {
            Err(ApiError::invalid(format!("a stuck run can be ended as FAILED or KILLED, not {status}")).into())
        }
        RunEdit::EndStuck { .. } | RunEdit::Delete | RunEdit::Restore => Ok(()),
    }
}
