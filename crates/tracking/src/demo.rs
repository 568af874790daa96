//! The demo workspace: a new MLflow 3.17.2 SQLite store filled through our own client with what
//! a run browser meets (projects, a 3-level sweep, curves, NaN, a RUNNING run, a prompt table,
//! a registered model with stages and an alias). MLflow opens it as its own.

use crate::error::Result;
use crate::facade::{Table, Tracking};
use crate::sqlite::SqliteStore;
use runlens_core::request::*;
use runlens_core::*;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A smooth, deterministic training curve: decays from `start` towards `end` with a little wobble.
fn curve(step: i64, start: f64, end: f64, seed: f64) -> f64 {
    let t = step as f64;
    end + (start - end) * (-t / 30.0).exp() + 0.01 * ((t * 0.7 + seed).sin())
}

#[allow(clippy::too_many_arguments)] // a demo run is described by all of them
async fn run_with_curves(
    t: &Tracking,
    experiment_id: &str,
    name: &str,
    parent: Option<&str>,
    params: &[(&str, &str)],
    extra_tags: &[(&str, &str)],
    start: i64,
    quality: f64,
) -> Result<String> {
    let info = t
        .create_run(&CreateRun {
            experiment_id: experiment_id.into(),
            run_name: Some(name.into()),
            start_time: Some(start),
            user_id: Some("demo".into()),
            tags: tags(extra_tags),
            parent_run_id: parent.map(str::to_string),
        })
        .await?;
    let mut batch = LogBatch {
        params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Default::default()
    };
    for step in 0..100 {
        let ts = start + step * 1000;
        batch.metrics.push(Metric {
            key: "train/loss".into(),
            value: MetricValue(curve(step, 2.3, 0.2 + quality, 1.0)),
            timestamp: ts,
            step,
        });
        batch.metrics.push(Metric {
            key: "val/loss".into(),
            value: MetricValue(curve(step, 2.4, 0.3 + quality, 2.0)),
            timestamp: ts,
            step,
        });
        batch.metrics.push(Metric {
            key: "val/accuracy".into(),
            value: MetricValue(0.95 - quality - 0.85 * (-(step as f64) / 25.0).exp()),
            timestamp: ts,
            step,
        });
    }
    t.log_batch(&info.run_id, &batch).await?;
    t.update_run(
        &info.run_id,
        &UpdateRun {
            status: Some(RunStatus::Finished),
            end_time: Some(start + 100_000),
            ..Default::default()
        },
    )
    .await?;
    Ok(info.run_id)
}

/// Creates the demo store at `path` (which must not exist yet).
pub async fn create(path: &Path) -> Result<()> {
    // Filled under a staging name and renamed when complete, so a failure or a quit halfway
    // never leaves a half-made demo that would be reopened as it is.
    let staging = path.with_extension("db.building");
    let _ = std::fs::remove_file(&staging);
    match fill(&staging).await {
        Ok(()) => std::fs::rename(&staging, path).map_err(|e| crate::error::TrackingError::io(path, e)),
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            Err(e)
        }
    }
}

async fn fill(path: &Path) -> Result<()> {
    let store = SqliteStore::create(path).await?;
    let t = Tracking::from_store(Arc::new(store));
    let day = 86_400_000;
    let base = crate::sqlite::now_ms() - 7 * day;

    let vision = t
        .create_experiment(&CreateExperiment {
            name: "resnet-sweep".into(),
            tags: tags(&[
                ("__maxai_project__", "vision"),
                ("mlflow.note.content", "Learning-rate sweep of ResNet-18 on CIFAR-10."),
            ]),
            ..Default::default()
        })
        .await?;
    let git = [
        ("__maxai_run_type__", "classification"),
        ("__maxai_repo__", "git@example.com:team/vision.git"),
        ("__maxai_branch__", "main"),
        ("__maxai_commit__", "3f2c9e1a7b"),
    ];
    let sweep = run_with_curves(
        &t,
        &vision,
        "lr-sweep",
        None,
        &[("model", "\"resnet18\""), ("epochs", "100")],
        &git,
        base,
        0.05,
    )
    .await?;
    for (i, lr) in ["0.1", "0.01", "0.001"].iter().enumerate() {
        let trial = run_with_curves(
            &t,
            &vision,
            &format!("trial lr={lr}"),
            Some(&sweep),
            &[("lr", lr), ("batch_size", "128")],
            &[("__maxai_run_type__", "classification")],
            base + (i as i64 + 1) * 3_600_000,
            0.02 * i as f64,
        )
        .await?;
        for fold in 0..2 {
            run_with_curves(
                &t,
                &vision,
                &format!("fold {fold} (lr={lr})"),
                Some(&trial),
                &[("lr", lr), ("fold", &fold.to_string())],
                &[],
                base + (i as i64 + 1) * 3_600_000 + (fold + 1) * 600_000,
                0.02 * i as f64 + 0.01 * fold as f64,
            )
            .await?;
        }
    }
    let baseline = run_with_curves(
        &t,
        &vision,
        "baseline",
        None,
        &[("model", "\"resnet18\""), ("lr", "0.05")],
        &git,
        base - day,
        0.08,
    )
    .await?;

    let chat = t
        .create_experiment(&CreateExperiment {
            name: "prompt-eval".into(),
            tags: tags(&[
                ("project", "chatbot"),
                ("mlflow.note.content", "Comparing prompt templates for the support bot."),
            ]),
            ..Default::default()
        })
        .await?;
    let questions = [
        "How do I reset my password?",
        "Can I export my data?",
        "Why was I charged twice?",
    ];
    for (i, style) in ["terse", "friendly"].iter().enumerate() {
        let info = t
            .create_run(&CreateRun {
                experiment_id: chat.clone(),
                run_name: Some(format!("{style} template")),
                start_time: Some(base + 2 * day + i as i64 * 3_600_000),
                user_id: Some("demo".into()),
                tags: tags(&[("__maxai_run_type__", "llm")]),
                parent_run_id: None,
            })
            .await?;
        let template = if *style == "terse" {
            "Answer briefly: {question}"
        } else {
            "You are a kind support agent. Help with: {question}"
        };
        t.log_batch(
            &info.run_id,
            &LogBatch {
                params: vec![
                    ("prompt_template".into(), template.into()),
                    ("model".into(), "phi-3-mini".into()),
                    ("temperature".into(), "0.2".into()),
                ],
                metrics: vec![
                    Metric {
                        key: "answer_relevance/v1/mean".into(),
                        value: MetricValue(0.71 + 0.1 * i as f64),
                        timestamp: base + 2 * day,
                        step: 0,
                    },
                    Metric {
                        key: "latency_ms".into(),
                        value: MetricValue(420.0 + 180.0 * i as f64),
                        timestamp: base + 2 * day,
                        step: 0,
                    },
                ],
                ..Default::default()
            },
        )
        .await?;
        let rows = questions
            .iter()
            .map(|q| {
                let answer = if *style == "terse" {
                    format!("See Settings › Account. ({q})")
                } else {
                    format!("Happy to help! For \"{q}\", open Settings, then Account.")
                };
                vec![json!(q), json!(answer), json!(0.6 + 0.1 * i as f64)]
            })
            .collect();
        t.log_table(
            &info.run_id,
            "eval_results_table.json",
            &Table {
                columns: vec!["inputs".into(), "outputs".into(), "score".into()],
                data: rows,
            },
        )
        .await?;
        t.update_run(
            &info.run_id,
            &UpdateRun {
                status: Some(RunStatus::Finished),
                end_time: Some(base + 2 * day + 90_000),
                ..Default::default()
            },
        )
        .await?;
    }

    let scratch = t
        .create_experiment(&CreateExperiment {
            name: "scratch".into(),
            ..Default::default()
        })
        .await?;
    let running = t
        .create_run(&CreateRun {
            experiment_id: scratch.clone(),
            run_name: Some("still running".into()),
            start_time: Some(base + 6 * day),
            user_id: Some("demo".into()),
            ..Default::default()
        })
        .await?;
    let mut batch = LogBatch::default();
    for step in 0..20 {
        let value = if step == 12 {
            f64::NAN
        } else {
            curve(step, 1.5, 0.4, 3.0)
        };
        batch.metrics.push(Metric {
            key: "loss".into(),
            value: MetricValue(value),
            timestamp: base + 6 * day + step * 1000,
            step,
        });
    }
    t.log_batch(&running.run_id, &batch).await?;
    let failed = t
        .create_run(&CreateRun {
            experiment_id: scratch,
            run_name: Some("diverged".into()),
            start_time: Some(base + 5 * day),
            ..Default::default()
        })
        .await?;
    t.log_batch(
        &failed.run_id,
        &LogBatch::metric("loss", f64::INFINITY, base + 5 * day, 3),
    )
    .await?;
    t.update_run(
        &failed.run_id,
        &UpdateRun {
            status: Some(RunStatus::Failed),
            end_time: Some(base + 5 * day + 4000),
            ..Default::default()
        },
    )
    .await?;

    t.create_registered_model(
        "resnet-classifier",
        Some("CIFAR-10 classifier from the vision sweep."),
        &tags(&[("team", "vision")]),
    )
    .await?;
    for (run, stage) in [
        (&baseline, Stage::Archived),
        (&sweep, Stage::Production),
        (&sweep, Stage::Staging),
    ] {
        let v = t
            .create_model_version(&CreateModelVersion {
                name: "resnet-classifier".into(),
                source: format!("runs:/{run}/model"),
                run_id: Some(run.to_string()),
                ..Default::default()
            })
            .await?;
        t.transition_stage(&TransitionStage {
            name: "resnet-classifier".into(),
            version: v.version,
            stage,
            archive_existing_versions: false,
        })
        .await?;
    }
    t.set_alias("resnet-classifier", "champion", 2).await?;
    Ok(())
}
