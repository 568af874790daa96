//! How to reach a tracking server: credentials, TLS and timeouts, read from MLflow's environment
//! variables or given by the app.

use std::fmt;
use std::time::Duration;

/// A password or token. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The only way to the value; call it where the value is sent, nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    #[default]
    None,
    Basic {
        username: String,
        password: Secret,
    },
    Bearer(Secret),
}

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub auth: Auth,
    /// Skip TLS certificate checks (`MLFLOW_TRACKING_INSECURE_TLS=true`).
    pub insecure_tls: bool,
    /// A PEM file of CA certificates trusted besides the system's roots.
    pub ca_certificate: Option<std::path::PathBuf>,
    /// Per request.
    pub timeout: Duration,
    /// Retries after 429 and 5xx answers (and dropped connections), with exponential backoff.
    pub max_retries: u32,
    /// The first backoff; doubled on each retry.
    pub initial_backoff: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            auth: Auth::None,
            insecure_tls: false,
            ca_certificate: None,
            timeout: Duration::from_secs(30),
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
        }
    }
}

impl ConnectOptions {
    /// Reads `MLFLOW_TRACKING_TOKEN` (Bearer, preferred as MLflow does),
    /// `MLFLOW_TRACKING_USERNAME`/`MLFLOW_TRACKING_PASSWORD` (Basic),
    /// `MLFLOW_TRACKING_INSECURE_TLS` and `MLFLOW_HTTP_REQUEST_TIMEOUT` (seconds).
    pub fn from_env() -> Self {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let mut o = ConnectOptions::default();
        let non_empty = |k: &str| var(k).filter(|v| !v.is_empty());
        if let (Some(u), Some(p)) = (
            non_empty("MLFLOW_TRACKING_USERNAME"),
            non_empty("MLFLOW_TRACKING_PASSWORD"),
        ) {
            o.auth = Auth::Basic {
                username: u,
                password: Secret::new(p),
            };
        }
        if let Some(t) = non_empty("MLFLOW_TRACKING_TOKEN") {
            o.auth = Auth::Bearer(Secret::new(t));
        }
        o.insecure_tls =
            non_empty("MLFLOW_TRACKING_INSECURE_TLS").is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
        if let Some(secs) = non_empty("MLFLOW_HTTP_REQUEST_TIMEOUT").and_then(|v| v.parse::<u64>().ok()) {
            o.timeout = Duration::from_secs(secs.max(1));
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mlflow_variables_and_hides_secrets() {
        let vars = |k: &str| match k {
            "MLFLOW_TRACKING_USERNAME" => Some("ann".to_string()),
            "MLFLOW_TRACKING_PASSWORD" => Some("hunter2".to_string()),
            "MLFLOW_TRACKING_INSECURE_TLS" => Some("true".to_string()),
            _ => None,
        };
        let o = ConnectOptions::from_vars(vars);
        assert!(o.insecure_tls);
        assert_eq!(
            o.auth,
            Auth::Basic {
                username: "ann".into(),
                password: Secret::new("hunter2")
            }
        );
        assert!(!format!("{o:?}").contains("hunter2"));
        let bearer = ConnectOptions::from_vars(|k| (k == "MLFLOW_TRACKING_TOKEN").then(|| "tok".to_string()));
        assert_eq!(bearer.auth, Auth::Bearer(Secret::new("tok")));
    }
}
