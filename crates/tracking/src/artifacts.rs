//! Artifacts on the local disk, under a run's artifact root.
//!
//! **A path can never escape its root**: absolute paths and `..` are refused before touching the
//! disk, and symlinks are resolved and checked against the resolved root.

use crate::error::{Result, TrackingError};
use runlens_core::{ApiError, ArtifactContent, ErrorCode, FileInfo};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Turns an artifact URI into a local directory: a plain path or `file://`. Other schemes
/// (`mlflow-artifacts:`, `s3://`, ...) are served by a tracking server, not from the disk.
pub fn local_root(artifact_uri: &str) -> Result<PathBuf> {
    if let Some(rest) = artifact_uri.strip_prefix("file://") {
        let decoded = percent_encoding::percent_decode_str(rest)
            .decode_utf8_lossy()
            .to_string();
        return Ok(PathBuf::from(decoded));
    }
    if artifact_uri.starts_with('/') || !artifact_uri.contains(':') {
        return Ok(PathBuf::from(artifact_uri));
    }
    Err(ApiError::new(
        ErrorCode::FeatureDisabled,
        format!("artifacts at {artifact_uri} are served by a tracking server; open the server's URL to see them"),
    )
    .into())
}

/// Checks a relative artifact path and joins it to the root. Refuses absolute paths, `..`,
/// and anything that is not a plain relative path.
pub fn join_relative(root: &Path, relative: &str) -> Result<PathBuf> {
    let relative = relative.trim_start_matches("./");
    let rel = Path::new(relative);
    let mut out = root.to_path_buf();
    for component in rel.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => {
                return Err(ApiError::invalid(format!(
                    "artifact path {relative:?} must stay inside the run's artifact root (no '..' or absolute paths)"
                ))
                .into())
            }
        }
    }
    Ok(out)
}

/// Joins and then resolves symlinks, refusing a target outside the resolved root.
fn resolve_existing(root: &Path, relative: &str) -> Result<PathBuf> {
    let joined = join_relative(root, relative)?;
    let real_root = root.canonicalize().map_err(|e| TrackingError::io(root, e))?;
    let real = joined.canonicalize().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            TrackingError::Api(ApiError::not_found(format!("artifact {relative:?} does not exist")))
        } else {
            TrackingError::io(&joined, e)
        }
    })?;
    if !real.starts_with(&real_root) {
        return Err(ApiError::invalid(format!(
            "artifact {relative:?} is a link that points outside the run's artifact root; Runlens will not follow it"
        ))
        .into());
    }
    Ok(real)
}

/// Lists one directory level of a run's artifacts, sorted by path. A run without artifacts has
/// an empty list.
pub fn list(root: &Path, relative: Option<&str>) -> Result<Vec<FileInfo>> {
    let relative = relative.unwrap_or("").trim_matches('/');
    if !root.exists() {
        return Ok(Vec::new());
    }
    let dir = resolve_existing(root, relative)?;
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let real_root = root.canonicalize().map_err(|e| TrackingError::io(root, e))?;
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| TrackingError::io(&dir, e))? {
        let entry = entry.map_err(|e| TrackingError::io(&dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let path = if relative.is_empty() {
            name
        } else {
            format!("{relative}/{name}")
        };
        // Links out of the root are left out rather than listed as something they are not.
        let Ok(real) = entry.path().canonicalize() else {
            continue;
        };
        if !real.starts_with(&real_root) {
            continue;
        }
        let meta = std::fs::metadata(&real).map_err(|e| TrackingError::io(&real, e))?;
        out.push(FileInfo {
            path,
            is_dir: meta.is_dir(),
            file_size: (!meta.is_dir()).then_some(meta.len()),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Reads at most `max_bytes` of one artifact.
pub fn read(root: &Path, relative: &str, max_bytes: u64) -> Result<ArtifactContent> {
    let file = resolve_existing(root, relative)?;
    if file.is_dir() {
        return Err(ApiError::invalid(format!("artifact {relative:?} is a directory")).into());
    }
    let f = std::fs::File::open(&file).map_err(|e| TrackingError::io(&file, e))?;
    let total = f.metadata().map_err(|e| TrackingError::io(&file, e))?.len();
    let mut bytes = Vec::with_capacity(total.min(max_bytes) as usize);
    f.take(max_bytes)
        .read_to_end(&mut bytes)
        .map_err(|e| TrackingError::io(&file, e))?;
    Ok(ArtifactContent {
        path: relative.to_string(),
        total_size: Some(total),
        truncated: total > max_bytes,
        bytes,
    })
}

/// Reads at most `max_bytes` of `relative` under a local artifact location (a model version's
/// files or a logged model's), on the blocking pool; the path can never leave the location.
pub async fn read_under(location: &str, relative: &str, max_bytes: u64) -> Result<ArtifactContent> {
    let root = local_root(location)?;
    let relative = relative.to_string();
    tokio::task::spawn_blocking(move || read(&root, &relative, max_bytes))
        .await
        .map_err(|e| ApiError::internal(format!("reading a model file failed: {e}")))?
}

/// Writes one artifact (creating directories), via a temporary file renamed into place so a
/// reader never sees half a file.
pub fn write(root: &Path, relative: &str, bytes: &[u8]) -> Result<()> {
    if relative.trim_matches('/').is_empty() {
        return Err(ApiError::invalid("an artifact needs a file name").into());
    }
    let target = join_relative(root, relative)?;
    let parent = target.parent().unwrap_or(root).to_path_buf();
    let real_root = root.canonicalize().map_err(|e| TrackingError::io(root, e))?;
    let outside = || -> TrackingError {
        ApiError::invalid(format!(
            "artifact path {relative:?} leads outside the run's artifact root"
        ))
        .into()
    };
    // Check the deepest directory that exists before creating any: a link inside the root must
    // not let us create directories elsewhere.
    let existing = parent.ancestors().find(|p| p.exists()).unwrap_or(root);
    let real_existing = existing.canonicalize().map_err(|e| TrackingError::io(existing, e))?;
    if !real_existing.starts_with(&real_root) {
        return Err(outside());
    }
    std::fs::create_dir_all(&parent).map_err(|e| TrackingError::io(&parent, e))?;
    let real_parent = parent.canonicalize().map_err(|e| TrackingError::io(&parent, e))?;
    if !real_parent.starts_with(&real_root) {
        return Err(outside());
    }
    let tmp = parent.join(format!(".runlens-{}.tmp", uuid::Uuid::new_v4().simple()));
    std::fs::write(&tmp, bytes).map_err(|e| TrackingError::io(&tmp, e))?;
    std::fs::rename(&tmp, &target).map_err(|e| TrackingError::io(&target, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("artifacts");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s3cret").unwrap();
        std::fs::write(root.join("sub/ok.txt"), "fine").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();

        for bad in ["../secret.txt", "/etc/passwd", "sub/../../secret.txt"] {
            let err = ApiError::from(read(&root, bad, 100).unwrap_err());
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{bad}: {err}");
        }
        #[cfg(unix)]
        {
            let err = ApiError::from(read(&root, "link.txt", 100).unwrap_err());
            assert!(err.message.contains("outside"), "{err}");
            assert!(list(&root, None).unwrap().iter().all(|f| f.path != "link.txt"));
        }
        assert!(write(&root, "../escape.txt", b"x").is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path(), root.join("out")).unwrap();
            assert!(write(&root, "out/made/here.txt", b"x").is_err());
            assert!(
                !dir.path().join("made").exists(),
                "no directory is created outside the root"
            );
        }
        assert!(!dir.path().join("escape.txt").exists());

        let ok = read(&root, "sub/ok.txt", 2).unwrap();
        assert_eq!(
            (ok.bytes.as_slice(), ok.truncated, ok.total_size),
            (&b"fi"[..], true, Some(4))
        );
        write(&root, "new/dir/file.json", b"{}").unwrap();
        assert_eq!(std::fs::read(root.join("new/dir/file.json")).unwrap(), b"{}");
        let top: Vec<_> = list(&root, None)
            .unwrap()
            .into_iter()
            .map(|f| (f.path, f.is_dir))
            .collect();
        assert_eq!(top, vec![("new".into(), true), ("sub".into(), true)]);
        let missing = ApiError::from(read(&root, "nope.txt", 1).unwrap_err());
        assert_eq!(missing.code, ErrorCode::NotFound);
    }
}
