//! What the app holds while it runs: the open store, its settings, where it keeps its data, the
//! connections' secrets and what keeps the open store's view current.

use crate::live::Live;
use crate::secrets::Secrets;
use crate::settings::{self, Settings};
use runlens_core::ipc::StoreSummary;
use runlens_core::ApiError;
use runlens_tracking::Tracking;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::RwLock;

pub struct OpenStore {
    pub tracking: Tracking,
    pub summary: StoreSummary,
    /// How the settings name this store (see [`settings::store_key`]).
    pub key: String,
}

pub struct AppState {
    /// `runlens PATH_OR_URI` on the command line.
    pub requested: Option<String>,
    /// The platform's data directory for Runlens (the demo workspace lives here).
    pub data_dir: PathBuf,
    pub current: RwLock<Option<OpenStore>>,
    /// Where `settings` are saved.
    pub settings_path: PathBuf,
    settings: Mutex<Settings>,
    /// Passwords and tokens of saved connections (keyring, or this session only).
    pub secrets: Arc<Secrets>,
    /// Changes and link state of the open store.
    pub live: Arc<Live>,
    /// Watches the open local store's files; replaced (and so stopped) when another opens.
    pub watcher: Mutex<Option<notify::RecommendedWatcher>>,
}

impl AppState {
    pub fn new(requested: Option<String>, data_dir: PathBuf, config_dir: PathBuf, secrets: Secrets) -> Self {
        let settings_path = config_dir.join(settings::FILE_NAME);
        AppState {
            requested,
            data_dir,
            current: RwLock::new(None),
            settings: Mutex::new(Settings::load(&settings_path)),
            settings_path,
            secrets: Arc::new(secrets),
            live: Arc::new(Live::default()),
            watcher: Mutex::new(None),
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

    /// A copy of the settings as they are now.
    pub fn settings(&self) -> Settings {
        self.settings.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes the settings and saves them when `change` says it changed something. A failed save
    /// is only a warning: the app works on, it just will not remember.
    pub fn update_settings<T>(&self, change: impl FnOnce(&mut Settings) -> (bool, T)) -> T {
        let mut settings = self.settings.lock().unwrap_or_else(|e| e.into_inner());
        let (changed, answer) = change(&mut settings);
        if changed {
            if let Err(e) = settings.save(&self.settings_path) {
                eprintln!("Runlens: cannot save {}: {e}", self.settings_path.display());
            }
        }
        answer
    }
}
