//! Traces in the file store: `mlruns/<exp>/traces/<trace_id>/` holds `trace_info.yaml`,
//! `request_metadata/<key>`, `tags/<key>` and the spans in `artifacts/traces.json` (read only;
//! Runlens never writes traces). MLflow 3 writes `trace_id`, `request_time` (ISO 8601),
//! `execution_duration_ms` and `state`; MLflow 2 wrote `request_id`, `timestamp_ms`,
//! `execution_time_ms` and `status`: both are read.

use super::io::{self, corrupt, not_found, read_text, TAGS};
use super::Fs;
use crate::error::Result;
use crate::traces::{iso_ms, needle, summary, summary_matches, SummaryParts, MAX_TRACE_BYTES};
use runlens_core::traces::{SearchTracesRequest, TraceDetail, TraceStatus, TraceSummary};
use runlens_core::Page;
use serde_yaml_ng::Value as Yaml;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

const TRACES: &str = "traces";
const TRACE_INFO: &str = "trace_info.yaml";
const METADATA: &str = "request_metadata";
/// Where a trace's `traces.json` is when its tags do not say (MLflow writes it under the
/// experiment's artifact location and names that in the tag `mlflow.artifactLocation`).
const DEFAULT_ARTIFACTS: &str = "artifacts";
const ARTIFACT_LOCATION: &str = "mlflow.artifactLocation";

/// A trace folder read: its summary, tags and metadata.
struct TraceFolder {
    summary: TraceSummary,
    tags: BTreeMap<String, String>,
    metadata: BTreeMap<String, String>,
}

/// The folder of a trace's `traces.json` (a path or `file://` URI).
fn artifact_location(dir: &Path, tags: &BTreeMap<String, String>) -> String {
    tags.get(ARTIFACT_LOCATION)
        .filter(|l| !l.is_empty())
        .cloned()
        .unwrap_or_else(|| dir.join(DEFAULT_ARTIFACTS).display().to_string())
}

fn text_field(doc: &Yaml, key: &str) -> Option<String> {
    match doc.get(key)? {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn int_field(doc: &Yaml, key: &str) -> Option<i64> {
    io::parse_int(text_field(doc, key).as_deref())
}

impl Fs {
    fn read_trace(&self, dir: &Path, experiment_id: &str) -> Result<Option<TraceFolder>> {
        let info_path = dir.join(TRACE_INFO);
        let Some(text) = read_text(&info_path)? else {
            return Ok(None);
        };
        let doc: Yaml = serde_yaml_ng::from_str(&text)
            .map_err(|e| corrupt(&info_path, "is not valid YAML", Some(e.to_string())))?;
        if !doc.is_mapping() {
            return Ok(None);
        }
        let folder = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tags = io::read_keyed_values(&dir.join(TAGS))?;
        let metadata = io::read_keyed_values(&dir.join(METADATA))?;
        let timestamp_ms = text_field(&doc, "request_time")
            .and_then(|t| iso_ms(&t))
            .or_else(|| int_field(&doc, "timestamp_ms"))
            .unwrap_or(0);
        let status = text_field(&doc, "state")
            .or_else(|| text_field(&doc, "status"))
            .map(|s| TraceStatus::parse(&s))
            .unwrap_or_default();
        let summary = summary(
            SummaryParts {
                trace_id: text_field(&doc, "trace_id")
                    .or_else(|| text_field(&doc, "request_id"))
                    .unwrap_or(folder),
                experiment_id: experiment_id.to_string(),
                timestamp_ms,
                execution_time_ms: int_field(&doc, "execution_duration_ms")
                    .or_else(|| int_field(&doc, "execution_time_ms")),
                status,
                request_preview: text_field(&doc, "request_preview"),
                response_preview: text_field(&doc, "response_preview"),
                name: None,
                tokens: None,
            },
            &metadata,
            &tags,
        );
        Ok(Some(TraceFolder {
            summary,
            tags,
            metadata,
        }))
    }

    /// Whether the trace's `traces.json` contains `needle_lower` (case-insensitive).
    fn trace_data_contains(dir: &Path, tags: &BTreeMap<String, String>, needle_lower: &str) -> bool {
        let Ok(location) = crate::artifacts::local_root(&artifact_location(dir, tags)) else {
            return false;
        };
        let Ok(file) = std::fs::File::open(location.join("traces.json")) else {
            return false;
        };
        let mut bytes = Vec::new();
        if file.take(MAX_TRACE_BYTES).read_to_end(&mut bytes).is_err() {
            return false;
        }
        // Span JSON escapes non-ASCII as \uXXXX: an ASCII search finds ASCII text only.
        runlens_core::tables::query::contains_lower(&String::from_utf8_lossy(&bytes), needle_lower)
    }

    pub(super) fn search_traces(&self, req: &SearchTracesRequest) -> Result<Page<TraceSummary>> {
        let Some(exp) = self.find_experiment(&req.experiment_id)? else {
            return Err(not_found(format!(
                "experiment {} does not exist in {}",
                req.experiment_id,
                self.root.display()
            )));
        };
        let needle = needle(&req.text);
        let mut found = Vec::new();
        for (_, dir) in io::subdirs(&exp.dir.join(TRACES))? {
            let Some(read) = self.read_trace(&dir, &req.experiment_id)? else {
                continue;
            };
            if req.status.is_some_and(|s| s != read.summary.status) {
                continue;
            }
            if let Some(n) = &needle {
                if !summary_matches(&read.summary, n) && !Self::trace_data_contains(&dir, &read.tags, n) {
                    continue;
                }
            }
            found.push(read.summary);
        }
        found.sort_by(|a, b| {
            b.timestamp_ms
                .cmp(&a.timestamp_ms)
                .then_with(|| b.trace_id.cmp(&a.trace_id))
        });
        let mut page = req.page.clone();
        page.max_results = Some(
            page.max_results
                .unwrap_or(crate::traces::DEFAULT_PAGE)
                .clamp(1, crate::traces::MAX_PAGE),
        );
        Ok(Page::slice(found, &page)?)
    }

    /// The folder of a trace: looked for in every experiment (a trace id names no experiment).
    fn trace_dir(&self, trace_id: &str) -> Result<Option<(String, PathBuf)>> {
        if !io::is_id(trace_id, 64) {
            return Err(io::invalid(format!("{trace_id:?} is not a trace id")));
        }
        for base in [self.root.clone(), self.trash()] {
            for (exp_id, dir) in io::subdirs(&base)? {
                let candidate = dir.join(TRACES).join(trace_id);
                if candidate.join(TRACE_INFO).is_file() {
                    return Ok(Some((exp_id, candidate)));
                }
            }
        }
        Ok(None)
    }

    /// A trace's info; its spans are read by the caller from `artifacts/traces.json`.
    pub(super) fn get_trace(&self, trace_id: &str) -> Result<(TraceDetail, String)> {
        let missing = || not_found(format!("trace {trace_id} does not exist in {}", self.root.display()));
        let (exp_id, dir) = self.trace_dir(trace_id)?.ok_or_else(missing)?;
        let read = self.read_trace(&dir, &exp_id)?.ok_or_else(missing)?;
        let location = artifact_location(&dir, &read.tags);
        Ok((
            TraceDetail {
                summary: read.summary,
                tags: read.tags,
                metadata: read.metadata,
                spans: Vec::new(),
                notes: Vec::new(),
            },
            location,
        ))
    }
}
