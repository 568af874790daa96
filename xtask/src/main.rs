//! `cargo xtask <command>`: everything needed to set up, build, run, test and package Runlens,
//! in Rust rather than scattered shell scripts.
//!
//! - `setup [--for-tests]`: installs what is missing (apt packages, the wasm target, trunk, the exact
//!   wasm-bindgen-cli, the Tauri CLI, tauri-driver, the pinned-MLflow venv); each step is skipped
//!   when already done and says what it does.
//! - `run [ARGS]`: setup, release build, then launches the app with ARGS.
//! - `test`: setup --for-tests, builds the app for end-to-end tests, runs every test.
//! - `e2e [SUITE...] [-- FILTER...]`: only the end-to-end suites (`tests/tests/e2e*.rs`; after the
//!   same build).
//! - `tidy`: formatting and the documentation conventions of ARCHITECTURE.md.
//! - `dist [--debug]`: the .deb and .rpm installers (release unless `--debug`).

mod setup;
mod tidy;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("setup") => setup::all(&root, args.iter().any(|a| a == "--for-tests")),
        Some("run") => run(&root, &args[1..]),
        Some("test") => test(&root, &args[1..]),
        Some("e2e") => e2e(&root, &args[1..]),
        Some("tidy") => tidy::check(&root),
        Some("dist") => dist(&root, args[1..].iter().any(|a| a == "--debug")),
        _ => {
            eprintln!("usage: cargo xtask setup [--for-tests] | run [PATH_OR_URI] | test | e2e [SUITE...] [-- FILTER...] | tidy | dist");
            std::process::exit(2)
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Where cargo puts build outputs (honours CARGO_TARGET_DIR, as CI sets it).
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Runs a command, echoing it, and fails with its exit status.
pub fn sh(cmd: &mut Command) -> Result<()> {
    eprintln!("  $ {}", describe(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("could not start {}", describe(cmd)))?;
    if !status.success() {
        bail!("{} failed with {status}", describe(cmd));
    }
    Ok(())
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program().to_string_lossy().to_string())
        .chain(cmd.get_args().map(|a| a.to_string_lossy().to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Builds the wasm frontend into ui/dist (the shell embeds it at compile time).
fn build_ui(root: &Path, release: bool) -> Result<()> {
    eprintln!(
        "==> building the frontend ({})",
        if release { "release" } else { "debug" }
    );
    let mut cmd = Command::new(setup::cargo_bin("trunk"));
    cmd.current_dir(root.join("ui")).args(["build", "--offline"]);
    if release {
        cmd.arg("--release");
    }
    sh(&mut cmd)
}

fn run(root: &Path, app_args: &[String]) -> Result<()> {
    setup::all(root, false)?;
    build_ui(root, true)?;
    eprintln!("==> building the app (release)");
    sh(cargo().args(["build", "--release", "-p", "runlens", "--features", "custom-protocol"]))?;
    let binary = target_dir(root).join("release").join("runlens");
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!("no display to open a window on: run this on a desktop session (or under `xvfb-run`); the app is built at {}", binary.display());
    }
    eprintln!("==> launching {}", binary.display());
    sh(Command::new(binary).args(app_args))
}

/// The debug app binary the end-to-end tests drive, with the UI embedded.
fn build_e2e_app(root: &Path) -> Result<PathBuf> {
    build_ui(root, false)?;
    eprintln!("==> building the app for end-to-end tests");
    sh(cargo().args([
        "build",
        "-p",
        "runlens",
        "-p",
        "runlens-cli",
        "--features",
        "runlens/custom-protocol",
    ]))?;
    Ok(target_dir(root).join("debug").join("runlens"))
}

fn test(root: &Path, extra: &[String]) -> Result<()> {
    setup::all(root, true)?;
    let app = build_e2e_app(root)?;
    eprintln!("==> running every test (unit, property, interop, end-to-end)");
    // The same feature set as the e2e build, so cargo reuses that build instead of making another.
    let mut cmd = cargo();
    // Every suite runs even after a failure, so the summary counts the whole suite.
    cmd.args([
        "test",
        "--no-fail-fast",
        "--workspace",
        "--exclude",
        "runlens-ui",
        "--features",
        "runlens/custom-protocol",
    ])
    .args(extra)
    .env("RUNLENS_APP", &app)
    .env("RUNLENS_PYTHON", setup::venv_python());
    run_tests_with_summary(&mut cmd)
}

/// Runs `cargo test`, passing its output through, and ends with one line totalling every test
/// binary's result (cargo's own last line is often an empty doc-test run).
fn run_tests_with_summary(cmd: &mut Command) -> Result<()> {
    use std::io::{BufRead, BufReader};
    eprintln!("  $ {}", describe(cmd));
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("could not start cargo test")?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    for line in BufReader::new(child.stdout.take().expect("piped stdout")).lines() {
        let line = line?;
        println!("{line}");
        if let Some(counts) = line.strip_prefix("test result: ") {
            for part in counts.split(';') {
                let mut words = part.split_whitespace().rev();
                let (Some(label), Some(n)) = (words.next(), words.next()) else {
                    continue;
                };
                let n: u64 = n.trim_start_matches(|c: char| !c.is_ascii_digit()).parse().unwrap_or(0);
                match label {
                    "passed" => passed += n,
                    "failed" => failed += n,
                    "ignored" => ignored += n,
                    _ => {}
                }
            }
        }
    }
    let status = child.wait()?;
    println!("\nsummary: {passed} passed, {failed} failed, {ignored} skipped");
    if !status.success() {
        bail!("cargo test failed with {status}");
    }
    Ok(())
}

/// `cargo xtask e2e [SUITE...] [-- FILTER...]`: the end-to-end suites (`tests/tests/e2e*.rs`),
/// all of them by default.
fn e2e(root: &Path, args: &[String]) -> Result<()> {
    setup::all(root, true)?;
    let app = build_e2e_app(root)?;
    let (suites, filters) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i..]),
        None => (args, &[][..]),
    };
    let mut cmd = cargo();
    cmd.args(["test", "-p", "runlens-tests"]);
    let suites = if suites.is_empty() {
        e2e_suites(root)?
    } else {
        suites.to_vec()
    };
    for suite in &suites {
        cmd.args(["--test", suite]);
    }
    sh(cmd
        .args(filters)
        .env("RUNLENS_APP", &app)
        .env("RUNLENS_PYTHON", setup::venv_python()))
}

/// Every end-to-end suite: `tests/tests/e2e*.rs`.
fn e2e_suites(root: &Path) -> Result<Vec<String>> {
    let mut suites: Vec<String> = std::fs::read_dir(root.join("tests/tests"))?
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter(|name| name.starts_with("e2e") && name.ends_with(".rs"))
        .map(|name| name.trim_end_matches(".rs").to_string())
        .collect();
    suites.sort();
    Ok(suites)
}

/// `cargo xtask dist [--debug]`: the `.deb` and `.rpm` installers (release: optimised and
/// stripped; `--debug` reuses the end-to-end build, for the package test).
fn dist(root: &Path, debug: bool) -> Result<()> {
    setup::all(root, false)?;
    let profile = if debug { "debug" } else { "release" };
    eprintln!("==> building the .deb and .rpm installers ({profile})");
    let mut cmd = Command::new(root.join("node_modules/.bin/tauri"));
    cmd.args(["build", "--bundles", "deb,rpm"]);
    if debug {
        cmd.arg("--debug");
    }
    sh(&mut cmd)?;
    for kind in ["deb", "rpm"] {
        eprintln!(
            "==> {kind} in {}",
            target_dir(root).join(profile).join("bundle").join(kind).display()
        );
    }
    Ok(())
}
