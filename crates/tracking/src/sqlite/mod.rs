//! MLflow's SQLite store (`mlflow.db`), read and written directly with rusqlite.
//!
//! **Writes are short IMMEDIATE transactions and reads are short deferred ones, with a busy
//! timeout**, so MLflow's own writers never fail with "database is locked" while Runlens reads.
//! Writes go through one connection; reads take one of a few connections of their own, so
//! several reads (the histories behind a chart, say) run side by side on different cores.
//! Stores whose schema is not MLflow 3.17.2's are opened read-only (see [`schema`]).

mod experiments;
mod logged_models;
mod query;
mod registry;
mod revisions;
mod runs;
pub mod schema;
mod traces;

use crate::error::{Result, TrackingError};
use crate::store::Store;
use async_trait::async_trait;
use runlens_core::ipc::StoreKind;
use runlens_core::request::*;
use runlens_core::sampling::{sample_points, SampledSeries, StepRange};
use runlens_core::*;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use schema::Schema;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a statement waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many reads run at once, each on its own connection; more would only contend for
/// the same cores and disk.
fn max_readers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8)
}

pub use crate::now_ms;

pub struct SqliteStore {
    path: PathBuf,
    schema: Schema,
    /// The connection every write goes through.
    conn: Arc<Mutex<Connection>>,
    /// Idle read connections, opened on demand, kept for their statement and page caches.
    readers: Arc<Mutex<Vec<Connection>>>,
    /// One permit per read in flight, so there are never more than [`max_readers`] connections.
    read_slots: Arc<tokio::sync::Semaphore>,
}

/// What a closure running on the connection sees.
pub(crate) struct Db<'a> {
    pub conn: &'a Connection,
    pub path: &'a Path,
    pub schema: &'a Schema,
}

impl Db<'_> {
    pub fn err(&self, e: rusqlite::Error) -> TrackingError {
        TrackingError::Sqlite {
            path: self.path.display().to_string(),
            source: e,
        }
    }

    /// `AND <alias>.workspace = 'default'` on MLflow 3 schemas, nothing on older ones.
    pub fn workspace(&self, alias: &str) -> String {
        if self.schema.has_workspaces {
            format!(" AND {alias}.workspace = 'default'")
        } else {
            String::new()
        }
    }
}

impl SqliteStore {
    /// Opens an existing `mlflow.db`, checking that it is an MLflow store and which schema it has.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path))
            .await
            .map_err(join_error)?
    }

    /// Creates a new, empty MLflow 3.17.2 store at `path` and opens it.
    pub async fn create(path: &Path) -> Result<SqliteStore> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            schema::create(&path)?;
            Self::open_blocking(&path)
        })
        .await
        .map_err(join_error)?
    }

    fn open_blocking(path: &Path) -> Result<SqliteStore> {
        if !path.exists() {
            return Err(ApiError::not_found(format!("{} does not exist", path.display())).into());
        }
        schema::check_file_header(path)?;
        let conn = connect(path)?;
        let schema = schema::inspect(&conn, path)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            schema,
            conn: Arc::new(Mutex::new(conn)),
            readers: Arc::new(Mutex::new(Vec::new())),
            read_slots: Arc::new(tokio::sync::Semaphore::new(max_readers())),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Runs `f` on the blocking pool inside one short read transaction, on a read connection.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> Result<T> + Send + 'static,
    {
        // The semaphore is never closed, so acquiring only waits.
        let slot = self.read_slots.clone().acquire_owned().await.ok();
        let readers = self.readers.clone();
        let path = self.path.clone();
        let schema = self.schema.clone();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let idle = readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let mut conn = match idle {
                Some(conn) => conn,
                None => connect_reader(&path)?,
            };
            let out = read_in(&mut conn, &path, &schema, f);
            readers.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
            out
        })
        .await
        .map_err(join_error)?
    }

    /// Runs `f` on the blocking pool inside one IMMEDIATE transaction, committed when `f` succeeds.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> Result<T> + Send + 'static,
    {
        if let Some(reason) = &self.schema.read_only {
            return Err(ApiError::new(ErrorCode::UnsupportedStore, reason.clone()).into());
        }
        let conn = self.conn.clone();
        let path = self.path.clone();
        let schema = self.schema.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            let tx: Transaction = guard
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| sql(&path, e))?;
            let out = f(&Db {
                conn: &tx,
                path: &path,
                schema: &schema,
            })?;
            tx.commit().map_err(|e| sql(&path, e))?;
            Ok(out)
        })
        .await
        .map_err(join_error)?
    }

    fn artifact_root(run: &Run) -> Result<PathBuf> {
        crate::artifacts::local_root(&run.info.artifact_uri)
    }
}

/// Opens a connection as MLflow's engine would use it: read-write when the file allows, waiting
/// out other processes' locks, with foreign keys on.
fn connect(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)
        .or_else(|_| {
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        })
        .map_err(|e| sql(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| sql(path, e))?;
    // Foreign keys as MLflow's SQLAlchemy engine sets them, so deletes cascade the same way.
    conn.execute_batch("PRAGMA foreign_keys = ON;")
        .map_err(|e| sql(path, e))?;
    Ok(conn)
}

/// A connection for reads. No memory map: a file truncated or failing under a map kills the
/// process (SIGBUS) where a read error only fails one request.
fn connect_reader(path: &Path) -> Result<Connection> {
    connect(path)
}

/// Runs `f` inside one deferred transaction on `conn`.
fn read_in<T>(conn: &mut Connection, path: &Path, schema: &Schema, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Deferred)
        .map_err(|e| sql(path, e))?;
    let out = f(&Db {
        conn: &tx,
        path,
        schema,
    });
    // Nothing was written: ending the transaction only releases the read lock.
    let _ = tx.rollback();
    out
}

fn sql(path: &Path, e: rusqlite::Error) -> TrackingError {
    TrackingError::Sqlite {
        path: path.display().to_string(),
        source: e,
    }
}

fn join_error(e: tokio::task::JoinError) -> TrackingError {
    ApiError::internal(format!("a store task failed: {e}")).into()
}

#[async_trait]
impl Store for SqliteStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Sqlite
    }

    fn uri(&self) -> String {
        // SQLAlchemy's form: `sqlite:///` plus the path, so an absolute path gives four slashes.
        format!("sqlite:///{}", self.path.display())
    }

    async fn version(&self) -> Result<Option<String>> {
        Ok(Some(self.schema.describe()))
    }

    async fn search_experiments(&self, req: &SearchExperiments) -> Result<Page<Experiment>> {
        let req = req.clone();
        self.read(move |db| experiments::search(db, &req)).await
    }

    async fn get_experiment(&self, experiment_id: &str) -> Result<Experiment> {
        let id = experiment_id.to_string();
        self.read(move |db| experiments::get(db, &id)).await
    }

    async fn get_experiment_by_name(&self, name: &str) -> Result<Experiment> {
        let name = name.to_string();
        self.read(move |db| experiments::get_by_name(db, &name)).await
    }

    async fn create_experiment(&self, req: &CreateExperiment) -> Result<String> {
        let req = req.clone();
        self.write(move |db| experiments::create(db, &req)).await
    }

    async fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()> {
        let (id, name) = (experiment_id.to_string(), new_name.to_string());
        self.write(move |db| experiments::rename(db, &id, &name)).await
    }

    async fn delete_experiment(&self, experiment_id: &str) -> Result<()> {
        let id = experiment_id.to_string();
        self.write(move |db| experiments::set_lifecycle(db, &id, LifecycleStage::Deleted))
            .await
    }

    async fn restore_experiment(&self, experiment_id: &str) -> Result<()> {
        let id = experiment_id.to_string();
        self.write(move |db| experiments::set_lifecycle(db, &id, LifecycleStage::Active))
            .await
    }

    async fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()> {
        let (id, key, value) = (experiment_id.to_string(), key.to_string(), value.to_string());
        self.write(move |db| experiments::set_tag(db, &id, &key, &value)).await
    }

    async fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()> {
        let (id, key) = (experiment_id.to_string(), key.to_string());
        self.write(move |db| experiments::delete_tag(db, &id, &key)).await
    }

    async fn search_runs(&self, req: &SearchRuns) -> Result<Page<Run>> {
        let req = req.clone();
        self.read(move |db| runs::search(db, &req)).await
    }

    async fn get_run(&self, run_id: &str) -> Result<Run> {
        let id = run_id.to_string();
        self.read(move |db| runs::get(db, &id)).await
    }

    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        let (id, key) = (run_id.to_string(), key.to_string());
        self.read(move |db| runs::metric_history(db, &id, &key)).await
    }

    async fn sampled_history(&self, run_id: &str, key: &str, max_points: usize) -> Result<SampledSeries> {
        let (run_id, key) = (run_id.to_string(), key.to_string());
        self.read(move |db| {
            let points = runs::metric_points(db, &run_id, &key)?;
            Ok(SampledSeries {
                total_points: points.len(),
                points: sample_points(points, max_points),
                run_id,
                key,
            })
        })
        .await
    }

    async fn sampled_history_in(
        &self,
        run_id: &str,
        key: &str,
        max_points: usize,
        steps: StepRange,
    ) -> Result<SampledSeries> {
        let (run_id, key) = (run_id.to_string(), key.to_string());
        self.read(move |db| {
            let points = runs::metric_points_in(db, &run_id, &key, Some(steps))?;
            Ok(SampledSeries {
                total_points: points.len(),
                points: sample_points(points, max_points),
                run_id,
                key,
            })
        })
        .await
    }

    async fn create_run(&self, req: &CreateRun) -> Result<RunInfo> {
        let req = req.clone();
        self.write(move |db| runs::create(db, &req)).await
    }

    async fn update_run(&self, run_id: &str, req: &UpdateRun) -> Result<RunInfo> {
        let (id, req) = (run_id.to_string(), req.clone());
        self.write(move |db| runs::update(db, &id, &req)).await
    }

    async fn log_batch(&self, run_id: &str, batch: &LogBatch) -> Result<()> {
        let (id, batch) = (run_id.to_string(), batch.clone());
        self.write(move |db| runs::log_batch(db, &id, &batch)).await
    }

    async fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        let (id, key) = (run_id.to_string(), key.to_string());
        self.write(move |db| runs::delete_tag(db, &id, &key)).await
    }

    async fn delete_run(&self, run_id: &str) -> Result<()> {
        let id = run_id.to_string();
        self.write(move |db| runs::set_lifecycle(db, &id, LifecycleStage::Deleted))
            .await
    }

    async fn restore_run(&self, run_id: &str) -> Result<()> {
        let id = run_id.to_string();
        self.write(move |db| runs::set_lifecycle(db, &id, LifecycleStage::Active))
            .await
    }

    async fn list_artifacts(&self, run_id: &str, path: Option<&str>) -> Result<Vec<FileInfo>> {
        let run = self.get_run(run_id).await?;
        let root = Self::artifact_root(&run)?;
        let path = path.map(str::to_string);
        tokio::task::spawn_blocking(move || crate::artifacts::list(&root, path.as_deref()))
            .await
            .map_err(join_error)?
    }

    async fn read_artifact(&self, run_id: &str, path: &str, max_bytes: u64) -> Result<ArtifactContent> {
        let run = self.get_run(run_id).await?;
        let root = Self::artifact_root(&run)?;
        let path = path.to_string();
        tokio::task::spawn_blocking(move || crate::artifacts::read(&root, &path, max_bytes))
            .await
            .map_err(join_error)?
    }

    async fn write_artifact(&self, run_id: &str, path: &str, bytes: &[u8]) -> Result<()> {
        let run = self.get_run(run_id).await?;
        let root = Self::artifact_root(&run)?;
        let (path, bytes) = (path.to_string(), bytes.to_vec());
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&root).map_err(|e| TrackingError::io(&root, e))?;
            crate::artifacts::write(&root, &path, &bytes)
        })
        .await
        .map_err(join_error)?
    }

    async fn search_registered_models(&self, req: &SearchModels) -> Result<Page<RegisteredModel>> {
        let req = req.clone();
        self.read(move |db| registry::search_models(db, &req)).await
    }

    async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        let name = name.to_string();
        self.read(move |db| registry::get_model(db, &name)).await
    }

    async fn model_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let name = name.to_string();
        self.read(move |db| registry::versions(db, &name)).await
    }

    async fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        let name = name.to_string();
        self.read(move |db| registry::get_version(db, &name, version)).await
    }

    async fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        let (name, alias) = (name.to_string(), alias.to_string());
        self.read(move |db| registry::version_by_alias(db, &name, &alias)).await
    }

    async fn create_registered_model(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<RegisteredModel> {
        let (name, description, tags) = (name.to_string(), description.map(str::to_string), tags.clone());
        self.write(move |db| {
            registry::create_model(db, &name, description.as_deref(), &tags)?;
            registry::get_model(db, &name)
        })
        .await
    }

    async fn create_model_version(&self, req: &CreateModelVersion) -> Result<ModelVersion> {
        let req = req.clone();
        self.write(move |db| registry::create_version(db, &req)).await
    }

    async fn transition_stage(&self, req: &TransitionStage) -> Result<ModelVersion> {
        let req = req.clone();
        self.write(move |db| registry::transition(db, &req)).await
    }

    async fn set_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        let (name, alias) = (name.to_string(), alias.to_string());
        self.write(move |db| registry::set_alias(db, &name, &alias, version))
            .await
    }

    async fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        let (name, alias) = (name.to_string(), alias.to_string());
        self.write(move |db| registry::delete_alias(db, &name, &alias)).await
    }

    async fn update_registered_model(&self, name: &str, description: &str) -> Result<()> {
        let (name, description) = (name.to_string(), description.to_string());
        self.write(move |db| registry::update_model(db, &name, &description))
            .await
    }

    async fn update_model_version(&self, name: &str, version: i64, description: &str) -> Result<()> {
        let (name, description) = (name.to_string(), description.to_string());
        self.write(move |db| registry::update_version(db, &name, version, &description))
            .await
    }

    async fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        let (name, key, value) = (name.to_string(), key.to_string(), value.to_string());
        self.write(move |db| registry::set_model_tag(db, &name, &key, Some(&value)))
            .await
    }

    async fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        let (name, key) = (name.to_string(), key.to_string());
        self.write(move |db| registry::set_model_tag(db, &name, &key, None))
            .await
    }

    async fn set_model_version_tag(&self, name: &str, version: i64, key: &str, value: &str) -> Result<()> {
        let (name, key, value) = (name.to_string(), key.to_string(), value.to_string());
        self.write(move |db| registry::set_version_tag(db, &name, version, &key, Some(&value)))
            .await
    }

    async fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        let (name, key) = (name.to_string(), key.to_string());
        self.write(move |db| registry::set_version_tag(db, &name, version, &key, None))
            .await
    }

    async fn run_logged_models(
        &self,
        experiment_id: &str,
        run_id: &str,
    ) -> Result<Vec<runlens_core::registry::LoggedModel>> {
        let (experiment_id, run_id) = (experiment_id.to_string(), run_id.to_string());
        self.read(move |db| logged_models::of_run(db, &experiment_id, &run_id))
            .await
    }

    async fn get_logged_model(&self, model_id: &str) -> Result<runlens_core::registry::LoggedModel> {
        let model_id = model_id.to_string();
        self.read(move |db| logged_models::get(db, &model_id)).await
    }

    async fn read_model_file(&self, location: &str, path: &str, max_bytes: u64) -> Result<ArtifactContent> {
        crate::artifacts::read_under(location, path, max_bytes).await
    }

    async fn search_traces(
        &self,
        req: &runlens_core::traces::SearchTracesRequest,
    ) -> Result<Page<runlens_core::traces::TraceSummary>> {
        let req = req.clone();
        self.read(move |db| traces::search(db, &req)).await
    }

    async fn get_trace(&self, trace_id: &str) -> Result<runlens_core::traces::TraceDetail> {
        let id = trace_id.to_string();
        let stored = self.read(move |db| traces::get(db, &id)).await?;
        let mut detail = stored.detail;
        // Spans kept outside the database (older MLflow): its traces.json.
        if stored.span_rows == 0 {
            if let Some(location) = traces::artifact_location(&detail) {
                crate::traces::fill_from_trace_data(&mut detail, &location).await;
            }
        }
        Ok(detail)
    }
}
