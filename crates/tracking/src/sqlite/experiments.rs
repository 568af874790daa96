//! Experiments and their tags in the SQLite store.

use super::{now_ms, Db};
use crate::error::Result;
use runlens_core::filter::parse_experiment_filter;
use runlens_core::order::{compare_experiments, parse_experiment_order};
use runlens_core::request::{CreateExperiment, SearchExperiments};
use runlens_core::*;
use rusqlite::{params, OptionalExtension, Row};
use std::collections::HashMap;

const COLUMNS: &str =
    "e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, e.last_update_time";

fn from_row(row: &Row) -> rusqlite::Result<Experiment> {
    let stage: Option<String> = row.get(3)?;
    Ok(Experiment {
        experiment_id: row.get::<_, i64>(0)?.to_string(),
        name: row.get(1)?,
        artifact_location: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
        lifecycle_stage: stage.as_deref().and_then(LifecycleStage::parse).unwrap_or_default(),
        creation_time: row.get(4)?,
        last_update_time: row.get(5)?,
        tags: Tags::new(),
    })
}

fn attach_tags(db: &Db, experiments: &mut [Experiment]) -> Result<()> {
    let mut stmt = db
        .conn
        .prepare_cached("SELECT experiment_id, key, value FROM experiment_tags")
        .map_err(|e| db.err(e))?;
    let mut by_id: HashMap<String, Tags> = HashMap::new();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?.to_string(),
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .map_err(|e| db.err(e))?;
    for row in rows {
        let (id, k, v) = row.map_err(|e| db.err(e))?;
        by_id.entry(id).or_default().insert(k, v.unwrap_or_default());
    }
    for e in experiments {
        e.tags = by_id.remove(&e.experiment_id).unwrap_or_default();
    }
    Ok(())
}

/// Experiments are few (hundreds), so they are filtered and sorted in memory with the same
/// logic the file store uses.
pub fn search(db: &Db, req: &SearchExperiments) -> Result<Page<Experiment>> {
    let filter = parse_experiment_filter(req.filter.as_deref().unwrap_or(""))?;
    let order = req
        .order_by
        .iter()
        .map(|o| parse_experiment_order(o))
        .collect::<Result<Vec<_>, _>>()?;
    let sql = format!("SELECT {COLUMNS} FROM experiments e WHERE 1 = 1{}", db.workspace("e"));
    let mut stmt = db.conn.prepare_cached(&sql).map_err(|e| db.err(e))?;
    let mut all = stmt
        .query_map([], from_row)
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db.err(e))?;
    all.retain(|e| req.view_type.includes(e.lifecycle_stage));
    attach_tags(db, &mut all)?;
    all.retain(|e| filter.matches_experiment(e));
    all.sort_by(|a, b| compare_experiments(a, b, &order));
    Ok(Page::slice(all, &req.page)?)
}

pub(super) fn parse_id(id: &str) -> Result<i64> {
    id.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("no experiment with id {id:?}")).into())
}

pub fn get(db: &Db, id: &str) -> Result<Experiment> {
    let num = parse_id(id)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM experiments e WHERE e.experiment_id = ?1{}",
        db.workspace("e")
    );
    let exp = db
        .conn
        .query_row(&sql, [num], from_row)
        .optional()
        .map_err(|e| db.err(e))?;
    let mut exp = exp.ok_or_else(|| ApiError::not_found(format!("no experiment with id {id}")))?;
    let mut stmt = db
        .conn
        .prepare_cached("SELECT key, value FROM experiment_tags WHERE experiment_id = ?1")
        .map_err(|e| db.err(e))?;
    let tags = stmt
        .query_map([num], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<Tags>>()
        .map_err(|e| db.err(e))?;
    exp.tags = tags;
    Ok(exp)
}

pub fn get_by_name(db: &Db, name: &str) -> Result<Experiment> {
    let sql = format!(
        "SELECT e.experiment_id FROM experiments e WHERE e.name = ?1{}",
        db.workspace("e")
    );
    let id: Option<i64> = db
        .conn
        .query_row(&sql, [name], |r| r.get(0))
        .optional()
        .map_err(|e| db.err(e))?;
    match id {
        Some(id) => get(db, &id.to_string()),
        None => Err(ApiError::not_found(format!("no experiment named {name:?}")).into()),
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(ApiError::invalid("an experiment needs a name").into());
    }
    Ok(())
}

fn ensure_name_free(db: &Db, name: &str) -> Result<()> {
    let sql = format!(
        "SELECT lifecycle_stage FROM experiments e WHERE e.name = ?1{}",
        db.workspace("e")
    );
    let existing: Option<Option<String>> = db
        .conn
        .query_row(&sql, [name], |r| r.get(0))
        .optional()
        .map_err(|e| db.err(e))?;
    match existing {
        None => Ok(()),
        Some(Some(stage)) if stage == "deleted" => Err(ApiError::new(
            ErrorCode::AlreadyExists,
            format!("a deleted experiment is still named {name:?}: restore it, or delete it for good with `mlflow gc`"),
        )
        .into()),
        Some(_) => Err(ApiError::new(
            ErrorCode::AlreadyExists,
            format!("an experiment named {name:?} already exists"),
        )
        .into()),
    }
}

/// The directory new experiments' artifacts go under: beside experiment 0's when it follows
/// MLflow's `<root>/0` layout, else `mlruns/` next to the database.
fn default_artifact_root(db: &Db) -> Result<String> {
    let loc: Option<Option<String>> = db
        .conn
        .query_row(
            "SELECT artifact_location FROM experiments WHERE experiment_id = 0",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| db.err(e))?;
    if let Some(Some(loc)) = loc {
        if let Some(root) = loc.strip_suffix("/0") {
            return Ok(root.to_string());
        }
    }
    let dir = db.path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let dir = dir.canonicalize().unwrap_or(dir);
    Ok(dir.join("mlruns").display().to_string())
}

pub fn create(db: &Db, req: &CreateExperiment) -> Result<String> {
    check_name(&req.name)?;
    ensure_name_free(db, &req.name)?;
    let now = now_ms();
    let ws = if db.schema.has_workspaces { ", workspace" } else { "" };
    let ws_value = if db.schema.has_workspaces { ", 'default'" } else { "" };
    db.conn
        .execute(
            &format!(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time{ws}) \
                 VALUES (?1, ?2, 'active', ?3, ?3{ws_value})"
            ),
            params![req.name, req.artifact_location, now],
        )
        .map_err(|e| db.err(e))?;
    let id = db.conn.last_insert_rowid();
    if req.artifact_location.as_deref().is_none_or(str::is_empty) {
        let location = format!("{}/{id}", default_artifact_root(db)?);
        db.conn
            .execute(
                "UPDATE experiments SET artifact_location = ?1 WHERE experiment_id = ?2",
                params![location, id],
            )
            .map_err(|e| db.err(e))?;
    }
    for (k, v) in &req.tags {
        db.conn
            .execute(
                "INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?1, ?2, ?3)",
                params![k, v, id],
            )
            .map_err(|e| db.err(e))?;
    }
    Ok(id.to_string())
}

pub fn rename(db: &Db, id: &str, new_name: &str) -> Result<()> {
    check_name(new_name)?;
    let exp = get(db, id)?;
    if exp.lifecycle_stage == LifecycleStage::Deleted {
        return Err(ApiError::invalid(format!(
            "experiment {:?} is deleted: restore it before renaming",
            exp.name
        ))
        .into());
    }
    if exp.name == new_name {
        return Ok(());
    }
    ensure_name_free(db, new_name)?;
    db.conn
        .execute(
            "UPDATE experiments SET name = ?1, last_update_time = ?2 WHERE experiment_id = ?3",
            params![new_name, now_ms(), parse_id(id)?],
        )
        .map_err(|e| db.err(e))?;
    Ok(())
}

/// Deleting an experiment deletes its runs too (and restoring restores them), as MLflow does.
pub fn set_lifecycle(db: &Db, id: &str, stage: LifecycleStage) -> Result<()> {
    get(db, id)?;
    if parse_id(id)? == 0 && stage == LifecycleStage::Deleted {
        return Err(ApiError::invalid("the Default experiment (id 0) cannot be deleted").into());
    }
    let now = now_ms();
    let num = parse_id(id)?;
    db.conn
        .execute(
            "UPDATE experiments SET lifecycle_stage = ?1, last_update_time = ?2 WHERE experiment_id = ?3",
            params![stage.as_str(), now, num],
        )
        .map_err(|e| db.err(e))?;
    let deleted_time = (stage == LifecycleStage::Deleted).then_some(now);
    db.conn
        .execute(
            "UPDATE runs SET lifecycle_stage = ?1, deleted_time = ?2 WHERE experiment_id = ?3",
            params![stage.as_str(), deleted_time, num],
        )
        .map_err(|e| db.err(e))?;
    Ok(())
}

pub fn set_tag(db: &Db, id: &str, key: &str, value: &str) -> Result<()> {
    let exp = get(db, id)?;
    if exp.lifecycle_stage == LifecycleStage::Deleted {
        return Err(ApiError::invalid(format!(
            "experiment {:?} is deleted: restore it before changing its tags",
            exp.name
        ))
        .into());
    }
    if key.is_empty() {
        return Err(ApiError::invalid("a tag needs a key").into());
    }
    db.conn
        .execute(
            "INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?1, ?2, ?3) \
             ON CONFLICT (key, experiment_id) DO UPDATE SET value = excluded.value",
            params![key, value, parse_id(id)?],
        )
        .map_err(|e| db.err(e))?;
    Ok(())
}

pub fn delete_tag(db: &Db, id: &str, key: &str) -> Result<()> {
    get(db, id)?;
    let n = db
        .conn
        .execute(
            "DELETE FROM experiment_tags WHERE experiment_id = ?1 AND key = ?2",
            params![parse_id(id)?, key],
        )
        .map_err(|e| db.err(e))?;
    if n == 0 {
        return Err(ApiError::not_found(format!("experiment {id} has no tag {key:?}")).into());
    }
    Ok(())
}
