//! The sidebar: the store's projects and, under each, its experiments.

use crate::app::{age, ErrorBanner, Shell};
use crate::ipc;
use leptos::prelude::*;
use runlens_core::ipc::ListProjectsRequest;
use runlens_core::project::Project;
use runlens_core::ViewType;

#[component]
pub fn Sidebar() -> impl IntoView {
    let shell = expect_context::<Shell>();
    let projects = LocalResource::new(move || {
        // Re-read whenever another store is opened.
        let _ = shell.screen.get();
        ipc::list_projects(ListProjectsRequest {
            view_type: ViewType::ActiveOnly,
            name_filter: None,
        })
    });
    view! {
        <nav class="sidebar" id="sidebar">
            <h2>"Projects"</h2>
            {move || match projects.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorBanner error=e /> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="muted">"This store has no experiments yet."</p> }.into_any(),
                Some(Ok(list)) => list.into_iter().map(|p| view! { <ProjectGroup project=p /> }).collect_view().into_any(),
            }}
        </nav>
    }
}

#[component]
fn ProjectGroup(project: Project) -> impl IntoView {
    let shell = expect_context::<Shell>();
    let name = project.name.clone().unwrap_or_else(|| "Unassigned".into());
    let unassigned = project.name.is_none();
    let count = project.experiments.len();
    view! {
        <section class="project" class:unassigned=unassigned data-project=name.clone()>
            <div class="project-head">
                <span class="project-name">{name.clone()}</span>
                <span class="count" title="experiments">{count}</span>
                <span class="age">{age(project.last_activity)}</span>
            </div>
            <ul>
                {project.experiments.into_iter().map(|e| {
                    let id = e.experiment_id.clone();
                    let id_for_class = id.clone();
                    let id_for_click = id.clone();
                    view! {
                        <li>
                            <button class="experiment" data-experiment-id=id
                                class:selected=move || shell.experiment.get().as_deref() == Some(id_for_class.as_str())
                                on:click=move |_| shell.experiment.set(Some(id_for_click.clone()))>
                                {e.name.clone()}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
