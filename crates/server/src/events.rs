//! Event intake: DingTalk's events as the server keeps them. The intake channels (Stream mode, the encrypted HTTP
//! callback) turn what they receive into a [`StoredEvent`], append it once per `event_id`, and hand it to
//! [`crate::index::apply`].
//!
//! How it fits together:
//! - Both channels only append (`Store::append_event`) and then answer DingTalk: over Stream the handler returns
//!   `Ok` (acked SUCCESS) only once the row is committed, so an ack always means the event is durable; over HTTP the
//!   encrypted `success` goes out after the commit. Any failure to store answers `LATER` (Stream) or 500 (HTTP), so
//!   DingTalk pushes the event again.
//! - An event is stored once per `event_id`, whichever channel brings it and however often: a repeat is not new and
//!   is answered as delivered.
//! - One applier task ([`spawn_events`]) takes unapplied events in `born_at` order and hands each to [`dispatch`]:
//!   `user_leave_org` to [`crate::auth::on_user_left`], every other type to [`crate::index::apply`]. A failed apply is tried again after a backoff
//!   that doubles from `SHENPI_EVENTS_BACKOFF_MS` (up to 300 times it); after `SHENPI_EVENTS_MAX_ATTEMPTS` failed
//!   attempts the event is parked with its last error and logged, so one poisoned event never holds up the others.
//!   The applier is woken when an event is appended and polls every `SHENPI_EVENTS_POLL_MS` as a fallback.
//!
//! The HTTP callback (`POST /dingtalk/events`, events.md §1), checked in this order:
//! 1. The signature (either spelling, `signature`/`msg_signature`, `timestamp`/`timeStamp`, and `nonce`) is
//!    verified and the body decrypted with the console's token and aesKey, receiveId = the AppKey. Failing that:
//!    400 (missing input, undecryptable) or 401 (signature mismatch), `callback_refused`, logged.
//! 2. The timestamp must be within ±5 minutes of the server's clock, else 401. DingTalk treats it as an opaque string
//!    and its official samples disagree (Java sends ms, Python seconds), so both are read: a value below 10^11 is
//!    seconds (10^11 ms is 1973, 10^11 s is the year 5138, so the two ranges never overlap for a real clock).
//! 3. The nonce rule. A signed request can only come from DingTalk (or whoever holds the token), so what the nonce
//!    guards against is a captured request being sent again. Nonces are remembered for 10 minutes (a request is
//!    acceptable for at most 10 minutes: its timestamp ±5), with the signature and event they first came with:
//!    - a new nonce is accepted;
//!    - the same nonce with the same signature is the very same request (DingTalk resending it unchanged, or a
//!      replay of it): it is accepted and answered `success`, and appending it again changes nothing, so a replay
//!      gains nothing and DingTalk's retry of an event already stored still gets its `success` (otherwise DingTalk
//!      would retry for ever);
//!    - the same nonce with another signature but the same `eventId` is DingTalk re-signing its retry of that event
//!      (a new timestamp): accepted likewise;
//!    - the same nonce with another signature and another event (or a `check_url`) is a replay: 409, logged.
//! 4. `check_url` is answered `success` with nothing stored; an event is appended, and the reply goes out. Applying
//!    happens later, in the applier, so the reply never waits for the index (DingTalk allows 1.5 s).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use dingtalk_client::crypto::{CallbackCrypto, PushBody, PushQuery};
use dingtalk_client::stream::{ShutdownHandle, StreamEvent};
use serde_json::{Map, Value};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::AppState;
use crate::error::{AppError, Refusal};
use crate::outbox::now_ms;
use crate::store::StoreError;

/// The channel an event arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Stream mode (WebSocket).
    Stream,
    /// The encrypted HTTP callback.
    Http,
}

impl Channel {
    /// The channel as stored and as a metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Stream => "stream",
            Channel::Http => "http",
        }
    }

    /// The channel [`Channel::as_str`] names.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "stream" => Some(Channel::Stream),
            "http" => Some(Channel::Http),
            _ => None,
        }
    }
}

/// One DingTalk event, whichever channel brought it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// DingTalk's id of the event: the same on every redelivery and on both channels.
    pub event_id: String,
    /// DingTalk's event type (`bpms_instance_change`, `bpms_task_change`, `user_leave_org`, ...).
    pub event_type: String,
    /// When it happened, Unix ms (`eventBornTime` / `EventTime`).
    pub born_at: i64,
    /// The organisation it happened in.
    pub corp_id: String,
    /// The business fields (events.md §2.2, §2.3): for HTTP, the plaintext without the metadata fields.
    pub data: Map<String, Value>,
    /// Where it came from first.
    pub channel: Channel,
}

/// The event types the Stream client subscribes to.
pub const STREAM_TOPICS: [&str; 3] = ["bpms_instance_change", "bpms_task_change", "user_leave_org"];
/// How far a callback's timestamp may be from the server's clock.
pub const TIMESTAMP_WINDOW_MS: i64 = 5 * 60 * 1000;
/// How long a callback's nonce is remembered: the longest a request stays acceptable (its timestamp ±5 minutes).
pub const NONCE_MEMORY_MS: i64 = 2 * TIMESTAMP_WINDOW_MS;
/// Timestamps below this are seconds, above it milliseconds (see the module doc).
const SECONDS_BELOW: i64 = 100_000_000_000;
/// Fields of an HTTP push's plaintext that are metadata, not business fields.
const HTTP_METADATA: [&str; 5] = ["EventType", "corpId", "CorpId", "EventTime", "eventId"];
/// Events the applier takes at once.
const BATCH: i64 = 50;
/// How many event ids the Stream client remembers to skip redeliveries it already acked.
const STREAM_DEDUPE: usize = 1024;

/// Which channels receive events (`SHENPI_EVENTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventsMode {
    /// Stream mode only (the default: no public URL needed).
    Stream,
    /// The HTTP callback only.
    Http,
    /// Both; each event is stored once whichever arrives first.
    Both,
    /// Neither: no events are received (the applier still applies what is stored).
    Off,
}

impl EventsMode {
    /// Whether the Stream client runs.
    pub fn stream(self) -> bool {
        matches!(self, EventsMode::Stream | EventsMode::Both)
    }

    /// Whether `POST /dingtalk/events` accepts pushes.
    pub fn http(self) -> bool {
        matches!(self, EventsMode::Http | EventsMode::Both)
    }
}

/// The intake's settings and the applier's wake-up bell.
#[derive(Debug)]
pub struct Intake {
    /// Which channels receive events.
    pub mode: EventsMode,
    /// The callback's crypto, when the HTTP callback is on.
    pub crypto: Option<CallbackCrypto>,
    /// How long the applier sleeps when not woken.
    pub poll: Duration,
    /// The first retry delay of a failed apply; doubled each time, up to 300 times this.
    pub backoff: Duration,
    /// Failed attempts after which an event is parked.
    pub max_attempts: i64,
    /// Rung when an event is appended.
    pub wake: Notify,
}

/// Stores `event` unless it is stored already, counts it, and wakes the applier; `true` when it was new.
pub async fn receive(state: &AppState, event: &StoredEvent) -> Result<bool, StoreError> {
    let new = state.store.append_event(event, now_ms()).await?;
    state.metrics.event_received(event.channel, new);
    if new {
        state.events.wake.notify_one();
    }
    Ok(new)
}

/// How the applier applies one event: [`crate::index::apply`], or a test's stand-in.
pub type ApplyFn =
    Arc<dyn Fn(AppState, StoredEvent) -> Pin<Box<dyn Future<Output = Result<(), AppError>> + Send>> + Send + Sync>;

/// The running intake: the applier and, in Stream mode, the Stream client. Dropping it stops both; [`Self::shutdown`]
/// also waits for them.
pub struct EventsHandle {
    stop: watch::Sender<bool>,
    stream: Option<ShutdownHandle>,
    tasks: Vec<JoinHandle<()>>,
}

impl EventsHandle {
    /// Stops the Stream client (running handlers finish and are acked) and the applier (after the event it is
    /// applying), and waits for both.
    pub async fn shutdown(mut self) {
        self.signal();
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }

    fn signal(&self) {
        self.stop.send_replace(true);
        if let Some(stream) = &self.stream {
            stream.shutdown();
        }
    }
}

impl Drop for EventsHandle {
    fn drop(&mut self) {
        self.signal();
    }
}

/// Starts the applier over [`dispatch`] and, when the mode says so, the Stream client.
pub fn spawn_events(state: AppState) -> EventsHandle {
    spawn_events_with(state, Arc::new(|state, event| Box::pin(async move { dispatch(&state, &event).await })))
}

/// Applies one stored event where its type belongs: someone leaving the organisation ends their sessions; approval
/// events (and types nobody handles) go to the index.
pub async fn dispatch(state: &AppState, event: &StoredEvent) -> Result<(), AppError> {
    match dingtalk_client::events::EventType::from(event.event_type.as_str()) {
        dingtalk_client::events::EventType::UserLeaveOrg => crate::auth::on_user_left(state, event).await,
        _ => crate::index::apply(state, event).await,
    }
}

/// [`spawn_events`] with another way to apply each event (tests use it to make applying fail).
pub fn spawn_events_with(state: AppState, apply: ApplyFn) -> EventsHandle {
    let (stop, stopped) = watch::channel(false);
    let mut tasks = vec![tokio::spawn(run_applier(state.clone(), apply, stopped))];
    let mut stream = None;
    if state.events.mode.stream() {
        let client = state.dingtalk.stream().topics(STREAM_TOPICS).dedupe_recent(STREAM_DEDUPE);
        stream = Some(client.shutdown_handle());
        let handler_state = state.clone();
        let handler = move |event: StreamEvent| {
            let state = handler_state.clone();
            async move { receive_stream(&state, event).await }
        };
        tasks.push(tokio::spawn(async move {
            if let Err(e) = client.run(handler).await {
                tracing::error!(error = %e, "Stream mode stopped: DingTalk refused the connection; no events arrive");
            }
        }));
    }
    EventsHandle { stop, stream, tasks }
}

/// The Stream handler: stores the event; `Ok` (acked SUCCESS) only once it is committed. A failure is logged here
/// and acked LATER with a fixed text, so no database detail reaches DingTalk.
async fn receive_stream(state: &AppState, event: StreamEvent) -> Result<(), &'static str> {
    if event.event_id.is_empty() {
        // Nothing could deduplicate it; acking SUCCESS keeps DingTalk from pushing it for ever.
        tracing::warn!(event_type = %event.event_type, "stream: an event without an eventId was dropped");
        return Ok(());
    }
    let data = match event.data {
        Value::Object(map) => map,
        other => Map::from_iter([("data".to_owned(), other)]),
    };
    let stored = StoredEvent {
        event_id: event.event_id,
        event_type: event.event_type.as_str().to_owned(),
        born_at: event.born_ms,
        corp_id: event.corp_id,
        data,
        channel: Channel::Stream,
    };
    match receive(state, &stored).await {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::error!(event_id = stored.event_id, error = %e, "stream: cannot store the event; acked LATER");
            Err("the event could not be stored")
        }
    }
}

/// The applier: applies due events until stopped.
async fn run_applier(state: AppState, apply: ApplyFn, mut stopped: watch::Receiver<bool>) {
    loop {
        if *stopped.borrow_and_update() {
            return;
        }
        if let Err(e) = apply_due(&state, &apply).await {
            tracing::warn!(error = %e, "events: cannot read or record due events; trying again");
        }
        match state.store.count_unapplied_events().await {
            Ok(pending) => state.metrics.set_events_pending(pending),
            Err(e) => tracing::warn!(error = %e, "events: cannot count unapplied events"),
        }
        tokio::select! {
            () = state.events.wake.notified() => {}
            () = tokio::time::sleep(state.events.poll) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// Applies every event due now, oldest `born_at` first, batch after batch.
async fn apply_due(state: &AppState, apply: &ApplyFn) -> Result<(), StoreError> {
    loop {
        let due = state.store.due_events(now_ms(), BATCH).await?;
        if due.is_empty() {
            return Ok(());
        }
        for record in due {
            let event = record.event;
            match apply(state.clone(), event.clone()).await {
                Ok(()) => {
                    let now = now_ms();
                    state.store.mark_event_applied(&event.event_id, now).await?;
                    state.metrics.event_applied(Duration::from_millis(u64::try_from(now - event.born_at).unwrap_or(0)));
                }
                Err(e) => {
                    let attempts = record.attempts + 1;
                    let error = e.to_string();
                    let retry_at =
                        (attempts < state.events.max_attempts).then(|| now_ms() + retry_delay(state, attempts));
                    match retry_at {
                        Some(_) => tracing::warn!(event_id = event.event_id, attempts, %error, "events: apply failed"),
                        None => tracing::error!(
                            event_id = event.event_id,
                            event_type = event.event_type,
                            attempts,
                            %error,
                            "events: apply failed too often; the event is parked and no longer tried"
                        ),
                    }
                    state.store.mark_event_failed(&event.event_id, &error, retry_at).await?;
                }
            }
        }
    }
}

/// The pause after the `attempts`-th failure, in ms.
fn retry_delay(state: &AppState, attempts: i64) -> i64 {
    let backoff = state.events.backoff;
    let delay = backoff.saturating_mul(2u32.saturating_pow(u32::try_from(attempts - 1).unwrap_or(0).min(31)));
    i64::try_from(delay.min(backoff.saturating_mul(300)).as_millis()).unwrap_or(i64::MAX)
}

/// `POST /dingtalk/events`: DingTalk's encrypted HTTP callback (see the module doc for the rules).
pub async fn callback(
    State(state): State<AppState>,
    query: Result<Query<PushQuery>, QueryRejection>,
    body: Bytes,
) -> Response {
    match handle_callback(&state, query, &body).await {
        Ok(reply) => reply,
        Err(e) => {
            if matches!(e, AppError::CallbackRefused(_)) {
                tracing::warn!(error = %e, "events: HTTP callback refused");
            }
            e.into_response()
        }
    }
}

async fn handle_callback(
    state: &AppState,
    query: Result<Query<PushQuery>, QueryRejection>,
    body: &[u8],
) -> Result<Response, AppError> {
    let Some(crypto) = state.events.crypto.as_ref().filter(|_| state.events.mode.http()) else {
        return Err(AppError::NotFound);
    };
    let Query(query) = query.map_err(|e| AppError::CallbackRefused(Refusal::Malformed(e.body_text())))?;
    let body: PushBody = serde_json::from_slice(body)
        .map_err(|e| AppError::CallbackRefused(Refusal::Malformed(format!("body is not {{\"encrypt\":...}}: {e}"))))?;
    let plaintext = crypto.open_push(&query, &body).map_err(|e| AppError::CallbackRefused(Refusal::Crypto(e)))?;
    // open_push succeeded, so all three are present.
    let signature = query.signature.as_deref().or(query.msg_signature.as_deref()).unwrap_or_default();
    let timestamp = query.timestamp.as_deref().or(query.time_stamp.as_deref()).unwrap_or_default();
    let nonce = query.nonce.as_deref().unwrap_or_default();
    let now = now_ms();
    let sent_at = timestamp_ms(timestamp).ok_or(AppError::CallbackRefused(Refusal::Stale))?;
    if (now - sent_at).abs() > TIMESTAMP_WINDOW_MS {
        return Err(AppError::CallbackRefused(Refusal::Stale));
    }
    let fields: Map<String, Value> = serde_json::from_str(&plaintext)
        .map_err(|e| AppError::CallbackRefused(Refusal::Malformed(format!("plaintext is not a JSON object: {e}"))))?;
    let event_type = fields.get("EventType").and_then(Value::as_str).unwrap_or_default().to_owned();
    let event_id = match event_type.as_str() {
        "check_url" => String::new(),
        _ => fields
            .get("eventId")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| AppError::CallbackRefused(Refusal::Malformed("the event has no eventId".into())))?
            .to_owned(),
    };
    if let Some(seen) = state.store.remember_nonce(nonce, signature, &event_id, now, now - NONCE_MEMORY_MS).await? {
        let same_request = seen.signature == signature;
        let same_event = !event_id.is_empty() && seen.event_id == event_id;
        if !same_request && !same_event {
            return Err(AppError::CallbackRefused(Refusal::Replayed));
        }
    }
    if !event_id.is_empty() {
        receive(state, &stored_of_push(event_id, event_type, fields)).await?;
    }
    let reply = crypto.success_reply().map_err(|e| AppError::CallbackRefused(Refusal::Crypto(e)))?;
    Ok(axum::Json(reply).into_response())
}

/// A callback timestamp in ms: seconds below [`SECONDS_BELOW`], milliseconds above.
fn timestamp_ms(text: &str) -> Option<i64> {
    let value: i64 = text.trim().parse().ok()?;
    Some(if value < SECONDS_BELOW { value.saturating_mul(1000) } else { value })
}

/// The event an HTTP push carries: the metadata fields taken out of its plaintext.
fn stored_of_push(event_id: String, event_type: String, mut fields: Map<String, Value>) -> StoredEvent {
    let corp_id =
        ["CorpId", "corpId"].iter().find_map(|k| fields.get(*k).and_then(Value::as_str)).unwrap_or_default().to_owned();
    let born_at = match fields.get("EventTime") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or_default(),
        Some(Value::String(s)) => s.parse().unwrap_or_default(),
        _ => 0,
    };
    for key in HTTP_METADATA {
        fields.remove(key);
    }
    StoredEvent { event_id, event_type, born_at, corp_id, data: fields, channel: Channel::Http }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_seconds_and_in_milliseconds_both_read_as_milliseconds() {
        assert_eq!(timestamp_ms("1700000000000"), Some(1_700_000_000_000));
        assert_eq!(timestamp_ms("1700000000"), Some(1_700_000_000_000));
        assert_eq!(timestamp_ms("soon"), None);
    }

    #[test]
    fn a_push_keeps_its_business_fields_and_lifts_its_metadata() {
        let fields = serde_json::json!({
            "EventType": "bpms_task_change", "corpId": "ding1", "CorpId": "ding1", "EventTime": 1_700_000_000_123_i64,
            "eventId": "e1", "processInstanceId": "pi", "type": "start"
        });
        let event = stored_of_push("e1".into(), "bpms_task_change".into(), fields.as_object().cloned().unwrap());
        assert_eq!((event.corp_id.as_str(), event.born_at, event.channel), ("ding1", 1_700_000_000_123, Channel::Http));
        assert_eq!(Value::Object(event.data), serde_json::json!({ "processInstanceId": "pi", "type": "start" }));
    }
}
