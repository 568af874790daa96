//! Actions on the selected runs: compare them (two or more), tag, delete, restore. Each write
//! asks first, says exactly what it will do, and reports per run what failed; the table is read
//! again afterwards.

use super::RunsLoader;
use crate::app::{ErrorBanner, Shell};
use crate::dialog::{use_confirm, Confirmation};
use crate::{ipc, routes};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use runlens_core::ipc::{EditOutcome, RunEdit};
use runlens_core::ApiError;
use std::collections::HashSet;

#[component]
pub fn BulkBar(selected: RwSignal<HashSet<String>>, loader: RunsLoader) -> impl IntoView {
    let shell = expect_context::<Shell>();
    let confirm = use_confirm();
    let tagging = RwSignal::new(false);
    let key = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<EditOutcome, ApiError>>);
    let names = move |ids: &HashSet<String>| -> Vec<String> {
        loader.loaded.with_untracked(|l| {
            l.runs
                .iter()
                .chain(l.ancestors.values())
                .filter(|r| ids.contains(&r.info.run_id))
                .map(|r| r.info.run_name.clone())
                .collect()
        })
    };
    let run_edit = move |edit: RunEdit| {
        let ids: Vec<String> = selected.get_untracked().into_iter().collect();
        spawn_local(async move {
            let result = ipc::edit_runs(ids, edit).await;
            if let Ok(done) = &result {
                selected.update(|s| s.retain(|id| done.failed.iter().any(|f| &f.run_id == id)));
            }
            outcome.set(Some(result));
            shell.changed();
        });
    };
    // "Delete 3 runs" and the runs' names, for the confirmation.
    let describe = move |verb: &str| -> (String, Vec<String>) {
        let ids = selected.get_untracked();
        let mut list = names(&ids);
        list.sort();
        (
            format!("{verb} {} run{}", ids.len(), if ids.len() == 1 { "" } else { "s" }),
            list,
        )
    };
    let delete = move |_| {
        let (what, items) = describe("Move");
        confirm.ask(
            Confirmation {
                title: "Delete runs?".into(),
                body: format!("{what} to the bin. They can be restored until the store is garbage-collected."),
                items,
                confirm_label: "Delete".into(),
                danger: true,
            },
            move || run_edit(RunEdit::Delete),
        );
    };
    let restore = move |_| {
        let (what, items) = describe("Restore");
        confirm.ask(
            Confirmation {
                title: "Restore runs?".into(),
                body: format!("{what} from the bin."),
                items,
                confirm_label: "Restore".into(),
                danger: false,
            },
            move || run_edit(RunEdit::Restore),
        );
    };
    // The selected runs in the table's order (parents shown for context come along when picked).
    let navigate = use_navigate();
    let compare = Callback::new(move |_: ()| {
        let ids = selected.get_untracked();
        let ordered: Vec<String> = loader.loaded.with_untracked(|l| {
            l.runs
                .iter()
                .chain(l.ancestors.values())
                .map(|r| r.info.run_id.clone())
                .filter(|id| ids.contains(id))
                .collect()
        });
        navigate(&routes::compare_path(&ordered, None), Default::default());
    });
    let apply_tag = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (k, v) = (key.get_untracked().trim().to_string(), value.get_untracked());
        if k.is_empty() {
            return;
        }
        let (what, items) = describe(&format!("Set the tag {k} = \"{v}\" on"));
        confirm.ask(
            Confirmation {
                title: "Tag runs?".into(),
                body: format!("{what}; an existing value of {k} is replaced."),
                items,
                confirm_label: "Set tag".into(),
                danger: false,
            },
            move || {
                tagging.set(false);
                run_edit(RunEdit::SetTag {
                    key: k.clone(),
                    value: v.clone(),
                })
            },
        );
    };
    // One table of the selected runs, joined by input (#8), runs in the table's order.
    let compare_tables = {
        let navigate = leptos_router::hooks::use_navigate();
        move |_| {
            let ids = selected.get_untracked();
            let (experiment, ordered) = loader.loaded.with_untracked(|l| {
                let ordered: Vec<String> = l
                    .runs
                    .iter()
                    .chain(l.ancestors.values())
                    .filter(|r| ids.contains(&r.info.run_id))
                    .map(|r| r.info.run_id.clone())
                    .collect();
                (l.experiment.as_ref().map(|e| e.experiment_id.clone()), ordered)
            });
            if let Some(experiment) = experiment {
                navigate(
                    &crate::routes::compare_tables_path(&experiment, &ordered, None, None),
                    Default::default(),
                );
            }
        }
    };
    view! {
        <Show when=move || !selected.with(|s| s.is_empty())>
            <div class="bulk-bar" id="bulk-bar">
                <span id="selected-count">{move || format!("{} selected", selected.with(|s| s.len()))}</span>
                <button type="button" class="primary" id="bulk-compare" on:click=move |_| compare.run(())
                    disabled=move || selected.with(|s| s.len() < 2)
                    title=move || if selected.with(|s| s.len() < 2) { "Select two or more runs to compare them" } else { "Compare the selected runs side by side" }>
                    "Compare"
                </button>
                <button type="button" id="bulk-compare-tables" on:click=compare_tables.clone()
                    title="Join a table of the selected runs by its input column: outputs side by side, with a diff">"Compare tables"</button>
                <button type="button" id="bulk-tag" on:click=move |_| tagging.update(|t| *t = !*t)>"Tag…"</button>
                <button type="button" id="bulk-delete" on:click=delete>"Delete"</button>
                <button type="button" id="bulk-restore" on:click=restore>"Restore"</button>
                <button type="button" class="quiet" id="bulk-clear" on:click=move |_| selected.set(HashSet::new())>"Clear selection"</button>
                <Show when=move || tagging.get()>
                    <form class="bulk-tag-form" on:submit=apply_tag>
                        <input id="bulk-tag-key" placeholder="tag key" autocomplete="off" spellcheck="false"
                            prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev)) />
                        <input id="bulk-tag-value" placeholder="value" autocomplete="off" spellcheck="false"
                            prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
                        <button type="submit" class="primary" id="bulk-tag-apply">"Set tag"</button>
                    </form>
                </Show>
            </div>
        </Show>
        {move || outcome.get().map(|result| match result {
            Err(error) => view! { <ErrorBanner error /> }.into_any(),
            Ok(o) if o.failed.is_empty() => view! {
                <p class="notice" id="bulk-outcome">{format!("Done: {} run{} changed.", o.done.len(), if o.done.len() == 1 { "" } else { "s" })}</p>
            }.into_any(),
            Ok(o) => view! {
                <div class="error-banner" role="alert" id="bulk-outcome">
                    <strong>{format!("{} changed, {} failed:", o.done.len(), o.failed.len())}</strong>
                    <ul>{o.failed.into_iter().map(|f| view! { <li><code>{f.run_id}</code>": "{f.error.message}</li> }).collect_view()}</ul>
                </div>
            }.into_any(),
        })}
    }
}
