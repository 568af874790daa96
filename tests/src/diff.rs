//! Field-by-field comparison of MLflow's answers with Runlens's, reported as a short list of
//! `path: MLflow X, Runlens Y` lines instead of one huge assert.
//!
//! Both sides are serialised to JSON and walked together. Lists of things that have an identity
//! (runs, experiments, files, model versions, latest metrics, dataset inputs) are matched by it, so
//! one missing run is reported as such and not as a shift of every later run; their order is
//! checked separately.

use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Display;

/// Differences gathered over many comparisons; [`Report::finish`] panics with them.
pub struct Report {
    title: String,
    lines: Vec<String>,
    checks: usize,
}

/// At most this many lines are printed (the total is always given).
const MAX_LINES: usize = 60;

impl Report {
    pub fn new(title: impl Into<String>) -> Report {
        Report {
            title: title.into(),
            lines: Vec::new(),
            checks: 0,
        }
    }

    /// Compares one answer of MLflow's with Runlens's.
    pub fn compare<A: Serialize + ?Sized, B: Serialize + ?Sized>(&mut self, what: impl Display, mlflow: &A, ours: &B) {
        self.checks += 1;
        let a = serde_json::to_value(mlflow).expect("MLflow's answer serialises");
        let b = serde_json::to_value(ours).expect("Runlens's answer serialises");
        diff_values(&what.to_string(), &a, &b, &mut self.lines);
    }

    /// Compares when Runlens answered, or records its error.
    pub fn compare_result<A: Serialize + ?Sized, B: Serialize, E: Display>(
        &mut self,
        what: impl Display,
        mlflow: &A,
        ours: Result<B, E>,
    ) {
        match ours {
            Ok(b) => self.compare(what, mlflow, &b),
            Err(e) => {
                self.checks += 1;
                self.lines.push(format!("{what}: MLflow answers, Runlens fails: {e}"));
            }
        }
    }

    /// Records a difference found by other means.
    pub fn note(&mut self, line: impl Into<String>) {
        self.lines.push(line.into());
    }

    /// Counts a check that passed without going through [`Report::compare`].
    pub fn passed(&mut self) {
        self.checks += 1;
    }

    pub fn is_clean(&self) -> bool {
        self.lines.is_empty()
    }

    /// Panics with the differences, if any.
    pub fn finish(self) {
        if self.lines.is_empty() {
            return;
        }
        let mut msg = format!(
            "{}: {} difference(s) between MLflow and Runlens over {} check(s)\n",
            self.title,
            self.lines.len(),
            self.checks
        );
        for line in self.lines.iter().take(MAX_LINES) {
            msg.push_str("  ");
            msg.push_str(line);
            msg.push('\n');
        }
        if self.lines.len() > MAX_LINES {
            msg.push_str(&format!("  ... and {} more\n", self.lines.len() - MAX_LINES));
        }
        panic!("{msg}");
    }
}

/// Appends one line per difference between `mlflow` and `ours` under `path`.
pub fn diff_values(path: &str, mlflow: &Value, ours: &Value, out: &mut Vec<String>) {
    match (mlflow, ours) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff_values(&p, x, y, out),
                    (Some(x), None) => out.push(format!("{p}: MLflow {}, Runlens has no such field", show(x))),
                    (None, Some(y)) => out.push(format!("{p}: MLflow has no such field, Runlens {}", show(y))),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => diff_arrays(path, a, b, out),
        (Value::Number(x), Value::Number(y)) => {
            if !numbers_equal(x, y) {
                out.push(format!("{path}: MLflow {x}, Runlens {y}"));
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: MLflow {}, Runlens {}", show(a), show(b))),
    }
}

fn numbers_equal(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    if x.is_f64() || y.is_f64() {
        let (a, b) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
        // JSON text → f64 can differ in the last bit between Python and serde_json.
        a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
    } else {
        x.as_i64() == y.as_i64() && x.as_u64() == y.as_u64()
    }
}

fn diff_arrays(path: &str, a: &[Value], b: &[Value], out: &mut Vec<String>) {
    let ids_a: Option<Vec<String>> = a.iter().map(identity).collect();
    let ids_b: Option<Vec<String>> = b.iter().map(identity).collect();
    match (ids_a, ids_b) {
        (Some(ia), Some(ib)) if unique(&ia) && unique(&ib) && !(a.is_empty() && b.is_empty()) => {
            let pos_b: HashMap<&String, usize> = ib.iter().enumerate().map(|(i, id)| (id, i)).collect();
            let pos_a: HashMap<&String, usize> = ia.iter().enumerate().map(|(i, id)| (id, i)).collect();
            for (i, id) in ia.iter().enumerate() {
                match pos_b.get(id) {
                    Some(&j) => diff_values(&format!("{path}[{id}]"), &a[i], &b[j], out),
                    None => out.push(format!("{path}: MLflow has [{id}], Runlens does not")),
                }
            }
            for id in &ib {
                if !pos_a.contains_key(id) {
                    out.push(format!("{path}: Runlens has [{id}], MLflow does not"));
                }
            }
            let common_a: Vec<&String> = ia.iter().filter(|id| pos_b.contains_key(id)).collect();
            let common_b: Vec<&String> = ib.iter().filter(|id| pos_a.contains_key(id)).collect();
            if common_a != common_b {
                out.push(format!(
                    "{path}: order differs\n      MLflow  {}\n      Runlens {}",
                    list(&common_a),
                    list(&common_b)
                ));
            }
        }
        _ => {
            if a.len() != b.len() {
                if a.len().max(b.len()) <= 12 {
                    let (x, y) = (show(&Value::Array(a.to_vec())), show(&Value::Array(b.to_vec())));
                    out.push(format!(
                        "{path}: {} item(s) vs {}\n      MLflow  {x}\n      Runlens {y}",
                        a.len(),
                        b.len()
                    ));
                    return;
                }
                out.push(format!("{path}: MLflow has {} item(s), Runlens {}", a.len(), b.len()));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff_values(&format!("{path}[{i}]"), x, y, out);
            }
        }
    }
}

/// What an element of a list is, when it has an identity of its own.
fn identity(v: &Value) -> Option<String> {
    let o = v.as_object()?;
    let s = |k: &str| o.get(k).and_then(Value::as_str);
    if let Some(info) = o.get("info") {
        let id = info.get("run_id")?.as_str()?;
        let name = info.get("run_name").and_then(Value::as_str).unwrap_or("");
        return Some(format!("run {} '{name}'", &id[..id.len().min(8)]));
    }
    if o.contains_key("artifact_location") {
        return Some(format!(
            "experiment {} '{}'",
            s("experiment_id")?,
            s("name").unwrap_or("")
        ));
    }
    if o.contains_key("latest_versions") {
        return Some(format!("model '{}'", s("name")?));
    }
    if let (Some(name), Some(version)) = (s("name"), o.get("version").and_then(Value::as_i64)) {
        return Some(format!("'{name}' v{version}"));
    }
    if o.contains_key("is_dir") {
        return Some(s("path")?.to_string());
    }
    if let Some(d) = o.get("dataset") {
        return Some(format!(
            "dataset {} {}",
            d.get("name")?.as_str()?,
            d.get("digest")?.as_str()?
        ));
    }
    if o.contains_key("step") && o.contains_key("timestamp") {
        // Latest metrics have one entry per key; histories repeat keys and fall back to positions.
        return Some(s("key")?.to_string());
    }
    None
}

fn unique(ids: &[String]) -> bool {
    let set: BTreeSet<&String> = ids.iter().collect();
    set.len() == ids.len()
}

fn list(ids: &[&String]) -> String {
    const MAX: usize = 25;
    let mut s = ids.iter().take(MAX).map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    if ids.len() > MAX {
        s.push_str(&format!(", ... ({} in all)", ids.len()));
    }
    format!("[{s}]")
}

/// A value as compact JSON, cut to a readable length.
pub fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_paths_and_matches_lists_by_identity() {
        let mlflow = json!({"runs": [
            {"info": {"run_id": "aaaa1111", "run_name": "a"}, "data": {"params": {"lr": "0.1"}}},
            {"info": {"run_id": "bbbb2222", "run_name": "b"}, "data": {"params": {}}},
        ]});
        let ours = json!({"runs": [
            {"info": {"run_id": "aaaa1111", "run_name": "a"}, "data": {"params": {"lr": "0.2"}}},
        ]});
        let mut out = Vec::new();
        diff_values("x", &mlflow, &ours, &mut out);
        assert_eq!(out.len(), 2, "{out:#?}");
        assert_eq!(
            out[0],
            "x.runs[run aaaa1111 'a'].data.params.lr: MLflow \"0.1\", Runlens \"0.2\""
        );
        assert!(out[1].contains("MLflow has [run bbbb2222 'b']"));
    }

    #[test]
    fn numbers_compare_by_value_and_order_is_checked() {
        let mut out = Vec::new();
        diff_values("v", &json!([1.0, 2]), &json!([1.0000000000000002, 2]), &mut out);
        assert!(out.is_empty(), "{out:?}");
        let files = |a: &str, b: &str| json!([{"path": a, "is_dir": false}, {"path": b, "is_dir": false}]);
        diff_values("f", &files("a", "b"), &files("b", "a"), &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].contains("order differs"));
    }
}
