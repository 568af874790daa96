//! Interop of issue #8: traces and LLM tables as Runlens reads them from a SQLite store, a file
//! store and an `mlflow server`, all written by real MLflow 3.17.2 (`make_llm_fixture.py`), each
//! compared with what MLflow's own client and pandas read (`dump_llm.py`).
//!
//! The fixtures are built once per process under `<target tmp>/runlens-llm/p<pid>/`.

use runlens_core::tables::join::CompareTablesRequest;
use runlens_core::tables::prompt::PromptPart;
use runlens_core::tables::query::{SortBy, TableQuery};
use runlens_core::tables::{Cell, TableKind};
use runlens_core::traces::{SearchTracesRequest, TraceStatus, TraceSummary};
use runlens_core::{ErrorCode, PageRequest};
use runlens_tests::{read_json, run_script, MlflowServer};
use runlens_tracking::{ConnectOptions, Tracking};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Sqlite,
    File,
    Server,
}

const KINDS: [Kind; 3] = [Kind::Sqlite, Kind::File, Kind::Server];

/// One fixture store and MLflow's view of it.
struct Fx {
    uri: String,
    manifest: Value,
    dump: Value,
}

impl Fx {
    fn run(&self, logical: &str) -> String {
        self.manifest["runs"][logical].as_str().unwrap().to_string()
    }
    fn table(&self, logical: &str) -> String {
        self.manifest["tables"][logical].as_str().unwrap().to_string()
    }
    fn experiment(&self) -> String {
        self.manifest["experiments"]["llm"].as_str().unwrap().to_string()
    }
    fn trace(&self, logical: &str) -> String {
        self.manifest["traces"][logical].as_str().unwrap().to_string()
    }
}

fn base() -> PathBuf {
    let dir = Path::new(TMP)
        .join("runlens-llm")
        .join(format!("p{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn build(label: &str, file_store: bool) -> Fx {
    let dir = base().join(label);
    let mut args = vec![dir.display().to_string(), "--no-big".to_string()];
    if file_store {
        args.push("--file-store".into());
    }
    run_script("make_llm_fixture.py", &base(), &args).unwrap_or_else(|e| panic!("{e}"));
    let manifest: Value = read_json(&dir.join("manifest.json")).unwrap();
    let uri = manifest["uri"].as_str().unwrap().to_string();
    let dump = dump(&uri, &dir);
    Fx { uri, manifest, dump }
}

fn dump(uri: &str, dir: &Path) -> Value {
    let out = dir.join(format!("dump-{}.json", uri.len()));
    run_script(
        "dump_llm.py",
        dir,
        &[
            uri.to_string(),
            dir.join("manifest.json").display().to_string(),
            out.display().to_string(),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    read_json(&out).unwrap()
}

fn fixture(kind: Kind) -> &'static Fx {
    static SQLITE: OnceLock<Fx> = OnceLock::new();
    static FILE: OnceLock<Fx> = OnceLock::new();
    static SERVER: OnceLock<(MlflowServer, Fx)> = OnceLock::new();
    match kind {
        Kind::Sqlite => SQLITE.get_or_init(|| build("sqlite", false)),
        Kind::File => FILE.get_or_init(|| build("file", true)),
        Kind::Server => {
            &SERVER
                .get_or_init(|| {
                    let local = fixture(Kind::Sqlite);
                    let work = base().join("server");
                    std::fs::create_dir_all(&work).unwrap();
                    let db = work.join("mlflow.db");
                    let source = local.uri.strip_prefix("sqlite:///").unwrap();
                    std::fs::copy(source, &db).unwrap();
                    let server = MlflowServer::start(&db, &work).unwrap_or_else(|e| panic!("{e}"));
                    let mut manifest = local.manifest.clone();
                    manifest["uri"] = json!(server.url());
                    std::fs::write(work.join("manifest.json"), serde_json::to_vec(&manifest).unwrap()).unwrap();
                    let dump = dump(&server.url(), &work);
                    let fx = Fx {
                        uri: server.url(),
                        manifest,
                        dump,
                    };
                    (server, fx)
                })
                .1
        }
    }
}

async fn open(kind: Kind) -> (Tracking, &'static Fx) {
    let fx = fixture(kind);
    let tracking = Tracking::open(&fx.uri, &ConnectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{kind:?}: cannot open {}: {e}", fx.uri));
    (tracking, fx)
}

async fn all_traces(t: &Tracking, req: SearchTracesRequest) -> Vec<TraceSummary> {
    let mut out = Vec::new();
    let mut req = req;
    loop {
        let page = t.search_traces(&req).await.unwrap();
        out.extend(page.items);
        match page.next_page_token {
            Some(token) => req.page.page_token = Some(token),
            None => return out,
        }
    }
}

fn search(fx: &Fx, status: Option<TraceStatus>, text: Option<&str>, max: usize) -> SearchTracesRequest {
    SearchTracesRequest {
        experiment_id: fx.experiment(),
        status,
        text: text.map(String::from),
        page: PageRequest {
            max_results: Some(max),
            page_token: None,
        },
    }
}

#[tokio::test]
async fn traces_match_mlflow_on_every_store() {
    for kind in KINDS {
        let (t, fx) = open(kind).await;
        let listed = all_traces(&t, search(fx, None, None, 3)).await;
        let expected = fx.dump["traces"].as_array().unwrap();
        assert_eq!(listed.len(), expected.len(), "{kind:?}: trace count");
        assert!(
            listed.windows(2).all(|w| w[0].timestamp_ms >= w[1].timestamp_ms),
            "{kind:?}: newest first"
        );
        for mine in &listed {
            let theirs = expected
                .iter()
                .find(|e| e["trace_id"] == json!(mine.trace_id))
                .unwrap_or_else(|| panic!("{kind:?}: MLflow has no trace {}", mine.trace_id));
            let what = format!("{kind:?} {}", mine.trace_id);
            assert_eq!(mine.experiment_id, fx.experiment(), "{what}");
            assert_eq!(json!(mine.status.as_str()), theirs["state"], "{what}: status");
            assert_eq!(json!(mine.timestamp_ms), theirs["timestamp_ms"], "{what}: time");
            assert_eq!(
                json!(mine.execution_time_ms),
                theirs["execution_time_ms"],
                "{what}: duration"
            );
            assert_eq!(json!(mine.name), theirs["name"], "{what}: name");
            assert_eq!(
                json!(mine.request_preview),
                theirs["request_preview"],
                "{what}: request"
            );
            assert_eq!(
                json!(mine.response_preview),
                theirs["response_preview"],
                "{what}: response"
            );
            assert_eq!(json!(mine.run_id), theirs["source_run"], "{what}: run");
            let tokens = mine.tokens.map(|u| json!({"input_tokens": u.input_tokens, "output_tokens": u.output_tokens, "total_tokens": u.total_tokens}));
            assert_eq!(tokens.unwrap_or(Value::Null), theirs["tokens"], "{what}: tokens");

            let detail = t
                .get_trace(&mine.trace_id)
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(detail.notes.is_empty(), "{what}: {:?}", detail.notes);
            let spans = theirs["spans"].as_array().unwrap();
            assert_eq!(detail.spans.len(), spans.len(), "{what}: span count");
            let origin = spans.iter().map(|s| s["start_ns"].as_i64().unwrap()).min().unwrap();
            for s in spans {
                let id = s["span_id"].as_str().unwrap();
                let span = detail
                    .spans
                    .iter()
                    .find(|x| x.span_id == id)
                    .unwrap_or_else(|| panic!("{what}: no span {id}"));
                let ctx = format!("{what} span {}", span.name);
                assert_eq!(json!(span.parent_id), s["parent_id"], "{ctx}: parent");
                assert_eq!(json!(span.name), s["name"], "{ctx}");
                assert_eq!(json!(span.span_type), s["span_type"], "{ctx}: type");
                assert_eq!(json!(span.status), s["status"], "{ctx}: status");
                assert_eq!(json!(span.status_message), s["status_message"], "{ctx}: message");
                assert_eq!(span.offset_ns, s["start_ns"].as_i64().unwrap() - origin, "{ctx}: start");
                let duration = s["end_ns"].as_i64().unwrap() - s["start_ns"].as_i64().unwrap();
                assert_eq!(span.duration_ns, Some(duration), "{ctx}: duration");
                assert_eq!(span.inputs.clone().unwrap_or(Value::Null), s["inputs"], "{ctx}: inputs");
                assert_eq!(
                    span.outputs.clone().unwrap_or(Value::Null),
                    s["outputs"],
                    "{ctx}: outputs"
                );
                let events: Vec<Value> = span.events.iter().map(|e| json!(e.name)).collect();
                assert_eq!(Value::Array(events), s["events"], "{ctx}: events");
            }
        }
        // The nesting MLflow wrote: agent → chat → lookup_capital.
        let agent = t.get_trace(&fx.trace("agent")).await.unwrap();
        let tree = runlens_core::traces::span_tree(&agent.spans);
        let depths: Vec<(String, usize)> = tree
            .iter()
            .map(|e| (agent.spans[e.index].name.clone(), e.depth))
            .collect();
        assert_eq!(
            depths,
            vec![
                ("agent".into(), 0),
                ("retrieve".into(), 1),
                ("chat".into(), 1),
                ("lookup_capital".into(), 2)
            ],
            "{kind:?}"
        );
        let missing = t.get_trace("tr-00000000000000000000000000000000").await.unwrap_err();
        assert_eq!(missing.code(), ErrorCode::NotFound, "{kind:?}: {missing}");
    }
}

#[tokio::test]
async fn trace_searches_filter_by_status_and_text_on_every_store() {
    for kind in KINDS {
        let (t, fx) = open(kind).await;
        let ids = |list: Vec<TraceSummary>| list.into_iter().map(|s| s.trace_id).collect::<BTreeSet<_>>();
        let failing = ids(all_traces(&t, search(fx, Some(TraceStatus::Error), None, 100)).await);
        assert_eq!(failing, BTreeSet::from([fx.trace("failing")]), "{kind:?}: status ERROR");
        // "Italy" is only in the trace logged inside a run (its inputs and spans).
        let italy = ids(all_traces(&t, search(fx, None, Some("italy"), 100)).await);
        assert_eq!(italy, BTreeSet::from([fx.trace("in_run")]), "{kind:?}: text");
        // "lookup_capital" is a span's name: the span contents are searched too.
        let tool = ids(all_traces(&t, search(fx, Some(TraceStatus::Ok), Some("lookup_capital"), 100)).await);
        assert_eq!(
            tool,
            BTreeSet::from([fx.trace("agent"), fx.trace("in_run")]),
            "{kind:?}: span text"
        );
        let none = all_traces(&t, search(fx, None, Some("no such text anywhere"), 100)).await;
        assert!(none.is_empty(), "{kind:?}");
    }
}

#[tokio::test]
async fn run_tables_match_pandas_on_every_store() {
    for kind in KINDS {
        let (t, fx) = open(kind).await;
        let large = fx.run("large");
        let found = t.run_tables(&large).await.unwrap();
        let kinds: BTreeMap<String, TableKind> = found.tables.iter().map(|r| (r.path.clone(), r.kind)).collect();
        let expected: BTreeMap<String, TableKind> = [
            ("predictions", TableKind::LogTable),
            ("evaluation", TableKind::Evaluation),
            ("parquet", TableKind::Parquet),
            ("legacy", TableKind::LegacyPredictions),
            ("images", TableKind::LogTable),
            ("csv", TableKind::Csv),
            ("broken_json", TableKind::LogTable),
            ("broken_csv", TableKind::Csv),
        ]
        .into_iter()
        .map(|(l, k)| (fx.table(l), k))
        .collect();
        assert_eq!(kinds, expected, "{kind:?}: the run's tables (config.json is not one)");
        assert!(found.notes.is_empty(), "{kind:?}: {:?}", found.notes);
        let logged: BTreeSet<&str> = found
            .tables
            .iter()
            .filter(|r| r.logged)
            .map(|r| r.path.as_str())
            .collect();
        assert!(
            logged.contains("predictions.json") && logged.contains("tables/predictions.parquet"),
            "{kind:?}: {logged:?}"
        );

        for (path, pandas) in fx.dump["tables"]["large"].as_object().unwrap() {
            let opened = t.open_table(&large, path).await;
            if let Some(error) = pandas.get("error") {
                let e = opened.expect_err(path);
                assert_eq!(e.code(), ErrorCode::InvalidArgument, "{kind:?} {path}");
                assert!(
                    e.to_string().contains(path.as_str()),
                    "{kind:?}: the message names the file: {e} (pandas: {error})"
                );
                continue;
            }
            let info = opened.unwrap_or_else(|e| panic!("{kind:?} {path}: {e}"));
            let columns: Vec<Value> = info.columns.iter().map(|c| json!(c.name)).collect();
            assert_eq!(Value::Array(columns), pandas["columns"], "{kind:?} {path}: columns");
            assert_eq!(json!(info.total_rows), pandas["rows"], "{kind:?} {path}: rows");
        }

        // Cells as pandas would hold them, Python reprs decoded.
        let legacy = t.table_cell(&large, &fx.table("legacy"), 0, 0).await.unwrap();
        assert_eq!(
            legacy,
            Cell::Json(
                json!({"question": "Question 00: what is the capital of country 0?", "context": "Doc 0 says it's City 0."})
            )
        );
        let meta = t.table_cell(&large, &fx.table("parquet"), 0, 4).await.unwrap();
        assert_eq!(
            meta,
            Cell::Json(json!({"rank": 0, "tags": ["a", "b"]})),
            "{kind:?}: a nested parquet cell"
        );
        let correct = t.table_cell(&large, &fx.table("parquet"), 0, 3).await.unwrap();
        assert_eq!(correct, Cell::Bool(true), "{kind:?}");
        let image = t.table_cell(&large, &fx.table("images"), 0, 1).await.unwrap();
        let Cell::Image(image) = image else {
            panic!("{kind:?}: not an image cell: {image:?}")
        };
        assert_eq!(
            json!(image.filepath),
            fx.dump["tables"]["large"]["images.json"]["first"]["image"]["filepath"]
        );
        let preview = t
            .preview_artifact(&large, image.compressed_filepath.as_deref().unwrap())
            .await
            .unwrap();
        assert!(
            matches!(preview.body, runlens_core::preview::PreviewBody::Image { .. }),
            "{kind:?}: the thumbnail reads"
        );

        // A malformed table leaves the others usable (the broken ones were opened above).
        let window = t
            .table_rows(&large, "predictions.json", &TableQuery::default(), 0, 10)
            .await
            .unwrap();
        assert_eq!((window.total_rows, window.rows.len()), (40, 10), "{kind:?}");

        // The prompt template of [small], filled from its params.
        let small = t.run_tables(&fx.run("small")).await.unwrap();
        let prompt = small
            .prompts
            .iter()
            .find(|p| p.param == "prompt_template")
            .expect("a prompt");
        assert!(prompt.parts.contains(&PromptPart::Var {
            name: "persona".into(),
            value: Some("a careful geographer".into())
        }));
        assert!(prompt.parts.contains(&PromptPart::Var {
            name: "language".into(),
            value: None
        }));
    }
}

#[tokio::test]
async fn sorting_filtering_and_long_cells_in_windows() {
    let (t, fx) = open(Kind::Sqlite).await;
    let small = fx.run("small");
    let sorted = TableQuery {
        sort: Some(SortBy {
            column: 3,
            descending: true,
        }),
        ..Default::default()
    };
    let window = t.table_rows(&small, "predictions.json", &sorted, 0, 100).await.unwrap();
    let scores: Vec<f64> = window.rows.iter().map(|r| r.cells[3].as_number().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let searched = TableQuery {
        search: "MLFLOW TRACKS".into(),
        ..Default::default()
    };
    let window = t
        .table_rows(&small, "predictions.json", &searched, 0, 100)
        .await
        .unwrap();
    assert_eq!((window.matching_rows, window.rows[0].index), (1, 3));
    // The 30,000-character output is cut in windows and whole on its own.
    let window = t
        .table_rows(&small, "predictions.json", &TableQuery::default(), 6, 1)
        .await
        .unwrap();
    let Cell::Cut { chars, .. } = &window.rows[0].cells[1] else {
        panic!("not cut: {:?}", window.rows[0].cells[1])
    };
    assert_eq!(*chars as u64, fx.manifest["long_chars"].as_u64().unwrap());
    let whole = t.table_cell(&small, "predictions.json", 6, 1).await.unwrap();
    assert_eq!(whole.text().chars().count(), *chars);
}

/// One run's `predictions.json` rows, read independently.
fn table_data(fx: &Fx, logical: &str) -> Vec<Vec<Value>> {
    let path = Path::new(fx.manifest["artifact_root"].as_str().unwrap())
        .join("llm")
        .join(fx.run(logical))
        .join("artifacts/predictions.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    serde_json::from_value(doc["data"].clone()).unwrap()
}

/// The three runs' `predictions.json` read independently: input → output per run.
fn outputs_by_input(fx: &Fx) -> Vec<BTreeMap<String, String>> {
    ["small", "large", "large_v2"]
        .iter()
        .map(|logical| {
            table_data(fx, logical)
                .iter()
                .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_str().unwrap().to_string()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn one_table_joined_across_three_runs() {
    for kind in [Kind::Sqlite, Kind::Server] {
        let (t, fx) = open(kind).await;
        let runs: Vec<String> = ["small", "large", "large_v2"].iter().map(|l| fx.run(l)).collect();
        let request = |only_differing: bool, search: &str, offset: usize| CompareTablesRequest {
            run_ids: runs.clone(),
            path: "predictions.json".into(),
            key: None,
            output: None,
            only_differing,
            search: search.into(),
            offset,
            limit: 500,
        };
        let all = t.compare_tables(&request(false, "", 0)).await.unwrap();
        assert_eq!(all.plan.key_column, "inputs");
        assert_eq!(all.plan.output_column, "outputs");
        assert_eq!(all.plan.score_columns, vec!["score".to_string(), "correct".to_string()]);
        let by_run = outputs_by_input(fx);
        let inputs: BTreeSet<&String> = by_run.iter().flat_map(|m| m.keys()).collect();
        assert_eq!(all.total_rows, inputs.len(), "{kind:?}: every input once");
        let differing = inputs
            .iter()
            .filter(|i| {
                let outs: Vec<Option<&String>> = by_run.iter().map(|m| m.get(**i)).collect();
                outs.iter().any(Option::is_none)
                    || outs
                        .windows(2)
                        .any(|w| w[0].map(|s| s.trim()) != w[1].map(|s| s.trim()))
            })
            .count();
        assert_eq!(all.differing_rows, differing, "{kind:?}");
        let only = t.compare_tables(&request(true, "", 0)).await.unwrap();
        assert_eq!(only.matching_rows, differing);
        assert!(only.rows.iter().all(|r| r.differs));
        // Rows a run lacks are kept and marked.
        let missing: Vec<usize> = all
            .rows
            .iter()
            .filter(|r| r.sides[2].is_none())
            .map(|r| r.index)
            .collect();
        assert_eq!(missing.len(), 2, "{kind:?}: two inputs large-v2 lacks");
        let own = all
            .rows
            .iter()
            .filter(|r| r.sides[0].is_none() && r.sides[1].is_none())
            .count();
        assert_eq!(own, 1, "{kind:?}: the input only large-v2 has");
        // Aggregates: mean score and pass rate of `correct`, per run.
        for (i, logical) in ["small", "large", "large_v2"].iter().enumerate() {
            let run = &all.runs[i];
            assert_eq!(run.run_name, fx.manifest["run_names"][logical].as_str().unwrap());
            let data = table_data(fx, logical);
            let scores: Vec<f64> = data.iter().map(|r| r[3].as_f64().unwrap()).collect();
            let passed = data.iter().filter(|r| r[4] == json!(true)).count();
            let correct = run.aggregates.iter().find(|a| a.column == "correct").unwrap();
            assert_eq!(correct.mean, None, "{kind:?}: booleans have a pass rate, not a mean");
            assert!(
                (correct.pass_rate.unwrap() - passed as f64 / data.len() as f64).abs() < 1e-12,
                "{kind:?}: {correct:?}"
            );
            let score = run.aggregates.iter().find(|a| a.column == "score").unwrap();
            let mean = scores.iter().sum::<f64>() / scores.len() as f64;
            assert!(
                (score.mean.unwrap() - mean).abs() < 1e-12,
                "{kind:?}: {score:?} vs {mean}"
            );
            assert_eq!(score.count, scores.len());
        }
        let one = t.compare_tables(&request(false, "country 12?", 0)).await.unwrap();
        assert_eq!(one.matching_rows, 1, "{kind:?}: search");
        // A run without the table is marked; the others are still compared.
        let mut with_missing = request(false, "", 0);
        with_missing.path = "eval_results_table.json".into();
        let partial = t.compare_tables(&with_missing).await.unwrap();
        assert!(
            partial.runs[0].error.is_some() && partial.runs[1].error.is_none(),
            "{kind:?}"
        );
        assert_eq!(partial.runs[0].error.as_ref().unwrap().code, ErrorCode::NotFound);
    }
}
