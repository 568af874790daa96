//! The typed bridge to the desktop shell: one async function per Tauri command. Requests and
//! answers travel as JSON text, so metric values keep their "NaN"/"Infinity" spellings and maps
//! stay maps.

use runlens_core::ipc::*;
use runlens_core::project::Project;
use runlens_core::{ApiError, ErrorCode};
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
