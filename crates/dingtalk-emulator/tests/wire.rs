//! The emulator on the wire, with a plain HTTP client: DingTalk's envelopes, body formats and login page.

use dingtalk_emulator::Emulator;
use serde_json::{Value, json};

async fn token(emu: &Emulator) -> String {
    let app = &emu.org().app;
    let body: Value =
        reqwest::get(format!("{}/gettoken?appkey={}&appsecret={}", emu.uri(), app.app_key, app.app_secret))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(body["errcode"], 0);
    assert_eq!(body["expires_in"], 7200);
    body["access_token"].as_str().unwrap().to_owned()
}

async fn post(url: String, body: reqwest::Body, content_type: &str) -> Value {
    let res = reqwest::Client::new().post(url).header("content-type", content_type).body(body).send().await.unwrap();
    assert_eq!(res.status(), 200, "legacy errors are HTTP 200 too");
    res.json().await.unwrap()
}

#[tokio::test]
async fn legacy_bodies_may_be_form_encoded_and_numbers_may_be_strings() {
    let emu = Emulator::start().await.unwrap();
    let token = token(&emu).await;
    let code = emu.control().auth_code("zhangsan").await.unwrap();
    let url = format!("{}/topapi/v2/user/getuserinfo?access_token={token}", emu.uri());
    let body = post(url, format!("code={code}").into(), "application/x-www-form-urlencoded").await;
    assert_eq!(body["errcode"], 0, "{body}");
    assert_eq!(body["result"]["userid"], "zhangsan");

    let url = format!("{}/topapi/v2/department/get?access_token={token}", emu.uri());
    let body = post(url, json!({"dept_id": "101"}).to_string().into(), "application/json").await;
    assert_eq!(body["result"]["name"], "前端组", "{body}");
    assert_eq!(body["result"]["parent_id"], 100);
}

#[tokio::test]
async fn a_missing_or_unknown_token_is_40014_and_a_bad_body_40035() {
    let emu = Emulator::start().await.unwrap();
    let body = post(format!("{}/topapi/v2/user/get", emu.uri()), "{}".into(), "application/json").await;
    assert_eq!(body["errcode"], 40014);
    let body =
        post(format!("{}/topapi/v2/user/get?access_token=nope", emu.uri()), "{}".into(), "application/json").await;
    assert_eq!(body["errcode"], 40014);
    assert_eq!(body["errmsg"], "不合法的access_token");
    let token = token(&emu).await;
    let body =
        post(format!("{}/topapi/v2/user/get?access_token={token}", emu.uri()), "[1]".into(), "application/json").await;
    assert_eq!(body["errcode"], 40035);
}

#[tokio::test]
async fn an_unknown_topapi_method_is_errcode_22() {
    let emu = Emulator::start().await.unwrap();
    let body = post(format!("{}/topapi/no/such/thing", emu.uri()), "{}".into(), "application/json").await;
    assert_eq!(body["errcode"], 22);
}

#[tokio::test]
async fn v1_errors_carry_status_code_message_and_request_id() {
    let emu = Emulator::start().await.unwrap();
    let res = reqwest::Client::new()
        .post(format!("{}/v1.0/oauth2/accessToken", emu.uri()))
        .json(&json!({"appKey": emu.org().app.app_key, "appSecret": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().contains_key("x-acs-request-id"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalidClientIdOrSecret");
    assert!(body["requestid"].as_str().is_some_and(|id| id.len() == 36), "{body}");
}

#[tokio::test]
async fn the_web_login_page_lists_active_members_and_checks_the_client_id() {
    let emu = Emulator::start().await.unwrap();
    let page = |client_id: &str| {
        format!(
            "{}/oauth2/auth?redirect_uri=http%3A%2F%2Fapp.test%2F&response_type=code&client_id={client_id}&scope=openid&state=x&prompt=consent",
            emu.uri()
        )
    };
    let res = reqwest::get(page(&emu.org().app.app_key)).await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("oauth-user-zhangsan"));
    assert!(!html.contains("oauth-user-former01"), "someone who left cannot log in");

    let res = reqwest::get(page("someone-else")).await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("client_id"));

    let err = emu.control().web_login("former01", &emu.org().app.app_key, "http://app.test/", "s").await.unwrap_err();
    assert!(err.to_string().contains("without a redirect"), "{err}");
}

#[tokio::test]
async fn all_three_token_endpoints_give_the_apps_one_token() {
    let emu = Emulator::start().await.unwrap();
    let app = &emu.org().app;
    let legacy = token(&emu).await;
    let http = reqwest::Client::new();
    let v1: Value = http
        .post(format!("{}/v1.0/oauth2/accessToken", emu.uri()))
        .json(&json!({"appKey": app.app_key, "appSecret": app.app_secret}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v1["accessToken"], legacy.as_str());
    let corp = &emu.org().corp.corp_id;
    let unified = |corp: String, secret: &str| {
        http.post(format!("{}/v1.0/oauth2/{corp}/token", emu.uri())).json(&json!({
            "client_id": app.app_key, "client_secret": secret, "grant_type": "client_credentials"
        }))
    };
    let res: Value = unified(corp.clone(), &app.app_secret).send().await.unwrap().json().await.unwrap();
    assert_eq!((res["access_token"].as_str(), res["expires_in"].as_i64()), (Some(legacy.as_str()), Some(7200)));
    let res = unified(corp.clone(), "wrong").send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "invalid.client");
    let res = unified("dingother".into(), &app.app_secret).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn seeding_replaces_the_organisation_and_templates_and_checks_flows() {
    use dingtalk_emulator::control::Seed;
    let emu = Emulator::start().await.unwrap();
    let mut org = emu.org().clone();
    org.users.retain(|u| u.user_id != "lisi");
    let mut templates = dingtalk_emulator::templates::seed();
    templates.truncate(1);
    let control = emu.control();
    control.seed(&Seed { org: Some(org.clone()), templates: Some(templates.clone()) }).await.unwrap();
    let seeded: Value = reqwest::get(format!("{}/_emulator/org", emu.uri())).await.unwrap().json().await.unwrap();
    assert!(seeded["users"].as_array().unwrap().iter().all(|u| u["userId"] != "lisi"));
    let code = control.auth_code("lisi").await;
    assert!(code.is_err(), "lisi is gone");

    let mut broken = dingtalk_emulator::templates::seed();
    org.users.retain(|u| u.user_id != "fin_head");
    let refused = control.seed(&Seed { org: Some(org), templates: Some(broken.clone()) }).await;
    assert!(refused.is_err(), "the expense flow names fin_head");
    broken.push(broken[0].clone());
    assert!(control.seed(&Seed { org: None, templates: Some(broken) }).await.is_err(), "duplicate process code");
}
