//! The review commands (issue #10): reviews kept by the shell (`crate::reviews`), decisions
//! recorded while one is presented, the review as one self-contained HTML report or as chart
//! images (drawn by `runlens-report` and `runlens-charts` from what the facade reads), and full
//! screen for presenting.
//!
//! A review belongs to the store it was built on. Reading, editing and deleting it works whatever
//! store is open; adding to it, recording decisions and exporting need that store to be open.

use crate::reviews::{self, Reviews};
use crate::save::{self, SaveDialog};
use crate::state::AppState;
use runlens_core::review::*;
use runlens_core::{ApiError, ErrorCode};
use runlens_report::{charts, files, gather, ItemContent, ReportContext};
use runlens_tracking::{now_ms, Tracking};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tauri::{AppHandle, Manager, State};

/// The open store as reviews name it (the key settings remember it by: no credentials, a local
/// path absolute) and as the top bar shows it.
async fn open_store(state: &AppState) -> Option<(String, String)> {
    state
        .current
        .read()
        .await
        .as_ref()
        .map(|open| (open.key.clone(), open.summary.display_name.clone()))
}

/// The open store's client, when it is the store the review was built on.
async fn review_store(state: &AppState, review: &Review, doing: &str) -> Result<Tracking, ApiError> {
    match open_store(state).await {
        Some((uri, _)) if uri == review.store_uri => state.tracking().await,
        _ => Err(ApiError::invalid(format!(
            "“{}” was built on {} ({}): open that store to {doing}",
            review.name, review.store_name, review.store_uri
        ))),
    }
}

/// Runs file work on the blocking pool, under the reviews' lock.
async fn with_reviews<T: Send + 'static>(
    reviews: &State<'_, Arc<Reviews>>,
    work: impl FnOnce(&Reviews) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let reviews = Arc::clone(reviews.inner());
    tokio::task::spawn_blocking(move || work(&reviews))
        .await
        .map_err(|e| ApiError::internal(format!("the reviews file could not be used: {e}")))?
}

async fn load(reviews: &State<'_, Arc<Reviews>>, id: &str) -> Result<Review, ApiError> {
    let id = id.to_string();
    with_reviews(reviews, move |r| r.get(&id)).await
}

/// Every review, newest change first, each marked when it is about the open store.
#[tauri::command]
pub async fn list_reviews(
    state: State<'_, AppState>,
    reviews: State<'_, Arc<Reviews>>,
) -> Result<Vec<ReviewSummary>, ApiError> {
    let open_uri = open_store(&state).await.map(|(uri, _)| uri).unwrap_or_default();
    let mut summaries: Vec<ReviewSummary> = with_reviews(&reviews, |r| r.list())
        .await?
        .iter()
        .map(|review| ReviewSummary::of(review, &open_uri))
        .collect();
    summaries.sort_by_key(|s| std::cmp::Reverse(s.updated_ms));
    Ok(summaries)
}

#[tauri::command]
pub async fn get_review(reviews: State<'_, Arc<Reviews>>, request: ReviewRequest) -> Result<Review, ApiError> {
    load(&reviews, &request.review_id).await
}

/// A new review of the open store, with its first items.
#[tauri::command]
pub async fn create_review(
    state: State<'_, AppState>,
    reviews: State<'_, Arc<Reviews>>,
    request: CreateReviewRequest,
) -> Result<Review, ApiError> {
    let (store_uri, store_name) = open_store(&state)
        .await
        .ok_or_else(|| ApiError::invalid("no store is open: open the store the review is about first"))?;
    let now = now_ms();
    let mut review = Review {
        id: reviews::new_id(),
        name: validate_name(&request.name)?,
        store_uri,
        store_name,
        created_ms: now,
        updated_ms: now,
        items: Vec::new(),
        decisions: Vec::new(),
    };
    for item in request.items {
        check_item(&item)?;
        add_item(&mut review, item)?;
    }
    with_reviews(&reviews, move |r| r.create(review)).await
}

/// Adds an item at the end (an equal one already there is not added twice).
#[tauri::command]
pub async fn add_to_review(
    state: State<'_, AppState>,
    reviews: State<'_, Arc<Reviews>>,
    request: AddToReviewRequest,
) -> Result<Review, ApiError> {
    check_item(&request.item)?;
    let review = load(&reviews, &request.review_id).await?;
    review_store(&state, &review, "add to it").await?;
    let item = request.item;
    with_reviews(&reviews, move |r| {
        r.update(&request.review_id, now_ms(), |review| add_item(review, item))
    })
    .await
}

/// Renames the review, moves or removes an item, or clears the decisions.
#[tauri::command]
pub async fn edit_review(reviews: State<'_, Arc<Reviews>>, request: EditReviewRequest) -> Result<Review, ApiError> {
    with_reviews(&reviews, move |r| {
        r.update(&request.review_id, now_ms(), |review| {
            apply_edit(review, &request.edit)?;
            Ok(true)
        })
    })
    .await
}

#[tauri::command]
pub async fn delete_review(reviews: State<'_, Arc<Reviews>>, request: ReviewRequest) -> Result<(), ApiError> {
    with_reviews(&reviews, move |r| r.delete(&request.review_id)).await
}

/// Adds a registry change made while presenting to the review's decisions, stamped now.
#[tauri::command]
pub async fn record_decision(
    state: State<'_, AppState>,
    reviews: State<'_, Arc<Reviews>>,
    request: RecordDecisionRequest,
) -> Result<Review, ApiError> {
    let review = load(&reviews, &request.review_id).await?;
    review_store(&state, &review, "record decisions in it").await?;
    with_reviews(&reviews, move |r| {
        let now = now_ms();
        r.update(&request.review_id, now, |review| {
            review.decisions.push(Decision {
                at_ms: now,
                model: request.model,
                change: request.change,
            });
            Ok(true)
        })
    })
    .await
}

/// The review's report: one self-contained HTML page.
#[tauri::command]
pub async fn review_report_html(
    state: State<'_, AppState>,
    reviews: State<'_, Arc<Reviews>>,
    request: ReviewRequest,
) -> Result<String, ApiError> {
    let review = load(&reviews, &request.review_id).await?;
    let tracking = review_store(&state, &review, "make its report").await?;
    report(&tracking, review).await
}

/// Reads what the review's items show and draws the page (charts on the blocking pool).
async fn report(tracking: &Tracking, review: Review) -> Result<String, ApiError> {
    let data = gather(tracking, &review).await;
    let generated_ms = now_ms();
    tokio::task::spawn_blocking(move || {
        runlens_report::render(
            &review,
            &data,
            &ReportContext {
                store_name: &review.store_name,
                store_uri: &review.store_uri,
                generated_ms,
            },
        )
    })
    .await
    .map_err(|e| ApiError::internal(format!("drawing the report failed: {e}")))
}

/// Asks where to save the report (system dialog, run here in the backend) and writes it there.
/// `None` when the user cancels.
#[tauri::command]
pub async fn save_review_report_as(
    app: AppHandle,
    state: State<'_, AppState>,
    reviews: State<'_, Arc<Reviews>>,
    request: ReviewRequest,
) -> Result<Option<String>, ApiError> {
    let review = load(&reviews, &request.review_id).await?;
    let tracking = review_store(&state, &review, "save its report").await?;
    let dialog = SaveDialog {
        title: format!("Save the report of “{}” as", review.name),
        file_name: files::report_file_name(&review.name),
        filter: Some(("HTML page", &["html", "htm"])),
    };
    let Some(target) = save::ask_file(&app, dialog).await? else {
        return Ok(None);
    };
    let page = report(&tracking, review).await?;
    Ok(Some(save::write_file(target, page.into_bytes()).await?))
}

/// Asks for a folder and writes one PNG per chart of the review's chart items there, named after
/// the metric (`val_loss.png`; `val_loss-2.png` when the name is taken: nothing is overwritten).
/// `None` when the user cancels.
#[tauri::command]
pub async fn save_review_charts_as(
    app: AppHandle,
    state: State<'_, AppState>,
    reviews: State<'_, Arc<Reviews>>,
    request: ReviewRequest,
) -> Result<Option<String>, ApiError> {
    let review = load(&reviews, &request.review_id).await?;
    let tracking = review_store(&state, &review, "save its charts").await?;
    let chart_items: Vec<ReviewItem> = review
        .items
        .iter()
        .filter(|i| matches!(i, ReviewItem::Charts { .. }))
        .cloned()
        .collect();
    if chart_items.is_empty() {
        return Err(ApiError::invalid(format!("“{}” has no charts to save", review.name)));
    }
    let title = format!("Choose a folder for the charts of “{}”", review.name);
    let Some(folder) = save::ask_folder(&app, title).await? else {
        return Ok(None);
    };
    let mut problems = Vec::new();
    let mut saved = 0;
    for item in &chart_items {
        let ReviewItem::Charts { metrics, view, .. } = item else {
            continue;
        };
        let data = match runlens_report::gather::gather_item(&tracking, item).await {
            Ok(ItemContent::Charts(data)) => data,
            Ok(_) => continue,
            Err(e) => {
                problems.push(format!("{}: {}", item.title(), e.message));
                continue;
            }
        };
        for chart in charts::metric_charts(&data, metrics, view) {
            let Some(spec) = chart.spec else {
                problems.push(format!("{}: none of the runs logged it", chart.metric));
                continue;
            };
            let (folder, file_name) = (folder.clone(), files::chart_file_name(&chart.metric));
            let written = tokio::task::spawn_blocking(move || -> Result<PathBuf, String> {
                let png = runlens_charts::export(&charts::png_request(&spec)).map_err(|e| e.to_string())?;
                write_new_file(&folder, &file_name, &png).map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| ApiError::internal(format!("saving a chart failed: {e}")))?;
            match written {
                Ok(_) => saved += 1,
                Err(why) => problems.push(format!("{}: {why}", chart.metric)),
            }
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Io,
            format!(
                "{saved} of {} charts were saved to {}",
                saved + problems.len(),
                folder.display()
            ),
        )
        .with_detail(problems.join("; ")));
    }
    Ok(Some(folder.display().to_string()))
}

/// Writes `bytes` to `file_name` in `folder`, or to `stem-2.ext`, `stem-3.ext`… when it is taken.
/// The name must be one plain file name (see `runlens_report::files`); nothing is overwritten.
fn write_new_file(folder: &Path, file_name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let plain = matches!(
        Path::new(file_name).components().collect::<Vec<_>>().as_slice(),
        [std::path::Component::Normal(_)]
    );
    if !plain {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{file_name:?} is not a plain file name"),
        ));
    }
    for n in 1..=1000 {
        let candidate = folder.join(files::numbered(file_name, n));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(mut file) => {
                file.write_all(bytes)?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{file_name} and 999 numbered names like it are taken"),
    ))
}

/// Presentation mode: the main window full screen, or back.
#[tauri::command]
pub async fn set_fullscreen(app: AppHandle, request: FullscreenRequest) -> Result<(), ApiError> {
    let window = app
        .get_webview_window("main")
        .ok_or_else(|| ApiError::internal("the main window is gone"))?;
    window.set_fullscreen(request.on).map_err(|e| {
        ApiError::new(ErrorCode::Io, "the window could not change to or from full screen").with_detail(e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_files_never_overwrite_nor_leave_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let first = write_new_file(dir.path(), "val_loss.png", b"1").unwrap();
        let second = write_new_file(dir.path(), "val_loss.png", b"2").unwrap();
        let third = write_new_file(dir.path(), "val_loss.png", b"3").unwrap();
        assert_eq!(first, dir.path().join("val_loss.png"));
        assert_eq!(second, dir.path().join("val_loss-2.png"));
        assert_eq!(third, dir.path().join("val_loss-3.png"));
        assert_eq!(std::fs::read(&first).unwrap(), b"1", "the first file is kept");
        for escaping in ["../x.png", "/tmp/x.png", "a/b.png", "..", "."] {
            assert!(write_new_file(dir.path(), escaping, b"x").is_err(), "{escaping}");
        }
        // Names made from hostile metric keys stay in the folder.
        let name = files::chart_file_name("../../etc/passwd");
        let path = write_new_file(dir.path(), &name, b"x").unwrap();
        assert_eq!(path.parent(), Some(dir.path()));
    }
}
