//! End-to-end tests of connections and live data (issue #9), in the real window:
//!
//! - a basic-auth `mlflow server` on 127.0.0.1: a wrong password gives the 401 diagnosis and
//!   message; the right one is kept in a real Secret Service (gnome-keyring on a private D-Bus
//!   session) and a restarted app reconnects without it being typed again; a read-only user
//!   browses but cannot write; afterwards no file under the app's directories holds a password;
//! - a run logged by a background Python process appears and its chart grows while the app
//!   watches: an `mlflow.db`, an `mlruns/` folder and the server;
//! - a server stopped mid-session: a banner, what was on screen stays, and the app reconnects on
//!   its own when the server is back.
//!
//! Screenshots (`connections-*`, `live-*`) land in `<target>/e2e-screenshots/`: look at them.

use runlens_tests::app::{App, Launch, PATIENCE};
use runlens_tests::keyring::KeyringSession;
use runlens_tests::registry::AuthServer;
use runlens_tests::{python_script, MlflowServer};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

fn empty_dir(label: &str) -> PathBuf {
    let dir = Path::new(TMP)
        .join("e2e-connections")
        .join(format!("{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Creates the experiment (and the store) with MLflow itself; its id.
fn prepare(uri: &str, experiment: &str, cwd: &Path, env: &[(&str, &str)]) -> String {
    let mut cmd = python_script("keep_logging.py", cwd).unwrap_or_else(|e| panic!("{e}"));
    let out = cmd
        .args([uri, "prepare", experiment])
        .envs(env.iter().copied())
        .output()
        .expect("keep_logging.py prepare");
    assert!(
        out.status.success(),
        "keep_logging.py prepare failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A Python process logging a run until told to stop.
struct Logger {
    child: Child,
    stop_file: PathBuf,
    run_id: String,
}

impl Logger {
    fn start(uri: &str, experiment: &str, run_name: &str, cwd: &Path, env: &[(&str, &str)]) -> Logger {
        let stop_file = cwd.join(format!("stop-{run_name}"));
        let log = std::fs::File::create(cwd.join(format!("logger-{run_name}.log"))).unwrap();
        let mut cmd = python_script("keep_logging.py", cwd).unwrap_or_else(|e| panic!("{e}"));
        let mut child = cmd
            .args([uri, "log", experiment, run_name])
            .arg(&stop_file)
            .arg("0.4")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("keep_logging.py log");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        // MLflow prints more (a "View run" line when the run ends): keep reading, or it gets a
        // broken pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let run_id = line.trim().to_string();
        assert_eq!(run_id.len(), 32, "keep_logging.py printed no run id: {line:?}");
        Logger {
            child,
            stop_file,
            run_id,
        }
    }

    /// Ends the run (FINISHED) and waits for the process.
    fn finish(mut self) {
        std::fs::write(&self.stop_file, b"stop").unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the logger did not stop");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Logger {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.stop_file, b"stop");
        if let Ok(None) = self.child.try_wait() {
            std::thread::sleep(Duration::from_millis(1500));
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Sets a `<select>` as a user choosing an option would.
async fn choose(app: &App, select_id: &str, value: &str) {
    app.wait_for(&format!("#{select_id}")).await;
    app.eval(&format!(
        "const s = document.getElementById('{select_id}'); s.value = '{value}'; \
         s.dispatchEvent(new Event('change', {{ bubbles: true }}));"
    ))
    .await;
}

/// Empties an input (as select-all + delete would) so the next typing replaces it.
async fn clear(app: &App, id: &str) {
    app.wait_for(&format!("#{id}")).await;
    app.eval(&format!(
        "const i = document.getElementById('{id}'); i.value = ''; i.dispatchEvent(new Event('input', {{ bubbles: true }}));"
    ))
    .await;
}

/// Fills the connection editor for a server with Basic authentication.
async fn fill_server(app: &App, name: &str, url: &str, user: &str, password: &str) {
    app.wait_for("#connection-editor").await;
    app.click("#kind-server").await;
    clear(app, "connection-target").await;
    app.type_into("#connection-target", url).await;
    clear(app, "connection-name").await;
    app.type_into("#connection-name", name).await;
    choose(app, "connection-auth", "basic").await;
    clear(app, "connection-username").await;
    app.type_into("#connection-username", user).await;
    clear(app, "connection-secret").await;
    app.type_into("#connection-secret", password).await;
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path);
            }
        }
    }
    found
}

/// Every file under `dir` (recursively), for the test's own report.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The id of the saved connection with this name in `settings.toml`.
fn connection_id(config_home: &Path, name: &str) -> String {
    let settings = std::fs::read_to_string(config_home.join("dev.runlens.app/settings.toml")).unwrap();
    let mut id = None;
    for line in settings.lines() {
        if let Some(v) = line.strip_prefix("id = ") {
            id = Some(v.trim_matches('"').to_string());
        }
        if line.trim() == format!("name = \"{name}\"") {
            return id.unwrap_or_else(|| panic!("no id before the name {name} in:\n{settings}"));
        }
    }
    panic!("no connection named {name} in:\n{settings}");
}

/// Waits (longer than [`PATIENCE`] when asked) until `css` matches something; on failure saves
/// a screenshot `failed-<css>` and says what the shell reports about the store.
async fn wait_long(app: &App, css: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while app.count(css).await == 0 {
        if Instant::now() > deadline {
            let name: String = css.chars().filter(|c| c.is_ascii_alphanumeric()).take(40).collect();
            app.screenshot(&format!("failed-{name}")).await;
            let live = app
                .eval(
                    "return window.__TAURI__.core.invoke('live_status', { request: { since: 0, visible: true } }) \
                     .then(r => JSON.stringify(r)).catch(e => 'error: ' + JSON.stringify(e))",
                )
                .await;
            panic!("{css} did not appear within {limit:?}; live status: {live}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The number of points the metric chart drew.
async fn chart_points(app: &App) -> u64 {
    app.wait_for("#metric-chart[data-drawn='true']").await;
    app.eval("return Number(document.getElementById('metric-chart').dataset.points || 0)")
        .await
        .as_u64()
        .unwrap_or(0)
}

/// With the app showing an experiment that has no runs yet: a background process starts a run,
/// the run appears in the table, its `loss` chart grows, and its page shows FINISHED when it
/// ends. Screenshots `live-<label>-*`.
async fn watch_a_run_grow(app: &App, label: &str, uri: &str, experiment: &str, cwd: &Path, env: &[(&str, &str)]) {
    app.wait_for("#no-runs").await;
    let logger = Logger::start(uri, experiment, &format!("live-{label}"), cwd, env);
    let row = format!("#runs-table tr.run-row[data-run-id='{}']", logger.run_id);
    wait_long(app, &row, PATIENCE).await;
    app.wait_for_text(&format!("{row} .status"), "RUNNING").await;
    app.screenshot(&format!("live-{label}-run-appeared")).await;

    app.click(&format!("{row} a.run-name")).await;
    app.wait_for("#run-detail #run-name").await;
    app.click("#run-detail tr[data-key='loss'] a.metric-link").await;
    let before = chart_points(app).await;
    let status_before = app.text(".metric-chart-page .point-count").await;
    app.screenshot(&format!("live-{label}-chart-before")).await;
    let deadline = Instant::now() + PATIENCE;
    let mut after = before;
    while after < before + 5 {
        assert!(
            Instant::now() < deadline,
            "the chart did not grow: {before} points, then {after} ({status_before})"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = chart_points(app).await;
    }
    let status_after = app.text(".metric-chart-page .point-count").await;
    assert_ne!(status_before, status_after, "the point count follows the chart");
    app.screenshot(&format!("live-{label}-chart-after")).await;
    eprintln!("live {label}: {before} → {after} points ({status_before} → {status_after})");

    // Back on the run's page, the end of the run shows on its own.
    app.client.back().await.unwrap();
    app.wait_for("#run-detail #run-status").await;
    logger.finish();
    app.wait_for_text("#run-status", "FINISHED").await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_run_logged_by_another_process_appears_and_its_chart_grows_in_an_mlflow_db() {
    let dir = empty_dir("live-sqlite");
    let db = dir.join("mlflow.db");
    let uri = format!("sqlite:///{}", db.display());
    let experiment_id = prepare(&uri, "live-sqlite", &dir, &[]);
    let app = App::launch(
        TMP,
        Launch {
            args: vec![db.display().to_string()],
            cwd: Some(dir.clone()),
            ..Default::default()
        },
    )
    .await;
    app.wait_for_text("#link-status", "live").await;
    app.click(&format!("#sidebar .experiment[data-experiment-id='{experiment_id}']"))
        .await;
    watch_a_run_grow(&app, "sqlite", &uri, "live-sqlite", &dir, &[]).await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_run_logged_by_another_process_appears_and_its_chart_grows_in_an_mlruns_folder() {
    let dir = empty_dir("live-file");
    let mlruns = dir.join("mlruns");
    let uri = format!("file://{}", mlruns.display());
    let experiment_id = prepare(&uri, "live-file", &dir, &[]);
    let app = App::launch(
        TMP,
        Launch {
            args: vec![mlruns.display().to_string()],
            cwd: Some(dir.clone()),
            ..Default::default()
        },
    )
    .await;
    app.wait_for_text("#link-status", "live").await;
    app.click(&format!("#sidebar .experiment[data-experiment-id='{experiment_id}']"))
        .await;
    watch_a_run_grow(&app, "file", &uri, "live-file", &dir, &[]).await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn server_credentials_live_in_the_keyring_and_never_in_files() {
    let dir = empty_dir("auth");
    let keyring = KeyringSession::start(&dir.join("keyring")).unwrap_or_else(|e| panic!("{e}"));
    let server = AuthServer::start(&dir.join("store").join("mlflow.db")).unwrap_or_else(|e| panic!("{e}"));
    let url = server.url();
    let (admin, admin_password) = AuthServer::ADMIN;
    let (reader, reader_password) = AuthServer::READER;
    let admin_env = [
        ("MLFLOW_TRACKING_USERNAME", admin),
        ("MLFLOW_TRACKING_PASSWORD", admin_password),
    ];
    let experiment_id = prepare(&url, "team-live", &dir, &admin_env);

    // The app's own directories, kept across its restart.
    let config_home = dir.join("config");
    let data_home = dir.join("data");
    let mut env: Vec<(String, String)> = vec![
        ("XDG_CONFIG_HOME".into(), config_home.display().to_string()),
        ("XDG_DATA_HOME".into(), data_home.display().to_string()),
    ];
    env.extend(keyring.env());
    let launch = Launch {
        cwd: Some(dir.clone()),
        env,
        ..Default::default()
    };

    let app = App::launch(TMP, launch.clone()).await;
    app.click("#connect-server").await;
    fill_server(&app, "Team server", &url, admin, "not-the-password-42").await;
    // The keyring is there: the secret may be remembered.
    app.wait_for("#keep-in-keyring").await;
    assert_eq!(app.count("#keyring-warning").await, 0, "the test keyring answers");

    // A wrong password: the diagnosis says 401, and opening says the credentials were rejected.
    app.click("#test-connection").await;
    app.wait_for("#diagnosis[data-problem='unauthorized']").await;
    let diagnosis = app.text("#diagnosis").await;
    assert!(diagnosis.contains("rejected the credentials (HTTP 401)"), "{diagnosis}");
    app.screenshot("connections-wrong-password").await;
    app.click("#save-open-connection").await;
    app.wait_for_text("#editor-error", "rejected the credentials").await;
    let error = app.text("#editor-error").await;
    assert!(
        !error.contains("not-the-password-42"),
        "no password in messages: {error}"
    );

    // The right password: tested, saved in the keyring, opened.
    clear(&app, "connection-secret").await;
    app.type_into("#connection-secret", admin_password).await;
    app.click("#test-connection").await;
    app.wait_for("#diagnosis[data-problem='none']").await;
    let diagnosis = app.text("#diagnosis").await;
    assert!(diagnosis.contains("MLflow 3.17.2"), "the server's version: {diagnosis}");
    app.screenshot("connections-test-ok").await;
    app.click("#save-open-connection").await;
    app.wait_for(&format!("#sidebar .experiment[data-experiment-id='{experiment_id}']"))
        .await;
    app.wait_for_text("#link-status", "connected").await;
    let title = app.client.title().await.unwrap();
    assert!(
        title.starts_with("Team server"),
        "the window is named after the connection: {title}"
    );
    let admin_id = connection_id(&config_home, "Team server");
    assert_eq!(
        keyring.runlens_secret(&admin_id).as_deref(),
        Some(admin_password),
        "the password is in the Secret Service"
    );

    // The server's runs are live too: a run logged elsewhere appears and its chart grows.
    app.click(&format!("#sidebar .experiment[data-experiment-id='{experiment_id}']"))
        .await;
    watch_a_run_grow(&app, "server", &url, "team-live", &dir, &admin_env).await;
    app.close().await;

    // Restarted, the app reconnects with the password from the keyring: nothing is typed.
    let app = App::launch(TMP, launch.clone()).await;
    app.wait_for(&format!("#sidebar .experiment[data-experiment-id='{experiment_id}']"))
        .await;
    app.wait_for_text("#link-status", "connected").await;
    assert_eq!(app.count("#connection-manager").await, 0, "no password was asked for");
    // Back at the place it was left: the run's page.
    app.wait_for("#run-detail #run-name").await;
    app.screenshot("connections-reconnected-after-restart").await;

    // A read-only user: the manager lists both connections; the reader browses but cannot write.
    app.click("#open-another").await;
    app.wait_for(&format!(
        "#connection-list .connection-row[data-connection-id='{admin_id}']"
    ))
    .await;
    let row = app
        .text(&format!(".connection-row[data-connection-id='{admin_id}']"))
        .await;
    assert!(
        row.contains("password in keyring") && row.contains("user admin"),
        "{row}"
    );
    app.wait_for("#recent-list .recent-row").await;
    app.screenshot("connections-manager").await;
    app.click("#add-server").await;
    fill_server(&app, "Team server (read-only)", &url, reader, reader_password).await;
    app.click("#save-open-connection").await;
    app.wait_gone("#connection-manager").await;
    app.wait_for_text("#statusbar", "Team server (read-only)").await;
    app.wait_for(&format!("#sidebar .experiment[data-experiment-id='{experiment_id}']"))
        .await;
    app.click(&format!("#sidebar .experiment[data-experiment-id='{experiment_id}']"))
        .await;
    app.wait_for("#runs-table tr.run-row a.run-name").await;
    app.click("#runs-table tr.run-row a.run-name").await;
    app.wait_for("#run-detail #run-name").await;
    app.click("#run-rename").await;
    clear(&app, "run-name-input").await;
    app.type_into("#run-name-input", "renamed by a reader").await;
    app.click("#save-rename").await;
    app.wait_for_text("#run-errors", "does not allow these credentials")
        .await;
    app.screenshot("connections-read-only-refused").await;
    app.close().await;
    let reader_id = connection_id(&config_home, "Team server (read-only)");
    assert_eq!(keyring.runlens_secret(&reader_id).as_deref(), Some(reader_password));

    // No file of the app holds a password (settings, logs, caches: everything it wrote).
    let written: Vec<PathBuf> = all_files(&config_home)
        .into_iter()
        .chain(all_files(&data_home))
        .collect();
    assert!(
        written.iter().any(|p| p.ends_with("settings.toml")),
        "the settings were written: {written:?}"
    );
    for secret in [admin_password, reader_password, "not-the-password-42"] {
        let leaks: Vec<PathBuf> = files_containing(&config_home, secret)
            .into_iter()
            .chain(files_containing(&data_home, secret))
            .collect();
        assert!(leaks.is_empty(), "a password was written to {leaks:?}");
    }
    let settings = std::fs::read_to_string(config_home.join("dev.runlens.app/settings.toml")).unwrap();
    assert!(
        settings.contains("[[connections]]") && settings.contains("username = \"reader\""),
        "{settings}"
    );
    drop(server);
}

#[tokio::test(flavor = "current_thread")]
async fn a_stopped_server_shows_a_banner_and_the_app_reconnects_when_it_is_back() {
    let dir = empty_dir("outage");
    let store = dir.join("store");
    std::fs::create_dir_all(&store).unwrap();
    let db = store.join("mlflow.db");
    let server = MlflowServer::start(&db, &store).unwrap_or_else(|e| panic!("{e}"));
    let port = server.port();
    let experiment_id = prepare(&server.url(), "outage", &dir, &[]);
    // No keyring here (a session bus without a Secret Service): the token is for this session only.
    let bus = KeyringSession::bus_only(&dir.join("bus")).unwrap_or_else(|e| panic!("{e}"));
    let app = App::launch(
        TMP,
        Launch {
            cwd: Some(dir.clone()),
            env: bus.env(),
            ..Default::default()
        },
    )
    .await;
    app.click("#connect-server").await;
    app.wait_for("#connection-editor").await;
    app.type_into("#connection-target", &server.url()).await;
    app.type_into("#connection-name", "Lab server").await;
    choose(&app, "connection-auth", "bearer").await;
    app.type_into("#connection-secret", "lab-token-9").await;
    app.wait_for_text("#keyring-warning", "No keyring service is running")
        .await;
    assert_eq!(app.count("#keep-in-keyring").await, 0, "no keyring to offer");
    app.screenshot("connections-no-keyring").await;
    app.click("#save-open-connection").await;
    let experiment = format!("#sidebar .experiment[data-experiment-id='{experiment_id}']");
    app.wait_for(&experiment).await;
    app.click("#open-another").await;
    app.wait_for_text("#connection-list .connection-row", "token for this session only")
        .await;
    app.wait_for_text("#keyring-warning", "for this session only").await;
    app.click("#connections-close").await;
    app.wait_gone("#connection-manager").await;
    app.click(&experiment).await;
    app.wait_for("#no-runs").await;
    app.wait_for_text("#link-status", "connected").await;

    server.stop();
    drop(server);
    wait_long(&app, "#link-banner[data-state='lost']", Duration::from_secs(40)).await;
    let banner = app.text("#link-banner").await;
    assert!(banner.contains("Lost the connection"), "{banner}");
    assert!(banner.contains("connection refused"), "the cause is told: {banner}");
    app.wait_for_text("#link-status", "reconnecting").await;
    // What was on screen stays.
    assert_eq!(app.count(&experiment).await, 1, "the sidebar stays");
    assert_eq!(app.count("#no-runs").await, 1, "the experiment's view stays");
    app.screenshot("connections-server-lost").await;

    // Back at the same address: the banner goes and the app reads the server again by itself.
    let server = MlflowServer::start_on(&db, &store, port, &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    let logger = Logger::start(&server.url(), "outage", "after-outage", &dir, &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.count("#link-banner").await > 0 {
        assert!(Instant::now() < deadline, "the app did not reconnect within 60 s");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    app.wait_for_text("#link-status", "connected").await;
    app.wait_for(&format!("#runs-table tr.run-row[data-run-id='{}']", logger.run_id))
        .await;
    app.screenshot("connections-server-back").await;
    logger.finish();
    app.close().await;
}
