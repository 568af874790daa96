//! Run searches as SQL: MLflow's filter and `order_by` become one parameterised SELECT of run ids,
//! so filtering, ordering and paging happen inside SQLite, never over all rows in memory.

use runlens_core::filter::{Attribute, Clause, DatasetField, Field, Filter, Op, Value};
use runlens_core::model::tag;
use runlens_core::order::OrderBy;
use runlens_core::ViewType;
use rusqlite::types::Value as SqlValue;

#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    pub params: Vec<SqlValue>,
}

impl Sql {
    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn bind(&mut self, value: impl Into<SqlValue>) {
        self.params.push(value.into());
        self.text.push('?');
    }

    fn bind_list(&mut self, items: &[String]) {
        self.push("(");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(item.clone());
        }
        self.push(")");
    }
}

/// SQL `LIKE` is case-insensitive in SQLite, MLflow's is not: translate to `GLOB` as MLflow does.
pub fn like_to_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '%' => out.push('*'),
            '_' => out.push('?'),
            '*' => out.push_str("[*]"),
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            other => out.push(other),
        }
    }
    out
}

/// Appends `<column> <op> <value>` for a string comparison.
fn string_comparison(sql: &mut Sql, column: &str, op: Op, value: &Value) {
    match (op, value) {
        (Op::Like, Value::Str(v)) => {
            sql.push(&format!("{column} GLOB "));
            sql.bind(like_to_glob(v));
        }
        (Op::ILike, Value::Str(v)) => {
            sql.push(&format!("lower({column}) LIKE lower("));
            sql.bind(v.clone());
            sql.push(")");
        }
        (Op::In, Value::List(items)) => {
            sql.push(&format!("{column} IN "));
            sql.bind_list(items);
        }
        (Op::NotIn, Value::List(items)) => {
            sql.push(&format!("{column} NOT IN "));
            sql.bind_list(items);
        }
        (op, Value::Str(v)) => {
            sql.push(&format!("{column} {} ", op.as_str()));
            sql.bind(v.clone());
        }
        // The parser only lets well-typed clauses through.
        _ => sql.push("0"),
    }
}

fn numeric_comparison(sql: &mut Sql, column: &str, op: Op, value: &Value) {
    match value {
        Value::Num(n) => {
            sql.push(&format!("{column} {} ", op.as_str()));
            sql.bind(*n);
        }
        _ => sql.push("0"),
    }
}

fn attribute_column(attr: Attribute) -> &'static str {
    match attr {
        Attribute::RunId => "r.run_uuid",
        Attribute::RunName => "r.name",
        Attribute::Status => "r.status",
        Attribute::UserId => "r.user_id",
        Attribute::ArtifactUri => "r.artifact_uri",
        Attribute::StartTime => "r.start_time",
        Attribute::EndTime => "r.end_time",
        Attribute::ExperimentId => "CAST(r.experiment_id AS TEXT)",
        // Experiment-only attributes cannot reach a run filter.
        Attribute::Name | Attribute::CreationTime | Attribute::LastUpdateTime => "NULL",
    }
}

fn clause(sql: &mut Sql, c: &Clause) {
    match &c.field {
        Field::Metric(key) => {
            sql.push("EXISTS (SELECT 1 FROM latest_metrics f WHERE f.run_uuid = r.run_uuid AND f.key = ");
            sql.bind(key.clone());
            // NaN is stored as 0 with is_nan: it satisfies only `!=`, as in MLflow.
            if c.op == Op::Ne {
                sql.push(" AND (f.is_nan = 1 OR ");
                numeric_comparison(sql, "f.value", c.op, &c.value);
                sql.push("))");
            } else {
                sql.push(" AND f.is_nan = 0 AND ");
                numeric_comparison(sql, "f.value", c.op, &c.value);
                sql.push(")");
            }
        }
        Field::Param(key) | Field::Tag(key) => {
            let table = if matches!(c.field, Field::Param(_)) {
                "params"
            } else {
                "tags"
            };
            let presence = match c.op {
                Op::IsNull => "NOT EXISTS",
                _ => "EXISTS",
            };
            sql.push(&format!(
                "{presence} (SELECT 1 FROM {table} f WHERE f.run_uuid = r.run_uuid AND f.key = "
            ));
            sql.bind(key.clone());
            if !matches!(c.op, Op::IsNull | Op::IsNotNull) {
                sql.push(" AND ");
                string_comparison(sql, "f.value", c.op, &c.value);
            }
            sql.push(")");
        }
        // MLflow filters names through the `mlflow.runName` tag (runs of MLflow <= 1.29 have no name column value).
        Field::Attribute(Attribute::RunName) => {
            sql.push("EXISTS (SELECT 1 FROM tags f WHERE f.run_uuid = r.run_uuid AND f.key = ");
            sql.bind(tag::RUN_NAME.to_string());
            sql.push(" AND ");
            string_comparison(sql, "f.value", c.op, &c.value);
            sql.push(")");
        }
        Field::Attribute(attr) => {
            let column = attribute_column(*attr);
            if attr.is_numeric() {
                numeric_comparison(sql, column, c.op, &c.value);
            } else {
                string_comparison(sql, column, c.op, &c.value);
            }
        }
        Field::Dataset(field) => {
            sql.push(
                "EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id \
                 WHERE i.destination_type = 'RUN' AND i.source_type = 'DATASET' AND i.destination_id = r.run_uuid AND ",
            );
            match field {
                DatasetField::Name => string_comparison(sql, "d.name", c.op, &c.value),
                DatasetField::Digest => string_comparison(sql, "d.digest", c.op, &c.value),
                DatasetField::Context => {
                    sql.push("EXISTS (SELECT 1 FROM input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = ");
                    sql.bind(tag::DATA_CONTEXT.to_string());
                    sql.push(" AND ");
                    string_comparison(sql, "t.value", c.op, &c.value);
                    sql.push(")");
                }
            }
            sql.push(")");
        }
    }
}

fn lifecycle_condition(view: ViewType) -> Option<&'static str> {
    match view {
        ViewType::ActiveOnly => Some("r.lifecycle_stage = 'active'"),
        ViewType::DeletedOnly => Some("r.lifecycle_stage = 'deleted'"),
        ViewType::All => None,
    }
}

/// `SELECT r.run_uuid ...` for one page of a run search, in MLflow's order: the requested
/// clauses (missing values last, NaN before missing), then newest first, then by id.
pub fn run_ids(
    experiment_ids: &[i64],
    view: ViewType,
    filter: &Filter,
    order: &[OrderBy],
    limit: usize,
    offset: usize,
) -> Sql {
    let mut sql = Sql::default();
    sql.push("SELECT r.run_uuid FROM runs r");
    for (i, o) in order.iter().enumerate() {
        match &o.field {
            Field::Metric(key) => {
                sql.push(&format!(
                    " LEFT JOIN latest_metrics o{i} ON o{i}.run_uuid = r.run_uuid AND o{i}.key = "
                ));
                sql.bind(key.clone());
            }
            Field::Param(key) | Field::Tag(key) => {
                let table = if matches!(o.field, Field::Param(_)) {
                    "params"
                } else {
                    "tags"
                };
                sql.push(&format!(
                    " LEFT JOIN {table} o{i} ON o{i}.run_uuid = r.run_uuid AND o{i}.key = "
                ));
                sql.bind(key.clone());
            }
            _ => {}
        }
    }
    sql.push(" WHERE r.experiment_id IN (");
    for (i, id) in experiment_ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
    if let Some(cond) = lifecycle_condition(view) {
        sql.push(" AND ");
        sql.push(cond);
    }
    for c in &filter.clauses {
        sql.push(" AND ");
        clause(&mut sql, c);
    }
    sql.push(" ORDER BY ");
    for (i, o) in order.iter().enumerate() {
        let dir = if o.ascending { "ASC" } else { "DESC" };
        let expr = match &o.field {
            Field::Metric(_) => {
                sql.push(&format!(
                    "CASE WHEN o{i}.is_nan = 1 THEN 1 WHEN o{i}.value IS NULL THEN 2 ELSE 0 END, "
                ));
                format!("o{i}.value")
            }
            Field::Param(_) | Field::Tag(_) => format!("o{i}.value"),
            Field::Attribute(a) => attribute_column(*a).to_string(),
            Field::Dataset(_) => "NULL".to_string(),
        };
        if !matches!(o.field, Field::Metric(_)) {
            sql.push(&format!("CASE WHEN {expr} IS NULL THEN 1 ELSE 0 END, "));
        }
        sql.push(&format!("{expr} {dir}, "));
    }
    sql.push("r.start_time DESC, r.run_uuid ASC LIMIT ");
    sql.bind(limit as i64);
    sql.push(" OFFSET ");
    sql.bind(offset as i64);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlens_core::filter::parse_run_filter;
    use runlens_core::order::parse_run_order;

    #[test]
    fn like_patterns_become_case_sensitive_globs() {
        assert_eq!(like_to_glob("a%b_c"), "a*b?c");
        assert_eq!(like_to_glob("x*?[y"), "x[*][?][[]y");
    }

    #[test]
    fn every_value_is_a_bound_parameter() {
        let f = parse_run_filter("params.lr = 'x'' OR 1=1 --' AND metrics.acc > 0.5 AND run_id IN ('a','b')").unwrap();
        let o = vec![parse_run_order("metrics.acc DESC").unwrap()];
        let sql = run_ids(&[1, 2], ViewType::ActiveOnly, &f, &o, 100, 0);
        assert!(!sql.text.contains("OR 1=1"));
        assert_eq!(sql.text.matches('?').count(), sql.params.len());
        assert!(sql.params.contains(&SqlValue::Text("x' OR 1=1 --".into())));
    }
}
