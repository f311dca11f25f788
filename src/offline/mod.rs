//! Work that must survive a reload and a lost network: drafts kept on the device and synced to the server
//! ([`drafts`]), and submissions waiting in a local outbox until the network returns ([`outbox`]).
//!
//! Both keep their data in `localStorage` under `shenpi.<user>.…`, so two people sharing a device (or a browser)
//! never see each other's drafts, and both talk to the server through [`Transport`], which [`Api`] implements
//! and browser tests replace with a fake.

pub mod drafts;
pub mod outbox;

use api_types::{Draft, SaveDraft};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use self::outbox::Accepted;

use crate::api::Api;
use crate::errors::Failure;

/// What the offline layer needs from the server: the draft endpoints and the keyed submit.
///
/// The app is single-threaded WASM, so the futures need no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// `GET /api/drafts`.
    async fn drafts(&self) -> Result<Vec<Draft>, Failure>;
    /// `GET /api/drafts/{id}`.
    async fn draft(&self, id: &str) -> Result<Draft, Failure>;
    /// `PUT /api/drafts/{id}`.
    async fn save_draft(&self, id: &str, draft: &SaveDraft) -> Result<Draft, Failure>;
    /// `DELETE /api/drafts/{id}`.
    async fn delete_draft(&self, id: &str) -> Result<(), Failure>;
    /// `POST /api/requests` with a [`api_types::SubmitRequest`] already in JSON, once per `key`. Raw JSON, so
    /// that the outbox, which is in the first load, resends what it kept without the code that reads form values.
    async fn submit(&self, request: &RawValue, key: &str) -> Result<Accepted, Failure>;
}

impl Transport for Api {
    async fn drafts(&self) -> Result<Vec<Draft>, Failure> {
        Api::drafts(self).await
    }

    async fn draft(&self, id: &str) -> Result<Draft, Failure> {
        Api::draft(self, id).await
    }

    async fn save_draft(&self, id: &str, draft: &SaveDraft) -> Result<Draft, Failure> {
        Api::save_draft(self, id, draft).await
    }

    async fn delete_draft(&self, id: &str) -> Result<(), Failure> {
        Api::delete_draft(self, id).await
    }

    async fn submit(&self, request: &RawValue, key: &str) -> Result<Accepted, Failure> {
        Api::submit(self, request, key).await
    }
}

/// One user's corner of `localStorage`: every key starts with `shenpi.<user>.`, the user id escaped so that no
/// user's prefix is another's.
#[derive(Debug, Clone, PartialEq, Eq)]
struct UserStorage {
    prefix: String,
}

impl UserStorage {
    /// The corner of `user_id`.
    fn for_user(user_id: &str) -> Self {
        let mut prefix = String::from("shenpi.");
        for c in user_id.chars() {
            match c {
                '%' => prefix.push_str("%25"),
                '.' => prefix.push_str("%2E"),
                c => prefix.push(c),
            }
        }
        prefix.push('.');
        Self { prefix }
    }

    /// The full storage key of `name`.
    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The value stored under `name`, if any and readable as `T`.
    fn get<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let raw = local_storage()?.get_item(&self.key(name)).ok()??;
        serde_json::from_str(&raw).ok()
    }

    /// Stores `value` under `name`; false when storage is unavailable or full.
    fn set<T: Serialize>(&self, name: &str, value: &T) -> bool {
        match (local_storage(), serde_json::to_string(value)) {
            (Some(storage), Ok(raw)) => storage.set_item(&self.key(name), &raw).is_ok(),
            _ => false,
        }
    }

    /// Removes what is stored under `name`.
    fn remove(&self, name: &str) {
        if let Some(storage) = local_storage() {
            let _ = storage.remove_item(&self.key(name));
        }
    }

    /// The names (without this user's prefix) of every stored key that starts with `start`.
    fn names_starting_with(&self, start: &str) -> Vec<String> {
        let Some(storage) = local_storage() else { return Vec::new() };
        let full = self.key(start);
        let count = storage.length().unwrap_or(0);
        (0..count)
            .filter_map(|i| storage.key(i).ok().flatten())
            .filter_map(|key| key.strip_prefix(&self.prefix).filter(|_| key.starts_with(&full)).map(str::to_owned))
            .collect()
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The device's clock, in Unix milliseconds.
fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Whether the browser believes it is online (it may be wrong the other way: "online" behind a dead network).
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Whether a failure means "the server was not reached", so the work should wait for the network.
fn unreachable(failure: &Failure) -> bool {
    matches!(failure, Failure::Network(_))
}
