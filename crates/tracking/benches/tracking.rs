//! The tracking client against MLflow 3.17.2 on one generated SQLite store, measured in the same
//! run: a metric-ordered search, all 10,000 runs, one 100k-step history and sampled histories of
//! 20 long runs. Prints a table of medians, MLflow ÷ Runlens ratios and the targets.
//!
//! `cargo bench -p runlens-tracking --bench tracking`; BENCHMARKS.md at the repository root
//! describes the store, the settings (environment variables below) and the latest figures.
//!
//! The store is written once by `make_bench_store.py` into `<target>/bench-store/<key>/`, where
//! the key is a hash of the generator's source, and reused until the generator changes. MLflow's
//! side is `mlflow_timings.py`, run with MLflow's Python under a time limit; it starts and stops
//! its own `mlflow server` on 127.0.0.1.

use runlens_core::request::SearchRuns;
use runlens_core::PageRequest;
use runlens_tracking::{ConnectOptions, Tracking};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The generator's source: its hash names the cached store, and a change rebuilds the bench.
const GENERATOR: &str = include_str!("make_bench_store.py");
const GENERATOR_TIMEOUT: Duration = Duration::from_secs(15 * 60);
const MLFLOW_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Points per sampled series, as the app asks for a chart.
const SAMPLED_POINTS: usize = 1000;

/// What `make_bench_store.py` wrote (its `complete.json`).
#[derive(Deserialize)]
struct StoreSummary {
    db: PathBuf,
    runs_experiment_id: String,
    runs: usize,
    long_run_ids: Vec<String>,
    long_metric: String,
    long_steps: usize,
    order_metric: String,
    metric_points: usize,
}

/// What `mlflow_timings.py` measured.
#[derive(Deserialize)]
struct MlflowTimings {
    mlflow_version: String,
    ops: BTreeMap<String, MlflowOp>,
    search_ids: Vec<String>,
}

#[derive(Deserialize)]
struct MlflowOp {
    seconds: Vec<f64>,
    count: usize,
}

struct Settings {
    python: PathBuf,
    iterations: usize,
    warmups: usize,
    mlflow_repeats: usize,
    skip_mlflow: bool,
}

impl Settings {
    fn from_env() -> Result<Settings, String> {
        let number = |name: &str, default: usize| -> Result<usize, String> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("{name}={v} is not a positive number")),
                _ => Ok(default),
            }
        };
        Ok(Settings {
            python: mlflow_python()?,
            iterations: number("RUNLENS_BENCH_ITERATIONS", 10)?,
            warmups: number("RUNLENS_BENCH_WARMUPS", 2)?,
            mlflow_repeats: number("RUNLENS_BENCH_MLFLOW_REPEATS", 3)?,
            skip_mlflow: std::env::var("RUNLENS_BENCH_SKIP_MLFLOW").is_ok_and(|v| v == "1"),
        })
    }
}

/// MLflow's Python: `$RUNLENS_PYTHON`, else the venv `cargo xtask setup` creates.
fn mlflow_python() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("RUNLENS_PYTHON").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.exists() {
            Ok(p)
        } else {
            Err(format!(
                "RUNLENS_PYTHON={} does not exist: point it at a python with mlflow==3.17.2",
                p.display()
            ))
        };
    }
    let venv = match std::env::var_os("RUNLENS_VENV") {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into())).join(".cache/runlens/venv-mlflow")
        }
    };
    let python = venv.join("bin/python");
    if python.exists() {
        Ok(python)
    } else {
        Err(format!(
            "MLflow's Python is missing ({}): run `cargo xtask setup` to create the venv with mlflow==3.17.2, or set RUNLENS_PYTHON",
            python.display()
        ))
    }
}

fn benches_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches")
}

/// `<target>/bench-store`: cargo gives benches `<target>/tmp`.
fn store_root() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("bench-store")
}

/// FNV-1a: a stable name for the generator's version (std's hasher may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs a Python script with MLflow's Python, in `cwd`, killing it when `limit` passes. Its stdin
/// stays open until it ends: the MLflow side stops its server when stdin closes.
fn run_script(python: &Path, script: &str, args: &[&OsStr], cwd: &Path, limit: Duration) -> Result<(), String> {
    let mut cmd = Command::new(python);
    cmd.arg(benches_dir().join(script))
        .args(args)
        .current_dir(cwd)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // A tracking URI from the developer's shell must not redirect the benchmark.
        .env_remove("MLFLOW_TRACKING_URI")
        .stdin(Stdio::piped())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {script} with {}: {e}", python.display()))?;
    let stdin = child.stdin.take();
    let outcome = wait_with_limit(&mut child, limit);
    drop(stdin);
    match outcome {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{script} failed ({status}); its output is above")),
        Err(()) => {
            // Closing stdin lets the script stop its server; then it is killed.
            let _ = wait_with_limit(&mut child, Duration::from_secs(15));
            let _ = child.kill();
            let _ = child.wait();
            Err(format!(
                "{script} did not finish within {} s and was stopped",
                limit.as_secs()
            ))
        }
    }
}

fn wait_with_limit(child: &mut Child, limit: Duration) -> Result<std::process::ExitStatus, ()> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Ok(status);
        }
        if Instant::now() > deadline {
            return Err(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The cached store for this generator, generated first when missing or incomplete.
fn ensure_store(settings: &Settings) -> Result<StoreSummary, String> {
    let root = store_root();
    let name = format!("store-{:016x}", fnv1a(GENERATOR.as_bytes()));
    let dir = root.join(&name);
    let complete = dir.join("complete.json");
    if !complete.exists() {
        std::fs::create_dir_all(&root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
        // Stores of older generators only take space.
        for entry in std::fs::read_dir(&root)
            .map_err(|e| format!("cannot list {}: {e}", root.display()))?
            .flatten()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        eprintln!(
            "generating the benchmark store in {} (about half a minute)",
            dir.display()
        );
        run_script(
            &settings.python,
            "make_bench_store.py",
            &[dir.as_os_str()],
            &dir,
            GENERATOR_TIMEOUT,
        )?;
    }
    let text = std::fs::read_to_string(&complete).map_err(|e| format!("cannot read {}: {e}", complete.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not a store summary: {e}", complete.display()))
}

/// Median and spread of the timings, in seconds.
#[derive(Clone, Copy)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn stats(seconds: &[f64]) -> Stats {
    let mut s = seconds.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    Stats {
        median,
        min: s[0],
        max: s[n - 1],
    }
}

/// Times `op` after warm-up runs; `check` validates every result (a wrong answer is no figure).
fn measure<T, F, Fut>(
    rt: &tokio::runtime::Runtime,
    settings: &Settings,
    name: &str,
    op: F,
    check: impl Fn(&T) -> Result<(), String>,
) -> Result<Stats, String>
where
    F: Fn() -> Fut,
    Fut: Future<Output = runlens_tracking::Result<T>>,
{
    let mut seconds = Vec::with_capacity(settings.iterations);
    for i in 0..settings.warmups + settings.iterations {
        let started = Instant::now();
        let result = rt.block_on(op()).map_err(|e| format!("{name}: {e}"))?;
        let elapsed = started.elapsed().as_secs_f64();
        check(&result).map_err(|e| format!("{name}: {e}"))?;
        drop(result);
        if i >= settings.warmups {
            seconds.push(elapsed);
        }
    }
    let s = stats(&seconds);
    eprintln!(
        "runlens {name}: median {:.1} ms (min {:.1}, max {:.1})",
        s.median * 1e3,
        s.min * 1e3,
        s.max * 1e3
    );
    Ok(s)
}

struct Ours {
    /// How busy the CPUs were just before (other work slows every figure), 0 to 1.
    busy_before: Option<f64>,
    search_100: Stats,
    search_ids: Vec<String>,
    all_runs: Stats,
    history: Stats,
    sampled: Stats,
}

fn expect(what: &str, got: usize, want: usize) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got}, expected {want}"))
    }
}

fn measure_ours(settings: &Settings, store: &StoreSummary) -> Result<Ours, String> {
    let busy_before = cpu_busy(Duration::from_secs(2));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let uri = store.db.display().to_string();
    let tracking = rt
        .block_on(Tracking::open(&uri, &ConnectOptions::default()))
        .map_err(|e| format!("cannot open {uri}: {e}"))?;
    let exp = vec![store.runs_experiment_id.clone()];

    let search = SearchRuns {
        experiment_ids: exp.clone(),
        order_by: vec![format!("metrics.{} DESC", store.order_metric)],
        page: PageRequest {
            max_results: Some(100),
            page_token: None,
        },
        ..Default::default()
    };
    let search_100 = measure(
        &rt,
        settings,
        "search_100",
        || tracking.search_runs(&search),
        |p| expect("runs", p.items.len(), 100),
    )?;
    let search_ids = rt
        .block_on(tracking.search_runs(&search))
        .map_err(|e| e.to_string())?
        .items
        .into_iter()
        .map(|r| r.info.run_id)
        .collect();

    let all = SearchRuns {
        experiment_ids: exp,
        ..Default::default()
    };
    let all_runs = measure(
        &rt,
        settings,
        "all_runs",
        || tracking.all_runs(&all),
        |runs| {
            expect("runs", runs.len(), store.runs)?;
            expect("params of the first run", runs[0].data.params.len(), 20)
        },
    )?;

    let (long, key) = (&store.long_run_ids, &store.long_metric);
    let history = measure(
        &rt,
        settings,
        "history",
        || tracking.metric_history(&long[0], key),
        |h| expect("points", h.len(), store.long_steps),
    )?;

    let keys = vec![key.clone()];
    let sampled = measure(
        &rt,
        settings,
        "sampled",
        || tracking.sampled_histories(long, &keys, SAMPLED_POINTS),
        |series| {
            expect("series", series.len(), long.len())?;
            for s in series {
                expect("points behind a series", s.total_points, store.long_steps)?;
                if s.points.len() > SAMPLED_POINTS || s.points.len() < SAMPLED_POINTS / 2 {
                    return Err(format!(
                        "a sampled series has {} points for a budget of {SAMPLED_POINTS}",
                        s.points.len()
                    ));
                }
            }
            Ok(())
        },
    )?;
    Ok(Ours {
        busy_before,
        search_100,
        search_ids,
        all_runs,
        history,
        sampled,
    })
}

fn measure_mlflow(settings: &Settings, store: &StoreSummary) -> Result<MlflowTimings, String> {
    let work = store_root().join("mlflow-run");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let out = work.join("timings.json");
    let store_dir = store.db.parent().unwrap_or(Path::new("."));
    let repeats = settings.mlflow_repeats.to_string();
    eprintln!("timing MLflow (a few minutes: each operation {repeats}×, the 20 full histories once)");
    let args = [
        store_dir.as_os_str(),
        out.as_os_str(),
        "--repeats".as_ref(),
        repeats.as_ref(),
        "--watch-stdin".as_ref(),
    ];
    run_script(&settings.python, "mlflow_timings.py", &args, &work, MLFLOW_TIMEOUT)?;
    let text = std::fs::read_to_string(&out).map_err(|e| format!("cannot read {}: {e}", out.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not MLflow's timings: {e}", out.display()))
}

/// One line of the table: our figure against one way of doing the same with MLflow.
struct Row {
    operation: &'static str,
    ours: Stats,
    mlflow_op: &'static str,
    mlflow_way: &'static str,
    target_ms: f64,
}

/// The share of CPU time other processes used over `window` (Linux; `None` elsewhere).
fn cpu_busy(window: Duration) -> Option<f64> {
    // The first line of /proc/stat: cpu user nice system idle iowait irq softirq steal ...
    let sample = || -> Option<(u64, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        let idle = fields.get(3)? + fields.get(4)?;
        Some((fields.iter().take(8).sum(), idle))
    };
    let (total0, idle0) = sample()?;
    std::thread::sleep(window);
    let (total1, idle1) = sample()?;
    let total = total1.checked_sub(total0).filter(|t| *t > 0)?;
    Some(1.0 - idle1.saturating_sub(idle0) as f64 / total as f64)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn print_table(
    settings: &Settings,
    store: &StoreSummary,
    ours: &Ours,
    mlflow: Option<&MlflowTimings>,
) -> Result<(), String> {
    let row = |operation, ours, mlflow_op, mlflow_way, target_ms| Row {
        operation,
        ours,
        mlflow_op,
        mlflow_way,
        target_ms,
    };
    let sampled = "20 histories sampled to 1000 points";
    let rows = [
        row(
            "first 100 runs by metrics.m0 DESC",
            ours.search_100,
            "search_100",
            "Python client",
            100.0,
        ),
        row(
            "all 10,000 runs",
            ours.all_runs,
            "all_runs_client",
            "Python client, one search",
            500.0,
        ),
        row(
            "all 10,000 runs",
            ours.all_runs,
            "all_runs_rest",
            "REST runs/search, pages of 1000",
            500.0,
        ),
        row("one 100k-step history", ours.history, "history", "Python client", 150.0),
        row(
            sampled,
            ours.sampled,
            "sampled_rest_1000",
            "REST get-history-bulk-interval, max_results=1000",
            300.0,
        ),
        row(
            sampled,
            ours.sampled,
            "sampled_rest_320",
            "REST get-history-bulk-interval, max_results=320 (the UI's)",
            300.0,
        ),
        row(
            sampled,
            ours.sampled,
            "full_histories_client",
            "Python client, 20 full histories",
            300.0,
        ),
    ];
    let mut out = std::io::stdout().lock();
    let mut w = |s: String| writeln!(out, "{s}").map_err(|e| e.to_string());
    w(String::new())?;
    w(format!(
        "Store: {} runs + {} runs of {} steps, {} metric points; {} CPUs ({}), SQLite {}, MLflow {}",
        store.runs,
        store.long_run_ids.len(),
        store.long_steps,
        store.metric_points,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu_model(),
        rusqlite::version(),
        mlflow.map(|m| m.mlflow_version.as_str()).unwrap_or("not measured"),
    ))?;
    w(format!(
        "Runlens: median of {} after {} warm-up; MLflow: median of {} after warm-up requests (full histories: 1 run)",
        settings.iterations, settings.warmups, settings.mlflow_repeats
    ))?;
    if let Some(busy) = ours.busy_before {
        let note = if busy > 0.2 {
            ": other work was running, so every figure is slower than on an idle machine"
        } else {
            ""
        };
        w(format!(
            "CPU busy in the 2 s before Runlens was timed: {:.0}%{note}",
            busy * 100.0
        ))?;
    }
    w(String::new())?;
    w("| Operation | Runlens (ms) | MLflow (s) | MLflow way | MLflow ÷ Runlens | Target | Met |".into())?;
    w("|---|---:|---:|---|---:|---:|---|".into())?;
    let mut all_met = true;
    for row in rows {
        let mlflow_s = match mlflow {
            Some(m) => Some(
                stats(
                    &m.ops
                        .get(row.mlflow_op)
                        .ok_or(format!("MLflow's timings lack {}", row.mlflow_op))?
                        .seconds,
                )
                .median,
            ),
            None => None,
        };
        let met = row.ours.median * 1e3 < row.target_ms;
        all_met &= met;
        w(format!(
            "| {} | {:.1} | {} | {} | {} | < {:.0} ms | {} |",
            row.operation,
            row.ours.median * 1e3,
            mlflow_s.map(|s| format!("{s:.2}")).unwrap_or_else(|| "–".into()),
            row.mlflow_way,
            mlflow_s
                .map(|s| format!("{:.0}×", s / row.ours.median))
                .unwrap_or_else(|| "–".into()),
            row.target_ms,
            if met { "yes" } else { "NO" },
        ))?;
    }
    if let Some(m) = mlflow {
        let same = m.search_ids == ours.search_ids;
        w(format!(
            "\nFirst 100 runs by metric: {} MLflow's. MLflow's result sizes: {}",
            if same {
                "the same runs in the same order as"
            } else {
                "NOT the same as"
            },
            m.ops
                .iter()
                .map(|(k, v)| format!("{k} {}", v.count))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
        all_met &= same;
    }
    w(format!(
        "\n{}",
        if all_met {
            "All targets met."
        } else {
            "Some targets were missed (see Met)."
        }
    ))?;
    Ok(())
}

fn run() -> Result<(), String> {
    let settings = Settings::from_env()?;
    let store = ensure_store(&settings)?;
    eprintln!("store: {}", store.db.display());
    let ours = measure_ours(&settings, &store)?;
    let mlflow = if settings.skip_mlflow {
        None
    } else {
        Some(measure_mlflow(&settings, &store)?)
    };
    print_table(&settings, &store, &ours, mlflow.as_ref())
}

fn main() -> ExitCode {
    // `cargo test --benches` runs this binary without `--bench`: the benchmark takes minutes and
    // needs MLflow, so it only runs under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("tracking benchmark: run it with `cargo bench -p runlens-tracking --bench tracking`");
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tracking benchmark failed: {e}");
            ExitCode::FAILURE
        }
    }
}
