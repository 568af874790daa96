//! A comparison item: the runs side by side — what they are (experiment, status, start, duration),
//! their metrics with the best run marked, and their params and tags with the differences
//! highlighted — as the compare view shows them.

use super::{absent, note, run_label};
use crate::format;
use crate::markup::Html;
use runlens_charts::RunPalette;
use runlens_core::compare::{
    diff_rows, duration_ms, guess_direction, metric_rows, ComparedRun, Comparison, DiffRow, Direction, MetricRow,
};
use runlens_core::display::is_system_tag;
use runlens_core::ipc::MetricSummary;
use runlens_core::Tags;
use std::collections::BTreeMap;

pub(super) fn render(h: &mut Html, comparison: &Comparison) {
    missing_runs(h, &comparison.missing);
    if comparison.runs.is_empty() {
        note(h, "None of these runs is in the store any more.");
        return;
    }
    overview(h, comparison);
    metrics(h, comparison);
    let params: Vec<&BTreeMap<String, String>> = comparison.runs.iter().map(|r| &r.run.data.params).collect();
    differences(
        h,
        comparison,
        "Parameters",
        "parameter",
        "parameters",
        &diff_rows(&params),
        "No run has parameters.",
    );
    let user_tags: Vec<Tags> = comparison
        .runs
        .iter()
        .map(|r| {
            r.run
                .data
                .tags
                .iter()
                .filter(|(k, _)| !is_system_tag(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .collect();
    let tags: Vec<&Tags> = user_tags.iter().collect();
    differences(
        h,
        comparison,
        "Tags",
        "tag",
        "tags",
        &diff_rows(&tags),
        "No run has tags besides MLflow's own.",
    );
}

/// Runs asked for that the store does not have.
/// The compared runs' colours, as the compare view shows them.
pub(super) fn palette_of(comparison: &Comparison) -> RunPalette {
    RunPalette::of(comparison.runs.iter().map(|r| r.run.info.run_id.as_str()))
}

pub(super) fn missing_runs(h: &mut Html, missing: &[String]) {
    if missing.is_empty() {
        return;
    }
    h.raw("<div class=\"note warn\">")
        .text(&format!(
            "{} not in the store (deleted for good, or from another store): {}",
            format::count(missing.len(), "run is", "runs are"),
            missing.join(", ")
        ))
        .raw("</div>\n");
}

/// `<thead>` with one column per run.
fn run_header(h: &mut Html, comparison: &Comparison, corner: &str) {
    let palette = palette_of(comparison);
    h.raw("<thead><tr>").element("<th>", corner, "</th>");
    for compared in &comparison.runs {
        h.raw("<th>");
        run_label(h, &palette, &compared.run.info.run_id, &compared.run.info.run_name);
        h.raw("</th>");
    }
    h.raw("</tr></thead>\n");
}

fn overview(h: &mut Html, comparison: &Comparison) {
    h.raw("<div class=\"scroll\"><table class=\"grid\">\n");
    run_header(h, comparison, "Run");
    h.raw("<tbody>\n");
    let runs = &comparison.runs;
    overview_row(h, "Experiment", runs, |h, r| {
        h.text(&r.experiment_name);
    });
    overview_row(h, "Status", runs, |h, r| {
        let status = r.run.info.status.as_str();
        h.raw("<span class=\"status status-")
            .text(&status.to_ascii_lowercase())
            .raw("\">")
            .text(status)
            .raw("</span>");
    });
    overview_row(h, "Started", runs, |h, r| {
        h.text(&format::utc_minute(r.run.info.start_time));
    });
    overview_row(h, "Duration", runs, |h, r| match duration_ms(&r.run.info, None) {
        Some(ms) => {
            h.text(&format::duration(ms));
        }
        None => absent(h),
    });
    overview_row(h, "User", runs, |h, r| {
        h.text(&r.run.info.user_id);
    });
    overview_row(h, "Run id", runs, |h, r| {
        h.element("<span class=\"mono\">", &r.run.info.run_id, "</span>");
    });
    h.raw("</tbody></table></div>\n");
}

fn overview_row(h: &mut Html, label: &str, runs: &[ComparedRun], cell: impl Fn(&mut Html, &ComparedRun)) {
    h.element("<tr><th>", label, "</th>");
    for run in runs {
        h.raw("<td>");
        cell(h, run);
        h.raw("</td>");
    }
    h.raw("</tr>\n");
}

fn metrics(h: &mut Html, comparison: &Comparison) {
    h.raw("<h3>Metrics</h3>\n");
    let summaries: Vec<Vec<MetricSummary>> = comparison.runs.iter().map(|r| r.metrics.clone()).collect();
    let rows = metric_rows(&summaries, guess_direction);
    if rows.is_empty() {
        note(h, "No run has metrics.");
        return;
    }
    h.raw("<div class=\"scroll\"><table class=\"grid\">\n");
    run_header(h, comparison, "Metric");
    h.raw("<tbody>\n");
    for row in &rows {
        metric_row(h, row);
    }
    h.raw("</tbody></table></div>\n<p class=\"key-legend\">")
        .text("Latest value, with the range of the whole history. ★ marks the best latest value; the best minimum or maximum is in bold. Which way is better is guessed from the metric's name.")
        .raw("</p>\n");
}

fn metric_row(h: &mut Html, row: &MetricRow) {
    h.raw("<tr><th>")
        .text(&row.key)
        .raw("<span class=\"dir\">")
        .text(&format!("{} {}", row.direction.arrow(), row.direction.describe()))
        .raw("</span></th>");
    for (index, cell) in row.cells.iter().enumerate() {
        let Some(summary) = cell else {
            h.raw("<td class=\"num\">");
            absent(h);
            h.raw("</td>");
            continue;
        };
        let best = row.best_latest.contains(&index);
        h.raw(if best {
            "<td class=\"num best\">"
        } else {
            "<td class=\"num\">"
        })
        .element("<span class=\"value\">", &format::metric(summary.latest), "</span>");
        if best {
            h.raw("<span class=\"star\" title=\"best latest value\">★</span>");
        }
        let extreme_best = row.best_extreme.contains(&index);
        let lower_is_better = row.direction == Direction::LowerIsBetter;
        h.raw("<span class=\"range\">min ");
        bold_if(
            h,
            extreme_best && lower_is_better,
            &format::optional_metric(summary.min),
        );
        h.raw(" · max ");
        bold_if(
            h,
            extreme_best && !lower_is_better,
            &format::optional_metric(summary.max),
        );
        h.text(&format!(" · {}", format::count(summary.points, "point", "points")))
            .raw("</span></td>");
    }
    h.raw("</tr>\n");
}

fn bold_if(h: &mut Html, bold: bool, text: &str) {
    if bold {
        h.element("<b>", text, "</b>");
    } else {
        h.text(text);
    }
}

/// Params or tags side by side: rows that differ highlighted, the values that stand out more so.
fn differences(
    h: &mut Html,
    comparison: &Comparison,
    title: &str,
    one: &str,
    many: &str,
    rows: &[DiffRow],
    none: &str,
) {
    h.element("<h3>", title, "</h3>\n");
    if rows.is_empty() {
        note(h, none);
        return;
    }
    let differing = rows.iter().filter(|r| r.differs).count();
    h.element(
        "<p class=\"meta\">",
        &format!(
            "{}, {differing} differ between the runs.",
            format::count(rows.len(), one, many)
        ),
        "</p>\n",
    );
    h.raw("<div class=\"scroll\"><table class=\"grid\">\n");
    run_header(h, comparison, "Key");
    h.raw("<tbody>\n");
    for row in rows {
        h.raw(if row.differs { "<tr class=\"differs\">" } else { "<tr>" })
            .element("<th>", &row.key, "</th>");
        for (value, odd) in row.values.iter().zip(row.odd_ones()) {
            h.raw(if odd { "<td class=\"odd\">" } else { "<td>" });
            match value {
                Some(v) => {
                    h.text(v);
                }
                None => absent(h),
            }
            h.raw("</td>");
        }
        h.raw("</tr>\n");
    }
    h.raw("</tbody></table></div>\n");
}
