//! Watching a local store's files (`notify`: inotify on Linux) and telling [`Live`] what changed:
//! for an `mlruns/` folder the experiments and runs whose files changed, for an `mlflow.db`
//! "everything" (a database file does not say which rows changed).
//!
//! Reads leave no trace here: only creations, writes, renames and removals count (never opens,
//! reads or attribute changes), so Runlens reading the store never wakes itself up. The SQLite
//! shared-memory file (`-shm`), which readers write to, is ignored for the same reason.

use crate::live::Live;
use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecursiveMode, Watcher};
use runlens_core::connection::Changes;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// What is watched, and how paths map to changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watched {
    /// The database file (its folder is watched: SQLite replaces and adds files beside it).
    Sqlite(PathBuf),
    /// The root of an `mlruns/` folder, watched recursively.
    FileStore(PathBuf),
}

/// Starts watching; the watcher stops when dropped. Errors say why watching is impossible (the
/// caller then falls back to polling).
pub fn start(live: Arc<Live>, epoch: u64, watched: Watched) -> Result<notify::RecommendedWatcher, String> {
    let target = watched.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if !counts(&event.kind) {
            return;
        }
        let mut changes = Changes::default();
        for path in &event.paths {
            changes.merge(&changes_for(&target, path));
        }
        live.record(epoch, changes);
    })
    .map_err(|e| e.to_string())?;
    match &watched {
        Watched::Sqlite(db) => {
            let folder = db
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            watcher.watch(folder, RecursiveMode::NonRecursive)
        }
        Watched::FileStore(root) => watcher.watch(root, RecursiveMode::Recursive),
    }
    .map_err(|e| e.to_string())?;
    Ok(watcher)
}

/// Whether an event means the store's content may have changed.
fn counts(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other | EventKind::Any => false,
    }
}

/// What a changed path means for the watched store.
pub fn changes_for(watched: &Watched, path: &Path) -> Changes {
    match watched {
        Watched::Sqlite(db) => {
            let (Some(name), Some(db_name)) = (path.file_name(), db.file_name()) else {
                return Changes::default();
            };
            let (name, db_name) = (name.to_string_lossy(), db_name.to_string_lossy());
            let ours = name == db_name || name == format!("{db_name}-wal") || name == format!("{db_name}-journal");
            Changes {
                everything: ours,
                ..Changes::default()
            }
        }
        Watched::FileStore(root) => {
            let Ok(relative) = path.strip_prefix(root) else {
                return Changes::default();
            };
            let parts: Vec<String> = relative
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().to_string()),
                    _ => None,
                })
                .collect();
            match parts.as_slice() {
                // The root itself, or the registry and the bin: anything may have moved.
                [] => Changes {
                    everything: true,
                    ..Changes::default()
                },
                [first, ..] if first == ".trash" || first == "models" => Changes {
                    everything: true,
                    ..Changes::default()
                },
                // Temporary files of an atomic rename directly under the root.
                [first] if first.starts_with('.') => Changes::default(),
                [experiment] => Changes {
                    experiments: vec![experiment.clone()],
                    ..Changes::default()
                },
                [experiment, second, ..] if is_run_id(second) => Changes {
                    experiments: vec![experiment.clone()],
                    runs: vec![second.clone()],
                    ..Changes::default()
                },
                // meta.yaml, tags/, datasets/, traces/, models/ of an experiment.
                [experiment, ..] => Changes {
                    experiments: vec![experiment.clone()],
                    ..Changes::default()
                },
            }
        }
    }
}

/// MLflow's run ids: 32 lowercase hex digits.
fn is_run_id(name: &str) -> bool {
    name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlens_core::connection::LinkState;
    use std::time::{Duration, Instant};

    const RUN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn file_store_paths_name_experiments_and_runs() {
        let root = PathBuf::from("/data/mlruns");
        let w = Watched::FileStore(root.clone());
        let c = changes_for(&w, &root.join("7").join(RUN).join("metrics/loss"));
        assert_eq!(
            (c.experiments, c.runs, c.everything),
            (vec!["7".into()], vec![RUN.into()], false)
        );
        let c = changes_for(&w, &root.join("7/meta.yaml"));
        assert_eq!((c.experiments, c.runs.len()), (vec!["7".into()], 0));
        assert!(changes_for(&w, &root.join(".trash/7")).everything);
        assert!(changes_for(&w, &root.join("models/m/version-1/meta.yaml")).everything);
        assert!(changes_for(&w, &root.join(".tmp123")).is_empty());
        assert!(changes_for(&w, Path::new("/elsewhere/x")).is_empty());
    }

    #[test]
    fn sqlite_changes_ignore_shared_memory_and_other_files() {
        let w = Watched::Sqlite(PathBuf::from("/d/mlflow.db"));
        assert!(changes_for(&w, Path::new("/d/mlflow.db")).everything);
        assert!(changes_for(&w, Path::new("/d/mlflow.db-wal")).everything);
        assert!(changes_for(&w, Path::new("/d/mlflow.db-journal")).everything);
        assert!(changes_for(&w, Path::new("/d/mlflow.db-shm")).is_empty());
        assert!(changes_for(&w, Path::new("/d/notes.txt")).is_empty());
    }

    fn wait_for_generation(live: &Live, above: u64) -> runlens_core::connection::LiveStatus {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let s = live.status(above, true);
            if s.generation > above {
                return s;
            }
            assert!(Instant::now() < until, "no change was seen");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[test]
    fn writes_are_seen_and_reads_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("mlruns");
        let run_dir = root.join("3").join(RUN).join("metrics");
        std::fs::create_dir_all(&run_dir).unwrap();
        std::fs::write(run_dir.join("loss"), "1 0.5 0\n").unwrap();
        let live = Arc::new(Live::default());
        let epoch = live.begin(LinkState::Watching);
        let _watcher = start(live.clone(), epoch, Watched::FileStore(root.clone())).unwrap();

        // Reading changes nothing.
        let _ = std::fs::read_to_string(run_dir.join("loss")).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(live.status(0, true).generation, 0, "a read must not count");

        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(run_dir.join("loss"))
            .unwrap();
        f.write_all(b"2 0.4 1\n").unwrap();
        drop(f);
        let s = wait_for_generation(&live, 0);
        assert_eq!(s.changes.runs, [RUN]);
        assert_eq!(s.changes.experiments, ["3"]);

        // A new run folder (made after the watch started) is watched too.
        let other = "fedcba9876543210fedcba9876543210";
        std::fs::create_dir_all(root.join("3").join(other).join("metrics")).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let g = live.status(0, true).generation;
        std::fs::write(root.join("3").join(other).join("metrics/acc"), "1 0.9 0\n").unwrap();
        let s = wait_for_generation(&live, g);
        assert!(s.changes.runs.iter().any(|r| r == other), "{s:?}");
    }

    #[test]
    fn a_database_write_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("mlflow.db");
        std::fs::write(&db, b"x").unwrap();
        let live = Arc::new(Live::default());
        let epoch = live.begin(LinkState::Watching);
        let _watcher = start(live.clone(), epoch, Watched::Sqlite(db.clone())).unwrap();
        std::fs::write(dir.path().join("unrelated.txt"), b"x").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(live.status(0, true).generation, 0);
        std::fs::write(&db, b"xy").unwrap();
        assert!(wait_for_generation(&live, 0).changes.everything);
    }
}
