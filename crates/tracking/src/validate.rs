//! MLflow's rules for what may be logged (keys, value lengths, batch sizes), shared by the local
//! stores so an SQLite store and a file store refuse exactly what MLflow refuses.

use crate::error::Result;
use runlens_core::request::LogBatch;
use runlens_core::ApiError;
use std::collections::HashSet;

fn invalid(message: String) -> crate::error::TrackingError {
    ApiError::invalid(message).into()
}

pub const MAX_PARAM_VALUE_LENGTH: usize = 6000;
pub const MAX_TAG_VALUE_LENGTH: usize = 8000;
pub const MAX_METRICS_PER_BATCH: usize = 1000;
pub const MAX_PARAMS_TAGS_PER_BATCH: usize = 100;
pub const MAX_ENTITIES_PER_BATCH: usize = 1000;

/// Checks a tag, param or metric key the way MLflow does on Linux: letters, digits, `_ - . / :`
/// and spaces, and a path that names exactly one file inside its folder (no `..`, no `//`, no
/// leading or trailing `/`).
pub fn check_key(kind: &str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(invalid(format!("a {kind} key must not be empty")));
    }
    if !key
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | ' '))
    {
        return Err(invalid(format!(
            "invalid {kind} key {key:?}: keys may only contain letters, digits, '_', '-', '.', ' ', ':' and '/'"
        )));
    }
    let bad_segment = key.split('/').any(|s| s.is_empty() || s == "." || s == "..");
    if bad_segment || key.starts_with("..") {
        return Err(invalid(format!(
            "invalid {kind} key {key:?}: keys are file paths and must not contain empty, '.' or '..' parts"
        )));
    }
    if key.chars().count() > 250 {
        return Err(invalid(format!("{kind} key {key:?} is longer than 250 characters")));
    }
    Ok(())
}

/// A value's length limit, counted in characters as Python counts them.
pub fn check_length(what: &str, value: &str, limit: usize) -> Result<()> {
    let n = value.chars().count();
    if n > limit {
        return Err(invalid(format!(
            "{what} has {n} characters; MLflow allows at most {limit}"
        )));
    }
    Ok(())
}

/// A run tag: a valid key and a value within MLflow's limit.
pub fn run_tag(key: &str, value: &str) -> Result<()> {
    check_key("tag", key)?;
    check_length(&format!("the value of tag {key:?}"), value, MAX_TAG_VALUE_LENGTH)
}

/// A `log_batch` within MLflow's limits: entity counts, keys, value lengths, one value per param.
pub fn batch(batch: &LogBatch) -> Result<()> {
    let limits = [
        ("metrics", batch.metrics.len(), MAX_METRICS_PER_BATCH),
        ("params", batch.params.len(), MAX_PARAMS_TAGS_PER_BATCH),
        ("tags", batch.tags.len(), MAX_PARAMS_TAGS_PER_BATCH),
        (
            "metrics, params and tags",
            batch.metrics.len() + batch.params.len() + batch.tags.len(),
            MAX_ENTITIES_PER_BATCH,
        ),
    ];
    for (what, n, limit) in limits {
        if n > limit {
            return Err(invalid(format!(
                "a batch may hold at most {limit} {what}; this one has {n}"
            )));
        }
    }
    for m in &batch.metrics {
        check_key("metric", &m.key)?;
        if m.timestamp < 0 {
            return Err(invalid(format!(
                "metric {:?} has a negative timestamp {}",
                m.key, m.timestamp
            )));
        }
    }
    let mut keys = HashSet::new();
    for (key, value) in &batch.params {
        check_key("param", key)?;
        check_length(&format!("the value of param {key:?}"), value, MAX_PARAM_VALUE_LENGTH)?;
        if !keys.insert(key.as_str()) {
            return Err(invalid(format!(
                "param {key:?} appears twice in one batch; send one value per key"
            )));
        }
    }
    for (key, value) in &batch.tags {
        run_tag(key, value)?;
    }
    Ok(())
}
