//! The runs table's columns: the fixed ones, and metric, param and tag columns the user adds
//! with the column picker. Each knows its title, how the store sorts by it, and its cell text.

use crate::format;
use leptos::prelude::*;
use runlens_core::{tag, Run};
use std::collections::{BTreeSet, HashMap};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Status,
    Name,
    User,
    Started,
    Duration,
    RunType,
    Source,
    Metric(String),
    Param(String),
    Tag(String),
}

pub const FIXED: [Column; 7] = [
    Column::Status,
    Column::Name,
    Column::User,
    Column::Started,
    Column::Duration,
    Column::RunType,
    Column::Source,
];

/// Quotes a key for MLflow's filter and order syntax.
fn backticked(key: &str) -> String {
    format!("`{key}`")
}

impl Column {
    pub fn title(&self) -> String {
        match self {
            Column::Status => "Status".into(),
            Column::Name => "Name".into(),
            Column::User => "User".into(),
            Column::Started => "Started".into(),
            Column::Duration => "Duration".into(),
            Column::RunType => "Run type".into(),
            Column::Source => "Source / commit".into(),
            Column::Metric(k) | Column::Param(k) | Column::Tag(k) => k.clone(),
        }
    }

    /// What kind of column, for the header's small label.
    pub fn group(&self) -> Option<&'static str> {
        match self {
            Column::Metric(_) => Some("metric"),
            Column::Param(_) => Some("param"),
            Column::Tag(_) => Some("tag"),
            _ => None,
        }
    }

    /// The `order_by` key the store sorts this column by (duration has none in MLflow).
    pub fn sort_key(&self) -> Option<String> {
        Some(match self {
            Column::Status => "attributes.status".into(),
            Column::Name => "attributes.run_name".into(),
            Column::User => "attributes.user_id".into(),
            Column::Started => "attributes.start_time".into(),
            Column::Duration => return None,
            Column::RunType => format!("tags.{}", backticked(tag::MAXAI_RUN_TYPE)),
            Column::Source => format!("tags.{}", backticked(tag::GIT_COMMIT)),
            Column::Metric(k) => format!("metrics.{}", backticked(k)),
            Column::Param(k) => format!("params.{}", backticked(k)),
            Column::Tag(k) => format!("tags.{}", backticked(k)),
        })
    }

    /// A stable identifier (used in `data-column` attributes).
    pub fn id(&self) -> String {
        match self {
            Column::Metric(k) => format!("metrics.{k}"),
            Column::Param(k) => format!("params.{k}"),
            Column::Tag(k) => format!("tags.{k}"),
            Column::Status => "status".into(),
            Column::Name => "name".into(),
            Column::User => "user".into(),
            Column::Started => "started".into(),
            Column::Duration => "duration".into(),
            Column::RunType => "run-type".into(),
            Column::Source => "source".into(),
        }
    }

    /// Width in pixels (the table has a fixed layout, so scrolling never shifts columns).
    pub fn width(&self) -> u32 {
        match self {
            Column::Status => 96,
            Column::Name => 240,
            Column::User => 110,
            Column::Started => 150,
            Column::Duration => 90,
            Column::RunType => 120,
            Column::Source => 110,
            Column::Metric(_) | Column::Param(_) | Column::Tag(_) => 130,
        }
    }

    pub fn numeric(&self) -> bool {
        matches!(self, Column::Started | Column::Duration | Column::Metric(_))
    }

    /// The cell's text (status and name have their own markup in the row).
    pub fn text(&self, run: &Run) -> String {
        let info = &run.info;
        match self {
            Column::Status => info.status.as_str().into(),
            Column::Name => info.run_name.clone(),
            Column::User => info.user_id.clone(),
            Column::Started => format::datetime(info.start_time),
            Column::Duration => format::duration(info.start_time, info.end_time),
            Column::RunType => run.data.tags.get(tag::MAXAI_RUN_TYPE).cloned().unwrap_or_default(),
            Column::Source => short_source(run),
            Column::Metric(k) => run.metric(k).map(|m| format::metric(m.value)).unwrap_or_default(),
            Column::Param(k) => run.data.params.get(k).cloned().unwrap_or_default(),
            Column::Tag(k) => run.data.tags.get(k).cloned().unwrap_or_default(),
        }
    }
}

/// The git commit (8 characters) or, without one, the source file's name.
fn short_source(run: &Run) -> String {
    let tags = &run.data.tags;
    match tags.get(tag::GIT_COMMIT).or_else(|| tags.get(tag::MAXAI_COMMIT)) {
        Some(c) => c.chars().take(8).collect(),
        None => tags
            .get(tag::SOURCE_NAME)
            .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
            .unwrap_or_default(),
    }
}

/// The metric, param and tag keys seen in the loaded runs, for the picker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KnownKeys {
    pub metrics: BTreeSet<String>,
    pub params: BTreeSet<String>,
    pub tags: BTreeSet<String>,
}

impl KnownKeys {
    pub fn of<'a>(runs: impl Iterator<Item = &'a Run>) -> KnownKeys {
        let mut keys = KnownKeys::default();
        for run in runs {
            keys.metrics.extend(run.data.metrics.iter().map(|m| m.key.clone()));
            keys.params.extend(run.data.params.keys().cloned());
            keys.tags.extend(run.data.tags.keys().cloned());
        }
        keys
    }

    fn columns(&self) -> Vec<Column> {
        let metrics = self.metrics.iter().cloned().map(Column::Metric);
        let params = self.params.iter().cloned().map(Column::Param);
        let tags = self.tags.iter().cloned().map(Column::Tag);
        metrics.chain(params).chain(tags).collect()
    }
}

/// The extra columns chosen per experiment, kept while the app runs.
#[derive(Clone, Copy)]
pub struct ColumnChoices(pub RwSignal<HashMap<String, Vec<Column>>>);

impl ColumnChoices {
    pub fn provide() {
        provide_context(ColumnChoices(RwSignal::new(HashMap::new())));
    }
}

/// The first few metric keys, shown until the user picks columns.
pub fn default_extra(keys: &KnownKeys) -> Vec<Column> {
    keys.metrics.iter().take(3).cloned().map(Column::Metric).collect()
}

/// A searchable list of every metric, param and tag column with a checkbox each.
#[component]
pub fn ColumnPicker(
    known: Signal<KnownKeys>,
    chosen: Signal<Vec<Column>>,
    on_change: Callback<Vec<Column>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let search = RwSignal::new(String::new());
    let options = move || {
        let needle = search.get().to_lowercase();
        known
            .get()
            .columns()
            .into_iter()
            .filter(|c| needle.is_empty() || c.id().to_lowercase().contains(&needle))
            .take(300)
            .collect::<Vec<_>>()
    };
    let toggle = move |column: Column| {
        let mut now = chosen.get_untracked();
        match now.iter().position(|c| c == &column) {
            Some(i) => {
                now.remove(i);
            }
            None => now.push(column),
        }
        on_change.run(now);
    };
    view! {
        <div class="column-picker">
            <button type="button" id="column-picker" class="quiet" title="Add or remove metric, param and tag columns"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                "Columns ▾"
            </button>
            <Show when=move || open.get()>
                <div class="column-menu" id="column-menu">
                    <input id="column-search" type="search" placeholder="Find a metric, param or tag"
                        autocomplete="off" spellcheck="false"
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev)) />
                    <div class="column-options">
                        {move || {
                            let list = options();
                            if list.is_empty() {
                                return view! { <p class="muted">"No column matches."</p> }.into_any();
                            }
                            list.into_iter().map(|column| {
                                let checked = chosen.get().contains(&column);
                                let group = column.group().unwrap_or_default();
                                let (id, title) = (column.id(), column.title());
                                view! {
                                    <label class="column-option" data-column=id>
                                        <input type="checkbox" prop:checked=checked
                                            on:change=move |_| toggle(column.clone()) />
                                        <span class="column-group">{group}</span>
                                        <span class="column-key">{title}</span>
                                    </label>
                                }
                            }).collect_view().into_any()
                        }}
                    </div>
                    <button type="button" class="quiet" on:click=move |_| open.set(false)>"Done"</button>
                </div>
            </Show>
        </div>
    }
}
