//! The run page's "Logged models" card: the models the run logged (MLflow 3 logged models and
//! MLflow 2's `mlflow.log-model.history`), each with "Register…": into a new registered model
//! (MaxFlow's `<experiment>-<runName>-<artifact_path>` proposed in MaxFlow experiments) or as a
//! new version of an existing one, confirmed with exactly what will be written.

use super::version_path;
use crate::app::{ErrorBanner, Shell};
use crate::{format, ipc};
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use runlens_core::registry::{validate_model_name, RegisterRequest, RunModel, RunModels};
use runlens_core::ApiError;

#[component]
pub fn RunModelsCard(#[prop(into)] run_id: Signal<String>) -> impl IntoView {
    let shell = use_context::<Shell>();
    let models = LocalResource::new(move || {
        if let Some(shell) = shell {
            shell.changes.track();
        }
        ipc::run_models(run_id.get())
    });
    let registering = RwSignal::new(None::<(RunModels, RunModel)>);
    // The dialog lives beside the card, not in it: the card reads the run's models again after a
    // registration (the store changed), and that must not close the dialog showing the result.
    let dialog = move || {
        registering.get().map(|(all, chosen)| {
            view! { <RegisterDialog models=all model=chosen on_close=move || registering.set(None) /> }
        })
    };
    let card = move || match models.get() {
        Some(Ok(found)) if !found.models.is_empty() => {
            let rows = found
                .models
                .iter()
                .map(|m| {
                    let (all, chosen) = (found.clone(), m.clone());
                    let created = m.created.map(|t| format::datetime(Some(t))).unwrap_or_default();
                    let kind = if m.model_id.is_some() { "logged model" } else { "MLflow 2 model" };
                    view! {
                        <tr class="run-model" data-model-name=m.name.clone()>
                            <td class="key">{m.name.clone()}</td>
                            <td class="muted">{kind}</td>
                            <td>{m.flavors.join(", ")}</td>
                            <td class="muted">{created}</td>
                            <td class="mono source">{m.source.clone()}</td>
                            <td class="row-actions">
                                <button class="register-model" on:click=move |_| registering.set(Some((all.clone(), chosen.clone())))>
                                    "Register…"
                                </button>
                            </td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <section class="card wide" id="run-models-card">
                    <header class="card-head"><h2>"Logged models"</h2></header>
                    <table class="kv-table compact" id="run-models"><tbody>{rows}</tbody></table>
                </section>
            }
            .into_any()
        }
        // A run without models (or a failure to list them) needs no card on its page.
        _ => ().into_any(),
    };
    view! { {card} {dialog} }
}

#[component]
fn RegisterDialog(
    models: RunModels,
    model: RunModel,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let navigate = use_navigate();
    let shell = use_context::<Shell>();
    let existing = models.existing_models.clone();
    let create_new = RwSignal::new(true);
    let new_name = RwSignal::new(model.suggested_name.clone());
    let existing_choice = RwSignal::new(existing.first().cloned().unwrap_or_default());
    let description = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(None::<(String, i64)>);
    let target = move || {
        if create_new.get() {
            new_name.get().trim().to_string()
        } else {
            existing_choice.get()
        }
    };
    let existing_for_check = existing.clone();
    let problem = move || -> Option<String> {
        let name = target();
        if let Err(e) = validate_model_name(&name) {
            return Some(e.message);
        }
        if create_new.get() && existing_for_check.contains(&name) {
            return Some(format!(
                "A model named “{name}” exists: choose “New version of” instead."
            ));
        }
        None
    };
    let maxflow = models.maxflow;
    let experiment = models.experiment_name.clone();
    let run_name = models.run_name.clone();
    let source = model.source.clone();
    let summary = {
        let (source, run_name, experiment) = (source.clone(), run_name.clone(), experiment.clone());
        move || {
            let name = target();
            let mut text = if create_new.get() {
                format!("Creates registered model “{name}” and its version 1 from {source} (run “{run_name}”).")
            } else {
                format!("Adds a new version to “{name}” from {source} (run “{run_name}”).")
            };
            if maxflow {
                text.push_str(&format!(
                    " The MaxFlow experiment “{experiment}” lists “{name}” in its __maxai_registered_models__ tag."
                ));
            }
            text
        }
    };
    let registry_error = models.registry_error.clone();
    let register = {
        let (run_id, source) = (models.run_id.clone(), source.clone());
        let problem = problem.clone();
        move |_| {
            if busy.get_untracked() || problem().is_some() {
                return;
            }
            let request = RegisterRequest {
                run_id: run_id.clone(),
                source: source.clone(),
                model_name: target(),
                create_model: create_new.get_untracked(),
                description: Some(description.get_untracked()).filter(|d| !d.trim().is_empty()),
            };
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let answer = ipc::register_model(request).await;
                busy.try_set(false);
                match answer {
                    Ok(outcome) => {
                        done.try_set(Some((outcome.version.name.clone(), outcome.version.version)));
                        if let Some(shell) = shell {
                            shell.changed();
                        }
                    }
                    Err(e) => {
                        error.try_set(Some(e));
                    }
                }
            });
        }
    };
    let close = on_close.clone();
    let keys = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            ev.stop_propagation();
            close();
        }
    });
    on_cleanup(move || keys.remove());
    let (cancel, backdrop) = (on_close.clone(), on_close.clone());
    let open_version = {
        let close = on_close.clone();
        move |_| {
            if let Some((name, version)) = done.get_untracked() {
                close();
                navigate(&version_path(&name, version), Default::default());
            }
        }
    };
    let has_existing = !existing.is_empty();
    view! {
        <div class="modal-backdrop" on:click=move |_| backdrop()>
            <div class="modal wide-modal" id="register-dialog" role="dialog" aria-modal="true" aria-labelledby="register-title"
                on:click=|ev| ev.stop_propagation()>
                <h2 id="register-title">{format!("Register “{}” of run “{}”", model.name, run_name)}</h2>
                {move || match done.get() {
                    Some((name, version)) => {
                        let cancel = cancel.clone();
                        view! {
                        <p class="notice" id="register-done">{format!("Registered as version {version} of “{name}”.")}</p>
                        <div class="modal-actions">
                            <button type="button" id="register-close" on:click=move |_| cancel()>"Close"</button>
                            <button type="button" class="primary" id="open-registered-version" on:click=open_version.clone()>"Open the version"</button>
                        </div>
                    }.into_any()
                    }
                    None => {
                        let existing = existing.clone();
                        let registry_error = registry_error.clone();
                        let cancel = cancel.clone();
                        let (problem_text, problem_block) = (problem.clone(), problem.clone());
                        view! {
                            {registry_error.map(|error| view! { <ErrorBanner error /> })}
                            <label class="register-choice">
                                <input type="radio" name="register-target" id="register-new" prop:checked=move || create_new.get()
                                    on:change=move |_| create_new.set(true) />
                                " New model "
                                <input id="register-name" class="register-name" autocomplete="off" spellcheck="false"
                                    prop:value=move || new_name.get()
                                    on:focus=move |_| create_new.set(true)
                                    on:input=move |ev| new_name.set(event_target_value(&ev)) />
                            </label>
                            {maxflow.then(|| view! { <p class="hint">"MaxFlow experiment: the name follows MaxFlow's <experiment>-<run name>-<artifact path>."</p> })}
                            <label class="register-choice">
                                <input type="radio" name="register-target" id="register-existing" disabled=!has_existing
                                    prop:checked=move || !create_new.get() on:change=move |_| create_new.set(false) />
                                " New version of "
                                <select id="register-existing-name" disabled=!has_existing
                                    prop:value=move || existing_choice.get()
                                    on:change=move |ev| { existing_choice.set(event_target_value(&ev)); create_new.set(false); }>
                                    {existing.iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                            <label class="register-description">"Version description (optional)"
                                <textarea id="register-description" rows="2" prop:value=move || description.get()
                                    on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                            </label>
                            <p id="register-summary">{summary.clone()}</p>
                            {move || problem_text().map(|p| view! { <p class="field-error" id="register-problem">{p}</p> })}
                            {move || error.get().map(|error| view! { <ErrorBanner error /> })}
                            <div class="modal-actions">
                                <button type="button" id="register-cancel" on:click=move |_| cancel()>"Cancel"</button>
                                <button type="button" class="primary" id="register-confirm"
                                    disabled=move || busy.get() || problem_block().is_some() on:click=register.clone()>"Register"</button>
                            </div>
                        }.into_any()
                    }
                }}
            </div>
        </div>
    }
}
