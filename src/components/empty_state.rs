//! A quiet placeholder for a list with nothing in it (or a panel with nothing chosen): a drawn tray and one line.

use leptos::prelude::*;

/// An empty list's picture and message.
#[component]
pub fn EmptyState(
    /// What the list would hold, e.g. 暂无待处理的审批.
    #[prop(into)]
    message: Signal<String>,
    /// `data-testid` of the placeholder.
    #[prop(into)]
    test_id: String,
) -> impl IntoView {
    view! {
        <div class="empty" data-testid=test_id role="status">
            <span class="empty-picture" aria-hidden="true"></span>
            <p class="empty-message">{message}</p>
        </div>
    }
}
