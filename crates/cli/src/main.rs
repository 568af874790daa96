//! `runlens-cli`: Runlens' tracking client from the command line, for scripts and for checking
//! answers outside the GUI. `--json` prints stable JSON (the serde shape of `runlens-core`'s
//! types); without it, aligned tables. Errors go to stderr with a non-zero exit code.

mod table;

use clap::{Args, Parser, Subcommand};
use runlens_core::request::{SearchExperiments, SearchModels, SearchRuns};
use runlens_core::*;
use runlens_tracking::{ConnectOptions, Tracking};
use serde::Serialize;
use serde_json::json;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "runlens-cli",
    version,
    about = "Read MLflow stores (mlflow.db, mlruns/, tracking servers) from the command line"
)]
struct Cli {
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// The store: a path to mlflow.db or mlruns/, or a sqlite://, file:// or http(s):// URI.
    /// Server credentials come from MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN.
    uri: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Paging {
    /// Page size (all pages are fetched when absent).
    #[arg(long)]
    max_results: Option<usize>,
    /// Continue after a page: the `next_page_token` of the previous answer.
    #[arg(long)]
    page_token: Option<String>,
}

impl Paging {
    fn request(&self) -> PageRequest {
        PageRequest {
            max_results: self.max_results,
            page_token: self.page_token.clone(),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Search experiments.
    Experiments {
        /// active, deleted or all.
        #[arg(long, default_value = "active")]
        view: String,
        /// MLflow filter, e.g. "name LIKE 'nlp%' AND tags.project = 'chat'".
        #[arg(long)]
        filter: Option<String>,
        /// e.g. "name ASC" (repeatable).
        #[arg(long = "order-by")]
        order_by: Vec<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Experiments grouped into projects (__maxai_project__, then project, else Unassigned).
    Projects {
        #[arg(long, default_value = "active")]
        view: String,
    },
    /// Search runs of one or more experiments.
    Runs {
        /// Experiment id (repeatable).
        #[arg(long = "experiment-id", required = true)]
        experiment_ids: Vec<String>,
        /// MLflow filter, e.g. "metrics.acc > 0.9 AND params.lr = '0.01'".
        #[arg(long)]
        filter: Option<String>,
        /// e.g. "metrics.`val loss` DESC" (repeatable).
        #[arg(long = "order-by")]
        order_by: Vec<String>,
        #[arg(long, default_value = "active")]
        view: String,
        #[command(flatten)]
        paging: Paging,
    },
    /// Runs of one experiment as a tree (children under mlflow.parentRunId).
    Tree {
        #[arg(long = "experiment-id", required = true)]
        experiment_id: String,
        #[arg(long)]
        filter: Option<String>,
        #[arg(long, default_value = "active")]
        view: String,
    },
    /// One run: info, params, latest metrics, tags, dataset inputs.
    Run { run_id: String },
    /// The full history of one metric of one run.
    History { run_id: String, key: String },
    /// Sampled histories of many runs: at most N points per series, keeping extremes.
    Sampled {
        #[arg(long = "run-id", required = true)]
        run_ids: Vec<String>,
        #[arg(long = "key", required = true)]
        keys: Vec<String>,
        #[arg(long, default_value_t = 1000)]
        max_points: usize,
        /// Only the steps START..END (both included), as a zoomed chart reads them.
        #[arg(long, value_parser = parse_steps)]
        steps: Option<runlens_core::sampling::StepRange>,
    },
    /// List a run's artifacts (one directory level).
    Artifacts { run_id: String, path: Option<String> },
    /// Search registered models.
    Models {
        /// e.g. "name LIKE '%clf%'".
        #[arg(long)]
        filter: Option<String>,
        #[arg(long = "order-by")]
        order_by: Vec<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Versions of a registered model, newest first; or one version with --version / --alias.
    Versions {
        model: String,
        #[arg(long, conflicts_with = "alias")]
        version: Option<i64>,
        #[arg(long)]
        alias: Option<String>,
    },
}

fn view(text: &str) -> Result<ViewType, ApiError> {
    ViewType::parse(text)
        .ok_or_else(|| ApiError::invalid(format!("--view must be active, deleted or all, not {text:?}")))
}

fn print_json(value: &impl Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("core types always serialise")
    );
}

async fn run(cli: Cli) -> Result<(), ApiError> {
    let tracking = Tracking::open(&cli.uri, &ConnectOptions::from_env()).await?;
    match cli.command {
        Command::Experiments {
            view: v,
            filter,
            order_by,
            paging,
        } => {
            let req = SearchExperiments {
                view_type: view(&v)?,
                filter,
                order_by,
                page: paging.request(),
            };
            let (items, next) = if paging.max_results.is_some() {
                let page = tracking.search_experiments(&req).await?;
                (page.items, page.next_page_token)
            } else {
                (tracking.all_experiments(&req).await?, None)
            };
            if cli.json {
                print_json(&json!({ "experiments": items, "next_page_token": next }));
            } else {
                table::experiments(&items, next.as_deref());
            }
        }
        Command::Projects { view: v } => {
            let projects = tracking.projects(view(&v)?, None).await?;
            if cli.json {
                print_json(&json!({ "projects": projects }));
            } else {
                table::projects(&projects);
            }
        }
        Command::Runs {
            experiment_ids,
            filter,
            order_by,
            view: v,
            paging,
        } => {
            let req = SearchRuns {
                experiment_ids,
                filter,
                view_type: view(&v)?,
                order_by,
                page: paging.request(),
            };
            let (items, next) = if paging.max_results.is_some() {
                let page = tracking.search_runs(&req).await?;
                (page.items, page.next_page_token)
            } else {
                (tracking.all_runs(&req).await?, None)
            };
            if cli.json {
                print_json(&json!({ "runs": items, "next_page_token": next }));
            } else {
                table::runs(&items, next.as_deref());
            }
        }
        Command::Tree {
            experiment_id,
            filter,
            view: v,
        } => {
            let req = SearchRuns {
                experiment_ids: vec![experiment_id],
                filter,
                view_type: view(&v)?,
                ..Default::default()
            };
            let forest = tracking.run_tree(&req).await?;
            if cli.json {
                print_json(&json!({ "roots": forest }));
            } else {
                table::tree(&forest);
            }
        }
        Command::Run { run_id } => {
            let run = tracking.get_run(&run_id).await?;
            if cli.json {
                print_json(&run);
            } else {
                table::run(&run);
            }
        }
        Command::History { run_id, key } => {
            let metrics = tracking.metric_history(&run_id, &key).await?;
            if cli.json {
                print_json(&json!({ "run_id": run_id, "key": key, "metrics": metrics }));
            } else {
                table::history(&metrics);
            }
        }
        Command::Sampled {
            run_ids,
            keys,
            max_points,
            steps,
        } => {
            let series = tracking
                .sampled_histories_in(&run_ids, &keys, max_points, steps)
                .await?;
            if cli.json {
                print_json(&json!({ "series": series }));
            } else {
                table::sampled(&series);
            }
        }
        Command::Artifacts { run_id, path } => {
            let files = tracking.list_artifacts(&run_id, path.as_deref()).await?;
            if cli.json {
                print_json(&json!({ "files": files }));
            } else {
                table::artifacts(&files);
            }
        }
        Command::Models {
            filter,
            order_by,
            paging,
        } => {
            let req = SearchModels {
                filter,
                order_by,
                page: paging.request(),
            };
            let (items, next) = if paging.max_results.is_some() {
                let page = tracking.search_registered_models(&req).await?;
                (page.items, page.next_page_token)
            } else {
                (tracking.all_registered_models(&req).await?, None)
            };
            if cli.json {
                print_json(&json!({ "registered_models": items, "next_page_token": next }));
            } else {
                table::models(&items, next.as_deref());
            }
        }
        Command::Versions { model, version, alias } => {
            let versions = match (version, alias) {
                (Some(v), _) => vec![tracking.get_model_version(&model, v).await?],
                (None, Some(a)) => vec![tracking.get_model_version_by_alias(&model, &a).await?],
                (None, None) => tracking.model_versions(&model).await?,
            };
            if cli.json {
                print_json(&json!({ "model_versions": versions }));
            } else {
                table::versions(&versions);
            }
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                eprintln!(
                    "{}",
                    serde_json::to_string(&json!({ "error": e })).unwrap_or_else(|_| e.to_string())
                );
            } else {
                eprintln!("runlens-cli: {e}");
            }
            ExitCode::from(match e.code {
                ErrorCode::NotFound => 3,
                ErrorCode::InvalidArgument => 2,
                _ => 1,
            })
        }
    }
}

/// `START..END` (or `START..=END`): an inclusive range of steps.
fn parse_steps(text: &str) -> Result<runlens_core::sampling::StepRange, String> {
    let (a, b) = text
        .split_once("..=")
        .or_else(|| text.split_once(".."))
        .ok_or_else(|| format!("{text:?} is not a step range START..END"))?;
    let step = |s: &str| s.trim().parse::<i64>().map_err(|e| format!("{s:?} is not a step: {e}"));
    Ok(runlens_core::sampling::StepRange::new(step(a)?, step(b)?))
}

#[cfg(test)]
mod tests {
    use super::parse_steps;
    use runlens_core::sampling::StepRange;

    #[test]
    fn step_ranges_parse_either_way_round() {
        assert_eq!(parse_steps("100..200"), Ok(StepRange { start: 100, end: 200 }));
        assert_eq!(parse_steps("200..=100"), Ok(StepRange { start: 100, end: 200 }));
        assert_eq!(parse_steps("-5..5"), Ok(StepRange { start: -5, end: 5 }));
        assert!(parse_steps("100").is_err());
        assert!(parse_steps("a..b").is_err());
    }
}
