//! Drafts, local first: every change is kept in this device's `localStorage` at once and sent to the server a
//! moment later (`PUT /api/drafts/{id}` with the last version the device saw), so a draft survives a reload, a
//! lost network and a switch to another device.
//!
//! Who wins is decided by the server's version, never by comparing clocks (a phone's clock may be minutes off):
//! - a copy with no unsent changes takes whatever the server has (the server is newer or the same);
//! - a copy with unsent changes based on the server's current version is newer: it is sent as it is;
//! - a copy with unsent changes based on an older version means another device saved in between. Both are kept:
//!   this device's values keep the draft's id (they are what is on the screen, and the form keeps its URL) and
//!   the other device's values become a new draft, so nothing anyone typed is lost and nobody has to answer a
//!   question while typing (DingTalk's own approvals have no shared drafts, so there is no native pattern to
//!   follow; a non-blocking "kept as a separate draft" note is the least surprising).
//!
//! `updatedAt` only orders the list, newest first.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use api_types::form::FormValues;
use api_types::{Draft, ErrorCode, SaveDraft};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Transport, UserStorage, is_online, now_ms, unreachable};
use crate::errors::Failure;
use crate::i18n::Lang;

/// How long after the last change a draft is sent to the server.
pub const SYNC_DELAY: Duration = Duration::from_millis(1500);

/// The prefix of a draft's storage name (`shenpi.<user>.draft.<id>`).
const DRAFT: &str = "draft.";
/// How many unanswered saves a draft remembers (each a fingerprint of 8 bytes).
const MAX_UNANSWERED: usize = 8;
/// The prefix of a deletion the server has not heard of yet (`shenpi.<user>.deleted.<id>`).
const DELETED: &str = "deleted.";

/// A draft as this device keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalDraft {
    /// The draft's id, made on the device that started it.
    pub id: String,
    /// The approval template the form belongs to.
    pub process_code: String,
    /// The values filled in so far.
    pub values: FormValues,
    /// When the values last changed, in Unix milliseconds (this device's clock for local changes, the server's
    /// for saved ones).
    pub updated_at: i64,
    /// The server's version these values are based on; `None` until the server has acknowledged the draft.
    pub version: Option<i64>,
    /// Whether the values have changes the server has not acknowledged.
    pub dirty: bool,
    /// Fingerprints of the values sent since the server last answered, so that a save whose answer was lost is
    /// recognised as our own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sent: Vec<u64>,
}

impl LocalDraft {
    fn from_server(draft: Draft) -> Self {
        Self {
            id: draft.id,
            process_code: draft.process_code,
            values: draft.values,
            updated_at: draft.updated_at,
            version: Some(draft.version),
            dirty: false,
            sent: Vec::new(),
        }
    }
}

/// What one sync of a draft came to.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncOutcome {
    /// The server already had this device's values (or the draft is not kept here).
    UpToDate,
    /// The server saved the values as this version.
    Saved(i64),
    /// The server was not reached: the draft waits on this device and goes out when the network returns.
    Offline,
    /// Another device had saved other values: they were kept as the draft `copy_id`, and this device's values
    /// were saved under the original id.
    Forked {
        /// The id of the draft holding the other device's values.
        copy_id: String,
    },
    /// The server refused the draft (too many drafts, too large, session over): it stays on this device.
    Refused(Failure),
}

/// One user's drafts on this device, and their sync with the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftStore {
    storage: UserStorage,
}

impl DraftStore {
    /// The drafts of `user_id` (another user on the same device has their own).
    pub fn for_user(user_id: &str) -> Self {
        Self { storage: UserStorage::for_user(user_id) }
    }

    /// A fresh draft id that fits the server's rule (8 to 64 of `A-Z a-z 0-9 _ -`).
    pub fn new_id() -> String {
        crate::session::random_hex().unwrap_or_else(|| format!("draft-{}", now_ms()))
    }

    /// The draft `id` as kept on this device.
    pub fn local(&self, id: &str) -> Option<LocalDraft> {
        self.storage.get(&format!("{DRAFT}{id}"))
    }

    /// Every draft kept on this device, the most recently changed first.
    pub fn local_drafts(&self) -> Vec<LocalDraft> {
        let mut drafts: Vec<LocalDraft> =
            self.storage.names_starting_with(DRAFT).iter().filter_map(|name| self.storage.get(name)).collect();
        newest_first(&mut drafts);
        drafts
    }

    fn put(&self, draft: &LocalDraft) -> bool {
        self.storage.set(&format!("{DRAFT}{}", draft.id), draft)
    }

    /// Keeps `values` as draft `id` on this device, marked for the next sync. Answers whether anything changed:
    /// the same values again, or an untouched empty form, store nothing.
    pub fn save_local(&self, id: &str, process_code: &str, values: &FormValues) -> bool {
        let draft = match self.local(id) {
            Some(d) if d.values == *values && d.process_code == process_code => return false,
            Some(d) => LocalDraft { process_code: process_code.to_owned(), values: values.clone(), ..d },
            None if values.0.is_empty() => return false,
            None => LocalDraft {
                id: id.to_owned(),
                process_code: process_code.to_owned(),
                values: values.clone(),
                updated_at: 0,
                version: None,
                dirty: false,
                sent: Vec::new(),
            },
        };
        self.put(&LocalDraft { updated_at: now_ms(), dirty: true, ..draft })
    }

    /// Sends draft `id`'s unsent changes to the server. A conflict keeps both versions (see the module's doc).
    pub async fn sync(&self, transport: &impl Transport, id: &str) -> SyncOutcome {
        let mut copy_id: Option<String> = None;
        // A conflict costs one more round: read the server's copy, keep it, then save ours over it.
        for _ in 0..3 {
            match self.send(transport, id).await {
                None => return SyncOutcome::UpToDate,
                Some(Ok(version)) => {
                    let Some(copy_id) = copy_id else { return SyncOutcome::Saved(version) };
                    // The other device's values go to the server too, as the new draft (best effort: if this
                    // fails, the next `sync_pending` sends them).
                    let _ = self.send(transport, &copy_id).await;
                    return SyncOutcome::Forked { copy_id };
                }
                Some(Err(Failure::Api(e))) if e.code == ErrorCode::DraftConflict => match transport.draft(id).await {
                    Ok(theirs) => copy_id = self.keep_both(id, theirs).or(copy_id),
                    // Deleted elsewhere (perhaps submitted there) while typing here: what is typed here wins.
                    Err(Failure::Api(e)) if e.code == ErrorCode::NotFound => self.rebase(id, None),
                    Err(f) => return failed(f),
                },
                Some(Err(f)) => return failed(f),
            }
        }
        SyncOutcome::Offline
    }

    /// One `PUT` of draft `id`'s unsent changes, if it has any; answers the version saved.
    async fn send(&self, transport: &impl Transport, id: &str) -> Option<Result<i64, Failure>> {
        let mut draft = self.local(id).filter(|d| d.dirty)?;
        let sent = fingerprint(&draft.values);
        // Remembered before sending, so that a save whose answer is lost is recognised later.
        if !draft.sent.contains(&sent) {
            if draft.sent.len() >= MAX_UNANSWERED {
                draft.sent.remove(0);
            }
            draft.sent.push(sent);
        }
        self.put(&draft);
        let save = SaveDraft { process_code: draft.process_code, values: draft.values, version: draft.version };
        Some(transport.save_draft(id, &save).await.map(|saved| {
            let version = saved.version;
            self.acknowledge(saved, sent);
            version
        }))
    }

    /// Syncs every draft with unsent changes, and sends deletions made offline.
    pub async fn sync_pending(&self, transport: &impl Transport) {
        for name in self.storage.names_starting_with(DELETED) {
            let id = &name[DELETED.len()..];
            if self.delete_remote(transport, id).await.is_ok() {
                self.storage.remove(&name);
            }
        }
        for draft in self.local_drafts().into_iter().filter(|d| d.dirty) {
            if self.sync(transport, &draft.id).await == SyncOutcome::Offline {
                return;
            }
        }
    }

    /// Draft `id`, from this device or, when newer there, the server's (stored here for next time). `None` when
    /// neither has it.
    pub async fn load(&self, transport: &impl Transport, id: &str) -> Option<LocalDraft> {
        let local = self.local(id);
        match transport.draft(id).await {
            Ok(server) => Some(self.merge(local, server)),
            Err(Failure::Api(e)) if e.code == ErrorCode::NotFound => match local {
                Some(d) if !d.dirty && d.version.is_some() => {
                    self.forget(id);
                    None
                }
                local => local,
            },
            Err(_) => local,
        }
    }

    /// My drafts: the server's and this device's merged, the most recently changed first. Unsent changes are sent
    /// first; offline, the list is this device's.
    pub async fn list(&self, transport: &impl Transport) -> Vec<LocalDraft> {
        self.sync_pending(transport).await;
        let Ok(server) = transport.drafts().await else { return self.local_drafts() };
        let deleted = self.storage.names_starting_with(DELETED);
        let mut merged = Vec::new();
        for local in self.local_drafts() {
            let on_server = server.iter().any(|s| s.id == local.id);
            if on_server || local.dirty || local.version.is_none() {
                continue;
            }
            // Saved once, unchanged since, and no longer on the server: deleted or submitted elsewhere.
            self.forget(&local.id);
        }
        for draft in server {
            if deleted.iter().any(|name| name[DELETED.len()..] == draft.id) {
                continue;
            }
            let id = draft.id.clone();
            merged.push(self.merge(self.local(&id), draft));
        }
        let known: Vec<String> = merged.iter().map(|d| d.id.clone()).collect();
        merged.extend(self.local_drafts().into_iter().filter(|d| !known.contains(&d.id)));
        newest_first(&mut merged);
        merged
    }

    /// Deletes draft `id` here and on the server (after it was submitted, or when discarded). Offline, the
    /// deletion is remembered and sent by the next [`sync_pending`](Self::sync_pending).
    pub async fn delete(&self, transport: &impl Transport, id: &str) -> Result<(), Failure> {
        self.forget(id);
        let result = self.delete_remote(transport, id).await;
        if result.is_err() {
            self.storage.set(&format!("{DELETED}{id}"), &now_ms());
        }
        result
    }

    async fn delete_remote(&self, transport: &impl Transport, id: &str) -> Result<(), Failure> {
        match transport.delete_draft(id).await {
            Err(Failure::Api(e)) if e.code == ErrorCode::NotFound => Ok(()),
            result => result,
        }
    }

    fn forget(&self, id: &str) {
        self.storage.remove(&format!("{DRAFT}{id}"));
    }

    /// Records the server's answer to a save of the values with fingerprint `sent`: clean unless typing went on.
    fn acknowledge(&self, saved: Draft, sent: u64) {
        let Some(mut draft) = self.local(&saved.id) else { return };
        draft.version = Some(saved.version);
        draft.sent.clear();
        if fingerprint(&draft.values) == sent {
            draft.dirty = false;
            draft.updated_at = saved.updated_at;
        }
        self.put(&draft);
    }

    /// Bases the local draft `id` on `version`, keeping its values and unsent mark.
    fn rebase(&self, id: &str, version: Option<i64>) {
        if let Some(draft) = self.local(id) {
            self.put(&LocalDraft { version, ..draft });
        }
    }

    /// The server holds `theirs`, a version this device's changes were not based on. Unless those values are our
    /// own (a save whose answer was lost), they become a new draft. Answers the new draft's id.
    fn keep_both(&self, id: &str, theirs: Draft) -> Option<String> {
        let ours = self.local(id)?;
        self.rebase(id, Some(theirs.version));
        if ours.sent.contains(&fingerprint(&theirs.values)) || ours.values == theirs.values {
            return None;
        }
        let copy = LocalDraft { id: Self::new_id(), version: None, dirty: true, ..LocalDraft::from_server(theirs) };
        self.put(&copy);
        Some(copy.id)
    }

    /// This device's copy (if any) and the server's, as one draft kept here.
    fn merge(&self, local: Option<LocalDraft>, server: Draft) -> LocalDraft {
        match local {
            Some(local) if local.dirty && local.version == Some(server.version) => local,
            Some(local) if local.dirty => {
                let id = local.id.clone();
                self.keep_both(&id, server);
                self.local(&id).unwrap_or(local)
            }
            _ => {
                let draft = LocalDraft::from_server(server);
                self.put(&draft);
                draft
            }
        }
    }
}

fn failed(failure: Failure) -> SyncOutcome {
    if unreachable(&failure) { SyncOutcome::Offline } else { SyncOutcome::Refused(failure) }
}

fn newest_first(drafts: &mut [LocalDraft]) {
    drafts.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.id.cmp(&b.id)));
}

/// FNV-1a over the values' JSON: enough to tell "the values we sent" from others, in a few bytes of storage.
fn fingerprint(values: &FormValues) -> u64 {
    let json = serde_json::to_string(values).unwrap_or_default();
    json.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Where a draft on the screen stands, for a line like 「已保存」 under the form.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SaveStatus {
    /// Nothing typed yet.
    #[default]
    Idle,
    /// Kept on this device; going to the server.
    Saving,
    /// On the server.
    Saved,
    /// Kept on this device only; it goes to the server when the network returns.
    Offline,
    /// Another device had changed the draft: its version is kept as the draft `copy_id`; this one is saved.
    Conflict {
        /// The draft holding the other device's version.
        copy_id: String,
    },
    /// The server refused the draft; it is kept on this device. Say why with [`Failure::describe`].
    Refused(Failure),
}

impl SaveStatus {
    /// A short line to show under the form.
    pub fn label(&self, lang: Lang) -> &'static str {
        match self {
            SaveStatus::Idle => "",
            SaveStatus::Saving => lang.pick("正在保存…", "Saving…"),
            SaveStatus::Saved => lang.pick("已保存", "Saved"),
            SaveStatus::Offline => lang.pick("已保存在本机，联网后同步", "Saved on this device; syncs when online"),
            SaveStatus::Conflict { .. } => lang
                .pick("其他设备上的修改已另存为一份草稿", "Changes from another device were kept as a separate draft"),
            SaveStatus::Refused(_) => lang.pick("已保存在本机，未能同步", "Saved on this device; not synced"),
        }
    }

    fn after(outcome: SyncOutcome) -> Self {
        match outcome {
            SyncOutcome::UpToDate | SyncOutcome::Saved(_) => SaveStatus::Saved,
            SyncOutcome::Offline => SaveStatus::Offline,
            SyncOutcome::Forked { copy_id } => SaveStatus::Conflict { copy_id },
            SyncOutcome::Refused(failure) => SaveStatus::Refused(failure),
        }
    }
}

/// What [`use_autosave`] gives the form.
#[derive(Debug, Clone, Copy)]
pub struct UseAutosaveReturn {
    /// Where the draft stands.
    pub status: Signal<SaveStatus>,
    /// Sends the draft now (e.g. before leaving the page); the answer shows in `status`.
    pub sync_now: Callback<()>,
}

/// Keeps the form's `values` as draft `id`: on this device at every change, on the server [`SYNC_DELAY`] after
/// the last one, at once when the page is hidden or closed, and again when the network returns.
pub fn use_autosave<T: Transport + Clone + 'static>(
    store: DraftStore,
    transport: T,
    id: String,
    process_code: String,
    values: Signal<FormValues>,
) -> UseAutosaveReturn {
    let initial = match store.local(&id) {
        Some(d) if d.dirty => SaveStatus::Saving,
        Some(_) => SaveStatus::Saved,
        None => SaveStatus::Idle,
    };
    let status = RwSignal::new(initial.clone());
    let saver = Rc::new(Autosaver {
        store,
        transport,
        id,
        process_code,
        status,
        timer: Cell::new(None),
        running: Cell::new(false),
        again: Cell::new(false),
    });

    Effect::new({
        let saver = Rc::clone(&saver);
        move |_| {
            let changed = values.with(|v| saver.store.save_local(&saver.id, &saver.process_code, v));
            if changed {
                status.set(if is_online() { SaveStatus::Saving } else { SaveStatus::Offline });
                saver.schedule(SYNC_DELAY);
            }
        }
    });
    // The handle is `Copy` and `Send`, as event listeners, cleanups and callbacks want.
    let saver = StoredValue::new_local(saver);
    let sync_soon = move || saver.with_value(|s| s.schedule(Duration::ZERO));
    let online = window_event_listener(leptos::ev::online, move |_| sync_soon());
    let pagehide = window_event_listener(leptos::ev::pagehide, move |_| sync_soon());
    let hidden = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if document().hidden() {
            sync_soon();
        }
    });
    // A draft left unsent by an earlier visit goes out now.
    if initial == SaveStatus::Saving {
        sync_soon();
    }

    on_cleanup(move || {
        online.remove();
        pagehide.remove();
        hidden.remove();
        // Leaving the form inside the app: send what the timer had not sent yet.
        saver.try_with_value(|s| s.schedule(Duration::ZERO));
    });

    let sync_now = Callback::new(move |()| sync_soon());
    UseAutosaveReturn { status: status.into(), sync_now }
}

/// The state behind one [`use_autosave`].
struct Autosaver<T> {
    store: DraftStore,
    transport: T,
    id: String,
    process_code: String,
    status: RwSignal<SaveStatus>,
    timer: Cell<Option<TimeoutHandle>>,
    /// A sync is under way.
    running: Cell<bool>,
    /// A change came while a sync was under way: run once more after it.
    again: Cell<bool>,
}

impl<T: Transport + Clone + 'static> Autosaver<T> {
    /// Runs a sync after `delay`, replacing one already waiting.
    fn schedule(self: &Rc<Self>, delay: Duration) {
        if let Some(timer) = self.timer.take() {
            timer.clear();
        }
        let saver = Rc::clone(self);
        let run = move || {
            saver.timer.set(None);
            leptos::task::spawn_local(async move { saver.run().await });
        };
        if delay.is_zero() {
            run();
        } else {
            self.timer.set(set_timeout_with_handle(run, delay).ok());
        }
    }

    async fn run(self: Rc<Self>) {
        if self.running.replace(true) {
            self.again.set(true);
            return;
        }
        loop {
            let outcome = self.store.sync(&self.transport, &self.id).await;
            let still_dirty = self.store.local(&self.id).is_some_and(|d| d.dirty);
            let status = match SaveStatus::after(outcome) {
                SaveStatus::Saved if still_dirty => SaveStatus::Saving,
                status => status,
            };
            // The status signal is gone once the form is: the last sync after leaving has no one to tell.
            let _ = self.status.try_set(status);
            if !self.again.replace(false) {
                break;
            }
        }
        self.running.set(false);
    }
}
