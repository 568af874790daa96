//! Presenting a review (`/reviews/<id>/present?slide=<n>`): the window full screen and the app's
//! chrome hidden, large type, a title slide, one slide per item, and a closing slide with the
//! decisions taken. → PageDown Space: next; ← PageUp: previous; Home End; Esc leaves (the
//! workspace keys go up to the review, see `routes::up_from`).
//!
//! The presentation provides a [`DecisionLog`]: a stage move or alias change confirmed on a
//! stage-board slide is recorded in the review, and the decisions slide lists it.

use super::slides::{BoardSlide, ChartsSlide, ComparisonSlide, TableSlide};
use super::{item_detail, DecisionLog, KindBadge};
use crate::app::ErrorBanner;
use crate::{format, ipc, keyboard, routes};
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_location, use_navigate, use_params_map};
use leptos_router::NavigateOptions;
use runlens_core::review::{Review, ReviewItem};
use runlens_core::ApiError;
use wasm_bindgen::JsCast;

/// What one slide shows.
#[derive(Clone, Debug, PartialEq)]
enum Slide {
    Title,
    Item(usize, ReviewItem),
    Decisions,
}

#[component]
pub fn PresentPage() -> impl IntoView {
    let params = use_params_map();
    let review_id = Memo::new(move |_| params.with(|p| p.get("review_id").unwrap_or_default()));
    let search = use_location().search;
    let asked = Memo::new(move |_| {
        search.with(|s| {
            routes::query_value(s, "slide")
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(1)
        })
    });
    let review = RwSignal::new(None::<Review>);
    let on_store = RwSignal::new(true);
    let load_error = RwSignal::new(None::<ApiError>);
    let log = DecisionLog::provide(review_id.get_untracked(), review);
    Effect::new(move |_| {
        let id = review_id.get();
        log.review_id.set_value(id.clone());
        spawn_local(async move {
            let answer = super::load(id.clone()).await;
            if review_id.try_get_untracked().as_ref() != Some(&id) {
                return;
            }
            match answer {
                Ok((r, here)) => {
                    load_error.try_set(None);
                    review.try_set(Some(r));
                    on_store.try_set(here);
                }
                Err(e) => {
                    load_error.try_set(Some(e));
                }
            }
        });
    });
    // Full screen for as long as the presentation is shown, however it is left. A window that
    // cannot go full screen still presents (the chrome is hidden either way).
    let full_screen = RwSignal::new("asking");
    spawn_local(async move {
        let answer = ipc::set_fullscreen(true).await;
        if let Err(e) = &answer {
            leptos::logging::warn!("full screen refused: {}", e.message);
        }
        full_screen.try_set(if answer.is_ok() { "on" } else { "refused" });
    });
    on_cleanup(|| {
        spawn_local(async {
            let _ = ipc::set_fullscreen(false).await;
        });
    });

    let total = Memo::new(move |_| review.with(|r| r.as_ref().map_or(0, |r| r.items.len() + 2)));
    let current = Memo::new(move |_| match total.get() {
        0 => 0,
        n => asked.get().clamp(1, n) - 1,
    });
    // Only a change of slide (or of its item) renders it again: a recorded decision does not.
    let slide = Memo::new(move |_| {
        review.with(|r| {
            r.as_ref().map(|r| match current.get() {
                0 => Slide::Title,
                i if i <= r.items.len() => Slide::Item(i - 1, r.items[i - 1].clone()),
                _ => Slide::Decisions,
            })
        })
    });
    let navigate = use_navigate();
    let go = Callback::new(move |to: usize| {
        let n = total.get_untracked();
        if n == 0 {
            return;
        }
        let to = to.min(n - 1);
        if to != current.get_untracked() {
            navigate(
                &routes::present_path(&review_id.get_untracked(), to + 1),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    let navigate = use_navigate();
    let leave =
        Callback::new(move |_: ()| navigate(&routes::review_path(&review_id.get_untracked()), Default::default()));
    let keys = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        if ev.default_prevented() || ev.ctrl_key() || ev.meta_key() || ev.alt_key() || keyboard::typing(&ev) {
            return;
        }
        if document().query_selector(".modal-backdrop").ok().flatten().is_some() {
            return;
        }
        let n = total.get_untracked();
        if n == 0 {
            return;
        }
        let k = current.get_untracked();
        let key = ev.key();
        // Arrows belong to a focused slider or list box; Space to a focused button or link.
        let focused = |selector: &str| {
            ev.target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest(selector).ok().flatten())
                .is_some()
        };
        let to = match key.as_str() {
            "ArrowRight" | "ArrowLeft" if focused("input, select") => None,
            " " if focused("button, a[href], summary, input, select, [role=button]") => None,
            "ArrowRight" | "PageDown" | " " => Some((k + 1).min(n - 1)),
            "ArrowLeft" | "PageUp" => Some(k.saturating_sub(1)),
            "Home" => Some(0),
            "End" => Some(n - 1),
            _ => None,
        };
        if let Some(to) = to {
            ev.prevent_default();
            go.run(to);
        }
    });
    on_cleanup(move || keys.remove());

    // The slides stay mounted while the review changes (a decision recorded on a board slide).
    let loaded = Memo::new(move |_| review.with(Option::is_some));
    let body = move || {
        if let Some(error) = load_error.get() {
            return view! {
                <div class="presentation-problem">
                    <ErrorBanner error />
                    <button type="button" on:click=move |_| leave.run(())>"Back"</button>
                </div>
            }
            .into_any();
        }
        if !loaded.get() {
            return view! { <p class="muted presentation-problem">"Reading the review…"</p> }.into_any();
        }
        if !on_store.get() {
            let store = review.with_untracked(|r| r.as_ref().map(|r| r.store_name.clone()).unwrap_or_default());
            return view! {
                <div class="presentation-problem" id="other-store">
                    <h2>"This review is about another store"</h2>
                    <p>{format!("It was built on {store}: open that store to present it.")}</p>
                    <button type="button" on:click=move |_| leave.run(())>"Back to the review"</button>
                </div>
            }
            .into_any();
        }
        view! { <Slides review slide current total go leave /> }.into_any()
    };
    view! { <div class="presentation" id="presentation" data-fullscreen=move || full_screen.get()>{body}</div> }
}

#[component]
fn Slides(
    review: RwSignal<Option<Review>>,
    slide: Memo<Option<Slide>>,
    current: Memo<usize>,
    total: Memo<usize>,
    go: Callback<usize>,
    leave: Callback<()>,
) -> impl IntoView {
    let log = DecisionLog::current();
    let name = move || review.with(|r| r.as_ref().map(|r| r.name.clone()).unwrap_or_default());
    let title = move || match slide.get() {
        Some(Slide::Title) | None => name(),
        Some(Slide::Item(_, item)) => item.title(),
        Some(Slide::Decisions) => "Decisions".to_string(),
    };
    let badge = move || match slide.get() {
        Some(Slide::Item(_, item)) => Some(view! { <KindBadge item /> }),
        _ => None,
    };
    let kind = move || match slide.get() {
        Some(Slide::Title) | None => "title",
        Some(Slide::Item(_, item)) => item.kind_label(),
        Some(Slide::Decisions) => "decisions",
    };
    let content = move || {
        slide.get().map(|s| match s {
            Slide::Title => view! { <TitleSlide review go /> }.into_any(),
            Slide::Decisions => view! { <DecisionsSlide review /> }.into_any(),
            Slide::Item(_, item) => item_slide(item),
        })
    };
    let progress = move || {
        let n = total.get().max(1);
        format!("{:.2}%", (current.get() + 1) as f64 * 100.0 / n as f64)
    };
    let record_error = move || {
        log.and_then(|l| l.error.get()).map(|e| {
            view! {
                <div class="decision-error" id="decision-error">
                    <p>"The move was made, but it could not be recorded in the review:"</p>
                    <ErrorBanner error=e />
                </div>
            }
        })
    };
    view! {
        <header class="slide-bar">
            <span class="slide-review" title="The review">{name}</span>
            {badge}
            <h1 class="slide-title" id="slide-title">{title}</h1>
            <span class="slide-counter" id="slide-counter">{move || format!("{} / {}", current.get() + 1, total.get())}</span>
            <button type="button" class="quiet leave-presentation" id="leave-presentation" title="Leave the presentation (Esc)"
                on:click=move |_| leave.run(())>"Leave ✕"</button>
        </header>
        {record_error}
        <div class="slide-body" id="slide" data-kind=kind data-index=move || (current.get() + 1).to_string()>
            {content}
        </div>
        <footer class="slide-foot">
            <button type="button" id="slide-prev" disabled=move || current.get() == 0
                on:click=move |_| go.run(current.get_untracked().saturating_sub(1))>"← Previous"</button>
            <div class="slide-progress" role="progressbar" aria-valuemin="1" aria-valuemax=move || total.get().to_string()
                aria-valuenow=move || (current.get() + 1).to_string()>
                <div class="slide-progress-fill" style:width=progress></div>
            </div>
            <span class="slide-position" id="slide-position">{move || format!("Slide {} of {}", current.get() + 1, total.get())}</span>
            <button type="button" id="slide-next" disabled=move || { current.get() + 1 >= total.get() }
                on:click=move |_| go.run(current.get_untracked() + 1)>"Next →"</button>
        </footer>
    }
}

/// An item's slide: the app's own component for it, with the item's choices.
fn item_slide(item: ReviewItem) -> AnyView {
    let detail = item_detail(&item);
    let content = match item {
        ReviewItem::Comparison { run_ids } => view! { <ComparisonSlide run_ids /> }.into_any(),
        ReviewItem::Charts { run_ids, metrics, view } => view! { <ChartsSlide run_ids metrics view /> }.into_any(),
        ReviewItem::Table {
            experiment_id,
            run_ids,
            table,
            key,
        } => view! { <TableSlide experiment_id run_ids table key /> }.into_any(),
        ReviewItem::StageBoard { model, versions } => view! { <BoardSlide model versions /> }.into_any(),
    };
    view! {
        <p class="slide-detail muted">{detail}</p>
        {content}
    }
    .into_any()
}

#[component]
fn TitleSlide(review: RwSignal<Option<Review>>, go: Callback<usize>) -> impl IntoView {
    move || {
        review.get().map(|r| {
            let items = r
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    view! {
                        <li>
                            <button type="button" class="title-item" on:click=move |_| go.run(i + 1)>
                                <KindBadge item=item.clone() />
                                <span>{item.title()}</span>
                            </button>
                        </li>
                    }
                })
                .collect_view();
            let today = format::datetime(Some(js_sys::Date::now() as i64));
            view! {
                <div class="title-slide" id="title-slide">
                    <h2 class="title-name">{r.name.clone()}</h2>
                    <p class="title-facts muted">
                        {r.store_name.clone()}" · "{today.chars().take(10).collect::<String>()}" · "
                        {format!("{} item{}", r.items.len(), if r.items.len() == 1 { "" } else { "s" })}
                    </p>
                    <ol class="title-items">{items}</ol>
                    <p class="hint title-keys">"→ or Space: next · ←: previous · Home / End · Esc: leave"</p>
                </div>
            }
        })
    }
}

#[component]
fn DecisionsSlide(review: RwSignal<Option<Review>>) -> impl IntoView {
    let decisions = move || review.with(|r| r.as_ref().map(|r| r.decisions.clone()).unwrap_or_default());
    view! {
        <div class="decisions-slide" id="decisions-slide">
            {move || {
                let list = decisions();
                if list.is_empty() {
                    view! {
                        <p class="muted no-decisions">
                            "No decision yet. Stage moves and alias changes confirmed on a stage board slide are listed here."
                        </p>
                    }
                    .into_any()
                } else {
                    let n = list.len();
                    view! {
                        <p class="muted decisions-lead">
                            {format!("{n} decision{} taken while presenting, oldest first. The report lists {}.",
                                if n == 1 { "" } else { "s" }, if n == 1 { "it" } else { "them" })}
                        </p>
                        <ol class="decisions big-decisions">
                            {list.into_iter().map(|d| view! {
                                <li class="decision">
                                    <time class="decision-time muted">{format::datetime(Some(d.at_ms))}</time>
                                    <span class="decision-summary">{d.summary()}</span>
                                </li>
                            }).collect_view()}
                        </ol>
                    }
                    .into_any()
                }
            }}
        </div>
    }
}
