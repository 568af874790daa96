//! MLflow's search filter syntax: `metrics.acc > 0.9 AND params.lr = '0.01' AND
//! tags.\`mlflow.user\` LIKE 'a%' AND attributes.status IN ('FINISHED', 'RUNNING')`.
//!
//! [`parse_run_filter`] and [`parse_experiment_filter`] turn a filter string into a [`Filter`] or a
//! [`FilterError`] that names the position and what was expected there. Local stores evaluate a
//! filter with [`Filter::matches_run`] / [`Filter::matches_experiment`]; the SQLite store
//! translates it to SQL instead.

use crate::model::{Experiment, Run};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Filter {
    /// All clauses must hold (MLflow's filters only know `AND`).
    pub clauses: Vec<Clause>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clause {
    pub field: Field,
    pub op: Op,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Metric(String),
    Param(String),
    Tag(String),
    Attribute(Attribute),
    Dataset(DatasetField),
}

/// Attributes of runs and experiments that filters and ordering can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Attribute {
    RunId,
    RunName,
    Status,
    UserId,
    ArtifactUri,
    StartTime,
    EndTime,
    ExperimentId,
    Name,
    CreationTime,
    LastUpdateTime,
}

impl Attribute {
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Attribute::StartTime | Attribute::EndTime | Attribute::CreationTime | Attribute::LastUpdateTime
        )
    }

    fn for_runs(name: &str) -> Option<Self> {
        Some(match name {
            "run_id" | "run_uuid" | "id" => Attribute::RunId,
            "run_name" | "name" => Attribute::RunName,
            "status" => Attribute::Status,
            "user_id" => Attribute::UserId,
            "artifact_uri" => Attribute::ArtifactUri,
            "start_time" | "created" | "Created" => Attribute::StartTime,
            "end_time" => Attribute::EndTime,
            _ => return None,
        })
    }

    fn for_experiments(name: &str) -> Option<Self> {
        Some(match name {
            "name" => Attribute::Name,
            "experiment_id" => Attribute::ExperimentId,
            "creation_time" => Attribute::CreationTime,
            "last_update_time" => Attribute::LastUpdateTime,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DatasetField {
    Name,
    Digest,
    Context,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    ILike,
    In,
    NotIn,
    /// The param or tag is absent.
    IsNull,
    /// The param or tag is present, whatever its value.
    IsNotNull,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Like => "LIKE",
            Op::ILike => "ILIKE",
            Op::In => "IN",
            Op::NotIn => "NOT IN",
            Op::IsNull => "IS NULL",
            Op::IsNotNull => "IS NOT NULL",
        }
    }

    fn is_presence(self) -> bool {
        matches!(self, Op::IsNull | Op::IsNotNull)
    }

    fn is_numeric_only(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }

    fn is_pattern(self) -> bool {
        matches!(self, Op::Like | Op::ILike)
    }

    fn is_list(self) -> bool {
        matches!(self, Op::In | Op::NotIn)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Str(String),
    Num(f64),
    List(Vec<String>),
    /// The operand of `IS NULL` / `IS NOT NULL`.
    Null,
}

/// A filter that does not parse: where (0-based character offset) and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterError {
    pub position: usize,
    pub expected: String,
    pub found: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid filter at character {}: expected {}, found {}",
            self.position + 1,
            self.expected,
            self.found
        )
    }
}

impl std::error::Error for FilterError {}

impl From<FilterError> for crate::ApiError {
    fn from(e: FilterError) -> Self {
        crate::ApiError::invalid(e.to_string())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Entity {
    Runs,
    Experiments,
}

/// Parses a run search filter. An empty or blank filter matches every run.
pub fn parse_run_filter(text: &str) -> Result<Filter, FilterError> {
    Parser::new(text, Entity::Runs).parse()
}

/// Parses an experiment search filter (`name`, `tags.<key>`, times).
pub fn parse_experiment_filter(text: &str) -> Result<Filter, FilterError> {
    Parser::new(text, Entity::Experiments).parse()
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Backticked(String),
    Number(f64),
    Op(&'static str),
    Comma,
    Open,
    Close,
    Dot,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Quoted(s) => format!("the string '{s}'"),
            Tok::Backticked(s) => format!("`{s}`"),
            Tok::Number(n) => format!("the number {n}"),
            Tok::Op(o) => format!("'{o}'"),
            Tok::Comma => "','".into(),
            Tok::Open => "'('".into(),
            Tok::Close => "')'".into(),
            Tok::Dot => "'.'".into(),
            Tok::End => "the end of the filter".into(),
        }
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    at: usize,
    entity: Entity,
    lex_error: Option<FilterError>,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '/' | '-' | ':')
}

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '\'' | '"' | '`' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(FilterError {
                                position: start,
                                expected: format!("a closing {quote}"),
                                found: "the end of the filter".into(),
                            })
                        }
                        // A doubled quote inside a string stands for the quote itself (SQL style).
                        Some(&q) if q == quote && chars.get(i + 1) == Some(&quote) => {
                            s.push(quote);
                            i += 2;
                        }
                        Some(&q) if q == quote => {
                            i += 1;
                            break;
                        }
                        Some(&other) => {
                            s.push(other);
                            i += 1;
                        }
                    }
                }
                toks.push((
                    start,
                    if quote == '`' {
                        Tok::Backticked(s)
                    } else {
                        Tok::Quoted(s)
                    },
                ));
                continue;
            }
            '(' => toks.push((start, Tok::Open)),
            ')' => toks.push((start, Tok::Close)),
            ',' => toks.push((start, Tok::Comma)),
            '.' if !chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) => toks.push((start, Tok::Dot)),
            '=' => {
                // `==` is accepted as `=`.
                if chars.get(i + 1) == Some(&'=') {
                    i += 1;
                }
                toks.push((start, Tok::Op("=")));
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                i += 1;
                toks.push((start, Tok::Op("!=")));
            }
            '<' | '>' => {
                let op = match (c, chars.get(i + 1)) {
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('<', Some('>')) => "!=",
                    ('<', _) => "<",
                    _ => ">",
                };
                if op.len() == 2 {
                    i += 1;
                }
                toks.push((start, Tok::Op(op)));
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+' || c == '.')
                    && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit() || *d == '.')) =>
            {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_ascii_digit()
                        || chars[j] == '.'
                        || chars[j] == 'e'
                        || chars[j] == 'E'
                        || ((chars[j] == '-' || chars[j] == '+') && matches!(chars[j - 1], 'e' | 'E')))
                {
                    j += 1;
                }
                let literal: String = chars[i..j].iter().collect();
                // A number glued to letters (`1abc`) is a word, e.g. part of a key.
                if j < chars.len() && is_word_char(chars[j]) && !chars[j].is_ascii_digit() {
                    let mut k = j;
                    while k < chars.len() && is_word_char(chars[k]) {
                        k += 1;
                    }
                    toks.push((start, Tok::Word(chars[i..k].iter().collect())));
                    i = k;
                    continue;
                }
                let n = literal.parse::<f64>().map_err(|_| FilterError {
                    position: start,
                    expected: "a number".into(),
                    found: format!("'{literal}'"),
                })?;
                toks.push((start, Tok::Number(n)));
                i = j;
                continue;
            }
            c if is_word_char(c) => {
                let mut j = i;
                while j < chars.len() && is_word_char(chars[j]) {
                    j += 1;
                }
                toks.push((start, Tok::Word(chars[i..j].iter().collect())));
                i = j;
                continue;
            }
            other => {
                return Err(FilterError {
                    position: start,
                    expected: "a key, an operator or a value".into(),
                    found: format!("'{other}'"),
                })
            }
        }
        i += 1;
    }
    toks.push((chars.len(), Tok::End));
    Ok(toks)
}

const COMPARATORS: &str = "a comparison (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL)";

impl Parser {
    fn new(text: &str, entity: Entity) -> Self {
        match lex(text) {
            Ok(toks) => Parser {
                toks,
                at: 0,
                entity,
                lex_error: None,
            },
            Err(e) => Parser {
                toks: vec![],
                at: 0,
                entity,
                lex_error: Some(e),
            },
        }
    }

    fn peek(&self) -> &(usize, Tok) {
        &self.toks[self.at.min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> (usize, Tok) {
        let t = self.peek().clone();
        self.at += 1;
        t
    }

    fn error<T>(&self, expected: impl Into<String>) -> Result<T, FilterError> {
        let (position, tok) = self.peek();
        Err(FilterError {
            position: *position,
            expected: expected.into(),
            found: tok.describe(),
        })
    }

    fn parse(mut self) -> Result<Filter, FilterError> {
        if let Some(e) = self.lex_error.take() {
            return Err(e);
        }
        let mut clauses = Vec::new();
        if self.peek().1 == Tok::End {
            return Ok(Filter { clauses });
        }
        loop {
            clauses.push(self.clause()?);
            match &self.peek().1 {
                Tok::End => break,
                Tok::Word(w) if w.eq_ignore_ascii_case("and") => {
                    self.next();
                }
                Tok::Word(w) if w.eq_ignore_ascii_case("or") => {
                    return self.error("AND (MLflow filters cannot combine clauses with OR)")
                }
                _ => return self.error("AND or the end of the filter"),
            }
        }
        Ok(Filter { clauses })
    }

    fn clause(&mut self) -> Result<Clause, FilterError> {
        let field_at = self.peek().0;
        let field = self.field()?;
        let op = self.op()?;
        let value_at = self.peek().0;
        let value = self.value(op)?;
        check_types(&field, op, &value).map_err(|expected| FilterError {
            position: if expected.starts_with("a comparison") {
                field_at
            } else {
                value_at
            },
            expected,
            found: describe_value(&value),
        })?;
        Ok(Clause { field, op, value })
    }

    fn key(&mut self) -> Result<String, FilterError> {
        match self.next().1 {
            Tok::Word(w) => {
                // Bare keys may contain dots: `tags.mlflow.user`.
                let mut key = w;
                while self.peek().1 == Tok::Dot {
                    self.next();
                    match self.next().1 {
                        Tok::Word(w) => {
                            key.push('.');
                            key.push_str(&w);
                        }
                        Tok::Number(n) => {
                            key.push('.');
                            key.push_str(&n.to_string());
                        }
                        _ => {
                            self.at -= 1;
                            return self.error("the rest of the key after '.'");
                        }
                    }
                }
                Ok(key)
            }
            Tok::Backticked(s) | Tok::Quoted(s) => Ok(s),
            _ => {
                self.at -= 1;
                self.error("a key (quote keys with special characters in backticks)")
            }
        }
    }

    fn field(&mut self) -> Result<Field, FilterError> {
        let (at, tok) = self.peek().clone();
        let Tok::Word(first) = tok else {
            if let Tok::Backticked(_) | Tok::Quoted(_) = tok {
                return self.error("a prefix such as metrics., params., tags. or attributes.");
            }
            return self.error("a key such as metrics.<name>, params.<name>, tags.<name> or an attribute");
        };
        self.next();
        let has_dot = self.peek().1 == Tok::Dot;
        let prefix = first.to_ascii_lowercase();
        let entity = self.entity;
        if has_dot {
            let kind = match (entity, prefix.as_str()) {
                (Entity::Runs, "metric" | "metrics") => Some("metric"),
                (Entity::Runs, "param" | "params" | "parameter" | "parameters") => Some("param"),
                (_, "tag" | "tags") => Some("tag"),
                (_, "attribute" | "attributes" | "attr" | "run") => Some("attribute"),
                (Entity::Runs, "dataset" | "datasets") => Some("dataset"),
                _ => None,
            };
            if let Some(kind) = kind {
                self.next();
                let key_at = self.peek().0;
                let key = self.key()?;
                return match kind {
                    "metric" => Ok(Field::Metric(key)),
                    "param" => Ok(Field::Param(key)),
                    "tag" => Ok(Field::Tag(key)),
                    "attribute" => self.attribute(&key, key_at),
                    _ => match key.as_str() {
                        "name" => Ok(Field::Dataset(DatasetField::Name)),
                        "digest" => Ok(Field::Dataset(DatasetField::Digest)),
                        "context" => Ok(Field::Dataset(DatasetField::Context)),
                        other => Err(FilterError {
                            position: key_at,
                            expected: "a dataset field: name, digest or context".into(),
                            found: format!("'{other}'"),
                        }),
                    },
                };
            }
        }
        // No known prefix: the whole word is an attribute name.
        if has_dot {
            return Err(FilterError {
                position: at,
                expected: match entity {
                    Entity::Runs => "a prefix: metrics., params., tags., attributes. or datasets.".into(),
                    Entity::Experiments => "a prefix: tags. or attributes.".into(),
                },
                found: format!("'{first}'"),
            });
        }
        self.attribute(&first, at)
    }

    fn attribute(&self, name: &str, at: usize) -> Result<Field, FilterError> {
        let attr = match self.entity {
            Entity::Runs => Attribute::for_runs(name),
            Entity::Experiments => Attribute::for_experiments(name),
        };
        attr.map(Field::Attribute).ok_or_else(|| FilterError {
            position: at,
            expected: match self.entity {
                Entity::Runs => "an attribute: run_id, run_name, status, user_id, artifact_uri, start_time, end_time (or a metrics./params./tags./datasets. key)".into(),
                Entity::Experiments => "an attribute: name, experiment_id, creation_time, last_update_time (or a tags. key)".into(),
            },
            found: format!("'{name}'"),
        })
    }

    fn op(&mut self) -> Result<Op, FilterError> {
        let (_, tok) = self.peek().clone();
        let op = match tok {
            Tok::Op(o) => match o {
                "=" => Op::Eq,
                "!=" => Op::Ne,
                "<" => Op::Lt,
                "<=" => Op::Le,
                ">" => Op::Gt,
                _ => Op::Ge,
            },
            Tok::Word(w) => match w.to_ascii_uppercase().as_str() {
                "LIKE" => Op::Like,
                "ILIKE" => Op::ILike,
                "IN" => Op::In,
                "IS" => {
                    self.next();
                    let negated = matches!(&self.peek().1, Tok::Word(w) if w.eq_ignore_ascii_case("not"));
                    if negated {
                        self.next();
                    }
                    match &self.peek().1 {
                        Tok::Word(w) if w.eq_ignore_ascii_case("null") => {
                            if negated {
                                Op::IsNotNull
                            } else {
                                Op::IsNull
                            }
                        }
                        _ => {
                            return self.error(if negated {
                                "NULL after IS NOT"
                            } else {
                                "NULL or NOT NULL after IS"
                            })
                        }
                    }
                }
                "NOT" => {
                    self.next();
                    match &self.peek().1 {
                        Tok::Word(w) if w.eq_ignore_ascii_case("in") => Op::NotIn,
                        _ => return self.error("IN after NOT"),
                    }
                }
                _ => return self.error(COMPARATORS),
            },
            _ => return self.error(COMPARATORS),
        };
        self.next();
        Ok(op)
    }

    fn value(&mut self, op: Op) -> Result<Value, FilterError> {
        if op.is_presence() {
            return Ok(Value::Null);
        }
        if op.is_list() {
            if self.peek().1 != Tok::Open {
                return self.error(format!("a parenthesised list of strings after {}", op.as_str()));
            }
            self.next();
            let mut items = Vec::new();
            loop {
                match self.next().1 {
                    Tok::Quoted(s) => items.push(s),
                    _ => {
                        self.at -= 1;
                        return self.error("a quoted string in the list");
                    }
                }
                match self.next().1 {
                    Tok::Comma => continue,
                    Tok::Close => break,
                    _ => {
                        self.at -= 1;
                        return self.error("',' or ')'");
                    }
                }
            }
            return Ok(Value::List(items));
        }
        match self.next().1 {
            Tok::Quoted(s) => Ok(Value::Str(s)),
            Tok::Number(n) => Ok(Value::Num(n)),
            _ => {
                self.at -= 1;
                self.error("a value: a quoted string or a number")
            }
        }
    }
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("the string '{s}'"),
        Value::Num(n) => format!("the number {n}"),
        Value::List(items) => format!("a list of {} strings", items.len()),
        Value::Null => "NULL".into(),
    }
}

/// Which comparisons each kind of field takes, exactly as MLflow 3.17 allows them: metrics and
/// times compare numbers; params and tags take `=`, `!=`, `LIKE`, `ILIKE`, `IS [NOT] NULL`;
/// string attributes take `=`, `!=`, `LIKE`, `ILIKE`, and lists only for `run_id`; dataset
/// fields take all string comparisons including lists.
fn check_types(field: &Field, op: Op, value: &Value) -> Result<(), String> {
    let numeric = match field {
        Field::Metric(_) => true,
        Field::Attribute(a) => a.is_numeric(),
        _ => false,
    };
    if op.is_presence() {
        return match field {
            Field::Param(_) | Field::Tag(_) => Ok(()),
            _ => Err(
                "a comparison other than IS NULL / IS NOT NULL: MLflow allows those only for params and tags".into(),
            ),
        };
    }
    if numeric {
        if op.is_pattern() || op.is_list() {
            return Err(format!(
                "a comparison (=, !=, <, <=, >, >=) for a numeric key, not {}",
                op.as_str()
            ));
        }
        if !matches!(value, Value::Num(_)) {
            return Err("a number".into());
        }
        return Ok(());
    }
    if op.is_numeric_only() {
        return Err(format!(
            "a comparison (=, !=, LIKE, ILIKE, IN, NOT IN) for a string key, not {}",
            op.as_str()
        ));
    }
    if op.is_list() {
        let lists_allowed = matches!(field, Field::Dataset(_) | Field::Attribute(Attribute::RunId));
        if !lists_allowed {
            return Err(format!(
                "a comparison (=, !=, LIKE, ILIKE) for this key, not {}: MLflow compares lists only with run_id and dataset fields",
                op.as_str()
            ));
        }
    } else if !matches!(value, Value::Str(_)) {
        return Err("a quoted string".into());
    }
    Ok(())
}

/// SQL `LIKE` matching: `%` is any run of characters, `_` any one character.
pub fn like(text: &str, pattern: &str, case_insensitive: bool) -> bool {
    let (t, p): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            text.to_lowercase().chars().collect(),
            pattern.to_lowercase().chars().collect(),
        )
    } else {
        (text.chars().collect(), pattern.chars().collect())
    };
    // Iterative wildcard matching with backtracking to the last `%`.
    let (mut ti, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || p[pi] == t[ti]) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

fn compare_str(actual: &str, op: Op, value: &Value) -> bool {
    match (op, value) {
        (Op::Eq, Value::Str(v)) => actual == v,
        (Op::Ne, Value::Str(v)) => actual != v,
        (Op::Like, Value::Str(v)) => like(actual, v, false),
        (Op::ILike, Value::Str(v)) => like(actual, v, true),
        (Op::In, Value::List(vs)) => vs.iter().any(|v| v == actual),
        (Op::NotIn, Value::List(vs)) => !vs.iter().any(|v| v == actual),
        _ => false,
    }
}

fn compare_num(actual: f64, op: Op, value: &Value) -> bool {
    let Value::Num(v) = value else { return false };
    let v = *v;
    match op {
        Op::Eq => actual == v,
        Op::Ne => actual != v,
        Op::Lt => actual < v,
        Op::Le => actual <= v,
        Op::Gt => actual > v,
        Op::Ge => actual >= v,
        _ => false,
    }
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Whether a run satisfies every clause. A run without the named metric, param or tag never
    /// matches (as in MLflow, where the filter is a join).
    pub fn matches_run(&self, run: &Run) -> bool {
        self.clauses.iter().all(|c| clause_matches_run(c, run))
    }

    pub fn matches_experiment(&self, exp: &Experiment) -> bool {
        self.clauses.iter().all(|c| match &c.field {
            Field::Tag(k) => present_and(exp.tags.get(k), c),
            Field::Attribute(Attribute::Name) => compare_str(&exp.name, c.op, &c.value),
            Field::Attribute(Attribute::ExperimentId) => compare_str(&exp.experiment_id, c.op, &c.value),
            Field::Attribute(Attribute::CreationTime) => {
                exp.creation_time.is_some_and(|t| compare_num(t as f64, c.op, &c.value))
            }
            Field::Attribute(Attribute::LastUpdateTime) => exp
                .last_update_time
                .is_some_and(|t| compare_num(t as f64, c.op, &c.value)),
            _ => false,
        })
    }
}

/// A param or tag clause: presence tests, or a comparison of a present value.
fn present_and(value: Option<&String>, c: &Clause) -> bool {
    match c.op {
        Op::IsNull => value.is_none(),
        Op::IsNotNull => value.is_some(),
        _ => value.is_some_and(|v| compare_str(v, c.op, &c.value)),
    }
}

fn clause_matches_run(c: &Clause, run: &Run) -> bool {
    let info = &run.info;
    match &c.field {
        // NaN compares false with everything except `!=`, as in MLflow.
        Field::Metric(k) => run
            .metric(k)
            .is_some_and(|m| compare_num(m.value.get(), c.op, &c.value)),
        Field::Param(k) => present_and(run.data.params.get(k), c),
        Field::Tag(k) => present_and(run.data.tags.get(k), c),
        Field::Attribute(a) => match a {
            Attribute::RunId => compare_str(&info.run_id, c.op, &c.value),
            Attribute::RunName => compare_str(&info.run_name, c.op, &c.value),
            Attribute::Status => compare_str(info.status.as_str(), c.op, &c.value),
            Attribute::UserId => compare_str(&info.user_id, c.op, &c.value),
            Attribute::ArtifactUri => compare_str(&info.artifact_uri, c.op, &c.value),
            Attribute::StartTime => info.start_time.is_some_and(|t| compare_num(t as f64, c.op, &c.value)),
            Attribute::EndTime => info.end_time.is_some_and(|t| compare_num(t as f64, c.op, &c.value)),
            Attribute::ExperimentId => compare_str(&info.experiment_id, c.op, &c.value),
            _ => false,
        },
        Field::Dataset(d) => run.inputs.iter().any(|input| {
            let actual = match d {
                DatasetField::Name => Some(input.dataset.name.as_str()),
                DatasetField::Digest => Some(input.dataset.digest.as_str()),
                DatasetField::Context => input.tags.get(crate::model::tag::DATA_CONTEXT).map(String::as_str),
            };
            actual.is_some_and(|v| compare_str(v, c.op, &c.value))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_every_kind_of_clause() {
        let f = parse_run_filter(
            "metrics.acc > 0.9 AND params.lr = '0.01' and tags.`mlflow.user` LIKE 'a%' \
             AND attributes.run_id IN ('FINISHED', 'RUNNING') AND datasets.context = 'training' \
             AND tags.mlflow.source.name != \"x\" AND run_id NOT IN ('a') AND metrics.\"eval/loss\" <= -1e-3",
        )
        .unwrap();
        assert_eq!(f.clauses.len(), 8);
        assert_eq!(
            f.clauses[0],
            Clause {
                field: Field::Metric("acc".into()),
                op: Op::Gt,
                value: Value::Num(0.9)
            }
        );
        assert_eq!(f.clauses[2].field, Field::Tag("mlflow.user".into()));
        assert_eq!(
            f.clauses[3].value,
            Value::List(vec!["FINISHED".into(), "RUNNING".into()])
        );
        assert_eq!(f.clauses[4].field, Field::Dataset(DatasetField::Context));
        assert_eq!(f.clauses[5].field, Field::Tag("mlflow.source.name".into()));
        assert_eq!(f.clauses[6].op, Op::NotIn);
        assert_eq!(
            f.clauses[7],
            Clause {
                field: Field::Metric("eval/loss".into()),
                op: Op::Le,
                value: Value::Num(-1e-3)
            }
        );
    }

    #[test]
    fn errors_name_the_position_and_what_was_expected() {
        let e = parse_run_filter("metrics.acc >").unwrap_err();
        assert_eq!(e.position, 13);
        assert!(e.expected.contains("value"), "{e}");
        let e = parse_run_filter("metrics.acc ~ 3").unwrap_err();
        assert_eq!(e.position, 12);
        let e = parse_run_filter("metrics.acc > 'high'").unwrap_err();
        assert_eq!((e.position, e.expected.as_str()), (14, "a number"));
        let e = parse_run_filter("params.lr > '1'").unwrap_err();
        assert!(e.expected.contains("string key"), "{e}");
        let e = parse_run_filter("bogus.x = '1'").unwrap_err();
        assert_eq!(e.position, 0);
        let e = parse_run_filter("params.a = 'x' OR params.b = 'y'").unwrap_err();
        assert_eq!(e.position, 15);
        let e = parse_run_filter("params.a = 'x").unwrap_err();
        assert!(e.expected.contains("closing"), "{e}");
        assert!(e.to_string().starts_with("invalid filter at character 12"), "{e}");
    }

    #[test]
    fn comparisons_follow_mlflows_rules() {
        let e = parse_run_filter("attributes.status IN ('RUNNING')").unwrap_err();
        assert!(e.expected.contains("run_id"), "{e}");
        assert!(parse_run_filter("params.lr IN ('1')").is_err());
        assert!(parse_run_filter("datasets.name IN ('a', 'b')").is_ok());
        let f = parse_run_filter("tags.note IS NULL AND params.lr is not null").unwrap();
        assert_eq!((f.clauses[0].op, f.clauses[1].op), (Op::IsNull, Op::IsNotNull));
        assert!(parse_run_filter("metrics.acc IS NULL").is_err());
        let e = parse_run_filter("tags.x IS 'a'").unwrap_err();
        assert_eq!(e.position, 10);
    }

    #[test]
    fn experiment_filters_take_names_and_tags() {
        let f = parse_experiment_filter("name ILIKE '%Sweep%' AND tags.`__maxai_project__` = 'vision'").unwrap();
        assert_eq!(f.clauses[1].field, Field::Tag("__maxai_project__".into()));
        assert!(parse_experiment_filter("metrics.x > 1").is_err());
        assert!(parse_experiment_filter("  ").unwrap().is_empty());
    }

    #[test]
    fn like_follows_sql() {
        assert!(like("train_loss", "%loss", false));
        assert!(like("train_loss", "train_l_ss", false));
        assert!(!like("Train", "train", false));
        assert!(like("Train", "train", true));
        assert!(like("", "%", false));
        assert!(!like("abc", "a%d", false));
        assert!(like("a%b", "a%b", false));
    }

    proptest! {
        #[test]
        fn parser_never_panics(text in "\\PC{0,60}") {
            let _ = parse_run_filter(&text);
            let _ = parse_experiment_filter(&text);
        }

        #[test]
        fn error_positions_lie_within_the_text(text in "[a-z.` '\"=<>!()0-9,%]{0,40}") {
            if let Err(e) = parse_run_filter(&text) {
                prop_assert!(e.position <= text.chars().count());
            }
        }

        #[test]
        fn quoted_values_round_trip(value in "[^']{0,20}", key in "[a-z_]{1,10}") {
            let f = parse_run_filter(&format!("params.{key} = '{value}'")).unwrap();
            prop_assert_eq!(&f.clauses[0].value, &Value::Str(value));
        }

        #[test]
        fn like_without_wildcards_is_equality(a in "[a-z]{0,8}", b in "[a-z]{0,8}") {
            prop_assert_eq!(like(&a, &b, false), a == b);
        }
    }
}
