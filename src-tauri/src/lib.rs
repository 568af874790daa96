//! The Runlens desktop shell: window, app state and the commands the webview calls.
//!
//! **Commands are thin**: each is async, takes one request struct, makes one call into
//! `runlens_tracking`, and returns `Result<_, ApiError>`; nothing here knows MLflow's formats.

#[allow(dead_code)] // read by build.rs and by its own test
mod command_names;
mod commands;
mod connections;
mod live;
mod reviews;
mod save;
mod secrets;
mod settings;
mod startup;
mod state;
mod watch;

use state::AppState;
use tauri::Manager;

/// Builds and runs the app until its window closes.
pub fn run() {
    let requested = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        // Links are opened by the `open_link` command only: no script is injected into the page.
        .plugin(
            tauri_plugin_opener::Builder::new()
                .open_js_links_on_click(false)
                .build(),
        )
        .setup(move |app| {
            let data_dir = app.path().app_data_dir()?;
            let config_dir = app.path().app_config_dir()?;
            let secrets = secrets::Secrets::new(Box::new(secrets::OsKeyring));
            let reviews = reviews::Reviews::new(data_dir.join(reviews::FILE_NAME));
            app.manage(std::sync::Arc::new(reviews));
            app.manage(AppState::new(requested.clone(), data_dir, config_dir, secrets));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup,
            commands::open_store,
            commands::open_demo,
            commands::pick_local_store,
            commands::list_projects,
            commands::list_runs,
            commands::get_run,
            commands::list_artifacts,
            commands::preview_artifact,
            commands::save_artifact_as,
            commands::sampled_histories,
            commands::edit_runs,
            commands::edit_experiment,
            commands::remember_place,
            commands::open_link,
            commands::connections::list_connections,
            commands::connections::save_connection,
            commands::connections::remove_connection,
            commands::connections::open_connection,
            commands::connections::test_connection,
            commands::connections::forget_recent,
            commands::connections::pick_path,
            commands::connections::live_status,
            commands::registry::list_models,
            commands::registry::list_prompts,
            commands::registry::get_model,
            commands::registry::transition_version,
            commands::registry::change_alias,
            commands::registry::edit_model,
            commands::registry::get_version,
            commands::registry::edit_version,
            commands::registry::run_models,
            commands::registry::register_model,
            commands::registry::get_prompt,
            commands::compare::compare_runs,
            commands::compare::run_values,
            commands::compare::export_chart,
            commands::compare::save_chart_as,
            commands::llm::run_tables,
            commands::llm::open_table,
            commands::llm::table_rows,
            commands::llm::table_cell,
            commands::llm::compare_tables,
            commands::llm::search_traces,
            commands::llm::get_trace,
            commands::review::list_reviews,
            commands::review::get_review,
            commands::review::create_review,
            commands::review::add_to_review,
            commands::review::edit_review,
            commands::review::delete_review,
            commands::review::record_decision,
            commands::review::review_report_html,
            commands::review::save_review_report_as,
            commands::review::save_review_charts_as,
            commands::review::set_fullscreen,
        ])
        .run(tauri::generate_context!())
        .expect("Runlens could not start its window");
}
