//! One value shown whole, for the cell pane of a table and a span's inputs and outputs: text as
//! text (or Markdown through the sanitising renderer, on request), JSON pretty-printed, chat
//! message lists as a conversation, image cells as the image. Nothing is ever inserted as
//! HTML except core's sanitised Markdown.

use crate::ipc;
use leptos::prelude::*;
use runlens_core::preview::PreviewBody;
use runlens_core::tables::{chat_messages, number_text, Cell, ChatMessage, ImageCell};
use serde_json::Value;
use std::collections::HashMap;

/// How a text is shown.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Text,
    Markdown,
    Json,
    Chat,
}

/// The messages of a chat value, including an OpenAI-style answer (`choices[].message`).
pub fn messages_of(value: &Value) -> Option<Vec<ChatMessage>> {
    if let Some(m) = chat_messages(value) {
        return Some(m);
    }
    let choices = value.get("choices")?.as_array()?;
    let messages: Vec<Value> = choices.iter().filter_map(|c| c.get("message").cloned()).collect();
    chat_messages(&Value::Array(messages))
}

/// A whole table cell.
#[component]
pub fn CellView(cell: Cell, #[prop(into)] run_id: String) -> impl IntoView {
    match cell {
        Cell::Null => view! { <p class="muted value-empty">"(empty)"</p> }.into_any(),
        Cell::Bool(b) => view! { <p class="value-scalar">{b.to_string()}</p> }.into_any(),
        Cell::Number(n) => view! { <p class="value-scalar num">{number_text(n)}</p> }.into_any(),
        Cell::Text(text) => view! { <TextView text /> }.into_any(),
        Cell::Json(value) => view! { <ValueView value /> }.into_any(),
        Cell::Image(image) => view! { <ImageView run_id image full=true /> }.into_any(),
        Cell::Cut { preview, .. } => view! { <TextView text=preview /> }.into_any(),
    }
}

/// A JSON value: a chat as a conversation (or its JSON), a string as text, the rest pretty.
#[component]
pub fn ValueView(value: Value) -> impl IntoView {
    match value {
        Value::String(text) => view! { <TextView text /> }.into_any(),
        Value::Null => view! { <p class="muted value-empty">"null"</p> }.into_any(),
        other => {
            let pretty = serde_json::to_string_pretty(&other).unwrap_or_default();
            let chat = messages_of(&other);
            let mode = RwSignal::new(if chat.is_some() { Mode::Chat } else { Mode::Json });
            let has_chat = chat.is_some();
            view! {
                <div class="value-view">
                    {has_chat.then(|| view! {
                        <div class="mode-switch" role="group" aria-label="Show as">
                            <ModeButton mode this=Mode::Chat label="Conversation" />
                            <ModeButton mode this=Mode::Json label="JSON" />
                        </div>
                    })}
                    {move || match (mode.get(), chat.clone()) {
                        (Mode::Chat, Some(messages)) => view! { <Conversation messages /> }.into_any(),
                        _ => view! { <pre class="value-json">{pretty.clone()}</pre> }.into_any(),
                    }}
                </div>
            }
            .into_any()
        }
    }
}

#[component]
fn ModeButton(mode: RwSignal<Mode>, this: Mode, label: &'static str) -> impl IntoView {
    view! {
        <button type="button" class="quiet mode" class:active=move || mode.get() == this
            aria-pressed=move || (mode.get() == this).to_string()
            data-mode=format!("{this:?}").to_lowercase()
            on:click=move |_| mode.set(this)>{label}</button>
    }
}

/// Text as text, or as Markdown (sanitised), or as pretty JSON when it parses as JSON.
#[component]
pub fn TextView(text: String) -> impl IntoView {
    let trimmed = text.trim();
    let json: Option<Value> = (trimmed.starts_with('{') || trimmed.starts_with('['))
        .then(|| serde_json::from_str(trimmed).ok())
        .flatten();
    let chat = json.as_ref().and_then(messages_of);
    let start = if chat.is_some() {
        Mode::Chat
    } else if json.is_some() {
        Mode::Json
    } else {
        Mode::Text
    };
    let mode = RwSignal::new(start);
    let pretty = json.as_ref().and_then(|j| serde_json::to_string_pretty(j).ok());
    let has_json = pretty.is_some();
    let has_chat = chat.is_some();
    let chars = text.chars().count();
    let text_for_md = text.clone();
    view! {
        <div class="value-view">
            <div class="mode-switch" role="group" aria-label="Show as">
                {has_chat.then(|| view! { <ModeButton mode this=Mode::Chat label="Conversation" /> })}
                <ModeButton mode this=Mode::Text label="Text" />
                <ModeButton mode this=Mode::Markdown label="Markdown" />
                {has_json.then(|| view! { <ModeButton mode this=Mode::Json label="JSON" /> })}
                <span class="value-size muted">{format!("{} characters", crate::format::count(chars))}</span>
            </div>
            {move || match mode.get() {
                Mode::Markdown => view! {
                    <div class="value-markdown">
                        <crate::markdown::Markdown text=Signal::stored(text_for_md.clone()) id="value-markdown" />
                    </div>
                }
                .into_any(),
                Mode::Json => view! { <pre class="value-json">{pretty.clone().unwrap_or_default()}</pre> }.into_any(),
                Mode::Chat => view! { <Conversation messages=chat.clone().unwrap_or_default() /> }.into_any(),
                Mode::Text => view! { <pre class="value-text">{text.clone()}</pre> }.into_any(),
            }}
        </div>
    }
}

/// Chat messages as a conversation, each message's text shown as text.
#[component]
pub fn Conversation(messages: Vec<ChatMessage>) -> impl IntoView {
    view! {
        <ol class="conversation">
            {messages.into_iter().map(|m| {
                let role_class = match m.role.as_str() {
                    "user" | "human" => "user",
                    "assistant" | "ai" | "model" => "assistant",
                    "system" | "developer" => "system",
                    _ => "other",
                };
                view! {
                    <li class=format!("message role-{role_class}")>
                        <span class="message-role">{m.role.clone()}</span>
                        <div class="message-content">{m.content.clone()}</div>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

thread_local! {
    /// Image cells already read, as `data:` URLs, by (run, path).
    static IMAGES: std::cell::RefCell<HashMap<(String, String), Result<String, String>>> = Default::default();
}

/// An image the webview may show from a `data:` URL (nothing that could carry markup).
fn image_mime_ok(mime: &str) -> bool {
    matches!(mime, "image/png" | "image/jpeg" | "image/gif" | "image/webp")
}

async fn image_url(run_id: String, path: String) -> Result<String, String> {
    let key = (run_id.clone(), path.clone());
    if let Some(found) = IMAGES.with(|m| m.borrow().get(&key).cloned()) {
        return found;
    }
    let answer = match ipc::preview_artifact(run_id, path).await {
        Ok(p) => match p.body {
            PreviewBody::Image { mime, base64 } if image_mime_ok(&mime) => Ok(format!("data:{mime};base64,{base64}")),
            PreviewBody::Binary { reason } => Err(reason),
            _ => Err("not an image".to_string()),
        },
        Err(e) => Err(e.message),
    };
    IMAGES.with(|m| m.borrow_mut().insert(key, answer.clone()));
    answer
}

/// An image cell: its thumbnail (the compressed copy `log_table` writes) in the grid, the
/// image itself in the pane.
#[component]
pub fn ImageView(#[prop(into)] run_id: String, image: ImageCell, #[prop(optional)] full: bool) -> impl IntoView {
    let path = if full {
        image.filepath.clone()
    } else {
        image
            .compressed_filepath
            .clone()
            .unwrap_or_else(|| image.filepath.clone())
    };
    let alt = image.filepath.clone();
    let url = LocalResource::new(move || image_url(run_id.clone(), path.clone()));
    view! {
        {move || match url.get() {
            None => view! { <span class="muted thumb-loading">"…"</span> }.into_any(),
            Some(Ok(src)) => view! {
                <img class=if full { "cell-image" } else { "cell-thumb" } src=src alt=alt.clone() title=alt.clone() />
            }
            .into_any(),
            Some(Err(reason)) => view! { <span class="muted" title=reason.clone()>"image unavailable"</span> }.into_any(),
        }}
    }
}
