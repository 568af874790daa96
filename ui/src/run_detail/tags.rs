//! The run's tags: user tags by default, MLflow's and MaxFlow's own behind "Show system tags";
//! add, edit a value inline, delete (after a confirmation).

use super::params::value_text;
use super::use_page;
use crate::dialog::{use_confirm, Confirmation};
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::html;
use leptos::prelude::*;
use runlens_core::display::is_system_tag;
use runlens_core::ipc::RunEdit;

#[component]
pub fn Tags() -> impl IntoView {
    let page = use_page();
    let confirm = use_confirm();
    let show_system = RwSignal::new(false);
    // The key whose value is being edited, and the edited value.
    let editing = RwSignal::new(None::<String>);
    let draft = RwSignal::new(String::new());
    let edit_input = NodeRef::<html::Input>::new();
    let new_key = RwSignal::new(String::new());
    let new_value = RwSignal::new(String::new());

    let tags = Memo::new(move |_| {
        page.with(|d| {
            d.run
                .data
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let hidden = move || tags.with(|t| hidden_count(t));
    let shown = move || {
        let all = show_system.get();
        tags.get()
            .into_iter()
            .filter(|(k, _)| all || !is_system_tag(k))
            .collect::<Vec<_>>()
    };
    Effect::new(move |_| {
        if let Some(el) = edit_input.get() {
            let _ = el.focus();
            el.select();
        }
    });

    let save_edit = move || {
        let Some(key) = editing.get_untracked() else { return };
        let value = draft.get_untracked();
        page.edit(RunEdit::SetTag { key, value }, move || editing.set(None));
    };
    let edit_keys = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            ev.prevent_default();
            save_edit();
        }
        "Escape" => {
            ev.prevent_default();
            editing.set(None);
        }
        _ => {}
    };
    let delete = move |key: String| {
        confirm.ask(
            Confirmation {
                title: format!("Delete tag “{key}”?"),
                body: "The tag and its value are removed from this run. This cannot be undone from Runlens.".into(),
                confirm_label: "Delete tag".into(),
                danger: true,
                ..Default::default()
            },
            move || page.edit(RunEdit::DeleteTag { key: key.clone() }, || {}),
        );
    };
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        let key = new_key.get_untracked().trim().to_string();
        if key.is_empty() {
            return;
        }
        let value = new_value.get_untracked();
        page.edit(RunEdit::SetTag { key, value }, move || {
            new_key.set(String::new());
            new_value.set(String::new());
        });
    };

    let row = move |(key, value): (String, String)| {
        let is_editing = {
            let key = key.clone();
            move || editing.with(|e| e.as_deref() == Some(key.as_str()))
        };
        let cell = {
            let is_editing = is_editing.clone();
            let value = value.clone();
            move || {
                if is_editing() {
                    view! {
                        <div class="tag-editor">
                            <input type="text" class="tag-value-input" node_ref=edit_input aria-label="Tag value"
                                prop:value=move || draft.get()
                                on:input=move |ev| draft.set(event_target_value(&ev))
                                on:keydown=edit_keys />
                            <button class="primary tag-save" disabled=move || page.busy.get()
                                on:click=move |_| save_edit()>"Save"</button>
                            <button class="quiet tag-cancel" on:click=move |_| editing.set(None)>"Cancel"</button>
                        </div>
                    }
                    .into_any()
                } else {
                    value_text(value.clone())
                }
            }
        };
        let start_edit = {
            let key = key.clone();
            let value = value.clone();
            move |_| {
                draft.set(value.clone());
                editing.set(Some(key.clone()));
            }
        };
        let ask_delete = {
            let key = key.clone();
            move |_| delete(key.clone())
        };
        view! {
            <tr data-key=key.clone() class:system=is_system_tag(&key)>
                <td class="key">{key.clone()}</td>
                <td class="val">{cell}</td>
                <td class="row-actions">
                    <button class="icon tag-edit" title="Edit value" aria-label=format!("Edit {key}")
                        disabled=move || page.busy.get() on:click=start_edit>"✎"</button>
                    <button class="icon tag-delete" title="Delete tag" aria-label=format!("Delete {key}")
                        disabled=move || page.busy.get() on:click=ask_delete>"✕"</button>
                </td>
            </tr>
        }
    };

    view! {
        <section class="card" id="tags-card">
            <header class="card-head">
                <h2>"Tags"</h2>
                <span class="count">{move || tags.with(|t| t.len() - hidden_count(t))}</span>
                <label class="toggle" title="MLflow's and MaxFlow's own tags (mlflow.*, __maxai_*)">
                    <input type="checkbox" id="show-system-tags" prop:checked=move || show_system.get()
                        on:change=move |ev| show_system.set(event_target_checked(&ev)) />
                    {move || format!("Show system tags ({})", hidden())}
                </label>
            </header>
            <table class="kv-table" id="tags-table">
                <thead><tr><th>"Key"</th><th>"Value"</th><th></th></tr></thead>
                <tbody>{move || {
                    let rows = shown();
                    if rows.is_empty() {
                        view! { <tr><td colspan="3" class="muted">"No tags."</td></tr> }.into_any()
                    } else {
                        rows.into_iter().map(row).collect_view().into_any()
                    }
                }}</tbody>
            </table>
            <form class="add-tag" id="add-tag-form" on:submit=add>
                <input type="text" id="new-tag-key" placeholder="key" aria-label="New tag key" autocomplete="off"
                    prop:value=move || new_key.get() on:input=move |ev| new_key.set(event_target_value(&ev)) />
                <input type="text" id="new-tag-value" placeholder="value" aria-label="New tag value" autocomplete="off"
                    prop:value=move || new_value.get() on:input=move |ev| new_value.set(event_target_value(&ev)) />
                <button type="submit" id="add-tag"
                    disabled=move || page.busy.get() || new_key.with(|k| k.trim().is_empty())>"Add tag"</button>
            </form>
        </section>
    }
}

fn hidden_count(tags: &[(String, String)]) -> usize {
    tags.iter().filter(|(k, _)| is_system_tag(k)).count()
}
