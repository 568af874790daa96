//! Requests and answers exchanged between the webview and the desktop shell. Each Tauri command
//! takes one request struct (so argument renaming cannot bite) and answers with a value from
//! this crate or an [`ApiError`](crate::ApiError).

use crate::metric::MetricValue;
use crate::model::{Experiment, LifecycleStage, Run, RunStatus, ViewType};
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
    /// The saved connection it was opened through (see `connection::Connection`).
    #[serde(default)]
    pub connection: Option<String>,
    /// TLS certificates are not checked for this server (shown as a warning).
    #[serde(default)]
    pub insecure_tls: bool,
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
    Open {
        store: StoreSummary,
        /// Where the user was in this store when the app last closed.
        #[serde(default)]
        place: Option<String>,
    },
    Welcome {
        looked_at: Vec<String>,
    },
    Failed {
        attempted: String,
        error: crate::ApiError,
        /// The saved connection that failed (e.g. its password is needed), if it was one.
        #[serde(default)]
        connection: Option<String>,
    },
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
    /// The runs of this page, in the order asked for.
    pub runs: Vec<Run>,
    /// Ancestors of this page's runs that are not in it (they did not match the filter or are on
    /// another page), so every run can be shown under its parent.
    #[serde(default)]
    pub ancestors: Vec<Run>,
    pub next_page_token: Option<String>,
}

/// Runs matching a search plus, for runs whose parent is not among them, the ancestors that
/// place them in the tree (`ancestors` never repeats a run of `runs`).
impl RunsPage {
    pub fn all_runs(&self) -> impl Iterator<Item = &Run> {
        self.runs.iter().chain(self.ancestors.iter())
    }
}

/// One run by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRequest {
    pub run_id: String,
}

/// A run as its detail page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub run: Run,
    pub experiment: Experiment,
    /// `None` for a root run; a parent that no longer exists has `missing: true`.
    pub parent: Option<RunRef>,
    /// Direct children, oldest first (at most a few hundred).
    pub children: Vec<RunRef>,
    /// The run has more children than `children` lists.
    #[serde(default)]
    pub more_children: bool,
    /// One entry per metric key, ordered by key.
    pub metrics: Vec<MetricSummary>,
}

/// Another run named by a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRef {
    pub run_id: String,
    pub run_name: String,
    pub status: Option<RunStatus>,
    pub lifecycle_stage: Option<LifecycleStage>,
    /// The run id is recorded (e.g. as `mlflow.parentRunId`) but the run is not in the store.
    #[serde(default)]
    pub missing: bool,
}

/// A metric's latest point and its range over the whole history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    pub key: String,
    pub latest: MetricValue,
    pub step: i64,
    pub timestamp: i64,
    /// Smallest and largest finite value of the history (`None` when no value is finite).
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// How many points the history has.
    pub points: usize,
}

/// A folder of a run's artifacts (`None`: the root).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListArtifactsRequest {
    pub run_id: String,
    #[serde(default)]
    pub path: Option<String>,
}

/// One artifact file of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactRequest {
    pub run_id: String,
    pub path: String,
}

/// Sampled metric histories for charts (see `runlens_core::sampling`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampledHistoriesRequest {
    pub run_ids: Vec<String>,
    pub keys: Vec<String>,
    /// About this many points per series (the backend bounds it).
    #[serde(default)]
    pub max_points: Option<usize>,
    /// Only the points in these steps (a zoomed chart), sampled to `max_points`.
    #[serde(default)]
    pub steps: Option<crate::sampling::StepRange>,
}

/// A change applied to each of several runs (a single run is a list of one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditRunsRequest {
    pub run_ids: Vec<String>,
    pub edit: RunEdit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum RunEdit {
    Rename {
        name: String,
    },
    /// Sets `mlflow.note.content`; an empty text removes the description.
    SetDescription {
        text: String,
    },
    SetTag {
        key: String,
        value: String,
    },
    DeleteTag {
        key: String,
    },
    Delete,
    Restore,
    /// Ends a run that is still RUNNING (or SCHEDULED) as FAILED or KILLED, now.
    EndStuck {
        status: RunStatus,
    },
}

/// What a bulk edit did: the runs changed, and each failure with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EditOutcome {
    pub done: Vec<String>,
    pub failed: Vec<EditFailure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditFailure {
    pub run_id: String,
    pub error: crate::ApiError,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditExperimentRequest {
    pub experiment_id: String,
    pub edit: ExperimentEdit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ExperimentEdit {
    Rename {
        name: String,
    },
    Delete,
    Restore,
    /// Sets the `__maxai_project__` tag; `None` removes both project tags (Unassigned).
    AssignProject {
        project: Option<String>,
    },
}

/// Where the user is in the app (the route), remembered for the next start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RememberPlaceRequest {
    pub place: String,
}

/// A link from the user's content (e.g. a run description) to open in the system browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenLinkRequest {
    /// An `http:`, `https:` or `mailto:` URL; anything else is refused.
    pub url: String,
}
