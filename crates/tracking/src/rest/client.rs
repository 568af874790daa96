//! HTTP for the REST store: URLs under the server's base (which may carry a path prefix),
//! credentials, timeouts, bounded retries with exponential backoff, and the mapping of every
//! failure (transport, HTTP status, MLflow's `error_code`, a body that is not MLflow's JSON) to one
//! [`ApiError`] that says what happened and to which server.
//!
//! **Secrets leave this module only inside the `Authorization` header** (marked sensitive):
//! the base URL is stripped of user info, and no message, `Debug` output or error detail is built
//! from headers.

use super::proto;
use crate::connect::{Auth, ConnectOptions, Secret};
use crate::error::Result;
use reqwest::{header, Method, StatusCode};
use runlens_core::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;

/// A `Retry-After` up to this long is waited out; a longer one ends the retries at once.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// The exponential backoff never waits longer than this between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How much of an error answer is read to find MLflow's message in it.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// The path of MLflow's tracking and registry API under the base URL.
pub const API: &str = "api/2.0/mlflow";

/// What a request sends.
#[derive(Clone, Copy)]
pub enum Payload<'a> {
    Json(&'a serde_json::Value),
    Bytes(&'a [u8]),
}

/// One request, kept so it can be sent again on a retry.
pub struct Call<'a> {
    pub method: Method,
    /// Relative to the base URL, `/`-separated, not yet percent-encoded.
    pub path: &'a str,
    pub query: &'a [(&'a str, String)],
    pub payload: Option<Payload<'a>>,
    /// Safe to repeat after a server failure (reads, PUT/PATCH/DELETE). Requests that are not
    /// are retried only when the server cannot have acted on them: a refused connection, 429, 503.
    pub idempotent: bool,
}

impl<'a> Call<'a> {
    /// A GET of `path` (relative to the base URL).
    pub fn get(path: &'a str, query: &'a [(&'a str, String)]) -> Self {
        Call {
            method: Method::GET,
            path,
            query,
            payload: None,
            idempotent: true,
        }
    }

    /// A request with a JSON body (MLflow's POST, PATCH and DELETE endpoints all take one).
    pub fn json(method: Method, path: &'a str, body: &'a serde_json::Value) -> Self {
        let idempotent = method != Method::POST;
        Call {
            method,
            path,
            query: &[],
            payload: Some(Payload::Json(body)),
            idempotent,
        }
    }

    /// Marks a POST that only reads (searches) as safe to repeat.
    pub fn read_only(mut self) -> Self {
        self.idempotent = true;
        self
    }
}

/// Why a request could not be sent or answered, before any HTTP status was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Timeout,
    Refused,
    Dns,
    Tls,
    Connect,
    Broken,
}

/// What one request sent by [`Client::probe`] met.
pub enum Probe {
    /// The server answered (any status).
    Answer {
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
    },
    /// No answer: `chain` is the transport error and its causes on one line.
    Failed {
        transport: Transport,
        error: ApiError,
        chain: String,
    },
}

/// An HTTP client bound to one MLflow server.
pub struct Client {
    http: reqwest::Client,
    /// Ends with `/`; no user info, query or fragment.
    base: url::Url,
    shown: String,
    auth: Auth,
    timeout: Duration,
    max_retries: u32,
    initial_backoff: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.shown)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Prepares the client; does no I/O. Credentials in the URL (`https://user:pw@host`) are
    /// moved out of it and used as Basic auth unless `options` names credentials.
    pub fn new(mut base: url::Url, options: ConnectOptions) -> Result<Client> {
        if base.scheme() != "http" && base.scheme() != "https" {
            return Err(
                ApiError::invalid(format!("{} is not an http(s) URL of an MLflow server", redacted(&base))).into(),
            );
        }
        if base.cannot_be_a_base() || base.host_str().is_none_or(str::is_empty) {
            return Err(ApiError::invalid(format!("{} has no host name", redacted(&base))).into());
        }
        let mut auth = options.auth.clone();
        if !base.username().is_empty() || base.password().is_some() {
            let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().to_string();
            if auth == Auth::None {
                auth = Auth::Basic {
                    username: decode(base.username()),
                    password: Secret::new(decode(base.password().unwrap_or(""))),
                };
            }
            let _ = base.set_username("");
            let _ = base.set_password(None);
        }
        base.set_query(None);
        base.set_fragment(None);
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let shown = base.as_str().trim_end_matches('/').to_string();
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(15)))
            .danger_accept_invalid_certs(options.insecure_tls)
            .user_agent(concat!("runlens/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &options.ca_certificate {
            for certificate in ca_certificates(path)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder
            .build()
            .map_err(|e| ApiError::internal("cannot set up the HTTP client").with_detail(e.to_string()))?;
        Ok(Client {
            http,
            base,
            shown,
            auth,
            timeout: options.timeout,
            max_retries: options.max_retries,
            initial_backoff: options.initial_backoff,
        })
    }

    /// The base URL as shown to the user (no credentials, no trailing `/`).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The base URL plus `path` (each segment percent-encoded) and the query.
    pub fn url(&self, path: &str, query: &[(&str, String)]) -> url::Url {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(path.split('/').filter(|s| !s.is_empty()));
        }
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url
    }

    /// Sends a request, retrying as [`ConnectOptions`] allows, and returns a successful answer.
    pub async fn send(&self, call: &Call<'_>) -> Result<reqwest::Response> {
        let url = self.url(call.path, call.query);
        let mut attempt: u32 = 0;
        loop {
            let builder = self.request(call, &url);
            let failure = match builder.send().await {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = retry_after(resp.headers());
                    let content_type = content_type(resp.headers());
                    let body = read_limited(resp, ERROR_BODY_LIMIT)
                        .await
                        .map(|(b, _)| b)
                        .unwrap_or_default();
                    let transient_status = status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::SERVICE_UNAVAILABLE
                        || (status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED && call.idempotent);
                    let retryable = transient_status && transient_body(&body);
                    if retryable && attempt < self.max_retries {
                        if let Some(wait) = self.backoff(attempt, retry_after) {
                            tokio::time::sleep(wait).await;
                            attempt += 1;
                            continue;
                        }
                    }
                    self.status_error(status, content_type.as_deref(), &body, call.path, retry_after)
                }
                Err(e) => {
                    let kind = classify(&e);
                    // A refused or failed connection never reached the server: safe to repeat.
                    // A connection that broke mid-request may have been acted on.
                    let retryable = match kind {
                        Transport::Refused | Transport::Connect => true,
                        Transport::Broken => call.idempotent,
                        Transport::Timeout | Transport::Dns | Transport::Tls => false,
                    };
                    if retryable && attempt < self.max_retries {
                        if let Some(wait) = self.backoff(attempt, None) {
                            tokio::time::sleep(wait).await;
                            attempt += 1;
                            continue;
                        }
                    }
                    self.transport_error(kind, &e)
                }
            };
            return Err(failure.into());
        }
    }

    /// The request for `call`, with credentials and body.
    fn request(&self, call: &Call<'_>, url: &url::Url) -> reqwest::RequestBuilder {
        let builder = self.http.request(call.method.clone(), url.clone());
        let builder = match &self.auth {
            Auth::None => builder,
            Auth::Basic { username, password } => builder.basic_auth(username, Some(password.expose())),
            Auth::Bearer(token) => builder.bearer_auth(token.expose()),
        };
        match call.payload {
            None => builder,
            Some(Payload::Json(v)) => builder.json(v),
            Some(Payload::Bytes(b)) => builder
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(b.to_vec()),
        }
    }

    /// Sends `call` once (no retry) and reports what happened without judging the status, for
    /// "Test connection". Reads at most 64 KiB of the answer.
    pub async fn probe(&self, call: &Call<'_>) -> Probe {
        let url = self.url(call.path, call.query);
        match self.request(call, &url).send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let content_type = content_type(resp.headers());
                match read_limited(resp, ERROR_BODY_LIMIT).await {
                    Ok((body, _)) => Probe::Answer {
                        status,
                        content_type,
                        body,
                    },
                    Err(e) => {
                        let kind = classify(&e);
                        Probe::Failed {
                            transport: kind,
                            error: self.transport_error(kind, &e),
                            chain: error_chain(&e),
                        }
                    }
                }
            }
            Err(e) => {
                let kind = classify(&e);
                Probe::Failed {
                    transport: kind,
                    error: self.transport_error(kind, &e),
                    chain: error_chain(&e),
                }
            }
        }
    }

    /// The server's host name and port, for messages.
    pub fn host_and_port(&self) -> (String, u16) {
        (
            self.base.host_str().unwrap_or_default().to_string(),
            self.base.port_or_known_default().unwrap_or(0),
        )
    }

    /// Whether credentials are sent.
    pub fn has_credentials(&self) -> bool {
        self.auth != Auth::None
    }

    /// The timeout of one request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The error an unsuccessful answer maps to (MLflow's message, 401/403 wording, HTML...).
    pub fn answer_error(&self, status: u16, content_type: Option<&str>, body: &[u8], path: &str) -> ApiError {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.status_error(status, content_type, body, path, None)
    }

    /// The wait before retry number `attempt + 1`: `Retry-After` when the server gave a small
    /// one, else the initial backoff doubled per attempt. `None`: do not retry.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(wait) if wait > MAX_RETRY_AFTER => None,
            Some(wait) => Some(wait),
            None => Some(
                self.initial_backoff
                    .saturating_mul(2u32.saturating_pow(attempt))
                    .min(MAX_BACKOFF),
            ),
        }
    }

    /// Sends a request and decodes MLflow's JSON answer.
    pub async fn call<T: DeserializeOwned>(&self, call: &Call<'_>) -> Result<T> {
        let resp = self.send(call).await?;
        let content_type = content_type(resp.headers());
        let bytes = resp.bytes().await.map_err(|e| self.transport_error(classify(&e), &e))?;
        self.decode(content_type.as_deref(), &bytes, call.path)
    }

    /// GET `api/2.0/mlflow/<endpoint>`.
    pub async fn get<T: DeserializeOwned>(&self, endpoint: &str, query: &[(&str, String)]) -> Result<T> {
        let path = format!("{API}/{endpoint}");
        self.call(&Call::get(&path, query)).await
    }

    /// POST `api/2.0/mlflow/<endpoint>` that changes something (not repeated after a 5xx).
    pub async fn post<T: DeserializeOwned>(&self, endpoint: &str, body: &serde_json::Value) -> Result<T> {
        let path = format!("{API}/{endpoint}");
        self.call(&Call::json(Method::POST, &path, body)).await
    }

    /// POST `api/2.0/mlflow/<endpoint>` that only reads (a search).
    pub async fn search<T: DeserializeOwned>(&self, endpoint: &str, body: &serde_json::Value) -> Result<T> {
        let path = format!("{API}/{endpoint}");
        self.call(&Call::json(Method::POST, &path, body).read_only()).await
    }

    /// PATCH or DELETE `api/2.0/mlflow/<endpoint>` with a JSON body, as MLflow's client sends them.
    pub async fn with_body<T: DeserializeOwned>(
        &self,
        method: Method,
        endpoint: &str,
        body: &serde_json::Value,
    ) -> Result<T> {
        let path = format!("{API}/{endpoint}");
        self.call(&Call::json(method, &path, body)).await
    }

    fn decode<T: DeserializeOwned>(&self, content_type: Option<&str>, bytes: &[u8], path: &str) -> Result<T> {
        if looks_like_html(content_type, bytes) {
            return Err(self.html_error(path, None).into());
        }
        let mut value: serde_json::Value = if bytes.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Object(Default::default())
        } else {
            serde_json::from_slice(&proto::quote_fractional_numbers(bytes)).map_err(|e| {
                ApiError::new(
                    ErrorCode::ServerError,
                    format!("the server at {} answered /{path} with something that is not MLflow's JSON: is this an MLflow tracking server?", self.shown),
                )
                .with_detail(format!("{e}; the answer began {:?}", snippet(bytes)))
            })?
        };
        proto::strip_nulls(&mut value);
        serde_json::from_value(value).map_err(|e| {
            ApiError::new(
                ErrorCode::ServerError,
                format!(
                    "the server at {} answered /{path} in a shape Runlens does not understand",
                    self.shown
                ),
            )
            .with_detail(e.to_string())
            .into()
        })
    }

    fn html_error(&self, path: &str, status: Option<StatusCode>) -> ApiError {
        // A 404 page from MLflow itself usually means the URL lacks the server's path prefix.
        let hint = if status == Some(StatusCode::NOT_FOUND) && self.base.path() == "/" {
            " (if it is served under a path prefix such as /mlflow, include that in the URL)"
        } else {
            ""
        };
        let status = status.map(|s| format!("HTTP {} ", s.as_u16())).unwrap_or_default();
        ApiError::new(
            ErrorCode::ServerError,
            format!(
                "the server at {} answered with HTML, not MLflow's JSON: is this an MLflow tracking server?{hint}",
                self.shown
            ),
        )
        .with_detail(format!("{status}for /{path}"))
    }

    /// Maps an unsuccessful answer to an error, preferring MLflow's `error_code` and message.
    fn status_error(
        &self,
        status: StatusCode,
        content_type: Option<&str>,
        body: &[u8],
        path: &str,
        retry_after: Option<Duration>,
    ) -> ApiError {
        let shown = &self.shown;
        let parsed: Option<proto::ErrorBody> = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .filter(|v| v.is_object())
            .and_then(|mut v| {
                proto::strip_nulls(&mut v);
                serde_json::from_value(v).ok()
            });
        let mlflow_message = match &parsed {
            Some(p) => p.message.clone().or_else(|| match &p.detail {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
                None => None,
            }),
            // MLflow's auth app answers 401/403 in plain text ("Permission denied"), though
            // labelled text/html.
            None if (status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN)
                && !body.trim_ascii_start().starts_with(b"<") =>
            {
                Some(snippet(body)).filter(|s| !s.is_empty())
            }
            None => None,
        };
        // MLflow's messages sometimes carry a traceback or SQL after the first line: the first
        // line is the message, the rest goes to the detail.
        let (mlflow_message, rest) = match mlflow_message {
            Some(m) => match m.trim().split_once('\n') {
                Some((first, rest)) => (Some(first.trim().to_string()), Some(rest.trim().to_string())),
                None => (Some(m.trim().to_string()), None),
            },
            None => (None, None),
        };
        let error_code = parsed.as_ref().and_then(|p| p.error_code.clone());
        let detail = format!(
            "HTTP {}{} from /{path}{}",
            status.as_u16(),
            error_code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
            rest.map(|r| format!("; {r}")).unwrap_or_default()
        );
        let with_message = |text: String| match &mlflow_message {
            Some(m) if !m.is_empty() => format!("{text}: {m}"),
            _ => text,
        };

        if status == StatusCode::UNAUTHORIZED {
            let message = if self.auth == Auth::None {
                format!("the server at {shown} rejected the request without credentials: give a user name and password or a token")
            } else {
                format!("the server at {shown} rejected the credentials: check the user name and password or the token")
            };
            let detail = match &mlflow_message {
                Some(m) => format!("{detail}: {m}"),
                None => detail,
            };
            return ApiError::new(ErrorCode::Unauthenticated, message).with_detail(detail);
        }
        if status == StatusCode::FORBIDDEN {
            let message = with_message(format!(
                "the server at {shown} does not allow these credentials to do this"
            ));
            return ApiError::new(ErrorCode::PermissionDenied, message).with_detail(detail);
        }
        if parsed.is_none() {
            if looks_like_html(content_type, body) {
                return self.html_error(path, Some(status));
            }
            if serves_no_artifacts(body) {
                return ApiError::new(
                    ErrorCode::FeatureDisabled,
                    format!("the server at {shown} does not serve artifacts (it runs with --no-serve-artifacts)"),
                )
                .with_detail(detail);
            }
        }
        if let Some(code) = error_code.as_deref().and_then(code_for) {
            let message = match mlflow_message.filter(|m| !m.is_empty()) {
                Some(m) if code == ErrorCode::ServerError => {
                    format!("the server at {shown} failed (HTTP {}): {m}", status.as_u16())
                }
                Some(m) => m,
                None => format!(
                    "the server at {shown} answered {}",
                    error_code.as_deref().unwrap_or_default()
                ),
            };
            return ApiError::new(code, message).with_detail(detail);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = retry_after
                .map(|w| format!("; it asks to wait {} s", w.as_secs()))
                .unwrap_or_default();
            return ApiError::new(
                ErrorCode::ServerError,
                format!("the server at {shown} is rate-limiting requests{wait}"),
            )
            .with_detail(detail);
        }
        if status.is_server_error() {
            let text = mlflow_message
                .clone()
                .or_else(|| (!body.is_empty()).then(|| snippet(body)));
            let message = match text {
                Some(t) if !t.is_empty() => format!("the server at {shown} failed (HTTP {}): {t}", status.as_u16()),
                _ => format!("the server at {shown} failed (HTTP {})", status.as_u16()),
            };
            return ApiError::new(ErrorCode::ServerError, message).with_detail(detail);
        }
        match (parsed.is_some(), status) {
            (true, StatusCode::NOT_FOUND) => {
                ApiError::not_found(with_message(format!("not found on the server at {shown}"))).with_detail(detail)
            }
            (true, StatusCode::CONFLICT) => ApiError::new(
                ErrorCode::AlreadyExists,
                with_message(format!("the server at {shown} reports a conflict")),
            )
            .with_detail(detail),
            (true, s) if s.is_client_error() => {
                ApiError::invalid(with_message(format!("the server at {shown} refused the request"))).with_detail(detail)
            }
            _ => ApiError::new(
                ErrorCode::ServerError,
                format!(
                    "the server at {shown} answered HTTP {} with something that is not MLflow's JSON: is this an MLflow tracking server?",
                    status.as_u16()
                ),
            )
            .with_detail(format!("{detail}; the answer began {:?}", snippet(body))),
        }
    }

    fn transport_error(&self, kind: Transport, e: &reqwest::Error) -> ApiError {
        let shown = &self.shown;
        let host = self.base.host_str().unwrap_or_default();
        let port = self
            .base
            .port_or_known_default()
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        let message = match kind {
            Transport::Timeout => format!(
                "the server at {shown} did not answer within {} s: it may be overloaded, or raise the timeout (MLFLOW_HTTP_REQUEST_TIMEOUT)",
                self.timeout.as_secs_f64()
            ),
            Transport::Refused => {
                format!("connection refused by {host}{port}: is the MLflow server running at {shown}?")
            }
            Transport::Dns => format!("cannot resolve the host name {host:?}: check the server address {shown}"),
            Transport::Tls => format!(
                "the TLS handshake with {host}{port} failed: check that {shown} speaks HTTPS with a valid certificate, or allow insecure TLS for a self-signed one"
            ),
            Transport::Connect => format!("cannot connect to the server at {shown}"),
            Transport::Broken => format!("the connection to the server at {shown} broke off before the answer was complete"),
        };
        let code = match kind {
            Transport::Timeout => ErrorCode::Timeout,
            Transport::Broken => ErrorCode::ServerError,
            _ => ErrorCode::Unreachable,
        };
        ApiError::new(code, message).with_detail(error_chain(e))
    }

    /// Reads a body, stopping after `limit` bytes; maps transport failures like [`Client::send`].
    pub async fn read_limited_mapped(&self, resp: reqwest::Response, limit: usize) -> Result<(Vec<u8>, bool)> {
        read_limited(resp, limit)
            .await
            .map_err(|e| self.transport_error(classify(&e), &e).into())
    }
}

/// The certificates of a PEM file given as a connection's extra CA (system roots stay trusted).
pub fn ca_certificates(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        ApiError::new(ErrorCode::Io, format!("cannot read the CA certificate file {shown}")).with_detail(e.to_string())
    })?;
    let certificates = reqwest::Certificate::from_pem_bundle(&bytes).map_err(|e| {
        ApiError::invalid(format!("{shown} is not a PEM file of CA certificates")).with_detail(e.to_string())
    })?;
    if certificates.is_empty() {
        return Err(ApiError::invalid(format!(
            "{shown} holds no certificate: it must be PEM text with -----BEGIN CERTIFICATE----- blocks"
        ))
        .into());
    }
    Ok(certificates)
}

/// MLflow's `error_code`s and what they mean to a caller.
fn code_for(error_code: &str) -> Option<ErrorCode> {
    Some(match error_code {
        "RESOURCE_DOES_NOT_EXIST" | "NOT_FOUND" | "ENDPOINT_NOT_FOUND" => ErrorCode::NotFound,
        "INVALID_PARAMETER_VALUE"
        | "BAD_REQUEST"
        | "MALFORMED_REQUEST"
        | "INVALID_STATE"
        | "INVALID_REQUEST"
        | "MAX_BLOCK_SIZE_EXCEEDED"
        | "MAX_READ_SIZE_EXCEEDED" => ErrorCode::InvalidArgument,
        "RESOURCE_ALREADY_EXISTS" | "RESOURCE_CONFLICT" | "ALREADY_EXISTS" => ErrorCode::AlreadyExists,
        "FEATURE_DISABLED" | "NOT_IMPLEMENTED" => ErrorCode::FeatureDisabled,
        "PERMISSION_DENIED" => ErrorCode::PermissionDenied,
        "UNAUTHENTICATED" | "CUSTOMER_UNAUTHORIZED" => ErrorCode::Unauthenticated,
        "INTERNAL_ERROR"
        | "TEMPORARILY_UNAVAILABLE"
        | "REQUEST_LIMIT_EXCEEDED"
        | "RESOURCE_EXHAUSTED"
        | "IO_ERROR"
        | "DATA_LOSS"
        | "UNKNOWN"
        | "ABORTED"
        | "CANCELLED" => ErrorCode::ServerError,
        "DEADLINE_EXCEEDED" => ErrorCode::Timeout,
        _ => return None,
    })
}

/// Whether an unsuccessful answer may succeed when repeated: not when MLflow names a lasting
/// cause (e.g. `FEATURE_DISABLED`, which MLflow sends with HTTP 500) or artifacts are not served.
fn transient_body(body: &[u8]) -> bool {
    if serves_no_artifacts(body) {
        return false;
    }
    let error_code = serde_json::from_slice::<proto::ErrorBody>(body)
        .ok()
        .and_then(|b| b.error_code);
    match error_code.as_deref() {
        None => true,
        Some(code) => matches!(
            code,
            "INTERNAL_ERROR"
                | "TEMPORARILY_UNAVAILABLE"
                | "REQUEST_LIMIT_EXCEEDED"
                | "RESOURCE_EXHAUSTED"
                | "DEADLINE_EXCEEDED"
        ),
    }
}

/// The answer MLflow gives on the artifact proxy routes when started with `--no-serve-artifacts`.
fn serves_no_artifacts(body: &[u8]) -> bool {
    String::from_utf8_lossy(&body[..body.len().min(1024)]).contains("--no-serve-artifacts")
}

fn classify(e: &reqwest::Error) -> Transport {
    if e.is_timeout() {
        return Transport::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Transport::Refused,
                std::io::ErrorKind::TimedOut => return Transport::Timeout,
                _ => {}
            }
        }
        source = err.source();
    }
    if !e.is_connect() {
        // The connection was made (TLS included): it failed while the request or answer travelled.
        return Transport::Broken;
    }
    let chain = error_chain(e).to_ascii_lowercase();
    if chain.contains("dns error")
        || chain.contains("failed to lookup address")
        || chain.contains("name or service not known")
    {
        Transport::Dns
    } else if chain.contains("connection refused") {
        Transport::Refused
    } else if [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "invalidcontenttype",
        "peer sent",
        "alert",
    ]
    .iter()
    .any(|w| chain.contains(w))
    {
        Transport::Tls
    } else {
        Transport::Connect
    }
}

/// The error and its causes on one line. reqwest's messages name the URL, which carries no
/// credentials here (they are moved out in [`Client::new`]).
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        let text = err.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = err.source();
    }
    parts.join(": ")
}

fn content_type(headers: &header::HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
}

/// `Retry-After` in seconds (the HTTP-date form is rare on APIs and is ignored).
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let text = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = text.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1.0e6)))
}

pub(crate) fn looks_like_html(content_type: Option<&str>, body: &[u8]) -> bool {
    if content_type.is_some_and(|c| c.contains("text/html") || c.contains("xhtml")) {
        return true;
    }
    let start = String::from_utf8_lossy(&body[..body.len().min(256)])
        .trim_start()
        .to_ascii_lowercase();
    start.starts_with("<!doctype html")
        || start.starts_with("<html")
        || start.starts_with("<head")
        || start.starts_with("<body")
}

/// The start of a body on one line, for error details.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(400)]);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(200).collect()
}

/// Reads at most `limit` bytes of a body; the flag says whether more was left unread.
pub async fn read_limited(mut resp: reqwest::Response, limit: usize) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let expected = resp.content_length().unwrap_or(0).min(limit as u64) as usize;
    let mut out = Vec::with_capacity(expected);
    while let Some(chunk) = resp.chunk().await? {
        let room = limit - out.len();
        if chunk.len() > room {
            out.extend_from_slice(&chunk[..room]);
            return Ok((out, true));
        }
        out.extend_from_slice(&chunk);
        if out.len() == limit {
            // Exactly at the limit: the body is complete only if nothing follows.
            while let Some(next) = resp.chunk().await? {
                if !next.is_empty() {
                    return Ok((out, true));
                }
            }
            return Ok((out, false));
        }
    }
    Ok((out, false))
}

/// The URL without user info, for messages about a URL that was refused.
fn redacted(url: &url::Url) -> String {
    crate::uri::redact(url.as_str())
}
