//! Saved connections (local stores and tracking servers), their credentials' whereabouts, the
//! "Test connection" diagnosis and the live state of the open store, as they travel between the
//! shell and the webview.
//!
//! **No secret is ever part of an answer**: the shell tells where a secret is kept
//! ([`SecretPlace`]), never the secret. Secrets travel only webview → shell, in
//! [`SecretInput`], whose `Debug` hides them.

use crate::ipc::StoreKind;
use crate::ApiError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a server wants the client to prove who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    #[default]
    None,
    /// HTTP Basic: a user name (saved) and a password (in the keyring).
    Basic,
    /// `Authorization: Bearer <token>` (the token in the keyring).
    Bearer,
}

impl AuthKind {
    pub fn label(self) -> &'static str {
        match self {
            AuthKind::None => "no authentication",
            AuthKind::Basic => "user and password",
            AuthKind::Bearer => "token",
        }
    }

    /// Whether this kind needs a secret (password or token).
    pub fn needs_secret(self) -> bool {
        self != AuthKind::None
    }
}

/// A saved connection as `settings.toml` holds it: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Stable and unique; names the connection's keyring entry.
    pub id: String,
    /// What the user calls it (shown in lists and the window title).
    pub name: String,
    /// A path to an `mlflow.db` or an `mlruns/` folder, or a server URL (with any path prefix),
    /// never with credentials in it.
    pub target: String,
    #[serde(default)]
    pub auth: AuthKind,
    /// The user name of Basic authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// A PEM file with extra CA certificates trusted for this server (besides the system's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<String>,
    /// Skip TLS certificate verification (shown with a warning wherever the connection is).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_tls: bool,
}

/// A password or token typed by the user, on its way to the shell. `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretInput(pub String);

impl fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretInput(***)")
    }
}

/// Where a connection's secret is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretPlace {
    /// The connection needs none.
    NotNeeded,
    /// In the OS keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// In memory until Runlens quits (no keyring service, or the user chose so).
    Session,
    /// Needed but not stored anywhere: it must be typed before connecting.
    Missing,
}

/// Whether the OS keyring can hold secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyringStatus {
    pub available: bool,
    /// Why it is not available (e.g. no Secret Service on the session bus), for the user.
    #[serde(default)]
    pub problem: Option<String>,
}

/// A saved connection with what the shell knows about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionEntry {
    pub connection: Connection,
    pub kind: StoreKind,
    pub secret: SecretPlace,
    /// It is the open store.
    pub current: bool,
    /// When it was last opened (ms since the epoch).
    #[serde(default)]
    pub last_opened: Option<i64>,
}

/// A store opened recently (from any source), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentStore {
    /// The URI or absolute path, without credentials.
    pub uri: String,
    /// The saved connection it was opened through, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// ms since the epoch.
    pub opened_at: i64,
}

/// The store MLflow's environment names (`MLFLOW_TRACKING_URI` and its credential variables).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentStore {
    /// Without credentials.
    pub uri: String,
    pub auth: AuthKind,
    /// `MLFLOW_TRACKING_USERNAME`, when Basic.
    #[serde(default)]
    pub username: Option<String>,
    /// `MLFLOW_TRACKING_INSECURE_TLS=true`.
    #[serde(default)]
    pub insecure_tls: bool,
}

/// Everything the connection manager shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionsOverview {
    pub connections: Vec<ConnectionEntry>,
    pub recent: Vec<RecentStore>,
    pub keyring: KeyringStatus,
    #[serde(default)]
    pub environment: Option<EnvironmentStore>,
    /// The open store's URI, if one is open.
    #[serde(default)]
    pub current_uri: Option<String>,
}

/// Where a typed secret should be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeepSecret {
    /// In the OS keyring (the default).
    #[default]
    Keyring,
    /// In memory only, until Runlens quits.
    Session,
}

/// Adds a connection (`connection.id` empty) or changes one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaveConnectionRequest {
    pub connection: Connection,
    /// A new password or token; `None` keeps the stored one.
    #[serde(default)]
    pub secret: Option<SecretInput>,
    #[serde(default)]
    pub keep: KeepSecret,
}

/// The answer to a save: the connection as saved (with its id) and where its secret went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedConnection {
    pub entry: ConnectionEntry,
    pub overview: ConnectionsOverview,
}

/// One saved connection by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRequest {
    pub id: String,
}

/// Forgets one entry of the recent list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgetRecentRequest {
    pub uri: String,
    #[serde(default)]
    pub connection: Option<String>,
}

/// "Test connection" on a connection as edited (not yet saved). Without `secret`, the stored
/// secret of the connection with the same id is used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestConnectionRequest {
    pub connection: Connection,
    #[serde(default)]
    pub secret: Option<SecretInput>,
}

/// What a file dialog should pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathChoice {
    /// An `mlflow.db`.
    SqliteFile,
    /// An `mlruns/` folder.
    StoreFolder,
    /// A PEM file of CA certificates.
    Certificate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickPathRequest {
    pub choice: PathChoice,
}

/// What "Test connection" found, from the first thing that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The address cannot name a store (bad URL, unsupported scheme).
    InvalidAddress,
    NameNotResolved {
        host: String,
    },
    Refused {
        host: String,
        port: u16,
    },
    TimedOut {
        seconds: u64,
    },
    /// The connection could not be made or broke off (no route, reset).
    Unreachable {
        host: String,
        port: u16,
    },
    /// The TLS handshake failed; `certificate` says what was wrong with the certificate, when
    /// that was the reason.
    Tls {
        certificate: Option<String>,
    },
    /// The CA certificate file of the connection cannot be used.
    BadCaFile,
    /// HTTP 401: no credentials, or wrong ones.
    Unauthorized {
        had_credentials: bool,
    },
    /// HTTP 403: the credentials are valid but may not read.
    Forbidden,
    /// Something answered, but not MLflow's tracking API.
    NotMlflow,
    /// The server failed (HTTP 5xx).
    ServerError {
        status: u16,
    },
    /// A local store path that does not exist.
    NotFound,
    /// A local path that is not an MLflow store.
    NotAStore,
    /// An SQLite store written by an MLflow newer than the one Runlens knows.
    SchemaTooNew {
        revision: String,
    },
    /// An SQLite store written by an older MLflow.
    SchemaTooOld {
        revision: String,
    },
    /// A local file could not be read.
    Io,
}

/// The outcome of "Test connection".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Runlens can open and read the store (maybe read-only, see `notes`).
    pub ok: bool,
    pub kind: Option<StoreKind>,
    /// One sentence: what works, or what failed and what to do.
    pub summary: String,
    /// `None` when everything worked.
    pub problem: Option<Problem>,
    /// The server's MLflow version, or the SQLite schema.
    pub version: Option<String>,
    /// Facts found on the way: "reached 127.0.0.1:5000", "3 experiments readable", warnings.
    pub notes: Vec<String>,
    /// The underlying error, for the "Details" fold.
    pub error: Option<ApiError>,
}

/// How the open store is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LinkState {
    /// A local store whose files are watched: changes show as they happen.
    Watching,
    /// A local store read again every few seconds (file watching is not possible here).
    Polling { why: String },
    /// The server answers; it is asked again every `every_ms`.
    Connected { every_ms: u64 },
    /// The server stopped answering; what is on screen stays and Runlens tries again.
    Lost {
        error: ApiError,
        /// When the connection was lost (ms since the epoch).
        since: i64,
        /// Tries so far.
        attempts: u32,
        /// When the next try is due (ms since the epoch).
        next_try: i64,
    },
    /// The server refuses the credentials now (changed or revoked password).
    Rejected { error: ApiError },
    /// Checks are paused while the window is hidden.
    Paused,
    /// No store is open.
    Closed,
}

/// What the webview asks every second or so while it is visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveRequest {
    /// The last generation the webview has seen (0 at first).
    pub since: u64,
    /// `document.hidden` is false.
    pub visible: bool,
}

/// What changed in the open store since a generation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Changes {
    /// Anything may have changed (SQLite stores, servers, or too much to list).
    pub everything: bool,
    /// Experiments whose runs (or the experiment itself) changed, for file stores.
    pub experiments: Vec<String>,
    /// Runs whose files changed, for file stores.
    pub runs: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        !self.everything && self.experiments.is_empty() && self.runs.is_empty()
    }

    /// Whether runs of this experiment may have changed.
    pub fn touches_experiment(&self, experiment_id: &str) -> bool {
        self.everything || self.experiments.iter().any(|e| e == experiment_id)
    }

    /// Whether this run may have changed.
    pub fn touches_run(&self, run_id: &str) -> bool {
        self.everything || self.runs.iter().any(|r| r == run_id)
    }

    /// Adds `other` to these changes.
    pub fn merge(&mut self, other: &Changes) {
        self.everything |= other.everything;
        for e in &other.experiments {
            if !self.experiments.contains(e) {
                self.experiments.push(e.clone());
            }
        }
        for r in &other.runs {
            if !self.runs.contains(r) {
                self.runs.push(r.clone());
            }
        }
    }
}

/// The answer to a [`LiveRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveStatus {
    pub generation: u64,
    /// What changed after `since` (empty when `generation == since`).
    pub changes: Changes,
    pub link: LinkState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_show_in_debug() {
        let request = SaveConnectionRequest {
            connection: Connection {
                id: String::new(),
                name: "lab".into(),
                target: "https://lab.example".into(),
                auth: AuthKind::Basic,
                username: Some("ann".into()),
                ca_certificate: None,
                insecure_tls: false,
            },
            secret: Some(SecretInput("hunter2".into())),
            keep: KeepSecret::Keyring,
        };
        assert!(!format!("{request:?}").contains("hunter2"));
        // The secret travels as a plain string field.
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["secret"], "hunter2");
    }

    #[test]
    fn changes_merge_and_answer_questions() {
        let mut a = Changes {
            experiments: vec!["1".into()],
            runs: vec!["r1".into()],
            ..Changes::default()
        };
        a.merge(&Changes {
            experiments: vec!["1".into(), "2".into()],
            runs: vec!["r2".into()],
            everything: false,
        });
        assert_eq!(a.experiments, ["1", "2"]);
        assert_eq!(a.runs, ["r1", "r2"]);
        assert!(a.touches_experiment("2") && !a.touches_experiment("3"));
        assert!(a.touches_run("r2") && !a.touches_run("r3"));
        a.merge(&Changes {
            everything: true,
            ..Changes::default()
        });
        assert!(a.touches_run("anything") && !a.is_empty());
        assert!(Changes::default().is_empty());
    }

    #[test]
    fn connections_read_with_defaults() {
        let c: Connection = serde_json::from_str(r#"{"id": "a", "name": "A", "target": "/x/mlflow.db"}"#).unwrap();
        assert_eq!(c.auth, AuthKind::None);
        assert!(!c.insecure_tls && c.username.is_none());
    }
}
