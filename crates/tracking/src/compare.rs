//! What the compare view reads, the same for every store: the compared runs with their
//! experiments' names and metric summaries, and chosen columns of many runs for the
//! parallel-coordinates and scatter charts.

use crate::error::Result;
use crate::facade::Tracking;
use runlens_core::compare::{run_values, ComparedRun, Comparison, RunValues, RunValuesRequest};
use runlens_core::request::SearchRuns;
use runlens_core::{ApiError, ErrorCode, PageRequest, Run, ViewType};
use std::collections::HashMap;

/// Most runs one comparison or one run-values read takes by id.
pub const MAX_COMPARED: usize = 200;

impl Tracking {
    /// The runs to compare, in the order given (an id given twice counts once), each with its
    /// experiment's name and, with `summaries`, its metrics' latest values and exact ranges (which
    /// reads every history). Ids the store does not have are listed in `missing` instead of
    /// failing the whole comparison.
    pub async fn compare(&self, run_ids: &[String], summaries: bool) -> Result<Comparison> {
        let (runs, missing) = self.runs_by_id(run_ids).await?;
        let summaries = if summaries {
            self.metric_summaries(&runs).await?
        } else {
            vec![Vec::new(); runs.len()]
        };
        let mut experiment_names: HashMap<String, String> = HashMap::new();
        for run in &runs {
            let id = &run.info.experiment_id;
            if !experiment_names.contains_key(id) {
                let name = match self.get_experiment(id).await {
                    Ok(experiment) => experiment.name,
                    Err(e) if e.code() == ErrorCode::NotFound => format!("experiment {id}"),
                    Err(e) => return Err(e),
                };
                experiment_names.insert(id.clone(), name);
            }
        }
        Ok(Comparison {
            runs: runs
                .into_iter()
                .zip(summaries)
                .map(|(run, metrics)| ComparedRun {
                    experiment_name: experiment_names[&run.info.experiment_id].clone(),
                    run,
                    metrics,
                })
                .collect(),
            missing,
        })
    }

    /// Chosen params and latest metrics of every active run of an experiment, or of the runs
    /// given, with every param and metric key they have.
    pub async fn run_values(&self, req: &RunValuesRequest) -> Result<RunValues> {
        let experiment = match &req.experiment_id {
            Some(id) => Some(self.get_experiment(id).await?),
            None => None,
        };
        let runs = match &req.experiment_id {
            Some(experiment_id) => {
                self.all_runs(&SearchRuns {
                    experiment_ids: vec![experiment_id.clone()],
                    filter: None,
                    view_type: ViewType::ActiveOnly,
                    order_by: vec!["attributes.start_time ASC".into()],
                    page: PageRequest::default(),
                })
                .await?
            }
            None => self.runs_by_id(&req.run_ids).await?.0,
        };
        let mut values = run_values(&runs, &req.params, &req.metrics);
        values.experiment = experiment;
        Ok(values)
    }

    /// The runs of `run_ids` that exist, in order and each once, and the ids that do not.
    async fn runs_by_id(&self, run_ids: &[String]) -> Result<(Vec<Run>, Vec<String>)> {
        if run_ids.len() > MAX_COMPARED {
            return Err(ApiError::invalid(format!(
                "{} runs were asked for; Runlens compares at most {MAX_COMPARED} at a time",
                run_ids.len()
            ))
            .into());
        }
        let (mut runs, mut missing) = (Vec::new(), Vec::new());
        let mut seen = std::collections::HashSet::new();
        for id in run_ids {
            if !seen.insert(id.as_str()) {
                continue;
            }
            match self.get_run(id).await {
                Ok(run) => runs.push(run),
                Err(e) if e.code() == ErrorCode::NotFound => missing.push(id.clone()),
                Err(e) => return Err(e),
            }
        }
        Ok((runs, missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::FileStore;
    use crate::sqlite::SqliteStore;
    use runlens_core::request::{CreateExperiment, CreateRun, LogBatch};
    use runlens_core::sampling::StepRange;
    use runlens_core::{Metric, MetricValue};
    use std::path::Path;
    use std::sync::Arc;

    /// Two runs with a 2,000-step `loss` (a spike at step 1,500, NaN at 1,600), a `val/acc`
    /// and a param each, and a third run with neither metric.
    async fn fill(t: &Tracking, dir: &Path) -> (String, Vec<String>) {
        let exp = t
            .create_experiment(&CreateExperiment {
                name: "cmp".into(),
                artifact_location: Some(dir.join("artifacts").display().to_string()),
                ..Default::default()
            })
            .await
            .unwrap();
        let mut ids = Vec::new();
        for (i, lr) in ["0.1", "0.01", "0.001"].iter().enumerate() {
            let id = t
                .create_run(&CreateRun {
                    experiment_id: exp.clone(),
                    run_name: Some(format!("run-{i}")),
                    start_time: Some(1_000 * i as i64),
                    ..Default::default()
                })
                .await
                .unwrap()
                .run_id;
            let mut metrics = Vec::new();
            if i < 2 {
                for step in 0..2_000i64 {
                    let value = match step {
                        1_500 => 50.0,
                        1_600 => f64::NAN,
                        _ => 1.0 / (1.0 + step as f64) + i as f64,
                    };
                    metrics.push(Metric {
                        key: "loss".into(),
                        value: MetricValue(value),
                        timestamp: 10_000 + step,
                        step,
                    });
                }
                metrics.push(Metric {
                    key: "val/acc".into(),
                    value: MetricValue(0.5 + i as f64 / 10.0),
                    timestamp: 20_000,
                    step: 1_999,
                });
            }
            let params = LogBatch {
                params: vec![("lr".into(), lr.to_string())],
                ..Default::default()
            };
            t.log_batch(&id, &params).await.unwrap();
            for chunk in metrics.chunks(1000) {
                let batch = LogBatch {
                    metrics: chunk.to_vec(),
                    ..Default::default()
                };
                t.log_batch(&id, &batch).await.unwrap();
            }
            ids.push(id);
        }
        (exp, ids)
    }

    async fn comparison_and_ranges(t: Tracking, dir: &Path) {
        let (exp, ids) = fill(&t, dir).await;
        let asked = vec![
            ids[1].clone(),
            "0123456789abcdef0123456789abcdef".into(),
            ids[0].clone(),
            ids[1].clone(),
            ids[2].clone(),
        ];
        let quick = t.compare(&asked, false).await.unwrap();
        assert_eq!(quick.runs.len(), 3);
        assert!(quick.runs.iter().all(|r| r.metrics.is_empty()));
        let c = t.compare(&asked, true).await.unwrap();
        assert_eq!(
            quick.runs.iter().map(|r| &r.run).collect::<Vec<_>>(),
            c.runs.iter().map(|r| &r.run).collect::<Vec<_>>()
        );
        let order: Vec<&str> = c.runs.iter().map(|r| r.run.info.run_id.as_str()).collect();
        assert_eq!(order, [ids[1].as_str(), ids[0].as_str(), ids[2].as_str()]);
        assert_eq!(c.missing, ["0123456789abcdef0123456789abcdef"]);
        assert!(c.runs.iter().all(|r| r.experiment_name == "cmp"));
        let loss = &c.runs[0].metrics[0];
        assert_eq!((loss.key.as_str(), loss.points), ("loss", 2000));
        assert_eq!((loss.min, loss.max), (Some(1.0 + 1.0 / 2000.0), Some(50.0)));
        assert_eq!(c.runs[0].metrics[1].key, "val/acc");
        assert!(c.runs[2].metrics.is_empty());

        // A zoom reads only its steps, at full detail when they fit.
        let steps = StepRange::new(1_400, 1_700);
        let zoomed = t
            .sampled_histories_in(&ids[..1], &["loss".to_string()], 1000, Some(steps))
            .await
            .unwrap();
        let s = &zoomed[0];
        assert_eq!((s.total_points, s.points.len()), (301, 301));
        assert_eq!((s.points[0].step, s.points[300].step), (1_400, 1_700));
        assert!(s.points.iter().any(|p| p.value.get() == 50.0));
        assert!(s.points.iter().any(|p| p.value.get().is_nan()));
        // Sampled when it does not: still inside, still with its extremes.
        let sampled = t
            .sampled_histories_in(&ids[..1], &["loss".to_string()], 50, Some(StepRange::new(0, 1_999)))
            .await
            .unwrap();
        assert_eq!(sampled[0].total_points, 2000);
        assert!(sampled[0].points.len() <= 50);
        assert!(sampled[0].points.iter().any(|p| p.value.get() == 50.0));
        // Nothing logged there, or no such metric: empty, not an error.
        let none = t
            .sampled_histories_in(&ids, &["loss".to_string()], 1000, Some(StepRange::new(5_000, 6_000)))
            .await
            .unwrap();
        assert!(none.iter().all(|s| s.points.is_empty() && s.total_points == 0));

        // Columns of a whole experiment, or of chosen runs.
        let values = t
            .run_values(&RunValuesRequest {
                experiment_id: Some(exp),
                params: vec!["lr".into()],
                metrics: vec!["loss".into(), "val/acc".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(values.runs.len(), 3);
        assert_eq!(values.experiment.as_ref().map(|e| e.name.as_str()), Some("cmp"));
        assert_eq!(values.param_keys, ["lr"]);
        assert_eq!(values.varying_params, ["lr"]);
        assert_eq!(values.metric_keys, ["loss", "val/acc"]);
        assert_eq!(values.runs[0].params, vec![Some("0.1".to_string())]);
        assert_eq!(values.runs[2].metrics, vec![None, None]);
        let picked = t
            .run_values(&RunValuesRequest {
                run_ids: vec![ids[2].clone(), ids[0].clone()],
                params: vec!["lr".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            picked.runs.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(),
            [ids[2].as_str(), ids[0].as_str()]
        );
        let too_many: Vec<String> = (0..=MAX_COMPARED).map(|i| format!("{i:032x}")).collect();
        assert_eq!(
            t.compare(&too_many, false).await.unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }

    #[tokio::test]
    async fn compare_and_zoom_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(&dir.path().join("mlflow.db")).await.unwrap();
        comparison_and_ranges(Tracking::from_store(Arc::new(store)), dir.path()).await;
    }

    #[tokio::test]
    async fn compare_and_zoom_on_a_file_store() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("mlruns");
        std::fs::create_dir_all(root.join(".trash")).unwrap();
        let store = FileStore::open(&root).unwrap();
        comparison_and_ranges(Tracking::from_store(Arc::new(store)), dir.path()).await;
    }
}
