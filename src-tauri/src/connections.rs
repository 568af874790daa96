//! Saved connections: opening a store with its credentials (and making it the current one),
//! adding, changing and removing connections, "Test connection", and what the connection manager
//! shows.
//!
//! Settings hold connections without secrets; a connection's password or token is read from
//! `secrets.rs` only when it is opened or tested. MLflow's environment (`MLFLOW_TRACKING_URI`
//! and its credential variables) applies to stores opened by URI, as MLflow applies it; a saved
//! connection uses its own authentication and TLS settings (the request timeout,
//! `MLFLOW_HTTP_REQUEST_TIMEOUT`, applies to all).

use crate::live::{self, Live};
use crate::settings;
use crate::state::{AppState, OpenStore};
use crate::watch::{self, Watched};
use runlens_core::connection::*;
use runlens_core::ipc::{StartupState, StoreKind, StoreSummary};
use runlens_core::{ApiError, ErrorCode};
use runlens_tracking::{parse_location, uri, Auth, ConnectOptions, Location, Secret, Tracking};
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{AppHandle, Manager};

/// Opens a store, makes it the current one, names it in the window title, remembers it and
/// starts following it (file watching or server checks).
pub async fn open_store(
    app: &AppHandle,
    state: &AppState,
    raw_uri: &str,
    origin: &str,
    options: ConnectOptions,
    connection: Option<&Connection>,
) -> Result<StoreSummary, ApiError> {
    let tracking = Tracking::open(raw_uri, &options).await?;
    // A server is first contacted here, so a wrong URL or password fails now rather than on the
    // first click.
    let version = tracking.version().await?;
    let clean = uri::redact(raw_uri);
    let summary = StoreSummary {
        display_name: connection
            .map(|c| c.name.clone())
            .unwrap_or_else(|| crate::commands::display_name(&clean)),
        insecure_tls: options.insecure_tls && tracking.kind() == StoreKind::Rest,
        uri: clean,
        kind: tracking.kind(),
        version,
        opened_from: origin.to_string(),
        connection: connection.map(|c| c.id.clone()),
    };
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.set_title(&format!("{} — Runlens", summary.display_name));
    }
    let key = settings::store_key(raw_uri);
    let connection_id = connection.map(|c| c.id.as_str());
    state.update_settings(|s| {
        s.opened(&key, connection_id, runlens_tracking::now_ms());
        (true, ())
    });
    follow(state, &tracking, raw_uri);
    *state.current.write().await = Some(OpenStore {
        tracking,
        summary: summary.clone(),
        key,
    });
    Ok(summary)
}

/// Starts keeping the new store's view current, stopping whatever followed the previous one.
fn follow(state: &AppState, tracking: &Tracking, raw_uri: &str) {
    let live: Arc<Live> = state.live.clone();
    let mut watcher = state.watcher.lock().unwrap_or_else(|e| e.into_inner());
    *watcher = None;
    let watched = match parse_location(raw_uri) {
        Ok(Location::Rest(_)) => {
            let epoch = live.begin(LinkState::Connected {
                every_ms: live::SERVER_POLL.as_millis() as u64,
            });
            tauri::async_runtime::spawn(live::follow_server(live, epoch, tracking.clone()));
            return;
        }
        Ok(Location::Sqlite(path)) => Watched::Sqlite(std::path::absolute(&path).unwrap_or(path)),
        Ok(Location::File(path)) => Watched::FileStore(std::path::absolute(&path).unwrap_or(path)),
        Err(_) => return,
    };
    let epoch = live.begin(LinkState::Watching);
    match watch::start(live.clone(), epoch, watched) {
        Ok(w) => *watcher = Some(w),
        Err(why) => {
            eprintln!("Runlens: cannot watch the store's files ({why}); reading it again every few seconds instead");
            live.set_link(
                epoch,
                LinkState::Polling {
                    why: format!("file watching is not possible here: {why}"),
                },
            );
            tauri::async_runtime::spawn(live::poll_local(live, epoch));
        }
    }
}

/// The options a saved connection connects with, given its secret.
pub fn options_for(connection: &Connection, secret: Option<Secret>) -> ConnectOptions {
    let environment = ConnectOptions::from_env();
    let auth = match (connection.auth, secret) {
        (AuthKind::Basic, Some(password)) => Auth::Basic {
            username: connection.username.clone().unwrap_or_default(),
            password,
        },
        (AuthKind::Bearer, Some(token)) => Auth::Bearer(token),
        _ => Auth::None,
    };
    ConnectOptions {
        auth,
        insecure_tls: connection.insecure_tls,
        ca_certificate: connection.ca_certificate.as_ref().map(PathBuf::from),
        timeout: environment.timeout,
        ..ConnectOptions::default()
    }
}

/// Runs blocking keyring work on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("a keyring task failed: {e}")))
}

fn kind_of(target: &str) -> StoreKind {
    match parse_location(target) {
        Ok(location) => location.kind(),
        Err(_) if target.starts_with("http") => StoreKind::Rest,
        Err(_) => StoreKind::Sqlite,
    }
}

/// The saved connection with this id.
fn find(state: &AppState, id: &str) -> Result<Connection, ApiError> {
    state.settings().connection(id).cloned().ok_or_else(|| {
        ApiError::not_found(format!(
            "there is no saved connection {id:?} (it may have been removed)"
        ))
    })
}

/// The secret a connection needs, from this session or the keyring; an error asking for it
/// when there is none.
async fn secret_for(state: &AppState, connection: &Connection) -> Result<Option<Secret>, ApiError> {
    if !connection.auth.needs_secret() {
        return Ok(None);
    }
    let secrets = state.secrets.clone();
    let id = connection.id.clone();
    let found = blocking(move || secrets.get(&id)).await?;
    match found {
        Ok(Some((secret, _))) => Ok(Some(secret)),
        Ok(None) | Err(_) => Err(ApiError::new(
            ErrorCode::Unauthenticated,
            format!(
                "Runlens has no {} for {:?}: enter it to connect",
                if connection.auth == AuthKind::Bearer {
                    "token"
                } else {
                    "password"
                },
                connection.name
            ),
        )),
    }
}

/// Opens a saved connection with its stored secret.
pub async fn open_connection(app: &AppHandle, state: &AppState, id: &str) -> Result<StoreSummary, ApiError> {
    let connection = find(state, id)?;
    let secret = secret_for(state, &connection).await?;
    let options = options_for(&connection, secret);
    let origin = format!("the connection {:?}", connection.name);
    open_store(app, state, &connection.target, &origin, options, Some(&connection)).await
}

/// At start, with no store on the command line or in the environment: reopens the connection
/// the last store was opened through. `None` when the last store was not a connection.
pub async fn reopen_last(app: &AppHandle, state: &AppState) -> Option<StartupState> {
    let remembered = state.settings();
    let id = remembered.last_connection.clone()?;
    let connection = remembered.connection(&id)?.clone();
    if remembered.last_store.as_deref() != Some(settings::store_key(&connection.target).as_str()) {
        return None;
    }
    let key = settings::store_key(&connection.target);
    Some(match open_connection(app, state, &id).await {
        Ok(store) => StartupState::Open {
            place: remembered.place_for(&key),
            store,
        },
        Err(error) => StartupState::Failed {
            attempted: format!("{} ({})", connection.name, uri::redact(&connection.target)),
            error,
            connection: Some(id),
        },
    })
}

/// What the connection manager shows.
pub async fn overview(state: &AppState) -> Result<ConnectionsOverview, ApiError> {
    let settings = state.settings();
    let (current_uri, current_connection) = match state.current.read().await.as_ref() {
        Some(open) => (Some(open.summary.uri.clone()), open.summary.connection.clone()),
        None => (None, None),
    };
    let secrets = state.secrets.clone();
    let needs: Vec<(String, bool)> = settings
        .connections
        .iter()
        .map(|c| (c.id.clone(), c.auth.needs_secret()))
        .collect();
    let (keyring, places) = blocking(move || {
        let status = secrets.status();
        let places: Vec<SecretPlace> = needs.iter().map(|(id, needed)| secrets.place(id, *needed)).collect();
        (status, places)
    })
    .await?;
    let connections = settings
        .connections
        .iter()
        .zip(places)
        .map(|(c, secret)| ConnectionEntry {
            kind: kind_of(&c.target),
            secret,
            current: current_connection.as_deref() == Some(c.id.as_str()),
            last_opened: settings.last_opened(&c.id),
            connection: c.clone(),
        })
        .collect();
    Ok(ConnectionsOverview {
        connections,
        recent: settings.recent.clone(),
        keyring,
        environment: environment_store(),
        current_uri,
    })
}

/// The store `MLFLOW_TRACKING_URI` names, with how MLflow's variables authenticate to it.
fn environment_store() -> Option<EnvironmentStore> {
    let raw = std::env::var("MLFLOW_TRACKING_URI")
        .ok()
        .filter(|u| !u.trim().is_empty())?;
    let options = ConnectOptions::from_env();
    let (auth, username) = match &options.auth {
        Auth::None => (AuthKind::None, None),
        Auth::Basic { username, .. } => (AuthKind::Basic, Some(username.clone())),
        Auth::Bearer(_) => (AuthKind::Bearer, None),
    };
    Some(EnvironmentStore {
        uri: uri::redact(&raw),
        auth,
        username,
        insecure_tls: options.insecure_tls,
    })
}

/// Checks and tidies a connection as the user entered it; credentials typed into a server URL
/// (`https://user:pw@host`) are moved out of it: the user name into the connection, the
/// password into the returned secret.
pub fn normalize(mut c: Connection) -> Result<(Connection, Option<Secret>), ApiError> {
    c.name = c.name.trim().to_string();
    c.target = c.target.trim().to_string();
    c.username = c.username.map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
    c.ca_certificate = c.ca_certificate.map(|p| p.trim().to_string()).filter(|p| !p.is_empty());
    if c.target.is_empty() {
        return Err(ApiError::invalid(
            "enter a server URL (such as https://mlflow.example.com) or a path to mlflow.db or mlruns/",
        ));
    }
    let mut from_url = None;
    match parse_location(&c.target)? {
        Location::Rest(url) => {
            if !url.username().is_empty() {
                let decode = |s: &str| percent_encoding_decode(s);
                if c.username.is_none() {
                    c.username = Some(decode(url.username()));
                }
                if let Some(pw) = url.password() {
                    from_url = Some(Secret::new(decode(pw)));
                    if c.auth == AuthKind::None {
                        c.auth = AuthKind::Basic;
                    }
                }
            }
            c.target = uri::redact(&c.target);
            if let Some(ca) = &c.ca_certificate {
                if !std::path::Path::new(ca).is_file() {
                    return Err(ApiError::not_found(format!(
                        "the CA certificate file {ca} does not exist"
                    )));
                }
            }
            if c.auth == AuthKind::Basic && c.username.is_none() {
                return Err(ApiError::invalid("enter the user name for Basic authentication"));
            }
            if c.auth != AuthKind::Basic {
                c.username = None;
            }
        }
        Location::Sqlite(_) | Location::File(_) => {
            c.target = settings::store_key(&c.target);
            c.auth = AuthKind::None;
            c.username = None;
            c.ca_certificate = None;
            c.insecure_tls = false;
        }
    }
    if c.name.is_empty() {
        c.name = crate::commands::display_name(&c.target);
    }
    Ok((c, from_url))
}

/// Decodes `%XX` escapes of a URL's user info.
fn percent_encoding_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = bytes
            .get(i + 1..i + 3)
            .filter(|h| bytes[i] == b'%' && h.iter().all(u8::is_ascii_hexdigit));
        match escape {
            Some(hex) => {
                out.push(u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("00"), 16).unwrap_or(0));
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

/// A new id, unique among the saved connections.
fn new_id(existing: &[Connection]) -> String {
    let mut n = runlens_tracking::now_ms();
    loop {
        let id = format!("c{n:x}");
        if !existing.iter().any(|c| c.id == id) {
            return id;
        }
        n += 1;
    }
}

/// Adds or changes a connection, keeping a new secret where asked. Nothing is saved when the
/// secret cannot be kept (the error says so, and that it can be kept for this session only).
pub async fn save(state: &AppState, request: SaveConnectionRequest) -> Result<SavedConnection, ApiError> {
    let (mut connection, from_url) = normalize(request.connection)?;
    let settings = state.settings();
    let previous = (!connection.id.is_empty())
        .then(|| settings.connection(&connection.id).cloned())
        .flatten();
    if !connection.id.is_empty() && previous.is_none() {
        return Err(ApiError::not_found(format!(
            "there is no saved connection {:?} to change (it may have been removed)",
            connection.id
        )));
    }
    if connection.id.is_empty() {
        connection.id = new_id(&settings.connections);
    }
    let typed = request
        .secret
        .map(|s| s.0)
        .filter(|s| !s.is_empty())
        .map(Secret::new)
        .or(from_url);
    let secrets = state.secrets.clone();
    let id = connection.id.clone();
    let needs = connection.auth.needs_secret();
    let kind_changed = previous.as_ref().is_some_and(|p| p.auth != connection.auth);
    let keep = request.keep;
    blocking(move || -> Result<(), ApiError> {
        match typed {
            _ if !needs => {
                let _ = secrets.forget(&id);
            }
            Some(secret) => match keep {
                KeepSecret::Keyring => secrets.keep(&id, &secret)?,
                KeepSecret::Session => secrets.keep_for_session(&id, secret),
            },
            // A password is no token: a secret kept for another kind of authentication goes.
            None if kind_changed => {
                let _ = secrets.forget(&id);
            }
            None => {}
        }
        Ok(())
    })
    .await??;
    let saved = connection.clone();
    state.update_settings(move |s| {
        s.put_connection(saved);
        (true, ())
    });
    let overview = overview(state).await?;
    let entry = overview
        .connections
        .iter()
        .find(|e| e.connection.id == connection.id)
        .cloned()
        .ok_or_else(|| ApiError::internal("the saved connection is missing from the settings"))?;
    Ok(SavedConnection { entry, overview })
}

/// Removes a connection and its secret (the open store stays open).
pub async fn remove(state: &AppState, id: &str) -> Result<ConnectionsOverview, ApiError> {
    find(state, id)?;
    let secrets = state.secrets.clone();
    let owned = id.to_string();
    let forgotten = blocking(move || secrets.forget(&owned)).await?;
    state.update_settings(|s| (s.remove_connection(id), ()));
    // The connection is gone from the settings either way; a keyring that could not delete the
    // secret is reported.
    forgotten?;
    overview(state).await
}

/// "Test connection" for a connection as edited; without a typed secret, the stored one.
pub async fn test(state: &AppState, request: TestConnectionRequest) -> Result<Diagnosis, ApiError> {
    let (connection, from_url) = match normalize(request.connection.clone()) {
        Ok(normalized) => normalized,
        // An address that does not parse, or a local path that is missing, is a diagnosis too.
        Err(_) => (request.connection.clone(), None),
    };
    let typed = request
        .secret
        .map(|s| s.0)
        .filter(|s| !s.is_empty())
        .map(Secret::new)
        .or(from_url);
    let secret = match typed {
        Some(secret) => Some(secret),
        None if connection.auth.needs_secret() && !connection.id.is_empty() => {
            secret_for(state, &connection).await.ok().flatten()
        }
        None => None,
    };
    let missing_secret = connection.auth.needs_secret() && secret.is_none();
    let mut diagnosis =
        runlens_tracking::diagnose::diagnose(&connection.target, &options_for(&connection, secret)).await;
    if missing_secret {
        diagnosis.notes.push(format!(
            "no {} was given, so none was sent",
            if connection.auth == AuthKind::Bearer {
                "token"
            } else {
                "password"
            }
        ));
    }
    Ok(diagnosis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(target: &str) -> Connection {
        Connection {
            id: String::new(),
            name: String::new(),
            target: target.into(),
            auth: AuthKind::None,
            username: None,
            ca_certificate: None,
            insecure_tls: false,
        }
    }

    #[test]
    fn credentials_in_a_url_move_out_of_it() {
        let (c, secret) = normalize(server(" https://ann:hunter%232@mlflow.example.com/mlflow?token=x ")).unwrap();
        assert_eq!(c.target, "https://mlflow.example.com/mlflow");
        assert_eq!(c.auth, AuthKind::Basic);
        assert_eq!(c.username.as_deref(), Some("ann"));
        assert_eq!(secret.unwrap().expose(), "hunter#2");
        assert_eq!(c.name, "mlflow.example.com/mlflow");
        assert!(!format!("{c:?}").contains("hunter"));
    }

    #[test]
    fn connections_are_checked() {
        assert!(normalize(server("  ")).is_err());
        let mut basic = server("http://127.0.0.1:5000");
        basic.auth = AuthKind::Basic;
        let err = normalize(basic.clone()).unwrap_err();
        assert!(err.message.contains("user name"), "{err:?}");
        basic.username = Some(" ann ".into());
        assert_eq!(normalize(basic).unwrap().0.username.as_deref(), Some("ann"));
        let mut token = server("http://h");
        token.auth = AuthKind::Bearer;
        token.username = Some("ignored".into());
        assert_eq!(normalize(token).unwrap().0.username, None);
        let mut with_ca = server("https://h");
        with_ca.ca_certificate = Some("/no/such/ca.pem".into());
        assert_eq!(normalize(with_ca).unwrap_err().code, ErrorCode::NotFound);

        // Local stores carry no credentials and are recorded by absolute path.
        let dir = tempfile::tempdir().unwrap();
        let mut local = server(&dir.path().display().to_string());
        local.auth = AuthKind::Basic;
        local.username = Some("x".into());
        local.insecure_tls = true;
        let (c, _) = normalize(local).unwrap();
        assert_eq!((c.auth, c.username, c.insecure_tls), (AuthKind::None, None, false));
        assert!(std::path::Path::new(&c.target).is_absolute());
    }

    #[test]
    fn options_follow_the_connection() {
        let mut c = server("https://h");
        c.auth = AuthKind::Basic;
        c.username = Some("ann".into());
        c.insecure_tls = true;
        c.ca_certificate = Some("/etc/ca.pem".into());
        let o = options_for(&c, Some(Secret::new("pw")));
        assert_eq!(
            o.auth,
            Auth::Basic {
                username: "ann".into(),
                password: Secret::new("pw")
            }
        );
        assert!(o.insecure_tls);
        assert_eq!(o.ca_certificate, Some(PathBuf::from("/etc/ca.pem")));
        c.auth = AuthKind::Bearer;
        assert_eq!(
            options_for(&c, Some(Secret::new("t"))).auth,
            Auth::Bearer(Secret::new("t"))
        );
        assert_eq!(options_for(&c, None).auth, Auth::None);
    }

    #[test]
    fn ids_are_unique() {
        let first = new_id(&[]);
        let mut c = server("http://h");
        c.id = first.clone();
        assert_ne!(new_id(&[c]), first);
    }
}
