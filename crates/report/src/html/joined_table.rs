//! A table item: one logged table of several runs joined row by row on its input column, each
//! run's output (and scores) side by side, rows whose outputs differ highlighted. Long cells come
//! cut, as every window of rows does; only the first rows are shown.

use super::{absent, note, run_label};
use crate::format;
use crate::markup::Html;
use runlens_charts::RunPalette;
use runlens_core::tables::join::{CompareSide, CompareWindow, ScoreAggregate};
use runlens_core::tables::Cell;

pub(super) fn render(h: &mut Html, table: &str, window: &CompareWindow) {
    let palette = palette_of(window);
    for run in &window.runs {
        if let Some(error) = &run.error {
            h.raw("<div class=\"note warn\">")
                .text(&format!(
                    "{}: {table} could not be read ({}); its column is empty.",
                    run.run_name, error.message
                ))
                .raw("</div>\n");
        }
    }
    let plan = &window.plan;
    h.raw("<p class=\"meta\">Joined on ")
        .element("<code>", &plan.key_column, "</code>")
        .raw("; each run's ")
        .element("<code>", &plan.output_column, "</code>")
        .text(&format!(
            " side by side. {}, {} differ between the runs.",
            format::count(window.total_rows, "row", "rows"),
            window.differing_rows
        ))
        .raw("</p>\n");
    aggregates(h, window);
    if window.rows.is_empty() {
        note(h, "The table has no rows.");
        return;
    }
    h.raw("<div class=\"scroll\"><table class=\"grid joined\">\n<thead><tr><th>#</th>")
        .element("<th>", &plan.key_column, "</th>");
    for run in &window.runs {
        h.raw("<th>");
        run_label(h, &palette, &run.run_id, &run.run_name);
        h.raw("</th>");
    }
    h.raw("</tr></thead>\n<tbody>\n");
    for row in &window.rows {
        h.raw(if row.differs { "<tr class=\"differs\">" } else { "<tr>" })
            .element("<td class=\"index\">", &(row.index + 1).to_string(), "</td>")
            .raw("<td>");
        cell(h, &row.input);
        h.raw("</td>");
        for side in &row.sides {
            h.raw("<td>");
            match side {
                Some(side) => output(h, side, &plan.score_columns),
                None => {
                    h.raw("<span class=\"absent\">no such row</span>");
                }
            }
            h.raw("</td>");
        }
        h.raw("</tr>\n");
    }
    h.raw("</tbody></table></div>\n");
    let shown = window.offset + window.rows.len();
    if window.total_rows > shown {
        note(
            h,
            &format!(
                "The first {} rows are shown; {} left out.",
                shown,
                format::count(window.total_rows - shown, "row is", "rows are")
            ),
        );
    }
}

/// Each run's score columns: mean, and pass rate for booleans.
/// The runs' colours, as the compare view of the same runs shows them.
fn palette_of(window: &CompareWindow) -> RunPalette {
    RunPalette::of(window.runs.iter().map(|r| r.run_id.as_str()))
}

fn aggregates(h: &mut Html, window: &CompareWindow) {
    let palette = palette_of(window);
    let columns = &window.plan.score_columns;
    if columns.is_empty() {
        return;
    }
    h.raw("<div class=\"scroll\"><table class=\"grid\">\n<thead><tr><th>Scores</th>");
    for column in columns {
        h.element("<th class=\"num\">", column, "</th>");
    }
    h.raw("</tr></thead>\n<tbody>\n");
    for run in &window.runs {
        h.raw("<tr><th>");
        run_label(h, &palette, &run.run_id, &run.run_name);
        h.raw("</th>");
        for column in columns {
            h.raw("<td class=\"num\">");
            match run.aggregates.iter().find(|a| &a.column == column) {
                Some(aggregate) => {
                    h.text(&describe_aggregate(aggregate));
                }
                None => absent(h),
            }
            h.raw("</td>");
        }
        h.raw("</tr>\n");
    }
    h.raw("</tbody></table></div>\n");
}

/// `mean 0.72 (40 rows)`, `85% pass (40 rows)`.
fn describe_aggregate(aggregate: &ScoreAggregate) -> String {
    let rows = format::count(aggregate.count, "row", "rows");
    match (aggregate.pass_rate, aggregate.mean) {
        (Some(rate), _) => format!("{}% pass ({rows})", format::metric((rate * 100.0).into())),
        (None, Some(mean)) => format!("mean {} ({rows})", format::metric(mean.into())),
        (None, None) => format!("— ({rows})"),
    }
}

fn output(h: &mut Html, side: &CompareSide, score_columns: &[String]) {
    cell(h, &side.output);
    let scores: Vec<String> = score_columns
        .iter()
        .zip(&side.scores)
        .filter(|(_, value)| !value.is_null())
        .map(|(column, value)| format!("{column} {}", value.text()))
        .collect();
    if !scores.is_empty() {
        h.element("<span class=\"scores\">", &scores.join(" · "), "</span>");
    }
}

fn cell(h: &mut Html, cell: &Cell) {
    match cell {
        Cell::Null => absent(h),
        Cell::Cut { preview, chars, .. } => {
            h.text(preview).element(
                "<span class=\"cell-more\">",
                &format!(" … ({chars} characters in all)"),
                "</span>",
            );
        }
        Cell::Image(image) => {
            h.element(
                "<span class=\"cell-more\">",
                &format!("image {}", image.filepath),
                "</span>",
            );
        }
        other => {
            h.text(&other.text());
        }
    }
}
