//! Login and the skeleton endpoints, end to end: a real server on a random port over a SQLite file, talking to
//! the emulator started in-process.

use std::path::Path;

use api_types::{ApiError, AppConfig, ErrorCode, Health, Session, User};
use dingtalk_emulator::Emulator;
use reqwest::StatusCode;
use shenpi_server::AppState;

mod common;

struct Harness {
    emu: Emulator,
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    _server: common::Running,
}

async fn start() -> Harness {
    start_with(&[]).await
}

/// A harness whose server gets these `--flag=value` arguments instead of the defaults for the same flags.
async fn start_with(extra: &[String]) -> Harness {
    let emu = Emulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    write_dist(&dist);
    let config = common::config(&emu, dir.path(), &dist, extra);
    let server = common::serve(AppState::from_config(&config).await.unwrap()).await;
    Harness { emu, base: server.base.clone(), http: reqwest::Client::new(), _dir: dir, _server: server }
}

fn write_dist(dist: &Path) {
    std::fs::create_dir_all(dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>shenpi</title>").unwrap();
    std::fs::write(dist.join("shenpi-abc_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dist.join("shenpi-abc.js"), "export default 1;").unwrap();
    std::fs::write(dist.join("style-abc.css"), "body{}").unwrap();
}

/// Checks that `res` is the common error body with `code`, under `status`.
async fn assert_api_error(res: reqwest::Response, status: StatusCode, code: ErrorCode) {
    assert_eq!(res.status(), status, "{}", res.url());
    assert_eq!(res.json::<ApiError>().await.unwrap().code, code);
}

impl Harness {
    async fn login(&self, code: &str) -> reqwest::Response {
        self.post("/api/session", code).await
    }

    async fn web_login(&self, code: &str) -> reqwest::Response {
        self.post("/api/session/oauth", code).await
    }

    async fn post(&self, path: &str, code: &str) -> reqwest::Response {
        let body = serde_json::json!({ "authCode": code });
        self.http.post(format!("{}{path}", self.base)).json(&body).send().await.unwrap()
    }

    async fn oauth_code(&self, user_id: &str) -> String {
        let app_key = &self.emu.org().app.app_key;
        self.emu.control().web_login(user_id, app_key, &format!("{}/", self.base), "st").await.unwrap()
    }
}

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
    let h = start().await;
    let code = h.emu.control().auth_code("zhangsan").await.unwrap();
    let res = h.login(&code).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let session: Session = res.json().await.unwrap();
    assert_eq!(session.user.name, "张三");
    assert_eq!(session.user.dept_ids, vec![101]);

    let me: User = h
        .http
        .get(format!("{}/api/me", h.base))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me, session.user);
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
