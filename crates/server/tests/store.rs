//! The Store's scenarios, written once and run on every backend: on a SQLite file always, and on PostgreSQL when
//! `SHENPI_TEST_POSTGRES_URL` is set (each test in a database of its own, so they run in parallel).

mod common;

use api_types::User;
use common::db::TestDb;
use shenpi_server::store::StoreError;

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
