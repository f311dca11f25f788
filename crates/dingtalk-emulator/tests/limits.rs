//! Rate limits, the monthly quota and fault rules on the wire, with a plain HTTP client, on a frozen emulator clock.

use std::time::{Duration, Instant};

use dingtalk_emulator::Emulator;
use dingtalk_emulator::events::{Event, EventType};
use dingtalk_emulator::limits::{Edition, EventFaults, FaultRule};
use serde_json::{Map, Value, json};

/// An emulator whose clock stands still at the start of a second, a day into the next month (UTC+8), so a test's
/// calls share one second and one month however slowly it runs.
async fn frozen_emulator() -> Emulator {
    let emu = Emulator::start().await.unwrap();
    let clock = emu.clock();
    clock.freeze();
    let now = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(clock.now_ms()) * 1_000_000).unwrap();
    let local = now.to_offset(time::macros::offset!(+8));
    let (year, month) = match local.month() {
        time::Month::December => (local.year() + 1, time::Month::January),
        m => (local.year(), m.next()),
    };
    let next_month = time::Date::from_calendar_date(year, month, 2).unwrap().midnight().assume_offset(local.offset());
    let target_ms = i64::try_from(next_month.unix_timestamp_nanos() / 1_000_000).unwrap();
    clock.advance(Duration::from_millis(u64::try_from(target_ms - clock.now_ms()).unwrap()));
    emu
}

fn gettoken_url(emu: &Emulator) -> String {
    let app = &emu.org().app;
    format!("{}/gettoken?appkey={}&appsecret={}", emu.uri(), app.app_key, app.app_secret)
}

async fn get_json(url: &str) -> (u16, Value) {
    let res = reqwest::get(url).await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn post_json(url: &str, body: Value) -> (u16, Value) {
    let res = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn v1_access_token(emu: &Emulator) -> (u16, Value) {
    let app = &emu.org().app;
    let body = json!({"appKey": app.app_key, "appSecret": app.app_secret});
    post_json(&format!("{}/v1.0/oauth2/accessToken", emu.uri()), body).await
}

async fn legacy_token(emu: &Emulator) -> String {
    let (_, body) = get_json(&gettoken_url(emu)).await;
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_21st_legacy_call_in_a_second_is_90018_and_the_next_second_is_fine() {
    let emu = frozen_emulator().await;
    let token = legacy_token(&emu).await;
    let url = format!("{}/topapi/v2/user/get?access_token={token}", emu.uri());
    for n in 1..=20 {
        let (status, body) = post_json(&url, json!({"userid": "zhangsan"})).await;
        assert_eq!((status, body["errcode"].as_i64()), (200, Some(0)), "call {n}: {body}");
    }
    let (status, body) = post_json(&url, json!({"userid": "zhangsan"})).await;
    assert_eq!(status, 200, "legacy refusals are HTTP 200");
    assert_eq!(body["errcode"], 90018, "{body}");
    assert!(body["errmsg"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(body.get("result").is_none());

    emu.clock().advance(Duration::from_secs(1));
    let (_, body) = post_json(&url, json!({"userid": "zhangsan"})).await;
    assert_eq!(body["errcode"], 0, "{body}");

    let calls = emu.control().calls().await.unwrap();
    let user_get = calls.apis.iter().find(|a| a.path == "/topapi/v2/user/get").unwrap();
    let per_second: Vec<_> = user_get.seconds.iter().map(|s| (s.calls, s.refused)).collect();
    assert_eq!(per_second, [(20, 1), (1, 0)]);
    assert_eq!((user_get.method.as_str(), user_get.peak_per_second, user_get.metered), ("POST", 20, false));
}

#[tokio::test]
async fn the_21st_v1_call_in_a_second_is_403_qps_limit_for_appkey_and_api() {
    let emu = frozen_emulator().await;
    for n in 1..=20 {
        let (status, body) = v1_access_token(&emu).await;
        assert_eq!(status, 200, "call {n}: {body}");
    }
    let (status, body) = v1_access_token(&emu).await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "{body}");
    assert!(body["requestid"].as_str().is_some_and(|r| !r.is_empty()), "{body}");
    assert!(body["message"].is_string());
    emu.clock().advance(Duration::from_secs(1));
    assert_eq!(v1_access_token(&emu).await.0, 200);
}

#[tokio::test]
async fn a_call_without_a_token_counts_against_the_app_too() {
    let emu = frozen_emulator().await;
    let url = format!("{}/topapi/v2/user/get", emu.uri());
    for _ in 0..20 {
        assert_eq!(post_json(&url, json!({})).await.1["errcode"], 40014);
    }
    assert_eq!(post_json(&url, json!({})).await.1["errcode"], 90018);
}

#[tokio::test]
async fn exempt_apis_do_not_count_toward_the_month_and_the_quota_refuses_the_5001st_until_next_month() {
    let emu = frozen_emulator().await;
    let control = emu.control();
    let client = reqwest::Client::new();
    for _ in 0..3 {
        legacy_token(&emu).await;
        v1_access_token(&emu).await;
    }
    let calls = control.calls().await.unwrap();
    assert_eq!((calls.edition, calls.monthly_limit, calls.metered_calls), (Edition::Standard, Some(5_000), 0));
    assert_eq!(calls.apis.iter().map(|a| a.month_calls).sum::<u64>(), 6);

    // The archived legacy approval API counts (approval APIs are not exempt); 20 a second keeps under the QPS limit.
    let metered = format!("{}/topapi/processinstance/get", emu.uri());
    for _ in 0..250 {
        let batch = (0..20).map(|_| client.post(&metered).json(&json!({})).send());
        for res in futures_util::future::join_all(batch).await {
            let body: Value = res.unwrap().json().await.unwrap();
            assert_ne!(body["errcode"], 90020, "refused before 5 000 calls");
        }
        emu.clock().advance(Duration::from_secs(1));
    }
    assert_eq!(control.calls().await.unwrap().metered_calls, 5_000);
    let (_, body) = post_json(&metered, json!({})).await;
    assert_eq!(body["errcode"], 90020, "{body}");
    let res = client.get(format!("{}/v1.0/workflow/processInstances?processInstanceId=x", emu.uri())).send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "Forbidden.AccessDenied.ApiCountLimitForOrg", "{body}");
    assert_eq!(get_json(&gettoken_url(&emu)).await.1["errcode"], 0, "exempt APIs still answer");

    emu.clock().advance(Duration::from_secs(32 * 86_400));
    let (_, body) = post_json(&metered, json!({})).await;
    assert_ne!(body["errcode"], 90020, "a new month starts a new count: {body}");
    assert_eq!(control.calls().await.unwrap().metered_calls, 1);
}

#[tokio::test]
async fn a_larger_edition_lifts_the_quota() {
    let emu = frozen_emulator().await;
    let counts = emu.control().set_edition(Edition::Exclusive).await.unwrap();
    assert_eq!((counts.edition, counts.monthly_limit), (Edition::Exclusive, None));
    let res = reqwest::Client::new()
        .post(format!("{}/_emulator/edition", emu.uri()))
        .json(&json!({"edition": "platinum"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "badRequest");
}

#[tokio::test]
async fn error_rate_one_answers_system_busy_on_each_host_without_handling_the_call() {
    let emu = frozen_emulator().await;
    let control = emu.control();
    control.add_fault(&FaultRule { error_rate: 1.0, ..FaultRule::on("/gettoken") }).await.unwrap();
    control.add_fault(&FaultRule { error_rate: 1.0, ..FaultRule::on("/v1.0/*") }).await.unwrap();
    let (status, body) = get_json(&gettoken_url(&emu)).await;
    assert_eq!((status, &body["errcode"], &body["errmsg"]), (200, &json!(-1), &json!("系统繁忙")), "{body}");
    assert!(body.get("access_token").is_none());
    let (status, body) = v1_access_token(&emu).await;
    assert_eq!((status, &body["code"]), (500, &json!("systemBusy")), "{body}");

    control.clear_faults().await.unwrap();
    assert!(control.faults().await.unwrap().is_empty());
    assert_eq!(get_json(&gettoken_url(&emu)).await.1["errcode"], 0);
}

#[tokio::test]
async fn a_rule_with_times_applies_to_the_next_n_calls_then_expires() {
    let emu = frozen_emulator().await;
    let control = emu.control();
    let rule = FaultRule { method: Some("GET".into()), error_rate: 1.0, times: Some(2), ..FaultRule::on("/gettoken") };
    let active = control.add_fault(&rule).await.unwrap();
    assert_eq!((active.remaining, &active.rule), (Some(2), &rule));
    assert_eq!(get_json(&gettoken_url(&emu)).await.1["errcode"], -1);
    assert_eq!(control.faults().await.unwrap()[0].remaining, Some(1));
    assert_eq!(get_json(&gettoken_url(&emu)).await.1["errcode"], -1);
    assert_eq!(get_json(&gettoken_url(&emu)).await.1["errcode"], 0);
    assert!(control.faults().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_fractional_error_rate_repeats_under_the_same_seed() {
    let emu = frozen_emulator().await;
    let control = emu.control();
    let pattern = || async {
        control.seed_faults(42).await.unwrap();
        control.add_fault(&FaultRule { error_rate: 0.5, ..FaultRule::on("/gettoken") }).await.unwrap();
        let mut busy = Vec::new();
        for _ in 0..16 {
            busy.push(get_json(&gettoken_url(&emu)).await.1["errcode"] == -1);
            emu.clock().advance(Duration::from_secs(1));
        }
        control.clear_faults().await.unwrap();
        busy
    };
    let first = pattern().await;
    assert_eq!(first, pattern().await);
    assert!(first.contains(&true) && first.contains(&false), "{first:?}");
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let emu = frozen_emulator().await;
    emu.control().add_fault(&FaultRule { latency_ms: 300, ..FaultRule::on("/gettoken") }).await.unwrap();
    let started = Instant::now();
    assert_eq!(get_json(&gettoken_url(&emu)).await.1["errcode"], 0);
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
}

#[tokio::test]
async fn commit_then_timeout_keeps_the_effect_but_the_client_never_gets_the_answer() {
    let emu = frozen_emulator().await;
    let token = legacy_token(&emu).await;
    let rule = FaultRule {
        commit_then_timeout_ms: Some(5_000),
        times: Some(1),
        ..FaultRule::on("/topapi/v2/user/getuserinfo")
    };
    emu.control().add_fault(&rule).await.unwrap();
    let code = emu.control().auth_code("zhangsan").await.unwrap();
    let url = format!("{}/topapi/v2/user/getuserinfo?access_token={token}", emu.uri());
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    let err = impatient.post(&url).json(&json!({"code": code})).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let (_, body) = post_json(&url, json!({"code": code})).await;
    assert_eq!(body["errcode"], 40078, "the timed-out call used the code: {body}");
}

#[tokio::test]
async fn after_the_hold_the_connection_closes_without_a_byte_of_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let emu = frozen_emulator().await;
    let rule = FaultRule { commit_then_timeout_ms: Some(100), ..FaultRule::on("/gettoken") };
    emu.control().add_fault(&rule).await.unwrap();
    let mut socket = tokio::net::TcpStream::connect(emu.uri().trim_start_matches("http://")).await.unwrap();
    socket.write_all(b"GET /gettoken HTTP/1.1\r\nhost: oapi\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was not closed");
    assert_eq!(String::from_utf8_lossy(&answer), "");
}

#[tokio::test]
async fn html_ban_answers_a_page_instead_of_json_and_is_not_counted() {
    let emu = frozen_emulator().await;
    emu.control().add_fault(&FaultRule { html_ban: true, ..FaultRule::on("/v1.0/oauth2/accessToken") }).await.unwrap();
    let res = reqwest::Client::new()
        .post(format!("{}/v1.0/oauth2/accessToken", emu.uri()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = res.text().await.unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("deny"), "{page}");
    assert!(serde_json::from_str::<Value>(&page).is_err());
    assert!(emu.control().calls().await.unwrap().apis.is_empty());
}

#[tokio::test]
async fn bad_fault_rules_are_refused_with_a_reason() {
    let emu = frozen_emulator().await;
    let client = reqwest::Client::new();
    for body in [
        json!({"path": "/gettoken", "errorRate": 2}),
        json!({"path": "/gettoken"}),
        json!({"path": "/gettoken", "htmlban": true}),
        json!({"errorRate": 1}),
    ] {
        let res = client.post(format!("{}/_emulator/faults", emu.uri())).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let refusal: Value = res.json().await.unwrap();
        assert_eq!(refusal["code"], "badRequest", "{body}");
        assert!(refusal["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn control_routes_are_not_limited() {
    let emu = frozen_emulator().await;
    emu.control().add_fault(&FaultRule { html_ban: true, ..FaultRule::on("/*") }).await.unwrap();
    for _ in 0..25 {
        emu.control().faults().await.unwrap();
    }
    assert!(emu.control().calls().await.unwrap().apis.is_empty());
}

#[tokio::test]
async fn reset_clears_counters_rules_edition_and_event_faults() {
    let emu = frozen_emulator().await;
    let control = emu.control();
    legacy_token(&emu).await;
    control.set_edition(Edition::Professional).await.unwrap();
    control.add_fault(&FaultRule { html_ban: true, ..FaultRule::on("/nowhere") }).await.unwrap();
    control.set_event_faults(EventFaults { drop: 1.0, ..EventFaults::default() }).await.unwrap();
    control.reset().await.unwrap();
    let calls = control.calls().await.unwrap();
    assert_eq!((calls.edition, calls.apis.len()), (Edition::Standard, 0));
    assert!(control.faults().await.unwrap().is_empty());
    assert_eq!(control.event_faults().await.unwrap(), EventFaults::default());
}

fn numbered(n: u64) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("n".into(), n.into());
    data
}

fn numbers(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.data["n"].as_u64().unwrap()).collect()
}

async fn raise(emu: &Emulator, count: u64) {
    for n in 1..=count {
        emu.control().raise_event(EventType::InstanceChange, numbered(n)).await.unwrap();
    }
}

#[tokio::test]
async fn dropped_events_are_logged_as_raised_but_never_delivered() {
    let emu = frozen_emulator().await;
    emu.control().set_event_faults(EventFaults { drop: 1.0, ..EventFaults::default() }).await.unwrap();
    raise(&emu, 3).await;
    assert_eq!(numbers(&emu.control().events().await.unwrap()), [1, 2, 3]);
    assert!(emu.control().delivered_events().await.unwrap().is_empty());
}

#[tokio::test]
async fn duplicated_events_are_delivered_twice_with_the_same_id() {
    let emu = frozen_emulator().await;
    emu.control().set_event_faults(EventFaults { duplicate: 1.0, ..EventFaults::default() }).await.unwrap();
    raise(&emu, 2).await;
    let delivered = emu.control().delivered_events().await.unwrap();
    assert_eq!(numbers(&delivered), [1, 1, 2, 2]);
    assert_eq!(delivered[0].event_id, delivered[1].event_id);
}

#[tokio::test]
async fn reordered_events_come_after_the_next_one_and_setting_faults_releases_a_held_one() {
    let emu = frozen_emulator().await;
    let control = emu.control();
    control.set_event_faults(EventFaults { reorder: 1.0, ..EventFaults::default() }).await.unwrap();
    raise(&emu, 5).await;
    assert_eq!(numbers(&control.delivered_events().await.unwrap()), [2, 1, 4, 3]);
    control.set_event_faults(EventFaults::default()).await.unwrap();
    assert_eq!(numbers(&control.delivered_events().await.unwrap()), [2, 1, 4, 3, 5]);
}

#[tokio::test]
async fn delayed_events_arrive_later_in_order() {
    let emu = frozen_emulator().await;
    emu.control().set_event_faults(EventFaults { delay_ms: 400, ..EventFaults::default() }).await.unwrap();
    raise(&emu, 2).await;
    assert!(emu.control().delivered_events().await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(numbers(&emu.control().delivered_events().await.unwrap()), [1, 2]);
}

#[tokio::test]
async fn workflow_calls_count_toward_the_month() {
    let emu = frozen_emulator().await;
    let (_, body) = v1_access_token(&emu).await;
    let token = body["accessToken"].as_str().unwrap().to_owned();
    let url = format!("{}/v1.0/workflow/processes/todoTasks/numbers?userId=zhangsan", emu.uri());
    for _ in 0..3 {
        let res = reqwest::Client::new().get(&url).header("x-acs-dingtalk-access-token", &token).send().await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    let calls = emu.control().calls().await.unwrap();
    assert_eq!(calls.metered_calls, 3, "approval APIs are not exempt");
    let todo = calls.apis.iter().find(|a| a.path == "/v1.0/workflow/processes/todoTasks/numbers").unwrap();
    assert!(todo.metered);
}

#[tokio::test]
async fn a_create_that_times_out_still_created_the_instance() {
    let emu = frozen_emulator().await;
    let token = emu.app_token().await.unwrap();
    let rule = FaultRule {
        method: Some("POST".into()),
        commit_then_timeout_ms: Some(5_000),
        times: Some(1),
        ..FaultRule::on("/v1.0/workflow/processInstances")
    };
    emu.control().add_fault(&rule).await.unwrap();
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    let err = impatient
        .post(format!("{}/v1.0/workflow/processInstances", emu.uri()))
        .header("x-acs-dingtalk-access-token", &token)
        .json(&json!({
            "processCode": "PROC-EMU-GENERAL",
            "originatorUserId": "zhangsan",
            "deptId": 101,
            "formComponentValues": [{"name": "事项名称", "value": "超时"}, {"name": "申请内容", "value": "试试"}],
        }))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let instances = emu.control().instances(Some("zhangsan")).await.unwrap();
    assert_eq!(instances.len(), 1, "the instance exists although the caller never heard of it");
    assert_eq!(instances[0].status, "RUNNING");
}

#[tokio::test]
async fn a_permission_denied_rule_answers_as_for_an_app_without_the_permission() {
    let emu = frozen_emulator().await;
    let token = legacy_token(&emu).await;
    let rule = FaultRule { permission_denied: true, ..FaultRule::on("/topapi/v2/user/get") };
    emu.control().add_fault(&rule).await.unwrap();
    let (status, body) =
        post_json(&format!("{}/topapi/v2/user/get?access_token={token}", emu.uri()), json!({"userid": "zhangsan"}))
            .await;
    assert_eq!((status, &body["errcode"], &body["sub_code"]), (200, &json!(88), &json!("60011")), "{body}");
    let rule = FaultRule { permission_denied: true, ..FaultRule::on("/v1.0/workflow/*") };
    emu.control().add_fault(&rule).await.unwrap();
    let res = reqwest::Client::new()
        .get(format!("{}/v1.0/workflow/processes/todoTasks/numbers?userId=zhangsan", emu.uri()))
        .header("x-acs-dingtalk-access-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    let both = FaultRule { permission_denied: true, html_ban: true, ..FaultRule::on("/gettoken") };
    assert!(emu.control().add_fault(&both).await.is_err(), "one answer per rule");
}
