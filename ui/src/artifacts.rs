//! A run's artifacts: a tree with sizes (folders are listed when first opened) and a preview of
//! the selected file. The selection lives in the URL (`?artifact=<path>`), so clicking a file
//! is a navigation and back/forward walk the files seen.

pub(crate) mod preview;

use crate::app::ErrorBanner;
use crate::{format, ipc, routes};
use leptos::prelude::*;
use runlens_core::FileInfo;
use std::collections::HashSet;

/// What the tree's entries need to know.
#[derive(Clone, Copy)]
struct Tree {
    run_id: Signal<String>,
    experiment_id: Signal<String>,
    selected: Signal<Option<String>>,
    /// Folders shown open.
    expanded: RwSignal<HashSet<String>>,
}

/// The folders that contain `path` (`a/b/c.txt` → `a`, `a/b`).
fn ancestors(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    (1..parts.len()).map(|n| parts[..n].join("/")).collect()
}

fn file_name(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or(path)
}

/// Folders first, then files, each by name.
fn sorted(mut entries: Vec<FileInfo>) -> Vec<FileInfo> {
    entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.path.cmp(&b.path)));
    entries
}

#[component]
pub fn Artifacts(
    #[prop(into)] run_id: Signal<String>,
    #[prop(into)] experiment_id: Signal<String>,
    #[prop(into)] selected: Signal<Option<String>>,
) -> impl IntoView {
    let tree = Tree {
        run_id,
        experiment_id,
        selected,
        expanded: RwSignal::new(HashSet::new()),
    };
    // The selected file's folders open, whether it was clicked or came with the URL.
    Effect::new(move |_| {
        if let Some(path) = selected.get() {
            let wanted = ancestors(&path);
            if !tree.expanded.with_untracked(|e| wanted.iter().all(|a| e.contains(a))) {
                tree.expanded.update(|e| e.extend(wanted));
            }
        }
    });
    let root = LocalResource::new(move || {
        let run_id = run_id.get();
        async move { ipc::list_artifacts(run_id, None).await }
    });
    view! {
        <section class="card wide" id="artifacts-card">
            <header class="card-head"><h2>"Artifacts"</h2></header>
            <div class="artifacts">
                <nav class="artifact-tree-pane">
                    {move || match root.get() {
                        None => view! { <p class="muted">"Listing artifacts…"</p> }.into_any(),
                        Some(Err(error)) => view! { <ErrorBanner error /> }.into_any(),
                        Some(Ok(entries)) if entries.is_empty() => {
                            view! { <p class="muted" id="artifact-tree" data-empty="true">"No artifacts."</p> }.into_any()
                        }
                        Some(Ok(entries)) => view! {
                            <ul class="artifact-tree" id="artifact-tree" role="tree">
                                {entries_view(tree, entries)}
                            </ul>
                        }
                        .into_any(),
                    }}
                </nav>
                <preview::Preview run_id selected />
            </div>
        </section>
    }
}

fn entries_view(tree: Tree, entries: Vec<FileInfo>) -> impl IntoView {
    sorted(entries)
        .into_iter()
        .map(|entry| {
            if entry.is_dir {
                dir_view(tree, entry)
            } else {
                file_view(tree, entry)
            }
        })
        .collect_view()
}

fn file_view(tree: Tree, entry: FileInfo) -> AnyView {
    let path = entry.path.clone();
    let href = {
        let path = path.clone();
        move || routes::artifact_path(&tree.experiment_id.get(), &tree.run_id.get(), &path)
    };
    let is_selected = {
        let path = path.clone();
        move || tree.selected.with(|s| s.as_deref() == Some(path.as_str()))
    };
    view! {
        <li role="treeitem">
            <a class="artifact-file" data-path=path.clone() href=href class:selected=is_selected.clone()
                aria-current=move || is_selected().then_some("true") title=path.clone()>
                <span class="artifact-name">{file_name(&path).to_string()}</span>
                <span class="size">{entry.file_size.map(format::bytes).unwrap_or_default()}</span>
            </a>
        </li>
    }
    .into_any()
}

fn dir_view(tree: Tree, entry: FileInfo) -> AnyView {
    let path = entry.path.clone();
    let is_open = {
        let path = path.clone();
        Memo::new(move |_| tree.expanded.with(|e| e.contains(&path)))
    };
    let toggle = {
        let path = path.clone();
        move |_| {
            tree.expanded.update(|e| {
                if !e.remove(&path) {
                    e.insert(path.clone());
                }
            })
        }
    };
    let children = {
        let path = path.clone();
        move || is_open.get().then(|| dir_children(tree, path.clone()))
    };
    view! {
        <li role="treeitem" aria-expanded=move || is_open.get().to_string()>
            <button class="artifact-dir" data-path=path.clone() title=path.clone() on:click=toggle>
                <span class="twisty">{move || if is_open.get() { "▾" } else { "▸" }}</span>
                <span class="artifact-name">{file_name(&path).to_string()}</span>
            </button>
            {children}
        </li>
    }
    .into_any()
}

/// A folder's entries, listed when it is opened.
fn dir_children(tree: Tree, path: String) -> AnyView {
    let listing = LocalResource::new(move || {
        let run_id = tree.run_id.get();
        let path = path.clone();
        async move { ipc::list_artifacts(run_id, Some(path)).await }
    });
    view! {
        <ul class="artifact-tree nested" role="group">
            {move || match listing.get() {
                None => view! { <li class="muted">"…"</li> }.into_any(),
                Some(Err(error)) => view! { <li><ErrorBanner error /></li> }.into_any(),
                Some(Ok(entries)) if entries.is_empty() => view! { <li class="muted">"(empty)"</li> }.into_any(),
                Some(Ok(entries)) => entries_view(tree, entries).into_any(),
            }}
        </ul>
    }
    .into_any()
}
