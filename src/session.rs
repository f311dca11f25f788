//! App-wide state: the logged-in session, as a small `Copy` context, and the display language.

use api_types::Session;
use leptos::prelude::*;

use crate::api::Api;
use crate::i18n::Lang;
use crate::jsapi;

/// The session and language shared by every page.
#[derive(Debug, Clone, Copy)]
pub struct SessionContext {
    /// The current session, once logged in.
    pub session: RwSignal<Option<Session>>,
    /// The display language, fixed when the app starts.
    pub lang: Lang,
}

impl SessionContext {
    /// Creates the context and provides it to the tree below.
    pub fn provide() -> Self {
        let ctx = Self { session: RwSignal::new(None), lang: current_lang() };
        provide_context(ctx);
        ctx
    }

    /// The context provided by the app root.
    pub fn expect() -> Self {
        expect_context()
    }

    /// A client carrying the session's token (anonymous before login).
    pub fn api(&self) -> Api {
        match self.session.with_untracked(|s| s.as_ref().map(|s| s.token.clone())) {
            Some(token) => Api::with_token(token),
            None => Api::anonymous(),
        }
    }
}

/// The display language of the app (from the root's context).
pub fn use_lang() -> Lang {
    SessionContext::expect().lang
}

/// A client for `/api` with the logged-in session.
pub fn use_api() -> Api {
    SessionContext::expect().api()
}

/// 128 random bits as 32 hex digits, from the browser's CSPRNG: OAuth states, idempotency keys, draft ids.
pub fn random_hex() -> Option<String> {
    let mut bytes = [0u8; 16];
    web_sys::window()?.crypto().ok()?.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

const STORAGE_KEY: &str = "shenpi.session";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The session kept in this tab's `sessionStorage`, if any and readable.
pub fn load() -> Option<Session> {
    let raw = storage()?.get_item(STORAGE_KEY).ok()??;
    serde_json::from_str(&raw).ok()
}

/// Keeps the session for reloads of this tab (not across tabs, not after the tab closes).
pub fn keep(session: &Session) {
    if let (Some(storage), Ok(raw)) = (storage(), serde_json::to_string(session)) {
        let _ = storage.set_item(STORAGE_KEY, &raw);
    }
}

/// Drops the kept session after the server refused it.
pub fn forget() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(STORAGE_KEY);
    }
}

/// The display language: DingTalk's when it says, else the browser's, else Chinese.
pub fn current_lang() -> Lang {
    let dingtalk = jsapi::env().map(|e| e.language).filter(|l| l != "*");
    let browser = || web_sys::window().and_then(|w| w.navigator().language());
    dingtalk.or_else(browser).map(|tag| Lang::from_tag(&tag)).unwrap_or_default()
}
