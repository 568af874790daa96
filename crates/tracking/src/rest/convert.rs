//! MLflow's REST JSON ([`super::proto`]) into Runlens' core types.
//!
//! The server's answers are taken as they are, with three normalisations that every store
//! shares: lists that core documents as sorted are sorted here, empty strings that stand for
//! "not set" (description, run link, ...) become `None`, and version numbers become integers.

use super::proto;
use runlens_core::*;
use std::collections::BTreeMap;

fn tags(pairs: Vec<proto::KeyValue>) -> Tags {
    pairs.into_iter().map(|t| (t.key, t.value)).collect()
}

/// `""` means "not set" in MLflow's JSON (proto2 strings left empty).
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.is_empty())
}

pub fn experiment(e: proto::Experiment) -> Experiment {
    Experiment {
        experiment_id: e.experiment_id,
        name: e.name,
        artifact_location: e.artifact_location,
        lifecycle_stage: LifecycleStage::parse(&e.lifecycle_stage).unwrap_or_default(),
        creation_time: e.creation_time,
        last_update_time: e.last_update_time,
        tags: tags(e.tags),
    }
}

pub fn run_info(info: proto::RunInfo, tags: Option<&Tags>) -> RunInfo {
    let run_id = if info.run_id.is_empty() {
        info.run_uuid
    } else {
        info.run_id
    };
    // MLflow < 1.14 had no run_name field: the name lived only in the tag.
    let run_name = if info.run_name.is_empty() {
        tags.and_then(|t| t.get(tag::RUN_NAME)).cloned().unwrap_or_default()
    } else {
        info.run_name
    };
    RunInfo {
        run_id,
        run_name,
        experiment_id: info.experiment_id,
        user_id: info.user_id,
        status: RunStatus::parse(&info.status).unwrap_or_default(),
        start_time: info.start_time,
        end_time: info.end_time,
        artifact_uri: info.artifact_uri,
        lifecycle_stage: LifecycleStage::parse(&info.lifecycle_stage).unwrap_or_default(),
    }
}

pub fn metric(m: proto::Metric) -> Metric {
    Metric {
        key: m.key,
        value: m.value,
        timestamp: m.timestamp.unwrap_or(0),
        step: m.step.unwrap_or(0),
    }
}

/// A metric history in the order the [`Store`](crate::Store) promises: by step, then timestamp
/// (stable, so points logged at the same step and time keep the server's order).
pub fn history(points: Vec<proto::Metric>) -> Vec<Metric> {
    let mut out: Vec<Metric> = points.into_iter().map(metric).collect();
    out.sort_by_key(|m| (m.step, m.timestamp));
    out
}

fn dataset_input(input: proto::DatasetInput) -> DatasetInput {
    let d = input.dataset;
    DatasetInput {
        dataset: Dataset {
            name: d.name,
            digest: d.digest,
            source_type: d.source_type,
            source: d.source,
            schema: non_empty(d.schema),
            profile: non_empty(d.profile),
        },
        tags: tags(input.tags),
    }
}

pub fn run(r: proto::Run) -> Run {
    let data_tags = tags(r.data.tags);
    let info = run_info(r.info, Some(&data_tags));
    let mut metrics: Vec<Metric> = r.data.metrics.into_iter().map(metric).collect();
    metrics.sort_by(|a, b| a.key.cmp(&b.key));
    let params: BTreeMap<String, String> = r.data.params.into_iter().map(|p| (p.key, p.value)).collect();
    let mut inputs: Vec<DatasetInput> = r.inputs.dataset_inputs.into_iter().map(dataset_input).collect();
    inputs.sort_by(|a, b| (&a.dataset.name, &a.dataset.digest).cmp(&(&b.dataset.name, &b.dataset.digest)));
    Run {
        info,
        data: RunData {
            metrics,
            params,
            tags: data_tags,
        },
        inputs,
    }
}

/// A listed artifact; directories never carry a size.
pub fn file_info(f: proto::FileInfo) -> FileInfo {
    let size = if f.is_dir {
        None
    } else {
        f.file_size.and_then(|s| u64::try_from(s).ok())
    };
    FileInfo {
        path: f.path.trim_matches('/').to_string(),
        is_dir: f.is_dir,
        file_size: size,
    }
}

/// Fails only when the version number is missing: a version without one cannot be addressed.
pub fn model_version(v: proto::ModelVersion) -> Result<ModelVersion, ApiError> {
    let version = v.version.ok_or_else(|| {
        ApiError::new(
            ErrorCode::ServerError,
            format!("the server sent a version of model {:?} without a number", v.name),
        )
    })?;
    let mut aliases = v.aliases;
    aliases.sort();
    aliases.dedup();
    Ok(ModelVersion {
        name: v.name,
        version,
        creation_timestamp: v.creation_timestamp,
        last_updated_timestamp: v.last_updated_timestamp,
        description: non_empty(v.description),
        user_id: non_empty(v.user_id),
        current_stage: v.current_stage.as_deref().and_then(Stage::parse).unwrap_or_default(),
        source: v.source,
        run_id: non_empty(v.run_id),
        status: v.status,
        status_message: non_empty(v.status_message),
        run_link: non_empty(v.run_link),
        tags: tags(v.tags),
        aliases,
    })
}

fn stage_rank(stage: Stage) -> usize {
    Stage::ALL.iter().position(|s| *s == stage).unwrap_or(0)
}

/// MLflow's search answers leave a version's `aliases` empty; the model's alias map is the truth.
pub fn fill_aliases(v: &mut ModelVersion, model_aliases: &BTreeMap<String, i64>) {
    let mut names: Vec<String> = model_aliases
        .iter()
        .filter(|(_, n)| **n == v.version)
        .map(|(a, _)| a.clone())
        .collect();
    names.append(&mut v.aliases);
    names.sort();
    names.dedup();
    v.aliases = names;
}

pub fn registered_model(m: proto::RegisteredModel) -> Result<RegisteredModel, ApiError> {
    let mut latest = m
        .latest_versions
        .into_iter()
        .map(model_version)
        .collect::<Result<Vec<_>, _>>()?;
    latest.sort_by_key(|v| (stage_rank(v.current_stage), v.version));
    let aliases: BTreeMap<String, i64> = m
        .aliases
        .into_iter()
        .filter_map(|a| Some((a.alias, a.version?)))
        .collect();
    for v in &mut latest {
        fill_aliases(v, &aliases);
    }
    Ok(RegisteredModel {
        name: m.name,
        creation_timestamp: m.creation_timestamp,
        last_updated_timestamp: m.last_updated_timestamp,
        description: non_empty(m.description),
        tags: tags(m.tags),
        aliases,
        latest_versions: latest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode<T: serde::de::DeserializeOwned>(mut v: serde_json::Value) -> T {
        proto::strip_nulls(&mut v);
        serde_json::from_value(v).unwrap()
    }

    /// The shape of `runs/get` as MLflow 3.17.2 answers it (trimmed).
    #[test]
    fn converts_a_run_as_mlflow_sends_it() {
        let json = serde_json::json!({
            "info": {"run_uuid": "abc", "experiment_id": "1", "run_name": "parent", "user_id": "root",
                     "status": "FINISHED", "start_time": 1795526700966_i64, "end_time": 1795526710205_i64,
                     "artifact_uri": "mlflow-artifacts:/1/abc/artifacts", "lifecycle_stage": "active", "run_id": "abc"},
            "data": {
                "metrics": [{"key": "weird", "value": "NaN", "timestamp": 3, "step": 3},
                            {"key": "loss", "value": 1.7976931348623157e308, "timestamp": 2, "step": 119}],
                "params": [{"key": "prompt", "value": "h\u{e9}llo\nworld"}],
                "tags": [{"key": "mlflow.runName", "value": "parent"}]
            },
            "inputs": {"dataset_inputs": [
                {"tags": [{"key": "mlflow.data.context", "value": "training"}],
                 "dataset": {"name": "b", "digest": "2", "source_type": "http", "source": "{}", "schema": "", "profile": "{}"}},
                {"dataset": {"name": "a", "digest": "1", "source_type": "http", "source": "{}"}}
            ]},
            "outputs": {}
        });
        let r = run(decode(json));
        assert_eq!(r.info.run_id, "abc");
        assert_eq!(r.info.status, RunStatus::Finished);
        assert_eq!(r.info.end_time, Some(1795526710205));
        assert_eq!(
            r.data.metrics.iter().map(|m| m.key.as_str()).collect::<Vec<_>>(),
            ["loss", "weird"]
        );
        assert_eq!(
            r.data.metrics[0].value.class(),
            runlens_core::metric::ValueClass::PosInf
        );
        assert!(r.data.metrics[1].value.get().is_nan());
        assert_eq!(r.data.params["prompt"], "h\u{e9}llo\nworld");
        assert_eq!(
            r.inputs.iter().map(|i| i.dataset.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(r.inputs[1].dataset.schema, None);
        assert_eq!(r.inputs[1].tags[tag::DATA_CONTEXT], "training");
    }

    #[test]
    fn old_runs_without_run_id_or_name_use_uuid_and_tag() {
        let json = serde_json::json!({"info": {"run_uuid": "old", "status": "RUNNING"},
                                      "data": {"tags": [{"key": "mlflow.runName", "value": "legacy"}]}});
        let r = run(decode(json));
        assert_eq!((r.info.run_id.as_str(), r.info.run_name.as_str()), ("old", "legacy"));
        assert_eq!(r.info.end_time, None);
    }

    #[test]
    fn histories_are_ordered_by_step_then_time() {
        let json = serde_json::json!({"metrics": [
            {"key": "k", "value": 3, "timestamp": 30, "step": 2},
            {"key": "k", "value": "-Infinity", "timestamp": 20, "step": 1},
            {"key": "k", "value": 1, "timestamp": 10, "step": 1}]});
        let resp: proto::MetricHistoryResponse = decode(json);
        let h = history(resp.metrics);
        assert_eq!(h.iter().map(|m| m.timestamp).collect::<Vec<_>>(), [10, 20, 30]);
        assert_eq!(h[1].value.get(), f64::NEG_INFINITY);
    }

    /// `registered-models/get` as MLflow 3.17.2 answers it (trimmed).
    #[test]
    fn converts_registered_models_and_versions() {
        let json = serde_json::json!({
            "name": "clf", "creation_timestamp": 1795526710311_i64, "description": "a model",
            "latest_versions": [
                {"name": "clf", "version": "2", "current_stage": "Production", "description": "", "source": "runs:/r/model",
                 "run_id": "r", "status": "READY", "run_link": ""},
                {"name": "clf", "version": "1", "current_stage": "None", "description": "first", "source": "runs:/r/model",
                 "run_id": "r", "status": "READY", "tags": [{"key": "k", "value": "v"}], "run_link": ""}
            ],
            "tags": [{"key": "team", "value": "ml"}],
            "aliases": [{"alias": "champion", "version": "1"}]
        });
        let m = registered_model(decode(json)).unwrap();
        assert_eq!(m.aliases, BTreeMap::from([("champion".to_string(), 1)]));
        assert_eq!(m.latest_versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
        let v2 = &m.latest_versions[1];
        assert_eq!(
            (v2.current_stage, v2.description.as_deref(), v2.run_link.as_deref()),
            (Stage::Production, None, None)
        );
        assert_eq!(m.latest_versions[0].tags["k"], "v");
        assert_eq!(m.tags["team"], "ml");

        let no_number: proto::ModelVersion = decode(serde_json::json!({"name": "clf"}));
        assert_eq!(model_version(no_number).unwrap_err().code, ErrorCode::ServerError);
    }

    #[test]
    fn directories_have_no_size() {
        let f = file_info(decode(
            serde_json::json!({"path": "notes", "is_dir": true, "file_size": 4096}),
        ));
        assert_eq!(
            f,
            FileInfo {
                path: "notes".into(),
                is_dir: true,
                file_size: None
            }
        );
        let f = file_info(decode(serde_json::json!({"path": "big.txt", "file_size": "5000"})));
        assert_eq!(f.file_size, Some(5000));
    }
}
