//! Event intake: DingTalk's events as the server keeps them. The intake channels (Stream mode, the encrypted HTTP
//! callback) turn what they receive into a [`StoredEvent`], append it once per `event_id`, and hand it to
//! [`crate::index::apply`].

use serde_json::{Map, Value};

/// The channel an event arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Stream mode (WebSocket).
    Stream,
    /// The encrypted HTTP callback.
    Http,
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
