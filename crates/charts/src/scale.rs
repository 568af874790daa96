//! Where values go: y positions on a linear or log scale (or a marker when a value has none), axis
//! ranges that ignore non-finite values and never collapse or overflow, and line clipping.

use crate::spec::YScale;
use runlens_core::metric::ValueClass;
use runlens_core::MetricValue;

/// Finite values beyond ±this are drawn at ±this, which keeps spans and pixel maths finite.
pub const PLOT_LIMIT: f64 = 1e300;

/// Why a point has no place on the y axis; it is drawn as a marker at the plot's edge instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Marker {
    /// ▲ at the top edge.
    PosInf,
    /// × at the top edge.
    Nan,
    /// ▼ at the bottom edge.
    NegInf,
    /// ▽ at the bottom edge: a value ≤ 0 on a log scale.
    NonPositive,
}

impl Marker {
    pub const ALL: [Marker; 4] = [Marker::PosInf, Marker::Nan, Marker::NegInf, Marker::NonPositive];

    pub fn at_top(self) -> bool {
        matches!(self, Marker::PosInf | Marker::Nan)
    }

    /// The legend's words for it.
    pub fn label(self) -> &'static str {
        match self {
            Marker::PosInf => "+∞",
            Marker::Nan => "NaN",
            Marker::NegInf => "−∞",
            Marker::NonPositive => "≤ 0 (log)",
        }
    }
}

/// A value's place on the y axis, in plot units (log10 of the value on a log scale).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum YPos {
    At(f64),
    Marker(Marker),
}

/// Where a metric value goes: NaN and ±inf (including the ±f64::MAX SQL stores write for them)
/// become markers, and so do values ≤ 0 on a log scale.
pub fn y_position(value: f64, scale: YScale) -> YPos {
    match MetricValue(value).class() {
        ValueClass::Nan => YPos::Marker(Marker::Nan),
        ValueClass::PosInf => YPos::Marker(Marker::PosInf),
        ValueClass::NegInf => YPos::Marker(Marker::NegInf),
        ValueClass::Finite => match scale {
            YScale::Linear => YPos::At(value.clamp(-PLOT_LIMIT, PLOT_LIMIT)),
            YScale::Log if value > 0.0 => YPos::At(value.log10()),
            YScale::Log => YPos::Marker(Marker::NonPositive),
        },
    }
}

/// How a range is widened around its data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Padding {
    /// Added on each side, as a fraction of the data's span.
    pub fraction: f64,
    /// Half the width of the range around a single value `v`: `|v| * relative`, or `absolute`
    /// when that is 0.
    pub constant_relative: f64,
    pub constant_absolute: f64,
    /// The range when there is no data at all.
    pub empty: (f64, f64),
}

impl Padding {
    /// Linear y: 5% air above and below; a constant series sits in the middle of ±10%.
    pub const LINEAR_Y: Padding = Padding {
        fraction: 0.05,
        constant_relative: 0.1,
        constant_absolute: 1.0,
        empty: (0.0, 1.0),
    };
    /// Log y (plot units are decades): a constant series gets one decade around it.
    pub const LOG_Y: Padding = Padding {
        fraction: 0.05,
        constant_relative: 0.0,
        constant_absolute: 0.5,
        empty: (0.0, 1.0),
    };
    /// Steps: no air; a single step sits in the middle of three.
    pub const STEP_X: Padding = Padding {
        fraction: 0.0,
        constant_relative: 0.0,
        constant_absolute: 1.0,
        empty: (0.0, 1.0),
    };
    /// Times in ms: no air; a single point sits in the middle of two seconds.
    pub const TIME_X: Padding = Padding {
        fraction: 0.0,
        constant_relative: 0.0,
        constant_absolute: 1000.0,
        empty: (0.0, 1000.0),
    };
}

/// The range of the finite values among `values` (NaN, ±inf and ±f64::MAX are ignored, values
/// beyond ±[`PLOT_LIMIT`] count as ±`PLOT_LIMIT`), padded. Always `lo < hi`, both finite, with a
/// finite span that is not vanishingly small next to the values (a near-constant series is padded
/// like a constant one).
pub fn padded_range(values: impl IntoIterator<Item = f64>, padding: Padding) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in values {
        if MetricValue(v).is_finite_value() {
            let v = v.clamp(-PLOT_LIMIT, PLOT_LIMIT);
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if lo > hi {
        return padding.empty;
    }
    let span = hi - lo;
    let mid = lo / 2.0 + hi / 2.0;
    if span <= mid.abs() * 1e-9 || span < 1e-200 {
        let half = if mid.abs() >= 1e-200 && padding.constant_relative > 0.0 {
            mid.abs() * padding.constant_relative
        } else {
            padding.constant_absolute
        };
        let half = half.max(span);
        return (mid - half, mid + half);
    }
    let pad = span * padding.fraction;
    (lo - pad, hi + pad)
}

/// A zoom interval as given by a caller: ordered, finite, and not empty.
pub fn sanitize_range(range: (f64, f64), padding: Padding) -> Option<(f64, f64)> {
    let (a, b) = range;
    if !a.is_finite() || !b.is_finite() {
        return None;
    }
    Some(padded_range(
        [a.min(b), a.max(b)],
        Padding {
            fraction: 0.0,
            ..padding
        },
    ))
}

/// Cuts a polyline to the box `xs × ys`: the parts inside, each at least one point long (a lone
/// point inside the box is kept as a one-point part, drawn as a dot). Points must be finite.
pub fn clip_polyline(points: &[(f64, f64)], xs: (f64, f64), ys: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let inside = |p: (f64, f64)| p.0 >= xs.0 && p.0 <= xs.1 && p.1 >= ys.0 && p.1 <= ys.1;
    let mut parts: Vec<Vec<(f64, f64)>> = Vec::new();
    if let [only] = points {
        if inside(*only) {
            parts.push(vec![*only]);
        }
        return parts;
    }
    let mut open = false;
    for pair in points.windows(2) {
        match clip_segment(pair[0], pair[1], xs, ys) {
            Some((a, b)) => {
                let continues = open && parts.last().and_then(|p| p.last()) == Some(&a);
                if !continues {
                    parts.push(vec![a]);
                }
                if b != a {
                    parts.last_mut().expect("a part was just pushed").push(b);
                }
                // The line goes on from `b` only if the segment was not cut at its end.
                open = b == pair[1];
            }
            None => open = false,
        }
    }
    parts
}

/// Liang–Barsky: the part of the segment `p`–`q` inside the box, if any.
fn clip_segment(p: (f64, f64), q: (f64, f64), xs: (f64, f64), ys: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let mut t0 = 0.0_f64;
    let mut t1 = 1.0_f64;
    for (denominator, numerator) in [(-dx, p.0 - xs.0), (dx, xs.1 - p.0), (-dy, p.1 - ys.0), (dy, ys.1 - p.1)] {
        if denominator == 0.0 {
            if numerator < 0.0 {
                return None;
            }
        } else {
            let t = numerator / denominator;
            if denominator < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t == 0.0 {
            p
        } else if t == 1.0 {
            q
        } else {
            ((p.0 + t * dx).clamp(xs.0, xs.1), (p.1 + t * dy).clamp(ys.0, ys.1))
        }
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn non_finite_values_are_markers_never_positions() {
        assert_eq!(y_position(f64::NAN, YScale::Linear), YPos::Marker(Marker::Nan));
        assert_eq!(y_position(f64::MAX, YScale::Linear), YPos::Marker(Marker::PosInf));
        assert_eq!(y_position(f64::MIN, YScale::Log), YPos::Marker(Marker::NegInf));
        assert_eq!(y_position(0.0, YScale::Log), YPos::Marker(Marker::NonPositive));
        assert_eq!(y_position(-3.0, YScale::Log), YPos::Marker(Marker::NonPositive));
        assert_eq!(y_position(100.0, YScale::Log), YPos::At(2.0));
        assert_eq!(y_position(1.7e308, YScale::Linear), YPos::At(PLOT_LIMIT));
    }

    #[test]
    fn ranges_ignore_non_finite_and_pad_constants() {
        let r = padded_range(
            [1.0, f64::NAN, f64::INFINITY, f64::MAX, f64::MIN, 3.0],
            Padding::LINEAR_Y,
        );
        assert_eq!(r, (0.9, 3.1));
        assert_eq!(padded_range([5.0, 5.0], Padding::LINEAR_Y), (4.5, 5.5));
        assert_eq!(padded_range([0.0], Padding::LINEAR_Y), (-1.0, 1.0));
        assert_eq!(padded_range([f64::NAN], Padding::LINEAR_Y), (0.0, 1.0));
        assert_eq!(padded_range([], Padding::LOG_Y), (0.0, 1.0));
        assert_eq!(padded_range([2.0], Padding::LOG_Y), (1.5, 2.5));
        assert_eq!(padded_range([7.0], Padding::STEP_X), (6.0, 8.0));
        // 1 and the next float are one value for a chart.
        assert_eq!(padded_range([1.0, 1.0 + f64::EPSILON], Padding::LINEAR_Y), (0.9, 1.1));
        let (lo, hi) = padded_range([-1.7e308, 1.7e308], Padding::LINEAR_Y);
        assert!((hi - lo).is_finite());
    }

    #[test]
    fn zoom_ranges_are_ordered_and_never_empty() {
        assert_eq!(sanitize_range((10.0, 2.0), Padding::STEP_X), Some((2.0, 10.0)));
        assert_eq!(sanitize_range((4.0, 4.0), Padding::STEP_X), Some((3.0, 5.0)));
        assert_eq!(sanitize_range((f64::NAN, 4.0), Padding::STEP_X), None);
    }

    #[test]
    fn clipping_cuts_at_the_edges_and_splits_parts() {
        let parts = clip_polyline(
            &[(-1.0, 0.5), (1.0, 0.5), (2.0, 5.0), (3.0, 0.5), (4.0, 0.5)],
            (0.0, 10.0),
            (0.0, 1.0),
        );
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0][0], (0.0, 0.5));
        assert_eq!(parts[0][1], (1.0, 0.5));
        assert_eq!(parts[1].last(), Some(&(4.0, 0.5)));
        assert_eq!(
            clip_polyline(&[(0.5, 0.5)], (0.0, 1.0), (0.0, 1.0)),
            vec![vec![(0.5, 0.5)]]
        );
        assert!(clip_polyline(&[(5.0, 0.5)], (0.0, 1.0), (0.0, 1.0)).is_empty());
        // A long segment that crosses the whole box.
        assert_eq!(
            clip_polyline(&[(-1e12, 0.5), (1e12, 0.5)], (0.0, 1.0), (0.0, 1.0)),
            vec![vec![(0.0, 0.5), (1.0, 0.5)]]
        );
    }

    fn any_value() -> impl Strategy<Value = f64> {
        prop_oneof![
            6 => -1e9f64..1e9,
            1 => prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(f64::MAX), Just(f64::MIN)],
            1 => prop_oneof![Just(1.7e308), Just(-1.7e308), Just(0.0), Just(1e-320), Just(-1e-310)],
            1 => any::<f64>(),
        ]
    }

    proptest! {
        #[test]
        fn ranges_are_finite_ordered_and_contain_the_data(values in prop::collection::vec(any_value(), 0..50)) {
            for (padding, scale) in [(Padding::LINEAR_Y, YScale::Linear), (Padding::LOG_Y, YScale::Log)] {
                let placed: Vec<f64> = values.iter().filter_map(|v| match y_position(*v, scale) {
                    YPos::At(y) => Some(y),
                    YPos::Marker(_) => None,
                }).collect();
                let (lo, hi) = padded_range(placed.iter().copied(), padding);
                prop_assert!(lo.is_finite() && hi.is_finite() && (hi - lo).is_finite() && lo < hi, "{lo}..{hi}");
                prop_assert!(hi - lo > (lo.abs().max(hi.abs())) * 1e-10);
                prop_assert!(placed.iter().all(|y| *y >= lo && *y <= hi));
            }
        }

        #[test]
        fn clipped_parts_stay_in_the_box(
            points in prop::collection::vec((-100.0f64..100.0, -100.0f64..100.0), 0..40),
            x0 in -50.0f64..50.0, w in 0.1f64..60.0, y0 in -50.0f64..50.0, h in 0.1f64..60.0,
        ) {
            let (xs, ys) = ((x0, x0 + w), (y0, y0 + h));
            let parts = clip_polyline(&points, xs, ys);
            for part in &parts {
                prop_assert!(!part.is_empty());
                for p in part {
                    prop_assert!(p.0 >= xs.0 && p.0 <= xs.1 && p.1 >= ys.0 && p.1 <= ys.1);
                }
            }
            let inside = points.iter().filter(|p| p.0 >= xs.0 && p.0 <= xs.1 && p.1 >= ys.0 && p.1 <= ys.1);
            for p in inside {
                prop_assert!(parts.iter().flatten().any(|q| q == p), "{p:?} lost");
            }
        }
    }
}
