//! The outbox: a submission made without a network waits in this device's `localStorage` and goes out when the
//! network returns, with the `Idempotency-Key` it was first sent with.
//!
//! The key makes resending safe. The server carries a request out once per key and answers a repeat with the
//! first answer, so an item whose first attempt did reach the server (only the answer was lost) is not created
//! twice, and two tabs flushing the same outbox at once send the same key twice and get one request.
//!
//! The outbox runs from the app's start, so it is in the first load: it keeps each submission as the JSON it sends
//! and never reads the form values in it (their code is in the new-request page's chunk).

use std::time::Duration;

use api_types::SubmitRequest;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::drafts::DraftStore;
use super::{Transport, UserStorage, now_ms, unreachable};
use crate::errors::Failure;

/// The storage name of the waiting items (`shenpi.<user>.outbox`).
const OUTBOX: &str = "outbox";
/// How often a waiting outbox retries while the page is open (the `online` event also triggers a flush, but
/// browsers report "online" on networks that do not reach the server).
pub const RETRY_EVERY: Duration = Duration::from_secs(30);

/// A submission waiting for the network.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Queued {
    /// The `Idempotency-Key` of the first attempt, used for every retry.
    pub key: String,
    /// What is submitted: a [`SubmitRequest`] in JSON, sent as it was kept.
    pub request: Box<RawValue>,
    /// When it was queued, in Unix milliseconds.
    pub queued_at: i64,
    /// The draft it was submitted from, deleted once the request is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_id: Option<String>,
}

/// The server's answer to a submission, as far as the outbox reads it (the answer is a whole
/// [`api_types::SubmittedRequest`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Accepted {
    /// The request's id on the server (its page is `/requests/{id}`).
    pub id: String,
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// The server took it.
    Sent(Accepted),
    /// The server was not reached: it waits in the outbox.
    Queued,
}

/// A waiting item's server answer, from a flush.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The item's key.
    pub key: String,
    /// What the server answered: the request's id, or why it refused (show it with [`Failure::describe`]).
    pub result: Result<Accepted, Failure>,
}

/// One user's outbox on this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbox {
    storage: UserStorage,
    user_id: String,
}

impl Outbox {
    /// The outbox of `user_id` (another user on the same device has their own).
    pub fn for_user(user_id: &str) -> Self {
        Self { storage: UserStorage::for_user(user_id), user_id: user_id.to_owned() }
    }

    /// The submissions waiting, oldest first.
    pub fn waiting(&self) -> Vec<Queued> {
        self.storage.get(OUTBOX).unwrap_or_default()
    }

    /// Submits `request` with `key`; when the server cannot be reached, keeps it to send later with the same key.
    /// `draft_id` names the draft it came from, deleted (here and on the server) once the request is in. An
    /// error is the server's refusal, for the form to show.
    pub async fn submit(
        &self,
        transport: &impl Transport,
        request: SubmitRequest,
        key: &str,
        draft_id: Option<&str>,
    ) -> Result<Submitted, Failure> {
        let request = serde_json::value::to_raw_value(&request)
            .map_err(|e| Failure::Network(format!("the request could not be written: {e}")))?;
        match transport.submit(&request, key).await {
            Ok(accepted) => {
                self.drop_draft(transport, draft_id).await;
                Ok(Submitted::Sent(accepted))
            }
            Err(f) if unreachable(&f) => {
                let item =
                    Queued { key: key.to_owned(), request, queued_at: now_ms(), draft_id: draft_id.map(str::to_owned) };
                self.update(|items| {
                    if !items.iter().any(|i| i.key == item.key) {
                        items.push(item);
                    }
                });
                Ok(Submitted::Queued)
            }
            Err(f) => Err(f),
        }
    }

    /// Resends each waiting item with its own key, oldest first, and removes it on any server answer. Stops at
    /// the first one that cannot reach the server (the rest would not either). Answers what the server said.
    pub async fn flush(&self, transport: &impl Transport) -> Vec<Delivery> {
        let mut deliveries = Vec::new();
        for item in self.waiting() {
            let result = transport.submit(&item.request, &item.key).await;
            if result.as_ref().is_err_and(unreachable) {
                break;
            }
            self.update(|items| items.retain(|i| i.key != item.key));
            if result.is_ok() {
                self.drop_draft(transport, item.draft_id.as_deref()).await;
            }
            deliveries.push(Delivery { key: item.key, result });
        }
        deliveries
    }

    async fn drop_draft(&self, transport: &impl Transport, draft_id: Option<&str>) {
        if let Some(id) = draft_id {
            // Offline, the deletion is remembered and sent later by the drafts' own sync.
            let _ = DraftStore::for_user(&self.user_id).delete(transport, id).await;
        }
    }

    /// Changes the stored items, read afresh so that another tab's additions are kept.
    fn update(&self, change: impl FnOnce(&mut Vec<Queued>)) {
        let mut items = self.waiting();
        change(&mut items);
        if items.is_empty() {
            self.storage.remove(OUTBOX);
        } else {
            self.storage.set(OUTBOX, &items);
        }
    }
}

/// What [`use_outbox`] gives the app.
#[derive(Debug, Clone, Copy)]
pub struct UseOutboxReturn {
    /// The submissions waiting for the network, oldest first.
    pub waiting: Signal<Vec<Queued>>,
    /// What the server answered to the items sent by the last flush.
    pub delivered: Signal<Vec<Delivery>>,
    /// Rereads the outbox (call it after [`Outbox::submit`] answered [`Submitted::Queued`]) and retries.
    pub refresh: Callback<()>,
}

/// Sends the outbox: once now (the app's start), whenever the network returns, and every [`RETRY_EVERY`] while
/// items wait. Mount it once, below the login (the items belong to the logged-in user).
pub fn use_outbox<T: Transport + Clone + 'static>(outbox: Outbox, transport: T) -> UseOutboxReturn {
    let waiting = RwSignal::new(outbox.waiting());
    let delivered = RwSignal::new(Vec::new());
    let busy = StoredValue::new(false);
    let transport = StoredValue::new_local(transport);
    let flush = Callback::new(move |()| {
        if busy.get_value() {
            return;
        }
        busy.set_value(true);
        let (outbox, Some(transport)) = (outbox.clone(), transport.try_get_value()) else { return };
        leptos::task::spawn_local(async move {
            let sent = outbox.flush(&transport).await;
            let _ = waiting.try_set(outbox.waiting());
            if !sent.is_empty() {
                let _ = delivered.try_set(sent);
            }
            let _ = busy.try_set_value(false);
        });
    });
    flush.run(());

    let online = window_event_listener(leptos::ev::online, move |_| flush.run(()));
    // Another tab queued or sent something.
    let storage = window_event_listener(leptos::ev::storage, move |_| flush.run(()));
    let timer = set_interval_with_handle(
        move || {
            if waiting.with_untracked(|w| !w.is_empty()) {
                flush.run(());
            }
        },
        RETRY_EVERY,
    )
    .ok();
    on_cleanup(move || {
        online.remove();
        storage.remove();
        if let Some(timer) = timer {
            timer.clear();
        }
    });

    UseOutboxReturn { waiting: waiting.into(), delivered: delivered.into(), refresh: flush }
}
