//! Run trees: child runs point at their parent through the tag `mlflow.parentRunId`.

use crate::model::Run;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunNode {
    pub run: Run,
    pub children: Vec<RunNode>,
}

impl RunNode {
    /// The number of runs below this one, at any depth.
    pub fn descendant_count(&self) -> usize {
        self.children.iter().map(|c| 1 + c.descendant_count()).sum()
    }
}

/// Builds a forest from runs in their given order: a run whose parent is among them nests under
/// it; one whose parent is absent is a root. Parent cycles (corrupt tags) are broken, never looped.
pub fn build_run_tree(runs: Vec<Run>) -> Vec<RunNode> {
    let ids: HashSet<String> = runs.iter().map(|r| r.info.run_id.clone()).collect();
    let parent_of: HashMap<String, String> = runs
        .iter()
        .filter_map(|r| {
            let p = r.parent_run_id()?;
            (ids.contains(p) && p != r.info.run_id).then(|| (r.info.run_id.clone(), p.to_string()))
        })
        .collect();
    // A run is a root when walking up its parents ends outside the set or revisits a run.
    let is_root = |id: &str| -> bool {
        let mut seen = HashSet::new();
        let mut cur = id;
        while let Some(p) = parent_of.get(cur) {
            if !seen.insert(cur) {
                return true;
            }
            if p == id {
                return true;
            }
            cur = p;
        }
        cur == id
    };
    let roots: HashSet<String> = runs
        .iter()
        .filter(|r| is_root(&r.info.run_id))
        .map(|r| r.info.run_id.clone())
        .collect();
    let mut children: HashMap<String, Vec<Run>> = HashMap::new();
    let mut top = Vec::new();
    for run in runs {
        let id = run.info.run_id.clone();
        match parent_of.get(&id) {
            Some(p) if !roots.contains(&id) => children.entry(p.clone()).or_default().push(run),
            _ => top.push(run),
        }
    }
    fn attach(run: Run, children: &mut HashMap<String, Vec<Run>>) -> RunNode {
        let kids = children.remove(&run.info.run_id).unwrap_or_default();
        RunNode {
            children: kids.into_iter().map(|k| attach(k, children)).collect(),
            run,
        }
    }
    top.into_iter().map(|r| attach(r, &mut children)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    pub(crate) fn run(id: &str, parent: Option<&str>) -> Run {
        let mut tags = Tags::new();
        if let Some(p) = parent {
            tags.insert(tag::PARENT_RUN_ID.into(), p.into());
        }
        Run {
            info: RunInfo {
                run_id: id.into(),
                run_name: id.into(),
                experiment_id: "1".into(),
                user_id: String::new(),
                status: RunStatus::Finished,
                start_time: Some(0),
                end_time: None,
                artifact_uri: String::new(),
                lifecycle_stage: LifecycleStage::Active,
            },
            data: RunData {
                tags,
                ..Default::default()
            },
            inputs: vec![],
        }
    }

    #[test]
    fn nests_three_levels_and_keeps_orphans_as_roots() {
        let forest = build_run_tree(vec![
            run("c1", Some("p")),
            run("p", None),
            run("g1", Some("c1")),
            run("orphan", Some("gone")),
            run("c2", Some("p")),
        ]);
        let roots: Vec<_> = forest.iter().map(|n| n.run.info.run_id.as_str()).collect();
        assert_eq!(roots, vec!["p", "orphan"]);
        assert_eq!(forest[0].descendant_count(), 3);
        assert_eq!(forest[0].children[0].children[0].run.info.run_id, "g1");
    }

    #[test]
    fn cycles_do_not_lose_runs() {
        let forest = build_run_tree(vec![
            run("a", Some("b")),
            run("b", Some("a")),
            run("self", Some("self")),
        ]);
        let total: usize = forest.iter().map(|n| 1 + n.descendant_count()).sum();
        assert_eq!(total, 3);
    }
}
