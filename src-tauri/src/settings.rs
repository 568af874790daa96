//! The app's own settings: `settings.toml` in the platform's config folder (on Linux
//! `$XDG_CONFIG_HOME/<app id>/`), plain TOML a person can read and edit.
//!
//! A missing file means defaults; a file that does not parse is moved aside to
//! `settings.toml.bad`, never silently lost. Saving writes a temporary file and renames it, so a
//! crash leaves the old file or the new one. **No secret is ever written**: store URIs are
//! saved through `uri::redact`, and connections hold a user name at most (passwords and tokens
//! live in the OS keyring, see `secrets.rs`).

use runlens_core::connection::{Connection, RecentStore};
use runlens_core::ApiError;
use runlens_tracking::uri;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "settings.toml";
/// Longest place (route) remembered, in characters.
const MAX_PLACE_LENGTH: usize = 2_000;
/// How many recently opened stores are remembered.
pub const MAX_RECENT: usize = 12;

/// Every field has a default, so files written by older or newer versions load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The store opened last: its URI without credentials, an absolute path for a local store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_store: Option<String>,
    /// Where the user was in `last_store`: a route such as `/experiments/1/runs/abc`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_place: Option<String>,
    /// The saved connection `last_store` was opened through (its id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_connection: Option<String>,
    /// Stores opened recently, newest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<RecentStore>,
    /// Saved connections, in the order the user made them. Never a secret.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<Connection>,
    /// Settings this version does not know (written by a newer Runlens), kept as they are.
    #[serde(flatten)]
    pub other: toml::Table,
}

impl Settings {
    /// The settings at `path`: defaults when there is no file or it cannot be read; a file that
    /// does not parse is moved to `settings.toml.bad` with a warning.
    pub fn load(path: &Path) -> Settings {
        let text = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Settings::default(),
            Err(e) => {
                eprintln!("Runlens: cannot read {}: {e}; using default settings", path.display());
                return Settings::default();
            }
        };
        let parsed = String::from_utf8(text)
            .map_err(|e| e.to_string())
            .and_then(|t| toml::from_str::<Settings>(&t).map_err(|e| e.to_string()));
        match parsed {
            Ok(settings) => settings,
            Err(why) => {
                let aside = set_aside_path(path);
                let moved = match std::fs::rename(path, &aside) {
                    Ok(()) => format!("it was moved to {}", aside.display()),
                    Err(e) => format!("it could not be moved aside ({e})"),
                };
                eprintln!(
                    "Runlens: {} is not valid settings ({}); {moved} and default settings are used",
                    path.display(),
                    why.trim()
                );
                Settings::default()
            }
        }
    }

    /// Writes the settings to `path` atomically (a temporary file renamed over the old one).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let body = toml::to_string(self).map_err(std::io::Error::other)?;
        let text = format!("# Runlens settings. Safe to edit while Runlens is closed.\n{body}");
        // One temporary file per process: two windows saving at once never mix their bytes.
        let temp = path.with_extension(format!("toml.{}.tmp", std::process::id()));
        std::fs::write(&temp, text)?;
        std::fs::rename(&temp, path).inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })
    }

    /// Records a store that was opened; the remembered place belonged to the previous store, so
    /// it is forgotten when the store changes. `true` when something changed.
    pub fn store_opened(&mut self, key: &str) -> bool {
        if self.last_store.as_deref() == Some(key) {
            return false;
        }
        self.last_store = Some(key.to_string());
        self.last_place = None;
        true
    }

    /// Records a store that was opened, through a saved connection or not, at `now` (ms): it
    /// becomes the last store and heads the recent list. Always changes something.
    pub fn opened(&mut self, key: &str, connection: Option<&str>, now: i64) {
        self.store_opened(key);
        self.last_connection = connection.map(String::from);
        self.recent
            .retain(|r| !(r.uri == key && r.connection.as_deref() == connection));
        self.recent.insert(
            0,
            RecentStore {
                uri: key.to_string(),
                connection: connection.map(String::from),
                opened_at: now,
            },
        );
        self.recent.truncate(MAX_RECENT);
    }

    pub fn connection(&self, id: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.id == id)
    }

    /// Adds the connection, or replaces the one with its id.
    pub fn put_connection(&mut self, connection: Connection) {
        match self.connections.iter_mut().find(|c| c.id == connection.id) {
            Some(slot) => *slot = connection,
            None => self.connections.push(connection),
        }
    }

    /// Forgets a connection; recent entries made through it stay, as plain stores. `true` when
    /// it existed.
    pub fn remove_connection(&mut self, id: &str) -> bool {
        let before = self.connections.len();
        self.connections.retain(|c| c.id != id);
        for recent in &mut self.recent {
            if recent.connection.as_deref() == Some(id) {
                recent.connection = None;
            }
        }
        if self.last_connection.as_deref() == Some(id) {
            self.last_connection = None;
        }
        // Two entries may now name the same plain store: keep the newest.
        let mut seen = std::collections::HashSet::new();
        self.recent
            .retain(|r| r.connection.is_some() || seen.insert(r.uri.clone()));
        self.connections.len() != before
    }

    /// Forgets a recent entry.
    pub fn forget_recent(&mut self, uri: &str, connection: Option<&str>) -> bool {
        let before = self.recent.len();
        self.recent
            .retain(|r| !(r.uri == uri && r.connection.as_deref() == connection));
        self.recent.len() != before
    }

    /// When a connection was last opened (from the recent list).
    pub fn last_opened(&self, id: &str) -> Option<i64> {
        self.recent
            .iter()
            .find(|r| r.connection.as_deref() == Some(id))
            .map(|r| r.opened_at)
    }

    /// Records where the user is. `true` when something changed.
    pub fn remember_place(&mut self, place: &str) -> Result<bool, ApiError> {
        check_place(place)?;
        if self.last_place.as_deref() == Some(place) {
            return Ok(false);
        }
        self.last_place = Some(place.to_string());
        Ok(true)
    }

    /// The remembered place, if it belongs to the store with this key.
    pub fn place_for(&self, key: &str) -> Option<String> {
        (self.last_store.as_deref() == Some(key))
            .then(|| self.last_place.clone())
            .flatten()
    }
}

/// How a store is recorded: without credentials, and a relative local path made absolute so it
/// means the same store whatever folder Runlens starts in next.
pub fn store_key(raw_uri: &str) -> String {
    let clean = uri::redact(raw_uri.trim());
    if clean.contains("://") {
        return clean;
    }
    std::path::absolute(&clean)
        .map(|p| p.display().to_string())
        .unwrap_or(clean)
}

/// A place is an app route: it starts with `/`, has no control characters, and is short.
pub fn check_place(place: &str) -> Result<(), ApiError> {
    if !place.starts_with('/') {
        return Err(ApiError::invalid(format!(
            "a place must be an app route starting with '/', not {place:?}"
        )));
    }
    if place.chars().count() > MAX_PLACE_LENGTH || place.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "a place must be at most {MAX_PLACE_LENGTH} characters on one line"
        )));
    }
    Ok(())
}

fn set_aside_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".bad");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_unknown_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config").join(FILE_NAME);
        assert_eq!(Settings::load(&path), Settings::default(), "no file: defaults");

        let mut settings = Settings::default();
        assert!(settings.store_opened("/data/mlflow.db"));
        assert!(settings.remember_place("/experiments/1/runs/abc?artifact=x").unwrap());
        settings.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("last_store = \"/data/mlflow.db\""), "{text}");
        assert_eq!(Settings::load(&path), settings);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("config"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");

        // A newer version's keys (e.g. workspaces) survive a load and save by this one.
        std::fs::write(
            &path,
            "last_store = \"/x.db\"\nzoom = 2\n[[workspaces]]\nname = \"lab\"\nurl = \"https://lab\"\n",
        )
        .unwrap();
        let mut loaded = Settings::load(&path);
        assert_eq!(loaded.last_store.as_deref(), Some("/x.db"));
        loaded.put_connection(Connection {
            id: "c1".into(),
            name: "Team".into(),
            target: "https://mlflow.example.com/mlflow".into(),
            auth: runlens_core::connection::AuthKind::Basic,
            username: Some("ann".into()),
            ca_certificate: None,
            insecure_tls: false,
        });
        loaded.opened("https://mlflow.example.com/mlflow", Some("c1"), 7);
        loaded.save(&path).unwrap();
        let again = Settings::load(&path);
        assert_eq!(again.other["workspaces"][0]["name"].as_str(), Some("lab"));
        assert_eq!(again.other["zoom"].as_integer(), Some(2));
        assert_eq!(again, loaded);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("[[connections]]") && text.contains("username = \"ann\""),
            "{text}"
        );
    }

    #[test]
    fn a_corrupt_file_is_set_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "last_store = [unclosed").unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
        assert!(!path.exists());
        let aside = dir.path().join("settings.toml.bad");
        assert_eq!(std::fs::read_to_string(aside).unwrap(), "last_store = [unclosed");
        // A wrong type is as corrupt as bad syntax; so is a file that is not UTF-8.
        std::fs::write(&path, "last_store = 3\n").unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
        std::fs::write(&path, b"\xFF\xFE").unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
        assert!(!path.exists());
    }

    #[test]
    fn no_secret_is_saved() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut settings = Settings::default();
        settings.store_opened(&store_key("https://bob:hunter2@mlflow.example.com/?token=s3cret"));
        settings.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("hunter2") && !text.contains("s3cret") && !text.contains("bob"),
            "{text}"
        );
        assert!(text.contains("https://mlflow.example.com/"), "{text}");
    }

    #[test]
    fn places_belong_to_their_store() {
        let mut settings = Settings::default();
        settings.store_opened("/a.db");
        settings.remember_place("/experiments/1").unwrap();
        assert_eq!(settings.place_for("/a.db").as_deref(), Some("/experiments/1"));
        assert_eq!(settings.place_for("/b.db"), None);
        assert!(!settings.store_opened("/a.db"), "reopening keeps the place");
        assert_eq!(settings.place_for("/a.db").as_deref(), Some("/experiments/1"));
        settings.store_opened("/b.db");
        assert_eq!(settings.last_place, None, "another store forgets the place");

        assert!(settings.remember_place("experiments/1").is_err());
        assert!(settings.remember_place("https://evil.example").is_err());
        assert!(settings.remember_place(&format!("/{}", "x".repeat(2_000))).is_err());
        assert!(settings.remember_place(&format!("/{}", "x".repeat(1_999))).is_ok());
        assert!(settings.remember_place("/a\nb").is_err());
    }

    #[test]
    fn recent_stores_are_newest_first_and_bounded() {
        let mut settings = Settings::default();
        settings.opened("/a.db", None, 1);
        settings.opened("http://h/", Some("admin"), 2);
        settings.opened("http://h/", Some("reader"), 3);
        settings.opened("/a.db", None, 4);
        let order: Vec<_> = settings
            .recent
            .iter()
            .map(|r| (r.uri.as_str(), r.connection.as_deref()))
            .collect();
        assert_eq!(
            order,
            [
                ("/a.db", None),
                ("http://h/", Some("reader")),
                ("http://h/", Some("admin"))
            ]
        );
        assert_eq!(settings.last_connection, None);
        settings.opened("http://h/", Some("admin"), 5);
        assert_eq!(settings.last_connection.as_deref(), Some("admin"));
        assert_eq!(settings.last_opened("admin"), Some(5));
        for n in 0..20 {
            settings.opened(&format!("/s{n}.db"), None, 10 + n);
        }
        assert_eq!(settings.recent.len(), MAX_RECENT);
        assert_eq!(settings.recent[0].uri, "/s19.db");

        // Removing a connection keeps its stores in the list, as plain stores, once each.
        let mut settings = Settings::default();
        for id in ["admin", "reader"] {
            settings.put_connection(Connection {
                id: id.into(),
                name: id.into(),
                target: "http://h/".into(),
                auth: runlens_core::connection::AuthKind::None,
                username: None,
                ca_certificate: None,
                insecure_tls: false,
            });
        }
        settings.opened("http://h/", Some("admin"), 1);
        settings.opened("http://h/", Some("reader"), 2);
        assert!(settings.remove_connection("reader"));
        assert!(!settings.remove_connection("reader"));
        assert_eq!(settings.connections.len(), 1);
        assert_eq!(settings.recent.len(), 2);
        assert_eq!(settings.last_connection, None);
        assert!(settings.forget_recent("http://h/", None));
        assert_eq!(settings.recent.len(), 1);
    }

    #[test]
    fn local_stores_are_recorded_by_absolute_path() {
        let key = store_key("mlruns");
        assert!(Path::new(&key).is_absolute(), "{key}");
        assert_eq!(store_key("sqlite:///rel.db"), "sqlite:///rel.db");
        assert_eq!(store_key("http://127.0.0.1:5000"), "http://127.0.0.1:5000/");
    }
}
