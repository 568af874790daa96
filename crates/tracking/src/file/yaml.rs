//! `meta.yaml` files: read with `serde_yaml_ng`, written by a small emitter that produces what
//! MLflow's PyYAML `safe_dump(sort_keys=True)` reads back unchanged.
//!
//! PyYAML resolves scalars by YAML 1.1 (`yes`, `on`, `1:30`, `2024-01-01` are not strings
//! there), so strings are written plain only when they cannot be mistaken for anything else and
//! quoted otherwise. Reading goes through typed structs of `Option<String>` fields, which
//! `serde_yaml_ng` fills with the scalar's text as written, so no value is reinterpreted on the way in.

use super::io::{corrupt, read_text};
use crate::error::Result;
use serde::de::DeserializeOwned;
use serde_yaml_ng::{Mapping, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// A value to write.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Null,
    Int(i64),
    Str(String),
    /// A scalar already in YAML form (a bool or a float kept from the file).
    Raw(String),
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
}

impl From<&str> for Node {
    fn from(s: &str) -> Node {
        Node::Str(s.to_string())
    }
}

impl From<String> for Node {
    fn from(s: String) -> Node {
        Node::Str(s)
    }
}

impl From<i64> for Node {
    fn from(n: i64) -> Node {
        Node::Int(n)
    }
}

impl<T: Into<Node>> From<Option<T>> for Node {
    fn from(v: Option<T>) -> Node {
        v.map_or(Node::Null, Into::into)
    }
}

/// One `meta.yaml` document: a mapping written with sorted keys, as MLflow writes it. Keys
/// Runlens does not know are kept as they were read.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Doc(BTreeMap<String, Node>);

impl Doc {
    pub fn new() -> Doc {
        Doc::default()
    }

    pub fn from_mapping(m: &Mapping) -> Doc {
        Doc(m.iter().map(|(k, v)| (key_text(k), from_value(v))).collect())
    }

    pub fn set(&mut self, key: &str, value: impl Into<Node>) -> &mut Doc {
        self.0.insert(key.to_string(), value.into());
        self
    }

    pub fn remove(&mut self, key: &str) {
        self.0.remove(key);
    }

    /// Puts back a string field exactly as written where the YAML 1.2 reading of the whole
    /// document took it for a number or a bool (PyYAML writes `1e3` or `0o17` unquoted, as they
    /// are strings in YAML 1.1); otherwise rewriting the file would change the value.
    fn keep_string(&mut self, key: &str, raw: &str) {
        if let Some(node @ (Node::Int(_) | Node::Raw(_))) = self.0.get_mut(key) {
            *node = Node::Str(raw.to_string());
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let entries: Vec<(String, Node)> = self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        emit_map(&mut out, &entries, 0);
        out
    }
}

fn key_text(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => serde_yaml_ng::to_string(other).unwrap_or_default().trim().to_string(),
    }
}

fn from_value(v: &Value) -> Node {
    match v {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Raw(b.to_string()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Node::Int(i)
            } else if let Some(u) = n.as_u64() {
                Node::Raw(u.to_string())
            } else {
                Node::Raw(yaml_float(n.as_f64().unwrap_or(f64::NAN)))
            }
        }
        Value::String(s) => Node::Str(s.clone()),
        Value::Sequence(items) => Node::Seq(items.iter().map(from_value).collect()),
        Value::Mapping(m) => Node::Map(m.iter().map(|(k, v)| (key_text(k), from_value(v))).collect()),
        Value::Tagged(t) => from_value(&t.value),
    }
}

/// A float as PyYAML writes one (`.nan`, `.inf`, `1.0e+16`).
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f == f64::INFINITY {
        ".inf".into()
    } else if f == f64::NEG_INFINITY {
        "-.inf".into()
    } else {
        let r = python_float_repr(f);
        if !r.contains('.') && r.contains('e') {
            r.replacen('e', ".0e", 1)
        } else {
            r
        }
    }
}

/// Python's `repr(float)`: the shortest digits that read back to the same value, fixed notation
/// for exponents from -4 to 15 and scientific (`1e+16`, `1.5e-05`) outside. Metric files hold
/// values in this form.
pub(super) fn python_float_repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e3", "5e-1", "0e0".
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            let (int_part, frac) = if digits.len() > int_len {
                (digits[..int_len].to_string(), digits[int_len..].to_string())
            } else {
                (format!("{digits:0<int_len$}"), String::new())
            };
            let frac = if frac.is_empty() { "0".to_string() } else { frac };
            format!("{sign}{int_part}.{frac}")
        } else {
            let zeros = "0".repeat((-exp - 1) as usize);
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mant}e{esign}{:02}", exp.abs())
    }
}

fn emit_map(out: &mut String, entries: &[(String, Node)], indent: usize) {
    for (key, value) in entries {
        out.push_str(&" ".repeat(indent));
        out.push_str(&scalar_str(key));
        out.push(':');
        emit_value(out, value, indent, true);
    }
}

/// Writes what follows `key:` (or `- `): a scalar on the same line, a block on the next lines.
fn emit_value(out: &mut String, value: &Node, indent: usize, after_key: bool) {
    match value {
        Node::Map(m) if !m.is_empty() => {
            out.push('\n');
            emit_map(out, m, indent + 2);
        }
        Node::Seq(items) if !items.is_empty() => {
            out.push('\n');
            // PyYAML does not indent a sequence under a mapping key.
            let item_indent = if after_key { indent } else { indent + 2 };
            for item in items {
                out.push_str(&" ".repeat(item_indent));
                out.push('-');
                match item {
                    Node::Map(m) if !m.is_empty() => {
                        // The first pair goes on the dash's line, the rest under it.
                        out.push(' ');
                        let mut first = String::new();
                        emit_map(&mut first, &m[..1], 0);
                        out.push_str(&first);
                        emit_map(out, &m[1..], item_indent + 2);
                    }
                    other => emit_value(out, other, item_indent, false),
                }
            }
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
}

fn scalar_text(node: &Node) -> String {
    match node {
        Node::Null => "null".into(),
        Node::Int(n) => n.to_string(),
        Node::Str(s) => scalar_str(s),
        Node::Raw(r) => r.clone(),
        Node::Map(_) => "{}".into(),
        Node::Seq(_) => "[]".into(),
    }
}

/// A string as a YAML scalar that PyYAML's safe loader reads back as exactly that string.
pub(super) fn scalar_str(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else if s.chars().all(is_printable) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        double_quoted(s)
    }
}

/// Plain (unquoted) only when PyYAML's YAML 1.1 resolvers cannot read it as anything but a
/// string: it starts with a letter, `_` or `/`, holds no indicator sequences and is not a bool
/// word; or it is letters and digits that are no integer (`463d62…` run ids, not `0x1F`).
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    if first.is_ascii_digit() {
        let int_with_prefix = |prefix: &str, digit: fn(char) -> bool| {
            s.strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty() && rest.chars().all(digit))
        };
        return s.chars().all(|c| c.is_ascii_alphanumeric())
            && s.chars().any(|c| c.is_ascii_alphabetic())
            && !int_with_prefix("0b", |c| c == '0' || c == '1')
            && !int_with_prefix("0x", |c| c.is_ascii_hexdigit());
    }
    if !(first.is_ascii_alphabetic() || first == '_' || first == '/') {
        return false;
    }
    if s.ends_with(' ') || s.ends_with(':') || s.contains(": ") || s.contains(" #") {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | ':' | '-' | ' '))
    {
        return false;
    }
    !matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "yes" | "n" | "no" | "true" | "false" | "on" | "off" | "null"
    )
}

/// Characters that stand for themselves inside single quotes (no line breaks, no controls).
fn is_printable(c: char) -> bool {
    !(c < ' ' || ('\u{7f}'..='\u{9f}').contains(&c) || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'))
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// A typed view of one kind of `meta.yaml`, naming the fields that hold strings.
pub(super) trait StringFields {
    /// Every string field of the view with its text as written (`None` when absent or null).
    fn string_fields(&self) -> Vec<(&'static str, &Option<String>)> {
        Vec::new()
    }
}

/// What reading a `meta.yaml` found.
pub(super) enum Meta<T> {
    /// No such file: the folder is not (or not yet) an entity.
    Missing,
    /// The file is empty even after waiting for a concurrent writer (MLflow's own writes are
    /// not atomic, so a reader can catch a file just truncated).
    Empty,
    Found(T, Doc),
}

/// Reads one `meta.yaml` into a typed view plus the whole document. A file that is not YAML,
/// or not a mapping, is a [`CorruptStore`](runlens_core::ErrorCode::CorruptStore) error naming it.
pub(super) fn read_meta<T: DeserializeOwned + StringFields>(path: &Path) -> Result<Meta<T>> {
    let mut text = match read_text(path)? {
        None => return Ok(Meta::Missing),
        Some(t) => t,
    };
    // MLflow's reader retries twice on an empty file for the same reason.
    for wait_ms in [100, 200] {
        if !text.trim().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        text = match read_text(path)? {
            None => return Ok(Meta::Missing),
            Some(t) => t,
        };
    }
    let value: Value =
        serde_yaml_ng::from_str(&text).map_err(|e| corrupt(path, "is not valid YAML", Some(e.to_string())))?;
    let mapping = match value {
        Value::Null => return Ok(Meta::Empty),
        Value::Mapping(m) => m,
        _ => return Err(corrupt(path, "is not a YAML mapping of fields", None)),
    };
    let typed: T = serde_yaml_ng::from_str(&text)
        .map_err(|e| corrupt(path, "has a field of the wrong type", Some(e.to_string())))?;
    let mut doc = Doc::from_mapping(&mapping);
    for (key, raw) in typed.string_fields() {
        if let Some(raw) = raw {
            doc.keep_string(key, raw);
        }
    }
    Ok(Meta::Found(typed, doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Probe {
        s: Option<String>,
    }

    impl StringFields for Probe {
        fn string_fields(&self) -> Vec<(&'static str, &Option<String>)> {
            vec![("s", &self.s)]
        }
    }

    fn round_trip(s: &str) -> Option<String> {
        let mut d = Doc::new();
        d.set("s", s);
        serde_yaml_ng::from_str::<Probe>(&d.render()).unwrap().s
    }

    #[test]
    fn floats_print_like_python_repr() {
        let cases = [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (-0.25, "-0.25"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789.125, "123456789.125"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e300, "1e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (v, want) in cases {
            assert_eq!(python_float_repr(v), want, "{v:e}");
        }
        assert_eq!(yaml_float(1e16), "1.0e+16");
    }

    #[test]
    fn strings_are_quoted_when_pyyaml_would_misread_them() {
        assert_eq!(scalar_str("exp one"), "exp one");
        assert_eq!(scalar_str("file:///tmp/mlruns/0"), "file:///tmp/mlruns/0");
        assert_eq!(scalar_str("0"), "'0'");
        assert_eq!(scalar_str("yes"), "'yes'");
        assert_eq!(scalar_str("On"), "'On'");
        assert_eq!(scalar_str("2024-01-01"), "'2024-01-01'");
        assert_eq!(scalar_str("1:30"), "'1:30'");
        assert_eq!(
            scalar_str("463d6258a0484530ab9838aa45a94b00"),
            "463d6258a0484530ab9838aa45a94b00"
        );
        assert_eq!(scalar_str("0x1F"), "'0x1F'");
        assert_eq!(scalar_str("0b101"), "'0b101'");
        assert_eq!(scalar_str("1e5"), "1e5");
        assert_eq!(scalar_str(""), "''");
        assert_eq!(scalar_str("it's"), "'it''s'");
        assert_eq!(scalar_str("a: b"), "'a: b'");
        assert_eq!(scalar_str("a\nb\t\"c\\"), "\"a\\nb\\t\\\"c\\\\\"");
        for s in [
            "null", "~", "1e3", "0o17", ".inf", "-", "- x", "#x", "x #y", "{a}", "[1]", "é", "a\u{85}b", " pad ",
        ] {
            assert_eq!(round_trip(s).as_deref(), Some(s), "{s:?}");
        }
    }

    #[test]
    fn rewriting_keeps_strings_pyyaml_wrote_unquoted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.yaml");
        std::fs::write(&path, "s: 1e3\nk: 5\nf: 1.5\n").unwrap();
        let Meta::Found(probe, doc) = read_meta::<Probe>(&path).unwrap() else {
            panic!("not read")
        };
        assert_eq!(probe.s.as_deref(), Some("1e3"));
        assert_eq!(doc.render(), "f: 1.5\nk: 5\ns: 1e3\n");
        std::fs::write(&path, "s: [1\n").unwrap();
        let err = runlens_core::ApiError::from(read_meta::<Probe>(&path).err().unwrap());
        assert_eq!(err.code, runlens_core::ErrorCode::CorruptStore);
        std::fs::write(&path, "").unwrap();
        assert!(matches!(read_meta::<Probe>(&path).unwrap(), Meta::Empty));
        assert!(matches!(
            read_meta::<Probe>(&dir.path().join("none")).unwrap(),
            Meta::Missing
        ));
    }

    #[test]
    fn documents_are_sorted_and_nested_like_pyyaml() {
        let mut d = Doc::new();
        d.set("version", 3)
            .set("aliases", Node::Map(vec![("champion".into(), "2".into())]));
        d.set("tags", Node::Seq(vec![])).set("description", Node::Null);
        assert_eq!(
            d.render(),
            "aliases:\n  champion: '2'\ndescription: null\ntags: []\nversion: 3\n"
        );
        let m: Mapping = serde_yaml_ng::from_str("b: 1\na: [x, {k: v}]\nf: 1.5\nt: true\n").unwrap();
        assert_eq!(
            Doc::from_mapping(&m).render(),
            "a:\n- x\n- k: v\nb: 1\nf: 1.5\nt: true\n"
        );
    }
}
