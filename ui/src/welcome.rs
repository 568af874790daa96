//! The welcome screen: shown when no store was found at start (or the chosen one failed).

use crate::app::{ErrorBanner, Shell};
use crate::ipc;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_core::ApiError;

#[component]
pub fn Welcome(looked_at: Vec<String>, failed: Option<(String, ApiError)>) -> impl IntoView {
    let shell = expect_context::<Shell>();
    let error = RwSignal::new(failed.as_ref().map(|(_, e)| e.clone()));
    let busy = RwSignal::new(false);
    let connections = crate::connections::use_connections();

    let attempt = move |fut: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Option<runlens_core::ipc::StoreSummary>, ApiError>>>,
    >| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match fut.await {
                Ok(Some(store)) => shell.opened(store),
                Ok(None) => {}
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let open_demo = move |_| attempt(Box::pin(async { ipc::open_demo().await.map(Some) }));
    let pick = move |_| attempt(Box::pin(ipc::pick_local_store()));
    let looked = (!looked_at.is_empty()).then(|| {
        view! {
            <div class="looked">
                <p>"No MLflow store found. Runlens looked at:"</p>
                <ul>{looked_at.iter().map(|p| view! { <li><code>{p.clone()}</code></li> }).collect_view()}</ul>
            </div>
        }
    });
    let attempted = failed.map(|(what, _)| view! { <p class="looked">"Could not open " <code>{what}</code></p> });

    view! {
        <div class="welcome" id="welcome">
            <h1>"Runlens"</h1>
            <p class="tagline">"Browse and compare your MLflow runs: a local mlflow.db, an mlruns/ folder or a tracking server."</p>
            {looked}
            {attempted}
            {move || error.get().map(|e| view! { <ErrorBanner error=e /> })}
            <div class="choices">
                <button id="open-demo" class="primary" on:click=open_demo disabled=move || busy.get()>"Open demo workspace"</button>
                <button id="open-local" on:click=pick disabled=move || busy.get()>"Open local store…"</button>
                <button id="connect-server" on:click=move |_| connections.add_server() disabled=move || busy.get()>"Connect to server…"</button>
                <button id="show-connections" class="quiet" on:click=move |_| connections.show_list() disabled=move || busy.get()>"Connections and recent stores…"</button>
            </div>
            <p class="hint">"Servers may need a login: saved connections keep passwords and tokens in the system keyring. MLFLOW_TRACKING_URI and its credential variables are honoured as MLflow honours them."</p>
            <Show when=move || busy.get()><p class="busy">"Opening…"</p></Show>
        </div>
    }
}
