//! End-to-end tests of the browse screens (issue #5) on stores written by real MLflow: walk
//! project → experiment → run, open every artifact preview, edit and check with MLflow's own
//! client what the store holds, hostile strings, and 10,000 runs. Screenshots go to
//! `<target>/e2e-screenshots/`; measured figures to `<target>/e2e-screenshots/figures.txt`.

use runlens_core::{LifecycleStage, RunStatus};
use runlens_tests::app::{record_figure, App, Launch};
use runlens_tests::browse::{browse_store, scroll_store, BrowseStore};
use std::time::{Duration, Instant};

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

fn empty_dir(label: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(TMP)
        .join("e2e-browse")
        .join(format!("{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Opens the app on a private copy of the browse fixture.
async fn open_copy(label: &str) -> (App, BrowseStore) {
    let store = browse_store(TMP).fresh_copy();
    let app = App::launch(
        TMP,
        Launch {
            args: vec![store.db().display().to_string()],
            cwd: Some(empty_dir(label)),
            ..Default::default()
        },
    )
    .await;
    app.wait_for("#sidebar .experiment").await;
    (app, store)
}

async fn open_experiment(app: &App, experiment_id: &str) {
    app.click(&format!("#sidebar .experiment[data-experiment-id='{experiment_id}']"))
        .await;
    app.wait_for("#runs-table tr.run-row").await;
}

async fn open_run(app: &App, experiment_id: &str, run_id: &str) {
    open_experiment(app, experiment_id).await;
    app.click(&format!("#runs-table tr.run-row[data-run-id='{run_id}'] a.run-name"))
        .await;
    app.wait_for("#run-detail #run-name").await;
}

/// Waits until MLflow's view of something satisfies `check` (writes are read back through a
/// second process, so give the store a moment).
fn eventually<T: std::fmt::Debug>(what: &str, mut read: impl FnMut() -> T, check: impl Fn(&T) -> bool) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = read();
        if check(&value) {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "MLflow never saw: {what}; last read: {value:#?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn walks_project_experiment_run_tree_and_every_preview_kind() {
    let (app, store) = open_copy("walk").await;

    // Projects from both tag conventions, each listing its experiments.
    for (project, experiments) in &store.projects {
        let shown = app
            .all_texts(&format!("#sidebar .project[data-project='{project}'] .experiment"))
            .await;
        for logical in experiments {
            let name = store.experiment_name(logical);
            assert!(shown.iter().any(|s| s == name), "{project} lists {name}: {shown:?}");
        }
    }

    // The sweep: a tree three levels deep, collapsed and expanded as a whole.
    let sweep = store.experiment("sweep");
    open_experiment(&app, sweep).await;
    app.wait_for(&format!(
        "tr.run-row[data-run-id='{}'][data-depth='2']",
        store.run("grandchild")
    ))
    .await;
    app.click("#collapse-all").await;
    app.wait_gone("tr.run-row[data-depth='1']").await;
    app.click("#expand-all").await;
    app.wait_for("tr.run-row[data-depth='2']").await;
    app.screenshot("browse-sweep-tree").await;

    // A metric column from the picker, sorted by the store.
    app.click("#column-picker").await;
    app.type_into("#column-search", "val/loss").await;
    app.click(".column-option[data-column='metrics.val/loss'] input").await;
    app.click("#column-picker").await;
    app.click("button.sort[data-sort-key='metrics.`val/loss`']").await;
    app.wait_for("th[aria-sort='ascending'] button[data-sort-key='metrics.`val/loss`']")
        .await;
    app.screenshot("browse-metric-column-sorted").await;

    // The sidebar's search narrows the experiments by name.
    app.type_into("#experiment-search", "forecast").await;
    app.wait_gone(&format!("#sidebar .experiment[data-experiment-id='{sweep}']"))
        .await;
    assert_eq!(
        app.all_texts("#sidebar .experiment").await,
        vec![store.experiment_name("forecast").to_string()]
    );
    app.eval(
        "const s = document.getElementById('experiment-search'); s.value = ''; s.dispatchEvent(new Event('input'));",
    )
    .await;
    app.wait_for(&format!("#sidebar .experiment[data-experiment-id='{sweep}']"))
        .await;

    // A child run: its parent and its own child are links.
    app.click(&format!(
        "tr.run-row[data-run-id='{}'] a.run-name",
        store.run("child_1")
    ))
    .await;
    app.wait_for_text("#run-name", store.run_name("child_1")).await;
    app.wait_for_text("#parent-link", store.run_name("parent")).await;
    let children = app.all_texts(".child-link").await;
    assert!(
        children.iter().any(|c| c.contains(store.run_name("grandchild"))),
        "{children:?}"
    );
    app.wait_for("#metrics-table").await;
    app.screenshot("browse-run-detail").await;

    // A metric opens its chart, drawn on a canvas from the sampled history.
    app.click("#metrics-table .metric-link").await;
    app.wait_for("#metric-chart[data-drawn='true']").await;
    let points: usize = app
        .eval("return Number(document.getElementById('metric-chart').dataset.points)")
        .await
        .as_u64()
        .unwrap_or(0) as usize;
    assert_eq!(points, store.sweep_steps, "every step of the curve is drawn");
    app.click("#y-log").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.wait_for("#metric-chart[data-drawn='true']").await;
    app.screenshot("browse-metric-chart").await;
    app.client.back().await.unwrap();
    app.wait_for("#metrics-table").await;

    // The MaxFlow run: JSON params decoded, git and data cards.
    open_run(&app, sweep, store.run("maxflow")).await;
    app.wait_for("#git-card").await;
    app.wait_for("#data-card").await;
    let params = app.text("#params-table").await;
    assert!(
        params.contains("artifact - config") || params.contains("config"),
        "{params}"
    );
    app.screenshot("browse-maxflow-run").await;

    // Every preview kind of the artifacts run.
    open_run(&app, store.experiment("previews"), store.run("artifacts")).await;
    app.wait_for("#artifact-tree").await;
    let expected = [
        ("text", "text"),
        ("log", "text"),
        ("json", "json"),
        ("yaml", "yaml"),
        ("csv", "table"),
        ("table", "table"),
        ("png", "image"),
        ("jpeg", "image"),
        ("webp", "image"),
        ("mlmodel", "model"),
        ("big_text", "text"),
        ("broken_json", "text"),
        ("broken_csv", "text"),
    ];
    for (kind, preview) in expected {
        let path = store.artifact(kind).to_string();
        // Open the folders on the way, then the file.
        let mut prefix = String::new();
        for part in path.split('/').collect::<Vec<_>>().iter().rev().skip(1).rev() {
            prefix = if prefix.is_empty() {
                part.to_string()
            } else {
                format!("{prefix}/{part}")
            };
            let file_shown = app.count(&format!(".artifact-file[data-path='{path}']")).await > 0;
            if !file_shown {
                app.click(&format!(".artifact-dir[data-path='{prefix}']")).await;
            }
        }
        app.click(&format!(".artifact-file[data-path='{path}']")).await;
        app.wait_for(&format!("#artifact-preview[data-kind='{preview}'][data-path='{path}']"))
            .await;
        match kind {
            "big_text" => {
                app.wait_for("#save-artifact").await;
                let text = app.text("#artifact-preview").await;
                assert!(
                    text.contains("Showing only the beginning"),
                    "a cut preview says so: {text:.300}"
                );
            }
            "broken_json" => {
                app.wait_for_text("#artifact-preview", "not valid JSON").await;
            }
            "broken_csv" => {
                app.wait_for_text("#artifact-preview", "not valid CSV").await;
            }
            "mlmodel" => {
                let card = app.text("#artifact-preview").await;
                assert!(card.contains("python_function"), "{card}");
                app.screenshot("browse-preview-model-card").await;
            }
            "csv" | "png" | "yaml" => {
                app.screenshot(&format!("browse-preview-{kind}")).await;
            }
            _ => {}
        }
    }
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn edits_in_the_app_are_what_mlflow_reads_back() {
    let (app, store) = open_copy("edits").await;
    let sweep = store.experiment("sweep");
    let run = store.run("child_2");
    open_run(&app, sweep, run).await;

    // A tag.
    app.type_into("#new-tag-key", "reviewed_by").await;
    app.type_into("#new-tag-value", "ann <b>").await;
    app.click("#add-tag").await;
    app.wait_for_text("#tags-table", "reviewed_by").await;
    eventually(
        "the new tag",
        || store.mlflow_run(run),
        |r| r.tags.get("reviewed_by").map(String::as_str) == Some("ann <b>"),
    );

    // The description, in Markdown.
    app.click("#edit-description").await;
    app.eval(
        "const t = document.getElementById('description-input'); t.value = ''; t.dispatchEvent(new Event('input'));",
    )
    .await;
    // WebKitWebDriver drops "\n" from typed text: new lines are typed as the Enter key.
    let enter = char::from(fantoccini::key::Key::Enter);
    app.type_into(
        "#description-input",
        &format!("## Verdict{enter}{enter}Keep **this** one."),
    )
    .await;
    app.click("#save-description").await;
    app.wait_for("#run-description h2").await;
    let seen = eventually(
        "the description",
        || store.mlflow_run(run),
        |r| r.description() == Some("## Verdict\n\nKeep **this** one."),
    );
    assert_eq!(seen.name, store.run_name("child_2"));
    app.screenshot("browse-edited-run").await;

    // A stuck RUNNING run is marked KILLED, after a confirmation.
    let running = store.run("running");
    open_run(&app, sweep, running).await;
    app.click("#mark-killed").await;
    app.wait_for("#confirm-dialog").await;
    app.screenshot("browse-confirm-kill").await;
    app.click("#confirm-ok").await;
    app.wait_for_text("#run-status", "KILLED").await;
    let killed = eventually(
        "the run KILLED",
        || store.mlflow_run(running),
        |r| r.status == RunStatus::Killed,
    );
    assert!(killed.end_time.is_some(), "an ended run has an end time");

    // Two runs selected (click, shift-click) get a tag in one go.
    open_experiment(&app, sweep).await;
    let (a, b) = (store.run("child_1"), store.run("child_3"));
    app.click(&format!("tr.run-row[data-run-id='{a}'] input.row-select"))
        .await;
    app.click(&format!("tr.run-row[data-run-id='{b}'] input.row-select"))
        .await;
    app.wait_for_text("#selected-count", "2 selected").await;
    app.click("#bulk-tag").await;
    app.type_into("#bulk-tag-key", "batch").await;
    app.type_into("#bulk-tag-value", "review-1").await;
    app.click("#bulk-tag-apply").await;
    app.wait_for("#confirm-dialog").await;
    app.click("#confirm-ok").await;
    app.wait_for("#bulk-outcome").await;
    for id in [a, b] {
        eventually(
            "the bulk tag",
            || store.mlflow_run(id),
            |r| r.tags.get("batch").map(String::as_str) == Some("review-1"),
        );
    }

    // Delete one run, then restore it from the deleted view.
    app.click(&format!("tr.run-row[data-run-id='{b}'] input.row-select"))
        .await;
    app.wait_for_text("#selected-count", "1 selected").await;
    app.click("#bulk-delete").await;
    app.click("#confirm-ok").await;
    eventually(
        "the run deleted",
        || store.mlflow_run(b),
        |r| r.lifecycle_stage == LifecycleStage::Deleted,
    );
    app.wait_gone(&format!("tr.run-row[data-run-id='{b}']")).await;

    // The experiment: renamed and moved to another project.
    app.click("#experiment-rename").await;
    app.eval("const t = document.getElementById('experiment-edit-input'); t.value = ''; t.dispatchEvent(new Event('input'));")
        .await;
    app.type_into("#experiment-edit-input", "sweep (reviewed)").await;
    app.click("#experiment-edit-save").await;
    app.wait_for_text("#experiment-title", "sweep (reviewed)").await;
    app.click("#experiment-project").await;
    app.eval("const t = document.getElementById('experiment-edit-input'); t.value = ''; t.dispatchEvent(new Event('input'));")
        .await;
    app.type_into("#experiment-edit-input", "archive").await;
    app.click("#experiment-edit-save").await;
    app.wait_for("#sidebar .project[data-project='archive']").await;
    let experiment = eventually(
        "the experiment renamed and moved",
        || store.mlflow_experiment(sweep),
        |e| e.name == "sweep (reviewed)" && e.tags.get("__maxai_project__").map(String::as_str) == Some("archive"),
    );
    assert_eq!(experiment.lifecycle_stage, LifecycleStage::Active);
    app.screenshot("browse-experiment-edited").await;

    // Deleted after a confirmation, shown again by the sidebar's switch, and restored.
    app.click("#experiment-delete").await;
    app.click("#confirm-ok").await;
    eventually(
        "the experiment deleted",
        || store.mlflow_experiment(sweep),
        |e| e.lifecycle_stage == LifecycleStage::Deleted,
    );
    app.wait_gone(&format!("#sidebar .experiment[data-experiment-id='{sweep}']"))
        .await;
    app.click("#show-deleted-experiments").await;
    app.click(&format!("#sidebar .experiment.deleted[data-experiment-id='{sweep}']"))
        .await;
    app.click("#experiment-restore").await;
    app.click("#confirm-ok").await;
    eventually(
        "the experiment restored",
        || store.mlflow_experiment(sweep),
        |e| e.lifecycle_stage == LifecycleStage::Active,
    );
    app.wait_gone("#experiment-deleted").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn hostile_strings_render_as_text_and_never_run() {
    let (app, store) = open_copy("hostile").await;
    let h = &store.hostile;
    let experiment = store.experiment("hostile");
    let sidebar = app.text("#sidebar").await;
    assert!(
        sidebar.contains(&h.experiment_name),
        "the name shows as text: {sidebar}"
    );
    open_run(&app, experiment, store.run("hostile_run")).await;
    app.wait_for_text("#run-name", &h.run_name).await;
    app.click("#show-system-tags").await;
    app.wait_for("#tags-table").await;
    app.wait_for("#params-table").await;
    // Give any payload the chance to fire.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let pwned = app.eval(&format!("return typeof window.{}", h.marker)).await;
    assert_eq!(pwned, "undefined", "no payload ran");
    assert_eq!(
        app.count("#run-detail img, #sidebar img, #run-detail script").await,
        0,
        "no element came from the strings"
    );
    assert_eq!(app.count("a[href^='javascript']").await, 0, "no script link");
    let page = app.text("#run-detail").await;
    for literal in [&h.tag_value, &h.param_value] {
        assert!(page.contains(literal.as_str()), "{literal} shows as text");
    }
    app.screenshot("browse-hostile-run").await;
    // The experiment page (name, description) too.
    open_experiment(&app, experiment).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.eval(&format!("return typeof window.{}", h.marker)).await,
        "undefined"
    );
    assert_eq!(app.count("#runs img, #runs script").await, 0);
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn running_runs_refresh_on_their_own() {
    let (app, store) = open_copy("refresh").await;
    let running = store.run("running");
    open_experiment(&app, store.experiment("sweep")).await;
    let cell = format!("tr.run-row[data-run-id='{running}'] .status");
    app.wait_for_text(&cell, "RUNNING").await;
    // Another process ends the run; the table follows without a click.
    let python = runlens_tests::default_python();
    let script = format!(
        "import mlflow; mlflow.MlflowClient('{}').set_terminated('{running}', 'FINISHED')",
        store.uri()
    );
    let status = std::process::Command::new(python)
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(status.success());
    app.wait_for_text(&cell, "FINISHED").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn ten_thousand_runs_scroll_with_a_bounded_page() {
    let store = scroll_store(TMP);
    assert_eq!(store.run_count, 10_000);
    let app = App::launch(
        TMP,
        Launch {
            args: vec![store.db().display().to_string()],
            cwd: Some(empty_dir("scroll")),
            ..Default::default()
        },
    )
    .await;
    app.wait_for("#sidebar .experiment").await;
    let started = Instant::now();
    app.click(&format!(
        "#sidebar .experiment[data-experiment-id='{}']",
        store.experiment_id
    ))
    .await;
    app.wait_for("#runs-table tr.run-row").await;
    let first_rows = started.elapsed();
    record_figure(
        TMP,
        &format!(
            "10,000-run experiment: click to first rows {} ms (WebDriver round trips included)",
            first_rows.as_millis()
        ),
    );

    // Scroll to the end of what is loaded, again and again, until every page is in; the page
    // never holds more than a screenful of rows.
    let started = Instant::now();
    let mut max_rows = 0;
    loop {
        app.eval("const s = document.getElementById('runs-scroll'); s.scrollTop = s.scrollHeight;")
            .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        max_rows = max_rows.max(app.count("#runs-table tr.run-row").await);
        let count = app.text("#run-count").await;
        if count.starts_with("10,000 runs") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "pages stopped loading: {count}"
        );
    }
    let all_loaded = started.elapsed();
    assert!(
        max_rows <= 80,
        "at most a screenful of rows in the page, saw {max_rows}"
    );
    record_figure(
        TMP,
        &format!(
            "10,000-run experiment: all 50 pages loaded by scrolling in {} ms; at most {max_rows} rows in the DOM",
            all_loaded.as_millis()
        ),
    );
    app.screenshot("browse-10k-bottom").await;

    // Smoothness: scroll from top to bottom in 120 animation frames and time the frames.
    let frames = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; const s = document.getElementById('runs-scroll'); \
             s.scrollTop = 0; const step = s.scrollHeight / 120; const times = []; let last = performance.now(); let n = 0; \
             function frame(now) { times.push(now - last); last = now; s.scrollTop += step; \
               if (++n < 120) requestAnimationFrame(frame); else done(times); } requestAnimationFrame(frame);",
            vec![],
        )
        .await
        .unwrap();
    let mut times: Vec<f64> = frames
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .filter_map(|v| v.as_f64())
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    let rows_after = app.count("#runs-table tr.run-row").await;
    record_figure(TMP, &format!(
        "10,000-run experiment: scrolling top to bottom in 120 frames: mean frame {mean:.1} ms, p95 {p95:.1} ms, {rows_after} rows in the DOM"
    ));
    assert!(rows_after <= 80);
    app.screenshot("browse-10k-scrolled").await;
    app.close().await;
}
