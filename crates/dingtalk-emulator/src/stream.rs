//! Stream mode (events.md §3): `POST /v1.0/gateway/connections/open`, the WebSocket gateway with DingTalk's frames,
//! acks and redelivery, the SYSTEM `ping` and `disconnect` frames, and the control routes under `/_emulator/stream/`.
//!
//! "The protocol page" below is DingTalk's Stream protocol description (`协议描述` in the open-dingtalk developerpedia:
//! ticket life, ping and disconnect shapes, the random choice of connection); it adds to events.md §3.
//!
//! Decisions where DingTalk's behaviour is not documented or unverified (each is one constant or one setting):
//! - The WebSocket endpoint is [`CONNECT_PATH`] (`/connect`, DingTalk's own path) on the host the open-connection
//!   request came in with, so `ws://<Host header>/connect`: whatever address an SDK used to reach the emulator also
//!   reaches the gateway. The emulator serves plain HTTP, hence `ws://` where DingTalk answers `wss://`.
//! - Tickets live [`TICKET_TTL_MS`] (90 s, the protocol page) on the emulator's clock and open one
//!   connection: a used, unknown or expired ticket gets the handshake refused with HTTP 401 (DingTalk's body for
//!   this case is unknown; ours is a v1.0 error, [`INVALID_TICKET`]).
//! - Each event goes to one connection, picked at random among those subscribed to it (the protocol page's FAQ: "通过
//!   随机策略选取一个Stream通道推送"). A connection is subscribed to an event when it asked for `EVENT` with topic `*`
//!   (the only topic DingTalk documents) or with the event's type.
//! - Events raised while no subscribed connection is open wait in a queue and go out, oldest first, as soon as one
//!   connects; events sent on a connection that closes before they are acked go back to that queue at once. DingTalk's
//!   own retention is unverified.
//! - The `topic` header of an EVENT frame is the topic of the subscription that took it: `*` for the SDKs (DingTalk's
//!   event-push example shows `*`; no SDK reads it).
//! - Every push, first or repeated, has a fresh `messageId`; the `eventId` stays. An ack settles only the messageId
//!   it names, on the connection that was sent it; a late ack for an earlier push is ignored.
//! - An ack with `code` 200 settles the event unless its `data` says `{"status":"LATER"}`; `LATER` or any other code
//!   sends it again after `laterDelayMs`. No ack within `ackTimeoutMs` (60 s, the npm SDK's doc comment) sends it
//!   again. There is no limit on attempts.
//! - `ping` frames go out every `pingIntervalMs` (30 s by default; DingTalk's period is unknown) with `data`
//!   `{"opaque":"<uuid>"}` as on the protocol page. An echo counts when it names the ping's messageId and carries the
//!   same opaque; echoes are counted in the connection listing and a silent client is not cut off.
//! - `disconnect` (control route) sends `{"reason":"..."}` without a messageId, stops new pushes to that connection,
//!   and closes it `disconnectGraceMs` later (10 s on the protocol page).
//! - No `CONNECTED`/`REGISTERED`/`KEEPALIVE` frames are sent: only the npm SDK knows them and the protocol page names
//!   only `ping` and `disconnect`.
//! - Headers `appId` and `eventUnifiedAppId` carry the app's unified app id, a UUID DingTalk's console assigns; the
//!   organisation fixture has none, so [`unified_app_id`] derives a stable one from the appKey.

use std::collections::HashMap;
use std::future::pending;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use crate::api::api_error;
use crate::control::{Control, ControlCallError, control_error};
use crate::events::Event;
use crate::state::Shared;

/// Path of the WebSocket endpoint handed out by `connections/open` (DingTalk's is `/connect` too).
pub const CONNECT_PATH: &str = "/connect";
/// How long a ticket may wait before it opens its one connection (DingTalk's Stream protocol page: 90 s).
pub const TICKET_TTL_MS: i64 = 90_000;
/// The open-connection answer to a wrong `clientId`/`clientSecret` (events.md §3.1).
pub const AUTH_FAILED: (&str, &str) = ("authFailed", "鉴权失败");
/// The handshake answer to an unknown, used or expired ticket (DingTalk's body is unknown; see the module doc).
pub const INVALID_TICKET: (&str, &str) = ("invalidTicket", "ticket 无效、已使用或已过期");

/// The timings of the gateway; tests shorten them through `POST /_emulator/stream/settings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamSettings {
    /// How long a pushed event waits for its ack before it is pushed again.
    pub ack_timeout_ms: u64,
    /// How long after a `LATER` ack (or a non-200 one) the event is pushed again.
    pub later_delay_ms: u64,
    /// How often each connection gets a `ping`.
    pub ping_interval_ms: u64,
    /// How long after the `disconnect` frame the connection is closed.
    pub disconnect_grace_ms: u64,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self { ack_timeout_ms: 60_000, later_delay_ms: 1_000, ping_interval_ms: 30_000, disconnect_grace_ms: 10_000 }
    }
}

/// Body of `POST /_emulator/stream/settings`: the timings to change, the others stay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamSettingsUpdate {
    /// See [`StreamSettings::ack_timeout_ms`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_timeout_ms: Option<u64>,
    /// See [`StreamSettings::later_delay_ms`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub later_delay_ms: Option<u64>,
    /// See [`StreamSettings::ping_interval_ms`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_interval_ms: Option<u64>,
    /// See [`StreamSettings::disconnect_grace_ms`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnect_grace_ms: Option<u64>,
}

/// What a subscription asks for (events.md §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SubscriptionType {
    /// Event subscriptions (`topic` `*` for all).
    Event,
    /// Callbacks (robot messages, cards); recorded, never pushed by the emulator.
    Callback,
}

/// One entry of `subscriptions` in the open-connection request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// `EVENT` or `CALLBACK`.
    #[serde(rename = "type")]
    pub kind: SubscriptionType,
    /// `*`, an event type, or a callback path.
    pub topic: String,
}

impl Subscription {
    /// Whether this subscription takes `event`.
    fn takes(&self, event: &Event) -> bool {
        self.kind == SubscriptionType::Event && (self.topic == "*" || self.topic == event.event_type.as_str())
    }
}

/// One open connection, as `GET /_emulator/stream/connections` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfo {
    /// The `connectionId` header of its frames.
    pub connection_id: String,
    /// The app that opened it.
    pub client_id: String,
    /// What it subscribed to.
    pub subscriptions: Vec<Subscription>,
    /// The `ua` of the open-connection request.
    pub ua: Option<String>,
    /// The `localIp` of the open-connection request.
    pub local_ip: Option<String>,
    /// When it connected (emulator clock, ms).
    pub opened_ms: i64,
    /// `ping` frames sent to it.
    pub pings_sent: u32,
    /// Correct echoes received.
    pub pings_answered: u32,
    /// Events pushed to it and not yet acked.
    pub unacked: usize,
    /// Whether a `disconnect` was sent and the close is pending.
    pub closing: bool,
}

/// An event the gateway still holds, as `GET /_emulator/stream/pending` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingEvent {
    /// The event's id.
    pub event_id: String,
    /// `bpms_instance_change` or `bpms_task_change`.
    pub event_type: String,
    /// How many times it was pushed so far.
    pub attempts: u32,
    /// Where it waits for an ack; `None` while it waits for a connection (or for its `LATER` delay).
    pub connection_id: Option<String>,
    /// The messageId of the push awaiting an ack.
    pub message_id: Option<String>,
}

/// What the gateway tells a connection's task.
#[derive(Debug)]
enum Outgoing {
    /// A text frame to send.
    Frame(String),
    /// The `disconnect` frame; close after the grace.
    Disconnect { frame: String, grace: Duration },
}

/// A ticket from `connections/open`, waiting for its connection.
struct Ticket {
    expires_ms: i64,
    client: ClientInfo,
}

/// What the open-connection request said about the client.
#[derive(Clone)]
struct ClientInfo {
    client_id: String,
    subscriptions: Vec<Subscription>,
    ua: Option<String>,
    local_ip: Option<String>,
}

struct Connection {
    client: ClientInfo,
    opened_ms: i64,
    tx: mpsc::UnboundedSender<Outgoing>,
    next_ping: Instant,
    /// Outstanding pings: messageId → opaque.
    pings: HashMap<String, String>,
    pings_sent: u32,
    pings_answered: u32,
    closing: bool,
}

/// An event waiting to be pushed.
struct Queued {
    seq: u64,
    event: Event,
    attempts: u32,
    not_before: Instant,
}

/// An event pushed and waiting for its ack.
struct InFlight {
    seq: u64,
    event: Event,
    attempts: u32,
    connection_id: String,
    deadline: Instant,
}

#[derive(Default)]
struct Inner {
    settings: StreamSettings,
    tickets: HashMap<String, Ticket>,
    connections: HashMap<String, Connection>,
    /// Sorted by `seq`, i.e. by publication order.
    queue: Vec<Queued>,
    /// Keyed by messageId.
    in_flight: HashMap<String, InFlight>,
    next_seq: u64,
    next_message: u64,
}

/// Tickets, connections, the queue of undelivered events and unacked pushes.
#[derive(Default)]
pub struct Gateway {
    inner: Mutex<Inner>,
    /// Wakes the worker when something changed that may be due now.
    wake: Notify,
}

impl Gateway {
    /// Drops tickets, connections (their sockets close), queues and settings.
    pub fn reset(&self) {
        // Dropping each connection's sender ends its task, which closes the socket.
        *self.lock() = Inner::default();
        self.wake.notify_one();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a new event for delivery.
    fn enqueue(&self, event: Event) {
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.queue.push(Queued { seq, event, attempts: 0, not_before: Instant::now() });
        drop(inner);
        self.wake.notify_one();
    }

    /// Issues a ticket for a client whose credentials were checked.
    fn issue_ticket(&self, client: ClientInfo, now_ms: i64) -> String {
        let ticket = uuid();
        let mut inner = self.lock();
        inner.tickets.retain(|_, t| t.expires_ms > now_ms);
        inner.tickets.insert(ticket.clone(), Ticket { expires_ms: now_ms + TICKET_TTL_MS, client });
        ticket
    }

    /// Uses up a ticket: its client, if the ticket was issued, unused and unexpired.
    fn redeem_ticket(&self, ticket: &str, now_ms: i64) -> Option<ClientInfo> {
        let ticket = self.lock().tickets.remove(ticket)?;
        (ticket.expires_ms > now_ms).then_some(ticket.client)
    }

    /// Registers a connection that completed its handshake.
    fn register(&self, id: &str, client: ClientInfo, now_ms: i64, tx: mpsc::UnboundedSender<Outgoing>) {
        let mut inner = self.lock();
        let next_ping = Instant::now() + Duration::from_millis(inner.settings.ping_interval_ms);
        let connection = Connection {
            client,
            opened_ms: now_ms,
            tx,
            next_ping,
            pings: HashMap::new(),
            pings_sent: 0,
            pings_answered: 0,
            closing: false,
        };
        inner.connections.insert(id.to_owned(), connection);
        drop(inner);
        self.wake.notify_one();
    }

    /// Forgets a closed connection and puts what it had not acked back in the queue.
    fn closed(&self, id: &str) {
        let mut inner = self.lock();
        inner.connections.remove(id);
        let orphaned: Vec<String> =
            inner.in_flight.iter().filter(|(_, f)| f.connection_id == id).map(|(m, _)| m.clone()).collect();
        let now = Instant::now();
        for message_id in orphaned {
            if let Some(f) = inner.in_flight.remove(&message_id) {
                requeue(&mut inner.queue, Queued { seq: f.seq, event: f.event, attempts: f.attempts, not_before: now });
            }
        }
        drop(inner);
        self.wake.notify_one();
    }

    /// Handles a text message from a client: an ack of an event or the echo of a ping.
    fn reply(&self, connection_id: &str, text: &str) {
        let Ok(reply) = serde_json::from_str::<Reply>(text) else {
            tracing::warn!(connection_id, "stream: unreadable message from the client: {text}");
            return;
        };
        let Some(message_id) = reply.headers.get("messageId").and_then(Value::as_str) else {
            tracing::warn!(connection_id, "stream: a reply without headers.messageId: {text}");
            return;
        };
        let data = reply.data_json();
        let mut inner = self.lock();
        let Inner { in_flight, connections, queue, settings, .. } = &mut *inner;
        if let Some(connection) = connections.get_mut(connection_id)
            && let Some(opaque) = connection.pings.get(message_id)
        {
            if data.get("opaque").and_then(Value::as_str) == Some(opaque.as_str()) {
                connection.pings.remove(message_id);
                connection.pings_answered += 1;
            } else {
                tracing::warn!(connection_id, "stream: a ping echo with the wrong opaque: {text}");
            }
            return;
        }
        if in_flight.get(message_id).is_none_or(|f| f.connection_id != connection_id) {
            tracing::info!(connection_id, message_id, "stream: ack for no outstanding push (late or unknown)");
            return;
        }
        let Some(pushed) = in_flight.remove(message_id) else { return };
        let later = !reply.is_ok() || data.get("status").and_then(Value::as_str) == Some("LATER");
        if later {
            let not_before = Instant::now() + Duration::from_millis(settings.later_delay_ms);
            requeue(queue, Queued { seq: pushed.seq, event: pushed.event, attempts: pushed.attempts, not_before });
            drop(inner);
            self.wake.notify_one();
        }
    }

    /// Does what is due at `now`: pushes whose ack is overdue go back to the queue, pings go out, queued events go
    /// to a subscribed connection. Returns when something is due next.
    fn tick(&self, now: Instant, now_ms: i64) -> Option<Instant> {
        let mut guard = self.lock();
        let Inner { settings, connections, queue, in_flight, next_message, .. } = &mut *guard;

        let overdue: Vec<String> =
            in_flight.iter().filter(|(_, f)| f.deadline <= now).map(|(m, _)| m.clone()).collect();
        for message_id in overdue {
            if let Some(f) = in_flight.remove(&message_id) {
                requeue(queue, Queued { seq: f.seq, event: f.event, attempts: f.attempts, not_before: now });
            }
        }

        let ping_interval = Duration::from_millis(settings.ping_interval_ms);
        for (id, connection) in connections.iter_mut().filter(|(_, c)| !c.closing && c.next_ping <= now) {
            let message_id = message_id(next_message, now_ms);
            let opaque = uuid();
            let frame = system_frame("ping", id, Some(&message_id), &json!({ "opaque": opaque }), now_ms);
            if connection.tx.send(Outgoing::Frame(frame)).is_ok() {
                connection.pings.insert(message_id, opaque);
                connection.pings_sent += 1;
            }
            connection.next_ping = now + ping_interval;
        }

        let ack_timeout = Duration::from_millis(settings.ack_timeout_ms);
        let mut rng = rand::rng();
        let mut waiting = Vec::new();
        for queued in std::mem::take(queue) {
            let takers: Vec<(&String, &Subscription)> = if queued.not_before > now {
                Vec::new()
            } else {
                connections
                    .iter()
                    .filter(|(_, c)| !c.closing)
                    .filter_map(|(id, c)| {
                        c.client.subscriptions.iter().find(|s| s.takes(&queued.event)).map(|s| (id, s))
                    })
                    .collect()
            };
            let Some(&(id, subscription)) = takers.choose(&mut rng) else {
                waiting.push(queued);
                continue;
            };
            let Some(connection) = connections.get(id) else {
                waiting.push(queued);
                continue;
            };
            let message_id = message_id(next_message, now_ms);
            let frame =
                event_frame(&queued.event, &subscription.topic, id, &message_id, &connection.client.client_id, now_ms);
            if connection.tx.send(Outgoing::Frame(frame)).is_err() {
                // The connection's task is gone; `closed` will forget it.
                waiting.push(queued);
                continue;
            }
            let pushed = InFlight {
                seq: queued.seq,
                event: queued.event,
                attempts: queued.attempts + 1,
                connection_id: id.clone(),
                deadline: now + ack_timeout,
            };
            in_flight.insert(message_id, pushed);
        }
        *queue = waiting;

        let acks = in_flight.values().map(|f| f.deadline);
        let pings = connections.values().filter(|c| !c.closing).map(|c| c.next_ping);
        let delayed = queue.iter().map(|q| q.not_before).filter(|t| *t > now);
        acks.chain(pings).chain(delayed).min()
    }

    /// Sends `disconnect` to a connection and closes it after the grace. False if there is no such connection.
    fn disconnect(&self, id: &str, reason: &str, now_ms: i64) -> bool {
        let mut inner = self.lock();
        let grace = Duration::from_millis(inner.settings.disconnect_grace_ms);
        let Some(connection) = inner.connections.get_mut(id) else { return false };
        connection.closing = true;
        let frame = system_frame("disconnect", id, None, &json!({ "reason": reason }), now_ms);
        let _ = connection.tx.send(Outgoing::Disconnect { frame, grace });
        true
    }

    /// The open connections, oldest first.
    fn connections(&self) -> Vec<ConnectionInfo> {
        let inner = self.lock();
        let mut list: Vec<ConnectionInfo> = inner
            .connections
            .iter()
            .map(|(id, c)| ConnectionInfo {
                connection_id: id.clone(),
                client_id: c.client.client_id.clone(),
                subscriptions: c.client.subscriptions.clone(),
                ua: c.client.ua.clone(),
                local_ip: c.client.local_ip.clone(),
                opened_ms: c.opened_ms,
                pings_sent: c.pings_sent,
                pings_answered: c.pings_answered,
                unacked: inner.in_flight.values().filter(|f| &f.connection_id == id).count(),
                closing: c.closing,
            })
            .collect();
        list.sort_by(|a, b| (a.opened_ms, &a.connection_id).cmp(&(b.opened_ms, &b.connection_id)));
        list
    }

    /// The events not yet acked, in publication order.
    fn pending(&self) -> Vec<PendingEvent> {
        let inner = self.lock();
        let entry = |event: &Event, attempts, at: Option<(&String, &String)>| PendingEvent {
            event_id: event.event_id.clone(),
            event_type: event.event_type.as_str().to_owned(),
            attempts,
            connection_id: at.map(|(c, _)| c.clone()),
            message_id: at.map(|(_, m)| m.clone()),
        };
        let mut list: Vec<(u64, PendingEvent)> =
            inner.queue.iter().map(|q| (q.seq, entry(&q.event, q.attempts, None))).collect();
        list.extend(
            inner.in_flight.iter().map(|(m, f)| (f.seq, entry(&f.event, f.attempts, Some((&f.connection_id, m))))),
        );
        list.sort_by_key(|(seq, _)| *seq);
        list.into_iter().map(|(_, p)| p).collect()
    }

    /// The current timings.
    fn settings(&self) -> StreamSettings {
        self.lock().settings
    }

    /// Changes some timings; a shorter ping interval applies to the next ping at once.
    fn update_settings(&self, update: StreamSettingsUpdate) -> Result<StreamSettings, String> {
        if update.ack_timeout_ms == Some(0) || update.ping_interval_ms == Some(0) {
            return Err("ackTimeoutMs and pingIntervalMs must be at least 1".into());
        }
        let mut inner = self.lock();
        let s = &mut inner.settings;
        s.ack_timeout_ms = update.ack_timeout_ms.unwrap_or(s.ack_timeout_ms);
        s.later_delay_ms = update.later_delay_ms.unwrap_or(s.later_delay_ms);
        s.ping_interval_ms = update.ping_interval_ms.unwrap_or(s.ping_interval_ms);
        s.disconnect_grace_ms = update.disconnect_grace_ms.unwrap_or(s.disconnect_grace_ms);
        let settings = *s;
        let soonest = Instant::now() + Duration::from_millis(settings.ping_interval_ms);
        for connection in inner.connections.values_mut() {
            connection.next_ping = connection.next_ping.min(soonest);
        }
        drop(inner);
        self.wake.notify_one();
        Ok(settings)
    }
}

/// Puts an event back in the queue at its place in publication order.
fn requeue(queue: &mut Vec<Queued>, queued: Queued) {
    let at = queue.partition_point(|q| q.seq < queued.seq);
    queue.insert(at, queued);
}

/// A client's message: an ack of an event (events.md §3.3) or the echo of a ping.
#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    code: Value,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
    #[serde(default)]
    data: Value,
}

impl Reply {
    /// Whether `code` is 200 (as a number, or as a string from a lenient SDK).
    fn is_ok(&self) -> bool {
        self.code.as_i64() == Some(200) || self.code.as_str() == Some("200")
    }

    /// `data` parsed: SDKs send a JSON document as a string; an object is taken as it is.
    fn data_json(&self) -> Value {
        match &self.data {
            Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            other => other.clone(),
        }
    }
}

/// An EVENT frame (events.md §3.2).
fn event_frame(
    event: &Event,
    topic: &str,
    connection_id: &str,
    message_id: &str,
    app_key: &str,
    now_ms: i64,
) -> String {
    let app_id = unified_app_id(app_key);
    json!({
        "specVersion": "1.0",
        "type": "EVENT",
        "headers": {
            "appId": app_id,
            "connectionId": connection_id,
            "contentType": "application/json",
            "messageId": message_id,
            "time": now_ms.to_string(),
            "topic": topic,
            "eventType": event.event_type.as_str(),
            "eventId": event.event_id,
            "eventBornTime": event.born_ms.to_string(),
            "eventCorpId": event.corp_id,
            "eventUnifiedAppId": app_id,
        },
        "data": event.stream_data(),
    })
    .to_string()
}

/// A SYSTEM frame (events.md §3.4); `disconnect` has no messageId, as on DingTalk's protocol page.
fn system_frame(topic: &str, connection_id: &str, message_id: Option<&str>, data: &Value, now_ms: i64) -> String {
    let mut headers = json!({
        "connectionId": connection_id,
        "contentType": "application/json",
        "time": now_ms.to_string(),
        "topic": topic,
    });
    if let Some(message_id) = message_id {
        headers["messageId"] = json!(message_id);
    }
    json!({ "specVersion": "1.0", "type": "SYSTEM", "headers": headers, "data": data.to_string() }).to_string()
}

/// A messageId shaped like DingTalk's (`213d841d_972_1898bb26334_70a7`: random, process, time and counter in hex).
fn message_id(counter: &mut u64, now_ms: i64) -> String {
    *counter += 1;
    format!("{:08x}_{}_{:x}_{:x}", rand::rng().random::<u32>(), std::process::id() % 1000, now_ms, counter)
}

/// The app's unified app id (the `appId` and `eventUnifiedAppId` headers): a UUID-shaped FNV-1a hash of the appKey,
/// so it is the same on every run for the same app.
pub fn unified_app_id(app_key: &str) -> String {
    let fnv = |basis: u64| app_key.bytes().fold(basis, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    uuid_text((u128::from(fnv(0xcbf2_9ce4_8422_2325)) << 64) | u128::from(fnv(0x8422_2325_cbf2_9ce4)))
}

/// A random UUID-shaped string, for tickets, connection ids and ping opaques.
fn uuid() -> String {
    uuid_text(rand::rng().random())
}

fn uuid_text(n: u128) -> String {
    let h = format!("{n:032x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// Starts the delivery worker: takes events from the bus and does what is due (pushes, redeliveries, pings).
pub fn spawn(shared: Arc<Shared>) {
    let mut events = shared.events.subscribe();
    let weak = Arc::downgrade(&shared);
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => match weak.upgrade() {
                    Some(shared) => shared.stream.enqueue(event),
                    None => break,
                },
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!("stream: fell behind the event bus and missed {missed} events");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    let weak = Arc::downgrade(&shared);
    drop(shared);
    tokio::spawn(async move {
        // With nothing due, look again now and then, so the worker ends soon after the emulator is dropped.
        const IDLE: Duration = Duration::from_secs(1);
        while let Some(shared) = weak.upgrade() {
            let now = Instant::now();
            let due = shared.stream.tick(now, shared.clock.now_ms()).unwrap_or(now + IDLE).min(now + IDLE);
            tokio::select! {
                () = tokio::time::sleep_until(due) => {}
                () = shared.stream.wake.notified() => {}
            }
        }
    });
}

/// DingTalk's side: `POST /v1.0/gateway/connections/open` and the WebSocket endpoint.
pub fn router() -> Router<Arc<Shared>> {
    Router::new().route("/v1.0/gateway/connections/open", post(open))
}

/// The WebSocket endpoint itself. It is not an API call: neither rate-limited nor counted, and fault rules (which
/// would break the upgrade) do not apply to it.
pub fn socket_router() -> Router<Arc<Shared>> {
    Router::new().route(CONNECT_PATH, get(connect))
}

/// The control routes: connections, forced disconnects, pending events and timings.
pub fn control_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/stream/connections", get(list_connections))
        .route("/_emulator/stream/connections/{id}/disconnect", post(force_disconnect))
        .route("/_emulator/stream/pending", get(list_pending))
        .route("/_emulator/stream/settings", get(get_settings).post(set_settings))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    subscriptions: Option<Vec<Subscription>>,
    ua: Option<String>,
    local_ip: Option<String>,
}

/// `POST /v1.0/gateway/connections/open` (events.md §3.1).
async fn open(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let req = match serde_json::from_slice::<OpenRequest>(&body) {
        Ok(req) => req,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, "InvalidParameter", &format!("bad request body: {e}")),
    };
    let (Some(client_id), Some(secret)) = (req.client_id, req.client_secret) else {
        return api_error(StatusCode::UNAUTHORIZED, AUTH_FAILED.0, AUTH_FAILED.1);
    };
    {
        let state = shared.lock();
        if client_id != state.org.app.app_key || secret != state.org.app.app_secret {
            return api_error(StatusCode::UNAUTHORIZED, AUTH_FAILED.0, AUTH_FAILED.1);
        }
    }
    let subscriptions = req.subscriptions.unwrap_or_default();
    if subscriptions.is_empty() {
        return api_error(StatusCode::BAD_REQUEST, "MissingParameter", "subscriptions is mandatory for this action.");
    }
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned));
    let Some(host) = host else {
        return api_error(StatusCode::BAD_REQUEST, "MissingHost", "the request has no Host header");
    };
    let client = ClientInfo { client_id, subscriptions, ua: req.ua, local_ip: req.local_ip };
    let ticket = shared.stream.issue_ticket(client, shared.clock.now_ms());
    Json(json!({ "endpoint": format!("ws://{host}{CONNECT_PATH}"), "ticket": ticket })).into_response()
}

#[derive(Deserialize)]
struct TicketQuery {
    ticket: Option<String>,
}

/// `GET /connect?ticket=...`: the WebSocket handshake, refused with 401 for a bad ticket.
async fn connect(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<TicketQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let now_ms = shared.clock.now_ms();
    let Some(client) = query.ticket.and_then(|t| shared.stream.redeem_ticket(&t, now_ms)) else {
        return api_error(StatusCode::UNAUTHORIZED, INVALID_TICKET.0, INVALID_TICKET.1);
    };
    upgrade.on_upgrade(move |socket| serve(shared, socket, client))
}

/// One connection's task: sends what the gateway hands it, passes the client's messages to the gateway.
async fn serve(shared: Arc<Shared>, mut socket: WebSocket, client: ClientInfo) {
    let id = uuid();
    let (tx, mut rx) = mpsc::unbounded_channel();
    shared.stream.register(&id, client, shared.clock.now_ms(), tx);
    let mut close_at: Option<Instant> = None;
    loop {
        let grace_over = async {
            match close_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => pending().await,
            }
        };
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => shared.stream.reply(&id, text.as_str()),
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                // WebSocket pings are answered by the library; binary frames mean nothing here.
                Some(Ok(_)) => {}
            },
            outgoing = rx.recv() => match outgoing {
                Some(Outgoing::Frame(frame)) => {
                    if socket.send(Message::Text(frame.into())).await.is_err() {
                        break;
                    }
                }
                Some(Outgoing::Disconnect { frame, grace }) => {
                    if socket.send(Message::Text(frame.into())).await.is_err() {
                        break;
                    }
                    close_at = Some(Instant::now() + grace);
                }
                // The gateway was reset.
                None => {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            },
            () = grace_over => {
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
        }
    }
    shared.stream.closed(&id);
}

async fn list_connections(State(shared): State<Arc<Shared>>) -> Json<Vec<ConnectionInfo>> {
    Json(shared.stream.connections())
}

/// Body of `POST /_emulator/stream/connections/{id}/disconnect`; the body may be empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DisconnectRequest {
    /// The `reason` of the `disconnect` frame; DingTalk's example text when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

async fn force_disconnect(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let req = if body.is_empty() {
        DisconnectRequest::default()
    } else {
        match serde_json::from_slice::<DisconnectRequest>(&body) {
            Ok(req) => req,
            Err(e) => return control_error(StatusCode::BAD_REQUEST, "badRequest", format!("bad body: {e}")),
        }
    };
    let reason = req.reason.as_deref().unwrap_or("connection is expired");
    if shared.stream.disconnect(&id, reason, shared.clock.now_ms()) {
        Json(json!({})).into_response()
    } else {
        control_error(StatusCode::NOT_FOUND, "connectionNotFound", format!("no open Stream connection {id}"))
    }
}

async fn list_pending(State(shared): State<Arc<Shared>>) -> Json<Vec<PendingEvent>> {
    Json(shared.stream.pending())
}

async fn get_settings(State(shared): State<Arc<Shared>>) -> Json<StreamSettings> {
    Json(shared.stream.settings())
}

async fn set_settings(State(shared): State<Arc<Shared>>, Json(update): Json<StreamSettingsUpdate>) -> Response {
    match shared.stream.update_settings(update) {
        Ok(settings) => Json(settings).into_response(),
        Err(message) => control_error(StatusCode::BAD_REQUEST, "badRequest", message),
    }
}

impl Control {
    /// The open Stream connections, oldest first.
    pub async fn stream_connections(&self) -> Result<Vec<ConnectionInfo>, ControlCallError> {
        self.get("/_emulator/stream/connections", &[]).await
    }

    /// Makes the gateway send `disconnect` to a connection and close it after the grace.
    pub async fn stream_disconnect(&self, connection_id: &str) -> Result<(), ControlCallError> {
        let path = format!("/_emulator/stream/connections/{connection_id}/disconnect");
        let _: Value = self.post(&path, &DisconnectRequest::default()).await?;
        Ok(())
    }

    /// The events the gateway still holds (queued or awaiting an ack), in publication order.
    pub async fn stream_pending(&self) -> Result<Vec<PendingEvent>, ControlCallError> {
        self.get("/_emulator/stream/pending", &[]).await
    }

    /// The gateway's timings.
    pub async fn stream_settings(&self) -> Result<StreamSettings, ControlCallError> {
        self.get("/_emulator/stream/settings", &[]).await
    }

    /// Changes some of the gateway's timings and returns them all.
    pub async fn set_stream_settings(&self, update: StreamSettingsUpdate) -> Result<StreamSettings, ControlCallError> {
        self.post("/_emulator/stream/settings", &update).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;
    use crate::events::EventType;

    fn client(topic: &str) -> ClientInfo {
        let subscriptions = vec![Subscription { kind: SubscriptionType::Event, topic: topic.into() }];
        ClientInfo { client_id: "app".into(), subscriptions, ua: None, local_ip: None }
    }

    #[test]
    fn a_ticket_opens_one_connection_and_expires_after_ninety_seconds() {
        let gateway = Gateway::default();
        let ticket = gateway.issue_ticket(client("*"), 0);
        assert!(gateway.redeem_ticket(&ticket, 10).is_some());
        assert!(gateway.redeem_ticket(&ticket, 20).is_none(), "a used ticket is refused");
        let late = gateway.issue_ticket(client("*"), 0);
        assert!(gateway.redeem_ticket(&late, TICKET_TTL_MS).is_none(), "an expired ticket is refused");
        assert!(gateway.redeem_ticket("nope", 0).is_none());
    }

    #[test]
    fn event_subscriptions_take_star_or_the_event_type_and_callbacks_take_nothing() {
        let event = Event::new(EventType::TaskChange, 0, "corp".into(), Map::new());
        let sub = |kind, topic: &str| Subscription { kind, topic: topic.into() };
        assert!(sub(SubscriptionType::Event, "*").takes(&event));
        assert!(sub(SubscriptionType::Event, "bpms_task_change").takes(&event));
        assert!(!sub(SubscriptionType::Event, "bpms_instance_change").takes(&event));
        assert!(!sub(SubscriptionType::Callback, "*").takes(&event));
    }

    #[test]
    fn the_unified_app_id_is_a_stable_uuid_per_app() {
        let id = unified_app_id("dingemuappkey7a3b9c");
        assert_eq!(id, unified_app_id("dingemuappkey7a3b9c"));
        assert_ne!(id, unified_app_id("another"));
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
    }

    #[test]
    fn message_ids_are_unique_and_shaped_like_dingtalks() {
        let mut counter = 0;
        let a = message_id(&mut counter, 0x1898bb26334);
        let b = message_id(&mut counter, 0x1898bb26334);
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split('_').collect();
        assert_eq!(parts.len(), 4, "{a}");
        assert_eq!(parts[2], "1898bb26334");
    }

    #[test]
    fn a_requeued_event_takes_its_place_in_publication_order() {
        let now = Instant::now();
        let queued = |seq| Queued {
            seq,
            event: Event::new(EventType::InstanceChange, 0, "corp".into(), Map::new()),
            attempts: 0,
            not_before: now,
        };
        let mut queue = vec![queued(1), queued(4)];
        requeue(&mut queue, queued(2));
        requeue(&mut queue, queued(9));
        assert_eq!(queue.iter().map(|q| q.seq).collect::<Vec<_>>(), [1, 2, 4, 9]);
    }
}
