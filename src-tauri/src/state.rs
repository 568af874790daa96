//! What the app holds while it runs: the open store and where the app keeps its own data.

use runlens_core::ipc::StoreSummary;
use runlens_core::ApiError;
use runlens_tracking::Tracking;
use std::path::PathBuf;
use tokio::sync::RwLock;

pub struct OpenStore {
    pub tracking: Tracking,
    pub summary: StoreSummary,
}

pub struct AppState {
    /// `runlens PATH_OR_URI` on the command line.
    pub requested: Option<String>,
    /// The platform's data directory for Runlens (the demo workspace lives here).
    pub data_dir: PathBuf,
    pub current: RwLock<Option<OpenStore>>,
}

impl AppState {
    pub fn new(requested: Option<String>, data_dir: PathBuf) -> Self {
        AppState {
            requested,
            data_dir,
            current: RwLock::new(None),
        }
    }

    /// The open store's client, or an error the UI shows as "open a store first".
    pub async fn tracking(&self) -> Result<Tracking, ApiError> {
        self.current
            .read()
            .await
            .as_ref()
            .map(|s| s.tracking.clone())
            .ok_or_else(|| ApiError::invalid("no store is open: open a local store or connect to a server first"))
    }
}
