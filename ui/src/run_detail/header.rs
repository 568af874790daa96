//! The run's header: where it is (experiment), its name (renamed inline), status, lifecycle,
//! times, parent and children, and the run-wide actions (delete/restore, end a stuck run).

use super::use_page;
use crate::dialog::{use_confirm, Confirmation};
use crate::{format, routes};
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use runlens_core::ipc::{RunEdit, RunRef};
use runlens_core::{LifecycleStage, RunStatus};

/// Children listed before "Show all".
const CHILDREN_SHOWN: usize = 50;

#[component]
pub fn Header() -> impl IntoView {
    let page = use_page();
    let experiment = move || {
        page.with(|d| (d.experiment.experiment_id.clone(), d.experiment.name.clone()))
            .unwrap_or_default()
    };
    view! {
        <nav class="breadcrumbs">
            {move || {
                let (id, name) = experiment();
                view! { <a id="experiment-link" href=routes::experiment_path(&id)>{name}</a> }
            }}
            <span class="sep">"›"</span>
            <span class="muted">"Run"</span>
        </nav>
        <header class="run-header">
            <div class="run-title">
                <RunName />
                <StatusBadges />
                <Actions />
            </div>
            <Meta />
            <Relations />
        </header>
    }
}

/// The name, with a pencil that turns it into a field: Enter saves, Esc cancels.
#[component]
fn RunName() -> impl IntoView {
    let page = use_page();
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let input = NodeRef::<html::Input>::new();
    let name = move || page.with(|d| d.run.info.run_name.clone()).unwrap_or_default();
    let start = move |_| {
        draft.set(name());
        editing.set(true);
    };
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
            el.select();
        }
    });
    let save = move || {
        let new_name = draft.get_untracked().trim().to_string();
        if new_name.is_empty() || new_name == name() {
            editing.set(false);
            return;
        }
        page.edit(RunEdit::Rename { name: new_name }, move || editing.set(false));
    };
    let keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            ev.prevent_default();
            save();
        }
        "Escape" => {
            ev.prevent_default();
            editing.set(false);
        }
        _ => {}
    };
    move || {
        if editing.get() {
            view! {
                <div class="rename">
                    <input id="run-name-input" type="text" node_ref=input aria-label="Run name"
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))
                        on:keydown=keydown />
                    <button class="primary" id="save-rename" disabled=move || page.busy.get()
                        on:click=move |_| save()>"Save"</button>
                    <button class="quiet" id="cancel-rename" on:click=move |_| editing.set(false)>"Cancel"</button>
                </div>
            }
            .into_any()
        } else {
            view! {
                <h1 id="run-name" title=move || page.with(|d| d.run.info.run_id.clone())>{name}</h1>
                <button class="icon" id="run-rename" title="Rename this run" aria-label="Rename"
                    on:click=start>"✎"</button>
            }
            .into_any()
        }
    }
}

#[component]
fn StatusBadges() -> impl IntoView {
    let page = use_page();
    let status = move || page.with(|d| d.run.info.status).unwrap_or_default();
    let deleted = move || {
        page.with(|d| d.run.info.lifecycle_stage == LifecycleStage::Deleted)
            .unwrap_or(false)
    };
    view! {
        <span id="run-status" class=move || format!("status status-{}", status().as_str().to_ascii_lowercase())>
            {move || status().as_str()}
        </span>
        {move || deleted().then(|| view! {
            <span id="run-lifecycle" class="lifecycle-deleted" title="This run is in the bin: Restore brings it back">
                "deleted"
            </span>
        })}
    }
}

/// Delete or restore, and for a run still RUNNING or SCHEDULED, end it as FAILED or KILLED.
#[component]
fn Actions() -> impl IntoView {
    let page = use_page();
    let confirm = use_confirm();
    let name = move || page.with(|d| d.run.info.run_name.clone()).unwrap_or_default();
    let status = move || page.with(|d| d.run.info.status).unwrap_or_default();
    let deleted = move || {
        page.with(|d| d.run.info.lifecycle_stage == LifecycleStage::Deleted)
            .unwrap_or(false)
    };
    let end_stuck = move |to: RunStatus| {
        let from = status();
        confirm.ask(
            Confirmation {
                title: format!("Mark “{}” as {to}?", name()),
                body: format!(
                    "Its status changes from {from} to {to} and its end time is set to now. Do this for a run \
                     left {from} by a session that crashed or was stopped; a run that is still logging may fail \
                     to write afterwards."
                ),
                confirm_label: format!("Mark as {to}"),
                danger: true,
                ..Default::default()
            },
            move || page.edit(RunEdit::EndStuck { status: to }, || {}),
        );
    };
    let delete = move |_| {
        confirm.ask(
            Confirmation {
                title: format!("Delete run “{}”?", name()),
                body: "The run is marked deleted (MLflow's soft delete): it leaves the runs table's active view, \
                       its params, metrics and artifacts stay in the store, and Restore brings it back. Its child \
                       runs are not deleted."
                    .into(),
                confirm_label: "Delete run".into(),
                danger: true,
                ..Default::default()
            },
            move || page.edit(RunEdit::Delete, || {}),
        );
    };
    let restore = move |_| {
        confirm.ask(
            Confirmation {
                title: format!("Restore run “{}”?", name()),
                body: "The run is marked active again and shows in the runs table's active view.".into(),
                confirm_label: "Restore run".into(),
                ..Default::default()
            },
            move || page.edit(RunEdit::Restore, || {}),
        );
    };
    let stuck = move || matches!(status(), RunStatus::Running | RunStatus::Scheduled);
    let review_item = Signal::derive(move || {
        page.with(|d| d.run.info.run_id.clone())
            .map(|id| runlens_core::review::ReviewItem::Comparison { run_ids: vec![id] })
    });
    view! {
        <div class="run-actions">
            <crate::review::AddToReview item=review_item id="add-run-to-review" />
            {move || stuck().then(|| view! {
                <button id="mark-failed" disabled=move || page.busy.get()
                    title="End this run now as FAILED" on:click=move |_| end_stuck(RunStatus::Failed)>
                    "Mark as FAILED"
                </button>
                <button id="mark-killed" disabled=move || page.busy.get()
                    title="End this run now as KILLED" on:click=move |_| end_stuck(RunStatus::Killed)>
                    "Mark as KILLED"
                </button>
            })}
            {move || if deleted() {
                view! {
                    <button id="run-restore" disabled=move || page.busy.get() on:click=restore>"Restore"</button>
                }.into_any()
            } else {
                view! {
                    <button id="run-delete" class="danger-outline" disabled=move || page.busy.get() on:click=delete>
                        "Delete"
                    </button>
                }.into_any()
            }}
        </div>
    }
}

/// Who, when and how long.
#[component]
fn Meta() -> impl IntoView {
    let page = use_page();
    move || {
        page.with(|d| {
            let info = d.run.info.clone();
            let ended = match info.end_time {
                Some(_) => format::datetime(info.end_time),
                None if info.status.is_terminal() => "—".into(),
                None => "not yet".into(),
            };
            let duration = match info.end_time {
                Some(_) => format::duration(info.start_time, info.end_time),
                None if !info.status.is_terminal() => {
                    let so_far = format::duration(info.start_time, Some(js_sys::Date::now() as i64));
                    if so_far.is_empty() {
                        String::new()
                    } else {
                        format!("{so_far} so far")
                    }
                }
                None => String::new(),
            };
            view! {
                <dl class="run-meta">
                    <div><dt>"Run ID"</dt><dd class="mono" id="run-id">{info.run_id.clone()}</dd></div>
                    <div><dt>"User"</dt><dd id="run-user">{info.user_id.clone()}</dd></div>
                    <div><dt>"Started"</dt><dd id="run-start">{format::datetime(info.start_time)}</dd></div>
                    <div><dt>"Ended"</dt><dd id="run-end">{ended}</dd></div>
                    <div><dt>"Duration"</dt><dd id="run-duration">{duration}</dd></div>
                </dl>
            }
        })
    }
}

/// A link to another run of this experiment, with its status (and "deleted" when it is).
fn run_link(experiment_id: &str, run: &RunRef, id: Option<&'static str>, class: &'static str) -> AnyView {
    let status = run.status.map(|s| {
        view! { <span class=format!("status status-{}", s.as_str().to_ascii_lowercase())>{s.as_str()}</span> }
    });
    let deleted = (run.lifecycle_stage == Some(LifecycleStage::Deleted))
        .then(|| view! { <span class="lifecycle-deleted">"deleted"</span> });
    let name = if run.run_name.is_empty() {
        run.run_id.clone()
    } else {
        run.run_name.clone()
    };
    view! {
        <span class="run-ref">
            <a id=id class=class href=routes::run_path(experiment_id, &run.run_id) data-run-id=run.run_id.clone()
                title=run.run_id.clone()>{name}</a>
            {status}
            {deleted}
        </span>
    }
    .into_any()
}

/// Parent (or that it is missing) and children.
#[component]
fn Relations() -> impl IntoView {
    let page = use_page();
    let show_all = RwSignal::new(false);
    move || {
        page.with(|d| {
            let experiment_id = d.run.info.experiment_id.clone();
            let parent = d.parent.clone().map(|p| {
                let link = if p.missing {
                    view! {
                        <span id="parent-missing" class="missing" title=p.run_id.clone()>
                            "parent run missing "
                            <code>{p.run_id.clone()}</code>
                        </span>
                    }
                    .into_any()
                } else {
                    run_link(&experiment_id, &p, Some("parent-link"), "parent-link")
                };
                view! { <div class="relation"><span class="label">"Parent"</span>{link}</div> }
            });
            let total = d.children.len();
            let more_in_store = d.more_children;
            let children = (total > 0).then(|| {
                let shown = if show_all.get() {
                    total
                } else {
                    total.min(CHILDREN_SHOWN)
                };
                let links = d.children[..shown]
                    .iter()
                    .map(|c| view! { <li>{run_link(&experiment_id, c, None, "child-link")}</li> })
                    .collect_view();
                let more = (shown < total).then(|| {
                    view! {
                        <li>
                            <button class="quiet" id="show-all-children" on:click=move |_| show_all.set(true)>
                                {format!("Show all {total}")}
                            </button>
                        </li>
                    }
                });
                // A sweep's children side by side (the compare view takes up to 200 runs).
                let compare = (total >= 2).then(|| {
                    let ids: Vec<String> = d.children.iter().filter(|c| !c.missing).take(200).map(|c| c.run_id.clone()).collect();
                    view! { <a class="card-link" id="compare-children" href=routes::compare_path(&ids, None)>"Compare them"</a> }
                });
                view! {
                    <div class="relation">
                        <span class="label">{if more_in_store { format!("Children (first {total})") } else { format!("Children ({total})") }}</span>
                        <ul class="children" id="children">{links}{more}</ul>
                        {compare}
                        {more_in_store.then(|| view! {
                            <a class="hint" href=routes::experiment_path(&experiment_id)>"All of them are in the runs table"</a>
                        })}
                    </div>
                }
            });
            (parent.is_some() || children.is_some()).then(|| view! { <div class="relations">{parent}{children}</div> })
        })
    }
}
