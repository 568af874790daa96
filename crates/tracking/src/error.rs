//! The tracking client's error: each store's private failures fold into this one enum, which
//! converts into the [`ApiError`] that crosses into the UI and the CLI.

use runlens_core::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum TrackingError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("SQLite error in {path}: {source}")]
    Sqlite { path: String, source: rusqlite::Error },
    #[error("cannot access {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

pub type Result<T, E = TrackingError> = std::result::Result<T, E>;

impl TrackingError {
    pub fn code(&self) -> ErrorCode {
        match self {
            TrackingError::Api(e) => e.code,
            TrackingError::Sqlite { source, .. } => sqlite_code(source),
            TrackingError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => ErrorCode::NotFound,
            TrackingError::Io { .. } => ErrorCode::Io,
        }
    }

    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        TrackingError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

fn sqlite_code(e: &rusqlite::Error) -> ErrorCode {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::NotADatabase | C::DatabaseCorrupt) => ErrorCode::CorruptStore,
        Some(C::DatabaseBusy | C::DatabaseLocked) => ErrorCode::Timeout,
        Some(C::CannotOpen | C::PermissionDenied | C::ReadOnly | C::DiskFull | C::SystemIoFailure) => ErrorCode::Io,
        Some(C::ConstraintViolation) => ErrorCode::AlreadyExists,
        _ => ErrorCode::Internal,
    }
}

impl From<TrackingError> for ApiError {
    fn from(e: TrackingError) -> Self {
        match e {
            TrackingError::Api(api) => api,
            TrackingError::Sqlite { ref path, ref source } => {
                let code = sqlite_code(source);
                let message = match code {
                    ErrorCode::CorruptStore => {
                        format!("{path} is damaged or is not an SQLite database; Runlens left it untouched")
                    }
                    ErrorCode::Timeout => format!("{path} stayed locked by another writer; try again"),
                    _ => format!("SQLite failed on {path}"),
                };
                ApiError::new(code, message).with_detail(source.to_string())
            }
            TrackingError::Io { path, source } => {
                let code = if source.kind() == std::io::ErrorKind::NotFound {
                    ErrorCode::NotFound
                } else {
                    ErrorCode::Io
                };
                ApiError::new(code, format!("cannot access {path}")).with_detail(source.to_string())
            }
        }
    }
}

impl From<runlens_core::filter::FilterError> for TrackingError {
    fn from(e: runlens_core::filter::FilterError) -> Self {
        TrackingError::Api(e.into())
    }
}
