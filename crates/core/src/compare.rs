//! Comparing runs: what the compare view asks for and gets (`CompareRequest` → `Comparison`,
//! `RunValuesRequest` → `RunValues`), and the pure logic that decides what it shows — which
//! params and tags differ, which run is best at a metric (lower-is-better guessed from the key),
//! how metric keys group by their `/` prefix and match a search.

use crate::ipc::MetricSummary;
use crate::metric::MetricValue;
use crate::model::{Experiment, Run, RunInfo};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Runs to compare, in the order they are shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRequest {
    pub run_ids: Vec<String>,
    /// Also each metric's exact range, which reads every history (the tables want it, the charts
    /// do not).
    #[serde(default)]
    pub summaries: bool,
}

/// The runs of a comparison with what the compare view's tables show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// In the order asked; runs the store does not have are left out (see `missing`).
    pub runs: Vec<ComparedRun>,
    /// Ids asked for that the store does not have (purged, or from another store).
    #[serde(default)]
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparedRun {
    pub run: Run,
    pub experiment_name: String,
    /// Each metric's latest value and the range of its whole history, ordered by key (empty
    /// unless `summaries` was asked for).
    pub metrics: Vec<MetricSummary>,
}

/// Chosen params and latest metric values of many runs (a whole experiment or a selection), for
/// the parallel-coordinates and scatter charts. Only the chosen columns travel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunValuesRequest {
    /// Every active run of this experiment...
    #[serde(default)]
    pub experiment_id: Option<String>,
    /// ...or these runs (when no experiment is given).
    #[serde(default)]
    pub run_ids: Vec<String>,
    #[serde(default)]
    pub params: Vec<String>,
    #[serde(default)]
    pub metrics: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunValues {
    /// The experiment, when every run of one was asked for.
    #[serde(default)]
    pub experiment: Option<Experiment>,
    /// Every param key and metric key of these runs, sorted: what can be chosen.
    pub param_keys: Vec<String>,
    pub metric_keys: Vec<String>,
    /// The param keys whose value is not the same in every run (a missing param counts as a
    /// value), sorted: the ones worth an axis.
    #[serde(default)]
    pub varying_params: Vec<String>,
    /// One row per run, with the asked columns in the asked order.
    pub runs: Vec<RunRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    pub run_id: String,
    pub run_name: String,
    pub experiment_id: String,
    /// The asked params' values (`None`: the run has no such param).
    pub params: Vec<Option<String>>,
    /// The asked metrics' latest values (`None`: never logged).
    pub metrics: Vec<Option<MetricValue>>,
}

/// The rows of runs' chosen columns, and every key they could have chosen.
pub fn run_values(runs: &[Run], params: &[String], metrics: &[String]) -> RunValues {
    let mut param_keys = BTreeSet::new();
    let mut metric_keys = BTreeSet::new();
    for run in runs {
        param_keys.extend(run.data.params.keys().cloned());
        metric_keys.extend(run.data.metrics.iter().map(|m| m.key.clone()));
    }
    let varying_params = param_keys
        .iter()
        .filter(|key| {
            let mut values = runs.iter().map(|r| r.data.params.get(*key));
            let first = values.next().flatten();
            values.any(|v| v != first)
        })
        .cloned()
        .collect();
    RunValues {
        experiment: None,
        param_keys: param_keys.into_iter().collect(),
        metric_keys: metric_keys.into_iter().collect(),
        varying_params,
        runs: runs
            .iter()
            .map(|run| RunRow {
                run_id: run.info.run_id.clone(),
                run_name: run.info.run_name.clone(),
                experiment_id: run.info.experiment_id.clone(),
                params: params.iter().map(|k| run.data.params.get(k).cloned()).collect(),
                metrics: metrics.iter().map(|k| run.metric(k).map(|m| m.value)).collect(),
            })
            .collect(),
    }
}

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
}

impl Direction {
    pub fn flipped(self) -> Direction {
        match self {
            Direction::LowerIsBetter => Direction::HigherIsBetter,
            Direction::HigherIsBetter => Direction::LowerIsBetter,
        }
    }

    /// Whether `a` is better than `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Direction::LowerIsBetter => a < b,
            Direction::HigherIsBetter => a > b,
        }
    }

    pub fn arrow(self) -> &'static str {
        match self {
            Direction::LowerIsBetter => "↓",
            Direction::HigherIsBetter => "↑",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Direction::LowerIsBetter => "lower is better",
            Direction::HigherIsBetter => "higher is better",
        }
    }
}

/// Words that make a metric lower-is-better wherever they appear in its key.
const LOWER_WORDS: &[&str] = &[
    "loss",
    "losses",
    "error",
    "errors",
    "err",
    "mae",
    "mse",
    "rmse",
    "msle",
    "rmsle",
    "mape",
    "smape",
    "wape",
    "mase",
    "nll",
    "perplexity",
    "ppl",
    "wer",
    "cer",
    "ter",
    "fpr",
    "fnr",
    "far",
    "frr",
    "eer",
    "brier",
    "hinge",
    "logloss",
    "crossentropy",
    "xent",
    "ce",
    "kl",
    "divergence",
    "distance",
    "dist",
    "regret",
    "cost",
    "penalty",
    "latency",
    "runtime",
    "duration",
    "time",
    "seconds",
    "bpb",
    "bpc",
    "fid",
    "mad",
    "sse",
    "rss",
    "residual",
    "residuals",
    "deviance",
    "aic",
    "bic",
    "misclassification",
    "hamming",
];

/// The direction a metric's name suggests: lower-is-better when any word of the key (split at
/// non-letters and camelCase humps) is a loss, an error or a cost (`loss`, `val/error`,
/// `rmse`, `train_logloss`, `valLoss`, `p95_latency_ms`...), higher-is-better otherwise
/// (accuracy, AUC, F1, BLEU, reward...).
pub fn guess_direction(key: &str) -> Direction {
    let words = words(key);
    let lowering =
        |w: &str| LOWER_WORDS.contains(&w) || w.ends_with("loss") || w.ends_with("error") || w.ends_with("err");
    // `cross_entropy`, `log_loss`: two words that make one.
    let pairs = words.windows(2).map(|p| format!("{}{}", p[0], p[1]));
    let lower = words.iter().any(|w| lowering(w)) || pairs.into_iter().any(|p| lowering(&p));
    if lower {
        Direction::LowerIsBetter
    } else {
        Direction::HigherIsBetter
    }
}

/// A key's words in lower case: split at anything that is not a letter, and before an upper
/// case letter that follows a lower case one.
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if !c.is_alphabetic() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_lowercase();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The runs holding the best of `values` (several when tied), finite values only; empty when
/// fewer than two runs have a finite value, as there is nothing to compare then.
pub fn best_runs(values: &[Option<f64>], direction: Direction) -> Vec<usize> {
    let finite: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.filter(|v| MetricValue(*v).is_finite_value()).map(|v| (i, v)))
        .collect();
    if finite.len() < 2 {
        return Vec::new();
    }
    let best = finite
        .iter()
        .map(|p| p.1)
        .reduce(|a, b| if direction.better(b, a) { b } else { a })
        .expect("two values at least");
    // All equal: no run is better than another.
    if finite.iter().all(|p| p.1 == best) {
        return Vec::new();
    }
    finite.into_iter().filter(|p| p.1 == best).map(|p| p.0).collect()
}

/// One metric across the compared runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    pub key: String,
    pub direction: Direction,
    /// One cell per run, `None` when the run never logged the metric.
    pub cells: Vec<Option<MetricSummary>>,
    /// Runs with the best latest value.
    pub best_latest: Vec<usize>,
    /// Runs with the best extreme: the lowest minimum (lower is better) or highest maximum.
    pub best_extreme: Vec<usize>,
}

/// The metrics table: one row per key any run logged, ordered by key. `direction_of` gives each
/// key's direction (the guess, or what the user switched it to).
pub fn metric_rows(summaries: &[Vec<MetricSummary>], direction_of: impl Fn(&str) -> Direction) -> Vec<MetricRow> {
    let keys: BTreeSet<&str> = summaries.iter().flatten().map(|m| m.key.as_str()).collect();
    keys.into_iter()
        .map(|key| {
            let cells: Vec<Option<MetricSummary>> = summaries
                .iter()
                .map(|run| run.iter().find(|m| m.key == key).cloned())
                .collect();
            let direction = direction_of(key);
            let latest: Vec<Option<f64>> = cells.iter().map(|c| c.as_ref().map(|m| m.latest.get())).collect();
            let extreme: Vec<Option<f64>> = cells
                .iter()
                .map(|c| {
                    c.as_ref().and_then(|m| match direction {
                        Direction::LowerIsBetter => m.min,
                        Direction::HigherIsBetter => m.max,
                    })
                })
                .collect();
            MetricRow {
                key: key.to_string(),
                direction,
                best_latest: best_runs(&latest, direction),
                best_extreme: best_runs(&extreme, direction),
                cells,
            }
        })
        .collect()
}

/// One key (a param or a tag) across the compared runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow {
    pub key: String,
    /// One value per run; `None` when the run does not have the key.
    pub values: Vec<Option<String>>,
    /// The runs do not all hold the same value (a missing key counts as a value of its own).
    pub differs: bool,
}

impl DiffRow {
    /// Which values stand out: those that differ from the value most runs share, or every
    /// value when no single value is the most shared (none shared, or a tie). Nothing stands out
    /// in a row that does not differ.
    pub fn odd_ones(&self) -> Vec<bool> {
        if !self.differs {
            return vec![false; self.values.len()];
        }
        let count = |v: &Option<String>| self.values.iter().filter(|w| *w == v).count();
        let (common, times) = self
            .values
            .iter()
            .map(|v| (v, count(v)))
            .fold((None, 0), |best, (v, n)| if n > best.1 { (Some(v), n) } else { best });
        let tied = self.values.iter().any(|v| Some(v) != common && count(v) == times);
        self.values
            .iter()
            .map(|v| times < 2 || tied || Some(v) != common)
            .collect()
    }
}

/// Every key of any of the maps, ordered, with each map's value side by side.
pub fn diff_rows(maps: &[&BTreeMap<String, String>]) -> Vec<DiffRow> {
    let keys: BTreeSet<&String> = maps.iter().flat_map(|m| m.keys()).collect();
    keys.into_iter()
        .map(|key| {
            let values: Vec<Option<String>> = maps.iter().map(|m| m.get(key).cloned()).collect();
            let differs = values.windows(2).any(|w| w[0] != w[1]);
            DiffRow {
                key: key.clone(),
                values,
                differs,
            }
        })
        .collect()
}

/// How long a run took (ms), or has been running so far when `now` is given and it has not ended.
pub fn duration_ms(info: &RunInfo, now: Option<i64>) -> Option<i64> {
    let start = info.start_time?;
    let end = info.end_time.or(now.filter(|_| !info.status.is_terminal()))?;
    Some((end - start).max(0))
}

/// Metric keys that share the part before their first `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGroup {
    /// The shared prefix; empty for keys without a `/`.
    pub name: String,
    pub keys: Vec<String>,
}

/// Groups keys by the part before their first `/` (`train/loss` and `train/acc` → `train`),
/// keys without one first, then the groups by name; keys sorted within a group.
pub fn group_by_prefix<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<KeyGroup> {
    let mut groups: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for key in keys {
        let prefix = key.split_once('/').map(|(p, _)| p).unwrap_or("");
        groups.entry(prefix).or_default().insert(key);
    }
    groups
        .into_iter()
        .map(|(name, keys)| KeyGroup {
            name: name.to_string(),
            keys: keys.into_iter().map(String::from).collect(),
        })
        .collect()
}

/// Whether a key matches a search: every word of the search appears in the key, ignoring case.
pub fn key_matches(key: &str, search: &str) -> bool {
    let key = key.to_lowercase();
    search.split_whitespace().all(|word| key.contains(&word.to_lowercase()))
}

/// A param value as a number, when it reads as a finite one (`0.001`, `1e-4`, `"128"` as JSON).
pub fn numeric_value(text: &str) -> Option<f64> {
    let trimmed = text.trim().trim_matches('"');
    trimmed.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Metric, RunData, RunStatus};
    use proptest::prelude::*;

    #[test]
    fn directions_are_guessed_from_the_key() {
        for key in [
            "loss",
            "val/loss",
            "train_loss",
            "valLoss",
            "rmse",
            "test/MAE",
            "error_rate",
            "logloss",
            "eval.perplexity",
            "wer",
            "p95_latency_ms",
            "val/cross_entropy",
            "reconstruction-error",
            "KL",
        ] {
            assert_eq!(guess_direction(key), Direction::LowerIsBetter, "{key}");
        }
        for key in [
            "accuracy",
            "val/acc",
            "auc",
            "f1",
            "bleu",
            "reward",
            "mAP",
            "r2",
            "precision",
            "lr",
            "epoch",
        ] {
            assert_eq!(guess_direction(key), Direction::HigherIsBetter, "{key}");
        }
        assert_eq!(words("trainLossEMA/v2"), ["train", "loss", "ema", "v"]);
        // A word that merely contains a lower-is-better word is not one.
        assert_eq!(guess_direction("timestamp_count"), Direction::HigherIsBetter);
        assert_eq!(guess_direction("precision"), Direction::HigherIsBetter);
        assert_eq!(guess_direction("ms_ssim"), Direction::HigherIsBetter);
        assert_eq!(guess_direction("policy_entropy"), Direction::HigherIsBetter);
    }

    #[test]
    fn the_best_run_ignores_non_finite_and_missing_values() {
        let lower = Direction::LowerIsBetter;
        assert_eq!(best_runs(&[Some(0.3), None, Some(0.1), Some(f64::NAN)], lower), vec![2]);
        assert_eq!(best_runs(&[Some(0.3), Some(f64::MIN), Some(0.5)], lower), vec![0]);
        assert_eq!(
            best_runs(&[Some(0.3), Some(0.9), Some(0.9)], Direction::HigherIsBetter),
            vec![1, 2]
        );
        // Nothing to compare, or nothing to choose between.
        assert!(best_runs(&[Some(0.3), None], lower).is_empty());
        assert!(best_runs(&[Some(0.3), Some(0.3)], lower).is_empty());
        assert!(best_runs(&[], lower).is_empty());
    }

    fn summary(key: &str, latest: f64, min: Option<f64>, max: Option<f64>) -> MetricSummary {
        MetricSummary {
            key: key.into(),
            latest: MetricValue(latest),
            step: 9,
            timestamp: 0,
            min,
            max,
            points: 10,
        }
    }

    #[test]
    fn metric_rows_mark_the_best_latest_and_extreme() {
        let a = vec![
            summary("loss", 0.4, Some(0.2), Some(2.0)),
            summary("acc", 0.8, Some(0.1), Some(0.85)),
        ];
        let b = vec![summary("loss", 0.3, Some(0.3), Some(2.5))];
        let c = vec![
            summary("acc", 0.9, Some(0.2), Some(0.9)),
            summary("loss", f64::NAN, None, None),
        ];
        let rows = metric_rows(&[a, b, c], guess_direction);
        assert_eq!(rows.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["acc", "loss"]);
        let (acc, loss) = (&rows[0], &rows[1]);
        assert_eq!(acc.direction, Direction::HigherIsBetter);
        assert!(acc.cells[1].is_none());
        assert_eq!((acc.best_latest.clone(), acc.best_extreme.clone()), (vec![2], vec![2]));
        assert_eq!(loss.direction, Direction::LowerIsBetter);
        assert_eq!(
            (loss.best_latest.clone(), loss.best_extreme.clone()),
            (vec![1], vec![0])
        );
        // The user says loss is higher-is-better: the marks follow.
        let flipped = metric_rows(
            &[
                vec![summary("loss", 0.4, Some(0.2), Some(2.0))],
                vec![summary("loss", 0.3, Some(0.3), Some(2.5))],
            ],
            |_| Direction::HigherIsBetter,
        );
        assert_eq!(
            (flipped[0].best_latest.clone(), flipped[0].best_extreme.clone()),
            (vec![0], vec![1])
        );
    }

    #[test]
    fn diffs_count_a_missing_key_as_a_difference() {
        let a: BTreeMap<String, String> = [("lr", "0.1"), ("opt", "adam"), ("seed", "1")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let b: BTreeMap<String, String> = [("lr", "0.01"), ("opt", "adam")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let rows = diff_rows(&[&a, &b]);
        let shown: Vec<(&str, bool)> = rows.iter().map(|r| (r.key.as_str(), r.differs)).collect();
        assert_eq!(shown, [("lr", true), ("opt", false), ("seed", true)]);
        assert_eq!(rows[2].values, vec![Some("1".to_string()), None]);
        assert!(diff_rows(&[&a]).iter().all(|r| !r.differs));
        let row = |values: &[Option<&str>]| DiffRow {
            key: "k".into(),
            values: values.iter().map(|v| v.map(String::from)).collect(),
            differs: values.windows(2).any(|w| w[0] != w[1]),
        };
        assert_eq!(
            row(&[Some("a"), Some("a"), Some("b"), None]).odd_ones(),
            [false, false, true, true]
        );
        assert_eq!(row(&[Some("a"), Some("b")]).odd_ones(), [true, true]);
        assert_eq!(row(&[Some("a"), Some("a")]).odd_ones(), [false, false]);
        assert_eq!(row(&[None, Some("x"), None]).odd_ones(), [false, true, false]);
        // A tie for the most shared value: no side is "normal", all stand out.
        assert_eq!(
            row(&[Some("a"), Some("a"), Some("b"), Some("b")]).odd_ones(),
            [true, true, true, true]
        );
    }

    #[test]
    fn keys_group_by_their_first_prefix_and_match_searches() {
        let groups = group_by_prefix(["val/loss", "loss", "train/loss", "val/acc", "train/x/y", "acc"]);
        let shown: Vec<(&str, Vec<&str>)> = groups
            .iter()
            .map(|g| (g.name.as_str(), g.keys.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            shown,
            [
                ("", vec!["acc", "loss"]),
                ("train", vec!["train/loss", "train/x/y"]),
                ("val", vec!["val/acc", "val/loss"])
            ]
        );
        assert!(key_matches("Train/Loss", "loss train"));
        assert!(key_matches("val/acc", "  "));
        assert!(!key_matches("val/acc", "loss"));
    }

    fn run(id: &str, status: RunStatus, start: Option<i64>, end: Option<i64>) -> Run {
        Run {
            info: RunInfo {
                run_id: id.into(),
                run_name: format!("name-{id}"),
                experiment_id: "1".into(),
                user_id: String::new(),
                status,
                start_time: start,
                end_time: end,
                artifact_uri: String::new(),
                lifecycle_stage: Default::default(),
            },
            data: RunData::default(),
            inputs: vec![],
        }
    }

    #[test]
    fn durations_and_run_values() {
        assert_eq!(
            duration_ms(&run("a", RunStatus::Finished, Some(1000), Some(4500)).info, None),
            Some(3500)
        );
        assert_eq!(
            duration_ms(&run("a", RunStatus::Running, Some(1000), None).info, Some(2000)),
            Some(1000)
        );
        assert_eq!(
            duration_ms(&run("a", RunStatus::Failed, Some(1000), None).info, Some(2000)),
            None
        );
        assert_eq!(
            duration_ms(&run("a", RunStatus::Finished, None, Some(5)).info, None),
            None
        );

        let mut a = run("a", RunStatus::Finished, None, None);
        a.data.params.insert("lr".into(), "0.1".into());
        a.data.metrics.push(Metric {
            key: "loss".into(),
            value: MetricValue(f64::NAN),
            timestamp: 0,
            step: 0,
        });
        let mut b = run("b", RunStatus::Finished, None, None);
        b.data.params.insert("depth".into(), "3".into());
        let mut c = run("c", RunStatus::Finished, None, None);
        c.data.params.insert("depth".into(), "3".into());
        let values = run_values(&[a, b, c], &["lr".into(), "depth".into()], &["loss".into()]);
        assert_eq!(values.param_keys, ["depth", "lr"]);
        assert_eq!(values.varying_params, ["depth", "lr"]);
        assert_eq!(values.runs[0].experiment_id, "1");
        assert_eq!(values.metric_keys, ["loss"]);
        assert_eq!(values.runs[0].params, vec![Some("0.1".to_string()), None]);
        assert!(values.runs[0].metrics[0].unwrap().get().is_nan());
        assert_eq!(values.runs[1].metrics, vec![None]);
        assert_eq!(numeric_value(" 1e-3 "), Some(0.001));
        assert_eq!(numeric_value("\"128\""), Some(128.0));
        assert_eq!(numeric_value("adam"), None);
        assert_eq!(numeric_value("nan"), None);
    }

    proptest! {
        #[test]
        fn the_best_is_never_beaten(values in prop::collection::vec(proptest::option::of(prop_oneof![-1e6f64..1e6, Just(f64::NAN), Just(f64::INFINITY)]), 0..30), lower in any::<bool>()) {
            let direction = if lower { Direction::LowerIsBetter } else { Direction::HigherIsBetter };
            let best = best_runs(&values, direction);
            for &i in &best {
                let b = values[i].unwrap();
                prop_assert!(b.is_finite());
                prop_assert!(values.iter().flatten().filter(|v| v.is_finite()).all(|v| !direction.better(*v, b)));
            }
        }

        #[test]
        fn diff_rows_hold_every_key_once(maps in prop::collection::vec(prop::collection::btree_map("[a-c]{1,2}", "[xy]", 0..5), 1..5)) {
            let refs: Vec<&BTreeMap<String, String>> = maps.iter().collect();
            let rows = diff_rows(&refs);
            let keys: BTreeSet<&String> = maps.iter().flat_map(|m| m.keys()).collect();
            prop_assert_eq!(rows.len(), keys.len());
            for row in rows {
                prop_assert_eq!(row.values.len(), maps.len());
                let all_same = row.values.iter().all(|v| *v == row.values[0]);
                prop_assert_eq!(row.differs, !all_same);
            }
        }
    }
}
