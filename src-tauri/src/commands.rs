//! The commands the webview may call (listed in `command_names.rs` and granted in
//! `capabilities/default.json`). Each takes one request struct and returns `Result<_, ApiError>`.

use crate::startup;
use crate::state::{AppState, OpenStore};
use runlens_core::ipc::*;
use runlens_core::project::Project;
use runlens_core::request::SearchRuns;
use runlens_core::ApiError;
use runlens_tracking::{uri, ConnectOptions, Tracking};
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;

/// Opens a store, makes it the current one and names it in the window title.
async fn open(app: &AppHandle, state: &AppState, raw_uri: &str, origin: &str) -> Result<StoreSummary, ApiError> {
    let tracking = Tracking::open(raw_uri, &ConnectOptions::from_env()).await?;
    // A server is first contacted here, so a wrong URL fails now rather than on the first click.
    let version = tracking.version().await?;
    let clean = uri::redact(raw_uri);
    let summary = StoreSummary {
        display_name: display_name(&clean),
        uri: clean,
        kind: tracking.kind(),
        version,
        opened_from: origin.to_string(),
    };
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.set_title(&format!("{} — Runlens", summary.display_name));
    }
    *state.current.write().await = Some(OpenStore {
        tracking,
        summary: summary.clone(),
    });
    Ok(summary)
}

/// The last meaningful part of a path or the host of a URL.
fn display_name(clean_uri: &str) -> String {
    if let Ok(url) = url_host(clean_uri) {
        return url;
    }
    let trimmed = clean_uri
        .trim_start_matches("sqlite://")
        .trim_start_matches("file://")
        .trim_end_matches('/');
    let path = std::path::Path::new(trimmed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| trimmed.to_string());
    match path.parent().and_then(|p| p.file_name()) {
        Some(parent) => format!("{}/{name}", parent.to_string_lossy()),
        None => name,
    }
}

fn url_host(uri: &str) -> Result<String, ()> {
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))
        .ok_or(())?;
    Ok(rest.trim_end_matches('/').to_string())
}

/// What to show at start: the store chosen by [`startup::choose`], or the welcome screen.
#[tauri::command]
pub async fn startup(app: AppHandle, state: State<'_, AppState>) -> Result<StartupState, ApiError> {
    if let Some(open) = state.current.read().await.as_ref() {
        return Ok(StartupState::Open {
            store: open.summary.clone(),
            place: None,
        });
    }
    let env_uri = std::env::var("MLFLOW_TRACKING_URI").ok();
    let cwd = std::env::current_dir().unwrap_or_default();
    match startup::choose(state.requested.as_deref(), env_uri.as_deref(), &cwd) {
        Ok(candidate) => match open(&app, &state, &candidate.uri, &candidate.origin).await {
            Ok(store) => Ok(StartupState::Open { store, place: None }),
            Err(error) => Ok(StartupState::Failed {
                attempted: uri::redact(&candidate.uri),
                error,
            }),
        },
        Err(looked_at) => Ok(StartupState::Welcome { looked_at }),
    }
}

#[tauri::command]
pub async fn open_store(
    app: AppHandle,
    state: State<'_, AppState>,
    request: OpenStoreRequest,
) -> Result<StoreSummary, ApiError> {
    open(&app, &state, &request.uri, "your choice").await
}

/// Opens the demo workspace, creating it in the app's data directory on first use.
#[tauri::command]
pub async fn open_demo(app: AppHandle, state: State<'_, AppState>) -> Result<StoreSummary, ApiError> {
    let path = state.data_dir.join("demo").join("mlflow.db");
    if !path.exists() {
        runlens_tracking::demo::create(&path).await?;
    }
    open(&app, &state, &path.display().to_string(), "the demo workspace").await
}

/// Asks for an `mlflow.db` file with the system's file dialog and opens it. `None` when the user
/// cancels. (The dialog runs here in the backend; the webview has no dialog permission.)
#[tauri::command]
pub async fn pick_local_store(app: AppHandle, state: State<'_, AppState>) -> Result<Option<StoreSummary>, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Open an MLflow store (mlflow.db, or any file inside an mlruns folder)")
        .add_filter("MLflow SQLite store", &["db", "sqlite", "sqlite3"])
        .add_filter("Any file", &["*"])
        .pick_file(move |picked| {
            let _ = tx.send(picked);
        });
    let Some(picked) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let path = picked
        .into_path()
        .map_err(|e| ApiError::invalid(format!("the chosen file has no local path: {e}")))?;
    // A file inside an mlruns/ tree opens that tree as a file store.
    let target = path
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "mlruns"))
        .map(|p| p.to_path_buf())
        .unwrap_or(path);
    open(&app, &state, &target.display().to_string(), "your choice")
        .await
        .map(Some)
}

#[tauri::command]
pub async fn list_projects(state: State<'_, AppState>, request: ListProjectsRequest) -> Result<Vec<Project>, ApiError> {
    let tracking = state.tracking().await?;
    Ok(tracking
        .projects(request.view_type, request.name_filter.as_deref())
        .await?)
}

#[tauri::command]
pub async fn list_runs(state: State<'_, AppState>, request: ListRunsRequest) -> Result<RunsPage, ApiError> {
    let tracking = state.tracking().await?;
    let experiment = tracking.get_experiment(&request.experiment_id).await?;
    let search = SearchRuns {
        experiment_ids: vec![request.experiment_id.clone()],
        filter: request.filter.clone(),
        view_type: request.view_type,
        order_by: request.order_by.clone(),
        page: request.page.clone(),
    };
    let page = tracking.search_runs(&search).await?;
    Ok(RunsPage {
        experiment,
        runs: page.items,
        ancestors: Vec::new(),
        next_page_token: page.next_page_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_short() {
        assert_eq!(display_name("/home/ann/proj/mlflow.db"), "proj/mlflow.db");
        assert_eq!(display_name("sqlite:///tmp/x/mlflow.db"), "x/mlflow.db");
        assert_eq!(display_name("http://127.0.0.1:5000/"), "127.0.0.1:5000");
        assert_eq!(display_name("/data/mlruns/"), "data/mlruns");
    }
}
