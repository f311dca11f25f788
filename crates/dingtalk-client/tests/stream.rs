//! The Stream-mode client against the emulator's gateway: events handed over and acked only after the handler,
//! LATER and redelivery, ping echoes, `disconnect` and other closes with reconnects, graceful shutdown, bad
//! credentials, dedupe, and a real approval's events.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dingtalk_client::events::{ApprovalEvent, EventType, InstanceChangeType, TaskChangeType};
use dingtalk_client::stream::{Backoff, EventHandler, ShutdownHandle, StreamClient, StreamEvent};
use dingtalk_client::{DingTalk, Result};
use dingtalk_emulator::Emulator;
use dingtalk_emulator::events::EventType as RaisedType;
use dingtalk_emulator::limits::EventFaults;
use dingtalk_emulator::stream::StreamSettingsUpdate;
use serde_json::{Map, json};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

/// Long enough for something that is due to happen on a loaded machine.
const ARRIVES: Duration = Duration::from_secs(5);
/// How long a test waits to be sure nothing more arrives.
const QUIET: Duration = Duration::from_millis(600);

fn dingtalk(emu: &Emulator, secret: &str) -> DingTalk {
    DingTalk::builder().app_key(&emu.org().app.app_key).app_secret(secret).base_url(emu.uri()).build().unwrap()
}

/// A client with test-sized reconnect delays.
fn client(emu: &Emulator) -> StreamClient {
    let backoff = Backoff { initial: Duration::from_millis(20), max: Duration::from_millis(200), jitter: true };
    dingtalk(emu, &emu.org().app.app_secret).stream().backoff(backoff)
}

/// Runs `client` with `handler` in the background.
fn start<H: EventHandler>(client: StreamClient, handler: H) -> (ShutdownHandle, JoinHandle<Result<()>>) {
    let shutdown = client.shutdown_handle();
    (shutdown, tokio::spawn(client.run(handler)))
}

/// Runs `client` with `handler` in the background and waits for its connection; returns the connection's id too.
async fn start_connected<H: EventHandler>(
    emu: &Emulator,
    client: StreamClient,
    handler: H,
) -> (ShutdownHandle, JoinHandle<Result<()>>, String) {
    let (shutdown, run) = start(client, handler);
    eventually("the connection", || async { connection_ids(emu).await.len() == 1 }).await;
    let id = connection_ids(emu).await.remove(0);
    (shutdown, run, id)
}

/// A handler that passes every event to the test and succeeds.
fn recorder() -> (impl EventHandler, mpsc::UnboundedReceiver<StreamEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handler = move |event: StreamEvent| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(event);
            Ok::<_, Infallible>(())
        }
    };
    (handler, rx)
}

/// A handler that signals `started` and then waits for `release` before it succeeds.
fn gated() -> (impl EventHandler, Arc<Notify>, Arc<Notify>) {
    let (started, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let handler = {
        let (started, release) = (started.clone(), release.clone());
        move |_event: StreamEvent| {
            let (started, release) = (started.clone(), release.clone());
            async move {
                started.notify_one();
                release.notified().await;
                Ok::<_, Infallible>(())
            }
        }
    };
    (handler, started, release)
}

/// A handler that passes every event to the test and succeeds, but holds the first one until `release`; it counts
/// its calls.
fn holds_first_call() -> (impl EventHandler, mpsc::UnboundedReceiver<StreamEvent>, Arc<Notify>, Arc<AtomicUsize>) {
    let release = Arc::new(Notify::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let (tx, events) = mpsc::unbounded_channel();
    let handler = {
        let (release, calls) = (release.clone(), calls.clone());
        move |event: StreamEvent| {
            let (release, calls, tx) = (release.clone(), calls.clone(), tx.clone());
            async move {
                let _ = tx.send(event);
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    release.notified().await;
                }
                Ok::<_, Infallible>(())
            }
        }
    };
    (handler, events, release, calls)
}

async fn next(events: &mut mpsc::UnboundedReceiver<StreamEvent>) -> StreamEvent {
    tokio::time::timeout(ARRIVES, events.recv()).await.expect("an event in time").expect("the client runs")
}

async fn assert_no_more(events: &mut mpsc::UnboundedReceiver<StreamEvent>) {
    if let Ok(Some(event)) = tokio::time::timeout(QUIET, events.recv()).await {
        panic!("nothing more was expected, got {event:?}");
    }
}

async fn raise(emu: &Emulator, instance: &str) -> dingtalk_emulator::events::Event {
    let mut data = Map::new();
    data.insert("processInstanceId".into(), json!(instance));
    data.insert("type".into(), json!("start"));
    data.insert("title".into(), json!("张三提交的请假"));
    emu.control().raise_event(RaisedType::InstanceChange, data).await.unwrap()
}

async fn set(emu: &Emulator, update: StreamSettingsUpdate) {
    emu.control().set_stream_settings(update).await.unwrap();
}

/// Polls until `done` holds (the gateway and the client work in the background).
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + ARRIVES;
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn connection_ids(emu: &Emulator) -> Vec<String> {
    emu.control().stream_connections().await.unwrap().into_iter().map(|c| c.connection_id).collect()
}

async fn nothing_pending(emu: &Emulator) -> bool {
    emu.control().stream_pending().await.unwrap().is_empty()
}

async fn stop(shutdown: ShutdownHandle, run: JoinHandle<Result<()>>) {
    shutdown.shutdown();
    let result = tokio::time::timeout(ARRIVES, run).await.expect("run ends after shutdown").unwrap();
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn a_raised_event_reaches_the_handler_typed_and_is_acked() {
    let emu = Emulator::start().await.unwrap();
    let (handler, mut events) = recorder();
    let (shutdown, run) = start(client(&emu), handler);

    let raised = raise(&emu, "pi-1").await;
    let event = next(&mut events).await;
    assert_eq!(event.event_id, raised.event_id);
    assert_eq!(event.event_type, EventType::InstanceChange);
    assert_eq!(event.born_ms, raised.born_ms);
    assert_eq!(event.corp_id, emu.org().corp.corp_id);
    assert!(event.unified_app_id.is_some());
    assert_eq!(event.data, json!({ "processInstanceId": "pi-1", "type": "start", "title": "张三提交的请假" }));
    match event.approval().unwrap() {
        Some(ApprovalEvent::Instance(instance)) => {
            assert_eq!(instance.process_instance_id, "pi-1");
            assert_eq!(instance.kind, InstanceChangeType::Start);
        }
        other => panic!("expected an instance change, got {other:?}"),
    }
    eventually("the ack", || nothing_pending(&emu)).await;
    let connections = emu.control().stream_connections().await.unwrap();
    assert!(connections[0].ua.as_deref().is_some_and(|ua| ua.starts_with("shenpi-dingtalk-client/")));
    assert_eq!(connections[0].subscriptions.len(), 1);
    assert_eq!(connections[0].subscriptions[0].topic, "*");

    stop(shutdown, run).await;
    eventually("the close", || async { connection_ids(&emu).await.is_empty() }).await;
}

#[tokio::test]
async fn an_event_is_acked_only_after_the_handler_returns() {
    let emu = Emulator::start().await.unwrap();
    let (handler, started, release) = gated();
    let (shutdown, run) = start(client(&emu), handler);
    raise(&emu, "pi-1").await;
    tokio::time::timeout(ARRIVES, started.notified()).await.expect("the handler starts");
    tokio::time::sleep(QUIET).await;
    let pending = emu.control().stream_pending().await.unwrap();
    assert_eq!(pending.len(), 1, "not acked while the handler runs");
    assert!(pending[0].message_id.is_some(), "{pending:?}");

    release.notify_one();
    eventually("the ack", || nothing_pending(&emu)).await;
    stop(shutdown, run).await;
}

#[tokio::test]
async fn a_handler_error_acks_later_and_the_event_comes_again() {
    let emu = Emulator::start().await.unwrap();
    set(&emu, StreamSettingsUpdate { later_delay_ms: Some(50), ..Default::default() }).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let (tx, mut events) = mpsc::unbounded_channel();
    let handler = {
        let calls = calls.clone();
        move |event: StreamEvent| {
            let (calls, tx) = (calls.clone(), tx.clone());
            async move {
                let _ = tx.send(event);
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0 => Err("the database is down"),
                    _ => Ok(()),
                }
            }
        }
    };
    let (shutdown, run) = start(client(&emu), handler);
    let raised = raise(&emu, "pi-1").await;

    let first = next(&mut events).await;
    let again = next(&mut events).await;
    assert_eq!(first.event_id, raised.event_id);
    assert_eq!(again.event_id, raised.event_id, "redelivery is not hidden from the handler");
    assert_ne!(again.message_id, first.message_id);
    eventually("the second ack", || nothing_pending(&emu)).await;
    assert_no_more(&mut events).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    stop(shutdown, run).await;
}

#[tokio::test]
async fn pings_are_echoed() {
    let emu = Emulator::start().await.unwrap();
    let (handler, _events) = recorder();
    let (shutdown, run, _) = start_connected(&emu, client(&emu), handler).await;
    set(&emu, StreamSettingsUpdate { ping_interval_ms: Some(100), ..Default::default() }).await;

    let control = emu.control();
    eventually("two echoes", || async { control.stream_connections().await.unwrap()[0].pings_answered >= 2 }).await;
    stop(shutdown, run).await;
}

#[tokio::test]
async fn disconnect_lets_the_running_handler_ack_then_reconnects_and_events_still_arrive() {
    let emu = Emulator::start().await.unwrap();
    let (handler, mut events, release, _calls) = holds_first_call();
    let (shutdown, run, first) = start_connected(&emu, client(&emu), handler).await;

    let slow = raise(&emu, "pi-slow").await;
    assert_eq!(next(&mut events).await.event_id, slow.event_id);
    emu.control().stream_disconnect(&first).await.unwrap();
    tokio::time::sleep(QUIET).await;
    assert_eq!(connection_ids(&emu).await, vec![first.clone()], "no new connection while a handler runs");

    release.notify_one();
    eventually("the slow event's ack on the old connection", || nothing_pending(&emu)).await;
    eventually("a new connection", || async {
        let ids = connection_ids(&emu).await;
        ids.len() == 1 && ids[0] != first
    })
    .await;
    let later = raise(&emu, "pi-2").await;
    assert_eq!(next(&mut events).await.event_id, later.event_id);
    eventually("the ack", || nothing_pending(&emu)).await;
    assert_no_more(&mut events).await;
    stop(shutdown, run).await;
}

#[tokio::test]
async fn a_handler_outliving_the_disconnect_grace_gets_its_event_again_on_the_next_connection() {
    let emu = Emulator::start().await.unwrap();
    set(&emu, StreamSettingsUpdate { disconnect_grace_ms: Some(100), ..Default::default() }).await;
    let (handler, mut events, release, calls) = holds_first_call();
    let (shutdown, run, first) = start_connected(&emu, client(&emu), handler).await;
    let raised = raise(&emu, "pi-slow").await;
    assert_eq!(next(&mut events).await.event_id, raised.event_id);

    emu.control().stream_disconnect(&first).await.unwrap();
    eventually("the server's close", || async { connection_ids(&emu).await.is_empty() }).await;
    tokio::time::sleep(QUIET).await;
    assert!(connection_ids(&emu).await.is_empty(), "no reconnect while the handler runs");

    release.notify_one();
    let again = next(&mut events).await;
    assert_eq!(again.event_id, raised.event_id, "the unacked event comes again");
    eventually("the ack", || nothing_pending(&emu)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    stop(shutdown, run).await;
}

#[tokio::test]
async fn a_dropped_connection_is_reopened_with_backoff() {
    let emu = Emulator::start().await.unwrap();
    let (handler, mut events) = recorder();
    let (shutdown, run, first) = start_connected(&emu, client(&emu), handler).await;

    // Reset closes every socket without a `disconnect` frame.
    emu.control().reset().await.unwrap();
    eventually("a new connection", || async {
        let ids = connection_ids(&emu).await;
        ids.len() == 1 && ids[0] != first
    })
    .await;
    let raised = raise(&emu, "pi-1").await;
    assert_eq!(next(&mut events).await.event_id, raised.event_id);
    stop(shutdown, run).await;
}

#[tokio::test]
async fn shutdown_waits_for_the_running_handler_and_acks_it() {
    let emu = Emulator::start().await.unwrap();
    let (handler, started, release) = gated();
    let (shutdown, mut run) = start(client(&emu), handler);
    raise(&emu, "pi-1").await;
    tokio::time::timeout(ARRIVES, started.notified()).await.expect("the handler starts");

    shutdown.shutdown();
    assert!(tokio::time::timeout(QUIET, &mut run).await.is_err(), "run waits for the handler");
    release.notify_one();
    let result = tokio::time::timeout(ARRIVES, run).await.expect("run ends").unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert!(nothing_pending(&emu).await, "the handler's ack went out before the close");
    eventually("the close", || async { connection_ids(&emu).await.is_empty() }).await;
}

#[tokio::test]
async fn bad_credentials_end_run_with_auth_failed() {
    let emu = Emulator::start().await.unwrap();
    let (handler, _events) = recorder();
    let run = dingtalk(&emu, "wrong-secret").stream().run(handler);
    let err = tokio::time::timeout(ARRIVES, run).await.expect("no retrying").unwrap_err();
    assert_eq!(err.api_code(), Some("authFailed"), "{err}");
    assert!(!err.to_string().contains("wrong-secret"));
}

#[tokio::test]
async fn duplicates_reach_the_handler_unless_dedupe_is_on() {
    let emu = Emulator::start().await.unwrap();
    emu.control().set_event_faults(EventFaults { duplicate: 1.0, ..Default::default() }).await.unwrap();

    let (handler, mut events) = recorder();
    let (shutdown, run) = start(client(&emu), handler);
    let raised = raise(&emu, "pi-1").await;
    assert_eq!(next(&mut events).await.event_id, raised.event_id);
    assert_eq!(next(&mut events).await.event_id, raised.event_id, "the duplicate is handed over by default");
    eventually("both acks", || nothing_pending(&emu)).await;
    stop(shutdown, run).await;

    let (handler, mut events) = recorder();
    let (shutdown, run) = start(client(&emu).dedupe_recent(100), handler);
    let raised = raise(&emu, "pi-2").await;
    assert_eq!(next(&mut events).await.event_id, raised.event_id);
    eventually("both acks", || nothing_pending(&emu)).await;
    assert_no_more(&mut events).await;
    stop(shutdown, run).await;
}

#[tokio::test]
async fn a_real_approval_produces_instance_start_and_task_start() {
    let emu = Emulator::start().await.unwrap();
    let (handler, mut events) = recorder();
    let (shutdown, run, _) =
        start_connected(&emu, client(&emu).topics(["bpms_instance_change", "bpms_task_change"]), handler).await;

    let token = emu.app_token().await.unwrap();
    let body = json!({
        "processCode": "PROC-EMU-GENERAL",
        "originatorUserId": "zhangsan",
        "deptId": 101,
        "formComponentValues": [{ "name": "事项名称", "value": "买显示器" }, { "name": "申请内容", "value": "请批准" }],
    });
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v1.0/workflow/processInstances", emu.uri()))
        .header("x-acs-dingtalk-access-token", token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["instanceId"].as_str().expect("an instance id").to_owned();

    let mut instance_start = None;
    let mut task_start = None;
    while instance_start.is_none() || task_start.is_none() {
        match next(&mut events).await.approval().unwrap() {
            Some(ApprovalEvent::Instance(e)) if e.kind == InstanceChangeType::Start => instance_start = Some(e),
            Some(ApprovalEvent::Task(e)) if e.kind == TaskChangeType::Start => task_start = Some(e),
            other => panic!("unexpected {other:?}"),
        }
    }
    let (instance, task) = (instance_start.unwrap(), task_start.unwrap());
    assert_eq!(instance.process_instance_id, id);
    assert_eq!(instance.staff_id, "zhangsan", "the originator");
    assert_eq!(instance.process_code.as_deref(), Some("PROC-EMU-GENERAL"));
    assert!(instance.create_time.is_some());
    assert_eq!(task.process_instance_id, id);
    assert!(task.task_id.is_some());
    assert!(!task.staff_id.is_empty() && task.staff_id != "zhangsan", "the approver: {task:?}");
    eventually("the acks", || nothing_pending(&emu)).await;
    stop(shutdown, run).await;
}
