//! Commands of the connection manager and of live updates: list, save, remove, test and open
//! saved connections, pick a path with the system dialog, and ask what changed in the open store.
//! Each is one call into `crate::connections` or `crate::live`; no secret is ever answered.

use crate::connections;
use crate::state::AppState;
use runlens_core::connection::*;
use runlens_core::ipc::StoreSummary;
use runlens_core::ApiError;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

/// Saved connections (with where their secrets are), recent stores, the keyring's state and the
/// store MLflow's environment names.
#[tauri::command]
pub async fn list_connections(state: State<'_, AppState>) -> Result<ConnectionsOverview, ApiError> {
    connections::overview(&state).await
}

/// Adds or changes a connection; a typed secret goes to the keyring (or this session only).
#[tauri::command]
pub async fn save_connection(
    state: State<'_, AppState>,
    request: SaveConnectionRequest,
) -> Result<SavedConnection, ApiError> {
    connections::save(&state, request).await
}

/// Removes a saved connection and its secret.
#[tauri::command]
pub async fn remove_connection(
    state: State<'_, AppState>,
    request: ConnectionRequest,
) -> Result<ConnectionsOverview, ApiError> {
    connections::remove(&state, &request.id).await
}

/// Opens a saved connection with its stored secret and makes it the current store.
#[tauri::command]
pub async fn open_connection(
    app: AppHandle,
    state: State<'_, AppState>,
    request: ConnectionRequest,
) -> Result<StoreSummary, ApiError> {
    connections::open_connection(&app, &state, &request.id).await
}

/// "Test connection": a specific diagnosis of what works and what does not.
#[tauri::command]
pub async fn test_connection(
    state: State<'_, AppState>,
    request: TestConnectionRequest,
) -> Result<Diagnosis, ApiError> {
    connections::test(&state, request).await
}

/// Forgets one entry of the recent stores.
#[tauri::command]
pub async fn forget_recent(
    state: State<'_, AppState>,
    request: ForgetRecentRequest,
) -> Result<ConnectionsOverview, ApiError> {
    state.update_settings(|s| (s.forget_recent(&request.uri, request.connection.as_deref()), ()));
    connections::overview(&state).await
}

/// Asks for an `mlflow.db`, an `mlruns/` folder or a CA certificate file with the system's
/// dialog (run here in the backend); `None` when the user cancels.
#[tauri::command]
pub async fn pick_path(app: AppHandle, request: PickPathRequest) -> Result<Option<String>, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dialog = app.dialog().file();
    let send = move |picked: Option<tauri_plugin_dialog::FilePath>| {
        let _ = tx.send(picked);
    };
    match request.choice {
        PathChoice::SqliteFile => dialog
            .set_title("Choose an MLflow SQLite store (mlflow.db)")
            .add_filter("MLflow SQLite store", &["db", "sqlite", "sqlite3"])
            .add_filter("Any file", &["*"])
            .pick_file(send),
        PathChoice::StoreFolder => dialog.set_title("Choose an MLflow mlruns folder").pick_folder(send),
        PathChoice::Certificate => dialog
            .set_title("Choose the CA certificate file (PEM)")
            .add_filter("PEM certificates", &["pem", "crt", "cer"])
            .add_filter("Any file", &["*"])
            .pick_file(send),
    }
    let Some(picked) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let path = picked
        .into_path()
        .map_err(|e| ApiError::invalid(format!("the chosen item has no local path: {e}")))?;
    Ok(Some(path.display().to_string()))
}

/// What changed in the open store since `since`, and how the link to it is; asked about once a
/// second while the window is visible (which is how checks know to pause while it is hidden).
#[tauri::command]
pub async fn live_status(state: State<'_, AppState>, request: LiveRequest) -> Result<LiveStatus, ApiError> {
    let mut status = state.live.status(request.since, request.visible);
    if state.current.read().await.is_none() {
        status.link = LinkState::Closed;
    }
    Ok(status)
}
