//! HTTP push against a real receiver: an axum app on a random port that opens pushes and seals its `success`
//! reply with `dingtalk_client::crypto`, as the backend will.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use dingtalk_client::crypto::{CallbackCrypto, PushBody, PushQuery};
use dingtalk_emulator::control::ControlCallError;
use dingtalk_emulator::events::EventType;
use dingtalk_emulator::push::{CallbackStatus, RegisterCallback};
use dingtalk_emulator::workflow::{Act, ActRequest};
use dingtalk_emulator::{Control, Emulator};
use serde_json::{Map, Value, json};

const TOKEN: &str = "myToken123";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
/// Short retries so the tests take seconds, not an hour.
const QUICK: [Duration; 3] = [Duration::from_millis(100); 3];

/// How the receiver answers.
#[derive(Clone, Copy, PartialEq)]
enum Reply {
    /// Verifies the push and replies the sealed `success`, like a correct app.
    Sealed,
    /// Replies the sealed `success` without checking the push's signature (so a wrong token shows in the reply).
    SealedUnchecked,
    /// Replies the bare text `success`.
    Plain,
}

#[derive(Clone)]
struct Receiver {
    crypto: CallbackCrypto,
    reply: Reply,
    /// Delay before every answer.
    delay: Duration,
    /// Fail this many event pushes (check_url excluded) with HTTP 500 before answering properly.
    fail_events: usize,
    /// While set, event pushes get no answer at all.
    hang: Arc<AtomicBool>,
    event_hits: Arc<AtomicUsize>,
    /// Every event push that was answered with `success`, decrypted.
    received: Arc<Mutex<Vec<Value>>>,
    /// The query of every push, for checking its shape.
    queries: Arc<Mutex<Vec<PushQuery>>>,
}

impl Receiver {
    fn new(emu: &Emulator, token: &str) -> Self {
        Self {
            crypto: CallbackCrypto::new(token, AES_KEY, emu.org().app.app_key.clone()).unwrap(),
            reply: Reply::Sealed,
            delay: Duration::ZERO,
            fail_events: 0,
            hang: Arc::new(AtomicBool::new(false)),
            event_hits: Arc::new(AtomicUsize::new(0)),
            received: Arc::new(Mutex::new(Vec::new())),
            queries: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Serves on a random port and returns the callback URL.
    async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/dingtalk/callback", post(callback)).with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/dingtalk/callback")
    }

    fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }
}

async fn callback(State(rx): State<Receiver>, Query(query): Query<PushQuery>, Json(body): Json<PushBody>) -> Response {
    rx.queries.lock().unwrap().push(query.clone());
    tokio::time::sleep(rx.delay).await;
    let plaintext = match rx.reply {
        Reply::SealedUnchecked => rx.crypto.decrypt(&body.encrypt),
        _ => rx.crypto.open_push(&query, &body),
    };
    let plaintext = match plaintext {
        Ok(text) => text,
        Err(e) => return (StatusCode::FORBIDDEN, e.to_string()).into_response(),
    };
    let message: Value = serde_json::from_str(&plaintext).unwrap();
    if message["EventType"] != "check_url" {
        if rx.hang.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        if rx.event_hits.fetch_add(1, Ordering::SeqCst) < rx.fail_events {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        rx.received.lock().unwrap().push(message);
    }
    match rx.reply {
        Reply::Plain => "success".into_response(),
        _ => Json(rx.crypto.success_reply().unwrap()).into_response(),
    }
}

fn refusal(result: Result<impl std::fmt::Debug, ControlCallError>) -> (String, String) {
    match result {
        Err(ControlCallError::Refused(e)) => (e.code, e.message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn register(control: &Control, url: &str) {
    control.register_callback(&RegisterCallback::new(url, TOKEN, AES_KEY).retry_delays(&QUICK)).await.unwrap();
}

fn instance_event(instance: &str, kind: &str) -> Map<String, Value> {
    let data = json!({
        "processInstanceId": instance,
        "processCode": "PROC-EMU-LEAVE",
        "title": "张三提交的请假",
        "type": kind,
        "staffId": "zhangsan",
        "createTime": 1_700_000_000_000_i64,
        "bizCategoryId": "",
    });
    data.as_object().unwrap().clone()
}

/// Polls until `done` holds, for up to ten seconds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The push status once nothing is pending any more (the receiver records an event before the emulator reads the
/// reply, so the counters lag a moment behind).
async fn settled(control: &Control) -> CallbackStatus {
    for _ in 0..200 {
        let status = control.callback_status().await.unwrap();
        if status.pending == 0 {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("events still pending after ten seconds");
}

#[tokio::test]
async fn a_receiver_that_answers_check_url_is_registered_and_secrets_are_not_shown() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver::new(&emu, TOKEN);
    let url = receiver.serve().await;
    let status = emu.control().register_callback(&RegisterCallback::new(&url, TOKEN, AES_KEY)).await.unwrap();
    let registration = status.registration.unwrap();
    assert_eq!(registration.url, url);
    assert_eq!(registration.receive_id, emu.org().app.app_key);
    assert_eq!(registration.retry_delays_ms, dingtalk_emulator::push::DEFAULT_RETRY_DELAYS_MS.to_vec());
    assert_eq!(receiver.queries.lock().unwrap().len(), 1, "exactly one check_url push");

    let shown = reqwest::get(format!("{}/_emulator/callback", emu.uri())).await.unwrap().text().await.unwrap();
    assert!(!shown.contains(AES_KEY) && !shown.contains(TOKEN), "{shown}");
}

#[tokio::test]
async fn check_url_is_refused_when_the_reply_is_signed_with_another_token() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver { reply: Reply::SealedUnchecked, ..Receiver::new(&emu, "someOtherToken") };
    let url = receiver.serve().await;
    let (code, message) = refusal(emu.control().register_callback(&RegisterCallback::new(&url, TOKEN, AES_KEY)).await);
    assert_eq!(code, "callbackBadSignature", "{message}");
    assert!(emu.control().callback_status().await.unwrap().registration.is_none());
}

#[tokio::test]
async fn check_url_is_refused_when_the_app_rejects_the_push_signature() {
    let emu = Emulator::start().await.unwrap();
    let url = Receiver::new(&emu, "someOtherToken").serve().await;
    let (code, message) = refusal(emu.control().register_callback(&RegisterCallback::new(&url, TOKEN, AES_KEY)).await);
    assert_eq!(code, "callbackHttpStatus", "{message}");
    assert!(message.contains("403"), "{message}");
}

#[tokio::test]
async fn check_url_is_refused_when_the_answer_takes_over_1500_ms() {
    let emu = Emulator::start().await.unwrap();
    let url = Receiver { delay: Duration::from_millis(1700), ..Receiver::new(&emu, TOKEN) }.serve().await;
    let (code, message) = refusal(emu.control().register_callback(&RegisterCallback::new(&url, TOKEN, AES_KEY)).await);
    assert_eq!(code, "callbackTimeout", "{message}");
    assert!(message.contains("1500 ms"), "{message}");
    assert!(emu.control().callback_status().await.unwrap().registration.is_none());
}

#[tokio::test]
async fn check_url_is_refused_when_the_app_answers_a_plain_success() {
    let emu = Emulator::start().await.unwrap();
    let url = Receiver { reply: Reply::Plain, ..Receiver::new(&emu, TOKEN) }.serve().await;
    let (code, message) = refusal(emu.control().register_callback(&RegisterCallback::new(&url, TOKEN, AES_KEY)).await);
    assert_eq!(code, "callbackBadReply", "{message}");
    assert!(message.contains("\"success\""), "{message}");
}

#[tokio::test]
async fn a_bad_aes_key_or_url_is_refused_before_any_push() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver::new(&emu, TOKEN);
    let url = receiver.serve().await;
    let (code, message) = refusal(emu.control().register_callback(&RegisterCallback::new(&url, TOKEN, "short")).await);
    assert_eq!(code, "badAesKey", "{message}");
    let (code, _) = refusal(emu.control().register_callback(&RegisterCallback::new("ftp://x", TOKEN, AES_KEY)).await);
    assert_eq!(code, "badRequest");
    assert!(receiver.queries.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_raised_event_arrives_encrypted_signed_and_with_its_fields() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver::new(&emu, TOKEN);
    register(&emu.control(), &receiver.serve().await).await;
    let event = emu.control().raise_event(EventType::InstanceChange, instance_event("pi-1", "start")).await.unwrap();

    eventually("the event", || receiver.received().len() == 1).await;
    let got = &receiver.received()[0];
    assert_eq!(got["EventType"], "bpms_instance_change");
    assert_eq!(got["eventId"], event.event_id.as_str());
    assert_eq!(got["processInstanceId"], "pi-1");
    assert_eq!(got["title"], "张三提交的请假");
    assert_eq!(got["type"], "start");
    assert_eq!(got["staffId"], "zhangsan");
    assert_eq!(got["corpId"], emu.org().corp.corp_id.as_str());
    assert_eq!(got["CorpId"], emu.org().corp.corp_id.as_str());
    assert_eq!(got["EventTime"], event.born_ms);

    let query = receiver.queries.lock().unwrap().last().cloned().unwrap();
    assert!(query.signature.is_some() && query.msg_signature.is_none(), "documented spelling: {query:?}");
    let timestamp = query.timestamp.unwrap();
    assert_eq!(timestamp.len(), 13, "milliseconds: {timestamp}");
    assert!(query.nonce.is_some_and(|n| !n.is_empty()));

    let status = settled(&emu.control()).await;
    assert_eq!((status.stats.delivered, status.stats.attempts), (1, 1));
}

#[tokio::test]
async fn events_raised_before_registration_are_not_pushed() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver::new(&emu, TOKEN);
    let url = receiver.serve().await;
    emu.control().raise_event(EventType::InstanceChange, instance_event("pi-early", "start")).await.unwrap();
    register(&emu.control(), &url).await;
    emu.control().raise_event(EventType::InstanceChange, instance_event("pi-late", "start")).await.unwrap();
    eventually("the later event", || receiver.received().len() == 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ids: Vec<Value> = receiver.received().iter().map(|e| e["processInstanceId"].clone()).collect();
    assert_eq!(ids, vec![json!("pi-late")]);
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_event_on_a_retry() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver { fail_events: 2, ..Receiver::new(&emu, TOKEN) };
    register(&emu.control(), &receiver.serve().await).await;
    emu.control().raise_event(EventType::TaskChange, instance_event("pi-2", "finish")).await.unwrap();

    eventually("the retried event", || receiver.received().len() == 1).await;
    assert_eq!(receiver.received()[0]["EventType"], "bpms_task_change");
    assert_eq!(receiver.event_hits.load(Ordering::SeqCst), 3);
    let status = settled(&emu.control()).await;
    assert_eq!((status.stats.attempts, status.stats.failed_attempts, status.stats.delivered), (3, 2, 1));
    assert!(status.stats.last_error.unwrap().contains("HTTP 500"));
    assert_eq!((status.pending, status.failed), (0, 0));
}

#[tokio::test]
async fn events_of_one_instance_arrive_in_order_even_when_the_first_is_retried() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver { fail_events: 1, ..Receiver::new(&emu, TOKEN) };
    register(&emu.control(), &receiver.serve().await).await;
    for kind in ["start", "finish", "terminate"] {
        emu.control().raise_event(EventType::InstanceChange, instance_event("pi-3", kind)).await.unwrap();
    }
    eventually("three events", || receiver.received().len() == 3).await;
    let kinds: Vec<Value> = receiver.received().iter().map(|e| e["type"].clone()).collect();
    assert_eq!(kinds, vec![json!("start"), json!("finish"), json!("terminate")]);
}

#[tokio::test]
async fn a_receiver_that_never_answers_ends_in_the_failed_list_and_can_be_redelivered() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver::new(&emu, TOKEN);
    let url = receiver.serve().await;
    let control = emu.control();
    control
        .register_callback(&RegisterCallback::new(&url, TOKEN, AES_KEY).retry_delays(&[Duration::from_millis(100)]))
        .await
        .unwrap();
    receiver.hang.store(true, Ordering::SeqCst);
    let event = control.raise_event(EventType::InstanceChange, instance_event("pi-4", "start")).await.unwrap();

    // The emulator's API stays responsive while the receiver hangs.
    let started = std::time::Instant::now();
    control.events().await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(500));

    let mut failed = Vec::new();
    for _ in 0..100 {
        failed = control.failed_pushes().await.unwrap();
        if !failed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failed.len(), 1, "given up after two attempts of 1500 ms");
    assert_eq!(failed[0].event.event_id, event.event_id);
    assert_eq!(failed[0].attempts, 2);
    assert!(failed[0].last_error.contains("1500 ms"), "{}", failed[0].last_error);
    assert!(receiver.received().is_empty());

    receiver.hang.store(false, Ordering::SeqCst);
    assert_eq!(control.redeliver_failed(None).await.unwrap(), 1);
    eventually("the redelivered event", || receiver.received().len() == 1).await;
    assert_eq!(receiver.received()[0]["eventId"], event.event_id.as_str());
    assert!(control.failed_pushes().await.unwrap().is_empty());
}

#[tokio::test]
async fn unregistering_keeps_waiting_events_as_failed_and_reset_forgets_everything() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver { fail_events: usize::MAX, ..Receiver::new(&emu, TOKEN) };
    let control = emu.control();
    control
        .register_callback(
            &RegisterCallback::new(receiver.serve().await, TOKEN, AES_KEY).retry_delays(&[Duration::from_secs(60)]),
        )
        .await
        .unwrap();
    control.raise_event(EventType::InstanceChange, instance_event("pi-5", "start")).await.unwrap();
    eventually("the first attempt", || receiver.event_hits.load(Ordering::SeqCst) == 1).await;

    let status = control.unregister_callback().await.unwrap();
    assert!(status.registration.is_none());
    assert_eq!((status.pending, status.failed), (0, 1));
    let (code, _) = refusal(control.redeliver_failed(None).await);
    assert_eq!(code, "notRegistered");

    control.reset().await.unwrap();
    let status = control.callback_status().await.unwrap();
    assert_eq!((status.pending, status.failed, status.stats.attempts), (0, 0, 0));
    assert!(control.failed_pushes().await.unwrap().is_empty());
}

#[tokio::test]
async fn advancing_the_clock_brings_a_retry_forward() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver { fail_events: 1, ..Receiver::new(&emu, TOKEN) };
    let control = emu.control();
    let url = receiver.serve().await;
    control
        .register_callback(&RegisterCallback::new(&url, TOKEN, AES_KEY).retry_delays(&[Duration::from_secs(3600)]))
        .await
        .unwrap();
    control.raise_event(EventType::InstanceChange, instance_event("pi-6", "start")).await.unwrap();
    eventually("the failed first attempt", || receiver.event_hits.load(Ordering::SeqCst) == 1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(receiver.received().is_empty(), "the retry is an hour away");
    control.advance_clock(Duration::from_secs(3600)).await.unwrap();
    eventually("the retry", || receiver.received().len() == 1).await;
}

#[tokio::test]
async fn an_agreed_approval_pushes_its_four_events_in_order() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver::new(&emu, TOKEN);
    register(&emu.control(), &receiver.serve().await).await;

    let token = emu.app_token().await.unwrap();
    let created: Value = reqwest::Client::new()
        .post(format!("{}/v1.0/workflow/processInstances", emu.uri()))
        .header("x-acs-dingtalk-access-token", &token)
        .json(&json!({
            "processCode": "PROC-EMU-GENERAL",
            "originatorUserId": "zhangsan",
            "deptId": 101,
            "formComponentValues": [
                {"name": "事项名称", "value": "借用投影仪"},
                {"name": "申请内容", "value": "周五部门分享会使用"},
            ],
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let instance_id = created["instanceId"].as_str().unwrap_or_else(|| panic!("not created: {created}")).to_owned();
    let task = emu.control().tasks("fe_lead").await.unwrap().into_iter().next().unwrap();
    emu.control()
        .act(&ActRequest {
            user_id: "fe_lead".into(),
            task_id: task.task_id,
            action: Act::Agree,
            remark: Some("同意".into()),
            to_user_id: None,
        })
        .await
        .unwrap();

    eventually("four events", || receiver.received().len() == 4).await;
    let seen: Vec<String> = receiver
        .received()
        .iter()
        .map(|e| {
            assert_eq!(e["processInstanceId"], instance_id.as_str());
            format!("{}:{}:{}", e["EventType"].as_str().unwrap(), e["type"].as_str().unwrap(), e["staffId"])
        })
        .collect();
    assert_eq!(
        seen,
        [
            "bpms_instance_change:start:\"zhangsan\"",
            "bpms_task_change:start:\"fe_lead\"",
            "bpms_task_change:finish:\"fe_lead\"",
            "bpms_instance_change:finish:\"zhangsan\"",
        ]
    );
    assert_eq!(receiver.received()[3]["result"], "agree");
}

#[tokio::test]
async fn user_leave_org_is_pushed_with_the_legacy_and_the_current_spelling() {
    let emu = Emulator::start().await.unwrap();
    let receiver = Receiver::new(&emu, TOKEN);
    register(&emu.control(), &receiver.serve().await).await;
    let event = emu.control().leave_org("lisi").await.unwrap();

    eventually("the event", || receiver.received().len() == 1).await;
    let got = &receiver.received()[0];
    assert_eq!(got["EventType"], "user_leave_org");
    assert_eq!(got["eventId"], event.event_id.as_str());
    assert_eq!(got["UserId"], json!(["lisi"]));
    assert_eq!(got["userId"], json!(["lisi"]));
    assert_eq!(got["CorpId"], emu.org().corp.corp_id.as_str());
    assert_eq!(got["TimeStamp"], event.born_ms.to_string());
}
