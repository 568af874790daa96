//! The installer, end to end: build the `.deb` (debug profile, reusing the end-to-end build),
//! install it with apt, check that every dependency it declares is installed, start the installed
//! binary under Xvfb, screenshot its first screen, and remove it cleanly. The start-to-first-screen
//! time, memory and package size go to `<target>/e2e-screenshots/figures.txt`.
//!
//! Installing needs root: the test runs apt directly as root, else through `sudo -n`.

use runlens_tests::app::{record_figure, App, Launch};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TMP: &str = env!("CARGO_TARGET_TMPDIR");
const INSTALLED: &str = "/usr/bin/runlens";

fn target_dir() -> PathBuf {
    Path::new(TMP)
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target dir")
        .to_path_buf()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `program` as root: directly when we are root, else with `sudo -n` (never a password prompt).
fn as_root(program: &str) -> Command {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        Command::new(program)
    } else {
        let mut cmd = Command::new("sudo");
        cmd.args(["-n", program]);
        cmd
    }
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The alternatives of each dependency in a `Depends:` field (`a (>= 1), b | c` gives [a], [b, c]).
fn dependency_groups(depends: &str) -> Vec<Vec<String>> {
    depends
        .split(',')
        .map(|group| {
            group
                .split('|')
                .filter_map(|d| d.split_whitespace().next())
                .map(String::from)
                .collect()
        })
        .filter(|group: &Vec<String>| !group.is_empty())
        .collect()
}

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Resident memory of the installed app and the WebKit processes it started, in MiB.
fn app_memory_mib() -> f64 {
    let mut app_pids = Vec::new();
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        };
        let (ppid, rss_kib) = (field("PPid:").unwrap_or(0), field("VmRSS:").unwrap_or(0));
        if std::fs::read_link(entry.path().join("exe")).is_ok_and(|e| e == Path::new(INSTALLED)) {
            app_pids.push(pid as u64);
        }
        all.push((pid as u64, ppid, rss_kib));
    }
    let kib: u64 = all
        .iter()
        .filter(|(pid, ppid, _)| app_pids.contains(pid) || app_pids.contains(ppid))
        .map(|(_, _, rss)| rss)
        .sum();
    kib as f64 / 1024.0
}

/// The profile the package is built in: `debug` (reusing the end-to-end build), or `release`
/// when `RUNLENS_PACKAGE_PROFILE=release` asks for the figures of the package as shipped.
fn profile() -> &'static str {
    match std::env::var("RUNLENS_PACKAGE_PROFILE").as_deref() {
        Ok("release") => "release",
        _ => "debug",
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_deb_installs_declares_its_dependencies_starts_and_removes_cleanly() {
    let profile = profile();
    let mut dist = Command::new(env!("CARGO"));
    dist.args(["xtask", "dist"]).current_dir(workspace());
    if profile == "debug" {
        dist.arg("--debug");
    }
    let built = dist.status().expect("cargo xtask dist");
    assert!(built.success(), "building the package failed");
    let bundle = target_dir().join(profile).join("bundle/deb");
    let deb = std::fs::read_dir(&bundle)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .unwrap_or_else(|| panic!("no .deb in {}", bundle.display()));
    let rpm_dir = target_dir().join(profile).join("bundle/rpm");
    let rpm = std::fs::read_dir(&rpm_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "rpm"))
        .unwrap_or_else(|| panic!("no .rpm in {}", rpm_dir.display()));

    // The .rpm declares what it needs (WebKitGTK and GTK by their libraries, D-Bus by package)
    // and carries the same desktop entry.
    let requires = output(Command::new("rpm").args(["-qpR"]).arg(&rpm));
    for needed in ["libwebkit2gtk-4.1.so.0", "libgtk-3.so.0", "dbus-libs"] {
        assert!(requires.contains(needed), "the .rpm requires {needed}:\n{requires}");
    }
    let rpm_desktop = output(Command::new("sh").arg("-c").arg(format!(
        "rpm2cpio '{}' | cpio -i --quiet --to-stdout './usr/share/applications/*.desktop'",
        rpm.display()
    )));
    assert!(rpm_desktop.contains("Keywords=MLflow;"), "{rpm_desktop}");

    // What the package says about itself.
    let field = |name: &str| {
        output(Command::new("dpkg-deb").args(["-f"]).arg(&deb).arg(name))
            .trim()
            .to_string()
    };
    let package = field("Package");
    assert_eq!(
        field("Version"),
        env!("CARGO_PKG_VERSION"),
        "the version comes from the workspace"
    );
    let depends = field("Depends");
    for needed in ["libwebkit2gtk-4.1-0", "libgtk-3-0"] {
        assert!(depends.contains(needed), "Depends names {needed}: {depends}");
    }
    let desktop = output(Command::new("sh").arg("-c").arg(format!(
        "dpkg-deb --fsys-tarfile '{}' | tar -xO --wildcards 'usr/share/applications/*.desktop'",
        deb.display()
    )));
    assert!(desktop.contains("Categories=Development;"), "{desktop}");
    assert!(desktop.contains("Keywords=MLflow;"), "{desktop}");
    let size_mib = std::fs::metadata(&deb).unwrap().len() as f64 / 1_048_576.0;

    // Installed by apt, which resolves every declared dependency.
    let install = as_root("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .arg(&deb)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .unwrap();
    assert!(install.success(), "apt-get install failed");
    for alternatives in dependency_groups(&depends) {
        assert!(
            alternatives.iter().any(|d| is_installed(d)),
            "{} is declared but not installed",
            alternatives.join(" | ")
        );
    }
    assert!(Path::new(INSTALLED).exists(), "the package installs {INSTALLED}");
    let listed = output(Command::new("dpkg").args(["-L", &package]));
    let installed_files: Vec<&str> = listed.lines().filter(|l| Path::new(l).is_file()).collect();
    assert!(
        listed.contains("/usr/share/icons/hicolor/"),
        "the icon is installed:\n{listed}"
    );

    // The installed app starts (no store in its folder: the welcome screen).
    let cwd = Path::new(TMP).join(format!("package-{}", std::process::id()));
    std::fs::create_dir_all(&cwd).unwrap();
    let started = Instant::now();
    let app = App::launch(
        TMP,
        Launch {
            binary: Some(INSTALLED.into()),
            cwd: Some(cwd),
            ..Default::default()
        },
    )
    .await;
    app.wait_for("#welcome").await;
    let first_screen = started.elapsed();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let memory = app_memory_mib();
    app.screenshot("installed-first-screen").await;
    app.close().await;
    record_figure(TMP, &format!(
        "installed package ({profile} build, {size_mib:.1} MiB .deb): start to first screen {} ms, app + WebKit resident memory {memory:.0} MiB",
        first_screen.as_millis()
    ));

    // Removed without leftovers.
    let remove = as_root("apt-get")
        .args(["remove", "-y", &package])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .unwrap();
    assert!(remove.success(), "apt-get remove failed");
    assert!(!Path::new(INSTALLED).exists(), "{INSTALLED} is gone");
    assert!(!is_installed(&package));
    let left: Vec<&&str> = installed_files.iter().filter(|f| Path::new(f).exists()).collect();
    assert!(left.is_empty(), "files the package installed are left behind: {left:?}");
}
