//! The inbox's search box and filters (template, status, submitted from / to), folded behind a 筛选 button as
//! DingTalk's 审批 does. It only reports the query it would show; the page puts it in the URL.

use api_types::{InboxBox, RequestState, TemplateSummary};
use leptos::prelude::*;

use crate::components::inbox_cell::status_label;
use crate::i18n::Lang;
use crate::routes::InboxQuery;

/// The statuses a tab can be filtered by: only 已发起 holds requests that are still queued or failed.
pub fn status_choices(inbox: InboxBox) -> Vec<RequestState> {
    let mut states = vec![RequestState::Running, RequestState::Approved, RequestState::Refused, RequestState::Revoked];
    if inbox == InboxBox::Mine {
        states.extend([RequestState::Queued, RequestState::Failed]);
    }
    states
}

/// How many filters (besides the search text) `query` sets.
pub fn filter_count(query: &InboxQuery) -> usize {
    [&query.process_code, &query.status, &query.from, &query.to].iter().filter(|v| v.is_some()).count()
}

/// Whether a date range is backwards (both given, `from` after `to`; `YYYY-MM-DD` sorts as text).
fn backwards(from: Option<&str>, to: Option<&str>) -> bool {
    matches!((from, to), (Some(from), Some(to)) if from > to)
}

/// A search box and a foldable row of filters over `query`.
#[component]
pub fn FilterBar(
    /// The query shown.
    #[prop(into)]
    query: Signal<InboxQuery>,
    /// The templates to filter by.
    #[prop(into)]
    templates: Signal<Vec<TemplateSummary>>,
    /// Called with the query to show instead.
    on_change: Callback<InboxQuery>,
    /// Display language.
    lang: Lang,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let date_error = RwSignal::new(false);
    let search = NodeRef::<leptos::html::Input>::new();
    let apply = move |change: &dyn Fn(&mut InboxQuery)| {
        let mut next = query.get_untracked();
        change(&mut next);
        let bad = backwards(next.from.as_deref(), next.to.as_deref());
        date_error.set(bad);
        if !bad {
            on_change.run(next);
        }
    };
    let text = move |ev: &leptos::ev::Event| Some(event_target_value(ev)).filter(|v| !v.is_empty());
    let on_search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = search.get_untracked().map(|input| input.value()).filter(|v| !v.trim().is_empty());
        apply(&|next| next.q = q.clone());
    };
    let status_options = move || {
        status_choices(query.get().tab())
            .into_iter()
            .map(|state| {
                let value = state.as_str();
                let selected = move || query.get().status.as_deref() == Some(value);
                view! { <option value=value selected=selected>{status_label(state, lang)}</option> }
            })
            .collect_view()
    };
    let template_options = move || {
        templates
            .get()
            .into_iter()
            .map(|t| {
                let code = t.process_code.clone();
                let selected = move || query.get().process_code.as_deref() == Some(code.as_str());
                view! { <option value=t.process_code selected=selected>{t.name}</option> }
            })
            .collect_view()
    };
    // A day input bound to one end of the range.
    let date_field =
        move |label: &'static str, test_id: &'static str, end: fn(&mut InboxQuery) -> &mut Option<String>| {
            let read = move || {
                let mut current = query.get();
                end(&mut current).take().unwrap_or_default()
            };
            view! {
                <label class="inbox-filter">
                    <span>{label}</span>
                    <input
                        type="date"
                        data-testid=test_id
                        prop:value=read
                        on:change=move |ev| {
                            let day = text(&ev);
                            apply(&|next| *end(next) = day.clone());
                        }
                    />
                </label>
            }
        };
    view! {
        <form class="inbox-search" role="search" on:submit=on_search>
            <input
                node_ref=search
                type="search"
                enterkeyhint="search"
                data-testid="inbox-search"
                aria-label=lang.pick("搜索审批", "Search approvals")
                placeholder=lang.pick("搜索标题、内容", "Search titles and content")
                prop:value=move || query.get().q.unwrap_or_default()
                // Clearing the box (its ✕, or deleting the text) shows everything again.
                on:input=move |ev| {
                    if event_target_value(&ev).is_empty() && query.get_untracked().q.is_some() {
                        apply(&|next| next.q = None);
                    }
                }
            />
            <button
                type="button"
                class="inbox-filter-toggle"
                data-testid="filter-toggle"
                aria-expanded=move || open.get().to_string()
                aria-controls="inbox-filters"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {lang.pick("筛选", "Filter")}
                {move || Some(filter_count(&query.get())).filter(|n| *n > 0).map(|n| format!(" {n}"))}
            </button>
        </form>
        <div class="inbox-filters" id="inbox-filters" hidden=move || !open.get() data-testid="inbox-filters">
            <label class="inbox-filter">
                <span>{lang.pick("审批类型", "Template")}</span>
                <select
                    data-testid="filter-template"
                    on:change=move |ev| {
                        let code = text(&ev);
                        apply(&|next| next.process_code = code.clone());
                    }
                >
                    <option value="" selected=move || query.get().process_code.is_none()>{lang.pick("全部", "All")}</option>
                    {template_options}
                </select>
            </label>
            <label class="inbox-filter">
                <span>{lang.pick("状态", "Status")}</span>
                <select
                    data-testid="filter-status"
                    on:change=move |ev| {
                        let status = text(&ev);
                        apply(&|next| next.status = status.clone());
                    }
                >
                    <option value="" selected=move || query.get().status.is_none()>{lang.pick("全部", "All")}</option>
                    {status_options}
                </select>
            </label>
            {date_field(lang.pick("发起日期从", "Submitted from"), "filter-from", |q| &mut q.from)}
            {date_field(lang.pick("至", "to"), "filter-to", |q| &mut q.to)}
            <p class="error-text" role="alert" data-testid="filter-error">
                {move || date_error.get().then(|| lang.pick("开始日期不能晚于结束日期。", "The start date is after the end date."))}
            </p>
            <button
                type="button"
                class="button"
                data-testid="filter-reset"
                on:click=move |_| {
                    date_error.set(false);
                    on_change.run(InboxQuery { tab: query.get_untracked().tab, q: query.get_untracked().q, ..Default::default() });
                }
            >
                {lang.pick("清除筛选", "Clear filters")}
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_submitted_offers_queued_and_failed() {
        assert!(status_choices(InboxBox::Mine).contains(&RequestState::Failed));
        assert!(!status_choices(InboxBox::Todo).contains(&RequestState::Queued));
    }

    #[test]
    fn a_backwards_range_is_caught_and_open_ends_are_fine() {
        assert!(backwards(Some("2026-11-20"), Some("2026-11-01")));
        assert!(!backwards(Some("2026-11-01"), Some("2026-11-01")));
        assert!(!backwards(Some("2026-11-20"), None));
    }

    #[test]
    fn the_search_text_is_not_counted_as_a_filter() {
        let query = InboxQuery { q: Some("x".into()), status: Some("running".into()), ..Default::default() };
        assert_eq!(filter_count(&query), 1);
    }
}
