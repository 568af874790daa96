//! Reads what a review's items show through the tracking facade, the same calls the screens make:
//! compared runs with metric summaries, sampled histories, a table joined across runs, a model's
//! versions. An item that cannot be read keeps its error; the others are still read.

use crate::data::{ChartsData, ItemContent, ItemData, ReportData, CHART_POINTS, MAX_TABLE_ROWS};
use runlens_core::review::{Review, ReviewItem};
use runlens_core::tables::join::CompareTablesRequest;
use runlens_core::ApiError;
use runlens_tracking::Tracking;

/// Everything the review's items show, item by item.
pub async fn gather(tracking: &Tracking, review: &Review) -> ReportData {
    let mut items = Vec::with_capacity(review.items.len());
    for item in &review.items {
        items.push(gather_item(tracking, item).await);
    }
    ReportData { items }
}

/// What one item shows.
pub async fn gather_item(tracking: &Tracking, item: &ReviewItem) -> ItemData {
    match item {
        ReviewItem::Comparison { run_ids } => Ok(ItemContent::Comparison(tracking.compare(run_ids, true).await?)),
        ReviewItem::Charts { run_ids, metrics, .. } => {
            Ok(ItemContent::Charts(charts(tracking, run_ids, metrics).await?))
        }
        ReviewItem::Table {
            run_ids, table, key, ..
        } => {
            let request = CompareTablesRequest {
                run_ids: run_ids.clone(),
                path: table.clone(),
                key: key.clone(),
                output: None,
                only_differing: false,
                search: String::new(),
                offset: 0,
                limit: MAX_TABLE_ROWS,
            };
            Ok(ItemContent::Table(tracking.compare_tables(&request).await?))
        }
        ReviewItem::StageBoard { model, .. } => Ok(ItemContent::StageBoard(tracking.model_detail(model).await?)),
    }
}

/// The runs and the sampled histories of the metrics each of them logged (a run that never
/// logged a metric has no line in its chart, rather than failing the item).
async fn charts(tracking: &Tracking, run_ids: &[String], metrics: &[String]) -> Result<ChartsData, ApiError> {
    let runs = tracking.compare(run_ids, false).await?;
    let mut series = Vec::new();
    for compared in &runs.runs {
        let run = &compared.run;
        let logged: Vec<String> = metrics.iter().filter(|k| run.metric(k).is_some()).cloned().collect();
        if logged.is_empty() {
            continue;
        }
        let run_id = [run.info.run_id.clone()];
        series.extend(tracking.sampled_histories(&run_id, &logged, CHART_POINTS).await?);
    }
    Ok(ChartsData { runs, series })
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlens_core::review::ChartView;
    use runlens_core::{ErrorCode, RunStatus};
    use runlens_tracking::ConnectOptions;

    fn review(items: Vec<ReviewItem>) -> Review {
        Review {
            id: "r1".into(),
            name: "demo review".into(),
            store_uri: "demo".into(),
            store_name: "demo".into(),
            created_ms: 0,
            updated_ms: 0,
            items,
            decisions: Vec::new(),
        }
    }

    /// Every item kind on the demo workspace, plus items whose data is gone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_item_kind_is_read_and_missing_data_is_an_error_of_its_item() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("mlflow.db");
        runlens_tracking::demo::create(&db).await.unwrap();
        let tracking = Tracking::open(&db.display().to_string(), &ConnectOptions::default())
            .await
            .unwrap();
        let all = tracking
            .all_runs(&runlens_core::request::SearchRuns {
                experiment_ids: vec!["1".into(), "2".into(), "3".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        let named = |name: &str| {
            all.iter()
                .find(|r| r.info.run_name == name)
                .unwrap_or_else(|| panic!("no run {name}"))
                .info
                .clone()
        };
        let (baseline, sweep) = (named("baseline"), named("lr-sweep"));
        let (terse, friendly) = (named("terse template"), named("friendly template"));
        let ids = vec![baseline.run_id.clone(), sweep.run_id.clone(), "0".repeat(32)];
        let review = review(vec![
            ReviewItem::Comparison { run_ids: ids.clone() },
            ReviewItem::Charts {
                run_ids: ids.clone(),
                metrics: vec!["val/loss".into(), "never_logged".into()],
                view: ChartView::default(),
            },
            ReviewItem::Table {
                experiment_id: terse.experiment_id.clone(),
                run_ids: vec![terse.run_id.clone(), friendly.run_id.clone()],
                table: "eval_results_table.json".into(),
                key: None,
            },
            ReviewItem::StageBoard {
                model: "resnet-classifier".into(),
                versions: vec![2],
            },
            ReviewItem::Table {
                experiment_id: terse.experiment_id.clone(),
                run_ids: vec![terse.run_id.clone()],
                table: "gone.json".into(),
                key: None,
            },
            ReviewItem::StageBoard {
                model: "no-such-model".into(),
                versions: Vec::new(),
            },
        ]);
        let data = gather(&tracking, &review).await;
        assert_eq!(data.items.len(), 6);

        let Ok(ItemContent::Comparison(comparison)) = &data.items[0] else {
            panic!("{:?}", data.items[0])
        };
        assert_eq!(comparison.runs.len(), 2);
        assert_eq!(comparison.missing, vec!["0".repeat(32)]);
        assert!(comparison.runs[0]
            .metrics
            .iter()
            .any(|m| m.key == "val/loss" && m.points > 1));
        assert_eq!(comparison.runs[1].run.info.status, RunStatus::Finished);

        let Ok(ItemContent::Charts(charts)) = &data.items[1] else {
            panic!("{:?}", data.items[1])
        };
        let loss: Vec<_> = charts.series_of("val/loss").collect();
        assert_eq!(loss.len(), 2);
        assert!(loss.iter().all(|s| s.points.len() > 10));
        assert_eq!(charts.series_of("never_logged").count(), 0);
        assert_eq!(charts.run_name(&sweep.run_id), "lr-sweep");

        let Ok(ItemContent::Table(window)) = &data.items[2] else {
            panic!("{:?}", data.items[2])
        };
        assert_eq!(window.plan.key_column, "inputs");
        assert_eq!((window.total_rows, window.rows.len()), (3, 3));

        let Ok(ItemContent::StageBoard(model)) = &data.items[3] else {
            panic!("{:?}", data.items[3])
        };
        assert_eq!(model.versions.len(), 3);

        let missing_table = data.items[4].as_ref().unwrap_err();
        assert_eq!(missing_table.code, ErrorCode::NotFound, "{missing_table:?}");
        let missing_model = data.items[5].as_ref().unwrap_err();
        assert_eq!(missing_model.code, ErrorCode::NotFound, "{missing_model:?}");
    }
}
