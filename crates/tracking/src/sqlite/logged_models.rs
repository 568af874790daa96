//! MLflow 3 logged models in the SQLite store (`logged_models` with `logged_model_tags` and
//! `logged_model_params`). Stores written before MLflow 3 have no such table: they have no
//! logged models.

use super::Db;
use crate::error::Result;
use runlens_core::registry::LoggedModel;
use runlens_core::{ApiError, Tags};
use rusqlite::{params, OptionalExtension, Row};
use std::collections::BTreeMap;

const COLUMNS: &str = "model_id, experiment_id, name, artifact_location, creation_timestamp_ms, \
                       last_updated_timestamp_ms, status, model_type, source_run_id";

fn has_table(db: &Db) -> Result<bool> {
    db.conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'logged_models'",
            [],
            |_| Ok(()),
        )
        .optional()
        .map(|found| found.is_some())
        .map_err(|e| db.err(e))
}

fn from_row(row: &Row) -> rusqlite::Result<LoggedModel> {
    let experiment: i64 = row.get(1)?;
    let status: Option<i64> = row.get(6)?;
    Ok(LoggedModel {
        model_id: row.get(0)?,
        experiment_id: experiment.to_string(),
        name: row.get(2)?,
        artifact_location: row.get(3)?,
        creation_timestamp: row.get(4)?,
        last_updated_timestamp: row.get(5)?,
        status: LoggedModel::status_name(status.unwrap_or(0)).to_string(),
        model_type: row.get(7)?,
        source_run_id: row.get(8)?,
        tags: Tags::new(),
        params: BTreeMap::new(),
    })
}

fn with_tags_and_params(db: &Db, mut model: LoggedModel) -> Result<LoggedModel> {
    let pairs = |sql: &str| -> Result<BTreeMap<String, String>> {
        let mut stmt = db.conn.prepare_cached(sql).map_err(|e| db.err(e))?;
        let rows = stmt
            .query_map([&model.model_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                ))
            })
            .map_err(|e| db.err(e))?
            .collect::<rusqlite::Result<BTreeMap<_, _>>>()
            .map_err(|e| db.err(e))?;
        Ok(rows)
    };
    model.tags = pairs("SELECT tag_key, tag_value FROM logged_model_tags WHERE model_id = ?1")?;
    model.params = pairs("SELECT param_key, param_value FROM logged_model_params WHERE model_id = ?1")?;
    Ok(model)
}

/// The live logged models of `run_id` in `experiment_id`, oldest first.
pub fn of_run(db: &Db, experiment_id: &str, run_id: &str) -> Result<Vec<LoggedModel>> {
    if !has_table(db)? {
        return Ok(Vec::new());
    }
    let Ok(experiment) = experiment_id.parse::<i64>() else {
        return Ok(Vec::new());
    };
    let mut stmt = db
        .conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM logged_models WHERE experiment_id = ?1 AND source_run_id = ?2 \
             AND (lifecycle_stage IS NULL OR lifecycle_stage != 'deleted') \
             ORDER BY creation_timestamp_ms, model_id"
        ))
        .map_err(|e| db.err(e))?;
    let models = stmt
        .query_map(params![experiment, run_id], from_row)
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db.err(e))?;
    models.into_iter().map(|m| with_tags_and_params(db, m)).collect()
}

/// One live logged model.
pub fn get(db: &Db, model_id: &str) -> Result<LoggedModel> {
    let missing = || ApiError::not_found(format!("logged model {model_id} does not exist in this store"));
    if !has_table(db)? {
        return Err(missing().into());
    }
    let model = db
        .conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM logged_models WHERE model_id = ?1 \
                 AND (lifecycle_stage IS NULL OR lifecycle_stage != 'deleted')"
            ),
            [model_id],
            from_row,
        )
        .optional()
        .map_err(|e| db.err(e))?
        .ok_or_else(missing)?;
    with_tags_and_params(db, model)
}
