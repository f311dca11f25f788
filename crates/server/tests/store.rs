//! The Store's scenarios, written once and run on every backend: on a SQLite file always, and on PostgreSQL when
//! `SHENPI_TEST_POSTGRES_URL` is set (each test in a database of its own, so they run in parallel).

mod common;

use api_types::User;
use api_types::form::{FieldValue, FormValues};
use api_types::{Draft, SaveDraft};
use common::db::TestDb;
use shenpi_server::store::{DraftSave, Store, StoreError};

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
    // Drafts.
    a_saved_draft_reads_back_for_its_user_only,
    drafts_list_the_most_recently_saved_first,
    a_save_naming_an_old_version_is_a_conflict_and_changes_nothing,
    a_save_without_a_version_replaces_whatever_is_stored,
    a_save_naming_a_version_of_a_deleted_draft_is_a_conflict,
    a_new_draft_over_the_limit_is_refused_but_existing_ones_still_save,
    deleting_a_draft_removes_only_that_one,
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
