//! The `runlens` executable: `runlens [PATH_OR_URI]`.

// Keeps Windows release builds from opening a console window next to the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    runlens_app::run();
}
