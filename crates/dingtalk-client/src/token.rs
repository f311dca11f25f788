//! Short-lived app credentials (the access token, the JSAPI ticket): fetched once, shared by every call, refreshed
//! ahead of expiry (server-api.md §2: valid 7200 s, refresh about 10 minutes early). Fetching is single-flight: one
//! caller fetches while the others either keep using the still-valid credential (a refresh ahead of expiry) or wait
//! for that one request (nothing valid).

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::legacy::check_envelope;
use crate::{DingTalk, Error, Result};

/// Refresh this long before DingTalk's expiry (or a fifth of the lifetime, when that is shorter).
const REFRESH_MARGIN: Duration = Duration::from_secs(600);

#[derive(Default)]
pub(crate) struct TokenCache {
    /// The token in use; held only to read or replace it, never across a request.
    current: Mutex<Option<Cached>>,
    /// Held by the one caller fetching a token.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Cached {
    token: String,
    refresh_after: Instant,
    expires_at: Instant,
}

/// How usable a cached token is at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    /// Use it.
    Fresh,
    /// Still valid, but within the refresh margin: one caller should fetch the next.
    Ageing,
    /// Past DingTalk's expiry.
    Expired,
}

impl Cached {
    /// A token fetched at `fetched_at` that DingTalk says lives `lifetime`.
    fn new(token: String, fetched_at: Instant, lifetime: Duration) -> Self {
        let margin = REFRESH_MARGIN.min(lifetime / 5);
        Self { token, refresh_after: fetched_at + lifetime - margin, expires_at: fetched_at + lifetime }
    }

    fn freshness(&self, now: Instant) -> Freshness {
        if now < self.refresh_after {
            Freshness::Fresh
        } else if now < self.expires_at {
            Freshness::Ageing
        } else {
            Freshness::Expired
        }
    }
}

#[derive(Deserialize)]
struct GettokenResponse {
    access_token: String,
    expires_in: u64,
}

impl TokenCache {
    /// The cached token and how fresh it is now.
    fn peek(&self) -> Option<(String, Freshness)> {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        current.as_ref().map(|c| (c.token.clone(), c.freshness(Instant::now())))
    }

    /// A valid credential: the cached one, or the one `fetch` brings (and caches).
    pub(crate) async fn get_or_fetch<F, Fut>(&self, fetch: F) -> Result<String>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fresh>>,
    {
        match self.peek() {
            Some((token, Freshness::Fresh)) => Ok(token),
            Some((token, Freshness::Ageing)) => {
                // Another caller is refreshing: the current credential is still good meanwhile.
                let Ok(_fetching) = self.fetching.try_lock() else { return Ok(token) };
                if let Some((fresh, Freshness::Fresh)) = self.peek() {
                    return Ok(fresh);
                }
                match self.fetch_with(fetch).await {
                    Ok(fresh) => Ok(fresh),
                    Err(e) => {
                        tracing::warn!(error = %e, "refreshing a DingTalk credential failed; the old one is still valid");
                        Ok(token)
                    }
                }
            }
            Some((_, Freshness::Expired)) | None => {
                let _fetching = self.fetching.lock().await;
                if let Some((token, Freshness::Fresh | Freshness::Ageing)) = self.peek() {
                    return Ok(token);
                }
                self.fetch_with(fetch).await
            }
        }
    }

    /// Fetches a credential and caches it; the caller holds `fetching`.
    async fn fetch_with<F, Fut>(&self, fetch: F) -> Result<String>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fresh>>,
    {
        let fetched_at = Instant::now();
        let fresh = fetch().await?;
        let cached = Cached::new(fresh.value, fetched_at, fresh.lifetime);
        let token = cached.token.clone();
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(cached);
        Ok(token)
    }

    /// Forgets `token` after DingTalk refused it, unless another caller already replaced it.
    pub(crate) fn invalidate(&self, token: &str) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|c| c.token == token) {
            *current = None;
        }
    }
}

/// A freshly fetched credential and how long DingTalk says it lives.
pub(crate) struct Fresh {
    pub(crate) value: String,
    pub(crate) lifetime: Duration,
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
                self.inner.tokens.invalidate(&token);
                call(self.app_token().await?).await
            }
            other => other,
        }
    }
}

/// `GET /gettoken?appkey=&appsecret=` on the legacy host (server-api.md §2).
async fn fetch(dt: &DingTalk) -> Result<Fresh> {
    let inner = &dt.inner;
    tracing::debug!(app_key = %inner.app_key, "fetching DingTalk access token");
    let request = inner
        .http
        .get(format!("{}/gettoken", inner.oapi_url))
        .query(&[("appkey", inner.app_key.as_str()), ("appsecret", inner.app_secret.as_str())]);
    let answer = dt.execute(request.build()?).await?;
    check_envelope(&answer.body)?;
    let token: GettokenResponse = Error::decode(&answer.body)?;
    if token.access_token.is_empty() {
        return Err(Error::Decode { path: "access_token".into(), message: "empty token".into(), body: answer.body });
    }
    Ok(Fresh { value: token.access_token, lifetime: Duration::from_secs(token.expires_in) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_refreshed_ten_minutes_before_it_expires() {
        let t0 = Instant::now();
        let cached = Cached::new("t".into(), t0, Duration::from_secs(7200));
        assert_eq!(cached.freshness(t0 + Duration::from_secs(6599)), Freshness::Fresh);
        assert_eq!(cached.freshness(t0 + Duration::from_secs(6600)), Freshness::Ageing);
        assert_eq!(cached.freshness(t0 + Duration::from_secs(7199)), Freshness::Ageing);
        assert_eq!(cached.freshness(t0 + Duration::from_secs(7200)), Freshness::Expired);
    }

    fn client(emu: &dingtalk_emulator::Emulator) -> DingTalk {
        let app = &emu.org().app;
        DingTalk::builder().app_key(&app.app_key).app_secret(&app.app_secret).base_url(emu.uri()).build().unwrap()
    }

    /// Asks the cache for a token from `n` concurrent callers; returns the distinct tokens they got.
    async fn concurrent_gets(dt: &DingTalk, n: usize) -> std::collections::HashSet<String> {
        let mut callers = tokio::task::JoinSet::new();
        for _ in 0..n {
            let dt = dt.clone();
            callers.spawn(async move { dt.app_token().await });
        }
        callers.join_all().await.into_iter().map(|token| token.unwrap()).collect()
    }

    /// How many `/gettoken` calls reached the emulator, after checking none was refused.
    async fn gettoken_calls(emu: &dingtalk_emulator::Emulator) -> u64 {
        let counts = emu.control().calls().await.unwrap();
        let Some(gettoken) = counts.apis.iter().find(|api| api.path == "/gettoken") else { return 0 };
        assert_eq!(gettoken.seconds.iter().map(|s| s.refused).sum::<u32>(), 0, "{gettoken:?}");
        gettoken.month_calls
    }

    #[tokio::test]
    async fn a_thousand_cold_callers_make_one_token_request() {
        let emu = dingtalk_emulator::Emulator::start().await.unwrap();
        let dt = client(&emu);

        let tokens = concurrent_gets(&dt, 1_000).await;

        assert_eq!(tokens.len(), 1, "every caller got the same token");
        assert_eq!(gettoken_calls(&emu).await, 1);
    }

    #[tokio::test]
    async fn an_ageing_token_is_refreshed_by_one_caller_while_the_others_keep_using_it() {
        let emu = dingtalk_emulator::Emulator::start().await.unwrap();
        let dt = client(&emu);
        let now = Instant::now();
        let ageing = Cached {
            token: "still-valid".into(),
            refresh_after: now - Duration::from_secs(1),
            expires_at: now + Duration::from_secs(300),
        };
        *dt.inner.tokens.current.lock().unwrap() = Some(ageing);

        let tokens = concurrent_gets(&dt, 200).await;

        assert_eq!(gettoken_calls(&emu).await, 1, "one refresh");
        let fresh = emu.app_token().await.unwrap();
        assert!(tokens.iter().all(|t| *t == fresh || t == "still-valid"), "{tokens:?}");
        assert!(tokens.contains("still-valid"), "callers did not wait for the refresh");
        assert_eq!(dt.inner.tokens.peek(), Some((fresh, Freshness::Fresh)));
    }

    #[test]
    fn a_short_lived_token_is_refreshed_in_its_last_fifth() {
        let t0 = Instant::now();
        let cached = Cached::new("t".into(), t0, Duration::from_secs(100));
        assert_eq!(cached.freshness(t0 + Duration::from_secs(79)), Freshness::Fresh);
        assert_eq!(cached.freshness(t0 + Duration::from_secs(80)), Freshness::Ageing);
    }
}
