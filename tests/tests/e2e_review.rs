//! End-to-end test of reviews (issue #10) on the registry fixture with metric histories and a
//! logged table added (`fixtures/add_review_data.py`): build a review with "Add to review" from
//! the compare view, its Charts tab, the table across runs, the model's stage board and a version
//! page; edit it (remove, reorder); present it — every slide by keyboard, a stage move confirmed
//! on the board slide, checked with MLflow's own client, and listed on the decisions slide; Esc
//! leaves; the report exported as one HTML file holds the decision and renders (Chromium
//! screenshot). The reviews list: a new review, renamed and deleted. Screenshots go to
//! `<target>/e2e-screenshots/review-*.png`.

use fantoccini::key::Key;
use runlens_tests::app::{screenshot_dir, App, Launch};
use runlens_tests::registry::{model_state, registry_store};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const TMP: &str = env!("CARGO_TARGET_TMPDIR");
/// A name with markup: it must show (and export) as text.
const NAME: &str = "Quarterly model review <b>Q4</b>";
const DECISION: &str = "churn-model version 3: Staging → Production (archived 2)";
const ALIAS_DECISION: &str = "churn-model: alias @champion moved from version 2 to 3";

fn empty_dir(label: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(TMP)
        .join("e2e-review")
        .join(format!("{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn key(k: Key) -> String {
    char::from(k).to_string()
}

/// Clicks in the page. A slide is zoomed (CSS `zoom`), and WebKit then reports element rects
/// unzoomed, so WebKitWebDriver's own click misses elements on it (tauri-leptos-pitfalls #10).
async fn js_click(app: &App, css: &str) {
    app.wait_for(css).await;
    app.eval(&format!("document.querySelector({css:?}).click();")).await;
}

async fn wait_count(app: &App, css: &str, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = app.count(css).await;
        if n == expected {
            return;
        }
        assert!(Instant::now() < deadline, "{css} matched {n}, expected {expected}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The version numbers shown in a board column.
async fn column(app: &App, stage: &str) -> Vec<i64> {
    let script = format!(
        "return Array.from(document.querySelectorAll(\".stage-column[data-stage='{stage}'] .version-card\")).map(c => Number(c.dataset.version));"
    );
    app.eval(&script)
        .await
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_i64()).collect())
        .unwrap_or_default()
}

async fn wait_for_column(app: &App, stage: &str, expected: &[i64]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let shown = column(app, stage).await;
        if shown == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "column {stage} shows {shown:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The slide on screen: its number (from 1) and kind.
async fn slide(app: &App) -> (usize, String) {
    let v = app
        .eval("const s = document.getElementById('slide'); return s ? [Number(s.dataset.index), s.dataset.kind] : [0, ''];")
        .await;
    (
        v[0].as_u64().unwrap_or(0) as usize,
        v[1].as_str().unwrap_or_default().to_string(),
    )
}

async fn wait_slide(app: &App, number: usize, kind: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = slide(app).await;
        if now == (number, kind.to_string()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "slide {now:?} is shown, expected {number} ({kind})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks "Add to review" in `wrapper` and then the review `review_id` (or, with `None`, creates
/// a review named [`NAME`]); waits for the confirmation and returns its text.
async fn add_to_review(app: &App, wrapper: &str, review_id: Option<&str>) -> String {
    app.click(&format!("{wrapper} button.add-to-review:not(:disabled)"))
        .await;
    app.wait_for(&format!("{wrapper} .review-popover")).await;
    match review_id {
        Some(id) => {
            app.click(&format!("{wrapper} .review-choice[data-review-id='{id}']"))
                .await
        }
        None => {
            app.wait_for(&format!("{wrapper} .no-reviews")).await;
            app.type_into(&format!("{wrapper} .new-review-name"), NAME).await;
            app.screenshot("review-add-popover").await;
            app.click(&format!("{wrapper} .new-review-create")).await;
        }
    }
    app.wait_for_text(&format!("{wrapper} .review-added"), "Added to ")
        .await
}

#[tokio::test(flavor = "current_thread")]
async fn build_present_decide_and_export_a_review() {
    let store = registry_store(TMP).fresh_copy();
    let cwd = store.dir.parent().unwrap().to_path_buf();
    let out = runlens_tests::run_script("add_review_data.py", &cwd, &[store.dir.as_os_str()])
        .unwrap_or_else(|e| panic!("{e}"));
    let table = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let churn_model = store.model("churn").to_string();
    let runs = [store.run("xgb_tuned"), store.run("lgbm_v1"), store.run("lgbm_v2")];
    let app = App::launch(
        TMP,
        Launch {
            args: vec![store.db().display().to_string()],
            cwd: Some(empty_dir("review")),
            ..Default::default()
        },
    )
    .await;
    app.wait_for("#sidebar #nav-reviews").await;

    // No review yet.
    app.click("#nav-reviews").await;
    app.wait_for("#no-reviews").await;

    // Three runs → Compare → Add to review → a new review.
    app.click(&format!(
        "#sidebar .experiment[data-experiment-id='{}']",
        store.experiment("churn")
    ))
    .await;
    app.wait_for("#runs-table tr.run-row").await;
    for id in runs {
        app.click(&format!("tr.run-row[data-run-id='{id}'] input.row-select"))
            .await;
    }
    app.wait_for_text("#selected-count", "3 selected").await;
    app.click("#bulk-compare").await;
    wait_count(&app, "#compare-runs .run-chip", 3).await;
    let added = add_to_review(&app, "#add-comparison-to-review", None).await;
    assert!(added.contains(NAME), "the name shows as text: {added:?}");
    assert_eq!(
        app.count("#add-comparison-to-review .review-added b").await,
        0,
        "markup in a name is never rendered"
    );
    app.screenshot("review-added").await;
    let href = app
        .eval("return document.querySelector('#add-comparison-to-review .review-added a').getAttribute('href')")
        .await;
    let review_id = href
        .as_str()
        .and_then(|h| h.strip_prefix("/reviews/"))
        .expect("the confirmation links to the review")
        .to_string();

    // The Charts tab: the metrics the search leaves, drawn with smoothing, into the same review.
    app.wait_for("#chart-search").await;
    app.set_value("#chart-search", "/loss").await;
    app.wait_for_text(".chart-count", "2 of 6 charts").await;
    app.set_value("#smoothing", "0.6").await;
    app.wait_for_text(".smoothing-value", "0.60").await;
    add_to_review(&app, "#add-charts-to-review", Some(&review_id)).await;
    // The same item again is not added twice.
    app.click("#add-charts-to-review button.add-to-review").await;
    app.click(&format!(
        "#add-charts-to-review .review-choice[data-review-id='{review_id}']"
    ))
    .await;
    app.wait_for_text("#add-charts-to-review .review-added", "Already in ")
        .await;

    // The table across runs.
    app.click(&format!(
        "#sidebar .experiment[data-experiment-id='{}']",
        store.experiment("churn")
    ))
    .await;
    app.wait_for("#runs-table tr.run-row").await;
    for id in runs {
        app.click(&format!("tr.run-row[data-run-id='{id}'] input.row-select"))
            .await;
    }
    app.wait_for_text("#selected-count", "3 selected").await;
    app.click("#bulk-compare-tables").await;
    app.wait_for("#compare-grid tr.compare-row[data-index='0']").await;
    add_to_review(&app, "#add-table-to-review", Some(&review_id)).await;

    // The model's stage board, and version 3's page (the board with v3 under discussion).
    app.click("#nav-models").await;
    app.wait_for("#models-table").await;
    app.click(&format!("tr.model-row[data-model='{churn_model}'] a.model-link"))
        .await;
    app.click("#tab-board").await;
    app.wait_for("#stage-board .version-card").await;
    add_to_review(&app, "#add-model-to-review", Some(&review_id)).await;
    app.click(".version-card[data-version='3'] a.version-link").await;
    app.wait_for("#version-title").await;
    add_to_review(&app, "#add-version-to-review", Some(&review_id)).await;

    // The reviews list, then the review: five items in the order added.
    app.click("#nav-reviews").await;
    app.wait_for("#reviews-table tr.review-row").await;
    assert_eq!(app.count("#reviews-table tr.review-row").await, 1);
    let row = format!("tr.review-row[data-review-id='{review_id}']");
    assert!(app.text(&row).await.contains(NAME));
    assert_eq!(app.text(&format!("{row} .items-cell")).await.trim(), "5");
    assert_eq!(app.text(&format!("{row} .decisions-cell")).await.trim(), "0");
    app.screenshot("review-list").await;
    app.click(&format!("tr.review-row[data-review-id='{review_id}'] a.review-link"))
        .await;
    wait_count(&app, "#review-items li.review-item", 5).await;
    assert_eq!(app.text("#review-name").await.trim(), NAME);
    let kinds = || async {
        app.eval(
            "return Array.from(document.querySelectorAll('#review-items li.review-item')).map(l => l.dataset.kind);",
        )
        .await
    };
    assert_eq!(
        kinds().await,
        json!(["comparison", "charts", "table", "stage board", "stage board"])
    );
    let charts = app.text("li.review-item[data-index='1']").await;
    assert!(
        charts.contains("2 charts across 3 runs") && charts.contains("train/loss") && charts.contains("smoothing 0.60"),
        "{charts}"
    );
    // Remove the whole-model board (confirmed), move the v3 board before the table.
    app.click("li.review-item[data-index='3'] .item-remove").await;
    app.wait_for("#confirm-dialog").await;
    app.click("#confirm-ok").await;
    wait_count(&app, "#review-items li.review-item", 4).await;
    app.click("li.review-item[data-index='3'] .item-up").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while kinds().await != json!(["comparison", "charts", "stage board", "table"]) {
        assert!(Instant::now() < deadline, "the board never moved up: {}", kinds().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let board_item = app.text("li.review-item[data-index='2']").await;
    assert!(board_item.contains("version 3 under discussion"), "{board_item}");
    app.wait_for("#no-decisions").await;
    app.screenshot("review-editor").await;

    // Present: the chrome goes, a title slide first.
    app.click("#present-review").await;
    app.wait_for(".workspace.presenting").await;
    app.wait_for("#presentation[data-fullscreen='on']").await;
    wait_slide(&app, 1, "title").await;
    let hidden = app
        .eval("return ['.topbar', '#sidebar', '#statusbar'].every(s => getComputedStyle(document.querySelector(s)).display === 'none');")
        .await;
    assert_eq!(hidden, json!(true), "the app's chrome is hidden while presenting");
    app.wait_for_text("#slide-position", "Slide 1 of 6").await;
    let title = app.text("#title-slide").await;
    assert!(
        title.contains(NAME) && title.contains("Table predictions.json across 3 runs"),
        "{title}"
    );
    app.screenshot("review-slide-1").await;

    // → the comparison.
    app.press(&key(Key::Right)).await;
    wait_slide(&app, 2, "comparison").await;
    app.wait_for("#slide #compare-metrics-table").await;
    app.wait_for_text("#slide-title", "Comparison of 3 runs").await;
    app.screenshot("review-slide-2").await;

    // PageDown: the charts, drawn as they were added.
    app.press(&key(Key::PageDown)).await;
    wait_slide(&app, 3, "charts").await;
    wait_count(&app, "#slide .chart-card", 2).await;
    app.wait_for("#slide .chart-card canvas[data-drawn='true']").await;
    app.wait_for_text("#slide .smoothing-value", "0.60").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.screenshot("review-slide-3").await;

    // The "Next" button: the stage board, live, with version 3 under discussion.
    app.click("#slide-next").await;
    wait_slide(&app, 4, "stage board").await;
    app.wait_for("#slide .version-card.highlighted[data-version='3']").await;
    wait_for_column(&app, "Staging", &[3]).await;
    app.screenshot("review-slide-4").await;
    // Move version 3 to Production, archiving version 2, with the usual confirmation.
    js_click(&app, ".version-card[data-version='3'] .move-menu-button").await;
    js_click(
        &app,
        ".version-card[data-version='3'] .move-target[data-target='Production']",
    )
    .await;
    app.wait_for("#transition-dialog").await;
    js_click(&app, "#transition-archive").await;
    app.wait_for_text(
        "#transition-summary",
        "also moves version 2 from Production to Archived",
    )
    .await;
    app.screenshot("review-slide-4-confirm").await;
    js_click(&app, "#transition-confirm").await;
    app.wait_for_text("#registry-notice", "Version 3 is now in Production.")
        .await;
    wait_for_column(&app, "Production", &[3]).await;
    app.screenshot("review-slide-4-moved").await;
    // MLflow's own client sees the move.
    let deadline = Instant::now() + Duration::from_secs(20);
    let expected: BTreeMap<i64, String> = [(1, "Archived"), (2, "Archived"), (3, "Production"), (4, "None")]
        .into_iter()
        .map(|(v, s)| (v, s.to_string()))
        .collect();
    loop {
        let stages = model_state(&store.uri(), &churn_model).stages();
        if stages == expected {
            break;
        }
        assert!(Instant::now() < deadline, "MLflow reads {stages:?}");
        std::thread::sleep(Duration::from_millis(300));
    }

    // An alias moved in the meeting is a decision too.
    app.set_value("#alias-name", "champion").await;
    app.set_value("#alias-version", "3").await;
    app.wait_for_text("#alias-plan", "champion").await;
    js_click(&app, "#alias-save").await;
    app.wait_for_text("#confirm-title", "Move alias").await;
    app.click("#confirm-ok").await;
    app.wait_for_text("#registry-notice", "Done:").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while model_state(&store.uri(), &churn_model).aliases.get("champion") != Some(&3) {
        assert!(Instant::now() < deadline, "MLflow never saw @champion on version 3");
        std::thread::sleep(Duration::from_millis(300));
    }

    // Space: the joined table.
    app.eval("document.activeElement && document.activeElement.blur()")
        .await;
    app.press(" ").await;
    wait_slide(&app, 5, "table").await;
    app.wait_for("#slide tr.compare-row[data-index='0']").await;
    let source = app.text("#slide-title").await;
    assert!(source.contains("Table predictions.json"), "{source}");
    app.screenshot("review-slide-5").await;

    // End: the decisions, with the move just made.
    app.press(&key(Key::End)).await;
    wait_slide(&app, 6, "decisions").await;
    app.wait_for_text("#decisions-slide", DECISION).await;
    app.wait_for_text("#decisions-slide", ALIAS_DECISION).await;
    assert_eq!(app.count("#decisions-slide li.decision").await, 2);
    app.screenshot("review-slide-6").await;

    // ← and Home walk back; Esc leaves, back to the review, out of presentation mode.
    app.press(&key(Key::Left)).await;
    wait_slide(&app, 5, "table").await;
    app.press(&key(Key::Home)).await;
    wait_slide(&app, 1, "title").await;
    app.press(&key(Key::Escape)).await;
    app.wait_for("#review-page #review-items").await;
    assert_eq!(app.count(".workspace.presenting").await, 0);
    app.wait_for_text("#review-decisions", DECISION).await;
    app.wait_for_text("#review-decisions", ALIAS_DECISION).await;
    app.screenshot("review-editor-decisions").await;

    // The report: one self-contained file with the decision, the name as text, no script.
    let html = app
        .invoke("review_report_html", json!({ "review_id": review_id }))
        .await
        .as_str()
        .expect("the report is text")
        .to_string();
    let dir = screenshot_dir(TMP);
    let report = dir.join("review-report-e2e.html");
    std::fs::write(&report, &html).unwrap();
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "the report holds no script"
    );
    assert!(
        html.contains(DECISION) && html.contains(ALIAS_DECISION),
        "the report lists the decisions"
    );
    assert!(
        html.contains("Quarterly model review &lt;b&gt;Q4&lt;/b&gt;") && !html.contains("<b>Q4</b>"),
        "the name is escaped in the report"
    );
    assert!(
        html.contains("Table predictions.json across 3 runs") && html.contains("Will customer c-000"),
        "the report holds the joined table of {table}"
    );
    let png = dir.join("review-report-e2e.png");
    let _ = std::fs::remove_file(&png);
    let status = std::process::Command::new("timeout")
        .args([
            "90",
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg("--window-size=1280,2400")
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", report.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("chromium is missing");
    assert!(status.success(), "chromium failed: {status}");
    let bytes = std::fs::read(&png).expect("chromium wrote no screenshot");
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "the report's screenshot is a PNG"
    );

    // Clearing the decisions asks first and leaves the store alone.
    app.click("#clear-decisions").await;
    app.wait_for("#confirm-dialog").await;
    app.click("#confirm-ok").await;
    app.wait_for("#no-decisions").await;

    // The list: a second review, renamed, then deleted (confirmed).
    app.click("#nav-reviews").await;
    app.wait_for("#reviews-table").await;
    app.type_into("#new-review-name", "Scratch review").await;
    app.click("#new-review").await;
    app.wait_for_text("#review-name", "Scratch review").await;
    app.wait_for("#no-items").await;
    assert!(
        app.eval("return document.getElementById('present-review').disabled")
            .await
            == json!(true),
        "an empty review has nothing to present"
    );
    // A run's page adds that run to a review as well.
    let scratch_id = app
        .eval("return decodeURIComponent(location.pathname.split('/').pop())")
        .await
        .as_str()
        .expect("the review's id in the address")
        .to_string();
    app.click(&format!(
        "#sidebar .experiment[data-experiment-id='{}']",
        store.experiment("churn")
    ))
    .await;
    app.click(&format!("tr.run-row[data-run-id='{}'] a.run-name", runs[0]))
        .await;
    app.wait_for("#run-name").await;
    add_to_review(&app, "#add-run-to-review", Some(&scratch_id)).await;
    app.click("#nav-reviews").await;
    wait_count(&app, "#reviews-table tr.review-row", 2).await;
    let scratch_row = app.text(&format!("tr.review-row[data-review-id='{scratch_id}']")).await;
    assert!(scratch_row.contains("Scratch review"), "{scratch_row}");
    let scratch = "#reviews-table tr.review-row:not([data-review-id='".to_string() + &review_id + "'])";
    app.click(&format!("{scratch} .rename-review")).await;
    app.wait_for(&format!("{scratch} .rename-input")).await;
    app.set_value(&format!("{scratch} .rename-input"), "Renamed review")
        .await;
    app.click(&format!("{scratch} .rename-save")).await;
    app.wait_for_text(&format!("{scratch} .review-link"), "Renamed review")
        .await;
    app.click(&format!("{scratch} .delete-review")).await;
    app.wait_for_text("#confirm-title", "Renamed review").await;
    app.click("#confirm-ok").await;
    wait_count(&app, "#reviews-table tr.review-row", 1).await;
    app.screenshot("review-list-after").await;
    app.close().await;
}
