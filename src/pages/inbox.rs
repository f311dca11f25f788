//! The inbox: 待处理 / 已处理 / 已发起 / 抄送我, from `/api/inbox`.

use leptos::prelude::*;

use crate::i18n::Label;
use crate::session::SessionContext;

/// The inbox page (for now the logged-in user's greeting; the lists come with the inbox work).
#[component]
pub fn Inbox() -> impl IntoView {
    let ctx = SessionContext::expect();
    let lang = ctx.lang;
    let user = ctx.session.get_untracked().map(|s| s.user);
    view! {
        <section class="welcome" data-testid="welcome">
            <p class="welcome-hello">{Label::Hello.text(lang)}</p>
            <h1 class="welcome-name" data-testid="user-name">{user.as_ref().map(|u| u.name.clone())}</h1>
            <p class="welcome-title">{user.and_then(|u| u.title)}</p>
        </section>
    }
}
