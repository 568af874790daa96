//! Requests and answers exchanged between the webview and the desktop shell. Each Tauri command
//! takes one request struct (so argument renaming cannot bite) and answers with a value from
//! this crate or an [`ApiError`](crate::ApiError).

use crate::model::{Experiment, Run, ViewType};
use crate::page::PageRequest;
use serde::{Deserialize, Serialize};

/// Which store is open, for the title bar and status bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreSummary {
    /// The URI as the user gave it, with any credentials removed.
    pub uri: String,
    pub kind: StoreKind,
    /// A short name for the window title: the file or host name.
    pub display_name: String,
    /// e.g. "MLflow 3.17.2 schema" or the server's version.
    pub version: Option<String>,
    /// Where the store came from (command line, MLFLOW_TRACKING_URI, ./mlflow.db, ...).
    pub opened_from: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    Sqlite,
    File,
    Rest,
}

impl StoreKind {
    pub fn label(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "SQLite store",
            StoreKind::File => "file store",
            StoreKind::Rest => "tracking server",
        }
    }
}

/// What the app shows at start: the store it opened, or the welcome screen and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StartupState {
    Open { store: StoreSummary },
    Welcome { looked_at: Vec<String> },
    Failed { attempted: String, error: crate::ApiError },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenStoreRequest {
    /// A path to an `mlflow.db` or `mlruns/`, or a `sqlite://`, `file://` or `http(s)://` URI.
    pub uri: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ListProjectsRequest {
    pub view_type: ViewType,
    #[serde(default)]
    pub name_filter: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListRunsRequest {
    pub experiment_id: String,
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub order_by: Vec<String>,
    #[serde(default)]
    pub view_type: ViewType,
    #[serde(default, flatten)]
    pub page: PageRequest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsPage {
    pub experiment: Experiment,
    pub runs: Vec<Run>,
    pub next_page_token: Option<String>,
}
