//! A real Secret Service for tests: a private D-Bus session bus and a `gnome-keyring-daemon`
//! (unlocked, secrets component only) on it, in directories of the test's own. Apps started with
//! [`KeyringSession::env`] keep their secrets there; the developer's own keyring is never touched.
//! Both daemons are stopped (with their process groups) on drop.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The password the test keyring is unlocked with.
const UNLOCK: &str = "runlens-test-keyring";

pub struct KeyringSession {
    bus: Child,
    /// `None` for a bus without a keyring ([`KeyringSession::bus_only`]).
    daemon: Option<Child>,
    address: String,
    runtime_dir: PathBuf,
    data_dir: PathBuf,
}

fn group(cmd: &mut Command) -> &mut Command {
    cmd.process_group(0);
    // SAFETY: prctl only changes this child's own death signal.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd
}

impl KeyringSession {
    /// Starts the bus and the keyring under `dir`; fails with a hint when the tools are missing
    /// (`cargo xtask setup --for-tests` installs dbus and gnome-keyring).
    pub fn start(dir: &Path) -> Result<KeyringSession, String> {
        Self::start_with(dir, true)
    }

    /// A session bus with no Secret Service on it: what a desktop without a keyring looks like.
    pub fn bus_only(dir: &Path) -> Result<KeyringSession, String> {
        Self::start_with(dir, false)
    }

    fn start_with(dir: &Path, keyring: bool) -> Result<KeyringSession, String> {
        let runtime_dir = dir.join("runtime");
        let data_dir = dir.join("data");
        for d in [&runtime_dir, &data_dir] {
            std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;

        // A session bus that starts no service by itself (no service directories): the Secret
        // Service is there only when this harness starts it.
        let config = dir.join("session-bus.conf");
        std::fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
                 <busconfig><type>session</type><listen>unix:dir={}</listen>\
                 <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
                 <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
                runtime_dir.display()
            ),
        )
        .map_err(|e| e.to_string())?;
        let mut bus = group(
            Command::new("dbus-daemon")
                .arg(format!("--config-file={}", config.display()))
                .args(["--nofork", "--nopidfile", "--print-address=1"])
                .env("XDG_RUNTIME_DIR", &runtime_dir)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )
        .spawn()
        .map_err(|e| format!("cannot start dbus-daemon ({e}): run `cargo xtask setup --for-tests`"))?;
        let mut line = String::new();
        BufReader::new(bus.stdout.take().expect("piped"))
            .read_line(&mut line)
            .map_err(|e| format!("dbus-daemon did not print its address: {e}"))?;
        let address = line.trim().to_string();
        if address.is_empty() {
            let _ = bus.kill();
            return Err("dbus-daemon printed no address".into());
        }

        if !keyring {
            return Ok(KeyringSession {
                bus,
                daemon: None,
                address,
                runtime_dir,
                data_dir,
            });
        }
        let mut daemon = group(
            Command::new("gnome-keyring-daemon")
                .args(["--foreground", "--unlock", "--components=secrets"])
                .env("DBUS_SESSION_BUS_ADDRESS", &address)
                .env("XDG_RUNTIME_DIR", &runtime_dir)
                .env("XDG_DATA_HOME", &data_dir)
                .env("HOME", dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .spawn()
        .map_err(|e| format!("cannot start gnome-keyring-daemon ({e}): run `cargo xtask setup --for-tests`"))?;
        if let Some(mut stdin) = daemon.stdin.take() {
            let _ = stdin.write_all(UNLOCK.as_bytes());
        }
        let session = KeyringSession {
            bus,
            daemon: Some(daemon),
            address,
            runtime_dir,
            data_dir,
        };
        session.wait_until_ready()?;
        Ok(session)
    }

    fn secret_tool(&self) -> Command {
        let mut cmd = Command::new("secret-tool");
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("XDG_RUNTIME_DIR", &self.runtime_dir)
            .stdin(Stdio::null());
        cmd
    }

    /// Waits until the Secret Service answers (a lookup of nothing succeeds or says "not found").
    fn wait_until_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let answered = Command::new("dbus-send")
                .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
                .unwrap_or(false);
            if answered {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("gnome-keyring-daemon did not register org.freedesktop.secrets within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The environment an app needs to use this keyring.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone())]
    }

    /// The secret stored under these attributes (`secret-tool lookup`), if any.
    pub fn lookup(&self, attributes: &[(&str, &str)]) -> Option<String> {
        let mut cmd = self.secret_tool();
        cmd.arg("lookup");
        for (k, v) in attributes {
            cmd.args([k, v]);
        }
        let out = cmd.output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        // secret-tool ends the secret with a newline when it prints to a terminal only; be lenient.
        (out.status.success() && !out.stdout.is_empty()).then(|| text.strip_suffix('\n').unwrap_or(&text).to_string())
    }

    /// Runlens' secret of a saved connection.
    pub fn runlens_secret(&self, connection_id: &str) -> Option<String> {
        let account = format!("connection:{connection_id}");
        self.lookup(&[("service", "dev.runlens.app"), ("username", &account)])
    }

    /// Where the keyring files are (they hold secrets, encrypted: leave them out of greps).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        for child in self.daemon.iter_mut().chain([&mut self.bus]) {
            // SAFETY: signals the process group this harness created for the child.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bus without a keyring has no Secret Service, and starts none on demand.
    #[test]
    fn a_bus_alone_has_no_secret_service() {
        let dir = std::env::temp_dir().join(format!("runlens-bus-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let bus = KeyringSession::bus_only(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bus.lookup(&[("service", "runlens-test")]), None);
        let owner = Command::new("dbus-send")
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&owner.stdout).contains("boolean false"));
        drop(bus);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The keyring the e2e tests use works: secret-tool stores a secret and reads it back.
    #[test]
    fn a_private_keyring_stores_and_finds_secrets() {
        let dir = std::env::temp_dir().join(format!("runlens-keyring-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let keyring = KeyringSession::start(&dir).unwrap_or_else(|e| panic!("{e}"));
        let mut store = keyring.secret_tool();
        store
            .args([
                "store",
                "--label=runlens test",
                "service",
                "runlens-test",
                "username",
                "ann",
            ])
            .stdin(Stdio::piped());
        let mut child = store.spawn().unwrap();
        child.stdin.take().unwrap().write_all(b"hunter2").unwrap();
        assert!(child.wait().unwrap().success());
        assert_eq!(
            keyring
                .lookup(&[("service", "runlens-test"), ("username", "ann")])
                .as_deref(),
            Some("hunter2")
        );
        assert_eq!(
            keyring.lookup(&[("service", "runlens-test"), ("username", "bob")]),
            None
        );
        drop(keyring);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
