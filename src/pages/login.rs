//! The login gate in front of every page: logs in (silently inside DingTalk, with DingTalk's web login in a plain
//! browser), then shows the page asked for; when login fails, says why in words and offers a retry, never a white
//! screen.

use api_types::{ErrorCode, Session};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::Api;
use crate::components::Notice;
use crate::errors::Failure;
use crate::i18n::{Label, Lang};
use crate::session::{self, SessionContext};
use crate::{jsapi, oauth};

/// Logs in, trying in order: a web login that just came back to this page; a session kept from earlier in this
/// tab, if the server still knows it; inside DingTalk, the free-login flow `dd.env` → `/api/config` →
/// `requestAuthCode` → `POST /api/session`. Outside DingTalk without any of these: [`Failure::NotInDingTalk`].
async fn log_in(lang: Lang) -> Result<Session, Failure> {
    if let Some(callback) = oauth::take_callback() {
        let session = Api::anonymous().login_oauth(callback?).await?;
        session::keep(&session);
        return Ok(session);
    }
    if let Some(mut kept) = session::load() {
        match Api::with_token(&kept.token).me().await {
            Ok(user) => {
                kept.user = user;
                return Ok(kept);
            }
            Err(Failure::Api(e)) if e.code == ErrorCode::Unauthenticated => session::forget(),
            Err(other) => return Err(other),
        }
    }
    if !jsapi::in_dingtalk() {
        return Err(Failure::NotInDingTalk);
    }
    let config = Api::anonymous().config().await?;
    let code = jsapi::request_auth_code(&config.corp_id).await.map_err(Failure::Login)?;
    let session = Api::anonymous().login(code).await?;
    session::keep(&session);
    if let Err(e) = jsapi::set_title(Label::AppTitle.text(lang)).await {
        leptos::logging::warn!("setTitle failed: {e}");
    }
    Ok(session)
}

/// Shows `children` once logged in, with the session in [`SessionContext`]; before that, a pending line, and
/// when login fails, why and a retry.
#[component]
pub fn LoginGate(
    /// The app behind the login.
    children: ChildrenFn,
) -> impl IntoView {
    let ctx = SessionContext::expect();
    let lang = ctx.lang;
    // The session is in the context before the children are built, so their first requests carry it.
    let login = LocalResource::new(move || async move {
        let result = log_in(lang).await;
        if let Ok(session) = &result {
            ctx.session.set(Some(session.clone()));
        }
        result.map(|_| ())
    });
    let children = StoredValue::new(children);
    // Runs after the render that showed the children: the app is mounted and its handlers answer taps.
    Effect::new(move || {
        if matches!(login.get(), Some(Ok(()))) {
            mark_ready();
        }
    });

    view! {
        <Transition fallback=move || view! { <p class="pending" data-testid="login-pending">{Label::LoggingIn.text(lang)}</p> }>
            {move || {
                login
                    .get()
                    .map(|result| match result {
                        Ok(_) => children.read_value()().into_any(),
                        Err(failure) => {
                            leptos::logging::warn!("login failed: {failure}");
                            let on_retry = move || login.refetch();
                            view! { <LoginFailed failure=failure lang=lang on_retry=on_retry /> }.into_any()
                        }
                    })
            }}
        </Transition>
    }
}

/// Tells whoever watches the page when the app first became usable: `window.__shenpiReady` holds the time (ms since
/// the epoch) the gate first showed its children. The startup benchmark (`cargo xtask bench startup`) reads it.
fn mark_ready() {
    let Some(window) = web_sys::window() else { return };
    let key = wasm_bindgen::JsValue::from_str("__shenpiReady");
    if !js_sys::Reflect::has(&window, &key).unwrap_or(true) {
        let _ = js_sys::Reflect::set(&window, &key, &js_sys::Date::now().into());
    }
}

/// What went wrong, a retry, and outside DingTalk the way in: DingTalk's web login.
#[component]
fn LoginFailed(
    /// Why login stopped.
    failure: Failure,
    /// Display language.
    lang: Lang,
    /// Runs the login again.
    on_retry: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let (title, detail) = failure.describe(lang);
    let test_id = if failure == Failure::NotInDingTalk { "not-in-dingtalk" } else { "login-error" };
    let web_login = !jsapi::in_dingtalk();
    let start_failed = RwSignal::new(None::<&'static str>);
    let start_web_login = move |_| {
        spawn_local(async move {
            let started = match Api::anonymous().config().await {
                Ok(config) => oauth::start(&config),
                Err(e) => Err(e),
            };
            if let Err(e) = started {
                leptos::logging::warn!("web login did not start: {e}");
                start_failed.set(Some(e.describe(lang).0));
            }
        })
    };
    view! {
        <Notice title=title detail=detail test_id=test_id>
            <div class="actions">
                {web_login
                    .then(|| {
                        view! {
                            <button class="button primary" data-testid="oauth-login" on:click=start_web_login>
                                {Label::LogInWithDingTalk.text(lang)}
                            </button>
                        }
                    })}
                <button
                    class=if web_login { "button" } else { "button primary" }
                    data-testid="retry"
                    on:click=move |_| on_retry()
                >
                    {Label::Retry.text(lang)}
                </button>
            </div>
            <p class="notice-detail" role="alert">{move || start_failed.get()}</p>
        </Notice>
    }
}
