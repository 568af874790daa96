//! The facade on real stores: a new SQLite store made by [`SqliteStore::create`] and a new
//! `mlruns/` folder, filled through the facade itself.

use super::*;
use crate::file::FileStore;
use crate::sqlite::SqliteStore;
use runlens_core::ipc::{EditOutcome, ExperimentEdit, RunEdit};
use runlens_core::preview::{PreviewBody, PREVIEW_ROWS};
use std::path::Path;

async fn sqlite_store(dir: &Path) -> Tracking {
    let store = SqliteStore::create(&dir.join("mlflow.db")).await.unwrap();
    Tracking::from_store(Arc::new(store))
}

fn file_store(dir: &Path) -> Tracking {
    let root = dir.join("mlruns");
    std::fs::create_dir_all(root.join(".trash")).unwrap();
    Tracking::from_store(Arc::new(FileStore::open(&root).unwrap()))
}

async fn experiment(t: &Tracking, dir: &Path, name: &str) -> String {
    let artifacts = dir.join("artifacts").join(name);
    t.create_experiment(&CreateExperiment {
        name: name.into(),
        artifact_location: Some(artifacts.display().to_string()),
        ..Default::default()
    })
    .await
    .unwrap()
}

async fn run(t: &Tracking, exp: &str, name: &str, parent: Option<&str>, start: i64) -> String {
    t.create_run(&CreateRun {
        experiment_id: exp.into(),
        run_name: Some(name.into()),
        start_time: Some(start),
        parent_run_id: parent.map(String::from),
        ..Default::default()
    })
    .await
    .unwrap()
    .run_id
}

/// A run whose `mlflow.parentRunId` names a run the store does not have (purged, or another store).
async fn orphan(t: &Tracking, exp: &str, start: i64) -> String {
    let id = run(t, exp, "orphan", None, start).await;
    let batch = LogBatch {
        tags: vec![(tag::PARENT_RUN_ID.into(), "0123456789abcdef0123456789abcdef".into())],
        ..Default::default()
    };
    t.log_batch(&id, &batch).await.unwrap();
    id
}

fn ids(runs: &[Run]) -> Vec<&str> {
    runs.iter().map(|r| r.info.run_id.as_str()).collect()
}

#[tokio::test]
async fn ancestors_are_found_at_any_depth_and_purged_parents_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let t = sqlite_store(dir.path()).await;
    let exp = experiment(&t, dir.path(), "tree").await;
    let root = run(&t, &exp, "root", None, 1).await;
    let child = run(&t, &exp, "child", Some(&root), 2).await;
    let grandchild = run(&t, &exp, "grandchild", Some(&child), 3).await;
    let orphan = orphan(&t, &exp, 4).await;
    let get = |id: &String| {
        let t = t.clone();
        let id = id.clone();
        async move { t.get_run(&id).await.unwrap() }
    };
    let (g, r, o) = (get(&grandchild).await, get(&root).await, get(&orphan).await);

    assert_eq!(
        ids(&t.ancestors_of(std::slice::from_ref(&g)).await.unwrap()),
        [&child, &root]
    );
    assert_eq!(ids(&t.ancestors_of(&[g.clone(), r.clone()]).await.unwrap()), [&child]);
    assert!(
        t.ancestors_of(&[r, o]).await.unwrap().is_empty(),
        "a purged parent is skipped"
    );

    // The run tree of a search that matches only the grandchild still nests it under its parents.
    let tree = t
        .run_tree(&SearchRuns {
            experiment_ids: vec![exp.clone()],
            filter: Some("attributes.run_name = 'grandchild'".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tree.len(), 1);
    assert_eq!(tree[0].run.info.run_id, root);
    assert_eq!(tree[0].descendant_count(), 2);
}

#[tokio::test]
async fn run_detail_has_parent_children_and_exact_metric_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let t = sqlite_store(dir.path()).await;
    let exp = experiment(&t, dir.path(), "detail").await;
    let parent = run(&t, &exp, "sweep", None, 100).await;
    // Children created out of order of their start times; one of them deleted.
    let late = run(&t, &exp, "late", Some(&parent), 300).await;
    let early = run(&t, &exp, "early", Some(&parent), 200).await;
    let gone = run(&t, &exp, "gone", Some(&parent), 400).await;
    t.delete_run(&gone).await.unwrap();
    let _grandchild = run(&t, &exp, "grandchild", Some(&early), 500).await;

    // 20,000 points with a spike, a dip, NaN and infinity: the range is exact though sampled.
    let n = 20_000;
    for chunk in (0..n).collect::<Vec<i64>>().chunks(1000) {
        let metrics = chunk
            .iter()
            .map(|&step| {
                let value = match step {
                    7_777 => 1e6,
                    12_345 => -42.5,
                    15_000 => f64::NAN,
                    16_000 => f64::INFINITY,
                    _ => (step as f64 / 100.0).sin(),
                };
                Metric {
                    key: "loss".into(),
                    value: MetricValue(value),
                    timestamp: 1_000 + step,
                    step,
                }
            })
            .collect();
        t.log_batch(
            &early,
            &LogBatch {
                metrics,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    t.log_batch(&early, &LogBatch::metric("acc", f64::NAN, 5, 0))
        .await
        .unwrap();

    let detail = t.run_detail(&parent).await.unwrap();
    assert_eq!(detail.experiment.name, "detail");
    assert_eq!(detail.parent, None);
    let children: Vec<(&str, Option<LifecycleStage>)> = detail
        .children
        .iter()
        .map(|c| (c.run_name.as_str(), c.lifecycle_stage))
        .collect();
    assert_eq!(
        children,
        [
            ("early", Some(LifecycleStage::Active)),
            ("late", Some(LifecycleStage::Active)),
            ("gone", Some(LifecycleStage::Deleted)),
        ],
        "direct children only, oldest first, deleted ones too"
    );
    assert_eq!(detail.children[1].run_id, late);

    let detail = t.run_detail(&early).await.unwrap();
    let p = detail.parent.unwrap();
    assert_eq!(
        (p.run_id.as_str(), p.run_name.as_str(), p.missing),
        (parent.as_str(), "sweep", false)
    );
    assert_eq!(p.status, Some(RunStatus::Running));
    assert_eq!(detail.children.len(), 1);
    let keys: Vec<&str> = detail.metrics.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["acc", "loss"]);
    let acc = &detail.metrics[0];
    assert!(acc.latest.get().is_nan());
    assert_eq!((acc.min, acc.max, acc.points), (None, None, 1));
    let loss = &detail.metrics[1];
    assert_eq!((loss.step, loss.timestamp), (n - 1, 1_000 + n - 1));
    assert_eq!(loss.latest, MetricValue((((n - 1) as f64) / 100.0).sin()));
    assert_eq!((loss.min, loss.max, loss.points), (Some(-42.5), Some(1e6), n as usize));

    let orphan = orphan(&t, &exp, 600).await;
    let p = t.run_detail(&orphan).await.unwrap().parent.unwrap();
    assert!(p.missing && p.status.is_none() && p.run_id == "0123456789abcdef0123456789abcdef");
    assert_eq!(
        t.run_detail("ffffffffffffffffffffffffffffffff")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
}

fn failed_ids(outcome: &EditOutcome) -> Vec<&str> {
    outcome.failed.iter().map(|f| f.run_id.as_str()).collect()
}

/// The same bulk edits on both local stores.
async fn bulk_edits(t: &Tracking, dir: &Path) {
    let exp = experiment(t, dir, "edits").await;
    let a = run(t, &exp, "a", None, 1).await;
    let b = run(t, &exp, "b", None, 2).await;
    let missing = "0123456789abcdef0123456789abcdef".to_string();
    let both = vec![a.clone(), b.clone()];

    let out = t
        .edit_runs(
            &[a.clone(), missing.clone(), b.clone(), a.clone()],
            &RunEdit::Rename {
                name: " renamed ".into(),
            },
        )
        .await;
    assert_eq!(out.done, both, "each run once, the others done despite the failure");
    assert_eq!(failed_ids(&out), [missing.as_str()]);
    assert_eq!(out.failed[0].error.code, ErrorCode::NotFound);
    let ra = t.get_run(&a).await.unwrap();
    assert_eq!(ra.info.run_name, "renamed");
    assert_eq!(ra.data.tags.get(tag::RUN_NAME).map(String::as_str), Some("renamed"));

    let out = t.edit_runs(&both, &RunEdit::Rename { name: "  ".into() }).await;
    assert!(out.done.is_empty() && out.failed.len() == 2);
    assert_eq!(out.failed[0].error.code, ErrorCode::InvalidArgument);

    let out = t
        .edit_runs(&both, &RunEdit::SetDescription { text: "**why**".into() })
        .await;
    assert_eq!(out.done, both);
    assert_eq!(
        t.get_run(&b).await.unwrap().data.tags.get(tag::NOTE).unwrap(),
        "**why**"
    );
    t.edit_runs(std::slice::from_ref(&a), &RunEdit::SetDescription { text: "".into() })
        .await;
    let out = t.edit_runs(&both, &RunEdit::SetDescription { text: "".into() }).await;
    assert_eq!(out.done, both, "removing an absent description is not a failure");
    assert!(!t.get_run(&b).await.unwrap().data.tags.contains_key(tag::NOTE));

    let set = RunEdit::SetTag {
        key: "team".into(),
        value: "vision".into(),
    };
    assert_eq!(t.edit_runs(&both, &set).await.done, both);
    assert_eq!(t.get_run(&a).await.unwrap().data.tags.get("team").unwrap(), "vision");
    let out = t.edit_runs(&both, &RunEdit::DeleteTag { key: "team".into() }).await;
    assert_eq!(out.done, both);
    assert!(!t.get_run(&a).await.unwrap().data.tags.contains_key("team"));
    let bad = t
        .edit_runs(
            &both,
            &RunEdit::SetTag {
                key: "../x".into(),
                value: "v".into(),
            },
        )
        .await;
    assert_eq!(failed_ids(&bad), [a.as_str(), b.as_str()]);
    assert!(bad.failed[0].error.message.contains("../x"), "{}", bad.failed[0].error);
    let long = RunEdit::SetTag {
        key: "k".into(),
        value: "x".repeat(8001),
    };
    assert_eq!(t.edit_runs(&both, &long).await.failed.len(), 2);

    // Ending stuck runs: only FAILED or KILLED, only runs still running.
    let out = t
        .edit_runs(
            &both,
            &RunEdit::EndStuck {
                status: RunStatus::Finished,
            },
        )
        .await;
    assert_eq!(out.failed.len(), 2);
    assert!(out.failed[0].error.message.contains("FINISHED"));
    let before = crate::now_ms();
    let out = t
        .edit_runs(
            std::slice::from_ref(&a),
            &RunEdit::EndStuck {
                status: RunStatus::Killed,
            },
        )
        .await;
    assert_eq!(out.done, [a.as_str()]);
    let info = t.get_run(&a).await.unwrap().info;
    assert_eq!(info.status, RunStatus::Killed);
    assert!(info.end_time.unwrap() >= before);
    let out = t
        .edit_runs(
            &both,
            &RunEdit::EndStuck {
                status: RunStatus::Failed,
            },
        )
        .await;
    assert_eq!(out.done, [b.as_str()]);
    assert_eq!(failed_ids(&out), [a.as_str()]);
    assert!(
        out.failed[0].error.message.contains("is KILLED"),
        "{}",
        out.failed[0].error
    );

    // Deleted runs cannot be changed until restored.
    assert_eq!(
        t.edit_runs(std::slice::from_ref(&a), &RunEdit::Delete).await.done,
        [a.as_str()]
    );
    assert_eq!(
        t.get_run(&a).await.unwrap().info.lifecycle_stage,
        LifecycleStage::Deleted
    );
    assert_eq!(
        failed_ids(&t.edit_runs(std::slice::from_ref(&a), &set).await),
        [a.as_str()]
    );
    let out = t
        .edit_runs(std::slice::from_ref(&a), &RunEdit::DeleteTag { key: "absent".into() })
        .await;
    assert_eq!(failed_ids(&out), [a.as_str()]);
    assert_eq!(
        t.edit_runs(std::slice::from_ref(&a), &RunEdit::Restore).await.done,
        [a.as_str()]
    );
    assert_eq!(
        t.get_run(&a).await.unwrap().info.lifecycle_stage,
        LifecycleStage::Active
    );
    assert_eq!(t.edit_runs(std::slice::from_ref(&a), &set).await.done, [a.as_str()]);
}

/// The same experiment edits on both local stores.
async fn experiment_edits(t: &Tracking, dir: &Path) {
    let exp = experiment(t, dir, "before").await;
    let edited = t
        .edit_experiment(&exp, &ExperimentEdit::Rename { name: " after ".into() })
        .await
        .unwrap();
    assert_eq!(edited.name, "after");
    let err = t
        .edit_experiment(&exp, &ExperimentEdit::Rename { name: "".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);

    t.set_experiment_tag(&exp, tag::PROJECT, "old").await.unwrap();
    let assign = |p: Option<&str>| ExperimentEdit::AssignProject {
        project: p.map(String::from),
    };
    let edited = t.edit_experiment(&exp, &assign(Some("vision"))).await.unwrap();
    assert_eq!(edited.tags.get(tag::MAXAI_PROJECT).map(String::as_str), Some("vision"));
    let err = t.edit_experiment(&exp, &assign(Some("  "))).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    let edited = t.edit_experiment(&exp, &assign(None)).await.unwrap();
    assert!(!edited.tags.contains_key(tag::MAXAI_PROJECT) && !edited.tags.contains_key(tag::PROJECT));
    t.edit_experiment(&exp, &assign(None)).await.unwrap();

    let edited = t.edit_experiment(&exp, &ExperimentEdit::Delete).await.unwrap();
    assert_eq!(edited.lifecycle_stage, LifecycleStage::Deleted);
    let edited = t.edit_experiment(&exp, &ExperimentEdit::Restore).await.unwrap();
    assert_eq!(edited.lifecycle_stage, LifecycleStage::Active);
}

#[tokio::test]
async fn bulk_run_edits_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    bulk_edits(&sqlite_store(dir.path()).await, dir.path()).await;
}

#[tokio::test]
async fn bulk_run_edits_on_a_file_store() {
    let dir = tempfile::tempdir().unwrap();
    bulk_edits(&file_store(dir.path()), dir.path()).await;
}

#[tokio::test]
async fn experiment_edits_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    experiment_edits(&sqlite_store(dir.path()).await, dir.path()).await;
}

#[tokio::test]
async fn experiment_edits_on_a_file_store() {
    let dir = tempfile::tempdir().unwrap();
    experiment_edits(&file_store(dir.path()), dir.path()).await;
}

#[tokio::test]
async fn previews_read_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let t = sqlite_store(dir.path()).await;
    let exp = experiment(&t, dir.path(), "previews").await;
    let id = run(&t, &exp, "r", None, 1).await;
    let mlmodel = "flavors:\n  sklearn:\n    pickled_model: model.pkl\nmlflow_version: 3.17.2\n\
                   saved_input_example_info:\n  artifact_path: input_example.json\n  type: dataframe\n";
    t.log_text(&id, "model/MLmodel", mlmodel).await.unwrap();
    t.log_text(&id, "model/input_example.json", r#"{"columns":["x"],"data":[[1]]}"#)
        .await
        .unwrap();
    t.log_text(
        &id,
        "model/requirements.txt",
        "mlflow==3.17.2\n# pinned\nscikit-learn==1.5.0\n",
    )
    .await
    .unwrap();
    let preview = t.preview_artifact(&id, "model/MLmodel").await.unwrap();
    let PreviewBody::Model(card) = preview.body else {
        panic!("{preview:?}")
    };
    assert_eq!(
        card.input_example.as_deref(),
        Some("{\n  \"columns\": [\n    \"x\"\n  ],\n  \"data\": [\n    [\n      1\n    ]\n  ]\n}")
    );
    assert_eq!(card.requirements, ["mlflow==3.17.2", "scikit-learn==1.5.0"]);
    assert_eq!(
        card.flavors[0].settings,
        [("pickled_model".to_string(), "model.pkl".to_string())]
    );

    // A table longer than a preview is marked as cut.
    let csv: String = std::iter::once("a,b\n".to_string())
        .chain((0..PREVIEW_ROWS + 1).map(|i| format!("{i},x\n")))
        .collect();
    t.log_text(&id, "big.csv", &csv).await.unwrap();
    let preview = t.preview_artifact(&id, "big.csv").await.unwrap();
    assert!(preview.truncated);
    assert_eq!(preview.total_size, Some(csv.len() as u64));

    // Saving reads the whole file, and refuses one over the limit before reading it.
    assert_eq!(
        t.read_whole_artifact(&id, "big.csv", 1 << 20).await.unwrap().bytes,
        csv.as_bytes()
    );
    let err = t.read_whole_artifact(&id, "big.csv", 100).await.unwrap_err();
    assert!(err.to_string().contains("at most 100 bytes"), "{err}");
    assert_eq!(
        t.preview_artifact(&id, "nope.txt").await.unwrap_err().code(),
        ErrorCode::NotFound
    );
}
