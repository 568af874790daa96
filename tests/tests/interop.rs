//! Interop: Runlens's tracking client against stores written and served by real MLflow 3.17.2.
//!
//! For each store kind (SQLite `mlflow.db`, `mlruns/` file store, `mlflow server` over a copy of the
//! SQLite fixture) the same suite runs: every read is compared field by field with what MLflow's
//! own Python client answers (`fixtures/dump_mlflow.py`), every write is read back by MLflow
//! (`fixtures/read_back.py`) and by Runlens, and errors must carry the right [`ErrorCode`].
//! Store-independent tests (concurrency, damaged stores) follow the suite.

use runlens_core::filter::{parse_experiment_filter, parse_run_filter};
use runlens_core::request::*;
use runlens_core::tree::RunNode;
use runlens_core::*;
use runlens_tests::{Fixtures, Kind, MlflowServer, Report};
use runlens_tracking::{ConnectOptions, Table, Tracking, TrackingError};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn fx() -> &'static Fixtures {
    runlens_tests::fixtures(env!("CARGO_TARGET_TMPDIR"))
}

async fn open(kind: Kind) -> Tracking {
    let uri = fx().uri(kind);
    Tracking::open(&uri, &ConnectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{}: Tracking::open({uri}) failed: {e}", kind.label()))
}

fn code<T>(r: Result<T, TrackingError>) -> Result<T, ErrorCode> {
    r.map_err(|e| e.code())
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Unwraps a write, naming the step and the store when it fails.
fn must<T>(kind: Kind, step: &str, r: Result<T, TrackingError>) -> T {
    r.unwrap_or_else(|e| panic!("{}: {step} failed: {e} ({:?})", kind.label(), e.code()))
}

macro_rules! store_suite {
    ($module:ident, $kind:expr) => {
        mod $module {
            use super::*;

            #[tokio::test]
            async fn experiments_match_mlflow() {
                check_experiments($kind).await
            }

            #[tokio::test]
            async fn experiment_searches_match_mlflow() {
                check_experiment_searches($kind).await
            }

            #[tokio::test]
            async fn runs_match_mlflow() {
                check_runs($kind).await
            }

            #[tokio::test]
            async fn run_searches_filters_and_order_match_mlflow() {
                check_run_searches($kind).await
            }

            #[tokio::test]
            async fn metric_histories_match_mlflow_incl_nan_inf_and_repeated_steps() {
                check_histories($kind).await
            }

            #[tokio::test]
            async fn artifact_listings_and_contents_match_mlflow() {
                check_artifacts($kind).await
            }

            #[tokio::test]
            async fn registry_models_versions_stages_and_aliases_match_mlflow() {
                check_registry($kind).await
            }

            #[tokio::test]
            async fn projects_group_by_maxflow_tag_then_project_tag() {
                check_projects($kind).await
            }

            #[tokio::test]
            async fn run_tree_nests_three_levels_and_includes_ancestors_of_matches() {
                check_run_tree($kind).await
            }

            #[tokio::test]
            async fn every_write_is_read_back_by_mlflow_and_runlens() {
                check_writes($kind).await
            }

            #[tokio::test]
            async fn unknown_ids_are_not_found() {
                check_unknown_ids($kind).await
            }

            #[tokio::test]
            async fn bad_filters_are_invalid_arguments_naming_the_position() {
                check_bad_filters($kind).await
            }
        }
    };
}

store_suite!(sqlite, Kind::Sqlite);
store_suite!(file_store, Kind::File);
store_suite!(server, Kind::Server);

// ---------------------------------------------------------------------------------------------
// Reads, compared with MLflow's answers
// ---------------------------------------------------------------------------------------------

async fn check_experiments(kind: Kind) {
    let t = open(kind).await;
    let want = fx().dump(kind);
    let mut r = Report::new(format!("{}: experiments", kind.label()));
    let all = t
        .all_experiments(&SearchExperiments {
            view_type: ViewType::All,
            ..Default::default()
        })
        .await;
    r.compare_result("search_experiments(ALL)", &want.experiments, all);
    for e in &want.experiments {
        r.compare_result(
            format!("get_experiment({})", e.experiment_id),
            e,
            t.get_experiment(&e.experiment_id).await,
        );
        r.compare_result(
            format!("get_experiment_by_name({:?})", e.name),
            e,
            t.get_experiment_by_name(&e.name).await,
        );
    }
    r.finish();
}

async fn check_experiment_searches(kind: Kind) {
    let t = open(kind).await;
    let want = fx().dump(kind);
    let mut r = Report::new(format!("{}: experiment searches", kind.label()));
    for s in &want.experiment_searches {
        let req = SearchExperiments {
            view_type: s.view_type,
            filter: s.filter.clone(),
            order_by: s.order_by.clone(),
            page: PageRequest::default(),
        };
        let what = format!(
            "search_experiments(filter={:?}, order_by={:?}, view={})",
            s.filter,
            s.order_by,
            s.view_type.as_str()
        );
        let ours = t.all_experiments(&req).await;
        match (&s.experiment_ids, &s.error, ours) {
            (Some(ids), _, Ok(exps)) => {
                let ours: Vec<String> = exps
                    .iter()
                    .map(|e| want.describe_experiment(&e.experiment_id))
                    .collect();
                let mlflow: Vec<String> = ids.iter().map(|id| want.describe_experiment(id)).collect();
                if ours != mlflow {
                    r.note(format!("{what}:\n      MLflow  {mlflow:?}\n      Runlens {ours:?}"));
                } else {
                    r.passed();
                }
            }
            (Some(_), _, Err(e)) => r.note(format!("{what}: MLflow answers, Runlens fails: {e}")),
            (None, err, Ok(exps)) => r.note(format!(
                "{what}: MLflow refuses it ({}), Runlens answered {} experiment(s)",
                err.as_ref()
                    .map(|e| format!("{}: {}", e.error_code, e.message))
                    .unwrap_or_default(),
                exps.len()
            )),
            (None, _, Err(e)) if e.code() == ErrorCode::InvalidArgument => r.passed(),
            (None, _, Err(e)) => r.note(format!(
                "{what}: MLflow refuses it as invalid, Runlens fails with {:?}: {e}",
                e.code()
            )),
        }
    }
    r.finish();
}

async fn check_runs(kind: Kind) {
    let t = open(kind).await;
    let want = fx().dump(kind);
    let mut r = Report::new(format!("{}: runs", kind.label()));
    for (exp_id, runs) in &want.runs {
        let req = SearchRuns {
            experiment_ids: vec![exp_id.clone()],
            view_type: ViewType::All,
            ..Default::default()
        };
        r.compare_result(
            format!("search_runs({})", want.describe_experiment(exp_id)),
            runs,
            t.all_runs(&req).await,
        );
    }
    for (run_id, run) in &want.runs_by_get {
        r.compare_result(
            format!("get_run({})", want.describe_run(run_id)),
            run,
            t.get_run(run_id).await,
        );
    }
    r.finish();
}

async fn check_run_searches(kind: Kind) {
    let t = open(kind).await;
    let want = fx().dump(kind);
    let mut r = Report::new(format!("{}: run searches", kind.label()));
    for s in &want.run_searches {
        let req = SearchRuns {
            experiment_ids: s.experiment_ids.clone(),
            filter: s.filter.clone(),
            view_type: s.view_type,
            order_by: s.order_by.clone(),
            page: PageRequest {
                max_results: s.max_results,
                page_token: None,
            },
        };
        let what = format!(
            "search_runs(filter={:?}, order_by={:?}, view={}, max_results={:?})",
            s.filter,
            s.order_by,
            s.view_type.as_str(),
            s.max_results
        );
        let ours = match s.max_results {
            Some(_) => t.search_runs(&req).await.map(|p| p.items),
            None => t.all_runs(&req).await,
        };
        match (&s.run_ids, &s.error, ours) {
            (Some(ids), _, Ok(runs)) => {
                let ours: Vec<String> = runs.iter().map(|x| want.describe_run(&x.info.run_id)).collect();
                let mlflow: Vec<String> = ids.iter().map(|id| want.describe_run(id)).collect();
                if ours != mlflow {
                    r.note(format!("{what}:\n      MLflow  {mlflow:?}\n      Runlens {ours:?}"));
                } else {
                    r.passed();
                }
            }
            (Some(_), _, Err(e)) => r.note(format!("{what}: MLflow answers, Runlens fails: {e}")),
            (None, err, Ok(runs)) => r.note(format!(
                "{what}: MLflow refuses it ({}), Runlens answered {} run(s)",
                err.as_ref()
                    .map(|e| format!("{}: {}", e.error_code, e.message))
                    .unwrap_or_default(),
                runs.len()
            )),
            (None, _, Err(e)) if e.code() == ErrorCode::InvalidArgument => r.passed(),
            (None, _, Err(e)) => r.note(format!(
                "{what}: MLflow refuses it as invalid, Runlens fails with {:?}: {e}",
                e.code()
            )),
        }
    }
    r.finish();
}

/// Orders points that share step and timestamp by value, as the dump does: their relative order
/// carries no meaning.
fn sort_ties(points: &mut [Metric]) {
    let key = |m: &Metric| {
        let v = m.value.get();
        (v.is_nan(), if v.is_nan() { 0.0 } else { v })
    };
    points.sort_by(|a, b| {
        (a.step, a.timestamp)
            .cmp(&(b.step, b.timestamp))
            .then_with(|| key(a).partial_cmp(&key(b)).unwrap_or(std::cmp::Ordering::Equal))
    });
}

async fn check_histories(kind: Kind) {
    let t = open(kind).await;
    let want = fx().dump(kind);
    let mut r = Report::new(format!("{}: metric histories", kind.label()));
    for h in &want.histories {
        let what = format!("metric_history({}, {:?})", want.describe_run(&h.run_id), h.key);
        match t.metric_history(&h.run_id, &h.key).await {
            Ok(mut ours) => {
                let ordered = ours
                    .windows(2)
                    .all(|w| (w[0].step, w[0].timestamp) <= (w[1].step, w[1].timestamp));
                if !ordered {
                    r.note(format!("{what}: not ordered by step, then timestamp"));
                }
                sort_ties(&mut ours);
                r.compare(&what, &h.metrics, &ours);
            }
            Err(e) => r.note(format!("{what}: MLflow answers, Runlens fails: {e}")),
        }
    }
    // A zoomed chart's step range: the same points as MLflow's history cut to those steps (on a
    // server through MLflow's own get-history-bulk-interval).
    for h in want.histories.iter().filter(|h| h.metrics.len() >= 3) {
        let mut steps: Vec<i64> = h.metrics.iter().map(|m| m.step).collect();
        steps.sort_unstable();
        let range = runlens_core::sampling::StepRange::new(steps[steps.len() / 3], steps[2 * steps.len() / 3]);
        let what = format!(
            "sampled_histories_in({}, {:?}, steps {}..={})",
            want.describe_run(&h.run_id),
            h.key,
            range.start,
            range.end
        );
        let mut theirs: Vec<Metric> = h.metrics.iter().filter(|m| range.contains(m.step)).cloned().collect();
        sort_ties(&mut theirs);
        let ids = [h.run_id.clone()];
        match t
            .sampled_histories_in(&ids, std::slice::from_ref(&h.key), 100_000, Some(range))
            .await
        {
            Ok(series) => {
                let mut ours: Vec<Metric> = series[0]
                    .points
                    .iter()
                    .map(|p| Metric {
                        key: h.key.clone(),
                        value: p.value,
                        timestamp: p.timestamp,
                        step: p.step,
                    })
                    .collect();
                sort_ties(&mut ours);
                r.compare(&what, &theirs, &ours);
                if series[0].total_points != theirs.len() {
                    r.note(format!(
                        "{what}: total_points {} for {} points",
                        series[0].total_points,
                        theirs.len()
                    ));
                }
            }
            Err(e) => r.note(format!("{what}: MLflow answers, Runlens fails: {e}")),
        }
    }
    // The 200-step curves really are 200 points long, whatever the dump says.
    let ids = fx().ids(kind);
    match t.metric_history(ids.run("sweep_child_1"), "eval/loss").await {
        Ok(h) if h.len() == 200 => r.passed(),
        Ok(h) => r.note(format!(
            "metric_history(sweep-child-1, eval/loss) has {} points, not 200",
            h.len()
        )),
        Err(e) => r.note(format!("metric_history(sweep-child-1, eval/loss) fails: {e}")),
    }
    match t.metric_history(ids.run("odd_values"), "no such metric").await {
        Ok(h) if h.is_empty() => r.passed(),
        other => r.note(format!(
            "an unknown metric key should give an empty history, as in MLflow; got {other:?}"
        )),
    }
    r.finish();
}

async fn check_artifacts(kind: Kind) {
    let t = open(kind).await;
    let want = fx().dump(kind);
    let mut r = Report::new(format!("{}: artifacts", kind.label()));
    for (run_id, tree) in &want.artifacts {
        for (dir, files) in tree {
            let path = (!dir.is_empty()).then_some(dir.as_str());
            let what = format!("list_artifacts({}, {path:?})", want.describe_run(run_id));
            r.compare_result(what, files, t.list_artifacts(run_id, path).await);
        }
    }
    let ids = fx().ids(kind);
    let art = ids.run("artifacts");
    match t.read_artifact(art, "hello.txt", 1 << 20).await {
        Ok(c) if c.bytes == b"hello\n" && !c.truncated => r.passed(),
        other => r.note(format!(
            "read_artifact(artifacts-run, hello.txt) should be \"hello\\n\", got {other:?}"
        )),
    }
    match t.read_artifact(art, "notes/readme.md", 7).await {
        Ok(c) if c.bytes == b"# Notes" && c.truncated && c.total_size.is_none_or(|n| n == 46) => r.passed(),
        other => r.note(format!(
            "read_artifact(notes/readme.md, max 7 bytes) should be cut at 7 of 46 bytes, got {other:?}"
        )),
    }
    match t
        .read_artifact(art, "eval_results_table.json", 1 << 20)
        .await
        .map(|c| serde_json::from_slice::<Table>(&c.bytes))
    {
        Ok(Ok(table)) => {
            r.compare(
                "log_table file eval_results_table.json",
                &json!({"columns": ["inputs", "outputs", "score"], "rows": 3, "second_row": ["Ünïcödé <img src=x onerror=alert(1)>", null, null]}),
                &json!({"columns": table.columns, "rows": table.data.len(), "second_row": table.data.get(1)}),
            );
        }
        other => r.note(format!(
            "eval_results_table.json should parse as a Table, got {other:?}"
        )),
    }
    let maxflow = ids.run("maxflow_0");
    match t.read_artifact(maxflow, "config", 1 << 20).await {
        Ok(c) if c.bytes.starts_with(b"{\"layers\": [0, 1,") => r.passed(),
        other => r.note(format!(
            "MaxFlow's long param artifact 'config' should be readable, got {other:?}"
        )),
    }
    r.finish();
}

async fn all_models(t: &Tracking) -> Result<Vec<RegisteredModel>, TrackingError> {
    let mut req = SearchModels::default();
    let mut all = Vec::new();
    loop {
        let page = t.search_registered_models(&req).await?;
        all.extend(page.items);
        match page.next_page_token {
            Some(tok) => req.page.page_token = Some(tok),
            None => return Ok(all),
        }
    }
}

async fn check_registry(kind: Kind) {
    let t = open(kind).await;
    let want = fx().dump(kind);
    let mut r = Report::new(format!("{}: model registry", kind.label()));
    r.compare_result(
        "search_registered_models()",
        &want.registered_models,
        all_models(&t).await,
    );
    for (name, model) in &want.models {
        r.compare_result(
            format!("get_registered_model({name:?})"),
            model,
            t.get_registered_model(name).await,
        );
    }
    for (name, versions) in &want.model_versions {
        r.compare_result(
            format!("model_versions({name:?})"),
            versions,
            t.model_versions(name).await,
        );
        for v in versions {
            r.compare_result(
                format!("get_model_version({name:?}, {})", v.version),
                v,
                t.get_model_version(name, v.version).await,
            );
        }
    }
    for a in &want.versions_by_alias {
        r.compare_result(
            format!("get_model_version_by_alias({:?}, {:?})", a.name, a.alias),
            &a.version,
            t.get_model_version_by_alias(&a.name, &a.alias).await,
        );
    }
    r.finish();
}

fn project_summary(projects: &[runlens_core::project::Project]) -> Vec<(Option<String>, Vec<String>)> {
    projects
        .iter()
        .map(|p| {
            let mut names: Vec<String> = p.experiments.iter().map(|e| e.name.clone()).collect();
            names.sort();
            (p.name.clone(), names)
        })
        .collect()
}

async fn check_projects(kind: Kind) {
    let t = open(kind).await;
    let s = |x: &str| x.to_string();
    let unicode = s("Ünïcödé 实验 <img src=x onerror=alert(1)>");
    let active = t
        .projects(ViewType::ActiveOnly, None)
        .await
        .unwrap_or_else(|e| panic!("{}: projects failed: {e}", kind.label()));
    assert_eq!(
        project_summary(&active),
        vec![
            (Some(s("nlp")), vec![s("nlp-baseline")]),
            // `both-project-tags` has project=other-team too: MaxFlow's tag wins.
            (
                Some(s("vision")),
                vec![s("both-project-tags"), s("vision/resnet-sweep")]
            ),
            (None, vec![s("Default"), s("scratch"), unicode.clone()]),
        ],
        "{}: active experiments grouped into projects",
        kind.label()
    );
    let all = t
        .projects(ViewType::All, None)
        .await
        .unwrap_or_else(|e| panic!("{}: projects failed: {e}", kind.label()));
    assert_eq!(
        project_summary(&all)[0],
        (Some(s("nlp")), vec![s("nlp-baseline"), s("old-deleted-experiment")]),
        "{}: the deleted experiment is in its project when deleted ones are shown",
        kind.label()
    );
    let filtered = t.projects(ViewType::ActiveOnly, Some("SWEEP")).await.unwrap();
    assert_eq!(
        project_summary(&filtered),
        vec![(Some(s("vision")), vec![s("vision/resnet-sweep")])],
        "{}: name filter",
        kind.label()
    );
}

fn tree_names(nodes: &[RunNode]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = nodes
        .iter()
        .map(|n| {
            let mut kids: Vec<String> = n.children.iter().map(|c| c.run.info.run_name.clone()).collect();
            kids.sort();
            (n.run.info.run_name.clone(), kids)
        })
        .collect();
    out.sort();
    out
}

fn find<'a>(nodes: &'a [RunNode], name: &str) -> Option<&'a RunNode> {
    nodes.iter().find_map(|n| {
        if n.run.info.run_name == name {
            Some(n)
        } else {
            find(&n.children, name)
        }
    })
}

async fn check_run_tree(kind: Kind) {
    let t = open(kind).await;
    let vision = fx().ids(kind).experiment("vision").to_string();
    let req = SearchRuns {
        experiment_ids: vec![vision.clone()],
        ..Default::default()
    };
    let forest = t
        .run_tree(&req)
        .await
        .unwrap_or_else(|e| panic!("{}: run_tree failed: {e}", kind.label()));
    let parent = find(&forest, "SWEEP-parent").expect("SWEEP-parent is in the tree");
    assert!(
        forest.iter().any(|n| n.run.info.run_name == "SWEEP-parent"),
        "{}: SWEEP-parent is a root",
        kind.label()
    );
    assert_eq!(
        tree_names(&parent.children),
        vec![
            ("sweep-child-1".into(), vec!["sweep-grandchild (fine-tune)".into()]),
            ("sweep-child-2".into(), vec![])
        ],
        "{}: parent → children → grandchild",
        kind.label()
    );
    assert_eq!(parent.descendant_count(), 3);

    // A filter matching only the grandchild still shows it in place, under its ancestors.
    let req = SearchRuns {
        experiment_ids: vec![vision],
        filter: Some("attributes.run_name = 'sweep-grandchild (fine-tune)'".into()),
        ..Default::default()
    };
    let forest = t
        .run_tree(&req)
        .await
        .unwrap_or_else(|e| panic!("{}: run_tree failed: {e}", kind.label()));
    assert_eq!(
        tree_names(&forest),
        vec![("SWEEP-parent".into(), vec!["sweep-child-1".into()])],
        "{}",
        kind.label()
    );
    assert!(find(&forest, "sweep-grandchild (fine-tune)").is_some());
}

// ---------------------------------------------------------------------------------------------
// Writes, read back by MLflow and by Runlens
// ---------------------------------------------------------------------------------------------

/// A fresh, private store of one kind to write into.
struct WriteTarget {
    uri: String,
    /// For SQLite: an explicit artifact location (MLflow's default would be ./mlruns of the CWD).
    artifact_root: Option<PathBuf>,
    _server: Option<MlflowServer>,
}

fn write_target(kind: Kind) -> WriteTarget {
    match kind {
        Kind::Sqlite => {
            let db = fx().fresh_sqlite_copy();
            let root = db.parent().unwrap().join("artifacts");
            WriteTarget {
                uri: format!("sqlite:///{}", db.display()),
                artifact_root: Some(root),
                _server: None,
            }
        }
        Kind::File => {
            let mlruns = fx().fresh_file_store_copy();
            WriteTarget {
                uri: format!("file://{}", mlruns.display()),
                artifact_root: None,
                _server: None,
            }
        }
        Kind::Server => {
            let db = fx().fresh_sqlite_copy();
            let server = MlflowServer::start(&db, db.parent().unwrap()).unwrap_or_else(|e| panic!("{e}"));
            WriteTarget {
                uri: server.url(),
                artifact_root: None,
                _server: Some(server),
            }
        }
    }
}

const T0: i64 = 1_710_000_000_000;

/// Ids of what the round trip wrote.
struct Written {
    exp: String,
    gone: String,
    parent: String,
    child: String,
    doomed: String,
    restored: String,
    model: String,
}

async fn write_everything(kind: Kind, t: &Tracking, target: &WriteTarget) -> Written {
    let loc = |sub: &str| target.artifact_root.as_ref().map(|r| r.join(sub).display().to_string());

    // Experiments: create, rename, tags, delete/restore.
    let exp = must(
        kind,
        "create_experiment",
        t.create_experiment(&CreateExperiment {
            name: "round-trip ü <b>x</b>".into(),
            artifact_location: loc("rt"),
            tags: tags(&[("project", "roundtrip"), ("tmp", "1")]),
        })
        .await,
    );
    must(
        kind,
        "rename_experiment",
        t.rename_experiment(&exp, "round-trip renamed ü").await,
    );
    must(
        kind,
        "set_experiment_tag",
        t.set_experiment_tag(&exp, tag::NOTE, "Experiment *description*").await,
    );
    must(
        kind,
        "set_experiment_tag",
        t.set_experiment_tag(&exp, tag::MAXAI_PROJECT, "assigned").await,
    );
    must(
        kind,
        "delete_experiment_tag",
        t.delete_experiment_tag(&exp, "tmp").await,
    );
    let gone = must(
        kind,
        "create_experiment",
        t.create_experiment(&CreateExperiment {
            name: "round-trip deleted".into(),
            artifact_location: loc("gone"),
            tags: Tags::new(),
        })
        .await,
    );
    must(kind, "delete_experiment", t.delete_experiment(&gone).await);
    must(kind, "delete_experiment", t.delete_experiment(&exp).await);
    must(kind, "restore_experiment", t.restore_experiment(&exp).await);

    // Runs: parent and child, metrics incl. NaN/inf, params, tags, update, delete/restore.
    let parent = must(
        kind,
        "create_run",
        t.create_run(&CreateRun {
            experiment_id: exp.clone(),
            run_name: Some("rt-parent".into()),
            start_time: Some(T0),
            user_id: Some("tester".into()),
            tags: tags(&[("team", "rt")]),
            parent_run_id: None,
        })
        .await,
    )
    .run_id;
    let child = must(
        kind,
        "create_run (child)",
        t.create_run(&CreateRun {
            experiment_id: exp.clone(),
            run_name: Some("rt-child ü".into()),
            start_time: Some(T0 + 10),
            user_id: Some("tester".into()),
            tags: Tags::new(),
            parent_run_id: Some(parent.clone()),
        })
        .await,
    )
    .run_id;
    let m = |key: &str, value: f64, step: i64| Metric {
        key: key.into(),
        value: MetricValue(value),
        timestamp: T0 + 1000 * step,
        step,
    };
    must(
        kind,
        "log_batch",
        t.log_batch(
            &parent,
            &LogBatch {
                metrics: (0..5).map(|s| m("loss", 1.0 / (s as f64 + 1.0), s)).collect(),
                params: vec![
                    ("lr".into(), "0.01".into()),
                    ("optimizer".into(), "\"adam\"".into()),
                    ("ключ".into(), "<b>значение</b>".into()),
                ],
                tags: vec![("to-delete".into(), "x".into()), ("kept".into(), "y".into())],
            },
        )
        .await,
    );
    must(
        kind,
        "log_batch (non-finite)",
        t.log_batch(
            &parent,
            &LogBatch {
                metrics: vec![
                    m("odd", f64::NAN, 0),
                    m("odd", f64::INFINITY, 1),
                    m("odd", f64::NEG_INFINITY, 2),
                    m("odd", 0.5, 3),
                    m("nan_last", 1.0, 0),
                    m("nan_last", f64::NAN, 1),
                    m("inf_last", f64::INFINITY, 0),
                ],
                ..Default::default()
            },
        )
        .await,
    );
    must(
        kind,
        "log_batch (one metric)",
        t.log_batch(&parent, &LogBatch::metric("eval/loss", 0.25, T0 + 99, 7))
            .await,
    );
    must(
        kind,
        "log_batch (child)",
        t.log_batch(
            &child,
            &LogBatch {
                metrics: vec![m("acc", 0.5, 0)],
                params: vec![("lr".into(), "0.1".into())],
                ..Default::default()
            },
        )
        .await,
    );
    must(kind, "delete_tag", t.delete_tag(&parent, "to-delete").await);
    must(
        kind,
        "update_run",
        t.update_run(
            &parent,
            &UpdateRun {
                run_name: Some("rt-parent renamed".into()),
                status: Some(RunStatus::Finished),
                end_time: Some(T0 + 60_000),
            },
        )
        .await,
    );
    must(
        kind,
        "update_run (child)",
        t.update_run(
            &child,
            &UpdateRun {
                run_name: None,
                status: Some(RunStatus::Killed),
                end_time: Some(T0 + 30_000),
            },
        )
        .await,
    );
    let simple = |name: &str| CreateRun {
        experiment_id: exp.clone(),
        run_name: Some(name.into()),
        start_time: Some(T0 + 100),
        ..Default::default()
    };
    let doomed = must(kind, "create_run", t.create_run(&simple("rt-deleted")).await).run_id;
    must(kind, "delete_run", t.delete_run(&doomed).await);
    let restored = must(kind, "create_run", t.create_run(&simple("rt-restored")).await).run_id;
    must(kind, "delete_run", t.delete_run(&restored).await);
    must(kind, "restore_run", t.restore_run(&restored).await);

    // Artifacts: text, a table logged twice (rows append), a model file.
    must(
        kind,
        "log_text",
        t.log_text(&parent, "notes/hello.txt", "héllo wörld\n<script>x</script>")
            .await,
    );
    let table = |rows: Vec<Vec<Value>>| Table {
        columns: vec!["inputs".into(), "outputs".into(), "score".into()],
        data: rows,
    };
    must(
        kind,
        "log_table",
        t.log_table(
            &parent,
            "eval_table.json",
            &table(vec![
                vec![json!("q1"), json!("a1"), json!(0.5)],
                vec![json!("q2 ü"), Value::Null, json!(1)],
            ]),
        )
        .await,
    );
    must(
        kind,
        "log_table (append)",
        t.log_table(
            &parent,
            "eval_table.json",
            &table(vec![vec![json!("q3"), json!("a3"), json!(0.25)]]),
        )
        .await,
    );
    must(
        kind,
        "write_artifact",
        t.write_artifact(&parent, "model/MLmodel", b"artifact_path: model\nflavors: {}\n")
            .await,
    );

    // Registry.
    let model = "rt-model ü".to_string();
    must(
        kind,
        "create_registered_model",
        t.create_registered_model(&model, Some("first description"), &tags(&[("a", "1"), ("b", "2")]))
            .await,
    );
    let artifact_uri = must(kind, "get_run", t.get_run(&parent).await).info.artifact_uri;
    for (v, description) in [(1, None), (2, Some("v2 desc")), (3, None)] {
        let mv = must(
            kind,
            "create_model_version",
            t.create_model_version(&CreateModelVersion {
                name: model.clone(),
                source: format!("{artifact_uri}/model"),
                run_id: Some(parent.clone()),
                description: description.map(String::from),
                tags: tags(&[("v", &v.to_string())]),
            })
            .await,
        );
        assert_eq!(mv.version, v, "{}: versions are numbered 1, 2, 3", kind.label());
    }
    let transition = |version: i64, stage: Stage, archive: bool| TransitionStage {
        name: model.clone(),
        version,
        stage,
        archive_existing_versions: archive,
    };
    must(
        kind,
        "transition_stage",
        t.transition_stage(&transition(1, Stage::Production, false)).await,
    );
    must(
        kind,
        "transition_stage (archive others)",
        t.transition_stage(&transition(2, Stage::Production, true)).await,
    );
    must(
        kind,
        "transition_stage",
        t.transition_stage(&transition(3, Stage::Staging, false)).await,
    );
    must(kind, "set_alias", t.set_alias(&model, "champion", 2).await);
    must(kind, "set_alias", t.set_alias(&model, "challenger", 3).await);
    must(kind, "delete_alias", t.delete_alias(&model, "challenger").await);
    must(
        kind,
        "update_registered_model",
        t.update_registered_model(&model, "updated description").await,
    );
    must(
        kind,
        "update_model_version",
        t.update_model_version(&model, 3, "v3 updated").await,
    );
    must(
        kind,
        "set_registered_model_tag",
        t.set_registered_model_tag(&model, "c", "3").await,
    );
    must(
        kind,
        "delete_registered_model_tag",
        t.delete_registered_model_tag(&model, "b").await,
    );
    must(
        kind,
        "set_model_version_tag",
        t.set_model_version_tag(&model, 2, "validated", "yes").await,
    );
    must(
        kind,
        "set_model_version_tag",
        t.set_model_version_tag(&model, 2, "tmp", "x").await,
    );
    must(
        kind,
        "delete_model_version_tag",
        t.delete_model_version_tag(&model, 2, "tmp").await,
    );

    Written {
        exp,
        gone,
        parent,
        child,
        doomed,
        restored,
        model,
    }
}

/// Runlens's answers to a read_back.py request, in the same shape.
async fn read_with_runlens(t: &Tracking, req: &Value) -> Value {
    fn ans<T: serde::Serialize>(r: Result<T, TrackingError>) -> Value {
        match r {
            Ok(v) => serde_json::to_value(v).unwrap(),
            Err(e) => json!({"error": {"error_code": format!("{:?}", e.code()), "message": e.to_string()}}),
        }
    }
    let strs = |k: &str| -> Vec<String> {
        req[k]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let pairs = |k: &str| -> Vec<(String, Option<String>)> {
        req[k]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().map(String::from)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = serde_json::Map::new();
    let mut v = Vec::new();
    for id in strs("experiments") {
        v.push(ans(t.get_experiment(&id).await));
    }
    out.insert("experiments".into(), Value::Array(std::mem::take(&mut v)));
    for id in strs("runs") {
        v.push(ans(t.get_run(&id).await));
    }
    out.insert("runs".into(), Value::Array(std::mem::take(&mut v)));
    for (run, key) in pairs("histories") {
        let mut h = t.metric_history(&run, key.as_deref().unwrap()).await;
        if let Ok(points) = h.as_mut() {
            sort_ties(points);
        }
        v.push(ans(h));
    }
    out.insert("histories".into(), Value::Array(std::mem::take(&mut v)));
    for (run, dir) in pairs("artifact_lists") {
        v.push(ans(t.list_artifacts(&run, dir.as_deref()).await));
    }
    out.insert("artifact_lists".into(), Value::Array(std::mem::take(&mut v)));
    for (run, path) in pairs("texts") {
        let r = t.read_artifact(&run, path.as_deref().unwrap(), 1 << 20).await;
        v.push(ans(r.map(|c| String::from_utf8_lossy(&c.bytes).to_string())));
    }
    out.insert("texts".into(), Value::Array(std::mem::take(&mut v)));
    for (run, path) in pairs("tables") {
        let r = t.read_artifact(&run, path.as_deref().unwrap(), 1 << 20).await;
        v.push(ans(
            r.map(|c| serde_json::from_slice::<Value>(&c.bytes).unwrap_or(Value::Null))
        ));
    }
    out.insert("tables".into(), Value::Array(std::mem::take(&mut v)));
    for name in strs("models") {
        v.push(ans(t.get_registered_model(&name).await));
    }
    out.insert("models".into(), Value::Array(std::mem::take(&mut v)));
    for name in strs("model_versions") {
        v.push(ans(t.model_versions(&name).await));
    }
    out.insert("model_versions".into(), Value::Array(std::mem::take(&mut v)));
    for (name, alias) in pairs("aliases") {
        v.push(ans(t
            .get_model_version_by_alias(&name, alias.as_deref().unwrap())
            .await));
    }
    out.insert("aliases".into(), Value::Array(std::mem::take(&mut v)));
    for s in req["run_searches"].as_array().cloned().unwrap_or_default() {
        let search = SearchRuns {
            experiment_ids: serde_json::from_value(s["experiment_ids"].clone()).unwrap(),
            filter: s["filter"].as_str().map(String::from),
            view_type: ViewType::All,
            ..Default::default()
        };
        v.push(ans(t
            .all_runs(&search)
            .await
            .map(|runs| runs.into_iter().map(|r| r.info.run_id).collect::<Vec<_>>())));
    }
    out.insert("run_searches".into(), Value::Array(v));
    Value::Object(out)
}

fn parse<T: serde::de::DeserializeOwned>(kind: Kind, what: &str, v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| {
        panic!(
            "{}: MLflow's read-back of {what} is not what was written ({e}): {v}",
            kind.label()
        )
    })
}

async fn check_writes(kind: Kind) {
    let target = write_target(kind);
    let t = Tracking::open(&target.uri, &ConnectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{}: open {} failed: {e}", kind.label(), target.uri));
    let w = write_everything(kind, &t, &target).await;

    let request = json!({
        "experiments": [w.exp, w.gone],
        "runs": [w.parent, w.child, w.doomed, w.restored],
        "histories": [[w.parent, "loss"], [w.parent, "odd"], [w.parent, "nan_last"], [w.parent, "inf_last"],
                      [w.parent, "eval/loss"], [w.child, "acc"]],
        "artifact_lists": [[w.parent, null], [w.parent, "notes"]],
        "texts": [[w.parent, "notes/hello.txt"]],
        "tables": [[w.parent, "eval_table.json"]],
        "models": [w.model],
        "model_versions": [w.model],
        "aliases": [[w.model, "champion"], [w.model, "challenger"]],
        "run_searches": [{"experiment_ids": [w.exp], "filter": format!("tags.`mlflow.parentRunId` = '{}'", w.parent), "view_type": "ALL"}],
    });
    let mlflow = fx().read_back(&target.uri, &request);
    let ours = read_with_runlens(&t, &request).await;

    // 1. MLflow and Runlens read the same thing back.
    let mut r = Report::new(format!("{}: writes read back by MLflow vs by Runlens", kind.label()));
    for section in [
        "experiments",
        "runs",
        "histories",
        "artifact_lists",
        "texts",
        "models",
        "model_versions",
        "aliases",
        "run_searches",
    ] {
        let (a, b) = (mlflow[section].as_array().unwrap(), ours[section].as_array().unwrap());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            let what = format!("{section}[{i}] ({})", request[section][i]);
            match (x.get("error"), y.get("error")) {
                (Some(_), Some(_)) => r.passed(),
                (Some(e), None) => r.note(format!("{what}: MLflow cannot read it ({e}), Runlens can")),
                (None, Some(e)) => r.note(format!("{what}: MLflow reads it, Runlens fails: {e}")),
                (None, None) => r.compare(&what, x, y),
            }
        }
    }
    // Runlens reads the raw table file; MLflow's load_table gives the same columns and rows.
    r.compare("tables[0]", &mlflow["tables"][0], &ours["tables"][0]);
    r.finish();

    // 2. What MLflow reads back is what was written.
    let label = kind.label();
    let exp: Experiment = parse(kind, "the experiment", &mlflow["experiments"][0]);
    assert_eq!(exp.name, "round-trip renamed ü", "{label}: rename_experiment");
    assert_eq!(
        exp.lifecycle_stage,
        LifecycleStage::Active,
        "{label}: delete then restore_experiment"
    );
    assert_eq!(
        exp.tags,
        tags(&[
            ("__maxai_project__", "assigned"),
            ("mlflow.note.content", "Experiment *description*"),
            ("project", "roundtrip")
        ]),
        "{label}: experiment tags set at creation, set and deleted"
    );
    let gone: Experiment = parse(kind, "the deleted experiment", &mlflow["experiments"][1]);
    assert_eq!(
        gone.lifecycle_stage,
        LifecycleStage::Deleted,
        "{label}: delete_experiment"
    );

    let parent: Run = parse(kind, "the parent run", &mlflow["runs"][0]);
    assert_eq!(parent.info.run_name, "rt-parent renamed", "{label}: update_run renames");
    assert_eq!(
        parent.data.tags.get(tag::RUN_NAME).map(String::as_str),
        Some("rt-parent renamed"),
        "{label}: renaming updates mlflow.runName as MLflow does"
    );
    assert_eq!(parent.info.status, RunStatus::Finished, "{label}: update_run status");
    assert_eq!(
        (parent.info.start_time, parent.info.end_time),
        (Some(T0), Some(T0 + 60_000)),
        "{label}: start and end time"
    );
    assert_eq!(parent.info.user_id, "tester", "{label}: user_id");
    assert_eq!(
        parent.data.params,
        BTreeMap::from([
            ("lr".into(), "0.01".into()),
            ("optimizer".into(), "\"adam\"".into()),
            ("ключ".into(), "<b>значение</b>".into())
        ]),
        "{label}: params"
    );
    assert_eq!(
        parent.data.tags.get("team").map(String::as_str),
        Some("rt"),
        "{label}: tags given at creation"
    );
    assert_eq!(
        parent.data.tags.get("kept").map(String::as_str),
        Some("y"),
        "{label}: tags logged"
    );
    assert!(!parent.data.tags.contains_key("to-delete"), "{label}: delete_tag");
    let logged: Vec<BTreeMap<String, String>> = serde_json::from_str(
        parent
            .data
            .tags
            .get(tag::LOGGED_ARTIFACTS)
            .map(String::as_str)
            .unwrap_or("[]"),
    )
    .unwrap();
    assert!(
        logged
            .iter()
            .any(|e| e.get("path").map(String::as_str) == Some("eval_table.json")
                && e.get("type").map(String::as_str) == Some("table")),
        "{label}: log_table lists the table in mlflow.loggedArtifacts: {logged:?}"
    );
    let latest = |key: &str| {
        parent
            .metric(key)
            .unwrap_or_else(|| panic!("{label}: no latest metric {key}"))
            .clone()
    };
    assert_eq!(
        (latest("loss").step, latest("loss").value.get()),
        (4, 0.2),
        "{label}: latest loss"
    );
    assert_eq!(
        (latest("odd").step, latest("odd").value.get()),
        (3, 0.5),
        "{label}: latest odd"
    );
    assert!(latest("nan_last").value.get().is_nan(), "{label}: NaN as latest value");
    assert_eq!(
        latest("inf_last").value.class(),
        metric::ValueClass::PosInf,
        "{label}: +inf as latest value"
    );
    assert_eq!(
        (latest("eval/loss").step, latest("eval/loss").timestamp),
        (7, T0 + 99),
        "{label}: metric key with '/'"
    );

    let child: Run = parse(kind, "the child run", &mlflow["runs"][1]);
    assert_eq!(
        child.parent_run_id(),
        Some(w.parent.as_str()),
        "{label}: child run points at its parent"
    );
    assert_eq!(
        (child.info.run_name.as_str(), child.info.status),
        ("rt-child ü", RunStatus::Killed),
        "{label}: child run"
    );
    assert_eq!(child.data.params.get("lr").map(String::as_str), Some("0.1"));
    let doomed: Run = parse(kind, "the deleted run", &mlflow["runs"][2]);
    assert_eq!(
        doomed.info.lifecycle_stage,
        LifecycleStage::Deleted,
        "{label}: delete_run"
    );
    let restored: Run = parse(kind, "the restored run", &mlflow["runs"][3]);
    assert_eq!(
        restored.info.lifecycle_stage,
        LifecycleStage::Active,
        "{label}: restore_run"
    );

    let loss: Vec<Metric> = parse(kind, "the loss history", &mlflow["histories"][0]);
    assert_eq!(
        loss.iter()
            .map(|m| (m.step, m.timestamp, m.value.get()))
            .collect::<Vec<_>>(),
        (0..5)
            .map(|s| (s, T0 + 1000 * s, 1.0 / (s as f64 + 1.0)))
            .collect::<Vec<_>>(),
        "{label}: loss history"
    );
    let odd: Vec<Metric> = parse(kind, "the odd history", &mlflow["histories"][1]);
    use metric::ValueClass::*;
    assert_eq!(
        odd.iter().map(|m| m.value.class()).collect::<Vec<_>>(),
        vec![Nan, PosInf, NegInf, Finite],
        "{label}: NaN, +inf, -inf survive"
    );

    let files: Vec<FileInfo> = parse(kind, "the artifact list", &mlflow["artifact_lists"][0]);
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        names,
        vec!["eval_table.json", "model", "notes"],
        "{label}: artifacts at the root"
    );
    assert_eq!(
        mlflow["texts"][0],
        json!("héllo wörld\n<script>x</script>"),
        "{label}: log_text"
    );
    assert_eq!(
        mlflow["tables"][0],
        json!({"columns": ["inputs", "outputs", "score"], "data": [["q1", "a1", 0.5], ["q2 ü", null, 1.0], ["q3", "a3", 0.25]]}),
        "{label}: MLflow's load_table reads the table Runlens logged twice (rows appended)"
    );

    let model: RegisteredModel = parse(kind, "the model", &mlflow["models"][0]);
    assert_eq!(
        model.description.as_deref(),
        Some("updated description"),
        "{label}: update_registered_model"
    );
    assert_eq!(
        model.tags,
        tags(&[("a", "1"), ("c", "3")]),
        "{label}: model tags set and deleted"
    );
    assert_eq!(
        model.aliases,
        BTreeMap::from([("champion".to_string(), 2)]),
        "{label}: aliases set and deleted"
    );
    assert_eq!(
        model
            .latest_versions
            .iter()
            .map(|v| (v.version, v.current_stage))
            .collect::<Vec<_>>(),
        vec![(3, Stage::Staging), (2, Stage::Production), (1, Stage::Archived)],
        "{label}: latest version per stage"
    );
    let versions: Vec<ModelVersion> = parse(kind, "the versions", &mlflow["model_versions"][0]);
    let summary: Vec<_> = versions
        .iter()
        .map(|v| {
            (
                v.version,
                v.current_stage,
                v.description.clone(),
                v.tags.clone(),
                v.aliases.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                3,
                Stage::Staging,
                Some("v3 updated".into()),
                tags(&[("v", "3")]),
                vec![]
            ),
            (
                2,
                Stage::Production,
                Some("v2 desc".into()),
                tags(&[("v", "2"), ("validated", "yes")]),
                vec!["champion".to_string()]
            ),
            (1, Stage::Archived, None, tags(&[("v", "1")]), vec![]),
        ],
        "{label}: versions after transitions (archive_existing_versions), descriptions, tags"
    );
    assert_eq!(
        versions[0].run_id.as_deref(),
        Some(w.parent.as_str()),
        "{label}: version's run"
    );
    assert_eq!(mlflow["aliases"][0]["version"], json!(2), "{label}: champion → v2");
    assert!(
        mlflow["aliases"][1].get("error").is_some(),
        "{label}: the deleted alias is gone: {}",
        mlflow["aliases"][1]
    );
    assert_eq!(
        mlflow["run_searches"][0],
        json!([w.child]),
        "{label}: MLflow finds the child by mlflow.parentRunId"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

async fn check_unknown_ids(kind: Kind) {
    let t = open(kind).await;
    let ids = fx().ids(kind);
    let run = ids.run("artifacts");
    let missing_run = "0123456789abcdef0123456789abcdef";
    let checks: Vec<(&str, Result<(), ErrorCode>)> = vec![
        (
            "get_experiment(987654321)",
            code(t.get_experiment("987654321").await.map(drop)),
        ),
        (
            "get_experiment_by_name",
            code(t.get_experiment_by_name("no such experiment").await.map(drop)),
        ),
        ("get_run", code(t.get_run(missing_run).await.map(drop))),
        (
            "get_registered_model",
            code(t.get_registered_model("no-such-model").await.map(drop)),
        ),
        (
            "get_model_version(v99)",
            code(t.get_model_version("resnet-classifier", 99).await.map(drop)),
        ),
        // MLflow itself answers INVALID_PARAMETER_VALUE here; to a user it is a missing alias.
        (
            "get_model_version_by_alias",
            code(
                t.get_model_version_by_alias("resnet-classifier", "nobody")
                    .await
                    .map(drop),
            ),
        ),
        (
            "read_artifact(missing file)",
            code(t.read_artifact(run, "no/such/file.txt", 10).await.map(drop)),
        ),
        (
            "list_artifacts(missing run)",
            code(t.list_artifacts(missing_run, None).await.map(drop)),
        ),
    ];
    let wrong: Vec<String> = checks
        .into_iter()
        .filter(|(_, r)| *r != Err(ErrorCode::NotFound))
        .map(|(what, r)| format!("{what}: expected Err(NotFound), got {r:?}"))
        .collect();
    assert!(wrong.is_empty(), "{}:\n  {}", kind.label(), wrong.join("\n  "));
}

async fn check_bad_filters(kind: Kind) {
    let t = open(kind).await;
    let exp = fx().ids(kind).experiment("vision").to_string();
    let mut wrong = Vec::new();
    // Each of these is refused by MLflow too (see run_searches in the dump).
    for bad in [
        "metrics.acc >> 0.5",
        "params.lr = 0.01",
        "bogus.x = 'y'",
        "tags.`unclosed = 'x'",
    ] {
        let position = parse_run_filter(bad).expect_err("the filter is invalid").position;
        let req = SearchRuns {
            experiment_ids: vec![exp.clone()],
            filter: Some(bad.into()),
            ..Default::default()
        };
        match t.search_runs(&req).await {
            Err(e)
                if e.code() == ErrorCode::InvalidArgument
                    && e.to_string().contains(&format!("character {}", position + 1)) => {}
            other => wrong.push(format!(
                "search_runs filter {bad:?}: expected InvalidArgument naming character {}, got {:?}",
                position + 1,
                other.map(|p| p.items.len()).map_err(|e| (e.code(), e.to_string()))
            )),
        }
    }
    for bad in ["name = ", "nonsense.x = 'y'"] {
        let position = parse_experiment_filter(bad)
            .expect_err("the filter is invalid")
            .position;
        let req = SearchExperiments {
            view_type: ViewType::All,
            filter: Some(bad.into()),
            ..Default::default()
        };
        match t.search_experiments(&req).await {
            Err(e)
                if e.code() == ErrorCode::InvalidArgument
                    && e.to_string().contains(&format!("character {}", position + 1)) => {}
            other => wrong.push(format!(
                "search_experiments filter {bad:?}: expected InvalidArgument naming character {}, got {:?}",
                position + 1,
                other.map(|p| p.items.len()).map_err(|e| (e.code(), e.to_string()))
            )),
        }
    }
    let req = SearchRuns {
        experiment_ids: vec![exp],
        order_by: vec!["metrics.acc SIDEWAYS".into()],
        ..Default::default()
    };
    match t.search_runs(&req).await {
        Err(e) if e.code() == ErrorCode::InvalidArgument => {}
        other => wrong.push(format!(
            "order_by 'metrics.acc SIDEWAYS': expected InvalidArgument, got {:?}",
            other.map(|p| p.items.len()).map_err(|e| e.code())
        )),
    }
    assert!(wrong.is_empty(), "{}:\n  {}", kind.label(), wrong.join("\n  "));
}

/// Opens a store and reads everything once; the first failure's code.
async fn open_and_read(uri: &str) -> Result<(), (ErrorCode, String)> {
    let fail = |e: TrackingError| (e.code(), e.to_string());
    let t = Tracking::open(uri, &ConnectOptions::default()).await.map_err(fail)?;
    let exps = t
        .all_experiments(&SearchExperiments {
            view_type: ViewType::All,
            ..Default::default()
        })
        .await
        .map_err(fail)?;
    for e in exps {
        let req = SearchRuns {
            experiment_ids: vec![e.experiment_id],
            view_type: ViewType::All,
            ..Default::default()
        };
        t.all_runs(&req).await.map_err(fail)?;
    }
    all_models(&t).await.map_err(fail)?;
    Ok(())
}

#[tokio::test]
async fn text_file_named_mlflow_db_is_not_an_mlflow_store() {
    let db = fx().fresh_dir("garbage").join("mlflow.db");
    std::fs::write(&db, b"this is not an SQLite database\n".repeat(300)).unwrap();
    let got = open_and_read(&format!("sqlite:///{}", db.display())).await;
    let (code, message) = got.expect_err("a text file is not a store");
    assert_eq!(code, ErrorCode::NotAnMlflowStore, "{message}");
    assert!(
        message.contains(&db.display().to_string()),
        "the message names the file: {message}"
    );
}

#[tokio::test]
async fn truncated_mlflow_db_is_a_corrupt_store() {
    let db = fx().fresh_sqlite_copy();
    let bytes = std::fs::read(&db).unwrap();
    std::fs::write(&db, &bytes[..bytes.len() / 3]).unwrap();
    let got = open_and_read(&format!("sqlite:///{}", db.display())).await;
    assert_eq!(got.map_err(|e| e.0), Err(ErrorCode::CorruptStore), "{}", db.display());
}

#[tokio::test]
async fn mlflow_db_with_damaged_pages_is_a_corrupt_store() {
    let db = fx().fresh_sqlite_copy();
    let mut bytes = std::fs::read(&db).unwrap();
    // Keep the header page (so it still looks like SQLite), scramble every page after it.
    for (i, b) in bytes.iter_mut().enumerate().skip(4096) {
        *b = (i as u8).wrapping_mul(31) ^ 0xA5;
    }
    std::fs::write(&db, bytes).unwrap();
    let got = open_and_read(&format!("sqlite:///{}", db.display())).await;
    assert_eq!(got.map_err(|e| e.0), Err(ErrorCode::CorruptStore), "{}", db.display());
}

#[tokio::test]
async fn sqlite_file_without_mlflow_tables_is_not_an_mlflow_store() {
    let dir = fx().fresh_dir("not-mlflow");
    let db = dir.join("notes.db");
    let script = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table notes(id integer primary key, body text)'); c.execute(\"insert into notes(body) values ('hi')\"); c.commit()";
    let out = std::process::Command::new(runlens_tests::python())
        .arg("-c")
        .arg(script)
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got = open_and_read(&format!("sqlite:///{}", db.display())).await;
    assert_eq!(
        got.map_err(|e| e.0),
        Err(ErrorCode::NotAnMlflowStore),
        "{}",
        db.display()
    );
}

#[tokio::test]
async fn malformed_experiment_meta_yaml_is_a_corrupt_store() {
    let mlruns = fx().fresh_file_store_copy();
    let exp = fx().manifest.file.experiment("vision").to_string();
    std::fs::write(
        mlruns.join(&exp).join("meta.yaml"),
        "name: [unclosed\nartifact_location: : :\n\t- nope",
    )
    .unwrap();
    let t = Tracking::open(&format!("file://{}", mlruns.display()), &ConnectOptions::default())
        .await
        .expect("the rest of the store opens");
    let got = code(t.get_experiment(&exp).await.map(drop));
    assert_eq!(
        got,
        Err(ErrorCode::CorruptStore),
        "get_experiment of an experiment whose meta.yaml is not YAML"
    );
}

#[tokio::test]
async fn malformed_run_meta_yaml_is_a_corrupt_store() {
    let mlruns = fx().fresh_file_store_copy();
    let ids = &fx().manifest.file;
    let (exp, run) = (ids.experiment("vision"), ids.run("odd_values"));
    std::fs::write(mlruns.join(exp).join(run).join("meta.yaml"), "run_id: [\n  status: {{{").unwrap();
    let t = Tracking::open(&format!("file://{}", mlruns.display()), &ConnectOptions::default())
        .await
        .expect("the store opens");
    let got = code(t.get_run(run).await.map(drop));
    assert_eq!(
        got,
        Err(ErrorCode::CorruptStore),
        "get_run of a run whose meta.yaml is not YAML"
    );
}

#[tokio::test]
async fn server_that_is_not_running_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let options = ConnectOptions {
        max_retries: 0,
        timeout: Duration::from_secs(5),
        ..ConnectOptions::default()
    };
    let got = match Tracking::open(&format!("http://127.0.0.1:{port}"), &options).await {
        Ok(t) => code(t.search_experiments(&SearchExperiments::default()).await.map(drop)),
        Err(e) => Err(e.code()),
    };
    assert_eq!(got, Err(ErrorCode::Unreachable));
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_while_mlflow_writes_never_locks_out_the_writer() {
    const SECONDS: u64 = 5;
    let db = fx().fresh_sqlite_copy();
    let dir = db.parent().unwrap().to_path_buf();
    let uri = format!("sqlite:///{}", db.display());
    let mut writer = runlens_tests::python_script("hammer.py", &dir)
        .unwrap()
        .arg(&uri)
        .arg(SECONDS.to_string())
        .arg(dir.join("artifacts"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the Python writer");
    let mut stdout = std::io::BufReader::new(writer.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let started: Value = match serde_json::from_str(&first) {
        Ok(v) => v,
        Err(_) => {
            let out = writer.wait_with_output().unwrap();
            panic!(
                "the writer did not start: {first}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        }
    };
    let (exp, run) = (
        started["experiment_id"].as_str().unwrap().to_string(),
        started["run_id"].as_str().unwrap().to_string(),
    );

    let t = Tracking::open(&uri, &ConnectOptions::default())
        .await
        .expect("open the store being written");
    let search = SearchRuns {
        experiment_ids: vec![exp.clone(), "1".into()],
        ..Default::default()
    };
    let (mut reads, mut errors, mut last_len) = (0usize, Vec::new(), 0usize);
    let deadline = Instant::now() + Duration::from_secs(SECONDS * 6);
    while writer.try_wait().unwrap().is_none() && Instant::now() < deadline {
        let a = t.search_runs(&search).await.map(|p| p.items.len());
        let b = t.get_run(&run).await.map(|r| r.data.metrics.len());
        let c = t.metric_history(&run, "hammer").await.map(|h| h.len());
        for e in [a.as_ref().err(), b.as_ref().err(), c.as_ref().err()]
            .into_iter()
            .flatten()
        {
            errors.push(format!("{:?}: {e}", e.code()));
        }
        if let Ok(n) = c {
            assert!(n >= last_len, "the history shrank from {last_len} to {n} points");
            last_len = n;
        }
        reads += 3;
    }
    let status = writer.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut writer.stderr.take().unwrap(), &mut stderr).unwrap();

    assert!(
        !stderr.contains("database is locked"),
        "MLflow's writer was locked out while Runlens read:\n{}",
        runlens_tests::tail(&stderr, 30)
    );
    assert!(
        status.success(),
        "MLflow's writer failed ({status}):\n{}",
        runlens_tests::tail(&stderr, 30)
    );
    assert!(
        errors.is_empty(),
        "{} of {reads} reads failed while MLflow wrote, e.g. {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(reads >= 30, "only {reads} reads in {SECONDS} s");
    let done: Value = serde_json::from_str(rest.trim()).unwrap_or_else(|_| panic!("writer's last line: {rest}"));
    let points = done["points"].as_u64().unwrap() as usize;
    let history = t
        .metric_history(&run, "hammer")
        .await
        .expect("history after the writer finished");
    eprintln!(
        "{reads} reads by Runlens while MLflow logged {points} points in {} calls",
        done["calls"]
    );
    assert_eq!(history.len(), points, "Runlens sees every point MLflow wrote");
}
