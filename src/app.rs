//! The root component: context, router and the page for each URL.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::Notice;
use crate::i18n::Label;
use crate::pages::Home;
use crate::session::{SessionContext, current_lang};

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    SessionContext::provide();
    let lang = current_lang();
    view! {
        <Router>
            <main class="app">
                <Routes fallback=move || {
                    view! {
                        <Notice
                            title=Label::PageNotFound.text(lang)
                            detail=Label::BackToStart.text(lang)
                            test_id="not-found"
                        />
                    }
                }>
                    <Route path=path!("/") view=Home />
                </Routes>
            </main>
        </Router>
    }
}
