//! What a report shows, read and ready: one entry per review item, in the review's order, each
//! the item's data or why it could not be read.

use runlens_core::compare::Comparison;
use runlens_core::registry::ModelDetail;
use runlens_core::sampling::SampledSeries;
use runlens_core::tables::join::CompareWindow;
use runlens_core::ApiError;

/// Most joined rows a table item shows.
pub const MAX_TABLE_ROWS: usize = 200;
/// Points per chart series (as the chart page samples them).
pub const CHART_POINTS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportData {
    /// One per review item, in order.
    pub items: Vec<ItemData>,
}

/// An item's data, or the reason it could not be read (the report shows it as a note).
pub type ItemData = Result<ItemContent, ApiError>;

#[derive(Debug, Clone, PartialEq)]
pub enum ItemContent {
    /// The runs with their metric summaries; runs the store does not have are in `missing`.
    Comparison(Comparison),
    Charts(ChartsData),
    /// The first [`MAX_TABLE_ROWS`] joined rows.
    Table(CompareWindow),
    StageBoard(ModelDetail),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChartsData {
    /// The runs (for names and the legend) without summaries; unknown ids in `missing`.
    pub runs: Comparison,
    /// Sampled histories of the (run, metric) pairs the runs logged, runs in order.
    pub series: Vec<SampledSeries>,
}

impl ChartsData {
    /// The series of one metric, in run order.
    pub fn series_of<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a SampledSeries> + 'a {
        self.series.iter().filter(move |s| s.key == key)
    }

    /// A run's name (its id when it has none).
    pub fn run_name(&self, run_id: &str) -> String {
        self.runs
            .runs
            .iter()
            .find(|r| r.run.info.run_id == run_id)
            .map(|r| r.run.info.run_name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| run_id.to_string())
    }
}
