//! The stores the end-to-end tests of the browse screens open, and MLflow's own view of a run or
//! experiment after the app edited it.
//!
//! - [`browse_store`]: `make_browse_fixture.py` — projects, a run tree 3 levels deep, every run
//!   status, MaxFlow runs, one artifact of every preview kind, a model, and hostile markup. Built
//!   once per test process into `runlens-browse/p<pid>/store/`.
//! - [`scroll_store`]: `make_scroll_store.py` — one experiment of 10,000 runs. Built once per
//!   generator text into `runlens-browse/scroll-<hash>/` and shared by every later process (under
//!   a file lock), since building it takes several seconds.
//!
//! **Both are read-only.** Tests that write work on [`FixtureStore::fresh_copy`], whose artifact
//! locations point into the copy (`copy_store.py`). [`mlflow_run`] and [`mlflow_experiment`] run
//! `mlflow_state.py`: what MLflow's client reads from a store now.

use crate::{read_json, run_script, tail, try_python};
use runlens_core::{LifecycleStage, MetricValue, RunStatus, Tags};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The scroll store's generator: its hash names the cached store, so a change rebuilds it.
const SCROLL_GENERATOR: &str = include_str!("../fixtures/make_scroll_store.py");

/// A fixture store directory (`mlflow.db`, `artifacts/`, `manifest.json`) and its manifest.
/// Derefs to the manifest, so `store.run("parent")` reads as the logical name says.
#[derive(Debug, Clone)]
pub struct FixtureStore<M> {
    pub dir: PathBuf,
    pub manifest: M,
}

/// The store of [`browse_store`].
pub type BrowseStore = FixtureStore<BrowseManifest>;
/// The store of [`scroll_store`].
pub type ScrollStore = FixtureStore<ScrollManifest>;

impl<M> Deref for FixtureStore<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.manifest
    }
}

impl<M: DeserializeOwned> FixtureStore<M> {
    pub(crate) fn load(dir: PathBuf) -> Result<FixtureStore<M>, String> {
        let manifest = read_json(&dir.join("manifest.json"))?;
        Ok(FixtureStore { dir, manifest })
    }

    /// `DIR/mlflow.db`: give it to the app as its argument.
    pub fn db(&self) -> PathBuf {
        self.dir.join("mlflow.db")
    }

    /// `sqlite:////abs/DIR/mlflow.db`, for Runlens and MLflow alike.
    pub fn uri(&self) -> String {
        format!("sqlite:///{}", self.db().display())
    }

    /// A private copy of this process (database, artifacts, manifest) whose experiments, runs and
    /// logged models point at the copy's own artifacts: write to it freely.
    pub fn fresh_copy(&self) -> FixtureStore<M> {
        let label = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let dest = fresh_dir(&format!("copy-{label}"));
        let cwd = dest.parent().expect("a work dir has a parent").to_path_buf();
        run_script("copy_store.py", &cwd, &[self.dir.as_os_str(), dest.as_os_str()])
            .unwrap_or_else(|e| panic!("copying the fixture store {} failed: {e}", self.dir.display()));
        FixtureStore::load(dest).unwrap_or_else(|e| panic!("{e}"))
    }

    /// MLflow's view of a run of this store now ([`mlflow_run`]).
    pub fn mlflow_run(&self, run_id: &str) -> RunState {
        mlflow_run(&self.uri(), run_id)
    }

    /// MLflow's view of an experiment of this store now ([`mlflow_experiment`]).
    pub fn mlflow_experiment(&self, experiment_id: &str) -> ExperimentState {
        mlflow_experiment(&self.uri(), experiment_id)
    }
}

/// `make_browse_fixture.py`'s manifest; its docstring describes the content.
#[derive(Debug, Clone, Deserialize)]
pub struct BrowseManifest {
    /// Logical name → experiment id: default, sweep, previews, forecast, nlp, scratch, hostile.
    pub experiments: BTreeMap<String, String>,
    /// Logical name → experiment name.
    pub experiment_names: BTreeMap<String, String>,
    /// Logical name → run id: parent, child_1..3, grandchild (under child_1), running, failed,
    /// deleted, maxflow (all in sweep); forecast_run, nlp_run, hostile_run, artifacts (in previews).
    pub runs: BTreeMap<String, String>,
    /// Logical name → run name.
    pub run_names: BTreeMap<String, String>,
    /// Preview kind → path in the `artifacts` run: text, log, json, yaml, csv, png, jpeg, webp,
    /// big_text (3 MB), table (`log_table`), broken_json, broken_csv, model_dir, mlmodel,
    /// input_example, model_requirements.
    pub artifacts: BTreeMap<String, String>,
    /// "model" → the MLflow 3 logged model id of the `artifacts` run's model.
    pub logged_models: BTreeMap<String, String>,
    /// Project name → logical names of its experiments: vision, forecasting, nlp.
    pub projects: BTreeMap<String, Vec<String>>,
    /// Logical names of the experiments without a project.
    pub unassigned: Vec<String>,
    pub hostile: Hostile,
    /// Keys the MaxFlow run uses: long_param, config_param, config_artifact, feature_view_tag,
    /// run_type_tag.
    pub keys: BTreeMap<String, String>,
    /// Steps of each sweep child's curves.
    pub sweep_steps: usize,
}

/// The hostile strings, each stored verbatim; any of them executed sets `window.<marker>`.
#[derive(Debug, Clone, Deserialize)]
pub struct Hostile {
    /// `__runlens_pwned`: the global the payloads set.
    pub marker: String,
    /// `<img src=x onerror="window.__runlens_pwned=1">`
    pub img: String,
    /// `<script>window.__runlens_pwned=1</script>`
    pub script: String,
    pub experiment_name: String,
    pub experiment_description: String,
    pub experiment_tag_key: String,
    pub experiment_tag_value: String,
    pub run_name: String,
    /// Written with sqlite3: MLflow's client refuses markup in keys.
    pub tag_key: String,
    pub tag_value: String,
    pub param_key: String,
    pub param_value: String,
    /// Markdown with raw HTML, an iframe and a `javascript:` link.
    pub run_description: String,
}

/// `make_scroll_store.py`'s manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct ScrollManifest {
    pub experiment_id: String,
    pub experiment_name: String,
    /// 10,000.
    pub run_count: usize,
    pub parents: usize,
    pub children_per_parent: usize,
    /// Runs without a parent.
    pub roots: usize,
    pub metrics: Vec<String>,
    pub params: Vec<String>,
    /// `parent_BBB`, `child_BBB_N` (N = 1..9), `newest`, `oldest` → run id.
    pub runs: BTreeMap<String, String>,
    pub run_names: BTreeMap<String, String>,
}

fn lookup<'a>(map: &'a BTreeMap<String, String>, what: &str, logical: &str) -> &'a str {
    map.get(logical)
        .unwrap_or_else(|| panic!("no {what} {logical:?} in the fixture manifest"))
}

impl BrowseManifest {
    pub fn experiment(&self, logical: &str) -> &str {
        lookup(&self.experiments, "experiment", logical)
    }
    pub fn experiment_name(&self, logical: &str) -> &str {
        lookup(&self.experiment_names, "experiment", logical)
    }
    pub fn run(&self, logical: &str) -> &str {
        lookup(&self.runs, "run", logical)
    }
    pub fn run_name(&self, logical: &str) -> &str {
        lookup(&self.run_names, "run", logical)
    }
    /// The path of an artifact of the `artifacts` run, by preview kind.
    pub fn artifact(&self, kind: &str) -> &str {
        lookup(&self.artifacts, "artifact", kind)
    }
}

impl ScrollManifest {
    pub fn run(&self, logical: &str) -> &str {
        lookup(&self.runs, "run", logical)
    }
    pub fn run_name(&self, logical: &str) -> &str {
        lookup(&self.run_names, "run", logical)
    }
}

/// The browse store, built on first use (≈4 s) and shared by every test of the process.
/// `target_tmpdir`: the test binary's `env!("CARGO_TARGET_TMPDIR")`.
pub fn browse_store(target_tmpdir: &str) -> &'static BrowseStore {
    static STORE: OnceLock<Result<BrowseStore, String>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let dir = process_dir(target_tmpdir)?.join("store");
            run_script("make_browse_fixture.py", process_dir(target_tmpdir)?, &[&dir])?;
            FixtureStore::load(dir)
        })
        .as_ref()
        .unwrap_or_else(|e| panic!("building the browse fixture failed: {e}"))
}

/// The 10,000-run store: built once per generator text (≈10 s) and reused by later processes.
pub fn scroll_store(target_tmpdir: &str) -> &'static ScrollStore {
    static STORE: OnceLock<Result<ScrollStore, String>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            process_dir(target_tmpdir)?;
            let base = base_dir(target_tmpdir);
            let name = format!("scroll-{:016x}", fnv1a(SCROLL_GENERATOR.as_bytes()));
            let dir = base.join(&name);
            let _lock = FileLock::acquire(&base.join(format!("{name}.lock")))?;
            if !dir.join("manifest.json").exists() {
                // Stores of older generators (and an interrupted build of this one) only take space.
                for entry in std::fs::read_dir(&base).map_err(|e| format!("cannot list {}: {e}", base.display()))? {
                    let entry = entry.map_err(|e| e.to_string())?;
                    let other = entry.file_name().to_string_lossy().to_string();
                    if other.starts_with("scroll-") && other != name && !other.ends_with(".lock") {
                        let _ = std::fs::remove_dir_all(entry.path());
                        let _ = std::fs::remove_file(base.join(format!("{other}.lock")));
                    }
                }
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                run_script("make_scroll_store.py", &dir, &[&dir])?;
            }
            FixtureStore::load(dir)
        })
        .as_ref()
        .unwrap_or_else(|e| panic!("building the 10,000-run store failed: {e}"))
}

/// A run as MLflow's client reads it (`mlflow_state.py STORE_URI run RUN_ID`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RunState {
    pub run_id: String,
    pub experiment_id: String,
    pub name: String,
    pub status: RunStatus,
    pub lifecycle_stage: LifecycleStage,
    pub user_id: String,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub tags: Tags,
    pub params: BTreeMap<String, String>,
    /// Latest values.
    pub metrics: BTreeMap<String, MetricValue>,
}

impl RunState {
    /// The `mlflow.note.content` tag.
    pub fn description(&self) -> Option<&str> {
        self.tags.get(runlens_core::tag::NOTE).map(String::as_str)
    }
}

/// An experiment as MLflow's client reads it (`mlflow_state.py STORE_URI experiment ID`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ExperimentState {
    pub experiment_id: String,
    pub name: String,
    pub lifecycle_stage: LifecycleStage,
    pub artifact_location: String,
    pub creation_time: Option<i64>,
    pub last_update_time: Option<i64>,
    pub tags: Tags,
}

impl ExperimentState {
    /// The `mlflow.note.content` tag.
    pub fn description(&self) -> Option<&str> {
        self.tags.get(runlens_core::tag::NOTE).map(String::as_str)
    }
}

/// What MLflow's client reads of a run now; panics when MLflow cannot read it.
pub fn mlflow_run(uri: &str, run_id: &str) -> RunState {
    try_mlflow_state(uri, "run", run_id).unwrap_or_else(|e| panic!("{e}"))
}

/// What MLflow's client reads of an experiment now; panics when MLflow cannot read it.
pub fn mlflow_experiment(uri: &str, experiment_id: &str) -> ExperimentState {
    try_mlflow_state(uri, "experiment", experiment_id).unwrap_or_else(|e| panic!("{e}"))
}

/// `mlflow_state.py URI WHAT ID`; the error carries MLflow's message (e.g. an unknown id).
pub fn try_mlflow_state<T: DeserializeOwned>(uri: &str, what: &str, id: &str) -> Result<T, String> {
    // MLflow may create ./mlruns in its working directory: never the repository's.
    let cwd = std::env::temp_dir();
    let mut cmd = crate::python_script("mlflow_state.py", &cwd)?;
    let out = cmd
        .args([uri, what, id])
        .output()
        .map_err(|e| format!("cannot start mlflow_state.py: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "MLflow cannot read {what} {id} of {uri} ({}): {stdout}\n{}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stderr), 20)
        ));
    }
    serde_json::from_str(&stdout).map_err(|e| format!("mlflow_state.py printed an unexpected shape ({e}): {stdout}"))
}

/// `runlens-browse/` in the target dir.
fn base_dir(target_tmpdir: &str) -> PathBuf {
    Path::new(target_tmpdir).join("runlens-browse")
}

static PROCESS_DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// `runlens-browse/p<pid>`, created empty on first use; directories of ended processes go.
pub(crate) fn process_dir(target_tmpdir: &str) -> Result<&'static Path, String> {
    PROCESS_DIR
        .get_or_init(|| {
            try_python()?;
            let base = base_dir(target_tmpdir);
            std::fs::create_dir_all(&base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
            crate::remove_dirs_of_finished_processes(&base);
            let dir = base.join(format!("p{}", std::process::id()));
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
            }
            std::fs::create_dir_all(dir.join("work")).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            Ok(dir)
        })
        .as_ref()
        .map(PathBuf::as_path)
        .map_err(Clone::clone)
}

/// A new path (not yet created) under this process's `work/`.
pub(crate) fn fresh_dir(label: &str) -> PathBuf {
    static COPIES: AtomicUsize = AtomicUsize::new(0);
    let root = PROCESS_DIR
        .get()
        .and_then(|r| r.as_ref().ok())
        .expect("a fixture store was built before it is copied");
    let n = COPIES.fetch_add(1, Ordering::SeqCst);
    root.join("work").join(format!("{n:03}-{label}"))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// An exclusive `flock` held until dropped: two test processes never build the cached store at
/// the same time.
pub(crate) struct FileLock(std::fs::File);

impl FileLock {
    pub(crate) fn acquire(path: &Path) -> Result<FileLock, String> {
        use std::os::unix::io::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot open the lock {}: {e}", path.display()))?;
        // SAFETY: flock on a descriptor this struct owns; it is released when the file closes.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(format!(
                "cannot lock {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            ));
        }
        Ok(FileLock(file))
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        use std::os::unix::io::AsRawFd;
        // SAFETY: unlocks the descriptor locked in `acquire`, still open.
        unsafe {
            libc::flock(self.0.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_state_reads_mlflow_state_output() {
        let json = r#"{"run_id": "r1", "experiment_id": "1", "name": "n", "status": "RUNNING",
            "lifecycle_stage": "deleted", "user_id": "", "start_time": 5, "end_time": null,
            "tags": {"mlflow.note.content": "*hi*"}, "params": {"a": "1"}, "metrics": {"m": "NaN", "k": 1.5}}"#;
        let state: RunState = serde_json::from_str(json).unwrap();
        assert_eq!(state.status, RunStatus::Running);
        assert_eq!(state.lifecycle_stage, LifecycleStage::Deleted);
        assert_eq!(state.end_time, None);
        assert_eq!(state.description(), Some("*hi*"));
        assert!(state.metrics["m"].0.is_nan());
    }

    #[test]
    fn the_cache_key_follows_the_generator_text() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
    }
}
