//! Adding or changing one connection: where the store is, how to log in, TLS, where the secret is
//! kept, and "Test connection" with its diagnosis.

use super::{use_connections, Opener};
use crate::app::ErrorBanner;
use crate::ipc;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_core::connection::*;
use runlens_core::ipc::StoreKind;
use runlens_core::ApiError;

/// What kind of store the address names (the shell decides in the end, from the address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Server,
    Sqlite,
    Folder,
}

/// The editor's starting point.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    connection: Connection,
    kind: TargetKind,
    secret: SecretPlace,
    /// Shown above the form (e.g. why the password is asked for).
    message: Option<ApiError>,
}

impl Draft {
    pub fn new(kind: TargetKind) -> Draft {
        Draft {
            connection: Connection {
                id: String::new(),
                name: String::new(),
                target: String::new(),
                auth: AuthKind::None,
                username: None,
                ca_certificate: None,
                insecure_tls: false,
            },
            kind,
            secret: SecretPlace::NotNeeded,
            message: None,
        }
    }

    pub fn of(entry: &ConnectionEntry, message: Option<ApiError>) -> Draft {
        Draft {
            connection: entry.connection.clone(),
            kind: match entry.kind {
                StoreKind::Rest => TargetKind::Server,
                StoreKind::Sqlite => TargetKind::Sqlite,
                StoreKind::File => TargetKind::Folder,
            },
            secret: entry.secret,
            message,
        }
    }
}

/// The `problem` tag of a diagnosis, for styling and tests.
fn problem_tag(problem: &Option<Problem>) -> String {
    problem
        .as_ref()
        .and_then(|p| serde_json::to_value(p).ok())
        .and_then(|v| v["problem"].as_str().map(String::from))
        .unwrap_or_else(|| "none".into())
}

#[component]
pub fn Editor(draft: Draft) -> impl IntoView {
    let ui = use_connections();
    let opener = Opener::new();
    let Draft {
        connection,
        kind: start_kind,
        secret: start_secret,
        message,
    } = draft;
    let adding = connection.id.is_empty();
    let id = RwSignal::new(connection.id.clone());
    let name = RwSignal::new(connection.name.clone());
    let kind = RwSignal::new(start_kind);
    let target = RwSignal::new(connection.target.clone());
    let auth = RwSignal::new(connection.auth);
    let username = RwSignal::new(connection.username.clone().unwrap_or_default());
    let secret = RwSignal::new(String::new());
    let ca = RwSignal::new(connection.ca_certificate.clone().unwrap_or_default());
    let insecure = RwSignal::new(connection.insecure_tls);
    let secret_place = RwSignal::new(start_secret);
    let keep_in_keyring = RwSignal::new(true);
    let busy = RwSignal::new(false);
    let diagnosis = RwSignal::new(None::<Diagnosis>);
    let error = RwSignal::new(message);
    let keyring = LocalResource::new(|| async { ipc::list_connections().await.ok().map(|o| o.keyring) });
    let keyring_down = Memo::new(move |_| keyring.get().flatten().is_some_and(|k| !k.available));
    // Without a keyring the only choice is this session.
    Effect::new(move |_| {
        if keyring_down.get() {
            keep_in_keyring.set(false);
        }
    });

    let build = move || -> Connection {
        let server = kind.get_untracked() == TargetKind::Server;
        Connection {
            id: id.get_untracked(),
            name: name.get_untracked(),
            target: target.get_untracked(),
            auth: if server { auth.get_untracked() } else { AuthKind::None },
            username: Some(username.get_untracked()).filter(|u| server && !u.trim().is_empty()),
            ca_certificate: Some(ca.get_untracked()).filter(|c| server && !c.trim().is_empty()),
            insecure_tls: server && insecure.get_untracked(),
        }
    };
    let typed_secret = move || {
        let s = secret.get_untracked();
        (!s.is_empty() && kind.get_untracked() == TargetKind::Server && auth.get_untracked().needs_secret())
            .then_some(SecretInput(s))
    };

    let test = move |_| {
        busy.set(true);
        diagnosis.set(None);
        error.set(None);
        let request = TestConnectionRequest {
            connection: build(),
            secret: typed_secret(),
        };
        spawn_local(async move {
            match ipc::test_connection(request).await {
                Ok(d) => {
                    diagnosis.try_set(Some(d));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let save = move |open: bool| {
        busy.set(true);
        error.set(None);
        let request = SaveConnectionRequest {
            connection: build(),
            secret: typed_secret(),
            keep: if keep_in_keyring.get_untracked() {
                KeepSecret::Keyring
            } else {
                KeepSecret::Session
            },
        };
        spawn_local(async move {
            match ipc::save_connection(request).await {
                Ok(saved) => {
                    let saved_id = saved.entry.connection.id.clone();
                    id.try_set(saved_id.clone());
                    secret.try_set(String::new());
                    secret_place.try_set(saved.entry.secret);
                    if open {
                        match ipc::open_connection(saved_id).await {
                            Ok(store) => opener.opened(store),
                            Err(e) => {
                                error.try_set(Some(e));
                            }
                        }
                    } else {
                        ui.show_list();
                    }
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let browse = move |choice: PathChoice, into: RwSignal<String>| {
        spawn_local(async move {
            match ipc::pick_path(choice).await {
                Ok(Some(path)) => {
                    if into == target && name.get_untracked().trim().is_empty() {
                        let short: Vec<&str> = path.rsplit('/').filter(|p| !p.is_empty()).take(2).collect();
                        name.set(short.into_iter().rev().collect::<Vec<_>>().join("/"));
                    }
                    into.set(path);
                }
                Ok(None) => {}
                Err(e) => error.set(Some(e)),
            }
        });
    };

    let secret_word = move || {
        if auth.get() == AuthKind::Bearer {
            "token"
        } else {
            "password"
        }
    };
    let secret_placeholder = move || match secret_place.get() {
        SecretPlace::Keyring => format!("stored in the keyring — leave empty to keep it ({})", secret_word()),
        SecretPlace::Session => format!("kept for this session — leave empty to keep it ({})", secret_word()),
        _ => String::new(),
    };
    let is_server = move || kind.get() == TargetKind::Server;
    let kind_choice = move |value: TargetKind, label: &'static str, element_id: &'static str| {
        view! {
            <label class="segment" class:selected=move || kind.get() == value>
                <input type="radio" name="connection-kind" id=element_id prop:checked=move || kind.get() == value
                    on:change=move |_| kind.set(value) />
                {label}
            </label>
        }
    };

    view! {
        <header class="connections-head">
            <h2 id="connections-title">{if adding { "Add a connection" } else { "Edit the connection" }}</h2>
            <button type="button" class="quiet" title="Back to the connections" id="editor-back"
                on:click=move |_| ui.show_list()>"← All connections"</button>
        </header>
        <form class="connection-editor" id="connection-editor" on:submit=move |ev| { ev.prevent_default(); save(true); }>
            <div class="segments" role="radiogroup" aria-label="Kind of store">
                {kind_choice(TargetKind::Server, "Tracking server", "kind-server")}
                {kind_choice(TargetKind::Sqlite, "mlflow.db file", "kind-sqlite")}
                {kind_choice(TargetKind::Folder, "mlruns folder", "kind-folder")}
            </div>
            <label for="connection-target">{move || match kind.get() {
                TargetKind::Server => "Server URL (a path prefix is fine: https://host/mlflow)",
                TargetKind::Sqlite => "Path to mlflow.db",
                TargetKind::Folder => "Path to the mlruns folder",
            }}</label>
            <div class="row">
                <input id="connection-target" type="text" spellcheck="false" autocomplete="off"
                    placeholder=move || if is_server() { "https://mlflow.example.com" } else { "/home/me/project/mlflow.db" }
                    prop:value=move || target.get() on:input=move |ev| target.set(event_target_value(&ev)) />
                <Show when=move || !is_server()>
                    <button type="button" id="browse-target" on:click=move |_| browse(
                        if kind.get_untracked() == TargetKind::Folder { PathChoice::StoreFolder } else { PathChoice::SqliteFile },
                        target,
                    )>"Browse…"</button>
                </Show>
            </div>
            <label for="connection-name">"Name"</label>
            <input id="connection-name" type="text" autocomplete="off" placeholder="e.g. Team server"
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            <Show when=is_server>
                <fieldset class="editor-group">
                    <legend>"Authentication"</legend>
                    <select id="connection-auth" on:change=move |ev| {
                        let value = event_target_value(&ev);
                        auth.set(match value.as_str() { "basic" => AuthKind::Basic, "bearer" => AuthKind::Bearer, _ => AuthKind::None });
                    }>
                        <option value="none" selected=move || auth.get() == AuthKind::None>"None"</option>
                        <option value="basic" selected=move || auth.get() == AuthKind::Basic>"User and password (Basic)"</option>
                        <option value="bearer" selected=move || auth.get() == AuthKind::Bearer>"Token (Bearer)"</option>
                    </select>
                    <Show when=move || auth.get() == AuthKind::Basic>
                        <label for="connection-username">"User name"</label>
                        <input id="connection-username" type="text" autocomplete="off" spellcheck="false"
                            prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) />
                    </Show>
                    <Show when=move || auth.get().needs_secret()>
                        <label for="connection-secret">{move || if auth.get() == AuthKind::Bearer { "Token" } else { "Password" }}</label>
                        <input id="connection-secret" type="password" autocomplete="off"
                            placeholder=secret_placeholder
                            prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev)) />
                        {move || if keyring_down.get() {
                            view! {
                                <p class="notice-warn" id="keyring-warning">
                                    "No keyring service is running, so the " {secret_word} " cannot be stored. "
                                    "It will be used for this session only: Runlens asks for it again after a restart."
                                </p>
                            }.into_any()
                        } else {
                            view! {
                                <label class="check">
                                    <input type="checkbox" id="keep-in-keyring" prop:checked=move || keep_in_keyring.get()
                                        on:change=move |ev| keep_in_keyring.set(event_target_checked(&ev)) />
                                    "Remember it in the system keyring (otherwise: this session only)"
                                </label>
                            }.into_any()
                        }}
                    </Show>
                </fieldset>
                <fieldset class="editor-group">
                    <legend>"TLS"</legend>
                    <label for="connection-ca">"Extra CA certificate file (PEM), besides the system's"</label>
                    <div class="row">
                        <input id="connection-ca" type="text" spellcheck="false" autocomplete="off" placeholder="optional"
                            prop:value=move || ca.get() on:input=move |ev| ca.set(event_target_value(&ev)) />
                        <button type="button" id="browse-ca" on:click=move |_| browse(PathChoice::Certificate, ca)>"Browse…"</button>
                    </div>
                    <label class="check">
                        <input type="checkbox" id="connection-insecure" prop:checked=move || insecure.get()
                            on:change=move |ev| insecure.set(event_target_checked(&ev)) />
                        "Skip certificate verification"
                    </label>
                    <Show when=move || insecure.get()>
                        <p class="notice-danger" id="insecure-warning" role="alert">
                            <strong>"Certificates will not be checked. "</strong>
                            "Anyone between you and the server could read or change the traffic, password included. "
                            "Prefer adding the server's CA certificate file."
                        </p>
                    </Show>
                </fieldset>
            </Show>
            {move || diagnosis.get().map(|d| {
                let tag = problem_tag(&d.problem);
                let state = if !d.ok { "fail" } else if d.problem.is_some() { "warn" } else { "ok" };
                view! {
                    <div class=format!("diagnosis {state}") id="diagnosis" data-problem=tag data-state=state role="status">
                        <strong id="diagnosis-summary">{d.summary.clone()}</strong>
                        {(!d.notes.is_empty()).then(|| view! {
                            <ul class="diagnosis-notes">{d.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}</ul>
                        })}
                        {d.error.clone().and_then(|e| e.detail).map(|detail| view! {
                            <details><summary>"Details"</summary><pre>{detail}</pre></details>
                        })}
                    </div>
                }
            })}
            <div id="editor-error">{move || error.get().map(|error| view! { <ErrorBanner error /> })}</div>
            <div class="modal-actions editor-actions">
                <button type="button" id="test-connection" disabled=move || busy.get() on:click=test>"Test connection"</button>
                <span class="spacer"></span>
                <button type="button" id="editor-cancel" on:click=move |_| ui.show_list()>"Cancel"</button>
                <button type="button" id="save-connection" disabled=move || busy.get() on:click=move |_| save(false)>"Save"</button>
                <button type="submit" id="save-open-connection" class="primary" disabled=move || busy.get()>"Save and open"</button>
            </div>
            <Show when=move || busy.get()><p class="busy muted">"Working…"</p></Show>
        </form>
    }
}
