//! Graceful shutdown with a delivery to DingTalk in flight: it either finishes within the grace period, or it is cut
//! off, stays leased, and after a restart on the same database ends as exactly one DingTalk instance.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use api_types::{RequestState, Session, SubmittedRequest};
use common::db::TestDb;
use dingtalk_emulator::Emulator;
use dingtalk_emulator::limits::FaultRule;
use reqwest::StatusCode;
use shenpi_server::AppState;

const CREATE_PATH: &str = "/v1.0/workflow/processInstances";

/// A server over `db` against `emu` with quick outbox timing, a 1.5 s lease and the given grace period.
async fn server(emu: &Emulator, db: &TestDb, grace_ms: u64) -> (AppState, common::Running) {
    let extra = [
        "--dingtalk-timeout-ms=5000",
        "--outbox-backoff-ms=50",
        "--outbox-poll-ms=50",
        "--outbox-lease-ms=1500",
        &format!("--shutdown-grace-ms={grace_ms}"),
    ]
    .map(str::to_owned);
    let config = common::config_for(emu, &db.url, Path::new("/nonexistent"), &extra);
    let state = AppState::from_config(&config).await.unwrap();
    (state.clone(), common::serve(state).await)
}

/// Logs zhangsan in on `base` and submits a 通用审批; the queued request's id.
async fn submit(emu: &Emulator, base: &str) -> String {
    let http = reqwest::Client::new();
    let code = emu.control().auth_code("zhangsan").await.unwrap();
    let res = http.post(format!("{base}/api/session")).json(&serde_json::json!({ "authCode": code })).send().await;
    let token = res.unwrap().json::<Session>().await.unwrap().token;
    let body = common::general_request("出差");
    let res = http
        .post(format!("{base}/api/requests"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "key-shutdown-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    res.json::<SubmittedRequest>().await.unwrap().id
}

async fn instance_ids(emu: &Emulator) -> Vec<String> {
    emu.control().instances(None).await.unwrap().into_iter().map(|i| i.process_instance_id).collect()
}

/// Polls until `done` holds, for up to ten seconds.
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    for _ in 0..200 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test]
async fn a_delivery_in_flight_at_shutdown_finishes_within_the_grace_period() {
    let emu = Emulator::start().await.unwrap();
    let db = TestDb::sqlite();
    let (state, running) = server(&emu, &db, 10_000).await;
    let slow =
        FaultRule { method: Some("POST".into()), latency_ms: 1_500, times: Some(1), ..FaultRule::on(CREATE_PATH) };
    emu.control().add_fault(&slow).await.unwrap();
    let base = running.base.clone();
    let id = submit(&emu, &base).await;
    // The worker is woken at once; give it time to send, then shut down while DingTalk is still thinking.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(state.store.request(&id).await.unwrap().unwrap().state, RequestState::Queued, "still in flight");

    let began = Instant::now();
    running.shutdown().await;
    let took = began.elapsed();
    assert!(took >= Duration::from_millis(800), "shutdown waited for the delivery: {took:?}");
    assert!(took < Duration::from_secs(10), "and no longer than needed: {took:?}");
    let request = state.store.request(&id).await.unwrap().unwrap();
    assert_eq!(request.state, RequestState::Running, "{request:?}");
    assert_eq!(instance_ids(&emu).await, [request.instance_id.unwrap()]);
    assert!(reqwest::get(format!("{base}/api/health")).await.is_err(), "the listener is closed");
}

#[tokio::test]
async fn a_delivery_cut_off_at_shutdown_ends_as_one_instance_after_a_restart() {
    let emu = Emulator::start().await.unwrap();
    let db = TestDb::sqlite();
    let (state, running) = server(&emu, &db, 200).await;
    // DingTalk creates the instance, then holds its answer far past the grace period.
    let held = FaultRule {
        method: Some("POST".into()),
        commit_then_timeout_ms: Some(4_000),
        times: Some(1),
        ..FaultRule::on(CREATE_PATH)
    };
    emu.control().add_fault(&held).await.unwrap();
    let id = submit(&emu, &running.base).await;
    eventually("DingTalk created the instance", || async { instance_ids(&emu).await.len() == 1 }).await;

    let began = Instant::now();
    running.shutdown().await;
    assert!(began.elapsed() < Duration::from_secs(2), "the grace period bounds shutdown: {:?}", began.elapsed());
    let left = state.store.request(&id).await.unwrap().unwrap();
    assert_eq!(left.state, RequestState::Queued, "cut off, so its outcome is not known: {left:?}");

    // The restarted server takes the row once its lease runs out, looks the instance up and adopts it.
    let (state, _running) = server(&emu, &db, 200).await;
    eventually("the request settled", || async {
        state.store.request(&id).await.unwrap().unwrap().state != RequestState::Queued
    })
    .await;
    let request = state.store.request(&id).await.unwrap().unwrap();
    assert_eq!(request.state, RequestState::Running, "{request:?}");
    assert_eq!(instance_ids(&emu).await, [request.instance_id.unwrap()], "exactly one instance");
}
