//! The selected artifact's preview, as the backend decoded it (text, JSON, YAML, table, image,
//! model card, or why it cannot be shown), with "Save as…" for the whole file.

use crate::app::ErrorBanner;
use crate::{format, ipc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use runlens_core::preview::{ArtifactPreview, ModelCard, PreviewBody, SignatureField};
use runlens_core::ApiError;

/// The kind of a preview as in `data-kind` (the serde tag of [`PreviewBody`]).
fn kind(body: &PreviewBody) -> &'static str {
    match body {
        PreviewBody::Text { .. } => "text",
        PreviewBody::Json { .. } => "json",
        PreviewBody::Yaml { .. } => "yaml",
        PreviewBody::Table { .. } => "table",
        PreviewBody::Image { .. } => "image",
        PreviewBody::Model(_) => "model",
        PreviewBody::Binary { .. } => "binary",
    }
}

/// An image type the webview may show from a `data:` URL (nothing that could carry markup).
fn image_mime_ok(mime: &str) -> bool {
    matches!(
        mime,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/bmp" | "image/avif"
    )
}

#[component]
pub fn Preview(run_id: Signal<String>, selected: Signal<Option<String>>) -> impl IntoView {
    let preview = LocalResource::new(move || {
        let run_id = run_id.get();
        let path = selected.get();
        async move {
            match path {
                None => None,
                Some(path) => Some((path.clone(), ipc::preview_artifact(run_id, path).await)),
            }
        }
    });
    // "Saved to …", or why saving failed, for the file it was about.
    let saved = RwSignal::new(None::<(String, Result<String, ApiError>)>);
    let save = move |_| {
        let (Some(path), run) = (selected.get_untracked(), run_id.get_untracked()) else {
            return;
        };
        spawn_local(async move {
            match ipc::save_artifact_as(run, path.clone()).await {
                Ok(Some(to)) => saved.try_set(Some((path, Ok(to)))),
                Ok(None) => None,
                Err(e) => saved.try_set(Some((path, Err(e)))),
            };
        });
    };
    let save_note = move || {
        let current = selected.get();
        saved
            .get()
            .filter(|(path, _)| Some(path) == current.as_ref())
            .map(|(_, result)| match result {
                Ok(to) => view! { <p class="hint" id="save-result">"Saved to " <code>{to}</code></p> }.into_any(),
                Err(error) => view! { <ErrorBanner error /> }.into_any(),
            })
    };
    move || {
        let Some(path) = selected.get() else {
            return view! {
                <div class="artifact-preview empty" id="artifact-preview" data-kind="none">
                    <p class="muted">"Choose a file to preview it."</p>
                </div>
            }
            .into_any();
        };
        // The answer for another file (the previous one, while this one loads) is not shown.
        let answer = preview
            .get()
            .flatten()
            .filter(|(asked, _)| *asked == path)
            .map(|(_, a)| a);
        let (kind_attr, size, body) = match answer {
            None => (
                "loading",
                None,
                view! { <p class="muted">"Loading preview…"</p> }.into_any(),
            ),
            Some(Err(error)) => ("error", None, view! { <ErrorBanner error /> }.into_any()),
            Some(Ok(p)) => (kind(&p.body), p.total_size, preview_body(p)),
        };
        view! {
            <div class="artifact-preview" id="artifact-preview" data-kind=kind_attr data-path=path.clone()>
                <header class="preview-head">
                    <code class="preview-path">{path.clone()}</code>
                    <span class="size">{size.map(format::bytes)}</span>
                    <button id="save-artifact" on:click=save title="Save the whole file somewhere on this computer">
                        "Save as…"
                    </button>
                </header>
                {save_note}
                {body}
            </div>
        }
        .into_any()
    }
}

fn preview_body(p: ArtifactPreview) -> AnyView {
    let truncated = p.truncated.then(|| {
        let of = p
            .total_size
            .map(|n| format!(" of {}", format::bytes(n)))
            .unwrap_or_default();
        let text = match &p.body {
            PreviewBody::Table { rows, total_rows, .. } => match total_rows {
                Some(total) => format!("Showing the first {} of {total} rows.", rows.len()),
                None => format!("Showing the first {} rows{of}.", rows.len()),
            },
            _ => format!("Showing only the beginning of this file{of}."),
        };
        view! {
            <p class="preview-truncated" id="preview-truncated">
                {text} " Use “Save as…” to get the whole file."
            </p>
        }
    });
    let body = match p.body {
        PreviewBody::Text { text, note } => view! {
            {note.map(|n| view! { <p class="preview-note">{n}</p> })}
            <pre class="preview-text">{text}</pre>
        }
        .into_any(),
        PreviewBody::Json { pretty } | PreviewBody::Yaml { pretty } => {
            view! { <pre class="preview-text">{pretty}</pre> }.into_any()
        }
        PreviewBody::Table {
            columns,
            rows,
            total_rows,
        } => table(columns, rows, total_rows, p.truncated),
        PreviewBody::Image { mime, base64 } if image_mime_ok(&mime) => view! {
            <div class="preview-image">
                <img src=format!("data:{mime};base64,{base64}") alt=p.path.clone() />
            </div>
        }
        .into_any(),
        PreviewBody::Image { mime, .. } => {
            view! { <p class="muted">"Images of type " <code>{mime}</code> " are not shown."</p> }.into_any()
        }
        PreviewBody::Model(card) => model_card(card),
        PreviewBody::Binary { reason } => view! { <p class="preview-binary muted">{reason}</p> }.into_any(),
    };
    view! { {truncated} {body} }.into_any()
}

fn table(columns: Vec<String>, rows: Vec<Vec<String>>, total_rows: Option<usize>, truncated: bool) -> AnyView {
    let shown = rows.len();
    let count = match total_rows {
        Some(total) if total > shown => format!("first {shown} of {total} rows"),
        Some(total) => format!("{total} rows"),
        None if truncated => format!("first {shown} rows"),
        None => format!("{shown} rows"),
    };
    view! {
        <p class="hint" id="preview-row-count">{count}</p>
        <div class="table-scroll">
            <table class="preview-table">
                <thead><tr>{columns.into_iter().map(|c| view! { <th>{c}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| view! {
                        <tr>{row.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

fn fields_table(id: &'static str, fields: Vec<SignatureField>) -> impl IntoView {
    view! {
        <table class="kv-table compact" id=id>
            <thead><tr><th>"Name"</th><th>"Type"</th><th>"Required"</th></tr></thead>
            <tbody>{fields.into_iter().map(|f| view! {
                <tr>
                    <td class="key">{f.name.unwrap_or_else(|| "—".into())}</td>
                    <td class="mono">{f.kind}</td>
                    <td>{if f.required { "yes" } else { "no" }}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
    }
}

pub(crate) fn model_card(card: ModelCard) -> AnyView {
    let facts: Vec<(&str, String)> = [
        ("Task", card.task),
        ("Artifact path", card.artifact_path),
        ("MLflow version", card.mlflow_version),
        ("Created", card.utc_time_created),
        ("Model UUID", card.model_uuid),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let flavors = card
        .flavors
        .into_iter()
        .map(|f| {
            let data_flavor = f.name.clone();
            view! {
                <div class="flavor" data-flavor=data_flavor>
                    <h4><code>{f.name}</code></h4>
                    {(!f.settings.is_empty()).then(|| view! {
                        <dl class="flavor-settings">
                            {f.settings.into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd class="mono">{v}</dd></div> }).collect_view()}
                        </dl>
                    })}
                </div>
            }
        })
        .collect_view();
    let signature = card.signature.map(|s| {
        let params = (!s.params.is_empty()).then(|| {
            view! {
                <h4>"Params"</h4>
                <table class="kv-table compact" id="signature-params">
                    <thead><tr><th>"Name"</th><th>"Type"</th><th>"Default"</th><th>"Shape"</th></tr></thead>
                    <tbody>{s.params.into_iter().map(|p| view! {
                        <tr>
                            <td class="key">{p.name}</td>
                            <td class="mono">{p.kind}</td>
                            <td class="mono">{p.default}</td>
                            <td class="mono">{p.shape.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            }
        });
        view! {
            <section class="model-section">
                <h3>"Signature"</h3>
                <h4>"Inputs"</h4>
                {fields_table("signature-inputs", s.inputs)}
                <h4>"Outputs"</h4>
                {fields_table("signature-outputs", s.outputs)}
                {params}
            </section>
        }
    });
    let example = card.input_example.map(|e| {
        view! {
            <section class="model-section">
                <h3>"Input example"</h3>
                <pre class="preview-text">{e}</pre>
            </section>
        }
    });
    let requirements = (!card.requirements.is_empty()).then(|| {
        view! {
            <section class="model-section">
                <h3>"Requirements"</h3>
                <ul class="requirements">
                    {card.requirements.into_iter().map(|r| view! { <li><code>{r}</code></li> }).collect_view()}
                </ul>
            </section>
        }
    });
    view! {
        <div class="model-card">
            <dl class="model-facts">
                {facts.into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> }).collect_view()}
            </dl>
            <section class="model-section">
                <h3>"Flavors"</h3>
                {flavors}
            </section>
            {signature}
            {example}
            {requirements}
        </div>
    }
    .into_any()
}
