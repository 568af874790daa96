//! One review (`/reviews/<id>`): its items in presentation order (each linking to its live
//! screen; move up or down, remove), the decisions recorded while presenting (clear them), and
//! Present, "Export report…" (one self-contained HTML file) and "Save charts as PNG…".

use super::{item_detail, item_path, KindBadge};
use crate::app::{age, ErrorBanner};
use crate::dialog::{use_confirm, Confirmation};
use crate::{format, ipc, routes};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use runlens_core::review::{Review, ReviewEdit};
use runlens_core::ApiError;

#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let review_id = Memo::new(move |_| params.with(|p| p.get("review_id").unwrap_or_default()));
    let review = RwSignal::new(None::<Review>);
    let on_store = RwSignal::new(true);
    let load_error = RwSignal::new(None::<ApiError>);
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        let id = review_id.get();
        review.set(None);
        load_error.set(None);
        spawn_local(async move {
            let answer = super::load(id.clone()).await;
            if review_id.try_get_untracked().as_ref() != Some(&id) {
                return;
            }
            match answer {
                Ok((r, here)) => {
                    review.try_set(Some(r));
                    on_store.try_set(here);
                }
                Err(e) => {
                    load_error.try_set(Some(e));
                }
            }
        });
    });
    let edit = Callback::new(move |edit: ReviewEdit| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        notice.set(None);
        let id = review_id.get_untracked();
        spawn_local(async move {
            let answer = ipc::edit_review(id, edit).await;
            busy.try_set(false);
            match answer {
                Ok(r) => {
                    review.try_set(Some(r));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    });
    let body = move || {
        if let Some(r) = review.get() {
            view! { <Loaded review=r on_store=on_store.get() edit busy error notice /> }.into_any()
        } else if let Some(error) = load_error.get() {
            view! { <ErrorBanner error /> }.into_any()
        } else {
            view! { <p class="muted">"Reading the review…"</p> }.into_any()
        }
    };
    view! {
        <section class="registry-page review-page" id="review-page">
            <nav class="breadcrumbs">
                <a href=routes::reviews_path() id="back-to-reviews">"Reviews"</a>" / "
                <span>{move || review.with(|r| r.as_ref().map(|r| r.name.clone()).unwrap_or_default())}</span>
            </nav>
            {body}
        </section>
    }
}

#[component]
fn Loaded(
    review: Review,
    on_store: bool,
    edit: Callback<ReviewEdit>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let confirm = use_confirm();
    let id = StoredValue::new(review.id.clone());
    let count = review.items.len();
    let has_charts = review
        .items
        .iter()
        .any(|i| matches!(i, runlens_core::review::ReviewItem::Charts { .. }));
    // An export asks the shell for a file or folder; `None` is a cancelled dialog.
    let export = move |charts: bool| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        notice.set(None);
        let review_id = id.get_value();
        spawn_local(async move {
            let answer = if charts {
                ipc::save_review_charts_as(review_id).await
            } else {
                ipc::save_review_report_as(review_id).await
            };
            busy.try_set(false);
            match answer {
                Ok(Some(path)) if charts => {
                    notice.try_set(Some(format!("Saved the charts as PNG in {path}")));
                }
                Ok(Some(path)) => {
                    notice.try_set(Some(format!("Saved the report to {path}")));
                }
                Ok(None) => {}
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    let items = review
        .items
        .iter()
        .cloned()
        .enumerate()
        .map(|(index, item)| {
            let title = item.title();
            let remove_title = title.clone();
            let remove = move |_| {
                confirm.ask(
                    Confirmation {
                        title: format!("Remove “{remove_title}” from the review?"),
                        body: "Only the review changes; the runs, tables and models stay as they are.".into(),
                        confirm_label: "Remove".into(),
                        danger: true,
                        ..Default::default()
                    },
                    move || edit.run(ReviewEdit::RemoveItem { index }),
                );
            };
            view! {
                <li class="review-item" data-index=index.to_string() data-kind=item.kind_label()>
                    <span class="item-number">{index + 1}</span>
                    <KindBadge item=item.clone() />
                    <div class="item-text">
                        <a class="item-link" href=item_path(&item) title="Open it in the app">{title}</a>
                        <span class="item-detail muted">{item_detail(&item)}</span>
                    </div>
                    <div class="item-actions">
                        <button type="button" class="quiet item-up" title="Earlier in the presentation"
                            disabled=move || busy.get() || index == 0
                            on:click=move |_| edit.run(ReviewEdit::MoveItem { from: index, to: index.saturating_sub(1) })>"↑"</button>
                        <button type="button" class="quiet item-down" title="Later in the presentation"
                            disabled=move || busy.get() || index + 1 == count
                            on:click=move |_| edit.run(ReviewEdit::MoveItem { from: index, to: index + 1 })>"↓"</button>
                        <button type="button" class="quiet item-remove" title="Remove from the review"
                            disabled=move || busy.get() on:click=remove>"Remove"</button>
                    </div>
                </li>
            }
        })
        .collect_view();
    let decisions = review
        .decisions
        .iter()
        .map(|d| {
            view! {
                <li class="decision">
                    <time class="decision-time muted">{format::datetime(Some(d.at_ms))}</time>
                    <span class="decision-summary">{d.summary()}</span>
                </li>
            }
        })
        .collect_view();
    let has_decisions = !review.decisions.is_empty();
    let decision_count = review.decisions.len();
    let clear = move |_| {
        confirm.ask(
            Confirmation {
                title: "Clear the decisions?".into(),
                body: format!(
                    "The review forgets its list of {decision_count} decision{}. The stage moves and alias changes stay in the store.",
                    if decision_count == 1 { "" } else { "s" }
                ),
                confirm_label: "Clear decisions".into(),
                danger: true,
                ..Default::default()
            },
            move || edit.run(ReviewEdit::ClearDecisions),
        );
    };
    let present_href = routes::present_path(&review.id, 1);
    let present = if on_store && count > 0 {
        view! { <a class="button-link primary" id="present-review" href=present_href>"Present"</a> }.into_any()
    } else {
        let why = if on_store {
            "Add items first: “Add to review” on a comparison, a chart grid, a table or a stage board."
        } else {
            "This review was built on another store: open that store to present it."
        };
        view! { <button type="button" class="primary" id="present-review" disabled=true title=why>"Present"</button> }
            .into_any()
    };
    view! {
        <header class="registry-head review-head">
            <h1 id="review-name">{review.name.clone()}</h1>
            <div class="review-actions">
                {present}
                <button type="button" id="export-report" disabled=move || busy.get()
                    title="One self-contained HTML file: every item, its charts and tables, and the decisions"
                    on:click=move |_| export(false)>"Export report…"</button>
                <button type="button" id="export-charts" disabled=move || busy.get() || !has_charts
                    title="One PNG file per chart of the review, in a folder you choose"
                    on:click=move |_| export(true)>"Save charts as PNG…"</button>
            </div>
        </header>
        <p class="review-facts muted" id="review-facts">
            <span title=review.store_uri.clone()>{format!("Store: {}", review.store_name)}</span>
            {(!on_store).then(|| view! { <span class="badge other-store-badge">"other store"</span> })}
            <span>{format!(" · created {}", format::datetime(Some(review.created_ms)))}</span>
            <span>{format!(" · updated {}", age(Some(review.updated_ms)))}</span>
        </p>
        {move || error.get().map(|e| view! {
            <div class="dismissable" id="review-error">
                <ErrorBanner error=e />
                <button class="quiet dismiss" title="Dismiss" on:click=move |_| error.set(None)>"×"</button>
            </div>
        })}
        {move || notice.get().map(|text| view! { <p class="notice" id="review-notice" role="status">{text}</p> })}
        <section class="card review-items-card">
            <header class="card-head">
                <h2>"Slides"</h2>
                <span class="count">{count}</span>
            </header>
            {if count == 0 {
                view! {
                    <p class="muted" id="no-items">
                        "Nothing in this review yet. Use “Add to review” on a comparison, its charts, a table across runs, \
                         or a model's stage board or version."
                    </p>
                }
                .into_any()
            } else {
                view! { <ol class="review-items" id="review-items">{items}</ol> }.into_any()
            }}
        </section>
        <section class="card review-decisions-card">
            <header class="card-head">
                <h2>"Decisions"</h2>
                <span class="count">{decision_count}</span>
                <span class="spacer"></span>
                {has_decisions.then(|| view! {
                    <button type="button" class="quiet" id="clear-decisions" disabled=move || busy.get() on:click=clear>"Clear decisions"</button>
                })}
            </header>
            {if has_decisions {
                view! { <ol class="decisions" id="review-decisions">{decisions}</ol> }.into_any()
            } else {
                view! { <p class="muted" id="no-decisions">"Stage moves and alias changes made while presenting are listed here."</p> }.into_any()
            }}
        </section>
    }
}
