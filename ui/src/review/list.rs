//! The saved reviews (`/reviews`): name, store, items, decisions and age; a new review by name;
//! open, present, rename and delete. Reviews built on another store are listed and marked, but
//! cannot be presented here (their runs and models are not in this store).

use crate::app::{age, ErrorBanner};
use crate::dialog::{use_confirm, Confirmation};
use crate::{format, ipc, routes};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use runlens_core::review::{validate_name, ReviewEdit, ReviewSummary};
use runlens_core::ApiError;

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let refresh = RwSignal::new(0u64);
    let reviews = LocalResource::new(move || {
        refresh.track();
        ipc::list_reviews()
    });
    let error = RwSignal::new(None::<ApiError>);
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let text = match validate_name(&name.get_untracked()) {
            Ok(text) => text,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            let answer = ipc::create_review(text, Vec::new()).await;
            busy.try_set(false);
            match answer {
                Ok(review) => navigate(&routes::review_path(&review.id), Default::default()),
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    let actions = Actions { refresh, error };
    view! {
        <section class="reviews-page" id="reviews-page">
            <header class="registry-head">
                <h1>"Reviews"</h1>
                <form class="new-review-form" id="new-review-form" on:submit=create>
                    <input id="new-review-name" placeholder="Name, e.g. Q4 model review" autocomplete="off" spellcheck="false"
                        maxlength=runlens_core::review::MAX_NAME_CHARS.to_string()
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <button type="submit" id="new-review" class="primary"
                        disabled=move || busy.get() || name.with(|n| n.trim().is_empty())>"New review"</button>
                </form>
            </header>
            <p class="hint reviews-intro">
                "A review is a saved selection for a meeting: comparisons, charts, tables and stage boards, one slide each. \
                 Add to one with “Add to review” on those screens, then present it."
            </p>
            {move || error.get().map(|e| view! {
                <div class="dismissable" id="reviews-error">
                    <ErrorBanner error=e />
                    <button class="quiet dismiss" title="Dismiss" on:click=move |_| error.set(None)>"×"</button>
                </div>
            })}
            {move || match reviews.get() {
                None => view! { <p class="muted">"Reading reviews…"</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <div class="empty-state reviews-empty" id="no-reviews">
                        <p>"No review yet."</p>
                        <p class="hint">"Name one above, or use “Add to review” on a comparison, a chart grid, a table across runs or a model's stage board."</p>
                    </div>
                }
                .into_any(),
                Some(Ok(list)) => view! { <ReviewsTable list actions /> }.into_any(),
            }}
        </section>
    }
}

/// What a row's buttons change.
#[derive(Clone, Copy)]
struct Actions {
    refresh: RwSignal<u64>,
    error: RwSignal<Option<ApiError>>,
}

impl Actions {
    fn done(&self, answer: Result<(), ApiError>) {
        match answer {
            Ok(()) => {
                self.error.try_set(None);
            }
            Err(e) => {
                self.error.try_set(Some(e));
            }
        }
        self.refresh.try_update(|n| *n += 1);
    }
}

#[component]
fn ReviewsTable(list: Vec<ReviewSummary>, actions: Actions) -> impl IntoView {
    // The row being renamed, and its draft.
    let renaming = RwSignal::new(None::<String>);
    let draft = RwSignal::new(String::new());
    let rows = list
        .into_iter()
        .map(|summary| view! { <ReviewRow summary actions renaming draft /> })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="registry-table reviews-table" id="reviews-table">
                <thead><tr>
                    <th>"Review"</th><th>"Store"</th><th class="num">"Items"</th><th class="num">"Decisions"</th>
                    <th>"Updated"</th><th></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn ReviewRow(
    summary: ReviewSummary,
    actions: Actions,
    renaming: RwSignal<Option<String>>,
    draft: RwSignal<String>,
) -> impl IntoView {
    let confirm = use_confirm();
    let id = StoredValue::new(summary.id.clone());
    let name = summary.name.clone();
    let editing = move || renaming.with(|r| r.as_deref() == Some(id.get_value().as_str()));
    let start_rename = {
        let name = name.clone();
        move |_| {
            draft.set(name.clone());
            renaming.set(Some(id.get_value()));
        }
    };
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let edit = ReviewEdit::Rename {
            name: draft.get_untracked(),
        };
        renaming.set(None);
        spawn_local(async move {
            let answer = ipc::edit_review(id.get_value(), edit).await.map(|_| ());
            actions.done(answer);
        });
    };
    let delete = {
        let name = name.clone();
        let (items, decisions) = (summary.items, summary.decisions);
        move |_| {
            let mut body = format!(
                "The review and its {} item{} are forgotten",
                items,
                if items == 1 { "" } else { "s" }
            );
            if decisions > 0 {
                body.push_str(&format!(
                    ", with the list of its {decisions} recorded decision{}",
                    if decisions == 1 { "" } else { "s" }
                ));
            }
            body.push_str(". Nothing in the store changes.");
            confirm.ask(
                Confirmation {
                    title: format!("Delete the review “{name}”?"),
                    body,
                    confirm_label: "Delete review".into(),
                    danger: true,
                    ..Default::default()
                },
                move || {
                    spawn_local(async move {
                        actions.done(ipc::delete_review(id.get_value()).await);
                    });
                },
            );
        }
    };
    let on_store = summary.on_open_store;
    let store_title = if on_store {
        summary.store_uri.clone()
    } else {
        format!("Built on {}: open that store to present it", summary.store_uri)
    };
    let name_cell = {
        let name = name.clone();
        move || {
            if editing() {
                view! {
                    <form class="rename-form" on:submit=save>
                        <input class="rename-input" autocomplete="off" spellcheck="false"
                            maxlength=runlens_core::review::MAX_NAME_CHARS.to_string()
                            prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev)) />
                        <button type="submit" class="primary rename-save" disabled=move || draft.with(|d| d.trim().is_empty())>"Save"</button>
                        <button type="button" class="rename-cancel" on:click=move |_| renaming.set(None)>"Cancel"</button>
                    </form>
                }
                .into_any()
            } else {
                view! { <a class="review-link" href=routes::review_path(&id.get_value())>{name.clone()}</a> }.into_any()
            }
        }
    };
    view! {
        <tr class="review-row" data-review-id=summary.id.clone() class:other-store=!on_store>
            <td class="review-name-cell">{name_cell}</td>
            <td class="store-cell" title=store_title>
                {summary.store_name.clone()}
                {(!on_store).then(|| view! { <span class="badge other-store-badge">"other store"</span> })}
            </td>
            <td class="num items-cell">{format::count(summary.items)}</td>
            <td class="num decisions-cell">{format::count(summary.decisions)}</td>
            <td class="age-cell" title=format::datetime(Some(summary.updated_ms))>{age(Some(summary.updated_ms))}</td>
            <td class="row-actions">
                {if on_store {
                    view! { <a class="button-link present-link" href=routes::present_path(&summary.id, 1)>"Present"</a> }.into_any()
                } else {
                    view! { <span class="muted not-presentable" title="Its runs and models are in another store">"not on this store"</span> }.into_any()
                }}
                <button type="button" class="quiet rename-review" on:click=start_rename>"Rename"</button>
                <button type="button" class="quiet delete-review" on:click=delete>"Delete"</button>
            </td>
        </tr>
    }
}
