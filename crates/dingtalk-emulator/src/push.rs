//! HTTP push (events.md §1): the callback a developer registers in DingTalk's console, the `check_url` handshake,
//! encrypted and signed delivery of approval events, retries with backoff, and the list of failed pushes.
//!
//! Control routes:
//! - `POST /_emulator/callback {url, token, aesKey, retryDelaysMs?}` registers (after a successful `check_url`, as
//!   the console's verify button); the receiveId is the app's AppKey (events.md §1.3).
//! - `GET /_emulator/callback` shows the registration (never the token or aesKey), the queue and delivery stats.
//! - `DELETE /_emulator/callback` unregisters; events still waiting become failed pushes.
//! - `GET /_emulator/callback/failed` lists events whose retries ran out; `POST /_emulator/callback/failed/redeliver
//!   {eventIds?}` queues them (all, or the named ones) again.
//!
//! Retry policy (DingTalk does not document one, events.md §1.5, **unverified**): after a failed attempt the event
//! is tried again 1 s, 5 s, 30 s, 2 min, 10 min, 30 min and 1 h later, so 8 attempts over about 1 h 43 min, then it
//! is kept as failed, as DingTalk keeps failed pushes for its "list failed events" API. The delays are the
//! registration's `retryDelaysMs`, so tests can shrink them. Due times are on the emulator's clock, so advancing the
//! clock also brings retries forward. Every attempt, not only `check_url`, must be answered within 1500 ms (the
//! documented limit for `check_url`, applied to all pushes: **unverified**).
//!
//! Order: an event waits while an earlier event of the same approval instance (`processInstanceId`) is still
//! undelivered, so a receiver sees each instance's events in order; different instances are delivered in parallel,
//! and a slow or failing receiver never holds up the emulator's API.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dingtalk_client::crypto::{CallbackCrypto, CryptoError, PushBody, SealedMessage, random_alphanumeric};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, broadcast};

use crate::control::{Control, ControlCallError, control_error};
use crate::events::Event;
use crate::state::Shared;

/// How long DingTalk waits for the app's answer to a push (documented for `check_url`; used for every push).
pub const ANSWER_TIMEOUT: Duration = Duration::from_millis(1500);
/// The default pauses before each retry, in ms (see the module docs: the real policy is unverified).
pub const DEFAULT_RETRY_DELAYS_MS: [u64; 7] = [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000];
/// The plaintext of the console's verify push.
pub const CHECK_URL_PLAINTEXT: &str = r#"{"EventType":"check_url"}"#;
/// The longest the worker sleeps between looks at the queue, so clock advances and shutdown are noticed.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// The most retries a registration may ask for.
const MAX_RETRIES: usize = 50;

/// The registered callback, its delivery queue, the failed pushes and the counters.
pub struct Pusher {
    inner: Mutex<Inner>,
    wake: Arc<Notify>,
    http: reqwest::Client,
}

impl Default for Pusher {
    fn default() -> Self {
        // DingTalk calls the URL directly: no proxy from the environment, and a redirect is an answer, not a detour.
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self { inner: Mutex::new(Inner::default()), wake: Arc::new(Notify::new()), http }
    }
}

#[derive(Default)]
struct Inner {
    registration: Option<Registration>,
    /// Undelivered events in arrival order.
    queue: Vec<Pending>,
    failed: Vec<FailedPush>,
    stats: PushStats,
    /// Never reset, so an attempt still in flight across a reset cannot settle a newer entry.
    next_id: u64,
}

struct Registration {
    url: String,
    crypto: CallbackCrypto,
    retry_delays_ms: Vec<u64>,
    registered_ms: i64,
}

struct Pending {
    id: u64,
    event: Event,
    /// Events with the same key are delivered one after another.
    order_key: String,
    attempts: u32,
    due_ms: i64,
    in_flight: bool,
    last_error: Option<String>,
}

/// One delivery attempt, taken out of the queue to run without the lock.
struct Job {
    id: u64,
    url: String,
    crypto: CallbackCrypto,
    plaintext: String,
}

/// An event whose retries ran out (or that was waiting when the callback was unregistered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedPush {
    /// The event.
    pub event: Event,
    /// How many times delivery was tried.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: String,
    /// When it was given up, on the emulator's clock (ms).
    pub failed_ms: i64,
}

/// Delivery counters since the last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushStats {
    /// Attempts made, successful or not (the `check_url` handshake not counted).
    pub attempts: u64,
    /// Events the app acknowledged.
    pub delivered: u64,
    /// Attempts that failed.
    pub failed_attempts: u64,
    /// Why the latest failed attempt failed.
    pub last_error: Option<String>,
}

/// The registration as shown by `GET /_emulator/callback`: no token, no aesKey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationView {
    /// Where pushes go.
    pub url: String,
    /// What pushes are sealed for: the app's AppKey.
    pub receive_id: String,
    /// Pauses before each retry, in ms.
    pub retry_delays_ms: Vec<u64>,
    /// When it was registered, on the emulator's clock (ms).
    pub registered_ms: i64,
}

/// Answer of `GET /_emulator/callback` (and of a successful registration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackStatus {
    /// The registered callback, if any.
    pub registration: Option<RegistrationView>,
    /// Events not delivered yet (in flight or waiting for a retry).
    pub pending: usize,
    /// Events kept as failed.
    pub failed: usize,
    /// Counters.
    pub stats: PushStats,
}

/// Body of `POST /_emulator/callback`: what a developer types into the console's event subscription page.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterCallback {
    /// The app's callback URL.
    pub url: String,
    /// The console's "签名Token" (3 to 32 characters).
    pub token: String,
    /// The console's "加密aes_key" (43 characters).
    pub aes_key: String,
    /// Pauses before each retry, in ms; absent means [`DEFAULT_RETRY_DELAYS_MS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delays_ms: Option<Vec<u64>>,
}

impl std::fmt::Debug for RegisterCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterCallback")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .field("aes_key", &"<redacted>")
            .field("retry_delays_ms", &self.retry_delays_ms)
            .finish()
    }
}

impl RegisterCallback {
    /// A registration with the default retry schedule.
    pub fn new(url: impl Into<String>, token: impl Into<String>, aes_key: impl Into<String>) -> Self {
        Self { url: url.into(), token: token.into(), aes_key: aes_key.into(), retry_delays_ms: None }
    }

    /// Replaces the retry schedule: one pause per retry.
    pub fn retry_delays(mut self, delays: &[Duration]) -> Self {
        self.retry_delays_ms = Some(delays.iter().map(|d| d.as_millis() as u64).collect());
        self
    }
}

/// Body of `POST /_emulator/callback/failed/redeliver`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Redeliver {
    /// Which failed events to queue again; absent means all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ids: Option<Vec<String>>,
}

/// Answer of `POST /_emulator/callback/failed/redeliver`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Redelivered {
    /// How many failed events went back into the queue.
    pub requeued: usize,
}

/// Why one push was not acknowledged. The codes double as the control error codes of a refused registration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttemptError {
    /// The emulator could not seal the message (it is over 4 GiB).
    #[error("cannot seal the message: {0}")]
    Seal(CryptoError),
    /// No complete answer within [`ANSWER_TIMEOUT`].
    #[error("no answer within {} ms", ANSWER_TIMEOUT.as_millis())]
    Timeout,
    /// The URL could not be reached.
    #[error("cannot reach the callback URL: {0}")]
    Unreachable(String),
    /// The app answered with an HTTP status other than 200.
    #[error("the app answered HTTP {0}, not 200")]
    Status(u16),
    /// The answer is not `{"msg_signature","timeStamp","nonce","encrypt"}`.
    #[error("the answer is not the encrypted JSON reply {{msg_signature, timeStamp, nonce, encrypt}}: {0}")]
    BadReply(String),
    /// The reply's `msg_signature` does not verify with the registered token.
    #[error("the reply's msg_signature does not match (is the token right?)")]
    BadSignature,
    /// The reply's `encrypt` does not decrypt with the registered aesKey and the AppKey as receiveId.
    #[error("the reply's encrypt does not decrypt: {0} (code {code})", code = .0.code())]
    BadEncrypt(CryptoError),
    /// The reply decrypts to something other than `success`.
    #[error("the reply decrypts to {0:?}, not \"success\"")]
    NotSuccess(String),
}

impl AttemptError {
    /// A stable code for control errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Seal(_) => "callbackSealFailed",
            Self::Timeout => "callbackTimeout",
            Self::Unreachable(_) => "callbackUnreachable",
            Self::Status(_) => "callbackHttpStatus",
            Self::BadReply(_) => "callbackBadReply",
            Self::BadSignature => "callbackBadSignature",
            Self::BadEncrypt(_) => "callbackBadEncrypt",
            Self::NotSuccess(_) => "callbackNotSuccess",
        }
    }
}

impl Pusher {
    /// Forgets the registration, the queue, the failed pushes and the counters.
    pub fn reset(&self) {
        let mut inner = self.lock();
        let next_id = inner.next_id;
        *inner = Inner { next_id, ..Inner::default() };
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an event for delivery if a callback was registered when it happened (otherwise DingTalk had nowhere
    /// to send it).
    fn enqueue(&self, event: Event, now_ms: i64) {
        let mut inner = self.lock();
        if inner.registration.as_ref().is_none_or(|r| event.born_ms < r.registered_ms) {
            return;
        }
        inner.push_pending(event, now_ms);
        drop(inner);
        self.wake.notify_one();
    }

    /// Marks the ready events as in flight and hands them out; also says when the next waiting one is due.
    fn take_ready(&self, now_ms: i64) -> (Vec<Job>, Option<i64>) {
        let mut inner = self.lock();
        let Inner { registration: Some(reg), queue, .. } = &mut *inner else {
            return (Vec::new(), None);
        };
        let mut jobs = Vec::new();
        let mut next_due: Option<i64> = None;
        let mut seen = HashSet::new();
        for pending in queue.iter_mut() {
            // Only the oldest undelivered event of each instance may go.
            if !seen.insert(pending.order_key.clone()) || pending.in_flight {
                continue;
            }
            if pending.due_ms <= now_ms {
                pending.in_flight = true;
                jobs.push(Job {
                    id: pending.id,
                    url: reg.url.clone(),
                    crypto: reg.crypto.clone(),
                    plaintext: pending.event.http_plaintext().to_string(),
                });
            } else {
                next_due = Some(next_due.map_or(pending.due_ms, |due| due.min(pending.due_ms)));
            }
        }
        (jobs, next_due)
    }

    /// Records the outcome of an attempt: delivered, retry later, or failed for good.
    fn settle(&self, id: u64, outcome: Result<(), AttemptError>, now_ms: i64) {
        let mut inner = self.lock();
        // Gone means a reset or an unregistration happened meanwhile: the outcome no longer matters.
        let Some(index) = inner.queue.iter().position(|p| p.id == id) else {
            return;
        };
        inner.stats.attempts += 1;
        match outcome {
            Ok(()) => {
                inner.stats.delivered += 1;
                inner.queue.remove(index);
            }
            Err(error) => {
                let message = error.to_string();
                inner.stats.failed_attempts += 1;
                inner.stats.last_error = Some(message.clone());
                let delays = inner.registration.as_ref().map(|r| r.retry_delays_ms.clone()).unwrap_or_default();
                let pending = &mut inner.queue[index];
                pending.attempts += 1;
                pending.in_flight = false;
                pending.last_error = Some(message);
                match delays.get(pending.attempts as usize - 1) {
                    Some(delay) => pending.due_ms = now_ms + *delay as i64,
                    None => {
                        let pending = inner.queue.remove(index);
                        inner.fail(pending, now_ms);
                    }
                }
            }
        }
        drop(inner);
        self.wake.notify_one();
    }

    fn status(&self) -> CallbackStatus {
        let inner = self.lock();
        CallbackStatus {
            registration: inner.registration.as_ref().map(|r| RegistrationView {
                url: r.url.clone(),
                receive_id: r.crypto.receive_id().to_owned(),
                retry_delays_ms: r.retry_delays_ms.clone(),
                registered_ms: r.registered_ms,
            }),
            pending: inner.queue.len(),
            failed: inner.failed.len(),
            stats: inner.stats.clone(),
        }
    }
}

impl Inner {
    fn push_pending(&mut self, event: Event, now_ms: i64) {
        let id = self.next_id;
        self.next_id += 1;
        let order_key = match event.data.get("processInstanceId").and_then(|v| v.as_str()) {
            Some(instance) => format!("instance:{instance}"),
            None => format!("event:{}", event.event_id),
        };
        self.queue.push(Pending {
            id,
            event,
            order_key,
            attempts: 0,
            due_ms: now_ms,
            in_flight: false,
            last_error: None,
        });
    }

    fn fail(&mut self, pending: Pending, now_ms: i64) {
        let last_error = pending.last_error.unwrap_or_else(|| "never attempted".into());
        self.failed.push(FailedPush {
            event: pending.event,
            attempts: pending.attempts,
            last_error,
            failed_ms: now_ms,
        });
    }
}

/// Seals `plaintext`, POSTs it as DingTalk does and checks the app's encrypted `success` reply.
async fn attempt(
    http: &reqwest::Client,
    url: &str,
    crypto: &CallbackCrypto,
    plaintext: &str,
    now_ms: i64,
) -> Result<(), AttemptError> {
    let encrypt = crypto.encrypt(plaintext).map_err(AttemptError::Seal)?;
    let timestamp = now_ms.to_string();
    let nonce = random_alphanumeric(8);
    let signature = crypto.signature(&timestamp, &nonce, &encrypt);
    let exchange = async {
        let response = http
            .post(url)
            .query(&[("signature", &signature), ("timestamp", &timestamp), ("nonce", &nonce)])
            .json(&PushBody { encrypt })
            .send()
            .await
            .map_err(|e| AttemptError::Unreachable(error_chain(&e)))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| AttemptError::Unreachable(error_chain(&e)))?;
        Ok::<_, AttemptError>((status, body))
    };
    let (status, body) = tokio::time::timeout(ANSWER_TIMEOUT, exchange).await.map_err(|_| AttemptError::Timeout)??;
    if status != StatusCode::OK {
        return Err(AttemptError::Status(status.as_u16()));
    }
    let reply: SealedMessage = serde_json::from_slice(&body).map_err(|_| {
        let text = String::from_utf8_lossy(&body);
        let shown: String = text.chars().take(200).collect();
        AttemptError::BadReply(format!("got {shown:?}"))
    })?;
    crypto
        .verify(&reply.msg_signature, &reply.time_stamp, &reply.nonce, &reply.encrypt)
        .map_err(|_| AttemptError::BadSignature)?;
    let message = crypto.decrypt(&reply.encrypt).map_err(AttemptError::BadEncrypt)?;
    if message == "success" { Ok(()) } else { Err(AttemptError::NotSuccess(message)) }
}

/// A reqwest error with its causes, which say what actually went wrong (refused, DNS, ...).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Starts the delivery worker: one task feeds the queue from the event bus, one runs due attempts. Both hold the
/// shared state weakly and stop once the emulator is dropped.
pub fn spawn(shared: Arc<Shared>) {
    let rx = shared.events.subscribe();
    let wake = shared.push.wake.clone();
    tokio::spawn(intake(Arc::downgrade(&shared), rx));
    tokio::spawn(deliver(Arc::downgrade(&shared), wake));
}

async fn intake(shared: Weak<Shared>, mut rx: broadcast::Receiver<Event>) {
    loop {
        match rx.recv().await {
            Ok(event) => {
                let Some(shared) = shared.upgrade() else { return };
                shared.push.enqueue(event, shared.clock.now_ms());
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!("HTTP push fell behind the event bus and missed {missed} events");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn deliver(shared: Weak<Shared>, wake: Arc<Notify>) {
    loop {
        let wait = {
            let Some(shared) = shared.upgrade() else { return };
            let now_ms = shared.clock.now_ms();
            let (jobs, next_due) = shared.push.take_ready(now_ms);
            for job in jobs {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let outcome = attempt(&shared.push.http, &job.url, &job.crypto, &job.plaintext, now_ms).await;
                    shared.push.settle(job.id, outcome, shared.clock.now_ms());
                });
            }
            next_due.map_or(IDLE_POLL, |due| Duration::from_millis((due - now_ms).max(0) as u64).min(IDLE_POLL))
        };
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Control routes for HTTP push.
pub fn control_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/callback", get(show).post(register).delete(unregister))
        .route("/_emulator/callback/failed", get(failed))
        .route("/_emulator/callback/failed/redeliver", post(redeliver))
}

async fn show(State(shared): State<Arc<Shared>>) -> Json<CallbackStatus> {
    Json(shared.push.status())
}

/// Registers like the console: check the inputs, send `check_url`, keep the registration only if the app answered.
async fn register(State(shared): State<Arc<Shared>>, Json(req): Json<RegisterCallback>) -> Response {
    let bad = |message: String| control_error(StatusCode::BAD_REQUEST, "badRequest", message);
    match url::Url::parse(&req.url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {}
        _ => return bad(format!("url {:?} is not an http(s) URL", req.url)),
    }
    if !(3..=32).contains(&req.token.chars().count()) {
        return bad("token must be 3 to 32 characters".into());
    }
    let retry_delays_ms = req.retry_delays_ms.unwrap_or_else(|| DEFAULT_RETRY_DELAYS_MS.to_vec());
    if retry_delays_ms.len() > MAX_RETRIES {
        return bad(format!("at most {MAX_RETRIES} retries"));
    }
    let app_key = shared.lock().org.app.app_key.clone();
    let crypto = match CallbackCrypto::new(req.token, &req.aes_key, app_key) {
        Ok(crypto) => crypto,
        Err(e) => return control_error(StatusCode::BAD_REQUEST, "badAesKey", e.to_string()),
    };
    let now_ms = shared.clock.now_ms();
    if let Err(e) = attempt(&shared.push.http, &req.url, &crypto, CHECK_URL_PLAINTEXT, now_ms).await {
        return control_error(StatusCode::BAD_REQUEST, e.code(), format!("check_url to {} failed: {e}", req.url));
    }
    shared.push.lock().registration =
        Some(Registration { url: req.url, crypto, retry_delays_ms, registered_ms: now_ms });
    shared.push.wake.notify_one();
    Json(shared.push.status()).into_response()
}

/// Unregisters; what was still waiting is kept as failed, so it can be redelivered after registering again.
async fn unregister(State(shared): State<Arc<Shared>>) -> Json<CallbackStatus> {
    let now_ms = shared.clock.now_ms();
    {
        let mut inner = shared.push.lock();
        inner.registration = None;
        for mut pending in std::mem::take(&mut inner.queue) {
            pending.last_error.get_or_insert_with(|| "the callback was unregistered".into());
            inner.fail(pending, now_ms);
        }
    }
    Json(shared.push.status())
}

async fn failed(State(shared): State<Arc<Shared>>) -> Json<Vec<FailedPush>> {
    Json(shared.push.lock().failed.clone())
}

async fn redeliver(State(shared): State<Arc<Shared>>, Json(req): Json<Redeliver>) -> Response {
    let now_ms = shared.clock.now_ms();
    let requeued = {
        let mut inner = shared.push.lock();
        if inner.registration.is_none() {
            return control_error(StatusCode::CONFLICT, "notRegistered", "no callback is registered");
        }
        let wanted = |push: &FailedPush| req.event_ids.as_ref().is_none_or(|ids| ids.contains(&push.event.event_id));
        let (again, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut inner.failed).into_iter().partition(wanted);
        inner.failed = kept;
        let requeued = again.len();
        for push in again {
            inner.push_pending(push.event, now_ms);
        }
        requeued
    };
    shared.push.wake.notify_one();
    Json(Redelivered { requeued }).into_response()
}

impl Control {
    /// Registers the app's callback as the console does; refused unless the app answers `check_url` correctly
    /// within 1500 ms.
    pub async fn register_callback(&self, registration: &RegisterCallback) -> Result<CallbackStatus, ControlCallError> {
        self.post("/_emulator/callback", registration).await
    }

    /// Removes the callback; events still waiting become failed pushes.
    pub async fn unregister_callback(&self) -> Result<CallbackStatus, ControlCallError> {
        self.delete("/_emulator/callback").await
    }

    /// The registration (without secrets), the queue and delivery stats.
    pub async fn callback_status(&self) -> Result<CallbackStatus, ControlCallError> {
        self.get("/_emulator/callback", &[]).await
    }

    /// Events whose delivery was given up.
    pub async fn failed_pushes(&self) -> Result<Vec<FailedPush>, ControlCallError> {
        self.get("/_emulator/callback/failed", &[]).await
    }

    /// Queues failed events again: the named ones, or all of them with `None`. Answers how many were queued.
    pub async fn redeliver_failed(&self, event_ids: Option<Vec<String>>) -> Result<usize, ControlCallError> {
        let answer: Redelivered = self.post("/_emulator/callback/failed/redeliver", &Redeliver { event_ids }).await?;
        Ok(answer.requeued)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;
    use crate::events::EventType;

    const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

    fn registered(delays: Vec<u64>) -> Pusher {
        let pusher = Pusher::default();
        let crypto = CallbackCrypto::new("token", AES_KEY, "appkey").unwrap();
        pusher.lock().registration = Some(Registration {
            url: "http://127.0.0.1:9/cb".into(),
            crypto,
            retry_delays_ms: delays,
            registered_ms: 0,
        });
        pusher
    }

    fn event(instance: &str) -> Event {
        let mut data = Map::new();
        data.insert("processInstanceId".into(), json!(instance));
        Event::new(EventType::InstanceChange, 0, "corp".into(), data)
    }

    #[test]
    fn a_later_event_of_the_same_instance_waits_for_the_earlier_one() {
        let pusher = registered(vec![10]);
        pusher.enqueue(event("a"), 0);
        pusher.enqueue(event("a"), 0);
        pusher.enqueue(event("b"), 0);
        let (jobs, _) = pusher.take_ready(0);
        assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![0, 2]);
        pusher.settle(0, Ok(()), 1);
        let (jobs, _) = pusher.take_ready(1);
        assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn a_failed_attempt_is_retried_after_its_delay_then_given_up() {
        let pusher = registered(vec![1_000]);
        pusher.enqueue(event("a"), 0);
        let (jobs, _) = pusher.take_ready(0);
        pusher.settle(jobs[0].id, Err(AttemptError::Status(500)), 5);
        let (jobs, next_due) = pusher.take_ready(500);
        assert!(jobs.is_empty());
        assert_eq!(next_due, Some(1_005));
        let (jobs, _) = pusher.take_ready(1_005);
        pusher.settle(jobs[0].id, Err(AttemptError::Timeout), 1_010);
        let status = pusher.status();
        assert_eq!((status.pending, status.failed, status.stats.attempts, status.stats.failed_attempts), (0, 1, 2, 2));
        let failed = pusher.lock().failed.clone();
        assert_eq!(failed[0].attempts, 2);
        assert_eq!(failed[0].last_error, AttemptError::Timeout.to_string());
    }

    #[test]
    fn nothing_is_queued_without_a_registration_and_reset_forgets_everything() {
        let pusher = Pusher::default();
        pusher.enqueue(event("a"), 0);
        assert_eq!(pusher.status().pending, 0);
        let pusher = registered(vec![]);
        pusher.enqueue(event("a"), 0);
        let (jobs, _) = pusher.take_ready(0);
        pusher.reset();
        pusher.settle(jobs[0].id, Ok(()), 1);
        let status = pusher.status();
        assert_eq!(status, CallbackStatus { registration: None, pending: 0, failed: 0, stats: PushStats::default() });
    }

    #[test]
    fn a_registration_request_hides_its_secrets_in_debug() {
        let shown = format!("{:?}", RegisterCallback::new("http://x/cb", "myToken123", AES_KEY));
        assert!(!shown.contains("myToken123") && !shown.contains(AES_KEY), "{shown}");
    }
}
