//! MLflow traces (issue #8): a trace's summary for the list (status, time, duration, name,
//! request and response previews, token counts) and a whole trace with its spans, as every
//! store answers them; plus the span tree and waterfall the trace page draws.
//!
//! Span times travel as nanoseconds **relative to the trace's first span**: absolute Unix
//! nanoseconds do not fit in a JavaScript number.

use crate::page::PageRequest;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// A trace's state, as MLflow 3 names it (`OK`, `ERROR`, `IN_PROGRESS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TraceStatus {
    Ok,
    Error,
    InProgress,
    #[default]
    #[serde(other)]
    Unspecified,
}

impl TraceStatus {
    /// MLflow's spellings, old and new (`STATE_UNSPECIFIED`, `TRACE_STATUS_UNSPECIFIED`, ...).
    pub fn parse(text: &str) -> TraceStatus {
        match text.trim().to_ascii_uppercase().as_str() {
            "OK" => TraceStatus::Ok,
            "ERROR" => TraceStatus::Error,
            "IN_PROGRESS" => TraceStatus::InProgress,
            _ => TraceStatus::Unspecified,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TraceStatus::Ok => "OK",
            TraceStatus::Error => "ERROR",
            TraceStatus::InProgress => "IN_PROGRESS",
            TraceStatus::Unspecified => "STATE_UNSPECIFIED",
        }
    }
}

/// Token counts of a trace (MLflow's `mlflow.trace.tokenUsage`, or the SQL store's columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TokenUsage {
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub total_tokens: Option<i64>,
}

impl TokenUsage {
    /// `{"input_tokens": 12, "output_tokens": 30, "total_tokens": 42}`; `None` when nothing in it
    /// is a count.
    pub fn parse(json: &str) -> Option<TokenUsage> {
        let v: Value = serde_json::from_str(json).ok()?;
        TokenUsage::from_json(&v)
    }

    pub fn from_json(v: &Value) -> Option<TokenUsage> {
        let n = |k: &str| v.get(k).and_then(Value::as_i64);
        let usage = TokenUsage {
            input_tokens: n("input_tokens").or_else(|| n("prompt_tokens")),
            output_tokens: n("output_tokens").or_else(|| n("completion_tokens")),
            total_tokens: n("total_tokens"),
        };
        (usage != TokenUsage::default()).then_some(usage)
    }

    /// The total, or input + output when no total was recorded.
    pub fn total(&self) -> Option<i64> {
        self.total_tokens.or(match (self.input_tokens, self.output_tokens) {
            (Some(i), Some(o)) => Some(i + o),
            (i, o) => i.or(o),
        })
    }
}

/// One row of the traces list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSummary {
    pub trace_id: String,
    pub experiment_id: String,
    /// When the trace started (ms since the epoch).
    pub timestamp_ms: i64,
    pub execution_time_ms: Option<i64>,
    pub status: TraceStatus,
    pub name: Option<String>,
    pub request_preview: Option<String>,
    pub response_preview: Option<String>,
    pub tokens: Option<TokenUsage>,
    /// The run the trace was logged in (`mlflow.sourceRun`), when any.
    pub run_id: Option<String>,
}

/// Metadata keys MLflow writes on traces.
pub mod key {
    pub const TOKEN_USAGE: &str = "mlflow.trace.tokenUsage";
    pub const SOURCE_RUN: &str = "mlflow.sourceRun";
    pub const TRACE_NAME: &str = "mlflow.traceName";
    pub const TRACE_INPUTS: &str = "mlflow.traceInputs";
    pub const TRACE_OUTPUTS: &str = "mlflow.traceOutputs";
    pub const SPAN_INPUTS: &str = "mlflow.spanInputs";
    pub const SPAN_OUTPUTS: &str = "mlflow.spanOutputs";
    pub const SPAN_TYPE: &str = "mlflow.spanType";
    pub const CHAT_USAGE: &str = "mlflow.chat.tokenUsage";
}

/// `search_traces`: one experiment's traces, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SearchTracesRequest {
    pub experiment_id: String,
    /// Only traces in this state.
    #[serde(default)]
    pub status: Option<TraceStatus>,
    /// Text looked for (case-insensitive) in the trace's id, name, request and response, and in
    /// its spans' contents.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub page: PageRequest,
}

/// `get_trace`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRequest {
    pub trace_id: String,
}

/// An event of a span (an exception, a streamed chunk).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanEvent {
    pub name: String,
    /// Nanoseconds after the trace's first span started.
    pub offset_ns: i64,
    pub attributes: BTreeMap<String, Value>,
}

/// One span, its values decoded (MLflow stores each attribute as a JSON string).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    /// `CHAT_MODEL`, `RETRIEVER`, `TOOL`, ... (`mlflow.spanType`).
    pub span_type: Option<String>,
    /// `OK`, `ERROR` or `UNSET`.
    pub status: String,
    pub status_message: Option<String>,
    /// Nanoseconds after the trace's first span started.
    pub offset_ns: i64,
    /// `None` while the span runs.
    pub duration_ns: Option<i64>,
    pub inputs: Option<Value>,
    pub outputs: Option<Value>,
    /// The other attributes (inputs, outputs and type left out).
    pub attributes: BTreeMap<String, Value>,
    pub events: Vec<SpanEvent>,
}

/// A whole trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceDetail {
    pub summary: TraceSummary,
    pub tags: BTreeMap<String, String>,
    pub metadata: BTreeMap<String, String>,
    /// In start order.
    pub spans: Vec<Span>,
    /// Why spans are missing or cut, when they are.
    pub notes: Vec<String>,
}

/// A span as read from a store, with absolute times, before [`place_spans`].
#[derive(Debug, Clone, PartialEq)]
pub struct RawSpan {
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub status: String,
    pub status_message: Option<String>,
    pub start_ns: i64,
    pub end_ns: Option<i64>,
    pub attributes: BTreeMap<String, Value>,
    /// (name, time in ns, attributes)
    pub events: Vec<(String, i64, BTreeMap<String, Value>)>,
}

/// Longest string kept in a span's values; longer ones are cut (the trace page is not the
/// place to read megabytes, and a trace must not block the window).
pub const MAX_VALUE_CHARS: usize = 100_000;

/// Spans with times relative to the first start, inputs, outputs and type taken out of the
/// attributes, strings longer than [`MAX_VALUE_CHARS`] cut; ordered by start. Answers the spans
/// and how many strings were cut.
pub fn place_spans(raw: Vec<RawSpan>) -> (Vec<Span>, usize) {
    let origin = raw.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let mut cut = 0;
    let mut spans: Vec<Span> = raw
        .into_iter()
        .map(|mut s| {
            let inputs = s.attributes.remove(key::SPAN_INPUTS);
            let outputs = s.attributes.remove(key::SPAN_OUTPUTS);
            let span_type = s
                .attributes
                .remove(key::SPAN_TYPE)
                .and_then(|v| v.as_str().map(String::from));
            let mut cap = |v: Option<Value>| v.map(|v| cap_strings(v, &mut cut));
            let inputs = cap(inputs);
            let outputs = cap(outputs);
            let attributes = s
                .attributes
                .into_iter()
                .map(|(k, v)| (k, cap_strings(v, &mut cut)))
                .collect();
            Span {
                span_id: s.span_id,
                parent_id: s.parent_id.filter(|p| !p.is_empty()),
                name: s.name,
                span_type,
                status: s.status,
                status_message: s.status_message.filter(|m| !m.is_empty()),
                offset_ns: s.start_ns - origin,
                duration_ns: s.end_ns.map(|e| (e - s.start_ns).max(0)),
                inputs,
                outputs,
                attributes,
                events: s
                    .events
                    .into_iter()
                    .map(|(name, t, attributes)| SpanEvent {
                        name,
                        offset_ns: t - origin,
                        attributes: attributes
                            .into_iter()
                            .map(|(k, v)| (k, cap_strings(v, &mut cut)))
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    spans.sort_by(|a, b| a.offset_ns.cmp(&b.offset_ns).then_with(|| a.span_id.cmp(&b.span_id)));
    (spans, cut)
}

fn cap_strings(v: Value, cut: &mut usize) -> Value {
    match v {
        Value::String(s) if s.len() > MAX_VALUE_CHARS && s.chars().count() > MAX_VALUE_CHARS => {
            *cut += 1;
            let total = s.chars().count();
            let mut kept: String = s.chars().take(MAX_VALUE_CHARS).collect();
            kept.push_str(&format!("… [cut: {total} characters in all]"));
            Value::String(kept)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|i| cap_strings(i, cut)).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, cap_strings(v, cut))).collect()),
        other => other,
    }
}

/// A span attribute as MLflow stores it: a JSON-encoded string, read back as its value (text
/// that is not JSON stays text).
pub fn decode_attribute(stored: &str) -> Value {
    serde_json::from_str(stored).unwrap_or_else(|_| Value::String(stored.to_string()))
}

/// A span's place in the tree: its index in the trace's spans and its depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeEntry {
    pub index: usize,
    pub depth: usize,
    pub children: usize,
}

/// The spans as a tree in display order: children under their parent by start time; spans
/// whose parent is not in the trace are roots. Cycles (a broken store) cannot loop: each span
/// appears once.
pub fn span_tree(spans: &[Span]) -> Vec<TreeEntry> {
    let ids: HashMap<&str, usize> = spans.iter().enumerate().map(|(i, s)| (s.span_id.as_str(), i)).collect();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        match s.parent_id.as_deref().and_then(|p| ids.get(p)) {
            Some(&p) if p != i => children.entry(p).or_default().push(i),
            _ => roots.push(i),
        }
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut placed = vec![false; spans.len()];
    // Roots first; then any span only reachable through a cycle, as a root of its own.
    for start in roots.into_iter().chain(0..spans.len()) {
        let mut stack = vec![(start, 0)];
        while let Some((i, depth)) = stack.pop() {
            if placed[i] {
                continue;
            }
            placed[i] = true;
            let kids = children.get(&i).map(Vec::as_slice).unwrap_or(&[]);
            out.push(TreeEntry {
                index: i,
                depth,
                children: kids.len(),
            });
            stack.extend(kids.iter().rev().map(|&c| (c, depth + 1)));
        }
    }
    out
}

/// The trace's length for the waterfall: the latest end (or start) of any span.
pub fn trace_span_ns(spans: &[Span]) -> i64 {
    spans
        .iter()
        .map(|s| s.offset_ns + s.duration_ns.unwrap_or(0))
        .max()
        .unwrap_or(0)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(id: &str, parent: Option<&str>, start: i64, end: i64) -> RawSpan {
        RawSpan {
            span_id: id.into(),
            parent_id: parent.map(String::from),
            name: id.into(),
            status: "OK".into(),
            status_message: None,
            start_ns: start,
            end_ns: Some(end),
            attributes: BTreeMap::new(),
            events: vec![],
        }
    }

    #[test]
    fn spans_are_placed_relative_to_the_first_start() {
        let t0 = 1_795_537_411_809_610_042;
        let mut root = raw("root", None, t0, t0 + 27_930_298);
        root.attributes
            .insert(key::SPAN_INPUTS.into(), json!({"q": "x".repeat(MAX_VALUE_CHARS + 5)}));
        root.attributes.insert(key::SPAN_TYPE.into(), json!("CHAT_MODEL"));
        root.attributes.insert("other".into(), json!(1));
        root.events.push(("exception".into(), t0 + 10, BTreeMap::new()));
        let child = raw("child", Some("root"), t0 + 100, t0 + 200);
        let (spans, cut) = place_spans(vec![child, root]);
        assert_eq!(cut, 1);
        assert_eq!(spans[0].span_id, "root");
        assert_eq!((spans[0].offset_ns, spans[0].duration_ns), (0, Some(27_930_298)));
        assert_eq!(spans[0].span_type.as_deref(), Some("CHAT_MODEL"));
        assert_eq!(spans[0].attributes.keys().collect::<Vec<_>>(), vec!["other"]);
        assert!(spans[0].inputs.as_ref().unwrap()["q"]
            .as_str()
            .unwrap()
            .ends_with("[cut: 100005 characters in all]"));
        assert_eq!(spans[0].events[0].offset_ns, 10);
        assert_eq!(spans[1].offset_ns, 100);
        assert_eq!(trace_span_ns(&spans), 27_930_298);
    }

    #[test]
    fn the_tree_nests_children_and_survives_orphans_and_cycles() {
        let (spans, _) = place_spans(vec![
            raw("a", None, 0, 100),
            raw("b", Some("a"), 10, 20),
            raw("c", Some("b"), 11, 12),
            raw("d", Some("a"), 30, 40),
            raw("orphan", Some("gone"), 50, 60),
            raw("x", Some("y"), 70, 80),
            raw("y", Some("x"), 71, 81),
        ]);
        let tree: Vec<(String, usize)> = span_tree(&spans)
            .iter()
            .map(|e| (spans[e.index].span_id.clone(), e.depth))
            .collect();
        let expected: Vec<(String, usize)> = [
            ("a", 0),
            ("b", 1),
            ("c", 2),
            ("d", 1),
            ("orphan", 0),
            ("x", 0),
            ("y", 1),
        ]
        .iter()
        .map(|(s, d)| (s.to_string(), *d))
        .collect();
        assert_eq!(tree, expected);
    }

    #[test]
    fn token_usage_and_statuses() {
        let u = TokenUsage::parse(r#"{"input_tokens": 12, "output_tokens": 30, "total_tokens": 42}"#).unwrap();
        assert_eq!(u.total(), Some(42));
        let u = TokenUsage::from_json(&json!({"prompt_tokens": 5, "completion_tokens": 7})).unwrap();
        assert_eq!((u.input_tokens, u.total()), (Some(5), Some(12)));
        assert_eq!(TokenUsage::parse("{}"), None);
        assert_eq!(TraceStatus::parse("in_progress"), TraceStatus::InProgress);
        assert_eq!(TraceStatus::parse("STATE_UNSPECIFIED"), TraceStatus::Unspecified);
        let s: TraceStatus = serde_json::from_str("\"TRACE_STATUS_UNSPECIFIED\"").unwrap();
        assert_eq!(s, TraceStatus::Unspecified);
        assert_eq!(
            serde_json::to_string(&TraceStatus::InProgress).unwrap(),
            "\"IN_PROGRESS\""
        );
        assert_eq!(decode_attribute("\"RETRIEVER\""), json!("RETRIEVER"));
        assert_eq!(decode_attribute("not json"), json!("not json"));
    }
}
