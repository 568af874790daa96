//! How stored strings read on the run page: MaxFlow's JSON-encoded params, long values, system
//! tags, MLflow dataset schemas and profiles. Pure functions (no DOM), so they are easy to test.

use serde_json::Value;

/// Values longer than this, or on several lines, are folded.
pub const FOLD_CHARS: usize = 200;

/// A param value as shown.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// Not JSON: shown as stored.
    Plain(String),
    /// Valid JSON (MaxFlow's `log_params` stores `json.dumps(value)`): strings unquoted, arrays
    /// and objects pretty-printed, scalars as written.
    Json(String),
    /// MaxFlow stored the value as an artifact of this name (`artifact - <key>`).
    Artifact(String),
}

impl ParamValue {
    pub fn decode(stored: &str) -> ParamValue {
        if let Some(name) = stored.strip_prefix("artifact - ").filter(|n| !n.trim().is_empty()) {
            return ParamValue::Artifact(name.to_string());
        }
        match serde_json::from_str::<Value>(stored) {
            Ok(Value::String(s)) => ParamValue::Json(s),
            Ok(v @ (Value::Array(_) | Value::Object(_))) => {
                ParamValue::Json(serde_json::to_string_pretty(&v).unwrap_or_else(|_| stored.to_string()))
            }
            // Numbers, booleans and null read the same decoded; keep the exact text.
            Ok(_) => ParamValue::Json(stored.trim().to_string()),
            Err(_) => ParamValue::Plain(stored.to_string()),
        }
    }
}

/// Whether a value is folded behind a `<details>`.
pub fn is_long(text: &str) -> bool {
    text.contains('\n') || text.chars().count() > FOLD_CHARS
}

/// The summary line of a folded value: its first line, cut to about 80 characters.
pub fn fold_summary(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    let cut: String = first.chars().take(80).collect();
    let lines = text.lines().count();
    let more = if lines > 1 {
        format!(" … ({lines} lines)")
    } else {
        format!(" … ({} characters)", text.chars().count())
    };
    format!("{cut}{more}")
}

/// Tags written by MLflow or MaxFlow themselves, hidden unless asked for.
pub fn is_system_tag(key: &str) -> bool {
    key.starts_with("mlflow.") || key.starts_with("__maxai_")
}

/// A column of an MLflow dataset schema.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaColumn {
    pub name: String,
    pub kind: String,
    pub required: Option<bool>,
}

/// MLflow's dataset schema (`{"mlflow_colspec": [{"name", "type", "required"}]}`, or
/// `mlflow_tensorspec` with `dtype` and `shape`) as columns; `None` when it is something else.
pub fn schema_columns(schema: &str) -> Option<Vec<SchemaColumn>> {
    let value: Value = serde_json::from_str(schema).ok()?;
    let specs = value
        .get("mlflow_colspec")
        .or_else(|| value.get("mlflow_tensorspec"))
        .unwrap_or(&value);
    // A tensor spec may itself be a JSON string inside the JSON.
    let specs: Value = match specs {
        Value::String(s) => serde_json::from_str(s).ok()?,
        other => other.clone(),
    };
    let columns = specs.as_array()?;
    Some(
        columns
            .iter()
            .enumerate()
            .map(|(i, c)| SchemaColumn {
                name: c
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("#{i}")),
                kind: type_text(c),
                required: c.get("required").and_then(Value::as_bool),
            })
            .collect(),
    )
}

/// A column's type: `double`, `Array(string)`, `Object{a: long}`, `tensor float32 (-1, 3)`.
fn type_text(spec: &Value) -> String {
    if let Some(dtype) = spec
        .get("tensor-spec")
        .and_then(|t| t.get("dtype"))
        .or_else(|| spec.get("dtype"))
    {
        let shape = spec
            .get("tensor-spec")
            .and_then(|t| t.get("shape"))
            .or_else(|| spec.get("shape"))
            .map(|s| {
                let dims: Vec<String> = s.as_array().into_iter().flatten().map(|d| d.to_string()).collect();
                format!(" ({})", dims.join(", "))
            })
            .unwrap_or_default();
        return format!("tensor {}{shape}", dtype.as_str().unwrap_or_default());
    }
    match spec.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!(
                "Array({})",
                spec.get("items").map(type_text).unwrap_or_else(|| "?".into())
            )
        }
        Some(Value::String(t)) if t == "object" => {
            let fields: Vec<String> = spec
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(name, field)| format!("{name}: {}", type_text(field)))
                .collect();
            format!("Object{{{}}}", fields.join(", "))
        }
        Some(Value::String(t)) => t.clone(),
        Some(other) => other.to_string(),
        None => "?".into(),
    }
}

/// A dataset profile (`{"num_rows": 100, ...}`) as key/value pairs; `None` when not an object.
pub fn profile_entries(profile: &str) -> Option<Vec<(String, String)>> {
    let value: Value = serde_json::from_str(profile).ok()?;
    let object = value.as_object()?;
    Some(
        object
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect(),
    )
}

/// A dataset source: MLflow stores JSON such as `{"uri": "s3://..."}`; shown as its one value
/// when it has one, pretty JSON when it has several, as stored otherwise.
pub fn source_text(source: &str) -> String {
    match serde_json::from_str::<Value>(source) {
        Ok(Value::Object(map)) if map.len() == 1 => match map.values().next() {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => source.to_string(),
        },
        Ok(v @ Value::Object(_)) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| source.to_string()),
        _ => source.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_decode_like_maxflow_writes_them() {
        assert_eq!(ParamValue::decode("\"adam\""), ParamValue::Json("adam".into()));
        assert_eq!(ParamValue::decode("0.01"), ParamValue::Json("0.01".into()));
        assert_eq!(ParamValue::decode("1e-3"), ParamValue::Json("1e-3".into()));
        assert_eq!(ParamValue::decode("true"), ParamValue::Json("true".into()));
        assert_eq!(ParamValue::decode("null"), ParamValue::Json("null".into()));
        assert_eq!(ParamValue::decode("[1, 2]"), ParamValue::Json("[\n  1,\n  2\n]".into()));
        assert_eq!(
            ParamValue::decode("{\"a\": 1}"),
            ParamValue::Json("{\n  \"a\": 1\n}".into())
        );
        assert_eq!(ParamValue::decode("adam"), ParamValue::Plain("adam".into()));
        assert_eq!(ParamValue::decode(""), ParamValue::Plain("".into()));
        assert_eq!(
            ParamValue::decode("<img src=x onerror=alert(1)>"),
            ParamValue::Plain("<img src=x onerror=alert(1)>".into())
        );
        assert_eq!(
            ParamValue::decode("artifact - prompt_template"),
            ParamValue::Artifact("prompt_template".into())
        );
        assert_eq!(
            ParamValue::decode("artifact - "),
            ParamValue::Plain("artifact - ".into())
        );
        assert_eq!(
            ParamValue::decode("\"line1\\nline2\""),
            ParamValue::Json("line1\nline2".into())
        );
    }

    #[test]
    fn long_values_fold() {
        assert!(!is_long("short"));
        assert!(is_long("a\nb"));
        assert!(is_long(&"x".repeat(201)));
        assert!(!is_long(&"é".repeat(200)));
        assert_eq!(fold_summary("first\nsecond"), "first … (2 lines)");
        assert_eq!(
            fold_summary(&"x".repeat(300)),
            format!("{} … (300 characters)", "x".repeat(80))
        );
    }

    #[test]
    fn system_tags() {
        assert!(is_system_tag("mlflow.runName"));
        assert!(is_system_tag("__maxai_run_type__"));
        assert!(!is_system_tag("feature_view"));
        assert!(!is_system_tag("mlflow"));
    }

    #[test]
    fn schemas_read_as_columns() {
        let schema = r#"{"mlflow_colspec": [{"type": "double", "name": "x", "required": true},
            {"type": "array", "items": {"type": "string"}, "name": "tags", "required": false},
            {"type": "object", "properties": {"role": {"type": "string"}}, "name": "msg"},
            {"type": "long"}]}"#;
        let cols = schema_columns(schema).unwrap();
        assert_eq!(
            cols[0],
            SchemaColumn {
                name: "x".into(),
                kind: "double".into(),
                required: Some(true)
            }
        );
        assert_eq!(cols[1].kind, "Array(string)");
        assert_eq!(cols[1].required, Some(false));
        assert_eq!(cols[2].kind, "Object{role: string}");
        assert_eq!(cols[3].name, "#3");
        let tensor = r#"{"mlflow_tensorspec": "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 3]}}]"}"#;
        assert_eq!(schema_columns(tensor).unwrap()[0].kind, "tensor float32 (-1, 3)");
        assert_eq!(schema_columns("not json"), None);
        assert_eq!(schema_columns("{\"other\": 1}"), None);
    }

    #[test]
    fn profiles_and_sources() {
        assert_eq!(
            profile_entries(r#"{"num_rows": 100, "name": "n"}"#).unwrap(),
            vec![
                ("name".to_string(), "n".to_string()),
                ("num_rows".to_string(), "100".to_string())
            ]
        );
        assert_eq!(profile_entries("[1]"), None);
        assert_eq!(source_text(r#"{"uri": "s3://b/k"}"#), "s3://b/k");
        assert_eq!(source_text("plain"), "plain");
        assert_eq!(source_text(r#"{"a": 1, "b": 2}"#), "{\n  \"a\": 1,\n  \"b\": 2\n}");
    }
}
