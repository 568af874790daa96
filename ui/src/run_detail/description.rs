//! The run's description (`mlflow.note.content`): rendered Markdown (see `crate::markdown`) and
//! an editor.

use super::use_page;
use crate::markdown::Markdown;
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use runlens_core::ipc::RunEdit;
use runlens_core::tag;

#[component]
pub fn Description() -> impl IntoView {
    let page = use_page();
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let textarea = NodeRef::<html::Textarea>::new();
    let text = Memo::new(move |_| {
        page.with(|d| d.run.data.tags.get(tag::NOTE).cloned().unwrap_or_default())
            .unwrap_or_default()
    });
    let start = move |_| {
        draft.set(text.get_untracked());
        editing.set(true);
    };
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
        page.edit(RunEdit::SetDescription { text: new_text }, move || editing.set(false));
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
    view! {
        <section class="card wide" id="description-card">
            <header class="card-head">
                <h2>"Description"</h2>
                {move || (!editing.get()).then(|| view! {
                    <button class="quiet" id="edit-description" on:click=start>
                        {move || if text.with(String::is_empty) { "Add" } else { "Edit" }}
                    </button>
                })}
            </header>
            {move || if editing.get() {
                view! {
                    <div class="description-editor">
                        <textarea id="description-input" rows="8" node_ref=textarea spellcheck="true"
                            placeholder="Markdown: what this run tried, what came out of it…"
                            prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))
                            on:keydown=keydown></textarea>
                        <div class="editor-actions">
                            <span class="hint">"Markdown. Ctrl+Enter saves, Esc cancels."</span>
                            <button class="quiet" id="cancel-description" on:click=move |_| editing.set(false)>"Cancel"</button>
                            <button class="primary" id="save-description" disabled=move || page.busy.get()
                                on:click=move |_| save()>"Save"</button>
                        </div>
                    </div>
                }.into_any()
            } else if text.with(String::is_empty) {
                view! { <div id="run-description" class="markdown empty"><p class="muted">"No description."</p></div> }.into_any()
            } else {
                view! { <Markdown text id="run-description" /> }.into_any()
            }}
        </section>
    }
}
