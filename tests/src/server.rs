//! `mlflow server` for tests: started on 127.0.0.1 at a free port over an SQLite database, ready
//! once `/health` answers, and stopped with its whole process group on drop.
//!
//! The server runs under `fixtures/run_server.py`, which also takes the group down when our end of
//! its stdin closes, so a server held in a `static` (never dropped) still dies with the test process.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long MLflow may take to start (it imports a lot; CI machines are slow).
const START_TIMEOUT: Duration = Duration::from_secs(90);

pub struct MlflowServer {
    port: u16,
    log: PathBuf,
    artifacts: PathBuf,
    process: Mutex<Option<(Child, ChildStdin)>>,
}

impl MlflowServer {
    /// Serves the SQLite database `db` (which the server may write), with proxied artifacts of
    /// new experiments under `workdir/served-artifacts`. Experiments with local artifact
    /// locations (the fixture's) are served from those locations.
    pub fn start(db: &Path, workdir: &Path) -> Result<MlflowServer, String> {
        Self::start_with(db, workdir, &[], &[])
    }

    /// [`start`](Self::start) with more `mlflow server` arguments (e.g. `--app-name basic-auth`)
    /// and environment variables for the server.
    pub fn start_with(db: &Path, workdir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<MlflowServer, String> {
        let mut last_error = String::new();
        // A free port can be taken between our probe and the server's bind: try a few.
        for _ in 0..3 {
            match Self::start_once(db, workdir, None, args, env) {
                Ok(server) => return Ok(server),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// [`start_with`](Self::start_with) on a given port (e.g. to bring a stopped server back at
    /// the address its clients know).
    pub fn start_on(
        db: &Path,
        workdir: &Path,
        port: u16,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<MlflowServer, String> {
        Self::start_once(db, workdir, Some(port), args, env)
    }

    fn start_once(
        db: &Path,
        workdir: &Path,
        port: Option<u16>,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<MlflowServer, String> {
        let port = match port {
            Some(port) => port,
            None => free_port()?,
        };
        let artifacts = workdir.join("served-artifacts");
        std::fs::create_dir_all(&artifacts).map_err(|e| format!("cannot create {}: {e}", artifacts.display()))?;
        let log = workdir.join(format!("server-{port}.log"));
        let log_file = std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let backend = format!("sqlite:///{}", db.display());
        let mut cmd = crate::python_script("run_server.py", workdir)?;
        cmd.arg(&backend)
            .arg(&artifacts)
            .arg(port.to_string())
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file);
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let mut child = cmd.spawn().map_err(|e| format!("cannot start mlflow server: {e}"))?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let server = MlflowServer {
            port,
            log,
            artifacts,
            process: Mutex::new(Some((child, stdin))),
        };
        server.wait_until_healthy()?;
        Ok(server)
    }

    fn wait_until_healthy(&self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(Some((status, body))) = http_get(self.port, "/health") {
                if status == 200 && body.trim() == "OK" {
                    return Ok(());
                }
            }
            let exited = {
                let mut guard = self.process.lock().unwrap();
                match guard.as_mut() {
                    Some((child, _)) => child.try_wait().ok().flatten(),
                    None => None,
                }
            };
            if let Some(status) = exited {
                return Err(format!(
                    "mlflow server exited ({status}) before answering /health:\n{}",
                    self.log_tail()
                ));
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "mlflow server on port {} did not answer /health within {START_TIMEOUT:?}:\n{}",
                    self.port,
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where the server keeps proxied artifacts (`--artifacts-destination`).
    pub fn artifacts_dir(&self) -> &Path {
        &self.artifacts
    }

    /// The end of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        crate::tail(&std::fs::read_to_string(&self.log).unwrap_or_default(), 30)
    }

    /// Stops the server and every process it started. Called by drop.
    pub fn stop(&self) {
        let Some((mut child, stdin)) = self.process.lock().unwrap().take() else {
            return;
        };
        drop(stdin);
        #[cfg(unix)]
        {
            let pgid = child.id() as i32;
            // SAFETY: plain syscalls on a process group this harness created.
            unsafe { libc::killpg(pgid, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            let _ = child.wait();
            // Workers may outlive the leader for a moment; then they are killed.
            while unsafe { libc::killpg(pgid, 0) } == 0 {
                if Instant::now() > deadline {
                    unsafe { libc::killpg(pgid, libc::SIGKILL) };
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        #[cfg(not(unix))]
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for MlflowServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("no free port: {e}"))?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// A minimal HTTP/1.0 GET against 127.0.0.1: (status, body), or None when nothing answers.
pub fn http_get(port: u16, path: &str) -> std::io::Result<Option<(u16, String)>> {
    let Ok(mut stream) = TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_secs(2)) else {
        return Ok(None);
    };
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok(Some((status, body)))
}
