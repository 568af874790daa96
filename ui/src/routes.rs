//! The app's places as URL paths (leptos_router): back/forward walk them and the last one is
//! remembered for the next start. Build links only with these functions.
//!
//! - `/` the store's overview
//! - `/experiments/:experiment_id` its runs
//! - `/experiments/:experiment_id/runs/:run_id` one run (`?artifact=<path>` selects an artifact)
//! - `/experiments/:experiment_id/runs/:run_id/chart?metric=<key>` one metric of that run

fn encode(part: &str) -> String {
    String::from(js_sys::encode_uri_component(part))
}

pub fn experiment_path(experiment_id: &str) -> String {
    format!("/experiments/{}", encode(experiment_id))
}

pub fn run_path(experiment_id: &str, run_id: &str) -> String {
    format!("{}/runs/{}", experiment_path(experiment_id), encode(run_id))
}

pub fn artifact_path(experiment_id: &str, run_id: &str, artifact: &str) -> String {
    format!("{}?artifact={}", run_path(experiment_id, run_id), encode(artifact))
}

pub fn metric_chart_path(experiment_id: &str, run_id: &str, metric_key: &str) -> String {
    format!("{}/chart?metric={}", run_path(experiment_id, run_id), encode(metric_key))
}
