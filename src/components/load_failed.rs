//! The card a page shows when what it loads did not come: why, in words, and a retry.

use leptos::prelude::*;

use crate::components::Notice;
use crate::i18n::{Label, Lang};

/// A [`Notice`] with a 重试 button.
#[component]
pub fn LoadFailed(
    /// The headline.
    title: &'static str,
    /// One sentence of advice.
    detail: &'static str,
    /// `data-testid` of the card; the button's is `<test_id>-retry`.
    test_id: &'static str,
    /// Loads again.
    #[prop(into)]
    on_retry: Callback<()>,
    /// The display language.
    lang: Lang,
) -> impl IntoView {
    view! {
        <Notice title=title detail=detail test_id=test_id>
            <div class="actions">
                <button class="button primary" data-testid=format!("{test_id}-retry") on:click=move |_| on_retry.run(())>
                    {Label::Retry.text(lang)}
                </button>
            </div>
        </Notice>
    }
}
