//! One table across runs (the review-meeting view): rows joined by an input column, each run's
//! output side by side with its scores, rows a run lacks marked (never dropped), and per-run
//! aggregates of the score columns.

use super::query::contains_lower;
use super::{Cell, ColumnKind, TableData};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Input columns, most likely first.
pub const INPUT_COLUMNS: [&str; 5] = ["inputs", "input", "prompt", "question", "request"];
/// Output columns, most likely first.
pub const OUTPUT_COLUMNS: [&str; 12] = [
    "outputs",
    "output",
    "response",
    "answer",
    "prediction",
    "predictions",
    "generated_text",
    "completion",
    "result",
    "model_output",
    "responses",
    "text",
];
/// Columns that are references, not outputs.
const REFERENCE_COLUMNS: [&str; 5] = ["ground_truth", "targets", "target", "expected", "expected_response"];

/// The input column: one of [`INPUT_COLUMNS`] (case-insensitive), else the first text column.
pub fn detect_input(columns: &[(String, ColumnKind)]) -> Option<String> {
    by_names(columns, &INPUT_COLUMNS).or_else(|| {
        columns
            .iter()
            .find(|(_, k)| matches!(k, ColumnKind::Text | ColumnKind::Json | ColumnKind::Chat))
            .map(|(n, _)| n.clone())
    })
}

/// The output column: one of [`OUTPUT_COLUMNS`], else the first text-like column that is
/// neither the input nor a reference (`ground_truth`, ...).
pub fn detect_output(columns: &[(String, ColumnKind)], input: &str) -> Option<String> {
    let others: Vec<(String, ColumnKind)> = columns.iter().filter(|(n, _)| n != input).cloned().collect();
    by_names(&others, &OUTPUT_COLUMNS).or_else(|| {
        others
            .iter()
            .find(|(n, k)| {
                matches!(k, ColumnKind::Text | ColumnKind::Json | ColumnKind::Chat)
                    && !REFERENCE_COLUMNS.contains(&n.to_lowercase().as_str())
            })
            .map(|(n, _)| n.clone())
    })
}

fn by_names(columns: &[(String, ColumnKind)], names: &[&str]) -> Option<String> {
    names.iter().find_map(|wanted| {
        columns
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
            .map(|(n, _)| n.clone())
    })
}

/// One run's table in a join.
pub struct JoinInput<'a> {
    pub run_id: String,
    pub table: &'a TableData,
}

/// How the tables were joined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinPlan {
    pub key_column: String,
    pub output_column: String,
    /// Number and boolean columns of any run (not the key or the output), in first-seen order.
    pub score_columns: Vec<String>,
}

/// One run's side of a joined row.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// The row's index in that run's table.
    pub row: usize,
}

/// A row of the join: one input, and for each run the row that has it (`None`: the run lacks it).
#[derive(Debug, Clone, PartialEq)]
pub struct JoinedRow {
    pub key: String,
    pub sides: Vec<Option<Side>>,
}

/// Rows joined across runs: the first run's order, with inputs only later runs have placed
/// after the input that precedes them in those runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    pub plan: JoinPlan,
    pub rows: Vec<JoinedRow>,
}

/// Joins the runs' tables on `key` (an input that appears several times in a run pairs up with
/// the same occurrence in the other runs). A run whose table lacks the key column has no rows.
pub fn join(inputs: &[JoinInput<'_>], key: &str, output: &str) -> Joined {
    let mut score_columns: Vec<String> = Vec::new();
    for input in inputs {
        for c in &input.table.columns {
            if c.kind.is_score() && c.name != key && c.name != output && !score_columns.contains(&c.name) {
                score_columns.push(c.name.clone());
            }
        }
    }
    // Rows in a linked list, so an input a run has that the earlier runs lack goes right after
    // that run's previous input (not to the end): every run's own order is kept.
    const END: usize = usize::MAX;
    let mut rows: Vec<JoinedRow> = Vec::new();
    let mut next: Vec<usize> = Vec::new();
    let mut head = END;
    let mut index: HashMap<(String, usize), usize> = HashMap::new();
    for (run, input) in inputs.iter().enumerate() {
        let Some(key_col) = input.table.column(key) else {
            continue;
        };
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut previous: Option<usize> = None;
        for (r, cells) in input.table.rows.iter().enumerate() {
            let text = cells[key_col].key_text();
            let occurrence = seen.entry(text.clone()).or_insert(0);
            let slot = (text.clone(), *occurrence);
            *occurrence += 1;
            let at = match index.get(&slot) {
                Some(&at) => at,
                None => {
                    let at = rows.len();
                    rows.push(JoinedRow {
                        key: text,
                        sides: vec![None; inputs.len()],
                    });
                    match previous {
                        Some(p) => {
                            next.push(next[p]);
                            next[p] = at;
                        }
                        None => {
                            next.push(head);
                            head = at;
                        }
                    }
                    index.insert(slot, at);
                    at
                }
            };
            rows[at].sides[run] = Some(Side { row: r });
            previous = Some(at);
        }
    }
    let mut order = Vec::with_capacity(rows.len());
    let mut at = head;
    while at != END {
        order.push(at);
        at = next[at];
    }
    let mut slots: Vec<Option<JoinedRow>> = rows.into_iter().map(Some).collect();
    let rows: Vec<JoinedRow> = order.into_iter().filter_map(|i| slots[i].take()).collect();
    Joined {
        plan: JoinPlan {
            key_column: key.to_string(),
            output_column: output.to_string(),
            score_columns,
        },
        rows,
    }
}

impl Joined {
    /// The output cell of `run` in joined row `row`, when that run has the row and the column.
    pub fn output<'a>(&self, tables: &[&'a TableData], row: usize, run: usize) -> Option<&'a Cell> {
        let side = self.rows[row].sides[run].as_ref()?;
        let table = tables[run];
        let col = table.column(&self.plan.output_column)?;
        Some(&table.rows[side.row][col])
    }

    /// Whether the runs' outputs of a row differ: a run lacking the row, or outputs whose text
    /// differs (trimmed).
    pub fn differs(&self, tables: &[&TableData], row: usize) -> bool {
        let mut first: Option<String> = None;
        for run in 0..tables.len() {
            if self.rows[row].sides[run].is_none() {
                return true;
            }
            let text = self.output(tables, row, run).map(|c| c.key_text()).unwrap_or_default();
            match &first {
                None => first = Some(text),
                Some(f) if *f != text => return true,
                Some(_) => {}
            }
        }
        false
    }

    /// The joined rows to show: all, or only those whose outputs differ, narrowed to those where
    /// the input or any run's output contains `search` (case-insensitive).
    pub fn matching(&self, tables: &[&TableData], only_differing: bool, search: &str) -> Vec<usize> {
        let needle = search.trim().to_lowercase();
        (0..self.rows.len())
            .filter(|&i| !only_differing || self.differs(tables, i))
            .filter(|&i| {
                needle.is_empty()
                    || contains_lower(&self.rows[i].key, &needle)
                    || (0..tables.len()).any(|run| {
                        self.output(tables, i, run)
                            .is_some_and(|c| contains_lower(&c.text(), &needle))
                    })
            })
            .collect()
    }
}

/// One score column of one run, over every row of its table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreAggregate {
    pub column: String,
    /// Rows with a value (not empty, not NaN).
    pub count: usize,
    pub mean: Option<f64>,
    /// Share of `true` when the column holds booleans.
    pub pass_rate: Option<f64>,
}

/// Mean (and pass rate for booleans) of each score column in `table`; columns the table lacks
/// are left out.
pub fn aggregates(table: &TableData, score_columns: &[String]) -> Vec<ScoreAggregate> {
    score_columns
        .iter()
        .filter_map(|name| {
            let col = table.column(name)?;
            let values: Vec<f64> = table
                .rows
                .iter()
                .filter_map(|r| r[col].as_number())
                .filter(|x| !x.is_nan())
                .collect();
            let count = values.len();
            let mean = (count > 0).then(|| values.iter().sum::<f64>() / count as f64);
            let boolean = table.columns[col].kind == ColumnKind::Bool;
            Some(ScoreAggregate {
                column: name.clone(),
                count,
                mean: if boolean { None } else { mean },
                pass_rate: if boolean { mean } else { None },
            })
        })
        .collect()
}

/// `compare_tables`: one table of several runs, joined, a window of the joined rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareTablesRequest {
    pub run_ids: Vec<String>,
    /// The table's path, the same in every run.
    pub path: String,
    /// The input column to join on; detected when `None`.
    #[serde(default)]
    pub key: Option<String>,
    /// The output column shown side by side; detected when `None`.
    #[serde(default)]
    pub output: Option<String>,
    #[serde(default)]
    pub only_differing: bool,
    #[serde(default)]
    pub search: String,
    pub offset: usize,
    pub limit: usize,
}

/// One run of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRun {
    pub run_id: String,
    pub run_name: String,
    /// Rows of this run's table; `None` when the run has no readable table at the path.
    pub rows: Option<usize>,
    /// Why this run's table could not be read (the other runs are still compared).
    pub error: Option<crate::ApiError>,
    /// Column indices of the key and the output in this run's table.
    pub key_column: Option<usize>,
    pub output_column: Option<usize>,
    pub aggregates: Vec<ScoreAggregate>,
}

/// One run's side of a joined row in a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareSide {
    /// The row's index in this run's table (for fetching whole cells).
    pub row: usize,
    pub output: Cell,
    /// One cell per score column of the plan (null where this run's table lacks the column).
    pub scores: Vec<Cell>,
}

/// A joined row in a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    /// Index among all joined rows.
    pub index: usize,
    /// The input, from the first run that has the row (cut like any window cell).
    pub input: Cell,
    /// One per run, in the order asked; `None`: the run lacks this input.
    pub sides: Vec<Option<CompareSide>>,
    pub differs: bool,
}

/// A window of joined rows with what the comparison is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareWindow {
    pub plan: JoinPlan,
    /// Columns that can be joined on / shown as output (present in at least one run's table).
    pub columns: Vec<String>,
    pub runs: Vec<CompareRun>,
    pub total_rows: usize,
    /// Joined rows whose outputs differ (a missing row counts as different).
    pub differing_rows: usize,
    pub matching_rows: usize,
    pub offset: usize,
    pub rows: Vec<CompareRow>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetricValue;

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    fn table(rows: Vec<(&str, &str, Option<f64>, Option<bool>)>) -> TableData {
        TableData::new(
            vec!["inputs".into(), "outputs".into(), "score".into(), "correct".into()],
            rows.into_iter()
                .map(|(i, o, s, c)| {
                    vec![
                        t(i),
                        t(o),
                        s.map(|x| Cell::Number(MetricValue(x))).unwrap_or(Cell::Null),
                        c.map(Cell::Bool).unwrap_or(Cell::Null),
                    ]
                })
                .collect(),
        )
    }

    #[test]
    fn columns_are_detected() {
        let cols = |names: &[(&str, ColumnKind)]| -> Vec<(String, ColumnKind)> {
            names.iter().map(|(n, k)| (n.to_string(), *k)).collect()
        };
        let c = cols(&[
            ("id", ColumnKind::Number),
            ("Question", ColumnKind::Text),
            ("ground_truth", ColumnKind::Text),
            ("model answer", ColumnKind::Text),
        ]);
        assert_eq!(detect_input(&c).as_deref(), Some("Question"));
        assert_eq!(detect_output(&c, "Question").as_deref(), Some("model answer"));
        let c = cols(&[("inputs", ColumnKind::Json), ("outputs", ColumnKind::Text)]);
        assert_eq!(detect_input(&c).as_deref(), Some("inputs"));
        assert_eq!(detect_output(&c, "inputs").as_deref(), Some("outputs"));
        assert_eq!(detect_input(&cols(&[("n", ColumnKind::Number)])), None);
    }

    #[test]
    fn rows_join_by_input_and_missing_rows_are_kept() {
        let a = table(vec![
            ("q1", "A1", Some(1.0), Some(true)),
            ("q2", "A2", Some(0.0), Some(false)),
            ("q3", "same", None, None),
        ]);
        let b = table(vec![
            ("q2", "B2", Some(0.5), Some(true)),
            ("q1", "A1", Some(1.0), Some(true)),
            ("q3", " same ", None, None),
            ("q4", "only b", None, None),
        ]);
        let inputs = [
            JoinInput {
                run_id: "a".into(),
                table: &a,
            },
            JoinInput {
                run_id: "b".into(),
                table: &b,
            },
        ];
        let joined = join(&inputs, "inputs", "outputs");
        assert_eq!(
            joined.plan.score_columns,
            vec!["score".to_string(), "correct".to_string()]
        );
        let keys: Vec<&str> = joined.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, vec!["q1", "q2", "q3", "q4"]);
        assert_eq!(joined.rows[1].sides, vec![Some(Side { row: 1 }), Some(Side { row: 0 })]);
        assert_eq!(joined.rows[3].sides, vec![None, Some(Side { row: 3 })]);
        let tables = [&a, &b];
        assert_eq!(joined.output(&tables, 1, 1), Some(&t("B2")));
        assert_eq!(joined.output(&tables, 3, 0), None);
        // q1 equal, q2 differs, q3 equal once trimmed, q4 missing in a.
        assert_eq!(joined.matching(&tables, true, ""), vec![1, 3]);
        assert_eq!(joined.matching(&tables, false, "a1"), vec![0]);
        assert_eq!(joined.matching(&tables, false, "Q"), vec![0, 1, 2, 3]);
        assert_eq!(joined.matching(&tables, true, "only"), vec![3]);
    }

    #[test]
    fn repeated_inputs_pair_up_in_order() {
        let a = table(vec![("q", "first", None, None), ("q", "second", None, None)]);
        let b = table(vec![("q", "uno", None, None)]);
        let inputs = [
            JoinInput {
                run_id: "a".into(),
                table: &a,
            },
            JoinInput {
                run_id: "b".into(),
                table: &b,
            },
        ];
        let joined = join(&inputs, "inputs", "outputs");
        assert_eq!(joined.rows.len(), 2);
        assert_eq!(joined.rows[0].sides, vec![Some(Side { row: 0 }), Some(Side { row: 0 })]);
        assert_eq!(joined.rows[1].sides, vec![Some(Side { row: 1 }), None]);
    }

    #[test]
    fn inputs_a_first_run_lacks_keep_their_place() {
        let a = table(vec![("q1", "", None, None), ("q4", "", None, None)]);
        let b = table(vec![
            ("q0", "", None, None),
            ("q1", "", None, None),
            ("q2", "", None, None),
            ("q3", "", None, None),
            ("q4", "", None, None),
            ("q5", "", None, None),
        ]);
        let inputs = [
            JoinInput {
                run_id: "a".into(),
                table: &a,
            },
            JoinInput {
                run_id: "b".into(),
                table: &b,
            },
        ];
        let joined = join(&inputs, "inputs", "outputs");
        let keys: Vec<&str> = joined.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, vec!["q0", "q1", "q2", "q3", "q4", "q5"]);
        assert_eq!(joined.rows[2].sides, vec![None, Some(Side { row: 2 })]);
        assert_eq!(joined.rows[4].sides, vec![Some(Side { row: 1 }), Some(Side { row: 4 })]);
    }

    #[test]
    fn a_run_without_the_key_column_has_no_rows() {
        let a = table(vec![("q", "x", None, None)]);
        let other = TableData::new(vec!["prompt".into()], vec![vec![t("q")]]);
        let inputs = [
            JoinInput {
                run_id: "a".into(),
                table: &a,
            },
            JoinInput {
                run_id: "b".into(),
                table: &other,
            },
        ];
        let joined = join(&inputs, "inputs", "outputs");
        assert_eq!(joined.rows[0].sides, vec![Some(Side { row: 0 }), None]);
    }

    #[test]
    fn aggregates_are_means_and_pass_rates() {
        let a = table(vec![
            ("q1", "", Some(1.0), Some(true)),
            ("q2", "", Some(0.0), Some(false)),
            ("q3", "", None, Some(true)),
            ("q4", "", Some(f64::NAN), None),
        ]);
        let aggs = aggregates(&a, &["score".into(), "correct".into(), "missing".into()]);
        assert_eq!(
            aggs,
            vec![
                ScoreAggregate {
                    column: "score".into(),
                    count: 2,
                    mean: Some(0.5),
                    pass_rate: None
                },
                ScoreAggregate {
                    column: "correct".into(),
                    count: 3,
                    mean: None,
                    pass_rate: Some(2.0 / 3.0)
                },
            ]
        );
    }
}
