//! The typed bridge to the desktop shell: one async function per Tauri command. Requests and
//! answers travel as JSON text, so metric values keep their "NaN"/"Infinity" spellings and maps
//! stay maps.

use runlens_core::ipc::*;
use runlens_core::preview::ArtifactPreview;
use runlens_core::project::Project;
use runlens_core::sampling::SampledSeries;
use runlens_core::{ApiError, ErrorCode, Experiment, FileInfo};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `window.__TAURI__.core.invoke`; `catch` turns a command's `Err` into a `Result`.
    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "core"], js_name = invoke)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

fn to_js(value: &impl Serialize) -> Result<JsValue, ApiError> {
    let text = serde_json::to_string(value).map_err(|e| ApiError::internal(format!("cannot encode a request: {e}")))?;
    js_sys::JSON::parse(&text).map_err(|_| ApiError::internal("cannot encode a request"))
}

fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, String> {
    let text: String = js_sys::JSON::stringify(&value)
        .map(String::from)
        .unwrap_or_else(|_| "null".into());
    serde_json::from_str(&text).map_err(|e| format!("{e} in {}", text.chars().take(200).collect::<String>()))
}

/// Calls a command with `{ request }` (or no arguments) and decodes its answer or its error.
async fn call<Resp: DeserializeOwned>(cmd: &str, request: Option<&impl Serialize>) -> Result<Resp, ApiError> {
    let args = match request {
        Some(r) => {
            let obj = js_sys::Object::new();
            js_sys::Reflect::set(&obj, &"request".into(), &to_js(r)?)
                .map_err(|_| ApiError::internal("cannot build arguments"))?;
            obj.into()
        }
        None => JsValue::UNDEFINED,
    };
    match tauri_invoke(cmd, args).await {
        Ok(value) => from_js(value).map_err(|e| ApiError::internal(format!("unexpected answer from {cmd}: {e}"))),
        Err(err) => Err(from_js::<ApiError>(err.clone()).unwrap_or_else(|_| {
            let text = err.as_string().unwrap_or_else(|| format!("{err:?}"));
            ApiError::new(ErrorCode::Internal, format!("{cmd} failed: {text}"))
        })),
    }
}

const NO_REQUEST: Option<&()> = None;

pub async fn startup() -> Result<StartupState, ApiError> {
    call("startup", NO_REQUEST).await
}

pub async fn open_store(uri: String) -> Result<StoreSummary, ApiError> {
    call("open_store", Some(&OpenStoreRequest { uri })).await
}

pub async fn open_demo() -> Result<StoreSummary, ApiError> {
    call("open_demo", NO_REQUEST).await
}

pub async fn pick_local_store() -> Result<Option<StoreSummary>, ApiError> {
    call("pick_local_store", NO_REQUEST).await
}

pub async fn list_projects(request: ListProjectsRequest) -> Result<Vec<Project>, ApiError> {
    call("list_projects", Some(&request)).await
}

pub async fn list_runs(request: ListRunsRequest) -> Result<RunsPage, ApiError> {
    call("list_runs", Some(&request)).await
}

pub async fn get_run(run_id: String) -> Result<RunDetail, ApiError> {
    call("get_run", Some(&RunRequest { run_id })).await
}

pub async fn list_artifacts(run_id: String, path: Option<String>) -> Result<Vec<FileInfo>, ApiError> {
    call("list_artifacts", Some(&ListArtifactsRequest { run_id, path })).await
}

pub async fn preview_artifact(run_id: String, path: String) -> Result<ArtifactPreview, ApiError> {
    call("preview_artifact", Some(&ArtifactRequest { run_id, path })).await
}

/// Asks where to save the whole artifact and copies it there; `None` when the user cancels.
pub async fn save_artifact_as(run_id: String, path: String) -> Result<Option<String>, ApiError> {
    call("save_artifact_as", Some(&ArtifactRequest { run_id, path })).await
}

pub async fn sampled_histories(request: SampledHistoriesRequest) -> Result<Vec<SampledSeries>, ApiError> {
    call("sampled_histories", Some(&request)).await
}

pub async fn edit_runs(run_ids: Vec<String>, edit: RunEdit) -> Result<EditOutcome, ApiError> {
    call("edit_runs", Some(&EditRunsRequest { run_ids, edit })).await
}

/// Applies the change and answers the experiment as the store holds it afterwards.
pub async fn edit_experiment(experiment_id: String, edit: ExperimentEdit) -> Result<Experiment, ApiError> {
    call("edit_experiment", Some(&EditExperimentRequest { experiment_id, edit })).await
}

pub async fn remember_place(place: String) -> Result<(), ApiError> {
    call("remember_place", Some(&RememberPlaceRequest { place })).await
}

/// Opens an `http:`, `https:` or `mailto:` link in the system browser (the backend refuses others).
pub async fn open_link(url: String) -> Result<(), ApiError> {
    call("open_link", Some(&OpenLinkRequest { url })).await
}
