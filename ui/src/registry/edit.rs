//! A model's or a version's description (Markdown) and tags, with their editors. The owner
//! writes each change and calls back once the store accepted it; editors close only then.

use crate::dialog::{use_confirm, Confirmation};
use crate::markdown::Markdown;
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::html;
use leptos::prelude::*;
use runlens_core::registry::RegistryEdit;
use std::rc::Rc;

/// Writes an edit; the second argument runs once the store accepted it.
pub type Apply = Rc<dyn Fn(RegistryEdit, Rc<dyn Fn()>)>;

#[component]
pub fn DescriptionCard(
    /// `model` or `version`: ids are `<prefix>-description`, `edit-<prefix>-description`, ...
    prefix: &'static str,
    #[prop(into)] text: Signal<String>,
    apply: Apply,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let textarea = NodeRef::<html::Textarea>::new();
    let apply = StoredValue::new_local(apply);
    Effect::new(move |_| {
        if let Some(el) = textarea.get() {
            let _ = el.focus();
        }
    });
    let save = move || {
        let new_text = draft.get_untracked();
        if new_text == text.get_untracked() {
            editing.set(false);
            return;
        }
        let close: Rc<dyn Fn()> = Rc::new(move || editing.set(false));
        apply.with_value(|apply| apply(RegistryEdit::SetDescription { text: new_text }, close));
    };
    let keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Enter" if ev.ctrl_key() || ev.meta_key() => {
            ev.prevent_default();
            save();
        }
        "Escape" => {
            ev.prevent_default();
            editing.set(false);
        }
        _ => {}
    };
    let shown_id = format!("{prefix}-description");
    view! {
        <section class="card" id=format!("{prefix}-description-card")>
            <header class="card-head">
                <h2>"Description"</h2>
                {move || (!editing.get()).then(|| view! {
                    <button class="quiet" id=format!("edit-{prefix}-description")
                        on:click=move |_| { draft.set(text.get_untracked()); editing.set(true); }>
                        {move || if text.with(String::is_empty) { "Add" } else { "Edit" }}
                    </button>
                })}
            </header>
            {move || if editing.get() {
                view! {
                    <div class="description-editor">
                        <textarea id=format!("{prefix}-description-input") rows="6" node_ref=textarea spellcheck="true"
                            placeholder="Markdown: what this is, how it was validated, who to ask…"
                            prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))
                            on:keydown=keydown></textarea>
                        <div class="editor-actions">
                            <span class="hint">"Markdown. Ctrl+Enter saves, Esc cancels."</span>
                            <button class="quiet" on:click=move |_| editing.set(false)>"Cancel"</button>
                            <button class="primary" id=format!("save-{prefix}-description") disabled=move || busy.get()
                                on:click=move |_| save()>"Save"</button>
                        </div>
                    </div>
                }.into_any()
            } else if text.with(String::is_empty) {
                view! { <div id=shown_id.clone() class="markdown empty"><p class="muted">"No description."</p></div> }.into_any()
            } else {
                let id: &'static str = if prefix == "model" { "model-description" } else { "version-description" };
                view! { <Markdown text id /> }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn TagsCard(
    prefix: &'static str,
    #[prop(into)] tags: Signal<Vec<(String, String)>>,
    apply: Apply,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let confirm = use_confirm();
    let apply = StoredValue::new_local(apply);
    let new_key = RwSignal::new(String::new());
    let new_value = RwSignal::new(String::new());
    let editing = RwSignal::new(None::<String>);
    let draft = RwSignal::new(String::new());
    let edit_input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = edit_input.get() {
            let _ = el.focus();
            el.select();
        }
    });
    let write = move |edit: RegistryEdit, done: Rc<dyn Fn()>| apply.with_value(|apply| apply(edit, done));
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        let key = new_key.get_untracked().trim().to_string();
        if key.is_empty() {
            return;
        }
        let value = new_value.get_untracked();
        write(
            RegistryEdit::SetTag { key, value },
            Rc::new(move || {
                new_key.set(String::new());
                new_value.set(String::new());
            }),
        );
    };
    let save_edit = move || {
        let Some(key) = editing.get_untracked() else { return };
        let value = draft.get_untracked();
        write(RegistryEdit::SetTag { key, value }, Rc::new(move || editing.set(None)));
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
                body: "The tag and its value are removed. Runlens cannot bring them back.".into(),
                confirm_label: "Delete tag".into(),
                danger: true,
                ..Default::default()
            },
            move || write(RegistryEdit::DeleteTag { key: key.clone() }, Rc::new(|| {})),
        );
    };
    view! {
        <section class="card" id=format!("{prefix}-tags-card")>
            <header class="card-head"><h2>"Tags"</h2></header>
            <table class="kv-table compact" id=format!("{prefix}-tags")>
                <tbody>
                    {move || tags.get().into_iter().map(|(key, value)| {
                        let row_key = key.clone();
                        let is_editing = {
                            let key = key.clone();
                            move || editing.get().as_deref() == Some(key.as_str())
                        };
                        let start = {
                            let (key, value) = (key.clone(), value.clone());
                            move |_| { draft.set(value.clone()); editing.set(Some(key.clone())); }
                        };
                        let remove = {
                            let key = key.clone();
                            move |_| delete(key.clone())
                        };
                        view! {
                            <tr class="tag-row" data-key=row_key>
                                <td class="key">{key.clone()}</td>
                                <td>{move || if is_editing() {
                                    view! {
                                        <div class="tag-editor">
                                            <input class="tag-value-input" node_ref=edit_input prop:value=move || draft.get()
                                                on:input=move |ev| draft.set(event_target_value(&ev)) on:keydown=edit_keys />
                                            <button class="primary" disabled=move || busy.get() on:click=move |_| save_edit()>"Save"</button>
                                        </div>
                                    }.into_any()
                                } else {
                                    view! { <span class="tag-value">{value.clone()}</span> }.into_any()
                                }}</td>
                                <td class="row-actions">
                                    <button class="quiet edit-tag" title="Edit the value" on:click=start.clone()>"Edit"</button>
                                    <button class="quiet delete-tag" title="Delete the tag" on:click=remove.clone()>"Delete"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || tags.with(Vec::is_empty).then(|| view! { <p class="muted">"No tags."</p> })}
            <form class="add-tag" on:submit=add>
                <input id=format!("{prefix}-tag-key") placeholder="key" autocomplete="off" spellcheck="false"
                    prop:value=move || new_key.get() on:input=move |ev| new_key.set(event_target_value(&ev)) />
                <input id=format!("{prefix}-tag-value") placeholder="value" autocomplete="off"
                    prop:value=move || new_value.get() on:input=move |ev| new_value.set(event_target_value(&ev)) />
                <button type="submit" id=format!("add-{prefix}-tag")
                    disabled=move || busy.get() || new_key.with(|k| k.trim().is_empty())>"Add tag"</button>
            </form>
        </section>
    }
}
