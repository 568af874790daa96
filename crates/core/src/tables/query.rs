//! Sorting, searching and filtering a table's rows, done by the backend so that 100,000 rows
//! never cross into the webview: the answer is the order of the matching rows.

use super::{Cell, TableData};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// How the rows of a table are shown.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct TableQuery {
    /// Column index to sort by; rows keep their stored order when `None`.
    #[serde(default)]
    pub sort: Option<SortBy>,
    /// Text looked for in every cell (case-insensitive).
    #[serde(default)]
    pub search: String,
    /// Text looked for in one column each; all must match.
    #[serde(default)]
    pub filters: Vec<ColumnFilter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SortBy {
    pub column: usize,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ColumnFilter {
    pub column: usize,
    pub text: String,
}

impl TableQuery {
    /// Whether every row matches in stored order.
    pub fn is_plain(&self) -> bool {
        self.sort.is_none() && self.search.trim().is_empty() && self.filters.iter().all(|f| f.text.trim().is_empty())
    }
}

/// The indices of the rows that match `query`, in its order. Filters on columns the table
/// does not have match nothing.
pub fn matching_rows(table: &TableData, query: &TableQuery) -> Vec<usize> {
    let search = query.search.trim().to_lowercase();
    let filters: Vec<(usize, String)> = query
        .filters
        .iter()
        .filter(|f| !f.text.trim().is_empty())
        .map(|f| (f.column, f.text.trim().to_lowercase()))
        .collect();
    if filters.iter().any(|(c, _)| *c >= table.columns.len()) {
        return Vec::new();
    }
    let mut rows: Vec<usize> = (0..table.rows.len())
        .filter(|&i| {
            let row = &table.rows[i];
            filters.iter().all(|(c, text)| contains(&row[*c], text))
                && (search.is_empty() || row.iter().any(|cell| contains(cell, &search)))
        })
        .collect();
    if let Some(sort) = query.sort.filter(|s| s.column < table.columns.len()) {
        // Keys once per row: comparing 100,000 long texts again and again is what is slow.
        let mut keyed: Vec<(SortKey, usize)> = rows
            .into_iter()
            .map(|i| (sort_key(&table.rows[i][sort.column]), i))
            .collect();
        keyed.sort_by(|(a, ai), (b, bi)| {
            let order = compare_keys(a, b, sort.descending);
            order.then(ai.cmp(bi))
        });
        rows = keyed.into_iter().map(|(_, i)| i).collect();
    }
    rows
}

fn contains(cell: &Cell, needle_lower: &str) -> bool {
    match cell {
        Cell::Null => false,
        Cell::Text(s) => contains_lower(s, needle_lower),
        other => contains_lower(&other.text(), needle_lower),
    }
}

/// Case-insensitive `contains` without lowering the whole haystack when it is ASCII.
pub fn contains_lower(haystack: &str, needle_lower: &str) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if haystack.is_ascii() && needle_lower.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle_lower.as_bytes());
        return h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    haystack.to_lowercase().contains(needle_lower)
}

#[derive(Debug)]
enum SortKey {
    Number(f64),
    Text(String),
    Null,
}

fn sort_key(cell: &Cell) -> SortKey {
    match cell {
        Cell::Null => SortKey::Null,
        Cell::Number(n) if n.get().is_nan() => SortKey::Null,
        c => match c.as_number() {
            Some(x) => SortKey::Number(x),
            None => SortKey::Text(c.text().to_lowercase()),
        },
    }
}

/// Numbers before text, empty cells (and NaN) last in either direction.
fn compare_keys(a: &SortKey, b: &SortKey, descending: bool) -> Ordering {
    let flip = |o: Ordering| if descending { o.reverse() } else { o };
    match (a, b) {
        (SortKey::Null, SortKey::Null) => Ordering::Equal,
        (SortKey::Null, _) => Ordering::Greater,
        (_, SortKey::Null) => Ordering::Less,
        (SortKey::Number(x), SortKey::Number(y)) => flip(x.total_cmp(y)),
        (SortKey::Number(_), SortKey::Text(_)) => flip(Ordering::Less),
        (SortKey::Text(_), SortKey::Number(_)) => flip(Ordering::Greater),
        (SortKey::Text(x), SortKey::Text(y)) => flip(x.cmp(y)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetricValue;

    fn table() -> TableData {
        let n = |x: f64| Cell::Number(MetricValue(x));
        let t = |s: &str| Cell::Text(s.into());
        TableData::new(
            vec!["q".into(), "score".into()],
            vec![
                vec![t("Paris is the capital"), n(0.5)],
                vec![t("BERLIN"), Cell::Null],
                vec![t("Été à Paris"), n(0.9)],
                vec![t("rome"), n(f64::NAN)],
                vec![t("Oslo"), n(0.1)],
            ],
        )
    }

    #[test]
    fn search_and_filters_are_case_insensitive_and_combine() {
        let t = table();
        let q = |search: &str, filters: Vec<(usize, &str)>| TableQuery {
            sort: None,
            search: search.into(),
            filters: filters
                .into_iter()
                .map(|(column, text)| ColumnFilter {
                    column,
                    text: text.into(),
                })
                .collect(),
        };
        assert_eq!(matching_rows(&t, &q("paris", vec![])), vec![0, 2]);
        assert_eq!(matching_rows(&t, &q("", vec![(0, "berlin")])), vec![1]);
        assert_eq!(matching_rows(&t, &q("ÉTÉ", vec![])), vec![2]);
        assert_eq!(matching_rows(&t, &q("paris", vec![(1, "0.9")])), vec![2]);
        assert_eq!(matching_rows(&t, &q("", vec![(7, "x")])), Vec::<usize>::new());
        assert_eq!(matching_rows(&t, &q("  ", vec![(0, " ")])), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn sorting_puts_empty_cells_last_both_ways() {
        let t = table();
        let sorted = |column, descending| {
            matching_rows(
                &t,
                &TableQuery {
                    sort: Some(SortBy { column, descending }),
                    ..Default::default()
                },
            )
        };
        assert_eq!(sorted(1, false), vec![4, 0, 2, 1, 3]);
        assert_eq!(sorted(1, true), vec![2, 0, 4, 1, 3]);
        assert_eq!(sorted(0, false), vec![1, 4, 0, 3, 2]);
        assert_eq!(
            sorted(9, false),
            vec![0, 1, 2, 3, 4],
            "an unknown column keeps the order"
        );
    }
}
