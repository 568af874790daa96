//! Artifact previews: at most [`PREVIEW_LIMIT`] bytes of an artifact turned into something the
//! webview can show (text, pretty JSON or YAML, a table, an image, a model card), decided by the
//! file's name and its first bytes. [`preview_body`] is pure; [`Tracking::preview_artifact`] reads
//! the bytes and, for an `MLmodel`, the input example and `requirements.txt` beside it.

use crate::error::Result;
use crate::facade::Tracking;
use base64::Engine;
use runlens_core::preview::*;
use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

impl Tracking {
    /// A preview of one artifact, read up to [`PREVIEW_LIMIT`] bytes.
    pub async fn preview_artifact(&self, run_id: &str, path: &str) -> Result<ArtifactPreview> {
        let content = self.read_artifact(run_id, path, PREVIEW_LIMIT).await?;
        let mut body = preview_body(path, &content.bytes, content.total_size, content.truncated);
        if let PreviewBody::Model(card) = &mut body {
            // The files beside an `MLmodel` are extras: when one cannot be read, the card shows without it.
            let folder = path.trim_matches('/').rsplit_once('/').map(|(dir, _)| dir);
            let sibling = |name: &str| match folder {
                Some(dir) => format!("{dir}/{name}"),
                None => name.to_string(),
            };
            if let Some(example) = input_example_path(&content.bytes) {
                card.input_example = self
                    .sibling_text(run_id, &sibling(&example))
                    .await
                    .map(|t| pretty_json(&t));
            }
            if let Some(text) = self.sibling_text(run_id, &sibling("requirements.txt")).await {
                card.requirements = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from)
                    .collect();
            }
        }
        let rows_cut = matches!(&body, PreviewBody::Table { rows, total_rows: Some(n), .. } if *n > rows.len());
        Ok(ArtifactPreview {
            path: path.to_string(),
            total_size: content.total_size,
            truncated: content.truncated || rows_cut,
            body,
        })
    }

    /// A small file next to an `MLmodel`, as text; `None` when it cannot be read.
    async fn sibling_text(&self, run_id: &str, path: &str) -> Option<String> {
        let content = self.read_artifact(run_id, path, PREVIEW_LIMIT).await.ok()?;
        Some(String::from_utf8_lossy(&content.bytes).into_owned())
    }
}

/// What an artifact looks like in a preview, from its path (for the extension), its first bytes,
/// its whole size when known, and whether `bytes` was cut at the preview limit.
pub fn preview_body(path: &str, bytes: &[u8], total_size: Option<u64>, truncated: bool) -> PreviewBody {
    let name = path.rsplit('/').next().unwrap_or(path);
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(mime) = image_mime(bytes) {
        if truncated {
            return PreviewBody::Binary {
                reason: format!(
                    "image of {} is too large to preview: use Save as…",
                    size_text(total_size, bytes.len())
                ),
            };
        }
        return PreviewBody::Image {
            mime: mime.to_string(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        };
    }
    let Some(text) = utf8_prefix(bytes, truncated) else {
        return binary(bytes, total_size);
    };
    let cut_note = || {
        format!(
            "cut at {}; the whole file is {}",
            size_text(Some(PREVIEW_LIMIT), 0),
            size_text(total_size, bytes.len())
        )
    };
    if name == "MLmodel" {
        return match (truncated, model_card(text)) {
            (false, Ok(card)) => PreviewBody::Model(card),
            (true, _) => text_with_note(text, cut_note()),
            (false, Err(e)) => text_with_note(text, format!("not a valid MLmodel file: {e}")),
        };
    }
    match extension.as_str() {
        "json" => match serde_json::from_str::<Json>(text) {
            Ok(json) => json_table(&json).unwrap_or_else(|| PreviewBody::Json {
                pretty: serde_json::to_string_pretty(&json).unwrap_or_else(|_| text.to_string()),
            }),
            Err(_) if truncated => text_with_note(text, cut_note()),
            Err(e) => text_with_note(text, format!("not valid JSON: {e}")),
        },
        "yaml" | "yml" => match pretty_yaml(text) {
            Ok(pretty) => PreviewBody::Yaml { pretty },
            Err(_) if truncated => text_with_note(text, cut_note()),
            Err(e) => text_with_note(text, format!("not valid YAML: {e}")),
        },
        "csv" | "tsv" => {
            let delimiter = if extension == "tsv" { b'\t' } else { b',' };
            match csv_table(text, delimiter, truncated) {
                Ok(table) => table,
                Err(e) => text_with_note(text, format!("not valid {}: {e}", extension.to_ascii_uppercase())),
            }
        }
        _ => PreviewBody::Text {
            text: text.to_string(),
            note: None,
        },
    }
}

fn text_with_note(text: &str, note: String) -> PreviewBody {
    PreviewBody::Text {
        text: text.to_string(),
        note: Some(note),
    }
}

/// Text that is not UTF-8, or that holds NUL bytes (UTF-16, most binary formats), is binary.
fn binary(bytes: &[u8], total_size: Option<u64>) -> PreviewBody {
    PreviewBody::Binary {
        reason: format!(
            "binary file of {}: no preview; use Save as… to open it with another program",
            size_text(total_size, bytes.len())
        ),
    }
}

/// The bytes as text: valid UTF-8 without NUL bytes, where a file cut at the preview limit may
/// end in the middle of a character (that character is dropped).
fn utf8_prefix(bytes: &[u8], truncated: bool) -> Option<&str> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // `error_len() == None`: the bytes end inside a character, which a cut explains.
        Err(e) if truncated && e.error_len().is_none() => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    (!text.contains('\0')).then_some(text)
}

/// PNG, JPEG, GIF and WebP, recognised by their signatures (the extension can lie).
fn image_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A size for people: "812 bytes", "3.4 MB", "2 MiB" for the preview limit itself.
pub fn size_text(total_size: Option<u64>, at_least: usize) -> String {
    match total_size {
        Some(PREVIEW_LIMIT) => "2 MiB".into(),
        Some(n) if n < 1000 => format!("{n} bytes"),
        Some(n) if n < 1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        Some(n) if n < 1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        Some(n) => format!("{:.1} GB", n as f64 / 1e9),
        None => format!("more than {}", size_text(Some(at_least as u64), 0)),
    }
}

/// MLflow's `log_table` JSON (pandas "split" orient): `{"columns": [...], "data": [[...], ...]}`.
fn json_table(json: &Json) -> Option<PreviewBody> {
    let object = json.as_object()?;
    let extra_keys = object
        .keys()
        .any(|k| !matches!(k.as_str(), "columns" | "data" | "index"));
    let columns = object.get("columns")?.as_array()?;
    let data = object.get("data")?.as_array()?;
    if extra_keys || !data.iter().all(Json::is_array) {
        return None;
    }
    let cell = |v: &Json| match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(PreviewBody::Table {
        columns: columns.iter().map(cell).collect(),
        rows: data
            .iter()
            .take(PREVIEW_ROWS)
            .map(|row| row.as_array().into_iter().flatten().map(cell).collect())
            .collect(),
        total_rows: Some(data.len()),
    })
}

/// YAML re-serialised with even indentation; several documents stay several.
fn pretty_yaml(text: &str) -> std::result::Result<String, serde_yaml_ng::Error> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let value = Yaml::deserialize(document)?;
        docs.push(serde_yaml_ng::to_string(&value)?);
    }
    Ok(docs.join("---\n"))
}

/// A CSV or TSV file as a table: the first row names the columns, rows may differ in length,
/// at most [`PREVIEW_ROWS`] rows are kept. The last row of a cut file may itself be cut, so it is
/// dropped, and the total is known only when the whole file was read.
fn csv_table(text: &str, delimiter: u8, truncated: bool) -> std::result::Result<PreviewBody, String> {
    if let Some(line) = unclosed_quote(text, delimiter).filter(|_| !truncated) {
        return Err(format!("the quote that opens a field on line {line} is never closed"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let columns: Vec<String> = match records.next() {
        Some(header) => header.map_err(|e| csv_error(&e))?.iter().map(String::from).collect(),
        None => Vec::new(),
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut total = 0usize;
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(_) if truncated => break,
            Err(e) => return Err(csv_error(&e)),
        };
        total += 1;
        if rows.len() < PREVIEW_ROWS {
            rows.push(record.iter().map(String::from).collect());
        } else if truncated {
            break;
        }
    }
    if truncated && rows.len() < PREVIEW_ROWS && total > 0 {
        rows.pop();
    }
    Ok(PreviewBody::Table {
        columns,
        rows,
        total_rows: (!truncated).then_some(total),
    })
}

pub(crate) fn csv_error(e: &csv::Error) -> String {
    match e.position() {
        Some(p) => format!("{e} (line {})", p.line()),
        None => e.to_string(),
    }
}

/// The line of a quote that opens a field and is never closed. The csv reader accepts such a
/// file, with the rest of it in one field, so it is looked for here.
pub(crate) fn unclosed_quote(text: &str, delimiter: u8) -> Option<usize> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut state, mut line, mut opened_on) = (State::FieldStart, 1, 0);
    for b in text.bytes() {
        let ends_field = b == delimiter || b == b'\n';
        state = match (state, b) {
            (State::FieldStart, b'"') => {
                opened_on = line;
                State::Quoted
            }
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, _) if ends_field => State::FieldStart,
            (_, _) => State::Unquoted,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    (state == State::Quoted).then_some(opened_on)
}

/// JSON pretty-printed, or the text unchanged when it is not JSON.
pub(crate) fn pretty_json(text: &str) -> String {
    serde_json::from_str::<Json>(text)
        .ok()
        .and_then(|json| serde_json::to_string_pretty(&json).ok())
        .unwrap_or_else(|| text.to_string())
}

/// Where an `MLmodel` keeps its input example, relative to its folder.
pub(crate) fn input_example_path(mlmodel: &[u8]) -> Option<String> {
    let doc: Yaml = serde_yaml_ng::from_slice(mlmodel).ok()?;
    doc.get("saved_input_example_info")?
        .get("artifact_path")
        .and_then(scalar)
}

/// An `MLmodel` file (YAML) as a model card, without the files beside it.
pub fn model_card(text: &str) -> std::result::Result<ModelCard, String> {
    let doc: Yaml = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    if !doc.is_mapping() {
        return Err("it is not a YAML mapping".into());
    }
    let field = |key: &str| doc.get(key).and_then(scalar);
    let mut flavors = Vec::new();
    if let Some(map) = doc.get("flavors").and_then(Yaml::as_mapping) {
        for (name, settings) in map {
            let mut flat = Vec::new();
            flatten_settings("", settings, &mut flat);
            flavors.push(Flavor {
                name: scalar(name).unwrap_or_default(),
                settings: flat,
            });
        }
    }
    let task = doc
        .get("metadata")
        .and_then(|m| m.get("task"))
        .and_then(scalar)
        .or_else(|| {
            flavors
                .iter()
                .find_map(|f| f.settings.iter().find(|(k, _)| k == "task"))
                .map(|(_, v)| v.clone())
        });
    let signature = match doc.get("signature") {
        Some(sig) if sig.is_mapping() => Some(Signature {
            inputs: signature_fields(sig.get("inputs"))?,
            outputs: signature_fields(sig.get("outputs"))?,
            params: signature_params(sig.get("params"))?,
        }),
        _ => None,
    };
    Ok(ModelCard {
        artifact_path: field("artifact_path"),
        model_uuid: field("model_uuid"),
        mlflow_version: field("mlflow_version"),
        utc_time_created: field("utc_time_created"),
        task,
        flavors,
        signature,
        input_example: None,
        requirements: Vec::new(),
    })
}

/// A YAML scalar as text; `None` for null, mappings and sequences.
fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Tagged(tagged) => scalar(&tagged.value),
        Yaml::Null | Yaml::Sequence(_) | Yaml::Mapping(_) => None,
    }
}

/// A flavor's settings as `key = value` pairs: nested mappings become dotted keys, lists of
/// scalars are joined with ", ", nulls are left out.
fn flatten_settings(prefix: &str, value: &Yaml, out: &mut Vec<(String, String)>) {
    match value {
        Yaml::Mapping(map) => {
            for (key, value) in map {
                let key = scalar(key).unwrap_or_default();
                let key = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                flatten_settings(&key, value, out);
            }
        }
        Yaml::Sequence(items) => {
            let texts: Option<Vec<String>> = items.iter().map(scalar).collect();
            if let Some(texts) = texts.filter(|t| !t.is_empty()) {
                out.push((prefix.to_string(), texts.join(", ")));
            }
        }
        other => {
            if let Some(text) = scalar(other) {
                out.push((prefix.to_string(), text));
            }
        }
    }
}

/// MLflow writes each part of a signature as a JSON string inside the YAML (or null).
fn signature_json(part: Option<&Yaml>) -> std::result::Result<Vec<Json>, String> {
    let Some(text) = part.and_then(scalar) else {
        return Ok(Vec::new());
    };
    match serde_json::from_str::<Json>(&text) {
        Ok(Json::Array(items)) => Ok(items),
        Ok(Json::Null) => Ok(Vec::new()),
        Ok(_) => Err(format!("a signature part is not a JSON list: {text}")),
        Err(e) => Err(format!("a signature part is not valid JSON ({e}): {text}")),
    }
}

fn signature_fields(part: Option<&Yaml>) -> std::result::Result<Vec<SignatureField>, String> {
    Ok(signature_json(part)?
        .iter()
        .map(|spec| SignatureField {
            name: spec.get("name").and_then(Json::as_str).map(String::from),
            kind: type_text(spec),
            required: spec.get("required").and_then(Json::as_bool).unwrap_or(true),
        })
        .collect())
}

fn signature_params(part: Option<&Yaml>) -> std::result::Result<Vec<SignatureParam>, String> {
    Ok(signature_json(part)?
        .iter()
        .map(|spec| SignatureParam {
            name: spec.get("name").and_then(Json::as_str).unwrap_or_default().to_string(),
            kind: type_text(spec),
            default: match spec.get("default") {
                Some(Json::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "null".into(),
            },
            shape: spec.get("shape").filter(|s| !s.is_null()).map(shape_text),
        })
        .collect())
}

/// A readable type for one column, tensor, property or param spec: `string`,
/// `Array(string)`, `Object{role: string, content?: string}` (`?`: optional), `Map(str -> long)`,
/// `tensor float32 (-1, 3)`. An unknown spec is shown as its JSON.
fn type_text(spec: &Json) -> String {
    let Some(kind) = spec.get("type").and_then(Json::as_str) else {
        return spec.to_string();
    };
    match kind {
        "array" => match spec.get("items") {
            Some(items) => format!("Array({})", type_text(items)),
            None => "Array".into(),
        },
        "object" => {
            let properties = spec.get("properties").and_then(Json::as_object);
            let fields: Vec<String> = properties
                .into_iter()
                .flatten()
                .map(|(name, property)| {
                    let optional = property.get("required").and_then(Json::as_bool) == Some(false);
                    format!("{name}{}: {}", if optional { "?" } else { "" }, type_text(property))
                })
                .collect();
            format!("Object{{{}}}", fields.join(", "))
        }
        "map" => match spec.get("values") {
            Some(values) => format!("Map(str -> {})", type_text(values)),
            None => "Map".into(),
        },
        "tensor" => {
            let tensor = spec.get("tensor-spec");
            let dtype = tensor
                .and_then(|t| t.get("dtype"))
                .and_then(Json::as_str)
                .unwrap_or("?");
            match tensor.and_then(|t| t.get("shape")) {
                Some(shape) => format!("tensor {dtype} {}", shape_text(shape)),
                None => format!("tensor {dtype}"),
            }
        }
        "any" => "Any".into(),
        "sparkml_vector" => "SparkML vector".into(),
        other => other.to_string(),
    }
}

/// `[-1, 3]` as `(-1, 3)`.
fn shape_text(shape: &Json) -> String {
    match shape.as_array() {
        Some(dims) => format!(
            "({})",
            dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        ),
        None => shape.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written by `mlflow.pyfunc.log_model` (MLflow 3.17.2) with a signature of a string, an
    /// optional array and an object column, a double output, two params and an input example.
    const LOGGED_MLMODEL: &str = r#"artifact_path: /tmp/mlmodel/mlruns/1/models/m-0e205cd3b8d241dc8fe90ced5a0c6bd1/artifacts
flavors:
  python_function:
    cloudpickle_version: 3.1.3
    code: null
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    python_version: 3.11.7
    streamable: false
is_signature_from_type_hint: false
mlflow_version: 3.17.2
model_id: m-0e205cd3b8d241dc8fe90ced5a0c6bd1
model_size_bytes: 1729
model_uuid: m-0e205cd3b8d241dc8fe90ced5a0c6bd1
prompts: null
run_id: 6edd8f09192a4bba84d4b4b12cd67762
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: '[{"type": "string", "name": "question", "required": true}, {"type": "array",
    "items": {"type": "string"}, "name": "tags", "required": false}, {"type": "object",
    "properties": {"content": {"type": "string", "required": false}, "role": {"type":
    "string", "required": true}}, "name": "message", "required": true}]'
  outputs: '[{"type": "double", "name": "score", "required": true}]'
  params: '[{"name": "temperature", "default": 0.5, "shape": null, "type": "double"},
    {"name": "stop", "default": ["a", "b"], "shape": [-1], "type": "string"}]'
type_hint_from_example: false
utc_time_created: '2026-11-24 15:18:52.119391'
"#;

    /// Written by `mlflow.pyfunc.save_model` (MLflow 3.17.2) with a tensor signature.
    const TENSOR_SIGNATURE: &str = r#"signature:
  inputs: '[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape":
    [-1, 3]}}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
"#;

    fn body(path: &str, bytes: &[u8]) -> PreviewBody {
        preview_body(path, bytes, Some(bytes.len() as u64), false)
    }

    fn field(name: Option<&str>, kind: &str, required: bool) -> SignatureField {
        SignatureField {
            name: name.map(String::from),
            kind: kind.into(),
            required,
        }
    }

    #[test]
    fn mlmodel_becomes_a_model_card() {
        let PreviewBody::Model(card) = body("model/MLmodel", LOGGED_MLMODEL.as_bytes()) else {
            panic!("not a model card")
        };
        assert_eq!(card.mlflow_version.as_deref(), Some("3.17.2"));
        assert_eq!(card.model_uuid.as_deref(), Some("m-0e205cd3b8d241dc8fe90ced5a0c6bd1"));
        assert_eq!(card.utc_time_created.as_deref(), Some("2026-11-24 15:18:52.119391"));
        assert!(card.artifact_path.unwrap().ends_with("/artifacts"));
        assert_eq!(card.task, None);
        assert_eq!(card.flavors.len(), 1);
        let pyfunc = &card.flavors[0];
        assert_eq!(pyfunc.name, "python_function");
        let setting = |k: &str| {
            pyfunc
                .settings
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(setting("loader_module"), Some("mlflow.pyfunc.model"));
        assert_eq!(setting("python_version"), Some("3.11.7"));
        assert_eq!(setting("streamable"), Some("false"));
        assert_eq!(setting("env.conda"), Some("conda.yaml"));
        assert_eq!(setting("code"), None, "nulls are left out");
        let sig = card.signature.unwrap();
        assert_eq!(
            sig.inputs,
            vec![
                field(Some("question"), "string", true),
                field(Some("tags"), "Array(string)", false),
                field(Some("message"), "Object{content?: string, role: string}", true),
            ]
        );
        assert_eq!(sig.outputs, vec![field(Some("score"), "double", true)]);
        assert_eq!(
            sig.params,
            vec![
                SignatureParam {
                    name: "temperature".into(),
                    kind: "double".into(),
                    default: "0.5".into(),
                    shape: None
                },
                SignatureParam {
                    name: "stop".into(),
                    kind: "string".into(),
                    default: r#"["a","b"]"#.into(),
                    shape: Some("(-1)".into())
                },
            ]
        );
        assert_eq!(
            input_example_path(LOGGED_MLMODEL.as_bytes()).as_deref(),
            Some("input_example.json")
        );
    }

    #[test]
    fn mlmodel_tensors_maps_and_tasks() {
        let card = model_card(TENSOR_SIGNATURE).unwrap();
        let sig = card.signature.unwrap();
        assert_eq!(sig.inputs, vec![field(Some("x"), "tensor float32 (-1, 3)", true)]);
        assert_eq!(sig.outputs, vec![field(None, "tensor int64 (-1)", true)]);
        assert!(sig.params.is_empty());

        let llm = "flavors:\n  transformers:\n    task: text-generation\n    components: [model, tokenizer]\n\
                   metadata:\n  task: llm/v1/chat\nsignature:\n  inputs: '[{\"type\": \"map\", \"values\": \
                   {\"type\": \"array\", \"items\": {\"type\": \"long\"}}}, {\"type\": \"any\", \"name\": \"a\"}]'\n";
        let card = model_card(llm).unwrap();
        assert_eq!(card.task.as_deref(), Some("llm/v1/chat"), "metadata.task comes first");
        let settings = &card.flavors[0].settings;
        assert!(settings.contains(&("components".into(), "model, tokenizer".into())));
        let kinds: Vec<String> = card.signature.unwrap().inputs.into_iter().map(|f| f.kind).collect();
        assert_eq!(kinds, vec!["Map(str -> Array(long))", "Any"]);

        let flavor_task = model_card("flavors:\n  transformers:\n    task: text-generation\n").unwrap();
        assert_eq!(flavor_task.task.as_deref(), Some("text-generation"));
        assert!(flavor_task.signature.is_none());
    }

    #[test]
    fn broken_mlmodel_is_text_with_a_note() {
        let PreviewBody::Text { note, .. } = body("MLmodel", b"flavors: [unclosed") else {
            panic!()
        };
        assert!(note.unwrap().starts_with("not a valid MLmodel file"));
        let PreviewBody::Text { note, .. } = body("MLmodel", b"signature:\n  inputs: '[{\"type\": '\n") else {
            panic!()
        };
        assert!(note.unwrap().contains("not valid JSON"));
    }

    #[test]
    fn log_table_json_is_a_table() {
        let json =
            br#"{"columns": ["q", "score", "meta"], "data": [["hi \u00e9", 0.5, null], ["x\/y", 1, {"a": [1]}]]}"#;
        assert_eq!(
            body("eval_results_table.json", json),
            PreviewBody::Table {
                columns: vec!["q".into(), "score".into(), "meta".into()],
                rows: vec![
                    vec!["hi é".into(), "0.5".into(), "null".into()],
                    vec!["x/y".into(), "1".into(), r#"{"a":[1]}"#.into()],
                ],
                total_rows: Some(2),
            }
        );
    }

    #[test]
    fn other_json_is_pretty_and_bad_json_is_text() {
        assert_eq!(
            body("a.JSON", br#"{"b":[1,2]}"#),
            PreviewBody::Json {
                pretty: "{\n  \"b\": [\n    1,\n    2\n  ]\n}".into()
            }
        );
        // Not a table: `data` rows are not lists.
        assert!(matches!(
            body("t.json", br#"{"columns": ["a"], "data": [1]}"#),
            PreviewBody::Json { .. }
        ));
        let PreviewBody::Text { text, note } = body("a.json", b"{\"a\": 1,,}") else {
            panic!()
        };
        assert_eq!(text, "{\"a\": 1,,}");
        assert_eq!(note.unwrap(), "not valid JSON: key must be a string at line 1 column 9");
        let PreviewBody::Text { note, .. } = preview_body("big.json", b"{\"a\": [1, 2", Some(5_000_000), true) else {
            panic!()
        };
        assert_eq!(note.unwrap(), "cut at 2 MiB; the whole file is 5.0 MB");
    }

    #[test]
    fn yaml_is_reindented_and_bad_yaml_is_text() {
        assert_eq!(
            body(
                "conda.yaml",
                b"name: env\ndeps:\n    - python=3.11\n    - pip: [mlflow]\n"
            ),
            PreviewBody::Yaml {
                pretty: "name: env\ndeps:\n- python=3.11\n- pip:\n  - mlflow\n".into()
            }
        );
        assert_eq!(
            body("two.yml", b"a: 1\n---\nb: 2\n"),
            PreviewBody::Yaml {
                pretty: "a: 1\n---\nb: 2\n".into()
            }
        );
        let PreviewBody::Text { note, .. } = body("bad.yaml", b"a: [1\nb: 2\n") else {
            panic!()
        };
        assert!(note.unwrap().starts_with("not valid YAML: "));
    }

    #[test]
    fn csv_and_tsv_are_tables() {
        assert_eq!(
            body("preds.csv", b"inputs,outputs\n\"{'q': 'a, b'}\",yes\nshort\n"),
            PreviewBody::Table {
                columns: vec!["inputs".into(), "outputs".into()],
                rows: vec![vec!["{'q': 'a, b'}".into(), "yes".into()], vec!["short".into()]],
                total_rows: Some(2),
            }
        );
        assert_eq!(
            body("x.tsv", b"a\tb\n1\t2\n"),
            PreviewBody::Table {
                columns: vec!["a".into(), "b".into()],
                rows: vec![vec!["1".into(), "2".into()]],
                total_rows: Some(2 - 1),
            }
        );
        let many: String = std::iter::once("n\n".to_string())
            .chain((0..PREVIEW_ROWS + 10).map(|i| format!("{i}\n")))
            .collect();
        let PreviewBody::Table { rows, total_rows, .. } = body("many.csv", many.as_bytes()) else {
            panic!()
        };
        assert_eq!((rows.len(), total_rows), (PREVIEW_ROWS, Some(PREVIEW_ROWS + 10)));
        // A cut file: the last, possibly cut row is dropped and the total is unknown.
        let PreviewBody::Table { rows, total_rows, .. } = preview_body("cut.csv", b"a,b\n1,2\n3,4\n5,", None, true)
        else {
            panic!()
        };
        assert_eq!((rows.len(), total_rows), (2, None));
        assert_eq!(
            body("empty.csv", b""),
            PreviewBody::Table {
                columns: vec![],
                rows: vec![],
                total_rows: Some(0)
            }
        );
    }

    #[test]
    fn malformed_csv_is_text_with_a_note() {
        let PreviewBody::Text { text, note } = body("odd.csv", b"a,b\n1,2\n3,\"x\n4,5\n") else {
            panic!()
        };
        assert_eq!(text, "a,b\n1,2\n3,\"x\n4,5\n");
        assert_eq!(
            note.unwrap(),
            "not valid CSV: the quote that opens a field on line 3 is never closed"
        );
        // Quotes inside an unquoted field and doubled quotes inside a quoted one are fine.
        let PreviewBody::Table { rows, .. } = body("ok.csv", b"a,b\n5\" screen,\"say \"\"hi\"\"\"\n") else {
            panic!()
        };
        assert_eq!(rows, vec![vec!["5\" screen".to_string(), "say \"hi\"".to_string()]]);
        assert!(matches!(
            body("bin.csv", b"a,b\n\xFF\xFE,1\n"),
            PreviewBody::Binary { .. }
        ));
    }

    #[test]
    fn images_are_recognised_by_their_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(
            body("plots/loss.bin", png),
            PreviewBody::Image {
                mime: "image/png".into(),
                base64: "iVBORw0KGgoAAAANSUhEUg==".into()
            }
        );
        let webp = b"RIFF\x10\0\0\0WEBPVP8 ";
        assert!(matches!(body("t.webp", webp), PreviewBody::Image { mime, .. } if mime == "image/webp"));
        assert!(matches!(body("x.jpg", b"\xFF\xD8\xFF\xE0"), PreviewBody::Image { mime, .. } if mime == "image/jpeg"));
        assert!(matches!(body("x.gif", b"GIF89a.."), PreviewBody::Image { mime, .. } if mime == "image/gif"));
        // A .png that is not one is not shown as an image.
        assert!(matches!(body("fake.png", b"hello"), PreviewBody::Text { .. }));
        assert_eq!(
            preview_body("huge.png", png, Some(12_400_000), true),
            PreviewBody::Binary {
                reason: "image of 12.4 MB is too large to preview: use Save as…".into()
            }
        );
    }

    #[test]
    fn text_and_binary() {
        assert_eq!(
            body("logs/train.log", "épocha 1\n".as_bytes()),
            PreviewBody::Text {
                text: "épocha 1\n".into(),
                note: None
            }
        );
        // Cut inside the two bytes of "é": the partial character is dropped.
        let cut = &"abé".as_bytes()[..3];
        assert_eq!(
            preview_body("notes.md", cut, Some(4), true),
            PreviewBody::Text {
                text: "ab".into(),
                note: None
            }
        );
        // The same bytes in a whole file are not UTF-8.
        assert!(matches!(body("notes.md", cut), PreviewBody::Binary { .. }));
        assert_eq!(
            body("model.pkl", b"\x80\x04\x95"),
            PreviewBody::Binary {
                reason: "binary file of 3 bytes: no preview; use Save as… to open it with another program".into()
            }
        );
        assert!(matches!(body("utf16.txt", b"h\0i\0"), PreviewBody::Binary { .. }));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(size_text(Some(812), 0), "812 bytes");
        assert_eq!(size_text(Some(3_400_000), 0), "3.4 MB");
        assert_eq!(size_text(Some(PREVIEW_LIMIT), 0), "2 MiB");
        assert_eq!(size_text(None, 2_097_152), "more than 2 MiB");
    }
}
