//! The Store's scenarios, written once and run on every backend: on a SQLite file always, and on PostgreSQL when
//! `SHENPI_TEST_POSTGRES_URL` is set (each test in a database of its own, so they run in parallel).

mod common;

use api_types::User;
use api_types::form::{FieldValue, FormValues};
use api_types::{
    ApprovalMode, ApprovalStep, ApproverPick, Draft, ErrorCode, InboxBox, InboxCounts, InboxItem, RequestFailure,
    RequestState, SaveDraft, SubmitRequest,
};
use common::db::TestDb;
use shenpi_server::events::{Channel, StoredEvent};
use shenpi_server::store::{
    ActionBegin, ActionFate, ActionState, DraftSave, FactSource, Fate, InboxQuery, IndexResult, IndexStatus, Inserted,
    InstanceFacts, NewAction, NewRequest, OutboxStats, Store, StoreError, TaskFacts, TaskOutcome, TaskState,
};

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
    deleting_a_users_sessions_ends_all_of_theirs_and_nobody_elses,
    a_new_login_refreshes_the_user_for_all_their_sessions,
    a_token_hash_is_never_stored_twice,
    sessions_survive_reopening_the_store,
    a_request_and_its_outbox_row_commit_together,
    a_reused_key_returns_the_first_request_and_queues_nothing,
    a_claimed_row_is_leased_until_it_runs_out,
    a_retried_row_waits_until_due_and_remembers_an_unknown_outcome,
    finishing_records_the_fate_and_empties_the_outbox,
    a_row_whose_lease_ran_out_comes_back_as_an_unknown_outcome,
    outbox_stats_count_rows_and_date_the_oldest,
    a_request_keeps_the_body_as_sent_and_an_old_row_reads_back_without_one,
    a_users_requests_page_newest_first_without_repeats_or_other_users,
    // Drafts.
    a_saved_draft_reads_back_for_its_user_only,
    drafts_list_the_most_recently_saved_first,
    a_save_naming_an_old_version_is_a_conflict_and_changes_nothing,
    a_save_without_a_version_replaces_whatever_is_stored,
    a_save_naming_a_version_of_a_deleted_draft_is_a_conflict,
    a_new_draft_over_the_limit_is_refused_but_existing_ones_still_save,
    deleting_a_draft_removes_only_that_one,
    // Actions on instances.
    an_action_is_recorded_once_per_key_and_reads_back_pending,
    a_live_task_action_holds_its_task_against_new_keys,
    a_refused_action_frees_its_task_but_keeps_its_answer,
    a_dropped_action_frees_its_key_and_task,
    an_expired_lease_is_taken_over_once_and_remembers_an_unknown_outcome,
    the_detail_finds_a_requests_template_and_a_known_users_name,
    // The per-user index.
    an_ended_instance_is_never_running_again,
    a_finished_task_is_never_running_again,
    the_index_is_the_same_whatever_order_facts_arrive_in,
    each_box_shows_only_the_callers_items,
    mine_shows_queued_and_failed_requests_until_the_index_holds_their_instance,
    an_ended_instance_settles_our_request,
    inbox_filters_narrow_the_page,
    pages_follow_each_other_without_gaps_or_repeats,
    quiet_instances_need_a_refresh_until_read_after_their_end,
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

async fn deleting_a_users_sessions_ends_all_of_theirs_and_nobody_elses(db: TestDb) {
    let store = db.open().await;
    store.create_session("phone", &zhangsan(), NOW, FAR_END).await.unwrap();
    store.create_session("laptop", &zhangsan(), NOW, FAR_END).await.unwrap();
    store.create_session("lisi-phone", &lisi(), NOW, FAR_END).await.unwrap();
    assert_eq!(store.delete_user_sessions("zhangsan").await.unwrap(), 2);
    assert_eq!(store.session("phone").await.unwrap(), None);
    assert_eq!(store.session("laptop").await.unwrap(), None);
    assert_eq!(store.session("lisi-phone").await.unwrap().expect("lisi's session").user, lisi());
    assert_eq!(store.delete_user_sessions("zhangsan").await.unwrap(), 0, "nothing left to delete");
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
        submitted: Some(SubmitRequest {
            process_code: "PROC-GENERAL".into(),
            dept_id: None,
            values: FormValues::new().with("TextField-1", FieldValue::Text(format!("事项 {id}"))),
            approvers: None,
            cc: None,
            picks: None,
        }),
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

async fn a_row_whose_lease_ran_out_comes_back_as_an_unknown_outcome(db: TestDb) {
    let store = store_with_user(&db).await;
    store.insert_request(&new_request("r1", "key-0001")).await.unwrap();
    let first = store.claim_outbox(MS, MS + 60_000, 10).await.unwrap();
    assert_eq!(first.iter().map(|j| j.unknown_outcome).collect::<Vec<_>>(), [false], "a fresh row was never sent");
    // The worker stopped mid-delivery: no retry, no finish, the lease runs out.
    let again = store.claim_outbox(MS + 60_000, MS + 120_000, 10).await.unwrap();
    assert_eq!(again.iter().map(|j| (j.attempts, j.unknown_outcome)).collect::<Vec<_>>(), [(0, true)]);
    // A row put back by a retry is not mistaken for one cut off.
    store.insert_request(&new_request("r2", "key-0002")).await.unwrap();
    store.claim_outbox(MS + 120_000, MS + 180_000, 10).await.unwrap();
    store.retry_outbox("r2", MS + 120_000, 1, false).await.unwrap();
    let jobs = store.claim_outbox(MS + 130_000, MS + 190_000, 10).await.unwrap();
    assert_eq!(jobs.iter().map(|j| (j.request_id.as_str(), j.unknown_outcome)).collect::<Vec<_>>(), [("r2", false)]);
}

async fn outbox_stats_count_rows_and_date_the_oldest(db: TestDb) {
    let store = store_with_user(&db).await;
    assert_eq!(store.outbox_stats().await.unwrap(), OutboxStats { rows: 0, oldest_created_at: None });
    store.insert_request(&NewRequest { created_at: MS + 5, ..new_request("r1", "key-0001") }).await.unwrap();
    store.insert_request(&NewRequest { created_at: MS + 9, ..new_request("r2", "key-0002") }).await.unwrap();
    store.claim_outbox(MS + 10, MS + 60_000, 1).await.unwrap();
    assert_eq!(store.outbox_stats().await.unwrap(), OutboxStats { rows: 2, oldest_created_at: Some(MS + 5) });
    let delivered = Fate::Delivered { instance_id: "inst-1".into(), state: RequestState::Running };
    store.finish_outbox("r1", &delivered, MS + 20).await.unwrap();
    assert_eq!(store.outbox_stats().await.unwrap(), OutboxStats { rows: 1, oldest_created_at: Some(MS + 9) });
}

async fn a_request_keeps_the_body_as_sent_and_an_old_row_reads_back_without_one(db: TestDb) {
    let store = store_with_user(&db).await;
    let full = SubmitRequest {
        process_code: "PROC-GENERAL".into(),
        dept_id: Some(101),
        values: FormValues::new()
            .with("TextField-1", FieldValue::Text("采购显示器".into()))
            .with("MoneyField-1", FieldValue::Money("1299.50".into()))
            .with("DDMultiSelectField-1", FieldValue::Choices(vec!["甲".into(), "乙".into()])),
        approvers: Some(vec![ApprovalStep { mode: ApprovalMode::All, user_ids: vec!["lisi".into(), "wangwu".into()] }]),
        cc: Some(vec!["zhaoliu".into()]),
        picks: Some(vec![ApproverPick { activity_id: "act-1".into(), user_ids: vec!["lisi".into()] }]),
    };
    let new = NewRequest { submitted: Some(full.clone()), ..new_request("r1", "key-0001") };
    let Inserted::Created(created) = store.insert_request(&new).await.unwrap() else { panic!("a new key") };
    assert_eq!(created.submitted.as_ref(), Some(&full));
    let read = store.request("r1").await.unwrap().expect("stored");
    assert_eq!((read.process_code.as_str(), read.submitted), ("PROC-GENERAL", Some(full)));
    // Empty lists are kept as sent, distinct from absent ones.
    let empty = SubmitRequest { cc: Some(vec![]), ..new_request("r3", "key-0003").submitted.unwrap() };
    store
        .insert_request(&NewRequest { submitted: Some(empty.clone()), ..new_request("r3", "key-0003") })
        .await
        .unwrap();
    assert_eq!(store.request("r3").await.unwrap().expect("stored").submitted, Some(empty));

    // A row as written before shenpi kept the body.
    store.insert_request(&NewRequest { submitted: None, ..new_request("r2", "key-0002") }).await.unwrap();
    let old = store.request("r2").await.unwrap().expect("stored");
    assert_eq!((old.state, old.process_code.as_str(), old.submitted), (RequestState::Queued, "PROC-GENERAL", None));
    let listed = store.user_requests("zhangsan", None, 10).await.unwrap();
    let listed: Vec<_> = listed.iter().map(|r| (r.id.as_str(), r.submitted.is_some())).collect();
    assert_eq!(listed, [("r3", true), ("r2", false), ("r1", true)], "same millisecond: by id, descending");
}

async fn a_users_requests_page_newest_first_without_repeats_or_other_users(db: TestDb) {
    let store = store_with_user(&db).await;
    store.create_session("hash-b", &lisi(), NOW, FAR_END).await.unwrap();
    // Seven of zhangsan's: r0..r6, where r2, r3 and r4 share a millisecond; and one of lisi's in between.
    let at = [MS + 1, MS + 2, MS + 3, MS + 3, MS + 3, MS + 4, MS + 5];
    for (n, created_at) in at.iter().enumerate() {
        let new = NewRequest { created_at: *created_at, ..new_request(&format!("r{n}"), &format!("key-000{n}")) };
        store.insert_request(&new).await.unwrap();
    }
    let theirs = NewRequest { user_id: "lisi".into(), created_at: MS + 3, ..new_request("l1", "key-lisi-1") };
    store.insert_request(&theirs).await.unwrap();

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.user_requests("zhangsan", after.clone(), 2).await.unwrap();
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some((last.created_at, last.id.clone()));
        seen.extend(page.iter().map(|r| r.id.clone()));
    }
    assert_eq!(seen, ["r6", "r5", "r4", "r3", "r2", "r1", "r0"]);
    let lisi_rows = store.user_requests("lisi", None, 10).await.unwrap();
    assert_eq!(lisi_rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["l1"]);
    assert!(store.user_requests("nobody", None, 10).await.unwrap().is_empty());
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

// Actions on instances.

/// A pending action by zhangsan under `key`, on `task` when given, leased for a minute from [`MS`].
fn new_action(key: &str, task: Option<i64>, body: &str) -> NewAction {
    NewAction {
        user_id: "zhangsan".into(),
        idempotency_key: key.into(),
        body_hash: format!("hash-of-{body}"),
        instance_id: "inst-1".into(),
        task_id: task,
        body: body.into(),
        created_at: MS,
        locked_until: MS + 60_000,
    }
}

async fn an_action_is_recorded_once_per_key_and_reads_back_pending(db: TestDb) {
    let store = db.open().await;
    assert_eq!(store.action("zhangsan", "act-key-1").await.unwrap(), None);
    assert_eq!(store.begin_action(&new_action("act-key-1", None, "c1")).await.unwrap(), ActionBegin::Started);
    let stored = store.action("zhangsan", "act-key-1").await.unwrap().expect("recorded");
    assert_eq!(
        (stored.instance_id.as_str(), stored.body.as_str(), stored.body_hash.as_str(), stored.created_at),
        ("inst-1", "c1", "hash-of-c1", MS)
    );
    assert_eq!(stored.state, ActionState::Pending { unknown_outcome: false, locked_until: MS + 60_000 });
    // The same key, even with another body, writes nothing and returns the first record.
    let again = store.begin_action(&new_action("act-key-1", None, "c2")).await.unwrap();
    assert_eq!(again, ActionBegin::SameKey(stored.clone()));
    // Another user's identical key is theirs.
    let lisi = NewAction { user_id: "lisi".into(), ..new_action("act-key-1", None, "c1") };
    assert_eq!(store.begin_action(&lisi).await.unwrap(), ActionBegin::Started);
    store.finish_action("zhangsan", "act-key-1", &ActionFate::Done(MS + 5)).await.unwrap();
    let done = store.action("zhangsan", "act-key-1").await.unwrap().expect("still recorded");
    assert_eq!(done.state, ActionState::Done { at: MS + 5 });
    // A finished action is not finished again, nor dropped.
    let refusal = RequestFailure { code: ErrorCode::TaskDone, message: "late".into() };
    store.finish_action("zhangsan", "act-key-1", &ActionFate::Refused(refusal)).await.unwrap();
    store.drop_action("zhangsan", "act-key-1").await.unwrap();
    assert_eq!(store.action("zhangsan", "act-key-1").await.unwrap(), Some(done));
}

async fn a_live_task_action_holds_its_task_against_new_keys(db: TestDb) {
    let store = db.open().await;
    assert_eq!(store.begin_action(&new_action("task-key-1", Some(64), "approve")).await.unwrap(), ActionBegin::Started);
    let first = store.action("zhangsan", "task-key-1").await.unwrap().expect("recorded");
    assert_eq!(store.task_action(64).await.unwrap(), Some(first.clone()));
    let second = store.begin_action(&new_action("task-key-2", Some(64), "approve")).await.unwrap();
    assert_eq!(second, ActionBegin::TaskTaken(first));
    assert_eq!(store.action("zhangsan", "task-key-2").await.unwrap(), None);
    store.finish_action("zhangsan", "task-key-1", &ActionFate::Done(MS)).await.unwrap();
    // A done action keeps holding its task.
    let third = store.begin_action(&new_action("task-key-3", Some(64), "refuse")).await.unwrap();
    assert!(matches!(third, ActionBegin::TaskTaken(a) if a.idempotency_key == "task-key-1"));
    // Other tasks, and actions without a task, are free.
    assert_eq!(store.begin_action(&new_action("task-key-4", Some(65), "approve")).await.unwrap(), ActionBegin::Started);
    assert_eq!(store.begin_action(&new_action("task-key-5", None, "comment")).await.unwrap(), ActionBegin::Started);
    assert_eq!(store.begin_action(&new_action("task-key-6", None, "comment")).await.unwrap(), ActionBegin::Started);
}

async fn a_refused_action_frees_its_task_but_keeps_its_answer(db: TestDb) {
    let store = db.open().await;
    store.begin_action(&new_action("refused-key-1", Some(7), "transfer")).await.unwrap();
    let failure = RequestFailure { code: ErrorCode::TransferTargetInvalid, message: "no such user".into() };
    store.finish_action("zhangsan", "refused-key-1", &ActionFate::Refused(failure.clone())).await.unwrap();
    let stored = store.action("zhangsan", "refused-key-1").await.unwrap().expect("kept");
    assert_eq!(stored.state, ActionState::Refused(failure));
    assert_eq!(store.task_action(7).await.unwrap(), None);
    assert_eq!(
        store.begin_action(&new_action("refused-key-2", Some(7), "transfer")).await.unwrap(),
        ActionBegin::Started
    );
}

async fn a_dropped_action_frees_its_key_and_task(db: TestDb) {
    let store = db.open().await;
    store.begin_action(&new_action("dropped-key-1", Some(9), "approve")).await.unwrap();
    store.drop_action("zhangsan", "dropped-key-1").await.unwrap();
    assert_eq!(store.action("zhangsan", "dropped-key-1").await.unwrap(), None);
    assert_eq!(store.task_action(9).await.unwrap(), None);
    assert_eq!(
        store.begin_action(&new_action("dropped-key-1", Some(9), "approve")).await.unwrap(),
        ActionBegin::Started
    );
}

async fn an_expired_lease_is_taken_over_once_and_remembers_an_unknown_outcome(db: TestDb) {
    let store = db.open().await;
    store.begin_action(&new_action("lease-key-1", Some(11), "approve")).await.unwrap();
    // The sender's lease runs until MS + 60 s.
    assert!(!store.lease_action("zhangsan", "lease-key-1", MS + 1_000, MS + 90_000).await.unwrap());
    assert!(store.lease_action("zhangsan", "lease-key-1", MS + 60_000, MS + 120_000).await.unwrap());
    assert!(!store.lease_action("zhangsan", "lease-key-1", MS + 60_000, MS + 120_000).await.unwrap());
    store.retry_action("zhangsan", "lease-key-1", true).await.unwrap();
    let stored = store.action("zhangsan", "lease-key-1").await.unwrap().expect("kept");
    assert_eq!(stored.state, ActionState::Pending { unknown_outcome: true, locked_until: 0 });
    assert!(store.lease_action("zhangsan", "lease-key-1", MS, MS + 60_000).await.unwrap());
    store.finish_action("zhangsan", "lease-key-1", &ActionFate::Done(MS)).await.unwrap();
    assert!(!store.lease_action("zhangsan", "lease-key-1", MS + 999_999, MS + 1_060_000).await.unwrap());
    assert!(!store.lease_action("zhangsan", "no-such-key", MS, MS + 60_000).await.unwrap());
}

async fn the_detail_finds_a_requests_template_and_a_known_users_name(db: TestDb) {
    let store = store_with_user(&db).await;
    assert_eq!(store.user_name("zhangsan").await.unwrap().as_deref(), Some(zhangsan().name.as_str()));
    assert_eq!(store.user_name("nobody").await.unwrap(), None);
    store.insert_request(&new_request("r1", "key-0001")).await.unwrap();
    store.claim_outbox(MS, MS + 60_000, 10).await.unwrap();
    let delivered = Fate::Delivered { instance_id: "inst-9".into(), state: RequestState::Running };
    store.finish_outbox("r1", &delivered, MS).await.unwrap();
    assert_eq!(store.instance_template("inst-9").await.unwrap().as_deref(), Some("PROC-GENERAL"));
    assert_eq!(store.instance_template("inst-other").await.unwrap(), None);
}

// The per-user index.

/// What an event (not a read) knows of an instance `id` of zhangsan's, created at `MS + n`.
fn instance(id: &str, n: i64, status: IndexStatus) -> InstanceFacts {
    InstanceFacts {
        instance_id: id.into(),
        process_code: "PROC-GENERAL".into(),
        title: format!("张三提交的通用审批 {id}"),
        originator_id: "zhangsan".into(),
        status,
        result: (status == IndexStatus::Completed).then_some(IndexResult::Agree),
        created_at: MS + n,
        finished_at: (status != IndexStatus::Running).then_some(MS + n + 500),
        search_text: String::new(),
        source: FactSource::Event,
    }
}

/// A task of `user` on `instance_id`.
fn task(instance_id: &str, task_id: i64, user: &str, state: TaskState) -> TaskFacts {
    TaskFacts {
        instance_id: instance_id.into(),
        task_id,
        user_id: user.into(),
        state,
        result: (state == TaskState::Completed).then_some(TaskOutcome::Agree),
        created_at: Some(MS + task_id),
        finished_at: (state != TaskState::Running).then_some(MS + task_id + 100),
        source: FactSource::Event,
    }
}

/// The first page (up to 100) of `user`'s `inbox` with no filters.
fn query(inbox: InboxBox) -> InboxQuery {
    InboxQuery { inbox, q: None, process_code: None, status: None, from: None, to: None, after: None, limit: 100 }
}

async fn page(store: &dyn Store, user: &str, q: &InboxQuery) -> Vec<InboxItem> {
    store.inbox_page(user, q).await.unwrap().into_iter().map(|r| r.item).collect()
}

/// Each box of `user`, as (instance, status) pairs.
async fn boxes(store: &dyn Store, user: &str) -> Vec<Vec<(Option<String>, RequestState, Option<i64>)>> {
    let mut all = Vec::new();
    for inbox in InboxBox::ALL {
        let items = page(store, user, &query(inbox)).await;
        all.push(items.into_iter().map(|i| (i.instance_id, i.status, i.task_id)).collect());
    }
    all
}

async fn an_ended_instance_is_never_running_again(db: TestDb) {
    let store = store_with_user(&db).await;
    let ended = store.index_merge_instance(&instance("pi-1", 1, IndexStatus::Completed), MS).await.unwrap();
    assert_eq!((ended.status, ended.state), (IndexStatus::Completed, RequestState::Approved));
    let late_start = InstanceFacts { title: String::new(), ..instance("pi-1", 1, IndexStatus::Running) };
    let after = store.index_merge_instance(&late_start, MS + 10).await.unwrap();
    assert_eq!((after.status, after.state), (IndexStatus::Completed, RequestState::Approved));
    let items = page(&*store, "zhangsan", &query(InboxBox::Mine)).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].title, "张三提交的通用审批 pi-1", "an empty title never replaces a known one");
    assert_eq!((items[0].status, items[0].finished_at), (RequestState::Approved, Some(MS + 501)));
    let terminate = instance("pi-1", 1, IndexStatus::Terminated);
    assert_eq!(
        store.index_merge_instance(&terminate, MS).await.unwrap().state,
        RequestState::Approved,
        "first end wins"
    );
}

async fn a_finished_task_is_never_running_again(db: TestDb) {
    let store = store_with_user(&db).await;
    store.index_merge_instance(&instance("pi-1", 1, IndexStatus::Running), MS).await.unwrap();
    store.index_merge_task(&task("pi-1", 7, "lisi", TaskState::Completed)).await.unwrap();
    store.index_merge_task(&task("pi-1", 7, "lisi", TaskState::Running)).await.unwrap();
    store.index_merge_task(&task("pi-1", 7, "lisi", TaskState::Canceled)).await.unwrap();
    assert!(page(&*store, "lisi", &query(InboxBox::Todo)).await.is_empty());
    let done = page(&*store, "lisi", &query(InboxBox::Done)).await;
    assert_eq!(done.iter().map(|i| i.instance_id.as_deref()).collect::<Vec<_>>(), [Some("pi-1")]);
}

async fn the_index_is_the_same_whatever_order_facts_arrive_in(db: TestDb) {
    // Two fresh stores get the same facts, one in order and one reversed and twice.
    let second = TestDb::sqlite();
    let (a, b) = (store_with_user(&db).await, store_with_user(&second).await);
    let facts_i = [
        instance("pi-1", 1, IndexStatus::Running),
        // A read knows times to the minute only; the events' milliseconds win whatever the order.
        InstanceFacts {
            search_text: "报销 300".into(),
            source: FactSource::Read,
            created_at: MS / 60_000 * 60_000,
            finished_at: Some(MS / 60_000 * 60_000),
            ..instance("pi-1", 1, IndexStatus::Completed)
        },
        instance("pi-1", 1, IndexStatus::Completed),
    ];
    let facts_t = [task("pi-1", 7, "lisi", TaskState::Running), task("pi-1", 7, "lisi", TaskState::Completed)];
    for f in &facts_i {
        a.index_merge_instance(f, MS).await.unwrap();
    }
    for f in &facts_t {
        a.index_merge_task(f).await.unwrap();
    }
    for _ in 0..2 {
        for f in facts_t.iter().rev() {
            b.index_merge_task(f).await.unwrap();
        }
        for f in facts_i.iter().rev() {
            b.index_merge_instance(f, MS).await.unwrap();
        }
    }
    for user in ["zhangsan", "lisi"] {
        assert_eq!(boxes(&*a, user).await, boxes(&*b, user).await, "{user}");
        let mut q = query(InboxBox::Done);
        q.q = Some("报销".into());
        assert_eq!(page(&*a, user, &q).await, page(&*b, user, &q).await);
    }
    let done = page(&*b, "lisi", &query(InboxBox::Done)).await;
    assert_eq!(
        (done[0].status, done[0].created_at, done[0].finished_at),
        (RequestState::Approved, MS + 1, Some(MS + 501))
    );
}

async fn each_box_shows_only_the_callers_items(db: TestDb) {
    let store = store_with_user(&db).await;
    store.create_session("hash-b", &lisi(), NOW, FAR_END).await.unwrap();
    store.index_merge_instance(&instance("pi-1", 1, IndexStatus::Running), MS).await.unwrap();
    store.index_merge_task(&task("pi-1", 7, "lisi", TaskState::Running)).await.unwrap();
    store.index_merge_task(&task("pi-1", 8, "wangwu", TaskState::Completed)).await.unwrap();
    store.index_add_cc("pi-1", &["zhaoliu".into(), "zhaoliu".into()]).await.unwrap();
    store.index_add_cc("pi-1", &["zhaoliu".into()]).await.unwrap();
    let running = |task: Option<i64>| vec![(Some("pi-1".to_owned()), RequestState::Running, task)];
    assert_eq!(boxes(&*store, "zhangsan").await, [vec![], vec![], running(None), vec![]]);
    assert_eq!(boxes(&*store, "lisi").await, [running(Some(7)), vec![], vec![], vec![]]);
    assert_eq!(boxes(&*store, "wangwu").await, [vec![], running(None), vec![], vec![]]);
    assert_eq!(boxes(&*store, "zhaoliu").await, [vec![], vec![], vec![], running(None)]);
    assert_eq!(boxes(&*store, "nobody").await, [vec![], vec![], vec![], vec![]]);
    let todo = page(&*store, "lisi", &query(InboxBox::Todo)).await;
    assert_eq!((todo[0].originator.user_id.as_str(), todo[0].originator.name.as_str()), ("zhangsan", "张三"));
    assert_eq!(store.inbox_counts("lisi").await.unwrap(), InboxCounts { todo: 1, done: 0, mine: 0, cc: 0 });
    assert_eq!(store.inbox_counts("zhaoliu").await.unwrap(), InboxCounts { todo: 0, done: 0, mine: 0, cc: 1 });
    // Once the instance ends, the task leaves 待处理 even before its own event arrives.
    store.index_merge_instance(&instance("pi-1", 1, IndexStatus::Terminated), MS).await.unwrap();
    assert_eq!(store.inbox_counts("lisi").await.unwrap().todo, 0);
}

async fn mine_shows_queued_and_failed_requests_until_the_index_holds_their_instance(db: TestDb) {
    let store = store_with_user(&db).await;
    store.insert_request(&new_request("r1", "key-0001")).await.unwrap();
    store.insert_request(&new_request("r2", "key-0002")).await.unwrap();
    let failure = RequestFailure { code: ErrorCode::FormRejected, message: "表单校验失败".into() };
    store.finish_outbox("r2", &Fate::Failed(failure.clone()), MS).await.unwrap();
    let items = page(&*store, "zhangsan", &query(InboxBox::Mine)).await;
    let seen: Vec<_> = items.iter().map(|i| (i.request_id.as_deref(), i.instance_id.as_deref(), i.status)).collect();
    assert_eq!(seen, [(Some("r2"), None, RequestState::Failed), (Some("r1"), None, RequestState::Queued)]);
    assert_eq!(items[0].failure, Some(failure));
    // Delivered: until the index holds the instance the request stands for it; then the instance, once.
    let delivered = Fate::Delivered { instance_id: "pi-1".into(), state: RequestState::Running };
    store.finish_outbox("r1", &delivered, MS).await.unwrap();
    let items = page(&*store, "zhangsan", &query(InboxBox::Mine)).await;
    assert_eq!(items[1].instance_id.as_deref(), Some("pi-1"));
    store.index_merge_instance(&instance("pi-1", 1, IndexStatus::Running), MS).await.unwrap();
    let items = page(&*store, "zhangsan", &query(InboxBox::Mine)).await;
    let seen: Vec<_> = items.iter().map(|i| (i.request_id.as_deref(), i.instance_id.as_deref(), i.status)).collect();
    // The instance sorts by DingTalk's creation time (a millisecond after the request arrived).
    assert_eq!(seen, [(Some("r1"), Some("pi-1"), RequestState::Running), (Some("r2"), None, RequestState::Failed)]);
    assert_eq!(store.inbox_counts("zhangsan").await.unwrap().mine, 2);
    assert!(page(&*store, "lisi", &query(InboxBox::Mine)).await.is_empty());
}

async fn an_ended_instance_settles_our_request(db: TestDb) {
    let store = store_with_user(&db).await;
    store.insert_request(&new_request("r1", "key-0001")).await.unwrap();
    let delivered = Fate::Delivered { instance_id: "pi-1".into(), state: RequestState::Running };
    store.finish_outbox("r1", &delivered, MS).await.unwrap();
    assert!(store.settle_request("pi-1", RequestState::Refused, MS).await.unwrap());
    assert!(!store.settle_request("pi-1", RequestState::Approved, MS).await.unwrap(), "an end is never undone");
    assert!(!store.settle_request("pi-2", RequestState::Approved, MS).await.unwrap());
    assert_eq!(store.request("r1").await.unwrap().unwrap().state, RequestState::Refused);
}

async fn inbox_filters_narrow_the_page(db: TestDb) {
    let store = store_with_user(&db).await;
    for (n, id) in ["pi-1", "pi-2", "pi-3"].into_iter().enumerate() {
        let mut f = instance(id, n as i64 * 1000, IndexStatus::Running);
        if id == "pi-2" {
            f = InstanceFacts { process_code: "PROC-LEAVE".into(), search_text: "请假 50%_off".into(), ..f };
        }
        store.index_merge_instance(&f, MS).await.unwrap();
    }
    store.index_merge_instance(&instance("pi-3", 2000, IndexStatus::Completed), MS).await.unwrap();
    let ids = |items: Vec<InboxItem>| items.into_iter().filter_map(|i| i.instance_id).collect::<Vec<_>>();
    let all = query(InboxBox::Mine);
    assert_eq!(ids(page(&*store, "zhangsan", &all).await), ["pi-3", "pi-2", "pi-1"]);
    let by = |f: &dyn Fn(&mut InboxQuery)| {
        let mut q = all.clone();
        f(&mut q);
        q
    };
    let q = by(&|q| q.q = Some("请假".into()));
    assert_eq!(ids(page(&*store, "zhangsan", &q).await), ["pi-2"]);
    let q = by(&|q| q.q = Some("PI-1".into()));
    assert_eq!(ids(page(&*store, "zhangsan", &q).await), ["pi-1"], "the title matches, ASCII case-insensitively");
    let q = by(&|q| q.q = Some("0%_".into()));
    assert_eq!(ids(page(&*store, "zhangsan", &q).await), ["pi-2"], "wildcards match themselves");
    let q = by(&|q| q.q = Some("_".into()));
    assert_eq!(ids(page(&*store, "zhangsan", &q).await), ["pi-2"]);
    let q = by(&|q| q.process_code = Some("PROC-LEAVE".into()));
    assert_eq!(ids(page(&*store, "zhangsan", &q).await), ["pi-2"]);
    let q = by(&|q| q.status = Some(RequestState::Approved));
    assert_eq!(ids(page(&*store, "zhangsan", &q).await), ["pi-3"]);
    let q = by(&|q| q.status = Some(RequestState::Running));
    assert_eq!(ids(page(&*store, "zhangsan", &q).await), ["pi-2", "pi-1"]);
    let q = by(&|q| {
        q.from = Some(MS + 1000);
        q.to = Some(MS + 1000);
    });
    assert_eq!(ids(page(&*store, "zhangsan", &q).await), ["pi-2"]);
}

async fn pages_follow_each_other_without_gaps_or_repeats(db: TestDb) {
    let store = store_with_user(&db).await;
    // 25 instances, some sharing a creation time, so the key breaks ties.
    for n in 0..25 {
        let f = instance(&format!("pi-{n:02}"), (n / 3) * 10, IndexStatus::Running);
        store.index_merge_instance(&f, MS).await.unwrap();
    }
    let mut q = InboxQuery { limit: 4, ..query(InboxBox::Mine) };
    let mut seen = Vec::new();
    loop {
        let rows = store.inbox_page("zhangsan", &q).await.unwrap();
        let Some(last) = rows.last() else { break };
        q.after = Some((last.sort_at, last.key.clone()));
        seen.extend(rows.into_iter().map(|r| r.item.instance_id.unwrap()));
    }
    let mut expected: Vec<_> = (0..25).map(|n| format!("pi-{n:02}")).collect();
    expected.reverse();
    assert_eq!(seen, expected);
}

async fn quiet_instances_need_a_refresh_until_read_after_their_end(db: TestDb) {
    let store = store_with_user(&db).await;
    store.index_merge_instance(&instance("pi-1", 1, IndexStatus::Running), MS).await.unwrap();
    store.index_merge_instance(&instance("pi-2", 2, IndexStatus::Completed), MS + 5).await.unwrap();
    let ids = |v: Vec<shenpi_server::store::IndexedInstance>| v.into_iter().map(|i| i.instance_id).collect::<Vec<_>>();
    assert!(store.index_needing_refresh(MS, 10).await.unwrap().is_empty(), "not quiet yet");
    assert_eq!(ids(store.index_needing_refresh(MS + 10, 10).await.unwrap()), ["pi-1", "pi-2"], "the quietest first");
    let read = InstanceFacts { source: FactSource::Read, ..instance("pi-2", 2, IndexStatus::Completed) };
    let merged = store.index_merge_instance(&read, MS + 6).await.unwrap();
    assert!(merged.refreshed_final && merged.refreshed_at == Some(MS + 6));
    assert_eq!(ids(store.index_needing_refresh(MS + 10, 10).await.unwrap()), ["pi-1"], "read after its end");
    assert_eq!(store.index_process_codes().await.unwrap(), ["PROC-GENERAL"]);
    assert!(store.index_instance("pi-9").await.unwrap().is_none());
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
