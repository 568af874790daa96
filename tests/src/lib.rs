//! The harness shared by Runlens's interop and end-to-end tests: MLflow's Python, fixture stores
//! written by real MLflow (built once per test process), `mlflow server` instances that die with
//! the test, MLflow's own answers as dumps ([`dump`]) and a field-by-field diff ([`diff`]), and the
//! stores of the browse screens' end-to-end tests with MLflow's view of a run after an edit
//! ([`browse`]).
//!
//! **The fixtures are read-only.** Tests that write work on a fresh copy
//! ([`Fixtures::fresh_sqlite_copy`], [`Fixtures::fresh_file_store_copy`], [`MlflowServer::start`]).
//!
//! Layout under the cargo target dir (`CARGO_TARGET_TMPDIR`, passed in by each test binary):
//! `runlens-fixtures/p<pid>/{fx/, dump-*.json, work/}`; directories of test processes that are gone
//! are removed when the next one starts.

pub mod app;
pub mod bench;
pub mod browse;
pub mod diff;
pub mod dump;
pub mod keyring;
pub mod registry;
pub mod server;

pub use diff::Report;
pub use dump::Dump;
pub use server::MlflowServer;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Where `cargo xtask setup` puts the venv with mlflow==3.17.2: `$RUNLENS_VENV`, else
/// `~/.cache/runlens/venv-mlflow` (the same rule as xtask's `setup::venv_dir`).
pub fn default_python() -> PathBuf {
    let venv = std::env::var_os("RUNLENS_VENV").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        home.join(".cache/runlens/venv-mlflow")
    });
    venv.join("bin/python")
}

/// MLflow's Python: `$RUNLENS_PYTHON`, else [`default_python`].
pub fn try_python() -> Result<PathBuf, String> {
    resolve_python(std::env::var_os("RUNLENS_PYTHON"))
}

/// [`try_python`] with the value of `RUNLENS_PYTHON` given.
fn resolve_python(override_path: Option<std::ffi::OsString>) -> Result<PathBuf, String> {
    let (path, from_env) = match override_path.filter(|v| !v.is_empty()) {
        Some(p) => (PathBuf::from(p), true),
        None => (default_python(), false),
    };
    if path.exists() {
        return Ok(path);
    }
    Err(if from_env {
        format!("RUNLENS_PYTHON={} does not exist: point it at a python with mlflow==3.17.2, or unset it and run `cargo xtask setup`", path.display())
    } else {
        format!("MLflow's Python is missing ({}): run `cargo xtask setup` to create the venv with mlflow==3.17.2, or set RUNLENS_PYTHON", path.display())
    })
}

/// Like [`try_python`], but panics with the setup hint.
pub fn python() -> PathBuf {
    try_python().unwrap_or_else(|e| panic!("{e}"))
}

/// `tests/fixtures/`, where the Python scripts live.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A command running one of the fixture scripts with MLflow's Python, in `cwd` (MLflow may create
/// `./mlruns` in the working directory, which must never be the repository).
pub fn python_script(script: &str, cwd: &Path) -> Result<Command, String> {
    let mut cmd = Command::new(try_python()?);
    cmd.arg(scripts_dir().join(script))
        .current_dir(cwd)
        .env("MLFLOW_ALLOW_FILE_STORE", "true")
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // A tracking URI from the developer's shell must not leak into the fixtures.
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("MLFLOW_REGISTRY_URI")
        .stdin(Stdio::null());
    Ok(cmd)
}

/// Runs a fixture script to completion; the error carries its exit status and stderr.
pub fn run_script<S: AsRef<OsStr>>(script: &str, cwd: &Path, args: &[S]) -> Result<Output, String> {
    let mut cmd = python_script(script, cwd)?;
    cmd.args(args);
    let out = cmd.output().map_err(|e| format!("cannot start {script}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{script} {} failed ({}):\n{}",
            args.iter()
                .map(|a| a.as_ref().to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            out.status,
            tail(&String::from_utf8_lossy(&out.stderr), 40)
        ));
    }
    Ok(out)
}

/// The last `n` lines of a text.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Logical names → ids of one fixture store, as `make_fixtures.py` wrote them.
#[derive(Debug, Clone, Deserialize)]
pub struct StoreManifest {
    pub uri: String,
    /// e.g. "vision" → experiment id.
    pub experiments: BTreeMap<String, String>,
    /// e.g. "sweep_parent" → run id.
    pub runs: BTreeMap<String, String>,
    pub models: Vec<String>,
}

impl StoreManifest {
    pub fn experiment(&self, logical: &str) -> &str {
        self.experiments
            .get(logical)
            .unwrap_or_else(|| panic!("no experiment {logical:?} in the fixture manifest"))
    }

    pub fn run(&self, logical: &str) -> &str {
        self.runs
            .get(logical)
            .unwrap_or_else(|| panic!("no run {logical:?} in the fixture manifest"))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub sqlite: StoreManifest,
    pub file: StoreManifest,
}

/// The three ways MLflow keeps data that Runlens opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    File,
    /// `mlflow server` over a copy of the SQLite fixture.
    Server,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Sqlite, Kind::File, Kind::Server];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Sqlite => "SQLite store",
            Kind::File => "file store",
            Kind::Server => "mlflow server",
        }
    }
}

/// The fixture stores of this test process and MLflow's answers about them.
pub struct Fixtures {
    /// `runlens-fixtures/p<pid>`.
    pub root: PathBuf,
    pub manifest: Manifest,
    sqlite_dump: Dump,
    file_dump: Dump,
    server: OnceLock<Result<(MlflowServer, Dump), String>>,
    copies: AtomicUsize,
}

static FIXTURES: OnceLock<Result<Fixtures, String>> = OnceLock::new();

/// The fixtures, built on first use (≈10 s) and shared by every test of the process.
/// `target_tmpdir`: the test binary's `env!("CARGO_TARGET_TMPDIR")`.
pub fn fixtures(target_tmpdir: &str) -> &'static Fixtures {
    FIXTURES
        .get_or_init(|| Fixtures::build(Path::new(target_tmpdir)))
        .as_ref()
        .unwrap_or_else(|e| panic!("building the MLflow fixtures failed: {e}"))
}

impl Fixtures {
    fn build(target_tmpdir: &Path) -> Result<Fixtures, String> {
        try_python()?;
        let base = target_tmpdir.join("runlens-fixtures");
        std::fs::create_dir_all(&base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
        remove_dirs_of_finished_processes(&base);
        let root = base.join(format!("p{}", std::process::id()));
        if root.exists() {
            std::fs::remove_dir_all(&root).map_err(|e| format!("cannot clear {}: {e}", root.display()))?;
        }
        std::fs::create_dir_all(root.join("work")).map_err(|e| format!("cannot create {}: {e}", root.display()))?;

        let fx = root.join("fx");
        run_script("make_fixtures.py", &root, &[&fx])?;
        let manifest: Manifest = read_json(&fx.join("manifest.json"))?;

        // The two dumps are independent: run them side by side.
        let sqlite_out = root.join("dump-sqlite.json");
        let file_out = root.join("dump-file.json");
        let sqlite_job = spawn_dump(&root, &manifest.sqlite.uri, &sqlite_out)?;
        let file_job = spawn_dump(&root, &manifest.file.uri, &file_out)?;
        finish_dump(sqlite_job)?;
        finish_dump(file_job)?;

        Ok(Fixtures {
            sqlite_dump: read_json(&sqlite_out)?,
            file_dump: read_json(&file_out)?,
            root,
            manifest,
            server: OnceLock::new(),
            copies: AtomicUsize::new(0),
        })
    }

    /// `OUTDIR/sqlite/mlflow.db` of the fixture (read-only: copy it to write).
    pub fn sqlite_db(&self) -> PathBuf {
        self.root.join("fx/sqlite/mlflow.db")
    }

    /// `OUTDIR/mlruns` of the fixture (read-only: copy it to write).
    pub fn mlruns(&self) -> PathBuf {
        self.root.join("fx/mlruns")
    }

    /// The URI that opens a store kind, for Runlens and MLflow alike. The server is started on
    /// first use.
    pub fn uri(&self, kind: Kind) -> String {
        match kind {
            Kind::Sqlite => self.manifest.sqlite.uri.clone(),
            Kind::File => self.manifest.file.uri.clone(),
            Kind::Server => self.server().0.url(),
        }
    }

    /// MLflow's answers about a store kind.
    pub fn dump(&self, kind: Kind) -> &Dump {
        match kind {
            Kind::Sqlite => &self.sqlite_dump,
            Kind::File => &self.file_dump,
            Kind::Server => &self.server().1,
        }
    }

    /// Names → ids of a store kind (the server serves a copy of the SQLite fixture).
    pub fn ids(&self, kind: Kind) -> &StoreManifest {
        match kind {
            Kind::Sqlite | Kind::Server => &self.manifest.sqlite,
            Kind::File => &self.manifest.file,
        }
    }

    /// The server shared by the read-only tests of this process, over a copy of the SQLite
    /// fixture, and MLflow's answers through it.
    pub fn server(&self) -> &(MlflowServer, Dump) {
        self.server
            .get_or_init(|| {
                let db = self.fresh_sqlite_copy();
                let server = MlflowServer::start(&db, db.parent().unwrap())?;
                let out = self.root.join("dump-server.json");
                finish_dump(spawn_dump(&self.root, &server.url(), &out)?)?;
                Ok((server, read_json(&out)?))
            })
            .as_ref()
            .unwrap_or_else(|e| panic!("starting the shared mlflow server failed: {e}"))
    }

    /// A new empty directory of this process, for copies and scratch files.
    pub fn fresh_dir(&self, label: &str) -> PathBuf {
        let n = self.copies.fetch_add(1, Ordering::SeqCst);
        let dir = self.root.join("work").join(format!("{n:03}-{label}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        dir
    }

    /// A private copy of the SQLite fixture's `mlflow.db` (its experiments' artifact locations
    /// still point at the fixture's artifacts: write artifacts only into new experiments).
    pub fn fresh_sqlite_copy(&self) -> PathBuf {
        let db = self.fresh_dir("sqlite").join("mlflow.db");
        std::fs::copy(self.sqlite_db(), &db).unwrap_or_else(|e| panic!("cannot copy the SQLite fixture: {e}"));
        db
    }

    /// A private copy of the file-store fixture (`.../mlruns`). Its meta.yaml files still name
    /// the fixture's artifact directories: write artifacts only into new experiments.
    pub fn fresh_file_store_copy(&self) -> PathBuf {
        let dest = self.fresh_dir("file").join("mlruns");
        copy_dir_all(&self.mlruns(), &dest).unwrap_or_else(|e| panic!("cannot copy the file-store fixture: {e}"));
        dest
    }

    /// Runs `read_back.py` against a store and returns MLflow's answers (see that script).
    pub fn read_back(&self, uri: &str, request: &serde_json::Value) -> serde_json::Value {
        let dir = self.fresh_dir("read-back");
        let req = dir.join("request.json");
        std::fs::write(&req, serde_json::to_vec_pretty(request).unwrap()).unwrap();
        let out =
            run_script("read_back.py", &dir, &[OsStr::new(uri), req.as_os_str()]).unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "read_back.py printed something that is not JSON ({e}):\n{}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }
}

fn spawn_dump(cwd: &Path, uri: &str, out: &Path) -> Result<(String, std::process::Child), String> {
    let mut cmd = python_script("dump_mlflow.py", cwd)?;
    cmd.arg(uri).arg(out).stdout(Stdio::null()).stderr(Stdio::piped());
    let child = cmd.spawn().map_err(|e| format!("cannot start dump_mlflow.py: {e}"))?;
    Ok((uri.to_string(), child))
}

fn finish_dump((uri, child): (String, std::process::Child)) -> Result<(), String> {
    let out = child
        .wait_with_output()
        .map_err(|e| format!("dump_mlflow.py {uri}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "dump_mlflow.py {uri} failed ({}):\n{}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stderr), 40)
        ));
    }
    Ok(())
}

pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{} does not have the expected shape: {e}", path.display()))
}

/// Copies a directory tree (files and directories; symlinks are copied as the files they name).
pub fn copy_dir_all(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir_all(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Removes `p<pid>` directories whose process has ended (Linux: checked through /proc).
fn remove_dirs_of_finished_processes(base: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(base) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = name.strip_prefix('p').and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_python_says_how_to_install_it() {
        let err = resolve_python(Some("/no/such/python".into())).unwrap_err();
        assert!(
            err.contains("RUNLENS_PYTHON=/no/such/python") && err.contains("cargo xtask setup"),
            "{err}"
        );
        let found = resolve_python(Some(std::env::current_exe().unwrap().into_os_string())).unwrap();
        assert_eq!(found, std::env::current_exe().unwrap());
        if !default_python().exists() {
            assert!(resolve_python(None).unwrap_err().contains("run `cargo xtask setup`"));
        }
    }
}
