//! Short-lived app credentials (the access token, the JSAPI ticket): fetched once, shared by every call, refreshed
//! ahead of expiry. Holding the lock while fetching makes the refresh single-flight: callers that arrive meanwhile
//! wait for the one request.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::legacy::check_envelope;
use crate::{DingTalk, Error, Result};

/// Refresh this long before DingTalk's expiry (or a fifth of the lifetime, when that is shorter).
const REFRESH_MARGIN: Duration = Duration::from_secs(600);

/// One cached credential and when to fetch it again.
#[derive(Default)]
pub(crate) struct TokenCache {
    slot: Mutex<Option<Cached>>,
}

struct Cached {
    token: String,
    refresh_after: Instant,
}

/// A freshly fetched credential and how long DingTalk says it lives.
pub(crate) struct Fresh {
    pub(crate) value: String,
    pub(crate) lifetime: Duration,
}

impl TokenCache {
    /// The cached value while it is fresh, else the one `fetch` brings (and caches).
    pub(crate) async fn get_or_fetch<F, Fut>(&self, fetch: F) -> Result<String>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fresh>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref()
            && Instant::now() < cached.refresh_after
        {
            return Ok(cached.token.clone());
        }
        let fresh = fetch().await?;
        let margin = REFRESH_MARGIN.min(fresh.lifetime / 5);
        *slot = Some(Cached { token: fresh.value.clone(), refresh_after: Instant::now() + fresh.lifetime - margin });
        Ok(fresh.value)
    }

    /// Forgets `token` after DingTalk refused it, unless another caller already replaced it.
    pub(crate) async fn invalidate(&self, token: &str) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|c| c.token == token) {
            *slot = None;
        }
    }
}

impl DingTalk {
    /// A valid app access token, from the cache or freshly fetched.
    pub(crate) async fn app_token(&self) -> Result<String> {
        self.inner.tokens.get_or_fetch(|| fetch(self)).await
    }

    /// Runs `call` with the app token; when DingTalk refuses the token, fetches a new one and runs it once more.
    pub(crate) async fn with_app_token<T, F, Fut>(&self, path: &str, call: F) -> Result<T>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let token = self.app_token().await?;
        match call(token.clone()).await {
            Err(e) if e.is_token_error() => {
                tracing::info!(path, code = e.api_code(), "DingTalk refused the access token; fetching a new one");
                self.inner.tokens.invalidate(&token).await;
                call(self.app_token().await?).await
            }
            other => other,
        }
    }
}

#[derive(Deserialize)]
struct GettokenResponse {
    access_token: String,
    expires_in: u64,
}

/// `GET /gettoken?appkey=&appsecret=` on the legacy host (server-api.md §2).
async fn fetch(dt: &DingTalk) -> Result<Fresh> {
    let inner = &dt.inner;
    tracing::debug!(app_key = %inner.app_key, "fetching DingTalk access token");
    let response = inner
        .http
        .get(format!("{}/gettoken", inner.oapi_url))
        .query(&[("appkey", inner.app_key.as_str()), ("appsecret", inner.app_secret.as_str())])
        .send()
        .await?;
    let body = response.text().await?;
    check_envelope(&body)?;
    let token: GettokenResponse = Error::decode(&body)?;
    if token.access_token.is_empty() {
        return Err(Error::Decode { path: "access_token".into(), message: "empty token".into(), body });
    }
    Ok(Fresh { value: token.access_token, lifetime: Duration::from_secs(token.expires_in) })
}
