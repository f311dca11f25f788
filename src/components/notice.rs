//! A centred message card with an optional action, for empty, loading and failure states.

use leptos::prelude::*;

/// A title, a sentence and optional children (usually a button).
#[component]
pub fn Notice(
    /// The headline.
    #[prop(into)]
    title: Signal<String>,
    /// One sentence under it.
    #[prop(into)]
    detail: Signal<String>,
    /// `data-testid` of the card.
    #[prop(into)]
    test_id: String,
    /// Actions under the text.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <section class="notice" data-testid=test_id role="status">
            <h2 class="notice-title">{title}</h2>
            <p class="notice-detail">{detail}</p>
            {children.map(|c| c())}
        </section>
    }
}
