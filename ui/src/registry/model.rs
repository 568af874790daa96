//! One registered model: its description, tags and aliases, and either the versions table or
//! the stage board (`/models/<name>` and `/models/<name>/board`).

use super::edit::{Apply, DescriptionCard, TagsCard};
use super::{board_path, model_path, name_in_path, version_path, Notice, RegistryError, StageBadge, WriteError};
use crate::app::{age, Shell};
use crate::dialog::{use_confirm, Confirmation};
use crate::{format, ipc, routes};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_location;
use runlens_core::registry::{plan_alias, ModelDetail, RegistryEdit, VersionCard};
use runlens_core::ApiError;
use std::future::Future;
use std::rc::Rc;

/// The model page's state, shared by its parts through the context.
#[derive(Clone, Copy)]
pub(super) struct ModelState {
    pub name: Signal<String>,
    /// The model as last read (or as a write answered it); `None` before the first answer.
    pub detail: RwSignal<Option<ModelDetail>>,
    load_error: RwSignal<Option<ApiError>>,
    /// Why the last write failed.
    pub error: RwSignal<Option<ApiError>>,
    /// What the last write did, as read back.
    pub notice: RwSignal<Option<String>>,
    /// A write is under way.
    pub busy: RwSignal<bool>,
    reads: StoredValue<u64>,
    shell: Option<Shell>,
}

impl ModelState {
    fn new(name: Signal<String>) -> Self {
        ModelState {
            name,
            detail: RwSignal::new(None),
            load_error: RwSignal::new(None),
            error: RwSignal::new(None),
            notice: RwSignal::new(None),
            busy: RwSignal::new(false),
            reads: StoredValue::new(0),
            shell: use_context::<Shell>(),
        }
    }

    /// Reads the model again; the newest read wins.
    pub fn reload(&self) {
        let state = *self;
        let Some(name) = state.name.try_get_untracked() else {
            return;
        };
        let Some(read) = state.reads.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        spawn_local(async move {
            let answer = ipc::get_model(name.clone()).await;
            if state.reads.try_get_value() != Some(read) || state.name.try_get_untracked() != Some(name) {
                return;
            }
            match answer {
                Ok(detail) => {
                    state.detail.try_set(Some(detail));
                    state.load_error.try_set(None);
                }
                Err(e) if state.detail.try_with_untracked(Option::is_none).unwrap_or(false) => {
                    state.load_error.try_set(Some(e));
                }
                Err(e) => {
                    state.error.try_set(Some(e));
                }
            }
        });
    }

    /// Runs a write that answers the model as stored afterwards, and shows that answer. On
    /// failure the reason is shown and the model is read again (the page never shows a guess).
    pub fn write<Fut>(
        &self,
        call: impl FnOnce() -> Fut + 'static,
        notice: impl FnOnce(&ModelDetail) -> Option<String> + 'static,
        on_success: Rc<dyn Fn()>,
    ) where
        Fut: Future<Output = Result<ModelDetail, ApiError>> + 'static,
    {
        let state = *self;
        if state.busy.get_untracked() {
            return;
        }
        let name = state.name.get_untracked();
        state.busy.set(true);
        state.error.set(None);
        state.notice.set(None);
        spawn_local(async move {
            let answer = call().await;
            state.busy.try_set(false);
            if state.name.try_get_untracked() != Some(name) {
                return;
            }
            // Bumping the reads makes any read still under way stale: this answer is newer.
            state.reads.try_update_value(|n| *n += 1);
            match answer {
                Ok(detail) => {
                    state.notice.try_set(notice(&detail));
                    state.detail.try_set(Some(detail));
                    on_success();
                    if let Some(shell) = state.shell {
                        shell.changed();
                    }
                }
                Err(e) => {
                    state.error.try_set(Some(e));
                    state.reload();
                }
            }
        });
    }

    /// An [`Apply`] for the model's description and tags.
    fn apply(&self) -> Apply {
        let state = *self;
        Rc::new(move |edit: RegistryEdit, done: Rc<dyn Fn()>| {
            let name = state.name.get_untracked();
            state.write(move || ipc::edit_model(name, edit), |_| None, done);
        })
    }
}

pub(super) fn use_model() -> ModelState {
    expect_context::<ModelState>()
}

#[component]
pub fn ModelPage(board: bool) -> impl IntoView {
    let location = use_location();
    let name = Signal::from(Memo::new(move |_| {
        name_in_path(&location.pathname.get())
            .map(|(n, _)| n)
            .unwrap_or_default()
    }));
    let state = ModelState::new(name);
    provide_context(state);
    Effect::new(move |_| {
        name.track();
        state.detail.set(None);
        state.load_error.set(None);
        state.error.set(None);
        state.notice.set(None);
        state.reload();
    });
    let loaded = Memo::new(move |_| state.detail.with(Option::is_some));
    view! {
        <section class="registry-page model-page" id="model-page" aria-busy=move || (!loaded.get()).to_string()>
            <nav class="breadcrumbs"><a href="/models" id="back-to-models">"Models"</a>" / "<span>{move || name.get()}</span></nav>
            {move || {
                if loaded.get() {
                    view! { <Loaded board /> }.into_any()
                } else if let Some(error) = state.load_error.get() {
                    view! { <RegistryError error /> }.into_any()
                } else {
                    view! { <p class="muted">"Loading model…"</p> }.into_any()
                }
            }}
        </section>
    }
}

/// A model's stage board and aliases on their own, with the same state the model page provides
/// (a review's stage-board slide); `highlight`: the versions under discussion.
#[component]
pub fn ModelBoard(#[prop(into)] name: Signal<String>, #[prop(optional)] highlight: Vec<i64>) -> impl IntoView {
    let state = ModelState::new(name);
    provide_context(state);
    Effect::new(move |_| {
        name.track();
        state.detail.set(None);
        state.load_error.set(None);
        state.reload();
    });
    let loaded = Memo::new(move |_| state.detail.with(Option::is_some));
    view! {
        <div class="model-board" id="model-board" aria-busy=move || (!loaded.get()).to_string()>
            <WriteError error=state.error />
            <Notice notice=state.notice />
            {move || {
                if loaded.get() {
                    view! {
                        <super::board::StageBoard highlight=highlight.clone() />
                        <AliasesCard />
                    }.into_any()
                } else if let Some(error) = state.load_error.get() {
                    view! { <RegistryError error /> }.into_any()
                } else {
                    view! { <p class="muted">"Loading model…"</p> }.into_any()
                }
            }}
        </div>
    }
}

#[component]
fn Loaded(board: bool) -> impl IntoView {
    let state = use_model();
    let name = state.name;
    let description = Signal::derive(move || {
        state
            .detail
            .with(|d| d.as_ref().and_then(|d| d.model.description.clone()))
            .unwrap_or_default()
    });
    let tags = Signal::derive(move || {
        state
            .detail
            .with(|d| {
                d.as_ref()
                    .map(|d| d.model.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            })
            .unwrap_or_default()
    });
    let experiments = move || {
        state.detail.with(|d| {
            d.as_ref().map(|d| {
                d.experiments
                    .iter()
                    .map(|e| view! { <a class="experiment-link" href=routes::experiment_path(&e.experiment_id)>{e.name.clone()}</a> })
                    .collect_view()
            })
        })
    };
    let has_experiments = move || {
        state
            .detail
            .with(|d| d.as_ref().is_some_and(|d| !d.experiments.is_empty()))
    };
    view! {
        <header class="registry-head">
            <h1 id="model-name">{move || name.get()}</h1>
            <nav class="registry-tabs">
                <a id="tab-versions" href=move || model_path(&name.get()) class:active=!board>"Versions"</a>
                <a id="tab-board" href=move || board_path(&name.get()) class:active=board>"Stage board"</a>
            </nav>
            <crate::review::AddToReview id="add-model-to-review"
                item=Signal::derive(move || Some(runlens_core::review::ReviewItem::StageBoard { model: name.get(), versions: Vec::new() })) />
        </header>
        {move || has_experiments().then(|| view! {
            <p class="model-experiments" id="model-experiments">"Registered from " {experiments}</p>
        })}
        <WriteError error=state.error />
        <Notice notice=state.notice />
        {if board {
            view! {
                <super::board::StageBoard />
                <AliasesCard />
            }.into_any()
        } else {
            view! {
                <div class="registry-cards">
                    <DescriptionCard prefix="model" text=description apply=state.apply() busy=state.busy />
                    <TagsCard prefix="model" tags apply=state.apply() busy=state.busy />
                    <AliasesCard />
                </div>
                <VersionsTable />
            }.into_any()
        }}
    }
}

/// Every version: number, stage, aliases, status, created, user, source run, description, tags.
#[component]
fn VersionsTable() -> impl IntoView {
    let state = use_model();
    let rows = move || {
        state.detail.get().map(|d| {
            let name = d.model.name.clone();
            d.versions
                .into_iter()
                .map(|card| version_row(&name, card))
                .collect_view()
        })
    };
    view! {
        <section class="card versions-card">
            <header class="card-head"><h2>"Versions"</h2></header>
            <div class="table-scroll">
                <table class="registry-table" id="versions-table">
                    <thead><tr>
                        <th>"Version"</th><th>"Stage"</th><th>"Aliases"</th><th>"Status"</th><th>"Created"</th>
                        <th>"User"</th><th>"Source run"</th><th>"Description"</th><th>"Tags"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

/// A link to a version's source run (or why there is none).
pub(super) fn run_link(card: &VersionCard) -> AnyView {
    match &card.run {
        None => view! { <span class="muted">"—"</span> }.into_any(),
        Some(source) if source.run.missing => view! {
            <span class="muted missing-run" title="The run is not in this store">{format!("{} (missing)", short(&source.run.run_id))}</span>
        }
        .into_any(),
        Some(source) => {
            let href = routes::run_path(source.experiment_id.as_deref().unwrap_or_default(), &source.run.run_id);
            let label = if source.run.run_name.is_empty() {
                short(&source.run.run_id)
            } else {
                source.run.run_name.clone()
            };
            view! { <a class="run-link" href=href data-run-id=source.run.run_id.clone()>{label}</a> }.into_any()
        }
    }
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

fn version_row(name: &str, card: VersionCard) -> impl IntoView {
    let v = card.version.clone();
    let aliases = v
        .aliases
        .iter()
        .map(|a| view! { <span class="alias-chip">{format!("@{a}")}</span> })
        .collect_view();
    let tags = v
        .tags
        .iter()
        .map(|(k, val)| view! { <span class="tag-chip"><span class="tag-key">{k.clone()}</span>": "{val.clone()}</span> })
        .collect_view();
    let description = v.description.clone().unwrap_or_default();
    view! {
        <tr class="version-row" data-version=v.version.to_string() data-stage=v.current_stage.as_str()>
            <td><a class="version-link" href=version_path(name, v.version)>{format!("Version {}", v.version)}</a></td>
            <td><StageBadge stage=v.current_stage /></td>
            <td class="alias-cell">{aliases}</td>
            <td>{v.status.clone()}</td>
            <td title=format::datetime(v.creation_timestamp)>{age(v.creation_timestamp)}</td>
            <td>{v.user_id.clone().unwrap_or_default()}</td>
            <td>{run_link(&card)}</td>
            <td class="version-description">{description}</td>
            <td class="tags-cell">{tags}</td>
        </tr>
    }
}

/// The model's aliases: set one on a version, move it to another version, remove it. Each
/// change is validated as MLflow validates aliases and confirmed before it is written.
#[component]
fn AliasesCard() -> impl IntoView {
    let state = use_model();
    let confirm = use_confirm();
    // While a review is presented, a confirmed change is one of its decisions.
    let decisions = crate::review::DecisionLog::current();
    let alias = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let aliases = move || {
        state
            .detail
            .with(|d| d.as_ref().map(|d| d.model.aliases.clone()))
            .unwrap_or_default()
    };
    let versions = move || {
        state
            .detail
            .with(|d| {
                d.as_ref()
                    .map(|d| d.versions.iter().map(|v| v.version.version).collect::<Vec<_>>())
            })
            .unwrap_or_default()
    };
    // The plan for the alias form, or why it cannot be done.
    let planned = Memo::new(move |_| {
        let text = alias.get();
        let version = target.get().parse::<i64>().ok();
        if text.trim().is_empty() {
            return None;
        }
        let Some(version) = version else {
            return Some(Err("Choose a version.".to_string()));
        };
        state.detail.with(|d| {
            d.as_ref().map(|d| {
                let numbers: Vec<i64> = d.versions.iter().map(|v| v.version.version).collect();
                plan_alias(&d.model, &numbers, &text, Some(version)).map_err(|e| e.message)
            })
        })
    });
    let ask = move |plan: runlens_core::registry::AliasPlan, clear: bool| {
        let title = match (plan.from, plan.to) {
            (None, Some(v)) => format!("Set alias “{}” on version {v}?", plan.alias),
            (Some(_), Some(v)) => format!("Move alias “{}” to version {v}?", plan.alias),
            _ => format!("Remove alias “{}”?", plan.alias),
        };
        let removing = plan.to.is_none();
        confirm.ask(
            Confirmation {
                title,
                body: plan.summary(),
                confirm_label: if removing {
                    "Remove alias".into()
                } else {
                    "Save alias".into()
                },
                danger: removing,
                ..Default::default()
            },
            move || {
                let plan = plan.clone();
                let summary = plan.summary();
                let decision = runlens_core::review::DecisionChange::of_alias(&plan).map(|c| (plan.name.clone(), c));
                state.write(
                    move || ipc::change_alias(plan),
                    move |_| Some(format!("Done: {summary}")),
                    Rc::new(move || {
                        if clear {
                            alias.set(String::new());
                            target.set(String::new());
                        }
                        if let (Some(log), Some((model, change))) = (decisions, decision.clone()) {
                            log.record(model, change);
                        }
                    }),
                );
            },
        );
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(Ok(plan)) = planned.get_untracked() {
            ask(plan, true);
        }
    };
    let remove = move |name: String| {
        let plan = state.detail.with_untracked(|d| {
            d.as_ref().and_then(|d| {
                let numbers: Vec<i64> = d.versions.iter().map(|v| v.version.version).collect();
                plan_alias(&d.model, &numbers, &name, None).ok()
            })
        });
        if let Some(plan) = plan {
            ask(plan, false);
        }
    };
    view! {
        <section class="card" id="aliases-card">
            <header class="card-head"><h2>"Aliases"</h2></header>
            <table class="kv-table compact" id="aliases-table">
                <tbody>
                    {move || aliases().into_iter().map(|(name, version)| {
                        let (move_name, remove_name) = (name.clone(), name.clone());
                        view! {
                            <tr class="alias-row" data-alias=name.clone()>
                                <td class="key">{format!("@{name}")}</td>
                                <td><a href=version_path(&state.name.get_untracked(), version) class="alias-version">{format!("Version {version}")}</a></td>
                                <td class="row-actions">
                                    <button class="quiet move-alias" on:click=move |_| { alias.set(move_name.clone()); target.set(String::new()); }>"Move…"</button>
                                    <button class="quiet remove-alias" on:click=move |_| remove(remove_name.clone())>"Remove"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || aliases().is_empty().then(|| view! { <p class="muted">"No aliases. An alias such as champion names one version."</p> })}
            <form class="alias-form" id="alias-form" on:submit=submit>
                <input id="alias-name" placeholder="alias, e.g. champion" autocomplete="off" spellcheck="false"
                    prop:value=move || alias.get() on:input=move |ev| alias.set(event_target_value(&ev)) />
                <select id="alias-version" prop:value=move || target.get() on:change=move |ev| target.set(event_target_value(&ev))>
                    <option value="">"version…"</option>
                    {move || versions().into_iter().map(|v| view! { <option value=v.to_string()>{format!("Version {v}")}</option> }).collect_view()}
                </select>
                <button type="submit" id="alias-save" class="primary"
                    disabled=move || state.busy.get() || !matches!(planned.get(), Some(Ok(_)))>"Set alias…"</button>
            </form>
            {move || match planned.get() {
                Some(Err(why)) => Some(view! { <p class="field-error" id="alias-error">{why}</p> }.into_any()),
                Some(Ok(plan)) => Some(view! { <p class="hint" id="alias-plan">{plan.summary()}</p> }.into_any()),
                None => None,
            }}
        </section>
    }
}
