//! LLM tables (issue #8): the tables a run holds (`log_table` JSON, evaluation tables, the legacy
//! `llm_predictions.csv`, parquet and CSV files), their cells, and the pure logic over them:
//! which artifact is a table ([`detect`]), how a stored string reads as a cell ([`pyrepr`],
//! [`Cell::from_text`]), sorting, searching and filtering rows ([`query`]), joining one table
//! across runs ([`join`]), and prompt templates ([`prompt`]).
//!
//! The backend parses a table once and keeps it; **the webview only ever receives a window of
//! rows**, with long cells cut ([`Cell::cut`]) and fetched whole one at a time.

pub mod detect;
pub mod join;
pub mod prompt;
pub mod pyrepr;
pub mod query;

use crate::metric::MetricValue;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest text of one cell in a window of rows; the whole cell is fetched on its own.
pub const CELL_PREVIEW_CHARS: usize = 600;
/// Most rows in one window.
pub const MAX_WINDOW_ROWS: usize = 500;

/// What kind of table an artifact is, as shown beside its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// `mlflow.log_table` JSON (pandas "split" orient).
    LogTable,
    /// An evaluation table such as `eval_results_table.json`.
    Evaluation,
    /// The legacy `llm_predictions.csv` of `mlflow.llm.log_predictions`.
    LegacyPredictions,
    Parquet,
    Csv,
}

impl TableKind {
    pub fn label(self) -> &'static str {
        match self {
            TableKind::LogTable => "log_table",
            TableKind::Evaluation => "evaluation",
            TableKind::LegacyPredictions => "llm predictions",
            TableKind::Parquet => "parquet",
            TableKind::Csv => "CSV",
        }
    }
}

/// One table a run holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRef {
    /// Relative to the run's artifact root.
    pub path: String,
    pub kind: TableKind,
    pub size: Option<u64>,
    /// Listed as a table in the run tag `mlflow.loggedArtifacts`.
    pub logged: bool,
}

/// The tables of a run, and the prompt templates its params fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunTables {
    pub run_id: String,
    pub tables: Vec<TableRef>,
    /// Why some artifacts could not be looked at (a folder that cannot be listed, a listing cut
    /// short); the tables found are still usable.
    pub notes: Vec<String>,
    pub prompts: Vec<prompt::FilledPrompt>,
}

/// A `log_table` image cell: `{"type": "image", "filepath": ..., "compressed_filepath": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageCell {
    /// Relative to the run's artifact root.
    pub filepath: String,
    pub compressed_filepath: Option<String>,
}

/// One cell, as read from the table. Text is always text: nothing in a cell is ever markup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Cell {
    Null,
    Bool(bool),
    Number(MetricValue),
    Text(String),
    /// An object or list (dict cells, chat message lists, nested parquet values).
    Json(Value),
    Image(ImageCell),
    /// A long cell of a window, cut to its beginning; `chars` is its whole length in characters.
    /// Ask for the cell by row and column to get all of it.
    Cut {
        preview: String,
        chars: usize,
        kind: ColumnKind,
    },
}

/// What a column holds, from its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    #[default]
    Empty,
    Text,
    Number,
    Bool,
    Json,
    /// Lists of `{role, content}` messages.
    Chat,
    Image,
    /// Different kinds in different rows.
    Mixed,
}

impl ColumnKind {
    /// Numbers and booleans: columns aggregated per run.
    pub fn is_score(self) -> bool {
        matches!(self, ColumnKind::Number | ColumnKind::Bool)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableColumn {
    pub name: String,
    pub kind: ColumnKind,
}

/// A parsed table (kept by the backend; never sent whole).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableData {
    pub columns: Vec<TableColumn>,
    /// Every row has exactly `columns.len()` cells (short rows are padded with nulls).
    pub rows: Vec<Vec<Cell>>,
    /// What was odd but not fatal (rows of other lengths, a CSV cut by a limit).
    pub notes: Vec<String>,
}

impl TableData {
    /// A table from column names and rows of cells: rows are padded or cut to the columns (noted),
    /// and each column's kind is found from its cells.
    pub fn new(names: Vec<String>, mut rows: Vec<Vec<Cell>>) -> TableData {
        let width = names.len();
        let mut notes = Vec::new();
        let odd = rows.iter().filter(|r| r.len() != width).count();
        if odd > 0 {
            notes.push(format!(
                "{odd} row{} did not have {width} cells; missing cells are empty and extra ones are left out",
                if odd == 1 { "" } else { "s" }
            ));
            for row in &mut rows {
                row.resize(width, Cell::Null);
            }
        }
        let columns = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| TableColumn {
                kind: column_kind(rows.iter().map(|r| &r[i])),
                name,
            })
            .collect();
        TableData { columns, rows, notes }
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// The kind of a column from its cells (nulls do not count).
pub fn column_kind<'a>(cells: impl Iterator<Item = &'a Cell>) -> ColumnKind {
    let mut kind = ColumnKind::Empty;
    for cell in cells {
        let k = match cell {
            Cell::Null => continue,
            Cell::Bool(_) => ColumnKind::Bool,
            Cell::Number(_) => ColumnKind::Number,
            Cell::Text(_) => ColumnKind::Text,
            Cell::Json(v) if chat_messages(v).is_some() => ColumnKind::Chat,
            Cell::Json(_) => ColumnKind::Json,
            Cell::Image(_) => ColumnKind::Image,
            Cell::Cut { kind, .. } => *kind,
        };
        kind = match (kind, k) {
            (ColumnKind::Empty, k) => k,
            (a, b) if a == b => a,
            // A list column where some rows are chats and some are not is still JSON.
            (ColumnKind::Json, ColumnKind::Chat) | (ColumnKind::Chat, ColumnKind::Json) => ColumnKind::Json,
            _ => ColumnKind::Mixed,
        };
    }
    kind
}

impl Cell {
    /// A JSON value as a cell: image references and objects stay structured, scalars become
    /// scalars.
    pub fn from_json(value: Value) -> Cell {
        match value {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(b),
            Value::Number(n) => n.as_f64().map(|f| Cell::Number(MetricValue(f))).unwrap_or(Cell::Null),
            Value::String(s) => Cell::Text(s),
            Value::Object(ref map) if map.get("type").and_then(Value::as_str) == Some("image") => {
                match map.get("filepath").and_then(Value::as_str) {
                    Some(path) => Cell::Image(ImageCell {
                        filepath: path.to_string(),
                        compressed_filepath: map.get("compressed_filepath").and_then(Value::as_str).map(String::from),
                    }),
                    None => Cell::Json(value),
                }
            }
            other => Cell::Json(other),
        }
    }

    /// A cell of a text file (CSV): empty is null; numbers, `True`/`False` and JSON or Python
    /// literals (dicts and lists, as `llm_predictions.csv` writes them) are read as such.
    pub fn from_text(text: &str) -> Cell {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Cell::Null;
        }
        match trimmed {
            "True" | "true" | "TRUE" => return Cell::Bool(true),
            "False" | "false" | "FALSE" => return Cell::Bool(false),
            "NaN" | "nan" => return Cell::Number(MetricValue(f64::NAN)),
            _ => {}
        }
        if looks_numeric(trimmed) {
            if let Ok(x) = trimmed.parse::<f64>() {
                return Cell::Number(MetricValue(x));
            }
        }
        if (trimmed.starts_with('{') && trimmed.ends_with('}')) || (trimmed.starts_with('[') && trimmed.ends_with(']'))
        {
            if let Ok(v @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str::<Value>(trimmed) {
                return Cell::from_json(v);
            }
            if let Some(v @ (Value::Object(_) | Value::Array(_))) = pyrepr::parse(trimmed) {
                return Cell::from_json(v);
            }
        }
        Cell::Text(text.to_string())
    }

    /// The cell as plain text: what is searched, compared and diffed. JSON is compact, except a
    /// chat, which reads as `role: content` lines.
    pub fn text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Bool(b) => if *b { "true" } else { "false" }.to_string(),
            Cell::Number(n) => number_text(*n),
            Cell::Text(s) => s.clone(),
            Cell::Json(v) => match chat_messages(v) {
                Some(messages) => messages
                    .iter()
                    .map(|m| format!("{}: {}", m.role, m.content))
                    .collect::<Vec<_>>()
                    .join("\n"),
                None => v.to_string(),
            },
            Cell::Image(image) => image.filepath.clone(),
            Cell::Cut { preview, .. } => preview.clone(),
        }
    }

    /// The text a join matches on: trimmed, and JSON in one canonical form (keys sorted, as
    /// serde_json keeps them), so `{'q': 'a'}` from a CSV and `{"q": "a"}` from JSON are the same.
    pub fn key_text(&self) -> String {
        match self {
            Cell::Json(v) => v.to_string(),
            other => other.text().trim().to_string(),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The cell for a window of rows: text and JSON longer than `max_chars` become [`Cell::Cut`].
    pub fn cut(&self, max_chars: usize) -> Cell {
        let (text, kind) = match self {
            Cell::Text(s) => (s.clone(), ColumnKind::Text),
            Cell::Json(v) => {
                let kind = if chat_messages(v).is_some() {
                    ColumnKind::Chat
                } else {
                    ColumnKind::Json
                };
                let text = self.text();
                if text.chars().count() <= max_chars {
                    return self.clone();
                }
                (text, kind)
            }
            other => return other.clone(),
        };
        let chars = text.chars().count();
        if chars <= max_chars {
            return self.clone();
        }
        Cell::Cut {
            preview: text.chars().take(max_chars).collect(),
            chars,
            kind,
        }
    }

    /// A number for sorting and aggregates: numbers, and booleans as 1 and 0.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Cell::Number(n) => Some(n.get()),
            Cell::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        }
    }
}

/// Numbers as people write them: integers without `.0`, others as Rust prints them.
pub fn number_text(n: MetricValue) -> String {
    let x = n.get();
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        n.to_string()
    }
}

/// A plain decimal number (not `inf`, not a hex or a date like `2024-01-02`).
fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    !body.is_empty()
        && body.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '.')
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && body.chars().filter(|c| *c == '-' || *c == '+').count() <= 1
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

/// A chat message list (`[{role, content}, ...]`, or `{"messages": [...]}`) as messages.
/// Content given as OpenAI-style parts keeps their text parts.
pub fn chat_messages(value: &Value) -> Option<Vec<ChatMessage>> {
    let list = match value {
        Value::Array(list) => list,
        Value::Object(map) => map.get("messages")?.as_array()?,
        _ => return None,
    };
    if list.is_empty() {
        return None;
    }
    list.iter()
        .map(|m| {
            let m = m.as_object()?;
            let role = m.get("role")?.as_str()?.to_string();
            let content = match m.get("content") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(parts)) => parts
                    .iter()
                    .filter_map(|p| match p {
                        Value::String(s) => Some(s.clone()),
                        Value::Object(o) => o.get("text").and_then(Value::as_str).map(String::from),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                Some(other) => other.to_string(),
            };
            Some(ChatMessage { role, content })
        })
        .collect()
}

/// What a table looks like when opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    pub run_id: String,
    pub path: String,
    pub kind: TableKind,
    pub columns: Vec<TableColumn>,
    pub total_rows: usize,
    pub notes: Vec<String>,
}

/// One row of a window: its index in the table (as stored) and its cells, long ones cut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowRow {
    pub index: usize,
    pub cells: Vec<Cell>,
}

/// Rows `offset..offset + rows.len()` of the rows matching a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableWindow {
    pub total_rows: usize,
    pub matching_rows: usize,
    pub offset: usize,
    pub rows: Vec<WindowRow>,
}

/// `table_rows`: a window of a table's rows, sorted and filtered by the backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRowsRequest {
    pub run_id: String,
    pub path: String,
    #[serde(default)]
    pub query: query::TableQuery,
    pub offset: usize,
    pub limit: usize,
}

/// `open_table`: a table of a run, parsed (again when the file changed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRequest {
    pub run_id: String,
    pub path: String,
}

/// `table_cell`: one whole cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableCellRequest {
    pub run_id: String,
    pub path: String,
    pub row: usize,
    pub column: usize,
}

/// `run_tables`: the tables of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunTablesRequest {
    pub run_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_cells_read_as_what_they_hold() {
        assert_eq!(Cell::from_text(""), Cell::Null);
        assert_eq!(Cell::from_text("  "), Cell::Null);
        assert_eq!(Cell::from_text("True"), Cell::Bool(true));
        assert_eq!(Cell::from_text("0.25"), Cell::Number(MetricValue(0.25)));
        assert_eq!(Cell::from_text("-3"), Cell::Number(MetricValue(-3.0)));
        assert_eq!(Cell::from_text("1e-3"), Cell::Number(MetricValue(0.001)));
        assert_eq!(Cell::from_text("2024-01-02"), Cell::Text("2024-01-02".into()));
        assert_eq!(Cell::from_text("inf"), Cell::Text("inf".into()));
        assert_eq!(Cell::from_text("12 apples"), Cell::Text("12 apples".into()));
        assert_eq!(
            Cell::from_text("{'question': 'What is 2+2?'}"),
            Cell::Json(json!({"question": "What is 2+2?"}))
        );
        assert_eq!(Cell::from_text("[1, 2]"), Cell::Json(json!([1, 2])));
        // Not a literal after all: text.
        assert_eq!(Cell::from_text("{not a dict}"), Cell::Text("{not a dict}".into()));
        assert_eq!(Cell::from_text("<b>x</b>"), Cell::Text("<b>x</b>".into()));
    }

    #[test]
    fn json_cells_and_images() {
        assert_eq!(Cell::from_json(json!(3)), Cell::Number(MetricValue(3.0)));
        assert_eq!(Cell::from_json(json!(null)), Cell::Null);
        assert_eq!(
            Cell::from_json(
                json!({"type": "image", "filepath": "table_images/t/a.png", "compressed_filepath": "table_images/t/a.webp"})
            ),
            Cell::Image(ImageCell {
                filepath: "table_images/t/a.png".into(),
                compressed_filepath: Some("table_images/t/a.webp".into())
            })
        );
        // An object that only says it is an image is JSON.
        assert!(matches!(Cell::from_json(json!({"type": "image"})), Cell::Json(_)));
    }

    #[test]
    fn chats_are_recognised_and_read_as_lines() {
        let chat = json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "Hi"}]}]);
        let messages = chat_messages(&chat).unwrap();
        assert_eq!(
            messages[1],
            ChatMessage {
                role: "user".into(),
                content: "Hi".into()
            }
        );
        assert_eq!(Cell::Json(chat.clone()).text(), "system: Be brief.\nuser: Hi");
        assert!(chat_messages(&json!({"messages": [{"role": "user", "content": "x"}]})).is_some());
        assert!(chat_messages(&json!([{"content": "no role"}])).is_none());
        assert!(chat_messages(&json!([])).is_none());
        assert_eq!(column_kind([Cell::Json(chat), Cell::Null].iter()), ColumnKind::Chat);
    }

    #[test]
    fn column_kinds() {
        let cells = [
            Cell::Number(MetricValue(1.0)),
            Cell::Null,
            Cell::Number(MetricValue(2.0)),
        ];
        assert_eq!(column_kind(cells.iter()), ColumnKind::Number);
        let mixed = [Cell::Number(MetricValue(1.0)), Cell::Text("a".into())];
        assert_eq!(column_kind(mixed.iter()), ColumnKind::Mixed);
        assert_eq!(column_kind([Cell::Null].iter()), ColumnKind::Empty);
    }

    #[test]
    fn long_cells_are_cut_for_windows() {
        let long = "é".repeat(1000);
        let Cell::Cut { preview, chars, kind } = Cell::Text(long.clone()).cut(10) else {
            panic!()
        };
        assert_eq!((preview.chars().count(), chars, kind), (10, 1000, ColumnKind::Text));
        assert_eq!(Cell::Text("short".into()).cut(10), Cell::Text("short".into()));
        let json = Cell::Json(json!({"a": "x".repeat(50)}));
        assert!(matches!(
            json.cut(10),
            Cell::Cut {
                kind: ColumnKind::Json,
                ..
            }
        ));
        assert_eq!(json.cut(1000), json);
    }

    #[test]
    fn short_rows_are_padded_and_noted() {
        let t = TableData::new(
            vec!["a".into(), "b".into()],
            vec![vec![Cell::Text("x".into())], vec![Cell::Null, Cell::Bool(true)]],
        );
        assert_eq!(t.rows[0], vec![Cell::Text("x".into()), Cell::Null]);
        assert_eq!(t.columns[1].kind, ColumnKind::Bool);
        assert_eq!(t.notes.len(), 1);
        assert!(t.notes[0].starts_with("1 row did not have 2 cells"), "{:?}", t.notes);
    }

    #[test]
    fn cells_travel_as_tagged_json() {
        let cells = vec![
            Cell::Number(MetricValue(f64::NAN)),
            Cell::Text("<script>x</script>".into()),
            Cell::Cut {
                preview: "ab".into(),
                chars: 9,
                kind: ColumnKind::Chat,
            },
        ];
        let text = serde_json::to_string(&cells).unwrap();
        assert_eq!(
            text,
            r#"[{"t":"number","v":"NaN"},{"t":"text","v":"<script>x</script>"},{"t":"cut","v":{"preview":"ab","chars":9,"kind":"chat"}}]"#
        );
        let back: Vec<Cell> = serde_json::from_str(&text).unwrap();
        assert_eq!(back[1], cells[1]);
        assert!(matches!(back[0], Cell::Number(n) if n.get().is_nan()));
    }
}
