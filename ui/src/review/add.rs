//! "Add to review": a button that opens a small popover with the reviews of the open store and
//! "New review…"; choosing one adds the screen's item and says so, with a link to the review.

use crate::app::ErrorBanner;
use crate::{ipc, routes};
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_core::review::{validate_name, ReviewItem, ReviewSummary};
use runlens_core::ApiError;
use std::time::Duration;
use wasm_bindgen::JsCast;

/// What the last choice did.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Added { id: String, name: String },
    AlreadyThere { id: String, name: String },
    Failed(ApiError),
}

/// How long "Added to …" stays.
const SHOWN_FOR: Duration = Duration::from_secs(12);

/// `item` is what this screen adds (`None` while it is not known yet: the button is disabled).
/// `id` names the button's wrapper, for tests and for two buttons on one screen.
#[component]
pub fn AddToReview(
    #[prop(into)] item: Signal<Option<ReviewItem>>,
    #[prop(optional, into)] id: Option<String>,
    /// The button's text ("Add to review" unless told).
    #[prop(optional, into)]
    label: Option<String>,
) -> impl IntoView {
    let label = label.unwrap_or_else(|| "Add to review".into());
    let open = RwSignal::new(false);
    let reviews = RwSignal::new(None::<Result<Vec<ReviewSummary>, ApiError>>);
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Outcome>);
    let shown = StoredValue::new(0u64);
    let wrapper = NodeRef::<html::Span>::new();
    let name_input = NodeRef::<html::Input>::new();

    let show = move |o: Outcome| {
        let n = shown.get_value() + 1;
        shown.set_value(n);
        let lasting = matches!(o, Outcome::Failed(_));
        outcome.set(Some(o));
        if !lasting {
            set_timeout(
                move || {
                    if shown.try_get_value() == Some(n) {
                        outcome.try_set(None);
                    }
                },
                SHOWN_FOR,
            );
        }
    };
    let toggle = move |_| {
        if open.get_untracked() {
            open.set(false);
            return;
        }
        outcome.set(None);
        reviews.set(None);
        open.set(true);
        spawn_local(async move {
            let answer = ipc::list_reviews()
                .await
                .map(|list| list.into_iter().filter(|r| r.on_open_store).collect::<Vec<_>>());
            reviews.try_set(Some(answer));
        });
    };
    let choose = move |summary: ReviewSummary| {
        let Some(item) = item.get_untracked() else { return };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let answer = ipc::add_to_review(summary.id.clone(), item).await;
            busy.try_set(false);
            match answer {
                Ok(review) => {
                    open.try_set(false);
                    // The shell does not add an item twice: then the count stays.
                    show(if review.items.len() > summary.items {
                        Outcome::Added {
                            id: review.id,
                            name: review.name,
                        }
                    } else {
                        Outcome::AlreadyThere {
                            id: review.id,
                            name: review.name,
                        }
                    });
                }
                Err(e) => show(Outcome::Failed(e)),
            }
        });
    };
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(item) = item.get_untracked() else { return };
        if busy.get_untracked() {
            return;
        }
        let text = match validate_name(&name.get_untracked()) {
            Ok(text) => text,
            Err(e) => {
                show(Outcome::Failed(e));
                return;
            }
        };
        busy.set(true);
        spawn_local(async move {
            let answer = ipc::create_review(text, vec![item]).await;
            busy.try_set(false);
            match answer {
                Ok(review) => {
                    open.try_set(false);
                    name.try_set(String::new());
                    show(Outcome::Added {
                        id: review.id,
                        name: review.name,
                    });
                }
                Err(e) => show(Outcome::Failed(e)),
            }
        });
    };
    // A click outside closes the popover; Esc too (and goes no further).
    let outside = window_event_listener(leptos::ev::click, move |ev| {
        if !open.get_untracked() {
            return;
        }
        let inside = match (
            wrapper.get_untracked(),
            ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok()),
        ) {
            (Some(w), Some(target)) => w.contains(Some(&target)),
            _ => true,
        };
        if !inside {
            open.set(false);
        }
    });
    on_cleanup(move || outside.remove());
    let keys = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            ev.prevent_default();
            ev.stop_propagation();
            open.set(false);
        }
    };
    // Opening puts the cursor in the name field when there is no review to choose.
    Effect::new(move |_| {
        if matches!(reviews.get(), Some(Ok(ref list)) if list.is_empty()) {
            if let Some(input) = name_input.get() {
                let _ = input.focus();
            }
        }
    });

    let choices = move || match reviews.get() {
        None => view! { <p class="muted review-loading">"Reading reviews…"</p> }.into_any(),
        Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
        Some(Ok(list)) if list.is_empty() => {
            view! { <p class="muted no-reviews">"No review on this store yet."</p> }.into_any()
        }
        Some(Ok(list)) => view! {
            <ul class="review-choices" role="menu">
                {list.into_iter().map(|summary| {
                    let (id, name, items) = (summary.id.clone(), summary.name.clone(), summary.items);
                    view! {
                        <li>
                            <button type="button" role="menuitem" class="review-choice" data-review-id=id
                                disabled=move || busy.get() on:click=move |_| choose(summary.clone())>
                                <span class="review-choice-name">{name}</span>
                                <span class="count" title="items">{items}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any(),
    };
    let message = move || {
        outcome.get().map(|o| match o {
            Outcome::Added { id, name } => view! {
                <p class="review-added notice" role="status">"Added to " <a href=routes::review_path(&id)>{name}</a></p>
            }
            .into_any(),
            Outcome::AlreadyThere { id, name } => view! {
                <p class="review-added notice" role="status">"Already in " <a href=routes::review_path(&id)>{name}</a></p>
            }
            .into_any(),
            Outcome::Failed(error) => view! {
                <div class="review-added failed">
                    <ErrorBanner error />
                    <button type="button" class="quiet dismiss" title="Dismiss" on:click=move |_| outcome.set(None)>"×"</button>
                </div>
            }
            .into_any(),
        })
    };
    view! {
        <span class="add-to-review-wrap" id=id node_ref=wrapper on:keydown=keys>
            <button type="button" class="add-to-review" aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                disabled=move || item.with(Option::is_none)
                title="Add what this screen shows to a review (a saved selection to present)"
                on:click=toggle>{label}</button>
            <Show when=move || open.get()>
                <div class="review-popover">
                    <h3>"Add to review"</h3>
                    {choices}
                    <form class="new-review" on:submit=create>
                        <input class="new-review-name" node_ref=name_input placeholder="New review…" autocomplete="off"
                            spellcheck="false" maxlength=runlens_core::review::MAX_NAME_CHARS.to_string()
                            prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                        <button type="submit" class="primary new-review-create"
                            disabled=move || busy.get() || name.with(|n| n.trim().is_empty())>"Create"</button>
                    </form>
                </div>
            </Show>
            {message}
        </span>
    }
}
