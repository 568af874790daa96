//! What the backend sends to show an artifact: a bounded, already-decoded preview. The webview
//! never receives more than [`PREVIEW_LIMIT`] bytes of one artifact.

use serde::{Deserialize, Serialize};

/// Largest number of bytes of one artifact read for a preview; bigger files get a cut preview
/// and "Save as…".
pub const PREVIEW_LIMIT: u64 = 2 * 1024 * 1024;
/// Most CSV rows a preview shows.
pub const PREVIEW_ROWS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactPreview {
    /// The artifact's path relative to the run's artifact root.
    pub path: String,
    pub total_size: Option<u64>,
    /// Only the first [`PREVIEW_LIMIT`] bytes (or [`PREVIEW_ROWS`] rows) are shown.
    pub truncated: bool,
    pub body: PreviewBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PreviewBody {
    /// Plain text, logs, Markdown source, or a file that failed to parse as its extension says
    /// (`note` then says why, e.g. "not valid JSON: expected `,` at line 3 column 5").
    Text {
        text: String,
        #[serde(default)]
        note: Option<String>,
    },
    /// JSON, pretty-printed.
    Json { pretty: String },
    /// YAML, re-indented.
    Yaml { pretty: String },
    /// CSV/TSV or a `log_table` JSON table; cells as text.
    Table {
        columns: Vec<String>,
        rows: Vec<Vec<String>>,
        /// Rows in the whole file when known (more than `rows.len()` when cut).
        total_rows: Option<usize>,
    },
    /// An image the webview can show (png, jpeg, webp, gif), base64-encoded.
    Image { mime: String, base64: String },
    /// An `MLmodel` file as a model card.
    Model(ModelCard),
    /// Not previewable (binary, or an image too large to inline): only size and "Save as…".
    Binary { reason: String },
}

/// An `MLmodel` file read as a model card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ModelCard {
    pub artifact_path: Option<String>,
    pub model_uuid: Option<String>,
    pub mlflow_version: Option<String>,
    pub utc_time_created: Option<String>,
    /// e.g. `llm/v1/chat` (from the `metadata.task` or a flavor's `task`).
    pub task: Option<String>,
    pub flavors: Vec<Flavor>,
    pub signature: Option<Signature>,
    /// The saved input example, pretty-printed, when the model has one.
    pub input_example: Option<String>,
    /// Lines of the model's `requirements.txt`, when present.
    pub requirements: Vec<String>,
}

/// One flavor and its scalar settings (e.g. `loader_module`, `python_version`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flavor {
    pub name: String,
    pub settings: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Signature {
    pub inputs: Vec<SignatureField>,
    pub outputs: Vec<SignatureField>,
    pub params: Vec<SignatureParam>,
}

/// A column or tensor of a signature. `kind` is a readable type such as `string`, `double`,
/// `Array(string)`, `Object{role: string, content: string}` or `tensor float32 (-1, 3)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureField {
    pub name: Option<String>,
    pub kind: String,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureParam {
    pub name: String,
    pub kind: String,
    pub default: String,
    pub shape: Option<String>,
}
