//! `order_by` clauses as MLflow takes them: `metrics.\`acc\` DESC`, `attributes.start_time`,
//! `params.lr ASC`, `name`. Local stores sort with [`compare_runs`] / [`compare_experiments`].

use crate::filter::{Attribute, Field, FilterError};
use crate::model::{Experiment, Run};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderBy {
    pub field: Field,
    pub ascending: bool,
}

/// Parses one run `order_by` clause.
pub fn parse_run_order(text: &str) -> Result<OrderBy, FilterError> {
    parse(text, true)
}

/// Parses one experiment `order_by` clause (`name`, `experiment_id`, `creation_time`,
/// `last_update_time`).
pub fn parse_experiment_order(text: &str) -> Result<OrderBy, FilterError> {
    parse(text, false)
}

fn parse(text: &str, runs: bool) -> Result<OrderBy, FilterError> {
    let trimmed = text.trim_end();
    let (body, ascending) = split_direction(trimmed);
    // Reuse the filter grammar for the key: `<key> = ''` parses exactly when `<key>` does.
    let probe = format!("{body} = 0");
    let parsed = if runs {
        crate::filter::parse_run_filter(&probe)
    } else {
        crate::filter::parse_experiment_filter(&probe)
    };
    let field = match parsed {
        Ok(f) => f.clauses.into_iter().next().map(|c| c.field),
        Err(e) if e.position < body.len() => return Err(e),
        // The probe's `= 0` was rejected for type reasons: the key itself is fine, reparse with a string.
        Err(_) => {
            let probe = format!("{body} = ''");
            let f = if runs {
                crate::filter::parse_run_filter(&probe)
            } else {
                crate::filter::parse_experiment_filter(&probe)
            };
            f.ok().and_then(|f| f.clauses.into_iter().next()).map(|c| c.field)
        }
    };
    let field = field.ok_or_else(|| FilterError {
        position: 0,
        expected: "a key to order by".into(),
        found: format!("'{text}'"),
    })?;
    if let Field::Dataset(_) = field {
        return Err(FilterError {
            position: 0,
            expected: "a metric, param, tag or attribute".into(),
            found: format!("'{text}'"),
        });
    }
    Ok(OrderBy { field, ascending })
}

fn split_direction(text: &str) -> (&str, bool) {
    let upper = text.to_ascii_uppercase();
    if upper.ends_with(" DESC") {
        (text[..text.len() - 5].trim_end(), false)
    } else if upper.ends_with(" ASC") {
        (text[..text.len() - 4].trim_end(), true)
    } else {
        (text, true)
    }
}

/// A sort key: missing values sort after present ones whatever the direction, NaN between them
/// (MLflow's SQL store does the same).
#[derive(Debug, PartialEq, PartialOrd)]
enum Key<'a> {
    Num(f64),
    Str(&'a str),
}

fn rank(key: &Option<Key>) -> u8 {
    match key {
        Some(Key::Num(n)) if n.is_nan() => 1,
        Some(_) => 0,
        None => 2,
    }
}

fn compare_keys(a: Option<Key>, b: Option<Key>, ascending: bool) -> Ordering {
    rank(&a).cmp(&rank(&b)).then_with(|| {
        let ord = match (&a, &b) {
            (Some(Key::Num(x)), Some(Key::Num(y))) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
            (Some(Key::Str(x)), Some(Key::Str(y))) => x.cmp(y),
            _ => Ordering::Equal,
        };
        if ascending {
            ord
        } else {
            ord.reverse()
        }
    })
}

fn run_key<'a>(run: &'a Run, field: &Field) -> Option<Key<'a>> {
    let info = &run.info;
    match field {
        Field::Metric(k) => run.metric(k).map(|m| Key::Num(m.value.get())),
        Field::Param(k) => run.data.params.get(k).map(|v| Key::Str(v)),
        Field::Tag(k) => run.data.tags.get(k).map(|v| Key::Str(v)),
        Field::Attribute(a) => match a {
            Attribute::RunId => Some(Key::Str(&info.run_id)),
            Attribute::RunName => Some(Key::Str(&info.run_name)),
            Attribute::Status => Some(Key::Str(info.status.as_str())),
            Attribute::UserId => Some(Key::Str(&info.user_id)),
            Attribute::ArtifactUri => Some(Key::Str(&info.artifact_uri)),
            Attribute::StartTime => info.start_time.map(|t| Key::Num(t as f64)),
            Attribute::EndTime => info.end_time.map(|t| Key::Num(t as f64)),
            Attribute::ExperimentId => Some(Key::Str(&info.experiment_id)),
            _ => None,
        },
        Field::Dataset(_) => None,
    }
}

/// Orders runs by the given clauses, then newest first, then by run id (MLflow's tie-breakers).
pub fn compare_runs(a: &Run, b: &Run, order: &[OrderBy]) -> Ordering {
    for o in order {
        let ord = compare_keys(run_key(a, &o.field), run_key(b, &o.field), o.ascending);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    compare_keys(
        a.info.start_time.map(|t| Key::Num(t as f64)),
        b.info.start_time.map(|t| Key::Num(t as f64)),
        false,
    )
    .then_with(|| a.info.run_id.cmp(&b.info.run_id))
}

fn experiment_key<'a>(e: &'a Experiment, field: &Field) -> Option<Key<'a>> {
    match field {
        Field::Tag(k) => e.tags.get(k).map(|v| Key::Str(v)),
        Field::Attribute(Attribute::Name) => Some(Key::Str(&e.name)),
        Field::Attribute(Attribute::ExperimentId) => Some(Key::Num(e.experiment_id.parse().unwrap_or(f64::NAN))),
        Field::Attribute(Attribute::CreationTime) => e.creation_time.map(|t| Key::Num(t as f64)),
        Field::Attribute(Attribute::LastUpdateTime) => e.last_update_time.map(|t| Key::Num(t as f64)),
        _ => None,
    }
}

/// Orders experiments by the given clauses, then newest first, then by id.
pub fn compare_experiments(a: &Experiment, b: &Experiment, order: &[OrderBy]) -> Ordering {
    for o in order {
        let ord = compare_keys(experiment_key(a, &o.field), experiment_key(b, &o.field), o.ascending);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    compare_keys(
        a.creation_time.map(|t| Key::Num(t as f64)),
        b.creation_time.map(|t| Key::Num(t as f64)),
        false,
    )
    .then_with(|| a.experiment_id.cmp(&b.experiment_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directions_and_keys() {
        let o = parse_run_order("metrics.`val loss` DESC").unwrap();
        assert_eq!(
            o,
            OrderBy {
                field: Field::Metric("val loss".into()),
                ascending: false
            }
        );
        let o = parse_run_order("attributes.start_time asc").unwrap();
        assert_eq!(o.field, Field::Attribute(Attribute::StartTime));
        assert!(o.ascending);
        assert_eq!(parse_run_order("params.lr").unwrap().field, Field::Param("lr".into()));
        assert_eq!(
            parse_experiment_order("name DESC").unwrap().field,
            Field::Attribute(Attribute::Name)
        );
        assert!(parse_run_order("bogus.x").is_err());
    }

    #[test]
    fn missing_values_sort_last_either_way() {
        for asc in [true, false] {
            assert_eq!(compare_keys(Some(Key::Num(1.0)), None, asc), Ordering::Less);
            assert_eq!(compare_keys(Some(Key::Num(f64::NAN)), None, asc), Ordering::Less);
            assert_eq!(
                compare_keys(Some(Key::Num(5.0)), Some(Key::Num(f64::NAN)), asc),
                Ordering::Less
            );
        }
        assert_eq!(
            compare_keys(Some(Key::Num(1.0)), Some(Key::Num(2.0)), false),
            Ordering::Greater
        );
    }
}
