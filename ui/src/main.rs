//! Runlens' frontend: a Leptos app rendered in the desktop shell's webview.
//!
//! **Only `ipc` touches `wasm_bindgen` to reach the backend**; every other module works with the
//! typed values of `runlens-core`.

mod app;
mod artifacts;
mod chart;
mod compare;
mod connections;
mod dialog;
mod format;
mod ipc;
mod keyboard;
mod markdown;
mod registry;
mod review;
mod routes;
mod run_detail;
mod runs;
mod sidebar;
mod tables;
mod traces;
mod welcome;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
