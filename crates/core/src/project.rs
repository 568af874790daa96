//! Projects: MaxFlow files an experiment under the tag `__maxai_project__`, other teams under
//! `project`; experiments with neither are "Unassigned".

use crate::model::{tag, Experiment};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// `None` is the "Unassigned" group.
    pub name: Option<String>,
    pub experiments: Vec<Experiment>,
    /// The newest `last_update_time` among the experiments (ms since the epoch).
    pub last_activity: Option<i64>,
}

/// The project an experiment belongs to: `__maxai_project__` first, then `project`.
pub fn project_of(exp: &Experiment) -> Option<&str> {
    [tag::MAXAI_PROJECT, tag::PROJECT]
        .iter()
        .filter_map(|k| exp.tags.get(*k))
        .map(|v| v.trim())
        .find(|v| !v.is_empty())
}

/// Groups experiments into projects sorted by name, "Unassigned" last; experiments keep their
/// given order inside each project.
pub fn group_into_projects(experiments: Vec<Experiment>) -> Vec<Project> {
    let mut named: BTreeMap<String, Vec<Experiment>> = BTreeMap::new();
    let mut unassigned = Vec::new();
    for exp in experiments {
        match project_of(&exp) {
            Some(p) => named.entry(p.to_string()).or_default().push(exp),
            None => unassigned.push(exp),
        }
    }
    let make = |name, experiments: Vec<Experiment>| Project {
        last_activity: experiments
            .iter()
            .filter_map(|e| e.last_update_time.or(e.creation_time))
            .max(),
        name,
        experiments,
    };
    let mut projects: Vec<Project> = named.into_iter().map(|(n, e)| make(Some(n), e)).collect();
    if !unassigned.is_empty() {
        projects.push(make(None, unassigned));
    }
    projects
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LifecycleStage;

    fn exp(id: &str, tags: &[(&str, &str)], updated: i64) -> Experiment {
        Experiment {
            experiment_id: id.into(),
            name: format!("e{id}"),
            artifact_location: String::new(),
            lifecycle_stage: LifecycleStage::Active,
            creation_time: Some(0),
            last_update_time: Some(updated),
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn maxflow_tag_wins_and_unassigned_comes_last() {
        let projects = group_into_projects(vec![
            exp("1", &[("project", "beta"), ("__maxai_project__", "alpha")], 5),
            exp("2", &[("project", "beta")], 7),
            exp("3", &[], 9),
            exp("4", &[("__maxai_project__", "alpha")], 11),
            exp("5", &[("project", "  ")], 1),
        ]);
        let names: Vec<_> = projects.iter().map(|p| p.name.clone()).collect();
        assert_eq!(names, vec![Some("alpha".into()), Some("beta".into()), None]);
        assert_eq!(projects[0].experiments.len(), 2);
        assert_eq!(projects[0].last_activity, Some(11));
        assert_eq!(projects[2].experiments.len(), 2);
    }
}
