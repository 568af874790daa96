//! The compare view's commands: the compared runs, chosen columns of many runs, and charts as
//! files (the same figure the canvas shows, drawn by `runlens-charts` as PNG or SVG).

use crate::save::{self, SaveDialog};
use crate::state::AppState;
use runlens_charts::{export, ExportRequest};
use runlens_core::compare::{CompareRequest, Comparison, RunValues, RunValuesRequest};
use runlens_core::ApiError;
use tauri::{AppHandle, State};

/// The runs to compare with their experiments' names (and metric summaries when asked); ids the
/// store does not have come back in `missing`.
#[tauri::command]
pub async fn compare_runs(state: State<'_, AppState>, request: CompareRequest) -> Result<Comparison, ApiError> {
    Ok(state
        .tracking()
        .await?
        .compare(&request.run_ids, request.summaries)
        .await?)
}

/// Chosen params and latest metrics of a whole experiment's runs or of chosen runs.
#[tauri::command]
pub async fn run_values(state: State<'_, AppState>, request: RunValuesRequest) -> Result<RunValues, ApiError> {
    Ok(state.tracking().await?.run_values(&request).await?)
}

/// Draws a figure as a PNG or SVG file in the backend and answers its bytes.
async fn render(request: ExportRequest) -> Result<Vec<u8>, ApiError> {
    tokio::task::spawn_blocking(move || export(&request))
        .await
        .map_err(|e| ApiError::internal(format!("drawing the chart failed: {e}")))?
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// The figure as the bytes of a PNG or SVG file (raw bytes, not JSON).
#[tauri::command]
pub async fn export_chart(request: ExportRequest) -> Result<tauri::ipc::Response, ApiError> {
    Ok(tauri::ipc::Response::new(render(request).await?))
}

/// Asks where to save the figure (system dialog, run here in the backend), then draws it there
/// as PNG or SVG. `None` when the user cancels.
#[tauri::command]
pub async fn save_chart_as(app: AppHandle, request: ExportRequest) -> Result<Option<String>, ApiError> {
    let dialog = SaveDialog {
        title: format!("Save the chart as {}", request.format.label()),
        file_name: request.file_name(),
        filter: Some((request.format.label(), &[request.format.extension()])),
    };
    let Some(target) = save::ask_file(&app, dialog).await? else {
        return Ok(None);
    };
    let bytes = render(request).await?;
    Ok(Some(save::write_file(target, bytes).await?))
}
