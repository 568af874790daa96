//! Live updates in the webview: asks the shell about once a second (while the window is visible)
//! what changed in the open store and how the link to it is, and turns that into
//!
//! - [`Live::tick`]: bumped at most every two seconds with the changes since the last tick; views
//!   re-read what they show through their own refresh paths (the runs table's `RunsLoader`, the
//!   run page's `reload`, the metric chart's history) — see [`on_tick`];
//! - [`LinkBanner`]: the banner of a lost server connection (what is on screen stays; the shell
//!   reconnects on its own); [`LinkStatus`]: the link's state in the status bar.
//!
//! While the window is hidden nothing is asked, and the shell pauses its server checks.

use crate::app::ErrorBanner;
use crate::ipc;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_core::connection::{Changes, LinkState, LiveRequest};

/// How often the shell is asked.
const POLL_MS: u64 = 1_000;
/// Views re-read at most this often while a writer keeps changing the store.
const MIN_TICK_MS: f64 = 2_000.0;

/// One batch of changes for the views.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tick {
    /// 0 before the first change.
    pub number: u64,
    pub changes: Changes,
}

/// The live state of the open store, provided by the workspace.
#[derive(Clone, Copy)]
pub struct Live {
    pub tick: RwSignal<Tick>,
    pub link: RwSignal<LinkState>,
    /// The last generation seen (`None` before the first answer).
    seen: StoredValue<Option<u64>>,
    pending: StoredValue<Changes>,
    last_tick_at: StoredValue<f64>,
    asking: StoredValue<bool>,
}

impl Live {
    fn ask(&self, visible: bool) {
        if self.asking.get_value() {
            return;
        }
        self.asking.set_value(true);
        let this = *self;
        let since = self.seen.get_value().unwrap_or(0);
        spawn_local(async move {
            let answer = ipc::live_status(LiveRequest { since, visible }).await;
            // `Some` gives the value back: the workspace is gone.
            if this.asking.try_set_value(false).is_some() {
                return;
            }
            let Ok(status) = answer else { return };
            if this.link.with_untracked(|l| l != &status.link) {
                this.link.set(status.link.clone());
            }
            match this.seen.get_value() {
                // The first answer only sets where we are: the views have just read everything.
                None => this.seen.set_value(Some(status.generation)),
                Some(seen) if status.generation != seen => {
                    this.seen.set_value(Some(status.generation));
                    this.pending.update_value(|p| p.merge(&status.changes));
                }
                Some(_) => {}
            }
            this.flush();
        });
    }

    /// Hands pending changes to the views, at most every [`MIN_TICK_MS`].
    fn flush(&self) {
        let now = js_sys::Date::now();
        if self.pending.with_value(Changes::is_empty) || now - self.last_tick_at.get_value() < MIN_TICK_MS {
            return;
        }
        let changes = self.pending.try_update_value(std::mem::take).unwrap_or_default();
        self.last_tick_at.set_value(now);
        self.tick.update(|t| {
            t.number += 1;
            t.changes = changes;
        });
    }
}

/// Starts asking the shell and provides [`Live`] to the views below.
pub fn provide() -> Live {
    let live = Live {
        tick: RwSignal::new(Tick::default()),
        link: RwSignal::new(LinkState::Watching),
        seen: StoredValue::new(None),
        pending: StoredValue::new(Changes::default()),
        last_tick_at: StoredValue::new(0.0),
        asking: StoredValue::new(false),
    };
    provide_context(live);
    live.ask(true);
    let poll = move || {
        if !document().hidden() {
            live.ask(true);
        }
    };
    if let Ok(handle) = set_interval_with_handle(poll, std::time::Duration::from_millis(POLL_MS)) {
        on_cleanup(move || handle.clear());
    }
    // Hidden: tell the shell at once (its server checks pause); shown again: ask at once.
    let visibility = window_event_listener_untyped("visibilitychange", move |_| {
        live.ask(!document().hidden());
    });
    on_cleanup(move || visibility.remove());
    live
}

/// Runs `f` with each new batch of changes (never for the first, empty state). Does nothing
/// outside a workspace.
pub fn on_tick(f: impl Fn(&Changes) + 'static) {
    let Some(live) = use_context::<Live>() else { return };
    Effect::new(move |_| {
        let tick = live.tick.get();
        if tick.number > 0 {
            f(&tick.changes);
        }
    });
}

/// "x s" or "x min" from now until `ms`.
fn until(ms: i64) -> String {
    let seconds = ((ms as f64 - js_sys::Date::now()) / 1000.0).ceil().max(0.0) as i64;
    if seconds < 90 {
        format!("{seconds} s")
    } else {
        format!("{} min", (seconds + 30) / 60)
    }
}

/// The banner shown while the server cannot be reached or refuses the credentials.
#[component]
pub fn LinkBanner() -> impl IntoView {
    let Some(live) = use_context::<Live>() else {
        return ().into_any();
    };
    // Re-render each second so the countdown moves.
    let clock = RwSignal::new(0_u32);
    if let Ok(handle) = set_interval_with_handle(
        move || clock.update(|n| *n += 1),
        std::time::Duration::from_millis(1000),
    ) {
        on_cleanup(move || handle.clear());
    }
    (move || match live.link.get() {
        LinkState::Lost {
            error,
            attempts,
            next_try,
            ..
        } => {
            clock.track();
            let next = until(next_try);
            let tries = if attempts == 1 {
                "1 try".to_string()
            } else {
                format!("{attempts} tries")
            };
            view! {
                <div class="link-banner lost" id="link-banner" role="status" data-state="lost">
                    <strong>"Lost the connection to the server."</strong>
                    <span>" What is on screen stays; Runlens reconnects on its own (" {tries} ", next in " {next} ")."</span>
                    <ErrorBanner error />
                </div>
            }
            .into_any()
        }
        LinkState::Rejected { error } => view! {
            <div class="link-banner rejected" id="link-banner" role="status" data-state="rejected">
                <strong>"The server no longer accepts the credentials."</strong>
                <span>" Edit the connection to enter new ones."</span>
                <ErrorBanner error />
            </div>
        }
        .into_any(),
        _ => ().into_any(),
    })
    .into_any()
}

/// The link's state for the status bar.
#[component]
pub fn LinkStatus() -> impl IntoView {
    let Some(live) = use_context::<Live>() else {
        return ().into_any();
    };
    (move || {
        let (class, text, title) = match live.link.get() {
            LinkState::Watching => (
                "live",
                "● live".to_string(),
                "Changes to the store's files show as they happen".to_string(),
            ),
            LinkState::Polling { why } => ("live", "● refreshing every 5 s".to_string(), why),
            LinkState::Connected { every_ms } => (
                "live",
                "● connected".to_string(),
                format!(
                    "The server is asked every {} s while this window is visible",
                    every_ms / 1000
                ),
            ),
            LinkState::Lost { attempts, .. } => (
                "lost",
                format!("● reconnecting… ({attempts})"),
                "The server does not answer; Runlens keeps trying with growing pauses".to_string(),
            ),
            LinkState::Rejected { .. } => ("lost", "● credentials rejected".to_string(), String::new()),
            LinkState::Paused => (
                "paused",
                "● paused".to_string(),
                "Checks pause while the window is hidden".to_string(),
            ),
            LinkState::Closed => ("paused", String::new(), String::new()),
        };
        view! { <span class=format!("link-status {class}") id="link-status" title=title>{text}</span> }
    })
    .into_any()
}
