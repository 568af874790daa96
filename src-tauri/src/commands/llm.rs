//! The LLM screens' commands (issue #8): a run's tables, windows of a table's rows sorted and
//! filtered in the backend, one whole cell, one table joined across runs, and traces. No
//! command answers a whole table: the webview asks for the rows it shows.

use crate::state::AppState;
use runlens_core::tables::join::{CompareTablesRequest, CompareWindow};
use runlens_core::tables::{
    Cell, RunTables, RunTablesRequest, TableCellRequest, TableInfo, TableRequest, TableRowsRequest, TableWindow,
};
use runlens_core::traces::{SearchTracesRequest, TraceDetail, TraceRequest, TraceSummary};
use runlens_core::{ApiError, Page};
use tauri::State;

/// The tables a run holds and the prompt templates its params fill.
#[tauri::command]
pub async fn run_tables(state: State<'_, AppState>, request: RunTablesRequest) -> Result<RunTables, ApiError> {
    Ok(state.tracking().await?.run_tables(&request.run_id).await?)
}

/// A table's columns and row count (parsed again when the file changed).
#[tauri::command]
pub async fn open_table(state: State<'_, AppState>, request: TableRequest) -> Result<TableInfo, ApiError> {
    Ok(state
        .tracking()
        .await?
        .open_table(&request.run_id, &request.path)
        .await?)
}

/// A window of a table's rows, sorted and filtered, long cells cut.
#[tauri::command]
pub async fn table_rows(state: State<'_, AppState>, request: TableRowsRequest) -> Result<TableWindow, ApiError> {
    Ok(state
        .tracking()
        .await?
        .table_rows(
            &request.run_id,
            &request.path,
            &request.query,
            request.offset,
            request.limit,
        )
        .await?)
}

/// One whole cell.
#[tauri::command]
pub async fn table_cell(state: State<'_, AppState>, request: TableCellRequest) -> Result<Cell, ApiError> {
    Ok(state
        .tracking()
        .await?
        .table_cell(&request.run_id, &request.path, request.row, request.column)
        .await?)
}

/// One table of several runs joined by an input column: a window of the joined rows.
#[tauri::command]
pub async fn compare_tables(
    state: State<'_, AppState>,
    request: CompareTablesRequest,
) -> Result<CompareWindow, ApiError> {
    Ok(state.tracking().await?.compare_tables(&request).await?)
}

/// A page of an experiment's traces, newest first.
#[tauri::command]
pub async fn search_traces(
    state: State<'_, AppState>,
    request: SearchTracesRequest,
) -> Result<Page<TraceSummary>, ApiError> {
    Ok(state.tracking().await?.search_traces(&request).await?)
}

/// A trace with its spans.
#[tauri::command]
pub async fn get_trace(state: State<'_, AppState>, request: TraceRequest) -> Result<TraceDetail, ApiError> {
    Ok(state.tracking().await?.get_trace(&request.trace_id).await?)
}
