//! Runs of the file store: `<exp>/<run>/meta.yaml` (status and source type as protobuf numbers),
//! `params/`, `tags/` and `metrics/` files keyed by path (`metrics/eval/loss`), one metric point
//! per line (`<timestamp> <value> <step>`, values in Python's `repr`), and dataset inputs.

use super::experiments::{ExpDir, Skip};
use super::io::{
    self, append, corrupt, invalid, not_found, parse_int, read_text, write_atomic, ARTIFACTS, DATASETS, INPUTS, META,
    METRICS, PARAMS, RESERVED_EXPERIMENT_FOLDERS, TAGS,
};
use super::names::random_run_name;
use super::yaml::{python_float_repr, read_meta, Doc, Meta, Node, StringFields};
use super::Fs;
use crate::error::Result;
use crate::validate;
use runlens_core::filter::parse_run_filter;
use runlens_core::order::{compare_runs, parse_run_order};
use runlens_core::request::{CreateRun, LogBatch, SearchRuns, UpdateRun};
use runlens_core::sampling::{Point, StepRange};
use runlens_core::{
    tag, ApiError, Dataset, DatasetInput, LifecycleStage, Metric, MetricValue, Page, Run, RunData, RunInfo, RunStatus,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// `SourceType.LOCAL`, what MLflow's file store always records.
const SOURCE_TYPE_LOCAL: i64 = 4;

/// The fields of a run's `meta.yaml` that Runlens reads, each as written.
#[derive(Debug, Default, Deserialize)]
struct RunMeta {
    run_id: Option<String>,
    /// Older MLflow versions wrote the id under this name.
    run_uuid: Option<String>,
    run_name: Option<String>,
    experiment_id: Option<String>,
    user_id: Option<String>,
    status: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    artifact_uri: Option<String>,
    lifecycle_stage: Option<String>,
    source_name: Option<String>,
    entry_point_name: Option<String>,
    source_version: Option<String>,
}

impl StringFields for RunMeta {
    fn string_fields(&self) -> Vec<(&'static str, &Option<String>)> {
        vec![
            ("run_id", &self.run_id),
            ("run_uuid", &self.run_uuid),
            ("run_name", &self.run_name),
            ("experiment_id", &self.experiment_id),
            ("user_id", &self.user_id),
            ("artifact_uri", &self.artifact_uri),
            ("lifecycle_stage", &self.lifecycle_stage),
            ("source_name", &self.source_name),
            ("entry_point_name", &self.entry_point_name),
            ("source_version", &self.source_version),
        ]
    }
}

#[derive(Debug, Default, Deserialize)]
struct InputMeta {
    source_type: Option<String>,
    source_id: Option<String>,
    tags: Option<BTreeMap<String, Option<String>>>,
}

/// Read only, never rewritten.
impl StringFields for InputMeta {}

#[derive(Debug, Default, Deserialize)]
struct DatasetMeta {
    name: Option<String>,
    digest: Option<String>,
    source_type: Option<String>,
    source: Option<String>,
    schema: Option<String>,
    profile: Option<String>,
}

/// Read only, never rewritten.
impl StringFields for DatasetMeta {}

/// A run's folder and the experiment folder it sits in.
#[derive(Debug, Clone)]
pub(super) struct RunDir {
    pub exp: ExpDir,
    pub dir: PathBuf,
}

/// Reading a run's `meta.yaml`: a run, a folder to pass over, or (through the outer `Result`)
/// a file MLflow could not read either.
type RunRead = std::result::Result<(RunInfo, Doc), Skip>;

impl Fs {
    /// The folders of an experiment that can be runs (everything but `tags/`, `datasets/`,
    /// `traces/` and `models/`).
    pub(super) fn run_dirs_of(&self, exp: &ExpDir) -> Result<Vec<PathBuf>> {
        Ok(io::subdirs(&exp.dir)?
            .into_iter()
            .filter(|(name, _)| !RESERVED_EXPERIMENT_FOLDERS.contains(&name.as_str()))
            .map(|(_, path)| path)
            .collect())
    }

    /// Finds a run in any experiment, active or deleted.
    pub(super) fn find_run(&self, run_id: &str) -> Result<RunDir> {
        io::validate_run_id(run_id)?;
        if !RESERVED_EXPERIMENT_FOLDERS.contains(&run_id) {
            for exp in self.experiment_dirs(runlens_core::ViewType::All)? {
                let dir = exp.dir.join(run_id);
                if dir.join(META).is_file() {
                    return Ok(RunDir { exp, dir });
                }
            }
        }
        Err(not_found(format!(
            "run {run_id} does not exist in {}",
            self.root.display()
        )))
    }

    /// Reads a run's `meta.yaml`. A folder without one, or one recording another experiment or
    /// run id, is passed over (MLflow ignores those too); YAML that does not parse, or a status
    /// MLflow does not know, is an error naming the file.
    fn read_run_info(&self, exp: &ExpDir, dir: &Path) -> Result<RunRead> {
        let path = dir.join(META);
        let (meta, doc) = match read_meta::<RunMeta>(&path)? {
            Meta::Found(meta, doc) => (meta, doc),
            Meta::Missing => {
                return Ok(Err(Skip {
                    path: dir.to_path_buf(),
                    problem: "is not a run: it has no meta.yaml".into(),
                }))
            }
            Meta::Empty => {
                return Ok(Err(Skip {
                    path,
                    problem: "is empty".into(),
                }))
            }
        };
        let folder = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let run_id = meta
            .run_id
            .clone()
            .or_else(|| meta.run_uuid.clone())
            .unwrap_or_else(|| folder.clone());
        if run_id != folder {
            return Ok(Err(Skip {
                path,
                problem: format!("records run_id {run_id:?} but its folder is named {folder:?}"),
            }));
        }
        let experiment_id = meta.experiment_id.clone().unwrap_or_default();
        if experiment_id != exp.id {
            return Ok(Err(Skip {
                path,
                problem: format!(
                    "records experiment_id {experiment_id:?} but sits in experiment {}",
                    exp.id
                ),
            }));
        }
        let status = match meta.status.as_deref().map(str::trim) {
            None => RunStatus::Running,
            Some(s) => match s
                .parse::<i64>()
                .ok()
                .and_then(RunStatus::from_proto)
                .or_else(|| RunStatus::parse(s))
            {
                Some(status) => status,
                None => return Err(corrupt(&path, format!("has an unknown run status {s:?}"), None)),
            },
        };
        let lifecycle_stage = match meta.lifecycle_stage.as_deref() {
            None => LifecycleStage::Active,
            Some(s) => LifecycleStage::parse(s)
                .ok_or_else(|| corrupt(&path, format!("has an unknown lifecycle_stage {s:?}"), None))?,
        };
        let info = RunInfo {
            run_id,
            run_name: meta.run_name.unwrap_or_default(),
            experiment_id,
            user_id: meta.user_id.unwrap_or_default(),
            status,
            start_time: parse_int(meta.start_time.as_deref()),
            end_time: parse_int(meta.end_time.as_deref()),
            artifact_uri: meta.artifact_uri.unwrap_or_default(),
            lifecycle_stage,
        };
        Ok(Ok((info, doc)))
    }

    fn run_info_strict(&self, rd: &RunDir) -> Result<(RunInfo, Doc)> {
        self.read_run_info(&rd.exp, &rd.dir)?.map_err(Skip::into_error)
    }

    /// Moves one run from lifecycle stage `from` to `to` (used when a whole experiment is deleted
    /// or restored); other runs and folders that are not runs are left alone.
    pub(super) fn set_run_lifecycle_if(
        &self,
        exp: &ExpDir,
        dir: &Path,
        from: LifecycleStage,
        to: LifecycleStage,
        deleted_time: Option<i64>,
    ) -> Result<()> {
        if let Ok((info, mut doc)) = self.read_run_info(exp, dir)? {
            if info.lifecycle_stage == from {
                set_lifecycle(&mut doc, to, deleted_time);
                write_atomic(&dir.join(META), dir, doc.render().as_bytes())?;
            }
        }
        Ok(())
    }

    /// Metrics (latest values), params, tags and dataset inputs of a run whose info is read.
    fn load_run(&self, exp: &ExpDir, dir: &Path, mut info: RunInfo) -> Result<Run> {
        let mut metrics = Vec::new();
        for (key, path) in io::keyed_files(&dir.join(METRICS))? {
            let points = read_metric_file(&path, &key)?;
            if let Some(latest) = latest_metric(&points) {
                metrics.push(latest.clone());
            }
        }
        let params = io::read_keyed_values(&dir.join(PARAMS))?;
        let tags = io::read_keyed_values(&dir.join(TAGS))?;
        if info.run_name.is_empty() {
            if let Some(name) = tags.get(tag::RUN_NAME) {
                info.run_name = name.clone();
            }
        }
        let inputs = read_inputs(&exp.dir, dir)?;
        Ok(Run {
            info,
            data: RunData { metrics, params, tags },
            inputs,
        })
    }

    pub(super) fn get_run(&self, run_id: &str) -> Result<Run> {
        let rd = self.find_run(run_id)?;
        let (info, _) = self.run_info_strict(&rd)?;
        self.load_run(&rd.exp, &rd.dir, info)
    }

    pub(super) fn search_runs(&self, req: &SearchRuns) -> Result<Page<Run>> {
        let filter = parse_run_filter(req.filter.as_deref().unwrap_or("")).map_err(ApiError::from)?;
        let order = req
            .order_by
            .iter()
            .map(|o| parse_run_order(o))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::from)?;
        let mut seen = HashSet::new();
        let mut candidates = Vec::new();
        for id in &req.experiment_ids {
            if !seen.insert(id.as_str()) {
                continue;
            }
            // Like MLflow, an experiment that does not exist contributes no runs.
            let Some(exp) = self.find_experiment(id)? else { continue };
            for dir in self.run_dirs_of(&exp)? {
                candidates.push((exp.clone(), dir));
            }
        }
        let loaded = parallel_map(&candidates, |(exp, dir)| -> Result<Option<Run>> {
            match self.read_run_info(exp, dir)? {
                Ok((info, _)) if req.view_type.includes(info.lifecycle_stage) => {
                    Ok(Some(self.load_run(exp, dir, info)?))
                }
                _ => Ok(None),
            }
        });
        let mut runs = Vec::new();
        for run in loaded {
            if let Some(run) = run? {
                if filter.matches_run(&run) {
                    runs.push(run);
                }
            }
        }
        runs.sort_by(|a, b| compare_runs(a, b, &order));
        Ok(Page::slice(runs, &req.page)?)
    }

    pub(super) fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        io::validate_key("metric", key)?;
        let rd = self.find_run(run_id)?;
        let path = rd.dir.join(METRICS).join(key);
        if !path.is_file() {
            return Ok(Vec::new());
        }
        let mut points = read_metric_file(&path, key)?;
        points.sort_by_key(|m| (m.step, m.timestamp));
        Ok(points)
    }

    /// One metric's points ordered by step then timestamp, only those in `steps` when given.
    pub(super) fn metric_points(&self, run_id: &str, key: &str, steps: Option<StepRange>) -> Result<Vec<Point>> {
        io::validate_key("metric", key)?;
        let rd = self.find_run(run_id)?;
        let path = rd.dir.join(METRICS).join(key);
        if !path.is_file() {
            return Ok(Vec::new());
        }
        let mut points = read_metric_points(&path, steps)?;
        points.sort_by_key(|p| (p.step, p.timestamp));
        Ok(points)
    }

    pub(super) fn create_run(&self, req: &CreateRun) -> Result<RunInfo> {
        for (key, value) in &req.tags {
            validate::run_tag(key, value)?;
        }
        let name_tag = req.tags.get(tag::RUN_NAME).filter(|s| !s.is_empty());
        let requested = req.run_name.as_ref().filter(|s| !s.is_empty());
        if let (Some(name), Some(tagged)) = (requested, name_tag) {
            if name != tagged {
                return Err(invalid(format!(
                    "run_name {name:?} and tag mlflow.runName {tagged:?} disagree; give one name"
                )));
            }
        }
        let run_name = requested.or(name_tag).cloned().unwrap_or_else(random_run_name);
        let user_id = req
            .user_id
            .clone()
            .filter(|u| !u.is_empty())
            .or_else(|| req.tags.get(tag::USER).cloned())
            .unwrap_or_else(|| "unknown".to_string());

        let _guard = self.lock();
        let exp = self.experiment_dir(&req.experiment_id)?;
        let (experiment, _) = self.read_experiment(&exp)?.map_err(Skip::into_error)?;
        if exp.deleted || experiment.lifecycle_stage != LifecycleStage::Active {
            return Err(invalid(format!(
                "experiment {} is deleted; restore it before creating runs in it",
                req.experiment_id
            )));
        }
        if let Some(parent) = &req.parent_run_id {
            self.find_run(parent).map_err(|e| match ApiError::from(e) {
                err if err.code == runlens_core::ErrorCode::NotFound => {
                    not_found(format!("parent run {parent} does not exist in {}", self.root.display()))
                }
                err => err.into(),
            })?;
        }
        let mut tags = req.tags.clone();
        tags.entry(tag::RUN_NAME.to_string())
            .or_insert_with(|| run_name.clone());
        if req.user_id.as_ref().is_some_and(|u| !u.is_empty()) {
            tags.entry(tag::USER.to_string()).or_insert_with(|| user_id.clone());
        }
        if let Some(parent) = &req.parent_run_id {
            tags.insert(tag::PARENT_RUN_ID.to_string(), parent.clone());
        }

        let run_id = uuid::Uuid::new_v4().simple().to_string();
        let artifact_uri = format!(
            "{}/{run_id}/{ARTIFACTS}",
            experiment.artifact_location.trim_end_matches('/')
        );
        let dir = exp.dir.join(&run_id);
        std::fs::create_dir(&dir).map_err(|e| io::io_err(&dir, e))?;
        let start_time = req.start_time.unwrap_or_else(io::now_ms);
        let info = RunInfo {
            run_id: run_id.clone(),
            run_name,
            experiment_id: exp.id.clone(),
            user_id,
            status: RunStatus::Running,
            start_time: Some(start_time),
            end_time: None,
            artifact_uri,
            lifecycle_stage: LifecycleStage::Active,
        };
        let mut doc = Doc::new();
        write_info(&mut doc, &info);
        doc.set("deleted_time", Node::Null)
            .set("entry_point_name", "")
            .set("source_name", "")
            .set("source_type", SOURCE_TYPE_LOCAL)
            .set("source_version", "")
            .set("tags", Node::Seq(Vec::new()));
        write_atomic(&dir.join(META), &dir, doc.render().as_bytes())?;
        for sub in [METRICS, PARAMS, ARTIFACTS] {
            let p = dir.join(sub);
            std::fs::create_dir_all(&p).map_err(|e| io::io_err(&p, e))?;
        }
        for (key, value) in &tags {
            write_atomic(&dir.join(TAGS).join(key), &dir, value.as_bytes())?;
        }
        Ok(info)
    }

    fn active_run(&self, run_id: &str) -> Result<(RunDir, RunInfo, Doc)> {
        let rd = self.find_run(run_id)?;
        let (info, doc) = self.run_info_strict(&rd)?;
        if info.lifecycle_stage != LifecycleStage::Active {
            return Err(invalid(format!(
                "run {run_id} is deleted; restore it before changing it"
            )));
        }
        Ok((rd, info, doc))
    }

    pub(super) fn update_run(&self, run_id: &str, req: &UpdateRun) -> Result<RunInfo> {
        if let Some(name) = &req.run_name {
            validate::run_tag(tag::RUN_NAME, name)?;
        }
        let _guard = self.lock();
        let (rd, mut info, mut doc) = self.active_run(run_id)?;
        if let Some(status) = req.status {
            info.status = status;
        }
        if let Some(end) = req.end_time {
            info.end_time = Some(end);
        }
        if let Some(name) = req.run_name.as_ref().filter(|n| !n.is_empty()) {
            info.run_name = name.clone();
            write_atomic(&rd.dir.join(TAGS).join(tag::RUN_NAME), &rd.dir, name.as_bytes())?;
        }
        write_info(&mut doc, &info);
        write_atomic(&rd.dir.join(META), &rd.dir, doc.render().as_bytes())?;
        if info.run_name.is_empty() {
            if let Some(name) = read_text(&rd.dir.join(TAGS).join(tag::RUN_NAME))? {
                info.run_name = name;
            }
        }
        Ok(info)
    }

    pub(super) fn log_batch(&self, run_id: &str, batch: &LogBatch) -> Result<()> {
        validate::batch(batch)?;
        let _guard = self.lock();
        let (rd, mut info, mut doc) = self.active_run(run_id)?;

        // Params are immutable: check them all before writing anything.
        let mut new_params = Vec::new();
        for (key, value) in &batch.params {
            let path = rd.dir.join(PARAMS).join(key);
            match read_text(&path)? {
                Some(current) if &current != value => {
                    return Err(invalid(format!(
                        "param {key:?} of run {run_id} was already logged with value {current:?}; \
                         MLflow does not allow changing it to {value:?}"
                    )))
                }
                Some(_) => {}
                None => new_params.push((path, value)),
            }
        }
        for (path, value) in new_params {
            write_atomic(&path, &rd.dir, value.as_bytes())?;
        }

        let mut lines: BTreeMap<&str, String> = BTreeMap::new();
        for m in &batch.metrics {
            let line = lines.entry(m.key.as_str()).or_default();
            line.push_str(&format!(
                "{} {} {}\n",
                m.timestamp,
                python_float_repr(m.value.get()),
                m.step
            ));
        }
        for (key, text) in lines {
            append(&rd.dir.join(METRICS).join(key), text.as_bytes())?;
        }

        for (key, value) in &batch.tags {
            write_atomic(&rd.dir.join(TAGS).join(key), &rd.dir, value.as_bytes())?;
            // The run name lives in meta.yaml as well; keep both in step, as MLflow does.
            if key == tag::RUN_NAME && &info.run_name != value {
                info.run_name = value.clone();
                write_info(&mut doc, &info);
                write_atomic(&rd.dir.join(META), &rd.dir, doc.render().as_bytes())?;
            }
        }
        Ok(())
    }

    pub(super) fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        io::validate_key("tag", key)?;
        let _guard = self.lock();
        let (rd, _, _) = self.active_run(run_id)?;
        let path = rd.dir.join(TAGS).join(key);
        if !path.is_file() {
            return Err(not_found(format!("run {run_id} has no tag {key:?}")));
        }
        std::fs::remove_file(&path).map_err(|e| io::io_err(&path, e))
    }

    pub(super) fn set_run_lifecycle(&self, run_id: &str, stage: LifecycleStage) -> Result<()> {
        let _guard = self.lock();
        let rd = self.find_run(run_id)?;
        let (_, mut doc) = self.run_info_strict(&rd)?;
        let deleted_time = (stage == LifecycleStage::Deleted).then(io::now_ms);
        set_lifecycle(&mut doc, stage, deleted_time);
        write_atomic(&rd.dir.join(META), &rd.dir, doc.render().as_bytes())
    }

    /// The local folder holding a run's artifacts.
    pub(super) fn artifact_root(&self, run_id: &str) -> Result<PathBuf> {
        let rd = self.find_run(run_id)?;
        let (info, _) = self.run_info_strict(&rd)?;
        crate::artifacts::local_root(&info.artifact_uri)
    }
}

/// Puts a run's info into its `meta.yaml` document (status as MLflow's protobuf number).
fn write_info(doc: &mut Doc, info: &RunInfo) {
    doc.set("artifact_uri", info.artifact_uri.as_str())
        .set("end_time", info.end_time)
        .set("experiment_id", info.experiment_id.as_str())
        .set("lifecycle_stage", info.lifecycle_stage.as_str())
        .set("run_id", info.run_id.as_str())
        .set("run_name", info.run_name.as_str())
        .set("start_time", info.start_time)
        .set("status", info.status.to_proto())
        .set("user_id", info.user_id.as_str());
}

/// Deleting records `deleted_time`; restoring removes it, as MLflow's file store does.
fn set_lifecycle(doc: &mut Doc, stage: LifecycleStage, deleted_time: Option<i64>) {
    doc.set("lifecycle_stage", stage.as_str());
    match deleted_time {
        Some(t) => {
            doc.set("deleted_time", t);
        }
        None => doc.remove("deleted_time"),
    }
}

/// One metric line: `<timestamp> <value> <step>`, or the older `<timestamp> <value>` (step 0),
/// or with a dataset name and digest after the step.
pub(super) fn parse_metric_line(line: &str) -> Option<(i64, f64, i64)> {
    let parts: Vec<&str> = line.trim().split(' ').collect();
    if !matches!(parts.len(), 2 | 3 | 5) {
        return None;
    }
    let timestamp = parts[0].parse::<i64>().ok()?;
    let value = MetricValue::parse(parts[1])?.get();
    let step = match parts.get(2) {
        Some(s) => s.parse::<i64>().ok()?,
        None => 0,
    };
    Some((timestamp, value, step))
}

/// Every point of one metric file, in file order. A last line without its newline that does not
/// parse is a point still being written and is left out; any other bad line is an error.
pub(super) fn read_metric_file(path: &Path, key: &str) -> Result<Vec<Metric>> {
    Ok(read_metric_points(path, None)?
        .into_iter()
        .map(|p| Metric {
            key: key.to_string(),
            value: p.value,
            timestamp: p.timestamp,
            step: p.step,
        })
        .collect())
}

/// The points of one metric file in file order, only those whose step is in `steps` when given
/// (filtered as the lines are read), without the key. Bad lines as in [`read_metric_file`].
pub(super) fn read_metric_points(path: &Path, steps: Option<StepRange>) -> Result<Vec<Point>> {
    let Some(text) = read_text(path)? else {
        return Ok(Vec::new());
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let mut points = Vec::with_capacity(if steps.is_some() { 0 } else { lines.len() });
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_metric_line(line) {
            Some((timestamp, value, step)) => {
                if steps.is_none_or(|r| r.contains(step)) {
                    points.push(Point {
                        value: MetricValue(value),
                        timestamp,
                        step,
                    });
                }
            }
            None if i + 1 == lines.len() => {}
            None => {
                return Err(corrupt(
                    path,
                    format!(
                        "line {}: {line:?} is not a metric point '<timestamp> <value> <step>'",
                        i + 1
                    ),
                    None,
                ))
            }
        }
    }
    Ok(points)
}

/// MLflow's latest value: the greatest (step, timestamp, value), the first one on ties. NaN is
/// never greater than anything, as in Python's tuple comparison.
pub(super) fn latest_metric(points: &[Metric]) -> Option<&Metric> {
    let mut best: Option<&Metric> = None;
    for m in points {
        best = match best {
            None => Some(m),
            Some(b) => {
                let newer = m.step > b.step
                    || (m.step == b.step
                        && (m.timestamp > b.timestamp
                            || (m.timestamp == b.timestamp && m.value.get() > b.value.get())));
                Some(if newer { m } else { b })
            }
        };
    }
    best
}

/// The datasets a run used, ordered by name then digest. Inputs whose dataset is gone, or that
/// are not datasets (MLflow 3 model inputs), are left out as MLflow leaves them out.
fn read_inputs(exp_dir: &Path, run_dir: &Path) -> Result<Vec<DatasetInput>> {
    let mut out = Vec::new();
    for (_, input_dir) in io::subdirs(&run_dir.join(INPUTS))? {
        let Meta::Found(input, _) = read_meta::<InputMeta>(&input_dir.join(META))? else {
            continue;
        };
        if input.source_type.as_deref() != Some("DATASET") {
            continue;
        }
        let Some(dataset_id) = input.source_id.filter(|id| io::is_id(id, 256)) else {
            continue;
        };
        let Meta::Found(d, _) = read_meta::<DatasetMeta>(&exp_dir.join(DATASETS).join(&dataset_id).join(META))? else {
            continue;
        };
        let tags = input
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect();
        out.push(DatasetInput {
            dataset: Dataset {
                name: d.name.unwrap_or_default(),
                digest: d.digest.unwrap_or_default(),
                source_type: d.source_type.unwrap_or_default(),
                source: d.source.unwrap_or_default(),
                schema: d.schema,
                profile: d.profile,
            },
            tags,
        });
    }
    out.sort_by(|a, b| (&a.dataset.name, &a.dataset.digest).cmp(&(&b.dataset.name, &b.dataset.digest)));
    Ok(out)
}

/// Maps `f` over `items` on a few threads (reading many small files is faster in parallel),
/// keeping the order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            // A worker only ends early by panicking; re-raise that panic here.
            let done = worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (i, r) in done {
                slots[i] = Some(r);
            }
        }
    });
    slots.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(step: i64, timestamp: i64, value: f64) -> Metric {
        Metric {
            key: "k".into(),
            value: MetricValue(value),
            timestamp,
            step,
        }
    }

    #[test]
    fn parses_metric_lines_in_every_mlflow_shape() {
        assert_eq!(parse_metric_line("1000 1.0 0"), Some((1000, 1.0, 0)));
        assert_eq!(parse_metric_line("1000 0.5"), Some((1000, 0.5, 0)));
        assert_eq!(parse_metric_line("5 0.25 3 train-ds a27a57c9\n"), Some((5, 0.25, 3)));
        assert!(parse_metric_line("1002 nan 2").unwrap().1.is_nan());
        assert_eq!(parse_metric_line("1003 inf 3").unwrap().1, f64::INFINITY);
        assert_eq!(parse_metric_line("1004 -inf 4").unwrap().1, f64::NEG_INFINITY);
        assert_eq!(parse_metric_line("7 1e+16 -1"), Some((7, 1e16, -1)));
        for bad in ["", "1000", "1000 x 1", "1.5 1.0 0", "1000 1.0 0 extra", "1000  1.0 0"] {
            assert_eq!(parse_metric_line(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn latest_metric_is_greatest_step_then_timestamp_then_value() {
        let points = [m(3, 5, 0.25), m(3, 5, 0.75), m(1, 9, 9.0), m(3, 4, 100.0)];
        assert_eq!(latest_metric(&points).unwrap().value.get(), 0.75);
        // A later step wins over a later timestamp; NaN never displaces an equal step and time.
        let points = [m(2, 1, 1.0), m(1, 99, 5.0), m(2, 1, f64::NAN)];
        assert_eq!(latest_metric(&points).unwrap().value.get(), 1.0);
        let points = [m(2, 1, f64::NAN), m(2, 1, 1.0)];
        assert!(latest_metric(&points).unwrap().value.get().is_nan());
        assert!(latest_metric(&[]).is_none());
    }

    #[test]
    fn metric_files_tolerate_a_half_written_last_line_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loss");
        std::fs::write(&path, "1 1.0 0\n2 nan 1\n3 inf 2\n4 -inf 3\n17000").unwrap();
        let points = read_metric_file(&path, "loss").unwrap();
        assert_eq!(points.len(), 4);
        assert_eq!(points[3].value.get(), f64::NEG_INFINITY);
        std::fs::write(&path, "1 1.0 0\ngarbage\n3 inf 2\n").unwrap();
        let err = ApiError::from(read_metric_file(&path, "loss").unwrap_err());
        assert_eq!(err.code, runlens_core::ErrorCode::CorruptStore);
        assert!(err.message.contains("line 2") && err.message.contains("loss"), "{err}");
    }

    #[test]
    fn parallel_map_keeps_order() {
        let items: Vec<u32> = (0..500).collect();
        assert_eq!(
            parallel_map(&items, |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        assert!(parallel_map(&Vec::<u32>::new(), |x| *x).is_empty());
    }
}
