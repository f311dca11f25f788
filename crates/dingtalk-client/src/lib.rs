//! A typed async client for DingTalk's open platform: the legacy host (`oapi.dingtalk.com`, snake_case, `errcode`
//! envelope) and the new one (`api.dingtalk.com`, `/v1.0`, camelCase, HTTP status errors).
//!
//! Every request waits for its API's turn (15 calls per second per API by default) and throttling answers are
//! retried after a pause or turned into [`Error::Throttled`]; see [`Backoff`] and [`DingTalkBuilder::rate_limit`].
//! A [`CallObserver`] ([`DingTalkBuilder::observer`]) hears about every request sent, for metrics.
//!
//! ```no_run
//! # async fn demo() -> dingtalk_client::Result<()> {
//! let dt = dingtalk_client::DingTalk::builder().app_key("key").app_secret("secret").build()?;
//! let who = dt.user().by_auth_code("code-from-jsapi").await?;
//! let user = dt.user().get(&who.userid).await?;
//! println!("{}", user.name);
//! # Ok(()) }
//! ```

pub mod contact;
pub mod crypto;
mod error;
pub mod events;
pub mod jsapi;
mod legacy;
pub mod oauth;
pub mod observe;
pub mod storage;
pub mod stream;
mod throttle;
mod token;
pub mod user;
mod v1;
pub mod wire;
pub mod workflow;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

pub use error::{Error, Result};
pub use observe::{Call, CallObserver, Outcome};
use throttle::Throttler;
pub use throttle::{Backoff, DEFAULT_RATE_LIMIT, Throttle};
use token::TokenCache;

/// DingTalk's real legacy host.
pub const DEFAULT_OAPI_URL: &str = "https://oapi.dingtalk.com";
/// DingTalk's real v1.0 host.
pub const DEFAULT_API_URL: &str = "https://api.dingtalk.com";

/// A DingTalk client for one internal app. Cheap to clone; clones share the token cache.
#[derive(Clone, Debug)]
pub struct DingTalk {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    oapi_url: String,
    api_url: String,
    app_key: String,
    app_secret: String,
    tokens: TokenCache,
    jsapi_tickets: TokenCache,
    throttler: Throttler,
    observer: Option<Arc<dyn CallObserver>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DingTalk")
            .field("oapi_url", &self.oapi_url)
            .field("api_url", &self.api_url)
            .field("app_key", &self.app_key)
            .field("app_secret", &"<redacted>")
            .finish()
    }
}

impl DingTalk {
    /// Starts building a client.
    pub fn builder() -> DingTalkBuilder {
        DingTalkBuilder::default()
    }

    /// User identity and contacts.
    pub fn user(&self) -> user::UserHandler<'_> {
        user::UserHandler::new(self)
    }

    /// The organisation's directory: departments and their members.
    pub fn contact(&self) -> contact::ContactHandler<'_> {
        contact::ContactHandler::new(self)
    }

    /// The web login (OAuth) for browsers outside DingTalk.
    pub fn oauth(&self) -> oauth::OAuthHandler<'_> {
        oauth::OAuthHandler::new(self)
    }

    /// DingTalk Drive's storage API: a server-side upload into a space (an approval space, for attachments).
    pub fn storage(&self) -> storage::StorageHandler<'_> {
        storage::StorageHandler::new(self)
    }

    /// The v1.0 approval API: instances, tasks, templates and their forms.
    pub fn workflow(&self) -> workflow::WorkflowHandler<'_> {
        workflow::WorkflowHandler::new(self)
    }

    /// The JSAPI ticket that `dd.config` signatures are made with (see [`jsapi::sign`]).
    pub fn jsapi(&self) -> jsapi::JsapiHandler<'_> {
        jsapi::JsapiHandler::new(self)
    }
}

/// Builds a [`DingTalk`] client.
#[derive(Default)]
pub struct DingTalkBuilder {
    app_key: Option<String>,
    app_secret: Option<String>,
    oapi_url: Option<String>,
    api_url: Option<String>,
    timeout: Option<Duration>,
    rate_limit: Option<u32>,
    unlimited: bool,
    backoff: Backoff,
    observer: Option<Arc<dyn CallObserver>>,
}

impl DingTalkBuilder {
    /// The app's AppKey (also its clientId).
    pub fn app_key(mut self, key: impl Into<String>) -> Self {
        self.app_key = Some(key.into());
        self
    }

    /// The app's AppSecret.
    pub fn app_secret(mut self, secret: impl Into<String>) -> Self {
        self.app_secret = Some(secret.into());
        self
    }

    /// The legacy host; defaults to [`DEFAULT_OAPI_URL`].
    pub fn oapi_url(mut self, url: impl Into<String>) -> Self {
        self.oapi_url = Some(url.into());
        self
    }

    /// The v1.0 host; defaults to [`DEFAULT_API_URL`].
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// Points both hosts at one base URL, as the emulator serves them.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.oapi_url(url.clone()).api_url(url)
    }

    /// Per-request timeout; defaults to 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Calls per second the client allows itself to each API (method and path), on both hosts; defaults to
    /// [`DEFAULT_RATE_LIMIT`]. DingTalk refuses a 21st call in a second; clones of a client share the limit, other
    /// clients and processes do not, so leave room for them. Zero is refused by [`DingTalkBuilder::build`].
    pub fn rate_limit(mut self, per_second: u32) -> Self {
        self.rate_limit = Some(per_second);
        self.unlimited = false;
        self
    }

    /// Sends every call at once, without the client's own limiter (throttling answers are still handled). For
    /// tests that provoke DingTalk's limits, or a caller that paces calls itself.
    pub fn no_rate_limit(mut self) -> Self {
        self.unlimited = true;
        self
    }

    /// How the client waits when DingTalk throttles it; defaults to [`Backoff::default`].
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Tells `observer` about every request the client sends (see [`observe`]), e.g. to count calls per API.
    pub fn observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Builds the client; fails when a credential is missing, a URL does not parse or the rate limit is zero.
    pub fn build(self) -> Result<DingTalk> {
        let app_key = self.app_key.filter(|k| !k.is_empty()).ok_or(Error::Config("app_key is required".into()))?;
        let app_secret =
            self.app_secret.filter(|s| !s.is_empty()).ok_or(Error::Config("app_secret is required".into()))?;
        let oapi_url = base(self.oapi_url.as_deref().unwrap_or(DEFAULT_OAPI_URL))?;
        let api_url = base(self.api_url.as_deref().unwrap_or(DEFAULT_API_URL))?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout.unwrap_or(Duration::from_secs(10)))
            .user_agent(concat!("shenpi-dingtalk-client/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let per_second = match self.unlimited {
            true => None,
            false => Some(
                NonZeroU32::new(self.rate_limit.unwrap_or(DEFAULT_RATE_LIMIT))
                    .ok_or(Error::Config("rate_limit must be at least 1 call per second".into()))?,
            ),
        };
        let throttler = Throttler::new(per_second, self.backoff);
        let tokens = TokenCache::default();
        let jsapi_tickets = TokenCache::default();
        let observer = self.observer;
        let inner = Inner { http, oapi_url, api_url, app_key, app_secret, tokens, jsapi_tickets, throttler, observer };
        Ok(DingTalk { inner: Arc::new(inner) })
    }
}

/// Checks a base URL and drops its trailing slash.
fn base(url: &str) -> Result<String> {
    let parsed = url::Url::parse(url).map_err(|e| Error::Config(format!("bad URL {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Config(format!("bad URL {url:?}: not http(s)")));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let dt = DingTalk::builder().app_key("k").app_secret("very-secret").build().unwrap();
        assert!(!format!("{dt:?}").contains("very-secret"));
    }

    #[test]
    fn missing_credentials_and_bad_urls_are_refused() {
        assert!(matches!(DingTalk::builder().app_secret("s").build(), Err(Error::Config(_))));
        assert!(matches!(DingTalk::builder().app_key("k").build(), Err(Error::Config(_))));
        let bad = DingTalk::builder().app_key("k").app_secret("s").base_url("ftp://x").build();
        assert!(matches!(bad, Err(Error::Config(_))));
        let zero = DingTalk::builder().app_key("k").app_secret("s").rate_limit(0).build();
        assert!(matches!(zero, Err(Error::Config(_))));
    }
}
