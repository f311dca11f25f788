//! Approval events (`bpms_instance_change`, `bpms_task_change`, events.md §2) as the engine raises them, the contact
//! event `user_leave_org`, and the bus that hands them to the two delivery channels: HTTP push ([`crate::push`]) and
//! Stream mode ([`crate::stream`]).
//!
//! `user_leave_org` is documented only loosely by DingTalk, so its field set here is a choice, not a copy (unverified):
//! the business fields (the Stream `data`) are `{"userId": ["..."]}`, an array as in DingTalk's contact-event pages,
//! since one event may name several people. The HTTP plaintext adds, besides the metadata every push has, the legacy
//! spelling `UserId` (same array) and `TimeStamp` (ms as a string), because the legacy plaintext
//! `{"EventType":"user_leave_org","UserId":[...],"CorpId":...,"TimeStamp":...}` is the one shape DingTalk printed; a
//! receiver that reads either spelling works with both generations.
//!
//! The engine publishes under the state lock; the bus never blocks. Event faults (drop, duplicate, reorder, delay)
//! are applied here, once, so both channels see the same faulty sequence.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use crate::limits::EventFaults;
use crate::state::Shared;

/// How many events a slow channel may fall behind before it misses some.
const BUS_CAPACITY: usize = 4096;

/// The event types the emulator raises: the two approval types and one contact type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    /// Instance started, finished or terminated.
    #[serde(rename = "bpms_instance_change")]
    InstanceChange,
    /// Task started, finished (agree, refuse, redirect) or cancelled.
    #[serde(rename = "bpms_task_change")]
    TaskChange,
    /// People left the organisation (contact event; field set unverified, see the module doc).
    #[serde(rename = "user_leave_org")]
    UserLeaveOrg,
}

impl EventType {
    /// DingTalk's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InstanceChange => "bpms_instance_change",
            Self::TaskChange => "bpms_task_change",
            Self::UserLeaveOrg => "user_leave_org",
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

    /// A `user_leave_org` event naming the people who left.
    pub fn user_leave_org(user_ids: &[String], born_ms: i64, corp_id: String) -> Self {
        let mut data = Map::new();
        data.insert("userId".into(), json!(user_ids));
        Self::new(EventType::UserLeaveOrg, born_ms, corp_id, data)
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
        if self.event_type == EventType::UserLeaveOrg {
            // The legacy spellings too (see the module doc).
            if let Some(user_ids) = self.data.get("userId") {
                body.insert("UserId".into(), user_ids.clone());
            }
            body.insert("TimeStamp".into(), json!(self.born_ms.to_string()));
        }
        Value::Object(body)
    }

    /// The `data` string of a Stream EVENT frame: the business fields only (metadata goes to the frame headers).
    pub fn stream_data(&self) -> String {
        Value::Object(self.data.clone()).to_string()
    }
}

/// The bus: a log of everything the engine raised (for the control API), the event faults, and a broadcast of what
/// is delivered to the two channels.
pub struct EventBus {
    inner: Arc<BusInner>,
}

struct BusInner {
    tx: broadcast::Sender<Event>,
    log: Mutex<Vec<Event>>,
    delivery: Mutex<Delivery>,
}

/// The faulty path from "raised" to "delivered".
struct Delivery {
    faults: EventFaults,
    rng: StdRng,
    /// An event held back by `reorder` (twice when it was also duplicated).
    held: Vec<Event>,
    /// Events waiting for their delivery time, in delivery order.
    queue: VecDeque<(Instant, Event)>,
    /// Everything handed to the channels since the last reset, in order.
    delivered: Vec<Event>,
}

impl Default for Delivery {
    fn default() -> Self {
        Self {
            faults: EventFaults::default(),
            rng: crate::limits::dice(crate::limits::DEFAULT_SEED),
            held: Vec::new(),
            queue: VecDeque::new(),
            delivered: Vec::new(),
        }
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self {
            inner: Arc::new(BusInner {
                tx: broadcast::channel(BUS_CAPACITY).0,
                log: Mutex::new(Vec::new()),
                delivery: Mutex::new(Delivery::default()),
            }),
        }
    }
}

impl BusInner {
    fn delivery(&self) -> MutexGuard<'_, Delivery> {
        self.delivery.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands the channels every queued event whose time has come, in order; a later event never overtakes an
    /// earlier one.
    fn drain(&self, delivery: &mut Delivery) {
        let now = Instant::now();
        while delivery.queue.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, event)) = delivery.queue.pop_front() {
                delivery.delivered.push(event.clone());
                // No receiver yet is fine: nothing is registered to deliver to.
                let _ = self.tx.send(event);
            }
        }
    }

    /// Queues events for delivery after `delay` and delivers what is due. Delayed events are released by a timer
    /// task; outside a Tokio runtime (unit tests) there is no timer, so they are delivered at once.
    fn enqueue(self: &Arc<Self>, delivery: &mut Delivery, events: Vec<Event>, delay: Duration) {
        let due = Instant::now() + delay;
        delivery.queue.extend(events.into_iter().map(|event| (due, event)));
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) if !delay.is_zero() && !delivery.queue.is_empty() => {
                let inner = self.clone();
                runtime.spawn(async move {
                    tokio::time::sleep_until(due.into()).await;
                    inner.drain(&mut inner.delivery());
                });
            }
            Ok(_) => {}
            Err(_) => delivery.queue.iter_mut().for_each(|(at, _)| *at = Instant::now()),
        }
        self.drain(delivery);
    }
}

impl EventBus {
    /// Records an event as raised and delivers it through the event faults.
    pub fn publish(&self, event: Event) {
        self.inner.log.lock().unwrap_or_else(|e| e.into_inner()).push(event.clone());
        let mut delivery = self.inner.delivery();
        let Delivery { faults, rng, held, .. } = &mut *delivery;
        let out = faults.shape(rng, held, event);
        let delay = Duration::from_millis(faults.delay_ms);
        self.inner.enqueue(&mut delivery, out, delay);
    }

    /// A new receiver of every event delivered from now on (after event faults).
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.tx.subscribe()
    }

    /// Every event raised since the last reset, in order, before event faults.
    pub fn log(&self) -> Vec<Event> {
        self.inner.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every event delivered to the channels since the last reset, in order, after event faults.
    pub fn delivered(&self) -> Vec<Event> {
        self.inner.delivery().delivered.clone()
    }

    /// The event faults in force.
    pub fn faults(&self) -> EventFaults {
        self.inner.delivery().faults
    }

    /// Sets the event faults; an event held back for reordering is released now.
    pub fn set_faults(&self, faults: EventFaults) {
        let mut delivery = self.inner.delivery();
        delivery.faults = faults;
        let held = std::mem::take(&mut delivery.held);
        self.inner.enqueue(&mut delivery, held, Duration::from_millis(faults.delay_ms));
    }

    /// Re-seeds the dice of event faults.
    pub fn seed(&self, seed: u64) {
        self.inner.delivery().rng = crate::limits::dice(seed);
    }

    /// Forgets the log, the delivered sequence, held and queued events, and the event faults.
    pub fn reset(&self) {
        self.inner.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
        *self.inner.delivery() = Delivery::default();
    }
}

/// Control routes: `GET /_emulator/events` lists what was raised, `GET /_emulator/events/delivered` what was
/// delivered after event faults; `POST /_emulator/events` raises a raw event, to exercise delivery (push, Stream,
/// event faults) without running an approval.
pub fn control_routes() -> Router<Arc<Shared>> {
    Router::new().route("/_emulator/events", get(list).post(raise)).route("/_emulator/events/delivered", get(delivered))
}

async fn delivered(State(shared): State<Arc<Shared>>) -> Json<Vec<Event>> {
    Json(shared.events.delivered())
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

    /// Every approval event delivered to HTTP push and Stream since the last reset, after event faults.
    pub async fn delivered_events(&self) -> Result<Vec<Event>, crate::control::ControlCallError> {
        self.get("/_emulator/events/delivered", &[]).await
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u64) -> Event {
        let mut data = Map::new();
        data.insert("n".into(), n.into());
        Event::new(EventType::TaskChange, 0, "corp".into(), data)
    }

    fn n(event: &Event) -> u64 {
        event.data["n"].as_u64().unwrap_or(0)
    }

    #[tokio::test]
    async fn subscribers_get_the_faulty_sequence_and_the_log_keeps_what_was_raised() {
        let bus = EventBus::default();
        let mut rx = bus.subscribe();
        bus.set_faults(EventFaults { duplicate: 1.0, reorder: 1.0, ..EventFaults::default() });
        for i in 1..=2 {
            bus.publish(event(i));
        }
        let mut got = Vec::new();
        while let Ok(e) = rx.try_recv() {
            got.push(n(&e));
        }
        assert_eq!(got, [2, 2, 1, 1]);
        assert_eq!(bus.log().iter().map(n).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(bus.delivered().iter().map(n).collect::<Vec<_>>(), [2, 2, 1, 1]);
    }

    #[tokio::test]
    async fn a_delayed_event_reaches_subscribers_after_the_delay() {
        let bus = EventBus::default();
        let mut rx = bus.subscribe();
        bus.set_faults(EventFaults { delay_ms: 200, ..EventFaults::default() });
        let raised = Instant::now();
        bus.publish(event(1));
        assert!(rx.try_recv().is_err(), "delivered before the delay");
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
        assert_eq!(n(&got), 1);
        assert!(raised.elapsed() >= Duration::from_millis(200));
    }

    #[test]
    fn user_leave_org_carries_both_spellings_over_http_and_only_user_id_over_stream() {
        let event = Event::user_leave_org(&["zhangsan".into()], 1_700_000_000_000, "corp".into());
        assert_eq!(event.event_type.as_str(), "user_leave_org");
        let http = event.http_plaintext();
        assert_eq!(http["EventType"], "user_leave_org");
        assert_eq!(http["UserId"], json!(["zhangsan"]));
        assert_eq!(http["userId"], json!(["zhangsan"]));
        assert_eq!(http["CorpId"], "corp");
        assert_eq!(http["TimeStamp"], "1700000000000");
        let stream: Value = serde_json::from_str(&event.stream_data()).unwrap();
        assert_eq!(stream, json!({ "userId": ["zhangsan"] }));
    }

    #[test]
    fn reset_forgets_faults_and_what_was_held_back() {
        let bus = EventBus::default();
        bus.set_faults(EventFaults { reorder: 1.0, ..EventFaults::default() });
        bus.publish(event(1));
        assert!(bus.delivered().is_empty());
        bus.reset();
        bus.publish(event(2));
        assert_eq!(bus.delivered().iter().map(n).collect::<Vec<_>>(), [2]);
        assert_eq!(bus.faults(), EventFaults::default());
    }
}
