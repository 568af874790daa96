//! The tables of runs (issue #8): finding them among a run's artifacts, parsing them once
//! (`log_table` JSON, CSV and the legacy `llm_predictions.csv`, parquet), keeping them parsed,
//! and answering windows of rows, single cells and joins across runs.
//!
//! **A table never crosses to the webview whole**: callers get windows of at most
//! [`MAX_WINDOW_ROWS`] rows with long cells cut, sorted and filtered here. A malformed table
//! fails alone, with a message naming it; the run's other tables stay usable.

use crate::error::Result;
use crate::facade::Tracking;
use crate::preview::{csv_error, size_text, unclosed_quote};
use runlens_core::tables::detect::{self, SNIFF_BYTES};
use runlens_core::tables::join::{
    self, CompareRow, CompareRun, CompareSide, CompareTablesRequest, CompareWindow, JoinInput, Joined,
};
use runlens_core::tables::prompt::filled_prompts;
use runlens_core::tables::query::{matching_rows, TableQuery};
use runlens_core::tables::*;
use runlens_core::{tag, ApiError, ErrorCode, FileInfo};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// Largest table file Runlens parses.
pub const MAX_TABLE_BYTES: u64 = 512 * 1024 * 1024;
/// Most artifact entries looked at when finding a run's tables, and most folders listed.
const MAX_ENTRIES: usize = 5_000;
const MAX_FOLDERS: usize = 300;
/// Most `.json` files whose first bytes are read to recognise a table.
const MAX_SNIFFED: usize = 200;
/// Tables kept parsed, and the most cells they may hold together (the newest is always kept).
const CACHED_TABLES: usize = 8;
const CACHED_CELLS: usize = 4_000_000;
/// Row orders (sorted, filtered) and joins kept.
const CACHED_VIEWS: usize = 12;
const CACHED_JOINS: usize = 3;

/// A parsed table and what it was parsed from.
pub(crate) struct Loaded {
    pub kind: TableKind,
    pub data: TableData,
    /// The file's size when read: a different size on [`Tracking::open_table`] reads it again.
    pub size: Option<u64>,
}

type ViewKey = (String, String, TableQuery);
type JoinKey = (Vec<String>, String, String, String);
/// Rows in a join's order: (only differing, search) → joined row indices, most recent last.
type JoinViews = Mutex<VecDeque<((bool, String), Arc<Vec<usize>>)>>;
/// Parsed tables by (run, path), most recent last.
type Tables = Mutex<VecDeque<((String, String), Arc<Loaded>)>>;

struct JoinEntry {
    joined: Joined,
    tables: Vec<Option<Arc<Loaded>>>,
    runs: Vec<CompareRun>,
    columns: Vec<String>,
    /// (only differing, search) → joined row indices.
    views: JoinViews,
    differing: usize,
}

/// Parsed tables, row orders and joins of one store, most recently used last.
#[derive(Default)]
pub struct TableCache {
    tables: Tables,
    views: Mutex<VecDeque<(ViewKey, Arc<Vec<usize>>)>>,
    joins: Mutex<VecDeque<(JoinKey, Arc<JoinEntry>)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TableCache {
    fn get(&self, run_id: &str, path: &str) -> Option<Arc<Loaded>> {
        let mut tables = lock(&self.tables);
        let at = tables.iter().position(|((r, p), _)| r == run_id && p == path)?;
        let entry = tables.remove(at)?;
        let table = entry.1.clone();
        tables.push_back(entry);
        Some(table)
    }

    fn put(&self, run_id: &str, path: &str, table: Arc<Loaded>) {
        let mut tables = lock(&self.tables);
        tables.retain(|((r, p), _)| !(r == run_id && p == path));
        tables.push_back(((run_id.to_string(), path.to_string()), table));
        let cells = |t: &VecDeque<((String, String), Arc<Loaded>)>| -> usize {
            t.iter()
                .map(|(_, l)| l.data.rows.len() * l.data.columns.len().max(1))
                .sum()
        };
        while tables.len() > CACHED_TABLES || (tables.len() > 1 && cells(&tables) > CACHED_CELLS) {
            tables.pop_front();
        }
        drop(tables);
        // Orders and joins of an older copy of this table are stale.
        lock(&self.views).retain(|((r, p, _), _)| !(r == run_id && p == path));
        lock(&self.joins).retain(|((runs, p, _, _), _)| !(p == path && runs.iter().any(|r| r == run_id)));
    }

    fn view(&self, key: &ViewKey, make: impl FnOnce() -> Vec<usize>) -> Arc<Vec<usize>> {
        if let Some((_, rows)) = lock(&self.views).iter().find(|(k, _)| k == key) {
            return rows.clone();
        }
        let rows = Arc::new(make());
        let mut views = lock(&self.views);
        views.push_back((key.clone(), rows.clone()));
        while views.len() > CACHED_VIEWS {
            views.pop_front();
        }
        rows
    }
}

impl Tracking {
    fn table_cache(&self) -> &TableCache {
        &self.tables
    }

    /// The tables a run holds and the prompt templates its params fill. Artifacts that cannot
    /// be listed or sniffed are noted; the tables found are still answered.
    pub async fn run_tables(&self, run_id: &str) -> Result<RunTables> {
        let run = self.get_run(run_id).await?;
        let logged: Vec<String> = detect::logged_tables(run.data.tags.get(tag::LOGGED_ARTIFACTS).map(String::as_str));
        let mut notes = Vec::new();
        let files = self.all_artifact_files(run_id, &logged, &mut notes).await;
        let mut tables = Vec::new();
        let mut seen = HashSet::new();
        let mut sniffed = 0;
        for file in &files {
            let path = file.path.trim_matches('/').to_string();
            let is_logged = logged.contains(&path);
            let kind = match detect::kind_by_name(&path) {
                Some(kind) => Some(kind),
                None if is_logged => Some(detect::json_kind(&path)),
                None if detect::is_json(&path) && sniffed < MAX_SNIFFED => {
                    sniffed += 1;
                    match self.read_artifact(run_id, &path, SNIFF_BYTES).await {
                        Ok(head) if detect::looks_like_split_json(&head.bytes) => Some(detect::json_kind(&path)),
                        Ok(_) => None,
                        Err(e) => {
                            notes.push(format!("{path} could not be read: {}", ApiError::from(e).message));
                            None
                        }
                    }
                }
                None => None,
            };
            if let Some(kind) = kind {
                seen.insert(path.clone());
                tables.push(TableRef {
                    path,
                    kind,
                    size: file.file_size,
                    logged: is_logged,
                });
            }
        }
        for path in logged.iter().filter(|p| !seen.contains(*p)) {
            notes.push(format!(
                "{path} is listed as a table in mlflow.loggedArtifacts but is not among the run's artifacts"
            ));
        }
        // Tables MLflow logged come first, then the others by path.
        tables.sort_by(|a, b| b.logged.cmp(&a.logged).then_with(|| a.path.cmp(&b.path)));
        Ok(RunTables {
            run_id: run_id.to_string(),
            tables,
            notes,
            prompts: filled_prompts(&run.data.params),
        })
    }

    /// Every file of a run's artifacts, walking folders breadth first within bounds. Folders of
    /// table images and model folders (holding an `MLmodel`) are skipped unless a logged table
    /// lies inside them.
    async fn all_artifact_files(&self, run_id: &str, logged: &[String], notes: &mut Vec<String>) -> Vec<FileInfo> {
        let mut files = Vec::new();
        let mut folders: VecDeque<Option<String>> = VecDeque::from([None]);
        let mut listed = 0;
        while let Some(folder) = folders.pop_front() {
            if listed >= MAX_FOLDERS || files.len() >= MAX_ENTRIES {
                notes.push(format!(
                    "the run has more than {MAX_FOLDERS} folders or {MAX_ENTRIES} files; only the first were looked at"
                ));
                break;
            }
            listed += 1;
            let entries = match self.list_artifacts(run_id, folder.as_deref()).await {
                Ok(entries) => entries,
                Err(e) if folder.is_none() => {
                    notes.push(format!(
                        "the run's artifacts could not be listed: {}",
                        ApiError::from(e).message
                    ));
                    break;
                }
                Err(e) => {
                    let name = folder.unwrap_or_default();
                    notes.push(format!(
                        "folder {name} could not be listed: {}",
                        ApiError::from(e).message
                    ));
                    continue;
                }
            };
            let holds_model = entries
                .iter()
                .any(|e| !e.is_dir && e.path.rsplit('/').next() == Some("MLmodel"));
            for entry in entries {
                let path = entry.path.trim_matches('/').to_string();
                let wanted_inside = logged.iter().any(|l| l.starts_with(&format!("{path}/")));
                if entry.is_dir {
                    if wanted_inside || !detect::skip_folder(&path) {
                        folders.push_back(Some(path));
                    }
                } else if !holds_model || logged.contains(&path) {
                    files.push(entry);
                }
            }
        }
        files
    }

    /// A table of a run, parsed; read again when its file changed size since it was parsed
    /// (a running job appending rows with `log_table`).
    pub async fn open_table(&self, run_id: &str, path: &str) -> Result<TableInfo> {
        let cached = self.table_cache().get(run_id, path);
        let table = match cached {
            Some(table) if self.listed_size(run_id, path).await == table.size => table,
            _ => self.load_table(run_id, path).await?,
        };
        Ok(TableInfo {
            run_id: run_id.to_string(),
            path: path.to_string(),
            kind: table.kind,
            columns: table.data.columns.clone(),
            total_rows: table.data.rows.len(),
            notes: table.data.notes.clone(),
        })
    }

    /// A window of a table's rows in the query's order, long cells cut.
    pub async fn table_rows(
        &self,
        run_id: &str,
        path: &str,
        query: &TableQuery,
        offset: usize,
        limit: usize,
    ) -> Result<TableWindow> {
        let table = self.cached_table(run_id, path).await?;
        let rows = self.row_order(run_id, path, &table, query);
        let limit = limit.clamp(1, MAX_WINDOW_ROWS);
        let window = rows
            .iter()
            .skip(offset)
            .take(limit)
            .map(|&i| WindowRow {
                index: i,
                cells: table.data.rows[i].iter().map(|c| c.cut(CELL_PREVIEW_CHARS)).collect(),
            })
            .collect();
        Ok(TableWindow {
            total_rows: table.data.rows.len(),
            matching_rows: rows.len(),
            offset,
            rows: window,
        })
    }

    /// One whole cell of a table (row as stored, not as sorted).
    pub async fn table_cell(&self, run_id: &str, path: &str, row: usize, column: usize) -> Result<Cell> {
        let table = self.cached_table(run_id, path).await?;
        table
            .data
            .rows
            .get(row)
            .and_then(|r| r.get(column))
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("{path} has no cell at row {row}, column {column}")).into())
    }

    /// One table of several runs joined by an input column, and a window of the joined rows.
    /// A run whose table is missing or malformed is marked with its error; the others are
    /// still compared.
    pub async fn compare_tables(&self, req: &CompareTablesRequest) -> Result<CompareWindow> {
        if req.run_ids.is_empty() {
            return Err(ApiError::invalid("choose at least one run to compare").into());
        }
        let mut loaded: Vec<std::result::Result<Arc<Loaded>, ApiError>> = Vec::new();
        for run_id in &req.run_ids {
            loaded.push(self.cached_table(run_id, &req.path).await.map_err(ApiError::from));
        }
        let readable: Vec<&TableData> = loaded.iter().filter_map(|l| l.as_ref().ok()).map(|l| &l.data).collect();
        if readable.is_empty() {
            let first = loaded.into_iter().find_map(|l| l.err());
            return Err(first
                .unwrap_or_else(|| ApiError::not_found("no run has this table"))
                .into());
        }
        // Columns of every readable table, first-seen order, with the kind first seen.
        let mut columns: Vec<(String, ColumnKind)> = Vec::new();
        for t in &readable {
            for c in &t.columns {
                if !columns.iter().any(|(n, _)| *n == c.name) {
                    columns.push((c.name.clone(), c.kind));
                }
            }
        }
        let key = match req.key.clone().filter(|k| !k.is_empty()) {
            Some(k) => k,
            None => join::detect_input(&columns)
                .ok_or_else(|| ApiError::invalid(format!("{} has no text column to join the runs on", req.path)))?,
        };
        if !columns.iter().any(|(n, _)| *n == key) {
            return Err(ApiError::invalid(format!("no run's {} has a column {key:?}", req.path)).into());
        }
        let output = req
            .output
            .clone()
            .filter(|o| !o.is_empty())
            .or_else(|| join::detect_output(&columns, &key))
            .unwrap_or_else(|| key.clone());
        let join_key: JoinKey = (req.run_ids.clone(), req.path.clone(), key.clone(), output.clone());
        let entry = self.join_entry(join_key, &loaded, &columns, &key, &output).await;
        let tables: Vec<&TableData> = entry
            .tables
            .iter()
            .map(|t| t.as_ref().map(|l| &l.data).unwrap_or(&EMPTY))
            .collect();
        let view_key = (req.only_differing, req.search.trim().to_lowercase());
        let cached_view = lock(&entry.views)
            .iter()
            .find(|(k, _)| *k == view_key)
            .map(|(_, v)| v.clone());
        let rows = match cached_view {
            Some(rows) => rows,
            None => {
                let rows = Arc::new(entry.joined.matching(&tables, req.only_differing, &req.search));
                let mut views = lock(&entry.views);
                views.push_back((view_key, rows.clone()));
                while views.len() > CACHED_VIEWS {
                    views.pop_front();
                }
                rows
            }
        };
        let limit = req.limit.clamp(1, MAX_WINDOW_ROWS);
        let window = rows
            .iter()
            .skip(req.offset)
            .take(limit)
            .map(|&i| compare_row(&entry, &tables, i))
            .collect();
        Ok(CompareWindow {
            plan: entry.joined.plan.clone(),
            columns: entry.columns.clone(),
            runs: entry.runs.clone(),
            total_rows: entry.joined.rows.len(),
            differing_rows: entry.differing,
            matching_rows: rows.len(),
            offset: req.offset,
            rows: window,
        })
    }

    async fn join_entry(
        &self,
        key: JoinKey,
        loaded: &[std::result::Result<Arc<Loaded>, ApiError>],
        columns: &[(String, ColumnKind)],
        key_column: &str,
        output: &str,
    ) -> Arc<JoinEntry> {
        let cache = self.table_cache();
        let found = lock(&cache.joins)
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, e)| e.clone());
        // A cached join is used only while it was made from the tables cached now.
        if let Some(entry) = found.filter(|e| {
            e.tables.iter().zip(loaded).all(|(a, b)| match (a, b) {
                (Some(a), Ok(b)) => Arc::ptr_eq(a, b),
                (None, Err(_)) => true,
                _ => false,
            })
        }) {
            return entry;
        }
        let tables: Vec<Option<Arc<Loaded>>> = loaded.iter().map(|l| l.as_ref().ok().cloned()).collect();
        let inputs: Vec<JoinInput> = key
            .0
            .iter()
            .zip(&tables)
            .map(|(run_id, t)| JoinInput {
                run_id: run_id.clone(),
                table: t.as_ref().map(|l| &l.data).unwrap_or(&EMPTY),
            })
            .collect();
        let joined = join::join(&inputs, key_column, output);
        let data: Vec<&TableData> = inputs.iter().map(|i| i.table).collect();
        let differing = (0..joined.rows.len()).filter(|&i| joined.differs(&data, i)).count();
        let mut runs = Vec::new();
        for (run_id, l) in key.0.iter().zip(loaded) {
            let run_name = match self.get_run(run_id).await {
                Ok(run) => run.info.run_name,
                Err(_) => run_id.clone(),
            };
            runs.push(match l {
                Ok(t) => CompareRun {
                    run_id: run_id.clone(),
                    run_name,
                    rows: Some(t.data.rows.len()),
                    error: None,
                    key_column: t.data.column(key_column),
                    output_column: t.data.column(output),
                    aggregates: join::aggregates(&t.data, &joined.plan.score_columns),
                },
                Err(e) => CompareRun {
                    run_id: run_id.clone(),
                    run_name,
                    rows: None,
                    error: Some(e.clone()),
                    key_column: None,
                    output_column: None,
                    aggregates: Vec::new(),
                },
            });
        }
        let entry = Arc::new(JoinEntry {
            joined,
            tables,
            runs,
            columns: columns.iter().map(|(n, _)| n.clone()).collect(),
            views: Mutex::new(VecDeque::new()),
            differing,
        });
        let mut joins = lock(&cache.joins);
        joins.retain(|(k, _)| *k != key);
        joins.push_back((key, entry.clone()));
        while joins.len() > CACHED_JOINS {
            joins.pop_front();
        }
        entry
    }

    /// The parsed table, from the cache or read now.
    async fn cached_table(&self, run_id: &str, path: &str) -> Result<Arc<Loaded>> {
        match self.table_cache().get(run_id, path) {
            Some(table) => Ok(table),
            None => self.load_table(run_id, path).await,
        }
    }

    /// The size the artifact listing gives for `path` (`None` when unknown).
    async fn listed_size(&self, run_id: &str, path: &str) -> Option<u64> {
        let parent = path.trim_matches('/').rsplit_once('/').map(|(dir, _)| dir);
        let listing = self.list_artifacts(run_id, parent).await.ok()?;
        listing
            .into_iter()
            .find(|f| f.path.trim_matches('/') == path.trim_matches('/'))
            .and_then(|f| f.file_size)
    }

    async fn load_table(&self, run_id: &str, path: &str) -> Result<Arc<Loaded>> {
        let content = self.read_artifact(run_id, path, MAX_TABLE_BYTES).await?;
        if content.truncated {
            return Err(ApiError::invalid(format!(
                "{path} is {}; Runlens opens tables of at most {}",
                size_text(content.total_size, MAX_TABLE_BYTES as usize),
                size_text(Some(MAX_TABLE_BYTES), 0)
            ))
            .into());
        }
        let size = content.total_size;
        let path_owned = path.to_string();
        // Parsing 100,000 rows takes a moment: not on the async workers.
        let (kind, data) = tokio::task::spawn_blocking(move || parse_table(&path_owned, &content.bytes))
            .await
            .map_err(|e| ApiError::internal(format!("parsing a table failed: {e}")))??;
        let loaded = Arc::new(Loaded { kind, data, size });
        self.table_cache().put(run_id, path, loaded.clone());
        Ok(loaded)
    }

    fn row_order(&self, run_id: &str, path: &str, table: &Loaded, query: &TableQuery) -> Arc<Vec<usize>> {
        if query.is_plain() {
            return Arc::new((0..table.data.rows.len()).collect());
        }
        let key = (run_id.to_string(), path.to_string(), query.clone());
        self.table_cache().view(&key, || matching_rows(&table.data, query))
    }
}

static EMPTY: TableData = TableData {
    columns: Vec::new(),
    rows: Vec::new(),
    notes: Vec::new(),
};

fn compare_row(entry: &JoinEntry, tables: &[&TableData], index: usize) -> CompareRow {
    let row = &entry.joined.rows[index];
    let plan = &entry.joined.plan;
    let mut input = Cell::Text(row.key.clone());
    for (run, side) in row.sides.iter().enumerate() {
        if let (Some(side), Some(col)) = (side, tables[run].column(&plan.key_column)) {
            input = tables[run].rows[side.row][col].clone();
            break;
        }
    }
    let sides = row
        .sides
        .iter()
        .enumerate()
        .map(|(run, side)| {
            let side = side.as_ref()?;
            let table = tables[run];
            let cell = |name: &str| {
                table
                    .column(name)
                    .map(|c| table.rows[side.row][c].clone())
                    .unwrap_or(Cell::Null)
            };
            Some(CompareSide {
                row: side.row,
                output: cell(&plan.output_column).cut(CELL_PREVIEW_CHARS),
                scores: plan.score_columns.iter().map(|s| cell(s)).collect(),
            })
        })
        .collect();
    CompareRow {
        index,
        input: input.cut(CELL_PREVIEW_CHARS),
        sides,
        differs: entry.joined.differs(tables, index),
    }
}

/// A table from a file's bytes, by its name: parquet, CSV/TSV (the legacy predictions file
/// too), else pandas "split" JSON. The error names the file and what is wrong with it.
pub fn parse_table(path: &str, bytes: &[u8]) -> Result<(TableKind, TableData)> {
    let kind = detect::kind_by_name(path).unwrap_or_else(|| detect::json_kind(path));
    let data = match kind {
        TableKind::Parquet => parse_parquet(bytes),
        TableKind::Csv | TableKind::LegacyPredictions => {
            let delimiter = if path.to_ascii_lowercase().ends_with(".tsv") {
                b'\t'
            } else {
                b','
            };
            parse_csv(bytes, delimiter)
        }
        TableKind::LogTable | TableKind::Evaluation => parse_split_json(bytes),
    }
    .map_err(|problem| {
        ApiError::new(
            ErrorCode::InvalidArgument,
            format!("{path} cannot be read as a table: {problem}"),
        )
    })?;
    Ok((kind, data))
}

/// pandas' "split" JSON (`log_table`): `{"columns": [...], "data": [[...], ...]}`, an `index`
/// allowed and ignored.
pub fn parse_split_json(bytes: &[u8]) -> std::result::Result<TableData, String> {
    #[derive(Deserialize)]
    struct Split {
        columns: Vec<Value>,
        data: Vec<Vec<Value>>,
    }
    let split: Split = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            format!("it is JSON but not a table of \"columns\" and \"data\" rows ({e})")
        } else {
            format!("not valid JSON: {e}")
        }
    })?;
    let names = split
        .columns
        .into_iter()
        .map(|c| match c {
            Value::String(s) => s,
            other => other.to_string(),
        })
        .collect();
    let rows = split
        .data
        .into_iter()
        .map(|row| row.into_iter().map(Cell::from_json).collect())
        .collect();
    Ok(TableData::new(names, rows))
}

/// A CSV (or TSV) file: the first row names the columns; cells are read with
/// [`Cell::from_text`], so the legacy predictions' Python dict cells become objects.
pub fn parse_csv(bytes: &[u8], delimiter: u8) -> std::result::Result<TableData, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text (byte {})", e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(line) = unclosed_quote(text, delimiter) {
        return Err(format!("the quote that opens a field on line {line} is never closed"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let names: Vec<String> = match records.next() {
        Some(header) => header.map_err(|e| csv_error(&e))?.iter().map(String::from).collect(),
        None => return Err("the file is empty".into()),
    };
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| csv_error(&e))?;
        rows.push(record.iter().map(Cell::from_text).collect());
    }
    Ok(TableData::new(names, rows))
}

/// A parquet file as pandas and pyarrow write it (plain, dictionary or snappy-compressed
/// pages); nested values (structs, lists, maps) become JSON cells. pandas' index column
/// (`__index_level_0__`) is left out.
pub fn parse_parquet(bytes: &[u8]) -> std::result::Result<TableData, String> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes))
        .map_err(|e| format!("not a parquet file: {e}"))?;
    let fields = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .to_vec();
    let keep: Vec<bool> = fields.iter().map(|f| !f.name().starts_with("__index_level_")).collect();
    let names: Vec<String> = fields
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(f, _)| f.name().to_string())
        .collect();
    let mut rows = Vec::new();
    for row in reader
        .get_row_iter(None)
        .map_err(|e| format!("its rows cannot be read: {e}"))?
    {
        let row = row.map_err(|e| format!("a row cannot be read: {e}"))?;
        rows.push(
            row.get_column_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|((_, field), _)| Cell::from_json(field.to_json_value()))
                .collect(),
        );
    }
    Ok(TableData::new(names, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facade::Table;
    use crate::sqlite::SqliteStore;
    use runlens_core::request::{CreateExperiment, CreateRun};
    use runlens_core::MetricValue;
    use serde_json::json;

    /// A new SQLite store with one run whose artifacts live under `dir`.
    async fn store_with_run(dir: &std::path::Path) -> (Tracking, String) {
        let store = SqliteStore::create(&dir.join("mlflow.db")).await.unwrap();
        let t = Tracking::from_store(Arc::new(store));
        let exp = t
            .create_experiment(&CreateExperiment {
                name: "tables".into(),
                artifact_location: Some(dir.join("artifacts").display().to_string()),
                ..Default::default()
            })
            .await
            .unwrap();
        let run = t
            .create_run(&CreateRun {
                experiment_id: exp,
                ..Default::default()
            })
            .await
            .unwrap()
            .run_id;
        (t, run)
    }

    #[tokio::test]
    async fn tables_are_found_kept_and_read_again_when_they_grow() {
        let dir = tempfile::tempdir().unwrap();
        let (t, run) = store_with_run(dir.path()).await;
        let rows = |n: usize| Table {
            columns: vec!["inputs".into(), "outputs".into()],
            data: (0..n)
                .map(|i| vec![json!(format!("q{i}")), json!(format!("a{i}"))])
                .collect(),
        };
        t.log_table(&run, "eval/preds.json", &rows(3)).await.unwrap();
        t.log_text(&run, "unlisted.json", r#"{"columns": ["a"], "data": [[1], [2]]}"#)
            .await
            .unwrap();
        t.log_text(&run, "other.json", r#"{"a": 1}"#).await.unwrap();
        t.log_text(&run, "table_images/x.json", r#"{"columns": ["a"], "data": []}"#)
            .await
            .unwrap();
        t.log_text(&run, "model/MLmodel", "flavors: {}\n").await.unwrap();
        t.log_text(&run, "model/input_example.json", r#"{"columns": ["a"], "data": [[1]]}"#)
            .await
            .unwrap();
        let found = t.run_tables(&run).await.unwrap();
        let paths: Vec<(&str, bool)> = found.tables.iter().map(|r| (r.path.as_str(), r.logged)).collect();
        assert_eq!(paths, vec![("eval/preds.json", true), ("unlisted.json", false)]);
        assert!(found.notes.is_empty(), "{:?}", found.notes);

        let info = t.open_table(&run, "eval/preds.json").await.unwrap();
        assert_eq!(info.total_rows, 3);
        // A job appends rows: the next open reads the table again, windows follow.
        t.log_table(&run, "eval/preds.json", &rows(2)).await.unwrap();
        assert_eq!(t.open_table(&run, "eval/preds.json").await.unwrap().total_rows, 5);
        let window = t
            .table_rows(&run, "eval/preds.json", &TableQuery::default(), 3, 10)
            .await
            .unwrap();
        assert_eq!(
            (window.matching_rows, window.rows.len(), window.rows[0].index),
            (5, 2, 3)
        );
        let missing = ApiError::from(t.table_cell(&run, "eval/preds.json", 9, 0).await.unwrap_err());
        assert_eq!(missing.code, ErrorCode::NotFound);
        let gone = ApiError::from(t.open_table(&run, "nope.json").await.unwrap_err());
        assert_eq!(gone.code, ErrorCode::NotFound);
    }

    #[test]
    fn log_table_json_parses_with_image_and_dict_cells() {
        let bytes = br#"{"columns":["inputs","outputs","score","img"],"data":[["What is 2+2?","4",1.0,{"type":"image","filepath":"table_images\/t\/a.png","compressed_filepath":"table_images\/t\/a.webp"}],[{"q":"x"},null,0.5,null]]}"#;
        let (kind, t) = parse_table("runs/predictions.json", bytes).unwrap();
        assert_eq!(kind, TableKind::LogTable);
        assert_eq!(
            t.columns.iter().map(|c| c.kind).collect::<Vec<_>>(),
            vec![
                ColumnKind::Mixed,
                ColumnKind::Text,
                ColumnKind::Number,
                ColumnKind::Image
            ]
        );
        assert_eq!(t.rows[1][0], Cell::Json(json!({"q": "x"})));
        assert!(matches!(&t.rows[0][3], Cell::Image(i) if i.filepath == "table_images/t/a.png"));
        let (kind, _) = parse_table("eval_results_table.json", br#"{"columns":[],"data":[]}"#).unwrap();
        assert_eq!(kind, TableKind::Evaluation);
    }

    #[test]
    fn malformed_tables_say_what_is_wrong_with_which_file() {
        let err = ApiError::from(parse_table("broken.json", br#"{"columns": ["a"], "data": [[1]"#).unwrap_err());
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert!(
            err.message
                .starts_with("broken.json cannot be read as a table: not valid JSON: EOF"),
            "{}",
            err.message
        );
        let err = ApiError::from(parse_table("t.json", br#"{"columns": ["a"], "data": [1, 2]}"#).unwrap_err());
        assert!(err.message.contains("it is JSON but not a table"), "{}", err.message);
        let err = ApiError::from(parse_table("bad.csv", b"a,b\n1,\"open\n2,3\n").unwrap_err());
        assert_eq!(
            err.message,
            "bad.csv cannot be read as a table: the quote that opens a field on line 2 is never closed"
        );
        let err = ApiError::from(parse_table("bin.csv", b"a,b\n\xff\xfe,1\n").unwrap_err());
        assert!(err.message.contains("not UTF-8"), "{}", err.message);
        let err = ApiError::from(parse_table("empty.csv", b"").unwrap_err());
        assert!(err.message.ends_with("the file is empty"));
        let err = ApiError::from(parse_table("x.parquet", b"PAR1 not really").unwrap_err());
        assert!(err.message.contains("not a parquet file"), "{}", err.message);
    }

    #[test]
    fn legacy_predictions_decode_python_dicts() {
        let csv = "inputs,outputs,prompts\n\"{'question': \"\"What's MLflow?\"\"}\",MLflow is a platform,\"{'prompt': 'Answer: {question}'}\"\n";
        let (kind, t) = parse_table("llm_predictions.csv", csv.as_bytes()).unwrap();
        assert_eq!(kind, TableKind::LegacyPredictions);
        assert_eq!(t.rows[0][0], Cell::Json(json!({"question": "What's MLflow?"})));
        assert_eq!(t.rows[0][1], Cell::Text("MLflow is a platform".into()));
        assert_eq!(t.rows[0][2], Cell::Json(json!({"prompt": "Answer: {question}"})));
        let (_, t) = parse_table("s.tsv", "a\tb\n1\tTrue\n".as_bytes()).unwrap();
        assert_eq!(t.rows[0], vec![Cell::Number(MetricValue(1.0)), Cell::Bool(true)]);
    }
}
