//! The token and identity path against the emulator, started in-process on a random port.

use std::time::Duration;

use dingtalk_client::{DingTalk, Error};
use dingtalk_emulator::Emulator;

fn client(emu: &Emulator) -> DingTalk {
    let app = &emu.org().app;
    DingTalk::builder().app_key(&app.app_key).app_secret(&app.app_secret).base_url(emu.uri()).build().unwrap()
}

#[tokio::test]
async fn a_free_login_code_resolves_to_the_user_and_their_profile() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let code = emu.control().auth_code("lisi").await.unwrap();

    let who = dt.user().by_auth_code(&code).await.unwrap();
    assert_eq!(who.userid, "lisi");
    assert_eq!(who.name, "李四");

    let detail = dt.user().get(&who.userid).await.unwrap();
    assert_eq!(detail.name, "李四");
    assert_eq!(detail.dept_id_list, vec![101, 300]);
    assert_eq!(detail.manager_userid.as_deref(), Some("fe_lead"));
}

#[tokio::test]
async fn a_reused_code_is_refused_with_40078() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let code = emu.control().auth_code("zhangsan").await.unwrap();
    dt.user().by_auth_code(&code).await.unwrap();

    let err = dt.user().by_auth_code(&code).await.unwrap_err();
    assert_eq!(err.api_code(), Some("40078"), "{err}");
}

#[tokio::test]
async fn a_code_older_than_five_minutes_is_refused() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let code = emu.control().auth_code("zhangsan").await.unwrap();
    emu.control().advance_clock(Duration::from_secs(301)).await.unwrap();

    let err = dt.user().by_auth_code(&code).await.unwrap_err();
    assert_eq!(err.api_code(), Some("40078"), "{err}");
}

#[tokio::test]
async fn an_expired_token_is_replaced_and_the_call_retried_once() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    dt.user().get("zhangsan").await.unwrap();
    // The cached token is now past DingTalk's 7200 s; the client must notice 42001, refetch and succeed.
    emu.control().advance_clock(Duration::from_secs(7201)).await.unwrap();

    let detail = dt.user().get("zhangsan").await.unwrap();
    assert_eq!(detail.userid, "zhangsan");
}

#[tokio::test]
async fn a_wrong_secret_is_an_api_error_not_a_panic() {
    let emu = Emulator::start().await.unwrap();
    let dt =
        DingTalk::builder().app_key(&emu.org().app.app_key).app_secret("wrong").base_url(emu.uri()).build().unwrap();

    let err = dt.user().get("zhangsan").await.unwrap_err();
    assert!(matches!(err, Error::Api { ref code, .. } if code == "40001"), "{err}");
}

#[tokio::test]
async fn someone_who_left_cannot_be_looked_up() {
    let emu = Emulator::start().await.unwrap();
    let err = client(&emu).user().get("former01").await.unwrap_err();
    assert_eq!(err.api_code(), Some("33012"));
}

/// Logs in on the emulator's web login page as `user_id` and returns the `authCode` from the redirect.
async fn oauth_code(emu: &Emulator, user_id: &str) -> String {
    emu.control().web_login(user_id, &emu.org().app.app_key, "http://app.test/back", "s1").await.unwrap()
}

#[tokio::test]
async fn the_web_login_resolves_to_the_same_userid_as_free_login() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let code = oauth_code(&emu, "lisi").await;

    let token = dt.oauth().user_token(&code).await.unwrap();
    let me = dt.oauth().me(&token).await.unwrap();
    assert_eq!(me.nick, "李四");
    assert_eq!(dt.user().by_union_id(&me.union_id).await.unwrap(), "lisi");

    let again = dt.oauth().user_token(&code).await.unwrap_err();
    assert_eq!(again.api_code(), Some("invalidAuthCode"), "{again}");
}

#[tokio::test]
async fn a_unionid_outside_the_organisation_is_60121() {
    let emu = Emulator::start().await.unwrap();
    let err = client(&emu).user().by_union_id("uNobody").await.unwrap_err();
    assert_eq!(err.api_code(), Some("60121"));
}

#[tokio::test]
async fn a_free_login_code_is_not_an_oauth_code() {
    let emu = Emulator::start().await.unwrap();
    let code = emu.control().auth_code("zhangsan").await.unwrap();
    let err = client(&emu).oauth().user_token(&code).await.unwrap_err();
    assert_eq!(err.api_code(), Some("invalidAuthCode"));
}

#[tokio::test]
async fn the_directory_lists_sub_departments_and_pages_of_members() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let subs = dt.contact().sub_departments(100).await.unwrap();
    assert_eq!(subs.iter().map(|d| d.dept_id).collect::<Vec<_>>(), [101, 102, 103]);
    assert_eq!(subs[0].parent_id, Some(100));
    let first = dt.contact().members(101, 0, 2).await.unwrap();
    assert_eq!(first.list.len(), 2);
    assert!(first.has_more);
    let next = first.next_cursor.unwrap();
    let second = dt.contact().members(101, next, 100).await.unwrap();
    assert!(!second.has_more && second.next_cursor.is_none());
    assert!(second.list.iter().all(|u| first.list.iter().all(|f| f.userid != u.userid)), "pages do not overlap");
    assert!(second.list.iter().chain(&first.list).all(|u| u.active && u.userid != "former01"));
    let err = dt.contact().sub_departments(999).await.unwrap_err();
    assert_eq!(err.api_code(), Some("60003"));
}
