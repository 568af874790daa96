//! The experiment's header: name, id, project, description, and its actions (rename, assign to
//! a project, delete or restore). Every write is confirmed by reading the experiment back.

use crate::app::{ErrorBanner, Shell};
use crate::dialog::{use_confirm, Confirmation};
use crate::ipc;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_core::ipc::ExperimentEdit;
use runlens_core::project::project_of;
use runlens_core::{ApiError, Experiment, LifecycleStage};

/// What the header is editing, if anything.
#[derive(Clone, Copy, PartialEq)]
enum Editing {
    Nothing,
    Name,
    Project,
}

#[component]
pub fn ExperimentHead(experiment: Experiment) -> impl IntoView {
    let shell = expect_context::<Shell>();
    let confirm = use_confirm();
    let editing = RwSignal::new(Editing::Nothing);
    let error = RwSignal::new(None::<ApiError>);
    let draft = RwSignal::new(String::new());
    let id = experiment.experiment_id.clone();
    let deleted = experiment.lifecycle_stage == LifecycleStage::Deleted;
    let project = project_of(&experiment).map(String::from);
    let description = experiment.description().map(String::from);
    // MaxFlow's `__maxai_registered_models__`: the models registered from this experiment.
    let registered = runlens_core::registry::maxflow_models(&experiment);

    let apply = {
        let id = id.clone();
        move |edit: ExperimentEdit| {
            let id = id.clone();
            spawn_local(async move {
                match ipc::edit_experiment(id, edit).await {
                    Ok(_) => {
                        error.set(None);
                        editing.set(Editing::Nothing);
                        shell.changed();
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let start = {
        let (name, project) = (experiment.name.clone(), project.clone());
        move |what: Editing| {
            draft.set(match what {
                Editing::Name => name.clone(),
                _ => project.clone().unwrap_or_default(),
            });
            editing.set(what);
        }
    };
    let save = {
        let apply = apply.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let text = draft.get_untracked().trim().to_string();
            match editing.get_untracked() {
                Editing::Name if !text.is_empty() => apply(ExperimentEdit::Rename { name: text }),
                Editing::Name => error.set(Some(ApiError::invalid("An experiment needs a name."))),
                Editing::Project => apply(ExperimentEdit::AssignProject {
                    project: (!text.is_empty()).then_some(text),
                }),
                _ => {}
            }
        }
    };
    let lifecycle = {
        let (apply, name) = (apply.clone(), experiment.name.clone());
        move |_| {
            let apply = apply.clone();
            let (title, body, label, edit) = if deleted {
                (
                    "Restore experiment?",
                    format!("Restore \"{name}\" and show it with the active experiments again."),
                    "Restore",
                    ExperimentEdit::Restore,
                )
            } else {
                (
                    "Delete experiment?",
                    format!("Move \"{name}\" and all its runs to the bin. It can be restored until the store is garbage-collected."),
                    "Delete",
                    ExperimentEdit::Delete,
                )
            };
            confirm.ask(
                Confirmation {
                    title: title.into(),
                    body,
                    confirm_label: label.into(),
                    danger: !deleted,
                    ..Default::default()
                },
                move || apply(edit.clone()),
            );
        }
    };
    let cancel = move |_| editing.set(Editing::Nothing);
    let escape = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            editing.set(Editing::Nothing);
        }
    };
    let start_name = {
        let start = start.clone();
        move |_| start(Editing::Name)
    };
    let start_project = move |_| start(Editing::Project);

    view! {
        <header class="runs-head">
            <div class="title-row">
                <h1 id="experiment-title">{experiment.name.clone()}</h1>
                {deleted.then(|| view! { <span class="badge deleted" id="experiment-deleted">"deleted"</span> })}
                <span class="muted">"experiment " {id.clone()}</span>
                <span class="project-chip" id="experiment-project-name">
                    {project.clone().map(|p| format!("project {p}")).unwrap_or_else(|| "no project".into())}
                </span>
                <span class="spacer"></span>
                <a class="button-link" id="experiment-plots" href=crate::routes::experiment_plots_path(&id)
                    title="Every run of this experiment as parallel coordinates and a scatter">"Plot runs"</a>
                <a class="head-link" id="experiment-traces" href=crate::routes::traces_path(&id)>"Traces"</a>
                <button type="button" class="quiet" id="experiment-rename" on:click=start_name>"Rename"</button>
                <button type="button" class="quiet" id="experiment-project" on:click=start_project>"Project…"</button>
                <button type="button" class="quiet" id=if deleted { "experiment-restore" } else { "experiment-delete" }
                    on:click=lifecycle>
                    {if deleted { "Restore" } else { "Delete" }}
                </button>
            </div>
            <Show when=move || editing.get() != Editing::Nothing>
                <form class="inline-edit" id="experiment-edit" on:submit=save.clone() on:keydown=escape>
                    <label for="experiment-edit-input">
                        {move || if editing.get() == Editing::Name { "New name" } else { "Project (empty: Unassigned)" }}
                    </label>
                    <input id="experiment-edit-input" autocomplete="off" spellcheck="false" autofocus
                        prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev)) />
                    <button type="submit" class="primary" id="experiment-edit-save">"Save"</button>
                    <button type="button" class="quiet" on:click=cancel>"Cancel"</button>
                </form>
            </Show>
            {(!registered.is_empty()).then(|| view! {
                <p class="experiment-models" id="experiment-models">"Registered models: "
                    {registered.into_iter().map(|name| view! {
                        <a class="experiment-model-link" href=crate::registry::model_path(&name)>{name.clone()}</a>
                    }).collect_view()}
                </p>
            })}
            {move || error.get().map(|error| view! { <ErrorBanner error /> })}
            {description.map(|text| view! {
                <div class="description"><crate::markdown::Markdown text=Signal::stored(text) id="experiment-description" /></div>
            })}
        </header>
    }
}
