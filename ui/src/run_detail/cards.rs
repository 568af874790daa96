//! The git card (MLflow's source tags and MaxFlow's `__maxai_*` git tags; a child run without
//! them shows its nearest ancestor's, as MaxFlow means them to be inherited) and the data card
//! (MLflow dataset inputs, MaxFlow's `feature_view` tag).

use super::params::value_text;
use super::use_page;
use crate::ipc;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_core::display::{profile_entries, schema_columns, source_text};
use runlens_core::markdown::is_safe_link;
use runlens_core::{tag, DatasetInput, Tags};

/// Git and source tags, in the order shown, with their labels.
const GIT_TAGS: [(&str, &str); 9] = [
    ("Repository", "mlflow.source.git.repoURL"),
    ("Repository", "mlflow.gitRepoURL"),
    ("Repository", "__maxai_repo__"),
    ("Branch", "mlflow.source.git.branch"),
    ("Branch", "__maxai_branch__"),
    ("Commit", tag::GIT_COMMIT),
    ("Commit", tag::MAXAI_COMMIT),
    ("Source", tag::SOURCE_NAME),
    ("Source type", tag::SOURCE_TYPE),
];

/// Ancestors looked at for inherited git tags.
const MAX_ANCESTORS: usize = 5;

/// (label, tag key, value) of each git tag present; a value repeated under the same label
/// (MLflow's and MaxFlow's commit) is shown once.
fn git_rows(tags: &Tags) -> Vec<(&'static str, &'static str, String)> {
    let mut rows: Vec<(&'static str, &'static str, String)> = Vec::new();
    for (label, key) in GIT_TAGS {
        if let Some(value) = tags.get(key).filter(|v| !v.is_empty()) {
            if !rows.iter().any(|(l, _, v)| *l == label && v == value) {
                rows.push((label, key, value.clone()));
            }
        }
    }
    rows
}

/// The nearest ancestor with git tags: its name and rows.
async fn inherited_git(mut parent: Option<String>) -> Option<(String, Vec<(&'static str, &'static str, String)>)> {
    for _ in 0..MAX_ANCESTORS {
        let detail = ipc::get_run(parent?).await.ok()?;
        let rows = git_rows(&detail.run.data.tags);
        if !rows.is_empty() {
            return Some((detail.run.info.run_name, rows));
        }
        parent = detail.parent.filter(|p| !p.missing).map(|p| p.run_id);
    }
    None
}

#[component]
pub fn GitCard() -> impl IntoView {
    let page = use_page();
    let own = Memo::new(move |_| page.with(|d| git_rows(&d.run.data.tags)).unwrap_or_default());
    let parent = Memo::new(move |_| {
        page.with(|d| d.parent.as_ref().filter(|p| !p.missing).map(|p| p.run_id.clone()))
            .flatten()
    });
    let inherited = LocalResource::new(move || {
        let wanted = own.with(Vec::is_empty);
        let parent = parent.get();
        async move {
            match wanted {
                true => inherited_git(parent).await,
                false => None,
            }
        }
    });
    let open = move |url: String| {
        spawn_local(async move {
            if let Err(e) = ipc::open_link(url).await {
                page.error.try_set(Some(e));
            }
        })
    };
    let table = move |rows: Vec<(&'static str, &'static str, String)>| {
        view! {
            <table class="kv-table">
                <tbody>{rows.into_iter().map(|(label, key, value)| {
                    let link = (label == "Repository" && is_safe_link(&value) && !value.starts_with('#')).then(|| {
                        let url = value.clone();
                        view! {
                            <button class="quiet open-link" title="Open in your browser"
                                on:click=move |_| open(url.clone())>"↗"</button>
                        }
                    });
                    view! {
                        <tr data-tag=key>
                            <td class="key" title=key>{label}</td>
                            <td class="val mono">{value_text(value)}{link}</td>
                        </tr>
                    }
                }).collect_view()}</tbody>
            </table>
        }
    };
    move || {
        let rows = own.get();
        if !rows.is_empty() {
            return Some(
                view! {
                    <section class="card" id="git-card">
                        <header class="card-head"><h2>"Source"</h2></header>
                        {table(rows)}
                    </section>
                }
                .into_any(),
            );
        }
        let (from, rows) = inherited.get().flatten()?;
        Some(
            view! {
                <section class="card" id="git-card" data-inherited="true">
                    <header class="card-head">
                        <h2>"Source"</h2>
                        <span class="hint">"from ancestor run " <span class="from-run">{from}</span></span>
                    </header>
                    {table(rows)}
                </section>
            }
            .into_any(),
        )
    }
}

#[component]
pub fn DataCard() -> impl IntoView {
    let page = use_page();
    let data = Memo::new(move |_| {
        page.with(|d| (d.run.inputs.clone(), d.run.data.tags.get("feature_view").cloned()))
            .unwrap_or_default()
    });
    move || {
        let (inputs, feature_view) = data.get();
        if inputs.is_empty() && feature_view.is_none() {
            return None;
        }
        Some(view! {
            <section class="card" id="data-card">
                <header class="card-head">
                    <h2>"Data"</h2>
                    <span class="count">{inputs.len()}</span>
                </header>
                {feature_view.map(|fv| view! {
                    <div class="feature-view" data-tag="feature_view">
                        <span class="label">"Feature view"</span>
                        <span class="mono">{value_text(fv)}</span>
                    </div>
                })}
                {inputs.into_iter().map(dataset).collect_view()}
            </section>
        })
    }
}

fn dataset(input: DatasetInput) -> impl IntoView {
    let d = input.dataset;
    let context = input.tags.get(tag::DATA_CONTEXT).cloned();
    let schema = d.schema.clone().map(|s| match schema_columns(&s) {
        Some(columns) => view! {
            <details class="dataset-schema">
                <summary>{format!("Schema ({} columns)", columns.len())}</summary>
                <table class="kv-table compact">
                    <thead><tr><th>"Column"</th><th>"Type"</th><th>"Required"</th></tr></thead>
                    <tbody>{columns.into_iter().map(|c| view! {
                        <tr>
                            <td class="key">{c.name}</td>
                            <td class="mono">{c.kind}</td>
                            <td>{match c.required { Some(true) => "yes", Some(false) => "no", None => "" }}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            </details>
        }
        .into_any(),
        None => view! {
            <details class="dataset-schema"><summary>"Schema"</summary><pre>{s}</pre></details>
        }
        .into_any(),
    });
    let profile = d.profile.clone().map(|p| match profile_entries(&p) {
        Some(entries) => view! {
            <dl class="dataset-profile">
                {entries.into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> }).collect_view()}
            </dl>
        }
        .into_any(),
        None => view! { <pre class="dataset-profile">{p}</pre> }.into_any(),
    });
    view! {
        <div class="dataset" data-name=d.name.clone() data-digest=d.digest.clone()>
            <div class="dataset-head">
                <strong class="dataset-name">{d.name.clone()}</strong>
                {context.map(|c| view! { <span class="pill context">{c}</span> })}
                <span class="muted mono" title="Digest">{d.digest.clone()}</span>
            </div>
            <table class="kv-table compact">
                <tbody>
                    <tr><td class="key">"Source type"</td><td>{d.source_type.clone()}</td></tr>
                    <tr><td class="key">"Source"</td><td class="mono">{value_text(source_text(&d.source))}</td></tr>
                </tbody>
            </table>
            {profile}
            {schema}
        </div>
    }
}
