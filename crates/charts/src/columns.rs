//! Runs' params and metrics as chart axes (parallel coordinates, scatter): a column of values
//! becomes a numeric axis (linear, or log when its values span decades) or, when any value is
//! not a number, a categorical one. Positions are fractions of the axis, 0 at the bottom or left
//! and 1 at the top or right; values without a place sit in slots beyond the ends.

use crate::scale::{padded_range, Marker, Padding, PLOT_LIMIT};
use crate::ticks::{log_ticks, number_ticks, Tick};
use runlens_core::compare::numeric_value;
use runlens_core::metric::ValueClass;
use runlens_core::MetricValue;
use serde::{Deserialize, Serialize};

/// One run's value in a column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Cell {
    /// The run has no such param or never logged the metric.
    Missing,
    /// A param's value as stored (numeric when it reads as a number).
    Text(String),
    /// A metric value (NaN and ±inf included).
    Number(MetricValue),
}

impl Cell {
    /// The value as a number: a metric, or a param that reads as one.
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Missing => None,
            Cell::Text(t) => numeric_value(t),
            Cell::Number(v) => Some(v.get()),
        }
    }

    /// How the value reads in a category or a tooltip.
    pub fn text(&self) -> String {
        match self {
            Cell::Missing => "—".into(),
            Cell::Text(t) => t.clone(),
            Cell::Number(v) => v.to_string(),
        }
    }
}

/// Where a value goes on an axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    /// A fraction of the axis, 0 to 1.
    At(f64),
    /// Beyond the top (NaN, +inf) or the bottom (−inf, ≤ 0 on a log axis).
    Marker(Marker),
    Missing,
}

/// Slots beyond the ends of an axis, as fractions of it.
pub const TOP_SLOT: f64 = 1.1;
pub const BOTTOM_SLOT: f64 = -0.1;
pub const MISSING_SLOT: f64 = -0.22;

impl Place {
    /// The fraction of the axis the value is drawn at, slots included.
    pub fn fraction(self) -> f64 {
        match self {
            Place::At(t) => t,
            Place::Marker(m) if m.at_top() => TOP_SLOT,
            Place::Marker(_) => BOTTOM_SLOT,
            Place::Missing => MISSING_SLOT,
        }
    }
}

/// A column laid out as an axis.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueAxis {
    /// `lo..hi` in plot units (log10 of values on a log axis).
    Numeric { lo: f64, hi: f64, log: bool },
    /// The distinct values, in order, evenly spaced.
    Categories(Vec<String>),
}

impl ValueAxis {
    /// The axis of a column: numeric when every present value is a number, log when `log` says
    /// so, or (`None`) when every finite value is positive and they span two decades or more.
    pub fn of<'a>(cells: impl IntoIterator<Item = &'a Cell> + Clone, log: Option<bool>) -> ValueAxis {
        let present: Vec<&Cell> = cells
            .clone()
            .into_iter()
            .filter(|c| !matches!(c, Cell::Missing))
            .collect();
        let numeric = present.iter().all(|c| c.number().is_some());
        if !numeric {
            let mut names: Vec<String> = present.into_iter().map(Cell::text).collect();
            names.sort_by(|a, b| natural_order(a, b));
            names.dedup();
            return ValueAxis::Categories(names);
        }
        let finite: Vec<f64> = cells
            .into_iter()
            .filter_map(Cell::number)
            .filter(|v| MetricValue(*v).is_finite_value())
            .collect();
        let (min, max) = finite
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
        let log = log.unwrap_or(min > 0.0 && max / min >= 100.0);
        let (lo, hi) = if log {
            padded_range(finite.iter().filter(|v| **v > 0.0).map(|v| v.log10()), Padding::LOG_Y)
        } else {
            padded_range(finite.iter().copied(), Padding::LINEAR_Y)
        };
        ValueAxis::Numeric { lo, hi, log }
    }

    pub fn is_log(&self) -> bool {
        matches!(self, ValueAxis::Numeric { log: true, .. })
    }

    /// Where a value goes on this axis.
    pub fn place(&self, cell: &Cell) -> Place {
        if matches!(cell, Cell::Missing) {
            return Place::Missing;
        }
        match self {
            ValueAxis::Categories(names) => {
                let text = cell.text();
                match names.iter().position(|n| *n == text) {
                    Some(_) if names.len() == 1 => Place::At(0.5),
                    Some(i) => Place::At(i as f64 / (names.len() - 1) as f64),
                    None => Place::Missing,
                }
            }
            ValueAxis::Numeric { lo, hi, log } => {
                let Some(v) = cell.number() else { return Place::Missing };
                match MetricValue(v).class() {
                    ValueClass::Nan => Place::Marker(Marker::Nan),
                    ValueClass::PosInf => Place::Marker(Marker::PosInf),
                    ValueClass::NegInf => Place::Marker(Marker::NegInf),
                    ValueClass::Finite if *log && v <= 0.0 => Place::Marker(Marker::NonPositive),
                    ValueClass::Finite => {
                        let y = if *log {
                            v.log10()
                        } else {
                            v.clamp(-PLOT_LIMIT, PLOT_LIMIT)
                        };
                        Place::At(((y - lo) / (hi - lo)).clamp(0.0, 1.0))
                    }
                }
            }
        }
    }

    /// Labelled positions along the axis (fractions), at most about `max_count`.
    pub fn ticks(&self, max_count: usize) -> Vec<Tick> {
        let max_count = max_count.max(2);
        match self {
            ValueAxis::Numeric { lo, hi, log } => {
                let ticks = if *log {
                    log_ticks(*lo, *hi, max_count)
                } else {
                    number_ticks(*lo, *hi, max_count)
                };
                ticks
                    .into_iter()
                    .map(|t| Tick {
                        at: (t.at - lo) / (hi - lo),
                        label: t.label,
                    })
                    .collect()
            }
            ValueAxis::Categories(names) => {
                let every = names.len().div_ceil(max_count).max(1);
                names
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % every == 0)
                    .map(|(i, name)| Tick {
                        at: if names.len() == 1 {
                            0.5
                        } else {
                            i as f64 / (names.len() - 1) as f64
                        },
                        label: name.clone(),
                    })
                    .collect()
            }
        }
    }
}

/// Texts in order with their digit runs compared as numbers (`lr2` before `lr10`).
pub fn natural_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes: Vec<char> = s.chars().collect();
        let mut offsets: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
        offsets.push(s.len());
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[i - 1].is_ascii_digit() {
                out.push((bytes[i - 1].is_ascii_digit(), &s[offsets[start]..offsets[i]]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(&cb) {
        let order = match (x, y) {
            ((true, p), (true, q)) => {
                let (p, q) = (p.trim_start_matches('0'), q.trim_start_matches('0'));
                p.len().cmp(&q.len()).then_with(|| p.cmp(q))
            }
            ((_, p), (_, q)) => p.cmp(q),
        };
        if order != std::cmp::Ordering::Equal {
            return order;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn numbers_make_numeric_axes_and_words_categorical_ones() {
        let lr = [text("0.001"), text("0.01"), text("0.1"), Cell::Missing];
        let axis = ValueAxis::of(&lr, None);
        assert!(axis.is_log(), "three decades: log");
        assert_eq!(axis.place(&text("0.01")), Place::At(0.5));
        assert_eq!(axis.place(&Cell::Missing), Place::Missing);
        assert!(!ValueAxis::of(&lr, Some(false)).is_log());
        let depth = [text("3"), text("5"), text("4")];
        assert_eq!(
            ValueAxis::of(&depth, None),
            ValueAxis::Numeric {
                lo: 2.9,
                hi: 5.1,
                log: false
            }
        );
        let opt = [text("sgd"), text("adam"), text("adam"), text("1e-3")];
        let axis = ValueAxis::of(&opt, None);
        assert_eq!(
            axis,
            ValueAxis::Categories(vec!["1e-3".into(), "adam".into(), "sgd".into()])
        );
        assert_eq!(axis.place(&text("sgd")), Place::At(1.0));
        assert_eq!(ValueAxis::of(&[text("x")], None).place(&text("x")), Place::At(0.5));
    }

    #[test]
    fn non_finite_values_go_to_slots_and_never_widen_the_axis() {
        let cells = [
            Cell::Number(MetricValue(1.0)),
            Cell::Number(MetricValue(3.0)),
            Cell::Number(MetricValue(f64::NAN)),
            Cell::Number(MetricValue(f64::MAX)),
            Cell::Number(MetricValue(f64::NEG_INFINITY)),
        ];
        let axis = ValueAxis::of(&cells, None);
        assert_eq!(
            axis,
            ValueAxis::Numeric {
                lo: 0.9,
                hi: 3.1,
                log: false
            }
        );
        assert_eq!(axis.place(&cells[2]), Place::Marker(Marker::Nan));
        assert_eq!(axis.place(&cells[3]).fraction(), TOP_SLOT);
        assert_eq!(axis.place(&cells[4]).fraction(), BOTTOM_SLOT);
        let log = ValueAxis::of(&cells, Some(true));
        assert_eq!(
            log.place(&Cell::Number(MetricValue(-2.0))),
            Place::Marker(Marker::NonPositive)
        );
        assert_eq!(log.place(&Cell::Number(MetricValue(0.0))).fraction(), BOTTOM_SLOT);
        // Nothing finite at all still gives a usable axis.
        assert!(matches!(ValueAxis::of(&cells[2..], None), ValueAxis::Numeric { lo, hi, .. } if lo < hi));
    }

    #[test]
    fn ticks_are_fractions_of_the_axis() {
        let axis = ValueAxis::Numeric {
            lo: 0.0,
            hi: 10.0,
            log: false,
        };
        let ticks = axis.ticks(6);
        assert!(ticks.iter().all(|t| (0.0..=1.0).contains(&t.at)));
        assert_eq!(ticks.iter().find(|t| t.label == "4").map(|t| t.at), Some(0.4));
        let many = ValueAxis::Categories((0..40).map(|i| format!("c{i}")).collect());
        let ticks = many.ticks(8);
        assert!(ticks.len() <= 8 && ticks[0].label == "c0");
    }

    #[test]
    fn natural_order_reads_numbers_as_numbers() {
        let mut names = vec!["lr10", "lr2", "b", "lr02", "a10b", "a9b", ""];
        names.sort_by(|a, b| natural_order(a, b));
        assert_eq!(names, ["", "a9b", "a10b", "b", "lr02", "lr2", "lr10"]);
    }

    proptest! {
        #[test]
        fn every_value_has_a_place_inside_or_in_a_slot(
            values in prop::collection::vec(prop_oneof![
                4 => (-1e9f64..1e9).prop_map(|v| Cell::Number(MetricValue(v))),
                1 => prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::MIN), Just(0.0), Just(1e-300)].prop_map(|v| Cell::Number(MetricValue(v))),
                1 => Just(Cell::Missing),
                1 => "[a-c0-9.]{1,4}".prop_map(Cell::Text),
            ], 0..40),
            log in proptest::option::of(any::<bool>()),
        ) {
            let axis = ValueAxis::of(&values, log);
            if let ValueAxis::Numeric { lo, hi, .. } = axis {
                prop_assert!(lo.is_finite() && hi.is_finite() && lo < hi);
            }
            for cell in &values {
                let f = axis.place(cell).fraction();
                prop_assert!(f.is_finite());
                prop_assert!((0.0..=1.0).contains(&f) || [TOP_SLOT, BOTTOM_SLOT, MISSING_SLOT].contains(&f));
                if matches!(cell, Cell::Missing) {
                    prop_assert_eq!(f, MISSING_SLOT);
                }
            }
        }

        #[test]
        fn natural_order_is_a_total_order(mut names in prop::collection::vec("[ab0-9]{0,5}", 0..20)) {
            names.sort_by(|a, b| natural_order(a, b));
            for w in names.windows(2) {
                prop_assert!(natural_order(&w[0], &w[1]) != std::cmp::Ordering::Greater);
                prop_assert_eq!(natural_order(&w[1], &w[0]), natural_order(&w[0], &w[1]).reverse());
            }
        }
    }
}
