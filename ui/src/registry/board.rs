//! The stage board: one column per stage (None, Staging, Production, Archived) with a card per
//! version (number, aliases, source run, its key metrics, age). A card moves by drag and drop or
//! by its "Move to…" menu; either way a confirmation says exactly what will happen — including
//! which versions "archive existing versions" moves to Archived — before anything is written,
//! and the board then shows the model as the store holds it.

use super::model::{run_link, use_model};
use super::{stage_class, version_path};
use crate::app::age;
use crate::format;
use crate::ipc;
use leptos::ev::{DragEvent, KeyboardEvent};
use leptos::html;
use leptos::prelude::*;
use runlens_core::registry::{plan_transition, versions_text, TransitionPlan, VersionCard};
use runlens_core::Stage;
use std::rc::Rc;

/// A move being confirmed: which version, where to, and whether to archive the others.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    version: i64,
    to: Stage,
    archive: bool,
}

/// `highlight`: versions under discussion (a review's slide), marked on their cards.
#[component]
pub fn StageBoard(#[prop(optional)] highlight: Vec<i64>) -> impl IntoView {
    let state = use_model();
    let highlight = StoredValue::new(highlight);
    // The version being dragged, the column under it, the card whose menu is open.
    let dragging = RwSignal::new(None::<i64>);
    let over = RwSignal::new(None::<Stage>);
    let menu = RwSignal::new(None::<i64>);
    let pending = RwSignal::new(None::<Pending>);
    let ask = move |version: i64, to: Stage| {
        menu.set(None);
        let from = state.detail.with_untracked(|d| {
            d.as_ref()
                .and_then(|d| d.version(version))
                .map(|c| c.version.current_stage)
        });
        if from.is_some_and(|f| f != to) {
            pending.set(Some(Pending {
                version,
                to,
                archive: false,
            }));
        }
    };
    let columns = Stage::ALL
        .into_iter()
        .map(|stage| {
            let cards = move || {
                state
                    .detail
                    .with(|d| {
                        d.as_ref().map(|d| {
                            d.versions
                                .iter()
                                .filter(|c| c.version.current_stage == stage)
                                .cloned()
                                .collect::<Vec<_>>()
                        })
                    })
                    .unwrap_or_default()
            };
            let count = move || cards().len();
            let drag_over = move |ev: DragEvent| {
                let Some(version) = dragging.get_untracked() else {
                    return;
                };
                let from = state.detail.with_untracked(|d| {
                    d.as_ref()
                        .and_then(|d| d.version(version))
                        .map(|c| c.version.current_stage)
                });
                if from != Some(stage) {
                    ev.prevent_default();
                    if let Some(dt) = ev.data_transfer() {
                        dt.set_drop_effect("move");
                    }
                    over.set(Some(stage));
                }
            };
            let drop = move |ev: DragEvent| {
                ev.prevent_default();
                over.set(None);
                if let Some(version) = dragging.get_untracked() {
                    dragging.set(None);
                    ask(version, stage);
                }
            };
            view! {
                <section class=format!("stage-column stage-{}", stage_class(stage)) data-stage=stage.as_str()
                    class:drop-target=move || over.get() == Some(stage)
                    on:dragover=drag_over
                    on:dragleave=move |_| if over.get_untracked() == Some(stage) { over.set(None) }
                    on:drop=drop>
                    <header class="stage-head">
                        <h3>{stage.as_str()}</h3>
                        <span class="count">{count}</span>
                    </header>
                    <div class="stage-cards">
                        {move || {
                            let list = cards();
                            if list.is_empty() {
                                view! { <p class="stage-empty muted">"No version"</p> }.into_any()
                            } else {
                                list.into_iter().map(|card| {
                                    let highlighted = highlight.with_value(|h| h.contains(&card.version.version));
                                    view! { <Card card dragging menu on_move=Rc::new(ask) highlighted /> }
                                }).collect_view().into_any()
                            }
                        }}
                    </div>
                </section>
            }
        })
        .collect_view();
    view! {
        <div class="stage-board" id="stage-board" class:busy=move || state.busy.get()
            on:dragend=move |_| { dragging.set(None); over.set(None); }>
            {columns}
        </div>
        <p class="hint board-hint">"Drag a card to another column, or use its “Move to…” menu. Nothing is written before you confirm."</p>
        {move || pending.get().map(|p| view! { <TransitionDialog pending=p on_close=move || pending.set(None) on_change=move |p| pending.set(Some(p)) /> })}
    }
}

#[component]
fn Card(
    card: VersionCard,
    dragging: RwSignal<Option<i64>>,
    menu: RwSignal<Option<i64>>,
    on_move: Rc<dyn Fn(i64, Stage)>,
    #[prop(default = false)] highlighted: bool,
) -> impl IntoView {
    let state = use_model();
    let v = card.version.clone();
    let number = v.version;
    let name = v.name.clone();
    let from = v.current_stage;
    let has_aliases = !v.aliases.is_empty();
    let aliases = v
        .aliases
        .iter()
        .map(|a| view! { <span class="alias-chip">{format!("@{a}")}</span> })
        .collect_view();
    let key_metrics = state
        .detail
        .with_untracked(|d| d.as_ref().map(|d| d.key_metrics.clone()))
        .unwrap_or_default();
    let metrics = key_metrics
        .into_iter()
        .map(|key| {
            let value = card
                .metrics
                .iter()
                .find(|m| m.key == key)
                .map(|m| format::metric(m.value))
                .unwrap_or_else(|| "—".into());
            view! { <div class="card-metric" data-metric=key.clone()><dt>{key.clone()}</dt><dd>{value}</dd></div> }
        })
        .collect_view();
    let targets = Stage::ALL
        .into_iter()
        .filter(|s| *s != from)
        .map(|to| {
            let on_move = on_move.clone();
            view! {
                <button type="button" role="menuitem" class="move-target" data-target=to.as_str()
                    on:click=move |_| on_move(number, to)>{to.as_str()}</button>
            }
        })
        .collect_view();
    let user = v.user_id.clone().filter(|u| !u.is_empty());
    view! {
        <article class="version-card" data-version=number.to_string() draggable="true"
            class:dragging=move || dragging.get() == Some(number) class:highlighted=highlighted
            title=highlighted.then_some("Under discussion in this review")
            on:dragstart=move |ev: DragEvent| {
                if let Some(dt) = ev.data_transfer() {
                    let _ = dt.set_data("text/plain", &number.to_string());
                    dt.set_effect_allowed("move");
                }
                dragging.set(Some(number));
            }>
            <header class="version-card-head">
                <a class="version-link" href=version_path(&name, number) draggable="false">{format!("Version {number}")}</a>
                <button type="button" class="quiet move-menu-button" aria-haspopup="menu"
                    aria-expanded=move || (menu.get() == Some(number)).to_string()
                    on:click=move |_| menu.update(|m| *m = if *m == Some(number) { None } else { Some(number) })>
                    "Move to…"
                </button>
            </header>
            {move || (menu.get() == Some(number)).then(|| view! {
                <div class="move-menu" role="menu">{targets.clone()}</div>
            })}
            {has_aliases.then(|| view! { <div class="aliases card-aliases">{aliases}</div> })}
            <div class="card-run">{run_link(&card)}</div>
            <dl class="card-metrics">{metrics}</dl>
            <footer class="card-foot muted">
                <span title=format::datetime(v.creation_timestamp)>{format!("created {}", age(v.creation_timestamp))}</span>
                {user.map(|u| view! { <span>{format!(" · {u}")}</span> })}
            </footer>
        </article>
    }
}

/// The confirmation of a move, with the "archive existing versions" choice where MLflow
/// allows it (Staging and Production); the summary follows the choice as it is made.
#[component]
fn TransitionDialog(
    pending: Pending,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
    on_change: impl Fn(Pending) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let state = use_model();
    // While a review is presented, a confirmed move is one of its decisions.
    let decisions = crate::review::DecisionLog::current();
    let confirm_button = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = confirm_button.get() {
            let _ = b.focus();
        }
    });
    let plan: Result<TransitionPlan, String> = state
        .detail
        .with_untracked(|d| {
            d.as_ref().map(|d| {
                plan_transition(
                    &d.model.name,
                    &d.model_versions(),
                    pending.version,
                    pending.to,
                    pending.archive,
                )
                .map_err(|e| e.message)
            })
        })
        .unwrap_or_else(|| Err("the model is not loaded".into()));
    // Who "archive existing versions" would move, shown beside the checkbox either way.
    let in_target: Vec<i64> = state
        .detail
        .with_untracked(|d| {
            d.as_ref().map(|d| {
                let mut v: Vec<i64> = d
                    .versions
                    .iter()
                    .filter(|c| c.version.version != pending.version && c.version.current_stage == pending.to)
                    .map(|c| c.version.version)
                    .collect();
                v.sort_unstable();
                v
            })
        })
        .unwrap_or_default();
    let close = on_close.clone();
    let keys = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            ev.stop_propagation();
            close();
        }
    });
    on_cleanup(move || keys.remove());
    let archive_choice = pending.to.allows_archiving_others().then(|| {
        let p = pending.clone();
        let on_change = on_change.clone();
        let who = if in_target.is_empty() {
            format!("(no other version is in {} now)", pending.to)
        } else {
            format!("({} now)", versions_text(&in_target))
        };
        view! {
            <label class="archive-choice">
                <input type="checkbox" id="transition-archive" prop:checked=p.archive
                    on:change=move |ev| on_change(Pending { archive: event_target_checked(&ev), ..p.clone() }) />
                {format!(" Archive existing versions in {} ", pending.to)}
                <span class="muted">{who}</span>
            </label>
        }
    });
    let (summary, changes, ok) = match &plan {
        Ok(plan) => (plan.summary(), plan.changes(), true),
        Err(why) => (why.clone(), Vec::new(), false),
    };
    let write = {
        let close = on_close.clone();
        move |_| {
            let Ok(plan) = plan.clone() else { return };
            // The dialog closes at once: the board keeps showing the store's state (busy) until
            // the answer, then what was read back, or why nothing changed.
            close();
            let asked = plan.clone();
            state.write(
                move || ipc::transition_version(plan),
                move |detail| {
                    // Said from what the store answered, not from the plan.
                    let stage_of = |n: i64| detail.version(n).map(|c| c.version.current_stage);
                    let mut text = format!(
                        "Version {} is now in {}.",
                        asked.version,
                        stage_of(asked.version)
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "?".into())
                    );
                    let archived: Vec<i64> = asked
                        .archived
                        .iter()
                        .copied()
                        .filter(|n| stage_of(*n) == Some(Stage::Archived))
                        .collect();
                    if !archived.is_empty() {
                        text.push_str(&format!(" {} moved to Archived.", capital(&versions_text(&archived))));
                    }
                    if let (Some(log), Some(to)) = (decisions, stage_of(asked.version).filter(|s| *s != asked.from)) {
                        log.record(
                            asked.name.clone(),
                            runlens_core::review::DecisionChange::StageMove {
                                version: asked.version,
                                from: asked.from,
                                to,
                                archived,
                            },
                        );
                    }
                    Some(text)
                },
                Rc::new(|| {}),
            );
        }
    };
    let cancel = on_close.clone();
    let backdrop = on_close.clone();
    view! {
        <div class="modal-backdrop" on:click=move |_| backdrop()>
            <div class="modal" id="transition-dialog" role="dialog" aria-modal="true" aria-labelledby="transition-title"
                on:click=|ev| ev.stop_propagation()>
                <h2 id="transition-title">{format!("Move version {} to {}?", pending.version, pending.to)}</h2>
                {archive_choice}
                <p id="transition-summary">{summary}</p>
                <ul class="confirm-items" id="transition-changes">
                    {changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                </ul>
                <div class="modal-actions">
                    <button type="button" id="transition-cancel" on:click=move |_| cancel()>"Cancel"</button>
                    <button type="button" id="transition-confirm" class="primary" node_ref=confirm_button
                        disabled=move || !ok || state.busy.get() on:click=write>
                        {format!("Move version {}", pending.version)}
                    </button>
                </div>
            </div>
        </div>
    }
}

fn capital(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
