//! One prompt (`/prompts/<name>?a=<n>&b=<m>`): every version's template, and a line diff between
//! two versions (the two newest unless chosen).

use super::{name_in_path, prompt_path, RegistryError};
use crate::app::age;
use crate::{ipc, routes};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use runlens_core::registry::{diff_lines, DiffKind, PromptDetail, PromptVersion};

#[component]
pub fn PromptPage() -> impl IntoView {
    let location = use_location();
    let name = Memo::new(move |_| {
        name_in_path(&location.pathname.get())
            .map(|(n, _)| n)
            .unwrap_or_default()
    });
    let prompt = LocalResource::new(move || ipc::get_prompt(name.get()));
    view! {
        <section class="registry-page prompt-page" id="prompt-page">
            <nav class="breadcrumbs"><a href="/prompts">"Prompts"</a>" / "<span>{move || name.get()}</span></nav>
            {move || match prompt.get() {
                None => view! { <p class="muted">"Loading prompt…"</p> }.into_any(),
                Some(Err(error)) => view! { <RegistryError error /> }.into_any(),
                Some(Ok(detail)) => view! { <Loaded detail /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Loaded(detail: PromptDetail) -> impl IntoView {
    let location = use_location();
    let navigate = use_navigate();
    let name = detail.prompt.name.clone();
    let versions = detail.versions.clone();
    let newest = versions.first().map(|v| v.version);
    let second = versions.get(1).map(|v| v.version);
    let chosen = move |key: &str, default: Option<i64>| {
        location
            .search
            .with(|s| routes::query_value(s, key).and_then(|v| v.parse::<i64>().ok()))
            .or(default)
    };
    let a = Signal::derive(move || chosen("a", second));
    let b = Signal::derive(move || chosen("b", newest));
    let pick = {
        let name = name.clone();
        move |which: &'static str, value: String| {
            let (mut va, mut vb) = (a.get_untracked(), b.get_untracked());
            let n = value.parse::<i64>().ok();
            if which == "a" {
                va = n;
            } else {
                vb = n;
            }
            let mut path = prompt_path(&name);
            if let (Some(x), Some(y)) = (va, vb) {
                path = format!("{path}?a={x}&b={y}");
            }
            navigate(
                &path,
                leptos_router::NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    };
    let by_number = {
        let versions = versions.clone();
        move |n: Option<i64>| n.and_then(|n| versions.iter().find(|v| v.version == n).cloned())
    };
    let diff = {
        let by_number = by_number.clone();
        move || {
            let (Some(old), Some(new)) = (by_number(a.get()), by_number(b.get())) else {
                return view! { <p class="muted">"Choose two versions to compare their templates."</p> }.into_any();
            };
            let lines = diff_lines(&old.template, &new.template);
            let changed = lines.iter().filter(|l| l.kind != DiffKind::Same).count();
            view! {
                <p class="hint" id="diff-stats">{if changed == 0 { "The templates are the same.".to_string() } else { format!("{changed} changed lines") }}</p>
                <pre class="diff" id="prompt-diff">
                    {lines.into_iter().map(|l| {
                        let (class, mark) = match l.kind {
                            DiffKind::Same => ("diff-line diff-same", "  "),
                            DiffKind::Removed => ("diff-line diff-removed", "- "),
                            DiffKind::Added => ("diff-line diff-added", "+ "),
                        };
                        view! { <span class=class>{mark}{l.text}"\n"</span> }
                    }).collect_view()}
                </pre>
            }
            .into_any()
        }
    };
    let options = versions
        .iter()
        .map(|v| (v.version, format!("Version {}", v.version)))
        .collect::<Vec<_>>();
    let select = move |id: &'static str, value: Signal<Option<i64>>| {
        let pick = pick.clone();
        let options = options.clone();
        view! {
            <select id=id prop:value=move || value.get().map(|v| v.to_string()).unwrap_or_default()
                on:change=move |ev| pick(if id == "diff-a" { "a" } else { "b" }, event_target_value(&ev))>
                {options.iter().map(|(n, label)| view! { <option value=n.to_string()>{label.clone()}</option> }).collect_view()}
            </select>
        }
    };
    let description = detail.prompt.description.clone().unwrap_or_default();
    view! {
        <header class="registry-head">
            <h1 id="prompt-name">{name.clone()}</h1>
            <span class="count">{format!("{} versions", versions.len())}</span>
        </header>
        {(!description.is_empty()).then(|| view! { <p class="description">{description}</p> })}
        <section class="card" id="prompt-diff-card">
            <header class="card-head"><h2>"Diff"</h2>
                <div class="diff-choice">{select("diff-a", a)}" → "{select("diff-b", b)}</div>
            </header>
            {diff}
        </section>
        <section class="prompt-versions" id="prompt-versions">
            {versions.into_iter().map(version_card).collect_view()}
        </section>
    }
}

fn version_card(v: PromptVersion) -> impl IntoView {
    let aliases = v
        .aliases
        .iter()
        .map(|a| view! { <span class="alias-chip">{format!("@{a}")}</span> })
        .collect_view();
    let tags = v
        .tags
        .iter()
        .map(|(k, val)| view! { <span class="tag-chip"><span class="tag-key">{k.clone()}</span>": "{val.clone()}</span> })
        .collect_view();
    view! {
        <article class="card prompt-version" data-version=v.version.to_string()>
            <header class="card-head">
                <h2>{format!("Version {}", v.version)}</h2>
                {v.chat.then(|| view! { <span class="badge">"chat"</span> })}
                <span class="aliases">{aliases}</span>
                <span class="age">{age(v.creation_timestamp)}</span>
            </header>
            {v.description.clone().filter(|d| !d.is_empty()).map(|d| view! { <p class="muted">{d}</p> })}
            <pre class="prompt-template">{v.template.clone()}</pre>
            <div class="tags-cell">{tags}</div>
        </article>
    }
}
