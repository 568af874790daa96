//! Run artifacts on a tracking server: listing through `artifacts/list`, downloads through MLflow's
//! artifact proxy (`mlflow-artifacts:` roots) or the UI's `get-artifact` route, uploads through
//! the proxy.
//!
//! **Every path is checked before any request is made**: `..`, absolute paths, backslashes and
//! drive letters are refused here rather than left to the server.

use super::client::Call;
use super::{convert, proto, RestStore};
use crate::error::Result;
use reqwest::Method;
use runlens_core::{ApiError, ArtifactContent, ErrorCode, FileInfo};
use std::path::Path;

/// Where MLflow's artifact proxy lives under the base URL.
const PROXY: &str = "api/2.0/mlflow-artifacts/artifacts";
/// The run artifact roots remembered at most (they never change, but runs are many).
const ROOT_CACHE_LIMIT: usize = 10_000;

/// Checks a run-relative artifact path and returns it normalised (`a/b`: no `.` segments, no
/// doubled or trailing `/`). The empty path is the artifact root.
pub fn check_path(path: &str) -> Result<String> {
    let refuse = |why: &str| -> crate::error::TrackingError {
        ApiError::invalid(format!(
            "artifact path {path:?} {why}: it must be relative to the run's artifact root"
        ))
        .into()
    };
    if path.contains('\\') {
        return Err(refuse("contains a backslash"));
    }
    if path.contains('\0') {
        return Err(refuse("contains a NUL character"));
    }
    if path.starts_with('/') {
        return Err(refuse("is absolute"));
    }
    let bytes = path.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(refuse("starts with a drive letter"));
    }
    // The same rule the local stores apply (no `..`, no root).
    crate::artifacts::join_relative(Path::new(""), path)?;
    Ok(path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/"))
}

/// The run's artifact root as a path under the proxy, when the server proxies it:
/// `mlflow-artifacts:/1/<run>/artifacts` (with or without a host) or an `http(s)` URL of the proxy
/// route. `None` for roots the server reads directly (local paths, `s3://`, ...).
pub fn proxy_root(artifact_uri: &str) -> Option<String> {
    let raw = if let Some(rest) = artifact_uri.strip_prefix("mlflow-artifacts:") {
        match rest.strip_prefix("//") {
            // `mlflow-artifacts://host:port/path`: the host names a server, the path is what counts.
            Some(with_host) => with_host.split_once('/').map_or("", |(_, p)| p),
            None => rest,
        }
    } else if artifact_uri.starts_with("http://") || artifact_uri.starts_with("https://") {
        let anchor = format!("/{PROXY}/");
        let url = url::Url::parse(artifact_uri).ok()?;
        let (_, after) = url.path().split_once(&anchor)?;
        return decoded_segments(after);
    } else {
        return None;
    };
    decoded_segments(raw.split(['?', '#']).next().unwrap_or(""))
}

fn decoded_segments(path: &str) -> Option<String> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().to_string())
        .collect();
    if segments.is_empty() || segments.iter().any(|s| s == ".." || s.contains('/')) {
        return None;
    }
    Some(segments.join("/"))
}

impl RestStore {
    /// The run's artifact URI, fetched once per run.
    async fn artifact_root(&self, run_id: &str) -> Result<String> {
        if let Some(root) = self.artifact_roots.lock().ok().and_then(|m| m.get(run_id).cloned()) {
            return Ok(root);
        }
        let resp: proto::RunResponse = self.client.get("runs/get", &[("run_id", run_id.to_string())]).await?;
        let run = resp.run.ok_or_else(|| self.missing("a run", "runs/get"))?;
        let root = run.info.artifact_uri;
        if let Ok(mut cache) = self.artifact_roots.lock() {
            if cache.len() >= ROOT_CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(run_id.to_string(), root.clone());
        }
        Ok(root)
    }

    pub(super) async fn list_artifacts_impl(&self, run_id: &str, path: Option<&str>) -> Result<Vec<FileInfo>> {
        let relative = match path {
            Some(p) => check_path(p)?,
            None => String::new(),
        };
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![("run_id", run_id.to_string())];
            if !relative.is_empty() {
                query.push(("path", relative.clone()));
            }
            if let Some(t) = &token {
                query.push(("page_token", t.clone()));
            }
            let page: proto::ListArtifactsResponse = self.client.get("artifacts/list", &query).await?;
            out.extend(page.files.into_iter().map(convert::file_info));
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    pub(super) async fn read_artifact_impl(&self, run_id: &str, path: &str, max_bytes: u64) -> Result<ArtifactContent> {
        let relative = check_path(path)?;
        if relative.is_empty() {
            return Err(ApiError::invalid("an artifact path must name a file, not the run's artifact root").into());
        }
        let root = self.artifact_root(run_id).await?;
        let resp = match proxy_root(&root) {
            Some(dest) => {
                let proxied = format!("{PROXY}/{dest}/{relative}");
                match self.client.send(&Call::get(&proxied, &[])).await {
                    // A server started with --no-serve-artifacts still serves the UI's route.
                    Err(e) if e.code() == ErrorCode::FeatureDisabled => self.get_artifact(run_id, &relative).await?,
                    other => other?,
                }
            }
            None => self.get_artifact(run_id, &relative).await?,
        };
        let total = resp.content_length();
        let limit = usize::try_from(max_bytes).unwrap_or(usize::MAX);
        let (bytes, more) = self.client.read_limited_mapped(resp, limit).await?;
        let truncated = more || total.is_some_and(|t| t > max_bytes);
        let total_size = total.or_else(|| (!more).then_some(bytes.len() as u64));
        Ok(ArtifactContent {
            path: path.to_string(),
            total_size,
            truncated,
            bytes,
        })
    }

    async fn get_artifact(&self, run_id: &str, relative: &str) -> Result<reqwest::Response> {
        let query = [("path", relative.to_string()), ("run_uuid", run_id.to_string())];
        self.client.send(&Call::get("get-artifact", &query)).await
    }

    pub(super) async fn write_artifact_impl(&self, run_id: &str, path: &str, bytes: &[u8]) -> Result<()> {
        let relative = check_path(path)?;
        if relative.is_empty() {
            return Err(ApiError::invalid("an artifact needs a file name").into());
        }
        let root = self.artifact_root(run_id).await?;
        let Some(dest) = proxy_root(&root) else {
            return Err(ApiError::new(
                ErrorCode::FeatureDisabled,
                format!(
                    "run {run_id} keeps its artifacts at {root}, which the server at {} does not proxy; Runlens uploads artifacts only through MLflow's artifact proxy (mlflow server --serve-artifacts)",
                    self.client.shown()
                ),
            )
            .into());
        };
        let target = format!("{PROXY}/{dest}/{relative}");
        let call = Call {
            method: Method::PUT,
            path: &target,
            query: &[],
            payload: Some(super::client::Payload::Bytes(bytes)),
            idempotent: true,
        };
        self.client.send(&call).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_root_are_refused() {
        for bad in ["../x", "a/../../x", "/etc/passwd", "a\\..\\b", "C:/x", "c:x", "a/\0"] {
            let err = ApiError::from(check_path(bad).unwrap_err());
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{bad}");
        }
        assert_eq!(check_path("notes/./hello.txt").unwrap(), "notes/hello.txt");
        assert_eq!(check_path("./a//b/").unwrap(), "a/b");
        assert_eq!(check_path("").unwrap(), "");
        assert_eq!(check_path("xss score: 1.txt").unwrap(), "xss score: 1.txt");
    }

    #[test]
    fn proxied_roots_become_paths_under_the_proxy() {
        assert_eq!(
            proxy_root("mlflow-artifacts:/1/abc/artifacts").as_deref(),
            Some("1/abc/artifacts")
        );
        assert_eq!(
            proxy_root("mlflow-artifacts://host:5000/1/abc/artifacts").as_deref(),
            Some("1/abc/artifacts")
        );
        assert_eq!(
            proxy_root("https://h/prefix/api/2.0/mlflow-artifacts/artifacts/7/r%20x/artifacts").as_deref(),
            Some("7/r x/artifacts")
        );
        assert_eq!(proxy_root("/srv/mlruns/1/abc/artifacts"), None);
        assert_eq!(proxy_root("s3://bucket/1/abc/artifacts"), None);
        assert_eq!(proxy_root("https://example.com/files/1"), None);
        assert_eq!(proxy_root("mlflow-artifacts:/1/../../etc"), None);
        assert_eq!(proxy_root("mlflow-artifacts:/1/%2e%2e/x"), None);
    }
}
