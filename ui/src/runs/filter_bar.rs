//! MLflow's filter syntax, checked as it is typed (the core parser runs here in wasm): a filter
//! that does not parse shows where and what was expected, and is not sent. Beside it a quick
//! name search, and which runs to show: active, deleted or all.

use crate::routes::RunsQuery;
use leptos::prelude::*;
use runlens_core::filter::parse_run_filter;
use runlens_core::ViewType;

/// Delay between the last key typed in the name search and the search itself.
const NAME_SEARCH_DELAY_MS: u64 = 250;

#[component]
pub fn FilterBar(query: Signal<RunsQuery>, apply: Callback<RunsQuery>) -> impl IntoView {
    let text = RwSignal::new(query.get_untracked().filter.unwrap_or_default());
    let name = RwSignal::new(query.get_untracked().name.unwrap_or_default());
    // Back/forward change the query under us: a box follows its own part of the query when that
    // part changed, so a draft being typed in the other box is never lost.
    Effect::new(move |previous: Option<RunsQuery>| {
        let q = query.get();
        if let Some(previous) = previous {
            if previous.filter != q.filter {
                text.set(q.filter.clone().unwrap_or_default());
            }
            let typed = name.get_untracked();
            if previous.name != q.name && typed.trim() != q.name.as_deref().unwrap_or("") {
                name.set(q.name.clone().unwrap_or_default());
            }
        }
        q
    });
    let error = Memo::new(move |_| parse_run_filter(&text.get()).err());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if error.get_untracked().is_none() {
            let t = text.get_untracked().trim().to_string();
            apply.run(RunsQuery {
                filter: (!t.is_empty()).then_some(t),
                ..query.get_untracked()
            });
        }
    };
    let clear = move |_| {
        text.set(String::new());
        name.set(String::new());
        apply.run(RunsQuery {
            filter: None,
            name: None,
            ..query.get_untracked()
        });
    };
    let pending = StoredValue::new(None::<leptos::prelude::TimeoutHandle>);
    let name_typed = move |ev| {
        name.set(event_target_value(&ev));
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                // The bar may be gone by now (the user opened a run).
                let (Some(typed), Some(q)) = (name.try_get_untracked(), query.try_get_untracked()) else {
                    return;
                };
                let n = typed.trim().to_string();
                if q.name.as_deref().unwrap_or("") != n {
                    apply.run(RunsQuery {
                        name: (!n.is_empty()).then_some(n),
                        ..q
                    });
                }
            },
            std::time::Duration::from_millis(NAME_SEARCH_DELAY_MS),
        )
        .ok();
        pending.set_value(handle);
    };
    on_cleanup(move || {
        if let Some(handle) = pending.try_get_value().flatten() {
            handle.clear();
        }
    });
    let view_changed = move |ev| {
        let view = ViewType::parse(&event_target_value(&ev)).unwrap_or_default();
        apply.run(RunsQuery {
            view,
            ..query.get_untracked()
        });
    };
    view! {
        <form class="filter-bar" id="filter-form" on:submit=submit>
            <input id="run-filter" type="text" spellcheck="false" autocomplete="off"
                title="MLflow filter syntax; press / to come here"
                placeholder="metrics.accuracy > 0.9 AND params.lr = '0.01'"
                class:invalid=move || error.get().is_some()
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev)) />
            <button type="submit" class="primary" disabled=move || error.get().is_some()>"Filter"</button>
            <input id="name-search" type="search" class="name-search" spellcheck="false" autocomplete="off"
                placeholder="Run name" title="Runs whose name contains this text"
                prop:value=move || name.get() on:input=name_typed />
            <button type="button" class="quiet" id="clear-filter" on:click=clear>"Clear"</button>
            <select id="run-view" title="Which runs to show" on:change=view_changed
                prop:value=move || query.get().view.as_str()>
                <option value="ACTIVE_ONLY">"Active"</option>
                <option value="DELETED_ONLY">"Deleted"</option>
                <option value="ALL">"All"</option>
            </select>
        </form>
        {move || error.get().map(|e| {
            let chars: Vec<char> = text.get().chars().collect();
            let at = e.position.min(chars.len());
            let before: String = chars[..at].iter().collect();
            let marked: String = chars.get(at).map(|c| c.to_string()).unwrap_or_else(|| " ".into());
            let after: String = chars.get(at + 1..).map(|r| r.iter().collect()).unwrap_or_default();
            view! {
                <div class="filter-error" id="filter-error" role="alert">
                    <code class="filter-echo">{before}<mark>{marked}</mark>{after}</code>
                    <span>{e.to_string()}</span>
                </div>
            }
        })}
    }
}
