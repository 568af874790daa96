//! Which store the app opens at start, in this order: the command line, `MLFLOW_TRACKING_URI`,
//! `./mlflow.db`, `./mlruns`.

use std::path::Path;

/// A store to try and where the idea came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub uri: String,
    pub origin: String,
}

/// The first candidate that applies, or the places looked at when none does. An explicit choice
/// (command line, environment) is returned even if it turns out broken, so its error is shown.
pub fn choose(requested: Option<&str>, env_uri: Option<&str>, cwd: &Path) -> Result<Candidate, Vec<String>> {
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
    Err(vec![
        "a store on the command line".into(),
        "MLFLOW_TRACKING_URI".into(),
        db.display().to_string(),
        mlruns.display().to_string(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_documented_order() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        assert!(choose(None, None, cwd).is_err());
        std::fs::create_dir(cwd.join("mlruns")).unwrap();
        assert_eq!(choose(None, None, cwd).unwrap().origin, "./mlruns");
        std::fs::write(cwd.join("mlflow.db"), b"").unwrap();
        assert_eq!(choose(None, None, cwd).unwrap().origin, "./mlflow.db");
        assert_eq!(
            choose(None, Some("http://x"), cwd).unwrap().origin,
            "MLFLOW_TRACKING_URI"
        );
        let c = choose(Some("/a/b.db"), Some("http://x"), cwd).unwrap();
        assert_eq!((c.uri.as_str(), c.origin.as_str()), ("/a/b.db", "the command line"));
        assert_eq!(choose(Some(" "), Some(""), cwd).unwrap().origin, "./mlflow.db");
    }
}
