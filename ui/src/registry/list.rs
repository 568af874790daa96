//! The models list and the prompts list: a search over names and tags, a sort, and per model its
//! description, tags, aliases, the latest version in each stage and MaxFlow's experiment links.

use super::{model_path, models_path, prompt_path, version_path, RegistryError, RegistryTabs, StageBadge};
use crate::app::{age, Shell};
use crate::{ipc, routes};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use runlens_core::registry::{ListModelsRequest, ModelSort, ModelSummary};
use runlens_core::RegisteredModel;

/// The first line of a description, as plain text, for a list.
fn first_line(text: &Option<String>) -> String {
    let line = text
        .as_deref()
        .unwrap_or("")
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() > 140 {
        format!("{}…", line.chars().take(140).collect::<String>())
    } else {
        line.to_string()
    }
}

/// The search and sort of a list, kept in the URL (`?q=&sort=`).
fn list_query() -> (Signal<String>, Signal<ModelSort>) {
    let search = use_location().search;
    let query = Signal::derive(move || search.with(|s| routes::query_value(s, "q").unwrap_or_default()));
    let sort = Signal::derive(move || {
        search.with(|s| {
            routes::query_value(s, "sort")
                .and_then(|v| ModelSort::parse(&v))
                .unwrap_or_default()
        })
    });
    (query, sort)
}

#[component]
fn ListTools(base: &'static str, query: Signal<String>, sort: Signal<ModelSort>) -> impl IntoView {
    let navigate = use_navigate();
    let draft = RwSignal::new(query.get_untracked());
    let go = {
        let navigate = navigate.clone();
        move |q: String, s: ModelSort| {
            let path = models_path(&q, s).replacen("/models", base, 1);
            navigate(
                &path,
                leptos_router::NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    };
    let on_input = {
        let go = go.clone();
        move |ev| {
            let value = event_target_value(&ev);
            draft.set(value.clone());
            go(value, sort.get_untracked());
        }
    };
    let on_sort = move |ev| {
        let s = ModelSort::parse(&event_target_value(&ev)).unwrap_or_default();
        go(draft.get_untracked(), s);
    };
    view! {
        <div class="registry-tools">
            <input id="model-search" type="search" autocomplete="off" spellcheck="false"
                placeholder="Search names and tags (key=value works too)"
                prop:value=move || draft.get() on:input=on_input />
            <label class="sort-choice">"Sort by "
                <select id="model-sort" on:change=on_sort prop:value=move || sort.get().as_str()>
                    <option value="name">"Name"</option>
                    <option value="updated">"Last update"</option>
                </select>
            </label>
        </div>
    }
}

#[component]
pub fn ModelsPage() -> impl IntoView {
    let shell = expect_context::<Shell>();
    let (query, sort) = list_query();
    let models = LocalResource::new(move || {
        shell.changes.track();
        let request = ListModelsRequest {
            query: Some(query.get()).filter(|q| !q.trim().is_empty()),
            sort: sort.get(),
        };
        ipc::list_models(request)
    });
    view! {
        <section class="registry-page" id="models-page">
            <header class="registry-head">
                <h1>"Model registry"</h1>
                <RegistryTabs prompts=false />
            </header>
            <ListTools base="/models" query sort />
            {move || match models.get() {
                None => view! { <p class="muted">"Loading models…"</p> }.into_any(),
                Some(Err(error)) => view! { <RegistryError error /> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    let text = if query.with(|q| q.trim().is_empty()) {
                        "No registered models yet. Register one from a run's logged models."
                    } else {
                        "No model name or tag matches this search."
                    };
                    view! { <p class="muted" id="no-models">{text}</p> }.into_any()
                }
                Some(Ok(list)) => view! { <ModelsTable list /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ModelsTable(list: Vec<ModelSummary>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="registry-table" id="models-table">
                <thead><tr>
                    <th>"Model"</th><th>"Latest per stage"</th><th>"Aliases"</th><th>"Tags"</th>
                    <th>"Experiments"</th><th>"Updated"</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(model_row).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn model_row(summary: ModelSummary) -> impl IntoView {
    let m = summary.model;
    let name = m.name.clone();
    let description = first_line(&m.description);
    // Production first: what a review meeting looks for.
    let mut latest_versions = m.latest_versions.clone();
    latest_versions.sort_by_key(|v| match v.current_stage {
        runlens_core::Stage::Production => 0,
        runlens_core::Stage::Staging => 1,
        runlens_core::Stage::None => 2,
        runlens_core::Stage::Archived => 3,
    });
    let latest = latest_versions
        .iter()
        .map(|v| {
            let href = version_path(&name, v.version);
            view! {
                <a class="latest-version" href=href data-stage=v.current_stage.as_str()>
                    <StageBadge stage=v.current_stage />
                    <span class="version-number">{format!("v{}", v.version)}</span>
                </a>
            }
        })
        .collect_view();
    let aliases = m
        .aliases
        .iter()
        .map(|(alias, version)| {
            view! { <span class="alias-chip" data-alias=alias.clone()>{format!("@{alias}")}<span class="alias-target">{format!(" v{version}")}</span></span> }
        })
        .collect_view();
    let tags = m
        .tags
        .iter()
        .map(|(k, v)| view! { <span class="tag-chip" title=format!("{k}: {v}")><span class="tag-key">{k.clone()}</span>": "{v.clone()}</span> })
        .collect_view();
    let experiments = summary
        .experiments
        .into_iter()
        .map(|e| view! { <a class="experiment-link" href=routes::experiment_path(&e.experiment_id)>{e.name}</a> })
        .collect_view();
    view! {
        <tr class="model-row" data-model=name.clone()>
            <td class="model-cell">
                <a class="model-link" href=model_path(&name)>{name.clone()}</a>
                {(!description.is_empty()).then(|| view! { <div class="model-description muted">{description}</div> })}
            </td>
            <td class="latest-cell">{latest}</td>
            <td class="alias-cell">{aliases}</td>
            <td class="tags-cell">{tags}</td>
            <td class="experiments-cell">{experiments}</td>
            <td class="age-cell" title=crate::format::datetime(m.last_updated_timestamp)>{age(m.last_updated_timestamp)}</td>
        </tr>
    }
}

#[component]
pub fn PromptsPage() -> impl IntoView {
    let shell = expect_context::<Shell>();
    let (query, sort) = list_query();
    let prompts = LocalResource::new(move || {
        shell.changes.track();
        let request = ListModelsRequest {
            query: Some(query.get()).filter(|q| !q.trim().is_empty()),
            sort: sort.get(),
        };
        ipc::list_prompts(request)
    });
    view! {
        <section class="registry-page" id="prompts-page">
            <header class="registry-head">
                <h1>"Prompt registry"</h1>
                <RegistryTabs prompts=true />
            </header>
            <ListTools base="/prompts" query sort />
            {move || match prompts.get() {
                None => view! { <p class="muted">"Loading prompts…"</p> }.into_any(),
                Some(Err(error)) => view! { <RegistryError error /> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    view! { <p class="muted" id="no-prompts">"No prompts here. MLflow 3 keeps prompts registered with mlflow.genai.register_prompt."</p> }.into_any()
                }
                Some(Ok(list)) => view! { <PromptsTable list /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn PromptsTable(list: Vec<RegisteredModel>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="registry-table" id="prompts-table">
                <thead><tr><th>"Prompt"</th><th>"Aliases"</th><th>"Tags"</th><th>"Updated"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|p| {
                        let description = first_line(&p.description);
                        let tags = p.tags.iter()
                            .filter(|(k, _)| !k.starts_with("mlflow.prompt.") && !k.starts_with("_mlflow_"))
                            .map(|(k, v)| view! { <span class="tag-chip"><span class="tag-key">{k.clone()}</span>": "{v.clone()}</span> })
                            .collect_view();
                        let aliases = p.aliases.iter()
                            .map(|(a, v)| view! { <span class="alias-chip">{format!("@{a}")}<span class="alias-target">{format!(" v{v}")}</span></span> })
                            .collect_view();
                        view! {
                            <tr class="prompt-row" data-prompt=p.name.clone()>
                                <td class="model-cell">
                                    <a class="prompt-link" href=prompt_path(&p.name)>{p.name.clone()}</a>
                                    {(!description.is_empty()).then(|| view! { <div class="model-description muted">{description}</div> })}
                                </td>
                                <td class="alias-cell">{aliases}</td>
                                <td class="tags-cell">{tags}</td>
                                <td class="age-cell">{age(p.last_updated_timestamp)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
