//! Traces (issue #8): an experiment's traces ([`list`]) and one trace's span tree with its
//! timing waterfall and the selected span's inputs, outputs, attributes and events ([`trace`]).

pub mod list;
pub mod trace;

pub use list::TracesPage;
pub use trace::TracePage;

/// A span or trace duration from nanoseconds: `850 µs`, `12.3 ms`, `4.20 s`, `2m 05s`.
pub fn nanos(ns: i64) -> String {
    let ns = ns.max(0) as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.0} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else if ns < 60e9 {
        format!("{:.2} s", ns / 1e9)
    } else {
        let s = (ns / 1e9) as i64;
        format!("{}m {:02}s", s / 60, s % 60)
    }
}

/// A trace's duration from milliseconds (which MLflow rounds down: 0 is "< 1 ms").
pub fn millis(ms: Option<i64>) -> String {
    match ms {
        None => String::new(),
        Some(ms) if ms <= 0 => "< 1 ms".into(),
        Some(ms) => nanos(ms.saturating_mul(1_000_000)),
    }
}

/// An experiment's name for breadcrumbs (read with the first run of its page).
pub fn experiment_name(experiment_id: leptos::prelude::Signal<String>) -> leptos::prelude::LocalResource<String> {
    use leptos::prelude::*;
    LocalResource::new(move || {
        let experiment_id = experiment_id.get();
        async move {
            crate::ipc::list_runs(runlens_core::ipc::ListRunsRequest {
                experiment_id,
                filter: None,
                order_by: vec![],
                view_type: Default::default(),
                page: runlens_core::PageRequest {
                    max_results: Some(1),
                    page_token: None,
                },
            })
            .await
            .map(|page| page.experiment.name)
            .unwrap_or_else(|_| "Experiment".into())
        }
    })
}

/// The CSS class of a trace or span status.
pub fn status_class(status: &str) -> String {
    format!(
        "status trace-status status-{}",
        status.to_ascii_lowercase().replace('_', "-")
    )
}
