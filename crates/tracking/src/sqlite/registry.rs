//! The model registry in the SQLite store: registered models, versions, stages, aliases, tags.

use super::{now_ms, Db};
use crate::error::Result;
use runlens_core::filter::{parse_experiment_filter, Field, Op, Value};
use runlens_core::order::{compare_experiments, parse_experiment_order};
use runlens_core::request::{CreateModelVersion, SearchModels, TransitionStage};
use runlens_core::*;
use rusqlite::{params, OptionalExtension, Row};
use std::collections::{BTreeMap, HashMap};

/// MLflow marks soft-deleted versions with this stage; they are invisible to clients.
const DELETED_INTERNAL: &str = "Deleted_Internal";

const VERSION_COLUMNS: &str = "name, version, creation_time, last_updated_time, description, user_id, current_stage, \
                               source, run_id, status, status_message, run_link";

fn registry_present(db: &Db) -> Result<()> {
    if db.schema.has_registry {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::FeatureDisabled, "this store has no model registry tables").into())
    }
}

fn version_from_row(row: &Row) -> rusqlite::Result<ModelVersion> {
    let stage: Option<String> = row.get(6)?;
    Ok(ModelVersion {
        name: row.get(0)?,
        version: row.get(1)?,
        creation_timestamp: row.get(2)?,
        last_updated_timestamp: row.get(3)?,
        description: row.get(4)?,
        user_id: row.get(5)?,
        current_stage: stage.as_deref().and_then(Stage::parse).unwrap_or_default(),
        source: row.get::<_, Option<String>>(7)?.unwrap_or_default(),
        run_id: row.get(8)?,
        status: row.get::<_, Option<String>>(9)?.unwrap_or_else(|| "READY".into()),
        status_message: row.get(10)?,
        run_link: row.get(11)?,
        tags: Tags::new(),
        aliases: Vec::new(),
    })
}

fn with_tags_and_aliases(db: &Db, mut v: ModelVersion) -> Result<ModelVersion> {
    let ws = db.workspace("t");
    let mut stmt = db
        .conn
        .prepare_cached(&format!(
            "SELECT key, value FROM model_version_tags t WHERE t.name = ?1 AND t.version = ?2{ws}"
        ))
        .map_err(|e| db.err(e))?;
    v.tags = stmt
        .query_map(params![v.name, v.version], |r| {
            Ok((r.get(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default()))
        })
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<Tags>>()
        .map_err(|e| db.err(e))?;
    let ws = db.workspace("a");
    let mut stmt = db
        .conn
        .prepare_cached(&format!(
            "SELECT alias FROM registered_model_aliases a WHERE a.name = ?1 AND a.version = ?2{ws} ORDER BY alias"
        ))
        .map_err(|e| db.err(e))?;
    v.aliases = stmt
        .query_map(params![v.name, v.version], |r| r.get(0))
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<Vec<String>>>()
        .map_err(|e| db.err(e))?;
    Ok(v)
}

/// All live versions of a model, newest first.
pub fn versions(db: &Db, name: &str) -> Result<Vec<ModelVersion>> {
    registry_present(db)?;
    model_row(db, name)?;
    let ws = db.workspace("v");
    let mut stmt = db
        .conn
        .prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM model_versions v WHERE v.name = ?1 AND v.current_stage != '{DELETED_INTERNAL}'{ws} \
             ORDER BY v.version DESC"
        ))
        .map_err(|e| db.err(e))?;
    let rows = stmt
        .query_map([name], version_from_row)
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db.err(e))?;
    rows.into_iter().map(|v| with_tags_and_aliases(db, v)).collect()
}

pub fn get_version(db: &Db, name: &str, version: i64) -> Result<ModelVersion> {
    registry_present(db)?;
    let ws = db.workspace("v");
    let v = db
        .conn
        .query_row(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM model_versions v WHERE v.name = ?1 AND v.version = ?2 \
                 AND v.current_stage != '{DELETED_INTERNAL}'{ws}"
            ),
            params![name, version],
            version_from_row,
        )
        .optional()
        .map_err(|e| db.err(e))?
        .ok_or_else(|| ApiError::not_found(format!("model {name:?} has no version {version}")))?;
    with_tags_and_aliases(db, v)
}

pub fn version_by_alias(db: &Db, name: &str, alias: &str) -> Result<ModelVersion> {
    registry_present(db)?;
    let ws = db.workspace("a");
    let version: Option<i64> = db
        .conn
        .query_row(
            &format!("SELECT version FROM registered_model_aliases a WHERE a.name = ?1 AND a.alias = ?2{ws}"),
            params![name, alias],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| db.err(e))?;
    let version = version.ok_or_else(|| ApiError::not_found(format!("model {name:?} has no alias {alias:?}")))?;
    get_version(db, name, version)
}

struct ModelRow {
    name: String,
    creation: Option<i64>,
    updated: Option<i64>,
    description: Option<String>,
}

fn model_row(db: &Db, name: &str) -> Result<ModelRow> {
    let ws = db.workspace("m");
    db.conn
        .query_row(
            &format!("SELECT name, creation_time, last_updated_time, description FROM registered_models m WHERE m.name = ?1{ws}"),
            [name],
            |r| Ok(ModelRow { name: r.get(0)?, creation: r.get(1)?, updated: r.get(2)?, description: r.get(3)? }),
        )
        .optional()
        .map_err(|e| db.err(e))?
        .ok_or_else(|| ApiError::not_found(format!("no registered model named {name:?}")).into())
}

fn full_model(db: &Db, row: ModelRow) -> Result<RegisteredModel> {
    let ws = db.workspace("t");
    let mut stmt = db
        .conn
        .prepare_cached(&format!(
            "SELECT key, value FROM registered_model_tags t WHERE t.name = ?1{ws}"
        ))
        .map_err(|e| db.err(e))?;
    let tags = stmt
        .query_map([&row.name], |r| {
            Ok((r.get(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default()))
        })
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<Tags>>()
        .map_err(|e| db.err(e))?;
    let ws = db.workspace("a");
    let mut stmt = db
        .conn
        .prepare_cached(&format!(
            "SELECT alias, version FROM registered_model_aliases a WHERE a.name = ?1{ws}"
        ))
        .map_err(|e| db.err(e))?;
    let aliases = stmt
        .query_map([&row.name], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<BTreeMap<String, i64>>>()
        .map_err(|e| db.err(e))?;
    let all = versions(db, &row.name)?;
    let latest_versions = Stage::ALL
        .iter()
        .filter_map(|stage| all.iter().find(|v| v.current_stage == *stage).cloned())
        .collect();
    Ok(RegisteredModel {
        name: row.name,
        creation_timestamp: row.creation,
        last_updated_timestamp: row.updated,
        description: row.description,
        tags,
        aliases,
        latest_versions,
    })
}

pub fn get_model(db: &Db, name: &str) -> Result<RegisteredModel> {
    registry_present(db)?;
    let row = model_row(db, name)?;
    full_model(db, row)
}

/// Registered models are few: filtered (`name`, `tags.<key>`) and sorted in memory, by name
/// unless asked otherwise.
pub fn search_models(db: &Db, req: &SearchModels) -> Result<Page<RegisteredModel>> {
    registry_present(db)?;
    let filter = parse_experiment_filter(req.filter.as_deref().unwrap_or(""))?;
    let mut order = req
        .order_by
        .iter()
        .map(|o| parse_experiment_order(&model_order_as_experiment_order(o)))
        .collect::<Result<Vec<_>, _>>()?;
    if order.is_empty() {
        order.push(parse_experiment_order("name ASC")?);
    }
    // A cheap pass over names, times and tags (two queries) filters, sorts and pages; only the
    // page's models are then loaded in full, keeping the read transaction short.
    let ws = db.workspace("m");
    let mut stmt = db
        .conn
        .prepare_cached(&format!(
            "SELECT name, creation_time, last_updated_time, description FROM registered_models m WHERE 1 = 1{ws}"
        ))
        .map_err(|e| db.err(e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ModelRow {
                name: r.get(0)?,
                creation: r.get(1)?,
                updated: r.get(2)?,
                description: r.get(3)?,
            })
        })
        .map_err(|e| db.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db.err(e))?;
    let ws = db.workspace("t");
    let mut stmt = db
        .conn
        .prepare_cached(&format!(
            "SELECT name, key, value FROM registered_model_tags t WHERE 1 = 1{ws}"
        ))
        .map_err(|e| db.err(e))?;
    let mut tags: HashMap<String, Tags> = HashMap::new();
    for row in stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .map_err(|e| db.err(e))?
    {
        let (name, key, value) = row.map_err(|e| db.err(e))?;
        tags.entry(name).or_default().insert(key, value.unwrap_or_default());
    }
    // Filtered and sorted by the experiment logic: a model has a name, tags and two times.
    let mut candidates: Vec<(Experiment, ModelRow)> = rows
        .into_iter()
        .map(|row| {
            let as_experiment = Experiment {
                experiment_id: String::new(),
                name: row.name.clone(),
                artifact_location: String::new(),
                lifecycle_stage: LifecycleStage::Active,
                creation_time: row.creation,
                last_update_time: row.updated,
                tags: tags.remove(&row.name).unwrap_or_default(),
            };
            (as_experiment, row)
        })
        .collect();
    // Prompts are registered models tagged `mlflow.prompt.is_prompt`; like MLflow, a search
    // returns them only when its filter asks for prompts.
    let prompts_asked = filter.clauses.iter().any(|c| {
        c.field == Field::Tag(registry::tag::IS_PROMPT.into())
            && matches!((&c.op, &c.value), (Op::Eq, Value::Str(v)) if v.eq_ignore_ascii_case("true"))
            || c.field == Field::Tag(registry::tag::IS_PROMPT.into())
                && matches!((&c.op, &c.value), (Op::Ne, Value::Str(v)) if v.eq_ignore_ascii_case("false"))
    });
    candidates.retain(|(e, _)| {
        let is_prompt = e
            .tags
            .get(registry::tag::IS_PROMPT)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        (prompts_asked || !is_prompt) && filter.matches_experiment(e)
    });
    candidates.sort_by(|a, b| compare_experiments(&a.0, &b.0, &order));
    let page = Page::slice(candidates, &req.page)?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|(_, row)| full_model(db, row))
            .collect::<Result<_>>()?,
        next_page_token: page.next_page_token,
    })
}

fn touch_model(db: &Db, name: &str, now: i64) -> Result<()> {
    let ws = db.workspace("registered_models");
    db.conn
        .execute(
            &format!("UPDATE registered_models SET last_updated_time = ?1 WHERE name = ?2{ws}"),
            params![now, name],
        )
        .map_err(|e| db.err(e))?;
    Ok(())
}

fn ws_cols(db: &Db) -> (&'static str, &'static str) {
    if db.schema.has_workspaces {
        (", workspace", ", 'default'")
    } else {
        ("", "")
    }
}

pub fn create_model(db: &Db, name: &str, description: Option<&str>, tags: &Tags) -> Result<()> {
    registry_present(db)?;
    registry::validate_model_name(name)?;
    if model_row(db, name).is_ok() {
        return Err(ApiError::new(
            ErrorCode::AlreadyExists,
            format!("a registered model named {name:?} already exists"),
        )
        .into());
    }
    let now = now_ms();
    let (c, v) = ws_cols(db);
    db.conn
        .execute(
            &format!("INSERT INTO registered_models (name, creation_time, last_updated_time, description{c}) VALUES (?1, ?2, ?2, ?3{v})"),
            params![name, now, description],
        )
        .map_err(|e| db.err(e))?;
    for (k, val) in tags {
        set_model_tag(db, name, k, Some(val))?;
    }
    Ok(())
}

/// Where a version's files are: `runs:/<id>/<path>` resolves to the run's artifact directory.
/// MLflow orders registered models by `name`, `creation_timestamp`, `last_updated_timestamp`;
/// models are sorted with the experiment comparator, whose time keys are named differently.
fn model_order_as_experiment_order(clause: &str) -> String {
    clause
        .replace("creation_timestamp", "creation_time")
        .replace("last_updated_timestamp", "last_update_time")
}

fn storage_location(db: &Db, source: &str) -> Result<String> {
    if let Some(rest) = source.strip_prefix("runs:/") {
        let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
        let run = super::runs::get(db, run_id)?;
        return Ok(format!(
            "{}/{}",
            run.info.artifact_uri.trim_end_matches('/'),
            path.trim_start_matches('/')
        ));
    }
    // MLflow 3 registers logged models (`models:/m-<id>`): their files are the logged model's.
    if let Some(model_id) = source.strip_prefix("models:/").filter(|id| id.starts_with("m-")) {
        let location: Option<Option<String>> = db
            .conn
            .query_row(
                "SELECT artifact_location FROM logged_models WHERE model_id = ?1",
                [model_id.trim_end_matches('/')],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db.err(e))?;
        return match location {
            Some(Some(loc)) => Ok(loc),
            _ => Err(ApiError::not_found(format!("logged model {model_id} does not exist in this store")).into()),
        };
    }
    Ok(source.to_string())
}

pub fn create_version(db: &Db, req: &CreateModelVersion) -> Result<ModelVersion> {
    registry_present(db)?;
    model_row(db, &req.name)?;
    if req.source.trim().is_empty() {
        return Err(ApiError::invalid("a model version needs a source (e.g. runs:/<run id>/model)").into());
    }
    if let Some(run_id) = &req.run_id {
        super::runs::get(db, run_id)?;
    }
    // MLflow fills in the run of a registered MLflow 3 logged model.
    let run_id = match (&req.run_id, req.source.strip_prefix("models:/")) {
        (None, Some(id)) if id.starts_with("m-") => {
            super::logged_models::get(db, id.trim_end_matches('/'))?.source_run_id
        }
        (run_id, _) => run_id.clone(),
    };
    let ws = db.workspace("v");
    let next: i64 = db
        .conn
        .query_row(
            &format!("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions v WHERE v.name = ?1{ws}"),
            [&req.name],
            |r| r.get(0),
        )
        .map_err(|e| db.err(e))?;
    let now = now_ms();
    let storage = storage_location(db, &req.source)?;
    let (c, v) = ws_cols(db);
    db.conn
        .execute(
            &format!(
                "INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, \
                 source, run_id, status, status_message, run_link, storage_location{c}) \
                 VALUES (?1, ?2, ?3, ?3, ?4, NULL, 'None', ?5, ?6, 'READY', NULL, NULL, ?7{v})"
            ),
            params![req.name, next, now, req.description, req.source, run_id, storage],
        )
        .map_err(|e| db.err(e))?;
    for (k, val) in &req.tags {
        set_version_tag(db, &req.name, next, k, Some(val))?;
    }
    touch_model(db, &req.name, now)?;
    get_version(db, &req.name, next)
}

pub fn transition(db: &Db, req: &TransitionStage) -> Result<ModelVersion> {
    let current = get_version(db, &req.name, req.version)?;
    if req.archive_existing_versions && !req.stage.allows_archiving_others() {
        return Err(ApiError::invalid(format!(
            "archive_existing_versions is only allowed when moving to Staging or Production, not {}",
            req.stage
        ))
        .into());
    }
    let now = now_ms();
    let ws = db.workspace("model_versions");
    if req.archive_existing_versions {
        db.conn
            .execute(
                &format!(
                    "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ?1 \
                     WHERE name = ?2 AND version != ?3 AND current_stage = ?4{ws}"
                ),
                params![now, req.name, req.version, req.stage.as_str()],
            )
            .map_err(|e| db.err(e))?;
    }
    db.conn
        .execute(
            &format!("UPDATE model_versions SET current_stage = ?1, last_updated_time = ?2 WHERE name = ?3 AND version = ?4{ws}"),
            params![req.stage.as_str(), now, req.name, current.version],
        )
        .map_err(|e| db.err(e))?;
    touch_model(db, &req.name, now)?;
    get_version(db, &req.name, req.version)
}

pub fn set_alias(db: &Db, name: &str, alias: &str, version: i64) -> Result<()> {
    validate_alias(alias)?;
    get_version(db, name, version)?;
    let (c, v) = ws_cols(db);
    let conflict = if db.schema.has_workspaces {
        "workspace, name, alias"
    } else {
        "name, alias"
    };
    db.conn
        .execute(
            &format!(
                "INSERT INTO registered_model_aliases (alias, version, name{c}) VALUES (?1, ?2, ?3{v}) \
                 ON CONFLICT ({conflict}) DO UPDATE SET version = excluded.version"
            ),
            params![alias, version, name],
        )
        .map_err(|e| db.err(e))?;
    touch_model(db, name, now_ms())
}

pub fn delete_alias(db: &Db, name: &str, alias: &str) -> Result<()> {
    registry_present(db)?;
    model_row(db, name)?;
    let ws = db.workspace("registered_model_aliases");
    let n = db
        .conn
        .execute(
            &format!("DELETE FROM registered_model_aliases WHERE name = ?1 AND alias = ?2{ws}"),
            params![name, alias],
        )
        .map_err(|e| db.err(e))?;
    if n == 0 {
        return Err(ApiError::not_found(format!("model {name:?} has no alias {alias:?}")).into());
    }
    touch_model(db, name, now_ms())
}

pub fn update_model(db: &Db, name: &str, description: &str) -> Result<()> {
    registry_present(db)?;
    model_row(db, name)?;
    let ws = db.workspace("registered_models");
    db.conn
        .execute(
            &format!("UPDATE registered_models SET description = ?1, last_updated_time = ?2 WHERE name = ?3{ws}"),
            params![description, now_ms(), name],
        )
        .map_err(|e| db.err(e))?;
    Ok(())
}

pub fn update_version(db: &Db, name: &str, version: i64, description: &str) -> Result<()> {
    get_version(db, name, version)?;
    let ws = db.workspace("model_versions");
    db.conn
        .execute(
            &format!("UPDATE model_versions SET description = ?1, last_updated_time = ?2 WHERE name = ?3 AND version = ?4{ws}"),
            params![description, now_ms(), name, version],
        )
        .map_err(|e| db.err(e))?;
    Ok(())
}

/// Sets (`Some`) or deletes (`None`) a registered model tag.
pub fn set_model_tag(db: &Db, name: &str, key: &str, value: Option<&str>) -> Result<()> {
    registry_present(db)?;
    model_row(db, name)?;
    let ws = db.workspace("registered_model_tags");
    match value {
        Some(value) => {
            if key.is_empty() {
                return Err(ApiError::invalid("a tag needs a key").into());
            }
            let (c, v) = ws_cols(db);
            let conflict = if db.schema.has_workspaces {
                "workspace, key, name"
            } else {
                "key, name"
            };
            db.conn
                .execute(
                    &format!(
                        "INSERT INTO registered_model_tags (key, value, name{c}) VALUES (?1, ?2, ?3{v}) \
                         ON CONFLICT ({conflict}) DO UPDATE SET value = excluded.value"
                    ),
                    params![key, value, name],
                )
                .map_err(|e| db.err(e))?;
        }
        None => {
            let n = db
                .conn
                .execute(
                    &format!("DELETE FROM registered_model_tags WHERE name = ?1 AND key = ?2{ws}"),
                    params![name, key],
                )
                .map_err(|e| db.err(e))?;
            if n == 0 {
                return Err(ApiError::not_found(format!("model {name:?} has no tag {key:?}")).into());
            }
        }
    }
    Ok(())
}

/// Sets (`Some`) or deletes (`None`) a model version tag.
pub fn set_version_tag(db: &Db, name: &str, version: i64, key: &str, value: Option<&str>) -> Result<()> {
    get_version(db, name, version)?;
    let ws = db.workspace("model_version_tags");
    match value {
        Some(value) => {
            if key.is_empty() {
                return Err(ApiError::invalid("a tag needs a key").into());
            }
            let (c, v) = ws_cols(db);
            let conflict = if db.schema.has_workspaces {
                "workspace, key, name, version"
            } else {
                "key, name, version"
            };
            db.conn
                .execute(
                    &format!(
                        "INSERT INTO model_version_tags (key, value, name, version{c}) VALUES (?1, ?2, ?3, ?4{v}) \
                         ON CONFLICT ({conflict}) DO UPDATE SET value = excluded.value"
                    ),
                    params![key, value, name, version],
                )
                .map_err(|e| db.err(e))?;
        }
        None => {
            let n = db
                .conn
                .execute(
                    &format!("DELETE FROM model_version_tags WHERE name = ?1 AND version = ?2 AND key = ?3{ws}"),
                    params![name, version, key],
                )
                .map_err(|e| db.err(e))?;
            if n == 0 {
                return Err(
                    ApiError::not_found(format!("version {version} of model {name:?} has no tag {key:?}")).into(),
                );
            }
        }
    }
    Ok(())
}
