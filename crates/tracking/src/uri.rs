//! Which store a URI or path names, decided the way MLflow decides it.

use runlens_core::ipc::StoreKind;
use runlens_core::{ApiError, ErrorCode};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    File(PathBuf),
    Rest(url::Url),
}

impl Location {
    pub fn kind(&self) -> StoreKind {
        match self {
            Location::Sqlite(_) => StoreKind::Sqlite,
            Location::File(_) => StoreKind::File,
            Location::Rest(_) => StoreKind::Rest,
        }
    }
}

/// `sqlite:///path`, `file:///path`, `http(s)://host[:port][/prefix]`, or a plain path: a file
/// (an `mlflow.db`) or a directory (an `mlruns/` folder).
pub fn parse_location(uri: &str) -> Result<Location, ApiError> {
    let uri = uri.trim();
    if uri.is_empty() {
        return Err(ApiError::invalid(
            "no store given: pass a path to mlflow.db or mlruns/, or a server URL",
        ));
    }
    if let Some(rest) = uri.strip_prefix("sqlite://") {
        // SQLAlchemy: `sqlite:///rel.db` is relative, `sqlite:////abs.db` absolute. People also
        // write `sqlite:///abs/path.db` meaning an absolute path: accept it when that file exists.
        let path = rest.strip_prefix('/').unwrap_or(rest);
        let relative = PathBuf::from(path);
        let absolute = Path::new("/").join(path);
        let chosen = if !relative.is_absolute() && !relative.exists() && absolute.exists() {
            absolute
        } else {
            relative
        };
        return Ok(Location::Sqlite(chosen));
    }
    if let Some(rest) = uri.strip_prefix("file://") {
        let decoded = percent_encoding::percent_decode_str(rest)
            .decode_utf8_lossy()
            .to_string();
        return Ok(Location::File(PathBuf::from(decoded)));
    }
    if uri.starts_with("http://") || uri.starts_with("https://") {
        let url = url::Url::parse(uri).map_err(|e| {
            ApiError::invalid(format!("{:?} is not a valid server URL", redact(uri))).with_detail(e.to_string())
        })?;
        return Ok(Location::Rest(url));
    }
    if let Some((scheme, _)) = uri.split_once("://") {
        return Err(ApiError::new(
            ErrorCode::UnsupportedStore,
            format!(
                "{scheme}:// stores are not supported: use an mlflow.db, an mlruns/ folder or an MLflow server URL"
            ),
        ));
    }
    let path = PathBuf::from(uri);
    let meta = std::fs::metadata(&path)
        .map_err(|e| ApiError::not_found(format!("{uri} does not exist")).with_detail(e.to_string()))?;
    Ok(if meta.is_dir() {
        Location::File(path)
    } else {
        Location::Sqlite(path)
    })
}

/// The URI without user info (passwords in `https://user:pw@host` never reach the UI or logs).
pub fn redact(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) if url.scheme().starts_with("http") => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            // Query strings can carry tokens (`?token=`); a tracking server's URL needs none.
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        // Unparsable http(s) text may still hold `user:password@`: keep only what follows it.
        _ if uri.starts_with("http") => match (uri.split_once("://"), uri.rfind('@')) {
            (Some((scheme, _)), Some(at)) => format!("{scheme}://{}", &uri[at + 1..]),
            _ => uri.to_string(),
        },
        _ => uri.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_store_kind_like_mlflow() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("mlflow.db");
        std::fs::write(&db, b"").unwrap();
        let abs = db.display().to_string();
        assert_eq!(
            parse_location(&format!("sqlite://{abs}")).unwrap(),
            Location::Sqlite(db.clone())
        );
        assert_eq!(
            parse_location(&format!("sqlite:///{abs}")).unwrap(),
            Location::Sqlite(db.clone())
        );
        assert_eq!(parse_location(&abs).unwrap(), Location::Sqlite(db.clone()));
        let d = dir.path().display().to_string();
        assert_eq!(parse_location(&d).unwrap(), Location::File(dir.path().to_path_buf()));
        assert_eq!(
            parse_location(&format!("file://{d}")).unwrap(),
            Location::File(dir.path().to_path_buf())
        );
        assert_eq!(
            parse_location("http://127.0.0.1:5000/prefix").unwrap().kind(),
            StoreKind::Rest
        );
        assert_eq!(parse_location("/no/such/place").unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(
            parse_location("s3://bucket").unwrap_err().code,
            ErrorCode::UnsupportedStore
        );
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(
            redact("https://bob:hunter2@example.com/mlflow"),
            "https://example.com/mlflow"
        );
        assert_eq!(redact("/tmp/mlflow.db"), "/tmp/mlflow.db");
        assert_eq!(redact("https://host/mlflow?token=s3cret"), "https://host/mlflow");
        assert_eq!(redact("https://bob:pw@host:99999"), "https://host:99999");
        let err = parse_location("https://bob:hunter2@host:99999").unwrap_err();
        assert!(!err.message.contains("hunter2"), "{err}");
    }
}
