//! End-to-end tests of the compare view and its charts (issue #6) in the real window: select
//! runs → Compare → metric charts drawn, change the axis, scale and smoothing, hover, zoom and
//! reset; the differences tables (best run, direction switch, differences only); parallel
//! coordinates and scatter; a run's metrics page; charts exported by the backend as PNG and SVG
//! and parsed here. On the benchmark store (20 runs × 100,000 steps) it measures opening Compare
//! until the charts are drawn. Screenshots go to `<target>/e2e-screenshots/`, figures to
//! `figures.txt` beside them.

use runlens_charts::{ChartSeries, ChartSpec, ChartStyle, ExportFormat, ExportRequest, Figure, Theme, XAxis};
use runlens_core::sampling::SampledSeries;
use runlens_tests::app::{record_figure, screenshot_dir, App, Launch};
use runlens_tests::bench::bench_store;
use runlens_tests::browse::browse_store;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

fn empty_dir(label: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(TMP)
        .join("e2e-compare")
        .join(format!("{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn launch(db: &std::path::Path, label: &str) -> App {
    let app = App::launch(
        TMP,
        Launch {
            args: vec![db.display().to_string()],
            cwd: Some(empty_dir(label)),
            ..Default::default()
        },
    )
    .await;
    app.wait_for("#sidebar .experiment").await;
    app
}

async fn open_experiment(app: &App, experiment_id: &str) {
    app.click(&format!("#sidebar .experiment[data-experiment-id='{experiment_id}']"))
        .await;
    app.wait_for("#runs-table tr.run-row").await;
}

async fn data_number(app: &App, css: &str, name: &str) -> usize {
    app.eval(&format!(
        "const e = document.querySelector(\"{css}\"); return e ? Number(e.dataset.{name}) : -1;"
    ))
    .await
    .as_i64()
    .unwrap_or(-1)
    .max(0) as usize
}

/// Mouse events on a chart at fractions of its canvas (WebKitWebDriver's pointer actions do not
/// move the page's mouse reliably under Xvfb, so the events are made in the page).
async fn mouse(app: &App, canvas: &str, kind: &str, fx: f64, fy: f64) {
    app.eval(&format!(
        "const c = document.querySelector(\"{canvas}\"); const r = c.getBoundingClientRect(); \
         const init = {{ bubbles: true, cancelable: true, button: 0, clientX: r.left + r.width * {fx}, clientY: r.top + r.height * {fy} }}; \
         const target = {kind:?} === 'mouseup' ? window : c; target.dispatchEvent(new MouseEvent({kind:?}, init));"
    ))
    .await;
}

async fn wait_drawn(app: &App, canvas: &str) {
    app.wait_for(&format!("{canvas}[data-drawn='true']")).await;
}

#[tokio::test(flavor = "current_thread")]
async fn compare_selected_runs_charts_tables_plots_and_exports() {
    let store = browse_store(TMP);
    let app = launch(&store.db(), "compare").await;
    let sweep = store.experiment("sweep");
    open_experiment(&app, sweep).await;

    // Compare wants two runs or more.
    let children = [store.run("child_1"), store.run("child_2"), store.run("child_3")];
    app.click(&format!("tr.run-row[data-run-id='{}'] input.row-select", children[0]))
        .await;
    app.wait_for("#bulk-compare:disabled").await;
    for id in &children[1..] {
        app.click(&format!("tr.run-row[data-run-id='{id}'] input.row-select"))
            .await;
    }
    app.wait_for_text("#selected-count", "3 selected").await;
    app.wait_for("#bulk-compare:not(:disabled)").await;
    app.click("#bulk-compare").await;

    // The runs in their colours, and a chart per metric drawn from their sampled histories.
    app.wait_for("#compare-runs .run-chip").await;
    let chips = app.all_texts("#compare-runs .run-chip a").await;
    for name in ["child_1", "child_2", "child_3"] {
        assert!(chips.iter().any(|c| c == store.run_name(name)), "{chips:?}");
    }
    let loss = ".chart-card[data-key='loss'] canvas";
    wait_drawn(&app, loss).await;
    assert_eq!(
        data_number(&app, loss, "points").await,
        3 * store.sweep_steps,
        "every step of the three curves is drawn"
    );
    for key in ["accuracy", "lr", "val/loss"] {
        app.wait_for(&format!(".chart-card[data-key='{key}']")).await;
    }
    assert_eq!(app.count(".chart-group").await, 2, "no prefix and val/");
    app.screenshot("compare-charts").await;

    // NaN, +inf and -inf of one run are drawn as markers: counted, never dropped.
    let grad_norm = ".chart-card[data-key='grad_norm'] canvas";
    wait_drawn(&app, grad_norm).await;
    assert_eq!(
        data_number(&app, grad_norm, "points").await,
        3 * store.sweep_steps,
        "the three non-finite values are drawn too"
    );
    app.eval(&format!(
        "document.querySelector(\"{grad_norm}\").scrollIntoView({{ block: 'center' }});"
    ))
    .await;
    app.screenshot("compare-non-finite-markers").await;

    // Relative time, log scale and smoothing: the charts are drawn again.
    app.set_value("#x-axis", "relative").await;
    app.set_value("#smoothing", "0.8").await;
    app.click("#y-log").await;
    app.wait_for_text(".smoothing-value", "0.80").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    wait_drawn(&app, loss).await;
    app.screenshot("compare-charts-relative-log-smoothed").await;

    // The crosshair lists each run's value at the pointer.
    mouse(&app, loss, "mousemove", 0.5, 0.6).await;
    app.wait_for(".chart-card[data-key='loss'] .chart-tooltip").await;
    let rows = app.all_texts(".chart-card[data-key='loss'] .chart-tooltip li").await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().any(|r| r.contains(store.run_name("child_2"))), "{rows:?}");
    assert!(rows.iter().all(|r| r.contains("smoothed")), "{rows:?}");
    app.screenshot("compare-hover").await;

    // Drag to zoom: the range is read again at full detail; a double-click shows everything.
    app.set_value("#x-axis", "step").await;
    wait_drawn(&app, loss).await;
    let everything = data_number(&app, loss, "points").await;
    mouse(&app, loss, "mousedown", 0.35, 0.6).await;
    mouse(&app, loss, "mousemove", 0.55, 0.6).await;
    mouse(&app, loss, "mouseup", 0.55, 0.6).await;
    let status = ".chart-card[data-key='loss'] .point-count";
    app.wait_for_text(status, "all ").await;
    let zoomed = app.text(status).await;
    assert!(zoomed.starts_with("Zoomed: steps "), "{zoomed}");
    wait_drawn(&app, loss).await;
    let in_view = data_number(&app, loss, "points").await;
    assert!(in_view > 0 && in_view < everything, "{in_view} of {everything}");
    app.screenshot("compare-zoomed").await;
    app.eval(&format!(
        "document.querySelector(\"{loss}\").dispatchEvent(new MouseEvent('dblclick', {{ bubbles: true }}));"
    ))
    .await;
    app.wait_for_text(status, "points shown").await;

    // The search narrows the grid.
    app.type_into("#chart-search", "val").await;
    app.wait_gone(".chart-card[data-key='loss']").await;
    assert_eq!(app.all_texts(".chart-card").await.len(), 1);
    app.set_value("#chart-search", "").await;
    app.wait_for(".chart-card[data-key='loss']").await;

    // Export: the backend draws the chart as PNG and SVG; both are valid files.
    let request = json!({ "run_ids": children, "keys": ["loss"], "max_points": 1000 });
    let series: Vec<SampledSeries> = serde_json::from_value(app.invoke("sampled_histories", request).await).unwrap();
    assert_eq!(series.len(), 3);
    let mut spec = ChartSpec::new("loss");
    spec.x_axis = XAxis::Relative;
    spec.smoothing = 0.6;
    for (s, name) in series.iter().zip(["child_1", "child_2", "child_3"]) {
        spec.series.push(ChartSeries::from_sampled(s, store.run_name(name)));
    }
    let export = |format| ExportRequest {
        figure: Figure::Metric(spec.clone()),
        format,
        width: 1000,
        height: 560,
        style: ChartStyle {
            theme: Theme::Light,
            scale: 2.0,
            utc_offset_minutes: 0,
            legend: true,
        },
    };
    let bytes = |v: Value| -> Vec<u8> { serde_json::from_value(v).unwrap() };
    let png = bytes(
        app.invoke("export_chart", serde_json::to_value(export(ExportFormat::Png)).unwrap())
            .await,
    );
    let mut reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (2000, 1120));
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).unwrap();
    let colours: std::collections::HashSet<&[u8]> = pixels.chunks(3).collect();
    assert!(
        colours.len() > 50,
        "the PNG has a drawing in it ({} colours)",
        colours.len()
    );
    std::fs::write(screenshot_dir(TMP).join("compare-export.png"), &png).unwrap();
    let svg = String::from_utf8(bytes(
        app.invoke("export_chart", serde_json::to_value(export(ExportFormat::Svg)).unwrap())
            .await,
    ))
    .unwrap();
    std::fs::write(screenshot_dir(TMP).join("compare-export.svg"), &svg).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        (root.attribute("width"), root.attribute("height")),
        (Some("1000"), Some("560"))
    );
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).map(str::trim).collect();
    for needle in [
        "loss",
        store.run_name("child_1"),
        store.run_name("child_3"),
        "time since the run's first point",
    ] {
        assert!(texts.contains(&needle), "{needle} in {texts:?}");
    }
    assert!(
        doc.descendants().filter(|n| n.has_tag_name("polyline")).count() >= 6,
        "raw and smoothed lines"
    );

    // The differences: the best run per metric, switched direction, differences only.
    app.click("#tab-table").await;
    app.wait_for("#compare-metrics-table").await;
    // The run whose loss cell is marked best.
    let best_run = || async {
        app.eval(
            "const row = document.querySelector(\"#compare-metrics-table tr[data-key='loss']\"); \
             const runs = [...document.querySelectorAll('#compare-metrics-table thead th.run-col')].map((th) => th.title); \
             return runs[[...row.querySelectorAll('td')].findIndex((td) => td.classList.contains('best'))];",
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    };
    // child_3 decays fastest: the lowest final loss.
    assert_eq!(best_run().await, children[2]);
    assert_eq!(
        app.eval("return document.querySelector(\"tr[data-key='accuracy'] .dir-toggle\").dataset.direction")
            .await,
        "HigherIsBetter"
    );
    app.click("#compare-metrics-table tr[data-key='loss'] .dir-toggle")
        .await;
    app.wait_for("#compare-metrics-table tr[data-key='loss'] .dir-toggle[data-direction='HigherIsBetter']")
        .await;
    assert_eq!(best_run().await, children[0], "switched: the highest loss is best");
    let params = app.all_texts("#compare-params-table tbody th").await;
    assert!(
        params.contains(&"optimizer".to_string()) && params.contains(&"lr".to_string()),
        "{params:?}"
    );
    app.wait_for("#compare-params-table tr.differs[data-key='lr'] td.odd")
        .await;
    app.click("#params-diff-only").await;
    app.wait_gone("#compare-params-table tr[data-key='optimizer']").await;
    assert_eq!(app.all_texts("#compare-params-table tbody th").await, ["lr"]);
    assert_eq!(app.count("#compare-tags-table tr[data-key^='mlflow.']").await, 0);
    app.click("#tags-system").await;
    app.wait_for("#compare-tags-table tr[data-key='mlflow.parentRunId']")
        .await;
    app.screenshot("compare-table").await;

    // Parallel coordinates and scatter of the three runs.
    app.click("#tab-plots").await;
    wait_drawn(&app, "#parallel-chart").await;
    assert_eq!(data_number(&app, "#parallel-chart", "points").await, 3);
    wait_drawn(&app, "#scatter-chart").await;
    assert_eq!(data_number(&app, "#scatter-chart", "points").await, 3);
    app.screenshot("compare-plots").await;

    // A run's metrics page: every metric of one run as a chart grid.
    app.click(&format!("#compare-runs .run-chip[data-run-id='{}'] a", children[0]))
        .await;
    app.click("#all-metrics-charts").await;
    app.wait_for("#run-metrics .chart-card").await;
    let cards = app.count("#run-metrics .chart-card").await;
    assert_eq!(cards, 5, "loss, accuracy, val/loss, lr, grad_norm");
    wait_drawn(&app, "#run-metrics .chart-card[data-key='accuracy'] canvas").await;
    app.screenshot("run-metrics-grid").await;

    // From the tree: a parent's children compared in one click.
    open_experiment(&app, sweep).await;
    app.click(&format!("tr.run-row[data-run-id='{}'] a.run-name", store.run("parent")))
        .await;
    app.click("#compare-children").await;
    app.wait_for("#compare-runs .run-chip").await;
    let chips = app.count("#compare-runs .run-chip").await;
    assert_eq!(chips, 3, "the parent's three children");
    wait_drawn(&app, loss).await;

    // Every run of the experiment, plotted.
    open_experiment(&app, sweep).await;
    app.click("#experiment-plots").await;
    wait_drawn(&app, "#parallel-chart").await;
    let lines = data_number(&app, "#parallel-chart", "points").await;
    assert!(lines >= 7, "the sweep's active runs: {lines}");
    app.screenshot("experiment-plots").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn twenty_runs_of_100k_steps_open_in_compare_quickly() {
    let store = bench_store(TMP);
    assert_eq!((store.long_run_ids.len(), store.long_steps), (20, 100_000));
    let app = launch(&store.db, "bench-long").await;

    // Timed in the page: from the click on Compare until every chart in view is drawn, the
    // 100,000-step loss of the 20 runs among them. Three times: the first in a fresh window,
    // then again from the experiment's table.
    let mut times = Vec::new();
    for attempt in 1..=3 {
        open_experiment(&app, &store.long_experiment_id).await;
        app.click("#select-all").await;
        app.wait_for_text("#selected-count", "20 selected").await;
        let started = Instant::now();
        let measured = app.run_async("const t0 = performance.now(); document.getElementById('bulk-compare').click(); \
             function check() { \
               const cards = [...document.querySelectorAll('.chart-card')]; \
               const inView = cards.filter((c) => { const r = c.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }); \
               const loss = document.querySelector(\".chart-card[data-key='loss'] canvas[data-drawn='true']\"); \
               if (loss && inView.length > 0 && inView.every((c) => c.querySelector(\"canvas[data-drawn='true']\"))) { \
                 done({ ms: performance.now() - t0, charts: inView.length, points: Number(loss.dataset.points) }); \
               } else if (performance.now() - t0 > 60000) { done({ timeout: true }); } \
               else { requestAnimationFrame(check); } \
             } \
             requestAnimationFrame(check);",
            vec![],
        )
        .await;
        let round_trip = started.elapsed();
        assert!(
            measured.get("timeout").is_none(),
            "the charts were not drawn within a minute"
        );
        let ms = measured["ms"].as_f64().unwrap();
        let points = measured["points"].as_u64().unwrap() as usize;
        assert!(points <= 20 * 1000, "at most 1,000 points per series cross: {points}");
        assert!(points >= 20 * 500, "each long series is sampled, not cut: {points}");
        let status = app.text(".chart-card[data-key='loss'] .point-count").await;
        assert!(status.contains("of 2,000,000 points shown"), "{status}");
        record_figure(TMP, &format!(
            "bench-long, 20 runs x 100,000 steps, open {attempt}: Compare clicked to {} charts drawn (loss: {points} of 2,000,000 points) in {ms:.0} ms in the page ({} ms with WebDriver round trips)",
            measured["charts"],
            round_trip.as_millis()
        ));
        times.push(ms);
    }
    times.sort_by(f64::total_cmp);
    // Other work on the machine slows every figure: say how much there was.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    record_figure(
        TMP,
        &format!(
            "bench-long: Compare to charts drawn, median of 3 opens: {:.0} ms (min {:.0}, max {:.0}); load average {}",
            times[1],
            times[0],
            times[2],
            load.split_whitespace().next().unwrap_or("?")
        ),
    );
    app.screenshot("compare-bench-long").await;

    // Of which the backend's part: the loss of the 20 runs sampled, as the chart asks for it.
    let backend = app.run_async("const t0 = performance.now(); \
         window.__TAURI__.core.invoke('sampled_histories', { request: { run_ids: arguments[0], keys: ['loss'], max_points: 1000 } }) \
           .then((s) => done({ ms: performance.now() - t0, series: s.length }), (e) => done({ err: e }));",
        vec![json!(store.long_run_ids)],
    )
    .await;
    assert_eq!(backend["series"], 20, "{backend}");
    record_figure(TMP, &format!(
        "bench-long: of which one sampled_histories request for the 20 loss histories (read, sampled, sent as JSON): {:.0} ms",
        backend["ms"].as_f64().unwrap_or_default()
    ));

    // Zooming reads the range again at full detail.
    let canvas = ".chart-card[data-key='loss'] canvas";
    let zoom = app.run_async(&format!(
            "const c = document.querySelector(\"{canvas}\"); const r = c.getBoundingClientRect(); \
             const at = (f) => ({{ bubbles: true, cancelable: true, button: 0, clientX: r.left + r.width * f, clientY: r.top + r.height * 0.6 }}); \
             const t0 = performance.now(); \
             c.dispatchEvent(new MouseEvent('mousedown', at(0.40))); c.dispatchEvent(new MouseEvent('mousemove', at(0.42))); \
             window.dispatchEvent(new MouseEvent('mouseup', at(0.42))); \
             const status = document.querySelector(\".chart-card[data-key='loss'] .point-count\"); \
             function check() {{ \
               const text = status ? status.textContent : ''; \
               if (text.startsWith('Zoomed') && !text.includes('reading') && c.dataset.drawn === 'true') {{ done({{ ms: performance.now() - t0, text, points: Number(c.dataset.points) }}); }} \
               else if (performance.now() - t0 > 30000) {{ done({{ timeout: text }}); }} else {{ requestAnimationFrame(check); }} \
             }} requestAnimationFrame(check);"
        ),
        vec![],
    )
    .await;
    assert!(zoom.get("timeout").is_none(), "the zoom was not read: {zoom}");
    let text = zoom["text"].as_str().unwrap_or_default().to_string();
    assert!(text.contains(" points") && !text.contains("no points"), "{text}");
    record_figure(
        TMP,
        &format!(
            "bench-long: drag-zoom on loss read again at full detail and drawn in {:.0} ms ({})",
            zoom["ms"].as_f64().unwrap_or_default(),
            text
        ),
    );
    app.screenshot("compare-bench-long-zoomed").await;

    // Every one of 10,000 runs as parallel coordinates and a scatter.
    open_experiment(&app, &store.runs_experiment_id).await;
    let started = Instant::now();
    app.click("#experiment-plots").await;
    wait_drawn(&app, "#parallel-chart").await;
    wait_drawn(&app, "#scatter-chart").await;
    let lines = data_number(&app, "#parallel-chart", "points").await;
    assert_eq!(lines, 10_000, "a line per run");
    record_figure(TMP, &format!(
        "bench-runs, 10,000 runs: Plot runs clicked to parallel coordinates and scatter drawn in {} ms (WebDriver round trips included)",
        started.elapsed().as_millis()
    ));
    app.screenshot("experiment-plots-10k").await;
    app.close().await;
}
