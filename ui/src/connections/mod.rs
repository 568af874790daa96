//! The connection manager: saved connections (local `mlflow.db` files, `mlruns/` folders and
//! tracking servers) with where their secrets are kept, recently opened stores, the store MLflow's
//! environment names, and an editor with "Test connection".
//!
//! Shown as a dialog over the welcome screen or the workspace: [`provide`] once at the root,
//! [`ConnectionManager`] once in the root view, then [`ConnectionsUi`] from any component
//! (`show_list`, `add_server`, `edit_by_id`). Passwords and tokens typed here go to the shell,
//! which keeps them in the OS keyring; the shell never sends one back.
//!
//! Stable ids for tests: `#connection-manager`, `#connection-list`, `.connection-row`
//! (`data-connection-id`), `#recent-list`, `#connection-editor`, `#connection-*` fields,
//! `#test-connection`, `#save-connection`, `#save-open-connection`, `#diagnosis`
//! (`data-problem`), `#editor-error`, `#keyring-warning`, `#insecure-warning`.

mod editor;
pub mod live;

use crate::app::{age, ErrorBanner, Shell};
use crate::dialog::{use_confirm, Confirmation};
use crate::ipc;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_core::connection::*;
use runlens_core::ipc::{StoreKind, StoreSummary};
use runlens_core::{ApiError, ErrorCode};

/// What the manager shows.
#[derive(Clone, Debug, PartialEq)]
enum Panel {
    List,
    Edit(editor::Draft),
}

/// Opens and closes the connection manager.
#[derive(Clone, Copy)]
pub struct ConnectionsUi {
    panel: RwSignal<Option<Panel>>,
}

impl ConnectionsUi {
    pub fn show_list(&self) {
        self.panel.set(Some(Panel::List));
    }

    /// The editor for a new server connection.
    pub fn add_server(&self) {
        self.panel
            .set(Some(Panel::Edit(editor::Draft::new(editor::TargetKind::Server))));
    }

    /// The editor for a new local store.
    pub fn add_local(&self) {
        self.panel
            .set(Some(Panel::Edit(editor::Draft::new(editor::TargetKind::Sqlite))));
    }

    fn edit(&self, entry: &ConnectionEntry, message: Option<ApiError>) {
        self.panel.set(Some(Panel::Edit(editor::Draft::of(entry, message))));
    }

    /// The editor for a saved connection, with a message (e.g. "enter the password").
    pub fn edit_by_id(&self, id: String, message: Option<ApiError>) {
        let this = *self;
        spawn_local(async move {
            match ipc::list_connections().await {
                Ok(overview) => match overview.connections.iter().find(|e| e.connection.id == id) {
                    Some(entry) => this.edit(entry, message),
                    None => this.show_list(),
                },
                Err(_) => this.show_list(),
            }
        });
    }

    pub fn close(&self) {
        self.panel.set(None);
    }

    fn is_open(&self) -> bool {
        self.panel.with(Option::is_some)
    }
}

/// Makes [`ConnectionsUi`] available below the caller.
pub fn provide() -> ConnectionsUi {
    let ui = ConnectionsUi {
        panel: RwSignal::new(None),
    };
    provide_context(ui);
    ui
}

pub fn use_connections() -> ConnectionsUi {
    expect_context::<ConnectionsUi>()
}

/// Switches the window to a store that was just opened. (Contexts are looked up before any
/// `await`: after one, there is no owner to find them.)
#[derive(Clone, Copy)]
struct Opener {
    ui: ConnectionsUi,
    shell: Shell,
}

impl Opener {
    fn new() -> Opener {
        Opener {
            ui: use_connections(),
            shell: expect_context::<Shell>(),
        }
    }

    fn opened(&self, store: StoreSummary) {
        self.ui.close();
        self.shell.opened(store);
    }
}

/// The manager's dialog; place it once in the root view.
#[component]
pub fn ConnectionManager() -> impl IntoView {
    let ui = use_connections();
    let confirm = use_confirm();
    let keys = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        if ev.key() == "Escape" && ui.is_open() && !confirm.is_open() {
            ev.prevent_default();
            ui.close();
        }
    });
    on_cleanup(move || keys.remove());
    move || {
        ui.panel.get().map(|panel| {
            let list = panel == Panel::List;
            let body = match panel {
                Panel::List => view! { <ConnectionList /> }.into_any(),
                Panel::Edit(draft) => view! { <editor::Editor draft /> }.into_any(),
            };
            view! {
                // A click outside closes the list; the editor keeps what was typed.
                <div class="modal-backdrop" on:click=move |_| if list { ui.close() }>
                    <div class="modal connections-modal" id="connection-manager" role="dialog" aria-modal="true"
                        aria-labelledby="connections-title" on:click=|ev| ev.stop_propagation()>
                        {body}
                    </div>
                </div>
            }
        })
    }
}

/// A short label of where a secret is.
pub fn secret_label(entry: &ConnectionEntry) -> Option<(&'static str, String)> {
    let what = if entry.connection.auth == AuthKind::Bearer {
        "token"
    } else {
        "password"
    };
    match entry.secret {
        SecretPlace::NotNeeded => None,
        SecretPlace::Keyring => Some(("ok", format!("{what} in keyring"))),
        SecretPlace::Session => Some(("warn", format!("{what} for this session only"))),
        SecretPlace::Missing => Some(("warn", format!("{what} needed"))),
    }
}

fn kind_label(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Sqlite => "mlflow.db",
        StoreKind::File => "mlruns",
        StoreKind::Rest => "server",
    }
}

#[component]
fn ConnectionList() -> impl IntoView {
    let ui = use_connections();
    let confirm = use_confirm();
    let reload = RwSignal::new(0_u32);
    let overview = LocalResource::new(move || {
        reload.track();
        ipc::list_connections()
    });
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(None::<String>);
    let opener = Opener::new();

    let open_entry = move |id: String| {
        busy.set(Some(id.clone()));
        error.set(None);
        spawn_local(async move {
            match ipc::open_connection(id.clone()).await {
                Ok(store) => opener.opened(store),
                // No password, or a rejected one: the editor asks for it.
                Err(e) if e.code == ErrorCode::Unauthenticated => ui.edit_by_id(id, Some(e)),
                Err(e) => error.set(Some(e)),
            }
            busy.try_set(None);
        });
    };
    let open_uri = move |uri: String| {
        busy.set(Some(uri.clone()));
        error.set(None);
        spawn_local(async move {
            match ipc::open_store(uri).await {
                Ok(store) => opener.opened(store),
                Err(e) => error.set(Some(e)),
            }
            busy.try_set(None);
        });
    };
    let remove = move |entry: ConnectionEntry| {
        let id = entry.connection.id.clone();
        let secret = if entry.secret == SecretPlace::NotNeeded {
            String::new()
        } else {
            " Its saved password or token is deleted from the keyring.".to_string()
        };
        confirm.ask(
            Confirmation {
                title: format!("Remove the connection {:?}?", entry.connection.name),
                body: format!("The store itself is not touched.{secret}"),
                items: vec![entry.connection.target.clone()],
                confirm_label: "Remove".into(),
                danger: true,
            },
            move || {
                let id = id.clone();
                spawn_local(async move {
                    if let Err(e) = ipc::remove_connection(id).await {
                        error.set(Some(e));
                    }
                    reload.update(|n| *n += 1);
                });
            },
        );
    };
    let forget = move |recent: RecentStore| {
        spawn_local(async move {
            if let Err(e) = ipc::forget_recent(recent.uri, recent.connection).await {
                error.set(Some(e));
            }
            reload.update(|n| *n += 1);
        });
    };

    view! {
        <header class="connections-head">
            <h2 id="connections-title">"Connections"</h2>
            <button type="button" class="quiet" id="connections-close" title="Close (Esc)" on:click=move |_| ui.close()>"×"</button>
        </header>
        {move || error.get().map(|error| view! { <ErrorBanner error /> })}
        {move || match overview.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
            Some(Ok(o)) => {
                let names: std::collections::HashMap<String, String> = o
                    .connections
                    .iter()
                    .map(|e| (e.connection.id.clone(), e.connection.name.clone()))
                    .collect();
                let keyring = (!o.keyring.available).then(|| view! {
                    <p class="notice-warn" id="keyring-warning">
                        <strong>"No keyring service is running. "</strong>
                        {o.keyring.problem.clone().unwrap_or_default()}
                        ". Passwords and tokens can be used for this session only: Runlens asks for them again after a restart."
                    </p>
                });
                let environment = o.environment.clone().map(|env| {
                    let uri = env.uri.clone();
                    let auth = match (env.auth, env.username.clone()) {
                        (AuthKind::Basic, Some(user)) => format!("as {user} (MLFLOW_TRACKING_USERNAME / _PASSWORD)"),
                        (AuthKind::Bearer, _) => "with MLFLOW_TRACKING_TOKEN".to_string(),
                        _ => "without credentials".to_string(),
                    };
                    view! {
                        <section class="connection-section">
                            <h3>"From the environment"</h3>
                            <div class="connection-row" id="environment-store">
                                <div class="connection-main">
                                    <span class="connection-name">"MLFLOW_TRACKING_URI"</span>
                                    <code class="connection-target">{env.uri.clone()}</code>
                                    <span class="connection-badges">
                                        <span class="badge">{auth}</span>
                                        {env.insecure_tls.then(|| view! { <span class="badge warn">"TLS checks off (MLFLOW_TRACKING_INSECURE_TLS)"</span> })}
                                    </span>
                                </div>
                                <button type="button" on:click=move |_| open_uri(uri.clone())>"Open"</button>
                            </div>
                        </section>
                    }
                });
                let saved = if o.connections.is_empty() {
                    view! { <p class="muted" id="no-connections">"No saved connections yet."</p> }.into_any()
                } else {
                    o.connections.iter().map(|entry| {
                        let id = entry.connection.id.clone();
                        let secret = secret_label(entry);
                        let auth = match (entry.connection.auth, entry.connection.username.clone()) {
                            (AuthKind::Basic, Some(user)) => Some(format!("user {user}")),
                            (AuthKind::Bearer, _) => Some("token".to_string()),
                            _ => None,
                        };
                        let (for_open, for_edit, for_remove) = (id.clone(), entry.clone(), entry.clone());
                        let is_busy = {
                            let id = id.clone();
                            move || busy.get().as_deref() == Some(id.as_str())
                        };
                        view! {
                            <div class="connection-row" data-connection-id=id.clone() class:current=entry.current>
                                <div class="connection-main">
                                    <span class="connection-name">{entry.connection.name.clone()}</span>
                                    <code class="connection-target">{entry.connection.target.clone()}</code>
                                    <span class="connection-badges">
                                        <span class="badge">{kind_label(entry.kind)}</span>
                                        {auth.map(|a| view! { <span class="badge">{a}</span> })}
                                        {secret.map(|(class, text)| view! { <span class=format!("badge secret {class}")>{text}</span> })}
                                        {entry.connection.insecure_tls.then(|| view! { <span class="badge warn">"TLS checks off"</span> })}
                                        {entry.connection.ca_certificate.is_some().then(|| view! { <span class="badge">"own CA"</span> })}
                                        {entry.current.then(|| view! { <span class="badge ok">"open"</span> })}
                                        {entry.last_opened.map(|t| view! { <span class="when">{age(Some(t))}</span> })}
                                    </span>
                                </div>
                                <div class="connection-actions">
                                    <button type="button" class="open-connection primary" disabled=is_busy
                                        on:click=move |_| open_entry(for_open.clone())>"Open"</button>
                                    <button type="button" class="edit-connection" on:click=move |_| ui.edit(&for_edit, None)>"Edit"</button>
                                    <button type="button" class="remove-connection quiet" title="Remove this connection"
                                        on:click=move |_| remove(for_remove.clone())>"Remove"</button>
                                </div>
                            </div>
                        }
                    }).collect_view().into_any()
                };
                let recent = (!o.recent.is_empty()).then(|| {
                    let rows = o.recent.iter().map(|r| {
                        let label = r
                            .connection
                            .as_ref()
                            .and_then(|id| names.get(id).cloned())
                            .unwrap_or_else(|| r.uri.clone());
                        let current = o.current_uri.as_deref() == Some(r.uri.as_str());
                        let (for_open, for_forget) = (r.clone(), r.clone());
                        view! {
                            <li class="recent-row" class:current=current>
                                <button type="button" class="recent-open" title=r.uri.clone()
                                    on:click=move |_| match for_open.connection.clone() {
                                        Some(id) => open_entry(id),
                                        None => open_uri(for_open.uri.clone()),
                                    }>
                                    <span class="recent-label">{label}</span>
                                    {r.connection.is_some().then(|| view! { <code class="recent-uri">{r.uri.clone()}</code> })}
                                </button>
                                <span class="when">{age(Some(r.opened_at))}</span>
                                <button type="button" class="quiet forget-recent" title="Remove from this list"
                                    on:click=move |_| forget(for_forget.clone())>"×"</button>
                            </li>
                        }
                    }).collect_view();
                    view! {
                        <section class="connection-section">
                            <h3>"Recently opened"</h3>
                            <ul class="recent-list" id="recent-list">{rows}</ul>
                        </section>
                    }
                });
                view! {
                    {keyring}
                    {environment}
                    <section class="connection-section">
                        <h3>"Saved connections"</h3>
                        <div id="connection-list">{saved}</div>
                    </section>
                    {recent}
                }.into_any()
            }
        }}
        <div class="modal-actions">
            <button type="button" id="add-local" on:click=move |_| ui.add_local()>"Add local store…"</button>
            <button type="button" id="add-server" class="primary" on:click=move |_| ui.add_server()>"Add server…"</button>
        </div>
    }
}
