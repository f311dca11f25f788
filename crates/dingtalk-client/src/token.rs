//! The app access token: fetched once, shared by every call, refreshed ahead of expiry. Holding the lock while
//! fetching makes the refresh single-flight: callers that arrive meanwhile wait for the one request.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::legacy::check_envelope;
use crate::{DingTalk, Error, Result};

/// Refresh this long before DingTalk's expiry (or a fifth of the lifetime, when that is shorter).
const REFRESH_MARGIN: Duration = Duration::from_secs(600);

#[derive(Default)]
pub(crate) struct TokenCache {
    slot: Mutex<Option<Cached>>,
}

struct Cached {
    token: String,
    refresh_after: Instant,
}

#[derive(Deserialize)]
struct GettokenResponse {
    access_token: String,
    expires_in: u64,
}

impl TokenCache {
    /// A valid token, from the cache or freshly fetched.
    pub(crate) async fn get(&self, dt: &DingTalk) -> Result<String> {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref()
            && Instant::now() < cached.refresh_after
        {
            return Ok(cached.token.clone());
        }
        let fresh = fetch(dt).await?;
        let lifetime = Duration::from_secs(fresh.expires_in);
        let margin = REFRESH_MARGIN.min(lifetime / 5);
        *slot = Some(Cached { token: fresh.access_token.clone(), refresh_after: Instant::now() + lifetime - margin });
        Ok(fresh.access_token)
    }

    /// Forgets `token` after DingTalk refused it, unless another caller already replaced it.
    pub(crate) async fn invalidate(&self, token: &str) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|c| c.token == token) {
            *slot = None;
        }
    }
}

/// `GET /gettoken?appkey=&appsecret=` on the legacy host (server-api.md §2).
async fn fetch(dt: &DingTalk) -> Result<GettokenResponse> {
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
    Ok(token)
}
