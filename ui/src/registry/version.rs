//! One model version (`/models/<name>/versions/<n>`): its stage, aliases and source run, its
//! model card (flavors, task, signature, input example, requirements), the source run's metrics
//! and params, its description and tags (editable), and "Compare with…" another version, which
//! opens Compare on the two versions' source runs.

use super::edit::{Apply, DescriptionCard, TagsCard};
use super::{model_path, name_in_path, Notice, RegistryError, StageBadge, WriteError};
use crate::app::Shell;
use crate::artifacts::preview::model_card;
use crate::{format, ipc, routes};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_location, use_navigate};
use runlens_core::registry::{llm_task_label, RegistryEdit, VersionDetail};
use runlens_core::ApiError;
use std::rc::Rc;

#[component]
pub fn VersionPage() -> impl IntoView {
    let location = use_location();
    let place = Memo::new(move |_| name_in_path(&location.pathname.get()));
    let detail = RwSignal::new(None::<VersionDetail>);
    let load_error = RwSignal::new(None::<ApiError>);
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let shell = use_context::<Shell>();
    let reads = StoredValue::new(0u64);
    let reload = move || {
        let Some(Some((name, Some(version)))) = place.try_get_untracked() else {
            return;
        };
        let read = reads.try_update_value(|n| {
            *n += 1;
            *n
        });
        spawn_local(async move {
            let answer = ipc::get_version(name.clone(), version).await;
            if reads.try_get_value() != read {
                return;
            }
            match answer {
                Ok(d) => {
                    detail.try_set(Some(d));
                    load_error.try_set(None);
                }
                Err(e) if detail.try_with_untracked(Option::is_none).unwrap_or(false) => {
                    load_error.try_set(Some(e));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    Effect::new(move |_| {
        place.track();
        detail.set(None);
        load_error.set(None);
        error.set(None);
        notice.set(None);
        reload();
    });
    let apply: Apply = Rc::new(move |edit: RegistryEdit, done: Rc<dyn Fn()>| {
        let Some(Some((name, Some(version)))) = place.try_get_untracked() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        notice.set(None);
        spawn_local(async move {
            let answer = ipc::edit_version(name, version, edit).await;
            busy.try_set(false);
            reads.try_update_value(|n| *n += 1);
            match answer {
                Ok(d) => {
                    detail.try_set(Some(d));
                    notice.try_set(Some("Saved.".into()));
                    done();
                    if let Some(shell) = shell {
                        shell.changed();
                    }
                }
                Err(e) => {
                    error.try_set(Some(e));
                    reload();
                }
            }
        });
    });
    let apply = StoredValue::new_local(apply);
    let name = move || place.get().map(|(n, _)| n).unwrap_or_default();
    view! {
        <section class="registry-page version-page" id="version-page">
            <nav class="breadcrumbs">
                <a href="/models">"Models"</a>" / "
                <a id="back-to-model" href=move || model_path(&name())>{name}</a>" / "
                <span>{move || place.get().and_then(|(_, v)| v).map(|v| format!("Version {v}")).unwrap_or_default()}</span>
            </nav>
            {move || match (detail.get(), load_error.get()) {
                (Some(d), _) => view! {
                    <Loaded detail=d apply=apply.get_value() busy error notice />
                }.into_any(),
                (None, Some(error)) => view! { <RegistryError error /> }.into_any(),
                (None, None) => view! { <p class="muted">"Loading version…"</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Loaded(
    detail: VersionDetail,
    apply: Apply,
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let navigate = use_navigate();
    let v = detail.version.clone();
    let description = Signal::stored(v.description.clone().unwrap_or_default());
    let tags = Signal::stored(
        v.tags
            .iter()
            .map(|(k, val)| (k.clone(), val.clone()))
            .collect::<Vec<_>>(),
    );
    let aliases = v
        .aliases
        .iter()
        .map(|a| view! { <span class="alias-chip">{format!("@{a}")}</span> })
        .collect_view();
    let run_link = detail.run.as_ref().map(|r| {
        let s = &r.source;
        if s.run.missing {
            view! { <span class="muted">{format!("{} (not in this store)", s.run.run_id)}</span> }.into_any()
        } else {
            let href = routes::run_path(s.experiment_id.as_deref().unwrap_or_default(), &s.run.run_id);
            let experiment = r
                .experiment_name
                .clone()
                .map(|e| format!(" in {e}"))
                .unwrap_or_default();
            view! {
                <a id="source-run" href=href>{s.run.run_name.clone()}</a>
                <span class="muted">{experiment}</span>
            }
            .into_any()
        }
    });
    // "Compare with…": the other versions that have a source run.
    let my_run = v.run_id.clone();
    let others: Vec<(i64, String)> = detail
        .siblings
        .iter()
        .filter(|s| s.version != v.version)
        .filter_map(|s| s.run_id.clone().map(|r| (s.version, r)))
        .collect();
    let compare_to = RwSignal::new(others.first().map(|(n, _)| n.to_string()).unwrap_or_default());
    let compare = {
        let others = others.clone();
        let my_run = my_run.clone();
        move |_| {
            let Some(mine) = my_run.clone() else { return };
            let chosen = compare_to.get_untracked().parse::<i64>().ok();
            if let Some((_, theirs)) = others.iter().find(|(n, _)| Some(*n) == chosen) {
                navigate(&routes::compare_path(&[mine, theirs.clone()], None), Default::default());
            }
        }
    };
    let compare_box = (my_run.is_some() && !others.is_empty()).then(|| {
        view! {
            <div class="compare-with">
                <label for="compare-with">"Compare with "</label>
                <select id="compare-with" prop:value=move || compare_to.get()
                    on:change=move |ev| compare_to.set(event_target_value(&ev))>
                    {others.iter().map(|(n, _)| view! { <option value=n.to_string()>{format!("Version {n}")}</option> }).collect_view()}
                </select>
                <button id="compare-button" on:click=compare>"Compare runs"</button>
            </div>
        }
    });
    let task = detail.card.as_ref().and_then(|c| c.task.clone());
    let task_note = task.as_deref().and_then(llm_task_label).map(|label| {
        view! { <p class="task-label" id="llm-task">{label}</p> }
    });
    let card = match (detail.card.clone(), detail.card_error.clone()) {
        (Some(card), _) => model_card(card),
        (None, Some(error)) => view! {
            <div class="muted" id="model-card-missing">
                <p>"The model's MLmodel file could not be read, so there is no model card."</p>
                <crate::app::ErrorBanner error />
            </div>
        }
        .into_any(),
        (None, None) => view! { <p class="muted">"No model card."</p> }.into_any(),
    };
    let run_tables = detail.run.clone().map(|r| {
        let metrics = r
            .metrics
            .iter()
            .map(|m| view! { <tr><td class="key">{m.key.clone()}</td><td class="num">{format::metric(m.value)}</td><td class="num muted">{format!("step {}", m.step)}</td></tr> })
            .collect_view();
        let params = r
            .params
            .iter()
            .map(|(k, val)| view! { <tr><td class="key">{k.clone()}</td><td class="mono">{val.clone()}</td></tr> })
            .collect_view();
        view! {
            <section class="card" id="run-metrics-card">
                <header class="card-head"><h2>"Source run metrics"</h2></header>
                <table class="kv-table compact metrics" id="source-run-metrics"><tbody>{metrics}</tbody></table>
                {r.metrics.is_empty().then(|| view! { <p class="muted">"No metrics."</p> })}
            </section>
            <section class="card" id="run-params-card">
                <header class="card-head"><h2>"Source run params"</h2></header>
                <table class="kv-table compact" id="source-run-params"><tbody>{params}</tbody></table>
                {r.params.is_empty().then(|| view! { <p class="muted">"No params."</p> })}
            </section>
        }
    });
    view! {
        <header class="registry-head">
            <h1 id="version-title">{format!("{} · Version {}", v.name, v.version)}</h1>
            <StageBadge stage=v.current_stage />
            <span class="aliases">{aliases}</span>
            <crate::review::AddToReview id="add-version-to-review"
                item=Signal::stored(Some(runlens_core::review::ReviewItem::StageBoard { model: v.name.clone(), versions: vec![v.version] })) />
        </header>
        <dl class="version-facts" id="version-facts">
            <div><dt>"Status"</dt><dd>{v.status.clone()}</dd></div>
            <div><dt>"Created"</dt><dd>{format::datetime(v.creation_timestamp)}</dd></div>
            <div><dt>"Updated"</dt><dd>{format::datetime(v.last_updated_timestamp)}</dd></div>
            <div><dt>"User"</dt><dd>{v.user_id.clone().unwrap_or_else(|| "—".into())}</dd></div>
            <div><dt>"Source run"</dt><dd>{run_link.unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())}</dd></div>
            <div><dt>"Files"</dt><dd class="mono files-location">{detail.files.clone()}</dd></div>
        </dl>
        {compare_box}
        <WriteError error />
        <Notice notice />
        <div class="registry-cards">
            <DescriptionCard prefix="version" text=description apply=apply.clone() busy />
            <TagsCard prefix="version" tags apply busy />
        </div>
        <section class="card model-card-section" id="version-model-card">
            <header class="card-head"><h2>"Model card"</h2></header>
            {task_note}
            {card}
        </section>
        <div class="registry-cards">{run_tables}</div>
    }
}
