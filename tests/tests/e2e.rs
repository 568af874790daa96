//! End-to-end tests of the real app window (tauri-driver + WebKitWebDriver under Xvfb).
//! Each saves screenshots under `<target>/e2e-screenshots/`; look at them.

use runlens_core::LifecycleStage;
use runlens_tests::app::{App, Launch};
use runlens_tests::{fixtures, Kind};

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

fn empty_dir(label: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(TMP)
        .join("e2e")
        .join(format!("{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts the app with an empty data directory and opens the demo workspace from the welcome
/// screen; returns the app and that data directory.
async fn launch_demo(label: &str) -> (App, std::path::PathBuf) {
    let data = empty_dir(&format!("{label}-data"));
    let app = App::launch(
        TMP,
        Launch {
            cwd: Some(empty_dir(label)),
            env: vec![("XDG_DATA_HOME".into(), data.display().to_string())],
            ..Default::default()
        },
    )
    .await;
    app.click("#open-demo").await;
    app.wait_for("#sidebar .experiment").await;
    (app, data)
}

/// Clicks the experiment with this name in the sidebar.
async fn open_experiment(app: &App, name: &str) {
    let xpath = format!("//button[contains(@class,'experiment') and text()='{name}']");
    let button = app
        .client
        .find(fantoccini::Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    button.click().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn opens_an_mlflow_db_written_by_mlflow_and_lists_its_experiments_and_runs() {
    let fx = fixtures(TMP);
    let db = fx.fresh_sqlite_copy();
    let dump = fx.dump(Kind::Sqlite);
    let app = App::launch(
        TMP,
        Launch {
            args: vec![db.display().to_string()],
            cwd: Some(empty_dir("fixture")),
            ..Default::default()
        },
    )
    .await;

    app.wait_for("#sidebar .experiment").await;
    let mut shown = app.all_texts("#sidebar .experiment").await;
    let mut expected: Vec<String> = dump
        .experiments
        .iter()
        .filter(|e| e.lifecycle_stage == LifecycleStage::Active)
        .map(|e| e.name.clone())
        .collect();
    shown.sort();
    expected.sort();
    assert_eq!(shown, expected, "the sidebar lists exactly MLflow's active experiments");

    // Hostile names render as text: the markup is visible and no element was created from it.
    assert_eq!(
        app.count("#sidebar img").await,
        0,
        "markup in names must not become elements"
    );

    // The experiment with the most active runs.
    let (exp_id, runs) = dump
        .runs
        .iter()
        .map(|(id, runs)| {
            (
                id.clone(),
                runs.iter()
                    .filter(|r| r.info.lifecycle_stage == LifecycleStage::Active)
                    .count(),
            )
        })
        .max_by_key(|(_, n)| *n)
        .expect("the fixture has runs");
    app.click(&format!("#sidebar .experiment[data-experiment-id='{exp_id}']"))
        .await;
    app.wait_for("#runs-table tbody tr.run-row").await;
    assert_eq!(
        app.count("#runs-table tbody tr.run-row").await,
        runs.min(200),
        "one row per active run"
    );
    let title = app.text("#experiment-title").await;
    assert_eq!(
        title,
        dump.experiments
            .iter()
            .find(|e| e.experiment_id == exp_id)
            .unwrap()
            .name
    );
    let status = app.text("#statusbar").await;
    assert!(
        status.contains("SQLite store") && status.contains("MLflow 3.17.2"),
        "status bar: {status}"
    );
    let window_title = app.client.title().await.unwrap_or_default();
    assert!(
        window_title.contains("mlflow.db"),
        "window title names the store: {window_title:?}"
    );
    app.screenshot("fixture-sqlite-runs").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn welcome_screen_appears_when_no_store_is_found() {
    let cwd = empty_dir("welcome");
    let data = empty_dir("welcome-data");
    let app = App::launch(
        TMP,
        Launch {
            cwd: Some(cwd.clone()),
            env: vec![("XDG_DATA_HOME".into(), data.display().to_string())],
            ..Default::default()
        },
    )
    .await;
    app.wait_for("#welcome").await;
    let text = app.text("#welcome").await;
    assert!(text.contains("No MLflow store found"), "{text}");
    assert!(
        text.contains(&cwd.join("mlflow.db").display().to_string()),
        "it says where it looked: {text}"
    );
    for button in ["#open-demo", "#open-local", "#connect-server"] {
        app.wait_for(button).await;
    }
    app.screenshot("welcome").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn demo_workspace_opens_and_mlflow_reads_it() {
    let (app, data) = launch_demo("demo").await;
    let projects = app.all_texts("#sidebar .project-name").await;
    assert_eq!(projects, vec!["chatbot", "vision", "Unassigned"]);
    let experiments = app.all_texts("#sidebar .experiment").await;
    assert!(experiments.contains(&"resnet-sweep".to_string()), "{experiments:?}");
    open_experiment(&app, "resnet-sweep").await;
    app.wait_for_text("#run-count", "11 runs").await;
    app.screenshot("demo-workspace").await;
    app.close().await;

    // The store the app created is an MLflow store MLflow itself reads.
    let db = data.join("dev.runlens.app/demo/mlflow.db");
    assert!(db.exists(), "the demo store is in the app's data directory");
    let answer = fixtures(TMP).read_back(
        &format!("sqlite:///{}", db.display()),
        &serde_json::json!({ "experiments": ["0", "1", "2", "3"], "models": ["resnet-classifier"] }),
    );
    let names: Vec<&str> = answer["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        names,
        vec!["Default", "resnet-sweep", "prompt-eval", "scratch"],
        "MLflow reads the demo store: {answer}"
    );
    let model = &answer["models"][0];
    assert_eq!(
        model["aliases"]["champion"], 2,
        "MLflow sees the demo's registry: {model}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_file_that_is_not_a_store_gives_a_readable_message() {
    let dir = empty_dir("broken");
    let bogus = dir.join("notes.db");
    std::fs::write(&bogus, "these are my notes, not a database").unwrap();
    let app = App::launch(
        TMP,
        Launch {
            args: vec![bogus.display().to_string()],
            cwd: Some(dir),
            ..Default::default()
        },
    )
    .await;
    app.wait_for("#welcome .error-banner").await;
    let text = app.text("#welcome .error-banner").await;
    assert!(text.contains("is not an SQLite database"), "{text}");
    app.screenshot("broken-store").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn runs_nest_under_their_parents_and_filters_are_checked_as_typed() {
    let (app, _data) = launch_demo("tree").await;
    open_experiment(&app, "resnet-sweep").await;
    app.wait_for_text("#run-count", "11 runs").await;

    // lr-sweep → 3 trials → 2 folds each, plus the baseline at the root.
    assert_eq!(app.count("#runs-table tbody tr.run-row[data-depth='0']").await, 2);
    assert_eq!(app.count("#runs-table tbody tr.run-row[data-depth='1']").await, 3);
    assert_eq!(app.count("#runs-table tbody tr.run-row[data-depth='2']").await, 6);
    let toggle =
        "//tr[.//*[contains(@class,'run-name') and text()='lr-sweep']]//button[contains(@class,'tree-toggle')]";
    let button = app.client.find(fantoccini::Locator::XPath(toggle)).await.unwrap();
    assert!(
        button.text().await.unwrap().contains('9'),
        "the toggle counts the 9 runs below"
    );
    button.click().await.unwrap();
    assert_eq!(
        app.count("#runs-table tbody tr.run-row").await,
        2,
        "collapsing hides every descendant"
    );
    app.client
        .find(fantoccini::Locator::XPath(toggle))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(app.count("#runs-table tbody tr.run-row").await, 11);

    // A filter that does not parse says where, at once, and cannot be applied.
    app.type_into("#run-filter", "metrics.val/accuracy >").await;
    let error = app.wait_for_text("#filter-error", "character 23").await;
    assert!(error.contains("expected a value"), "{error}");
    assert_eq!(
        app.eval("return document.querySelector('#filter-form button[type=submit]').disabled")
            .await,
        true
    );
    app.screenshot("runs-filter-error").await;

    // A valid one is applied by the store; the folds stay under their trial.
    app.click("#clear-filter").await;
    app.type_into("#run-filter", "params.lr = '0.01'").await;
    app.click("#filter-form button[type=submit]").await;
    app.wait_for_text("#run-count", "3 runs matching").await;
    // The trial that matched sits under its sweep, which is shown (marked) though it did not match.
    assert_eq!(app.count("#runs-table tbody tr.run-row.context").await, 1);
    assert_eq!(app.count("#runs-table tbody tr.run-row[data-depth='2']").await, 2);
    app.screenshot("runs-tree-filtered").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn column_headers_sort_through_the_store_and_the_view_switch_shows_deleted_runs() {
    let fx = fixtures(TMP);
    let db = fx.fresh_sqlite_copy();
    let dump = fx.dump(Kind::Sqlite);
    let app = App::launch(
        TMP,
        Launch {
            args: vec![db.display().to_string()],
            cwd: Some(empty_dir("sort")),
            ..Default::default()
        },
    )
    .await;
    let exp = dump
        .experiments
        .iter()
        .find(|e| e.name == "vision/resnet-sweep")
        .expect("the fixture's sweep");
    app.click(&format!(
        "#sidebar .experiment[data-experiment-id='{}']",
        exp.experiment_id
    ))
    .await;
    app.wait_for("#runs-table tbody tr.run-row").await;
    let active: Vec<&runlens_core::Run> = dump.runs[&exp.experiment_id]
        .iter()
        .filter(|r| r.info.lifecycle_stage == LifecycleStage::Active)
        .collect();

    // Roots in name order, as the store sorted them (children stay under their parent).
    let root_ids: std::collections::HashSet<&str> = active.iter().map(|r| r.info.run_id.as_str()).collect();
    let mut roots: Vec<String> = active
        .iter()
        .filter(|r| r.parent_run_id().is_none_or(|p| !root_ids.contains(p)))
        .map(|r| r.info.run_name.clone())
        .collect();
    roots.sort();
    app.click("button.sort[data-sort-key='attributes.run_name']").await;
    app.wait_for("th[aria-sort='ascending']").await;
    let shown = app
        .all_texts("#runs-table tbody tr.run-row[data-depth='0'] .run-name")
        .await;
    assert_eq!(shown, roots, "ascending by name");
    app.click("button.sort[data-sort-key='attributes.run_name']").await;
    app.wait_for("th[aria-sort='descending']").await;
    let shown = app
        .all_texts("#runs-table tbody tr.run-row[data-depth='0'] .run-name")
        .await;
    roots.reverse();
    assert_eq!(shown, roots, "then descending");
    app.screenshot("runs-sorted-by-name").await;

    // The fixture deleted one run of this experiment; "Deleted" shows exactly MLflow's deleted runs.
    let deleted: Vec<String> = dump.runs[&exp.experiment_id]
        .iter()
        .filter(|r| r.info.lifecycle_stage == LifecycleStage::Deleted)
        .map(|r| r.info.run_name.clone())
        .collect();
    app.eval("const s = document.getElementById('run-view'); s.value = 'DELETED_ONLY'; s.dispatchEvent(new Event('change'));")
        .await;
    if deleted.is_empty() {
        app.wait_for_text("#no-runs", "No deleted runs").await;
    } else {
        let noun = if deleted.len() == 1 { "run" } else { "runs" };
        app.wait_for_exact_text("#run-count", &format!("{} {noun}", deleted.len()))
            .await;
        let mut shown = app.all_texts("#runs-table tbody .run-name").await;
        let mut expected = deleted.clone();
        shown.sort();
        expected.sort();
        assert_eq!(shown, expected);
    }
    app.close().await;
}

/// Starts the app with these private directories (so a second launch finds the first's settings).
async fn launch_with_dirs(cwd: &std::path::Path, config: &std::path::Path, data: &std::path::Path) -> App {
    App::launch(
        TMP,
        Launch {
            cwd: Some(cwd.to_path_buf()),
            env: vec![
                ("XDG_CONFIG_HOME".into(), config.display().to_string()),
                ("XDG_DATA_HOME".into(), data.display().to_string()),
            ],
            ..Default::default()
        },
    )
    .await
}

#[tokio::test(flavor = "current_thread")]
async fn keys_and_history_walk_experiment_and_run_and_the_place_survives_a_restart() {
    use fantoccini::key::Key;
    let (cwd, config, data) = (empty_dir("place"), empty_dir("place-config"), empty_dir("place-data"));
    let app = launch_with_dirs(&cwd, &config, &data).await;
    app.click("#open-demo").await;
    app.wait_for("#sidebar .experiment").await;
    open_experiment(&app, "resnet-sweep").await;
    app.wait_for_text("#run-count", "11 runs").await;

    // `/` goes to the filter box; Esc leaves it.
    app.press("/").await;
    assert_eq!(app.eval("return document.activeElement.id").await, "run-filter");
    app.press(&char::from(Key::Escape).to_string()).await;
    assert_ne!(app.eval("return document.activeElement.id").await, "run-filter");

    // Arrows move the cursor row, Enter opens that run.
    let down = char::from(Key::Down).to_string();
    app.press(&down).await;
    app.press(&down).await;
    app.wait_for("#runs-table tr.run-row.cursor[data-index='1']").await;
    let second = app.text("#runs-table tr.run-row[data-index='1'] .run-name").await;
    app.press(&char::from(Key::Enter).to_string()).await;
    app.wait_for_text("#run-name", &second).await;
    app.screenshot("run-detail-from-keyboard").await;

    // Esc goes up to the runs; the browser's back and forward walk the places visited.
    app.press(&char::from(Key::Escape).to_string()).await;
    app.wait_for("#runs-table").await;
    app.client.back().await.unwrap();
    app.wait_for_text("#run-name", &second).await;
    app.client.back().await.unwrap();
    app.wait_for("#runs-table").await;
    app.client.forward().await.unwrap();
    app.wait_for_text("#run-name", &second).await;
    let place = app.eval("return location.pathname").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.close().await;

    // Started again without arguments: the same store, at the same run.
    let app = launch_with_dirs(&cwd, &config, &data).await;
    app.wait_for_text("#run-name", &second).await;
    assert_eq!(app.eval("return location.pathname").await, place);
    let settings = std::fs::read_to_string(config.join("dev.runlens.app/settings.toml")).expect("settings were saved");
    assert!(settings.contains("last_store"), "{settings}");
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_dark_theme_follows_the_system() {
    let data = empty_dir("dark-data");
    let app = App::launch(
        TMP,
        Launch {
            cwd: Some(empty_dir("dark")),
            env: vec![
                ("XDG_DATA_HOME".into(), data.display().to_string()),
                // How a GNOME desktop asks applications for their dark variant.
                ("GTK_THEME".into(), "Adwaita:dark".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    app.click("#open-demo").await;
    app.wait_for("#sidebar .experiment").await;
    open_experiment(&app, "resnet-sweep").await;
    app.wait_for_text("#run-count", "11 runs").await;
    assert_eq!(
        app.eval("return matchMedia('(prefers-color-scheme: dark)').matches")
            .await,
        true,
        "the webview reports the system's dark preference"
    );
    let background = app
        .eval("return getComputedStyle(document.documentElement).backgroundColor")
        .await;
    assert_eq!(background, "rgb(21, 24, 29)", "the dark palette is in use");
    app.screenshot("dark-theme-runs").await;
    app.close().await;
}
