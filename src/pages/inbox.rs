//! The inbox: 待处理 / 已处理 / 已发起 / 抄送我 from `/api/inbox`, with badge counts, search and filters in the URL,
//! endless scroll, pull to refresh (a button on PC), a refetch when the page comes back into view, and the last
//! answers kept per user so a reopened inbox shows them at once (stale-while-revalidate).

use api_types::{InboxBox, InboxItem, InboxPage, RequestState, TemplateSummary};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit, TouchEvent, VisibilityState};

use crate::components::{EmptyState, FilterBar, InboxCell, InboxTabs, LoadFailed, initials};
use crate::errors::Failure;
use crate::i18n::{Label, Lang};
use crate::inbox_cache::{self, InboxCache};
use crate::routes::{InboxQuery, Page};
use crate::session::{SessionContext, use_api};

/// Items per page.
const PAGE_SIZE: u32 = 20;
/// How soon a first page showing requests on their way to DingTalk is asked for again.
const IN_FLIGHT_RECHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// How far (px, after damping) a pull must go before letting go refreshes.
const PULL_TRIGGER: f64 = 56.0;
/// The most the pull indicator opens.
const PULL_MAX: f64 = 80.0;

/// Where an item leads: in 已发起 a request that is still queued or failed (no instance yet, or none ever) goes to
/// its request page; everything else to its instance.
pub fn item_page(tab: InboxBox, item: &InboxItem) -> Option<Page> {
    let own_request = tab == InboxBox::Mine && matches!(item.status, RequestState::Queued | RequestState::Failed);
    match (&item.request_id, &item.instance_id) {
        (Some(id), _) if own_request => Some(Page::Request { id: id.clone() }),
        (_, Some(id)) => Some(Page::Instance { id: id.clone() }),
        (Some(id), None) => Some(Page::Request { id: id.clone() }),
        (None, None) => None,
    }
}

/// The first page's answer, with the query and refresh it answers.
#[derive(Debug, Clone)]
struct FirstPage {
    query: InboxQuery,
    version: u32,
    result: Result<InboxPage, Failure>,
}

/// What the list shows.
#[derive(Debug, Clone, PartialEq)]
enum Listing {
    /// Nothing to show yet: no answer and nothing kept.
    Loading,
    /// Items: the fresh first page, or the kept one (`failure` says why it was not replaced).
    Shown { items: Vec<InboxItem>, fresh: bool, failure: Option<Failure> },
    /// The first page failed and nothing was kept.
    Failed(Failure),
}

/// What an empty list says.
fn empty_message(query: &InboxQuery, lang: Lang) -> &'static str {
    if query.q.is_some()
        || query.process_code.is_some()
        || query.status.is_some()
        || query.from.is_some()
        || query.to.is_some()
    {
        return lang.pick("没有符合条件的审批", "No approvals match");
    }
    match query.tab() {
        InboxBox::Todo => lang.pick("暂无待处理的审批", "Nothing to approve"),
        InboxBox::Done => lang.pick("暂无已处理的审批", "Nothing handled yet"),
        InboxBox::Mine => lang.pick("暂无已发起的审批", "You have not submitted anything"),
        InboxBox::Cc => lang.pick("暂无抄送我的审批", "Nothing copied to you"),
    }
}

/// The local time zone's distance from UTC, in minutes (UTC+8 is 480).
fn local_offset_minutes() -> i64 {
    -(js_sys::Date::new_0().get_timezone_offset() as i64)
}

/// The inbox page.
#[component]
pub fn Inbox() -> impl IntoView {
    let ctx = SessionContext::expect();
    let lang = ctx.lang;
    let user = ctx.session.get_untracked().map(|s| s.user);
    let user_id = StoredValue::new(user.as_ref().map(|u| u.user_id.clone()).unwrap_or_default());
    let api = StoredValue::new(use_api());
    let params = use_query_map();
    let query =
        Memo::new(move |_| params.with(|p| InboxQuery::from_pairs(p.latest_values().map(|(k, v)| (k.as_ref(), v)))));
    let navigate = use_navigate();
    let show = Callback::new(move |next: InboxQuery| navigate(&Page::Inbox(next).path(), Default::default()));

    // What the last visit left, for this user only; kept in memory too, so switching back to a tab shows its list.
    let cache = StoredValue::new(inbox_cache::load(&user_id.get_value()));
    let keep = move |change: &dyn Fn(&mut InboxCache)| {
        cache.update_value(|c| change(c));
        inbox_cache::update(&user_id.get_value(), |c| change(c));
    };

    // Every refresh (pull, button, page shown again) bumps the version; the fetches below track it.
    let version = RwSignal::new(0u32);
    let refresh = move || version.update(|v| *v += 1);

    let counts = LocalResource::new(move || {
        version.track();
        let api = api.get_value();
        async move { api.inbox_counts().await }
    });
    let shown_counts = RwSignal::new(cache.with_value(|c| c.counts));
    Effect::new(move |_| match counts.get() {
        Some(Ok(fresh)) => {
            shown_counts.set(Some(fresh));
            keep(&|c| c.counts = Some(fresh));
        }
        Some(Err(failure)) => leptos::logging::warn!("inbox counts failed: {failure}"),
        None => {}
    });

    let templates = LocalResource::new(move || {
        let api = api.get_value();
        async move { api.templates().await }
    });
    let template_list =
        Memo::new(move |_| templates.get().and_then(Result::ok).unwrap_or_default() as Vec<TemplateSummary>);

    let first = LocalResource::new(move || {
        let query = query.get();
        let version = version.get();
        let api = api.get_value();
        async move {
            let result = api.inbox(&query, None, PAGE_SIZE).await;
            FirstPage { query, version, result }
        }
    });
    let answered = move || first.get().filter(|f| f.query == query.get());
    let refreshing = Memo::new(move |_| answered().is_some_and(|f| f.version != version.get()));
    let listing = Memo::new(move |_| {
        let current = query.get();
        let kept = cache.with_value(|c| c.page(&current).map(|p| p.items.clone()));
        match (answered().map(|f| f.result), kept) {
            (Some(Ok(page)), _) => Listing::Shown { items: page.items, fresh: true, failure: None },
            (Some(Err(failure)), Some(items)) => Listing::Shown { items, fresh: false, failure: Some(failure) },
            (Some(Err(failure)), None) => Listing::Failed(failure),
            (None, Some(items)) => Listing::Shown { items, fresh: false, failure: None },
            (None, None) => Listing::Loading,
        }
    });

    // Requests of mine still on their way to DingTalk (queued, or created and not yet heard of) change within
    // seconds: while the fresh first page shows one, it is asked for again, so 已发起 follows them to their
    // instance (and an instance heard of before its request recorded it is shown once, not beside it).
    let follow_up = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let in_flight = answered().and_then(|f| f.result.ok()).is_some_and(|page| {
            page.items.iter().any(|i| matches!(i.status, RequestState::Queued | RequestState::Submitted))
        });
        if let Some(handle) = follow_up.get_value() {
            handle.clear();
        }
        let next = in_flight.then(|| set_timeout_with_handle(refresh, IN_FLIGHT_RECHECK).ok()).flatten();
        follow_up.set_value(next);
    });
    on_cleanup(move || {
        if let Some(handle) = follow_up.get_value() {
            handle.clear();
        }
    });

    // The pages after the first: appended as the end of the list comes into view.
    let sentinel = NodeRef::<leptos::html::Div>::new();
    let observer = StoredValue::new_local(None::<(IntersectionObserver, Closure<dyn Fn(js_sys::Array)>)>);
    let near_end = RwSignal::new(false);
    // Once a page is in the list, whether the end is still near is for the observer to say again, after layout:
    // the last answer predates the new rows, and acting on it fetched the page after at once, and the next.
    let look_again = move || {
        near_end.set(false);
        observer.with_value(|o| {
            if let (Some((o, _)), Some(element)) = (o, sentinel.get_untracked()) {
                o.unobserve(&element);
                o.observe(&element);
            }
        });
    };
    let extra = RwSignal::new(Vec::<InboxItem>::new());
    let cursor = RwSignal::new(None::<String>);
    let generation = RwSignal::new(0u32);
    let requested = StoredValue::new(None::<String>);
    let more_failed = RwSignal::new(None::<Failure>);
    Effect::new(move |_| {
        let current = query.get();
        let answer = answered();
        generation.update(|g| *g += 1);
        extra.set(Vec::new());
        more_failed.set(None);
        requested.set_value(None);
        match answer.map(|f| f.result) {
            Some(Ok(page)) => {
                look_again();
                cursor.set(page.next_cursor.clone());
                keep(&|c| c.put_page(&current, &page));
            }
            _ => cursor.set(None),
        }
    });
    let more = Action::new_local(move |(query, after, generation): &(InboxQuery, String, u32)| {
        let (api, query, after, generation) = (api.get_value(), query.clone(), after.clone(), *generation);
        async move { (generation, api.inbox(&query, Some(&after), PAGE_SIZE).await) }
    });
    Effect::new(move |_| {
        let Some((answered_generation, result)) = more.value().get() else { return };
        if answered_generation != generation.get_untracked() {
            return;
        }
        match result {
            Ok(page) => {
                look_again();
                extra.update(|items| items.extend(page.items));
                cursor.set(page.next_cursor);
            }
            Err(failure) => more_failed.set(Some(failure)),
        }
    });
    Effect::new(move |_| {
        if !near_end.get() || more.pending().get() || more_failed.get().is_some() {
            return;
        }
        let Some(after) = cursor.get() else { return };
        if requested.get_value().as_ref() == Some(&after) {
            return;
        }
        requested.set_value(Some(after.clone()));
        more.dispatch((query.get_untracked(), after, generation.get_untracked()));
    });

    // An IntersectionObserver on the sentinel under the list says when its end comes near.
    sentinel.on_load(move |element| {
        let callback = Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let visible = entries.iter().any(|e| e.unchecked_into::<IntersectionObserverEntry>().is_intersecting());
            near_end.try_set(visible);
        });
        let options = IntersectionObserverInit::new();
        options.set_root_margin("0px 0px 150px 0px");
        match IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &options) {
            Ok(o) => {
                o.observe(&element);
                observer.set_value(Some((o, callback)));
            }
            Err(e) => leptos::logging::warn!("no IntersectionObserver: {}", crate::jsapi::js_text(&e)),
        }
    });
    on_cleanup(move || {
        observer.try_update_value(|o| {
            if let Some((observer, _)) = o.take() {
                observer.disconnect();
            }
        });
    });

    // Back from another app or tab: show what changed meanwhile.
    let visibility = window_event_listener_untyped("visibilitychange", move |_| {
        if document().visibility_state() == VisibilityState::Visible {
            refresh();
        }
    });
    on_cleanup(move || visibility.remove());

    // Pull to refresh: a downward drag that starts at the top of the page opens the indicator.
    let pull = RwSignal::new(0.0f64);
    let pull_start = StoredValue::new(None::<f64>);
    let touch_y = |ev: &TouchEvent| ev.touches().get(0).map(|t| f64::from(t.client_y()));
    let on_touch_start = move |ev: TouchEvent| {
        let at_top = window().scroll_y().unwrap_or(1.0) <= 0.0;
        pull_start.set_value(if at_top { touch_y(&ev) } else { None });
    };
    let on_touch_move = move |ev: TouchEvent| {
        if let (Some(start), Some(y)) = (pull_start.get_value(), touch_y(&ev)) {
            pull.set(((y - start) * 0.5).clamp(0.0, PULL_MAX));
        }
    };
    let on_touch_end = move |_: TouchEvent| {
        if pull.get_untracked() >= PULL_TRIGGER {
            refresh();
        }
        pull_start.set_value(None);
        pull.set(0.0);
    };
    let pull_text = move || {
        if refreshing.get() {
            lang.pick("正在刷新…", "Refreshing…")
        } else if pull.get() >= PULL_TRIGGER {
            lang.pick("释放立即刷新", "Release to refresh")
        } else {
            lang.pick("下拉刷新", "Pull to refresh")
        }
    };
    let pull_height = move || {
        let height = if refreshing.get() { 40.0 } else { pull.get() };
        format!("{height}px")
    };

    let tab = Signal::derive(move || query.get().tab());
    let select_tab = Callback::new(move |inbox: InboxBox| {
        let tab = (inbox != InboxBox::Todo).then_some(inbox);
        show.run(InboxQuery { tab, ..query.get_untracked() });
    });
    let offset = local_offset_minutes();
    let name = user.as_ref().map(|u| u.name.clone()).unwrap_or_default();

    let list = move || {
        let now = js_sys::Date::now() as i64;
        let inbox = tab.get();
        let view_item = move |item: InboxItem| {
            let href = item_page(inbox, &item)?.path();
            let code = item.process_code.clone();
            let template = Signal::derive(move || {
                template_list.with(|ts| ts.iter().find(|t| t.process_code == code).map(|t| t.name.clone()))
            });
            Some(
                view! { <InboxCell item=item href=href template=template now_ms=now offset_minutes=offset lang=lang /> },
            )
        };
        match listing.get() {
            Listing::Loading => view! {
                <ul class="cells inbox-list" data-testid="inbox-loading" aria-busy="true">
                    {(0..4).map(|_| view! { <li class="skeleton-cell"></li> }).collect_view()}
                </ul>
            }
            .into_any(),
            Listing::Failed(failure) => {
                let (title, detail) = failure.describe(lang);
                view! { <LoadFailed title detail test_id="inbox-error" on_retry=move |()| refresh() lang /> }.into_any()
            }
            Listing::Shown { items, fresh, failure } => {
                let empty = items.is_empty() && fresh;
                let banner = failure.map(|failure| {
                    view! {
                        <p class="inbox-banner" role="alert" data-testid="inbox-stale">
                            {failure.describe(lang).0}
                            <button class="inbox-banner-retry" data-testid="inbox-retry" on:click=move |_| refresh()>
                                {Label::Retry.text(lang)}
                            </button>
                        </p>
                    }
                });
                view! {
                    {banner}
                    <ul class="cells inbox-list" data-testid="inbox-list" data-fresh=fresh.to_string()>
                        {items.into_iter().filter_map(view_item).collect_view()}
                        {move || extra.get().into_iter().filter_map(view_item).collect_view()}
                    </ul>
                    {empty
                        .then(|| {
                            view! { <EmptyState message=empty_message(&query.get_untracked(), lang) test_id="inbox-empty" /> }
                        })}
                }
                .into_any()
            }
        }
    };
    let list_end = move || {
        if more.pending().get() {
            return Some(view! { <span>{lang.pick("加载中…", "Loading…")}</span> }.into_any());
        }
        if let Some(failure) = more_failed.get() {
            let retry = move |_| {
                requested.set_value(None);
                more_failed.set(None);
            };
            return Some(
                view! {
                    <span class="error-text">{failure.describe(lang).0}</span>
                    <button class="inbox-banner-retry" data-testid="more-retry" on:click=retry>
                        {Label::Retry.text(lang)}
                    </button>
                }
                .into_any(),
            );
        }
        let at_end = cursor.get().is_none()
            && matches!(listing.get(), Listing::Shown { ref items, fresh: true, .. } if !items.is_empty());
        at_end.then(|| view! { <span data-testid="inbox-end">{lang.pick("没有更多了", "No more")}</span> }.into_any())
    };

    view! {
        <div class="two-column inbox-layout">
            <section
                class="inbox"
                aria-labelledby="inbox-heading"
                on:touchstart=on_touch_start
                on:touchmove=on_touch_move
                on:touchend=on_touch_end
            >
                <header class="inbox-header">
                    <h1 id="inbox-heading" class="visually-hidden">{Label::AppTitle.text(lang)}</h1>
                    <p class="inbox-me">
                        <span class="inbox-avatar" aria-hidden="true">{initials(&name)}</span>
                        <span class="inbox-name" data-testid="user-name">{name}</span>
                    </p>
                    <button
                        class="inbox-refresh"
                        data-testid="inbox-refresh"
                        aria-label=lang.pick("刷新", "Refresh")
                        title=lang.pick("刷新", "Refresh")
                        on:click=move |_| refresh()
                    >
                        "↻"
                    </button>
                    <a class="button primary inbox-new" href=Page::Templates.path() data-testid="new-request">
                        {lang.pick("发起审批", "New request")}
                    </a>
                </header>
                <InboxTabs current=tab counts=shown_counts on_select=select_tab lang=lang />
                <FilterBar query=query templates=template_list on_change=show lang=lang />
                <div class="inbox-pull" data-testid="pull-indicator" aria-live="polite" style:height=pull_height>
                    {move || (refreshing.get() || pull.get() > 0.0).then(pull_text)}
                </div>
                {list}
                <div class="inbox-more" node_ref=sentinel data-testid="inbox-more">{list_end}</div>
            </section>
            <aside class="inbox-aside" aria-label=lang.pick("审批详情", "Approval detail")>
                <EmptyState message=lang.pick("选择一个审批", "Choose an approval") test_id="detail-empty" />
            </aside>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use api_types::InboxPerson;

    use super::*;

    fn item(status: RequestState, request: Option<&str>, instance: Option<&str>) -> InboxItem {
        InboxItem {
            instance_id: instance.map(str::to_owned),
            request_id: request.map(str::to_owned),
            task_id: None,
            title: String::new(),
            process_code: "PROC-1".into(),
            originator: InboxPerson { user_id: "zhangsan".into(), name: "张三".into() },
            status,
            failure: None,
            created_at: 0,
            finished_at: None,
        }
    }

    #[test]
    fn own_queued_and_failed_requests_open_their_request_page() {
        let queued = item(RequestState::Queued, Some("r1"), None);
        assert_eq!(item_page(InboxBox::Mine, &queued), Some(Page::Request { id: "r1".into() }));
        let failed = item(RequestState::Failed, Some("r2"), Some("i2"));
        assert_eq!(item_page(InboxBox::Mine, &failed), Some(Page::Request { id: "r2".into() }));
    }

    #[test]
    fn everything_with_an_instance_opens_the_instance() {
        let running = item(RequestState::Running, Some("r1"), Some("i1"));
        assert_eq!(item_page(InboxBox::Mine, &running), Some(Page::Instance { id: "i1".into() }));
        let todo = item(RequestState::Running, None, Some("i3"));
        assert_eq!(item_page(InboxBox::Todo, &todo), Some(Page::Instance { id: "i3".into() }));
        assert_eq!(item_page(InboxBox::Cc, &item(RequestState::Running, None, None)), None);
    }

    #[test]
    fn an_empty_filtered_list_says_nothing_matches() {
        let search = InboxQuery { q: Some("x".into()), ..Default::default() };
        assert_eq!(empty_message(&search, Lang::Zh), "没有符合条件的审批");
        assert_eq!(empty_message(&InboxQuery::default(), Lang::Zh), "暂无待处理的审批");
    }
}
