//! Downsampling metric histories for charts: at most N points per series, always keeping the
//! first and last points, each bucket's minimum and maximum, and a marker for non-finite values.
//!
//! **The webview never sees a raw history**: the backend sends series sampled by this module.

use crate::metric::{MetricValue, ValueClass};
use crate::model::Metric;
use serde::{Deserialize, Serialize};

/// One point of a sampled series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub step: i64,
    pub timestamp: i64,
    pub value: MetricValue,
}

impl From<&Metric> for Point {
    fn from(m: &Metric) -> Self {
        Point {
            step: m.step,
            timestamp: m.timestamp,
            value: m.value,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampledSeries {
    pub run_id: String,
    pub key: String,
    /// How many points the full history has.
    pub total_points: usize,
    /// Ordered by step, then timestamp.
    pub points: Vec<Point>,
}

/// Fewest points a caller may ask for: first, last, and one bucket's min, max and a marker of
/// each non-finite kind (NaN, +inf, -inf).
pub const MIN_POINTS: usize = 7;

/// The steps a zoomed chart shows, both ends included: only the points inside are read and
/// sampled, so a zoom shows the range at full detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StepRange {
    pub start: i64,
    pub end: i64,
}

impl StepRange {
    /// The range between two steps, in either order.
    pub fn new(a: i64, b: i64) -> StepRange {
        StepRange {
            start: a.min(b),
            end: a.max(b),
        }
    }

    pub fn contains(&self, step: i64) -> bool {
        step >= self.start && step <= self.end
    }
}

/// [`sample_points`] of only the points whose step is in `steps`; also answers how many there are.
pub fn sample_points_in(points: Vec<Point>, steps: StepRange, max_points: usize) -> (usize, Vec<Point>) {
    let inside: Vec<Point> = points.into_iter().filter(|p| steps.contains(p.step)).collect();
    (inside.len(), sample_points(inside, max_points))
}

/// Samples a history (any order) down to at most `max_points` points.
///
/// The history is ordered by (step, timestamp) and cut into equal buckets; each bucket keeps its
/// smallest and largest finite value and its first value of each non-finite kind present (NaN,
/// +inf, -inf, counting the ±f64::MAX SQL stores use for infinity), in their original order, so
/// no kind of marker ever disappears. Buckets have room for one marker, or for one per kind when
/// the history holds several kinds. A history that fits is returned whole.
pub fn sample_history(history: &[Metric], max_points: usize) -> Vec<Point> {
    sample_points(history.iter().map(Point::from).collect(), max_points)
}

/// [`sample_history`] over points that carry no key (stores read them without one).
pub fn sample_points(mut sorted: Vec<Point>, max_points: usize) -> Vec<Point> {
    let max_points = max_points.max(MIN_POINTS);
    sorted.sort_by_key(|a| (a.step, a.timestamp));
    if sorted.len() <= max_points {
        return sorted;
    }
    let last = sorted.len() - 1;
    let inner = &sorted[1..last];
    let kinds = [ValueClass::Nan, ValueClass::PosInf, ValueClass::NegInf]
        .into_iter()
        .filter(|kind| inner.iter().any(|p| p.value.class() == *kind))
        .count();
    let buckets = (max_points - 2) / (2 + kinds.max(1));
    let mut keep: Vec<usize> = vec![0];
    for b in 0..buckets {
        let lo = b * inner.len() / buckets;
        let hi = (b + 1) * inner.len() / buckets;
        let mut min: Option<usize> = None;
        let mut max: Option<usize> = None;
        let mut markers: [Option<usize>; 3] = [None; 3];
        for i in lo..hi {
            let v = inner[i].value;
            let kind = match v.class() {
                ValueClass::Finite => None,
                ValueClass::Nan => Some(0),
                ValueClass::PosInf => Some(1),
                ValueClass::NegInf => Some(2),
            };
            if let Some(kind) = kind {
                markers[kind].get_or_insert(i);
                continue;
            }
            if min.is_none_or(|m| v.get() < inner[m].value.get()) {
                min = Some(i);
            }
            if max.is_none_or(|m| v.get() > inner[m].value.get()) {
                max = Some(i);
            }
        }
        let mut picked: Vec<usize> = [min, max].into_iter().chain(markers).flatten().collect();
        picked.sort_unstable();
        picked.dedup();
        keep.extend(picked.into_iter().map(|i| i + 1));
    }
    keep.push(last);
    keep.into_iter().map(|i| sorted[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn history(values: &[f64]) -> Vec<Metric> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Metric {
                key: "m".into(),
                value: MetricValue(*v),
                timestamp: 1000 + i as i64,
                step: i as i64,
            })
            .collect()
    }

    #[test]
    fn short_histories_come_back_whole_and_ordered() {
        let mut h = history(&[3.0, 1.0, 2.0]);
        h.reverse();
        let s = sample_history(&h, 100);
        assert_eq!(s.iter().map(|p| p.step).collect::<Vec<_>>(), vec![0, 1, 2]);
    }

    #[test]
    fn keeps_spikes_and_non_finite_values() {
        let mut values: Vec<f64> = (0..100_000).map(|i| (i as f64).sin()).collect();
        values[31_337] = 1e6;
        values[77_000] = -1e6;
        values[50_000] = f64::NAN;
        values[60_000] = f64::INFINITY;
        // Three kinds in one bucket: each is kept.
        values[70_000] = f64::NAN;
        values[70_001] = f64::NEG_INFINITY;
        values[70_002] = f64::INFINITY;
        let s = sample_history(&history(&values), 1000);
        assert!(s.len() <= 1000);
        assert_eq!(s.first().unwrap().step, 0);
        assert_eq!(s.last().unwrap().step, 99_999);
        assert!(s.iter().any(|p| p.step == 31_337));
        assert!(s.iter().any(|p| p.step == 77_000));
        assert!(s.iter().any(|p| p.step == 50_000 && p.value.get().is_nan()));
        assert!(s.iter().any(|p| p.step == 60_000));
        for step in [70_000, 70_001, 70_002] {
            assert!(s.iter().any(|p| p.step == step), "step {step}");
        }
    }

    #[test]
    fn step_ranges_keep_their_ends_and_sample_inside() {
        let range = StepRange::new(70, 30);
        assert_eq!(range, StepRange { start: 30, end: 70 });
        assert!(range.contains(30) && range.contains(70) && !range.contains(71) && !range.contains(29));
        let mut values: Vec<f64> = (0..100_000).map(|i| (i as f64 / 50.0).cos()).collect();
        values[40_000] = 9.0;
        values[40_001] = f64::NAN;
        values[90_000] = -9.0; // outside the range: must not be read into it
        let points: Vec<Point> = history(&values).iter().map(Point::from).collect();
        let (total, s) = sample_points_in(points, StepRange::new(20_000, 60_000), 1000);
        assert_eq!(total, 40_001);
        assert!(s.len() <= 1000);
        assert_eq!(s.first().unwrap().step, 20_000);
        assert_eq!(s.last().unwrap().step, 60_000);
        assert!(s.iter().all(|p| range_of(&s).contains(p.step)));
        assert!(s.iter().any(|p| p.step == 40_000));
        assert!(s.iter().any(|p| p.value.get().is_nan()));
        assert!(!s.iter().any(|p| p.value.get() == -9.0));
        // A range that fits comes back whole; one with nothing in it is empty.
        let points: Vec<Point> = history(&values).iter().map(Point::from).collect();
        let (total, s) = sample_points_in(points.clone(), StepRange::new(10, 19), 1000);
        assert_eq!((total, s.len()), (10, 10));
        assert_eq!(sample_points_in(points, StepRange::new(-9, -1), 1000), (0, vec![]));
    }

    fn range_of(points: &[Point]) -> StepRange {
        StepRange::new(points[0].step, points[points.len() - 1].step)
    }

    proptest! {
        #[test]
        fn ranged_samples_hold_only_the_range_and_its_extremes(
            values in prop::collection::vec(-1e6f64..1e6, 1..3000),
            a in 0i64..3000, b in 0i64..3000, max_points in MIN_POINTS..300,
        ) {
            let range = StepRange::new(a, b);
            let points: Vec<Point> = history(&values).iter().map(Point::from).collect();
            let (total, s) = sample_points_in(points, range, max_points);
            let inside: Vec<f64> = values.iter().enumerate().filter(|(i, _)| range.contains(*i as i64)).map(|(_, v)| *v).collect();
            prop_assert_eq!(total, inside.len());
            prop_assert!(s.len() <= max_points);
            prop_assert!(s.iter().all(|p| range.contains(p.step)));
            if let Some(min) = inside.iter().copied().reduce(f64::min) {
                prop_assert!(s.iter().any(|p| p.value.get() == min));
                prop_assert_eq!(s[0].step, range.start.max(0));
            }
        }

        #[test]
        fn bounded_ordered_and_extremes_kept(
            values in prop::collection::vec(prop_oneof![-1e9f64..1e9, Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY)], 0..3000),
            max_points in 0usize..400,
        ) {
            let h = history(&values);
            let s = sample_history(&h, max_points);
            prop_assert!(s.len() <= max_points.max(MIN_POINTS));
            prop_assert!(s.windows(2).all(|w| w[0].step < w[1].step));
            if !values.is_empty() {
                prop_assert_eq!(s[0].step, 0);
                prop_assert_eq!(s.last().unwrap().step, values.len() as i64 - 1);
                let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
                if let Some(min) = finite.iter().copied().reduce(f64::min) {
                    prop_assert!(s.iter().any(|p| p.value.get() == min));
                }
                if let Some(max) = finite.iter().copied().reduce(f64::max) {
                    prop_assert!(s.iter().any(|p| p.value.get() == max));
                }
                // Every kind of non-finite value logged is still there.
                for kind in [ValueClass::Nan, ValueClass::PosInf, ValueClass::NegInf] {
                    let logged = h.iter().any(|m| m.value.class() == kind);
                    prop_assert_eq!(s.iter().any(|p| p.value.class() == kind), logged, "{:?}", kind);
                }
            }
        }
    }
}
