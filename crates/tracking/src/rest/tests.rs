//! Tests of the REST store's own behaviour (error mapping, retries, auth, paging, artifacts)
//! against a tiny HTTP server started on 127.0.0.1 inside each test. The answers it gives are
//! shaped like MLflow 3.17.2's; interop with a real MLflow server is tested elsewhere.

use super::*;
use crate::connect::Auth;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as the test server received it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query, as sent.
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    fn query(&self, key: &str) -> Vec<String> {
        let url = url::Url::parse(&format!("http://x{}", self.target)).unwrap();
        url.query_pairs()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.to_string())
            .collect()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Reply {
    fn json(status: u16, v: Value) -> Self {
        Reply::raw(status, "application/json", v.to_string().into_bytes())
    }

    fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Handler = Arc<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

struct TestServer {
    url: url::Url,
    seen: Arc<StdMutex<Vec<Seen>>>,
}

impl TestServer {
    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn store(&self, options: ConnectOptions) -> RestStore {
        RestStore::new(self.url.clone(), options).unwrap()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Starts a server that answers every request with `handler(request, number)` (numbers from 1).
async fn serve(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(StdMutex::new(Vec::new()));
    let handler: Handler = Arc::new(handler);
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let handler = handler.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let head_end = loop {
                    if buf.first() == Some(&0x16) {
                        // A TLS ClientHello: answer as plain HTTP servers do.
                        let _ = sock
                            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .await;
                        return;
                    }
                    if let Some(i) = find(&buf, b"\r\n\r\n") {
                        break i + 4;
                    }
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let mut lines = head.split("\r\n");
                let mut first = lines.next().unwrap_or_default().split(' ');
                let method = first.next().unwrap_or_default().to_string();
                let target = first.next().unwrap_or_default().to_string();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .collect();
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let request = Seen {
                    method,
                    target,
                    headers,
                    body: buf[head_end..head_end + length].to_vec(),
                };
                let number = {
                    let mut log = log.lock().unwrap();
                    log.push(request.clone());
                    log.len()
                };
                let reply = handler(&request, number);
                tokio::time::sleep(reply.delay).await;
                let mut out = format!(
                    "HTTP/1.1 {} Answer\r\nContent-Length: {}\r\nConnection: close\r\n",
                    reply.status,
                    reply.body.len()
                );
                for (k, v) in &reply.headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                let mut bytes = out.into_bytes();
                bytes.extend_from_slice(&reply.body);
                let _ = sock.write_all(&bytes).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    TestServer {
        url: url::Url::parse(&format!("http://{addr}/")).unwrap(),
        seen,
    }
}

fn quick() -> ConnectOptions {
    ConnectOptions {
        timeout: Duration::from_secs(5),
        max_retries: 0,
        initial_backoff: Duration::from_millis(10),
        ..ConnectOptions::default()
    }
}

fn api_err<T: fmt::Debug>(r: Result<T>) -> ApiError {
    ApiError::from(r.unwrap_err())
}

fn run_json(run_id: &str, artifact_uri: &str) -> Value {
    json!({"run": {"info": {"run_id": run_id, "run_uuid": run_id, "experiment_id": "1", "status": "RUNNING",
                            "artifact_uri": artifact_uri, "lifecycle_stage": "active", "run_name": "r",
                            "start_time": 1700000000000_i64},
                   "data": {"metrics": [], "params": [], "tags": []}}})
}

#[tokio::test]
async fn http_failures_map_to_specific_error_codes() {
    let server = serve(|req, _| {
        let id = req.query("run_id").pop().unwrap_or_default();
        match id.as_str() {
            "unauth" => Reply::raw(401, "text/plain", "You are not authenticated.").header("WWW-Authenticate", "Basic"),
            "forbidden" => Reply::json(
                403,
                json!({"error_code": "PERMISSION_DENIED", "message": "Permission denied"}),
            ),
            "missing" => Reply::json(
                404,
                json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Run with id=missing not found"}),
            ),
            "bad" => Reply::json(
                400,
                json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "Invalid run id"}),
            ),
            "exists" => Reply::json(
                400,
                json!({"error_code": "RESOURCE_ALREADY_EXISTS", "message": "already there"}),
            ),
            "disabled" => Reply::json(
                500,
                json!({"error_code": "FEATURE_DISABLED", "message": "registry is off"}),
            ),
            "crash" => Reply::raw(500, "text/plain", "Internal Server Error"),
            "gateway" => Reply::raw(502, "text/html", "<html><body>Bad Gateway</body></html>"),
            "html" => Reply::raw(
                200,
                "text/html; charset=utf-8",
                "<!doctype html><html><title>Grafana</title></html>",
            ),
            "html404" => Reply::raw(
                404,
                "text/html",
                "<!doctype html>\n<html lang=en><title>404 Not Found</title>",
            ),
            "garbage" => Reply::raw(200, "text/plain", "hello"),
            "shape" => Reply::json(200, json!({"run": {"info": {"start_time": "yesterday"}}})),
            "empty" => Reply::json(200, json!({})),
            "slow" => Reply::json(200, json!({})).after(Duration::from_secs(3)),
            _ => Reply::json(200, run_json(&id, "mlflow-artifacts:/1/x/artifacts")),
        }
    })
    .await;
    let store = server.store(ConnectOptions {
        timeout: Duration::from_millis(500),
        ..quick()
    });
    let shown = store.uri();
    let cases = [
        ("unauth", ErrorCode::Unauthenticated, "rejected"),
        ("forbidden", ErrorCode::PermissionDenied, "Permission denied"),
        ("missing", ErrorCode::NotFound, "Run with id=missing not found"),
        ("bad", ErrorCode::InvalidArgument, "Invalid run id"),
        ("exists", ErrorCode::AlreadyExists, "already there"),
        ("disabled", ErrorCode::FeatureDisabled, "registry is off"),
        ("crash", ErrorCode::ServerError, "failed (HTTP 500)"),
        (
            "gateway",
            ErrorCode::ServerError,
            "answered with HTML, not MLflow's JSON: is this an MLflow tracking server?",
        ),
        (
            "html",
            ErrorCode::ServerError,
            "answered with HTML, not MLflow's JSON: is this an MLflow tracking server?",
        ),
        ("html404", ErrorCode::ServerError, "answered with HTML"),
        ("garbage", ErrorCode::ServerError, "not MLflow's JSON"),
        ("shape", ErrorCode::ServerError, "does not understand"),
        ("empty", ErrorCode::ServerError, "without a run"),
        ("slow", ErrorCode::Timeout, "did not answer within 0.5 s"),
    ];
    for (id, code, text) in cases {
        let err = api_err(store.get_run(id).await);
        assert_eq!(err.code, code, "{id}: {err}");
        assert!(err.message.contains(text), "{id}: {err}");
        if code != ErrorCode::NotFound && code != ErrorCode::InvalidArgument && code != ErrorCode::AlreadyExists {
            assert!(
                err.message.contains(&shown) || err.message.contains(text),
                "{id} names the server: {err}"
            );
        }
    }
    let ok = store.get_run("fine").await.unwrap();
    assert_eq!(ok.info.run_id, "fine");
    // With no retries configured, each failing call was sent exactly once.
    assert_eq!(server.requests().len(), cases.len() + 1);
}

#[tokio::test]
async fn transient_failures_are_retried_with_exponential_backoff() {
    let server = serve(|_, n| {
        if n <= 2 {
            Reply::raw(503, "text/plain", "busy")
        } else {
            Reply::json(200, json!({"experiments": []}))
        }
    })
    .await;
    let store = server.store(ConnectOptions {
        max_retries: 3,
        initial_backoff: Duration::from_millis(100),
        ..quick()
    });
    let started = Instant::now();
    store.search_experiments(&SearchExperiments::default()).await.unwrap();
    let waited = started.elapsed();
    assert_eq!(server.requests().len(), 3);
    // MLflow reads a missing max_results as 0 and refuses it.
    assert_eq!(server.requests()[0].json()["max_results"], 1000);
    assert!(
        waited >= Duration::from_millis(300),
        "100 ms then 200 ms, waited {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "{waited:?}");

    // Retries are bounded.
    let server = serve(|_, _| Reply::raw(502, "text/plain", "bad gateway")).await;
    let store = server.store(ConnectOptions {
        max_retries: 2,
        initial_backoff: Duration::from_millis(1),
        ..quick()
    });
    let err = api_err(store.get_run("r").await);
    assert_eq!(
        (err.code, server.requests().len()),
        (ErrorCode::ServerError, 3),
        "{err}"
    );
    assert!(err.message.contains("bad gateway"), "{err}");
}

#[tokio::test]
async fn retry_after_is_honoured_when_small_and_ends_retries_when_long() {
    let server = serve(|_, n| {
        if n == 1 {
            Reply::json(
                429,
                json!({"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}),
            )
            .header("Retry-After", "1")
        } else {
            Reply::json(200, json!({"experiments": []}))
        }
    })
    .await;
    let store = server.store(ConnectOptions {
        max_retries: 3,
        initial_backoff: Duration::from_millis(1),
        ..quick()
    });
    let started = Instant::now();
    store.search_experiments(&SearchExperiments::default()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);

    let server = serve(|_, _| Reply::raw(429, "text/plain", "later").header("Retry-After", "120")).await;
    let store = server.store(ConnectOptions {
        max_retries: 3,
        initial_backoff: Duration::from_millis(1),
        ..quick()
    });
    let started = Instant::now();
    let err = api_err(store.search_experiments(&SearchExperiments::default()).await);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!((err.code, server.requests().len()), (ErrorCode::ServerError, 1));
    assert!(
        err.message.contains("rate-limiting") && err.message.contains("120 s"),
        "{err}"
    );
}

#[tokio::test]
async fn writes_are_not_repeated_after_the_server_may_have_acted() {
    // A 500 on a create may have created the run: not repeated.
    let server = serve(|_, _| Reply::json(500, json!({"error_code": "INTERNAL_ERROR", "message": "db hiccup"}))).await;
    let store = server.store(ConnectOptions {
        max_retries: 3,
        initial_backoff: Duration::from_millis(1),
        ..quick()
    });
    let err = api_err(
        store
            .create_run(&CreateRun {
                experiment_id: "1".into(),
                ..Default::default()
            })
            .await,
    );
    assert_eq!((err.code, server.requests().len()), (ErrorCode::ServerError, 1));
    assert!(err.message.contains("failed (HTTP 500): db hiccup"), "{err}");
    // A 503 means it did not: repeated.
    let server = serve(|_, n| match n {
        1 => Reply::raw(503, "text/plain", "starting"),
        _ => Reply::json(200, run_json("new", "mlflow-artifacts:/1/new/artifacts")),
    })
    .await;
    let store = server.store(ConnectOptions {
        max_retries: 3,
        initial_backoff: Duration::from_millis(1),
        ..quick()
    });
    let info = store
        .create_run(&CreateRun {
            experiment_id: "1".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((info.run_id.as_str(), server.requests().len()), ("new", 2));
    // A lasting cause is not retried even on a read.
    let server = serve(|_, _| Reply::json(500, json!({"error_code": "FEATURE_DISABLED", "message": "off"}))).await;
    let store = server.store(ConnectOptions {
        max_retries: 3,
        initial_backoff: Duration::from_millis(1),
        ..quick()
    });
    let err = api_err(store.get_registered_model("m").await);
    assert_eq!((err.code, server.requests().len()), (ErrorCode::FeatureDisabled, 1));
}

#[tokio::test]
async fn unreachable_servers_say_why() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let store = RestStore::new(url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(), quick()).unwrap();
    let err = api_err(store.version().await);
    assert_eq!(err.code, ErrorCode::Unreachable, "{err}");
    assert!(
        err.message.contains("connection refused") && err.message.contains(&format!(":{port}")),
        "{err}"
    );

    // HTTPS spoken to a plain HTTP server fails in the TLS handshake.
    let server = serve(|_, _| Reply::raw(200, "text/plain", "3.17.2")).await;
    let mut https = server.url.clone();
    https.set_scheme("https").unwrap();
    let store = RestStore::new(https, quick()).unwrap();
    let err = api_err(store.version().await);
    assert_eq!(err.code, ErrorCode::Unreachable, "{err}");
    assert!(err.message.contains("TLS"), "{err}");

    // A name that cannot resolve (`.invalid` never does).
    let store = RestStore::new(url::Url::parse("http://runlens-test.invalid:5000").unwrap(), quick()).unwrap();
    let err = api_err(store.version().await);
    assert!(matches!(err.code, ErrorCode::Unreachable | ErrorCode::Timeout), "{err}");
    if err.code == ErrorCode::Unreachable {
        assert!(
            err.message
                .contains("cannot resolve the host name \"runlens-test.invalid\""),
            "{err}"
        );
    }
}

#[tokio::test]
async fn credentials_are_sent_but_never_shown() {
    let server = serve(|req, _| match req.header("authorization") {
        Some("Basic YW5uOmh1bnRlcjI=") | Some("Bearer tok-s3cret") => Reply::raw(200, "text/plain", "3.17.2\n"),
        _ => Reply::raw(401, "text/plain", "You are not authenticated."),
    })
    .await;
    let basic = ConnectOptions {
        auth: Auth::Basic {
            username: "ann".into(),
            password: crate::Secret::new("hunter2"),
        },
        ..quick()
    };
    let store = server.store(basic);
    assert_eq!(store.version().await.unwrap().as_deref(), Some("3.17.2"));
    assert!(!format!("{store:?}").contains("hunter2"));

    let bearer = ConnectOptions {
        auth: Auth::Bearer(crate::Secret::new("tok-s3cret")),
        ..quick()
    };
    assert_eq!(server.store(bearer).version().await.unwrap().as_deref(), Some("3.17.2"));

    let wrong = ConnectOptions {
        auth: Auth::Basic {
            username: "ann".into(),
            password: crate::Secret::new("wrong-pw"),
        },
        ..quick()
    };
    let err = api_err(server.store(wrong).version().await);
    assert_eq!(err.code, ErrorCode::Unauthenticated);
    assert!(err.message.contains("rejected the credentials"), "{err}");
    assert!(!format!("{err:?}").contains("wrong-pw"));
    let err = api_err(server.store(quick()).version().await);
    assert!(err.message.contains("without credentials"), "{err}");

    // Credentials in the URL become Basic auth and leave the URL.
    let mut with_user = server.url.clone();
    with_user.set_username("ann").unwrap();
    with_user.set_password(Some("hunter2")).unwrap();
    let store = RestStore::new(with_user, quick()).unwrap();
    assert_eq!(store.version().await.unwrap().as_deref(), Some("3.17.2"));
    assert!(
        !store.uri().contains("hunter2") && !store.uri().contains("ann@"),
        "{}",
        store.uri()
    );
    assert!(!format!("{store:?}").contains("hunter2"));
}

#[tokio::test]
async fn paths_prefix_and_paging_pass_through() {
    let server = serve(|req, _| match req.path() {
        "/mlflow/api/2.0/mlflow/runs/search" => {
            let body = req.json();
            let token = body["page_token"].as_str().unwrap_or_default().to_string();
            let next = if token.is_empty() { json!("tok2") } else { Value::Null };
            Reply::json(200, json!({"runs": [run_json(&format!("r{token}"), "x")["run"]], "next_page_token": next}))
        }
        "/mlflow/api/2.0/mlflow/metrics/get-history" => {
            if req.query("page_token").is_empty() {
                Reply::json(200, json!({"metrics": [{"key": "loss", "value": 2.0, "timestamp": 5, "step": 1}], "next_page_token": "p2"}))
            } else {
                Reply::json(200, json!({"metrics": [{"key": "loss", "value": "NaN", "timestamp": 1, "step": 0}]}))
            }
        }
        "/mlflow/api/2.0/mlflow/registered-models/search" => Reply::json(200, json!({"registered_models": [], "next_page_token": "m2"})),
        "/mlflow/api/2.0/mlflow/model-versions/search" => Reply::json(
            200,
            json!({"model_versions": [
                {"name": "it's", "version": "1"}, {"name": "it_s", "version": "9"}, {"name": "it's", "version": "3", "aliases": ["b", "a"]}
            ]}),
        ),
        "/mlflow/api/2.0/mlflow/registered-models/get" => Reply::json(
            200,
            json!({"registered_model": {"name": "it's", "aliases": [{"alias": "c", "version": "1"}, {"alias": "a", "version": "3"}]}}),
        ),
        other => Reply::json(404, json!({"error_code": "ENDPOINT_NOT_FOUND", "message": other})),
    })
    .await;
    let mut base = server.url.clone();
    base.set_path("/mlflow");
    let store = RestStore::new(base, quick()).unwrap();

    let req = SearchRuns {
        experiment_ids: vec!["1".into()],
        filter: Some("metrics.loss < 1".into()),
        order_by: vec!["metrics.`loss` DESC".into()],
        page: PageRequest {
            max_results: Some(60_000),
            page_token: None,
        },
        ..Default::default()
    };
    let page = store.search_runs(&req).await.unwrap();
    assert_eq!(page.next_page_token.as_deref(), Some("tok2"));
    let sent = server.requests()[0].json();
    assert_eq!(sent["max_results"], 50_000);
    assert_eq!(sent["run_view_type"], "ACTIVE_ONLY");
    assert_eq!(sent["order_by"], json!(["metrics.`loss` DESC"]));
    assert!(sent.get("page_token").is_none(), "no nulls are sent: {sent}");
    let next = store
        .search_runs(&SearchRuns {
            page: PageRequest {
                max_results: Some(5),
                page_token: page.next_page_token,
            },
            ..req
        })
        .await
        .unwrap();
    assert_eq!(
        (next.items[0].info.run_id.as_str(), next.next_page_token),
        ("rtok2", None)
    );

    let history = store.metric_history("r", "loss").await.unwrap();
    assert_eq!(history.iter().map(|m| m.step).collect::<Vec<_>>(), [0, 1]);
    assert!(history[0].value.get().is_nan());

    let models = store
        .search_registered_models(&SearchModels {
            filter: Some("name LIKE 'c%'".into()),
            order_by: vec!["name ASC".into()],
            page: PageRequest {
                max_results: Some(5000),
                page_token: Some("m1".into()),
            },
        })
        .await
        .unwrap();
    assert_eq!(models.next_page_token.as_deref(), Some("m2"));
    let r = server
        .requests()
        .into_iter()
        .find(|r| r.path().ends_with("registered-models/search"))
        .unwrap();
    assert_eq!(
        (r.query("max_results"), r.query("page_token")),
        (vec!["1000".to_string()], vec!["m1".to_string()])
    );

    let versions = store.model_versions("it's").await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [3, 1]);
    assert_eq!(versions[0].aliases, ["a", "b"]);
    assert_eq!(
        versions[1].aliases,
        ["c"],
        "aliases come from the model's alias map too"
    );
    let r = server
        .requests()
        .into_iter()
        .find(|r| r.path().ends_with("model-versions/search"))
        .unwrap();
    assert_eq!(r.query("filter"), ["name LIKE 'it_s'"]);
}

#[tokio::test]
async fn artifacts_go_through_the_proxy_and_stop_at_max_bytes() {
    let big = Arc::new(vec![b'x'; 200_000]);
    let uploads = Arc::new(AtomicU64::new(0));
    let (b, u) = (big.clone(), uploads.clone());
    let server = serve(move |req, _| match (req.method.as_str(), req.path()) {
        (_, "/api/2.0/mlflow/runs/get") => {
            let id = req.query("run_id").pop().unwrap_or_default();
            let root = if id == "local" { "/srv/mlruns/1/local/artifacts".to_string() } else { format!("mlflow-artifacts:/1/{id}/artifacts") };
            Reply::json(200, run_json(&id, &root))
        }
        ("GET", "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/big.bin") => Reply::raw(200, "application/octet-stream", b.to_vec()),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/dir%20a/n%C3%A9.txt") => Reply::raw(200, "text/plain", "hello"),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts/1/noproxy/artifacts/a.txt") => Reply::raw(
            503,
            "text/plain",
            "Endpoint: /api/2.0/mlflow-artifacts/artifacts/<path:artifact_path> disabled due to the mlflow server running with `--no-serve-artifacts`.",
        ),
        ("GET", "/get-artifact") => Reply::raw(200, "text/plain", format!("via get-artifact {}", req.query("path")[0])),
        ("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/out/t.json") => {
            u.fetch_add(req.body.len() as u64, Ordering::SeqCst);
            Reply::json(200, json!({}))
        }
        ("GET", "/api/2.0/mlflow/artifacts/list") => Reply::json(
            200,
            json!({"root_uri": "mlflow-artifacts:/1/r/artifacts",
                   "files": [{"path": "notes", "is_dir": true}, {"path": "big.bin", "is_dir": false, "file_size": "200000"}]}),
        ),
        _ => Reply::json(404, json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": format!("No such artifact: {}", req.target)})),
    })
    .await;
    let store = server.store(ConnectOptions {
        max_retries: 2,
        ..quick()
    });

    let cut = store.read_artifact("r", "big.bin", 1000).await.unwrap();
    assert_eq!(
        (cut.bytes.len(), cut.truncated, cut.total_size),
        (1000, true, Some(200_000))
    );
    let whole = store.read_artifact("r", "big.bin", 1 << 20).await.unwrap();
    assert_eq!(
        (whole.bytes.len(), whole.truncated, whole.total_size),
        (200_000, false, Some(200_000))
    );
    let exact = store.read_artifact("r", "big.bin", 200_000).await.unwrap();
    assert!(!exact.truncated);
    let encoded = store.read_artifact("r", "dir a/né.txt", 100).await.unwrap();
    assert_eq!(encoded.bytes, b"hello");
    let fallback = store.read_artifact("noproxy", "a.txt", 100).await.unwrap();
    assert_eq!(fallback.bytes, b"via get-artifact a.txt");
    let local = store.read_artifact("local", "sub/b.txt", 100).await.unwrap();
    assert_eq!(local.bytes, b"via get-artifact sub/b.txt");
    let missing = api_err(store.read_artifact("r", "nope.txt", 10).await);
    assert_eq!(missing.code, ErrorCode::NotFound);

    let listed = store.list_artifacts("r", None).await.unwrap();
    assert_eq!(
        listed[0],
        FileInfo {
            path: "big.bin".into(),
            is_dir: false,
            file_size: Some(200_000)
        }
    );
    assert_eq!(
        listed[1],
        FileInfo {
            path: "notes".into(),
            is_dir: true,
            file_size: None
        }
    );

    store.write_artifact("r", "out/t.json", b"{\"a\":1}").await.unwrap();
    assert_eq!(uploads.load(Ordering::SeqCst), 7);
    let refused = api_err(store.write_artifact("local", "t.json", b"{}").await);
    assert_eq!(refused.code, ErrorCode::FeatureDisabled, "{refused}");

    // Unsafe paths are refused before any request.
    let before = server.requests().len();
    for bad in ["../etc/passwd", "/etc/passwd", "a\\b", "notes/../../x"] {
        assert_eq!(
            api_err(store.read_artifact("r", bad, 10).await).code,
            ErrorCode::InvalidArgument,
            "{bad}"
        );
        assert_eq!(
            api_err(store.write_artifact("r", bad, b"x").await).code,
            ErrorCode::InvalidArgument,
            "{bad}"
        );
        assert_eq!(
            api_err(store.list_artifacts("r", Some(bad)).await).code,
            ErrorCode::InvalidArgument,
            "{bad}"
        );
    }
    assert_eq!(server.requests().len(), before);
}

#[tokio::test]
async fn writes_send_what_mlflow_expects() {
    let server = serve(|req, _| match req.path() {
        "/api/2.0/mlflow/runs/get" => {
            let mut run = run_json("r", "x");
            run["run"]["info"]["status"] = json!("RUNNING");
            Reply::json(200, run)
        }
        "/api/2.0/mlflow/runs/update" => Reply::json(
            200,
            json!({"run_info": {"run_id": "r", "status": "FAILED", "end_time": 5}}),
        ),
        "/api/2.0/mlflow/model-versions/transition-stage" => Reply::json(
            200,
            json!({"model_version": {"name": "m", "version": "2", "current_stage": "Production"}}),
        ),
        _ => Reply::json(200, json!({})),
    })
    .await;
    let store = server.store(quick());

    // Batches are split within MLflow's limits; non-finite values use MLflow's spelling.
    let batch = LogBatch {
        metrics: (0..1500)
            .map(|i| Metric {
                key: "m".into(),
                value: MetricValue(if i == 0 { f64::NAN } else { 1.0 }),
                timestamp: i,
                step: i,
            })
            .collect(),
        params: (0..150).map(|i| (format!("p{i}"), "v".to_string())).collect(),
        tags: vec![("t".into(), "v".into())],
    };
    store.log_batch("r", &batch).await.unwrap();
    let sent: Vec<Value> = server
        .requests()
        .iter()
        .filter(|r| r.path().ends_with("log-batch"))
        .map(Seen::json)
        .collect();
    assert_eq!(sent.len(), 2);
    for part in &sent {
        let n = |k: &str| part[k].as_array().unwrap().len();
        assert!(
            n("metrics") + n("params") + n("tags") <= 1000 && n("params") <= 100,
            "{}",
            n("metrics")
        );
        assert_eq!(part["run_id"], "r");
    }
    assert_eq!(sent[0]["metrics"][0]["value"], "NaN");
    let total: usize = sent.iter().map(|p| p["metrics"].as_array().unwrap().len()).sum();
    assert_eq!(total, 1500);

    // Marking a running run FAILED also ends it.
    let info = store
        .update_run(
            "r",
            &UpdateRun {
                status: Some(RunStatus::Failed),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(info.status, RunStatus::Failed);
    let update = server
        .requests()
        .into_iter()
        .find(|r| r.path().ends_with("runs/update"))
        .unwrap()
        .json();
    assert_eq!(update["status"], "FAILED");
    assert!(update["end_time"].as_i64().unwrap() > 1_600_000_000_000);

    // Registry: versions travel as strings; DELETE carries a JSON body like MLflow's client sends.
    let v = store
        .transition_stage(&TransitionStage {
            name: "m".into(),
            version: 2,
            stage: Stage::Production,
            archive_existing_versions: true,
        })
        .await
        .unwrap();
    assert_eq!((v.version, v.current_stage), (2, Stage::Production));
    let t = server
        .requests()
        .into_iter()
        .find(|r| r.path().ends_with("transition-stage"))
        .unwrap()
        .json();
    assert_eq!(
        t,
        json!({"name": "m", "version": "2", "stage": "Production", "archive_existing_versions": true})
    );
    store.delete_alias("m", "champion").await.unwrap();
    let d = server.requests().into_iter().find(|r| r.method == "DELETE").unwrap();
    assert_eq!(
        (d.path(), d.json()),
        (
            "/api/2.0/mlflow/registered-models/alias",
            json!({"name": "m", "alias": "champion"})
        )
    );

    // Invalid requests are refused before any request.
    let before = server.requests().len();
    let err = api_err(
        store
            .transition_stage(&TransitionStage {
                name: "m".into(),
                version: 2,
                stage: Stage::Archived,
                archive_existing_versions: true,
            })
            .await,
    );
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    assert_eq!(
        api_err(store.set_alias("m", "v3", 1).await).code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(server.requests().len(), before);
}

#[test]
fn backoff_doubles_and_is_capped() {
    let options = ConnectOptions {
        initial_backoff: Duration::from_millis(200),
        ..ConnectOptions::default()
    };
    let client = Client::new(url::Url::parse("http://127.0.0.1:1/").unwrap(), options).unwrap();
    let waits: Vec<_> = (0..4).map(|a| client.backoff(a, None).unwrap().as_millis()).collect();
    assert_eq!(waits, [200, 400, 800, 1600]);
    assert_eq!(client.backoff(30, None), Some(Duration::from_secs(30)));
    assert_eq!(
        client.backoff(0, Some(Duration::from_secs(2))),
        Some(Duration::from_secs(2))
    );
    assert_eq!(client.backoff(0, Some(Duration::from_secs(60))), None);
}

#[test]
fn only_http_urls_with_a_host_are_accepted() {
    assert!(RestStore::new(url::Url::parse("ftp://host/").unwrap(), ConnectOptions::default()).is_err());
    let store = RestStore::new(
        url::Url::parse("https://host:8443/prefix?x=1#y").unwrap(),
        ConnectOptions::default(),
    )
    .unwrap();
    assert_eq!(store.uri(), "https://host:8443/prefix");
    assert_eq!(
        store
            .client
            .url("api/2.0/mlflow/runs/get", &[("run_id", "a b".into())])
            .as_str(),
        "https://host:8443/prefix/api/2.0/mlflow/runs/get?run_id=a+b"
    );
}

#[tokio::test]
async fn zoomed_histories_use_the_bulk_interval_endpoint_or_read_everything() {
    use runlens_core::sampling::StepRange;
    // A server with MLflow's bulk-interval endpoint answers only the range asked.
    let server = serve(|req, _| match req.path() {
        "/api/2.0/mlflow/metrics/get-history-bulk-interval" => {
            let (start, end): (i64, i64) = (req.query("start_step")[0].parse().unwrap(), req.query("end_step")[0].parse().unwrap());
            let metrics: Vec<Value> = (start..=end)
                .map(|s| json!({"key": "loss", "value": if s == 15 { json!("NaN") } else { json!(s as f64) }, "timestamp": 100 + s, "step": s, "run_id": "r"}))
                .collect();
            Reply::json(200, json!({ "metrics": metrics }))
        }
        other => Reply::json(404, json!({"error_code": "ENDPOINT_NOT_FOUND", "message": other})),
    })
    .await;
    let store = server.store(quick());
    let s = store
        .sampled_history_in("r", "loss", 1000, StepRange::new(20, 10))
        .await
        .unwrap();
    assert_eq!((s.total_points, s.points.len()), (11, 11));
    assert_eq!((s.points[0].step, s.points[10].step), (10, 20));
    assert!(s.points[5].value.get().is_nan());
    let sent = &server.requests()[0];
    assert_eq!(sent.query("run_ids"), ["r"]);
    assert_eq!(sent.query("metric_key"), ["loss"]);
    assert_eq!(
        (sent.query("start_step"), sent.query("end_step")),
        (vec!["10".to_string()], vec!["20".to_string()])
    );
    assert_eq!(sent.query("max_results"), ["2500"]);
    // What the server sends beyond the budget is sampled here, keeping the extremes.
    let s = store
        .sampled_history_in("r", "loss", 20, StepRange::new(0, 999))
        .await
        .unwrap();
    assert!(s.points.len() <= 20);
    assert!(s.points.iter().any(|p| p.value.get() == 999.0) && s.points.iter().any(|p| p.value.get() == 0.0));

    // A server without it (or steps beyond its 32-bit fields): the whole history, cut here.
    let old = serve(|req, _| match req.path() {
        "/api/2.0/mlflow/metrics/get-history" => {
            let metrics: Vec<Value> = (0..50)
                .map(|s| json!({"key": "loss", "value": s, "timestamp": s, "step": s}))
                .collect();
            Reply::json(200, json!({ "metrics": metrics }))
        }
        other => Reply::json(404, json!({"error_code": "ENDPOINT_NOT_FOUND", "message": other})),
    })
    .await;
    let store = old.store(quick());
    let s = store
        .sampled_history_in("r", "loss", 1000, StepRange::new(40, 45))
        .await
        .unwrap();
    assert_eq!(
        s.points.iter().map(|p| p.step).collect::<Vec<_>>(),
        [40, 41, 42, 43, 44, 45]
    );
    assert_eq!(s.total_points, 6);
    let paths: Vec<String> = old.requests().iter().map(|r| r.path().to_string()).collect();
    assert_eq!(
        paths,
        [
            "/api/2.0/mlflow/metrics/get-history-bulk-interval",
            "/api/2.0/mlflow/metrics/get-history"
        ]
    );
    let s = store
        .sampled_history_in("r", "loss", 1000, StepRange::new(0, 1 << 40))
        .await
        .unwrap();
    assert_eq!(s.total_points, 50);
    assert_eq!(
        old.requests().len(),
        3,
        "no bulk-interval request for steps beyond 32 bits"
    );

    // Any other failure is the answer.
    let broken = serve(|_, _| Reply::json(403, json!({"error_code": "PERMISSION_DENIED", "message": "no"}))).await;
    let err = broken
        .store(quick())
        .sampled_history_in("r", "loss", 10, StepRange::new(0, 5))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);
}
