//! The registry screens' commands: models and prompts lists, a model with its versions (the
//! stage board), stage moves and alias changes as confirmed, description and tag edits, a
//! version's model card, and registering a run's logged model. Every write answers what the
//! store holds afterwards, read back.

use crate::state::AppState;
use runlens_core::registry::*;
use runlens_core::{ApiError, RegisteredModel};
use tauri::State;

/// The registered models (not prompts) matching a search, with MaxFlow's experiment links.
#[tauri::command]
pub async fn list_models(
    state: State<'_, AppState>,
    request: ListModelsRequest,
) -> Result<Vec<ModelSummary>, ApiError> {
    Ok(state.tracking().await?.list_models(&request).await?)
}

/// The prompts (MLflow 3) matching a search.
#[tauri::command]
pub async fn list_prompts(
    state: State<'_, AppState>,
    request: ListModelsRequest,
) -> Result<Vec<RegisteredModel>, ApiError> {
    Ok(state.tracking().await?.list_prompts(&request).await?)
}

/// A model with every version, its source runs and their key metrics.
#[tauri::command]
pub async fn get_model(state: State<'_, AppState>, request: ModelRequest) -> Result<ModelDetail, ApiError> {
    Ok(state.tracking().await?.model_detail(&request.name).await?)
}

/// Moves a version to another stage exactly as the confirmed plan says (or writes nothing).
#[tauri::command]
pub async fn transition_version(
    state: State<'_, AppState>,
    request: TransitionRequest,
) -> Result<ModelDetail, ApiError> {
    Ok(state.tracking().await?.transition_planned(&request.plan).await?)
}

/// Sets, moves or removes an alias exactly as the confirmed plan says (or writes nothing).
#[tauri::command]
pub async fn change_alias(state: State<'_, AppState>, request: AliasRequest) -> Result<ModelDetail, ApiError> {
    Ok(state.tracking().await?.alias_planned(&request.plan).await?)
}

/// Changes a model's description or tags.
#[tauri::command]
pub async fn edit_model(state: State<'_, AppState>, request: EditModelRequest) -> Result<ModelDetail, ApiError> {
    Ok(state.tracking().await?.edit_model(&request.name, &request.edit).await?)
}

/// A version with its model card and source run.
#[tauri::command]
pub async fn get_version(state: State<'_, AppState>, request: VersionRequest) -> Result<VersionDetail, ApiError> {
    Ok(state
        .tracking()
        .await?
        .version_detail(&request.name, request.version)
        .await?)
}

/// Changes a version's description or tags.
#[tauri::command]
pub async fn edit_version(state: State<'_, AppState>, request: EditVersionRequest) -> Result<VersionDetail, ApiError> {
    Ok(state
        .tracking()
        .await?
        .edit_version(&request.name, request.version, &request.edit)
        .await?)
}

/// The models a run logged, with the names proposed for registering them.
#[tauri::command]
pub async fn run_models(state: State<'_, AppState>, request: RunModelsRequest) -> Result<RunModels, ApiError> {
    Ok(state.tracking().await?.run_models(&request.run_id).await?)
}

/// Registers one of a run's models as a new version (of a new model when asked).
#[tauri::command]
pub async fn register_model(state: State<'_, AppState>, request: RegisterRequest) -> Result<RegisterOutcome, ApiError> {
    Ok(state.tracking().await?.register_run_model(&request).await?)
}

/// A prompt with every version's template.
#[tauri::command]
pub async fn get_prompt(state: State<'_, AppState>, request: ModelRequest) -> Result<PromptDetail, ApiError> {
    Ok(state.tracking().await?.prompt_detail(&request.name).await?)
}
