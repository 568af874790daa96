//! The sidebar: the store's projects and, under each, its experiments; a name search and a
//! switch that shows deleted experiments too.

use crate::app::{age, ErrorBanner, Shell};
use crate::{ipc, routes};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use runlens_core::ipc::ListProjectsRequest;
use runlens_core::project::Project;
use runlens_core::{LifecycleStage, ViewType};

#[component]
pub fn Sidebar() -> impl IntoView {
    let shell = expect_context::<Shell>();
    let search = RwSignal::new(String::new());
    let show_deleted = RwSignal::new(false);
    let location = use_location();
    let projects = LocalResource::new(move || {
        shell.changes.track();
        let name_filter = Some(search.get()).filter(|s| !s.trim().is_empty());
        let view_type = if show_deleted.get() {
            ViewType::All
        } else {
            ViewType::ActiveOnly
        };
        ipc::list_projects(ListProjectsRequest { view_type, name_filter })
    });
    view! {
        <nav class="sidebar" id="sidebar">
            <div class="sidebar-tools">
                <input id="experiment-search" type="search" placeholder="Search experiments"
                    autocomplete="off" spellcheck="false"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev)) />
                <label class="toggle" title="Show experiments in the bin too">
                    <input id="show-deleted-experiments" type="checkbox"
                        prop:checked=move || show_deleted.get()
                        on:change=move |ev| show_deleted.set(event_target_checked(&ev)) />
                    "Deleted"
                </label>
            </div>
            <nav class="sidebar-registry" aria-label="Registry">
                <a href="/models" id="nav-models" class="registry-link"
                    class:selected=move || location.pathname.with(|p| p.starts_with("/models"))>"Models"</a>
                <a href="/prompts" id="nav-prompts" class="registry-link"
                    class:selected=move || location.pathname.with(|p| p.starts_with("/prompts"))>"Prompts"</a>
                <a href="/reviews" id="nav-reviews" class="registry-link"
                    class:selected=move || location.pathname.with(|p| p.starts_with("/reviews"))>"Reviews"</a>
            </nav>
            <h2>"Projects"</h2>
            {move || match projects.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorBanner error=e /> }.into_any(),
                Some(Ok(list)) if list.is_empty() && !search.get_untracked().trim().is_empty() => {
                    view! { <p class="muted" id="no-experiments">"No experiment name contains this text."</p> }.into_any()
                }
                Some(Ok(list)) if list.is_empty() => {
                    view! { <p class="muted" id="no-experiments">"This store has no experiments yet."</p> }.into_any()
                }
                Some(Ok(list)) => list.into_iter().map(|p| view! { <ProjectGroup project=p /> }).collect_view().into_any(),
            }}
        </nav>
    }
}

#[component]
fn ProjectGroup(project: Project) -> impl IntoView {
    let location = use_location();
    let navigate = use_navigate();
    let selected = Memo::new(move |_| routes::experiment_in_path(&location.pathname.get()));
    let name = project.name.clone().unwrap_or_else(|| "Unassigned".into());
    let unassigned = project.name.is_none();
    let count = project.experiments.len();
    view! {
        <section class="project" class:unassigned=unassigned data-project=name.clone()>
            <div class="project-head">
                <span class="project-name">{name.clone()}</span>
                <span class="count" title="experiments">{count}</span>
                <span class="age" title="last activity">{age(project.last_activity)}</span>
            </div>
            <ul>
                {project.experiments.into_iter().map(|e| {
                    let id = e.experiment_id.clone();
                    let is_selected = {
                        let id = id.clone();
                        move || selected.get().as_deref() == Some(id.as_str())
                    };
                    let deleted = e.lifecycle_stage == LifecycleStage::Deleted;
                    let open = {
                        let (navigate, path) = (navigate.clone(), routes::experiment_path(&id));
                        move |_| navigate(&path, Default::default())
                    };
                    view! {
                        <li>
                            <button class="experiment" data-experiment-id=id.clone()
                                class:selected=is_selected class:deleted=deleted
                                title=if deleted { "In the bin" } else { "" }
                                on:click=open>
                                {e.name.clone()}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
