//! Stream mode (events.md §3): a long-lived WebSocket on which DingTalk pushes events. The client opens a
//! connection (`POST /v1.0/gateway/connections/open`), hands each EVENT frame to the application's
//! [`EventHandler`], acks it with the handler's verdict, echoes `ping`, drains and reconnects on `disconnect`, and
//! reconnects with backoff after any other close or error.
//!
//! ```no_run
//! # async fn demo(dt: dingtalk_client::DingTalk) -> dingtalk_client::Result<()> {
//! use dingtalk_client::stream::StreamEvent;
//! let stream = dt.stream();
//! let shutdown = stream.shutdown_handle();
//! tokio::spawn(async move {
//!     let _ = tokio::signal::ctrl_c().await;
//!     shutdown.shutdown();
//! });
//! stream
//!     .run(|event: StreamEvent| async move {
//!         println!("{} {}", event.event_type, event.data);
//!         Ok::<_, std::convert::Infallible>(())
//!     })
//!     .await
//! # }
//! ```
//!
//! Decisions where DingTalk and its SDKs leave room:
//! - An event is acked only after its handler returned: `{"status":"SUCCESS"}` on `Ok`, `{"status":"LATER"}` with
//!   the error's text on `Err` or a panic, so DingTalk pushes it again (npm/Java SDK shape, events.md §3.3).
//! - Handlers run on their own tasks, so pings are echoed while a handler works; at most
//!   [`StreamClient::concurrency`] run at once (default 1, which keeps the order in which frames came). DingTalk
//!   does not promise an order across events anyway.
//! - Redelivery is not hidden by default: the same `eventId` may reach the handler again (after `LATER`, a lost
//!   ack, or DingTalk's own duplicates), so handlers must be idempotent. [`StreamClient::dedupe_recent`] turns on
//!   an in-memory filter: an eventId that this client acked SUCCESS recently is acked SUCCESS again without calling
//!   the handler, and a duplicate that arrives while the first copy is being handled gets the first copy's verdict.
//!   It saves work; it does not replace idempotency (it forgets on restart and knows one process only).
//! - On `disconnect` the client takes no new events, lets running handlers finish and sends their acks, closes,
//!   and opens a fresh connection at once (a ticket opens one connection, so each connect asks for a new one).
//! - After any other close or failure it waits [`Backoff`] (exponential, capped, jittered) and reconnects; the
//!   delay resets once a WebSocket handshake succeeds. Before reconnecting it always waits for running handlers,
//!   so one event is never handled twice at once by one client because of a reconnect.
//! - `connections/open` answering `authFailed`, `InvalidParameter` or `MissingParameter` ends [`StreamClient::run`]
//!   with that [`Error::Api`]: credentials and subscriptions do not fix themselves. Every other failure is retried.
//! - The client sends a WebSocket ping every [`StreamClient::keepalive`] (60 s, as the Python SDK) and treats a
//!   connection that received nothing at all over a whole period as dead.
//! - Only EVENT subscriptions are made; SYSTEM topics other than `ping` and `disconnect` and any CALLBACK frame are
//!   logged and ignored.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::events::{ApprovalEvent, EventType, UserLeaveOrg};
use crate::{DingTalk, Error, Result};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The `ua` sent with `connections/open`.
const UA: &str = concat!("shenpi-dingtalk-client/", env!("CARGO_PKG_VERSION"));
/// How long the WebSocket handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a handler's error text goes into a `LATER` ack.
const LATER_MESSAGE_CHARS: usize = 200;

/// One event pushed over Stream mode: the metadata from the frame headers and the business fields from `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvent {
    /// The event's id; the same on every redelivery.
    pub event_id: String,
    /// The event's type.
    pub event_type: EventType,
    /// When it happened (ms, `eventBornTime`).
    pub born_ms: i64,
    /// The organisation it happened in (`eventCorpId`).
    pub corp_id: String,
    /// The app's unified app id (`eventUnifiedAppId`), when sent.
    pub unified_app_id: Option<String>,
    /// This push's id; a redelivery has a new one.
    pub message_id: String,
    /// Every header of the frame, including ones this client does not know.
    pub headers: Map<String, Value>,
    /// The business fields (`data` parsed; the raw text as a JSON string if it was not JSON).
    pub data: Value,
}

impl StreamEvent {
    /// The event as an approval event; `Ok(None)` for other event types, [`Error::Decode`] when an approval
    /// event's fields do not match events.md §2.
    pub fn approval(&self) -> Result<Option<ApprovalEvent>> {
        Ok(match self.event_type {
            EventType::InstanceChange => Some(ApprovalEvent::Instance(Error::decode(&self.data.to_string())?)),
            EventType::TaskChange => Some(ApprovalEvent::Task(Error::decode(&self.data.to_string())?)),
            EventType::UserLeaveOrg | EventType::Other(_) => None,
        })
    }

    /// The event as `user_leave_org`; `Ok(None)` for other event types, [`Error::Decode`] when it names nobody.
    pub fn user_leave_org(&self) -> Result<Option<UserLeaveOrg>> {
        Ok(match self.event_type {
            EventType::UserLeaveOrg => Some(Error::decode(&self.data.to_string())?),
            _ => None,
        })
    }

    /// Builds the event from an EVENT frame; `None` without a messageId (nothing could be acked).
    fn from_frame(frame: Frame) -> Option<Self> {
        let header = |name: &str| frame.headers.get(name).and_then(Value::as_str).map(str::to_owned);
        let message_id = header("messageId")?;
        Some(Self {
            event_id: header("eventId").unwrap_or_default(),
            event_type: EventType::from(header("eventType").unwrap_or_default().as_str()),
            born_ms: header("eventBornTime").and_then(|t| t.parse().ok()).unwrap_or_default(),
            corp_id: header("eventCorpId").unwrap_or_default(),
            unified_app_id: header("eventUnifiedAppId"),
            message_id,
            data: frame.data_json(),
            headers: frame.headers,
        })
    }
}

/// What the application does with each event. Implemented for async closures `Fn(StreamEvent) -> Future<Output =
/// Result<(), E>>`.
pub trait EventHandler: Send + Sync + 'static {
    /// Why handling failed; its text goes into the `LATER` ack.
    type Error: Display + Send + 'static;

    /// Handles one event. `Ok` acks it SUCCESS; `Err` acks it LATER and DingTalk pushes it again.
    fn handle(&self, event: StreamEvent) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

impl<F, Fut, E> EventHandler for F
where
    F: Fn(StreamEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: Display + Send + 'static,
{
    type Error = E;

    fn handle(&self, event: StreamEvent) -> impl Future<Output = Result<(), E>> + Send {
        self(event)
    }
}

/// Reconnect delays: `initial`, doubled after each failure up to `max`; with `jitter`, each delay is drawn from
/// its upper half so that many clients do not reconnect in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay after the first failure.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
    /// Whether to randomise each delay within `[d/2, d]`.
    pub jitter: bool,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { initial: Duration::from_secs(1), max: Duration::from_secs(60), jitter: true }
    }
}

impl Backoff {
    /// The delay before retry number `failures` (0 for the first retry).
    pub fn delay(&self, failures: u32) -> Duration {
        let full = self.initial.saturating_mul(2u32.saturating_pow(failures.min(31))).min(self.max);
        if !self.jitter {
            return full;
        }
        let half = full / 2;
        let spread = u64::try_from((full - half).as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::rng().random_range(0..=spread))
    }
}

/// Stops a running [`StreamClient`] gracefully: no new events are read, running handlers finish and are acked, the
/// socket is closed and `run` returns `Ok(())`. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    /// Asks the client to stop; returns at once.
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

/// A Stream-mode client for one app. Configure it, take a [`ShutdownHandle`] if needed, then [`run`](Self::run) it.
#[derive(Debug)]
pub struct StreamClient {
    dt: DingTalk,
    topics: Vec<String>,
    backoff: Backoff,
    concurrency: usize,
    dedupe: usize,
    keepalive: Duration,
    shutdown: Arc<watch::Sender<bool>>,
}

impl DingTalk {
    /// A Stream-mode client subscribed to every event (`topic` `*`).
    pub fn stream(&self) -> StreamClient {
        StreamClient::new(self)
    }
}

impl StreamClient {
    /// A client subscribed to every event (`topic` `*`).
    pub fn new(dt: &DingTalk) -> Self {
        Self {
            dt: dt.clone(),
            topics: vec!["*".to_owned()],
            backoff: Backoff::default(),
            concurrency: 1,
            dedupe: 0,
            keepalive: Duration::from_secs(60),
            shutdown: Arc::new(watch::channel(false).0),
        }
    }

    /// Subscribes to these event types only (e.g. `["bpms_task_change"]`) instead of `*`.
    pub fn topics<I, S>(mut self, topics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// The reconnect delays; [`Backoff::default`] is 1 s doubling to 60 s, jittered.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// How many handlers may run at once (at least 1; default 1).
    pub fn concurrency(mut self, handlers: usize) -> Self {
        self.concurrency = handlers.max(1);
        self
    }

    /// Remembers the last `event_ids` eventIds acked SUCCESS and does not hand them to the handler again (0, the
    /// default, turns this off). See the module doc.
    pub fn dedupe_recent(mut self, event_ids: usize) -> Self {
        self.dedupe = event_ids;
        self
    }

    /// The WebSocket ping period; a connection silent for a whole period is taken as dead (default 60 s).
    pub fn keepalive(mut self, period: Duration) -> Self {
        self.keepalive = period.max(Duration::from_millis(10));
        self
    }

    /// A handle that stops [`run`](Self::run) gracefully.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown.clone())
    }

    /// Connects and hands events to `handler` until shut down (`Ok(())`) or until DingTalk refuses the credentials
    /// or subscriptions ([`Error::Api`]). Network failures and closes are retried without end.
    pub async fn run<H: EventHandler>(self, handler: H) -> Result<()> {
        let handler = Arc::new(handler);
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut shutdown = self.shutdown.subscribe();
        let mut recent = Recent::new(self.dedupe);
        let mut failures = 0;
        loop {
            if *shutdown.borrow_and_update() {
                return Ok(());
            }
            let problem = match self.connect().await {
                Ok(socket) => {
                    failures = 0;
                    let session = Session {
                        socket,
                        handler: handler.clone(),
                        permits: permits.clone(),
                        recent: &mut recent,
                        keepalive: self.keepalive,
                    };
                    match session.run(&mut shutdown).await {
                        End::Shutdown => return Ok(()),
                        End::Disconnected => continue,
                        End::Lost(reason) => reason,
                    }
                }
                Err(e) if is_fatal(&e) => return Err(e),
                Err(e) => e.to_string(),
            };
            if *shutdown.borrow() {
                return Ok(());
            }
            let delay = self.backoff.delay(failures);
            failures = failures.saturating_add(1);
            tracing::warn!(?delay, "stream: {problem}; reconnecting");
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => return Ok(()),
            }
        }
    }

    /// Opens a connection: a fresh ticket, then the WebSocket handshake.
    async fn connect(&self) -> Result<Socket> {
        let subscriptions: Vec<SubscriptionBody<'_>> =
            self.topics.iter().map(|topic| SubscriptionBody { kind: "EVENT", topic }).collect();
        let body = OpenRequest {
            client_id: &self.dt.inner.app_key,
            client_secret: &self.dt.inner.app_secret,
            subscriptions,
            ua: UA,
        };
        let opened: OpenResponse =
            self.dt.v1_send(Method::POST, "/v1.0/gateway/connections/open", None, &[], Some(&body)).await?;
        let mut url = url::Url::parse(&opened.endpoint)
            .map_err(|e| Error::Config(format!("bad Stream endpoint {:?}: {e}", opened.endpoint)))?;
        url.query_pairs_mut().append_pair("ticket", &opened.ticket);
        let handshake = tokio_tungstenite::connect_async(url.as_str());
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
            Ok(Ok((socket, _))) => Ok(socket),
            Ok(Err(e)) => Err(Error::WebSocket(Box::new(e))),
            Err(_) => Err(Error::WebSocket(Box::new(tokio_tungstenite::tungstenite::Error::Io(
                std::io::ErrorKind::TimedOut.into(),
            )))),
        }
    }
}

/// Whether `connections/open` said something no retry will change.
fn is_fatal(error: &Error) -> bool {
    matches!(error.api_code(), Some("authFailed" | "InvalidParameter" | "MissingParameter"))
        || matches!(error, Error::Config(_))
}

/// The body of `connections/open` (events.md §3.1). No `Debug`: it holds the secret.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenRequest<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    subscriptions: Vec<SubscriptionBody<'a>>,
    ua: &'a str,
}

#[derive(Serialize)]
struct SubscriptionBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    topic: &'a str,
}

#[derive(Deserialize)]
struct OpenResponse {
    endpoint: String,
    ticket: String,
}

/// A frame from DingTalk (events.md §3.2).
#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    data: Value,
}

impl Frame {
    fn topic(&self) -> &str {
        self.headers.get("topic").and_then(Value::as_str).unwrap_or_default()
    }

    /// `data` parsed: DingTalk sends a JSON document as a string.
    fn data_json(&self) -> Value {
        match &self.data {
            Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| self.data.clone()),
            other => other.clone(),
        }
    }
}

/// The verdict on one event.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Success,
    Later(String),
}

impl Verdict {
    /// The ack frame for the push `message_id` (events.md §3.3).
    fn ack(&self, message_id: &str) -> String {
        let data = match self {
            Verdict::Success => json!({ "status": "SUCCESS" }),
            Verdict::Later(message) => json!({ "status": "LATER", "message": message }),
        };
        json!({
            "code": 200,
            "headers": { "contentType": "application/json", "messageId": message_id },
            "message": "OK",
            "data": data.to_string(),
        })
        .to_string()
    }
}

/// The echo of a `ping`: the same headers and the same data (npm SDK, events.md §3.3).
fn echo(frame: &Frame) -> String {
    json!({ "code": 200, "headers": frame.headers, "message": "OK", "data": frame.data }).to_string()
}

/// The last eventIds acked SUCCESS, oldest first; capacity 0 remembers nothing.
struct Recent {
    capacity: usize,
    order: VecDeque<String>,
    ids: HashSet<String>,
}

impl Recent {
    fn new(capacity: usize) -> Self {
        Self { capacity, order: VecDeque::new(), ids: HashSet::new() }
    }

    fn enabled(&self) -> bool {
        self.capacity > 0
    }

    fn contains(&self, event_id: &str) -> bool {
        self.ids.contains(event_id)
    }

    fn insert(&mut self, event_id: &str) {
        if !self.enabled() || event_id.is_empty() || !self.ids.insert(event_id.to_owned()) {
            return;
        }
        self.order.push_back(event_id.to_owned());
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
    }
}

/// How a connection ended.
enum End {
    /// Shut down on request, after the running handlers were acked.
    Shutdown,
    /// DingTalk sent `disconnect`; running handlers were acked; reconnect at once.
    Disconnected,
    /// Closed or failed; reconnect after the backoff.
    Lost(String),
}

/// What the connection is doing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    /// `disconnect` came: no new events, still reading (pings, the close).
    Draining,
    /// Shutdown asked: no more reading at all.
    Stopping,
}

/// A handler's result, for the push it handled.
struct Handled {
    message_id: String,
    event_id: String,
    verdict: Verdict,
}

/// One WebSocket connection and the handlers running for it.
struct Session<'a, H: EventHandler> {
    socket: Socket,
    handler: Arc<H>,
    permits: Arc<Semaphore>,
    recent: &'a mut Recent,
    keepalive: Duration,
}

impl<H: EventHandler> Session<'_, H> {
    async fn run(mut self, shutdown: &mut watch::Receiver<bool>) -> End {
        let mut running: JoinSet<Handled> = JoinSet::new();
        // Which push each handler task serves, to ack it LATER if the task panics.
        let mut tasks: HashMap<tokio::task::Id, (String, String)> = HashMap::new();
        // With dedupe on: duplicates that came while the same eventId was being handled, by eventId.
        let mut waiting: HashMap<String, Vec<String>> = HashMap::new();
        let mut phase = Phase::Open;
        let mut lost: Option<String> = None;
        let mut heard = true;
        let mut keepalive = tokio::time::interval_at(Instant::now() + self.keepalive, self.keepalive);
        loop {
            if phase != Phase::Open && running.is_empty() {
                let _ = self.socket.close(None).await;
                return if phase == Phase::Stopping { End::Shutdown } else { End::Disconnected };
            }
            if let Some(reason) = &lost
                && running.is_empty()
            {
                // A close after `disconnect` is the one DingTalk announced: reconnect without waiting.
                return if phase == Phase::Draining { End::Disconnected } else { End::Lost(reason.clone()) };
            }
            let reading = phase != Phase::Stopping && lost.is_none();
            tokio::select! {
                incoming = self.socket.next(), if reading => {
                    heard = true;
                    let text = match incoming {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Close(frame))) => {
                            lost = Some(format!("DingTalk closed the connection ({frame:?})"));
                            continue;
                        }
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => {
                            lost = Some(format!("the connection failed: {e}"));
                            continue;
                        }
                        None => {
                            lost = Some("the connection ended".to_owned());
                            continue;
                        }
                    };
                    let Ok(frame) = serde_json::from_str::<Frame>(text.as_str()) else {
                        tracing::warn!("stream: unreadable frame: {text}");
                        continue;
                    };
                    match (frame.kind.as_str(), frame.topic()) {
                        ("SYSTEM", "ping") => self.send(echo(&frame)).await,
                        ("SYSTEM", "disconnect") => {
                            tracing::info!("stream: DingTalk asked to reconnect: {}", frame.data_json());
                            phase = Phase::Draining;
                        }
                        ("EVENT", _) if phase == Phase::Open => {
                            let Some(event) = StreamEvent::from_frame(frame) else {
                                tracing::warn!("stream: an EVENT frame without messageId: {text}");
                                continue;
                            };
                            self.take(event, &mut running, &mut tasks, &mut waiting).await;
                        }
                        (kind, topic) => tracing::debug!(kind, topic, "stream: frame ignored"),
                    }
                }
                done = running.join_next_with_id(), if !running.is_empty() => {
                    let handled = match done {
                        Some(Ok((id, handled))) => {
                            tasks.remove(&id);
                            handled
                        }
                        Some(Err(e)) => {
                            let Some((message_id, event_id)) = tasks.remove(&e.id()) else { continue };
                            Handled { message_id, event_id, verdict: Verdict::Later(format!("handler failed: {e}")) }
                        }
                        None => continue,
                    };
                    self.settle(handled, &mut waiting).await;
                }
                _ = keepalive.tick(), if reading => {
                    if !heard {
                        lost = Some(format!("nothing heard for {:?}", self.keepalive));
                        continue;
                    }
                    heard = false;
                    self.send_message(Message::Ping(Default::default())).await;
                }
                changed = shutdown.changed(), if phase != Phase::Stopping => {
                    if changed.is_err() || *shutdown.borrow() {
                        phase = Phase::Stopping;
                    }
                }
            }
        }
    }

    /// Starts the handler for an event, or answers it from the dedupe memory.
    async fn take(
        &mut self,
        event: StreamEvent,
        running: &mut JoinSet<Handled>,
        tasks: &mut HashMap<tokio::task::Id, (String, String)>,
        waiting: &mut HashMap<String, Vec<String>>,
    ) {
        if self.recent.enabled() && !event.event_id.is_empty() {
            if self.recent.contains(&event.event_id) {
                tracing::debug!(event_id = event.event_id, "stream: already handled; acked again");
                self.send(Verdict::Success.ack(&event.message_id)).await;
                return;
            }
            if let Some(duplicates) = waiting.get_mut(&event.event_id) {
                duplicates.push(event.message_id);
                return;
            }
            waiting.insert(event.event_id.clone(), Vec::new());
        }
        let handler = self.handler.clone();
        let permits = self.permits.clone();
        let (message_id, event_id) = (event.message_id.clone(), event.event_id.clone());
        let handle = running.spawn(async move {
            let (message_id, event_id) = (event.message_id.clone(), event.event_id.clone());
            // The semaphore is never closed; without a permit the handler runs anyway rather than never.
            let _permit = permits.acquire_owned().await.ok();
            let verdict = match handler.handle(event).await {
                Ok(()) => Verdict::Success,
                Err(e) => Verdict::Later(e.to_string().chars().take(LATER_MESSAGE_CHARS).collect()),
            };
            Handled { message_id, event_id, verdict }
        });
        tasks.insert(handle.id(), (message_id, event_id));
    }

    /// Acks a handled push, and any duplicates that waited for it.
    async fn settle(&mut self, handled: Handled, waiting: &mut HashMap<String, Vec<String>>) {
        if let Verdict::Later(reason) = &handled.verdict {
            tracing::warn!(event_id = handled.event_id, "stream: handler failed, acked LATER: {reason}");
        } else {
            self.recent.insert(&handled.event_id);
        }
        self.send(handled.verdict.ack(&handled.message_id)).await;
        for message_id in waiting.remove(&handled.event_id).unwrap_or_default() {
            self.send(handled.verdict.ack(&message_id)).await;
        }
    }

    async fn send(&mut self, text: String) {
        self.send_message(Message::Text(text.into())).await;
    }

    /// Sends a message; a failure shows up as the next read's error, so it is only logged here.
    async fn send_message(&mut self, message: Message) {
        if let Err(e) = self.socket.send(message).await {
            tracing::debug!("stream: send failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_stays_in_the_upper_half() {
        let fixed = Backoff { initial: Duration::from_millis(100), max: Duration::from_secs(1), jitter: false };
        let delays: Vec<u128> = (0..6).map(|n| fixed.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(fixed.delay(u32::MAX), Duration::from_secs(1));
        let jittered = Backoff { jitter: true, ..fixed };
        for _ in 0..50 {
            let d = jittered.delay(2);
            assert!(d >= Duration::from_millis(200) && d <= Duration::from_millis(400), "{d:?}");
        }
    }

    #[test]
    fn acks_carry_the_push_id_and_the_status_as_a_json_string() {
        let ack: Value = serde_json::from_str(&Verdict::Later("db down".into()).ack("m-1")).unwrap();
        assert_eq!(ack["code"], 200);
        assert_eq!(ack["headers"]["messageId"], "m-1");
        let data: Value = serde_json::from_str(ack["data"].as_str().unwrap()).unwrap();
        assert_eq!(data, json!({ "status": "LATER", "message": "db down" }));
    }

    #[test]
    fn the_dedupe_memory_forgets_the_oldest() {
        let mut recent = Recent::new(2);
        for id in ["a", "b", "a", "c"] {
            recent.insert(id);
        }
        assert!(!recent.contains("a") && recent.contains("b") && recent.contains("c"));
        let mut off = Recent::new(0);
        off.insert("a");
        assert!(!off.contains("a"));
    }

    #[test]
    fn an_event_frame_becomes_a_stream_event() {
        let frame: Frame = serde_json::from_value(json!({
            "specVersion": "1.0", "type": "EVENT",
            "headers": { "messageId": "m-1", "eventId": "e-1", "eventType": "bpms_task_change",
                         "eventBornTime": "1700000000000", "eventCorpId": "ding1", "x-new": "kept" },
            "data": "{\"processInstanceId\":\"pi-1\",\"type\":\"start\"}",
        }))
        .unwrap();
        let event = StreamEvent::from_frame(frame).unwrap();
        assert_eq!(event.event_type, EventType::TaskChange);
        assert_eq!(event.born_ms, 1_700_000_000_000);
        assert_eq!(event.headers["x-new"], "kept");
        assert_eq!(event.data["processInstanceId"], "pi-1");
        assert!(matches!(event.approval(), Ok(Some(ApprovalEvent::Task(_)))));
    }
}
