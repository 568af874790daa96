//! "Test connection" against small servers started here (plain HTTP and real TLS with
//! certificates made by `openssl`) and against local files, checking each specific diagnosis.

use super::*;
use crate::connect::{Auth, Secret};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// How a test server answers a request path (and whether it carried credentials).
type Answer = Arc<dyn Fn(&str, Option<&str>) -> (u16, &'static str, String) + Send + Sync>;

/// Answers like MLflow 3.17.2: `/health`, `/version` and the experiments search, behind Basic
/// auth `ann:hunter2` when `auth` is on.
fn mlflow_like(auth: bool) -> Answer {
    Arc::new(move |path: &str, authorization: Option<&str>| {
        if path.ends_with("/health") {
            return (200, "text/plain", "OK".into());
        }
        // base64("ann:hunter2")
        if auth && authorization != Some("Basic YW5uOmh1bnRlcjI=") {
            return (401, "text/html", "You are not authenticated.".into());
        }
        if path.ends_with("/version") {
            return (200, "text/plain", "3.17.2".into());
        }
        if path.ends_with("/experiments/search") {
            return (
                200,
                "application/json",
                r#"{"experiments": [{"experiment_id": "0", "name": "Default"}, {"experiment_id": "1", "name": "a"}]}"#
                    .into(),
            );
        }
        (404, "text/html", "<!doctype html><title>404</title>".into())
    })
}

async fn answer_http<S: AsyncRead + AsyncWrite + Unpin>(mut sock: S, answer: Answer) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if buf.first() == Some(&0x16) {
            // A TLS ClientHello: answer as plain HTTP servers do.
            let _ = sock
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
            return;
        }
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let target = head.split(' ').nth(1).unwrap_or_default().to_string();
    let path = target.split('?').next().unwrap_or_default().to_string();
    let authorization = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("authorization: ")
                .or_else(|| l.strip_prefix("Authorization: "))
        })
        .map(str::trim)
        .map(String::from);
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let (status, content_type, body) = answer(&path, authorization.as_deref());
    let reply = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(reply.as_bytes()).await;
    let _ = sock.shutdown().await;
}

/// A plain HTTP server on 127.0.0.1; its base URL.
async fn serve(answer: Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(answer_http(sock, answer.clone()));
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn quick() -> ConnectOptions {
    ConnectOptions {
        timeout: Duration::from_secs(5),
        max_retries: 0,
        ..ConnectOptions::default()
    }
}

fn basic(user: &str, password: &str) -> ConnectOptions {
    ConnectOptions {
        auth: Auth::Basic {
            username: user.into(),
            password: Secret::new(password),
        },
        ..quick()
    }
}

#[tokio::test]
async fn a_working_server_tells_its_version_and_what_is_readable() {
    let url = serve(mlflow_like(true)).await;
    let d = diagnose(&url, &basic("ann", "hunter2")).await;
    assert!(d.ok, "{d:?}");
    assert_eq!(d.version.as_deref(), Some("3.17.2"));
    assert!(d.summary.contains("MLflow 3.17.2"), "{}", d.summary);
    assert!(d.notes.iter().any(|n| n == "2 experiments readable"), "{:?}", d.notes);
    assert!(!format!("{d:?}").contains("hunter2"));
}

#[tokio::test]
async fn credentials_missing_or_wrong_are_told_apart() {
    let url = serve(mlflow_like(true)).await;
    let none = diagnose(&url, &quick()).await;
    assert_eq!(none.problem, Some(Problem::Unauthorized { had_credentials: false }));
    assert!(none.summary.contains("requires you to log in"), "{}", none.summary);
    let wrong = diagnose(&url, &basic("ann", "wrong-secret-xyz")).await;
    assert_eq!(wrong.problem, Some(Problem::Unauthorized { had_credentials: true }));
    assert!(wrong.summary.contains("rejected the credentials"), "{}", wrong.summary);
    assert!(!format!("{wrong:?}").contains("wrong-secret-xyz"));
}

#[tokio::test]
async fn forbidden_server_errors_and_other_servers_are_named() {
    let forbidden = serve(Arc::new(|path: &str, _: Option<&str>| {
        if path.ends_with("/version") || path.ends_with("/health") {
            (200, "text/plain", "3.17.2".into())
        } else {
            (403, "text/plain", "Permission denied".into())
        }
    }))
    .await;
    let d = diagnose(&forbidden, &basic("ann", "x")).await;
    assert_eq!(d.problem, Some(Problem::Forbidden), "{d:?}");

    let failing = serve(Arc::new(|_: &str, _: Option<&str>| (500, "text/plain", "boom".into()))).await;
    let d = diagnose(&failing, &quick()).await;
    assert_eq!(d.problem, Some(Problem::ServerError { status: 500 }), "{d:?}");

    let web_page = serve(Arc::new(|_: &str, _: Option<&str>| {
        (200, "text/html", "<!doctype html><html>a blog</html>".into())
    }))
    .await;
    let d = diagnose(&web_page, &quick()).await;
    assert_eq!(d.problem, Some(Problem::NotMlflow), "{d:?}");
    assert!(d.summary.contains("not an MLflow tracking server"), "{}", d.summary);
}

#[tokio::test]
async fn refused_unresolved_and_silent_servers() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let d = diagnose(&format!("http://127.0.0.1:{port}"), &quick()).await;
    assert_eq!(
        d.problem,
        Some(Problem::Refused {
            host: "127.0.0.1".into(),
            port
        }),
        "{d:?}"
    );
    assert!(d.summary.contains("refused the connection"), "{}", d.summary);

    let d = diagnose("http://no-such-host.invalid:5000", &quick()).await;
    assert_eq!(
        d.problem,
        Some(Problem::NameNotResolved {
            host: "no-such-host.invalid".into()
        }),
        "{d:?}"
    );

    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let options = ConnectOptions {
        timeout: Duration::from_secs(1),
        ..quick()
    };
    let d = diagnose(&format!("http://127.0.0.1:{silent}"), &options).await;
    assert_eq!(d.problem, Some(Problem::TimedOut { seconds: 1 }), "{d:?}");

    let d = diagnose("ftp://host/x", &quick()).await;
    assert_eq!(d.problem, Some(Problem::InvalidAddress), "{d:?}");
}

/// A CA and a certificate for `localhost` signed by it, made with the openssl command.
struct Certificates {
    dir: tempfile::TempDir,
}

impl Certificates {
    fn make() -> Certificates {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("the openssl command is needed to make test certificates");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        run(&[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=Runlens Test CA",
            ],
        ]
        .concat());
        run(&[
            &["req"][..],
            &ec,
            &["-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost"],
        ]
        .concat());
        std::fs::write(
            dir.path().join("ext.cnf"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        Certificates { dir }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
}

/// An MLflow-like server behind TLS with the leaf certificate; its port.
async fn serve_tls(certs: &Certificates) -> u16 {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certs.path("leaf.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(certs.path("leaf.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(sock).await {
                    answer_http(tls, mlflow_like(false)).await;
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn tls_failures_name_the_certificate_problem() {
    let certs = Certificates::make();
    let port = serve_tls(&certs).await;
    let url = format!("https://localhost:{port}");

    let untrusted = diagnose(&url, &quick()).await;
    match &untrusted.problem {
        Some(Problem::Tls { certificate: Some(why) }) => assert!(why.contains("not signed by an authority"), "{why}"),
        other => panic!("expected an untrusted certificate, got {other:?}: {untrusted:?}"),
    }

    let with_ca = ConnectOptions {
        ca_certificate: Some(certs.path("ca.pem")),
        ..quick()
    };
    let trusted = diagnose(&url, &with_ca).await;
    assert!(trusted.ok, "{trusted:?}");
    assert_eq!(trusted.version.as_deref(), Some("3.17.2"));

    let wrong_name = diagnose(&format!("https://127.0.0.1:{port}"), &with_ca).await;
    match &wrong_name.problem {
        Some(Problem::Tls { certificate: Some(why) }) => assert!(why.contains("not valid for the host name"), "{why}"),
        other => panic!("expected a name mismatch, got {other:?}: {wrong_name:?}"),
    }

    let insecure = ConnectOptions {
        insecure_tls: true,
        ..quick()
    };
    let skipped = diagnose(&url, &insecure).await;
    assert!(skipped.ok, "{skipped:?}");
    assert!(
        skipped
            .notes
            .iter()
            .any(|n| n.contains("TLS certificate checks are OFF")),
        "{:?}",
        skipped.notes
    );

    let not_pem = ConnectOptions {
        ca_certificate: Some(certs.path("ext.cnf")),
        ..quick()
    };
    assert_eq!(diagnose(&url, &not_pem).await.problem, Some(Problem::BadCaFile));

    // HTTPS to a plain HTTP server.
    let plain = serve(mlflow_like(false)).await.replace("http://", "https://");
    let d = diagnose(&plain, &quick()).await;
    assert_eq!(d.problem, Some(Problem::Tls { certificate: None }), "{d:?}");
    assert!(d.summary.contains("may not speak HTTPS"), "{}", d.summary);
}

#[tokio::test]
async fn local_stores_missing_foreign_and_of_other_mlflow_versions() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here.db");
    let d = diagnose(&format!("sqlite:///{}", missing.display()), &quick()).await;
    assert_eq!(d.problem, Some(Problem::NotFound), "{d:?}");
    let d = diagnose(&dir.path().join("no-folder").display().to_string(), &quick()).await;
    assert_eq!(d.problem, Some(Problem::NotFound), "{d:?}");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    assert_eq!(
        diagnose(&text.display().to_string(), &quick()).await.problem,
        Some(Problem::NotAStore)
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_eq!(
        diagnose(&empty.display().to_string(), &quick()).await.problem,
        Some(Problem::NotAStore)
    );

    let db = dir.path().join("mlflow.db");
    crate::sqlite::SqliteStore::create(&db).await.unwrap();
    let d = diagnose(&db.display().to_string(), &quick()).await;
    assert!(d.ok && d.problem.is_none(), "{d:?}");
    assert!(
        d.notes
            .iter()
            .any(|n| n.ends_with("experiment") || n.ends_with("experiments")),
        "{d:?}"
    );

    let set_revision = |revision: &str| {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("UPDATE alembic_version SET version_num = ?1", [revision])
            .unwrap();
    };
    set_revision("ffffffffffff");
    let d = diagnose(&db.display().to_string(), &quick()).await;
    assert!(d.ok, "a newer schema still opens read-only: {d:?}");
    assert_eq!(
        d.problem,
        Some(Problem::SchemaTooNew {
            revision: "ffffffffffff".into()
        })
    );
    set_revision("451aebb31d03");
    let d = diagnose(&db.display().to_string(), &quick()).await;
    assert_eq!(
        d.problem,
        Some(Problem::SchemaTooOld {
            revision: "451aebb31d03".into()
        })
    );
    // A schema lacking what Runlens reads cannot open at all.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF; ALTER TABLE runs RENAME TO old_runs; CREATE TABLE runs (run_uuid VARCHAR(32) PRIMARY KEY);",
        )
        .unwrap();
    }
    set_revision("eeeeeeeeeeee");
    let d = diagnose(&db.display().to_string(), &quick()).await;
    assert!(!d.ok, "{d:?}");
    assert_eq!(
        d.problem,
        Some(Problem::SchemaTooNew {
            revision: "eeeeeeeeeeee".into()
        })
    );
}

#[test]
fn certificate_problems_read_as_words() {
    let chain = "error sending request: client error (Connect): invalid peer certificate: Expired";
    assert_eq!(
        certificate_problem(chain, "h").as_deref(),
        Some("its certificate has expired")
    );
    assert!(certificate_problem("received corrupt message of type InvalidContentType", "h").is_none());
}
