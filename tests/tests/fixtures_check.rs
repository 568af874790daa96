//! The stores of the browse screens' end-to-end tests hold what those tests rely on, as Runlens's
//! tracking client and MLflow's own client both read them.

use runlens_core::preview::PREVIEW_LIMIT;
use runlens_core::request::SearchRuns;
use runlens_core::tree::RunNode;
use runlens_core::{LifecycleStage, RunStatus, ViewType};
use runlens_tests::browse::{browse_store, scroll_store, BrowseStore};
use runlens_tracking::{ConnectOptions, Tracking};
use std::collections::BTreeMap;

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

async fn open(uri: &str) -> Tracking {
    Tracking::open(uri, &ConnectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("Runlens cannot open {uri}: {e:?}"))
}

fn runs_of(experiment_id: &str, view_type: ViewType) -> SearchRuns {
    SearchRuns {
        experiment_ids: vec![experiment_id.to_string()],
        view_type,
        ..Default::default()
    }
}

fn depth(node: &RunNode) -> usize {
    1 + node.children.iter().map(depth).max().unwrap_or(0)
}

fn find<'a>(nodes: &'a [RunNode], run_id: &str) -> &'a RunNode {
    nodes
        .iter()
        .find(|n| n.run.info.run_id == run_id)
        .unwrap_or_else(|| panic!("{run_id} is not in the tree"))
}

#[tokio::test]
async fn the_browse_store_has_projects_a_three_level_tree_and_every_status() {
    let store = browse_store(TMP);
    let t = open(&store.uri()).await;

    let projects = t.projects(ViewType::ActiveOnly, None).await.unwrap();
    let grouped: BTreeMap<String, Vec<String>> = projects
        .iter()
        .map(|p| {
            let mut ids: Vec<String> = p.experiments.iter().map(|e| e.experiment_id.clone()).collect();
            ids.sort();
            (p.name.clone().unwrap_or_default(), ids)
        })
        .collect();
    let logical = |names: &[String]| {
        let mut ids: Vec<String> = names.iter().map(|n| store.experiment(n).to_string()).collect();
        ids.sort();
        ids
    };
    for (project, experiments) in &store.projects {
        assert_eq!(grouped[project], logical(experiments), "project {project}");
    }
    assert_eq!(grouped[""], logical(&store.unassigned), "unassigned experiments");
    let sweep = t.get_experiment(store.experiment("sweep")).await.unwrap();
    assert!(sweep.description().unwrap().starts_with("# Learning-rate sweep"));

    let tree = t
        .run_tree(&runs_of(store.experiment("sweep"), ViewType::ActiveOnly))
        .await
        .unwrap();
    let parent = find(&tree, store.run("parent"));
    assert_eq!(depth(parent), 3, "parent → children → grandchild");
    assert_eq!(parent.children.len(), 3);
    assert_eq!(parent.descendant_count(), 4);
    let child_1 = find(&parent.children, store.run("child_1"));
    assert_eq!(child_1.children[0].run.info.run_id, store.run("grandchild"));
    assert!(
        tree.iter().all(|n| n.run.info.run_id != store.run("deleted")),
        "the deleted run is not active"
    );
    let history = t.metric_history(store.run("child_2"), "loss").await.unwrap();
    assert_eq!(history.len(), store.sweep_steps);

    let running = t.get_run(store.run("running")).await.unwrap();
    assert_eq!((running.info.status, running.info.end_time), (RunStatus::Running, None));
    assert_eq!(
        t.get_run(store.run("failed")).await.unwrap().info.status,
        RunStatus::Failed
    );
    let deleted = store.mlflow_run(store.run("deleted"));
    assert_eq!(deleted.lifecycle_stage, LifecycleStage::Deleted);
    assert_eq!(deleted.name, store.run_name("deleted"));
    let parent = store.mlflow_run(store.run("parent"));
    assert_eq!(parent.status, RunStatus::Finished);
    assert_eq!(parent.tags["mlflow.source.git.branch"], "main");
}

#[tokio::test]
async fn the_maxflow_run_has_json_params_a_config_artifact_and_datasets() {
    let store = browse_store(TMP);
    let t = open(&store.uri()).await;
    let run = t.get_run(store.run("maxflow")).await.unwrap();
    let tags = &run.data.tags;
    for key in [
        "__maxai_run_type__",
        "__maxai_repo__",
        "__maxai_branch__",
        "__maxai_commit__",
        "feature_view",
    ] {
        assert!(tags.contains_key(key), "{key} is missing: {tags:?}");
    }
    let params = &run.data.params;
    let json = |k: &str| serde_json::from_str::<serde_json::Value>(&params[k]).unwrap();
    assert_eq!(json("optimizer"), "adam");
    assert_eq!(json("use_amp"), true);
    assert_eq!(json("checkpoint"), serde_json::Value::Null);
    assert!(json("hidden_layers").is_array() && json("scheduler").is_object());
    assert_eq!(params[&store.keys["config_param"]], "artifact - config");
    assert!(params[&store.keys["long_param"]].len() > 300);
    let config = t
        .read_artifact(&run.info.run_id, &store.keys["config_artifact"], 1 << 20)
        .await
        .unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&config.bytes).is_ok());
    let contexts: Vec<&str> = run
        .inputs
        .iter()
        .map(|i| i.tags["mlflow.data.context"].as_str())
        .collect();
    assert_eq!(contexts.len(), 2);
    assert!(
        contexts.contains(&"training") && contexts.contains(&"eval"),
        "{contexts:?}"
    );
    assert!(run
        .inputs
        .iter()
        .all(|i| i.dataset.source.contains("https://example.com/")));
}

#[tokio::test]
async fn the_artifacts_run_has_one_artifact_of_every_preview_kind() {
    let store = browse_store(TMP);
    let t = open(&store.uri()).await;
    let run = store.run("artifacts");
    for (kind, path) in &store.artifacts {
        let (dir, name) = path
            .rsplit_once('/')
            .map_or((None, path.as_str()), |(d, n)| (Some(d), n));
        let listed = t.list_artifacts(run, dir).await.unwrap();
        let entry = listed
            .iter()
            .find(|f| f.path == *path)
            .unwrap_or_else(|| panic!("{kind}: {path} ({name}) is not listed: {listed:?}"));
        assert_eq!(entry.is_dir, kind == "model_dir", "{kind}: {path}");
    }
    let read = |kind: &'static str| {
        let t = t.clone();
        let path = store.artifact(kind).to_string();
        async move { t.read_artifact(run, &path, PREVIEW_LIMIT).await.unwrap() }
    };
    assert!(read("png").await.bytes.starts_with(b"\x89PNG"));
    assert!(read("jpeg").await.bytes.starts_with(&[0xFF, 0xD8]));
    let webp = read("webp").await.bytes;
    assert!(webp.starts_with(b"RIFF") && &webp[8..12] == b"WEBP");
    let big = read("big_text").await;
    assert!(
        big.truncated && big.total_size.unwrap() > PREVIEW_LIMIT + 512 * 1024,
        "{:?}",
        big.total_size
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&read("broken_json").await.bytes).is_err());
    assert!(serde_json::from_slice::<serde_json::Value>(&read("json").await.bytes).unwrap()["per_class"].is_object());
    let csv = String::from_utf8(read("csv").await.bytes).unwrap();
    assert!(csv.contains("\"hello, world\"") && csv.contains("Ünïcödé"), "{csv}");
    assert_eq!(
        String::from_utf8(read("broken_csv").await.bytes)
            .unwrap()
            .matches('"')
            .count(),
        1
    );
    let table: serde_json::Value = serde_json::from_slice(&read("table").await.bytes).unwrap();
    assert_eq!(table["columns"], serde_json::json!(["input", "prediction", "score"]));
    let mlmodel = String::from_utf8(read("mlmodel").await.bytes).unwrap();
    for needle in [
        "python_function",
        "signature:",
        "\"type\": \"array\"",
        "temperature",
        "saved_input_example_info",
    ] {
        assert!(mlmodel.contains(needle), "MLmodel lacks {needle}:\n{mlmodel}");
    }
    assert!(mlmodel.contains(&store.logged_models["model"]));
    let example: serde_json::Value = serde_json::from_slice(&read("input_example").await.bytes).unwrap();
    assert_eq!(example["columns"], serde_json::json!(["text", "x", "embedding"]));
    assert!(String::from_utf8(read("model_requirements").await.bytes)
        .unwrap()
        .contains("mlflow==3.17.2"));
}

#[tokio::test]
async fn hostile_strings_are_stored_verbatim() {
    let store = browse_store(TMP);
    let h = &store.hostile;
    assert!(h.img.contains(&h.marker) && h.script.contains(&h.marker));
    let t = open(&store.uri()).await;

    let exp = t.get_experiment(store.experiment("hostile")).await.unwrap();
    assert_eq!(exp.name, h.experiment_name);
    assert_eq!(exp.description(), Some(h.experiment_description.as_str()));
    assert_eq!(exp.tags[&h.experiment_tag_key], h.experiment_tag_value);
    let run = t.get_run(store.run("hostile_run")).await.unwrap();
    assert_eq!(run.info.run_name, h.run_name);
    assert_eq!(run.data.tags[&h.tag_key], h.tag_value);
    assert_eq!(run.data.params[&h.param_key], h.param_value);
    assert_eq!(run.data.tags["mlflow.note.content"], h.run_description);
    assert!(h.run_description.contains("](javascript:"));

    let mlflow = store.mlflow_run(store.run("hostile_run"));
    assert_eq!(mlflow.name, h.run_name);
    assert_eq!(mlflow.tags[&h.tag_key], h.tag_value);
    assert_eq!(mlflow.params[&h.param_key], h.param_value);
    assert_eq!(mlflow.description(), Some(h.run_description.as_str()));
    let mlflow = store.mlflow_experiment(store.experiment("hostile"));
    assert_eq!(mlflow.name, h.experiment_name);
    assert_eq!(mlflow.description(), Some(h.experiment_description.as_str()));
}

#[tokio::test]
async fn a_fresh_copy_is_written_without_touching_the_fixture() {
    let store: &BrowseStore = browse_store(TMP);
    let copy = store.fresh_copy();
    assert_ne!(copy.dir, store.dir);
    let t = open(&copy.uri()).await;
    let run_id = copy.run("child_3");
    let run = t.get_run(run_id).await.unwrap();
    assert!(
        run.info.artifact_uri.contains(&copy.dir.display().to_string()),
        "artifacts of the copy stay in the copy: {}",
        run.info.artifact_uri
    );
    let exp = copy.mlflow_experiment(copy.experiment("previews"));
    assert!(exp.artifact_location.starts_with(&copy.dir.display().to_string()));

    t.update_run(
        run_id,
        &runlens_core::request::UpdateRun {
            run_name: Some("renamed in the copy".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    t.log_text(run_id, "written.txt", "hello").await.unwrap();
    assert_eq!(copy.mlflow_run(run_id).name, "renamed in the copy");
    assert_eq!(store.mlflow_run(run_id).name, store.run_name("child_3"));
    assert!(copy
        .dir
        .join("artifacts/sweep")
        .join(run_id)
        .join("artifacts/written.txt")
        .exists());
    assert!(!store
        .dir
        .join("artifacts/sweep")
        .join(run_id)
        .join("artifacts/written.txt")
        .exists());
    let err = runlens_tests::browse::try_mlflow_state::<runlens_tests::browse::RunState>(&copy.uri(), "run", "nope")
        .unwrap_err();
    assert!(err.contains("not found"), "{err}");
}

#[tokio::test]
async fn the_scroll_store_has_ten_thousand_runs_with_nesting() {
    let store = scroll_store(TMP);
    assert_eq!(store.run_count, 10_000);
    let t = open(&store.uri()).await;
    let req = runs_of(&store.experiment_id, ViewType::ActiveOnly);
    let runs = t.all_runs(&req).await.unwrap();
    assert_eq!(runs.len(), 10_000);
    assert_eq!(runs[0].info.run_id, store.run("newest"), "newest first");
    assert_eq!(runs.last().unwrap().info.run_id, store.run("oldest"));
    let tree = t.run_tree(&req).await.unwrap();
    assert_eq!(tree.len(), store.roots);
    let parent = find(&tree, store.run("parent_042"));
    assert_eq!(parent.children.len(), store.children_per_parent);
    assert!(parent
        .children
        .iter()
        .any(|c| c.run.info.run_id == store.run("child_042_3")));

    let newest = store.mlflow_run(store.run("newest"));
    assert_eq!((newest.status, newest.end_time), (RunStatus::Running, None));
    let child = store.mlflow_run(store.run("child_042_3"));
    assert_eq!(child.tags["mlflow.parentRunId"], store.run("parent_042"));
    assert_eq!(child.name, store.run_name("child_042_3"));
    assert_eq!(
        store.mlflow_experiment(&store.experiment_id).name,
        store.experiment_name
    );
}
