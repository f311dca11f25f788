//! Event intake end to end: a real server receives the emulator's events over Stream mode, over the encrypted HTTP
//! callback, or both, stores each once and applies each; the callback refuses what it must refuse.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use api_types::form::{FieldValue, FormValues};
use api_types::{ErrorCode, SubmitRequest};
use clap::Parser;
use common::Harness;
use common::db::TestDb;
use dingtalk_client::crypto::{CallbackCrypto, SealedMessage};
use dingtalk_emulator::events::EventType;
use dingtalk_emulator::limits::EventFaults;
use dingtalk_emulator::push::RegisterCallback;
use dingtalk_emulator::stream::StreamSettingsUpdate;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use shenpi_server::error::AppError;
use shenpi_server::events::{ApplyFn, Channel, StoredEvent, spawn_events_with};
use shenpi_server::store::EventRecord;
use shenpi_server::{AppState, Config};

const TOKEN: &str = "myToken123";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

/// A harness receiving events on `mode`, with the callback's secrets when it needs them.
async fn start(mode: &str) -> Harness {
    start_on(TestDb::sqlite(), mode).await
}

/// [`start`] over the database `db`.
async fn start_on(db: TestDb, mode: &str) -> Harness {
    common::start_on(
        db,
        &[
            format!("--events={mode}"),
            format!("--callback-token={TOKEN}"),
            format!("--callback-aes-key={AES_KEY}"),
            "--events-poll-ms=50".to_owned(),
        ],
    )
    .await
}

/// Registers the server's callback with the emulator, as the console's verify button does (a check_url first).
async fn register_callback(h: &Harness) {
    let registration = RegisterCallback::new(format!("{}/dingtalk/events", h.base), TOKEN, AES_KEY)
        .retry_delays(&[Duration::from_millis(100); 5]);
    h.emu.control().register_callback(&registration).await.expect("the emulator's check_url passes");
}

/// Submits a 通用审批 as zhangsan through the server (its outbox creates the instance at the emulator).
async fn submit_approval(h: &Harness, key: &str) {
    let token = h.session_for("zhangsan").await;
    let body = SubmitRequest {
        process_code: "PROC-EMU-GENERAL".into(),
        dept_id: None,
        values: FormValues::new()
            .with("TextField-NPVG29PY", FieldValue::Text("采购显示器".into()))
            .with("TextareaField-3T6NCAZ7", FieldValue::Text("请批准。".into())),
        approvers: None,
        cc: None,
        picks: None,
    };
    let res = h
        .http
        .post(format!("{}/api/requests", h.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
}

/// Waits until every event the emulator raised is stored and applied, and returns what is stored.
async fn all_applied(h: &Harness, at_least: usize) -> Vec<EventRecord> {
    let store = h.store().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let raised: BTreeSet<String> =
            h.emu.control().events().await.unwrap().into_iter().map(|e| e.event_id).collect();
        let stored = store.events().await.unwrap();
        let applied: BTreeSet<String> =
            stored.iter().filter(|r| r.applied_at.is_some()).map(|r| r.event.event_id.clone()).collect();
        if raised.len() >= at_least && applied == raised && stored.len() == raised.len() {
            return stored;
        }
        assert!(Instant::now() < deadline, "raised {raised:?}, stored {:?}", ids(&stored));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ids(records: &[EventRecord]) -> Vec<&str> {
    records.iter().map(|r| r.event.event_id.as_str()).collect()
}

/// Each stored event as the emulator raised it: same type, birth, corp and business fields.
async fn assert_stored_as_raised(h: &Harness, stored: &[EventRecord]) {
    let raised: BTreeMap<String, dingtalk_emulator::events::Event> =
        h.emu.control().events().await.unwrap().into_iter().map(|e| (e.event_id.clone(), e)).collect();
    for record in stored {
        let event = &record.event;
        let original = &raised[&event.event_id];
        assert_eq!(event.event_type, original.event_type.as_str());
        assert_eq!((event.born_at, event.corp_id.as_str()), (original.born_ms, original.corp_id.as_str()));
        assert_eq!(event.data, original.data, "business fields of {}", event.event_id);
        assert!(record.applied_at.is_some() && record.attempts == 0 && !record.parked);
    }
}

/// The server's `/metrics` samples of `events_received_total`, by labels.
async fn received(h: &Harness) -> BTreeMap<String, f64> {
    let text = h.http.get(format!("{}/metrics", h.base)).send().await.unwrap().text().await.unwrap();
    text.lines()
        .filter_map(|line| line.strip_prefix("shenpi_events_received_total{"))
        .filter_map(|rest| rest.split_once("} "))
        .map(|(labels, value)| (labels.to_owned(), value.parse().unwrap()))
        .collect()
}

#[tokio::test]
async fn a_real_approvals_events_arrive_over_stream_and_are_stored_once_each_and_applied() {
    let h = start("stream").await;
    submit_approval(&h, "key-stream-1").await;
    let stored = all_applied(&h, 2).await;
    assert!(stored.iter().all(|r| r.event.channel == Channel::Stream));
    assert_stored_as_raised(&h, &stored).await;
    assert!(stored.iter().any(|r| r.event.event_type == "bpms_instance_change"));
    assert!(stored.iter().any(|r| r.event.event_type == "bpms_task_change"));
    // Every push is acked SUCCESS (the ack follows the commit, so it may still be on its way): nothing stays at the
    // gateway.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !h.emu.control().stream_pending().await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "{:?}", h.emu.control().stream_pending().await.unwrap());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The metrics saw each event received, applied (its lag observed) and none left pending.
    let text = h.http.get(format!("{}/metrics", h.base)).send().await.unwrap().text().await.unwrap();
    let n = stored.len();
    assert!(
        text.contains(&format!("shenpi_events_received_total{{channel=\"stream\",outcome=\"new\"}} {n}\n")),
        "{text}"
    );
    assert!(text.contains(&format!("shenpi_event_lag_seconds_count {n}\n")), "{text}");
    let pending_zero = Instant::now() + Duration::from_secs(2);
    loop {
        let text = h.http.get(format!("{}/metrics", h.base)).send().await.unwrap().text().await.unwrap();
        if text.contains("shenpi_events_pending 0\n") {
            break;
        }
        assert!(Instant::now() < pending_zero, "{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_real_approvals_events_arrive_over_the_http_callback_and_are_stored_once_each() {
    let h = start("http").await;
    register_callback(&h).await;
    submit_approval(&h, "key-http-1").await;
    let stored = all_applied(&h, 2).await;
    assert!(stored.iter().all(|r| r.event.channel == Channel::Http));
    assert_stored_as_raised(&h, &stored).await;
    let status = h.emu.control().callback_status().await.unwrap();
    assert_eq!((status.pending, status.failed), (0, 0));
    assert_eq!(status.stats.delivered as usize, stored.len(), "each push was answered success");
    assert!(h.emu.control().stream_connections().await.unwrap().is_empty(), "no Stream client in http mode");
}

#[tokio::test]
async fn with_both_channels_each_event_is_stored_once_and_the_repeat_is_counted_a_duplicate() {
    both_channels_store_each_event_once(start("both").await).await;
}

#[tokio::test]
async fn with_both_channels_on_postgres_each_event_is_stored_once() {
    if let Some(db) = TestDb::postgres().await {
        both_channels_store_each_event_once(start_on(db, "both").await).await;
    }
}

async fn both_channels_store_each_event_once(h: Harness) {
    register_callback(&h).await;
    submit_approval(&h, "key-both-1").await;
    let stored = all_applied(&h, 2).await;
    assert_stored_as_raised(&h, &stored).await;
    // Both channels deliver every event; whichever came second was a duplicate.
    let deadline = Instant::now() + Duration::from_secs(10);
    let n = stored.len() as f64;
    loop {
        let counts = received(&h).await;
        let total = |outcome: &str| counts.iter().filter(|(k, _)| k.contains(outcome)).map(|(_, v)| v).sum::<f64>();
        if total("\"new\"") == n && total("\"duplicate\"") == n {
            break;
        }
        assert!(Instant::now() < deadline, "received {counts:?} for {n} events");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(h.store().await.events().await.unwrap().len(), stored.len());
}

#[tokio::test]
async fn duplicated_and_reordered_events_are_stored_once_each_and_all_applied() {
    let h = start("both").await;
    register_callback(&h).await;
    h.emu
        .control()
        .set_event_faults(EventFaults { duplicate: 1.0, reorder: 0.5, ..EventFaults::default() })
        .await
        .unwrap();
    for n in 0..8 {
        let data = json!({ "processInstanceId": format!("pi-{n}"), "type": "start", "n": n });
        h.emu.control().raise_event(EventType::InstanceChange, data.as_object().cloned().unwrap()).await.unwrap();
    }
    // A held-back event is released when the faults are set again.
    h.emu.control().set_event_faults(EventFaults::default()).await.unwrap();
    let delivered = h.emu.control().delivered_events().await.unwrap();
    assert!(delivered.len() >= 16, "every event was duplicated: {}", delivered.len());
    let stored = all_applied(&h, 8).await;
    assert_eq!(stored.len(), 8);
    assert_stored_as_raised(&h, &stored).await;
}

/// Renames the server's `events` table (a real database failure for every statement that uses it) or back.
async fn rename_events_table(h: &Harness, from: &str, to: &str) {
    use sqlx::Connection;
    let mut db = sqlx::SqliteConnection::connect(h.db_url()).await.unwrap();
    sqlx::query(&format!("ALTER TABLE {from} RENAME TO {to}")).execute(&mut db).await.unwrap();
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_stream_event_that_cannot_be_stored_is_acked_later_and_stored_once_when_it_comes_again() {
    let h = start("stream").await;
    let settings = StreamSettingsUpdate { later_delay_ms: Some(100), ..StreamSettingsUpdate::default() };
    h.emu.control().set_stream_settings(settings).await.unwrap();
    rename_events_table(&h, "events", "events_away").await;
    let data = json!({ "processInstanceId": "pi-later", "type": "start" });
    let raised =
        h.emu.control().raise_event(EventType::InstanceChange, data.as_object().cloned().unwrap()).await.unwrap();
    // The gateway pushes it again and again while the server answers LATER.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pending = h.emu.control().stream_pending().await.unwrap();
        if pending.iter().any(|p| p.event_id == raised.event_id && p.attempts >= 3) {
            break;
        }
        assert!(Instant::now() < deadline, "not pushed again: {pending:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    rename_events_table(&h, "events_away", "events").await;
    let stored = all_applied(&h, 1).await;
    assert_eq!(ids(&stored), [raised.event_id.as_str()]);
    assert_stored_as_raised(&h, &stored).await;
}

fn crypto(h: &Harness) -> CallbackCrypto {
    CallbackCrypto::new(TOKEN, AES_KEY, &h.emu.org().app.app_key).unwrap()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A push as DingTalk sends it: the plaintext sealed at `timestamp` with `nonce`.
fn seal(crypto: &CallbackCrypto, plaintext: &Value, timestamp: &str, nonce: &str) -> SealedMessage {
    crypto.seal(&plaintext.to_string(), timestamp, nonce).unwrap()
}

async fn push(h: &Harness, sealed: &SealedMessage) -> reqwest::Response {
    h.http
        .post(format!("{}/dingtalk/events", h.base))
        .query(&[("signature", &sealed.msg_signature), ("timestamp", &sealed.time_stamp), ("nonce", &sealed.nonce)])
        .json(&json!({ "encrypt": sealed.encrypt }))
        .send()
        .await
        .unwrap()
}

/// Checks that the reply is the encrypted `success`.
async fn assert_success(h: &Harness, res: reqwest::Response) {
    assert_eq!(res.status(), StatusCode::OK);
    let reply: SealedMessage = res.json().await.unwrap();
    assert_eq!(crypto(h).open_sealed(&reply).unwrap(), "success");
}

fn task_event(event_id: &str) -> Value {
    json!({
        "EventType": "bpms_task_change", "corpId": "dingcorp", "CorpId": "dingcorp", "EventTime": now_ms(),
        "eventId": event_id, "processInstanceId": "pi-1", "type": "start", "taskId": 7
    })
}

#[tokio::test]
async fn check_url_is_answered_success_well_within_1500_ms() {
    let h = start("http").await;
    let crypto = crypto(&h);
    let sealed = seal(&crypto, &json!({ "EventType": "check_url" }), &now_ms().to_string(), "chk00001");
    let started = Instant::now();
    let res = push(&h, &sealed).await;
    let elapsed = started.elapsed();
    assert_success(&h, res).await;
    assert!(elapsed < Duration::from_millis(1500), "answered in {elapsed:?}");
    // And the emulator's own verification (which enforces 1500 ms) passes.
    register_callback(&h).await;
    assert!(h.store().await.events().await.unwrap().is_empty(), "check_url stores nothing");
}

#[tokio::test]
async fn a_bad_signature_or_a_stale_timestamp_is_refused_with_the_api_error_body() {
    let h = start("http").await;
    let crypto = crypto(&h);
    let mut forged = seal(&crypto, &task_event("e-forged"), &now_ms().to_string(), "nonce-forged");
    forged.msg_signature = "0".repeat(40);
    common::assert_api_error(push(&h, &forged).await, StatusCode::UNAUTHORIZED, ErrorCode::CallbackRefused).await;
    let other_key = CallbackCrypto::new(TOKEN, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", "x").unwrap();
    let wrong_key = seal(&other_key, &task_event("e-wrong-key"), &now_ms().to_string(), "nonce-key");
    common::assert_api_error(push(&h, &wrong_key).await, StatusCode::BAD_REQUEST, ErrorCode::CallbackRefused).await;
    let stale = seal(&crypto, &task_event("e-stale"), &(now_ms() - 6 * 60_000).to_string(), "nonce-stale");
    common::assert_api_error(push(&h, &stale).await, StatusCode::UNAUTHORIZED, ErrorCode::CallbackRefused).await;
    let future_seconds = ((now_ms() + 6 * 60_000) / 1000).to_string();
    let ahead = seal(&crypto, &task_event("e-ahead"), &future_seconds, "nonce-ahead");
    common::assert_api_error(push(&h, &ahead).await, StatusCode::UNAUTHORIZED, ErrorCode::CallbackRefused).await;
    let res = h.http.post(format!("{}/dingtalk/events?nonce=x", h.base)).body("not json").send().await.unwrap();
    common::assert_api_error(res, StatusCode::BAD_REQUEST, ErrorCode::CallbackRefused).await;
    // A fresh timestamp in seconds is fine (the Python samples send seconds), and only it was stored.
    let seconds = seal(&crypto, &task_event("e-seconds"), &(now_ms() / 1000).to_string(), "nonce-seconds");
    assert_success(&h, push(&h, &seconds).await).await;
    assert_eq!(ids(&h.store().await.events().await.unwrap()), ["e-seconds"]);
}

#[tokio::test]
async fn a_reused_nonce_is_refused_unless_it_is_the_same_push_again() {
    let h = start("http").await;
    let crypto = crypto(&h);
    let first = seal(&crypto, &task_event("e-1"), &now_ms().to_string(), "nonce-1");
    assert_success(&h, push(&h, &first).await).await;
    // The very same request again (DingTalk's retry, or a replay of it): success, stored once.
    assert_success(&h, push(&h, &first).await).await;
    // The same event re-signed at a later timestamp with the same nonce: DingTalk's retry, success.
    let resigned = seal(&crypto, &task_event("e-1"), &(now_ms() + 1).to_string(), "nonce-1");
    assert_success(&h, push(&h, &resigned).await).await;
    // Another event under a used nonce is a replay.
    let replay = seal(&crypto, &task_event("e-2"), &now_ms().to_string(), "nonce-1");
    common::assert_api_error(push(&h, &replay).await, StatusCode::CONFLICT, ErrorCode::CallbackRefused).await;
    // A retry with a fresh nonce of an event already stored still gets success.
    let retry = seal(&crypto, &task_event("e-1"), &now_ms().to_string(), "nonce-2");
    assert_success(&h, push(&h, &retry).await).await;
    assert_eq!(ids(&h.store().await.events().await.unwrap()), ["e-1"]);
}

#[tokio::test]
async fn a_push_the_database_cannot_take_gets_a_500_and_succeeds_when_dingtalk_sends_it_again() {
    let h = start("http").await;
    let sealed = seal(&crypto(&h), &task_event("e-1"), &now_ms().to_string(), "nonce-1");
    rename_events_table(&h, "events", "events_away").await;
    // No `success`: DingTalk keeps the push and retries it.
    common::assert_api_error(push(&h, &sealed).await, StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal).await;
    rename_events_table(&h, "events_away", "events").await;
    // The same push again (its nonce already seen with this signature) is taken.
    assert_success(&h, push(&h, &sealed).await).await;
    assert_eq!(ids(&h.store().await.events().await.unwrap()), ["e-1"]);
}

#[tokio::test]
async fn the_callback_is_not_found_when_the_http_channel_is_off() {
    let h = start("stream").await;
    let sealed = seal(&crypto(&h), &task_event("e-1"), &now_ms().to_string(), "nonce-1");
    common::assert_api_error(push(&h, &sealed).await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

/// An [`AppState`] over `db` with no channel on, its failed applies retried after 20 ms and parked after 3.
async fn applier_state(db: &TestDb) -> AppState {
    let config = Config::try_parse_from([
        "shenpi-server".to_owned(),
        format!("--database-url={}", db.url),
        "--corp-id=ding1".to_owned(),
        "--agent-id=1".to_owned(),
        "--app-key=key".to_owned(),
        "--app-secret=secret".to_owned(),
        "--events=off".to_owned(),
        "--events-backoff-ms=20".to_owned(),
        "--events-poll-ms=20".to_owned(),
        "--events-max-attempts=3".to_owned(),
    ])
    .unwrap();
    AppState::from_config(&config).await.unwrap()
}

fn stored(id: &str, born_at: i64) -> StoredEvent {
    StoredEvent {
        event_id: id.into(),
        event_type: "bpms_task_change".into(),
        born_at,
        corp_id: "ding1".into(),
        data: Map::new(),
        channel: Channel::Stream,
    }
}

#[tokio::test]
async fn a_failing_apply_is_retried_and_a_poisoned_event_is_parked_without_holding_up_the_others() {
    let db = TestDb::sqlite();
    let state = applier_state(&db).await;
    let calls: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let flaky_failures = Arc::new(AtomicUsize::new(0));
    let apply: ApplyFn = {
        let calls = calls.clone();
        let flaky_failures = flaky_failures.clone();
        Arc::new(move |_state, event: StoredEvent| {
            calls.lock().unwrap().push(event.event_id.clone());
            let outcome = match event.event_id.as_str() {
                // Fails twice, then works.
                "flaky" if flaky_failures.fetch_add(1, Ordering::SeqCst) < 2 => Err(AppError::NotFound),
                "poison" => Err(AppError::BadRequest("cannot read this event".into())),
                _ => Ok(()),
            };
            Box::pin(async move { outcome })
        })
    };
    let born = now_ms();
    for (id, at) in [("poison", born), ("flaky", born + 1), ("fine", born + 2)] {
        shenpi_server::events::receive(&state, &stored(id, at)).await.unwrap();
    }
    let handle = spawn_events_with(state.clone(), apply);
    let store = state.store.clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    let records = loop {
        let records = store.events().await.unwrap();
        let done = |id: &str| records.iter().any(|r| r.event.event_id == id && (r.applied_at.is_some() || r.parked));
        if ["poison", "flaky", "fine"].iter().all(|id| done(id)) {
            break records;
        }
        assert!(Instant::now() < deadline, "{records:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    handle.shutdown().await;
    let by_id: BTreeMap<&str, &EventRecord> = records.iter().map(|r| (r.event.event_id.as_str(), r)).collect();
    assert!(by_id["fine"].applied_at.is_some() && by_id["fine"].attempts == 0);
    assert!(by_id["flaky"].applied_at.is_some(), "retried until it applied");
    assert_eq!(by_id["flaky"].attempts, 2);
    let poison = by_id["poison"];
    assert!(poison.parked && poison.applied_at.is_none());
    assert_eq!((poison.attempts, poison.last_error.as_deref()), (3, Some("bad request: cannot read this event")));
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.iter().filter(|id| *id == "poison").count(), 3, "tried exactly max-attempts times: {calls:?}");
    assert_eq!(calls[..2], ["poison", "flaky"], "born order first");
    assert!(calls.iter().position(|id| id == "fine") < calls.iter().rposition(|id| id == "poison"), "{calls:?}");
    assert_eq!(store.count_unapplied_events().await.unwrap(), 1, "only the parked one");
}
