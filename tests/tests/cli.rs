//! `runlens-cli` as a user runs it: stable JSON equal to MLflow's answers, aligned tables, and
//! errors on stderr with distinct exit codes.

use runlens_tests::{fixtures, Kind};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

/// The CLI built beside the app (`cargo xtask test` builds both).
fn cli() -> PathBuf {
    let dir = std::env::var_os("RUNLENS_APP")
        .map(|a| PathBuf::from(a).parent().unwrap().to_path_buf())
        .unwrap_or_else(|| std::path::Path::new(TMP).parent().unwrap().join("debug"));
    let path = dir.join("runlens-cli");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p runlens-cli`",
        path.display()
    );
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(cli()).args(args).output().expect("runlens-cli starts")
}

fn json(args: &[&str]) -> Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "runlens-cli {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

#[test]
fn json_answers_equal_mlflows_own() {
    let fx = fixtures(TMP);
    let db = fx.sqlite_db();
    let db = db.to_str().unwrap();
    let dump = fx.dump(Kind::Sqlite);

    let answer = json(&["--json", db, "experiments", "--view", "all"]);
    let mut ours: Vec<(String, String)> = answer["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["experiment_id"].as_str().unwrap().into(),
                e["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut theirs: Vec<(String, String)> = dump
        .experiments
        .iter()
        .map(|e| (e.experiment_id.clone(), e.name.clone()))
        .collect();
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);

    for search in dump
        .run_searches
        .iter()
        .filter(|s| s.error.is_none() && s.run_ids.is_some())
        .take(6)
    {
        let mut args: Vec<String> = vec!["--json".into(), db.into(), "runs".into()];
        for id in &search.experiment_ids {
            args.extend(["--experiment-id".into(), id.clone()]);
        }
        if let Some(f) = &search.filter {
            args.extend(["--filter".into(), f.clone()]);
        }
        for o in &search.order_by {
            args.extend(["--order-by".into(), o.clone()]);
        }
        args.extend(["--view".into(), search.view_type.as_str().into()]);
        if let Some(n) = search.max_results {
            args.extend(["--max-results".into(), n.to_string()]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let answer = json(&refs);
        let ids: Vec<String> = answer["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["info"]["run_id"].as_str().unwrap().into())
            .collect();
        assert_eq!(&ids, search.run_ids.as_ref().unwrap(), "runlens-cli {args:?}");
    }

    let history = dump
        .histories
        .iter()
        .find(|h| h.metrics.iter().any(|m| m.value.get().is_nan()))
        .expect("a NaN history");
    let answer = json(&["--json", db, "history", &history.run_id, &history.key]);
    let values: Vec<&Value> = answer["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["value"])
        .collect();
    assert!(
        values.contains(&&Value::String("NaN".into())),
        "NaN is spelled \"NaN\": {values:?}"
    );
    assert_eq!(values.len(), history.metrics.len());
}

#[test]
fn tables_and_errors_read_well() {
    let fx = fixtures(TMP);
    let db = fx.sqlite_db();
    let db = db.to_str().unwrap();
    let out = run(&[db, "experiments"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.lines().next().unwrap().starts_with("ID  NAME"), "{text}");

    let out = run(&[
        "--json",
        db,
        "runs",
        "--experiment-id",
        "1",
        "--filter",
        "metrics.acc >",
    ]);
    assert_eq!(out.status.code(), Some(2), "a bad filter is a usage error");
    let err: Value = serde_json::from_slice(&out.stderr).expect("errors are JSON with --json");
    assert_eq!(err["error"]["code"], "INVALID_ARGUMENT");
    assert!(
        err["error"]["message"].as_str().unwrap().contains("character 14"),
        "{err}"
    );

    let out = run(&[db, "run", "0123456789abcdef0123456789abcdef"]);
    assert_eq!(out.status.code(), Some(3), "an unknown run is 'not found'");
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("runlens-cli: no run with id"),
        "plain stderr message"
    );
    assert!(out.stdout.is_empty());
}
