//! Rate limits, the monthly metered-call quota and fault rules, applied to both API hosts (not to `/_emulator/` or
//! `/oauth2/`), plus the event faults that [`crate::events::EventBus`] applies to what it delivers.
//!
//! What DingTalk documents (server-api.md §1.3, §1.4) is followed; where it is silent the emulator decides, and each
//! decision sits in one place here:
//! - Attribution: the seed has one app, so every call on the DingTalk hosts counts as that app's call, whether it
//!   carries a valid token, an appkey (`/gettoken`) or nothing. Refusing by token would need a token → app map the
//!   emulator does not need while there is one app.
//! - An API is its method plus its route: the axum route pattern (`/v1.0/oauth2/{corpId}/token`), so path
//!   parameters are normalised; a call caught by a catch-all route (an unknown `/topapi/...` method) counts under its
//!   literal path.
//! - The 20 calls per second are a fixed window: the calendar second on the emulator's clock (DingTalk's own advice,
//!   "sleep 1 s", fits a per-second window). Only admitted calls use the window up; refused calls are counted apart.
//! - The monthly quota counts admitted calls of non-exempt APIs in the calendar month in UTC+8, whatever their
//!   answer (a call with a bad token still reached DingTalk). The 5 001st is refused.
//! - Order of checks for one call: the matching fault rule's latency, its HTML ban (the IP ban happens before any
//!   app is known, so a banned call is not counted), the QPS window, the monthly quota, then the rule's system-busy
//!   roll and commit-then-timeout.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::control::{Control, ControlCallError, control_error};
use crate::events::Event;
use crate::state::Shared;

/// Calls per second one app may make to one API (server-api.md §1.4). DingTalk documents it for standard-edition
/// organisations only; the emulator keeps it for every edition.
pub const QPS_LIMIT: u32 = 20;

/// The seed of the fault dice after start and after a reset, so a run with fractional rates is repeatable unless a
/// test picks another seed.
pub const DEFAULT_SEED: u64 = 20_240_601;

/// How many seconds of per-API history `GET /_emulator/calls` keeps (the oldest seconds are forgotten first).
pub const SECONDS_KEPT: usize = 3_600;

/// The legacy answer to a call over the QPS limit. DingTalk's exact `errmsg` was not found in any source; the code
/// is documented, the wording is the emulator's.
pub const QPS_LEGACY: (i64, &str) = (90018, "当前应用调用该接口的并发量超过上限，请降低调用频率");
/// The v1.0 answer to a call over the QPS limit (status and code documented, message the emulator's).
pub const QPS_V1: (StatusCode, &str, &str) =
    (StatusCode::FORBIDDEN, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "应用调用该接口的QPS超过限制");
/// The legacy answer to a call over the monthly quota (code documented, `errmsg` the emulator's).
pub const QUOTA_LEGACY: (i64, &str) = (90020, "当前组织本月调用接口次数已达上限");
/// The v1.0 answer to a call over the monthly quota (status and code documented, message the emulator's).
pub const QUOTA_V1: (StatusCode, &str, &str) =
    (StatusCode::FORBIDDEN, "Forbidden.AccessDenied.ApiCountLimitForOrg", "组织本月调用接口次数已达上限");
/// The legacy "system busy" of a fault rule: errcode -1 "系统繁忙" (DingTalk's global error table).
pub const BUSY_LEGACY: (i64, &str) = (-1, "系统繁忙");
/// The v1.0 "system busy" of a fault rule. server-api.md lists 500 `systemError`, 503 and 429
/// `system.busy`/`systemBusy`; 500 `systemBusy` is the pair documented together for one endpoint
/// (`/v1.0/oauth2/jsapiTickets`), so it is the one used.
pub const BUSY_V1: (StatusCode, &str, &str) = (StatusCode::INTERNAL_SERVER_ERROR, "systemBusy", "系统繁忙");
/// The legacy answer for an API the app has no permission for: errcode 88 with the cause in `sub_code` 60011
/// (server-api.md §1.1, §1.3). The `sub_msg` wording is the emulator's.
pub const NO_PERMISSION_SUB: (&str, &str) = ("60011", "应用尚未开通该接口的权限");
/// The v1.0 answer for an API the app has no permission for (server-api.md §1.3).
pub const NO_PERMISSION_V1: (StatusCode, &str, &str) =
    (StatusCode::FORBIDDEN, "Forbidden.AccessDenied.AccessTokenPermissionDenied", "没有调用该接口的权限");
/// The status of the IP-ban page. DingTalk documents "no errcode, an HTML page" without a status; 200 is the case a
/// client is most likely to mishandle (it must not trust a 200 to carry JSON), so the emulator uses it.
pub const HTML_BAN_STATUS: StatusCode = StatusCode::OK;

/// APIs that do not count toward the monthly quota (server-api.md §1.4: token endpoints, the jsapi ticket,
/// free-login identity, contacts, the user's own profile and opening a Stream connection). Approval (workflow) APIs
/// are not on DingTalk's list, so they count. A `{param}` segment matches any route parameter.
pub const EXEMPT_ROUTES: &[&str] = &[
    "/gettoken",
    "/get_jsapi_ticket",
    "/topapi/v2/user/getuserinfo",
    "/topapi/v2/user/get",
    "/topapi/v2/department/get",
    "/topapi/v2/department/listsub",
    "/topapi/v2/user/list",
    "/topapi/user/getbyunionid",
    "/v1.0/oauth2/accessToken",
    "/v1.0/oauth2/{corpId}/token",
    "/v1.0/oauth2/userAccessToken",
    "/v1.0/oauth2/jsapiTickets",
    "/v1.0/contact/users/me",
    "/v1.0/gateway/connections/open",
];

/// Whether a route is exempt from the monthly quota.
pub fn is_exempt(route: &str) -> bool {
    EXEMPT_ROUTES.iter().any(|exempt| same_route(exempt, route))
}

/// Two route patterns are the same when their segments match, any `{param}` matching any other.
fn same_route(a: &str, b: &str) -> bool {
    let param = |s: &str| s.starts_with('{') && !s.starts_with("{*");
    let (a, b): (Vec<_>, Vec<_>) = (a.split('/').collect(), b.split('/').collect());
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || (param(x) && param(y)))
}

/// The organisation's DingTalk edition, which sets the monthly quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Edition {
    /// 标准版: 5 000 metered calls a month (server-api.md §1.4).
    #[default]
    Standard,
    /// 专业版: 500 000 a month, the figure third parties quote for DingTalk's professional edition (unverified).
    Professional,
    /// 专属版: no monthly limit (the emulator's choice; DingTalk sells capacity per contract).
    Exclusive,
}

impl Edition {
    /// Metered calls allowed per calendar month; `None` is unlimited.
    pub fn monthly_limit(self) -> Option<u64> {
        match self {
            Self::Standard => Some(5_000),
            Self::Professional => Some(500_000),
            Self::Exclusive => None,
        }
    }
}

/// Which host a call was made to, for the shape of a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// `oapi.dingtalk.com`: HTTP 200 with a non-zero `errcode`.
    Legacy,
    /// `api.dingtalk.com/v1.0/...`: an HTTP error status with `{code, message, requestid}`.
    V1,
}

impl Host {
    /// The host a path belongs to.
    pub fn of(path: &str) -> Self {
        if path.starts_with("/v1.0/") { Self::V1 } else { Self::Legacy }
    }

    fn legacy_or_v1(self, legacy: (i64, &str), v1: (StatusCode, &str, &str)) -> Response {
        match self {
            Self::Legacy => crate::oapi::fail(legacy.0, legacy.1).into_response(),
            Self::V1 => crate::api::api_error(v1.0, v1.1, v1.2),
        }
    }
}

/// Why a call was refused before reaching its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The app already made [`QPS_LIMIT`] calls to this API in this second.
    Qps,
    /// The organisation used its edition's metered calls for this month.
    MonthlyQuota,
}

impl Refusal {
    /// DingTalk's answer on a host.
    pub fn response(self, host: Host) -> Response {
        match self {
            Self::Qps => host.legacy_or_v1(QPS_LEGACY, QPS_V1),
            Self::MonthlyQuota => host.legacy_or_v1(QUOTA_LEGACY, QUOTA_V1),
        }
    }
}

/// A fault rule: what to do to the calls matching a method and a path.
///
/// `path` is exact (`/gettoken`) or a prefix ending in `*` (`/topapi/*`, `/v1.0/workflow/*`); it is matched against
/// the request's literal path. When several rules match a call the oldest applies. Effects, in order: `latencyMs`
/// (a real-time delay before handling), then one of `htmlBan`, system busy (with probability `errorRate`) or
/// `commitThenTimeoutMs`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// The HTTP method to match (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The exact path, or a prefix ending in `*`.
    pub path: String,
    /// Probability (0..=1) of answering DingTalk's "system busy" instead of handling the call; 1 and 0 are exact,
    /// fractions draw from the seeded dice (`POST /_emulator/faults/seed`).
    #[serde(default)]
    pub error_rate: f64,
    /// Real-time delay before handling, in ms.
    #[serde(default)]
    pub latency_ms: u64,
    /// Handle the call (its effects stay), then hold the answer this many ms and close the connection without
    /// answering: the client times out not knowing the call succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_then_timeout_ms: Option<u64>,
    /// Answer the IP-ban HTML page instead of handling the call (server-api.md §1.4), with [`HTML_BAN_STATUS`].
    #[serde(default)]
    pub html_ban: bool,
    /// Answer as DingTalk answers an app that lacks the permission for this API (an admin revoked it, or it was
    /// never granted): legacy errcode 88 / sub_code 60011, v1.0 403 `AccessTokenPermissionDenied`.
    #[serde(default)]
    pub permission_denied: bool,
    /// Apply to the next N matching calls only, then expire (forever when absent). A matching call uses one up
    /// whether or not `errorRate` fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule on `path` (any method) with no effect yet; set effects with struct update syntax.
    pub fn on(path: impl Into<String>) -> Self {
        Self { path: path.into(), ..Self::default() }
    }

    fn validate(&self) -> Result<(), String> {
        if !self.path.starts_with('/') {
            return Err(format!("path must start with '/': {:?}", self.path));
        }
        if self.path[..self.path.len() - 1].contains('*') {
            return Err(format!("'*' is only allowed at the end of a path: {:?}", self.path));
        }
        if let Some(method) = &self.method
            && Method::from_bytes(method.to_ascii_uppercase().as_bytes()).is_err()
        {
            return Err(format!("not an HTTP method: {method:?}"));
        }
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(format!("errorRate must be within 0..=1, got {}", self.error_rate));
        }
        if self.times == Some(0) {
            return Err("times must be at least 1 (omit it for a lasting rule)".into());
        }
        let effects = [
            self.error_rate > 0.0,
            self.latency_ms > 0,
            self.commit_then_timeout_ms.is_some(),
            self.html_ban,
            self.permission_denied,
        ];
        if effects.iter().filter(|e| **e).count() == 0 {
            return Err(
                "a rule needs an effect: errorRate, latencyMs, commitThenTimeoutMs, htmlBan or permissionDenied".into(),
            );
        }
        let answers = [self.html_ban, self.commit_then_timeout_ms.is_some(), self.permission_denied];
        if answers.iter().filter(|e| **e).count() > 1 {
            return Err("htmlBan, commitThenTimeoutMs and permissionDenied exclude each other".into());
        }
        Ok(())
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        let method_ok = self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()));
        let path_ok = match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == self.path,
        };
        method_ok && path_ok
    }
}

/// A fault rule in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveFault {
    /// Its id, in the order rules were added.
    pub id: u64,
    /// The rule as given.
    pub rule: FaultRule,
    /// Matching calls left before it expires (`None`: it does not expire).
    pub remaining: Option<u32>,
}

/// What a fault rule does to one call, dice already thrown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fault {
    /// Delay before handling.
    pub latency: Duration,
    /// Answer the IP-ban page.
    pub html_ban: bool,
    /// Answer "system busy".
    pub system_busy: bool,
    /// Answer "no permission for this API".
    pub permission_denied: bool,
    /// Handle, then hold the answer this long and drop the connection.
    pub commit_then_timeout: Option<Duration>,
}

/// Faults applied to approval events before delivery (to HTTP push and Stream alike). Rates are probabilities
/// (0..=1; 1 and 0 exact, fractions from the seeded dice).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventFaults {
    /// Probability that an event is never delivered.
    #[serde(default)]
    pub drop: f64,
    /// Probability that an event is delivered twice (same `eventId`, as DingTalk's redelivery).
    #[serde(default)]
    pub duplicate: f64,
    /// Probability that an event is held back and delivered right after the next published one. At most one event
    /// (with its duplicate) is held at a time; a held event is also released when event faults are set again.
    #[serde(default)]
    pub reorder: f64,
    /// Real-time delay of every delivery, in ms; order is kept.
    #[serde(default)]
    pub delay_ms: u64,
}

impl EventFaults {
    fn validate(&self) -> Result<(), String> {
        for (name, rate) in [("drop", self.drop), ("duplicate", self.duplicate), ("reorder", self.reorder)] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be within 0..=1, got {rate}"));
            }
        }
        Ok(())
    }

    /// What to deliver, in order, when `event` is published: it may be dropped, doubled or held back, and an event
    /// held back earlier comes out after it.
    pub(crate) fn shape(&self, rng: &mut StdRng, held: &mut Vec<Event>, event: Event) -> Vec<Event> {
        let released = std::mem::take(held);
        let mut out = Vec::new();
        if !roll(rng, self.drop) {
            let copies = if roll(rng, self.duplicate) { 2 } else { 1 };
            let units = vec![event; copies];
            if released.is_empty() && roll(rng, self.reorder) {
                *held = units;
            } else {
                out = units;
            }
        }
        out.extend(released);
        out
    }
}

/// True with probability `p`; 0 and 1 are exact (the dice yield `[0, 1)`), and 0 throws no die.
fn roll(rng: &mut StdRng, p: f64) -> bool {
    p > 0.0 && rng.random::<f64>() < p
}

/// The seeded dice of both HTTP and event faults.
pub(crate) fn dice(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Calls to one API in one second of the emulator's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecondCalls {
    /// Unix second.
    pub second: i64,
    /// Calls admitted (handled).
    pub calls: u32,
    /// Calls refused by the QPS limit or the monthly quota.
    pub refused: u32,
}

/// The counters of one API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiCalls {
    /// HTTP method.
    pub method: String,
    /// Route (path parameters normalised).
    pub path: String,
    /// Whether the API counts toward the monthly quota.
    pub metered: bool,
    /// Calls admitted this month.
    pub month_calls: u64,
    /// The most calls admitted in one second, over the kept history.
    pub peak_per_second: u32,
    /// Per second, oldest first (seconds without calls are absent; the last [`SECONDS_KEPT`] are kept).
    pub seconds: Vec<SecondCalls>,
}

/// Answer of `GET /_emulator/calls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallCounts {
    /// The organisation's edition.
    pub edition: Edition,
    /// The current month in UTC+8, `YYYY-MM`.
    pub month: String,
    /// Metered calls admitted this month.
    pub metered_calls: u64,
    /// The edition's monthly limit (`None`: unlimited).
    pub monthly_limit: Option<u64>,
    /// Calls per second per app per API.
    pub qps_limit: u32,
    /// Every API called since the last reset, by path then method.
    pub apis: Vec<ApiCalls>,
}

#[derive(Default)]
struct ApiCounter {
    seconds: BTreeMap<i64, SecondCalls>,
    month_calls: u64,
}

struct Inner {
    edition: Edition,
    month: Option<(i32, u8)>,
    metered: u64,
    apis: HashMap<(String, String), ApiCounter>,
    rules: Vec<ActiveFault>,
    next_rule_id: u64,
    rng: StdRng,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            edition: Edition::default(),
            month: None,
            metered: 0,
            apis: HashMap::new(),
            rules: Vec::new(),
            next_rule_id: 1,
            rng: dice(DEFAULT_SEED),
        }
    }
}

impl Inner {
    /// Starts a new month's counts when the clock entered another month.
    fn roll_month(&mut self, now_ms: i64) {
        let month = month_of(now_ms);
        if self.month != Some(month) {
            self.month = Some(month);
            self.metered = 0;
            self.apis.values_mut().for_each(|api| api.month_calls = 0);
        }
    }
}

/// The calendar month (year, month) in UTC+8 of a time on the emulator's clock.
fn month_of(now_ms: i64) -> (i32, u8) {
    let utc = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let local = utc.to_offset(time::macros::offset!(+8));
    (local.year(), u8::from(local.month()))
}

/// Counters, quota and fault rules.
#[derive(Default)]
pub struct Limits {
    inner: Mutex<Inner>,
}

impl Limits {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets counters and fault rules, puts the edition back to standard and re-seeds the dice.
    pub fn reset(&self) {
        *self.lock() = Inner::default();
    }

    /// Counts a call to `method route` at `now_ms`, or refuses it (QPS first, then the monthly quota).
    pub fn count(&self, now_ms: i64, method: &str, route: &str) -> Result<(), Refusal> {
        let mut inner = self.lock();
        inner.roll_month(now_ms);
        let metered = !is_exempt(route);
        let over_quota = metered && inner.edition.monthly_limit().is_some_and(|limit| inner.metered >= limit);
        let second = now_ms.div_euclid(1000);
        let api = inner.apis.entry((route.to_owned(), method.to_owned())).or_default();
        let slot = api.seconds.entry(second).or_insert(SecondCalls { second, calls: 0, refused: 0 });
        let verdict = if slot.calls >= QPS_LIMIT {
            Err(Refusal::Qps)
        } else if over_quota {
            Err(Refusal::MonthlyQuota)
        } else {
            Ok(())
        };
        match verdict {
            Ok(()) => {
                slot.calls += 1;
                api.month_calls += 1;
            }
            Err(_) => slot.refused += 1,
        }
        if api.seconds.len() > SECONDS_KEPT {
            api.seconds.pop_first();
        }
        if verdict.is_ok() && metered {
            inner.metered += 1;
        }
        verdict
    }

    /// The counters as of `now_ms` (a new month shows zero month totals).
    pub fn counts(&self, now_ms: i64) -> CallCounts {
        let mut inner = self.lock();
        inner.roll_month(now_ms);
        let (year, month) = month_of(now_ms);
        let mut apis: Vec<ApiCalls> = inner
            .apis
            .iter()
            .map(|((path, method), counter)| ApiCalls {
                method: method.clone(),
                path: path.clone(),
                metered: !is_exempt(path),
                month_calls: counter.month_calls,
                peak_per_second: counter.seconds.values().map(|s| s.calls).max().unwrap_or(0),
                seconds: counter.seconds.values().copied().collect(),
            })
            .collect();
        apis.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
        CallCounts {
            edition: inner.edition,
            month: format!("{year:04}-{month:02}"),
            metered_calls: inner.metered,
            monthly_limit: inner.edition.monthly_limit(),
            qps_limit: QPS_LIMIT,
            apis,
        }
    }

    /// Sets the organisation's edition (the month's count so far stays).
    pub fn set_edition(&self, edition: Edition) {
        self.lock().edition = edition;
    }

    /// Adds a fault rule after checking it.
    pub fn add_fault(&self, rule: FaultRule) -> Result<ActiveFault, String> {
        rule.validate()?;
        let mut inner = self.lock();
        let id = inner.next_rule_id;
        inner.next_rule_id += 1;
        let active = ActiveFault { id, remaining: rule.times, rule };
        inner.rules.push(active.clone());
        Ok(active)
    }

    /// The fault rules in force, oldest first.
    pub fn faults(&self) -> Vec<ActiveFault> {
        self.lock().rules.clone()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.lock().rules.clear();
    }

    /// Re-seeds the dice of HTTP faults.
    pub fn seed(&self, seed: u64) {
        self.lock().rng = dice(seed);
    }

    /// The fault for a call, if a rule matches: uses one of the rule's `times` and throws its dice.
    pub fn fault_for(&self, method: &Method, path: &str) -> Option<Fault> {
        let mut inner = self.lock();
        let index = inner.rules.iter().position(|active| active.rule.matches(method, path))?;
        let rule = inner.rules[index].rule.clone();
        let expired = match &mut inner.rules[index].remaining {
            Some(left) => {
                *left -= 1;
                *left == 0
            }
            None => false,
        };
        if expired {
            inner.rules.remove(index);
        }
        let system_busy = !rule.html_ban && roll(&mut inner.rng, rule.error_rate);
        Some(Fault {
            latency: Duration::from_millis(rule.latency_ms),
            html_ban: rule.html_ban,
            system_busy,
            permission_denied: rule.permission_denied,
            commit_then_timeout: rule.commit_then_timeout_ms.map(Duration::from_millis),
        })
    }
}

/// The route a request matched (path parameters normalised), or its literal path under a catch-all.
fn route_of(req: &Request) -> String {
    match req.extensions().get::<MatchedPath>() {
        Some(matched) if !matched.as_str().contains("{*") => matched.as_str().to_owned(),
        _ => req.uri().path().to_owned(),
    }
}

/// The middleware in front of DingTalk's hosts: fault rules, the QPS window and the monthly quota.
pub async fn enforce(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let host = Host::of(&path);
    let route = route_of(&req);
    let method = req.method().clone();
    let fault = shared.limits.fault_for(&method, &path).unwrap_or_default();
    if !fault.latency.is_zero() {
        tokio::time::sleep(fault.latency).await;
    }
    if fault.html_ban {
        return ban_page();
    }
    if let Err(refusal) = shared.limits.count(shared.clock.now_ms(), method.as_str(), &route) {
        return refusal.response(host);
    }
    if fault.system_busy {
        return host.legacy_or_v1(BUSY_LEGACY, BUSY_V1);
    }
    if fault.permission_denied {
        return match host {
            Host::Legacy => crate::oapi::fail_with_sub(88, NO_PERMISSION_SUB.0, NO_PERMISSION_SUB.1).into_response(),
            Host::V1 => crate::api::api_error(NO_PERMISSION_V1.0, NO_PERMISSION_V1.1, NO_PERMISSION_V1.2),
        };
    }
    let response = next.run(req).await;
    match fault.commit_then_timeout {
        Some(hold) => {
            drop(response);
            tokio::time::sleep(hold).await;
            dropped_connection()
        }
        None => response,
    }
}

/// The IP-ban page: HTML where JSON was expected, carrying the fields DingTalk documents for the JSON variant.
fn ban_page() -> Response {
    let uuid = crate::state::random_string(32).to_lowercase();
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>访问被拒绝</title></head>\n<body>\n\
         <h1>访问被拒绝</h1>\n<p>当前IP调用过于频繁，已被禁止访问，请 5 分钟后重试。</p>\n\
         <p>status: 1111 · wait: 5 · source: x5 · punish: deny · uuid: {uuid}</p>\n</body></html>\n"
    );
    (HTML_BAN_STATUS, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

/// A response whose body fails at once: the server closes the connection before a byte of it is written, so the
/// client sees the connection drop without an answer.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("commit-then-timeout fault: answer withheld"))
    });
    Response::new(Body::from_stream(failing))
}

/// Control routes for limits and faults: `GET /_emulator/calls`, `POST /_emulator/edition`,
/// `GET|POST /_emulator/faults`, `POST /_emulator/faults/clear`, `POST /_emulator/faults/seed`,
/// `GET|POST /_emulator/event-faults`.
pub fn control_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/calls", get(calls))
        .route("/_emulator/edition", post(set_edition))
        .route("/_emulator/faults", get(list_faults).post(add_fault))
        .route("/_emulator/faults/clear", post(clear_faults))
        .route("/_emulator/faults/seed", post(seed))
        .route("/_emulator/event-faults", get(event_faults).post(set_event_faults))
}

/// Decodes a control body; the error is serde's reason (unknown fields included).
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

/// A control answer: the value, or `400 badRequest` with the reason.
fn answer<T: Serialize>(result: Result<T, String>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(reason) => control_error(StatusCode::BAD_REQUEST, "badRequest", reason),
    }
}

async fn calls(State(shared): State<Arc<Shared>>) -> Json<CallCounts> {
    Json(shared.limits.counts(shared.clock.now_ms()))
}

/// Body of `POST /_emulator/edition`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetEdition {
    /// The new edition.
    pub edition: Edition,
}

async fn set_edition(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    answer(parse::<SetEdition>(&body).map(|req| {
        shared.limits.set_edition(req.edition);
        shared.limits.counts(shared.clock.now_ms())
    }))
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Json<Vec<ActiveFault>> {
    Json(shared.limits.faults())
}

async fn add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    answer(parse::<FaultRule>(&body).and_then(|rule| shared.limits.add_fault(rule)))
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    shared.limits.clear_faults();
    Json(json!({}))
}

/// Body of `POST /_emulator/faults/seed`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFaults {
    /// The seed of the dice of HTTP and event faults.
    pub seed: u64,
}

async fn seed(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    answer(parse::<SeedFaults>(&body).map(|req| {
        shared.limits.seed(req.seed);
        shared.events.seed(req.seed);
        json!({})
    }))
}

async fn event_faults(State(shared): State<Arc<Shared>>) -> Json<EventFaults> {
    Json(shared.events.faults())
}

async fn set_event_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    answer(parse::<EventFaults>(&body).and_then(|faults| {
        faults.validate()?;
        shared.events.set_faults(faults);
        Ok(faults)
    }))
}

impl Control {
    /// Per-API call counts per second and this month's totals.
    pub async fn calls(&self) -> Result<CallCounts, ControlCallError> {
        self.get("/_emulator/calls", &[]).await
    }

    /// Sets the organisation's edition (and so its monthly quota).
    pub async fn set_edition(&self, edition: Edition) -> Result<CallCounts, ControlCallError> {
        self.post("/_emulator/edition", &SetEdition { edition }).await
    }

    /// Adds a fault rule.
    pub async fn add_fault(&self, rule: &FaultRule) -> Result<ActiveFault, ControlCallError> {
        self.post("/_emulator/faults", rule).await
    }

    /// The fault rules in force.
    pub async fn faults(&self) -> Result<Vec<ActiveFault>, ControlCallError> {
        self.get("/_emulator/faults", &[]).await
    }

    /// Removes every fault rule.
    pub async fn clear_faults(&self) -> Result<(), ControlCallError> {
        let _: serde_json::Value = self.post("/_emulator/faults/clear", &json!({})).await?;
        Ok(())
    }

    /// Re-seeds the dice of HTTP and event faults.
    pub async fn seed_faults(&self, seed: u64) -> Result<(), ControlCallError> {
        let _: serde_json::Value = self.post("/_emulator/faults/seed", &SeedFaults { seed }).await?;
        Ok(())
    }

    /// Sets the event faults (all zero: none).
    pub async fn set_event_faults(&self, faults: EventFaults) -> Result<EventFaults, ControlCallError> {
        self.post("/_emulator/event-faults", &faults).await
    }

    /// The event faults in force.
    pub async fn event_faults(&self) -> Result<EventFaults, ControlCallError> {
        self.get("/_emulator/event-faults", &[]).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;
    use crate::events::EventType;

    /// 2024-02-01 00:00:00 in UTC+8.
    const FEB_1_2024_CST_MS: i64 = 1_706_716_800_000;

    #[test]
    fn the_twenty_first_call_in_a_second_is_refused_and_the_next_second_is_fresh() {
        let limits = Limits::default();
        let t = FEB_1_2024_CST_MS + 10_000;
        for i in 0..QPS_LIMIT {
            assert_eq!(limits.count(t + i64::from(i), "GET", "/gettoken"), Ok(()), "call {}", i + 1);
        }
        assert_eq!(limits.count(t + 999, "GET", "/gettoken"), Err(Refusal::Qps));
        assert_eq!(limits.count(t + 999, "POST", "/gettoken"), Ok(()), "another method is another API");
        assert_eq!(limits.count(t + 999, "GET", "/get_jsapi_ticket"), Ok(()), "another path is another API");
        assert_eq!(limits.count(t + 1_000, "GET", "/gettoken"), Ok(()));
        let counts = limits.counts(t + 1_000);
        let gettoken = counts.apis.iter().find(|a| a.path == "/gettoken" && a.method == "GET").unwrap();
        let seconds: Vec<_> = gettoken.seconds.iter().map(|s| (s.calls, s.refused)).collect();
        assert_eq!(seconds, [(20, 1), (1, 0)]);
        assert_eq!(gettoken.peak_per_second, 20);
        assert_eq!(gettoken.month_calls, 21);
    }

    #[test]
    fn the_quota_refuses_metered_calls_past_the_limit_until_the_next_month_in_utc8() {
        let limits = Limits::default();
        let start = FEB_1_2024_CST_MS - 3_600_000;
        for i in 0..5_000 {
            let now = start + i64::from(i) * 50;
            assert_eq!(limits.count(now, "POST", "/topapi/processinstance/get"), Ok(()), "call {}", i + 1);
        }
        let last_january_ms = FEB_1_2024_CST_MS - 1;
        assert_eq!(limits.count(last_january_ms, "GET", "/v1.0/workflow/processInstances"), Err(Refusal::MonthlyQuota));
        assert_eq!(limits.count(last_january_ms, "GET", "/gettoken"), Ok(()), "exempt APIs still work");
        assert_eq!(limits.counts(last_january_ms).metered_calls, 5_000);
        assert_eq!(limits.counts(last_january_ms).month, "2024-01");
        assert_eq!(limits.count(FEB_1_2024_CST_MS, "GET", "/v1.0/workflow/processInstances"), Ok(()));
        let february = limits.counts(FEB_1_2024_CST_MS);
        assert_eq!((february.month.as_str(), february.metered_calls), ("2024-02", 1));
    }

    #[test]
    fn editions_set_the_monthly_limit() {
        let limits = Limits::default();
        limits.set_edition(Edition::Exclusive);
        for i in 0..6_000 {
            assert_eq!(limits.count(FEB_1_2024_CST_MS + i * 50, "POST", "/topapi/processinstance/get"), Ok(()));
        }
        limits.set_edition(Edition::Standard);
        let now = FEB_1_2024_CST_MS + 6_000 * 50;
        assert_eq!(limits.count(now, "POST", "/topapi/processinstance/get"), Err(Refusal::MonthlyQuota));
        assert_eq!(Edition::Professional.monthly_limit(), Some(500_000));
    }

    #[test]
    fn exempt_routes_match_whatever_the_route_parameter_is_called() {
        assert!(is_exempt("/v1.0/oauth2/{corp_id}/token"));
        assert!(is_exempt("/topapi/v2/user/get"));
        assert!(!is_exempt("/topapi/v2/user/get/extra"));
        assert!(!is_exempt("/v1.0/workflow/processInstances"));
        assert!(!is_exempt("/v1.0/oauth2/{*rest}"));
    }

    #[test]
    fn a_rule_matches_by_method_and_exact_or_prefix_path_and_expires_after_times() {
        let limits = Limits::default();
        let get = Method::GET;
        limits
            .add_fault(FaultRule {
                method: Some("post".into()),
                error_rate: 1.0,
                times: Some(2),
                ..FaultRule::on("/topapi/*")
            })
            .unwrap();
        assert_eq!(limits.fault_for(&get, "/topapi/v2/user/get"), None, "method differs");
        assert_eq!(limits.fault_for(&Method::POST, "/gettoken"), None, "path differs");
        let busy = Some(Fault { system_busy: true, ..Fault::default() });
        assert_eq!(limits.fault_for(&Method::POST, "/topapi/v2/user/get"), busy);
        assert_eq!(limits.faults()[0].remaining, Some(1));
        assert_eq!(limits.fault_for(&Method::POST, "/topapi/v2/department/get"), busy);
        assert!(limits.faults().is_empty());
        assert_eq!(limits.fault_for(&Method::POST, "/topapi/v2/user/get"), None);

        limits.add_fault(FaultRule { latency_ms: 5, ..FaultRule::on("/gettoken") }).unwrap();
        assert_eq!(limits.fault_for(&get, "/gettoken/x"), None, "an exact path is exact");
        let slow = limits.fault_for(&get, "/gettoken").unwrap();
        assert_eq!((slow.latency, slow.system_busy), (Duration::from_millis(5), false));
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        let limits = Limits::default();
        let bad = [
            FaultRule { error_rate: 1.5, ..FaultRule::on("/gettoken") },
            FaultRule::on("/gettoken"),
            FaultRule { html_ban: true, ..FaultRule::on("gettoken") },
            FaultRule { html_ban: true, ..FaultRule::on("/top*api") },
            FaultRule { html_ban: true, times: Some(0), ..FaultRule::on("/gettoken") },
            FaultRule { html_ban: true, method: Some("GE T".into()), ..FaultRule::on("/gettoken") },
            FaultRule { html_ban: true, commit_then_timeout_ms: Some(1), ..FaultRule::on("/gettoken") },
        ];
        for rule in bad {
            assert!(limits.add_fault(rule.clone()).is_err(), "{rule:?} was accepted");
        }
        assert!(limits.faults().is_empty());
    }

    #[test]
    fn fractional_error_rates_follow_the_seed() {
        let pattern = |seed| {
            let limits = Limits::default();
            limits.seed(seed);
            limits.add_fault(FaultRule { error_rate: 0.5, ..FaultRule::on("/gettoken") }).unwrap();
            (0..64).map(|_| limits.fault_for(&Method::GET, "/gettoken").unwrap().system_busy).collect::<Vec<_>>()
        };
        let first = pattern(7);
        assert_eq!(first, pattern(7));
        assert_ne!(first, pattern(8));
        let busy = first.iter().filter(|b| **b).count();
        assert!((16..=48).contains(&busy), "{busy} of 64 at rate 0.5");
    }

    #[test]
    fn reset_forgets_counters_rules_and_edition() {
        let limits = Limits::default();
        limits.count(FEB_1_2024_CST_MS, "POST", "/topapi/x").unwrap();
        limits.set_edition(Edition::Exclusive);
        limits.add_fault(FaultRule { html_ban: true, ..FaultRule::on("/gettoken") }).unwrap();
        limits.reset();
        let counts = limits.counts(FEB_1_2024_CST_MS);
        assert_eq!((counts.edition, counts.metered_calls, counts.apis.len()), (Edition::Standard, 0, 0));
        assert!(limits.faults().is_empty());
    }

    #[test]
    fn the_month_is_the_calendar_month_in_utc8() {
        assert_eq!(month_of(FEB_1_2024_CST_MS), (2024, 2));
        assert_eq!(month_of(FEB_1_2024_CST_MS - 1), (2024, 1));
    }

    fn event(n: u32) -> Event {
        let mut data = Map::new();
        data.insert("n".into(), n.into());
        Event::new(EventType::InstanceChange, 0, "corp".into(), data)
    }

    fn shaped(faults: EventFaults, count: u32) -> Vec<u64> {
        let mut rng = dice(DEFAULT_SEED);
        let mut held = Vec::new();
        let mut out = Vec::new();
        for n in 1..=count {
            out.extend(faults.shape(&mut rng, &mut held, event(n)));
        }
        out.iter().map(|e| e.data["n"].as_u64().unwrap()).collect()
    }

    #[test]
    fn event_faults_drop_duplicate_and_swap_neighbours() {
        assert_eq!(shaped(EventFaults::default(), 3), [1, 2, 3]);
        assert_eq!(shaped(EventFaults { drop: 1.0, ..EventFaults::default() }, 3), Vec::<u64>::new());
        assert_eq!(shaped(EventFaults { duplicate: 1.0, ..EventFaults::default() }, 2), [1, 1, 2, 2]);
        assert_eq!(shaped(EventFaults { reorder: 1.0, ..EventFaults::default() }, 5), [2, 1, 4, 3]);
        let partly = EventFaults { drop: 0.3, duplicate: 0.3, reorder: 0.3, delay_ms: 0 };
        assert_eq!(shaped(partly, 40), shaped(partly, 40), "the same seed gives the same sequence");
    }
}
