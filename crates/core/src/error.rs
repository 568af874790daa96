//! The one error that crosses every boundary (tracking → shell → webview, tracking → CLI) as a
//! structured value, so callers branch on `code` and never on message text.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of failure happened; the UI picks its wording and remedies from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The experiment, run, model, version or artifact does not exist.
    NotFound,
    /// A request was malformed: a filter that does not parse, an invalid name or stage.
    InvalidArgument,
    /// Something with that name or key exists already.
    AlreadyExists,
    /// The server wants credentials, or the ones given are wrong (HTTP 401).
    Unauthenticated,
    /// The credentials are valid but not allowed to do this (HTTP 403).
    PermissionDenied,
    /// The server failed (HTTP 5xx) or answered something that is not MLflow's JSON.
    ServerError,
    /// The server could not be reached: name not resolved, connection refused, TLS failure.
    Unreachable,
    /// The server or the store did not answer in time.
    Timeout,
    /// The path or URI is not an MLflow store at all.
    NotAnMlflowStore,
    /// An MLflow store written by a version whose layout Runlens does not support.
    UnsupportedStore,
    /// The store is damaged: a corrupt database, a malformed meta.yaml.
    CorruptStore,
    /// The store has no such feature (e.g. no model registry).
    FeatureDisabled,
    /// A local file could not be read or written.
    Io,
    /// A bug in Runlens; the message says where.
    Internal,
}

/// A failure as the user sees it: what happened (`message`), of which kind (`code`), and the
/// underlying cause when there is one (`detail`). Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;
