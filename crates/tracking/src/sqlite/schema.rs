//! Recognising an MLflow SQLite store (which MLflow wrote it, whether Runlens may write to it)
//! and creating a new, empty one that MLflow 3.17.2 opens as its own.

use super::revisions;
use crate::error::{Result, TrackingError};
use runlens_core::{ApiError, ErrorCode};
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;

/// What Runlens found in an SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub revision: String,
    /// `Some(reason)` when Runlens only reads this store.
    pub read_only: Option<String>,
    /// Whether tables carry MLflow 3's `workspace` column.
    pub has_workspaces: bool,
    /// Whether the dataset tables exist (MLflow >= 2.4).
    pub has_datasets: bool,
    /// Whether the model registry tables exist.
    pub has_registry: bool,
}

impl Schema {
    pub fn describe(&self) -> String {
        if self.revision == revisions::HEAD {
            format!("MLflow 3.17.2 schema ({})", self.revision)
        } else if revisions::KNOWN.contains(&self.revision.as_str()) {
            format!("older MLflow schema ({}), read-only", self.revision)
        } else {
            format!("unknown MLflow schema ({}), read-only", self.revision)
        }
    }
}

/// How a schema revision relates to MLflow 3.17.2's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaAge {
    Current,
    /// Written by an older MLflow (a known revision before the head, or none at all).
    Older,
    /// A revision MLflow 3.17.2 does not know: written by a newer MLflow.
    Newer,
}

/// The age of an alembic revision (`"none"` when the store has no alembic table).
pub fn revision_age(revision: &str) -> SchemaAge {
    if revision == revisions::HEAD {
        SchemaAge::Current
    } else if revision == "none" || revisions::KNOWN.contains(&revision) {
        SchemaAge::Older
    } else {
        SchemaAge::Newer
    }
}

/// The alembic revision recorded in an SQLite file, `"none"` without one; `None` when the file
/// cannot be read as SQLite at all.
pub fn read_revision(path: &Path) -> Option<String> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    let has_alembic = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'",
            [],
            |_| Ok(()),
        )
        .optional()
        .ok()?
        .is_some();
    if !has_alembic {
        return Some("none".into());
    }
    conn.query_row("SELECT version_num FROM alembic_version", [], |r| r.get::<_, String>(0))
        .optional()
        .ok()
        .map(|r| r.unwrap_or_else(|| "none".into()))
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Refuses files that are not SQLite databases before SQLite sees them.
pub fn check_file_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut f = std::fs::File::open(path).map_err(|e| TrackingError::io(path, e))?;
    let n = f.read(&mut header).map_err(|e| TrackingError::io(path, e))?;
    if n == 0 {
        return Err(ApiError::new(
            ErrorCode::NotAnMlflowStore,
            format!(
                "{} is empty: not an MLflow store (MLflow creates mlflow.db on first use)",
                path.display()
            ),
        )
        .into());
    }
    if n < 16 || &header != SQLITE_MAGIC {
        return Err(ApiError::new(
            ErrorCode::NotAnMlflowStore,
            format!(
                "{} is not an SQLite database, so it cannot be an MLflow store",
                path.display()
            ),
        )
        .into());
    }
    Ok(())
}

fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
    let names = stmt
        .query_map([], |row| row.get::<_, String>(1))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names)
}

/// The tables and columns Runlens reads; a store lacking one cannot be read safely.
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "experiments",
        &[
            "experiment_id",
            "name",
            "artifact_location",
            "lifecycle_stage",
            "creation_time",
            "last_update_time",
        ],
    ),
    ("experiment_tags", &["key", "value", "experiment_id"]),
    (
        "runs",
        &[
            "run_uuid",
            "name",
            "user_id",
            "status",
            "start_time",
            "end_time",
            "lifecycle_stage",
            "artifact_uri",
            "experiment_id",
            "deleted_time",
        ],
    ),
    ("params", &["key", "value", "run_uuid"]),
    ("tags", &["key", "value", "run_uuid"]),
    ("metrics", &["key", "value", "timestamp", "run_uuid", "step", "is_nan"]),
    (
        "latest_metrics",
        &["key", "value", "timestamp", "run_uuid", "step", "is_nan"],
    ),
];

/// Inspects an open database: an MLflow store of a known or unknown revision, or not one at all.
pub fn inspect(conn: &Connection, path: &Path) -> Result<Schema> {
    let sql_err = |e| TrackingError::Sqlite {
        path: path.display().to_string(),
        source: e,
    };
    let has_table = |name: &str| -> Result<bool> {
        conn.query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()
        .map(|o| o.is_some())
        .map_err(sql_err)
    };
    if !has_table("experiments")? || !has_table("runs")? {
        return Err(ApiError::new(
            ErrorCode::NotAnMlflowStore,
            format!(
                "no experiments or runs table in {}: this SQLite database is not an MLflow store (or was written by MLflow < 1.0)",
                path.display()
            ),
        )
        .into());
    }
    let revision: Option<String> = if has_table("alembic_version")? {
        conn.query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
            .optional()
            .map_err(sql_err)?
    } else {
        None
    };
    let revision = revision.unwrap_or_else(|| "none".to_string());
    let mut missing = Vec::new();
    for (table, cols) in REQUIRED {
        let have = columns(conn, table).map_err(sql_err)?;
        for col in cols.iter() {
            if !have.iter().any(|h| h == col) {
                missing.push(format!("{table}.{col}"));
            }
        }
    }
    let known = revisions::KNOWN.contains(&revision.as_str());
    if !missing.is_empty() {
        let writer = if known {
            "an older MLflow"
        } else {
            "an MLflow version Runlens does not know"
        };
        return Err(ApiError::new(
            ErrorCode::UnsupportedStore,
            format!(
                "{} was written by {writer} (schema revision {revision}) and lacks {}: upgrade it with `mlflow db upgrade` or open it with a matching MLflow",
                path.display(),
                missing.join(", ")
            ),
        )
        .into());
    }
    let read_only = if revision == revisions::HEAD {
        None
    } else if known {
        Some(format!(
            "this store has an older MLflow schema (revision {revision}); Runlens reads it but will not write to it until `mlflow db upgrade` brings it to MLflow 3.17.2"
        ))
    } else {
        Some(format!(
            "this store was written by a newer MLflow than 3.17.2 (unknown schema revision {revision}); Runlens reads it but will not write to it"
        ))
    };
    let has_workspaces = columns(conn, "experiments")
        .map_err(sql_err)?
        .iter()
        .any(|c| c == "workspace");
    Ok(Schema {
        revision,
        read_only,
        has_workspaces,
        has_datasets: has_table("inputs")? && has_table("datasets")? && has_table("input_tags")?,
        has_registry: has_table("registered_models")? && has_table("model_versions")?,
    })
}

/// The DDL MLflow 3.17.2 leaves in a new database (its migrations' end result).
const SCHEMA_SQL: &str = include_str!("schema-3.17.2.sql");

/// Creates a new MLflow 3.17.2 store at `path`: the full schema, the alembic revision stamp, the
/// default workspace and the "Default" experiment (id 0), exactly as MLflow's first start does.
pub fn create(path: &Path) -> Result<()> {
    if path.exists() {
        return Err(ApiError::new(ErrorCode::AlreadyExists, format!("{} already exists", path.display())).into());
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| TrackingError::io(dir, e))?;
    let dir = dir.canonicalize().map_err(|e| TrackingError::io(dir, e))?;
    let sql_err = |e| TrackingError::Sqlite {
        path: path.display().to_string(),
        source: e,
    };
    // Build beside the target and rename, so a half-made store never sits at `path`.
    let tmp = dir.join(format!(
        ".{}.runlens-new",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("mlflow.db")
    ));
    let _ = std::fs::remove_file(&tmp);
    {
        let mut conn = Connection::open(&tmp).map_err(sql_err)?;
        let tx = conn.transaction().map_err(sql_err)?;
        tx.execute_batch(SCHEMA_SQL).map_err(sql_err)?;
        tx.execute(
            "INSERT INTO alembic_version (version_num) VALUES (?1)",
            [revisions::HEAD],
        )
        .map_err(sql_err)?;
        tx.execute(
            "INSERT INTO workspaces (name, description) VALUES ('default', 'Default workspace for legacy resources')",
            [],
        )
        .map_err(sql_err)?;
        let now = super::now_ms();
        let artifacts = dir.join("mlruns").join("0");
        tx.execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace) \
             VALUES (0, 'Default', ?1, 'active', ?2, ?2, 'default')",
            rusqlite::params![artifacts.display().to_string(), now],
        )
        .map_err(sql_err)?;
        tx.commit().map_err(sql_err)?;
    }
    std::fs::rename(&tmp, path).map_err(|e| TrackingError::io(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteStore;
    use crate::store::Store;
    use runlens_core::request::CreateExperiment;

    fn restamp(path: &Path, sql: &str) {
        Connection::open(path).unwrap().execute_batch(sql).unwrap();
    }

    #[tokio::test]
    async fn a_new_store_has_mlflows_head_revision_and_default_experiment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mlflow.db");
        let store = SqliteStore::create(&path).await.unwrap();
        assert_eq!(store.schema().revision, revisions::HEAD);
        assert_eq!(store.schema().read_only, None);
        assert_eq!(store.get_experiment("0").await.unwrap().name, "Default");
        let again = SqliteStore::create(&path).await.err().map(ApiError::from).unwrap();
        assert_eq!(again.code, ErrorCode::AlreadyExists);
    }

    #[tokio::test]
    async fn a_store_from_a_newer_mlflow_opens_read_only_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mlflow.db");
        SqliteStore::create(&path).await.unwrap();
        restamp(&path, "UPDATE alembic_version SET version_num = 'ffffffffffff'");
        let store = SqliteStore::open(&path).await.unwrap();
        assert!(store
            .version()
            .await
            .unwrap()
            .unwrap()
            .contains("unknown MLflow schema (ffffffffffff)"));
        let err = ApiError::from(
            store
                .create_experiment(&CreateExperiment {
                    name: "x".into(),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
        );
        assert_eq!(err.code, ErrorCode::UnsupportedStore);
        assert!(
            err.message.contains("newer MLflow than 3.17.2") && err.message.contains("ffffffffffff"),
            "{err}"
        );
        assert_eq!(
            store.get_experiment("0").await.unwrap().name,
            "Default",
            "reads still work"
        );
    }

    #[tokio::test]
    async fn a_store_from_an_older_mlflow_names_its_revision() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mlflow.db");
        SqliteStore::create(&path).await.unwrap();
        let older = revisions::KNOWN[revisions::KNOWN.len() - 2];
        restamp(&path, &format!("UPDATE alembic_version SET version_num = '{older}'"));
        let store = SqliteStore::open(&path).await.unwrap();
        assert!(store
            .schema()
            .read_only
            .as_deref()
            .unwrap()
            .contains("mlflow db upgrade"));
        // An old schema that lacks a column Runlens reads is refused outright, naming the column.
        restamp(&path, "ALTER TABLE runs DROP COLUMN deleted_time");
        let err = ApiError::from(SqliteStore::open(&path).await.err().unwrap());
        assert_eq!(err.code, ErrorCode::UnsupportedStore);
        assert!(
            err.message.contains("runs.deleted_time") && err.message.contains(older),
            "{err}"
        );
    }
}
