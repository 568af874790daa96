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

// Model registry (issue #7): every write answers what the store holds afterwards.

pub async fn list_models(
    request: runlens_core::registry::ListModelsRequest,
) -> Result<Vec<runlens_core::registry::ModelSummary>, ApiError> {
    call("list_models", Some(&request)).await
}

pub async fn list_prompts(
    request: runlens_core::registry::ListModelsRequest,
) -> Result<Vec<runlens_core::RegisteredModel>, ApiError> {
    call("list_prompts", Some(&request)).await
}

pub async fn get_model(name: String) -> Result<runlens_core::registry::ModelDetail, ApiError> {
    call("get_model", Some(&runlens_core::registry::ModelRequest { name })).await
}

pub async fn transition_version(
    plan: runlens_core::registry::TransitionPlan,
) -> Result<runlens_core::registry::ModelDetail, ApiError> {
    call(
        "transition_version",
        Some(&runlens_core::registry::TransitionRequest { plan }),
    )
    .await
}

pub async fn change_alias(
    plan: runlens_core::registry::AliasPlan,
) -> Result<runlens_core::registry::ModelDetail, ApiError> {
    call("change_alias", Some(&runlens_core::registry::AliasRequest { plan })).await
}

pub async fn edit_model(
    name: String,
    edit: runlens_core::registry::RegistryEdit,
) -> Result<runlens_core::registry::ModelDetail, ApiError> {
    call(
        "edit_model",
        Some(&runlens_core::registry::EditModelRequest { name, edit }),
    )
    .await
}

pub async fn get_version(name: String, version: i64) -> Result<runlens_core::registry::VersionDetail, ApiError> {
    call(
        "get_version",
        Some(&runlens_core::registry::VersionRequest { name, version }),
    )
    .await
}

pub async fn edit_version(
    name: String,
    version: i64,
    edit: runlens_core::registry::RegistryEdit,
) -> Result<runlens_core::registry::VersionDetail, ApiError> {
    call(
        "edit_version",
        Some(&runlens_core::registry::EditVersionRequest { name, version, edit }),
    )
    .await
}

pub async fn run_models(run_id: String) -> Result<runlens_core::registry::RunModels, ApiError> {
    call("run_models", Some(&runlens_core::registry::RunModelsRequest { run_id })).await
}

pub async fn register_model(
    request: runlens_core::registry::RegisterRequest,
) -> Result<runlens_core::registry::RegisterOutcome, ApiError> {
    call("register_model", Some(&request)).await
}

pub async fn get_prompt(name: String) -> Result<runlens_core::registry::PromptDetail, ApiError> {
    call("get_prompt", Some(&runlens_core::registry::ModelRequest { name })).await
}

// Compare view (issue #6).

/// The runs to compare; `summaries` adds each metric's exact range (reads every history).
pub async fn compare_runs(
    run_ids: Vec<String>,
    summaries: bool,
) -> Result<runlens_core::compare::Comparison, ApiError> {
    call(
        "compare_runs",
        Some(&runlens_core::compare::CompareRequest { run_ids, summaries }),
    )
    .await
}

pub async fn run_values(
    request: runlens_core::compare::RunValuesRequest,
) -> Result<runlens_core::compare::RunValues, ApiError> {
    call("run_values", Some(&request)).await
}

/// Asks where to save the chart and draws it there (PNG or SVG); `None` when the user cancels.
pub async fn save_chart_as(request: runlens_charts::ExportRequest) -> Result<Option<String>, ApiError> {
    call("save_chart_as", Some(&request)).await
}

// LLM tables and traces (issue #8): tables come a window of rows at a time.

pub async fn run_tables(run_id: String) -> Result<runlens_core::tables::RunTables, ApiError> {
    call("run_tables", Some(&runlens_core::tables::RunTablesRequest { run_id })).await
}

pub async fn open_table(run_id: String, path: String) -> Result<runlens_core::tables::TableInfo, ApiError> {
    call("open_table", Some(&runlens_core::tables::TableRequest { run_id, path })).await
}

pub async fn table_rows(
    request: runlens_core::tables::TableRowsRequest,
) -> Result<runlens_core::tables::TableWindow, ApiError> {
    call("table_rows", Some(&request)).await
}

pub async fn table_cell(
    run_id: String,
    path: String,
    row: usize,
    column: usize,
) -> Result<runlens_core::tables::Cell, ApiError> {
    call(
        "table_cell",
        Some(&runlens_core::tables::TableCellRequest {
            run_id,
            path,
            row,
            column,
        }),
    )
    .await
}

pub async fn compare_tables(
    request: runlens_core::tables::join::CompareTablesRequest,
) -> Result<runlens_core::tables::join::CompareWindow, ApiError> {
    call("compare_tables", Some(&request)).await
}

pub async fn search_traces(
    request: runlens_core::traces::SearchTracesRequest,
) -> Result<runlens_core::Page<runlens_core::traces::TraceSummary>, ApiError> {
    call("search_traces", Some(&request)).await
}

pub async fn get_trace(trace_id: String) -> Result<runlens_core::traces::TraceDetail, ApiError> {
    call("get_trace", Some(&runlens_core::traces::TraceRequest { trace_id })).await
}

// Connections and live updates (issue #9). Secrets go to the shell only; none comes back.

pub async fn list_connections() -> Result<runlens_core::connection::ConnectionsOverview, ApiError> {
    call("list_connections", NO_REQUEST).await
}

pub async fn save_connection(
    request: runlens_core::connection::SaveConnectionRequest,
) -> Result<runlens_core::connection::SavedConnection, ApiError> {
    call("save_connection", Some(&request)).await
}

pub async fn remove_connection(id: String) -> Result<runlens_core::connection::ConnectionsOverview, ApiError> {
    call(
        "remove_connection",
        Some(&runlens_core::connection::ConnectionRequest { id }),
    )
    .await
}

pub async fn open_connection(id: String) -> Result<StoreSummary, ApiError> {
    call(
        "open_connection",
        Some(&runlens_core::connection::ConnectionRequest { id }),
    )
    .await
}

pub async fn test_connection(
    request: runlens_core::connection::TestConnectionRequest,
) -> Result<runlens_core::connection::Diagnosis, ApiError> {
    call("test_connection", Some(&request)).await
}

pub async fn forget_recent(
    uri: String,
    connection: Option<String>,
) -> Result<runlens_core::connection::ConnectionsOverview, ApiError> {
    call(
        "forget_recent",
        Some(&runlens_core::connection::ForgetRecentRequest { uri, connection }),
    )
    .await
}

/// Asks for a path with the system's dialog; `None` when the user cancels.
pub async fn pick_path(choice: runlens_core::connection::PathChoice) -> Result<Option<String>, ApiError> {
    call("pick_path", Some(&runlens_core::connection::PickPathRequest { choice })).await
}

pub async fn live_status(
    request: runlens_core::connection::LiveRequest,
) -> Result<runlens_core::connection::LiveStatus, ApiError> {
    call("live_status", Some(&request)).await
}

// Reviews (issue #10): kept by the shell in the app's data directory, never in the store.

pub async fn list_reviews() -> Result<Vec<runlens_core::review::ReviewSummary>, ApiError> {
    call("list_reviews", NO_REQUEST).await
}

pub async fn get_review(review_id: String) -> Result<runlens_core::review::Review, ApiError> {
    call("get_review", Some(&runlens_core::review::ReviewRequest { review_id })).await
}

/// A new review on the open store, with its first items.
pub async fn create_review(
    name: String,
    items: Vec<runlens_core::review::ReviewItem>,
) -> Result<runlens_core::review::Review, ApiError> {
    call(
        "create_review",
        Some(&runlens_core::review::CreateReviewRequest { name, items }),
    )
    .await
}

/// Adds an item at the end (an equal item already there is not added twice).
pub async fn add_to_review(
    review_id: String,
    item: runlens_core::review::ReviewItem,
) -> Result<runlens_core::review::Review, ApiError> {
    call(
        "add_to_review",
        Some(&runlens_core::review::AddToReviewRequest { review_id, item }),
    )
    .await
}

pub async fn edit_review(
    review_id: String,
    edit: runlens_core::review::ReviewEdit,
) -> Result<runlens_core::review::Review, ApiError> {
    call(
        "edit_review",
        Some(&runlens_core::review::EditReviewRequest { review_id, edit }),
    )
    .await
}

pub async fn delete_review(review_id: String) -> Result<(), ApiError> {
    call(
        "delete_review",
        Some(&runlens_core::review::ReviewRequest { review_id }),
    )
    .await
}

/// Adds a registry change made while presenting to the review's decisions.
pub async fn record_decision(
    review_id: String,
    model: String,
    change: runlens_core::review::DecisionChange,
) -> Result<runlens_core::review::Review, ApiError> {
    call(
        "record_decision",
        Some(&runlens_core::review::RecordDecisionRequest {
            review_id,
            model,
            change,
        }),
    )
    .await
}

/// Asks where to save the HTML report and writes it there; `None` when the user cancels.
pub async fn save_review_report_as(review_id: String) -> Result<Option<String>, ApiError> {
    call(
        "save_review_report_as",
        Some(&runlens_core::review::ReviewRequest { review_id }),
    )
    .await
}

/// Asks for a folder and writes one PNG per chart of the review there; `None` when the user cancels.
pub async fn save_review_charts_as(review_id: String) -> Result<Option<String>, ApiError> {
    call(
        "save_review_charts_as",
        Some(&runlens_core::review::ReviewRequest { review_id }),
    )
    .await
}

/// Presentation mode: the window full screen (or back).
pub async fn set_fullscreen(on: bool) -> Result<(), ApiError> {
    call("set_fullscreen", Some(&runlens_core::review::FullscreenRequest { on })).await
}
