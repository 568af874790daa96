//! Traces on a tracking server: MLflow 3's `POST /api/3.0/mlflow/traces/search` (trace infos)
//! and `GET /api/3.0/mlflow/traces/get` (a trace with its spans). Spans arrive in OTLP's JSON
//! form: ids in base64, attributes as `[{key, value: {string_value | int_value | ...}}]` with
//! nested `kvlist_value` / `array_value`; they are read into the same spans the local stores
//! give.
//!
//! The text search is MLflow's `trace.text ILIKE`, which looks through the spans' contents
//! (names, inputs, outputs) on the server.

use super::client::Call;
use super::RestStore;
use crate::error::Result;
use crate::traces::{iso_ms, span_status, summary, SummaryParts, DEFAULT_PAGE, MAX_PAGE};
use reqwest::Method;
use runlens_core::traces::{place_spans, RawSpan, SearchTracesRequest, TraceDetail, TraceStatus, TraceSummary};
use runlens_core::Page;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const API3: &str = "api/3.0/mlflow";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Info {
    trace_id: String,
    trace_location: Value,
    request_time: Option<String>,
    execution_duration: Option<String>,
    state: Option<String>,
    request_preview: Option<String>,
    response_preview: Option<String>,
    trace_metadata: BTreeMap<String, String>,
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchResponse {
    traces: Vec<Info>,
    next_page_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Trace {
    trace_info: Option<Info>,
    spans: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GetResponse {
    trace: Option<Trace>,
}

/// Protobuf's JSON duration (`"0.027s"`) in milliseconds.
fn duration_ms(text: &str) -> Option<i64> {
    let seconds: f64 = text.trim().strip_suffix('s')?.parse().ok()?;
    Some((seconds * 1000.0).round() as i64)
}

fn to_summary(info: Info) -> (TraceSummary, BTreeMap<String, String>, BTreeMap<String, String>) {
    let experiment_id = info
        .trace_location
        .pointer("/mlflow_experiment/experiment_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let s = summary(
        SummaryParts {
            trace_id: info.trace_id,
            experiment_id,
            timestamp_ms: info.request_time.as_deref().and_then(iso_ms).unwrap_or(0),
            execution_time_ms: info.execution_duration.as_deref().and_then(duration_ms),
            status: info.state.as_deref().map(TraceStatus::parse).unwrap_or_default(),
            request_preview: info.request_preview,
            response_preview: info.response_preview,
            name: None,
            tokens: None,
        },
        &info.trace_metadata,
        &info.tags,
    );
    (s, info.trace_metadata, info.tags)
}

/// An OTLP `AnyValue` as plain JSON.
fn any_value(v: &Value) -> Value {
    let Some(obj) = v.as_object() else {
        return v.clone();
    };
    let int = |x: &Value| x.as_i64().or_else(|| x.as_str()?.parse().ok());
    if let Some(s) = obj.get("string_value") {
        return s.clone();
    }
    if let Some(b) = obj.get("bool_value") {
        return b.clone();
    }
    if let Some(i) = obj.get("int_value") {
        return int(i).map(Value::from).unwrap_or_else(|| i.clone());
    }
    if let Some(d) = obj.get("double_value") {
        return d.clone();
    }
    if let Some(a) = obj.get("array_value") {
        return Value::Array(
            a.get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(any_value)
                .collect(),
        );
    }
    if let Some(kv) = obj.get("kvlist_value") {
        return Value::Object(key_values(kv.get("values")));
    }
    if let Some(b) = obj.get("bytes_value") {
        return b.clone();
    }
    Value::Null
}

/// OTLP's `[{key, value}]` as an object.
fn key_values(list: Option<&Value>) -> Map<String, Value> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|kv| {
            let key = kv.get("key")?.as_str()?.to_string();
            Some((key, kv.get("value").map(any_value).unwrap_or(Value::Null)))
        })
        .collect()
}

/// One OTLP span; `None` when it is not one.
fn otlp_span(span: &Value) -> Option<RawSpan> {
    let obj = span.as_object()?;
    let int = |k: &str| obj.get(k).and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
    let text = |k: &str| obj.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let status = obj.get("status");
    Some(RawSpan {
        span_id: crate::traces::id_hex(text("span_id")?),
        parent_id: text("parent_span_id").map(crate::traces::id_hex),
        name: text("name").unwrap_or_default().to_string(),
        status: span_status(status.and_then(|s| s.get("code")).and_then(Value::as_str).unwrap_or("")),
        status_message: status
            .and_then(|s| s.get("message"))
            .and_then(Value::as_str)
            .map(String::from),
        start_ns: int("start_time_unix_nano")?,
        end_ns: int("end_time_unix_nano"),
        attributes: key_values(obj.get("attributes")).into_iter().collect(),
        events: obj
            .get("events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| {
                let t = e
                    .get("time_unix_nano")
                    .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
                (
                    e.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                    t.unwrap_or(0),
                    key_values(e.get("attributes")).into_iter().collect(),
                )
            })
            .collect(),
    })
}

/// A string literal of MLflow's filter grammar (which has no escapes): single-quoted unless the
/// text holds a single quote; a text with both kinds has its single quotes matched by `_`.
fn literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        format!("'{}'", text.replace('\'', "_"))
    }
}

impl RestStore {
    pub(super) async fn search_traces_impl(&self, req: &SearchTracesRequest) -> Result<Page<TraceSummary>> {
        let mut filters = Vec::new();
        if let Some(status) = req.status {
            filters.push(format!("trace.status = '{}'", status.as_str()));
        }
        if let Some(text) = req.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            filters.push(format!("trace.text ILIKE {}", literal(&format!("%{text}%"))));
        }
        let mut body = json!({
            "locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": req.experiment_id}}],
            "max_results": req.page.max_results.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE),
            "order_by": ["timestamp_ms DESC"],
        });
        if !filters.is_empty() {
            body["filter"] = json!(filters.join(" AND "));
        }
        if let Some(token) = &req.page.page_token {
            body["page_token"] = json!(token);
        }
        let path = format!("{API3}/traces/search");
        let resp: SearchResponse = self
            .client
            .call(&Call::json(Method::POST, &path, &body).read_only())
            .await?;
        Ok(Page {
            items: resp.traces.into_iter().map(|i| to_summary(i).0).collect(),
            next_page_token: resp.next_page_token.filter(|t| !t.is_empty()),
        })
    }

    pub(super) async fn get_trace_impl(&self, trace_id: &str) -> Result<TraceDetail> {
        let path = format!("{API3}/traces/get");
        let query = [("trace_id", trace_id.to_string())];
        let resp: GetResponse = self.client.call(&Call::get(&path, &query)).await?;
        let trace = resp.trace.ok_or_else(|| self.missing("a trace", "traces/get"))?;
        let info = trace
            .trace_info
            .ok_or_else(|| self.missing("the trace's info", "traces/get"))?;
        let (summary, metadata, tags) = to_summary(info);
        let raw: Vec<RawSpan> = trace.spans.iter().filter_map(otlp_span).collect();
        let mut notes = Vec::new();
        let skipped = trace.spans.len() - raw.len();
        if skipped > 0 {
            notes.push(format!("{skipped} spans in the server's answer could not be read"));
        }
        let (spans, cut) = place_spans(raw);
        notes.extend(crate::traces::cut_note(cut));
        Ok(TraceDetail {
            summary,
            tags,
            metadata,
            spans,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otlp_spans_read_like_local_ones() {
        let span: Value = serde_json::from_str(
            r#"{"trace_id":"wvoi9QjPkzUlg3l0vqlX5Q==","span_id":"0s3D/fMhuGw=","parent_span_id":"9gBmSeX9ZBU=","name":"retrieve",
            "start_time_unix_nano":1795537411836863246,"end_time_unix_nano":"1795537411837148713",
            "attributes":[{"key":"mlflow.spanType","value":{"string_value":"RETRIEVER"}},
              {"key":"mlflow.spanInputs","value":{"kvlist_value":{"values":[{"key":"q","value":{"string_value":"what?"}}]}}},
              {"key":"mlflow.spanOutputs","value":{"array_value":{"values":[{"kvlist_value":{"values":[{"key":"id","value":{"int_value":"1"}}]}}]}}},
              {"key":"mlflow.spanLogLevel","value":{"int_value":20}}],
            "events":[{"name":"exception","time_unix_nano":1795537411837000000,"attributes":[{"key":"exception.message","value":{"string_value":"boom"}}]}],
            "status":{"code":"STATUS_CODE_ERROR","message":"ValueError: boom"}}"#,
        )
        .unwrap();
        let raw = otlp_span(&span).unwrap();
        assert_eq!(raw.span_id, "d2cdc3fdf321b86c");
        assert_eq!(raw.parent_id.as_deref(), Some("f6006649e5fd6415"));
        assert_eq!(raw.end_ns.unwrap() - raw.start_ns, 285_467);
        assert_eq!(raw.status, "ERROR");
        assert_eq!(raw.attributes["mlflow.spanInputs"], json!({"q": "what?"}));
        assert_eq!(raw.attributes["mlflow.spanOutputs"], json!([{"id": 1}]));
        assert_eq!(raw.attributes["mlflow.spanLogLevel"], json!(20));
        assert_eq!(raw.events[0].2["exception.message"], json!("boom"));
        let (spans, _) = place_spans(vec![raw]);
        assert_eq!(spans[0].span_type.as_deref(), Some("RETRIEVER"));
    }

    #[test]
    fn infos_read_mlflows_json() {
        let info: Info = serde_json::from_str(
            r#"{"trace_id":"tr-1","trace_location":{"type":"MLFLOW_EXPERIMENT","mlflow_experiment":{"experiment_id":"1"}},
            "request_time":"2026-11-24T16:23:31.809Z","execution_duration":"0.027s","state":"OK",
            "trace_metadata":{"mlflow.trace.tokenUsage":"{\"input_tokens\": 12, \"output_tokens\": 30, \"total_tokens\": 42}"},
            "tags":{"mlflow.traceName":"agent"},"request_preview":"{\"q\": 1}"}"#,
        )
        .unwrap();
        let (s, _, _) = to_summary(info);
        assert_eq!(s.experiment_id, "1");
        assert_eq!(s.timestamp_ms, 1_795_537_411_809);
        assert_eq!(s.execution_time_ms, Some(27));
        assert_eq!(s.name.as_deref(), Some("agent"));
        assert_eq!(s.tokens.unwrap().total(), Some(42));
        assert_eq!(literal("it's"), "\"it's\"");
        assert_eq!(literal("a'b\"c"), "'a_b\"c'");
    }
}
