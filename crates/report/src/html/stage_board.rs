//! A stage-board item: a registered model's versions in one lane per stage (None, Staging,
//! Production, Archived), each card with its aliases, source run and key metrics; the versions
//! under discussion are marked.

use super::note;
use crate::format;
use crate::markup::Html;
use runlens_core::registry::{versions_text, ModelDetail, VersionCard};
use runlens_core::Stage;

pub(super) fn render(h: &mut Html, detail: &ModelDetail, discussed: &[i64]) {
    let model = &detail.model;
    h.raw("<p class=\"meta\">Model ")
        .element("<strong>", &model.name, "</strong>")
        .text(&format!(
            ", {}",
            format::count(detail.versions.len(), "version", "versions")
        ));
    if !model.aliases.is_empty() {
        h.raw("; aliases ");
        for (alias, version) in &model.aliases {
            h.element("<span class=\"alias\">", &format!("@{alias} → v{version}"), "</span>");
        }
    }
    h.raw("</p>\n");
    if !discussed.is_empty() {
        h.element(
            "<p class=\"meta\">",
            &format!("Under discussion: {}.", versions_text(discussed)),
            "</p>\n",
        );
    }
    let unknown: Vec<i64> = discussed
        .iter()
        .copied()
        .filter(|v| detail.version(*v).is_none())
        .collect();
    if !unknown.is_empty() {
        h.raw("<div class=\"note warn\">")
            .text(&format!(
                "{} {} not in the registry any more.",
                capitalised(&versions_text(&unknown)),
                if unknown.len() == 1 { "is" } else { "are" }
            ))
            .raw("</div>\n");
    }
    if detail.versions.is_empty() {
        note(h, "The model has no versions.");
        return;
    }
    h.raw("<div class=\"board\">\n");
    for stage in Stage::ALL {
        lane(h, detail, stage, discussed);
    }
    h.raw("</div>\n");
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn lane(h: &mut Html, detail: &ModelDetail, stage: Stage, discussed: &[i64]) {
    let cards: Vec<&VersionCard> = detail
        .versions
        .iter()
        .filter(|c| c.version.current_stage == stage)
        .collect();
    h.raw(match stage {
        Stage::None => "<div class=\"lane lane-none\">",
        Stage::Staging => "<div class=\"lane lane-staging\">",
        Stage::Production => "<div class=\"lane lane-production\">",
        Stage::Archived => "<div class=\"lane lane-archived\">",
    })
    .element("<h3>", stage.as_str(), "")
    .element("<span>", &cards.len().to_string(), "</span></h3>\n");
    if cards.is_empty() {
        h.raw("<p class=\"empty-lane\">No versions</p>\n");
    }
    for card in cards {
        version_card(h, detail, card, discussed.contains(&card.version.version));
    }
    h.raw("</div>\n");
}

fn version_card(h: &mut Html, detail: &ModelDetail, card: &VersionCard, discussed: bool) {
    let version = &card.version;
    h.raw(if discussed {
        "<div class=\"card discussed\">"
    } else {
        "<div class=\"card\">"
    });
    if discussed {
        h.raw("<span class=\"card-flag\">Under discussion</span>");
    }
    h.element(
        "<div class=\"card-title\">",
        &format!("Version {}", version.version),
        "</div>",
    );
    if !version.aliases.is_empty() {
        h.raw("<div>");
        for alias in &version.aliases {
            h.element("<span class=\"alias\">", &format!("@{alias}"), "</span>");
        }
        h.raw("</div>");
    }
    let source = match &card.run {
        Some(run) if run.run.missing => format!("from run {} (no longer in the store)", run.run.run_id),
        Some(run) if !run.run.run_name.is_empty() => format!("from run {}", run.run.run_name),
        Some(run) => format!("from run {}", run.run.run_id),
        None => "no source run".into(),
    };
    h.element("<div class=\"card-run\">", &source, "</div>").element(
        "<div class=\"card-date\">",
        &format!("registered {}", format::utc_minute(version.creation_timestamp)),
        "</div>",
    );
    let metrics: Vec<_> = detail
        .key_metrics
        .iter()
        .filter_map(|key| card.metrics.iter().find(|m| &m.key == key))
        .collect();
    if !metrics.is_empty() {
        h.raw("<dl class=\"card-metrics\">");
        for metric in metrics {
            h.element("<dt>", &metric.key, "</dt>")
                .element("<dd>", &format::metric(metric.value), "</dd>");
        }
        h.raw("</dl>");
    }
    h.raw("</div>\n");
}
