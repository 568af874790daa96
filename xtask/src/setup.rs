//! Installs what building, running and testing Runlens needs, skipping what is already there.

use crate::sh;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian packages: Tauri's build and runtime libraries, then what the tests need.
const APT_BUILD: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "libssl-dev",
    "pkg-config",
    "python3-venv",
];
const APT_TEST: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "libsecret-tools",
    // The package test reads the .rpm's declared dependencies and desktop entry.
    "rpm",
    "cpio",
    // "Test connection" is tested against a TLS server whose certificates openssl makes.
    "openssl",
    // Screenshots of unicode names need a CJK font under Xvfb.
    "fonts-wqy-microhei",
    // The review report test renders the report's HTML headless for a screenshot.
    "chromium",
];

const TRUNK_VERSION: &str = "0.21.14";
/// The MLflow the interop tests are written against.
pub const MLFLOW_VERSION: &str = "3.17.2";

pub fn all(root: &Path, for_tests: bool) -> Result<()> {
    eprintln!(
        "==> checking prerequisites{}",
        if for_tests { " (including test tools)" } else { "" }
    );
    let mut apt: Vec<&str> = APT_BUILD.to_vec();
    if for_tests {
        apt.extend(APT_TEST);
    }
    apt_packages(&apt)?;
    wasm_target()?;
    trunk()?;
    wasm_bindgen(root)?;
    tauri_cli(root)?;
    if for_tests {
        tauri_driver()?;
        mlflow_venv(root)?;
    }
    Ok(())
}

fn step(what: &str, done: bool) -> bool {
    if done {
        eprintln!("  ok    {what}");
    } else {
        eprintln!("  setup {what}");
    }
    !done
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).as_deref() == Some("0")
}

/// `apt-get` as root, or through sudo.
fn apt_get() -> Command {
    if is_root() {
        Command::new("apt-get")
    } else {
        let mut c = Command::new("sudo");
        c.arg("apt-get");
        c
    }
}

fn apt_packages(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            output(Command::new("dpkg-query").args(["-W", "-f=${Status}", p]))
                .is_none_or(|s| !s.contains("install ok installed"))
        })
        .collect();
    if step(&format!("{} Debian packages", packages.len()), missing.is_empty()) {
        eprintln!("        installing {}", missing.join(" "));
        sh(apt_get().args(["update", "-qq"]))?;
        sh(apt_get()
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
    Ok(())
}

fn wasm_target() -> Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if step(
        "Rust target wasm32-unknown-unknown",
        installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown"),
    ) {
        sh(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

/// A tool installed by `cargo install`, found even when ~/.cargo/bin is not on PATH.
pub fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let candidate = home.join("bin").join(name);
    if candidate.exists() {
        candidate
    } else {
        PathBuf::from(name)
    }
}

fn cargo_install(args: &[&str]) -> Result<()> {
    sh(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .arg("install")
        .args(args))
}

fn trunk() -> Result<()> {
    let version = output(Command::new(cargo_bin("trunk")).arg("--version")).unwrap_or_default();
    // trunk 0.22 needs a newer Rust than this toolchain: keep the pin.
    if step(&format!("trunk {TRUNK_VERSION}"), version.ends_with(TRUNK_VERSION)) {
        cargo_install(&["trunk", "--version", TRUNK_VERSION, "--locked"])?;
    }
    Ok(())
}

/// The `wasm-bindgen` version in Cargo.lock: the CLI must match it exactly.
fn locked_wasm_bindgen(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("Cargo.lock is missing")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.trim().strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

fn wasm_bindgen(root: &Path) -> Result<()> {
    let want = locked_wasm_bindgen(root)?;
    let have = output(Command::new(cargo_bin("wasm-bindgen")).arg("--version")).unwrap_or_default();
    if step(
        &format!("wasm-bindgen-cli {want} (as in Cargo.lock)"),
        have.ends_with(&want),
    ) {
        // Not --locked: its lock file pins a webpki-roots version that is no longer published.
        cargo_install(&["wasm-bindgen-cli", "--version", &want])?;
    }
    Ok(())
}

fn tauri_cli(root: &Path) -> Result<()> {
    let cli = root.join("node_modules/.bin/tauri");
    if step("Tauri CLI (npm)", cli.exists()) {
        sh(Command::new("npm")
            .current_dir(root)
            .args(["ci", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}

fn tauri_driver() -> Result<()> {
    let present = succeeds(Command::new(cargo_bin("tauri-driver")).arg("--help"));
    if step("tauri-driver 2.x", present) {
        cargo_install(&["tauri-driver", "--version", "^2", "--locked"])?;
    }
    Ok(())
}

/// The Python environment with the pinned MLflow the interop tests compare against.
pub fn venv_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RUNLENS_VENV") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    home.join(".cache/runlens/venv-mlflow")
}

pub fn venv_python() -> PathBuf {
    venv_dir().join("bin/python")
}

fn mlflow_venv(root: &Path) -> Result<()> {
    let python = venv_python();
    // Flask-WTF and pyarrow too: a venv made before they joined requirements.txt gets them on the next setup.
    let have =
        output(Command::new(&python).args(["-c", "import flask_wtf, pyarrow, mlflow; print(mlflow.__version__)"]))
            .unwrap_or_default();
    if step(
        &format!(
            "Python venv with mlflow {MLFLOW_VERSION} and Flask-WTF ({})",
            venv_dir().display()
        ),
        have == MLFLOW_VERSION,
    ) {
        if !python.exists() {
            sh(Command::new("python3").args(["-m", "venv"]).arg(venv_dir()))?;
        }
        sh(Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "-r"])
            .arg(root.join("tests/fixtures/requirements.txt")))?;
    }
    Ok(())
}
