//! Keys that work everywhere in the workspace: `/` focuses the runs filter, Esc leaves a text
//! field or goes back up (a chart → its run → its experiment's runs as last shown), arrows move
//! between experiments in the sidebar. Lists with a cursor (the
//! runs table) listen for arrows and Enter themselves, through [`on_list_key`].

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

fn target(ev: &KeyboardEvent) -> Option<web_sys::Element> {
    ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok())
}

/// Whether the key went to a text field (keys then belong to the field). Checkboxes and
/// buttons are not text fields.
pub fn typing(ev: &KeyboardEvent) -> bool {
    let Some(element) = target(ev) else { return false };
    match element.tag_name().as_str() {
        "TEXTAREA" | "SELECT" => true,
        "INPUT" => {
            let kind = element.get_attribute("type").unwrap_or_default().to_ascii_lowercase();
            !matches!(
                kind.as_str(),
                "checkbox" | "radio" | "button" | "submit" | "reset" | "range" | "color" | "file"
            )
        }
        _ => element.has_attribute("contenteditable"),
    }
}

/// Whether the key went to a control that has its own Enter and Space (a button, a link...).
fn on_control(ev: &KeyboardEvent) -> bool {
    target(ev)
        .and_then(|e| {
            e.closest("button, a[href], summary, select, [role=button], input")
                .ok()
                .flatten()
        })
        .is_some()
}

/// Whether a modal dialog is open (it owns the keys then).
fn dialog_open() -> bool {
    document().query_selector(".modal-backdrop").ok().flatten().is_some()
}

fn in_sidebar(ev: &KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.closest("#sidebar").ok().flatten())
        .is_some()
}

/// Installs the workspace-wide keys for as long as the calling component lives.
pub fn install() {
    let navigate = leptos_router::hooks::use_navigate();
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.default_prevented() || dialog_open() || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        match ev.key().as_str() {
            "/" if !typing(&ev) => {
                if let Some(input) = element_by_id::<web_sys::HtmlInputElement>("run-filter") {
                    ev.prevent_default();
                    let _ = input.focus();
                    input.select();
                }
            }
            "Escape" if typing(&ev) => {
                if let Some(element) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
                    let _ = element.blur();
                }
            }
            "Escape" => {
                let path = window().location().pathname().unwrap_or_default();
                if let Some(up) = crate::routes::up_from(&path) {
                    ev.prevent_default();
                    navigate(&up, Default::default());
                }
            }
            "ArrowDown" | "ArrowUp" if in_sidebar(&ev) => {
                ev.prevent_default();
                move_focus_among(".experiment", ev.key() == "ArrowDown");
            }
            _ => {}
        }
    });
    // A link clicked with a modifier (or the middle button) would make the webview open a window
    // or leave the app: the app's links only ever navigate inside it.
    let modified_click = window_event_listener(leptos::ev::click, stray_link_click);
    let middle_click = window_event_listener(leptos::ev::auxclick, stray_link_click);
    on_cleanup(move || {
        handle.remove();
        modified_click.remove();
        middle_click.remove();
    });
}

fn stray_link_click(ev: leptos::ev::MouseEvent) {
    let modified = ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key() || ev.button() != 0;
    let on_link = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.closest("a[href]").ok().flatten())
        .is_some();
    if modified && on_link {
        ev.prevent_default();
    }
}

/// Calls `handler` for keys meant for a list (not typed into a field, not in the sidebar, no
/// dialog open), for as long as the calling component lives.
pub fn on_list_key(handler: impl Fn(&KeyboardEvent) + 'static) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.default_prevented() || typing(&ev) || in_sidebar(&ev) || dialog_open() {
            return;
        }
        if matches!(ev.key().as_str(), "Enter" | " ") && on_control(&ev) {
            return;
        }
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        handler(&ev);
    });
    on_cleanup(move || handle.remove());
}

pub fn element_by_id<T: JsCast>(id: &str) -> Option<T> {
    document().get_element_by_id(id).and_then(|e| e.dyn_into::<T>().ok())
}

/// Moves keyboard focus to the next (or previous) element matching `selector`.
fn move_focus_among(selector: &str, forward: bool) {
    let Ok(list) = document().query_selector_all(selector) else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    if items.is_empty() {
        return;
    }
    let active = document().active_element();
    let current = items.iter().position(|e| {
        active
            .as_ref()
            .is_some_and(|a| a == e.unchecked_ref::<web_sys::Element>())
    });
    let next = match (current, forward) {
        (None, _) => 0,
        (Some(i), true) => (i + 1).min(items.len() - 1),
        (Some(i), false) => i.saturating_sub(1),
    };
    let _ = items[next].focus();
}
