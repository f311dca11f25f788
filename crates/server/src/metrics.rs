//! The server's metrics and `GET /metrics`, in the OpenMetrics text format Prometheus scrapes: DingTalk calls per
//! API (heard from the client's [`CallObserver`]), the month's metered calls and their projection, our own `/api`
//! requests per route, active sessions, and the outbox's depth and the age of its oldest row.
//!
//! Decisions:
//! - One [`Metrics`] per [`crate::AppState`], with its own registry (no global recorder), so servers in one test
//!   process do not mix their numbers. Later parts (event lag) register their metrics in [`Metrics::new`] beside
//!   these, as fields of [`Metrics`].
//! - The outbox's depth and age are read from the store at scrape time, so every process of the app shows the same
//!   numbers and nothing has to keep them current in between. The age is that of the oldest row's request (when it
//!   arrived), not of its last try: a row that keeps failing grows old.
//! - `/metrics` is outside `/api` and not in the OpenAPI document. It is open unless `SHENPI_METRICS_TOKEN` is set;
//!   then it needs `Authorization: Bearer <token>`, since it names the APIs and routes in use.
//! - The month's metered calls are those this process sent since it started (or since the month began in UTC+8,
//!   whichever is later); the projection extends their rate over what this process observed to the month's end.
//!   Other processes of the same app are not seen.
//! - `route` is axum's matched route pattern (`/api/session`), never the raw path, so ids cannot grow the label set.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dingtalk_client::{Call, CallObserver};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::offset;

use crate::AppState;
use crate::auth::{IDLE_TIMEOUT_SECS, now};
use crate::store::{OutboxStats, StoreError};

/// The content type of the exposition.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Labels of one DingTalk API and how its call ended.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiOutcome {
    api: String,
    outcome: &'static str,
}

/// Labels of one DingTalk API.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Api {
    api: String,
}

/// Labels of one of our routes and its answer's status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: u16,
}

/// Labels of one of our routes.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

/// Every metric the server keeps, and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    dingtalk: Arc<DingTalkMetrics>,
    http_requests: Family<RouteStatus, Counter>,
    http_seconds: Family<Route, Histogram>,
    sessions_active: Gauge,
    outbox_rows: Gauge,
    outbox_oldest_age: Gauge<f64, AtomicU64>,
    events: EventMetrics,
}

// Event intake metrics (events.rs): one block, so other parts' metrics merge beside it.

/// Labels of an event received: its channel and whether it was new or a repeat of a stored one.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelOutcome {
    channel: &'static str,
    outcome: &'static str,
}

/// What the event intake reports.
struct EventMetrics {
    received: Family<ChannelOutcome, Counter>,
    lag: Histogram,
    pending: Gauge,
}

impl EventMetrics {
    fn register(registry: &mut Registry) -> Self {
        let events = Self {
            received: Family::default(),
            // 50 ms to about 27 minutes.
            lag: Histogram::new(exponential_buckets(0.05, 2.0, 16)),
            pending: Gauge::default(),
        };
        registry.register(
            "events_received",
            "DingTalk events received, per channel and outcome (new, or a duplicate of a stored event)",
            events.received.clone(),
        );
        registry.register_with_unit(
            "event_lag",
            "Time from an event's birth at DingTalk to its application to the index",
            Unit::Seconds,
            events.lag.clone(),
        );
        registry.register(
            "events_pending",
            "Stored events not applied yet (parked ones included)",
            events.pending.clone(),
        );
        events
    }
}

impl Metrics {
    /// Counts an event received on `channel`; `new` when it was not stored before.
    pub fn event_received(&self, channel: crate::events::Channel, new: bool) {
        let outcome = if new { "new" } else { "duplicate" };
        self.events.received.get_or_create(&ChannelOutcome { channel: channel.as_str(), outcome }).inc();
    }

    /// Records an event applied `lag` after its birth.
    pub fn event_applied(&self, lag: std::time::Duration) {
        self.events.lag.observe(lag.as_secs_f64());
    }

    /// Sets how many stored events are not applied yet.
    pub fn set_events_pending(&self, pending: u64) {
        self.events.pending.set(i64::try_from(pending).unwrap_or(i64::MAX));
    }
}

// End of the event intake metrics.

/// What the DingTalk client reports, counted.
pub struct DingTalkMetrics {
    calls: Family<ApiOutcome, Counter>,
    call_seconds: Family<Api, Histogram>,
    throttled: Family<Api, Counter>,
    limiter_wait: Family<Api, Counter<f64, AtomicU64>>,
    metered: MonthCount,
    metered_month: Gauge,
    metered_projected: Gauge<f64, AtomicU64>,
}

/// Latency buckets from 5 ms to about 10 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric under the `shenpi` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("shenpi");
        let dingtalk = DingTalkMetrics {
            calls: Family::default(),
            call_seconds: Family::new_with_constructor(latency_histogram),
            throttled: Family::default(),
            limiter_wait: Family::default(),
            metered: MonthCount::new(OffsetDateTime::now_utc()),
            metered_month: Gauge::default(),
            metered_projected: Gauge::default(),
        };
        let d = &dingtalk;
        registry.register("dingtalk_calls", "Requests sent to DingTalk, per API and outcome", d.calls.clone());
        registry.register_with_unit(
            "dingtalk_call",
            "Time from sending a DingTalk request to reading its answer",
            Unit::Seconds,
            d.call_seconds.clone(),
        );
        registry.register("dingtalk_throttled", "DingTalk calls refused for throttling", d.throttled.clone());
        registry.register_with_unit(
            "dingtalk_limiter_wait",
            "Time DingTalk calls waited for the client's rate limiter and throttling pauses",
            Unit::Seconds,
            d.limiter_wait.clone(),
        );
        registry.register(
            "dingtalk_metered_calls_month",
            "Calls this process sent this month (UTC+8) to APIs that count toward the monthly quota",
            d.metered_month.clone(),
        );
        registry.register(
            "dingtalk_metered_calls_projected_month",
            "The month's metered calls projected linearly to the month's end",
            d.metered_projected.clone(),
        );
        let http_requests = Family::<RouteStatus, Counter>::default();
        let http_seconds = Family::<Route, Histogram>::new_with_constructor(latency_histogram);
        let sessions_active = Gauge::default();
        registry.register("http_requests", "Requests to /api, per matched route and status", http_requests.clone());
        registry.register_with_unit(
            "http_request",
            "Time to answer requests to /api, per matched route",
            Unit::Seconds,
            http_seconds.clone(),
        );
        registry.register("sessions_active", "Login sessions neither expired nor idle", sessions_active.clone());
        let outbox_rows = Gauge::default();
        let outbox_oldest_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "outbox_rows",
            "Approval requests waiting in the outbox for delivery to DingTalk",
            outbox_rows.clone(),
        );
        registry.register_with_unit(
            "outbox_oldest_age",
            "How long ago the request of the oldest outbox row arrived; 0 when the outbox is empty",
            Unit::Seconds,
            outbox_oldest_age.clone(),
        );
        let events = EventMetrics::register(&mut registry);
        Self {
            registry,
            dingtalk: Arc::new(dingtalk),
            http_requests,
            http_seconds,
            sessions_active,
            events,
            outbox_rows,
            outbox_oldest_age,
        }
    }

    /// The observer to give the DingTalk client.
    pub fn dingtalk_observer(&self) -> Arc<dyn CallObserver> {
        self.dingtalk.clone()
    }

    /// The exposition of every metric, with the gauges that are computed on demand brought up to date (a reading
    /// the store could not give leaves its gauge as it was).
    fn render(&self, sessions_active: Option<u64>, outbox: Option<OutboxStats>) -> String {
        let now = OffsetDateTime::now_utc();
        let (count, projected) = self.dingtalk.metered.read(now);
        self.dingtalk.metered_month.set(i64::try_from(count).unwrap_or(i64::MAX));
        self.dingtalk.metered_projected.set(projected);
        if let Some(sessions) = sessions_active {
            self.sessions_active.set(i64::try_from(sessions).unwrap_or(i64::MAX));
        }
        if let Some(outbox) = outbox {
            self.outbox_rows.set(i64::try_from(outbox.rows).unwrap_or(i64::MAX));
            let age_ms = outbox.oldest_created_at.map_or(0, |at| (crate::auth::now_ms() - at).max(0));
            self.outbox_oldest_age.set(age_ms as f64 / 1000.0);
        }
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl CallObserver for DingTalkMetrics {
    fn observe(&self, call: &Call<'_>) {
        let api = Api { api: call.api.to_owned() };
        let outcome = ApiOutcome { api: api.api.clone(), outcome: call.outcome.class() };
        self.calls.get_or_create(&outcome).inc();
        self.call_seconds.get_or_create(&api).observe(call.elapsed.as_secs_f64());
        if !call.limiter_wait.is_zero() {
            self.limiter_wait.get_or_create(&api).inc_by(call.limiter_wait.as_secs_f64());
        }
        if matches!(call.outcome, dingtalk_client::Outcome::Throttled(_)) {
            self.throttled.get_or_create(&api).inc();
        }
        if call.metered {
            self.metered.add(OffsetDateTime::now_utc());
        }
    }
}

/// Bits of [`MonthCount`]'s word that hold the count; the month's index sits above them.
const COUNT_BITS: u32 = 40;

/// A count of events in the current calendar month in UTC+8, starting again at each month's start: the month's
/// index and the count share one atomic word, so adding is lock-free.
struct MonthCount {
    word: AtomicU64,
    /// When counting began (the process's start), for the projection.
    since: OffsetDateTime,
}

/// The month's index (months since year 0) in UTC+8.
fn month_index(at: OffsetDateTime) -> u64 {
    let local = at.to_offset(offset!(+8));
    u64::try_from(local.year()).unwrap_or(0) * 12 + u64::from(u8::from(local.month()) - 1)
}

/// The first instant of the month `at` is in (UTC+8), and of the next one.
fn month_bounds(at: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    let local = at.to_offset(offset!(+8));
    let first = local.replace_day(1).unwrap_or(local).replace_time(time::Time::MIDNIGHT);
    let next = match local.month() {
        time::Month::December => {
            first.replace_year(first.year() + 1).and_then(|d| d.replace_month(time::Month::January))
        }
        month => first.replace_month(month.next()),
    };
    (first, next.unwrap_or(first))
}

impl MonthCount {
    fn new(since: OffsetDateTime) -> Self {
        Self { word: AtomicU64::new(month_index(since) << COUNT_BITS), since }
    }

    /// Counts one event at `at`.
    fn add(&self, at: OffsetDateTime) {
        let month = month_index(at);
        let _ = self.word.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |word| {
            Some(match word >> COUNT_BITS == month {
                true => word + 1,
                false => (month << COUNT_BITS) | 1,
            })
        });
    }

    /// The count for the month `at` is in, and that count projected linearly to the month's end over the time
    /// observed (from the month's start or from `since`, whichever is later). Under a minute observed, the
    /// projection is the count itself.
    fn read(&self, at: OffsetDateTime) -> (u64, f64) {
        let word = self.word.load(Ordering::Relaxed);
        let count = match word >> COUNT_BITS == month_index(at) {
            true => word & ((1 << COUNT_BITS) - 1),
            false => 0,
        };
        let (start, end) = month_bounds(at);
        let observed_from = start.max(self.since);
        let observed = (at - observed_from).as_seconds_f64();
        let left = (end - at).as_seconds_f64().max(0.0);
        let projected = match observed >= 60.0 {
            true => count as f64 * (1.0 + left / observed),
            false => count as f64,
        };
        (count, projected)
    }
}

/// Counts each `/api` request under its matched route and status, and its latency.
pub async fn track_http(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    let status = response.status().as_u16();
    metrics.http_seconds.get_or_create(&Route { route: route.clone() }).observe(started.elapsed().as_secs_f64());
    metrics.http_requests.get_or_create(&RouteStatus { route, status }).inc();
    response
}

/// `GET /metrics`: the exposition, behind the bearer token when one is configured.
pub async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.settings.metrics_token_hash {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|token| Sha256::digest(token.trim().as_bytes()));
        // Comparing digests keeps the comparison's time independent of the token's prefix.
        if given.as_deref() != Some(expected.as_slice()) {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")]).into_response();
        }
    }
    let now = now();
    let sessions = reading(state.store.count_active_sessions(now, now - IDLE_TIMEOUT_SECS).await, "sessions");
    let outbox = reading(state.store.outbox_stats().await, "the outbox");
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], state.metrics.render(sessions, outbox)).into_response()
}

/// A reading from the store for a scrape; a failure is logged and leaves the gauge as it was.
fn reading<T>(result: Result<T, StoreError>, what: &str) -> Option<T> {
    result.inspect_err(|e| tracing::warn!(error = %e, "cannot read {what} for /metrics")).ok()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_month_count_starts_again_at_midnight_utc8_on_the_first() {
        let count = MonthCount::new(datetime!(2024-01-01 00:00 +8));
        count.add(datetime!(2024-01-31 15:59 UTC));
        count.add(datetime!(2024-01-31 15:59 UTC));
        assert_eq!(count.read(datetime!(2024-01-31 15:59:30 UTC)).0, 2);
        // 16:00 UTC is midnight of 1 February in UTC+8.
        assert_eq!(count.read(datetime!(2024-01-31 16:00 UTC)).0, 0, "a new month reads zero before any call");
        count.add(datetime!(2024-01-31 16:00 UTC));
        assert_eq!(count.read(datetime!(2024-02-02 00:00 UTC)).0, 1);
    }

    #[test]
    fn the_projection_extends_the_observed_rate_to_the_months_end() {
        // Counting since the month began: 100 calls in the first 10 of April's 30 days project to 300.
        let count = MonthCount::new(datetime!(2024-03-20 00:00 +8));
        for _ in 0..100 {
            count.add(datetime!(2024-04-05 00:00 +8));
        }
        let (n, projected) = count.read(datetime!(2024-04-11 00:00 +8));
        assert_eq!(n, 100);
        assert!((projected - 300.0).abs() < 1e-6, "{projected}");
        // Started on the 21st: 100 calls over 5 days, 5 days of the 30 left, project to 200.
        let late = MonthCount::new(datetime!(2024-04-21 00:00 +8));
        for _ in 0..100 {
            late.add(datetime!(2024-04-22 00:00 +8));
        }
        let (_, projected) = late.read(datetime!(2024-04-26 00:00 +8));
        assert!((projected - 200.0).abs() < 1e-6, "{projected}");
    }

    #[test]
    fn december_rolls_into_january() {
        let (start, end) = month_bounds(datetime!(2024-12-15 00:00 UTC));
        assert_eq!((start, end), (datetime!(2024-12-01 00:00 +8), datetime!(2025-01-01 00:00 +8)));
    }
}
