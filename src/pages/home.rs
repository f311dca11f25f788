//! The start page: logs in silently inside DingTalk (JSAPI code → server session) and greets the user; outside
//! DingTalk, or when login fails, says why in words and offers a retry.

use api_types::{ErrorCode, Session};
use leptos::prelude::*;

use crate::api::Api;
use crate::components::Notice;
use crate::errors::Failure;
use crate::i18n::{Label, Lang};
use crate::jsapi;
use crate::session::{self, SessionContext, current_lang};

/// Logs in: a session kept from earlier in this tab if the server still knows it, else the free-login flow
/// `dd.env` → `/api/config` → `requestAuthCode` → `POST /api/session`.
async fn log_in(lang: Lang) -> Result<Session, Failure> {
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
    let code = jsapi::request_auth_code(&config.corp_id).await.map_err(Failure::JsApi)?;
    let session = Api::anonymous().login(code).await?;
    session::keep(&session);
    if let Err(e) = jsapi::set_title(Label::AppTitle.text(lang)).await {
        leptos::logging::warn!("setTitle failed: {e}");
    }
    Ok(session)
}

/// The start page.
#[component]
pub fn Home() -> impl IntoView {
    let ctx = SessionContext::expect();
    let lang = current_lang();
    let login = LocalResource::new(move || log_in(lang));
    Effect::new(move || {
        if let Some(Ok(session)) = login.get() {
            ctx.session.set(Some(session));
        }
    });

    view! {
        <Transition fallback=move || view! { <p class="pending" data-testid="login-pending">{Label::LoggingIn.text(lang)}</p> }>
            {move || {
                login
                    .get()
                    .map(|result| match result {
                        Ok(session) => {
                            let user = session.user;
                            view! {
                                <section class="welcome" data-testid="welcome">
                                    <p class="welcome-hello">{Label::Hello.text(lang)}</p>
                                    <h1 class="welcome-name" data-testid="user-name">{user.name}</h1>
                                    <p class="welcome-title">{user.title.unwrap_or_default()}</p>
                                </section>
                            }
                                .into_any()
                        }
                        Err(failure) => {
                            leptos::logging::warn!("login failed: {failure:?}");
                            let (title, detail) = failure.describe(lang);
                            let test_id = match failure {
                                Failure::NotInDingTalk => "not-in-dingtalk",
                                _ => "login-error",
                            };
                            view! {
                                <Notice title=title detail=detail test_id=test_id>
                                    <button class="button primary" data-testid="retry" on:click=move |_| login.refetch()>
                                        {Label::Retry.text(lang)}
                                    </button>
                                </Notice>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}
