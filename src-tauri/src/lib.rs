//! The Runlens desktop shell: window, app state and the commands the webview calls.
//!
//! **Commands are thin**: each is async, takes one request struct, makes one call into
//! `runlens_tracking`, and returns `Result<_, ApiError>`; nothing here knows MLflow's formats.

#[allow(dead_code)] // read by build.rs and by its own test
mod command_names;
mod commands;
mod startup;
mod state;

use state::AppState;
use tauri::Manager;

/// Builds and runs the app until its window closes.
pub fn run() {
    let requested = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            let data_dir = app.path().app_data_dir()?;
            app.manage(AppState::new(requested.clone(), data_dir));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup,
            commands::open_store,
            commands::open_demo,
            commands::pick_local_store,
            commands::list_projects,
            commands::list_runs,
        ])
        .run(tauri::generate_context!())
        .expect("Runlens could not start its window");
}
