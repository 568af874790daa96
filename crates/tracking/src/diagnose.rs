//! "Test connection": what stands between Runlens and a store, found step by step and told
//! specifically — the host name, the port, TLS (with the certificate's problem), the
//! credentials (401, 403), whether MLflow answers and which version; for local stores whether the
//! path exists, is an MLflow store, and how its schema relates to MLflow 3.17.2's.
//!
//! A diagnosis never contains a secret: messages name the server by its URL without user info.

use crate::connect::ConnectOptions;
use crate::rest::client::{looks_like_html, Call, Client, Probe, Transport};
use crate::sqlite::schema::{read_revision, revision_age, SchemaAge};
use crate::uri::{parse_location, redact, Location};
use crate::Tracking;
use reqwest::Method;
use runlens_core::connection::{Diagnosis, Problem};
use runlens_core::ipc::StoreKind;
use runlens_core::request::SearchExperiments;
use runlens_core::{ApiError, ErrorCode, PageRequest};
use std::path::Path;
use std::time::Duration;

/// The longest a test waits for one answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);
/// Experiments counted at most (the count is shown as "1000+" beyond).
const COUNT_LIMIT: usize = 1000;

/// Tests the store `target` names (a path or URL) with these options.
pub async fn diagnose(target: &str, options: &ConnectOptions) -> Diagnosis {
    let location = match parse_location(target) {
        Ok(location) => location,
        Err(error) if error.code == ErrorCode::NotFound => {
            return failed(
                None,
                Problem::NotFound,
                format!("{} does not exist", target.trim()),
                error,
            )
        }
        Err(error) => return failed(None, Problem::InvalidAddress, error.message.clone(), error),
    };
    match location {
        Location::Rest(url) => diagnose_server(url, options).await,
        Location::Sqlite(path) => diagnose_sqlite(&path).await,
        Location::File(path) => diagnose_file_store(&path, target).await,
    }
}

fn failed(kind: Option<StoreKind>, problem: Problem, summary: String, error: ApiError) -> Diagnosis {
    Diagnosis {
        ok: false,
        kind,
        summary,
        problem: Some(problem),
        version: None,
        notes: Vec::new(),
        error: Some(error),
    }
}

async fn diagnose_server(url: url::Url, options: &ConnectOptions) -> Diagnosis {
    let kind = Some(StoreKind::Rest);
    let probe_options = ConnectOptions {
        max_retries: 0,
        timeout: options.timeout.min(PROBE_TIMEOUT),
        ..options.clone()
    };
    let client = match Client::new(url.clone(), probe_options) {
        Ok(client) => client,
        Err(e) => {
            let error = ApiError::from(e);
            let problem = if options.ca_certificate.is_some()
                && matches!(error.code, ErrorCode::Io | ErrorCode::InvalidArgument)
            {
                Problem::BadCaFile
            } else {
                Problem::InvalidAddress
            };
            return failed(kind, problem, error.message.clone(), error);
        }
    };
    let shown = client.shown().to_string();
    let (host, port) = client.host_and_port();
    let mut notes = Vec::new();
    if options.insecure_tls && url.scheme() == "https" {
        notes.push("TLS certificate checks are OFF for this server: anyone on the network path could read or change the traffic, password included".to_string());
    }

    // 1. Reach the server at all (MLflow answers /health without credentials).
    match client.probe(&Call::get("health", &[])).await {
        Probe::Failed {
            transport,
            error,
            chain,
        } => {
            let (problem, summary) = transport_problem(transport, &chain, &host, port, &shown, &client, &url);
            let mut d = failed(kind, problem, summary, error);
            d.notes = notes;
            return d;
        }
        Probe::Answer { .. } => notes.push(format!("reached {host}:{port}")),
    }

    // 2. Its MLflow version (needs credentials on servers with authentication).
    let mut version = None;
    match client.probe(&Call::get("version", &[])).await {
        Probe::Failed {
            transport,
            error,
            chain,
        } => {
            let (problem, summary) = transport_problem(transport, &chain, &host, port, &shown, &client, &url);
            return with_notes(failed(kind, problem, summary, error), notes);
        }
        Probe::Answer { status: 200, body, .. } => {
            let text = String::from_utf8_lossy(&body).trim().to_string();
            if plausible_version(&text) {
                version = Some(text);
            }
        }
        Probe::Answer {
            status,
            content_type,
            body,
        } => {
            if let Some(d) = status_problem(&client, status, content_type.as_deref(), &body, "version") {
                return with_notes(d, notes);
            }
        }
    }

    // 3. The tracking API itself, as the app will use it.
    let body = serde_json::json!({"max_results": COUNT_LIMIT, "view_type": "ALL"});
    let path = format!("{}/experiments/search", crate::rest::client::API);
    let call = Call::json(Method::POST, &path, &body).read_only();
    match client.probe(&call).await {
        Probe::Failed {
            transport,
            error,
            chain,
        } => {
            let (problem, summary) = transport_problem(transport, &chain, &host, port, &shown, &client, &url);
            with_notes(failed(kind, problem, summary, error), notes)
        }
        Probe::Answer {
            status: 200,
            content_type,
            body,
        } => {
            let parsed = (!looks_like_html(content_type.as_deref(), &body))
                .then(|| serde_json::from_slice::<serde_json::Value>(&body).ok())
                .flatten()
                .filter(serde_json::Value::is_object);
            let Some(answer) = parsed else {
                let error = ApiError::new(
                    ErrorCode::ServerError,
                    format!("{shown} answered the experiments search with something that is not MLflow's JSON"),
                );
                return with_notes(
                    failed(kind, Problem::NotMlflow, not_mlflow_summary(&shown, &url), error),
                    notes,
                );
            };
            let count = answer["experiments"].as_array().map_or(0, Vec::len);
            let more = answer["next_page_token"].as_str().is_some_and(|t| !t.is_empty());
            notes.push(format!(
                "{}{} experiment{} readable",
                count,
                if more { "+" } else { "" },
                if count == 1 && !more { "" } else { "s" }
            ));
            if client.has_credentials() {
                notes.push("the credentials were accepted".into());
            }
            let summary = match &version {
                Some(v) => format!("Connected: MLflow {v} tracking server at {shown}"),
                None => format!("Connected: MLflow tracking server at {shown} (it did not tell its version)"),
            };
            Diagnosis {
                ok: true,
                kind,
                summary,
                problem: None,
                version,
                notes,
                error: None,
            }
        }
        Probe::Answer {
            status,
            content_type,
            body,
        } => {
            let d = status_problem(&client, status, content_type.as_deref(), &body, &path).unwrap_or_else(|| {
                let error = client.answer_error(status, content_type.as_deref(), &body, &path);
                failed(kind, Problem::NotMlflow, not_mlflow_summary(&shown, &url), error)
            });
            with_notes(d, notes)
        }
    }
}

fn with_notes(mut d: Diagnosis, notes: Vec<String>) -> Diagnosis {
    d.notes = notes;
    d
}

fn plausible_version(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.starts_with(|c: char| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'))
}

fn not_mlflow_summary(shown: &str, url: &url::Url) -> String {
    let hint = if url.path() == "/" {
        " (if MLflow is served under a path prefix such as /mlflow, include it in the URL)"
    } else {
        " (check the path prefix in the URL)"
    };
    format!("{shown} answered, but it is not an MLflow tracking server{hint}")
}

/// A diagnosis for an unsuccessful HTTP status; `None` when the status says nothing specific.
fn status_problem(
    client: &Client,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    path: &str,
) -> Option<Diagnosis> {
    let kind = Some(StoreKind::Rest);
    let shown = client.shown();
    let error = client.answer_error(status, content_type, body, path);
    let (problem, summary) = match status {
        401 if client.has_credentials() => (
            Problem::Unauthorized { had_credentials: true },
            format!("{shown} rejected the credentials (HTTP 401): the user name, password or token is wrong"),
        ),
        401 => (
            Problem::Unauthorized { had_credentials: false },
            format!("{shown} requires you to log in (HTTP 401): choose Basic (user and password) or a token"),
        ),
        403 => (
            Problem::Forbidden,
            format!("{shown} accepted the credentials but this user may not read experiments (HTTP 403): ask an admin for READ permission"),
        ),
        500..=599 => (
            Problem::ServerError { status },
            format!("the server at {shown} failed (HTTP {status}): {}", error.message),
        ),
        _ if looks_like_html(content_type, body) || status == 404 => {
            let url = url::Url::parse(&format!("{shown}/")).ok()?;
            (Problem::NotMlflow, not_mlflow_summary(shown, &url))
        }
        _ => return None,
    };
    Some(failed(kind, problem, summary, error))
}

fn transport_problem(
    transport: Transport,
    chain: &str,
    host: &str,
    port: u16,
    shown: &str,
    client: &Client,
    url: &url::Url,
) -> (Problem, String) {
    match transport {
        Transport::Dns => (
            Problem::NameNotResolved { host: host.to_string() },
            format!("the host name {host:?} could not be resolved: check its spelling, your network or VPN"),
        ),
        Transport::Refused => (
            Problem::Refused {
                host: host.to_string(),
                port,
            },
            format!(
                "{host}:{port} refused the connection: no server listens there — is MLflow running, and on this port?"
            ),
        ),
        Transport::Timeout => {
            let seconds = client.timeout().as_secs().max(1);
            (
                Problem::TimedOut { seconds },
                format!("{shown} did not answer within {seconds} s: a firewall may drop the traffic, or the server is overloaded"),
            )
        }
        Transport::Tls => {
            let certificate = certificate_problem(chain, host);
            let summary = match &certificate {
                Some(why) => format!("the TLS connection to {host}:{port} failed: {why}"),
                None if url.scheme() == "https" => format!(
                    "the TLS handshake with {host}:{port} failed: the server may not speak HTTPS on this port (try http://)"
                ),
                None => format!("the TLS handshake with {host}:{port} failed"),
            };
            (Problem::Tls { certificate }, summary)
        }
        Transport::Connect | Transport::Broken => (
            Problem::Unreachable {
                host: host.to_string(),
                port,
            },
            format!(
                "cannot talk to {host}:{port}: the connection failed or broke off ({})",
                first_cause(chain)
            ),
        ),
    }
}

/// The last, most specific cause of an error chain.
fn first_cause(chain: &str) -> &str {
    chain.rsplit(": ").next().unwrap_or(chain).trim()
}

/// What was wrong with the server's certificate, read from rustls' error, in words.
pub fn certificate_problem(chain: &str, host: &str) -> Option<String> {
    let lower = chain.to_ascii_lowercase().replace([' ', '_'], "");
    let text = if lower.contains("unknownissuer") {
        "its certificate is not signed by an authority this computer trusts (self-signed, or a private CA): add the CA's certificate file to the connection".to_string()
    } else if lower.contains("notvalidforname") || lower.contains("notvalidforthename") {
        format!("its certificate is not valid for the host name {host:?}: connect with the name the certificate names")
    } else if lower.contains("expired") {
        "its certificate has expired".to_string()
    } else if lower.contains("notvalidyet") {
        "its certificate is not valid yet: check this computer's clock".to_string()
    } else if lower.contains("revoked") {
        "its certificate has been revoked".to_string()
    } else if lower.contains("caused asendentity") || lower.contains("causedasendentity") {
        "it presents a CA certificate as its own certificate".to_string()
    } else if lower.contains("badsignature") || lower.contains("invalidsignature") {
        "its certificate's signature is invalid".to_string()
    } else if lower.contains("unsupportedcriticalextension") || lower.contains("invalidpurpose") {
        "its certificate is not meant for a TLS server".to_string()
    } else if lower.contains("certificate") {
        format!("its certificate was refused ({})", first_cause(chain))
    } else {
        return None;
    };
    Some(text)
}

async fn diagnose_sqlite(path: &Path) -> Diagnosis {
    let kind = Some(StoreKind::Sqlite);
    let shown = path.display().to_string();
    if !path.exists() {
        let error = ApiError::not_found(format!("{shown} does not exist"));
        return failed(kind, Problem::NotFound, error.message.clone(), error);
    }
    let revision = {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || read_revision(&path))
            .await
            .ok()
            .flatten()
    };
    match Tracking::open(&shown, &ConnectOptions::default()).await {
        Ok(tracking) => {
            let version = tracking.version().await.ok().flatten();
            let mut notes = Vec::new();
            if let Some(n) = count_experiments(&tracking).await {
                notes.push(n);
            }
            let revision = revision.unwrap_or_else(|| "none".into());
            let (problem, summary) = match revision_age(&revision) {
                SchemaAge::Current => (None, format!("{shown} is an MLflow 3.17.2 store: Runlens reads and writes it")),
                SchemaAge::Older => (
                    Some(Problem::SchemaTooOld {
                        revision: revision.clone(),
                    }),
                    format!("{shown} was written by an older MLflow (schema revision {revision}): Runlens opens it read-only; `mlflow db upgrade` brings it to 3.17.2"),
                ),
                SchemaAge::Newer => (
                    Some(Problem::SchemaTooNew {
                        revision: revision.clone(),
                    }),
                    format!("{shown} was written by a newer MLflow than 3.17.2 (schema revision {revision}): Runlens opens it read-only"),
                ),
            };
            Diagnosis {
                ok: true,
                kind,
                summary,
                problem,
                version,
                notes,
                error: None,
            }
        }
        Err(e) => {
            let error = ApiError::from(e);
            let problem = match error.code {
                ErrorCode::NotFound => Problem::NotFound,
                ErrorCode::UnsupportedStore => {
                    let revision = revision.unwrap_or_else(|| "none".into());
                    match revision_age(&revision) {
                        SchemaAge::Newer => Problem::SchemaTooNew { revision },
                        _ => Problem::SchemaTooOld { revision },
                    }
                }
                ErrorCode::NotAnMlflowStore | ErrorCode::CorruptStore => Problem::NotAStore,
                _ => Problem::Io,
            };
            failed(kind, problem, error.message.clone(), error)
        }
    }
}

async fn diagnose_file_store(path: &Path, target: &str) -> Diagnosis {
    let kind = Some(StoreKind::File);
    let shown = path.display().to_string();
    if !path.exists() {
        let error = ApiError::not_found(format!("{shown} does not exist"));
        return failed(kind, Problem::NotFound, error.message.clone(), error);
    }
    match Tracking::open(target, &ConnectOptions::default()).await {
        Ok(tracking) => {
            let notes = count_experiments(&tracking).await.into_iter().collect();
            Diagnosis {
                ok: true,
                kind,
                summary: format!(
                    "{} is an MLflow file store (mlruns/): Runlens reads and writes it",
                    redact(&shown)
                ),
                problem: None,
                version: None,
                notes,
                error: None,
            }
        }
        Err(e) => {
            let error = ApiError::from(e);
            let problem = match error.code {
                ErrorCode::NotFound => Problem::NotFound,
                ErrorCode::NotAnMlflowStore | ErrorCode::CorruptStore | ErrorCode::UnsupportedStore => {
                    Problem::NotAStore
                }
                _ => Problem::Io,
            };
            failed(kind, problem, error.message.clone(), error)
        }
    }
}

async fn count_experiments(tracking: &Tracking) -> Option<String> {
    let request = SearchExperiments {
        view_type: runlens_core::ViewType::All,
        page: PageRequest {
            max_results: Some(COUNT_LIMIT),
            page_token: None,
        },
        ..SearchExperiments::default()
    };
    let page = tracking.search_experiments(&request).await.ok()?;
    let n = page.items.len();
    let more = page.next_page_token.is_some();
    Some(format!(
        "{n}{} experiment{}",
        if more { "+" } else { "" },
        if n == 1 && !more { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests;
