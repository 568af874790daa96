//! Pointing at a drawn chart: where its plot is (`Frame`, reported by each draw) and what lies
//! under the pointer — each series' point nearest to an x (the hover crosshair's list) and the x
//! interval a drag selects (the zoom). Pure, so the webview only converts mouse positions.

use crate::plot::ordered_points;
use crate::scale::{y_position, YPos};
use crate::spec::{ChartSpec, Rgb, YScale};

/// The plot rectangle of a drawn chart in the backend's pixels and the ranges it shows, in plot
/// units (log10 of the value on a log scale).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub y_scale: YScale,
}

impl Frame {
    /// Whether a pixel lies on the plot (edges included).
    pub fn contains(&self, px: f64, py: f64) -> bool {
        px >= self.left && px <= self.right && py >= self.top && py <= self.bottom
    }

    /// The x value under a pixel column, clamped to the plot.
    pub fn x_at(&self, px: f64) -> f64 {
        let width = (self.right - self.left).max(1.0);
        let t = ((px - self.left) / width).clamp(0.0, 1.0);
        self.x.0 + t * (self.x.1 - self.x.0)
    }

    /// The pixel column of an x value.
    pub fn px_of_x(&self, x: f64) -> f64 {
        self.left + (x - self.x.0) / (self.x.1 - self.x.0) * (self.right - self.left)
    }

    /// The pixel row of a metric value, when it has a place on the y axis and lies in view.
    pub fn py_of_value(&self, value: f64) -> Option<f64> {
        match y_position(value, self.y_scale) {
            YPos::At(y) if y >= self.y.0 && y <= self.y.1 => {
                Some(self.bottom - (y - self.y.0) / (self.y.1 - self.y.0) * (self.bottom - self.top))
            }
            _ => None,
        }
    }

    /// The x interval between two pixel columns (a drag), ordered; `None` when the drag is
    /// narrower than `min_pixels` (a click, not a zoom).
    pub fn drag_range(&self, from_px: f64, to_px: f64, min_pixels: f64) -> Option<(f64, f64)> {
        if (to_px - from_px).abs() < min_pixels {
            return None;
        }
        let (a, b) = (self.x_at(from_px), self.x_at(to_px));
        (a != b).then(|| (a.min(b), a.max(b)))
    }
}

/// One series' point nearest to the hovered x.
#[derive(Debug, Clone, PartialEq)]
pub struct HoverValue {
    pub label: String,
    pub color: Rgb,
    /// The point's x (steps or ms), step, timestamp, value and smoothed value.
    pub x: f64,
    pub step: i64,
    pub timestamp: i64,
    pub value: f64,
    pub smoothed: Option<f64>,
}

/// For each series, its point nearest to `x` among those in the chart's x range (on a tie the
/// earlier one); series with no point in view are left out. In the spec's series order.
pub fn values_at(spec: &ChartSpec, x: f64, view: (f64, f64)) -> Vec<HoverValue> {
    let (lo, hi) = (view.0.min(view.1), view.0.max(view.1));
    spec.series
        .iter()
        .filter_map(|series| {
            let placed = ordered_points(series, spec.x_axis, spec.smoothing);
            let in_view = placed.iter().filter(|p| p.x >= lo && p.x <= hi);
            let nearest = in_view.fold(None, |best: Option<&crate::plot::Placed>, p| match best {
                Some(b) if (b.x - x).abs() <= (p.x - x).abs() => Some(b),
                _ => Some(p),
            })?;
            Some(HoverValue {
                label: series.label.clone(),
                color: series.color,
                x: nearest.x,
                step: nearest.step,
                timestamp: nearest.timestamp,
                value: nearest.value,
                smoothed: nearest.smoothed,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{run_color, ChartSeries, XAxis};
    use proptest::prelude::*;
    use runlens_core::sampling::Point;
    use runlens_core::MetricValue;

    fn series(label: &str, steps: &[i64], values: &[f64]) -> ChartSeries {
        let points = steps
            .iter()
            .zip(values)
            .map(|(s, v)| Point {
                step: *s,
                timestamp: 1_000 + s * 100,
                value: MetricValue(*v),
            })
            .collect();
        ChartSeries::new(label, run_color(label), points)
    }

    fn frame() -> Frame {
        Frame {
            left: 100.0,
            right: 500.0,
            top: 20.0,
            bottom: 220.0,
            x: (0.0, 40.0),
            y: (0.0, 2.0),
            y_scale: YScale::Linear,
        }
    }

    #[test]
    fn pixels_map_to_values_and_back() {
        let f = frame();
        assert_eq!(f.x_at(100.0), 0.0);
        assert_eq!(f.x_at(300.0), 20.0);
        assert_eq!(f.x_at(9000.0), 40.0);
        assert_eq!(f.px_of_x(30.0), 400.0);
        assert_eq!(f.py_of_value(1.0), Some(120.0));
        assert_eq!(f.py_of_value(5.0), None);
        assert_eq!(f.py_of_value(f64::NAN), None);
        assert!(f.contains(100.0, 220.0) && !f.contains(99.0, 100.0));
        let log = Frame {
            y: (-1.0, 1.0),
            y_scale: YScale::Log,
            ..f
        };
        assert_eq!(log.py_of_value(1.0), Some(120.0));
        assert_eq!(log.py_of_value(-1.0), None);
        // A drag zooms; a click does not.
        assert_eq!(f.drag_range(300.0, 200.0, 4.0), Some((10.0, 20.0)));
        assert_eq!(f.drag_range(300.0, 302.0, 4.0), None);
        // Dragging beyond the plot stops at its edge.
        assert_eq!(f.drag_range(450.0, 2000.0, 4.0), Some((35.0, 40.0)));
    }

    #[test]
    fn hover_lists_each_series_nearest_point_in_view() {
        let mut spec = ChartSpec::new("loss");
        spec.series
            .push(series("a", &[0, 10, 20, 30], &[4.0, 3.0, f64::NAN, 1.0]));
        spec.series.push(series("b", &[5, 25], &[9.0, 8.0]));
        spec.series.push(series("c", &[100], &[1.0]));
        let rows = values_at(&spec, 19.0, (0.0, 40.0));
        assert_eq!(rows.len(), 2, "c has nothing in view");
        assert_eq!((rows[0].label.as_str(), rows[0].step), ("a", 20));
        assert!(rows[0].value.is_nan(), "a NaN is listed as NaN, not skipped");
        assert_eq!((rows[1].label.as_str(), rows[1].step, rows[1].value), ("b", 25, 8.0));
        // Ties go to the earlier point; the view limits what can be picked.
        assert_eq!(values_at(&spec, 15.0, (0.0, 40.0))[0].step, 10);
        assert_eq!(values_at(&spec, 15.0, (16.0, 40.0))[0].step, 20);
        // With smoothing, the smoothed value comes along.
        spec.smoothing = 0.5;
        assert!(values_at(&spec, 10.0, (0.0, 40.0))[0].smoothed.is_some());
        spec.x_axis = XAxis::Relative;
        assert_eq!(values_at(&spec, 1000.0, (0.0, 4000.0))[0].step, 10);
    }

    proptest! {
        #[test]
        fn the_hovered_point_is_the_nearest_in_view(
            steps in prop::collection::btree_set(0i64..1000, 1..60),
            x in -50.0f64..1050.0,
            lo in 0.0f64..500.0, width in 1.0f64..600.0,
        ) {
            let steps: Vec<i64> = steps.into_iter().collect();
            let values: Vec<f64> = steps.iter().map(|s| *s as f64).collect();
            let mut spec = ChartSpec::new("m");
            spec.series.push(series("a", &steps, &values));
            let view = (lo, lo + width);
            let rows = values_at(&spec, x, view);
            let in_view: Vec<i64> = steps.iter().copied().filter(|s| (*s as f64) >= view.0 && (*s as f64) <= view.1).collect();
            prop_assert_eq!(rows.len(), usize::from(!in_view.is_empty()));
            if let Some(row) = rows.first() {
                let best = in_view.iter().map(|s| (*s as f64 - x).abs()).fold(f64::INFINITY, f64::min);
                prop_assert_eq!((row.x - x).abs(), best);
            }
        }
    }
}
