//! The report page on hand-made data full of hostile strings: every value comes out as text,
//! nothing external is referenced, every item kind renders, and missing data is a note.

use super::*;
use crate::data::ChartsData;
use crate::markup::escape;
use runlens_core::compare::{ComparedRun, Comparison};
use runlens_core::ipc::{MetricSummary, RunRef};
use runlens_core::model::{LifecycleStage, ModelVersion, RegisteredModel, Run, RunData, RunInfo, RunStatus, Stage};
use runlens_core::registry::{ModelDetail, SourceRun, VersionCard};
use runlens_core::review::{ChartView, Decision, DecisionChange};
use runlens_core::sampling::{Point, SampledSeries};
use runlens_core::tables::join::{CompareRow, CompareRun, CompareSide, CompareWindow, JoinPlan, ScoreAggregate};
use runlens_core::tables::Cell;
use runlens_core::{Metric, MetricValue};
use std::collections::BTreeMap;

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// A label with every kind of markup a value could carry.
fn hostile(label: &str) -> String {
    format!("{label} {SCRIPT} {IMG} &amp; 'q'")
}

fn run(id: &str, name: &str, lr: &str) -> Run {
    Run {
        info: RunInfo {
            run_id: id.into(),
            run_name: name.into(),
            experiment_id: "1".into(),
            user_id: hostile("user"),
            status: RunStatus::Finished,
            start_time: Some(1_700_000_000_000),
            end_time: Some(1_700_000_200_000),
            artifact_uri: "/tmp/a".into(),
            lifecycle_stage: LifecycleStage::Active,
        },
        data: RunData {
            metrics: Vec::new(),
            params: BTreeMap::from([("lr".into(), lr.into()), ("depth".into(), "4".into())]),
            tags: BTreeMap::from([
                ("team".into(), hostile("tag")),
                ("mlflow.source.name".into(), "train.py".into()),
            ]),
        },
        inputs: Vec::new(),
    }
}

fn summary(key: &str, latest: f64, min: f64, max: f64) -> MetricSummary {
    MetricSummary {
        key: key.into(),
        latest: MetricValue(latest),
        step: 9,
        timestamp: 0,
        min: Some(min),
        max: Some(max),
        points: 10,
    }
}

fn runs(with_summaries: bool) -> Comparison {
    let a = run("a1", &hostile("run-a"), &hostile("param"));
    let b = run("b2", "run-b", "0.01");
    let metrics = |auc: f64, loss: f64| {
        if with_summaries {
            vec![summary("auc", auc, 0.5, auc), summary("val/loss", loss, loss, 1.0)]
        } else {
            Vec::new()
        }
    };
    Comparison {
        runs: vec![
            ComparedRun {
                run: a,
                experiment_name: hostile("experiment"),
                metrics: metrics(0.91, 0.3),
            },
            ComparedRun {
                run: b,
                experiment_name: "churn".into(),
                metrics: metrics(0.85, 0.2),
            },
        ],
        missing: vec!["gone-run".into()],
    }
}

fn series(run_id: &str, key: &str, points: usize) -> SampledSeries {
    SampledSeries {
        run_id: run_id.into(),
        key: key.into(),
        total_points: points,
        points: (0..points as i64)
            .map(|step| Point {
                step,
                timestamp: 1_700_000_000_000 + step * 1000,
                value: MetricValue(1.0 / (step as f64 + 1.0)),
            })
            .collect(),
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

fn table() -> CompareWindow {
    let side = |output: Cell, score: f64| {
        Some(CompareSide {
            row: 0,
            output,
            scores: vec![Cell::Number(MetricValue(score))],
        })
    };
    let compare_run = |id: &str, name: String, error: Option<ApiError>| CompareRun {
        run_id: id.into(),
        run_name: name,
        rows: Some(450),
        error,
        key_column: Some(0),
        output_column: Some(1),
        aggregates: vec![ScoreAggregate {
            column: "score".into(),
            count: 450,
            mean: Some(0.75),
            pass_rate: None,
        }],
    };
    CompareWindow {
        plan: JoinPlan {
            key_column: hostile("inputs"),
            output_column: "outputs".into(),
            score_columns: vec!["score".into()],
        },
        columns: vec!["inputs".into(), "outputs".into(), "score".into()],
        runs: vec![
            compare_run("a1", hostile("run-a"), None),
            compare_run("b2", "run-b".into(), Some(ApiError::invalid(hostile("broken table")))),
        ],
        total_rows: 450,
        differing_rows: 1,
        matching_rows: 450,
        offset: 0,
        rows: vec![
            CompareRow {
                index: 0,
                input: text(&hostile("cell-input")),
                sides: vec![side(text(&hostile("cell-output")), 0.5), None],
                differs: true,
            },
            CompareRow {
                index: 1,
                input: Cell::Cut {
                    preview: "a long question".into(),
                    chars: 30_000,
                    kind: runlens_core::tables::ColumnKind::Text,
                },
                sides: vec![side(text("same"), 1.0), side(text("same"), 1.0)],
                differs: false,
            },
        ],
    }
}

fn version(number: i64, stage: Stage, aliases: &[String]) -> VersionCard {
    VersionCard {
        version: ModelVersion {
            name: hostile("model"),
            version: number,
            creation_timestamp: Some(1_700_000_000_000),
            last_updated_timestamp: None,
            description: None,
            user_id: None,
            current_stage: stage,
            source: "models:/m-1".into(),
            run_id: Some("a1".into()),
            status: "READY".into(),
            status_message: None,
            run_link: None,
            tags: BTreeMap::new(),
            aliases: aliases.to_vec(),
        },
        run: Some(SourceRun {
            run: RunRef {
                run_id: "a1".into(),
                run_name: hostile("source-run"),
                status: Some(RunStatus::Finished),
                lifecycle_stage: Some(LifecycleStage::Active),
                missing: false,
            },
            experiment_id: Some("1".into()),
        }),
        metrics: vec![Metric {
            key: "auc".into(),
            value: MetricValue(0.9),
            timestamp: 0,
            step: 0,
        }],
    }
}

fn model() -> ModelDetail {
    let alias = hostile("alias");
    ModelDetail {
        model: RegisteredModel {
            name: hostile("model"),
            creation_timestamp: None,
            last_updated_timestamp: None,
            description: Some(hostile("description")),
            tags: BTreeMap::new(),
            aliases: BTreeMap::from([(alias.clone(), 2)]),
            latest_versions: Vec::new(),
        },
        versions: vec![
            version(3, Stage::Staging, &[]),
            version(2, Stage::Production, &[alias]),
            version(1, Stage::Archived, &[]),
        ],
        key_metrics: vec!["auc".into()],
        experiments: Vec::new(),
    }
}

fn review(items: Vec<ReviewItem>, decisions: Vec<Decision>) -> Review {
    Review {
        id: "r".into(),
        name: hostile("review"),
        store_uri: "/data/mlflow.db".into(),
        store_name: "data/mlflow.db".into(),
        created_ms: 1_700_000_000_000,
        updated_ms: 1_700_000_100_000,
        items,
        decisions,
    }
}

fn decision() -> Decision {
    Decision {
        at_ms: 1_700_000_300_000,
        model: hostile("model"),
        change: DecisionChange::AliasSet {
            alias: hostile("alias"),
            version: 3,
            previous: Some(2),
        },
    }
}

/// A review with every item kind and a decision, and an item whose data is gone.
fn full_report() -> String {
    let view = ChartView {
        x_axis: "step".into(),
        log_y: true,
        smoothing: 0.6,
    };
    let items = vec![
        ReviewItem::Comparison {
            run_ids: vec!["a1".into(), "b2".into(), "gone-run".into()],
        },
        ReviewItem::Charts {
            run_ids: vec!["a1".into(), "b2".into()],
            metrics: vec![hostile("metric"), "val/loss".into(), "never".into()],
            view,
        },
        ReviewItem::Table {
            experiment_id: "1".into(),
            run_ids: vec!["a1".into(), "b2".into()],
            table: "predictions.json".into(),
            key: None,
        },
        ReviewItem::StageBoard {
            model: hostile("model"),
            versions: vec![3, 9],
        },
        ReviewItem::Comparison {
            run_ids: vec!["deleted".into()],
        },
    ];
    let charts = ChartsData {
        runs: runs(false),
        series: vec![
            series("a1", &hostile("metric"), 40),
            series("b2", &hostile("metric"), 30),
            series("a1", "val/loss", 20),
        ],
    };
    let data = ReportData {
        items: vec![
            Ok(ItemContent::Comparison(runs(true))),
            Ok(ItemContent::Charts(charts)),
            Ok(ItemContent::Table(table())),
            Ok(ItemContent::StageBoard(model())),
            Err(ApiError::not_found(hostile("run deleted was deleted")).with_detail(hostile("detail"))),
        ],
    };
    let context = ReportContext {
        store_name: &hostile("store"),
        store_uri: &hostile("/data/mlflow.db"),
        generated_ms: 1_700_000_400_000,
    };
    render(&review(items, vec![decision()]), &data, &context)
}

/// The start tags of a page (`<` only ever starts markup: text has it escaped).
fn start_tags(html: &str) -> Vec<&str> {
    html.match_indices('<')
        .filter_map(|(at, _)| {
            let rest = &html[at + 1..];
            rest.chars()
                .next()
                .filter(char::is_ascii_alphabetic)
                .map(|_| &rest[..rest.find('>').unwrap_or(rest.len())])
        })
        .collect()
}

fn tag_name(tag: &str) -> &str {
    tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("")
}

/// A start tag's attributes as written here: `name="value"` (values never hold a raw `"`).
fn attributes(tag: &str) -> Vec<(&str, &str)> {
    let mut rest = tag[tag_name(tag).len()..].trim_start();
    let mut out = Vec::new();
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim();
        let value_and_more = &rest[eq + 2..];
        let end = value_and_more.find('"').expect("a closed attribute value");
        out.push((name, &value_and_more[..end]));
        rest = value_and_more[end + 1..].trim_start();
    }
    out
}

#[test]
fn every_value_is_escaped_text() {
    let page = full_report();
    for label in [
        "review",
        "store",
        "/data/mlflow.db",
        "run-a",
        "param",
        "tag",
        "experiment",
        "user",
        "metric",
        "inputs",
        "cell-input",
        "cell-output",
        "broken table",
        "model",
        "source-run",
        "alias",
        "run deleted was deleted",
        "detail",
    ] {
        assert!(
            page.contains(&escape(&hostile(label))),
            "{label} is not in the page as escaped text"
        );
    }
    // The one ampersand entity in a value is shown as written, not decoded.
    assert!(page.contains("&amp;amp;"));
    let tags = start_tags(&page);
    let names: std::collections::BTreeSet<&str> = tags.iter().map(|t| tag_name(t)).collect();
    for banned in [
        "script",
        "img",
        "link",
        "iframe",
        "object",
        "embed",
        "image",
        "foreignObject",
    ] {
        assert!(!names.contains(banned), "a <{banned}> is in the page: {names:?}");
    }
    for tag in &tags {
        for (name, value) in attributes(tag) {
            assert!(!name.starts_with("on"), "an event handler: <{tag}>");
            assert!(
                !["src", "srcset", "xlink:href", "action", "formaction"].contains(&name),
                "a source: <{tag}>"
            );
            if name == "href" {
                assert!(value.starts_with('#'), "a link out of the page: <{tag}>");
            }
        }
    }
    for external in ["@import", "url(", "http://", "https://", "xmlns"] {
        assert!(!page.contains(external), "{external} is in the page");
    }
}

#[test]
fn the_page_is_one_document_with_every_item_kind() {
    let page = full_report();
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'"));
    assert_eq!(page.matches("<style>").count(), 1);
    assert_eq!(page.matches("<section class=\"item\" id=\"item-").count(), 5);
    for badge in ["comparison", "charts", "table", "stage board"] {
        assert!(
            page.contains(&format!("<span class=\"badge\">{badge}</span>")),
            "{badge}"
        );
    }
    // Comparison: attributes, params that differ, the best run of each metric, user tags only.
    assert!(page.contains("<span class=\"status status-finished\">FINISHED</span>"));
    assert!(page.contains("3m 20s"));
    assert!(page.contains("2023-11-14 22:13 UTC"));
    assert!(page.contains("<tr class=\"differs\"><th>lr</th>"));
    assert!(page.contains("<tr><th>depth</th>"));
    assert!(page.contains("1 run is not in the store"));
    assert_eq!(
        page.matches("<td class=\"num best\">").count(),
        2,
        "auc of a1, val/loss of b2"
    );
    assert!(page.contains("↓ lower is better"));
    assert!(!page.contains("train.py"), "system tags are left out");
    // Charts: one inline SVG per metric some run logged, a legend, a note for the other.
    assert_eq!(page.matches("<svg class=\"chart-svg\"").count(), 2);
    assert!(page.contains("<ul class=\"legend\">"));
    assert!(page.contains("None of these runs logged never."));
    assert!(page.contains("x axis: step · log y · smoothing 0.6"));
    // Table: rows, a missing side, scores, a cut cell and how many rows were left out.
    assert!(page.contains("no such row"));
    assert!(page.contains("mean 0.75 (450 rows)"));
    assert!(page.contains("(30000 characters in all)"));
    assert!(page.contains("The first 2 rows are shown; 448 rows are left out."));
    // Stage board: lanes, the discussed version, the one no longer there.
    assert_eq!(page.matches("<div class=\"lane ").count(), 4);
    assert_eq!(page.matches("<div class=\"card discussed\">").count(), 1);
    assert!(page.contains("Version 9 is not in the registry any more."));
    // The item whose data is gone says so.
    assert!(page.contains("This item's data could not be read."));
    // Decisions.
    assert!(page.contains(&escape(&decision().summary())));
    assert!(page.contains("<time datetime=\"2023-11-14T22:18:20Z\">2023-11-14 22:18:20 UTC</time>"));
}

#[test]
fn a_review_without_decisions_says_so() {
    let page = render(
        &review(Vec::new(), Vec::new()),
        &ReportData::default(),
        &ReportContext {
            store_name: "s",
            store_uri: "/s",
            generated_ms: 0,
        },
    );
    assert!(page.contains("No decisions were recorded."));
    assert!(page.contains("0 items and 0 decisions"));
}

#[test]
fn an_item_without_data_is_a_note_not_a_failure() {
    let items = vec![ReviewItem::StageBoard {
        model: "m".into(),
        versions: Vec::new(),
    }];
    let page = render(
        &review(items, Vec::new()),
        &ReportData::default(),
        &ReportContext {
            store_name: "s",
            store_uri: "/s",
            generated_ms: 0,
        },
    );
    assert!(page.contains("data could not be read."));
    assert!(page.contains("this item was not read"));
}
