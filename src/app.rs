//! The root component: context, router and the page for each URL.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::Notice;
use crate::pages::Home;
use crate::session::SessionContext;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    SessionContext::provide();
    view! {
        <Router>
            <main class="app">
                <Routes fallback=|| view! { <Notice title="页面不存在" detail="请返回首页。" test_id="not-found" /> }>
                    <Route path=path!("/") view=Home />
                </Routes>
            </main>
        </Router>
    }
}
