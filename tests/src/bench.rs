//! The benchmark store (`crates/tracking/benches/make_bench_store.py`) for end-to-end timings:
//! the same `<target>/bench-store/store-<hash of the generator>/` the tracking benchmark writes
//! and reuses. Built here when it is missing (about half a minute, 675 MB), under a file lock
//! so a benchmark and a test never build it at once. **Read-only.**

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The generator's text: its hash names the store, as in the benchmark.
const GENERATOR: &str = include_str!("../../crates/tracking/benches/make_bench_store.py");

/// What `make_bench_store.py` wrote (its `complete.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct BenchStore {
    pub db: PathBuf,
    pub runs_experiment_id: String,
    /// `bench-long`: 20 runs with a 100,000-step `loss`.
    pub long_experiment_id: String,
    pub long_run_ids: Vec<String>,
    pub long_metric: String,
    pub long_steps: usize,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `<target>/bench-store/store-<hash>`: `target_tmpdir` is the test's `CARGO_TARGET_TMPDIR`.
pub fn store_dir(target_tmpdir: &str) -> PathBuf {
    let tmp = Path::new(target_tmpdir);
    tmp.parent()
        .unwrap_or(tmp)
        .join("bench-store")
        .join(format!("store-{:016x}", fnv1a(GENERATOR.as_bytes())))
}

/// The benchmark store, built first when missing.
pub fn bench_store(target_tmpdir: &str) -> &'static BenchStore {
    static STORE: OnceLock<Result<BenchStore, String>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let dir = store_dir(target_tmpdir);
            let complete = dir.join("complete.json");
            let parent = dir.parent().expect("the store dir has a parent");
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            let _lock = crate::browse::FileLock::acquire(&parent.join(".build.lock"))?;
            if !complete.exists() {
                // An interrupted build leaves a directory without complete.json.
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                eprintln!(
                    "building the benchmark store in {} (about half a minute)",
                    dir.display()
                );
                let script =
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/tracking/benches/make_bench_store.py");
                let out = std::process::Command::new(crate::try_python()?)
                    .arg(&script)
                    .arg(&dir)
                    .current_dir(&dir)
                    .env("PYTHONUNBUFFERED", "1")
                    .env("PYTHONDONTWRITEBYTECODE", "1")
                    .env_remove("MLFLOW_TRACKING_URI")
                    .stdin(std::process::Stdio::null())
                    .output()
                    .map_err(|e| format!("cannot start {}: {e}", script.display()))?;
                if !out.status.success() {
                    return Err(format!(
                        "make_bench_store.py failed ({}):\n{}",
                        out.status,
                        crate::tail(&String::from_utf8_lossy(&out.stderr), 40)
                    ));
                }
            }
            let text =
                std::fs::read_to_string(&complete).map_err(|e| format!("cannot read {}: {e}", complete.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{} is not a store summary: {e}", complete.display()))
        })
        .as_ref()
        .unwrap_or_else(|e| panic!("the benchmark store is not available: {e}"))
}
