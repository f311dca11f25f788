//! The offline outbox at the app's level: submissions made without network go out when it returns (with their own
//! Idempotency-Key), a line says how many wait, and a refusal that comes back later is shown.

use leptos::prelude::*;

use crate::offline::outbox::{Outbox, use_outbox};
use crate::platform::{self, ToastIcon};
use crate::session::{SessionContext, use_api};

/// Keeps the logged-in user's outbox going and provides its [`crate::offline::outbox::UseOutboxReturn`] to the
/// pages. Mounted once, below the login.
#[component]
pub fn OutboxKeeper() -> impl IntoView {
    let ctx = SessionContext::expect();
    let lang = ctx.lang;
    let user_id = ctx.session.with_untracked(|s| s.as_ref().map(|s| s.user.user_id.clone())).unwrap_or_default();
    let outbox = use_outbox(Outbox::for_user(&user_id), use_api());
    provide_context(outbox);
    // A request the server refused once the network was back: the form is gone, so say so.
    Effect::new(move |_| {
        for delivery in outbox.delivered.get() {
            match delivery.result {
                Ok(_) => leptos::task::spawn_local(platform::toast(
                    lang.pick("离线时提交的申请已发出", "The request made offline was submitted"),
                    ToastIcon::Success,
                )),
                Err(failure) => {
                    let (title, detail) = failure.describe(lang);
                    leptos::task::spawn_local(async move {
                        platform::alert(title, detail, lang.pick("知道了", "OK")).await;
                    });
                }
            }
        }
    });
    let waiting = move || outbox.waiting.with(Vec::len);
    view! {
        <Show when=move || { waiting() > 0 }>
            <p class="outbox-banner" role="status" data-testid="outbox-waiting">
                {move || match lang {
                    crate::i18n::Lang::Zh => format!("{} 个申请等待联网后提交", waiting()),
                    crate::i18n::Lang::En => format!("{} request(s) waiting for the network", waiting()),
                }}
            </p>
        </Show>
    }
}
