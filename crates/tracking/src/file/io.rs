//! Disk access for the file store: atomic writes, appends, keyed files (`tags/<key>`), name
//! checks that keep every key and id inside its folder, and the store's error constructors.

use crate::error::{Result, TrackingError};
use runlens_core::{ApiError, ErrorCode};
use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

pub(super) const META: &str = "meta.yaml";
pub(super) const TRASH: &str = ".trash";
pub(super) const MODELS: &str = "models";
pub(super) const TAGS: &str = "tags";
pub(super) const PARAMS: &str = "params";
pub(super) const METRICS: &str = "metrics";
pub(super) const ARTIFACTS: &str = "artifacts";
pub(super) const DATASETS: &str = "datasets";
pub(super) const INPUTS: &str = "inputs";
/// Folders inside an experiment folder that are not runs (MLflow's `RESERVED_EXPERIMENT_FOLDERS`).
pub(super) const RESERVED_EXPERIMENT_FOLDERS: [&str; 4] = [TAGS, DATASETS, "traces", MODELS];

pub(super) use crate::now_ms;

pub(super) fn not_found(message: impl Into<String>) -> TrackingError {
    ApiError::not_found(message).into()
}

pub(super) fn invalid(message: impl Into<String>) -> TrackingError {
    ApiError::invalid(message).into()
}

pub(super) fn already_exists(message: impl Into<String>) -> TrackingError {
    ApiError::new(ErrorCode::AlreadyExists, message).into()
}

/// A file of the store that MLflow would not read either: names the file, says what is wrong.
pub(super) fn corrupt(path: &Path, problem: impl std::fmt::Display, detail: Option<String>) -> TrackingError {
    let mut e = ApiError::new(
        ErrorCode::CorruptStore,
        format!(
            "{} {problem}; fix or remove it (Runlens left it untouched)",
            path.display()
        ),
    );
    if let Some(d) = detail {
        e = e.with_detail(d);
    }
    e.into()
}

pub(super) fn io_err(path: &Path, e: std::io::Error) -> TrackingError {
    TrackingError::io(path, e)
}

/// Writes `bytes` to `target` through a temporary file in `tmp_dir` (same file system), renamed
/// into place, so a reader sees the old file or the new one and never half of one.
///
/// `tmp_dir` is the folder of the entity the file belongs to (the run, experiment, model or
/// version folder): MLflow lists only sub-folders there, so the short-lived temporary file is
/// never mistaken for a tag, param or run — it would be if it sat next to the target in `tags/`.
pub(super) fn write_atomic(target: &Path, tmp_dir: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
    }
    let tmp = tmp_dir.join(format!(".runlens-{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.flush()));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(&tmp, e));
    }
    if let Err(e) = fs::rename(&tmp, target) {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(target, e));
    }
    Ok(())
}

/// Appends to a file with one `write` call in append mode, as MLflow appends metric lines.
/// Not a rename: rewriting the whole history would drop points another process (MLflow itself)
/// appends at the same moment.
pub(super) fn append(target: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
    }
    let mut f = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(target)
        .map_err(|e| io_err(target, e))?;
    f.write_all(bytes).map_err(|e| io_err(target, e))
}

/// The file's text (`None` when it does not exist). Invalid UTF-8 is replaced, not refused.
pub(super) fn read_text(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == ErrorKind::IsADirectory => Ok(None),
        Err(e) => Err(io_err(path, e)),
    }
}

/// The sub-folders of `dir` (following links, as Python's `os.path.isdir`), by name. A missing
/// folder has none.
pub(super) fn subdirs(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => return Ok(Vec::new()),
        Err(e) => return Err(io_err(dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let path = entry.path();
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if path.is_dir() {
            out.push((name, path));
        }
    }
    out.sort();
    Ok(out)
}

/// Every file under `dir`, recursively, as (`/`-joined relative key, path): how MLflow stores
/// tags, params and metrics whose keys contain `/`. Like Python's `os.walk`, links to folders
/// are not followed.
pub(super) fn keyed_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    walk(dir, "", &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => return Ok(()),
        Err(e) => return Err(io_err(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let key = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| io_err(&path, e))?;
        if kind.is_dir() {
            walk(&path, &key, out)?;
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            out.push((key, path));
        }
    }
    Ok(())
}

/// Every keyed file under `dir` with its text: tags, params, aliases.
pub(super) fn read_keyed_values(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (key, path) in keyed_files(dir)? {
        if let Some(text) = read_text(&path)? {
            out.insert(key, text);
        }
    }
    Ok(out)
}

pub(super) use crate::validate::check_key as validate_key;

/// MLflow's run id rule (`^[a-zA-Z0-9][\w\-]{0,255}$`), which also keeps the id a single folder name.
pub(super) fn validate_run_id(id: &str) -> Result<()> {
    if is_id(id, 256) {
        Ok(())
    } else {
        Err(invalid(format!(
            "invalid run id {id:?}: expected letters, digits, '_' or '-'"
        )))
    }
}

/// MLflow's experiment id rule (`^[a-zA-Z0-9][\w\-]{0,63}$`).
pub(super) fn validate_experiment_id(id: &str) -> Result<()> {
    if is_id(id, 64) {
        Ok(())
    } else {
        Err(invalid(format!(
            "invalid experiment id {id:?}: expected letters, digits, '_' or '-'"
        )))
    }
}

pub(super) fn is_id(id: &str, max_len: usize) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && id.chars().count() <= max_len
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

pub(super) use crate::validate::check_length;

/// `file://` URI of an absolute path, percent-encoded as Python's `Path.as_uri()` does.
pub(super) fn path_to_file_uri(path: &Path) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'_')
        .remove(b'.')
        .remove(b'-')
        .remove(b'~')
        .remove(b'/');
    format!("file://{}", utf8_percent_encode(&path.to_string_lossy(), KEEP))
}

/// Parses an integer field as Python's `int()` would read what MLflow wrote (an int, possibly a
/// float from a hand-edited file).
pub(super) fn parse_int(raw: Option<&str>) -> Option<i64> {
    let t = raw?.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Some(n);
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_mlflow_rules() {
        for ok in ["loss", "eval/loss", "xss score: 1", "a.b-c_d", "ünï"] {
            assert!(validate_key("metric", ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "../x", "a/../b", "/abs", "a//b", "a/", ".", "..x", "a\\b", "a\nb", "a%b",
        ] {
            assert!(validate_key("metric", bad).is_err(), "{bad:?}");
        }
        assert!(validate_run_id("463d6258a0484530ab9838aa45a94b00").is_ok());
        assert!(validate_run_id("../etc").is_err());
        assert!(validate_run_id(".trash").is_err());
        assert!(validate_experiment_id("0").is_ok());
        assert!(validate_experiment_id("").is_err());
    }

    #[test]
    fn file_uris_are_encoded_like_python() {
        assert_eq!(
            path_to_file_uri(Path::new("/tmp/a b/mlruns")),
            "file:///tmp/a%20b/mlruns"
        );
        assert_eq!(path_to_file_uri(Path::new("/x/y_z.~-1")), "file:///x/y_z.~-1");
    }

    #[test]
    fn atomic_writes_leave_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("tags/a/b");
        write_atomic(&target, dir.path(), b"one").unwrap();
        write_atomic(&target, dir.path(), b"two").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["tags"]);
        assert_eq!(
            read_keyed_values(&dir.path().join("tags"))
                .unwrap()
                .get("a/b")
                .map(String::as_str),
            Some("two")
        );
    }
}
