//! The root component: context, router, the login gate and the page for each URL.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::Notice;
use crate::i18n::Label;
use crate::pages::{Inbox, Instance, LoginGate, NewRequest, OutboxKeeper, Request, Templates};
use crate::session::SessionContext;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let ctx = SessionContext::provide();
    let lang = ctx.lang;
    if let Some(html) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = html.set_attribute("lang", lang.html_tag());
    }
    view! {
        <Router>
            <main class="app">
                <LoginGate>
                    <OutboxKeeper />
                    <Routes fallback=move || {
                        view! {
                            <Notice
                                title=Label::PageNotFound.text(lang)
                                detail=Label::BackToStart.text(lang)
                                test_id="not-found"
                            />
                        }
                    }>
                        <Route path=path!("/") view=Inbox />
                        <Route path=path!("/new") view=Templates />
                        <Route path=path!("/new/:process_code") view=NewRequest />
                        <Route path=path!("/instances/:id") view=Instance />
                        <Route path=path!("/requests/:id") view=Request />
                    </Routes>
                </LoginGate>
            </main>
        </Router>
    }
}
