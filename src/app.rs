//! The root component: context, router, the login gate and the page for each URL.
//!
//! The inbox is in the main WASM module; every other page is a split point. In the release build (`--cfg
//! shenpi_split`, see `xtask/src/split.rs`) each of them is in its own chunk, fetched the first time the page opens,
//! so that the first load carries only what the inbox needs. Elsewhere (`trunk serve`, the browser tests) the same
//! functions are plain calls.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use std::future::Future;
use std::pin::Pin;

use leptos::wasm_split::SplitLoaderError;
#[cfg(shenpi_split)]
use leptos::wasm_split::wasm_split;
use send_wrapper::SendWrapper;

use crate::components::{LoadFailed, Notice};
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
                        <Route path=path!("/new") view=|| view! { <SplitPage load=templates_page /> } />
                        <Route path=path!("/new/:process_code") view=|| view! { <SplitPage load=new_request_page /> } />
                        <Route path=path!("/instances/:id") view=|| view! { <SplitPage load=instance_page /> } />
                        <Route path=path!("/requests/:id") view=|| view! { <SplitPage load=request_page /> } />
                    </Routes>
                </LoginGate>
            </main>
        </Router>
    }
}

/// A page's view, once its chunk is there.
type PageLoad = Pin<Box<dyn Future<Output = Result<AnyView, SplitLoaderError>>>>;

/// Renders the page that `load` brings. While a chunk is on its way the page stays empty (it takes one round trip;
/// the page's own loading state follows); when it cannot be fetched, a card says so with a retry, and the app goes
/// on (a failed fetch is not remembered, so the retry fetches again).
#[component]
fn SplitPage(load: fn() -> PageLoad) -> impl IntoView {
    let lang = crate::session::use_lang();
    let attempt = RwSignal::new(0_u32);
    view! {
        <Suspense>
            {move || {
                attempt.track();
                Suspend::new(SendWrapper::new(async move {
                    match load().await {
                        Ok(page) => page,
                        Err(_) => {
                            let (title, detail) = crate::errors::Failure::Network(String::new()).describe(lang);
                            view! {
                                <LoadFailed
                                    title
                                    detail
                                    test_id="page-failed"
                                    on_retry=move |()| attempt.update(|n| *n += 1)
                                    lang
                                />
                            }
                                .into_any()
                        }
                    }
                }))
            }}
        </Suspense>
    }
}

/// One page as a split point: its body goes into its own chunk in the split build; `load` is what [`SplitPage`]
/// calls, the same in both builds.
macro_rules! split_page {
    ($load:ident, $split:ident, $page:ident) => {
        #[cfg_attr(shenpi_split, wasm_split($split, wasm_split_path = ::leptos::wasm_split, fallible))]
        fn $split() -> Result<AnyView, SplitLoaderError> {
            Ok(view! { <$page /> }.into_any())
        }

        fn $load() -> PageLoad {
            #[cfg(shenpi_split)]
            return Box::pin($split());
            #[cfg(not(shenpi_split))]
            return Box::pin(std::future::ready($split()));
        }
    };
}

split_page!(templates_page, templates_chunk, Templates);
split_page!(new_request_page, new_request_chunk, NewRequest);
split_page!(instance_page, instance_chunk, Instance);
split_page!(request_page, request_chunk, Request);
