//! How the client keeps within DingTalk's limits (server-api.md §1.3, §1.4): every request of both hosts goes
//! through [`DingTalk::execute`], which paces calls per API, reads throttling answers, backs off with jitter, and
//! stops calling altogether during an IP ban.
//!
//! Decisions where DingTalk is silent:
//! - An API is the method plus the path without its query; a path segment that looks like an id (all digits, or at
//!   least 16 characters with a digit) counts as `{id}`, so one API with many ids shares one limit.
//! - The limiter lets one call through every `1 s / per_second` (no burst), so no calendar second, which is how
//!   DingTalk and the emulator count, sees more than `per_second` calls. The default, 15 per second, stays under
//!   DingTalk's 20 with room for other processes of the same app.
//! - A per-second or per-minute refusal pauses that API for every caller of this client (not only the refused
//!   call): each waiting caller sleeps out the pause plus its own jitter, then queues on the limiter again.
//! - An HTML answer with a status below 500, or the JSON `{"status":1111,...,"punish":"deny"}`, is DingTalk's IP
//!   ban: every call of this client then fails at once with [`Error::Throttled`] for [`Backoff::ip_ban`]. An HTML
//!   5xx is a gateway failure, not a ban, and is left to the hosts' error handling.
//! - The monthly quota is not retried: it comes back at the start of the next calendar month in UTC+8.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::observe::{Call, Outcome, is_metered};
use crate::{DingTalk, Error, Result};

/// Calls per second per API the client allows itself unless told otherwise.
pub const DEFAULT_RATE_LIMIT: u32 = 15;

/// What kind of limit held a call back; carried by [`Error::Throttled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// Too many calls per second to one API: legacy 90018 or 90002, v1.0 403 `Forbidden.AccessDenied.Qps*`, 400
    /// `oaplus.query.limit`; also the client's own limiter when its queue for the API outlasts
    /// [`Backoff::max_wait`].
    PerSecond,
    /// A per-minute limit or a temporary block of the app, corp or server: legacy 90001, 90003–90014, 90017, v1.0
    /// `Forbidden.AccessDenied.Qpm*`.
    PerMinute,
    /// DingTalk banned this IP for calling too often (10 000 calls in 20 s): an HTML page instead of JSON.
    IpBan,
    /// The organisation used up its monthly calls: legacy 90020, v1.0 `Forbidden.AccessDenied.ApiCountLimitForOrg`.
    MonthlyQuota,
}

impl std::fmt::Display for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PerSecond => "too many calls per second",
            Self::PerMinute => "too many calls per minute, or the app is blocked for a while",
            Self::IpBan => "this IP is banned for calling too often",
            Self::MonthlyQuota => "the organisation's monthly calls are used up",
        })
    }
}

/// How the client waits when DingTalk throttles it. Tests shorten the waits; the defaults are DingTalk's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// How long an API pauses after a per-second refusal. Default 1 s, DingTalk's advice ("sleep 1 s").
    pub per_second: Duration,
    /// How long an API pauses after a per-minute refusal. Default 60 s, a full window.
    pub per_minute: Duration,
    /// How long every call fails fast after the IP-ban page. Default 5 min, the length of DingTalk's ban.
    pub ip_ban: Duration,
    /// The most random time added to each caller's pause, so that waiting callers do not return together.
    /// Default 500 ms.
    pub jitter: Duration,
    /// How many throttled answers one call retries before failing with [`Error::Throttled`]. Default 3.
    pub retries: u32,
    /// The most one call waits in all (the limiter's queue and pauses) before failing with [`Error::Throttled`].
    /// Default 15 s: a user-facing request should not hang longer, so a per-minute pause fails at once with its
    /// `retry_after`; a batch worker may raise it.
    pub max_wait: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            per_second: Duration::from_secs(1),
            per_minute: Duration::from_secs(60),
            ip_ban: Duration::from_secs(300),
            jitter: Duration::from_millis(500),
            retries: 3,
            max_wait: Duration::from_secs(15),
        }
    }
}

/// DingTalk's answer to one request, read whole.
pub(crate) struct Answer {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// The `x-acs-request-id` header (v1.0 host).
    pub(crate) request_id: Option<String>,
    /// The body as text.
    pub(crate) body: String,
}

/// The limiter, the pauses and the waits of one client.
pub(crate) struct Throttler {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    backoff: Backoff,
    pauses: Mutex<Pauses>,
}

/// Pauses in force: the IP ban for every API, and per-API pauses after refusals.
#[derive(Default)]
struct Pauses {
    ban_until: Option<Instant>,
    apis: HashMap<String, (Instant, Throttle)>,
}

impl Throttler {
    /// A throttler pacing each API at `per_second` calls (none when `None`).
    pub(crate) fn new(per_second: Option<NonZeroU32>, backoff: Backoff) -> Self {
        let limiter = per_second
            .and_then(|n| Quota::with_period(Duration::from_secs(1) / n.get()))
            .map(|quota| RateLimiter::keyed(quota.allow_burst(NonZeroU32::MIN)));
        Self { limiter, backoff, pauses: Mutex::default() }
    }

    fn pauses(&self) -> std::sync::MutexGuard<'_, Pauses> {
        self.pauses.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `api` may be called: out of any pause, then for a permit of the limiter. Fails fast during an
    /// IP ban and when the wait would end after `deadline`.
    async fn admit(&self, api: &str, deadline: Instant) -> Result<()> {
        loop {
            if let Some(wait) = self.pause_left(api, deadline)? {
                tokio::time::sleep(wait).await;
                continue;
            }
            if let Some(limiter) = &self.limiter {
                let key = api.to_owned();
                let left = deadline.saturating_duration_since(Instant::now());
                if tokio::time::timeout(left, limiter.until_key_ready(&key)).await.is_err() {
                    return Err(Error::Throttled { kind: Throttle::PerSecond, retry_after: self.backoff.per_second });
                }
            }
            // A pause may have begun while this call queued for its permit.
            if self.pause_left(api, deadline)?.is_none() {
                return Ok(());
            }
        }
    }

    /// How long this caller must still wait before calling `api` (with its jitter), or the error when it may not
    /// wait that long.
    fn pause_left(&self, api: &str, deadline: Instant) -> Result<Option<Duration>> {
        let now = Instant::now();
        let pauses = self.pauses();
        if let Some(until) = pauses.ban_until.filter(|until| *until > now) {
            return Err(Error::Throttled { kind: Throttle::IpBan, retry_after: until - now });
        }
        let Some(&(until, kind)) = pauses.apis.get(api).filter(|(until, _)| *until > now) else {
            return Ok(None);
        };
        let wait = until - now + jitter(self.backoff.jitter);
        if now + wait > deadline {
            return Err(Error::Throttled { kind, retry_after: until - now });
        }
        Ok(Some(wait))
    }

    /// Pauses `api` after a refusal of `kind` (keeping a longer pause already in force); returns the pause length.
    fn pause(&self, api: &str, kind: Throttle) -> Duration {
        let length = match kind {
            Throttle::PerMinute => self.backoff.per_minute,
            _ => self.backoff.per_second,
        };
        let until = Instant::now() + length;
        let mut pauses = self.pauses();
        let entry = pauses.apis.entry(api.to_owned()).or_insert((until, kind));
        if entry.0 < until {
            *entry = (until, kind);
        }
        length
    }

    /// Starts the IP-ban pause and returns the error for the call that met it.
    fn ban(&self) -> Error {
        self.pauses().ban_until = Some(Instant::now() + self.backoff.ip_ban);
        Error::Throttled { kind: Throttle::IpBan, retry_after: self.backoff.ip_ban }
    }
}

impl DingTalk {
    /// Sends `request` within the limits: waits for the API's turn, retries throttled answers after a pause, and
    /// returns any other answer for the host's own error handling.
    pub(crate) async fn execute(&self, request: reqwest::Request) -> Result<Answer> {
        let throttler = &self.inner.throttler;
        let api = api_key(request.method(), request.url().path());
        let deadline = Instant::now() + throttler.backoff.max_wait;
        let mut refusals = 0;
        loop {
            let queued = Instant::now();
            throttler.admit(&api, deadline).await?;
            let limiter_wait = queued.elapsed();
            let attempt =
                request.try_clone().ok_or_else(|| Error::Config("a streamed body cannot be re-sent".into()))?;
            let sent = Instant::now();
            let answer = self.send(attempt).await;
            let outcome = match &answer {
                Ok((answer, content_type)) => judge(answer.status, content_type.as_deref(), &answer.body),
                Err(_) => Outcome::HttpError,
            };
            if let Some(observer) = &self.inner.observer {
                let call =
                    Call { api: &api, outcome, metered: is_metered(&api), elapsed: sent.elapsed(), limiter_wait };
                observer.observe(&call);
            }
            let (answer, _) = answer?;
            let Outcome::Throttled(kind) = outcome else {
                return Ok(answer);
            };
            tracing::warn!(api, %kind, refusals, "DingTalk throttled a call");
            match kind {
                Throttle::PerSecond | Throttle::PerMinute => {
                    let pause = throttler.pause(&api, kind);
                    refusals += 1;
                    if refusals > throttler.backoff.retries {
                        return Err(Error::Throttled { kind, retry_after: pause });
                    }
                }
                Throttle::IpBan => return Err(throttler.ban()),
                Throttle::MonthlyQuota => {
                    let retry_after = until_next_month_utc8(time::OffsetDateTime::now_utc());
                    return Err(Error::Throttled { kind, retry_after });
                }
            }
        }
    }

    /// Sends one request and reads its whole answer, with the answer's content type.
    async fn send(&self, request: reqwest::Request) -> Result<(Answer, Option<String>)> {
        let response = self.inner.http.execute(request).await?;
        let status = response.status();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (content_type, request_id) = (header("content-type"), header("x-acs-request-id"));
        let body = response.text().await?;
        Ok((Answer { status, request_id, body }, content_type))
    }
}

/// The limiter's key for a request: `METHOD /path`, id-like segments as `{id}`.
fn api_key(method: &Method, path: &str) -> String {
    let looks_like_id = |s: &str| {
        let digits = s.chars().any(|c| c.is_ascii_digit());
        digits && (s.chars().all(|c| c.is_ascii_digit()) || s.len() >= 16)
    };
    let path: Vec<&str> = path.split('/').map(|s| if looks_like_id(s) { "{id}" } else { s }).collect();
    format!("{method} {}", path.join("/"))
}

/// How DingTalk answered: success, its own error, or a throttling refusal (see the module's notes and
/// [`crate::observe`]). Reads both hosts' shapes.
fn judge(status: StatusCode, content_type: Option<&str>, body: &str) -> Outcome {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        let html = content_type.is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"))
            || body.trim_start().starts_with('<');
        return match html && !status.is_server_error() {
            true => Outcome::Throttled(Throttle::IpBan),
            false => Outcome::HttpError,
        };
    };
    let legacy = match value.get("errcode") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let refused = match status.is_success() {
        true => Outcome::ApiError,
        false if value.is_object() => Outcome::ApiError,
        false => Outcome::HttpError,
    };
    if let Some(code) = legacy {
        return match code {
            0 if status.is_success() => Outcome::Ok,
            90002 | 90018 => Outcome::Throttled(Throttle::PerSecond),
            90001 | 90003..=90014 | 90017 => Outcome::Throttled(Throttle::PerMinute),
            90020 => Outcome::Throttled(Throttle::MonthlyQuota),
            _ => refused,
        };
    }
    if let Some(code) = ["code", "Code"].iter().find_map(|k| value.get(*k).and_then(Value::as_str)) {
        return match code {
            "Forbidden.AccessDenied.ApiCountLimitForOrg" => Outcome::Throttled(Throttle::MonthlyQuota),
            c if c.starts_with("Forbidden.AccessDenied.Qpm") => Outcome::Throttled(Throttle::PerMinute),
            c if c.starts_with("Forbidden.AccessDenied.Qps") || c == "oaplus.query.limit" => {
                Outcome::Throttled(Throttle::PerSecond)
            }
            _ if status.is_success() => Outcome::Ok,
            _ => refused,
        };
    }
    let banned = value.get("punish").and_then(Value::as_str) == Some("deny")
        || value.get("status").and_then(Value::as_i64) == Some(1111);
    match (banned, status.is_success()) {
        (true, _) => Outcome::Throttled(Throttle::IpBan),
        (false, true) => Outcome::Ok,
        (false, false) => refused,
    }
}

/// A random extra wait of up to `max`.
fn jitter(max: Duration) -> Duration {
    let max_micros = u64::try_from(max.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(rand::rng().random_range(0..=max_micros))
}

/// Time from `now` to the start of the next calendar month in UTC+8, when DingTalk's monthly count starts again.
fn until_next_month_utc8(now: time::OffsetDateTime) -> Duration {
    let local = now.to_offset(time::macros::offset!(+8));
    let (year, month) = match local.month() {
        time::Month::December => (local.year() + 1, time::Month::January),
        month => (local.year(), month.next()),
    };
    time::Date::from_calendar_date(year, month, 1)
        .ok()
        .map(|first| first.midnight().assume_offset(time::macros::offset!(+8)) - now)
        .and_then(|left| Duration::try_from(left).ok())
        .unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: StatusCode = StatusCode::OK;
    const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;

    /// The throttling refusal an answer is, if any.
    fn classify(status: StatusCode, content_type: Option<&str>, body: &str) -> Option<Throttle> {
        match judge(status, content_type, body) {
            Outcome::Throttled(kind) => Some(kind),
            _ => None,
        }
    }

    #[test]
    fn per_second_refusals_of_both_hosts_are_per_second() {
        for body in [r#"{"errcode":90018,"errmsg":"x"}"#, r#"{"errcode":"90002","errmsg":"x"}"#] {
            assert_eq!(classify(OK, Some("application/json"), body), Some(Throttle::PerSecond), "{body}");
        }
        for code in ["Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "Forbidden.AccessDenied.QpsLimitForApi"] {
            let body = format!(r#"{{"code":"{code}","message":"m","requestid":"r"}}"#);
            assert_eq!(classify(FORBIDDEN, None, &body), Some(Throttle::PerSecond), "{code}");
        }
        let oa = r#"{"Code":"oaplus.query.limit","Message":"m"}"#;
        assert_eq!(classify(StatusCode::BAD_REQUEST, None, oa), Some(Throttle::PerSecond));
    }

    #[test]
    fn per_minute_limits_and_temporary_blocks_are_per_minute() {
        for code in [90001, 90003, 90010, 90014, 90017] {
            let body = format!(r#"{{"errcode":{code},"errmsg":"x"}}"#);
            assert_eq!(classify(OK, None, &body), Some(Throttle::PerMinute), "{code}");
        }
        let body = r#"{"code":"Forbidden.AccessDenied.QpmLimitForAppkeyAndApi","message":"m"}"#;
        assert_eq!(classify(FORBIDDEN, None, body), Some(Throttle::PerMinute));
    }

    #[test]
    fn the_monthly_quota_is_recognised_on_both_hosts() {
        assert_eq!(classify(OK, None, r#"{"errcode":90020,"errmsg":"x"}"#), Some(Throttle::MonthlyQuota));
        let body = r#"{"code":"Forbidden.AccessDenied.ApiCountLimitForOrg","message":"m"}"#;
        assert_eq!(classify(FORBIDDEN, None, body), Some(Throttle::MonthlyQuota));
    }

    #[test]
    fn the_ip_ban_is_an_html_page_or_the_punish_json() {
        let page = "<!DOCTYPE html><html><body>访问被拒绝</body></html>";
        assert_eq!(classify(OK, Some("text/html; charset=utf-8"), page), Some(Throttle::IpBan));
        assert_eq!(classify(FORBIDDEN, None, page), Some(Throttle::IpBan), "no content type, still HTML");
        let json = r#"{"status":1111,"wait":5,"source":"x5","punish":"deny","uuid":"u"}"#;
        assert_eq!(classify(OK, Some("application/json"), json), Some(Throttle::IpBan));
    }

    #[test]
    fn ordinary_answers_and_gateway_failures_are_not_throttling() {
        let ordinary = [
            (OK, r#"{"errcode":0,"errmsg":"ok","result":{}}"#),
            (OK, r#"{"errcode":40078,"errmsg":"不存在的临时授权码"}"#),
            (OK, r#"{"errcode":-1,"errmsg":"系统繁忙"}"#),
            (StatusCode::BAD_REQUEST, r#"{"code":"InvalidAuthentication","message":"m"}"#),
            (FORBIDDEN, r#"{"code":"Forbidden.AccessDenied.AccessTokenPermissionDenied","message":"m"}"#),
            (OK, r#"{"result":{"status":"RUNNING"}}"#),
            (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>"),
            (OK, "not json at all"),
        ];
        for (status, body) in ordinary {
            assert_eq!(classify(status, None, body), None, "{status} {body}");
        }
    }

    #[test]
    fn an_api_is_its_method_and_path_with_ids_normalised() {
        assert_eq!(api_key(&Method::POST, "/topapi/v2/user/get"), "POST /topapi/v2/user/get");
        assert_eq!(api_key(&Method::GET, "/v1.0/oauth2/userAccessToken"), "GET /v1.0/oauth2/userAccessToken");
        assert_eq!(api_key(&Method::POST, "/v1.0/oauth2/ding8f2b1c0e9a7d6e5f/token"), "POST /v1.0/oauth2/{id}/token");
        assert_eq!(api_key(&Method::GET, "/v1.0/workflow/tasks/42"), "GET /v1.0/workflow/tasks/{id}");
        assert_ne!(api_key(&Method::GET, "/gettoken"), api_key(&Method::POST, "/gettoken"));
    }

    #[test]
    fn the_monthly_quota_returns_at_midnight_utc8_on_the_first() {
        // 2024-01-31 15:00 UTC is 23:00 in UTC+8: one hour before February there.
        let now = time::macros::datetime!(2024-01-31 15:00 UTC);
        assert_eq!(until_next_month_utc8(now), Duration::from_secs(3_600));
        let new_year_eve = time::macros::datetime!(2024-12-31 15:30 UTC);
        assert_eq!(until_next_month_utc8(new_year_eve), Duration::from_secs(1_800), "December rolls into January");
        let january_there = time::macros::datetime!(2024-12-31 16:00 UTC);
        assert_eq!(until_next_month_utc8(january_there), Duration::from_secs(31 * 86_400), "already 2025-01 there");
    }

    /// The organisation's monthly calls, used up on 5 000 different unknown `/topapi/` methods (metered, and each
    /// its own API, so the QPS limit does not slow the filling down).
    async fn use_up_the_monthly_quota(emu: &dingtalk_emulator::Emulator) {
        let http = reqwest::Client::new();
        let mut fills = tokio::task::JoinSet::new();
        for worker in 0..50 {
            let (http, uri) = (http.clone(), emu.uri());
            fills.spawn(async move {
                for i in 0..100 {
                    http.post(format!("{uri}/topapi/fill/m{worker}x{i}")).send().await.unwrap();
                }
            });
        }
        fills.join_all().await;
        let counts = emu.control().calls().await.unwrap();
        assert_eq!(counts.metered_calls, counts.monthly_limit.unwrap());
    }

    #[tokio::test]
    async fn the_monthly_quota_is_throttled_without_retries_on_both_hosts() {
        let emu = dingtalk_emulator::Emulator::start().await.unwrap();
        let app = &emu.org().app;
        let dt = DingTalk::builder().app_key(&app.app_key).app_secret(&app.app_secret).base_url(emu.uri());
        let dt = dt.backoff(Backoff { per_second: Duration::from_millis(10), ..Backoff::default() }).build().unwrap();
        use_up_the_monthly_quota(&emu).await;

        let legacy = dt.legacy_post::<Value>("/topapi/processinstance/get", &serde_json::json!({})).await;
        let token = dt.app_token().await.unwrap();
        let path = "/v1.0/workflow/processInstances?processInstanceId=none";
        let v1 = dt.v1_send::<Value>(Method::GET, path, Some(&token), &[], None::<&()>).await;

        for result in [legacy, v1] {
            match result {
                Err(Error::Throttled { kind: Throttle::MonthlyQuota, retry_after }) => {
                    assert!(retry_after <= Duration::from_secs(31 * 86_400), "{retry_after:?}");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        let counts = emu.control().calls().await.unwrap();
        for (method, path) in [("POST", "/topapi/processinstance/get"), ("GET", "/v1.0/workflow/processInstances")] {
            let api = counts.apis.iter().find(|a| a.method == method && a.path == path).unwrap();
            let refused: u32 = api.seconds.iter().map(|s| s.refused).sum();
            assert_eq!((api.month_calls, refused), (0, 1), "{method} {path}: refused once, never retried");
        }
    }

    #[test]
    fn a_pause_longer_than_the_budget_fails_fast_with_its_kind() {
        let backoff = Backoff { per_minute: Duration::from_secs(60), jitter: Duration::ZERO, ..Backoff::default() };
        let throttler = Throttler::new(None, backoff);
        throttler.pause("GET /x", Throttle::PerMinute);
        match throttler.pause_left("GET /x", Instant::now() + Duration::from_secs(5)) {
            Err(Error::Throttled { kind: Throttle::PerMinute, retry_after }) => {
                assert!(retry_after > Duration::from_secs(59), "{retry_after:?}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(throttler.pause_left("GET /y", Instant::now()), Ok(None)), "other APIs go on");
        let short = throttler.pause_left("GET /x", Instant::now() + Duration::from_secs(61)).unwrap().unwrap();
        assert!(short <= Duration::from_secs(60));
    }
}
