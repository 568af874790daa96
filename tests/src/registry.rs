//! The stores the end-to-end tests of the registry screens open, MLflow's own view of a model
//! after the app changed it, and an `mlflow server --app-name basic-auth` with a read-only user.
//!
//! - [`registry_store`]: `make_registry_fixture.py` — a MaxFlow experiment whose runs logged MLflow 3
//!   models, `churn-model` in every stage with two aliases, a plain model with MLflow 2 sources, an
//!   LLM (`llm/v1/chat`), a model full of hostile markup, and a prompt with two versions. Built once
//!   per test process; **read-only**: tests write to [`FixtureStore::fresh_copy`].
//! - [`file_registry_store`]: the same content as a file store, built fresh for each caller.
//! - [`model_state`]: `registry_state.py` — what MLflow's client reads of a model now.
//! - [`AuthServer`]: basic-auth MLflow over a copy of a store, with an admin and a `reader` whose
//!   default permission is READ.

use crate::browse::{fresh_dir, process_dir, FixtureStore};
use crate::{run_script, tail, MlflowServer};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `make_registry_fixture.py`'s manifest; its docstring describes the content.
#[derive(Debug, Clone, Deserialize)]
pub struct RegistryManifest {
    pub uri: String,
    /// Logical name → experiment id: churn, fraud, genai.
    pub experiments: BTreeMap<String, String>,
    pub experiment_names: BTreeMap<String, String>,
    /// Logical name → run id: xgb_baseline, xgb_tuned, lgbm_v1, lgbm_v2, lgbm_v3, legacy, fraud_0,
    /// fraud_1, llm.
    pub runs: BTreeMap<String, String>,
    pub run_names: BTreeMap<String, String>,
    /// Logical run name → the MLflow 3 logged model it logged.
    pub logged_models: BTreeMap<String, String>,
    /// churn, fraud, llm, hostile → registered model name.
    pub models: BTreeMap<String, String>,
    pub prompt: String,
    /// `__runlens_pwned`.
    pub marker: String,
}

impl RegistryManifest {
    pub fn run(&self, logical: &str) -> &str {
        self.runs
            .get(logical)
            .unwrap_or_else(|| panic!("no run {logical:?} in the registry fixture"))
    }
    pub fn run_name(&self, logical: &str) -> &str {
        &self.run_names[logical]
    }
    pub fn experiment(&self, logical: &str) -> &str {
        &self.experiments[logical]
    }
    pub fn model(&self, logical: &str) -> &str {
        &self.models[logical]
    }
}

pub type RegistryStore = FixtureStore<RegistryManifest>;

/// The SQLite registry store, built on first use (≈4 s) and shared by the tests of the process.
pub fn registry_store(target_tmpdir: &str) -> &'static RegistryStore {
    static STORE: OnceLock<Result<RegistryStore, String>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let base = process_dir(target_tmpdir)?;
            let dir = base.join("registry-store");
            run_script("make_registry_fixture.py", base, &[&dir])?;
            FixtureStore::load(dir)
        })
        .as_ref()
        .unwrap_or_else(|e| panic!("building the registry fixture failed: {e}"))
}

/// The same content as a file store (`<dir>/mlruns`), built fresh: `(dir, manifest)`.
pub fn file_registry_store(target_tmpdir: &str) -> (PathBuf, RegistryManifest) {
    let base = process_dir(target_tmpdir).unwrap_or_else(|e| panic!("{e}"));
    let dir = fresh_dir("registry-file-store");
    run_script("make_registry_fixture.py", base, &[Path::new("--file-store"), &dir])
        .unwrap_or_else(|e| panic!("building the file-store registry fixture failed: {e}"));
    let manifest = crate::read_json(&dir.join("manifest.json")).unwrap_or_else(|e| panic!("{e}"));
    (dir.join("mlruns"), manifest)
}

/// Removes the registry tables from a (copied) SQLite store.
pub fn drop_registry(db: &Path) {
    let cwd = db.parent().expect("a database lives in a folder");
    run_script("make_registry_fixture.py", cwd, &[Path::new("--drop-registry"), db])
        .unwrap_or_else(|e| panic!("dropping the registry tables of {} failed: {e}", db.display()));
}

/// A model as MLflow's client reads it (`registry_state.py`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ModelState {
    pub name: String,
    pub description: String,
    pub tags: BTreeMap<String, String>,
    pub aliases: BTreeMap<String, i64>,
    /// Ascending.
    pub versions: Vec<VersionState>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VersionState {
    pub version: i64,
    pub stage: String,
    pub description: String,
    pub tags: BTreeMap<String, String>,
    pub aliases: Vec<String>,
    pub run_id: Option<String>,
    pub source: String,
}

impl ModelState {
    /// version → stage.
    pub fn stages(&self) -> BTreeMap<i64, String> {
        self.versions.iter().map(|v| (v.version, v.stage.clone())).collect()
    }
}

/// What MLflow's client reads of a model now (`Err` when MLflow cannot read it, e.g. unknown).
/// `credentials`: a server's user and password, when it wants them.
pub fn try_model_state(uri: &str, name: &str, credentials: Option<(&str, &str)>) -> Result<ModelState, String> {
    let cwd = std::env::temp_dir();
    let mut cmd = crate::python_script("registry_state.py", &cwd)?;
    if let Some((user, password)) = credentials {
        cmd.env("MLFLOW_TRACKING_USERNAME", user)
            .env("MLFLOW_TRACKING_PASSWORD", password);
    }
    let out = cmd
        .args([uri, name])
        .output()
        .map_err(|e| format!("cannot start registry_state.py: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "MLflow cannot read model {name:?} of {uri} ({}): {stdout}\n{}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stderr), 20)
        ));
    }
    serde_json::from_str(&stdout).map_err(|e| format!("registry_state.py printed an unexpected shape ({e}): {stdout}"))
}

/// [`try_model_state`], panicking when MLflow cannot read the model.
pub fn model_state(uri: &str, name: &str) -> ModelState {
    try_model_state(uri, name, None).unwrap_or_else(|e| panic!("{e}"))
}

/// `mlflow server --app-name basic-auth` over a copy of a store: `admin` may do anything, `reader`
/// only reads (MLflow's `default_permission = READ`).
pub struct AuthServer {
    pub server: MlflowServer,
}

impl AuthServer {
    pub const ADMIN: (&'static str, &'static str) = ("admin", "runlens-admin-password-1");
    pub const READER: (&'static str, &'static str) = ("reader", "runlens-reader-password-1");

    pub fn start(db: &Path) -> Result<AuthServer, String> {
        let workdir = db.parent().expect("a database lives in a folder").join("auth-server");
        std::fs::create_dir_all(&workdir).map_err(|e| e.to_string())?;
        let config = workdir.join("basic_auth.ini");
        let ini = format!(
            "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\nadmin_username = {}\n\
             admin_password = {}\nauthorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
            workdir.join("basic_auth.db").display(),
            Self::ADMIN.0,
            Self::ADMIN.1
        );
        std::fs::write(&config, ini).map_err(|e| e.to_string())?;
        let config = config.display().to_string();
        let server = MlflowServer::start_with(
            db,
            &workdir,
            &["--app-name", "basic-auth"],
            &[
                ("MLFLOW_AUTH_CONFIG_PATH", config.as_str()),
                ("MLFLOW_FLASK_SERVER_SECRET_KEY", "runlens-e2e-secret"),
            ],
        )?;
        create_user(server.port(), Self::ADMIN, Self::READER)?;
        Ok(AuthServer { server })
    }

    pub fn url(&self) -> String {
        self.server.url()
    }
}

/// Creates a user through MLflow's auth API, as the admin (HTTP/1.0 with Basic credentials).
fn create_user(port: u16, admin: (&str, &str), user: (&str, &str)) -> Result<(), String> {
    use std::io::{Read, Write};
    let body = serde_json::json!({"username": user.0, "password": user.1}).to_string();
    let token = base64_encode(format!("{}:{}", admin.0, admin.1).as_bytes());
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST /api/2.0/mlflow/users/create HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    if answer.split_whitespace().nth(1) != Some("200") {
        return Err(format!("creating the MLflow user {} failed: {answer}", user.0));
    }
    Ok(())
}

fn base64_encode(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_base64() {
        assert_eq!(base64_encode(b"admin:pw"), "YWRtaW46cHc=");
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert_eq!(base64_encode(b"abc"), "YWJj");
    }

    #[test]
    fn a_model_state_reads_registry_state_output() {
        let json = r#"{"name": "m", "description": "", "tags": {"a": "1"}, "aliases": {"champion": 2},
            "versions": [{"version": 2, "stage": "Production", "description": "", "tags": {},
            "aliases": ["champion"], "run_id": null, "source": "models:/m-1"}]}"#;
        let state: ModelState = serde_json::from_str(json).unwrap();
        assert_eq!(state.stages()[&2], "Production");
        assert_eq!(state.aliases["champion"], 2);
    }
}
