//! SVG and PNG export: the drawing path end to end with the bundled font. Pictures of the charts
//! are left in `<target>/tmp/charts/` to look at.

use proptest::prelude::*;
use runlens_charts::columns::Cell;
use runlens_charts::parallel::{ColorScale, ParallelLine, ParallelSpec};
use runlens_charts::scatter::{ScatterPoint, ScatterSpec};
use runlens_charts::{
    export, figure_png, figure_svg, gradient, render_png, render_png_with, render_svg, render_svg_with, run_color,
    ChartSeries, ChartSpec, ChartStyle, ExportFormat, ExportRequest, Figure, Theme, XAxis, YScale,
};
use runlens_core::sampling::Point;
use runlens_core::MetricValue;
use std::path::PathBuf;

/// A noisy falling loss curve, deterministic.
fn loss(run: u64, n: usize, t0: i64) -> Vec<Point> {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ run;
    (0..n)
        .map(|i| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let x = i as f64 / n as f64;
            Point {
                step: i as i64 * 100,
                timestamp: t0 + i as i64 * 7_000 + (run as i64) * 60_000,
                value: MetricValue(2.5 * (-4.0 * x).exp() + 0.1 + 0.25 * noise * (1.0 - 0.6 * x)),
            }
        })
        .collect()
}

fn demo() -> ChartSpec {
    let mut a = loss(1, 600, 1_709_647_200_000);
    a[150].value = MetricValue(f64::NAN);
    a[300].value = MetricValue(f64::INFINITY);
    a[420].value = MetricValue(f64::MIN); // a SQL store's -inf
    let b = loss(2, 450, 1_709_647_200_000);
    let mut spec = ChartSpec::new("train/loss");
    spec.series
        .push(ChartSeries::new("glamorous-owl-42", run_color("run-a"), a));
    spec.series
        .push(ChartSeries::new("quiet-heron-7", run_color("run-b"), b));
    spec.smoothing = 0.8;
    spec
}

fn picture_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("charts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn svg_has_title_axes_legend_and_markers() {
    let svg = render_svg(&demo(), 800, 450).unwrap();
    std::fs::write(picture_dir().join("loss.svg"), &svg).unwrap();
    assert!(svg.starts_with("<svg"));
    for text in [
        "train/loss",
        "glamorous-owl-42",
        "quiet-heron-7",
        "NaN",
        "+∞",
        "−∞",
        "\nstep\n",
    ] {
        assert!(svg.contains(text), "{text} missing");
    }
    // ▲ and ▼ are polygons, once on the plot's edge and once in the legend (× is two lines).
    assert_eq!(svg.matches("<polygon").count(), 4, "{svg}");
}

#[test]
fn png_decodes_to_the_asked_size_in_both_themes() {
    let dir = picture_dir();
    for (theme, name) in [(Theme::Light, "loss-light.png"), (Theme::Dark, "loss-dark.png")] {
        let style = ChartStyle {
            theme,
            scale: 2.0,
            utc_offset_minutes: 60,
            ..ChartStyle::default()
        };
        let mut spec = demo();
        spec.x_axis = XAxis::WallTime;
        let (png, stats) = render_png_with(&spec, 1600, 900, &style).unwrap();
        assert_eq!(stats.points_drawn, 1050);
        std::fs::write(dir.join(name), &png).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (1600, 900));
    }
    let mut log = demo();
    log.y_scale = YScale::Log;
    log.x_axis = XAxis::Relative;
    log.series[1].points[10].value = MetricValue(-1.0);
    log.smoothing = 0.0;
    std::fs::write(dir.join("loss-log.png"), render_png(&log, 800, 450).unwrap()).unwrap();
    let mut zoom = demo();
    zoom.x_range = Some((10_000.0, 20_000.0));
    let (png, stats) = render_png_with(&zoom, 800, 450, &ChartStyle::default()).unwrap();
    assert_eq!(stats.points_drawn, 2 * 101);
    std::fs::write(dir.join("loss-zoom.png"), png).unwrap();
}

#[test]
fn empty_and_degenerate_charts_draw() {
    let mut constant = ChartSpec::new("lr");
    constant
        .series
        .push(ChartSeries::new("r", run_color("r"), loss(3, 1, 0)));
    for spec in [ChartSpec::new("nothing"), constant] {
        let (svg, stats) = render_svg_with(&spec, 400, 300, &ChartStyle::default()).unwrap();
        assert!(svg.contains(&spec.title));
        assert_eq!(stats.points_drawn, spec.point_count());
    }
    assert!(render_svg(&ChartSpec::new("nothing"), 400, 300)
        .unwrap()
        .contains("No points"));
}

#[test]
fn svg_snapshot() {
    let mut spec = ChartSpec::new("val/accuracy");
    let points = [0.5, 0.62, f64::NAN, 0.71, 0.74, f64::INFINITY, 0.78]
        .iter()
        .enumerate()
        .map(|(i, v)| Point {
            step: i as i64,
            timestamp: 1_709_647_200_000 + i as i64 * 60_000,
            value: MetricValue(*v),
        })
        .collect();
    spec.series.push(ChartSeries::new("run-1", run_color("run-1"), points));
    insta::assert_snapshot!(render_svg(&spec, 480, 270).unwrap());
}

#[test]
fn legends_can_be_left_to_the_page() {
    let style = ChartStyle {
        legend: false,
        ..ChartStyle::default()
    };
    let (svg, stats) = render_svg_with(&demo(), 800, 450, &style).unwrap();
    assert!(!svg.contains("glamorous-owl-42"), "no series legend");
    assert!(svg.contains("NaN"), "the marker legend stays");
    let frame = stats.frame.expect("a plot was drawn");
    assert!(frame.left > 0.0 && frame.right < 800.0 && frame.top > 0.0 && frame.bottom < 450.0);
    assert!(frame.x.0 < frame.x.1 && frame.y.0 < frame.y.1);
    // Without a legend row (no series named, no markers) the plot gets the room.
    let mut clean = demo();
    for series in &mut clean.series {
        series.points.retain(|p| p.value.is_finite_value());
    }
    let bare = render_svg_with(&clean, 800, 450, &style).unwrap().1.frame.unwrap();
    let with = render_svg_with(&clean, 800, 450, &ChartStyle::default())
        .unwrap()
        .1
        .frame
        .unwrap();
    assert!(bare.top < with.top, "{} vs {}", bare.top, with.top);
}

/// 40 runs of a sweep: lr (log), optimizer (categorical), depth, and the loss they reached.
fn sweep() -> Vec<(String, Cell, Cell, Cell, Cell)> {
    (0..40)
        .map(|i| {
            let lr = 10f64.powf(-4.0 + (i % 8) as f64 * 0.4);
            let optimizer = ["adam", "sgd", "adamw"][i % 3];
            let depth = 2 + i % 5;
            let loss = match i {
                7 => f64::NAN,
                11 => f64::INFINITY,
                _ => 0.2 + (lr.log10() + 2.5).powi(2) * 0.1 + depth as f64 * 0.02,
            };
            (
                format!("run-{i:02}"),
                Cell::Text(format!("{lr:.6}")),
                if i == 5 {
                    Cell::Missing
                } else {
                    Cell::Text(optimizer.into())
                },
                Cell::Text(depth.to_string()),
                Cell::Number(MetricValue(loss)),
            )
        })
        .collect()
}

#[test]
fn parallel_coordinates_and_scatter_export() {
    let dir = picture_dir();
    let runs = sweep();
    let parallel = Figure::Parallel(ParallelSpec {
        title: "loss by lr, optimizer, depth".into(),
        axes: vec!["lr".into(), "optimizer".into(), "depth".into(), "val/loss".into()],
        lines: runs
            .iter()
            .map(|(id, lr, opt, depth, loss)| ParallelLine {
                label: id.clone(),
                color: gradient(loss.number().map_or(1.0, |v| (v - 0.2) / 0.5)),
                cells: vec![lr.clone(), opt.clone(), depth.clone(), loss.clone()],
            })
            .collect(),
        color_scale: Some(ColorScale {
            label: "val/loss".into(),
            lo: 0.2,
            hi: 0.7,
        }),
    });
    let (svg, stats) = figure_svg(&parallel, 900, 480, &ChartStyle::default()).unwrap();
    std::fs::write(dir.join("parallel.svg"), &svg).unwrap();
    assert_eq!(stats.points_drawn, 40);
    for text in [
        "lr",
        "optimizer",
        "adamw",
        "sgd",
        "depth",
        "val/loss",
        "NaN / +∞",
        "none",
    ] {
        assert!(svg.contains(text), "{text} missing");
    }
    let (png, _) = figure_png(
        &parallel,
        1800,
        960,
        &ChartStyle {
            scale: 2.0,
            theme: Theme::Dark,
            ..ChartStyle::default()
        },
    )
    .unwrap();
    std::fs::write(dir.join("parallel-dark.png"), png).unwrap();

    let scatter = Figure::Scatter(ScatterSpec {
        title: "val/loss against lr".into(),
        x_label: "lr".into(),
        y_label: "val/loss".into(),
        points: runs
            .iter()
            .map(|(id, lr, _, _, loss)| ScatterPoint {
                label: id.clone(),
                color: run_color(id),
                x: if id == "run-03" { Cell::Missing } else { lr.clone() },
                y: loss.clone(),
            })
            .collect(),
        x_log: None,
        y_log: Some(false),
    });
    let (svg, stats) = figure_svg(&scatter, 800, 450, &ChartStyle::default()).unwrap();
    std::fs::write(dir.join("scatter.svg"), &svg).unwrap();
    assert_eq!(stats.points_drawn, 39);
    assert!(svg.contains("1 run without both values not shown"));
    assert!(svg.contains("lr (log)"));
    assert_eq!(svg.matches("<polygon").count(), 1, "the +∞ run is a ▲ marker");
    assert!(stats.frame.is_some());
    std::fs::write(
        dir.join("scatter.png"),
        figure_png(&scatter, 800, 450, &ChartStyle::default()).unwrap().0,
    )
    .unwrap();
}

#[test]
fn exports_are_valid_files_of_the_asked_size() {
    let request = |format| ExportRequest {
        figure: Figure::Metric(demo()),
        format,
        width: 640,
        height: 360,
        style: ChartStyle {
            scale: 2.0,
            ..ChartStyle::default()
        },
    };
    let png = export(&request(ExportFormat::Png)).unwrap();
    let reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (1280, 720));
    let svg = String::from_utf8(export(&request(ExportFormat::Svg)).unwrap()).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("width=\"640\"") && svg.contains("height=\"360\""));
    // Silly sizes are bounded, not refused.
    let mut huge = request(ExportFormat::Png);
    huge.width = 1_000_000;
    huge.height = 0;
    let png = export(&huge).unwrap();
    let reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    assert!(reader.info().width <= 4000 * 4 && reader.info().height >= 100);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn any_size_draws_without_panicking(w in 1u32..700, h in 1u32..500, scale in 0.1f64..4.0) {
        let style = ChartStyle { scale, ..ChartStyle::default() };
        prop_assert!(render_svg_with(&demo(), w, h, &style).is_ok());
    }
}
