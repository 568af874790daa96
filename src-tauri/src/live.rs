//! Keeping what the window shows current: a generation counter with what changed at each step,
//! and the state of the link to the open store.
//!
//! - Local stores: `watch.rs` turns file events into [`Changes`] (which experiments and runs of an
//!   `mlruns/` folder, or "everything" for an `mlflow.db`).
//! - Servers: [`follow_server`] asks the server for its version every few seconds while the
//!   window is visible, records a change after each answer (the webview then re-reads its RUNNING
//!   runs), and when the server stops answering marks the link lost and tries again with
//!   exponential backoff.
//!
//! The webview asks [`Live::status`] about once a second while it is visible (the `live_status`
//! command); that is also how the shell knows the window is visible, so checks pause while it is
//! hidden. Each store opened gets a new epoch: tasks of a previous store stop on their own.

use runlens_core::connection::{Changes, LinkState, LiveStatus};
use runlens_core::ErrorCode;
use runlens_tracking::Tracking;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a server that answers is asked again.
pub const SERVER_POLL: Duration = Duration::from_secs(5);
/// Retries after a lost connection wait 1, 2, 4 ... seconds, at most this long.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long a server may take to answer a check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);
/// The window counts as visible this long after its last visible poll.
const VISIBLE_GRACE: Duration = Duration::from_secs(4);
/// How many steps of changes are kept; a webview further behind re-reads everything.
const LOG_LENGTH: usize = 256;
/// Changes closer together than this are one step (a writer logging fast makes many events).
const COALESCE: Duration = Duration::from_millis(250);

struct Inner {
    epoch: u64,
    generation: u64,
    /// (generation, what changed then), oldest first.
    log: VecDeque<(u64, Changes, Instant)>,
    link: LinkState,
    last_visible: Option<Instant>,
}

/// Shared by the commands, the file watcher and the server follower.
pub struct Live {
    inner: Mutex<Inner>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            inner: Mutex::new(Inner {
                epoch: 0,
                generation: 0,
                log: VecDeque::new(),
                link: LinkState::Closed,
                last_visible: None,
            }),
        }
    }
}

impl Live {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A store was opened: a new epoch, whose link starts as given.
    pub fn begin(&self, link: LinkState) -> u64 {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.link = link;
        inner.log.clear();
        inner.epoch
    }

    pub fn epoch(&self) -> u64 {
        self.lock().epoch
    }

    /// Records changes made in the store of `epoch` (ignored when another store is open now).
    pub fn record(&self, epoch: u64, changes: Changes) {
        if changes.is_empty() {
            return;
        }
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return;
        }
        inner.generation += 1;
        let generation = inner.generation;
        let now = Instant::now();
        match inner.log.back_mut() {
            Some((g, last, at)) if now.duration_since(*at) < COALESCE => {
                last.merge(&changes);
                *g = generation;
            }
            _ => inner.log.push_back((generation, changes, now)),
        }
        while inner.log.len() > LOG_LENGTH {
            inner.log.pop_front();
        }
    }

    /// Sets the link state of the store of `epoch`.
    pub fn set_link(&self, epoch: u64, link: LinkState) {
        let mut inner = self.lock();
        if inner.epoch == epoch {
            inner.link = link;
        }
    }

    pub fn link(&self) -> LinkState {
        self.lock().link.clone()
    }

    /// What changed after `since`, and the link; notes whether the window is visible.
    pub fn status(&self, since: u64, visible: bool) -> LiveStatus {
        let mut inner = self.lock();
        inner.last_visible = visible.then(Instant::now);
        let generation = inner.generation;
        let mut changes = Changes::default();
        if since < generation {
            let oldest_kept = inner.log.front().map(|(g, _, _)| *g);
            // Steps before the oldest kept one (or before this store) are unknown: re-read all.
            let missed = match oldest_kept {
                Some(oldest) => since + 1 < oldest && inner.log.len() == LOG_LENGTH,
                None => true,
            };
            if missed {
                changes.everything = true;
            }
            for (g, c, _) in &inner.log {
                if *g > since {
                    changes.merge(c);
                }
            }
        }
        LiveStatus {
            generation,
            changes,
            link: inner.link.clone(),
        }
    }

    /// Whether the window asked recently while visible.
    pub fn visible(&self) -> bool {
        self.lock().last_visible.is_some_and(|at| at.elapsed() < VISIBLE_GRACE)
    }
}

/// The wait before try number `attempt` (1-based) after a lost connection.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(5)).min(MAX_BACKOFF)
}

/// Sleeps `wait` in short steps; `false` when the store changed meanwhile.
async fn nap(live: &Live, epoch: u64, wait: Duration) -> bool {
    let until = Instant::now() + wait;
    while Instant::now() < until {
        if live.epoch() != epoch {
            return false;
        }
        tokio::time::sleep((until - Instant::now()).min(Duration::from_millis(250))).await;
    }
    live.epoch() == epoch
}

fn now_ms() -> i64 {
    runlens_tracking::now_ms()
}

/// Follows a server while its store is open (see the module docs). Runs until another store is
/// opened.
pub async fn follow_server(live: Arc<Live>, epoch: u64, tracking: Tracking) {
    let mut attempts: u32 = 0;
    let mut lost_since: Option<i64> = None;
    let mut due = Instant::now() + SERVER_POLL;
    loop {
        if !nap(&live, epoch, Duration::from_millis(250)).await {
            return;
        }
        if !live.visible() {
            if lost_since.is_none() {
                live.set_link(epoch, LinkState::Paused);
            }
            // Back in view: check soon.
            due = due.min(Instant::now() + Duration::from_millis(500));
            continue;
        }
        if matches!(live.link(), LinkState::Paused) {
            live.set_link(
                epoch,
                LinkState::Connected {
                    every_ms: SERVER_POLL.as_millis() as u64,
                },
            );
        }
        if Instant::now() < due {
            continue;
        }
        let answer = tokio::time::timeout(CHECK_TIMEOUT, tracking.version()).await;
        if live.epoch() != epoch {
            return;
        }
        let error = match answer {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(runlens_core::ApiError::from(e)),
            Err(_) => Some(runlens_core::ApiError::new(
                ErrorCode::Timeout,
                format!("the server did not answer within {} s", CHECK_TIMEOUT.as_secs()),
            )),
        };
        match error {
            None => {
                attempts = 0;
                lost_since = None;
                live.set_link(
                    epoch,
                    LinkState::Connected {
                        every_ms: SERVER_POLL.as_millis() as u64,
                    },
                );
                // After an answer (and after a reconnection) the webview re-reads what it shows
                // that may have moved on: RUNNING runs, new runs.
                live.record(
                    epoch,
                    Changes {
                        everything: true,
                        ..Changes::default()
                    },
                );
                due = Instant::now() + SERVER_POLL;
            }
            Some(error) if matches!(error.code, ErrorCode::Unauthenticated | ErrorCode::PermissionDenied) => {
                attempts = 0;
                lost_since = None;
                live.set_link(epoch, LinkState::Rejected { error });
                due = Instant::now() + MAX_BACKOFF;
            }
            Some(error) => {
                attempts += 1;
                let since = *lost_since.get_or_insert_with(now_ms);
                let wait = backoff(attempts);
                live.set_link(
                    epoch,
                    LinkState::Lost {
                        error,
                        since,
                        attempts,
                        next_try: now_ms() + wait.as_millis() as i64,
                    },
                );
                due = Instant::now() + wait;
            }
        }
    }
}

/// For a local store whose files cannot be watched: records "everything" every few seconds
/// while the window is visible, so RUNNING runs still refresh.
pub async fn poll_local(live: Arc<Live>, epoch: u64) {
    loop {
        if !nap(&live, epoch, SERVER_POLL).await {
            return;
        }
        if live.visible() {
            live.record(
                epoch,
                Changes {
                    everything: true,
                    ..Changes::default()
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(ids: &[&str]) -> Changes {
        Changes {
            runs: ids.iter().map(|s| s.to_string()).collect(),
            ..Changes::default()
        }
    }

    #[test]
    fn changes_since_a_generation() {
        let live = Live::default();
        let epoch = live.begin(LinkState::Watching);
        let first = live.status(0, true);
        assert_eq!(first.generation, 0);
        assert!(first.changes.is_empty());
        live.record(epoch, runs(&["a"]));
        live.record(epoch, Changes::default()); // nothing: no step
        let after_a = live.status(0, true);
        assert_eq!(after_a.generation, 1);
        assert_eq!(after_a.changes.runs, ["a"]);
        std::thread::sleep(COALESCE + Duration::from_millis(20));
        live.record(epoch, runs(&["b"]));
        let s = live.status(1, true);
        assert_eq!((s.generation, s.changes.runs.clone()), (2, vec!["b".to_string()]));
        assert!(!s.changes.everything);
        assert!(live.status(2, true).changes.is_empty());
        // An older store's watcher is ignored.
        let next = live.begin(LinkState::Watching);
        live.record(epoch, runs(&["stale"]));
        assert_eq!(live.status(2, true).generation, 2);
        live.record(next, runs(&["c"]));
        assert_eq!(live.status(2, true).changes.runs, ["c"]);
        live.set_link(epoch, LinkState::Closed);
        assert_eq!(live.link(), LinkState::Watching, "an old epoch cannot set the link");
    }

    #[test]
    fn a_webview_far_behind_re_reads_everything() {
        let live = Live::default();
        let epoch = live.begin(LinkState::Watching);
        for n in 0..(LOG_LENGTH + 10) {
            live.record(epoch, runs(&[&format!("r{n}")]));
            // Defeat coalescing without sleeping: mark the last step as old.
            live.lock().log.back_mut().unwrap().2 -= COALESCE * 2;
        }
        assert!(live.status(1, true).changes.everything);
        assert!(
            !live
                .status(live.status(0, true).generation - 1, true)
                .changes
                .everything
        );
    }

    #[test]
    fn visibility_follows_the_polls_and_backoff_grows() {
        let live = Live::default();
        assert!(!live.visible());
        live.status(0, true);
        assert!(live.visible());
        live.status(0, false);
        assert!(!live.visible());
        let waits: Vec<u64> = (1..=8).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_server_that_stops_answering_is_lost_then_found_again() {
        // A port that refuses, then a tiny server that answers /version like MLflow.
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = std_listener.local_addr().unwrap().port();
        drop(std_listener);
        let options = runlens_tracking::ConnectOptions {
            max_retries: 0,
            timeout: Duration::from_secs(2),
            ..Default::default()
        };
        let tracking = Tracking::open(&format!("http://127.0.0.1:{port}"), &options)
            .await
            .unwrap();
        let live = Arc::new(Live::default());
        let epoch = live.begin(LinkState::Connected { every_ms: 5000 });
        live.status(0, true);
        let task = tokio::spawn(follow_server(live.clone(), epoch, tracking));
        // Keep "visible" while waiting, as the webview would.
        let wait_for = |pred: &dyn Fn(&LinkState) -> bool, limit: Duration| {
            let live = live.clone();
            let until = Instant::now() + limit;
            loop {
                let link = live.status(0, true).link;
                if pred(&link) {
                    return link;
                }
                assert!(Instant::now() < until, "link stayed {link:?}");
                std::thread::sleep(Duration::from_millis(100));
            }
        };
        let lost =
            tokio::task::block_in_place(|| wait_for(&|l| matches!(l, LinkState::Lost { .. }), Duration::from_secs(12)));
        match lost {
            LinkState::Lost { error, attempts, .. } => {
                assert_eq!(error.code, ErrorCode::Unreachable);
                assert!(attempts >= 1);
            }
            other => panic!("{other:?}"),
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = [0u8; 2048];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\n3.17.2")
                    .await;
            }
        });
        let before = live.status(0, true).generation;
        tokio::task::block_in_place(|| {
            wait_for(&|l| matches!(l, LinkState::Connected { .. }), Duration::from_secs(12))
        });
        assert!(
            live.status(0, true).generation > before,
            "a reconnection asks for a re-read"
        );
        // Opening another store ends the follower.
        live.begin(LinkState::Closed);
        tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .unwrap()
            .unwrap();
    }
}
