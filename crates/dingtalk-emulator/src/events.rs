//! Approval events (`bpms_instance_change`, `bpms_task_change`, events.md §2) as the engine raises them, and the bus
//! that hands them to the two delivery channels: HTTP push ([`crate::push`]) and Stream mode ([`crate::stream`]).
//!
//! The engine publishes under the state lock; the bus never blocks. Event faults (drop, duplicate, reorder, delay)
//! are applied here, once, so both channels see the same faulty sequence.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use crate::state::Shared;

/// How many events a slow channel may fall behind before it misses some.
const BUS_CAPACITY: usize = 4096;

/// The two approval event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    /// Instance started, finished or terminated.
    #[serde(rename = "bpms_instance_change")]
    InstanceChange,
    /// Task started, finished (agree, refuse, redirect) or cancelled.
    #[serde(rename = "bpms_task_change")]
    TaskChange,
}

impl EventType {
    /// DingTalk's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InstanceChange => "bpms_instance_change",
            Self::TaskChange => "bpms_task_change",
        }
    }
}

/// One approval event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Unique id (`eventId` over HTTP, the `eventId` header over Stream).
    pub event_id: String,
    /// Which event.
    pub event_type: EventType,
    /// When it happened, on the emulator's clock (ms).
    pub born_ms: i64,
    /// The organisation it happened in.
    pub corp_id: String,
    /// The business fields of events.md §2.2/§2.3 (`processInstanceId`, `processCode`, `type`, `result`, `staffId`,
    /// `title`, `createTime`, `finishTime`, `url`, `bizCategoryId`, `taskId`, `remark`, ...).
    pub data: Map<String, Value>,
}

impl Event {
    /// A new event with a fresh id.
    pub fn new(event_type: EventType, born_ms: i64, corp_id: String, data: Map<String, Value>) -> Self {
        Self { event_id: crate::state::random_string(32).to_lowercase(), event_type, born_ms, corp_id, data }
    }

    /// The plaintext of an HTTP push (the current format of events.md §2.4): the business fields flat, plus
    /// `EventType`, both spellings of the corp id, `EventTime` and `eventId`.
    pub fn http_plaintext(&self) -> Value {
        let mut body = self.data.clone();
        body.insert("EventType".into(), json!(self.event_type.as_str()));
        body.insert("corpId".into(), json!(self.corp_id));
        body.insert("CorpId".into(), json!(self.corp_id));
        body.insert("EventTime".into(), json!(self.born_ms));
        body.insert("eventId".into(), json!(self.event_id));
        Value::Object(body)
    }

    /// The `data` string of a Stream EVENT frame: the business fields only (metadata goes to the frame headers).
    pub fn stream_data(&self) -> String {
        Value::Object(self.data.clone()).to_string()
    }
}

/// The bus: a log of everything published (for the control API) and a broadcast to the delivery channels.
pub struct EventBus {
    tx: broadcast::Sender<Event>,
    log: Mutex<Vec<Event>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { tx: broadcast::channel(BUS_CAPACITY).0, log: Mutex::new(Vec::new()) }
    }
}

impl EventBus {
    /// Records an event and hands it to the delivery channels.
    pub fn publish(&self, event: Event) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).push(event.clone());
        // No receiver yet is fine: nothing is registered to deliver to.
        let _ = self.tx.send(event);
    }

    /// A new receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Every event published since the last reset, in order.
    pub fn log(&self) -> Vec<Event> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Forgets the log.
    pub fn reset(&self) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Control routes: `GET /_emulator/events` lists what was raised; `POST /_emulator/events` raises a raw event, to
/// exercise delivery (push, Stream, event faults) without running an approval.
pub fn control_routes() -> Router<Arc<Shared>> {
    Router::new().route("/_emulator/events", get(list).post(raise))
}

async fn list(State(shared): State<Arc<Shared>>) -> Json<Vec<Event>> {
    Json(shared.events.log())
}

/// Body of `POST /_emulator/events`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RaiseEvent {
    /// Which event.
    pub event_type: EventType,
    /// Its business fields.
    pub data: Map<String, Value>,
}

async fn raise(State(shared): State<Arc<Shared>>, Json(req): Json<RaiseEvent>) -> Json<Event> {
    let corp_id = shared.lock().org.corp.corp_id.clone();
    let event = Event::new(req.event_type, shared.clock.now_ms(), corp_id, req.data);
    shared.events.publish(event.clone());
    Json(event)
}

impl crate::control::Control {
    /// Every approval event the emulator raised since the last reset.
    pub async fn events(&self) -> Result<Vec<Event>, crate::control::ControlCallError> {
        self.get("/_emulator/events", &[]).await
    }

    /// Raises a raw event (no approval behind it), to exercise delivery.
    pub async fn raise_event(
        &self,
        event_type: EventType,
        data: Map<String, Value>,
    ) -> Result<Event, crate::control::ControlCallError> {
        self.post("/_emulator/events", &RaiseEvent { event_type, data }).await
    }
}
