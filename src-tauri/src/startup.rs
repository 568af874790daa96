//! Which store the app opens at start, in this order: the command line, `MLFLOW_TRACKING_URI`,
//! the store opened last (when it is still there), `./mlflow.db`, `./mlruns`.

use runlens_tracking::{parse_location, Location};
use std::path::Path;

/// A store to try and where the idea came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub uri: String,
    pub origin: String,
}

/// The first candidate that applies, or the places looked at when none does. An explicit choice
/// (command line, environment) is returned even if it turns out broken, so its error is shown.
pub fn choose(
    requested: Option<&str>,
    env_uri: Option<&str>,
    last_store: Option<&str>,
    cwd: &Path,
) -> Result<Candidate, Vec<String>> {
    if let Some(uri) = requested.filter(|u| !u.trim().is_empty()) {
        return Ok(Candidate {
            uri: uri.to_string(),
            origin: "the command line".into(),
        });
    }
    if let Some(uri) = env_uri.filter(|u| !u.trim().is_empty()) {
        return Ok(Candidate {
            uri: uri.to_string(),
            origin: "MLFLOW_TRACKING_URI".into(),
        });
    }
    if let Some(uri) = last_store.filter(|u| still_there(u)) {
        return Ok(Candidate {
            uri: uri.to_string(),
            origin: "the store you opened last".into(),
        });
    }
    let db = cwd.join("mlflow.db");
    if db.is_file() {
        return Ok(Candidate {
            uri: db.display().to_string(),
            origin: "./mlflow.db".into(),
        });
    }
    let mlruns = cwd.join("mlruns");
    if mlruns.is_dir() {
        return Ok(Candidate {
            uri: mlruns.display().to_string(),
            origin: "./mlruns".into(),
        });
    }
    let mut looked_at = vec!["a store on the command line".to_string(), "MLFLOW_TRACKING_URI".into()];
    if let Some(uri) = last_store {
        looked_at.push(format!("the store you opened last ({uri}), which is gone"));
    }
    looked_at.extend([db.display().to_string(), mlruns.display().to_string()]);
    Err(looked_at)
}

/// A server is assumed to be up (trying it shows why not); a local store must still exist.
fn still_there(uri: &str) -> bool {
    match parse_location(uri) {
        Ok(Location::Rest(_)) => true,
        Ok(Location::Sqlite(path) | Location::File(path)) => path.exists(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_documented_order() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        assert!(choose(None, None, None, cwd).is_err());
        std::fs::create_dir(cwd.join("mlruns")).unwrap();
        assert_eq!(choose(None, None, None, cwd).unwrap().origin, "./mlruns");
        std::fs::write(cwd.join("mlflow.db"), b"").unwrap();
        assert_eq!(choose(None, None, None, cwd).unwrap().origin, "./mlflow.db");
        assert_eq!(
            choose(None, Some("http://x"), None, cwd).unwrap().origin,
            "MLFLOW_TRACKING_URI"
        );
        let c = choose(Some("/a/b.db"), Some("http://x"), None, cwd).unwrap();
        assert_eq!((c.uri.as_str(), c.origin.as_str()), ("/a/b.db", "the command line"));
        assert_eq!(choose(Some(" "), Some(""), None, cwd).unwrap().origin, "./mlflow.db");
    }

    #[test]
    fn the_last_store_comes_after_explicit_choices_and_before_the_current_folder() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path().join("work");
        std::fs::create_dir(&cwd).unwrap();
        std::fs::write(cwd.join("mlflow.db"), b"").unwrap();
        let last = dir.path().join("demo.db");
        std::fs::write(&last, b"").unwrap();
        let last = last.display().to_string();

        let c = choose(None, None, Some(&last), &cwd).unwrap();
        assert_eq!(
            (c.uri.as_str(), c.origin.as_str()),
            (last.as_str(), "the store you opened last")
        );
        assert_eq!(
            choose(None, Some("http://x"), Some(&last), &cwd).unwrap().origin,
            "MLFLOW_TRACKING_URI"
        );
        assert_eq!(
            choose(Some("/a/b.db"), None, Some(&last), &cwd).unwrap().origin,
            "the command line"
        );
        // A server is tried; a local store that is gone is passed over.
        let c = choose(None, None, Some("https://mlflow.example.com/"), &cwd).unwrap();
        assert_eq!(c.uri, "https://mlflow.example.com/");
        let gone = dir.path().join("gone.db").display().to_string();
        assert_eq!(choose(None, None, Some(&gone), &cwd).unwrap().origin, "./mlflow.db");
        let sqlite_gone = format!("sqlite:///{gone}");
        assert_eq!(
            choose(None, None, Some(&sqlite_gone), &cwd).unwrap().origin,
            "./mlflow.db"
        );
        std::fs::remove_file(cwd.join("mlflow.db")).unwrap();
        let looked_at = choose(None, None, Some(&gone), &cwd).unwrap_err();
        assert!(looked_at.iter().any(|l| l.contains(&gone)), "{looked_at:?}");
    }
}
