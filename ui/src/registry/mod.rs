//! The model registry screens (issue #7): the models and prompts lists, a model's page with its
//! versions table and stage board, a version's page with its model card, a prompt's versions
//! with a diff, and registering a run's logged model from the run's page.
//!
//! **Nothing here guesses the store's state.** A stage move, an alias change or an edit is
//! confirmed first (saying exactly what will happen), written by the backend, and the page then
//! shows what the backend read back; a failure leaves the page as it was and says why.
//!
//! Places: `/models` (`?q=&sort=`), `/models/<name>`, `/models/<name>/board`,
//! `/models/<name>/versions/<n>`, `/prompts`, `/prompts/<name>` (`?a=&b=` the versions diffed).

mod board;
mod edit;
mod list;
mod model;
mod prompts;
mod register;
mod version;

pub use list::{ModelsPage, PromptsPage};
pub use model::{ModelBoard, ModelPage};
pub use prompts::PromptPage;
pub use register::RunModelsCard;
pub use version::VersionPage;

use crate::app::ErrorBanner;
use leptos::prelude::*;
use runlens_core::{ApiError, ErrorCode, Stage};

fn encode(part: &str) -> String {
    String::from(js_sys::encode_uri_component(part))
}

fn decode(part: &str) -> String {
    js_sys::decode_uri_component(part)
        .ok()
        .map(String::from)
        .unwrap_or_else(|| part.to_string())
}

/// `/models` with an optional search and sort.
pub fn models_path(query: &str, sort: runlens_core::registry::ModelSort) -> String {
    let mut pairs = Vec::new();
    if !query.trim().is_empty() {
        pairs.push(format!("q={}", encode(query)));
    }
    if sort != runlens_core::registry::ModelSort::Name {
        pairs.push(format!("sort={}", sort.as_str()));
    }
    if pairs.is_empty() {
        "/models".into()
    } else {
        format!("/models?{}", pairs.join("&"))
    }
}

pub fn model_path(name: &str) -> String {
    format!("/models/{}", encode(name))
}

pub fn board_path(name: &str) -> String {
    format!("{}/board", model_path(name))
}

pub fn version_path(name: &str, version: i64) -> String {
    format!("{}/versions/{version}", model_path(name))
}

pub fn prompt_path(name: &str) -> String {
    format!("/prompts/{}", encode(name))
}

/// The model (or prompt) name and version number a registry path is about, decoded once.
pub fn name_in_path(path: &str) -> Option<(String, Option<i64>)> {
    let rest = path
        .strip_prefix("/models/")
        .or_else(|| path.strip_prefix("/prompts/"))?;
    let mut parts = rest.split('/');
    let name = parts.next().filter(|s| !s.is_empty())?;
    let version = match (parts.next(), parts.next()) {
        (Some("versions"), Some(n)) => n.parse().ok(),
        _ => None,
    };
    Some((decode(name), version))
}

/// The stage's CSS class suffix.
pub fn stage_class(stage: Stage) -> &'static str {
    match stage {
        Stage::None => "none",
        Stage::Staging => "staging",
        Stage::Production => "production",
        Stage::Archived => "archived",
    }
}

#[component]
pub fn StageBadge(stage: Stage) -> impl IntoView {
    view! { <span class=format!("stage-badge stage-{}", stage_class(stage)) data-stage=stage.as_str()>{stage.as_str()}</span> }
}

/// An error of a registry read: a store without a registry gets a calm note instead.
#[component]
pub fn RegistryError(error: ApiError) -> impl IntoView {
    if error.code == ErrorCode::FeatureDisabled {
        view! {
            <div class="registry-note" id="no-registry" role="note">
                <h2>"No model registry here"</h2>
                <p>"This store has no model registry, so there are no registered models, versions or prompts to show. \
                    Runs, metrics and artifacts are all still there."</p>
                <p class="hint">{error.message.clone()}</p>
            </div>
        }
        .into_any()
    } else {
        view! { <ErrorBanner error /> }.into_any()
    }
}

/// The tabs at the top of the registry lists.
#[component]
fn RegistryTabs(prompts: bool) -> impl IntoView {
    view! {
        <nav class="registry-tabs" aria-label="Registry">
            <a href="/models" id="tab-models" class:active=!prompts>"Models"</a>
            <a href="/prompts" id="tab-prompts" class:active=prompts>"Prompts"</a>
        </nav>
    }
}

/// A dismissable error banner for a failed write.
#[component]
fn WriteError(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <div class="dismissable" id="registry-error">
                    <ErrorBanner error=e />
                    <button class="quiet dismiss" title="Dismiss" on:click=move |_| error.set(None)>"×"</button>
                </div>
            }
        })
    }
}

/// What the last write did, read back from the store.
#[component]
fn Notice(notice: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        notice
            .get()
            .map(|text| view! { <p class="notice" id="registry-notice" role="status">{text}</p> })
    }
}
