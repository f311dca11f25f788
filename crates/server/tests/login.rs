//! Login and the skeleton endpoints, end to end: a real server on a random port over a SQLite file, talking to
//! the emulator started in-process. The login flow runs on PostgreSQL too when `SHENPI_TEST_POSTGRES_URL` is set.

use api_types::{ApiError, AppConfig, ErrorCode, Health, Session, User};
use common::db::TestDb;
use common::{Harness, assert_api_error, start, start_on, start_with};
use reqwest::StatusCode;

mod common;

#[tokio::test]
async fn health_answers_ok() {
    let h = start().await;
    let res = h.http.get(format!("{}/api/health", h.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Health>().await.unwrap().status, "ok");
}

#[tokio::test]
async fn config_gives_the_corp_id_the_jsapi_needs() {
    let h = start().await;
    let config: AppConfig = h.http.get(format!("{}/api/config", h.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(config.corp_id, h.emu.org().corp.corp_id);
    assert_eq!(config.client_id, h.emu.org().app.app_key);
    assert_eq!(config.oauth_authorize_url, format!("{}/oauth2/auth", h.emu.uri()));
}

#[tokio::test]
async fn the_web_login_gives_a_session_for_the_same_user() {
    let h = start().await;
    let code = h.oauth_code("fin_head").await;
    let res = h.web_login(&code).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let session: Session = res.json().await.unwrap();
    assert_eq!(session.user.user_id, "fin_head");
    assert_eq!(session.user.name, "钱财务");

    let again = h.web_login(&code).await;
    assert_api_error(again, StatusCode::UNAUTHORIZED, ErrorCode::AuthCodeInvalid).await;
}

#[tokio::test]
async fn a_free_login_code_cannot_be_used_as_a_web_login_code() {
    let h = start().await;
    let code = h.emu.control().auth_code("zhangsan").await.unwrap();
    let res = h.web_login(&code).await;
    assert_eq!(res.json::<ApiError>().await.unwrap().code, ErrorCode::AuthCodeInvalid);
}

#[tokio::test]
async fn a_free_login_code_gives_a_session_that_identifies_the_user() {
    login_gives_a_session_that_identifies_the_user(start().await).await;
}

#[tokio::test]
async fn a_free_login_code_gives_a_session_that_identifies_the_user_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        login_gives_a_session_that_identifies_the_user(start_on(db, &[]).await).await;
    }
}

/// Logs in 张三 with a free-login code, then reads `/api/me` with the session twice (the second time after the
/// first has touched it).
async fn login_gives_a_session_that_identifies_the_user(h: Harness) {
    let code = h.emu.control().auth_code("zhangsan").await.unwrap();
    let res = h.login(&code).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let session: Session = res.json().await.unwrap();
    assert_eq!(session.user.name, "张三");
    assert_eq!(session.user.dept_ids, vec![101]);

    for _ in 0..2 {
        let res = h.http.get(format!("{}/api/me", h.base)).bearer_auth(&session.token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<User>().await.unwrap(), session.user);
    }
}

#[tokio::test]
async fn a_reused_code_is_refused_with_auth_code_invalid() {
    let h = start().await;
    let code = h.emu.control().auth_code("lisi").await.unwrap();
    assert_eq!(h.login(&code).await.status(), StatusCode::CREATED);

    let res = h.login(&code).await;
    assert_api_error(res, StatusCode::UNAUTHORIZED, ErrorCode::AuthCodeInvalid).await;
}

#[tokio::test]
async fn an_expired_code_is_refused_with_auth_code_invalid() {
    let h = start().await;
    let code = h.emu.control().auth_code("lisi").await.unwrap();
    h.emu.control().advance_clock(std::time::Duration::from_secs(301)).await.unwrap();
    let res = h.login(&code).await;
    assert_eq!(res.json::<ApiError>().await.unwrap().code, ErrorCode::AuthCodeInvalid);
}

#[tokio::test]
async fn malformed_login_bodies_get_the_common_error_body() {
    let h = start().await;
    for body in ["{", "{\"authCode\": 5}", "{\"authCode\": \"\"}"] {
        let res = h
            .http
            .post(format!("{}/api/session", h.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(res.json::<ApiError>().await.unwrap().code, ErrorCode::BadRequest, "{body}");
    }
    let huge = serde_json::json!({ "authCode": "x".repeat(shenpi_server::BODY_LIMIT) });
    let res = h.http.post(format!("{}/api/session", h.base)).json(&huge).send().await.unwrap();
    assert_api_error(res, StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge).await;
}

#[tokio::test]
async fn me_without_a_valid_token_is_unauthenticated() {
    let h = start().await;
    for token in [None, Some("not-a-token")] {
        let mut req = h.http.get(format!("{}/api/me", h.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        assert_api_error(res, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    }
}

#[tokio::test]
async fn unknown_api_paths_are_404_api_errors_not_the_app() {
    let h = start().await;
    let res = h.http.get(format!("{}/api/nope", h.base)).send().await.unwrap();
    assert_api_error(res, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_with_the_common_error_body() {
    let h = start().await;
    let res = h.http.get(format!("{}/api/session", h.base)).send().await.unwrap();
    assert_api_error(res, StatusCode::METHOD_NOT_ALLOWED, ErrorCode::BadRequest).await;
}

#[tokio::test]
async fn the_built_app_is_served_with_correct_content_types() {
    let h = start().await;
    for (path, content_type) in [
        ("/", "text/html"),
        ("/shenpi-abc_bg.wasm", "application/wasm"),
        ("/shenpi-abc.js", "text/javascript"),
        ("/style-abc.css", "text/css"),
        ("/todo?tab=mine", "text/html"),
    ] {
        let res = h.http.get(format!("{}{path}", h.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let got = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(got.starts_with(content_type), "{path}: {got}");
    }
}

#[tokio::test]
async fn hashed_files_are_cached_for_a_year_and_sent_precompressed_while_the_page_is_revalidated() {
    let h = start().await;
    let get = |path: &str, encoding: &str| {
        h.http.get(format!("{}{path}", h.base)).header("accept-encoding", encoding.to_owned()).send()
    };
    let res = get("/shenpi-0123456789abcdef.js", "gzip, br").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(res.headers()["content-encoding"], "br");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"brotli bytes");

    let plain = get("/shenpi-0123456789abcdef.js", "identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), b"export default 2;");

    for path in ["/", "/instances/x", "/shenpi-abc.js"] {
        let res = get(path, "br").await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
    }
    let api = get("/api/me", "br").await.unwrap();
    assert!(api.headers().get("cache-control").is_none_or(|v| v != "public, max-age=31536000, immutable"));
}

#[tokio::test]
async fn a_wrong_app_secret_is_app_not_found_not_a_generic_refusal() {
    let h = start_with(&["--app-secret=not-the-secret".to_owned()]).await;
    let code = h.emu.control().auth_code("zhangsan").await.unwrap();
    assert_api_error(h.login(&code).await, StatusCode::BAD_GATEWAY, ErrorCode::AppNotFound).await;
}

#[tokio::test]
async fn a_missing_dingtalk_permission_is_permission_missing() {
    use dingtalk_emulator::limits::FaultRule;
    let h = start().await;
    let rule = FaultRule { permission_denied: true, ..FaultRule::on("/topapi/v2/user/get") };
    h.emu.control().add_fault(&rule).await.unwrap();
    let code = h.emu.control().auth_code("zhangsan").await.unwrap();
    assert_api_error(h.login(&code).await, StatusCode::BAD_GATEWAY, ErrorCode::PermissionMissing).await;
}

#[tokio::test]
async fn a_web_login_into_another_organisation_is_corp_mismatch() {
    let h = start_with(&["--corp-id=dingsomeotherorg".to_owned()]).await;
    let code = h.oauth_code("zhangsan").await;
    assert_api_error(h.web_login(&code).await, StatusCode::FORBIDDEN, ErrorCode::CorpMismatch).await;
}
