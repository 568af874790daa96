//! The JSON MLflow's REST API answers with, as serde structs: only the fields Runlens reads.
//!
//! MLflow writes its protobuf messages with `MessageToJson`, so a field left at its default may
//! be missing, 64-bit integers may come as strings, and model version numbers always do. Every
//! struct here therefore defaults missing fields, and numbers go through [`int`]. Explicit `null`s
//! are removed before decoding (see [`strip_nulls`]), so they read as missing too.

use runlens_core::MetricValue;
use serde::Deserialize;

/// Deserialisers for numbers that MLflow may send as JSON numbers or as decimal strings.
pub(crate) mod int {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// Reads `12`, `"12"` or `12.0` as `Some(12)`; a missing field is `None` through `#[serde(default)]`.
    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                        .map(|f| f as i64)
                })
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("{n} is not a whole number"))),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => {
                let t = s.trim();
                t.parse::<i64>()
                    .ok()
                    .or_else(|| {
                        t.parse::<f64>()
                            .ok()
                            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                            .map(|f| f as i64)
                    })
                    .map(Some)
                    .ok_or_else(|| D::Error::custom(format!("{s:?} is not a whole number")))
            }
            other => Err(D::Error::custom(format!("expected a number, found {other}"))),
        }
    }
}

/// Puts quotes around every JSON number with a fraction or an exponent (outside strings), so it
/// reaches [`MetricValue`] as text and is parsed exactly. serde_json's default float parsing may
/// be off by one unit in the last place, and a metric must read exactly as MLflow's client reads
/// it. Integers (timestamps, steps) are left as they are.
pub(crate) fn quote_fractional_numbers(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 64);
    let mut i = 0;
    let mut in_string = false;
    while i < json.len() {
        let b = json[i];
        if in_string {
            out.push(b);
            if b == b'\\' && i + 1 < json.len() {
                out.push(json[i + 1]);
                i += 2;
                continue;
            }
            in_string = b != b'"';
            i += 1;
        } else if b == b'"' {
            in_string = true;
            out.push(b);
            i += 1;
        } else if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < json.len() && matches!(json[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                i += 1;
            }
            let number = &json[start..i];
            let fractional = number.iter().any(|c| matches!(c, b'.' | b'e' | b'E'));
            if fractional {
                out.push(b'"');
            }
            out.extend_from_slice(number);
            if fractional {
                out.push(b'"');
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

/// Removes `null` members from every object, so a `null` reads like a missing field.
pub(crate) fn strip_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// MLflow's error answer: `{"error_code": ..., "message": ...}`; the artifact proxy's FastAPI
/// routes answer `{"detail": ...}` instead.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub detail: Option<serde_json::Value>,
}

/// A key/value pair: experiment, run, input, model and version tags, and run params.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Experiment {
    pub experiment_id: String,
    pub name: String,
    pub artifact_location: String,
    pub lifecycle_stage: String,
    #[serde(deserialize_with = "int::opt_i64")]
    pub last_update_time: Option<i64>,
    #[serde(deserialize_with = "int::opt_i64")]
    pub creation_time: Option<i64>,
    pub tags: Vec<KeyValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchExperimentsResponse {
    pub experiments: Vec<Experiment>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExperimentResponse {
    pub experiment: Option<Experiment>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreateExperimentResponse {
    pub experiment_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunInfo {
    pub run_id: String,
    /// Deprecated duplicate of `run_id`, still sent by MLflow 3 (and the only id in MLflow < 1.0).
    pub run_uuid: String,
    pub run_name: String,
    pub experiment_id: String,
    pub user_id: String,
    pub status: String,
    #[serde(deserialize_with = "int::opt_i64")]
    pub start_time: Option<i64>,
    #[serde(deserialize_with = "int::opt_i64")]
    pub end_time: Option<i64>,
    pub artifact_uri: String,
    pub lifecycle_stage: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Metric {
    pub key: String,
    pub value: MetricValue,
    #[serde(deserialize_with = "int::opt_i64")]
    pub timestamp: Option<i64>,
    #[serde(deserialize_with = "int::opt_i64")]
    pub step: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunData {
    pub metrics: Vec<Metric>,
    pub params: Vec<KeyValue>,
    pub tags: Vec<KeyValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Dataset {
    pub name: String,
    pub digest: String,
    pub source_type: String,
    pub source: String,
    pub schema: Option<String>,
    pub profile: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DatasetInput {
    pub tags: Vec<KeyValue>,
    pub dataset: Dataset,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunInputs {
    pub dataset_inputs: Vec<DatasetInput>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Run {
    pub info: RunInfo,
    pub data: RunData,
    pub inputs: RunInputs,
}

/// The answer of `runs/get` and `runs/create`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunResponse {
    pub run: Option<Run>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchRunsResponse {
    pub runs: Vec<Run>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UpdateRunResponse {
    pub run_info: Option<RunInfo>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MetricHistoryResponse {
    pub metrics: Vec<Metric>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FileInfo {
    pub path: String,
    pub is_dir: bool,
    #[serde(deserialize_with = "int::opt_i64")]
    pub file_size: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListArtifactsResponse {
    pub root_uri: Option<String>,
    pub files: Vec<FileInfo>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModelVersion {
    pub name: String,
    #[serde(deserialize_with = "int::opt_i64")]
    pub version: Option<i64>,
    #[serde(deserialize_with = "int::opt_i64")]
    pub creation_timestamp: Option<i64>,
    #[serde(deserialize_with = "int::opt_i64")]
    pub last_updated_timestamp: Option<i64>,
    pub user_id: Option<String>,
    pub current_stage: Option<String>,
    pub description: Option<String>,
    pub source: String,
    pub run_id: Option<String>,
    pub status: String,
    pub status_message: Option<String>,
    pub tags: Vec<KeyValue>,
    pub run_link: Option<String>,
    pub aliases: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Alias {
    pub alias: String,
    #[serde(deserialize_with = "int::opt_i64")]
    pub version: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisteredModel {
    pub name: String,
    #[serde(deserialize_with = "int::opt_i64")]
    pub creation_timestamp: Option<i64>,
    #[serde(deserialize_with = "int::opt_i64")]
    pub last_updated_timestamp: Option<i64>,
    pub description: Option<String>,
    pub latest_versions: Vec<ModelVersion>,
    pub tags: Vec<KeyValue>,
    pub aliases: Vec<Alias>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisteredModelResponse {
    pub registered_model: Option<RegisteredModel>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchRegisteredModelsResponse {
    pub registered_models: Vec<RegisteredModel>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModelVersionResponse {
    pub model_version: Option<ModelVersion>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchModelVersionsResponse {
    pub model_versions: Vec<ModelVersion>,
    pub next_page_token: Option<String>,
}

/// An answer whose content Runlens does not need (`{}` from most writes).
#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode<T: serde::de::DeserializeOwned>(json: &str) -> T {
        let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
        strip_nulls(&mut v);
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn numbers_may_be_strings_and_fields_may_be_missing_or_null() {
        let f: FileInfo = decode(r#"{"path": "a.txt", "file_size": "5000"}"#);
        assert_eq!((f.path.as_str(), f.is_dir, f.file_size), ("a.txt", false, Some(5000)));
        let f: FileInfo = decode(r#"{"path": "d", "is_dir": true, "file_size": null}"#);
        assert_eq!((f.is_dir, f.file_size), (true, None));
        let mv: ModelVersion = decode(r#"{"name": "m", "version": "12", "creation_timestamp": "1700000000000"}"#);
        assert_eq!((mv.version, mv.creation_timestamp), (Some(12), Some(1_700_000_000_000)));
        let m: Metric = decode(r#"{"key": "k", "value": "NaN", "timestamp": 5, "step": 2.0}"#);
        assert!(m.value.get().is_nan());
        assert_eq!((m.timestamp, m.step), (Some(5), Some(2)));
        let e: ErrorBody = decode(r#"{"detail": "Artifact path refers to a directory"}"#);
        assert!(e.error_code.is_none() && e.detail.is_some());
    }

    #[test]
    fn metric_values_are_parsed_exactly() {
        // MLflow's answer for 1/11, which serde_json's default parser reads one ulp off.
        let json =
            br#"{"metrics": [{"key": "a\"1.5", "value": 0.09090909090909091, "timestamp": 1795526702261, "step": 10},
                                    {"key": "b", "value": 1.7976931348623157e+308, "timestamp": 2, "step": -3}]}"#;
        let quoted = quote_fractional_numbers(json);
        let text = String::from_utf8(quoted.clone()).unwrap();
        assert!(
            text.contains(r#""key": "a\"1.5""#) && text.contains(r#""timestamp": 1795526702261"#),
            "{text}"
        );
        let mut v: serde_json::Value = serde_json::from_slice(&quoted).unwrap();
        strip_nulls(&mut v);
        let h: MetricHistoryResponse = serde_json::from_value(v).unwrap();
        assert_eq!(h.metrics[0].value.get(), 1.0 / 11.0);
        assert_eq!(h.metrics[0].value.get().to_string(), "0.09090909090909091");
        assert_eq!(h.metrics[1].value.get(), f64::MAX);
        assert_eq!(h.metrics[1].step, Some(-3));
        assert_eq!(
            quote_fractional_numbers(b"[1,-2.5e3,\"x\"]"),
            b"[1,\"-2.5e3\",\"x\"]".to_vec()
        );
    }

    #[test]
    fn a_malformed_number_is_an_error_not_a_panic() {
        let v = serde_json::json!({"path": "a", "file_size": "lots"});
        assert!(serde_json::from_value::<FileInfo>(v).is_err());
        let v = serde_json::json!({"path": "a", "file_size": [1]});
        assert!(serde_json::from_value::<FileInfo>(v).is_err());
    }
}
