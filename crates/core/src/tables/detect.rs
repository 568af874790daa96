//! Which artifacts are tables: by name (`.parquet`, `.csv`, `.tsv`, `llm_predictions.csv`,
//! `eval_results_table.json`), by the run tag `mlflow.loggedArtifacts`, and, for other `.json`
//! files, by their first bytes (pandas' "split" JSON starts with `{"columns":`).

use super::TableKind;
use serde_json::Value;

/// The legacy predictions file of `mlflow.llm.log_predictions`, at the artifact root.
pub const LEGACY_PREDICTIONS: &str = "llm_predictions.csv";
/// How many bytes of a `.json` file are read to recognise a table by its content.
pub const SNIFF_BYTES: u64 = 512;

/// What a file is, from its path alone: `Some(kind)` when the name says table, `None` when the
/// name says nothing (a `.json` is then sniffed) or says not a table.
pub fn kind_by_name(path: &str) -> Option<TableKind> {
    let name = file_name(path).to_ascii_lowercase();
    if name == LEGACY_PREDICTIONS {
        return Some(TableKind::LegacyPredictions);
    }
    match extension(&name) {
        "parquet" => Some(TableKind::Parquet),
        "csv" | "tsv" => Some(TableKind::Csv),
        "json" if is_evaluation_name(&name) => Some(TableKind::Evaluation),
        _ => None,
    }
}

/// A `.json` file worth sniffing (only JSON files can be `log_table` tables).
pub fn is_json(path: &str) -> bool {
    extension(&file_name(path).to_ascii_lowercase()) == "json"
}

/// MLflow's evaluation tables: `eval_results_table.json`, and `*_eval_results*.json` as
/// `mlflow.evaluate` names per-model tables.
fn is_evaluation_name(name: &str) -> bool {
    name.starts_with("eval_results_table") || (name.contains("eval") && name.contains("results"))
}

/// The kind of a JSON file that is a table: evaluation by its name, else `log_table`.
pub fn json_kind(path: &str) -> TableKind {
    if is_evaluation_name(&file_name(path).to_ascii_lowercase()) {
        TableKind::Evaluation
    } else {
        TableKind::LogTable
    }
}

/// Whether the first bytes of a JSON file are those of pandas' "split" table: an object whose
/// first key is `columns` (or `index`, then `columns`).
pub fn looks_like_split_json(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).take(40).collect();
    compact.starts_with("{\"columns\":[") || compact.starts_with("{\"index\":[")
}

/// The paths the run tag `mlflow.loggedArtifacts` lists as tables (`[{"path", "type"}]`); an
/// unreadable tag lists nothing.
pub fn logged_tables(tag: Option<&str>) -> Vec<String> {
    let Some(list) = tag.and_then(|t| serde_json::from_str::<Value>(t).ok()) else {
        return Vec::new();
    };
    list.as_array()
        .into_iter()
        .flatten()
        .filter(|e| e.get("type").and_then(Value::as_str) == Some("table"))
        .filter_map(|e| e.get("path").and_then(Value::as_str))
        .map(|p| p.trim_matches('/').to_string())
        .collect()
}

/// Folders that never hold tables of their own: a table's images, and MLflow's model folders
/// are looked into only when a table is listed there.
pub fn skip_folder(path: &str) -> bool {
    let name = file_name(path);
    name == "table_images" || name.starts_with('.')
}

fn file_name(path: &str) -> String {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_string()
}

fn extension(name: &str) -> &str {
    name.rsplit_once('.').map(|(_, e)| e).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_what_they_are() {
        assert_eq!(kind_by_name("llm_predictions.csv"), Some(TableKind::LegacyPredictions));
        assert_eq!(kind_by_name("data/preds.CSV"), Some(TableKind::Csv));
        assert_eq!(kind_by_name("t.parquet"), Some(TableKind::Parquet));
        assert_eq!(kind_by_name("eval_results_table.json"), Some(TableKind::Evaluation));
        assert_eq!(kind_by_name("prompts.json"), None);
        assert_eq!(kind_by_name("model/MLmodel"), None);
        assert!(is_json("a/b.JSON"));
        assert_eq!(json_kind("qa_eval_results.json"), TableKind::Evaluation);
        assert_eq!(json_kind("predictions.json"), TableKind::LogTable);
    }

    #[test]
    fn split_json_is_recognised_by_its_first_bytes() {
        assert!(looks_like_split_json(br#"{"columns": ["a"], "data": [[1]]}"#));
        assert!(looks_like_split_json(b"{\n  \"columns\" : [\"a\"]"));
        assert!(looks_like_split_json(br#"{"index":[0],"columns":["a"]"#));
        assert!(!looks_like_split_json(br#"{"data": [[1]], "columns": ["a"]}"#));
        assert!(!looks_like_split_json(br#"{"spans": []}"#));
        assert!(!looks_like_split_json(b"\xff\xfe"));
    }

    #[test]
    fn logged_artifacts_tag() {
        let tag = r#"[{"path": "eval/results.json", "type": "table"}, {"path": "plot.png", "type": "image"}]"#;
        assert_eq!(logged_tables(Some(tag)), vec!["eval/results.json".to_string()]);
        assert!(logged_tables(Some("not json")).is_empty());
        assert!(logged_tables(None).is_empty());
    }
}
