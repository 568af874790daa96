//! Aligned plain-text tables for people reading `runlens-cli` output in a terminal.

use runlens_core::project::Project;
use runlens_core::sampling::SampledSeries;
use runlens_core::tree::RunNode;
use runlens_core::*;

/// Prints rows under a header, each column as wide as its widest cell (by characters).
fn print(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}{}", " ".repeat(widths[i].saturating_sub(c.chars().count()))))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    line(widths.iter().map(|w| "-".repeat(*w)).collect());
    for row in rows {
        line(row);
    }
}

/// One line, no control characters: cells stay on their row.
fn cell(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > 60 {
        format!("{}…", flat.chars().take(59).collect::<String>())
    } else {
        flat
    }
}

fn time(ms: Option<i64>) -> String {
    ms.map(|m| m.to_string()).unwrap_or_default()
}

fn next_page(token: Option<&str>) {
    if let Some(t) = token {
        println!("\nmore results: --page-token {t}");
    }
}

pub fn experiments(items: &[Experiment], next: Option<&str>) {
    print(
        &["ID", "NAME", "STAGE", "CREATED", "ARTIFACTS"],
        items
            .iter()
            .map(|e| {
                vec![
                    e.experiment_id.clone(),
                    cell(&e.name),
                    e.lifecycle_stage.as_str().into(),
                    time(e.creation_time),
                    cell(&e.artifact_location),
                ]
            })
            .collect(),
    );
    next_page(next);
}

pub fn projects(items: &[Project]) {
    print(
        &["PROJECT", "EXPERIMENTS", "LAST ACTIVITY", "NAMES"],
        items
            .iter()
            .map(|p| {
                let names: Vec<&str> = p.experiments.iter().map(|e| e.name.as_str()).collect();
                vec![
                    cell(p.name.as_deref().unwrap_or("(unassigned)")),
                    p.experiments.len().to_string(),
                    time(p.last_activity),
                    cell(&names.join(", ")),
                ]
            })
            .collect(),
    );
}

fn run_row(run: &Run, indent: usize) -> Vec<String> {
    let metrics: Vec<String> = run
        .data
        .metrics
        .iter()
        .take(4)
        .map(|m| format!("{}={}", m.key, m.value))
        .collect();
    vec![
        run.info.run_id.clone(),
        format!("{}{}", "  ".repeat(indent), cell(&run.info.run_name)),
        run.info.status.as_str().into(),
        time(run.info.start_time),
        cell(&metrics.join(" ")),
    ]
}

pub fn runs(items: &[Run], next: Option<&str>) {
    print(
        &["RUN ID", "NAME", "STATUS", "START", "METRICS"],
        items.iter().map(|r| run_row(r, 0)).collect(),
    );
    next_page(next);
}

pub fn tree(forest: &[RunNode]) {
    fn walk(node: &RunNode, depth: usize, rows: &mut Vec<Vec<String>>) {
        rows.push(run_row(&node.run, depth));
        for child in &node.children {
            walk(child, depth + 1, rows);
        }
    }
    let mut rows = Vec::new();
    for root in forest {
        walk(root, 0, &mut rows);
    }
    print(&["RUN ID", "NAME", "STATUS", "START", "METRICS"], rows);
}

pub fn run(run: &Run) {
    let i = &run.info;
    print(
        &["FIELD", "VALUE"],
        vec![
            vec!["run_id".into(), i.run_id.clone()],
            vec!["name".into(), cell(&i.run_name)],
            vec!["experiment_id".into(), i.experiment_id.clone()],
            vec!["status".into(), i.status.as_str().into()],
            vec!["user".into(), cell(&i.user_id)],
            vec!["start_time".into(), time(i.start_time)],
            vec!["end_time".into(), time(i.end_time)],
            vec!["lifecycle_stage".into(), i.lifecycle_stage.as_str().into()],
            vec!["artifact_uri".into(), cell(&i.artifact_uri)],
        ],
    );
    println!();
    let mut rows: Vec<Vec<String>> = Vec::new();
    rows.extend(
        run.data
            .params
            .iter()
            .map(|(k, v)| vec!["param".into(), cell(k), cell(v), String::new()]),
    );
    rows.extend(
        run.data
            .metrics
            .iter()
            .map(|m| vec!["metric".into(), cell(&m.key), m.value.to_string(), m.step.to_string()]),
    );
    rows.extend(
        run.data
            .tags
            .iter()
            .map(|(k, v)| vec!["tag".into(), cell(k), cell(v), String::new()]),
    );
    rows.extend(run.inputs.iter().map(|d| {
        vec![
            "dataset".into(),
            cell(&d.dataset.name),
            d.dataset.digest.clone(),
            cell(d.tags.get(tag::DATA_CONTEXT).map(String::as_str).unwrap_or("")),
        ]
    }));
    print(&["KIND", "KEY", "VALUE", "STEP/CONTEXT"], rows);
}

pub fn history(metrics: &[Metric]) {
    print(
        &["STEP", "TIMESTAMP", "VALUE"],
        metrics
            .iter()
            .map(|m| vec![m.step.to_string(), m.timestamp.to_string(), m.value.to_string()])
            .collect(),
    );
}

pub fn sampled(series: &[SampledSeries]) {
    print(
        &["RUN ID", "KEY", "POINTS", "OF", "FIRST", "LAST"],
        series
            .iter()
            .map(|s| {
                let show = |p: Option<&runlens_core::sampling::Point>| {
                    p.map(|p| format!("{}@{}", p.value, p.step)).unwrap_or_default()
                };
                vec![
                    s.run_id.clone(),
                    cell(&s.key),
                    s.points.len().to_string(),
                    s.total_points.to_string(),
                    show(s.points.first()),
                    show(s.points.last()),
                ]
            })
            .collect(),
    );
}

pub fn artifacts(files: &[FileInfo]) {
    print(
        &["PATH", "TYPE", "SIZE"],
        files
            .iter()
            .map(|f| {
                vec![
                    cell(&f.path),
                    if f.is_dir { "dir" } else { "file" }.into(),
                    f.file_size.map(|s| s.to_string()).unwrap_or_default(),
                ]
            })
            .collect(),
    );
}

pub fn models(items: &[RegisteredModel], next: Option<&str>) {
    print(
        &["NAME", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION"],
        items
            .iter()
            .map(|m| {
                let latest: Vec<String> = m
                    .latest_versions
                    .iter()
                    .map(|v| format!("{}:v{}", v.current_stage, v.version))
                    .collect();
                let aliases: Vec<String> = m.aliases.iter().map(|(a, v)| format!("{a}→v{v}")).collect();
                vec![
                    cell(&m.name),
                    latest.join(" "),
                    aliases.join(" "),
                    time(m.last_updated_timestamp),
                    cell(m.description.as_deref().unwrap_or("")),
                ]
            })
            .collect(),
    );
    next_page(next);
}

pub fn versions(items: &[ModelVersion]) {
    print(
        &["MODEL", "VERSION", "STAGE", "ALIASES", "RUN", "SOURCE"],
        items
            .iter()
            .map(|v| {
                vec![
                    cell(&v.name),
                    v.version.to_string(),
                    v.current_stage.as_str().into(),
                    v.aliases.join(" "),
                    v.run_id.clone().unwrap_or_default(),
                    cell(&v.source),
                ]
            })
            .collect(),
    );
}
