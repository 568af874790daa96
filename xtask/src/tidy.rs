//! `cargo xtask tidy`: formatting, and the conventions ARCHITECTURE.md promises (every Rust file
//! opens with a `//!` line saying what it is; every crate is in the codemap).

use crate::sh;
use anyhow::{bail, Result};
use std::path::Path;
use std::process::Command;

pub fn check(root: &Path) -> Result<()> {
    sh(Command::new("cargo").args(["fmt", "--all", "--", "--check"]))?;
    let mut problems = Vec::new();
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap_or_default();
    for member in [
        "crates/core",
        "crates/tracking",
        "crates/cli",
        "crates/charts",
        "crates/report",
        "src-tauri",
        "ui",
        "xtask",
        "tests",
    ] {
        if !architecture.contains(&format!("`{member}")) {
            problems.push(format!("ARCHITECTURE.md does not describe `{member}`"));
        }
        visit(&root.join(member), &mut problems);
    }
    if problems.is_empty() {
        eprintln!("tidy: all good");
        Ok(())
    } else {
        for p in &problems {
            eprintln!("tidy: {p}");
        }
        bail!("{} tidy problem(s)", problems.len())
    }
}

fn visit(dir: &Path, problems: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "dist" | "gen" | "node_modules" | "icons") {
                visit(&path, problems);
            }
        } else if name.ends_with(".rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            if !first.starts_with("//!") {
                problems.push(format!(
                    "{} does not start with a `//!` line saying what it is",
                    path.display()
                ));
            }
        }
    }
}
