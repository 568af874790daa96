//! The commands the webview may call (listed in `command_names.rs` and granted in
//! `capabilities/default.json`). Each takes one request struct and returns `Result<_, ApiError>`.

pub mod compare;
pub mod connections;
pub mod llm;
pub mod registry;
pub mod review;

use crate::save::{self, SaveDialog};
use crate::state::AppState;
use crate::{settings, startup};
use runlens_core::ipc::*;
use runlens_core::preview::ArtifactPreview;
use runlens_core::project::Project;
use runlens_core::request::SearchRuns;
use runlens_core::sampling::SampledSeries;
use runlens_core::{ApiError, Experiment, FileInfo};
use runlens_tracking::{uri, ConnectOptions};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

/// Largest artifact "Save as…" copies (it is held in memory on the way).
const SAVE_LIMIT: u64 = 4 * 1024 * 1024 * 1024;

/// Opens a store by URI (with MLflow's environment for credentials), makes it the current one,
/// names it in the window title, remembers it and follows it (see `crate::connections`).
async fn open(app: &AppHandle, state: &AppState, raw_uri: &str, origin: &str) -> Result<StoreSummary, ApiError> {
    crate::connections::open_store(app, state, raw_uri, origin, ConnectOptions::from_env(), None).await
}

/// The last meaningful part of a path or the host of a URL.
pub(crate) fn display_name(clean_uri: &str) -> String {
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

/// What to show at start: the store chosen by [`startup::choose`] and the place remembered in
/// it, or the welcome screen.
#[tauri::command]
pub async fn startup(app: AppHandle, state: State<'_, AppState>) -> Result<StartupState, ApiError> {
    let remembered = state.settings();
    if let Some(open) = state.current.read().await.as_ref() {
        return Ok(StartupState::Open {
            store: open.summary.clone(),
            place: remembered.place_for(&open.key),
        });
    }
    let env_uri = std::env::var("MLFLOW_TRACKING_URI").ok();
    // The last store was a saved connection: reopen it with its credentials.
    if state.requested.is_none() && env_uri.as_deref().is_none_or(|u| u.trim().is_empty()) {
        if let Some(answer) = crate::connections::reopen_last(&app, &state).await {
            return Ok(answer);
        }
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let last_store = remembered.last_store.as_deref();
    match startup::choose(state.requested.as_deref(), env_uri.as_deref(), last_store, &cwd) {
        Ok(candidate) => match open(&app, &state, &candidate.uri, &candidate.origin).await {
            Ok(store) => Ok(StartupState::Open {
                store,
                place: remembered.place_for(&settings::store_key(&candidate.uri)),
            }),
            Err(error) => Ok(StartupState::Failed {
                attempted: uri::redact(&candidate.uri),
                error,
                connection: None,
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

/// One page of an experiment's runs, with the ancestors that place them in the run tree.
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
    let ancestors = tracking.ancestors_of(&page.items).await?;
    Ok(RunsPage {
        experiment,
        runs: page.items,
        ancestors,
        next_page_token: page.next_page_token,
    })
}

/// A run with its experiment, parent, children and metric summaries.
#[tauri::command]
pub async fn get_run(state: State<'_, AppState>, request: RunRequest) -> Result<RunDetail, ApiError> {
    Ok(state.tracking().await?.run_detail(&request.run_id).await?)
}

/// One folder level of a run's artifacts.
#[tauri::command]
pub async fn list_artifacts(
    state: State<'_, AppState>,
    request: ListArtifactsRequest,
) -> Result<Vec<FileInfo>, ApiError> {
    let tracking = state.tracking().await?;
    Ok(tracking
        .list_artifacts(&request.run_id, request.path.as_deref())
        .await?)
}

/// A bounded preview of one artifact (see `runlens_core::preview`).
#[tauri::command]
pub async fn preview_artifact(
    state: State<'_, AppState>,
    request: ArtifactRequest,
) -> Result<ArtifactPreview, ApiError> {
    let tracking = state.tracking().await?;
    Ok(tracking.preview_artifact(&request.run_id, &request.path).await?)
}

/// Asks where to save an artifact (system dialog, run here in the backend) and copies the whole
/// file there. `None` when the user cancels; artifacts over 4 GiB are refused.
#[tauri::command]
pub async fn save_artifact_as(
    app: AppHandle,
    state: State<'_, AppState>,
    request: ArtifactRequest,
) -> Result<Option<String>, ApiError> {
    let tracking = state.tracking().await?;
    let file_name = request.path.rsplit('/').next().unwrap_or("artifact").to_string();
    let dialog = SaveDialog {
        title: format!("Save {file_name} as"),
        file_name,
        filter: None,
    };
    let Some(target) = save::ask_file(&app, dialog).await? else {
        return Ok(None);
    };
    let content = tracking
        .read_whole_artifact(&request.run_id, &request.path, SAVE_LIMIT)
        .await?;
    Ok(Some(save::write_file(target, content.bytes).await?))
}

/// Metric histories sampled for charts: about `max_points` points per series (5 to 5,000,
/// 1,000 when not given), of only the steps in `steps` when given (a zoomed chart).
#[tauri::command]
pub async fn sampled_histories(
    state: State<'_, AppState>,
    request: SampledHistoriesRequest,
) -> Result<Vec<SampledSeries>, ApiError> {
    let max_points = request.max_points.unwrap_or(1000).clamp(5, 5000);
    let tracking = state.tracking().await?;
    Ok(tracking
        .sampled_histories_in(&request.run_ids, &request.keys, max_points, request.steps)
        .await?)
}

/// Applies one edit to each of several runs; failures are reported per run.
#[tauri::command]
pub async fn edit_runs(state: State<'_, AppState>, request: EditRunsRequest) -> Result<EditOutcome, ApiError> {
    let tracking = state.tracking().await?;
    Ok(tracking.edit_runs(&request.run_ids, &request.edit).await)
}

/// Applies one edit to an experiment and answers the experiment as stored afterwards.
#[tauri::command]
pub async fn edit_experiment(
    state: State<'_, AppState>,
    request: EditExperimentRequest,
) -> Result<Experiment, ApiError> {
    let tracking = state.tracking().await?;
    Ok(tracking.edit_experiment(&request.experiment_id, &request.edit).await?)
}

/// Remembers where the user is in the open store, for the next start (nothing when no store is open).
#[tauri::command]
pub async fn remember_place(state: State<'_, AppState>, request: RememberPlaceRequest) -> Result<(), ApiError> {
    settings::check_place(&request.place)?;
    if state.current.read().await.is_none() {
        return Ok(());
    }
    state.update_settings(|s| match s.remember_place(&request.place) {
        Ok(changed) => (changed, Ok(())),
        Err(e) => (false, Err(e)),
    })
}

/// Opens an `http:`, `https:` or `mailto:` link in the system browser; other links are refused.
#[tauri::command]
pub async fn open_link(app: AppHandle, request: OpenLinkRequest) -> Result<(), ApiError> {
    let url = checked_link(&request.url)?;
    app.opener().open_url(url, None::<&str>).map_err(|e| {
        ApiError::new(runlens_core::ErrorCode::Io, "the system browser could not be opened").with_detail(e.to_string())
    })
}

/// The link as a URL when its scheme is one a browser or mail client should get.
fn checked_link(text: &str) -> Result<String, ApiError> {
    let url = tauri::Url::parse(text.trim()).map_err(|e| {
        ApiError::invalid(format!("{text:?} is not a link Runlens can open")).with_detail(e.to_string())
    })?;
    match url.scheme() {
        "http" | "https" | "mailto" => Ok(url.to_string()),
        scheme => Err(ApiError::invalid(format!(
            "Runlens opens only http, https and mailto links, not {scheme}: links"
        ))),
    }
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

    #[test]
    fn only_web_and_mail_links_open() {
        assert_eq!(
            checked_link(" https://mlflow.org/docs ").unwrap(),
            "https://mlflow.org/docs"
        );
        assert_eq!(
            checked_link("mailto:ann@example.com").unwrap(),
            "mailto:ann@example.com"
        );
        assert!(checked_link("http://127.0.0.1:5000/#/runs").is_ok());
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "/experiments/1",
            "smb://host/share",
            "x",
        ] {
            assert!(checked_link(bad).is_err(), "{bad}");
        }
    }
}
