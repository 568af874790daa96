//! Tests of the whole file store on temporary folders: a fixture laid out byte for byte as
//! MLflow 3.17.2 writes it, then every read and write of the [`Store`] trait.

use super::*;
use std::collections::BTreeMap;
use std::fs;

const EXP: &str = "508592834477522841";
const DELETED_EXP: &str = "171913542705545735";
const RUN: &str = "463d6258a0484530ab9838aa45a94b00";
const CHILD: &str = "d65dd7722190494b84feb8ef28a3c002";
const TRASHED_RUN: &str = "eebd2313ca2348e98e29c34ef526132f";

fn put(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

fn experiment_meta(root: &Path, id: &str, name: &str, stage: &str, created: i64) -> String {
    format!(
        "artifact_location: file://{root}/{id}\ncreation_time: {created}\neffective_trace_archival_retention: null\n\
         experiment_id: '{id}'\nlast_update_time: {created}\nlifecycle_stage: {stage}\nname: {name}\n\
         trace_location: null\nworkspace: default\n",
        root = root.display()
    )
}

fn run_meta(root: &Path, exp: &str, run: &str, name: &str, status: i64, stage: &str, extra: &str) -> String {
    format!(
        "artifact_uri: file://{root}/{exp}/{run}/artifacts\n{extra}end_time: null\nentry_point_name: ''\n\
         experiment_id: '{exp}'\nlifecycle_stage: {stage}\nrun_id: {run}\nrun_name: {name}\nsource_name: ''\n\
         source_type: 4\nsource_version: ''\nstart_time: 1795526662657\nstatus: {status}\ntags: []\nuser_id: unknown\n",
        root = root.display()
    )
}

/// What `gen.py` (MlflowClient on a file store) wrote, reduced to what the tests look at.
fn fixture() -> (tempfile::TempDir, FileStore) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("mlruns");
    let r = root.as_path();
    put(
        r,
        "0/meta.yaml",
        &experiment_meta(r, "0", "Default", "active", 1795526662644),
    );
    put(
        r,
        &format!("{EXP}/meta.yaml"),
        &experiment_meta(r, EXP, "exp one", "active", 1795526662650),
    );
    put(r, &format!("{EXP}/tags/project"), "vision");
    put(r, &format!("{EXP}/tags/mlflow.note.content"), "multi\nline");

    let run = format!("{EXP}/{RUN}");
    put(
        r,
        &format!("{run}/meta.yaml"),
        &run_meta(r, EXP, RUN, "alpha", 3, "active", "").replace("end_time: null", "end_time: 99999999"),
    );
    put(
        r,
        &format!("{run}/metrics/loss"),
        "1000 1.0 0\n1001 0.5 1\n1002 nan 2\n1003 inf 3\n1004 -inf 4\n",
    );
    put(r, &format!("{run}/metrics/eval/loss"), "5 0.25 3\n5 0.75 3\n");
    put(r, &format!("{run}/metrics/xss score: 1"), "7 3.0 0\n");
    put(r, &format!("{run}/params/lr"), "0.01");
    put(r, &format!("{run}/params/multi"), "a\nb");
    put(r, &format!("{run}/tags/custom"), "x");
    put(r, &format!("{run}/tags/mlflow.runName"), "alpha");
    put(r, &format!("{run}/artifacts/notes/hello.txt"), "hello");
    put(
        r,
        &format!("{run}/inputs/ac259a41d39605b2954534ab3a06fd09/meta.yaml"),
        "destination_id: 5ab5d588ffeeb93cea25dd512dfe6a6c\ndestination_type: RUN\nsource_id: 5ab5d588ffeeb93cea25dd512dfe6a6c\n\
         source_type: DATASET\ntags:\n  k: v\n  mlflow.data.context: training\n",
    );
    put(
        r,
        &format!("{EXP}/datasets/5ab5d588ffeeb93cea25dd512dfe6a6c/meta.yaml"),
        "digest: a27a57c9\nname: train-ds\nprofile: '{\"num_rows\": 2, \"num_elements\": 4}'\n\
         schema: '{\"mlflow_colspec\": [{\"type\": \"long\", \"name\": \"a\", \"required\": true}, {\"type\":\n  \
         \"double\", \"name\": \"b\", \"required\": true}]}'\nsource: '{\"url\": \"http://example.com/data.csv\"}'\n\
         source_type: http\n",
    );

    let child = format!("{EXP}/{CHILD}");
    put(
        r,
        &format!("{child}/meta.yaml"),
        &run_meta(r, EXP, CHILD, "child", 1, "deleted", "deleted_time: 1795526662695\n"),
    );
    put(r, &format!("{child}/tags/mlflow.parentRunId"), RUN);
    put(r, &format!("{child}/tags/mlflow.runName"), "child");
    for sub in ["metrics", "params", "artifacts"] {
        fs::create_dir_all(r.join(&child).join(sub)).unwrap();
    }

    let trashed = format!(".trash/{DELETED_EXP}");
    put(
        r,
        &format!("{trashed}/meta.yaml"),
        &experiment_meta(r, DELETED_EXP, "to delete", "deleted", 1795526662697)
            .replace("name: to", "tags: {}\nname: to"),
    );
    put(
        r,
        &format!("{trashed}/{TRASHED_RUN}/meta.yaml"),
        &run_meta(
            r,
            DELETED_EXP,
            TRASHED_RUN,
            "sassy-hound-73",
            1,
            "deleted",
            "deleted_time: 1795526662699\n",
        ),
    );

    put(
        r,
        "models/clf/meta.yaml",
        "aliases:\n  challenger: '3'\n  champion: '2'\ncreation_timestamp: 1795526662708\ndeployment_job_id: null\n\
         deployment_job_state: null\ndescription: a model\nlast_updated_timestamp: 1795526662766\nname: clf\nworkspace: default\n",
    );
    put(r, "models/clf/tags/team", "a");
    put(r, "models/clf/aliases/challenger", "3");
    put(r, "models/clf/aliases/champion", "2");
    for (v, stage) in [(1, "Archived"), (2, "Production"), (3, "Staging")] {
        put(
            r,
            &format!("models/clf/version-{v}/meta.yaml"),
            &format!(
                "creation_timestamp: 179552666270{v}\ncurrent_stage: {stage}\ndeployment_job_state: null\ndescription: null\n\
                 last_updated_timestamp: 1795526662737\nmodel_id: null\nname: clf\nrun_id: {RUN}\nrun_link: null\n\
                 source: file://{root}/{EXP}/{RUN}/artifacts/model\nstatus: READY\nstatus_message: null\n\
                 storage_location: file://{root}/{EXP}/{RUN}/artifacts/model\nuser_id: null\nversion: {v}\nworkspace: default\n",
                root = r.display()
            ),
        );
    }
    put(r, "models/clf/version-2/tags/t", "1");
    let store = FileStore::open(r).unwrap();
    (tmp, store)
}

fn code(e: crate::error::TrackingError) -> ErrorCode {
    ApiError::from(e).code
}

fn search(ids: &[&str]) -> SearchRuns {
    SearchRuns {
        experiment_ids: ids.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn opens_only_mlflow_stores() {
    let (tmp, store) = fixture();
    assert_eq!(store.kind(), StoreKind::File);
    assert!(store.uri().ends_with("mlruns"));
    let parent = ApiError::from(FileStore::open(tmp.path()).err().unwrap());
    assert_eq!(parent.code, ErrorCode::NotAnMlflowStore);
    assert!(parent.message.contains("open that instead"), "{parent}");
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        code(FileStore::open(empty.path()).err().unwrap()),
        ErrorCode::NotAnMlflowStore
    );
    assert_eq!(
        code(FileStore::open(&tmp.path().join("nope")).err().unwrap()),
        ErrorCode::NotFound
    );
    let file = tmp.path().join("f.txt");
    fs::write(&file, "x").unwrap();
    assert_eq!(code(FileStore::open(&file).err().unwrap()), ErrorCode::NotAnMlflowStore);
}

#[tokio::test]
async fn reads_experiments_with_tags_trash_filters_and_order() {
    let (_tmp, store) = fixture();
    let active = store.search_experiments(&SearchExperiments::default()).await.unwrap();
    // Newest first by default.
    let names: Vec<_> = active.items.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["exp one", "Default"]);
    let exp = &active.items[0];
    assert_eq!(exp.tags.get("project").map(String::as_str), Some("vision"));
    assert_eq!(exp.description(), Some("multi\nline"));
    assert_eq!(exp.creation_time, Some(1795526662650));
    assert!(exp.artifact_location.starts_with("file://"));

    let deleted = store
        .search_experiments(&SearchExperiments {
            view_type: ViewType::DeletedOnly,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(deleted.items.len(), 1);
    assert_eq!(
        (
            deleted.items[0].experiment_id.as_str(),
            deleted.items[0].lifecycle_stage
        ),
        (DELETED_EXP, LifecycleStage::Deleted)
    );

    let all = SearchExperiments {
        view_type: ViewType::All,
        order_by: vec!["name ASC".into()],
        page: PageRequest {
            max_results: Some(2),
            page_token: None,
        },
        ..Default::default()
    };
    let page = store.search_experiments(&all).await.unwrap();
    assert_eq!(
        page.items.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["Default", "exp one"]
    );
    let rest = SearchExperiments {
        page: PageRequest {
            max_results: Some(2),
            page_token: page.next_page_token,
        },
        ..all
    };
    assert_eq!(
        store.search_experiments(&rest).await.unwrap().items[0].name,
        "to delete"
    );

    let filtered = SearchExperiments {
        filter: Some("tags.project = 'vision'".into()),
        ..Default::default()
    };
    assert_eq!(store.search_experiments(&filtered).await.unwrap().items.len(), 1);
    let bad = SearchExperiments {
        filter: Some("name >".into()),
        ..Default::default()
    };
    assert_eq!(
        code(store.search_experiments(&bad).await.unwrap_err()),
        ErrorCode::InvalidArgument
    );

    assert_eq!(store.get_experiment(DELETED_EXP).await.unwrap().name, "to delete");
    assert_eq!(
        store.get_experiment_by_name("exp one").await.unwrap().experiment_id,
        EXP
    );
    let missing = ApiError::from(store.get_experiment("42").await.unwrap_err());
    assert_eq!(missing.code, ErrorCode::NotFound);
    assert!(missing.message.contains("42"), "{missing}");
    assert_eq!(
        code(store.get_experiment("../x").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(store.get_experiment_by_name("nope").await.unwrap_err()),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn reads_runs_with_latest_metrics_non_finite_values_and_inputs() {
    let (_tmp, store) = fixture();
    let run = store.get_run(RUN).await.unwrap();
    assert_eq!(run.info.run_name, "alpha");
    assert_eq!(run.info.status, RunStatus::Finished);
    assert_eq!(run.info.end_time, Some(99999999));
    assert_eq!(run.info.user_id, "unknown");
    let metrics: Vec<_> = run
        .data
        .metrics
        .iter()
        .map(|m| (m.key.as_str(), m.value.get(), m.step))
        .collect();
    assert_eq!(
        metrics,
        [
            ("eval/loss", 0.75, 3),
            ("loss", f64::NEG_INFINITY, 4),
            ("xss score: 1", 3.0, 0)
        ]
    );
    assert_eq!(run.data.params.get("multi").map(String::as_str), Some("a\nb"));
    assert_eq!(run.data.tags.get("custom").map(String::as_str), Some("x"));
    assert_eq!(run.inputs.len(), 1);
    let input = &run.inputs[0];
    assert_eq!(
        (input.dataset.name.as_str(), input.dataset.digest.as_str()),
        ("train-ds", "a27a57c9")
    );
    assert_eq!(input.tags.get(tag::DATA_CONTEXT).map(String::as_str), Some("training"));
    assert!(input.dataset.schema.as_deref().unwrap().contains("\"double\""));

    let history = store.metric_history(RUN, "loss").await.unwrap();
    assert_eq!(history.len(), 5);
    assert!(history[2].value.get().is_nan());
    assert_eq!(history[3].value.get(), f64::INFINITY);
    assert!(store.metric_history(RUN, "absent").await.unwrap().is_empty());
    assert_eq!(
        code(store.metric_history(RUN, "../meta.yaml").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );

    // A deleted run in a deleted experiment is still found by id.
    assert_eq!(
        store.get_run(TRASHED_RUN).await.unwrap().info.lifecycle_stage,
        LifecycleStage::Deleted
    );
    let missing = ApiError::from(store.get_run("0123456789abcdef0123456789abcdef").await.unwrap_err());
    assert_eq!(missing.code, ErrorCode::NotFound);
    assert!(missing.message.contains("0123456789abcdef"), "{missing}");
    assert_eq!(code(store.get_run("tags").await.unwrap_err()), ErrorCode::NotFound);
}

#[tokio::test]
async fn searches_runs_by_view_filter_and_order() {
    let (_tmp, store) = fixture();
    let active = store.search_runs(&search(&[EXP])).await.unwrap();
    assert_eq!(
        active.items.iter().map(|r| r.info.run_id.as_str()).collect::<Vec<_>>(),
        [RUN]
    );
    let all = SearchRuns {
        view_type: ViewType::All,
        ..search(&[EXP, DELETED_EXP, "12345"])
    };
    assert_eq!(store.search_runs(&all).await.unwrap().items.len(), 3);
    let deleted = SearchRuns {
        view_type: ViewType::DeletedOnly,
        ..search(&[EXP])
    };
    assert_eq!(
        store.search_runs(&deleted).await.unwrap().items[0].parent_run_id(),
        Some(RUN)
    );
    let filtered = SearchRuns {
        filter: Some("metrics.`eval/loss` > 0.5 AND params.lr = '0.01' AND datasets.context = 'training'".into()),
        ..search(&[EXP])
    };
    assert_eq!(store.search_runs(&filtered).await.unwrap().items.len(), 1);
    let none = SearchRuns {
        filter: Some("metrics.loss > 0".into()),
        ..search(&[EXP])
    };
    assert!(store.search_runs(&none).await.unwrap().items.is_empty());
    let ordered = SearchRuns {
        view_type: ViewType::All,
        order_by: vec!["attributes.run_name ASC".into()],
        ..search(&[EXP])
    };
    let names: Vec<_> = store
        .search_runs(&ordered)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.info.run_name)
        .collect();
    assert_eq!(names, ["alpha", "child"]);
}

#[tokio::test]
async fn reads_artifacts_under_the_run_artifact_uri() {
    let (_tmp, store) = fixture();
    let top = store.list_artifacts(RUN, None).await.unwrap();
    assert_eq!(
        top,
        vec![FileInfo {
            path: "notes".into(),
            is_dir: true,
            file_size: None
        }]
    );
    let file = store.read_artifact(RUN, "notes/hello.txt", 100).await.unwrap();
    assert_eq!(file.bytes, b"hello");
    store.write_artifact(RUN, "out/table.json", b"{}").await.unwrap();
    assert_eq!(
        store.read_artifact(RUN, "out/table.json", 10).await.unwrap().bytes,
        b"{}"
    );
    assert_eq!(
        code(store.read_artifact(RUN, "../meta.yaml", 10).await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
}

#[tokio::test]
async fn malformed_files_are_reported_or_skipped_as_mlflow_does() {
    let (tmp, store) = fixture();
    let r = tmp.path().join("mlruns");
    // A folder without meta.yaml is not an experiment or run: skipped silently.
    fs::create_dir_all(r.join(".ipynb_checkpoints")).unwrap();
    fs::create_dir_all(r.join(EXP).join("not-a-run")).unwrap();
    assert_eq!(
        store
            .search_experiments(&SearchExperiments::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    assert_eq!(store.search_runs(&search(&[EXP])).await.unwrap().items.len(), 1);

    // YAML that does not parse is an error naming the file, with the parser's message.
    put(&r, "0/meta.yaml", "name: [unclosed\n");
    let e = ApiError::from(store.get_experiment("0").await.unwrap_err());
    assert_eq!(e.code, ErrorCode::CorruptStore);
    assert!(e.message.contains("0/meta.yaml"), "{e}");
    assert!(e.detail.is_some(), "{e:?}");
    assert_eq!(
        code(
            store
                .search_experiments(&SearchExperiments::default())
                .await
                .unwrap_err()
        ),
        ErrorCode::CorruptStore
    );

    put(&r, &format!("{EXP}/{CHILD}/meta.yaml"), "run_id: [\n");
    let e = ApiError::from(store.search_runs(&search(&[EXP])).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::CorruptStore);
    assert!(e.message.contains(CHILD), "{e}");

    put(
        &r,
        &format!("{EXP}/{RUN}/metrics/loss"),
        "1000 1.0 0\nnot a point\n1002 2.0 2\n",
    );
    let e = ApiError::from(store.get_run(RUN).await.unwrap_err());
    assert!(
        e.message.contains("metrics/loss") && e.message.contains("line 2"),
        "{e}"
    );
}

#[tokio::test]
async fn creates_experiments_like_mlflow_and_keeps_names_unique() {
    let (tmp, store) = fixture();
    let r = tmp.path().join("mlruns");
    let req = CreateExperiment {
        name: "yes".into(),
        artifact_location: None,
        tags: Tags::from([("project".into(), "nlp".into()), ("a/b".into(), "nested".into())]),
    };
    let id = store.create_experiment(&req).await.unwrap();
    assert_eq!(id.len(), 18);
    let meta = fs::read_to_string(r.join(&id).join("meta.yaml")).unwrap();
    let expected_location = format!("artifact_location: {}/{id}\n", io::path_to_file_uri(&r));
    assert!(meta.starts_with(&expected_location), "{meta}");
    assert!(
        meta.contains(&format!("experiment_id: '{id}'\n")) && meta.contains("name: 'yes'\n"),
        "{meta}"
    );
    assert_eq!(fs::read_to_string(r.join(&id).join("tags/a/b")).unwrap(), "nested");
    let e = store.get_experiment(&id).await.unwrap();
    assert_eq!((e.name.as_str(), e.tags.len()), ("yes", 2));

    for taken in ["exp one", "to delete"] {
        let dup = CreateExperiment {
            name: taken.into(),
            ..Default::default()
        };
        assert_eq!(
            code(store.create_experiment(&dup).await.unwrap_err()),
            ErrorCode::AlreadyExists,
            "{taken}"
        );
    }
    assert_eq!(
        code(store.rename_experiment(&id, "to delete").await.unwrap_err()),
        ErrorCode::AlreadyExists
    );
    store.rename_experiment(&id, "renamed").await.unwrap();
    assert_eq!(store.get_experiment(&id).await.unwrap().name, "renamed");
    let custom = CreateExperiment {
        name: "custom".into(),
        artifact_location: Some("s3://bucket/x".into()),
        ..Default::default()
    };
    let cid = store.create_experiment(&custom).await.unwrap();
    assert_eq!(
        store.get_experiment(&cid).await.unwrap().artifact_location,
        "s3://bucket/x"
    );

    store.set_experiment_tag(&id, "k", "v").await.unwrap();
    store.delete_experiment_tag(&id, "k").await.unwrap();
    assert_eq!(
        code(store.delete_experiment_tag(&id, "k").await.unwrap_err()),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(store.create_experiment(&CreateExperiment::default()).await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
}

#[tokio::test]
async fn deleting_an_experiment_moves_it_and_its_runs_to_the_trash() {
    let (tmp, store) = fixture();
    let r = tmp.path().join("mlruns");
    assert_eq!(
        code(store.delete_experiment("0").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    store.delete_experiment(EXP).await.unwrap();
    assert!(!r.join(EXP).exists() && r.join(".trash").join(EXP).join(RUN).is_dir());
    let e = store.get_experiment(EXP).await.unwrap();
    assert_eq!(e.lifecycle_stage, LifecycleStage::Deleted);
    let run_meta = fs::read_to_string(r.join(".trash").join(EXP).join(RUN).join("meta.yaml")).unwrap();
    assert!(
        run_meta.contains("lifecycle_stage: deleted") && run_meta.contains("deleted_time: "),
        "{run_meta}"
    );
    assert_eq!(
        code(store.set_experiment_tag(EXP, "k", "v").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(store.rename_experiment(EXP, "x").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    let in_deleted = CreateRun {
        experiment_id: EXP.into(),
        ..Default::default()
    };
    assert_eq!(
        code(store.create_run(&in_deleted).await.unwrap_err()),
        ErrorCode::InvalidArgument
    );

    store.restore_experiment(EXP).await.unwrap();
    assert!(r.join(EXP).join("meta.yaml").is_file());
    assert_eq!(
        store.get_experiment(EXP).await.unwrap().lifecycle_stage,
        LifecycleStage::Active
    );
    // MLflow restores every deleted run of the experiment, the previously deleted child too.
    let runs = store.search_runs(&search(&[EXP])).await.unwrap();
    assert_eq!(runs.items.len(), 2);
    let run_meta = fs::read_to_string(r.join(EXP).join(RUN).join("meta.yaml")).unwrap();
    assert!(!run_meta.contains("deleted_time"), "{run_meta}");
    assert_eq!(
        code(store.restore_experiment(EXP).await.unwrap_err()),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn creates_and_logs_runs_in_mlflow_format() {
    let (tmp, store) = fixture();
    let r = tmp.path().join("mlruns");
    let req = CreateRun {
        experiment_id: EXP.into(),
        run_name: Some("beta".into()),
        start_time: Some(42),
        user_id: Some("ann".into()),
        tags: Tags::from([("k".into(), "v".into())]),
        parent_run_id: Some(RUN.into()),
    };
    let info = store.create_run(&req).await.unwrap();
    assert_eq!(info.run_id.len(), 32);
    assert_eq!(
        info.artifact_uri,
        format!("{}/{EXP}/{}/artifacts", io::path_to_file_uri(&r), info.run_id)
    );
    let dir = r.join(EXP).join(&info.run_id);
    let meta = fs::read_to_string(dir.join("meta.yaml")).unwrap();
    let want = format!(
        "artifact_uri: {}\ndeleted_time: null\nend_time: null\nentry_point_name: ''\nexperiment_id: '{EXP}'\n\
         lifecycle_stage: active\nrun_id: {}\nrun_name: beta\nsource_name: ''\nsource_type: 4\nsource_version: ''\n\
         start_time: 42\nstatus: 1\ntags: []\nuser_id: ann\n",
        yaml::scalar_str(&info.artifact_uri),
        yaml::scalar_str(&info.run_id)
    );
    assert_eq!(meta, want);
    for sub in ["metrics", "params", "artifacts"] {
        assert!(dir.join(sub).is_dir(), "{sub}");
    }
    let run = store.get_run(&info.run_id).await.unwrap();
    assert_eq!(run.data.tags.get(tag::RUN_NAME).map(String::as_str), Some("beta"));
    assert_eq!(run.data.tags.get(tag::USER).map(String::as_str), Some("ann"));
    assert_eq!(run.parent_run_id(), Some(RUN));

    let batch = LogBatch {
        metrics: vec![
            Metric {
                key: "eval/acc".into(),
                value: MetricValue(0.5),
                timestamp: 10,
                step: 0,
            },
            Metric {
                key: "eval/acc".into(),
                value: MetricValue(f64::NAN),
                timestamp: 11,
                step: 1,
            },
            Metric {
                key: "big".into(),
                value: MetricValue(1e16),
                timestamp: 12,
                step: 2,
            },
            Metric {
                key: "big".into(),
                value: MetricValue(f64::NEG_INFINITY),
                timestamp: 13,
                step: 1,
            },
        ],
        params: vec![("lr".into(), "0.1".into())],
        tags: vec![(tag::RUN_NAME.into(), "gamma".into())],
    };
    store.log_batch(&info.run_id, &batch).await.unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("metrics/eval/acc")).unwrap(),
        "10 0.5 0\n11 nan 1\n"
    );
    assert_eq!(
        fs::read_to_string(dir.join("metrics/big")).unwrap(),
        "12 1e+16 2\n13 -inf 1\n"
    );
    assert_eq!(fs::read_to_string(dir.join("params/lr")).unwrap(), "0.1");
    assert!(fs::read_to_string(dir.join("meta.yaml"))
        .unwrap()
        .contains("run_name: gamma\n"));
    let run = store.get_run(&info.run_id).await.unwrap();
    assert_eq!(run.metric("big").unwrap().value.get(), 1e16);
    assert!(run.metric("eval/acc").unwrap().value.get().is_nan());

    // Params are immutable: the same value again is fine, another value is refused.
    store
        .log_batch(
            &info.run_id,
            &LogBatch {
                params: vec![("lr".into(), "0.1".into())],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let change = LogBatch {
        params: vec![("lr".into(), "0.2".into())],
        ..Default::default()
    };
    let e = ApiError::from(store.log_batch(&info.run_id, &change).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert!(e.message.contains("lr"), "{e}");
    let twice = LogBatch {
        params: vec![("p".into(), "1".into()), ("p".into(), "1".into())],
        ..Default::default()
    };
    assert_eq!(
        code(store.log_batch(&info.run_id, &twice).await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    let bad_key = LogBatch::metric("../x", 1.0, 1, 1);
    assert_eq!(
        code(store.log_batch(&info.run_id, &bad_key).await.unwrap_err()),
        ErrorCode::InvalidArgument
    );

    let update = UpdateRun {
        status: Some(RunStatus::Finished),
        end_time: Some(99),
        run_name: None,
    };
    let updated = store.update_run(&info.run_id, &update).await.unwrap();
    assert_eq!(
        (updated.status, updated.end_time, updated.run_name.as_str()),
        (RunStatus::Finished, Some(99), "gamma")
    );
    assert!(fs::read_to_string(dir.join("meta.yaml"))
        .unwrap()
        .contains("status: 3\n"));

    store.delete_tag(&info.run_id, "k").await.unwrap();
    assert_eq!(
        code(store.delete_tag(&info.run_id, "k").await.unwrap_err()),
        ErrorCode::NotFound
    );

    store.delete_run(&info.run_id).await.unwrap();
    let deleted_meta = fs::read_to_string(dir.join("meta.yaml")).unwrap();
    assert!(
        deleted_meta.contains("lifecycle_stage: deleted\n") && deleted_meta.contains("deleted_time: "),
        "{deleted_meta}"
    );
    assert_eq!(
        code(
            store
                .log_batch(&info.run_id, &LogBatch::metric("m", 1.0, 1, 1))
                .await
                .unwrap_err()
        ),
        ErrorCode::InvalidArgument
    );
    store.restore_run(&info.run_id).await.unwrap();
    let restored = fs::read_to_string(dir.join("meta.yaml")).unwrap();
    assert!(
        restored.contains("lifecycle_stage: active\n") && !restored.contains("deleted_time"),
        "{restored}"
    );

    let unnamed = store
        .create_run(&CreateRun {
            experiment_id: "0".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(unnamed.user_id, "unknown");
    assert_eq!(unnamed.run_name.split('-').count(), 3, "{}", unnamed.run_name);
    let clash = CreateRun {
        experiment_id: EXP.into(),
        run_name: Some("a".into()),
        tags: Tags::from([(tag::RUN_NAME.into(), "b".into())]),
        ..Default::default()
    };
    assert_eq!(
        code(store.create_run(&clash).await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    let orphan = CreateRun {
        experiment_id: EXP.into(),
        parent_run_id: Some("f".repeat(32)),
        ..Default::default()
    };
    assert_eq!(code(store.create_run(&orphan).await.unwrap_err()), ErrorCode::NotFound);
    assert_eq!(
        code(
            store
                .create_run(&CreateRun {
                    experiment_id: "99".into(),
                    ..Default::default()
                })
                .await
                .unwrap_err()
        ),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn reads_the_registry_with_aliases_and_latest_versions() {
    let (_tmp, store) = fixture();
    let model = store.get_registered_model("clf").await.unwrap();
    assert_eq!(model.description.as_deref(), Some("a model"));
    assert_eq!(
        model.aliases,
        BTreeMap::from([("challenger".into(), 3), ("champion".into(), 2)])
    );
    let latest: Vec<_> = model
        .latest_versions
        .iter()
        .map(|v| (v.current_stage, v.version))
        .collect();
    assert_eq!(
        latest,
        [(Stage::Staging, 3), (Stage::Production, 2), (Stage::Archived, 1)]
    );
    let versions = store.model_versions("clf").await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [3, 2, 1]);
    let v2 = store.get_model_version_by_alias("clf", "champion").await.unwrap();
    assert_eq!(
        (v2.version, v2.aliases.as_slice(), v2.tags.get("t").map(String::as_str)),
        (2, &["champion".to_string()][..], Some("1"))
    );
    assert_eq!(v2.run_id.as_deref(), Some(RUN));
    assert_eq!(v2.description, None);
    assert_eq!(
        store.get_model_version_by_alias("clf", "latest").await.unwrap().version,
        3
    );
    assert_eq!(
        code(store.get_model_version_by_alias("clf", "nope").await.unwrap_err()),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(store.get_model_version("clf", 9).await.unwrap_err()),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(store.get_registered_model("nope").await.unwrap_err()),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(store.get_registered_model("../0").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
}

#[tokio::test]
async fn writes_the_registry_with_transitions_aliases_and_timestamps() {
    let (tmp, store) = fixture();
    let r = tmp.path().join("mlruns");
    let m = store
        .create_registered_model("reg", Some("desc"), &Tags::from([("team".into(), "b".into())]))
        .await
        .unwrap();
    assert_eq!(
        (m.description.as_deref(), m.tags.len(), m.latest_versions.len()),
        (Some("desc"), 1, 0)
    );
    assert_eq!(
        code(
            store
                .create_registered_model("reg", None, &Tags::new())
                .await
                .unwrap_err()
        ),
        ErrorCode::AlreadyExists
    );
    let meta = fs::read_to_string(r.join("models/reg/meta.yaml")).unwrap();
    assert!(
        meta.starts_with("aliases: {}\ncreation_timestamp: ") && meta.contains("description: desc\n"),
        "{meta}"
    );

    let mut versions = Vec::new();
    for i in 0..3 {
        let req = CreateModelVersion {
            name: "reg".into(),
            source: format!("file:///tmp/model{i}"),
            run_id: Some(RUN.into()),
            description: None,
            tags: Tags::from([("i".into(), i.to_string())]),
        };
        versions.push(store.create_model_version(&req).await.unwrap());
    }
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2, 3]);
    let vmeta = fs::read_to_string(r.join("models/reg/version-1/meta.yaml")).unwrap();
    assert!(
        vmeta.contains("current_stage: None\n") && vmeta.contains("version: 1\n"),
        "{vmeta}"
    );
    assert!(vmeta.contains("storage_location: file:///tmp/model0\n"), "{vmeta}");

    let to = |version, stage, archive| TransitionStage {
        name: "reg".into(),
        version,
        stage,
        archive_existing_versions: archive,
    };
    store.transition_stage(&to(1, Stage::Production, false)).await.unwrap();
    store.transition_stage(&to(2, Stage::Production, false)).await.unwrap();
    let v3 = store.transition_stage(&to(3, Stage::Production, true)).await.unwrap();
    assert_eq!(v3.current_stage, Stage::Production);
    let stages: Vec<_> = store
        .model_versions("reg")
        .await
        .unwrap()
        .iter()
        .map(|v| v.current_stage)
        .collect();
    assert_eq!(stages, [Stage::Production, Stage::Archived, Stage::Archived]);
    let e = ApiError::from(store.transition_stage(&to(1, Stage::Archived, true)).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert_eq!(
        code(store.transition_stage(&to(7, Stage::Staging, false)).await.unwrap_err()),
        ErrorCode::NotFound
    );

    let before = store
        .get_registered_model("reg")
        .await
        .unwrap()
        .last_updated_timestamp
        .unwrap();
    store.set_alias("reg", "champion", 3).await.unwrap();
    assert_eq!(fs::read_to_string(r.join("models/reg/aliases/champion")).unwrap(), "3");
    assert!(fs::read_to_string(r.join("models/reg/meta.yaml"))
        .unwrap()
        .contains("aliases:\n  champion: '3'\n"));
    assert_eq!(
        code(store.set_alias("reg", "v2", 3).await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(store.set_alias("reg", "x", 9).await.unwrap_err()),
        ErrorCode::NotFound
    );
    let model = store.get_registered_model("reg").await.unwrap();
    assert_eq!(model.aliases.get("champion"), Some(&3));
    assert!(model.last_updated_timestamp.unwrap() >= before);
    assert_eq!(store.get_model_version("reg", 3).await.unwrap().aliases, ["champion"]);
    store.delete_alias("reg", "champion").await.unwrap();
    store.delete_alias("reg", "champion").await.unwrap();
    assert!(store.get_registered_model("reg").await.unwrap().aliases.is_empty());

    store.update_registered_model("reg", "new text").await.unwrap();
    store.update_model_version("reg", 2, "v2 text").await.unwrap();
    assert_eq!(
        store.get_registered_model("reg").await.unwrap().description.as_deref(),
        Some("new text")
    );
    assert_eq!(
        store.get_model_version("reg", 2).await.unwrap().description.as_deref(),
        Some("v2 text")
    );
    store.set_registered_model_tag("reg", "k", "v").await.unwrap();
    store.delete_registered_model_tag("reg", "team").await.unwrap();
    store.set_model_version_tag("reg", 1, "k", "v").await.unwrap();
    store.delete_model_version_tag("reg", 1, "i").await.unwrap();
    assert_eq!(
        store.get_registered_model("reg").await.unwrap().tags,
        Tags::from([("k".into(), "v".into())])
    );
    assert_eq!(
        store.get_model_version("reg", 1).await.unwrap().tags,
        Tags::from([("k".into(), "v".into())])
    );

    // A version MLflow deleted keeps its folder but is gone, and its number is not reused.
    let v2_meta = r.join("models/reg/version-2/meta.yaml");
    fs::write(
        &v2_meta,
        fs::read_to_string(&v2_meta)
            .unwrap()
            .replace("current_stage: Archived", "current_stage: Deleted_Internal"),
    )
    .unwrap();
    assert_eq!(
        code(store.get_model_version("reg", 2).await.unwrap_err()),
        ErrorCode::NotFound
    );
    let req = CreateModelVersion {
        name: "reg".into(),
        source: "models:/reg/3".into(),
        ..Default::default()
    };
    let v4 = store.create_model_version(&req).await.unwrap();
    assert_eq!((v4.version, v4.source.as_str()), (4, "models:/reg/3"));
    assert!(fs::read_to_string(r.join("models/reg/version-4/meta.yaml"))
        .unwrap()
        .contains("storage_location: file:///tmp/model2\n"));
    let unknown = CreateModelVersion {
        name: "nope".into(),
        source: "x".into(),
        ..Default::default()
    };
    assert_eq!(
        code(store.create_model_version(&unknown).await.unwrap_err()),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn searches_models_by_name_and_tags_without_prompts() {
    let (_tmp, store) = fixture();
    store
        .create_registered_model("b-model", None, &Tags::from([("team".into(), "a".into())]))
        .await
        .unwrap();
    store
        .create_registered_model(
            "a-prompt",
            None,
            &Tags::from([("mlflow.prompt.is_prompt".into(), "true".into())]),
        )
        .await
        .unwrap();
    let all = store.search_registered_models(&SearchModels::default()).await.unwrap();
    assert_eq!(
        all.items.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        ["b-model", "clf"]
    );
    let by_tag = SearchModels {
        filter: Some("tags.team = 'a' AND name LIKE 'c%'".into()),
        ..Default::default()
    };
    assert_eq!(
        store.search_registered_models(&by_tag).await.unwrap().items[0].name,
        "clf"
    );
    let desc = SearchModels {
        order_by: vec!["name DESC".into()],
        ..Default::default()
    };
    assert_eq!(
        store.search_registered_models(&desc).await.unwrap().items[0].name,
        "clf"
    );
    let newest = SearchModels {
        order_by: vec!["creation_timestamp DESC".into()],
        page: PageRequest {
            max_results: Some(1),
            page_token: None,
        },
        ..Default::default()
    };
    let page = store.search_registered_models(&newest).await.unwrap();
    assert_eq!(
        (page.items[0].name.as_str(), page.next_page_token.as_deref()),
        ("b-model", Some("1"))
    );
    let bad = SearchModels {
        filter: Some("creation_time > 5".into()),
        ..Default::default()
    };
    assert_eq!(
        code(store.search_registered_models(&bad).await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    let prompts = SearchModels {
        filter: Some("tags.`mlflow.prompt.is_prompt` = 'true'".into()),
        ..Default::default()
    };
    assert_eq!(
        store.search_registered_models(&prompts).await.unwrap().items[0].name,
        "a-prompt"
    );
}
