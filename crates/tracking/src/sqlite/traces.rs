//! Traces in the SQLite store: `trace_info` (one row per trace), `trace_tags`,
//! `trace_request_metadata`, and the spans as MLflow's span JSON in `spans.content`. Traces
//! whose spans are not in the database (older MLflow, or `mlflow.trace.spansLocation` other
//! than the tracking store) are read from `traces.json` under their artifact location.
//! Stores written before MLflow 3 may lack columns or the `spans` table: what is missing is
//! left empty.

use super::Db;
use crate::error::Result;
use crate::traces::{needle, parse_span, summary, SummaryParts, DEFAULT_PAGE, MAX_PAGE};
use runlens_core::traces::{place_spans, SearchTracesRequest, TokenUsage, TraceDetail, TraceStatus, TraceSummary};
use runlens_core::{ApiError, Page};
use rusqlite::types::Value as Sql;
use rusqlite::{params_from_iter, OptionalExtension};
use std::collections::{BTreeMap, HashMap};

fn has_table(db: &Db, name: &str) -> Result<bool> {
    db.conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()
        .map(|f| f.is_some())
        .map_err(|e| db.err(e))
}

fn columns(db: &Db, table: &str) -> Result<Vec<String>> {
    let mut stmt = db
        .conn
        .prepare(&format!("PRAGMA table_info({table})"))
        .map_err(|e| db.err(e))?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(1))
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db.err(e))?;
    Ok(names)
}

/// `col` when the table has it, else `NULL`, so one query reads every schema.
fn col_or_null(have: &[String], col: &str) -> String {
    if have.iter().any(|c| c == col) {
        format!("t.{col}")
    } else {
        "NULL".to_string()
    }
}

fn like_pattern(needle: &str) -> String {
    let escaped = needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Key/value rows of one trace from `trace_tags` or `trace_request_metadata`.
fn key_values(db: &Db, table: &str, ids: &[String]) -> Result<HashMap<String, BTreeMap<String, String>>> {
    let mut out: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    if ids.is_empty() || !has_table(db, table)? {
        return Ok(out);
    }
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!("SELECT request_id, key, value FROM {table} WHERE request_id IN ({marks})");
        let mut stmt = db.conn.prepare(&sql).map_err(|e| db.err(e))?;
        let rows = stmt
            .query_map(params_from_iter(chunk.iter()), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .map_err(|e| db.err(e))?;
        for row in rows {
            let (id, k, v) = row.map_err(|e| db.err(e))?;
            out.entry(id).or_default().insert(k, v.unwrap_or_default());
        }
    }
    Ok(out)
}

struct InfoRow {
    id: String,
    experiment_id: i64,
    timestamp_ms: i64,
    execution_time_ms: Option<i64>,
    status: String,
    request_preview: Option<String>,
    response_preview: Option<String>,
    name: Option<String>,
    tokens: [Option<i64>; 3],
}

fn select(have: &[String]) -> String {
    format!(
        "SELECT t.request_id, t.experiment_id, t.timestamp_ms, t.execution_time_ms, t.status, \
         {}, {}, {}, {}, {}, {} FROM trace_info t",
        col_or_null(have, "request_preview"),
        col_or_null(have, "response_preview"),
        col_or_null(have, "trace_name"),
        col_or_null(have, "input_tokens"),
        col_or_null(have, "output_tokens"),
        col_or_null(have, "total_tokens"),
    )
}

fn info_row(r: &rusqlite::Row) -> rusqlite::Result<InfoRow> {
    Ok(InfoRow {
        id: r.get(0)?,
        experiment_id: r.get(1)?,
        timestamp_ms: r.get(2)?,
        execution_time_ms: r.get(3)?,
        status: r.get(4)?,
        request_preview: r.get(5)?,
        response_preview: r.get(6)?,
        name: r.get(7)?,
        tokens: [r.get(8)?, r.get(9)?, r.get(10)?],
    })
}

fn to_summary(row: InfoRow, metadata: &BTreeMap<String, String>, tags: &BTreeMap<String, String>) -> TraceSummary {
    let [input_tokens, output_tokens, total_tokens] = row.tokens;
    let tokens = TokenUsage {
        input_tokens,
        output_tokens,
        total_tokens,
    };
    summary(
        SummaryParts {
            trace_id: row.id,
            experiment_id: row.experiment_id.to_string(),
            timestamp_ms: row.timestamp_ms,
            execution_time_ms: row.execution_time_ms,
            status: TraceStatus::parse(&row.status),
            request_preview: row.request_preview,
            response_preview: row.response_preview,
            name: row.name,
            tokens: (tokens != TokenUsage::default()).then_some(tokens),
        },
        metadata,
        tags,
    )
}

pub(crate) fn search(db: &Db, req: &SearchTracesRequest) -> Result<Page<TraceSummary>> {
    if !has_table(db, "trace_info")? {
        return Ok(Page::last(Vec::new()));
    }
    let experiment: i64 = req
        .experiment_id
        .parse()
        .map_err(|_| ApiError::invalid(format!("{:?} is not an experiment id of this store", req.experiment_id)))?;
    let have = columns(db, "trace_info")?;
    let mut sql = select(&have);
    sql.push_str(" WHERE t.experiment_id = ?");
    let mut args: Vec<Sql> = vec![Sql::Integer(experiment)];
    if let Some(status) = req.status {
        sql.push_str(" AND t.status = ?");
        args.push(Sql::Text(status.as_str().to_string()));
    }
    if let Some(needle) = needle(&req.text) {
        let pattern = like_pattern(&needle);
        let mut fields = vec!["t.request_id".to_string()];
        for c in ["trace_name", "request_preview", "response_preview"] {
            if have.iter().any(|h| h == c) {
                fields.push(format!("t.{c}"));
            }
        }
        let mut ors: Vec<String> = fields.iter().map(|f| format!("{f} LIKE ? ESCAPE '\\'")).collect();
        ors.push(
            "EXISTS (SELECT 1 FROM trace_tags g WHERE g.request_id = t.request_id AND g.key = 'mlflow.traceName' \
             AND g.value LIKE ? ESCAPE '\\')"
                .into(),
        );
        if has_table(db, "spans")? {
            ors.push(
                "EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.request_id AND s.content LIKE ? ESCAPE '\\')"
                    .into(),
            );
        }
        args.extend(std::iter::repeat_n(Sql::Text(pattern), ors.len()));
        sql.push_str(&format!(" AND ({})", ors.join(" OR ")));
    }
    let offset = req.page.offset()?;
    let limit = req.page.max_results.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    sql.push_str(" ORDER BY t.timestamp_ms DESC, t.request_id DESC LIMIT ? OFFSET ?");
    args.push(Sql::Integer(limit as i64 + 1));
    args.push(Sql::Integer(offset as i64));
    let mut stmt = db.conn.prepare(&sql).map_err(|e| db.err(e))?;
    let mut rows = stmt
        .query_map(params_from_iter(args), info_row)
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db.err(e))?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut metadata = key_values(db, "trace_request_metadata", &ids)?;
    let mut tags = key_values(db, "trace_tags", &ids)?;
    let items = rows
        .into_iter()
        .map(|row| {
            let m = metadata.remove(&row.id).unwrap_or_default();
            let t = tags.remove(&row.id).unwrap_or_default();
            to_summary(row, &m, &t)
        })
        .collect();
    Ok(Page {
        items,
        next_page_token: more.then(|| (offset + limit).to_string()),
    })
}

/// A trace's info, tags, metadata and the span JSON rows the database holds (none when its
/// spans live elsewhere).
pub(crate) struct StoredTrace {
    pub detail: TraceDetail,
    pub span_rows: usize,
}

pub(crate) fn get(db: &Db, trace_id: &str) -> Result<StoredTrace> {
    let missing = || ApiError::not_found(format!("trace {trace_id} does not exist in this store"));
    if !has_table(db, "trace_info")? {
        return Err(missing().into());
    }
    let have = columns(db, "trace_info")?;
    let sql = format!("{} WHERE t.request_id = ?1", select(&have));
    let row = db
        .conn
        .query_row(&sql, [trace_id], info_row)
        .optional()
        .map_err(|e| db.err(e))?
        .ok_or_else(missing)?;
    let ids = vec![trace_id.to_string()];
    let metadata = key_values(db, "trace_request_metadata", &ids)?
        .remove(trace_id)
        .unwrap_or_default();
    let tags = key_values(db, "trace_tags", &ids)?.remove(trace_id).unwrap_or_default();
    let mut raw = Vec::new();
    let mut notes = Vec::new();
    let mut broken = 0;
    if has_table(db, "spans")? {
        let mut stmt = db
            .conn
            .prepare("SELECT content FROM spans WHERE trace_id = ?1 ORDER BY start_time_unix_nano")
            .map_err(|e| db.err(e))?;
        let contents = stmt
            .query_map([trace_id], |r| r.get::<_, String>(0))
            .map_err(|e| db.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db.err(e))?;
        for content in contents {
            match serde_json::from_str(&content).ok().as_ref().and_then(parse_span) {
                Some(span) => raw.push(span),
                None => broken += 1,
            }
        }
    }
    if broken > 0 {
        notes.push(format!(
            "{broken} span{} of this trace could not be read",
            if broken == 1 { "" } else { "s" }
        ));
    }
    let span_rows = raw.len() + broken;
    let (spans, cut) = place_spans(raw);
    notes.extend(crate::traces::cut_note(cut));
    let summary = to_summary(row, &metadata, &tags);
    Ok(StoredTrace {
        detail: TraceDetail {
            summary,
            tags,
            metadata,
            spans,
            notes,
        },
        span_rows,
    })
}

/// Where a trace keeps its `traces.json` when its spans are not in the database.
pub(crate) fn artifact_location(detail: &TraceDetail) -> Option<String> {
    detail
        .tags
        .get("mlflow.artifactLocation")
        .cloned()
        .filter(|l| !l.is_empty())
}
