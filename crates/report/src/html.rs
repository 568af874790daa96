//! The report as one self-contained HTML5 page: the review's name, the store, when it was made,
//! its contents, one section per item and the decisions. Pure: the same data gives the same page.
//!
//! Self-contained means inline `<style>` and inline `<svg>` only: no script, no `<link>`, no
//! image, font or style from anywhere else (a CSP `<meta>` forbids them besides), so the page
//! reads the same offline, archived or mailed, and a value from a store is only ever text.

mod chart_grid;
mod comparison;
mod joined_table;
mod stage_board;

use crate::data::{ItemContent, ItemData, ReportData};
use crate::format;
use crate::markup::Html;
use runlens_charts::RunPalette;
use runlens_core::review::{Review, ReviewItem};
use runlens_core::ApiError;

const STYLE: &str = include_str!("html/style.css");

/// Where and when the report was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportContext<'a> {
    /// The store's name as the top bar shows it.
    pub store_name: &'a str,
    /// Its URI, never with a secret.
    pub store_uri: &'a str,
    pub generated_ms: i64,
}

/// The whole report page.
pub fn render(review: &Review, data: &ReportData, context: &ReportContext<'_>) -> String {
    let mut h = Html::new();
    h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .raw(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
        )
        .raw("<meta name=\"generator\" content=\"Runlens\">\n")
        .element("<title>", &format!("{} — review report", review.name), "</title>\n")
        .raw("<style>\n")
        .raw(STYLE)
        .raw("</style>\n</head>\n<body>\n<main>\n");
    cover(&mut h, review, context);
    contents(&mut h, review);
    for (index, item) in review.items.iter().enumerate() {
        let unread = Err(ApiError::internal("this item was not read"));
        item_section(&mut h, index, item, data.items.get(index).unwrap_or(&unread));
    }
    decisions(&mut h, review);
    h.raw("<footer>").text(&format!(
        "Made by Runlens from {} on {}. This page is self-contained: it loads nothing and runs no script.",
        context.store_name,
        format::utc_minute(Some(context.generated_ms))
    ));
    h.raw("</footer>\n</main>\n</body>\n</html>\n");
    h.finish()
}

fn cover(h: &mut Html, review: &Review, context: &ReportContext<'_>) {
    h.raw("<header class=\"cover\">\n<p class=\"eyebrow\">Model review</p>\n")
        .element("<h1>", &review.name, "</h1>\n")
        .raw("<dl class=\"facts\">\n<dt>Store</dt><dd>")
        .text(context.store_name)
        .raw(" <span class=\"uri\">")
        .text(context.store_uri)
        .raw("</span></dd>\n<dt>Generated</dt><dd>")
        .text(&format::utc_minute(Some(context.generated_ms)))
        .raw("</dd>\n<dt>Review</dt><dd>")
        .text(&format!(
            "{} and {}, last changed {}",
            format::count(review.items.len(), "item", "items"),
            format::count(review.decisions.len(), "decision", "decisions"),
            format::utc_minute(Some(review.updated_ms))
        ))
        .raw("</dd>\n</dl>\n</header>\n");
}

fn contents(h: &mut Html, review: &Review) {
    h.raw("<nav class=\"contents\">\n<h3>Contents</h3>\n<ol>\n");
    for (index, item) in review.items.iter().enumerate() {
        h.raw("<li><a href=\"#item-")
            .text(&(index + 1).to_string())
            .raw("\">")
            .text(&item.title())
            .raw("</a>")
            .element("<span class=\"badge\">", item.kind_label(), "</span>")
            .raw("</li>\n");
    }
    h.raw("<li><a href=\"#decisions\">Decisions</a></li>\n</ol>\n</nav>\n");
}

fn item_section(h: &mut Html, index: usize, item: &ReviewItem, data: &ItemData) {
    h.raw("<section class=\"item\" id=\"item-")
        .text(&(index + 1).to_string())
        .raw("\">\n<header class=\"item-head\">")
        .element("<span class=\"item-num\">", &(index + 1).to_string(), "</span>")
        .element("<h2>", &item.title(), "")
        .element("<span class=\"badge\">", item.kind_label(), "</span>")
        .raw("</h2></header>\n");
    match (item, data) {
        (_, Err(error)) => unreadable(h, error),
        (ReviewItem::Comparison { .. }, Ok(ItemContent::Comparison(comparison))) => comparison::render(h, comparison),
        (ReviewItem::Charts { metrics, view, .. }, Ok(ItemContent::Charts(charts))) => {
            chart_grid::render(h, charts, metrics, view)
        }
        (ReviewItem::Table { table, .. }, Ok(ItemContent::Table(window))) => joined_table::render(h, table, window),
        (ReviewItem::StageBoard { versions, .. }, Ok(ItemContent::StageBoard(model))) => {
            stage_board::render(h, model, versions)
        }
        _ => unreadable(h, &ApiError::internal("the data read does not belong to this item")),
    }
    h.raw("</section>\n");
}

/// The note an item whose data could not be read shows instead.
fn unreadable(h: &mut Html, error: &ApiError) {
    h.raw("<div class=\"note warn\"><strong>This item's data could not be read.</strong> ")
        .text(&error.message);
    if let Some(detail) = &error.detail {
        h.element("<span class=\"detail\">", detail, "</span>");
    }
    h.raw("</div>\n");
}

fn decisions(h: &mut Html, review: &Review) {
    h.raw("<section class=\"item\" id=\"decisions\">\n<header class=\"item-head\"><h2>Decisions</h2></header>\n");
    if review.decisions.is_empty() {
        h.raw("<p class=\"note\">No decisions were recorded.</p>\n");
    } else {
        h.raw("<ol class=\"decisions\">\n");
        for decision in &review.decisions {
            h.raw("<li><time datetime=\"")
                .text(&format::iso(decision.at_ms))
                .raw("\">")
                .text(&format::utc_second(decision.at_ms))
                .raw("</time>")
                .element("<span>", &decision.summary(), "</span>")
                .raw("</li>\n");
        }
        h.raw("</ol>\n");
    }
    h.raw("</section>\n");
}

/// A plain note.
fn note(h: &mut Html, text: &str) {
    h.element("<p class=\"note\">", text, "</p>\n");
}

/// A run's colour swatch (its colour among the runs shown with it) and name, as every view shows a run.
fn run_label(h: &mut Html, palette: &RunPalette, run_id: &str, name: &str) {
    h.raw("<span class=\"swatch\" style=\"background:")
        .text(&palette.color(run_id).hex())
        .raw("\"></span>")
        .text(if name.is_empty() { run_id } else { name });
}

/// `—` for a value a run does not have.
fn absent(h: &mut Html) {
    h.raw("<span class=\"absent\">—</span>");
}

#[cfg(test)]
mod tests;
