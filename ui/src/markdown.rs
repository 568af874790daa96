//! Markdown on screen: core's sanitising renderer (raw HTML shown as text, only http(s), mailto
//! and `#` links) is the only HTML the app inserts, and its links never navigate the webview:
//! web and mail links open in the system's browser.

use crate::app::ErrorBanner;
use crate::ipc;
use leptos::ev::MouseEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_core::markdown::{is_safe_link, render_markdown};
use runlens_core::ApiError;
use wasm_bindgen::JsCast;

#[component]
pub fn Markdown(#[prop(into)] text: Signal<String>, id: &'static str) -> impl IntoView {
    let html = Memo::new(move |_| text.with(|t| render_markdown(t)));
    let error = RwSignal::new(None::<ApiError>);
    let follow_link = move |ev: MouseEvent| {
        let anchor = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a").ok().flatten());
        let Some(anchor) = anchor else { return };
        ev.prevent_default();
        let href = anchor.get_attribute("href").unwrap_or_default();
        if is_safe_link(&href) && !href.starts_with('#') {
            spawn_local(async move {
                error.set(ipc::open_link(href).await.err());
            });
        }
    };
    view! {
        // Safe: render_markdown escapes raw HTML and keeps only http(s)/mailto/# links.
        <div id=id class="markdown" inner_html=move || html.get() on:click=follow_link></div>
        {move || error.get().map(|error| view! { <ErrorBanner error /> })}
    }
}
