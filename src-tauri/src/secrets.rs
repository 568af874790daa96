//! Connection secrets (passwords and tokens): in the OS keyring through the `keyring` crate (the
//! Secret Service on Linux, Keychain on macOS, Credential Manager on Windows), or in memory for
//! this session when there is no keyring service or the user chose so.
//!
//! **A secret leaves this module only as a `Secret`**, whose `Debug` hides it, on its way into
//! the request that sends it. Keyring errors are reported without the secret (the keyring crate
//! never puts it in its messages).

use runlens_core::connection::{KeyringStatus, SecretPlace};
use runlens_core::{ApiError, ErrorCode};
use runlens_tracking::Secret;
use std::collections::HashMap;
use std::sync::Mutex;

/// The keyring "service" every Runlens secret is filed under; the account is the connection id.
pub const SERVICE: &str = "dev.runlens.app";

/// Where secrets are kept for good.
pub trait Keyring: Send + Sync {
    /// Whether the keyring answers, and why not.
    fn status(&self) -> KeyringStatus;
    fn get(&self, account: &str) -> Result<Option<String>, String>;
    fn set(&self, account: &str, secret: &str) -> Result<(), String>;
    /// Deleting what is not there is fine.
    fn delete(&self, account: &str) -> Result<(), String>;
}

/// The platform's keyring through the `keyring` crate.
pub struct OsKeyring;

impl OsKeyring {
    fn entry(account: &str) -> Result<keyring::Entry, String> {
        keyring::Entry::new(SERVICE, &format!("connection:{account}")).map_err(|e| describe(&e))
    }
}

/// A keyring error in words a user can act on.
fn describe(e: &keyring::Error) -> String {
    match e {
        keyring::Error::NoDefaultStore => {
            "no keyring service could be reached (on Linux: no Secret Service, such as GNOME Keyring or KWallet, on the session D-Bus)".into()
        }
        keyring::Error::NoStorageAccess(inner) => format!("the keyring is locked or refused access ({inner})"),
        keyring::Error::PlatformFailure(inner) => format!("the keyring service failed ({inner})"),
        other => other.to_string(),
    }
}

impl Keyring for OsKeyring {
    fn status(&self) -> KeyringStatus {
        if let Err(e) = keyring::Entry::store_status() {
            return KeyringStatus {
                available: false,
                problem: Some(describe(e)),
            };
        }
        // A bus without a Secret Service (or a locked keyring) shows only when it is used.
        match Self::entry("runlens-probe").and_then(|e| match e.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(describe(&e)),
        }) {
            Ok(()) => KeyringStatus {
                available: true,
                problem: None,
            },
            Err(problem) => KeyringStatus {
                available: false,
                problem: Some(problem),
            },
        }
    }

    fn get(&self, account: &str) -> Result<Option<String>, String> {
        match Self::entry(account)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(describe(&e)),
        }
    }

    fn set(&self, account: &str, secret: &str) -> Result<(), String> {
        Self::entry(account)?.set_password(secret).map_err(|e| describe(&e))
    }

    fn delete(&self, account: &str) -> Result<(), String> {
        match Self::entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(describe(&e)),
        }
    }
}

/// The app's secrets: the keyring plus those kept for this session only.
pub struct Secrets {
    keyring: Box<dyn Keyring>,
    session: Mutex<HashMap<String, Secret>>,
}

impl Secrets {
    pub fn new(keyring: Box<dyn Keyring>) -> Secrets {
        Secrets {
            keyring,
            session: Mutex::new(HashMap::new()),
        }
    }

    fn session(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blocking (D-Bus): call from the blocking pool.
    pub fn status(&self) -> KeyringStatus {
        self.keyring.status()
    }

    /// The secret of a connection: this session's first, then the keyring's. Blocking.
    pub fn get(&self, id: &str) -> Result<Option<(Secret, SecretPlace)>, ApiError> {
        if let Some(secret) = self.session().get(id) {
            return Ok(Some((secret.clone(), SecretPlace::Session)));
        }
        match self.keyring.get(id) {
            Ok(found) => Ok(found.map(|s| (Secret::new(s), SecretPlace::Keyring))),
            Err(problem) => Err(keyring_error(
                "cannot read the connection's secret from the keyring",
                problem,
            )),
        }
    }

    /// Where a connection's secret is, without reading it out of the keyring when a session
    /// copy exists. Blocking.
    pub fn place(&self, id: &str, needed: bool) -> SecretPlace {
        if !needed {
            return SecretPlace::NotNeeded;
        }
        if self.session().contains_key(id) {
            return SecretPlace::Session;
        }
        match self.keyring.get(id) {
            Ok(Some(_)) => SecretPlace::Keyring,
            _ => SecretPlace::Missing,
        }
    }

    /// Stores a secret in the keyring (and drops any session copy). Blocking.
    pub fn keep(&self, id: &str, secret: &Secret) -> Result<(), ApiError> {
        self.keyring
            .set(id, secret.expose())
            .map_err(|problem| keyring_error("the keyring did not take the secret", problem))?;
        self.session().remove(id);
        Ok(())
    }

    /// Keeps a secret in memory until Runlens quits (and removes any keyring copy, so the
    /// newest secret is the one used). Blocking.
    pub fn keep_for_session(&self, id: &str, secret: Secret) {
        let _ = self.keyring.delete(id);
        self.session().insert(id.to_string(), secret);
    }

    /// Forgets a connection's secret everywhere. Blocking.
    pub fn forget(&self, id: &str) -> Result<(), ApiError> {
        self.session().remove(id);
        self.keyring
            .delete(id)
            .map_err(|problem| keyring_error("the keyring did not delete the secret", problem))
    }
}

fn keyring_error(what: &str, problem: String) -> ApiError {
    ApiError::new(
        ErrorCode::Io,
        format!("{what}: {problem}; you can keep the secret for this session only"),
    )
}

/// A keyring in memory, for tests; `working: false` behaves like a machine without one.
#[cfg(test)]
pub struct MemoryKeyring {
    pub working: bool,
    pub entries: std::sync::Arc<Mutex<HashMap<String, String>>>,
}

#[cfg(test)]
impl Keyring for MemoryKeyring {
    fn status(&self) -> KeyringStatus {
        KeyringStatus {
            available: self.working,
            problem: (!self.working).then(|| "no keyring in this test".into()),
        }
    }
    fn get(&self, account: &str) -> Result<Option<String>, String> {
        if !self.working {
            return Err("no keyring in this test".into());
        }
        Ok(self.entries.lock().unwrap().get(account).cloned())
    }
    fn set(&self, account: &str, secret: &str) -> Result<(), String> {
        if !self.working {
            return Err("no keyring in this test".into());
        }
        self.entries.lock().unwrap().insert(account.into(), secret.into());
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<(), String> {
        if !self.working {
            return Err("no keyring in this test".into());
        }
        self.entries.lock().unwrap().remove(account);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(working: bool) -> (Secrets, std::sync::Arc<Mutex<HashMap<String, String>>>) {
        let entries = std::sync::Arc::new(Mutex::new(HashMap::new()));
        let secrets = Secrets::new(Box::new(MemoryKeyring {
            working,
            entries: entries.clone(),
        }));
        (secrets, entries)
    }

    #[test]
    fn keyring_and_session_secrets() {
        let (secrets, entries) = memory(true);
        assert!(secrets.get("a").unwrap().is_none());
        assert_eq!(secrets.place("a", true), SecretPlace::Missing);
        assert_eq!(secrets.place("a", false), SecretPlace::NotNeeded);
        secrets.keep("a", &Secret::new("pw1")).unwrap();
        assert_eq!(entries.lock().unwrap().get("a").map(String::as_str), Some("pw1"));
        let (secret, place) = secrets.get("a").unwrap().unwrap();
        assert_eq!((secret.expose(), place), ("pw1", SecretPlace::Keyring));
        // A session secret replaces the keyring's, which is removed.
        secrets.keep_for_session("a", Secret::new("pw2"));
        assert!(entries.lock().unwrap().is_empty());
        assert_eq!(secrets.place("a", true), SecretPlace::Session);
        assert_eq!(secrets.get("a").unwrap().unwrap().0.expose(), "pw2");
        secrets.forget("a").unwrap();
        assert!(secrets.get("a").unwrap().is_none());
    }

    #[test]
    fn without_a_keyring_secrets_live_for_the_session() {
        let (secrets, _) = memory(false);
        assert!(!secrets.status().available);
        let err = secrets.keep("a", &Secret::new("hunter2")).unwrap_err();
        assert!(err.message.contains("this session only"), "{err:?}");
        assert!(!format!("{err:?}").contains("hunter2"));
        secrets.keep_for_session("a", Secret::new("hunter2"));
        assert_eq!(secrets.get("a").unwrap().unwrap().1, SecretPlace::Session);
    }
}
