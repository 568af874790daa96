//! A review's HTML report on a store written by real MLflow (the registry fixture with the review
//! data of `fixtures/add_review_data.py`, plus a run full of markup): every item kind and the
//! decisions are in it, nothing in it runs or loads, every chart is an inline SVG, hostile names
//! are text — checked with an HTML parser, then rendered by headless Chromium for a screenshot
//! (`<target>/e2e-screenshots/review-report*.png`).

use dom_query::Document;
use runlens_core::request::{CreateRun, LogBatch, UpdateRun};
use runlens_core::review::{ChartView, Decision, DecisionChange, Review, ReviewItem};
use runlens_core::{Metric, MetricValue, RunStatus, Stage};
use runlens_report::{gather, render, ItemContent, ReportContext};
use runlens_tests::app::screenshot_dir;
use runlens_tests::registry::registry_store;
use runlens_tracking::{ConnectOptions, Table, Tracking};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TMP: &str = env!("CARGO_TARGET_TMPDIR");
const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";
const T0: i64 = 1_700_000_000_000;

fn hostile(label: &str) -> String {
    format!("{label} {SCRIPT} {IMG} &amp;")
}

/// A run in `experiment_id` whose name, param, tag and table cells carry markup, with a
/// `val/loss` history and the review table.
async fn add_hostile_run(tracking: &Tracking, experiment_id: &str, table: &str) -> String {
    let run = tracking
        .create_run(&CreateRun {
            experiment_id: experiment_id.into(),
            run_name: Some(hostile("run")),
            start_time: Some(T0 + 500_000),
            user_id: Some("mallory".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let id = run.run_id;
    let metrics = (0..60)
        .map(|step| Metric {
            key: "val/loss".into(),
            value: MetricValue(0.9 * (-0.05 * step as f64).exp() + 0.2),
            timestamp: T0 + 500_000 + step * 1000,
            step,
        })
        .collect();
    let batch = LogBatch {
        metrics,
        params: vec![("num_leaves".into(), hostile("param"))],
        tags: vec![("reviewer-note".into(), hostile("tag"))],
    };
    tracking.log_batch(&id, &batch).await.unwrap();
    let rows = vec![
        vec![json!(hostile("question")), json!(hostile("prediction")), json!(0.5)],
        vec![
            json!("Will customer c-000 (tenure 3 months) leave within 30 days?"),
            json!("stays"),
            json!(0.9),
        ],
    ];
    let cells = Table {
        columns: vec!["question".into(), "prediction".into(), "score".into()],
        data: rows,
    };
    tracking.log_table(&id, table, &cells).await.unwrap();
    let finished = UpdateRun {
        status: Some(RunStatus::Finished),
        end_time: Some(T0 + 620_000),
        ..Default::default()
    };
    tracking.update_run(&id, &finished).await.unwrap();
    id
}

fn decisions(churn_model: &str, hostile_model: &str) -> Vec<Decision> {
    vec![
        Decision {
            at_ms: T0 + 3_600_000,
            model: churn_model.into(),
            change: DecisionChange::StageMove {
                version: 3,
                from: Stage::Staging,
                to: Stage::Production,
                archived: vec![2],
            },
        },
        Decision {
            at_ms: T0 + 3_660_000,
            model: churn_model.into(),
            change: DecisionChange::AliasSet {
                alias: "champion".into(),
                version: 3,
                previous: Some(2),
            },
        },
        Decision {
            at_ms: T0 + 3_720_000,
            model: hostile_model.into(),
            change: DecisionChange::AliasRemoved {
                alias: hostile("alias"),
                version: 1,
            },
        },
    ]
}

/// `chromium` or `chromium-browser` on the PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Headless Chromium's screenshot of a local page, with the network closed to it (any request
/// for anything outside the file would fail) and a private profile.
fn screenshot(browser: &Path, page: &Path, png: &Path, height: u32, profile: &Path) {
    let _ = std::fs::remove_file(png);
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size=1280,{height}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            if let Some(mut err) = child.stderr.take() {
                use std::io::Read;
                let _ = err.read_to_string(&mut stderr);
            }
            assert!(status.success(), "chromium failed ({status}): {stderr}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took over 90 s to screenshot {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The screenshot is a real picture of the page: the asked size, and more than a blank page.
fn check_picture(png: &Path, height: u32) {
    let bytes = std::fs::read(png).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", png.display()));
    assert!(bytes.len() > 30_000, "{} is only {} bytes", png.display(), bytes.len());
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1280, height));
    let channels = info.color_type.samples();
    let colours: std::collections::HashSet<&[u8]> = pixels[..info.buffer_size()].chunks(channels).step_by(7).collect();
    assert!(colours.len() > 200, "the screenshot has only {} colours", colours.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_report_is_one_safe_page_with_every_item_and_the_decisions() {
    let store = registry_store(TMP).fresh_copy();
    let cwd = store.dir.parent().unwrap().to_path_buf();
    let out = runlens_tests::run_script("add_review_data.py", &cwd, &[store.dir.as_os_str()])
        .unwrap_or_else(|e| panic!("{e}"));
    let table = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let tracking = Tracking::open(&store.uri(), &ConnectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("Runlens cannot open {}: {e:?}", store.uri()));
    let churn = store.experiment("churn").to_string();
    let hostile_run = add_hostile_run(&tracking, &churn, &table).await;
    let runs: Vec<String> = ["xgb_tuned", "lgbm_v1", "lgbm_v2"]
        .iter()
        .map(|r| store.run(r).to_string())
        .chain([hostile_run.clone()])
        .collect();
    let churn_model = store.model("churn").to_string();
    let hostile_model = store.model("hostile").to_string();
    let metrics = ["val/loss", "val/auc", "train/loss"].map(String::from).to_vec();
    let review = Review {
        id: "review-report-test".into(),
        name: hostile("Q3 churn review"),
        store_uri: store.uri(),
        store_name: "registry fixture".into(),
        created_ms: T0,
        updated_ms: T0 + 3_720_000,
        items: vec![
            ReviewItem::Comparison { run_ids: runs.clone() },
            ReviewItem::Charts {
                run_ids: runs.clone(),
                metrics: metrics.clone(),
                view: ChartView {
                    x_axis: "step".into(),
                    log_y: false,
                    smoothing: 0.3,
                },
            },
            ReviewItem::Table {
                experiment_id: churn.clone(),
                run_ids: runs.clone(),
                table: table.clone(),
                key: None,
            },
            ReviewItem::StageBoard {
                model: churn_model.clone(),
                versions: vec![3, 4],
            },
            ReviewItem::StageBoard {
                model: hostile_model.clone(),
                versions: vec![1],
            },
            ReviewItem::Comparison {
                run_ids: vec!["0".repeat(32)],
            },
            ReviewItem::Table {
                experiment_id: churn.clone(),
                run_ids: runs[..1].to_vec(),
                table: "eval/deleted.json".into(),
                key: None,
            },
        ],
        decisions: decisions(&churn_model, &hostile_model),
    };

    let data = gather(&tracking, &review).await;
    for (index, item) in data.items.iter().take(5).enumerate() {
        assert!(item.is_ok(), "item {} was not read: {item:?}", index + 1);
    }
    let Ok(ItemContent::Charts(charts)) = &data.items[1] else {
        panic!("{:?}", data.items[1])
    };
    assert_eq!(
        charts.series_of("val/loss").count(),
        4,
        "three fixture runs and the hostile one"
    );
    assert!(data.items[6].is_err(), "the deleted table: {:?}", data.items[6]);
    let context = ReportContext {
        store_name: &review.store_name,
        store_uri: &review.store_uri,
        generated_ms: T0 + 4_000_000,
    };
    let html = render(&review, &data, &context);
    let dir = screenshot_dir(TMP);
    let page = dir.join("review-report.html");
    std::fs::write(&page, &html).unwrap();

    // Nothing runs, nothing loads.
    let doc = Document::from(html.as_str());
    for banned in [
        "script",
        "link",
        "img",
        "iframe",
        "object",
        "embed",
        "image",
        "foreignObject",
        "base",
    ] {
        assert_eq!(doc.select(banned).length(), 0, "a <{banned}> is in the report");
    }
    for element in doc.select("*").nodes() {
        for attribute in element.attrs() {
            let (name, value) = (attribute.name.local.to_string(), attribute.value.to_string());
            assert!(!name.starts_with("on"), "an event handler {name}={value:?}");
            assert!(
                !["src", "srcset", "action", "formaction", "xlink:href"].contains(&name.as_str()),
                "{name}={value:?}"
            );
            if name == "href" {
                assert!(value.starts_with('#'), "a link out of the report: {value}");
            }
            assert!(
                !value.contains("http://") && !value.contains("https://"),
                "{name}={value:?}"
            );
        }
    }
    let style = doc.select("style").text().to_string();
    assert!(
        !style.contains("url(") && !style.contains("@import"),
        "the style loads something"
    );
    assert_eq!(doc.select("style").length(), 1);

    // Every chart is an inline SVG drawn by runlens-charts, one per metric, with lines.
    let figures = doc.select("#item-2 figure.chart");
    assert_eq!(figures.length(), metrics.len());
    for figure in figures.iter() {
        assert_eq!(figure.select("svg").length(), 1, "{}", figure.html());
        assert!(figure.select("svg polyline").length() > 0, "a chart without lines");
    }
    assert_eq!(doc.select("#item-2 .legend li").length(), 4);

    // Hostile strings are text, exactly as stored.
    assert_eq!(doc.select("h1").text().to_string(), review.name);
    let text_of = |selector: &str| doc.select(selector).text().to_string();
    assert!(text_of("#item-1 thead").contains(&hostile("run")));
    assert!(text_of("#item-1").contains(&hostile("param")));
    assert!(text_of("#item-1").contains(&hostile("tag")));
    assert!(text_of("#item-2 .legend").contains(&hostile("run")));
    assert!(text_of("#item-3 tbody").contains(&hostile("question")));
    assert!(text_of("#item-3 tbody").contains(&hostile("prediction")));
    assert!(text_of("#item-5").contains(&hostile_model));
    assert!(text_of("#decisions").contains(&hostile("alias")));

    // What each item shows.
    assert!(text_of("#item-1").contains("FINISHED"));
    assert!(doc.select("#item-1 td.best").length() > 0, "no best run marked");
    assert!(
        doc.select("#item-1 tr.differs").length() > 0,
        "no differing param highlighted"
    );
    assert!(text_of("#item-3 .meta").contains("Joined on question"));
    assert_eq!(doc.select("#item-4 .card").length(), 4);
    assert_eq!(doc.select("#item-4 .card.discussed").length(), 2);
    assert!(text_of("#item-4 .lane-production").contains("@champion"));
    assert!(text_of("#item-6").contains("not in the store"));
    assert!(text_of("#item-7 .note").contains("could not be read"));
    let decided = text_of("#decisions");
    for decision in &review.decisions {
        assert!(decided.contains(&decision.summary()), "{decided}");
    }
    assert!(decided.contains("churn-model version 3: Staging → Production (archived 2)"));
    assert!(decided.contains("2023-11-14 23:13:20 UTC"));

    // Rendered by a browser.
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is missing: `cargo xtask setup --for-tests` installs it"
        );
        eprintln!(
            "SKIPPED the screenshot of {}: chromium is not installed (`cargo xtask setup --for-tests`)",
            page.display()
        );
        return;
    };
    let profile = cwd.join("chromium-profile");
    let top = dir.join("review-report.png");
    screenshot(&browser, &page, &top, 2400, &profile);
    check_picture(&top, 2400);
    let whole = dir.join("review-report-full.png");
    screenshot(&browser, &page, &whole, 7600, &profile);
    check_picture(&whole, 7600);
}
