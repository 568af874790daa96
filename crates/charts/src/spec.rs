//! What a chart shows (`ChartSpec`: series, x axis, y scale, smoothing, zoom) and how it looks
//! (`ChartStyle`: theme, pixel scale, time zone), plus the run colours every view shares.

use runlens_core::sampling::{Point, SampledSeries};
use serde::{Deserialize, Serialize};

/// A colour, 8 bits per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`, for CSS and legends outside the chart.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// Run colours: mid-lightness hues that read on the light and the dark background alike, ordered
/// so that neighbours differ in hue.
pub const PALETTE: [Rgb; 10] = [
    Rgb(0x3b, 0x7d, 0xdd), // blue
    Rgb(0xe8, 0x70, 0x2a), // orange
    Rgb(0x2e, 0xa0, 0x4a), // green
    Rgb(0xd6, 0x33, 0x5c), // crimson
    Rgb(0x8e, 0x5a, 0xd8), // violet
    Rgb(0x12, 0x9e, 0xa8), // teal
    Rgb(0xc5, 0x9a, 0x00), // mustard
    Rgb(0xde, 0x5f, 0xb0), // pink
    Rgb(0x7d, 0x8c, 0x2d), // olive
    Rgb(0x9a, 0x6b, 0x4f), // brown
];

/// The colour of a run, the same in every view and every session: FNV-1a of the id into
/// [`PALETTE`] (not `std`'s hasher, whose output may change between Rust releases).
pub fn run_color(run_id: &str) -> Rgb {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in run_id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    PALETTE[(hash % PALETTE.len() as u64) as usize]
}

/// The colours of runs shown together: each run keeps its own [`run_color`] unless a run before
/// it (in id order) already took that colour; then it takes the next free one of the palette.
/// The answer depends only on the set of ids — every view of the same runs agrees — and runs
/// shown alone, or without a clash, keep their colour everywhere. With more runs than colours,
/// every run keeps its own colour (repeats cannot be avoided then). Colours come back in the
/// order of `run_ids`.
pub fn run_colors(run_ids: &[&str]) -> Vec<Rgb> {
    let mut distinct: Vec<&str> = run_ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() > PALETTE.len() {
        return run_ids.iter().map(|id| run_color(id)).collect();
    }
    let mut taken = [false; PALETTE.len()];
    let mut chosen: std::collections::HashMap<&str, Rgb> = std::collections::HashMap::new();
    for id in distinct {
        let own = PALETTE.iter().position(|c| *c == run_color(id)).unwrap_or(0);
        let slot = (0..PALETTE.len())
            .map(|k| (own + k) % PALETTE.len())
            .find(|&i| !taken[i])
            .unwrap_or(own);
        taken[slot] = true;
        chosen.insert(id, PALETTE[slot]);
    }
    run_ids.iter().map(|id| chosen[id]).collect()
}

/// The colours of the runs one view shows together ([`run_colors`]); a run it was not made for
/// gets its own [`run_color`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunPalette(std::collections::HashMap<String, Rgb>);

impl RunPalette {
    pub fn of<'a>(run_ids: impl IntoIterator<Item = &'a str>) -> RunPalette {
        let ids: Vec<&str> = run_ids.into_iter().collect();
        RunPalette(ids.iter().map(|id| id.to_string()).zip(run_colors(&ids)).collect())
    }

    pub fn color(&self, run_id: &str) -> Rgb {
        self.0.get(run_id).copied().unwrap_or_else(|| run_color(run_id))
    }
}

/// What the x axis measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XAxis {
    #[default]
    Step,
    /// The points' timestamps (ms since the Unix epoch), shown as dates and times.
    WallTime,
    /// Milliseconds since each series' earliest point, shown as durations.
    Relative,
}

impl XAxis {
    pub const ALL: [XAxis; 3] = [XAxis::Step, XAxis::WallTime, XAxis::Relative];

    /// The axis title under the chart.
    pub fn label(self) -> &'static str {
        match self {
            XAxis::Step => "step",
            XAxis::WallTime => "wall time",
            XAxis::Relative => "time since the run's first point",
        }
    }

    /// A stable name for forms and URLs: `step`, `wall_time`, `relative`.
    pub fn as_str(self) -> &'static str {
        match self {
            XAxis::Step => "step",
            XAxis::WallTime => "wall_time",
            XAxis::Relative => "relative",
        }
    }

    pub fn parse(text: &str) -> Option<XAxis> {
        XAxis::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// How the y axis maps values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YScale {
    #[default]
    Linear,
    /// Values ≤ 0 have no place on it: they are drawn as out-of-range markers.
    Log,
}

/// One line of a chart: a run's metric history (usually sampled by `runlens_core::sampling`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartSeries {
    pub label: String,
    pub color: Rgb,
    /// In any order; the chart orders them along the x axis.
    pub points: Vec<Point>,
    /// Where relative time starts (ms since the epoch): the run's first point. `None` takes the
    /// earliest of `points`, which is wrong once a zoom has read only part of the history.
    #[serde(default)]
    pub origin: Option<i64>,
}

impl ChartSeries {
    pub fn new(label: impl Into<String>, color: Rgb, points: Vec<Point>) -> Self {
        ChartSeries {
            label: label.into(),
            color,
            points,
            origin: None,
        }
    }

    /// A sampled series in its run's own colour.
    pub fn from_sampled(series: &SampledSeries, label: impl Into<String>) -> Self {
        ChartSeries::new(label, run_color(&series.run_id), series.points.clone())
    }

    /// A sampled series in its run's colour among the runs shown with it.
    pub fn from_sampled_in(series: &SampledSeries, label: impl Into<String>, palette: &RunPalette) -> Self {
        ChartSeries::new(label, palette.color(&series.run_id), series.points.clone())
    }
}

/// Everything a chart shows. The same spec draws the same chart on a canvas, in SVG or in PNG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartSpec {
    pub title: String,
    /// The y axis title; usually the metric key.
    pub y_label: String,
    pub series: Vec<ChartSeries>,
    pub x_axis: XAxis,
    pub y_scale: YScale,
    /// Exponential-moving-average weight, 0 (raw) to [`crate::smooth::MAX_WEIGHT`].
    pub smoothing: f64,
    /// Zoom: the x interval shown, in the x axis' unit (steps or ms); `None` shows all points.
    pub x_range: Option<(f64, f64)>,
}

impl ChartSpec {
    /// An empty chart titled after a metric: step axis, linear scale, no smoothing, no zoom.
    pub fn new(metric_key: impl Into<String>) -> Self {
        let title = metric_key.into();
        ChartSpec {
            y_label: title.clone(),
            title,
            series: Vec::new(),
            x_axis: XAxis::default(),
            y_scale: YScale::default(),
            smoothing: 0.0,
            x_range: None,
        }
    }

    /// How many points the series hold together.
    pub fn point_count(&self) -> usize {
        self.series.iter().map(|s| s.points.len()).sum()
    }
}

/// The background a chart is drawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

/// The non-data colours of a theme (the same as the UI's style.css variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThemeColors {
    pub background: Rgb,
    pub text: Rgb,
    pub muted: Rgb,
    pub grid: Rgb,
    pub axis: Rgb,
}

impl Theme {
    pub fn colors(self) -> ThemeColors {
        match self {
            Theme::Light => ThemeColors {
                background: Rgb(0xff, 0xff, 0xff),
                text: Rgb(0x1d, 0x24, 0x30),
                muted: Rgb(0x6a, 0x73, 0x85),
                grid: Rgb(0xe2, 0xe5, 0xeb),
                axis: Rgb(0xa0, 0xa7, 0xb4),
            },
            Theme::Dark => ThemeColors {
                background: Rgb(0x1c, 0x20, 0x27),
                text: Rgb(0xe4, 0xe8, 0xef),
                muted: Rgb(0x98, 0xa1, 0xb3),
                grid: Rgb(0x2c, 0x32, 0x3c),
                axis: Rgb(0x4a, 0x53, 0x62),
            },
        }
    }
}

/// How a chart looks, as opposed to what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChartStyle {
    pub theme: Theme,
    /// Device pixels per layout pixel: the canvas passes `devicePixelRatio`, exports 1 or 2.
    pub scale: f64,
    /// Wall-time labels are shown in this offset from UTC (east positive).
    pub utc_offset_minutes: i32,
    /// Whether the series are named in a legend under the title (a grid of charts shares one
    /// legend outside them; a chart on its own or exported names its lines).
    #[serde(default = "shown")]
    pub legend: bool,
}

fn shown() -> bool {
    true
}

impl Default for ChartStyle {
    fn default() -> Self {
        ChartStyle {
            theme: Theme::Light,
            scale: 1.0,
            utc_offset_minutes: 0,
            legend: true,
        }
    }
}

/// A colour for a value `t` from 0 to 1 (clamped; NaN is 0): a perceptually ordered ramp from
/// deep violet through teal to yellow (viridis' key colours), readable on light and dark.
pub fn gradient(t: f64) -> Rgb {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let at = t * (STOPS.len() - 1) as f64;
    let i = (at.floor() as usize).min(STOPS.len() - 2);
    let f = at - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_colours_are_stable_and_spread() {
        // Pinned: a change here recolours every user's runs.
        assert_eq!(run_color("0123456789abcdef0123456789abcdef"), PALETTE[7]);
        assert_eq!(run_color("a1b2c3"), PALETTE[3]);
        let ids: Vec<String> = (0..200).map(|i| format!("{i:032x}")).collect();
        let used: std::collections::HashSet<Rgb> = ids.iter().map(|id| run_color(id)).collect();
        assert_eq!(used.len(), PALETTE.len());
    }

    #[test]
    fn runs_shown_together_never_share_a_colour() {
        let ids: Vec<String> = (0..200).map(|i| format!("{i:032x}")).collect();
        for group in ids.chunks(7) {
            let refs: Vec<&str> = group.iter().map(String::as_str).collect();
            let colours = run_colors(&refs);
            let distinct: std::collections::HashSet<Rgb> = colours.iter().copied().collect();
            assert_eq!(distinct.len(), refs.len(), "{refs:?}");
            // The set decides, not the order.
            let mut reversed = refs.clone();
            reversed.reverse();
            let mut again = run_colors(&reversed);
            again.reverse();
            assert_eq!(again, colours);
        }
        // Alone or without a clash, a run keeps its own colour.
        assert_eq!(run_colors(&["a1b2c3"]), vec![run_color("a1b2c3")]);
        // The run first in id order keeps its colour in a clash.
        let clash = ids
            .iter()
            .skip(1)
            .find(|id| run_color(id) == run_color(&ids[0]))
            .unwrap();
        let colours = run_colors(&[clash.as_str(), ids[0].as_str(), ids[0].as_str()]);
        assert_eq!(colours[1], run_color(&ids[0]));
        assert_eq!(colours[1], colours[2], "the same run twice, the same colour");
        assert_ne!(colours[0], colours[1]);
        let palette = RunPalette::of([clash.as_str(), ids[0].as_str()]);
        assert_eq!(palette.color(clash), colours[0]);
        assert_eq!(palette.color("elsewhere"), run_color("elsewhere"));
        // More runs than colours: each keeps its own.
        let many: Vec<&str> = ids.iter().take(30).map(String::as_str).collect();
        let own: Vec<Rgb> = many.iter().map(|id| run_color(id)).collect();
        assert_eq!(run_colors(&many), own);
    }

    #[test]
    fn the_gradient_runs_from_violet_to_yellow() {
        assert_eq!(gradient(0.0), Rgb(68, 1, 84));
        assert_eq!(gradient(1.0), Rgb(253, 231, 37));
        assert_eq!(gradient(-3.0), gradient(0.0));
        assert_eq!(gradient(f64::NAN), gradient(0.0));
        assert_eq!(gradient(0.5), Rgb(33, 145, 140));
        // Brightness rises along the ramp, so the order reads without colour vision too.
        let luma = |c: Rgb| 0.3 * c.0 as f64 + 0.59 * c.1 as f64 + 0.11 * c.2 as f64;
        let steps: Vec<f64> = (0..=20).map(|i| luma(gradient(i as f64 / 20.0))).collect();
        assert!(steps.windows(2).all(|w| w[1] > w[0]), "{steps:?}");
    }

    #[test]
    fn x_axis_names_round_trip() {
        for axis in XAxis::ALL {
            assert_eq!(XAxis::parse(axis.as_str()), Some(axis));
        }
        assert_eq!(XAxis::parse("minutes"), None);
        assert_eq!(Rgb(0x3b, 0x7d, 0xdd).hex(), "#3b7ddd");
    }
}
