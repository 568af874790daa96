//! From a spec to what is drawn, in plot units: both axes with their ticks, and per series the
//! line parts (raw and smoothed, cut to the view) and the markers. No pixels here, so every rule
//! is tested without drawing.

use crate::scale::{clip_polyline, padded_range, sanitize_range, y_position, Marker, Padding, YPos, PLOT_LIMIT};
use crate::smooth::{clamp_weight, ema};
use crate::spec::{ChartSpec, Rgb, XAxis, YScale};
use crate::ticks::{duration_ticks, integer_ticks, log_ticks, number_ticks, utc_offset_label, wall_time_ticks, Tick};

/// Line parts in plot units (see [`clip_polyline`]).
pub type Parts = Vec<Vec<(f64, f64)>>;

/// One axis: its range in plot units, its ticks and its title.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<Tick>,
    pub title: String,
}

impl Axis {
    pub fn contains(&self, v: f64) -> bool {
        v >= self.lo && v <= self.hi
    }
}

/// One series as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotSeries {
    pub label: String,
    pub color: Rgb,
    /// The raw line in x order, joined across points that have no y position, cut to the view.
    /// A part of one point is drawn as a dot.
    pub raw: Parts,
    /// The smoothed line; empty without smoothing.
    pub smoothed: Parts,
    /// Points in view without a y position: x and why.
    pub markers: Vec<(f64, Marker)>,
    /// Points of this series inside the x range (on the line or as markers).
    pub points_in_view: usize,
}

/// A chart in plot units.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<PlotSeries>,
}

impl Plot {
    /// Points drawn, on lines or as markers, over all series.
    pub fn points_drawn(&self) -> usize {
        self.series.iter().map(|s| s.points_in_view).sum()
    }

    /// The kinds of marker the chart shows, for the legend.
    pub fn markers_present(&self) -> Vec<Marker> {
        let mut kinds: Vec<Marker> = self.series.iter().flat_map(|s| s.markers.iter().map(|m| m.1)).collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }
}

/// The x coordinate of each point of a series, in the series' own order. Relative time counts
/// from `origin` (the run's first point), else from the earliest of `points`.
pub fn x_values(points: &[runlens_core::sampling::Point], axis: XAxis, origin: Option<i64>) -> Vec<f64> {
    let origin = origin.unwrap_or_else(|| points.iter().map(|p| p.timestamp).min().unwrap_or(0));
    points
        .iter()
        .map(|p| match axis {
            XAxis::Step => p.step as f64,
            XAxis::WallTime => p.timestamp as f64,
            // Differences of i64 ms stay exact as f64 for any realistic run.
            XAxis::Relative => p.timestamp.saturating_sub(origin) as f64,
        })
        .collect()
}

/// A point of a series placed on the x axis, with its smoothed value when smoothing is on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub x: f64,
    pub step: i64,
    pub timestamp: i64,
    pub value: f64,
    pub smoothed: Option<f64>,
}

/// A series' points in x order (ties keep their order), smoothed with `weight` (0: not at all).
pub fn ordered_points(series: &crate::spec::ChartSeries, axis: XAxis, weight: f64) -> Vec<Placed> {
    let xs = x_values(&series.points, axis, series.origin);
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|a, b| xs[*a].total_cmp(&xs[*b]));
    let values: Vec<f64> = order.iter().map(|i| series.points[*i].value.get()).collect();
    let weight = clamp_weight(weight);
    let smoothed = (weight > 0.0).then(|| ema(&values, weight));
    order
        .iter()
        .enumerate()
        .map(|(k, i)| Placed {
            x: xs[*i],
            step: series.points[*i].step,
            timestamp: series.points[*i].timestamp,
            value: values[k],
            smoothed: smoothed.as_ref().map(|s| s[k]),
        })
        .collect()
}

/// The steps to read again at full detail for a zoom to `lo..=hi` on `axis`: from the last point
/// at or before `lo` to the first at or after `hi`, so the line still reaches both edges. `None`
/// when the series has no point at all.
pub fn step_range_for(
    series: &crate::spec::ChartSeries,
    axis: XAxis,
    (lo, hi): (f64, f64),
) -> Option<runlens_core::sampling::StepRange> {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    let placed = ordered_points(series, axis, 0.0);
    let first = placed.first()?;
    let start = placed.iter().rev().find(|p| p.x <= lo).unwrap_or(first);
    let end = placed
        .iter()
        .find(|p| p.x >= hi)
        .unwrap_or_else(|| placed.last().expect("not empty"));
    // On time axes steps need not grow with time: take every step shown in between too.
    let between = placed.iter().filter(|p| p.x >= start.x && p.x <= end.x).map(|p| p.step);
    let (min, max) = between.fold((i64::MAX, i64::MIN), |(a, b), s| (a.min(s), b.max(s)));
    Some(runlens_core::sampling::StepRange::new(min, max))
}

/// Lays a spec out with at most `x_ticks` and `y_ticks` ticks on the axes.
pub fn layout(spec: &ChartSpec, utc_offset_minutes: i32, x_ticks: usize, y_ticks: usize) -> Plot {
    let x_padding = match spec.x_axis {
        XAxis::Step => Padding::STEP_X,
        XAxis::WallTime | XAxis::Relative => Padding::TIME_X,
    };
    let weight = clamp_weight(spec.smoothing);

    // Each series as (x, raw value, smoothed value) in x order.
    let ordered: Vec<Vec<(f64, f64, Option<f64>)>> = spec
        .series
        .iter()
        .map(|series| {
            ordered_points(series, spec.x_axis, weight)
                .into_iter()
                .map(|p| (p.x, p.value, p.smoothed))
                .collect()
        })
        .collect();

    let (x_lo, x_hi) = spec
        .x_range
        .and_then(|r| sanitize_range(r, x_padding))
        .unwrap_or_else(|| padded_range(ordered.iter().flatten().map(|p| p.0), x_padding));
    let in_view = |x: f64| x >= x_lo && x <= x_hi;

    let place = |v: f64| match y_position(v, spec.y_scale) {
        YPos::At(y) => Some(y),
        YPos::Marker(_) => None,
    };
    // Lines are cut to the x range first; the y range is then taken from what is left, so it
    // includes where a line leaves the view and nothing outside it.
    let everything = (-PLOT_LIMIT, PLOT_LIMIT);
    let lines: Vec<(Parts, Parts)> = ordered
        .iter()
        .map(|points| {
            let raw: Vec<(f64, f64)> = points.iter().filter_map(|p| place(p.1).map(|y| (p.0, y))).collect();
            let smooth: Vec<(f64, f64)> = points
                .iter()
                .filter_map(|p| p.2.and_then(place).map(|y| (p.0, y)))
                .collect();
            (
                clip_polyline(&raw, (x_lo, x_hi), everything),
                clip_polyline(&smooth, (x_lo, x_hi), everything),
            )
        })
        .collect();
    let visible_ys = lines
        .iter()
        .flat_map(|(raw, smooth)| raw.iter().chain(smooth).flatten().map(|p| p.1));
    let (y_lo, y_hi) = match spec.y_scale {
        YScale::Linear => padded_range(visible_ys, Padding::LINEAR_Y),
        YScale::Log => padded_range(visible_ys, Padding::LOG_Y),
    };

    let series = spec
        .series
        .iter()
        .zip(ordered)
        .zip(lines)
        .map(|((series, points), (raw, smoothed))| {
            let markers = points
                .iter()
                .filter(|p| in_view(p.0))
                .filter_map(|p| match y_position(p.1, spec.y_scale) {
                    YPos::Marker(m) => Some((p.0, m)),
                    YPos::At(_) => None,
                })
                .collect();
            PlotSeries {
                label: series.label.clone(),
                color: series.color,
                raw,
                smoothed,
                markers,
                points_in_view: points.iter().filter(|p| in_view(p.0)).count(),
            }
        })
        .collect();

    let x = Axis {
        lo: x_lo,
        hi: x_hi,
        ticks: match spec.x_axis {
            XAxis::Step => integer_ticks(x_lo, x_hi, x_ticks),
            XAxis::WallTime => wall_time_ticks(x_lo, x_hi, x_ticks, utc_offset_minutes),
            XAxis::Relative => duration_ticks(x_lo, x_hi, x_ticks),
        },
        title: match spec.x_axis {
            XAxis::WallTime => format!("{} ({})", spec.x_axis.label(), utc_offset_label(utc_offset_minutes)),
            axis => axis.label().to_string(),
        },
    };
    let y = Axis {
        lo: y_lo,
        hi: y_hi,
        ticks: match spec.y_scale {
            YScale::Linear => number_ticks(y_lo, y_hi, y_ticks),
            YScale::Log => log_ticks(y_lo, y_hi, y_ticks),
        },
        title: match spec.y_scale {
            YScale::Linear => spec.y_label.clone(),
            YScale::Log => format!("{} (log)", spec.y_label),
        },
    };
    Plot { x, y, series }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{run_color, ChartSeries};
    use proptest::prelude::*;
    use runlens_core::sampling::Point;
    use runlens_core::MetricValue;

    fn points(values: &[f64]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                step: i as i64 * 10,
                timestamp: 1_700_000_000_000 + i as i64 * 1000,
                value: MetricValue(*v),
            })
            .collect()
    }

    fn spec(values: &[f64]) -> ChartSpec {
        let mut spec = ChartSpec::new("loss");
        spec.series
            .push(ChartSeries::new("run", run_color("r"), points(values)));
        spec
    }

    #[test]
    fn non_finite_points_are_markers_outside_the_range() {
        let plot = layout(&spec(&[1.0, f64::NAN, 2.0, f64::INFINITY, f64::MIN, 3.0]), 0, 5, 5);
        let s = &plot.series[0];
        assert_eq!(
            s.markers,
            vec![(10.0, Marker::Nan), (30.0, Marker::PosInf), (40.0, Marker::NegInf)]
        );
        // The line joins the finite points across the markers.
        assert_eq!(s.raw, vec![vec![(0.0, 1.0), (20.0, 2.0), (50.0, 3.0)]]);
        assert_eq!((plot.y.lo, plot.y.hi), (0.9, 3.1));
        assert_eq!(plot.points_drawn(), 6);
        assert_eq!(
            plot.markers_present(),
            vec![Marker::PosInf, Marker::Nan, Marker::NegInf]
        );
    }

    #[test]
    fn log_scale_takes_its_range_from_positive_values() {
        let mut s = spec(&[0.0, -5.0, 10.0, 1000.0]);
        s.y_scale = YScale::Log;
        let plot = layout(&s, 0, 5, 5);
        assert_eq!(plot.series[0].markers.len(), 2);
        assert!(plot.series[0].markers.iter().all(|m| m.1 == Marker::NonPositive));
        assert_eq!((plot.y.lo, plot.y.hi), (0.9, 3.1));
        assert_eq!(plot.y.title, "loss (log)");
    }

    #[test]
    fn x_axes_and_zoom() {
        let mut s = spec(&[1.0, 2.0, 3.0, 4.0]);
        s.x_axis = XAxis::Relative;
        let plot = layout(&s, 0, 5, 5);
        assert_eq!((plot.x.lo, plot.x.hi), (0.0, 3000.0));
        s.x_axis = XAxis::WallTime;
        assert_eq!(layout(&s, 60, 5, 5).x.title, "wall time (UTC+1)");
        s.x_axis = XAxis::Step;
        s.x_range = Some((25.0, 10.0));
        let plot = layout(&s, 0, 5, 5);
        assert_eq!((plot.x.lo, plot.x.hi), (10.0, 25.0));
        assert_eq!(plot.series[0].points_in_view, 2);
        // The y range follows what is in view; the line is cut at the zoom's edges.
        assert_eq!(plot.series[0].raw, vec![vec![(10.0, 2.0), (20.0, 3.0), (25.0, 3.5)]]);
        assert!(plot.y.contains(2.0) && plot.y.contains(3.5) && !plot.y.contains(1.0));
    }

    #[test]
    fn relative_time_counts_from_the_runs_first_point() {
        let mut s = spec(&[1.0, 2.0, 3.0, 4.0]);
        s.x_axis = XAxis::Relative;
        // A zoom read only the last two points: relative time must not restart at them.
        s.series[0].points.drain(..2);
        assert_eq!(layout(&s, 0, 5, 5).series[0].raw[0][0].0, 0.0);
        s.series[0].origin = Some(1_700_000_000_000);
        assert_eq!(layout(&s, 0, 5, 5).series[0].raw[0][0].0, 2000.0);
    }

    #[test]
    fn zooms_read_again_the_steps_around_the_view() {
        let s = spec(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]); // steps 0, 10, ..., 50; 1 s apart
        let range = |axis, lo, hi| step_range_for(&s.series[0], axis, (lo, hi)).map(|r| (r.start, r.end));
        assert_eq!(range(XAxis::Step, 12.0, 38.0), Some((10, 40)));
        assert_eq!(range(XAxis::Step, 20.0, 30.0), Some((20, 30)));
        assert_eq!(range(XAxis::Step, 38.0, 12.0), Some((10, 40)));
        // Beyond the data: clamped to it.
        assert_eq!(range(XAxis::Step, -100.0, 5.0), Some((0, 10)));
        assert_eq!(range(XAxis::Step, 45.0, 900.0), Some((40, 50)));
        // Time axes map to the steps logged at those times.
        assert_eq!(range(XAxis::Relative, 1500.0, 2500.0), Some((10, 30)));
        let t0 = 1_700_000_000_000.0;
        assert_eq!(range(XAxis::WallTime, t0 + 4000.0, t0 + 4000.0), Some((40, 40)));
        assert_eq!(
            step_range_for(&ChartSeries::new("e", run_color("e"), vec![]), XAxis::Step, (0.0, 1.0)),
            None
        );
    }

    #[test]
    fn smoothing_adds_a_second_line_and_empty_charts_still_lay_out() {
        let mut s = spec(&[1.0, 5.0, 1.0, 5.0]);
        s.smoothing = 0.9;
        let plot = layout(&s, 0, 5, 5);
        assert_eq!(plot.series[0].smoothed[0].len(), 4);
        let empty = layout(&ChartSpec::new("m"), 0, 5, 5);
        assert_eq!((empty.y.lo, empty.y.hi), (0.0, 1.0));
        assert_eq!(empty.points_drawn(), 0);
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            6 => -1e6f64..1e6,
            1 => prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(f64::MAX), Just(f64::MIN), Just(0.0)],
            1 => any::<f64>(),
        ]
    }

    proptest! {
        #[test]
        fn everything_drawn_is_inside_the_axes(
            values in prop::collection::vec(value(), 0..80),
            axis in prop_oneof![Just(XAxis::Step), Just(XAxis::WallTime), Just(XAxis::Relative)],
            log in any::<bool>(),
            smoothing in 0.0f64..1.0,
            zoom in proptest::option::of((-100.0f64..1000.0, -100.0f64..1000.0)),
        ) {
            let mut s = spec(&values);
            s.x_axis = axis;
            s.y_scale = if log { YScale::Log } else { YScale::Linear };
            s.smoothing = smoothing;
            s.x_range = zoom;
            let plot = layout(&s, 0, 6, 6);
            prop_assert!(plot.x.lo < plot.x.hi && plot.y.lo < plot.y.hi);
            prop_assert!((plot.y.hi - plot.y.lo).is_finite());
            for series in &plot.series {
                for p in series.raw.iter().chain(&series.smoothed).flatten() {
                    prop_assert!(plot.x.contains(p.0) && plot.y.contains(p.1), "{p:?}");
                }
                prop_assert!(series.markers.iter().all(|m| plot.x.contains(m.0)));
            }
            if zoom.is_none() {
                prop_assert_eq!(plot.points_drawn(), values.len());
                let markers = values.iter().filter(|v| !matches!(y_position(**v, s.y_scale), YPos::At(_))).count();
                prop_assert_eq!(plot.series[0].markers.len(), markers);
            }
        }
    }
}
