//! Runs, their params, tags, metrics and dataset inputs in the SQLite store.

use super::experiments;
use super::{now_ms, query, Db};
use crate::error::Result;
use runlens_core::filter::parse_run_filter;
use runlens_core::order::parse_run_order;
use runlens_core::request::{CreateRun, LogBatch, SearchRuns, UpdateRun};
use runlens_core::sampling::{Point, StepRange};
use runlens_core::*;
use rusqlite::{params, params_from_iter, OptionalExtension, Row};
use std::collections::HashMap;

const RUN_COLUMNS: &str =
    "run_uuid, name, experiment_id, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage";

fn info_from_row(row: &Row) -> rusqlite::Result<RunInfo> {
    let status: Option<String> = row.get(4)?;
    let stage: Option<String> = row.get(8)?;
    Ok(RunInfo {
        run_id: row.get(0)?,
        run_name: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
        experiment_id: row.get::<_, i64>(2)?.to_string(),
        user_id: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
        status: status.as_deref().and_then(RunStatus::parse).unwrap_or_default(),
        start_time: row.get(5)?,
        end_time: row.get(6)?,
        artifact_uri: row.get::<_, Option<String>>(7)?.unwrap_or_default(),
        lifecycle_stage: stage.as_deref().and_then(LifecycleStage::parse).unwrap_or_default(),
    })
}

/// MLflow stores NaN as 0.0 with `is_nan` set.
fn metric_value(value: f64, is_nan: bool) -> MetricValue {
    MetricValue(if is_nan { f64::NAN } else { value })
}

/// MLflow cannot store infinity in SQL: it writes ±f64::MAX, and NaN as 0.0 with `is_nan`.
fn stored_value(v: MetricValue) -> (f64, bool) {
    let x = v.get();
    if x.is_nan() {
        (0.0, true)
    } else if x == f64::INFINITY {
        (f64::MAX, false)
    } else if x == f64::NEG_INFINITY {
        (f64::MIN, false)
    } else {
        (x, false)
    }
}

/// SQLite's default limit on bound parameters is far above this; chunks keep statements small.
const CHUNK: usize = 500;

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Loads full runs (info, params, latest metrics, tags, inputs) for ids, in the ids' order.
pub fn load(db: &Db, ids: &[String]) -> Result<Vec<Run>> {
    let mut runs: HashMap<String, Run> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let marks = placeholders(chunk.len());
        let p = || params_from_iter(chunk.iter());
        let mut stmt = db
            .conn
            .prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_uuid IN ({marks})"))
            .map_err(|e| db.err(e))?;
        for info in stmt.query_map(p(), info_from_row).map_err(|e| db.err(e))? {
            let info = info.map_err(|e| db.err(e))?;
            runs.insert(
                info.run_id.clone(),
                Run {
                    info,
                    data: RunData::default(),
                    inputs: Vec::new(),
                },
            );
        }
        let mut stmt = db
            .conn
            .prepare_cached(&format!(
                "SELECT run_uuid, key, value FROM params WHERE run_uuid IN ({marks})"
            ))
            .map_err(|e| db.err(e))?;
        let mut rows = stmt.query(p()).map_err(|e| db.err(e))?;
        while let Some(row) = rows.next().map_err(|e| db.err(e))? {
            let id: String = row.get(0).map_err(|e| db.err(e))?;
            if let Some(run) = runs.get_mut(&id) {
                let value: Option<String> = row.get(2).map_err(|e| db.err(e))?;
                run.data
                    .params
                    .insert(row.get(1).map_err(|e| db.err(e))?, value.unwrap_or_default());
            }
        }
        let mut stmt = db
            .conn
            .prepare_cached(&format!(
                "SELECT run_uuid, key, value FROM tags WHERE run_uuid IN ({marks})"
            ))
            .map_err(|e| db.err(e))?;
        let mut rows = stmt.query(p()).map_err(|e| db.err(e))?;
        while let Some(row) = rows.next().map_err(|e| db.err(e))? {
            let id: String = row.get(0).map_err(|e| db.err(e))?;
            if let Some(run) = runs.get_mut(&id) {
                let value: Option<String> = row.get(2).map_err(|e| db.err(e))?;
                run.data
                    .tags
                    .insert(row.get(1).map_err(|e| db.err(e))?, value.unwrap_or_default());
            }
        }
        let mut stmt = db
            .conn
            .prepare_cached(&format!(
                "SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid IN ({marks})"
            ))
            .map_err(|e| db.err(e))?;
        let mut rows = stmt.query(p()).map_err(|e| db.err(e))?;
        while let Some(row) = rows.next().map_err(|e| db.err(e))? {
            let id: String = row.get(0).map_err(|e| db.err(e))?;
            if let Some(run) = runs.get_mut(&id) {
                let is_nan: bool = row.get::<_, Option<bool>>(5).map_err(|e| db.err(e))?.unwrap_or(false);
                run.data.metrics.push(Metric {
                    key: row.get(1).map_err(|e| db.err(e))?,
                    value: metric_value(row.get(2).map_err(|e| db.err(e))?, is_nan),
                    timestamp: row.get::<_, Option<i64>>(3).map_err(|e| db.err(e))?.unwrap_or(0),
                    step: row.get(4).map_err(|e| db.err(e))?,
                });
            }
        }
        load_inputs(db, chunk, &mut runs)?;
    }
    Ok(ids
        .iter()
        .filter_map(|id| runs.remove(id))
        .map(|mut run| {
            run.data.metrics.sort_by(|a, b| a.key.cmp(&b.key));
            run.inputs
                .sort_by(|a, b| (&a.dataset.name, &a.dataset.digest).cmp(&(&b.dataset.name, &b.dataset.digest)));
            run
        })
        .collect())
}

fn load_inputs(db: &Db, chunk: &[String], runs: &mut HashMap<String, Run>) -> Result<()> {
    if !db.schema.has_datasets {
        return Ok(());
    }
    let marks = placeholders(chunk.len());
    let mut stmt = db
        .conn
        .prepare_cached(&format!(
            "SELECT i.destination_id, i.input_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, \
             d.dataset_schema, d.dataset_profile FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id \
             WHERE i.destination_type = 'RUN' AND i.source_type = 'DATASET' AND i.destination_id IN ({marks})"
        ))
        .map_err(|e| db.err(e))?;
    let mut by_input: Vec<(String, String, Dataset)> = Vec::new();
    let mut rows = stmt.query(params_from_iter(chunk.iter())).map_err(|e| db.err(e))?;
    while let Some(row) = rows.next().map_err(|e| db.err(e))? {
        let get = |i| row.get::<_, Option<String>>(i).map_err(|e| db.err(e));
        by_input.push((
            get(0)?.unwrap_or_default(),
            get(1)?.unwrap_or_default(),
            Dataset {
                name: get(2)?.unwrap_or_default(),
                digest: get(3)?.unwrap_or_default(),
                source_type: get(4)?.unwrap_or_default(),
                source: get(5)?.unwrap_or_default(),
                schema: get(6)?,
                profile: get(7)?,
            },
        ));
    }
    if by_input.is_empty() {
        return Ok(());
    }
    let mut tags: HashMap<String, Tags> = HashMap::new();
    for inputs in by_input.chunks(CHUNK) {
        let marks = placeholders(inputs.len());
        let mut stmt = db
            .conn
            .prepare_cached(&format!(
                "SELECT input_uuid, name, value FROM input_tags WHERE input_uuid IN ({marks})"
            ))
            .map_err(|e| db.err(e))?;
        let mut rows = stmt
            .query(params_from_iter(inputs.iter().map(|i| &i.1)))
            .map_err(|e| db.err(e))?;
        while let Some(row) = rows.next().map_err(|e| db.err(e))? {
            let get = |i| row.get::<_, String>(i).map_err(|e| db.err(e));
            tags.entry(get(0)?).or_default().insert(get(1)?, get(2)?);
        }
    }
    for (run_id, input_id, dataset) in by_input {
        if let Some(run) = runs.get_mut(&run_id) {
            run.inputs.push(DatasetInput {
                dataset,
                tags: tags.remove(&input_id).unwrap_or_default(),
            });
        }
    }
    Ok(())
}

pub fn search(db: &Db, req: &SearchRuns) -> Result<Page<Run>> {
    let filter = parse_run_filter(req.filter.as_deref().unwrap_or(""))?;
    let order = req
        .order_by
        .iter()
        .map(|o| parse_run_order(o))
        .collect::<Result<Vec<_>, _>>()?;
    let experiment_ids: Vec<i64> = req
        .experiment_ids
        .iter()
        .filter_map(|id| id.trim().parse().ok())
        .collect();
    if experiment_ids.is_empty() {
        return Ok(Page::last(Vec::new()));
    }
    let limit = req.page.limit();
    let offset = req.page.offset()?;
    // One extra row tells whether another page follows.
    let sql = query::run_ids(&experiment_ids, req.view_type, &filter, &order, limit + 1, offset);
    let mut stmt = db.conn.prepare(&sql.text).map_err(|e| db.err(e))?;
    let mut ids = stmt
        .query_map(params_from_iter(sql.params.iter()), |r| r.get::<_, String>(0))
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db.err(e))?;
    let has_more = ids.len() > limit;
    ids.truncate(limit);
    let runs = load(db, &ids)?;
    Ok(Page {
        items: runs,
        next_page_token: has_more.then(|| (offset + limit).to_string()),
    })
}

pub fn get(db: &Db, run_id: &str) -> Result<Run> {
    load(db, &[run_id.to_string()])?
        .pop()
        .ok_or_else(|| ApiError::not_found(format!("no run with id {run_id}")).into())
}

fn info(db: &Db, run_id: &str) -> Result<RunInfo> {
    db.conn
        .query_row(
            &format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_uuid = ?1"),
            [run_id],
            info_from_row,
        )
        .optional()
        .map_err(|e| db.err(e))?
        .ok_or_else(|| ApiError::not_found(format!("no run with id {run_id}")).into())
}

fn active_info(db: &Db, run_id: &str) -> Result<RunInfo> {
    let info = info(db, run_id)?;
    if info.lifecycle_stage != LifecycleStage::Active {
        return Err(ApiError::invalid(format!("run {run_id} is deleted: restore it before changing it")).into());
    }
    Ok(info)
}

/// Every point of one metric in MLflow's order (step, timestamp, then the stored value), without
/// the key: a 100k history is read without 100k key strings.
pub fn metric_points(db: &Db, run_id: &str, key: &str) -> Result<Vec<Point>> {
    metric_points_in(db, run_id, key, None)
}

/// [`metric_points`] of the steps in `steps` only (a zoomed chart): SQLite walks just that part
/// of the (run, key, step) index.
pub fn metric_points_in(db: &Db, run_id: &str, key: &str, steps: Option<StepRange>) -> Result<Vec<Point>> {
    info(db, run_id)?;
    let (start, end) = steps.map_or((i64::MIN, i64::MAX), |r| (r.start, r.end));
    // Ordering by step alone lets SQLite walk index_metrics_run_uuid_key_step in order. With
    // `ORDER BY step, timestamp, value` it prefers the primary-key index (key first, covering)
    // and scans every point of that key in every run: 150 ms instead of 15 for one 100k history
    // in a store of 20 such runs. Ties on step are rare and put in order below.
    let mut stmt = db
        .conn
        .prepare_cached(
            "SELECT value, timestamp, step, is_nan FROM metrics \
             WHERE run_uuid = ?1 AND key = ?2 AND step BETWEEN ?3 AND ?4 ORDER BY step",
        )
        .map_err(|e| db.err(e))?;
    let rows = stmt
        .query_map(params![run_id, key, start, end], |r| {
            Ok(Point {
                value: metric_value(r.get(0)?, r.get::<_, Option<bool>>(3)?.unwrap_or(false)),
                timestamp: r.get(1)?,
                step: r.get(2)?,
            })
        })
        .map_err(|e| db.err(e))?;
    let mut points = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| db.err(e))?;
    // The sort is stable and linear on rows SQLite already returns ordered by step.
    let stored = |p: &Point| stored_value(p.value).0;
    points.sort_by(|a, b| {
        (a.step, a.timestamp)
            .cmp(&(b.step, b.timestamp))
            .then_with(|| stored(a).partial_cmp(&stored(b)).unwrap_or(std::cmp::Ordering::Equal))
    });
    Ok(points)
}

pub fn metric_history(db: &Db, run_id: &str, key: &str) -> Result<Vec<Metric>> {
    Ok(metric_points(db, run_id, key)?
        .into_iter()
        .map(|p| Metric {
            key: key.to_string(),
            value: p.value,
            timestamp: p.timestamp,
            step: p.step,
        })
        .collect())
}

pub fn create(db: &Db, req: &CreateRun) -> Result<RunInfo> {
    let exp = experiments::get(db, &req.experiment_id)?;
    if exp.lifecycle_stage != LifecycleStage::Active {
        return Err(ApiError::invalid(format!(
            "experiment {:?} is deleted: restore it before adding runs",
            exp.name
        ))
        .into());
    }
    if let Some(parent) = &req.parent_run_id {
        info(db, parent)?;
    }
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let name = req
        .run_name
        .clone()
        .or_else(|| req.tags.get(tag::RUN_NAME).cloned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(crate::file::names::random_run_name);
    let user = req
        .user_id
        .clone()
        .or_else(|| req.tags.get(tag::USER).cloned())
        .unwrap_or_default();
    let start = req.start_time.unwrap_or_else(now_ms);
    let artifact_uri = format!("{}/{run_id}/artifacts", exp.artifact_location.trim_end_matches('/'));
    db.conn
        .execute(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, \
             end_time, source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time) \
             VALUES (?1, ?2, 'UNKNOWN', '', '', ?3, 'RUNNING', ?4, NULL, '', 'active', ?5, ?6, NULL)",
            params![run_id, name, user, start, artifact_uri, experiments::parse_id(&req.experiment_id)?],
        )
        .map_err(|e| db.err(e))?;
    let mut tags = req.tags.clone();
    tags.insert(tag::RUN_NAME.into(), name);
    if !user.is_empty() {
        tags.entry(tag::USER.into()).or_insert(user);
    }
    if let Some(parent) = &req.parent_run_id {
        tags.insert(tag::PARENT_RUN_ID.into(), parent.clone());
    }
    for (k, v) in &tags {
        upsert_tag(db, &run_id, k, v)?;
    }
    info(db, &run_id)
}

fn upsert_tag(db: &Db, run_id: &str, key: &str, value: &str) -> Result<()> {
    crate::validate::run_tag(key, value)?;
    db.conn
        .execute(
            "INSERT INTO tags (key, value, run_uuid) VALUES (?1, ?2, ?3) \
             ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value",
            params![key, value, run_id],
        )
        .map_err(|e| db.err(e))?;
    Ok(())
}

pub fn update(db: &Db, run_id: &str, req: &UpdateRun) -> Result<RunInfo> {
    active_info(db, run_id)?;
    if let Some(name) = &req.run_name {
        if name.trim().is_empty() {
            return Err(ApiError::invalid("a run name cannot be empty").into());
        }
        db.conn
            .execute("UPDATE runs SET name = ?1 WHERE run_uuid = ?2", params![name, run_id])
            .map_err(|e| db.err(e))?;
        upsert_tag(db, run_id, tag::RUN_NAME, name)?;
    }
    if let Some(status) = req.status {
        db.conn
            .execute(
                "UPDATE runs SET status = ?1 WHERE run_uuid = ?2",
                params![status.as_str(), run_id],
            )
            .map_err(|e| db.err(e))?;
    }
    if let Some(end) = req.end_time {
        db.conn
            .execute(
                "UPDATE runs SET end_time = ?1 WHERE run_uuid = ?2",
                params![end, run_id],
            )
            .map_err(|e| db.err(e))?;
    }
    info(db, run_id)
}

pub fn log_batch(db: &Db, run_id: &str, batch: &LogBatch) -> Result<()> {
    crate::validate::batch(batch)?;
    active_info(db, run_id)?;
    for (key, value) in &batch.params {
        if key.is_empty() {
            return Err(ApiError::invalid("a param needs a key").into());
        }
        let existing: Option<Option<String>> = db
            .conn
            .query_row(
                "SELECT value FROM params WHERE run_uuid = ?1 AND key = ?2",
                params![run_id, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db.err(e))?;
        match existing {
            Some(old) if old.as_deref() != Some(value.as_str()) => {
                return Err(ApiError::invalid(format!(
                    "param {key:?} of run {run_id} is already {:?}: MLflow params cannot change (tried {value:?})",
                    old.unwrap_or_default()
                ))
                .into())
            }
            Some(_) => {}
            None => {
                db.conn
                    .execute(
                        "INSERT INTO params (key, value, run_uuid) VALUES (?1, ?2, ?3)",
                        params![key, value, run_id],
                    )
                    .map_err(|e| db.err(e))?;
            }
        }
    }
    for (key, value) in &batch.tags {
        upsert_tag(db, run_id, key, value)?;
        if key == tag::RUN_NAME {
            db.conn
                .execute("UPDATE runs SET name = ?1 WHERE run_uuid = ?2", params![value, run_id])
                .map_err(|e| db.err(e))?;
        }
    }
    for m in &batch.metrics {
        if m.key.is_empty() {
            return Err(ApiError::invalid("a metric needs a key").into());
        }
        let (value, is_nan) = stored_value(m.value);
        db.conn
            .execute(
                "INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![m.key, value, m.timestamp, run_id, m.step, is_nan],
            )
            .map_err(|e| db.err(e))?;
        update_latest(db, run_id, &m.key, value, is_nan, m.timestamp, m.step)?;
    }
    Ok(())
}

/// Keeps `latest_metrics` as MLflow does: the point with the greatest (step, timestamp, value).
fn update_latest(db: &Db, run_id: &str, key: &str, value: f64, is_nan: bool, timestamp: i64, step: i64) -> Result<()> {
    let current: Option<(i64, i64, f64)> = db
        .conn
        .query_row(
            "SELECT step, timestamp, value FROM latest_metrics WHERE run_uuid = ?1 AND key = ?2",
            params![run_id, key],
            |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0), r.get(2)?)),
        )
        .optional()
        .map_err(|e| db.err(e))?;
    let newer = match current {
        None => true,
        Some((s, t, v)) => {
            (step, timestamp)
                .cmp(&(s, t))
                .then(value.partial_cmp(&v).unwrap_or(std::cmp::Ordering::Equal))
                == std::cmp::Ordering::Greater
        }
    };
    if newer {
        db.conn
            .execute(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, \
                 step = excluded.step, is_nan = excluded.is_nan",
                params![key, value, timestamp, step, is_nan, run_id],
            )
            .map_err(|e| db.err(e))?;
    }
    Ok(())
}

pub fn delete_tag(db: &Db, run_id: &str, key: &str) -> Result<()> {
    active_info(db, run_id)?;
    let n = db
        .conn
        .execute(
            "DELETE FROM tags WHERE run_uuid = ?1 AND key = ?2",
            params![run_id, key],
        )
        .map_err(|e| db.err(e))?;
    if n == 0 {
        return Err(ApiError::not_found(format!("run {run_id} has no tag {key:?}")).into());
    }
    Ok(())
}

pub fn set_lifecycle(db: &Db, run_id: &str, stage: LifecycleStage) -> Result<()> {
    info(db, run_id)?;
    let deleted_time = (stage == LifecycleStage::Deleted).then(now_ms);
    db.conn
        .execute(
            "UPDATE runs SET lifecycle_stage = ?1, deleted_time = ?2 WHERE run_uuid = ?3",
            params![stage.as_str(), deleted_time, run_id],
        )
        .map_err(|e| db.err(e))?;
    Ok(())
}
