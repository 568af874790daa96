//! Generates Tauri's context and one `allow-<command>` permission per app command, so the
//! capability file can grant exactly our commands and nothing else.

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(runlens_commands::ALL)),
    )
    .expect("tauri build script failed");
}

#[path = "src/command_names.rs"]
mod runlens_commands;
