//! The Store's scenarios, written once and run on every backend: on a SQLite file always, and on PostgreSQL when
//! `SHENPI_TEST_POSTGRES_URL` is set (each test in a database of its own, so they run in parallel).

mod common;

use api_types::User;
use api_types::form::{FieldValue, FormValues};
use api_types::{Draft, ErrorCode, RequestFailure, RequestState, SaveDraft};
use common::db::TestDb;
use shenpi_server::events::{Channel, StoredEvent};
use shenpi_server::store::{DraftSave, Fate, Inserted, NewRequest, Store, StoreError};

/// Runs each scenario `async fn name(db: TestDb)` below as `sqlite::name` and `postgres::name`.
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::TestDb::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(db) = super::TestDb::postgres().await {
                        super::$name(db).await;
                    }
                }
            )*
        }
    };
}

scenarios!(
    the_store_answers_a_ping,
    a_session_reads_back_with_its_user_and_clock,
    an_unknown_token_hash_has_no_session,
    touching_moves_last_use_but_not_the_absolute_end,
    touching_an_unknown_session_changes_nothing,
    deleting_ends_only_that_session,
    a_new_login_refreshes_the_user_for_all_their_sessions,
    a_token_hash_is_never_stored_twice,
    sessions_survive_reopening_the_store,
    a_request_and_its_outbox_row_commit_together,
    a_reused_key_returns_the_first_request_and_queues_nothing,
    a_claimed_row_is_leased_until_it_runs_out,
    a_retried_row_waits_until_due_and_remembers_an_unknown_outcome,
    finishing_records_the_fate_and_empties_the_outbox,
    // Drafts.
    a_saved_draft_reads_back_for_its_user_only,
    drafts_list_the_most_recently_saved_first,
    a_save_naming_an_old_version_is_a_conflict_and_changes_nothing,
    a_save_without_a_version_replaces_whatever_is_stored,
    a_save_naming_a_version_of_a_deleted_draft_is_a_conflict,
    a_new_draft_over_the_limit_is_refused_but_existing_ones_still_save,
    deleting_a_draft_removes_only_that_one,
    // Events.
    an_event_is_stored_once_whichever_channel_repeats_it,
    due_events_come_oldest_born_first_and_leave_once_applied,
    a_failed_event_waits_for_its_retry_and_a_parked_one_is_kept_but_not_due,
    a_nonce_is_new_once_and_then_answers_what_it_first_came_with,
);

/// 2025-05-20 in Unix seconds.
const NOW: i64 = 1_747_700_000;
/// A session end past 2038, so a 32-bit column would not hold it.
const FAR_END: i64 = 4_102_444_800;

fn zhangsan() -> User {
    User {
        user_id: "zhangsan".into(),
        name: "张三".into(),
        avatar: Some("https://static.example/zhangsan.png".into()),
        title: Some("财务专员".into()),
        dept_ids: vec![101, 9_007_199_254_740_993],
    }
}

fn lisi() -> User {
    User { user_id: "lisi".into(), name: "李四".into(), avatar: None, title: None, dept_ids: vec![] }
}

async fn the_store_answers_a_ping(db: TestDb) {
    db.open().await.ping().await.unwrap();
}

async fn a_session_reads_back_with_its_user_and_clock(db: TestDb) {
    let store = db.open().await;
    store.create_session("hash-a", &zhangsan(), NOW, FAR_END).await.unwrap();
    store.create_session("hash-b", &lisi(), NOW + 1, NOW + 60).await.unwrap();

    let a = store.session("hash-a").await.unwrap().expect("session a");
    assert_eq!(a.user, zhangsan());
    assert_eq!((a.last_seen_at, a.expires_at), (NOW, FAR_END));
    let b = store.session("hash-b").await.unwrap().expect("session b");
    assert_eq!(b.user, lisi());
    assert_eq!((b.last_seen_at, b.expires_at), (NOW + 1, NOW + 60));
}

async fn an_unknown_token_hash_has_no_session(db: TestDb) {
    let store = db.open().await;
    store.create_session("hash-a", &zhangsan(), NOW, FAR_END).await.unwrap();
    assert_eq!(store.session("hash-A").await.unwrap(), None);
    assert_eq!(store.session("").await.unwrap(), None);
}

async fn touching_moves_last_use_but_not_the_absolute_end(db: TestDb) {
    let store = db.open().await;
    store.create_session("hash-a", &zhangsan(), NOW, NOW + 3600).await.unwrap();
    store.touch_session("hash-a", NOW + 600).await.unwrap();
    let a = store.session("hash-a").await.unwrap().expect("session a");
    assert_eq!((a.last_seen_at, a.expires_at), (NOW + 600, NOW + 3600));
}

async fn touching_an_unknown_session_changes_nothing(db: TestDb) {
    let store = db.open().await;
    store.create_session("hash-a", &zhangsan(), NOW, FAR_END).await.unwrap();
    store.touch_session("hash-x", NOW + 5).await.unwrap();
    assert_eq!(store.session("hash-x").await.unwrap(), None);
    assert_eq!(store.session("hash-a").await.unwrap().expect("session a").last_seen_at, NOW);
}

async fn deleting_ends_only_that_session(db: TestDb) {
    let store = db.open().await;
    store.create_session("phone", &zhangsan(), NOW, FAR_END).await.unwrap();
    store.create_session("laptop", &zhangsan(), NOW, FAR_END).await.unwrap();
    store.delete_session("phone").await.unwrap();
    assert_eq!(store.session("phone").await.unwrap(), None);
    assert_eq!(store.session("laptop").await.unwrap().expect("the other session").user, zhangsan());
    // Deleting again is not an error: expiry and logout may race.
    store.delete_session("phone").await.unwrap();
}

async fn a_new_login_refreshes_the_user_for_all_their_sessions(db: TestDb) {
    let store = db.open().await;
    store.create_session("old", &zhangsan(), NOW, FAR_END).await.unwrap();
    let moved = User { name: "张三丰".into(), avatar: None, title: None, dept_ids: vec![202], ..zhangsan() };
    store.create_session("new", &moved, NOW + 10, FAR_END).await.unwrap();
    assert_eq!(store.session("old").await.unwrap().expect("old session").user, moved);
    assert_eq!(store.session("new").await.unwrap().expect("new session").user, moved);
}

async fn a_token_hash_is_never_stored_twice(db: TestDb) {
    let store = db.open().await;
    store.create_session("same", &zhangsan(), NOW, FAR_END).await.unwrap();
    let err = store.create_session("same", &lisi(), NOW + 1, FAR_END).await.unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    let kept = store.session("same").await.unwrap().expect("the first session");
    assert_eq!((kept.user, kept.last_seen_at), (zhangsan(), NOW));
}

async fn sessions_survive_reopening_the_store(db: TestDb) {
    let first = db.open().await;
    first.create_session("hash-a", &zhangsan(), NOW, FAR_END).await.unwrap();
    drop(first);
    // Opening again runs the migrations again; they must find nothing left to do.
    let second = db.open().await;
    assert_eq!(second.session("hash-a").await.unwrap().expect("session a").user, zhangsan());
}

/// A request of zhangsan's under `key`, arriving at `NOW` in ms.
fn new_request(id: &str, key: &str) -> NewRequest {
    NewRequest {
        id: id.into(),
        user_id: "zhangsan".into(),
        idempotency_key: key.into(),
        body_hash: format!("hash-of-{id}"),
        process_code: "PROC-GENERAL".into(),
        payload: format!("{{\"request\":\"{id}\"}}"),
        created_at: NOW * 1000,
    }
}

/// A store with zhangsan known (requests belong to a user).
async fn store_with_user(db: &TestDb) -> std::sync::Arc<dyn Store> {
    let store = db.open().await;
    store.create_session("hash-a", &zhangsan(), NOW, FAR_END).await.unwrap();
    store
}

const MS: i64 = NOW * 1000;

async fn a_request_and_its_outbox_row_commit_together(db: TestDb) {
    let store = store_with_user(&db).await;
    let Inserted::Created(r) = store.insert_request(&new_request("r1", "key-0001")).await.unwrap() else {
        panic!("a new key creates a request")
    };
    assert_eq!(
        (r.id.as_str(), r.state, r.instance_id.clone(), r.failure.clone()),
        ("r1", RequestState::Queued, None, None)
    );
    assert_eq!(store.request("r1").await.unwrap(), Some(r));
    let jobs = store.claim_outbox(MS, MS + 60_000, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(
        (job.request_id.as_str(), job.user_id.as_str(), job.process_code.as_str()),
        ("r1", "zhangsan", "PROC-GENERAL")
    );
    assert_eq!(
        (job.payload.as_str(), job.created_at, job.attempts, job.unknown_outcome),
        ("{\"request\":\"r1\"}", MS, 0, false)
    );
    assert_eq!(store.request("nope").await.unwrap(), None);
}

async fn a_reused_key_returns_the_first_request_and_queues_nothing(db: TestDb) {
    let store = store_with_user(&db).await;
    store.insert_request(&new_request("r1", "key-0001")).await.unwrap();
    let again = store.insert_request(&new_request("r2", "key-0001")).await.unwrap();
    let Inserted::Existing(first) = again else { panic!("a reused key is not a new request: {again:?}") };
    assert_eq!((first.id.as_str(), first.body_hash.as_str()), ("r1", "hash-of-r1"));
    assert_eq!(store.request("r2").await.unwrap(), None);
    assert_eq!(store.claim_outbox(MS, MS + 60_000, 10).await.unwrap().len(), 1);
}

async fn a_claimed_row_is_leased_until_it_runs_out(db: TestDb) {
    let store = store_with_user(&db).await;
    store.insert_request(&new_request("r1", "key-0001")).await.unwrap();
    assert_eq!(store.claim_outbox(MS, MS + 60_000, 10).await.unwrap().len(), 1);
    assert!(store.claim_outbox(MS + 59_999, MS + 120_000, 10).await.unwrap().is_empty(), "leased to the first claim");
    assert_eq!(store.claim_outbox(MS + 60_000, MS + 120_000, 10).await.unwrap().len(), 1, "the lease ran out");
}

async fn a_retried_row_waits_until_due_and_remembers_an_unknown_outcome(db: TestDb) {
    let store = store_with_user(&db).await;
    store.insert_request(&new_request("r1", "key-0001")).await.unwrap();
    store.claim_outbox(MS, MS + 60_000, 10).await.unwrap();
    store.retry_outbox("r1", MS + 5_000, 1, true).await.unwrap();
    assert!(store.claim_outbox(MS + 4_999, MS + 60_000, 10).await.unwrap().is_empty(), "not due yet");
    let jobs = store.claim_outbox(MS + 5_000, MS + 60_000, 10).await.unwrap();
    assert_eq!(jobs.iter().map(|j| (j.attempts, j.unknown_outcome)).collect::<Vec<_>>(), [(1, true)]);
}

async fn finishing_records_the_fate_and_empties_the_outbox(db: TestDb) {
    let store = store_with_user(&db).await;
    store.insert_request(&new_request("r1", "key-0001")).await.unwrap();
    store.insert_request(&new_request("r2", "key-0002")).await.unwrap();
    let delivered = Fate::Delivered { instance_id: "inst-1".into(), state: RequestState::Running };
    store.finish_outbox("r1", &delivered, MS).await.unwrap();
    let failure = RequestFailure { code: ErrorCode::FormRejected, message: "表单校验失败".into() };
    store.finish_outbox("r2", &Fate::Failed(failure.clone()), MS).await.unwrap();

    let r1 = store.request("r1").await.unwrap().expect("r1");
    assert_eq!((r1.state, r1.instance_id.as_deref(), r1.failure), (RequestState::Running, Some("inst-1"), None));
    let r2 = store.request("r2").await.unwrap().expect("r2");
    assert_eq!((r2.state, r2.instance_id, r2.failure), (RequestState::Failed, None, Some(failure)));
    assert!(store.claim_outbox(MS + 3_600_000, MS + 7_200_000, 10).await.unwrap().is_empty());
    assert!(store.instance_taken("inst-1").await.unwrap());
    assert!(!store.instance_taken("inst-2").await.unwrap());
}

/// A draft save of a 报销-like form.
fn save(process_code: &str, reason: &str, version: Option<i64>) -> SaveDraft {
    let values = FormValues::new()
        .with("TextField-reason", FieldValue::Text(reason.into()))
        .with("MoneyField-amount", FieldValue::Money("1299.00".into()))
        .with("DDSelectField-kind", FieldValue::Choices(vec!["差旅".into(), "餐饮".into()]));
    SaveDraft { process_code: process_code.into(), values, version }
}

/// Saves and expects it stored, giving the draft.
async fn saved(store: &dyn Store, user_id: &str, id: &str, draft: &SaveDraft, now: i64) -> Draft {
    match store.save_draft(user_id, id, draft, now, 50).await.unwrap() {
        DraftSave::Saved(d) => d,
        other => panic!("{id} not saved: {other:?}"),
    }
}

async fn a_saved_draft_reads_back_for_its_user_only(db: TestDb) {
    let store = db.open().await;
    store.create_session("z", &zhangsan(), NOW, FAR_END).await.unwrap();
    store.create_session("l", &lisi(), NOW, FAR_END).await.unwrap();
    let draft = saved(&*store, "zhangsan", "draft-0001", &save("PROC-EXPENSE", "出差北京", None), NOW * 1000).await;
    assert_eq!((draft.version, draft.updated_at), (1, NOW * 1000));

    assert_eq!(store.draft("zhangsan", "draft-0001").await.unwrap(), Some(draft.clone()));
    assert_eq!(store.drafts("zhangsan").await.unwrap(), vec![draft]);
    assert_eq!(store.draft("lisi", "draft-0001").await.unwrap(), None);
    assert_eq!(store.drafts("lisi").await.unwrap(), vec![]);
    // 李四 may use the same id for a draft of his own, without touching 张三's.
    saved(&*store, "lisi", "draft-0001", &save("PROC-LEAVE", "年假", None), NOW * 1000 + 5).await;
    let zs = store.draft("zhangsan", "draft-0001").await.unwrap().expect("张三's draft");
    assert_eq!(zs.process_code, "PROC-EXPENSE");
}

async fn drafts_list_the_most_recently_saved_first(db: TestDb) {
    let store = db.open().await;
    store.create_session("z", &zhangsan(), NOW, FAR_END).await.unwrap();
    let t = NOW * 1000;
    saved(&*store, "zhangsan", "draft-aaaa", &save("P", "a", None), t).await;
    saved(&*store, "zhangsan", "draft-bbbb", &save("P", "b", None), t + 1).await;
    saved(&*store, "zhangsan", "draft-cccc", &save("P", "c", None), t + 2).await;
    // Saving the oldest again makes it the newest.
    saved(&*store, "zhangsan", "draft-aaaa", &save("P", "a2", Some(1)), t + 3).await;
    let ids: Vec<String> = store.drafts("zhangsan").await.unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(ids, ["draft-aaaa", "draft-cccc", "draft-bbbb"]);
}

async fn a_save_naming_an_old_version_is_a_conflict_and_changes_nothing(db: TestDb) {
    let store = db.open().await;
    store.create_session("z", &zhangsan(), NOW, FAR_END).await.unwrap();
    let t = NOW * 1000;
    saved(&*store, "zhangsan", "draft-0001", &save("P", "phone", None), t).await;
    let pc = saved(&*store, "zhangsan", "draft-0001", &save("P", "pc", Some(1)), t + 1).await;
    assert_eq!(pc.version, 2);
    // The phone still holds version 1.
    let late = store.save_draft("zhangsan", "draft-0001", &save("P", "phone again", Some(1)), t + 2, 50).await;
    assert_eq!(late.unwrap(), DraftSave::Conflict);
    assert_eq!(store.draft("zhangsan", "draft-0001").await.unwrap(), Some(pc));
}

async fn a_save_without_a_version_replaces_whatever_is_stored(db: TestDb) {
    let store = db.open().await;
    store.create_session("z", &zhangsan(), NOW, FAR_END).await.unwrap();
    let t = NOW * 1000;
    saved(&*store, "zhangsan", "draft-0001", &save("P", "one", None), t).await;
    saved(&*store, "zhangsan", "draft-0001", &save("P", "two", Some(1)), t + 1).await;
    let forced = saved(&*store, "zhangsan", "draft-0001", &save("P2", "three", None), t + 2).await;
    assert_eq!((forced.version, forced.process_code.as_str()), (3, "P2"));
    assert_eq!(store.draft("zhangsan", "draft-0001").await.unwrap(), Some(forced));
}

async fn a_save_naming_a_version_of_a_deleted_draft_is_a_conflict(db: TestDb) {
    let store = db.open().await;
    store.create_session("z", &zhangsan(), NOW, FAR_END).await.unwrap();
    saved(&*store, "zhangsan", "draft-0001", &save("P", "one", None), NOW).await;
    assert!(store.delete_draft("zhangsan", "draft-0001").await.unwrap());
    let late = store.save_draft("zhangsan", "draft-0001", &save("P", "late", Some(1)), NOW + 1, 50).await;
    assert_eq!(late.unwrap(), DraftSave::Conflict);
    assert_eq!(store.draft("zhangsan", "draft-0001").await.unwrap(), None);
}

async fn a_new_draft_over_the_limit_is_refused_but_existing_ones_still_save(db: TestDb) {
    let store = db.open().await;
    store.create_session("z", &zhangsan(), NOW, FAR_END).await.unwrap();
    store.create_session("l", &lisi(), NOW, FAR_END).await.unwrap();
    for i in 0..3 {
        let id = format!("draft-000{i}");
        assert!(matches!(
            store.save_draft("zhangsan", &id, &save("P", "x", None), NOW, 3).await.unwrap(),
            DraftSave::Saved(_)
        ));
    }
    let fourth = store.save_draft("zhangsan", "draft-0003", &save("P", "x", None), NOW, 3).await.unwrap();
    assert_eq!(fourth, DraftSave::TooMany);
    assert_eq!(store.draft("zhangsan", "draft-0003").await.unwrap(), None);
    // Replacing one of the three is not a new draft; another user has a limit of their own.
    let again = store.save_draft("zhangsan", "draft-0000", &save("P", "y", Some(1)), NOW + 1, 3).await.unwrap();
    assert!(matches!(again, DraftSave::Saved(Draft { version: 2, .. })), "{again:?}");
    assert!(matches!(
        store.save_draft("lisi", "draft-0003", &save("P", "x", None), NOW, 3).await.unwrap(),
        DraftSave::Saved(_)
    ));
    // Deleting one makes room again.
    assert!(store.delete_draft("zhangsan", "draft-0001").await.unwrap());
    assert!(matches!(
        store.save_draft("zhangsan", "draft-0003", &save("P", "x", None), NOW, 3).await.unwrap(),
        DraftSave::Saved(_)
    ));
}

async fn deleting_a_draft_removes_only_that_one(db: TestDb) {
    let store = db.open().await;
    store.create_session("z", &zhangsan(), NOW, FAR_END).await.unwrap();
    store.create_session("l", &lisi(), NOW, FAR_END).await.unwrap();
    saved(&*store, "zhangsan", "draft-0001", &save("P", "a", None), NOW).await;
    saved(&*store, "zhangsan", "draft-0002", &save("P", "b", None), NOW).await;
    saved(&*store, "lisi", "draft-0001", &save("P", "c", None), NOW).await;
    assert!(store.delete_draft("zhangsan", "draft-0001").await.unwrap());
    assert!(!store.delete_draft("zhangsan", "draft-0001").await.unwrap());
    let left: Vec<String> = store.drafts("zhangsan").await.unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(left, ["draft-0002"]);
    assert!(store.draft("lisi", "draft-0001").await.unwrap().is_some());
}

// Events.

fn event(id: &str, born_at: i64, channel: Channel) -> StoredEvent {
    let data = serde_json::json!({ "processInstanceId": "pi-1", "title": "张三提交的请假", "type": "start" });
    StoredEvent {
        event_id: id.into(),
        event_type: "bpms_instance_change".into(),
        born_at,
        corp_id: "dingcorp".into(),
        data: data.as_object().cloned().unwrap(),
        channel,
    }
}

async fn an_event_is_stored_once_whichever_channel_repeats_it(db: TestDb) {
    let store = db.open().await;
    assert!(store.append_event(&event("e1", MS, Channel::Stream), MS + 5).await.unwrap());
    let mut again = event("e1", MS, Channel::Http);
    again.data.insert("title".into(), "changed".into());
    assert!(!store.append_event(&again, MS + 9).await.unwrap(), "a repeat is not new");
    let all = store.events().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].event, event("e1", MS, Channel::Stream), "the first copy is kept, never rewritten");
    assert_eq!((all[0].received_at, all[0].applied_at, all[0].attempts, all[0].parked), (MS + 5, None, 0, false));
}

async fn due_events_come_oldest_born_first_and_leave_once_applied(db: TestDb) {
    let store = db.open().await;
    for (id, born) in [("late", MS + 20), ("early", MS), ("middle", MS + 10)] {
        store.append_event(&event(id, born, Channel::Http), MS + 30).await.unwrap();
    }
    let ids = |records: Vec<shenpi_server::store::EventRecord>| -> Vec<String> {
        records.into_iter().map(|r| r.event.event_id).collect()
    };
    assert_eq!(ids(store.due_events(MS + 30, 10).await.unwrap()), ["early", "middle", "late"]);
    assert_eq!(ids(store.due_events(MS + 30, 2).await.unwrap()), ["early", "middle"]);
    assert_eq!(store.count_unapplied_events().await.unwrap(), 3);
    store.mark_event_applied("early", MS + 40).await.unwrap();
    assert_eq!(ids(store.due_events(MS + 40, 10).await.unwrap()), ["middle", "late"]);
    assert_eq!(store.count_unapplied_events().await.unwrap(), 2);
    let early = store.events().await.unwrap().into_iter().find(|r| r.event.event_id == "early").unwrap();
    assert_eq!(early.applied_at, Some(MS + 40));
}

async fn a_failed_event_waits_for_its_retry_and_a_parked_one_is_kept_but_not_due(db: TestDb) {
    let store = db.open().await;
    store.append_event(&event("poison", MS, Channel::Stream), MS).await.unwrap();
    store.append_event(&event("fine", MS + 1, Channel::Stream), MS).await.unwrap();
    store.mark_event_failed("poison", "index down", Some(MS + 1_000)).await.unwrap();
    let due: Vec<_> = store.due_events(MS + 999, 10).await.unwrap();
    assert_eq!(due.len(), 1, "the failed event waits; the next one does not wait behind it");
    assert_eq!(due[0].event.event_id, "fine");
    let due = store.due_events(MS + 1_000, 10).await.unwrap();
    assert_eq!(due[0].event.event_id, "poison");
    assert_eq!((due[0].attempts, due[0].last_error.as_deref()), (1, Some("index down")));
    store.mark_event_failed("poison", "still down", None).await.unwrap();
    assert!(store.due_events(i64::MAX, 10).await.unwrap().iter().all(|r| r.event.event_id != "poison"));
    let poison = store.events().await.unwrap().into_iter().find(|r| r.event.event_id == "poison").unwrap();
    assert_eq!((poison.attempts, poison.parked, poison.last_error.as_deref()), (2, true, Some("still down")));
    assert_eq!(poison.event, event("poison", MS, Channel::Stream), "bookkeeping never touches the event");
    assert_eq!(store.count_unapplied_events().await.unwrap(), 2, "a parked event is still unapplied");
}

async fn a_nonce_is_new_once_and_then_answers_what_it_first_came_with(db: TestDb) {
    let store = db.open().await;
    assert_eq!(store.remember_nonce("n1", "sig-a", "e1", MS, MS - 600_000).await.unwrap(), None);
    let seen = store.remember_nonce("n1", "sig-b", "e2", MS + 1, MS - 600_000).await.unwrap().unwrap();
    assert_eq!((seen.signature.as_str(), seen.event_id.as_str()), ("sig-a", "e1"), "the first use is kept");
    // Once it is older than the window it is forgotten, and the nonce is new again.
    assert_eq!(store.remember_nonce("n1", "sig-c", "e3", MS + 700_000, MS + 1).await.unwrap(), None);
}
