//! Drives the real Runlens window for end-to-end tests: Xvfb (when there is no display),
//! tauri-driver + WebKitWebDriver, and helpers to click, read text and save screenshots.
//!
//! One app runs at a time per test process (two WebKit instances on two cores only slow each
//! other down), and every process started here dies with the test.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long to wait for something to appear on screen.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The app binary built with the UI embedded: `$RUNLENS_APP`, else `<target>/debug/runlens`.
pub fn app_binary(target_tmpdir: &str) -> PathBuf {
    let path = std::env::var_os("RUNLENS_APP").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(target_tmpdir)
            .parent()
            .expect("CARGO_TARGET_TMPDIR is inside the target dir")
            .join("debug/runlens")
    });
    assert!(
        path.exists(),
        "the app binary {} is missing: build it with `cargo xtask e2e`",
        path.display()
    );
    path
}

/// Where screenshots go: `<target>/e2e-screenshots/`.
pub fn screenshot_dir(target_tmpdir: &str) -> PathBuf {
    let dir = Path::new(target_tmpdir)
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target dir")
        .join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("cannot create the screenshot directory");
    dir
}

/// Appends a measured figure to `figures.txt` beside the screenshots (and prints it).
pub fn record_figure(target_tmpdir: &str, line: &str) {
    use std::io::Write;
    eprintln!("figure: {line}");
    let path = screenshot_dir(target_tmpdir).join("figures.txt");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(file, "{line}").unwrap();
}

/// Makes a child die when the test process does, and gives it its own process group.
fn tie_to_test(cmd: &mut Command) -> &mut Command {
    cmd.process_group(0);
    // SAFETY: prctl is async-signal-safe and only changes this child's own death signal.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd
}

fn kill_group(child: &mut Child) {
    // SAFETY: signals the process group this harness created for the child.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    let _ = child.wait();
}

/// The X display the apps open on: `$DISPLAY`, or an Xvfb this process starts once.
fn display() -> String {
    static DISPLAY: OnceLock<String> = OnceLock::new();
    DISPLAY
        .get_or_init(|| {
            if let Some(d) = std::env::var("DISPLAY").ok().filter(|d| !d.is_empty()) {
                return d;
            }
            let number = (90..400)
                .find(|n| {
                    !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                        && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                })
                .expect("no free X display number");
            // PR_SET_PDEATHSIG fires when the spawning *thread* ends, and each test runs on its own
            // thread: spawn the shared server from a thread that lives as long as the process.
            let (started, ready) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let child = tie_to_test(
                    Command::new("Xvfb")
                        .args([
                            format!(":{number}"),
                            "-screen".into(),
                            "0".into(),
                            "1280x800x24".into(),
                            "-nolisten".into(),
                            "tcp".into(),
                        ])
                        .stdout(Stdio::null())
                        .stderr(Stdio::null()),
                )
                .spawn();
                let _ = started.send(child.is_ok());
                loop {
                    std::thread::park();
                }
            });
            assert!(
                ready.recv().unwrap_or(false),
                "Xvfb is missing: run `cargo xtask setup --for-tests`"
            );
            let socket = format!("/tmp/.X11-unix/X{number}");
            let deadline = Instant::now() + Duration::from_secs(10);
            while !Path::new(&socket).exists() {
                assert!(Instant::now() < deadline, "Xvfb did not start on :{number}");
                std::thread::sleep(Duration::from_millis(50));
            }
            format!(":{number}")
        })
        .clone()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

static ONE_APP_AT_A_TIME: Mutex<()> = Mutex::new(());

/// How to start the app.
#[derive(Default, Clone)]
pub struct Launch {
    /// Command-line arguments (`runlens PATH_OR_URI`).
    pub args: Vec<String>,
    /// The app's working directory (where it looks for ./mlflow.db and ./mlruns).
    pub cwd: Option<PathBuf>,
    /// Extra environment; MLFLOW_TRACKING_URI is removed unless given here.
    pub env: Vec<(String, String)>,
    /// Another app binary than the test build (e.g. the installed package's).
    pub binary: Option<PathBuf>,
}

/// Fresh config and data directories for an app whose test did not choose them, so settings
/// written by one test (the last store, the last place) never reach another.
fn private_dirs(target_tmpdir: &str, chosen: &[(String, String)]) -> Vec<(String, String)> {
    static LAUNCHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = LAUNCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let root = Path::new(target_tmpdir)
        .join("e2e-private")
        .join(format!("{}-{n}", std::process::id()));
    ["XDG_CONFIG_HOME", "XDG_DATA_HOME"]
        .into_iter()
        .filter(|key| !chosen.iter().any(|(k, _)| k == key))
        .map(|key| {
            let dir = root.join(key.to_lowercase());
            std::fs::create_dir_all(&dir).expect("cannot create the app's private directory");
            (key.to_string(), dir.display().to_string())
        })
        .collect()
}

/// A running app window under WebDriver.
pub struct App {
    pub client: Client,
    driver: Child,
    screenshots: PathBuf,
    _turn: MutexGuard<'static, ()>,
}

impl App {
    // Holding the turn while the app starts is the point: one window at a time across the tests
    // of a process (each test has its own runtime, so no task of this runtime waits on it).
    #[allow(clippy::await_holding_lock)]
    pub async fn launch(target_tmpdir: &str, launch: Launch) -> App {
        let turn = ONE_APP_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let binary = launch.binary.clone().unwrap_or_else(|| app_binary(target_tmpdir));
        let (port, native_port) = (free_port(), free_port());
        let mut cmd = Command::new(tauri_driver());
        cmd.args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("DISPLAY", display())
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("NO_AT_BRIDGE", "1")
            .env_remove("MLFLOW_TRACKING_URI")
            .envs(private_dirs(target_tmpdir, &launch.env))
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(cwd) = &launch.cwd {
            cmd.current_dir(cwd);
        }
        let mut driver = tie_to_test(&mut cmd)
            .spawn()
            .expect("tauri-driver is missing: run `cargo xtask setup --for-tests`");
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("wry"));
        caps.insert(
            "tauri:options".into(),
            json!({ "application": binary, "args": launch.args }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + PATIENCE;
        let client = loop {
            let mut builder = ClientBuilder::native();
            builder.capabilities(caps.clone());
            let error = match tokio::time::timeout(PATIENCE, builder.connect(&url)).await {
                Ok(Ok(c)) => break c,
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("no session within {PATIENCE:?}"),
            };
            if Instant::now() >= deadline {
                kill_group(&mut driver);
                panic!("could not start a WebDriver session with the app: {error}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        App {
            client,
            driver,
            screenshots: screenshot_dir(target_tmpdir),
            _turn: turn,
        }
    }

    /// Runs `script` (which ends by calling `done(value)`) with `args`, as WebDriver's async
    /// scripts do.
    pub async fn run_async(&self, script: &str, args: Vec<serde_json::Value>) -> serde_json::Value {
        let body = format!("const done = arguments[arguments.length - 1]; {script}");
        tokio::time::timeout(Duration::from_secs(90), self.client.execute_async(&body, args))
            .await
            .expect("the page script did not finish")
            .unwrap_or_else(|e| panic!("page script failed: {e}\n{script}"))
    }

    /// Calls one of the app's commands as the UI does, through `window.__TAURI__.core.invoke`
    /// (raw byte answers come back as arrays of numbers).
    pub async fn invoke(&self, command: &str, request: serde_json::Value) -> serde_json::Value {
        let answer = self
            .run_async(
                "window.__TAURI__.core.invoke(arguments[0], { request: arguments[1] }).then(\
                   (v) => done({ ok: v instanceof ArrayBuffer ? Array.from(new Uint8Array(v)) : v }),\
                   (e) => done({ err: e }));",
                vec![json!(command), request],
            )
            .await;
        match answer.get("ok") {
            Some(ok) => ok.clone(),
            None => panic!("{command} failed: {}", answer["err"]),
        }
    }

    /// Sets a form control's value as a user would and tells the page (`input` and `change`).
    pub async fn set_value(&self, css: &str, value: &str) {
        self.wait_for(css).await;
        self.eval(&format!(
            "const e = document.querySelector({css:?}); e.value = {value:?}; \
             e.dispatchEvent(new Event('input', {{ bubbles: true }})); e.dispatchEvent(new Event('change', {{ bubbles: true }}));"
        ))
        .await;
    }

    /// Waits until an element matching `css` is on the page; if it never comes, the page as it
    /// was is saved as `failed-wait.png` beside the screenshots before the test fails.
    pub async fn wait_for(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => {
                if let Ok(Ok(png)) = tokio::time::timeout(Duration::from_secs(10), self.client.screenshot()).await {
                    let _ = std::fs::write(self.screenshots.join("failed-wait.png"), png);
                }
                panic!("{css} did not appear within {PATIENCE:?}: {e}")
            }
        }
    }

    /// Waits until the text of `css` contains `needle`, and returns that text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.text(css).await;
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never contained {needle:?}; last text: {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The rendered text (`innerText`) of the first element matching `css`, or "" if none does.
    /// Waits until the text of `css` is exactly `expected` (trimmed).
    pub async fn wait_for_exact_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.text(css).await;
            if text.trim() == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never read {expected:?}; last text: {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => self.inner_text(e).await,
            Err(_) => String::new(),
        }
    }

    pub async fn all_texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.client.find_all(Locator::Css(css)).await.unwrap_or_default() {
            out.push(self.inner_text(e).await);
        }
        out
    }

    /// WebKitWebDriver's own "element text" stops at the first link with a `tauri://` address,
    /// so the text is read as the page sees it.
    async fn inner_text(&self, element: Element) -> String {
        let arg = serde_json::to_value(&element).unwrap_or_default();
        match self.client.execute("return arguments[0].innerText", vec![arg]).await {
            Ok(serde_json::Value::String(text)) => text,
            _ => String::new(),
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    pub async fn click(&self, css: &str) {
        let element = self.wait_for(css).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css} failed: {e}"));
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.wait_for(css).await;
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {css} failed: {e}"));
    }

    /// Sends keys to whatever has the focus (the page's body when nothing does), as a user
    /// typing would; special keys come from `fantoccini::key::Key`.
    pub async fn press(&self, keys: &str) {
        let target = match self.client.active_element().await {
            Ok(element) => element,
            Err(_) => self.wait_for("body").await,
        };
        target
            .send_keys(keys)
            .await
            .unwrap_or_else(|e| panic!("pressing {keys:?} failed: {e}"));
    }

    /// Waits until `css` matches nothing.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + PATIENCE;
        while self.count(css).await > 0 {
            assert!(Instant::now() < deadline, "{css} was still there after {PATIENCE:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Evaluates JavaScript in the page and returns its result.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Saves a PNG of the window as `<target>/e2e-screenshots/<name>.png`.
    ///
    /// WebKitWebDriver waits for the next frame, which a still page never paints: a short-lived
    /// invisible animation makes one.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        self.eval(
            "let el = document.getElementById('e2e-repaint'); if (!el) { el = document.createElement('div'); \
             el.id = 'e2e-repaint'; el.style.position = 'fixed'; el.style.width = '1px'; el.style.height = '1px'; \
             el.style.left = '0'; el.style.top = '0'; el.style.pointerEvents = 'none'; document.body.appendChild(el); } \
             let n = 0; const t = setInterval(() => { el.style.opacity = (n % 2) ? '0.01' : '0.02'; if (++n > 30) clearInterval(t); }, 16);",
        )
        .await;
        let png = tokio::time::timeout(PATIENCE, self.client.screenshot())
            .await
            .expect("the screenshot did not finish")
            .expect("the screenshot failed");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("cannot save the screenshot");
        eprintln!("screenshot: {}", path.display());
        path
    }

    /// Ends the session and every process it started.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        kill_group(&mut self.driver);
    }
}

impl Drop for App {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}

fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let candidate = home.join("bin/tauri-driver");
    if candidate.exists() {
        candidate
    } else {
        PathBuf::from("tauri-driver")
    }
}
