//! The compare view's commands: the compared runs, chosen columns of many runs, and charts as
//! files (the same figure the canvas shows, drawn by `runlens-charts` as PNG or SVG).

use crate::state::AppState;
use runlens_charts::{export, ExportRequest};
use runlens_core::compare::{CompareRequest, Comparison, RunValues, RunValuesRequest};
use runlens_core::{ApiError, ErrorCode};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

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
    let file_name = request.file_name();
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title(format!("Save the chart as {}", request.format.label()))
        .set_file_name(&file_name)
        .add_filter(request.format.label(), &[request.format.extension()])
        .save_file(move |chosen| {
            let _ = tx.send(chosen);
        });
    let Some(chosen) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let target = chosen
        .into_path()
        .map_err(|e| ApiError::invalid(format!("the chosen place has no local path: {e}")))?;
    let bytes = render(request).await?;
    let written = target.clone();
    tokio::task::spawn_blocking(move || std::fs::write(&written, bytes))
        .await
        .map_err(|e| ApiError::internal(format!("saving the chart failed: {e}")))?
        .map_err(|e| {
            ApiError::new(ErrorCode::Io, format!("cannot write {}", target.display())).with_detail(e.to_string())
        })?;
    Ok(Some(target.display().to_string()))
}
