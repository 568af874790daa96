//! Reviews (issue #10): a named, saved selection for a model review meeting — compared runs,
//! their charts and tables, and the stage boards of the models under discussion — and the
//! decisions taken while it was presented.
//!
//! - [`ReviewsPage`] (`/reviews`): the saved reviews; new, rename, delete.
//! - [`ReviewPage`] (`/reviews/<id>`): one review's items (reorder, remove, each linking to its
//!   live screen), its decisions, Present, and the exports (HTML report, charts as PNG).
//! - [`AddToReview`]: the "Add to review" button the compare view, the chart grids, the tables
//!   across runs and the registry pages carry.
//! - [`PresentPage`] (`/reviews/<id>/present?slide=<n>`): full screen, one slide per item between
//!   a title slide and a decisions slide. Slides are the app's own components (compare tables,
//!   chart grid, joined table, stage board), so the stage board stays live: a move confirmed
//!   during the meeting is written and, through the [`DecisionLog`] the presentation provides,
//!   recorded as a decision of the review.
//!
//! The shell keeps reviews in the app's data directory; nothing here writes to the store except
//! the stage board's and aliases' own confirmed writes.

mod add;
mod editor;
mod list;
mod present;
mod slides;

pub use add::AddToReview;
pub use editor::ReviewPage;
pub use list::ReviewsPage;
pub use present::PresentPage;

use crate::chart::ChartControls;
use crate::ipc;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_charts::XAxis;
use runlens_core::review::{ChartView, DecisionChange, Review, ReviewItem};
use runlens_core::ApiError;

/// Whether `path` presents a review (the app's chrome is hidden there).
pub fn is_presentation(path: &str) -> bool {
    path.starts_with("/reviews/") && path.ends_with("/present")
}

/// Where an item lives in the app: the compare view, the table across runs, the stage board.
pub fn item_path(item: &ReviewItem) -> String {
    match item {
        ReviewItem::Comparison { run_ids } => crate::routes::compare_path(run_ids, Some("table")),
        ReviewItem::Charts { run_ids, .. } => crate::routes::compare_path(run_ids, None),
        ReviewItem::Table {
            experiment_id,
            run_ids,
            table,
            key,
        } => crate::routes::compare_tables_path(experiment_id, run_ids, Some(table), key.as_deref()),
        ReviewItem::StageBoard { model, .. } => crate::registry::board_path(model),
    }
}

/// What an item holds beyond its title, in one line: the metrics and how they are drawn, the
/// table's join key, the versions under discussion.
pub fn item_detail(item: &ReviewItem) -> String {
    match item {
        ReviewItem::Comparison { run_ids } => {
            format!("params, metrics and tags of {} side by side", runs_text(run_ids.len()))
        }
        ReviewItem::Charts { metrics, view, .. } => {
            let shown: Vec<&str> = metrics.iter().take(6).map(String::as_str).collect();
            let mut text = shown.join(", ");
            let more = metrics.len() - shown.len();
            if more > 0 {
                text.push_str(&format!(" and {more} more"));
            }
            format!("{text} · {}", view_text(view))
        }
        ReviewItem::Table { table, key, .. } => match key {
            Some(key) => format!("{table}, rows joined on {key}"),
            None => format!("{table}, rows joined on its input column"),
        },
        ReviewItem::StageBoard { versions, .. } => match versions.as_slice() {
            [] => "every version by stage".into(),
            [one] => format!("version {one} under discussion"),
            many => {
                let list: Vec<String> = many.iter().map(i64::to_string).collect();
                format!("versions {} under discussion", list.join(", "))
            }
        },
    }
}

fn runs_text(n: usize) -> String {
    if n == 1 {
        "1 run".into()
    } else {
        format!("{n} runs")
    }
}

/// "x: step · log scale · smoothing 0.60"
fn view_text(view: &ChartView) -> String {
    let axis = XAxis::parse(&view.x_axis).unwrap_or_default();
    let mut parts = vec![format!("x: {}", axis.label())];
    if view.log_y {
        parts.push("log scale".into());
    }
    if view.smoothing > 0.0 {
        parts.push(format!("smoothing {:.2}", view.smoothing));
    }
    parts.join(" · ")
}

/// Chart controls set as a review's chart slide asks.
pub fn controls_for(view: &ChartView) -> ChartControls {
    let controls = ChartControls::new();
    controls.x_axis.set(XAxis::parse(&view.x_axis).unwrap_or_default());
    controls.y_log.set(view.log_y);
    controls.smoothing.set(view.smoothing.clamp(0.0, 0.99));
    controls
}

/// How the charts are drawn now, to save with a chart item (tracked).
pub fn chart_view(controls: ChartControls) -> ChartView {
    ChartView {
        x_axis: controls.x_axis.get().as_str().to_string(),
        log_y: controls.y_log.get(),
        smoothing: controls.smoothing.get(),
    }
}

/// A review and whether it was built on the store that is open now.
pub(crate) async fn load(review_id: String) -> Result<(Review, bool), ApiError> {
    let review = ipc::get_review(review_id.clone()).await?;
    // The shell decides what "the open store" is; a failed list does not hide the review.
    let on_open_store = ipc::list_reviews()
        .await
        .ok()
        .and_then(|list| list.into_iter().find(|s| s.id == review_id))
        .is_none_or(|s| s.on_open_store);
    Ok((review, on_open_store))
}

/// Provided while a review is presented: the registry's writes (stage moves, alias changes)
/// record what they did as decisions of that review.
#[derive(Clone, Copy)]
pub struct DecisionLog {
    review_id: StoredValue<String>,
    /// The review as the last answer held it (the decisions slide reads it).
    pub review: RwSignal<Option<Review>>,
    /// Why recording the last decision failed.
    pub error: RwSignal<Option<ApiError>>,
}

impl DecisionLog {
    fn provide(review_id: String, review: RwSignal<Option<Review>>) -> DecisionLog {
        let log = DecisionLog {
            review_id: StoredValue::new(review_id),
            review,
            error: RwSignal::new(None),
        };
        provide_context(log);
        log
    }

    /// The log of the review being presented, if one is. Call it while a component is built.
    pub fn current() -> Option<DecisionLog> {
        use_context::<DecisionLog>()
    }

    /// Records a change the store answered as done.
    pub fn record(&self, model: String, change: DecisionChange) {
        let log = *self;
        let Some(review_id) = log.review_id.try_get_value() else {
            return;
        };
        spawn_local(async move {
            match ipc::record_decision(review_id, model, change).await {
                Ok(review) => {
                    log.review.try_set(Some(review));
                    log.error.try_set(None);
                }
                Err(e) => {
                    log.error.try_set(Some(e));
                }
            }
        });
    }
}

/// A kind badge: comparison, charts, table, stage board.
#[component]
fn KindBadge(item: ReviewItem) -> impl IntoView {
    let kind = item.kind_label();
    view! { <span class=format!("kind-badge kind-{}", kind.replace(' ', "-")) data-kind=kind>{kind}</span> }
}
