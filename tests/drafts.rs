//! Drafts and the outbox in headless Chromium, with the real `localStorage` and a fake server: local saves survive
//! a reload and stay per user, a conflict keeps both versions, and a submission made offline goes out once, with
//! its key, when the network returns.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use api_types::form::{FieldValue, FormValues};
use api_types::{ApiError, Draft, ErrorCode, RequestState, SaveDraft, SubmitRequest, SubmittedRequest};
use serde_json::value::RawValue;
use shenpi::errors::Failure;
use shenpi::offline::Transport;
use shenpi::offline::drafts::{DraftStore, SyncOutcome};
use shenpi::offline::outbox::{Accepted, Outbox, Submitted};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// How the fake server treats the next calls.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
enum Network {
    /// Calls arrive and are answered.
    #[default]
    Up,
    /// Calls never arrive.
    Down,
    /// Calls arrive and are carried out, but the answer is lost on the way back.
    LosesAnswers,
}

#[derive(Debug, Default)]
struct Server {
    network: Network,
    drafts: BTreeMap<String, Draft>,
    clock: i64,
    /// The key of every submission that arrived, in order.
    keys: Vec<String>,
    /// The request made for each key (a repeat gets the first answer).
    requests: BTreeMap<String, SubmittedRequest>,
    /// The next submissions are refused with this code.
    refuse_with: Option<ErrorCode>,
}

/// A fake of shenpi's server with the real one's draft versions and idempotency keys.
#[derive(Debug, Clone, Default)]
struct FakeServer(Rc<RefCell<Server>>);

impl FakeServer {
    fn set_network(&self, network: Network) {
        self.0.borrow_mut().network = network;
    }

    fn draft_on_server(&self, id: &str) -> Option<Draft> {
        self.0.borrow().drafts.get(id).cloned()
    }

    /// A save from another device, with no version check.
    fn save_from_elsewhere(&self, id: &str, values: FormValues) {
        let mut server = self.0.borrow_mut();
        server.clock += 1000;
        let version = server.drafts.get(id).map_or(1, |d| d.version + 1);
        let draft =
            Draft { id: id.into(), process_code: "PROC-LEAVE".into(), values, updated_at: server.clock, version };
        server.drafts.insert(id.into(), draft);
    }

    /// Runs `call` unless the network is down, and loses its answer when the network says so.
    fn call<T>(&self, call: impl FnOnce(&mut Server) -> Result<T, Failure>) -> Result<T, Failure> {
        let network = self.0.borrow().network;
        if network == Network::Down {
            return Err(Failure::Network("offline".into()));
        }
        let answer = call(&mut self.0.borrow_mut());
        if network == Network::LosesAnswers {
            return Err(Failure::Network("connection reset".into()));
        }
        answer
    }
}

fn api_error(code: ErrorCode) -> Failure {
    Failure::Api(ApiError::new(code, "refused"))
}

impl Transport for FakeServer {
    async fn drafts(&self) -> Result<Vec<Draft>, Failure> {
        self.call(|s| Ok(s.drafts.values().cloned().collect()))
    }

    async fn draft(&self, id: &str) -> Result<Draft, Failure> {
        self.call(|s| s.drafts.get(id).cloned().ok_or(api_error(ErrorCode::NotFound)))
    }

    async fn save_draft(&self, id: &str, save: &SaveDraft) -> Result<Draft, Failure> {
        self.call(|s| {
            let stored = s.drafts.get(id).map(|d| d.version);
            if save.version.is_some() && save.version != stored {
                return Err(api_error(ErrorCode::DraftConflict));
            }
            s.clock += 1000;
            let draft = Draft {
                id: id.into(),
                process_code: save.process_code.clone(),
                values: save.values.clone(),
                updated_at: s.clock,
                version: stored.unwrap_or(0) + 1,
            };
            s.drafts.insert(id.into(), draft.clone());
            Ok(draft)
        })
    }

    async fn delete_draft(&self, id: &str) -> Result<(), Failure> {
        self.call(|s| s.drafts.remove(id).map(|_| ()).ok_or(api_error(ErrorCode::NotFound)))
    }

    async fn submit(&self, request: &RawValue, key: &str) -> Result<Accepted, Failure> {
        let request: SubmitRequest = serde_json::from_str(request.get()).expect("the outbox sends a SubmitRequest");
        self.call(|s| {
            s.keys.push(key.into());
            if let Some(code) = s.refuse_with {
                return Err(api_error(code));
            }
            let id = format!("req-{}", s.requests.len() + 1);
            let made = SubmittedRequest {
                id,
                state: RequestState::Queued,
                instance_id: None,
                failure: None,
                process_code: Some(request.process_code.clone()),
                template_name: None,
                created_at: None,
                submitted: Some(request.clone()),
            };
            Ok(Accepted { id: s.requests.entry(key.into()).or_insert(made).id.clone() })
        })
    }
}

/// A user id no other test uses, so tests sharing the page's `localStorage` stay apart.
fn fresh_user() -> String {
    format!("u{}", DraftStore::new_id())
}

fn values(reason: &str) -> FormValues {
    FormValues::new().with("TextField-REASON", FieldValue::Text(reason.into()))
}

fn request(reason: &str) -> SubmitRequest {
    SubmitRequest {
        process_code: "PROC-LEAVE".into(),
        dept_id: None,
        values: values(reason),
        approvers: None,
        cc: None,
        picks: None,
    }
}

#[wasm_bindgen_test]
fn a_local_save_survives_a_reload() {
    let user = fresh_user();
    let id = DraftStore::new_id();
    assert!(DraftStore::for_user(&user).save_local(&id, "PROC-LEAVE", &values("回老家")));

    let reloaded = DraftStore::for_user(&user);
    let draft = reloaded.local(&id).expect("kept in localStorage");
    assert_eq!(draft.values, values("回老家"));
    assert_eq!(draft.process_code, "PROC-LEAVE");
    assert!(draft.dirty, "not on the server yet");
    assert_eq!(reloaded.local_drafts().len(), 1);
}

#[wasm_bindgen_test]
fn the_same_values_again_or_an_untouched_form_store_nothing() {
    let store = DraftStore::for_user(&fresh_user());
    let id = DraftStore::new_id();
    assert!(!store.save_local(&id, "PROC-LEAVE", &FormValues::new()));
    assert!(store.local(&id).is_none());
    assert!(store.save_local(&id, "PROC-LEAVE", &values("a")));
    assert!(!store.save_local(&id, "PROC-LEAVE", &values("a")));
}

#[wasm_bindgen_test]
fn one_users_drafts_are_not_anothers() {
    let user = fresh_user();
    // A user id that would extend the first one's storage prefix if ids were not escaped.
    let other = format!("{user}.draft");
    let id = DraftStore::new_id();
    DraftStore::for_user(&user).save_local(&id, "PROC-LEAVE", &values("mine"));

    let theirs = DraftStore::for_user(&other);
    assert!(theirs.local(&id).is_none());
    assert!(theirs.local_drafts().is_empty());
    theirs.save_local(&DraftStore::new_id(), "PROC-LEAVE", &values("theirs"));
    assert_eq!(DraftStore::for_user(&user).local_drafts().len(), 1);
}

#[wasm_bindgen_test]
async fn sync_saves_on_the_server_with_the_last_version_seen() {
    let server = FakeServer::default();
    let store = DraftStore::for_user(&fresh_user());
    let id = DraftStore::new_id();
    store.save_local(&id, "PROC-LEAVE", &values("first"));
    assert_eq!(store.sync(&server, &id).await, SyncOutcome::Saved(1));
    store.save_local(&id, "PROC-LEAVE", &values("second"));
    assert_eq!(store.sync(&server, &id).await, SyncOutcome::Saved(2));

    assert_eq!(server.draft_on_server(&id).unwrap().values, values("second"));
    let local = store.local(&id).unwrap();
    assert_eq!((local.dirty, local.version), (false, Some(2)));
    assert_eq!(store.sync(&server, &id).await, SyncOutcome::UpToDate);
}

#[wasm_bindgen_test]
async fn offline_typing_is_kept_and_synced_when_the_network_returns() {
    let server = FakeServer::default();
    let store = DraftStore::for_user(&fresh_user());
    let id = DraftStore::new_id();
    server.set_network(Network::Down);
    store.save_local(&id, "PROC-LEAVE", &values("on the train"));
    assert_eq!(store.sync(&server, &id).await, SyncOutcome::Offline);
    store.save_local(&id, "PROC-LEAVE", &values("on the train, still"));
    assert!(store.local(&id).unwrap().dirty);
    assert!(server.draft_on_server(&id).is_none());

    server.set_network(Network::Up);
    store.sync_pending(&server).await;
    assert_eq!(server.draft_on_server(&id).unwrap().values, values("on the train, still"));
    assert!(!store.local(&id).unwrap().dirty);
}

#[wasm_bindgen_test]
async fn a_conflict_keeps_the_local_values_and_the_other_devices_as_a_new_draft() {
    let server = FakeServer::default();
    let store = DraftStore::for_user(&fresh_user());
    let id = DraftStore::new_id();
    store.save_local(&id, "PROC-LEAVE", &values("phone"));
    store.sync(&server, &id).await;
    server.save_from_elsewhere(&id, values("typed on the PC"));
    store.save_local(&id, "PROC-LEAVE", &values("phone, more"));

    let SyncOutcome::Forked { copy_id } = store.sync(&server, &id).await else { panic!("expected a fork") };
    assert_ne!(copy_id, id);
    assert_eq!(store.local(&id).unwrap().values, values("phone, more"), "local typing kept under its id");
    assert_eq!(server.draft_on_server(&id).unwrap().values, values("phone, more"));
    assert_eq!(server.draft_on_server(&copy_id).unwrap().values, values("typed on the PC"));
    assert_eq!(store.local(&copy_id).unwrap().values, values("typed on the PC"));
    assert_eq!(store.list(&server).await.len(), 2);
}

#[wasm_bindgen_test]
async fn a_save_whose_answer_was_lost_is_not_taken_for_a_conflict() {
    let server = FakeServer::default();
    let store = DraftStore::for_user(&fresh_user());
    let id = DraftStore::new_id();
    store.save_local(&id, "PROC-LEAVE", &values("v1"));
    store.sync(&server, &id).await;
    store.save_local(&id, "PROC-LEAVE", &values("v2"));
    server.set_network(Network::LosesAnswers);
    assert_eq!(store.sync(&server, &id).await, SyncOutcome::Offline);

    store.save_local(&id, "PROC-LEAVE", &values("v3"));

    server.set_network(Network::Up);
    // The server has v2 as version 2 while this device, typing on, thinks version 1: v2 was ours, so no copy.
    assert_eq!(store.sync(&server, &id).await, SyncOutcome::Saved(3));
    assert_eq!(store.list(&server).await.len(), 1);
    assert_eq!(server.draft_on_server(&id).unwrap().values, values("v3"));
}

#[wasm_bindgen_test]
async fn the_list_merges_both_copies_newest_first_and_drops_drafts_deleted_elsewhere() {
    let server = FakeServer::default();
    let store = DraftStore::for_user(&fresh_user());
    let (gone, from_pc, offline) = (DraftStore::new_id(), DraftStore::new_id(), DraftStore::new_id());
    store.save_local(&gone, "PROC-LEAVE", &values("submitted on the PC"));
    store.sync(&server, &gone).await;
    server.0.borrow_mut().drafts.remove(&gone);
    server.save_from_elsewhere(&from_pc, values("started on the PC"));
    server.set_network(Network::Down);
    store.save_local(&offline, "PROC-LEAVE", &values("offline"));

    let ids = |list: Vec<shenpi::offline::drafts::LocalDraft>| list.into_iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(ids(store.list(&server).await), vec![offline.clone(), gone.clone()], "offline: this device's");

    server.set_network(Network::Up);
    let listed = ids(store.list(&server).await);
    // The offline draft was just saved, so the server's clock has it newest.
    assert_eq!(listed, vec![offline.clone(), from_pc.clone()]);
    assert!(store.local(&gone).is_none());
    assert!(store.local(&from_pc).is_some(), "kept here for offline use");
}

#[wasm_bindgen_test]
async fn load_takes_the_servers_newer_version_unless_local_typing_waits() {
    let server = FakeServer::default();
    let store = DraftStore::for_user(&fresh_user());
    let id = DraftStore::new_id();
    store.save_local(&id, "PROC-LEAVE", &values("v1"));
    store.sync(&server, &id).await;
    server.save_from_elsewhere(&id, values("newer elsewhere"));
    assert_eq!(store.load(&server, &id).await.unwrap().values, values("newer elsewhere"));

    store.save_local(&id, "PROC-LEAVE", &values("typing here"));
    assert_eq!(store.load(&server, &id).await.unwrap().values, values("typing here"));
    server.set_network(Network::Down);
    assert_eq!(store.load(&server, &id).await.unwrap().values, values("typing here"), "offline: local");
}

#[wasm_bindgen_test]
async fn delete_removes_both_copies_and_an_offline_delete_is_sent_later() {
    let server = FakeServer::default();
    let store = DraftStore::for_user(&fresh_user());
    let (a, b) = (DraftStore::new_id(), DraftStore::new_id());
    for id in [&a, &b] {
        store.save_local(id, "PROC-LEAVE", &values(id));
        store.sync(&server, id).await;
    }
    store.delete(&server, &a).await.unwrap();
    assert!(store.local(&a).is_none() && server.draft_on_server(&a).is_none());

    server.set_network(Network::Down);
    assert!(store.delete(&server, &b).await.is_err());
    assert!(store.local(&b).is_none());
    server.set_network(Network::Up);
    assert!(store.list(&server).await.is_empty(), "the deletion went out before listing");
    assert!(server.draft_on_server(&b).is_none());
}

#[wasm_bindgen_test]
async fn an_offline_submit_waits_and_goes_out_once_with_its_key() {
    let server = FakeServer::default();
    let user = fresh_user();
    server.set_network(Network::Down);
    let sent = Outbox::for_user(&user).submit(&server, request("病假"), "key-1", None).await;
    assert_eq!(sent, Ok(Submitted::Queued));
    assert!(Outbox::for_user(&fresh_user()).waiting().is_empty(), "another user's outbox is empty");

    let reloaded = Outbox::for_user(&user);
    assert_eq!(reloaded.waiting().len(), 1);
    assert!(reloaded.flush(&server).await.is_empty(), "still offline");
    assert_eq!(reloaded.waiting()[0].key, "key-1");

    server.set_network(Network::Up);
    let delivered = reloaded.flush(&server).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].key, "key-1");
    let made = &server.0.borrow().requests["key-1"];
    assert_eq!(delivered[0].result, Ok(Accepted { id: made.id.clone() }));
    assert_eq!(made.submitted.as_ref().unwrap().values, values("病假"), "the values queued are the values sent");
    assert!(reloaded.waiting().is_empty());
    assert!(reloaded.flush(&server).await.is_empty());
    assert_eq!(server.0.borrow().keys, vec!["key-1"]);
}

#[wasm_bindgen_test]
async fn a_submit_whose_answer_was_lost_is_resent_with_the_same_key_and_made_once() {
    let server = FakeServer::default();
    let outbox = Outbox::for_user(&fresh_user());
    server.set_network(Network::LosesAnswers);
    assert_eq!(outbox.submit(&server, request("事假"), "key-2", None).await, Ok(Submitted::Queued));
    server.set_network(Network::Up);
    let delivered = outbox.flush(&server).await;

    assert_eq!(delivered[0].result.as_ref().unwrap().id, "req-1");
    assert_eq!(server.0.borrow().keys, vec!["key-2", "key-2"]);
    assert_eq!(server.0.borrow().requests.len(), 1, "one request for one key");
}

#[wasm_bindgen_test]
async fn a_refused_item_leaves_the_outbox_with_the_servers_error() {
    let server = FakeServer::default();
    let outbox = Outbox::for_user(&fresh_user());
    server.set_network(Network::Down);
    outbox.submit(&server, request("x"), "key-3", None).await.unwrap();
    server.set_network(Network::Up);
    server.0.borrow_mut().refuse_with = Some(ErrorCode::FormInvalid);

    let delivered = outbox.flush(&server).await;
    assert_eq!(delivered[0].result, Err(api_error(ErrorCode::FormInvalid)));
    assert!(outbox.waiting().is_empty());
}

#[wasm_bindgen_test]
async fn a_refusal_while_online_is_answered_not_queued() {
    let server = FakeServer::default();
    let outbox = Outbox::for_user(&fresh_user());
    server.0.borrow_mut().refuse_with = Some(ErrorCode::ApproversMissing);
    let answer = outbox.submit(&server, request("x"), "key-4", None).await;
    assert_eq!(answer, Err(api_error(ErrorCode::ApproversMissing)));
    assert!(outbox.waiting().is_empty());
}

#[wasm_bindgen_test]
async fn the_draft_a_queued_request_came_from_is_deleted_once_it_is_sent() {
    let server = FakeServer::default();
    let user = fresh_user();
    let drafts = DraftStore::for_user(&user);
    let id = DraftStore::new_id();
    drafts.save_local(&id, "PROC-LEAVE", &values("年假"));
    drafts.sync(&server, &id).await;
    server.set_network(Network::Down);
    let outbox = Outbox::for_user(&user);
    outbox.submit(&server, request("年假"), "key-5", Some(&id)).await.unwrap();
    assert!(drafts.local(&id).is_some(), "kept until the request is in");

    server.set_network(Network::Up);
    outbox.flush(&server).await;
    assert!(drafts.local(&id).is_none());
    assert!(server.draft_on_server(&id).is_none());
}

/// Waits `ms` milliseconds of the page's clock.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let window = web_sys::window().unwrap();
        window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn autosave_keeps_each_change_at_once_and_sends_the_last_after_a_pause() {
    use leptos::prelude::*;
    use shenpi::offline::drafts::{SaveStatus, use_autosave};

    // Mounting starts the executor that runs effects and tasks, as the app's own mount does.
    leptos::mount::mount_to_body(|| ());
    let server = FakeServer::default();
    let user = fresh_user();
    let id = DraftStore::new_id();
    let owner = Owner::new();
    let (form, status) = owner.with(|| {
        let form = RwSignal::new(FormValues::new());
        let saver =
            use_autosave(DraftStore::for_user(&user), server.clone(), id.clone(), "PROC-LEAVE".into(), form.into());
        (form, saver.status)
    });
    form.set(values("a"));
    sleep(50).await;
    form.set(values("ab"));
    sleep(50).await;
    assert_eq!(DraftStore::for_user(&user).local(&id).unwrap().values, values("ab"), "kept at once");
    assert_eq!(status.get_untracked(), SaveStatus::Saving);
    assert!(server.draft_on_server(&id).is_none(), "not before the pause");

    sleep(1800).await;
    assert_eq!(status.get_untracked(), SaveStatus::Saved);
    let saved = server.draft_on_server(&id).unwrap();
    assert_eq!((saved.values, saved.version), (values("ab"), 1), "one save, of the last values");

    server.set_network(Network::Down);
    form.set(values("abc"));
    sleep(1800).await;
    assert_eq!(status.get_untracked(), SaveStatus::Offline);
    server.set_network(Network::Up);
    web_sys::window().unwrap().dispatch_event(&web_sys::Event::new("online").unwrap()).unwrap();
    sleep(100).await;
    assert_eq!(status.get_untracked(), SaveStatus::Saved);
    assert_eq!(server.draft_on_server(&id).unwrap().values, values("abc"));
    drop(owner);
}
