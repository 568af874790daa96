//! Saved reviews: every review in one JSON file, `reviews.json` in the app's data folder (on Linux
//! `$XDG_DATA_HOME/<app id>/`), never in the user's store.
//!
//! Each change reads the file, changes it and writes it back under one lock, so two commands at
//! once never lose each other's update. Writing is atomic (a temporary file in the same folder,
//! flushed to disk, renamed over the old one): a crash leaves the old list or the new one. A file
//! that does not parse is moved aside to `reviews.json.bad` (never overwritten, so nothing in it
//! is lost) and the command that found it says so. A file written by a newer Runlens (a higher
//! `format`) is only read: changing it could drop what that version keeps.

use runlens_core::review::Review;
use runlens_core::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const FILE_NAME: &str = "reviews.json";
/// The file's layout; a later Runlens that changes it raises this.
pub const FORMAT: u64 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct ReviewsFile {
    format: u64,
    reviews: Vec<Review>,
}

/// The reviews file and the lock every change holds.
pub struct Reviews {
    path: PathBuf,
    lock: Mutex<()>,
}

/// The reviews as read, and whether they may be changed.
struct Loaded {
    reviews: Vec<Review>,
    /// Why they may not be: the file was written by a newer Runlens.
    read_only: Option<ApiError>,
}

impl Reviews {
    pub fn new(path: PathBuf) -> Reviews {
        Reviews {
            path,
            lock: Mutex::new(()),
        }
    }

    /// Every review, in the file's order.
    pub fn list(&self) -> Result<Vec<Review>, ApiError> {
        let _held = self.hold();
        Ok(self.load()?.reviews)
    }

    pub fn get(&self, id: &str) -> Result<Review, ApiError> {
        self.list()?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| not_found(id))
    }

    /// Saves a new review (its id must be new).
    pub fn create(&self, review: Review) -> Result<Review, ApiError> {
        let _held = self.hold();
        let mut reviews = self.load_writable()?;
        if reviews.iter().any(|r| r.id == review.id) {
            return Err(ApiError::new(
                ErrorCode::AlreadyExists,
                format!("a review with id {} exists already", review.id),
            ));
        }
        reviews.push(review.clone());
        self.save(&reviews)?;
        Ok(review)
    }

    /// Changes one review; `change` answers whether it changed anything. A change is saved with
    /// `updated_ms` stamped `now`; the review is answered as saved.
    pub fn update(
        &self,
        id: &str,
        now: i64,
        change: impl FnOnce(&mut Review) -> Result<bool, ApiError>,
    ) -> Result<Review, ApiError> {
        let _held = self.hold();
        let mut reviews = self.load_writable()?;
        let review = reviews.iter_mut().find(|r| r.id == id).ok_or_else(|| not_found(id))?;
        if !change(review)? {
            return Ok(review.clone());
        }
        review.updated_ms = now;
        let answer = review.clone();
        self.save(&reviews)?;
        Ok(answer)
    }

    pub fn delete(&self, id: &str) -> Result<(), ApiError> {
        let _held = self.hold();
        let mut reviews = self.load_writable()?;
        let before = reviews.len();
        reviews.retain(|r| r.id != id);
        if reviews.len() == before {
            return Err(not_found(id));
        }
        self.save(&reviews)
    }

    fn hold(&self) -> std::sync::MutexGuard<'_, ()> {
        // The lock guards no data: a panic while holding it leaves nothing half-changed in memory.
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn load_writable(&self) -> Result<Vec<Review>, ApiError> {
        let loaded = self.load()?;
        match loaded.read_only {
            Some(why) => Err(why),
            None => Ok(loaded.reviews),
        }
    }

    fn load(&self) -> Result<Loaded, ApiError> {
        let path = &self.path;
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Loaded {
                    reviews: Vec::new(),
                    read_only: None,
                })
            }
            Err(e) => {
                return Err(io_error(
                    format!("cannot read the saved reviews in {}", path.display()),
                    e,
                ))
            }
        };
        let value: serde_json::Value = match serde_json::from_slice(&bytes) {
            Ok(value) => value,
            Err(e) => return Err(self.set_aside(&format!("it is not JSON: {e}"))),
        };
        let Some(format) = value.get("format").and_then(serde_json::Value::as_u64) else {
            return Err(self.set_aside("it has no format number"));
        };
        if format > FORMAT {
            let newer = ApiError::new(
                ErrorCode::UnsupportedStore,
                format!(
                    "{} was written by a newer Runlens (reviews format {format}; this version knows {FORMAT}): \
                     its reviews are shown but cannot be changed here. Update Runlens to change them.",
                    path.display()
                ),
            );
            // Read what this version understands of it; never set aside what is only newer.
            return match serde_json::from_value::<ReviewsFile>(value) {
                Ok(file) => Ok(Loaded {
                    reviews: file.reviews,
                    read_only: Some(newer),
                }),
                Err(e) => Err(newer.with_detail(format!("and this version cannot read its reviews: {e}"))),
            };
        }
        match serde_json::from_value::<ReviewsFile>(value) {
            Ok(file) => Ok(Loaded {
                reviews: file.reviews,
                read_only: None,
            }),
            Err(e) => Err(self.set_aside(&format!("its reviews do not read: {e}"))),
        }
    }

    /// Moves a file that does not parse out of the way, to the first free `.bad` name, and
    /// answers the error that says what happened.
    fn set_aside(&self, why: &str) -> ApiError {
        let path = &self.path;
        let aside = (1..)
            .map(|n| set_aside_path(path, n))
            .find(|p| !p.exists())
            .expect("some numbered name is free");
        let outcome = match std::fs::rename(path, &aside) {
            Ok(()) => format!(
                "it was moved to {} with everything in it, and a new list of reviews starts",
                aside.display()
            ),
            Err(e) => format!("it could not be moved aside ({e}) and is left as it is"),
        };
        ApiError::new(
            ErrorCode::Io,
            format!("the saved reviews in {} could not be read: {outcome}", path.display()),
        )
        .with_detail(why.to_string())
    }

    fn save(&self, reviews: &[Review]) -> Result<(), ApiError> {
        let file = ReviewsFile {
            format: FORMAT,
            reviews: reviews.to_vec(),
        };
        let text =
            serde_json::to_vec_pretty(&file).map_err(|e| ApiError::internal(format!("cannot write reviews: {e}")))?;
        write_atomically(&self.path, &text)
            .map_err(|e| io_error(format!("cannot save the reviews to {}", self.path.display()), e))
    }
}

/// `reviews.json.bad`, then `reviews.json.2.bad`, `reviews.json.3.bad`…
fn set_aside_path(path: &Path, n: usize) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    if n > 1 {
        name.push(format!(".{n}"));
    }
    name.push(".bad");
    path.with_file_name(name)
}

/// Writes a temporary file beside `path`, flushes it to disk and renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(name);
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    // The rename itself reaches the disk with the folder (best effort: not every system allows it).
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// A new review id: random, unique across machines.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("there is no review {id}: it may have been deleted"))
}

fn io_error(message: String, e: std::io::Error) -> ApiError {
    ApiError::new(ErrorCode::Io, message).with_detail(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlens_core::review::ReviewItem;
    use std::sync::Arc;

    fn review(id: &str, name: &str) -> Review {
        Review {
            id: id.into(),
            name: name.into(),
            store_uri: "/data/mlflow.db".into(),
            store_name: "data/mlflow.db".into(),
            created_ms: 1,
            updated_ms: 1,
            items: vec![ReviewItem::Comparison {
                run_ids: vec!["a".into()],
            }],
            decisions: Vec::new(),
        }
    }

    fn store() -> (tempfile::TempDir, Reviews) {
        let dir = tempfile::tempdir().unwrap();
        let reviews = Reviews::new(dir.path().join("data").join(FILE_NAME));
        (dir, reviews)
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn reviews_are_created_changed_and_deleted_in_one_file() {
        let (dir, reviews) = store();
        assert_eq!(reviews.list().unwrap(), Vec::new(), "no file: no reviews");
        reviews.create(review("one", "Q3 churn")).unwrap();
        reviews.create(review("two", "fraud")).unwrap();
        assert_eq!(
            reviews.create(review("two", "again")).unwrap_err().code,
            ErrorCode::AlreadyExists
        );

        let renamed = reviews
            .update("one", 50, |r| {
                r.name = "Q3 churn (final)".into();
                Ok(true)
            })
            .unwrap();
        assert_eq!((renamed.name.as_str(), renamed.updated_ms), ("Q3 churn (final)", 50));
        let unchanged = reviews.update("two", 60, |_| Ok(false)).unwrap();
        assert_eq!(unchanged.updated_ms, 1, "nothing changed: not stamped");

        // What another process reads is what was saved.
        let again = Reviews::new(reviews.path.clone());
        assert_eq!(again.get("one").unwrap(), renamed);
        let text = std::fs::read_to_string(&reviews.path).unwrap();
        assert!(text.contains("\"format\": 1"), "{text}");

        reviews.delete("two").unwrap();
        assert_eq!(reviews.delete("two").unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(reviews.get("two").unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(reviews.list().unwrap().len(), 1);
        assert_eq!(
            files_in(&dir.path().join("data")),
            vec![FILE_NAME],
            "no temporary file is left"
        );
    }

    #[test]
    fn a_failed_change_saves_nothing() {
        let (_dir, reviews) = store();
        reviews.create(review("one", "x")).unwrap();
        let error = reviews
            .update("one", 9, |r| {
                r.name = "half-done".into();
                Err(ApiError::invalid("no"))
            })
            .unwrap_err();
        assert_eq!(error.message, "no");
        assert_eq!(reviews.get("one").unwrap().name, "x");
        assert_eq!(
            reviews.update("missing", 9, |_| Ok(true)).unwrap_err().code,
            ErrorCode::NotFound
        );
    }

    #[test]
    fn concurrent_changes_are_all_kept() {
        let (_dir, reviews) = store();
        reviews.create(review("one", "x")).unwrap();
        let reviews = Arc::new(reviews);
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let reviews = reviews.clone();
                std::thread::spawn(move || {
                    for j in 0..5 {
                        reviews
                            .update("one", i * 10 + j, |r| {
                                r.items.push(ReviewItem::StageBoard {
                                    model: format!("m{i}-{j}"),
                                    versions: Vec::new(),
                                });
                                Ok(true)
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(reviews.get("one").unwrap().items.len(), 1 + 8 * 5);
    }

    #[test]
    fn a_corrupt_file_is_set_aside_never_overwritten() {
        let (dir, reviews) = store();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(&reviews.path, b"{\"format\": 1, \"reviews\": [tru").unwrap();
        let error = reviews.list().unwrap_err();
        assert_eq!(error.code, ErrorCode::Io);
        assert!(error.message.contains("reviews.json.bad"), "{error:?}");
        assert!(error.detail.as_deref().unwrap().contains("not JSON"), "{error:?}");
        assert_eq!(
            std::fs::read(data.join("reviews.json.bad")).unwrap(),
            b"{\"format\": 1, \"reviews\": [tru"
        );
        // A fresh list starts; a second bad file does not replace the first.
        assert_eq!(reviews.list().unwrap(), Vec::new());
        std::fs::write(&reviews.path, b"{\"reviews\": []}").unwrap();
        let error = reviews.create(review("one", "x")).unwrap_err();
        assert!(error.message.contains("reviews.json.2.bad"), "{error:?}");
        std::fs::write(&reviews.path, b"{\"format\": 1, \"reviews\": [{\"id\": 3}]}").unwrap();
        assert!(reviews.list().is_err());
        assert_eq!(
            files_in(&data),
            vec!["reviews.json.2.bad", "reviews.json.3.bad", "reviews.json.bad"]
        );
        reviews.create(review("one", "x")).unwrap();
        assert_eq!(reviews.list().unwrap().len(), 1);
    }

    #[test]
    fn a_file_from_a_newer_runlens_is_read_but_not_changed() {
        let (dir, reviews) = store();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let newer = serde_json::json!({
            "format": FORMAT + 1,
            "reviews": [review("one", "from the future")],
            "folders": ["something new"],
        });
        let text = serde_json::to_string(&newer).unwrap();
        std::fs::write(&reviews.path, &text).unwrap();
        assert_eq!(reviews.get("one").unwrap().name, "from the future");
        for error in [
            reviews.create(review("two", "x")).unwrap_err(),
            reviews.update("one", 5, |_| Ok(true)).unwrap_err(),
            reviews.delete("one").unwrap_err(),
        ] {
            assert_eq!(error.code, ErrorCode::UnsupportedStore);
            assert!(error.message.contains("newer Runlens"), "{error:?}");
        }
        assert_eq!(std::fs::read_to_string(&reviews.path).unwrap(), text, "left untouched");

        // Newer and unreadable: an error, still not set aside.
        std::fs::write(&reviews.path, br#"{"format": 99, "reviews": "elsewhere"}"#).unwrap();
        assert_eq!(reviews.list().unwrap_err().code, ErrorCode::UnsupportedStore);
        assert!(reviews.path.exists());
    }

    #[test]
    fn ids_are_unique() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids
            .iter()
            .all(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit())));
    }
}
