//! Saving to a place the user picks: the system's save or folder dialog (run here in the
//! backend, so the webview has no file-system permission) and the write, with errors the UI shows.

use runlens_core::{ApiError, ErrorCode};
use std::path::{Path, PathBuf};
use tauri::AppHandle;
use tauri_plugin_dialog::{DialogExt, FilePath};

/// What the save dialog offers: its title, the file name it proposes, and an optional filter
/// (a label and the extensions it admits).
pub struct SaveDialog<'a> {
    pub title: String,
    pub file_name: String,
    pub filter: Option<(&'a str, &'a [&'a str])>,
}

/// Asks where to save; `None` when the user cancels.
pub async fn ask_file(app: &AppHandle, dialog: SaveDialog<'_>) -> Result<Option<PathBuf>, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut builder = app
        .dialog()
        .file()
        .set_title(dialog.title)
        .set_file_name(dialog.file_name);
    if let Some((label, extensions)) = dialog.filter {
        builder = builder.add_filter(label, extensions);
    }
    builder.save_file(move |chosen| {
        let _ = tx.send(chosen);
    });
    local_path(rx.await.ok().flatten(), "place")
}

/// Asks for a folder; `None` when the user cancels.
pub async fn ask_folder(app: &AppHandle, title: String) -> Result<Option<PathBuf>, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().set_title(title).pick_folder(move |chosen| {
        let _ = tx.send(chosen);
    });
    local_path(rx.await.ok().flatten(), "folder")
}

fn local_path(chosen: Option<FilePath>, what: &str) -> Result<Option<PathBuf>, ApiError> {
    chosen
        .map(|c| {
            c.into_path()
                .map_err(|e| ApiError::invalid(format!("the chosen {what} has no local path: {e}")))
        })
        .transpose()
}

/// Writes `bytes` to `target` on the blocking pool; answers the path as the UI shows it.
pub async fn write_file(target: PathBuf, bytes: Vec<u8>) -> Result<String, ApiError> {
    let written = target.clone();
    tokio::task::spawn_blocking(move || std::fs::write(&written, bytes))
        .await
        .map_err(|e| ApiError::internal(format!("saving {} failed: {e}", target.display())))?
        .map_err(|e| cannot_write(&target, e))?;
    Ok(target.display().to_string())
}

/// A write that failed, as the UI shows it.
pub fn cannot_write(target: &Path, e: std::io::Error) -> ApiError {
    ApiError::new(ErrorCode::Io, format!("cannot write {}", target.display())).with_detail(e.to_string())
}
