//! An in-app confirmation dialog (never `window.confirm`): a title, exactly what will happen, and
//! Confirm / Cancel. Enter confirms, Esc or a click outside cancels.
//!
//! Set up once, at the app root:
//! ```ignore
//! let _ = dialog::provide_confirm();          // before any component that asks
//! view! { ... <dialog::ConfirmHost /> }        // anywhere in the root view
//! ```
//! Then, in any component below it:
//! ```ignore
//! let confirm = dialog::use_confirm();
//! confirm.ask(
//!     Confirmation {
//!         title: "Delete 3 runs?".into(),
//!         body: "They move to the bin; Restore brings them back.".into(),
//!         items: names,                       // optional list shown under the body
//!         confirm_label: "Delete".into(),
//!         danger: true,                       // red confirm button
//!     },
//!     move || do_the_delete(),                // runs only if the user confirms
//! );
//! ```
//! One question is open at a time; asking again replaces the open one (its action never runs).
//! Stable ids for tests: `#confirm-dialog`, `#confirm-title`, `#confirm-body`, `#confirm-ok`,
//! `#confirm-cancel`; the backdrop has the class `modal-backdrop` (the workspace keys pause
//! while it exists).

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use std::rc::Rc;

/// What the dialog asks.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Confirmation {
    pub title: String,
    /// Exactly what will happen if the user confirms.
    pub body: String,
    /// Things the action applies to (run names, tag keys...), listed under the body.
    pub items: Vec<String>,
    /// The confirm button's text, e.g. "Delete"; "Confirm" when empty.
    pub confirm_label: String,
    /// A destructive action: the confirm button is red.
    pub danger: bool,
}

/// Asks the user to confirm; provided by [`provide_confirm`], read with [`use_confirm`].
#[derive(Clone, Copy)]
pub struct Confirm {
    question: RwSignal<Option<Confirmation>>,
    action: StoredValue<Option<Rc<dyn Fn()>>, LocalStorage>,
    /// Keys answer only once the event that asked is over: the key press that asked (say Enter
    /// in a list) must not also answer.
    armed: StoredValue<bool>,
}

impl Confirm {
    /// Shows `question`; `on_confirm` runs after the dialog closes, if the user confirms.
    pub fn ask(&self, question: Confirmation, on_confirm: impl Fn() + 'static) {
        self.action.set_value(Some(Rc::new(on_confirm)));
        self.armed.set_value(false);
        self.question.set(Some(question));
        let armed = self.armed;
        set_timeout(
            move || {
                armed.try_set_value(true);
            },
            std::time::Duration::ZERO,
        );
    }

    /// Whether a question is open.
    pub fn is_open(&self) -> bool {
        self.question.with(Option::is_some)
    }

    fn answer(&self, confirmed: bool) {
        let action = self.action.try_update_value(Option::take).flatten();
        self.question.set(None);
        if confirmed {
            if let Some(action) = action {
                action();
            }
        }
    }
}

/// Makes [`use_confirm`] work in every component below the caller.
pub fn provide_confirm() -> Confirm {
    let confirm = Confirm {
        question: RwSignal::new(None),
        action: StoredValue::new_local(None),
        armed: StoredValue::new(false),
    };
    provide_context(confirm);
    confirm
}

/// The app's confirmation dialog. Panics without [`provide_confirm`] above.
pub fn use_confirm() -> Confirm {
    expect_context::<Confirm>()
}

/// Shows the open question, if any. Place it once, at the app root.
#[component]
pub fn ConfirmHost() -> impl IntoView {
    let confirm = use_confirm();
    let ok_button = NodeRef::<html::Button>::new();
    let cancel_button = NodeRef::<html::Button>::new();
    // The confirm button takes the focus, so Enter and Space answer it and Tab reaches Cancel.
    Effect::new(move |_| {
        if let Some(button) = ok_button.get() {
            let _ = button.focus();
        }
    });
    let keys = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        if !confirm.is_open() || !confirm.armed.get_value() {
            return;
        }
        match ev.key().as_str() {
            "Escape" => {
                ev.prevent_default();
                ev.stop_propagation();
                confirm.answer(false);
            }
            "Enter" => {
                ev.prevent_default();
                ev.stop_propagation();
                // Enter on a focused Cancel button means Cancel.
                let on_cancel = match (document().active_element(), cancel_button.get_untracked()) {
                    (Some(active), Some(cancel)) => active == **cancel,
                    _ => false,
                };
                confirm.answer(!on_cancel);
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());
    move || {
        confirm.question.get().map(|q| {
            let label = if q.confirm_label.is_empty() {
                "Confirm".to_string()
            } else {
                q.confirm_label.clone()
            };
            let items = (!q.items.is_empty()).then(|| {
                view! {
                    <ul class="confirm-items">
                        {q.items.iter().map(|i| view! { <li>{i.clone()}</li> }).collect_view()}
                    </ul>
                }
            });
            view! {
                <div class="modal-backdrop" on:click=move |_| confirm.answer(false)>
                    <div class="modal" id="confirm-dialog" role="dialog" aria-modal="true"
                        aria-labelledby="confirm-title" aria-describedby="confirm-body"
                        on:click=|ev| ev.stop_propagation()>
                        <h2 id="confirm-title">{q.title.clone()}</h2>
                        <p id="confirm-body">{q.body.clone()}</p>
                        {items}
                        <div class="modal-actions">
                            <button type="button" id="confirm-cancel" node_ref=cancel_button
                                on:click=move |_| confirm.answer(false)>"Cancel"</button>
                            <button type="button" id="confirm-ok" node_ref=ok_button
                                class=if q.danger { "danger" } else { "primary" }
                                on:click=move |_| confirm.answer(true)>{label}</button>
                        </div>
                    </div>
                </div>
            }
        })
    }
}
