//! MLflow's trace formats, shared by the stores: the span JSON MLflow writes into the SQLite
//! `spans.content` column and into `traces.json` (`{"spans": [...]}`), the metadata and tags
//! that name a trace, and the text search every store applies the same way.
//!
//! In that JSON, ids are base64 (shown as hex, as MLflow's UI and the `spans` table do), each
//! attribute value is a JSON-encoded string, and event attributes are plain values.

use base64::Engine;
use runlens_core::traces::{self, key, RawSpan, TokenUsage, TraceStatus, TraceSummary};
use serde_json::Value;
use std::collections::BTreeMap;

/// An id as MLflow's span JSON writes it (base64 of its bytes), as hex; text that is not
/// base64 is kept as it is.
pub fn id_hex(text: &str) -> String {
    if text.len().is_multiple_of(4) && !text.is_empty() {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text) {
            if bytes.len() == 8 || bytes.len() == 16 {
                return bytes.iter().map(|b| format!("{b:02x}")).collect();
            }
        }
    }
    text.to_string()
}

/// `STATUS_CODE_OK` → `OK`, `STATUS_CODE_ERROR` → `ERROR`, else `UNSET`.
pub fn span_status(code: &str) -> String {
    match code.trim().trim_start_matches("STATUS_CODE_") {
        "OK" => "OK",
        "ERROR" => "ERROR",
        _ => "UNSET",
    }
    .to_string()
}

/// One span of MLflow's span JSON; `None` when it is not a span (no name, id or start).
pub fn parse_span(span: &Value) -> Option<RawSpan> {
    let obj = span.as_object()?;
    let text = |k: &str| obj.get(k).and_then(Value::as_str);
    let int = |k: &str| obj.get(k).and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
    let status = obj.get("status");
    Some(RawSpan {
        span_id: id_hex(text("span_id")?),
        parent_id: text("parent_span_id").map(id_hex),
        name: text("name").unwrap_or_default().to_string(),
        status: span_status(status.and_then(|s| s.get("code")).and_then(Value::as_str).unwrap_or("")),
        status_message: status
            .and_then(|s| s.get("message"))
            .and_then(Value::as_str)
            .map(String::from),
        start_ns: int("start_time_unix_nano")?,
        end_ns: int("end_time_unix_nano"),
        attributes: obj
            .get("attributes")
            .and_then(Value::as_object)
            .map(|a| {
                a.iter()
                    .map(|(k, v)| {
                        let value = match v {
                            Value::String(s) => traces::decode_attribute(s),
                            other => other.clone(),
                        };
                        (k.clone(), value)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        events: obj
            .get("events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                    e.get("time_unix_nano")
                        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                        .unwrap_or(0),
                    e.get("attributes")
                        .and_then(Value::as_object)
                        .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                )
            })
            .collect(),
    })
}

/// The spans of a `traces.json` (`{"spans": [...]}`); spans that are not spans are counted.
pub fn parse_trace_data(bytes: &[u8]) -> std::result::Result<(Vec<RawSpan>, usize), String> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let list = doc
        .get("spans")
        .and_then(Value::as_array)
        .ok_or("it has no \"spans\" list")?;
    let spans: Vec<RawSpan> = list.iter().filter_map(parse_span).collect();
    let skipped = list.len() - spans.len();
    Ok((spans, skipped))
}

/// Milliseconds since the epoch of an ISO 8601 time as MLflow writes it
/// (`2026-11-24T16:23:35.572Z`, or with `+00:00`).
pub fn iso_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    let (date, rest) = t.split_once(['T', ' '])?;
    let mut d = date.split('-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let (clock, offset_min) = match rest.find(['Z', '+']).or_else(|| rest.rfind('-')) {
        Some(i) => {
            let zone = &rest[i..];
            let offset = if zone == "Z" {
                0
            } else {
                let sign = if zone.starts_with('-') { -1 } else { 1 };
                let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
                let h: i64 = digits.get(0..2)?.parse().ok()?;
                let mm: i64 = digits.get(2..4).unwrap_or("00").parse().ok()?;
                sign * (h * 60 + mm)
            };
            (&rest[..i], offset)
        }
        None => (rest, 0),
    };
    let mut c = clock.split(':');
    let (h, mi): (i64, i64) = (c.next()?.parse().ok()?, c.next()?.parse().ok()?);
    let sec_text = c.next().unwrap_or("0");
    let (s, frac) = sec_text.split_once('.').unwrap_or((sec_text, ""));
    let s: i64 = s.parse().ok()?;
    let ms: i64 = format!("{:0<3}", frac.chars().take(3).collect::<String>())
        .parse()
        .ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let (yy, mm) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + s) - offset_min * 60) * 1000 + ms)
}

/// Traces per page when the request names no size, and the most one page may hold (MLflow's
/// server refuses more than 500).
pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 500;

/// Largest `traces.json` read.
pub const MAX_TRACE_BYTES: u64 = 64 * 1024 * 1024;

/// The note for values [`traces::place_spans`] cut.
pub fn cut_note(cut: usize) -> Option<String> {
    (cut > 0).then(|| {
        format!(
            "{cut} very long value{} cut to {} characters",
            if cut == 1 { " is" } else { "s are" },
            traces::MAX_VALUE_CHARS
        )
    })
}

/// Fills a trace's spans from `traces.json` under its local artifact location (the file store
/// keeps spans there; the SQLite store did before MLflow 3). What cannot be read becomes a
/// note on the trace, never an error: the trace's info is still worth showing.
pub async fn fill_from_trace_data(detail: &mut runlens_core::traces::TraceDetail, location: &str) {
    const FILE: &str = "traces.json";
    match crate::artifacts::read_under(location, FILE, MAX_TRACE_BYTES).await {
        Ok(content) if content.truncated => detail.notes.push(format!(
            "the spans of this trace are in a {FILE} larger than {} MB; Runlens does not open it",
            MAX_TRACE_BYTES / 1_000_000
        )),
        Ok(content) => match parse_trace_data(&content.bytes) {
            Ok((raw, skipped)) => {
                let (spans, cut) = traces::place_spans(raw);
                detail.spans = spans;
                if skipped > 0 {
                    detail.notes.push(format!("{skipped} entries of {FILE} are not spans"));
                }
                detail.notes.extend(cut_note(cut));
            }
            Err(problem) => detail
                .notes
                .push(format!("{location}/{FILE} cannot be read: {problem}")),
        },
        Err(e) => detail.notes.push(format!(
            "the spans of this trace could not be read: {}",
            runlens_core::ApiError::from(e).message
        )),
    }
}

/// A trace's list entry from what every store has: its info fields, metadata and tags.
pub struct SummaryParts {
    pub trace_id: String,
    pub experiment_id: String,
    pub timestamp_ms: i64,
    pub execution_time_ms: Option<i64>,
    pub status: TraceStatus,
    pub request_preview: Option<String>,
    pub response_preview: Option<String>,
    /// A name stored beside the tags (the SQL store's `trace_name` column).
    pub name: Option<String>,
    pub tokens: Option<TokenUsage>,
}

pub fn summary(
    parts: SummaryParts,
    metadata: &BTreeMap<String, String>,
    tags: &BTreeMap<String, String>,
) -> TraceSummary {
    let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
    TraceSummary {
        name: non_empty(parts.name).or_else(|| non_empty(tags.get(key::TRACE_NAME).cloned())),
        request_preview: non_empty(parts.request_preview)
            .or_else(|| non_empty(metadata.get(key::TRACE_INPUTS).cloned()).map(|s| preview(&s))),
        response_preview: non_empty(parts.response_preview)
            .or_else(|| non_empty(metadata.get(key::TRACE_OUTPUTS).cloned()).map(|s| preview(&s))),
        tokens: parts
            .tokens
            .or_else(|| metadata.get(key::TOKEN_USAGE).and_then(|u| TokenUsage::parse(u))),
        run_id: non_empty(metadata.get(key::SOURCE_RUN).cloned()),
        trace_id: parts.trace_id,
        experiment_id: parts.experiment_id,
        timestamp_ms: parts.timestamp_ms,
        execution_time_ms: parts.execution_time_ms,
        status: parts.status,
    }
}

/// MLflow cuts previews at 1,000 characters; so does Runlens when it makes one.
fn preview(text: &str) -> String {
    text.chars().take(1000).collect()
}

/// Whether a trace matches a text search on its id, name and previews (the span contents are
/// searched by the store, where it can).
pub fn summary_matches(summary: &TraceSummary, needle_lower: &str) -> bool {
    use runlens_core::tables::query::contains_lower;
    [
        Some(summary.trace_id.as_str()),
        summary.name.as_deref(),
        summary.request_preview.as_deref(),
        summary.response_preview.as_deref(),
    ]
    .into_iter()
    .flatten()
    .any(|t| contains_lower(t, needle_lower))
}

/// The search text, trimmed and lowered; `None` when empty.
pub fn needle(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A span as MLflow 3.17.2 wrote it into `spans.content`.
    const CONTENT: &str = r#"{"trace_id": "wvoi9QjPkzUlg3l0vqlX5Q==", "span_id": "d6Ii3jGSCmk=", "parent_span_id": "9gBmSeX9ZBU=", "name": "llm", "start_time_unix_nano": 1795537411837251510, "end_time_unix_nano": 1795537411837453119, "events": [{"name": "chunk", "time_unix_nano": 1795537411837367040, "attributes": {"i": 1}}], "status": {"code": "STATUS_CODE_OK", "message": ""}, "attributes": {"mlflow.traceRequestId": "\"tr-c2fa22f508cf933525837974bea957e5\"", "mlflow.spanType": "\"CHAT_MODEL\"", "mlflow.spanInputs": "{\"messages\": [{\"role\": \"user\", \"content\": \"what is mlflow?\"}]}", "mlflow.chat.tokenUsage": "{\"input_tokens\": 12, \"output_tokens\": 30, \"total_tokens\": 42}", "mlflow.spanLogLevel": "20"}, "links": []}"#;

    #[test]
    fn mlflow_span_json_is_read() {
        let span = parse_span(&serde_json::from_str(CONTENT).unwrap()).unwrap();
        assert_eq!(span.span_id, "77a222de31920a69");
        assert_eq!(span.parent_id.as_deref(), Some("f6006649e5fd6415"));
        assert_eq!(span.status, "OK");
        assert_eq!(span.end_ns.unwrap() - span.start_ns, 201_609);
        assert_eq!(span.attributes["mlflow.spanType"], json!("CHAT_MODEL"));
        assert_eq!(span.attributes["mlflow.spanLogLevel"], json!(20));
        assert_eq!(span.attributes["mlflow.chat.tokenUsage"]["total_tokens"], json!(42));
        assert_eq!(span.events[0].0, "chunk");
        assert_eq!(span.events[0].2["i"], json!(1));
        assert!(parse_span(&json!({"name": "no id"})).is_none());
        assert_eq!(span_status("STATUS_CODE_ERROR"), "ERROR");
        assert_eq!(id_hex("not-base64"), "not-base64");
    }

    #[test]
    fn traces_json_with_a_broken_span() {
        let doc = format!(r#"{{"spans": [{CONTENT}, {{"bad": true}}]}}"#);
        let (spans, skipped) = parse_trace_data(doc.as_bytes()).unwrap();
        assert_eq!((spans.len(), skipped), (1, 1));
        assert_eq!(parse_trace_data(b"{}").unwrap_err(), "it has no \"spans\" list");
        assert!(parse_trace_data(b"{").unwrap_err().starts_with("not valid JSON"));
    }

    #[test]
    fn iso_times_as_mlflow_writes_them() {
        assert_eq!(iso_ms("2026-11-24T16:23:35.572Z"), Some(1_795_537_415_572));
        assert_eq!(iso_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(iso_ms("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(iso_ms("2024-02-29T12:00:00.5Z"), Some(1_709_208_000_500));
        assert_eq!(iso_ms("not a time"), None);
    }

    #[test]
    fn summaries_fall_back_to_metadata_and_tags() {
        let metadata = BTreeMap::from([
            (key::TRACE_INPUTS.to_string(), "{\"q\": 1}".to_string()),
            (
                key::TOKEN_USAGE.to_string(),
                "{\"input_tokens\": 1, \"output_tokens\": 2, \"total_tokens\": 3}".to_string(),
            ),
            (key::SOURCE_RUN.to_string(), "abc".to_string()),
        ]);
        let tags = BTreeMap::from([(key::TRACE_NAME.to_string(), "agent".to_string())]);
        let s = summary(
            SummaryParts {
                trace_id: "tr-1".into(),
                experiment_id: "1".into(),
                timestamp_ms: 5,
                execution_time_ms: Some(2),
                status: TraceStatus::Ok,
                request_preview: None,
                response_preview: Some(String::new()),
                name: None,
                tokens: None,
            },
            &metadata,
            &tags,
        );
        assert_eq!(s.name.as_deref(), Some("agent"));
        assert_eq!(s.request_preview.as_deref(), Some("{\"q\": 1}"));
        assert_eq!(s.response_preview, None);
        assert_eq!(s.tokens.unwrap().total(), Some(3));
        assert_eq!(s.run_id.as_deref(), Some("abc"));
        assert!(summary_matches(&s, "agen"));
        assert!(summary_matches(&s, "tr-1"));
        assert!(!summary_matches(&s, "zzz"));
    }
}
