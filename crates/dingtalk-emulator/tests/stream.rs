//! Stream mode on the wire, with a plain WebSocket client: opening a connection, tickets, EVENT frames and acks,
//! redelivery, SYSTEM ping and disconnect, and events that wait for a connection.

use std::time::Duration;

use dingtalk_emulator::Emulator;
use dingtalk_emulator::control::ControlCallError;
use dingtalk_emulator::events::EventType;
use dingtalk_emulator::stream::{StreamSettingsUpdate, unified_app_id};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Long enough for a frame that is due to arrive on a loaded machine.
const ARRIVES: Duration = Duration::from_secs(5);
/// How long a test waits to be sure nothing more arrives.
const QUIET: Duration = Duration::from_millis(600);

/// `POST /v1.0/gateway/connections/open` with the seeded app's credentials.
async fn open(emu: &Emulator, subscriptions: Value) -> Value {
    let app = &emu.org().app;
    let body = json!({
        "clientId": app.app_key,
        "clientSecret": app.app_secret,
        "subscriptions": subscriptions,
        "ua": "shenpi-test/1.0",
    });
    let res = reqwest::Client::new()
        .post(format!("{}/v1.0/gateway/connections/open", emu.uri()))
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn url(opened: &Value) -> String {
    format!("{}?ticket={}", opened["endpoint"].as_str().unwrap(), opened["ticket"].as_str().unwrap())
}

/// Opens a connection subscribed to every event and connects to it.
async fn connect(emu: &Emulator) -> Socket {
    let opened = open(emu, json!([{ "type": "EVENT", "topic": "*" }])).await;
    connect_async(url(&opened)).await.unwrap().0
}

/// The next text frame, as JSON; panics on close or silence.
async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(ARRIVES, socket.next()).await.expect("a frame in time");
        match message.expect("the socket is open").expect("a readable frame") {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}

/// Asserts no text frame arrives for a while.
async fn assert_silent(socket: &mut Socket) {
    if let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(QUIET, socket.next()).await {
        panic!("nothing more was expected, got {text}");
    }
}

/// Whether the server closes the socket soon (frames before the close are skipped).
async fn closes(socket: &mut Socket) -> bool {
    let closed = async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            }
        }
    };
    tokio::time::timeout(ARRIVES, closed).await.is_ok()
}

/// Sends an event ack (events.md §3.3) for a frame, with `status`.
async fn ack(socket: &mut Socket, frame: &Value, status: &str) {
    let reply = json!({
        "code": 200,
        "headers": { "contentType": "application/json", "messageId": frame["headers"]["messageId"] },
        "message": "OK",
        "data": json!({ "status": status, "message": "test" }).to_string(),
    });
    socket.send(Message::Text(reply.to_string().into())).await.unwrap();
}

async fn raise(emu: &Emulator, event_type: EventType, instance: &str) -> dingtalk_emulator::events::Event {
    let mut data = Map::new();
    data.insert("processInstanceId".into(), json!(instance));
    data.insert("type".into(), json!("start"));
    data.insert("title".into(), json!("张三提交的请假"));
    emu.control().raise_event(event_type, data).await.unwrap()
}

async fn set(emu: &Emulator, update: StreamSettingsUpdate) {
    emu.control().set_stream_settings(update).await.unwrap();
}

/// Polls the control API until `done` holds (the gateway works in the background).
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + ARRIVES;
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn bad_credentials_are_401_auth_failed() {
    let emu = Emulator::start().await.unwrap();
    let body = json!({
        "clientId": emu.org().app.app_key,
        "clientSecret": "wrong",
        "subscriptions": [{ "type": "EVENT", "topic": "*" }],
    });
    let res = reqwest::Client::new()
        .post(format!("{}/v1.0/gateway/connections/open", emu.uri()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "authFailed");
    assert_eq!(body["message"], "鉴权失败");
    assert!(body["requestid"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
}

#[tokio::test]
async fn the_endpoint_is_on_the_host_the_request_came_in_with() {
    let emu = Emulator::start().await.unwrap();
    let opened = open(&emu, json!([{ "type": "EVENT", "topic": "*" }])).await;
    let port = emu.uri().rsplit(':').next().unwrap().to_owned();
    assert_eq!(opened["endpoint"], format!("ws://127.0.0.1:{port}/connect"));
    assert!(opened["ticket"].as_str().is_some_and(|t| t.len() >= 32), "{opened}");

    let app = &emu.org().app;
    let res = reqwest::Client::new()
        .post(format!("{}/v1.0/gateway/connections/open", emu.uri()))
        .header("host", format!("localhost:{port}"))
        .json(&json!({ "clientId": app.app_key, "clientSecret": app.app_secret,
                       "subscriptions": [{ "type": "EVENT", "topic": "*" }] }))
        .send()
        .await
        .unwrap();
    let opened: Value = res.json().await.unwrap();
    assert_eq!(opened["endpoint"], format!("ws://localhost:{port}/connect"));
}

#[tokio::test]
async fn a_used_unknown_or_expired_ticket_is_refused() {
    let emu = Emulator::start().await.unwrap();
    let opened = open(&emu, json!([{ "type": "EVENT", "topic": "*" }])).await;
    let _first = connect_async(url(&opened)).await.expect("a fresh ticket connects");
    let refused = |result: Result<_, tokio_tungstenite::tungstenite::Error>| match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("the handshake should have been refused"),
    };
    assert_eq!(refused(connect_async(url(&opened)).await), 401, "a used ticket");
    let endpoint = opened["endpoint"].as_str().unwrap();
    assert_eq!(refused(connect_async(format!("{endpoint}?ticket=nope")).await), 401, "an unknown ticket");
    assert_eq!(refused(connect_async(endpoint).await), 401, "no ticket");

    let late = open(&emu, json!([{ "type": "EVENT", "topic": "*" }])).await;
    emu.control().advance_clock(Duration::from_secs(91)).await.unwrap();
    assert_eq!(refused(connect_async(url(&late)).await), 401, "a ticket older than 90 s");
}

#[tokio::test]
async fn a_raised_event_arrives_as_an_event_frame() {
    let emu = Emulator::start().await.unwrap();
    let mut socket = connect(&emu).await;
    let connections = emu.control().stream_connections().await.unwrap();
    assert_eq!(connections.len(), 1);
    assert_eq!(connections[0].ua.as_deref(), Some("shenpi-test/1.0"));

    let event = raise(&emu, EventType::InstanceChange, "pi-1").await;
    let frame = next_frame(&mut socket).await;
    assert_eq!(frame["specVersion"], "1.0");
    assert_eq!(frame["type"], "EVENT");
    let headers = &frame["headers"];
    let app_id = unified_app_id(&emu.org().app.app_key);
    assert_eq!(headers["appId"], app_id);
    assert_eq!(headers["eventUnifiedAppId"], app_id);
    assert_eq!(headers["connectionId"], connections[0].connection_id);
    assert_eq!(headers["contentType"], "application/json");
    assert_eq!(headers["topic"], "*");
    assert_eq!(headers["eventType"], "bpms_instance_change");
    assert_eq!(headers["eventId"], event.event_id);
    assert_eq!(headers["eventBornTime"], event.born_ms.to_string());
    assert_eq!(headers["eventCorpId"], emu.org().corp.corp_id);
    let time: i64 = headers["time"].as_str().unwrap().parse().unwrap();
    assert!(time >= event.born_ms);
    assert!(headers["messageId"].as_str().is_some_and(|m| !m.is_empty()));
    let data: Value = serde_json::from_str(frame["data"].as_str().expect("data is a string")).unwrap();
    assert_eq!(data, json!({ "processInstanceId": "pi-1", "type": "start", "title": "张三提交的请假" }));

    ack(&mut socket, &frame, "SUCCESS").await;
    let control = emu.control();
    eventually("the ack", || async { control.stream_pending().await.unwrap().is_empty() }).await;
}

#[tokio::test]
async fn events_go_only_to_connections_subscribed_to_them() {
    let emu = Emulator::start().await.unwrap();
    let callbacks = open(&emu, json!([{ "type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get" }])).await;
    let mut callbacks = connect_async(url(&callbacks)).await.unwrap().0;
    let tasks = open(&emu, json!([{ "type": "EVENT", "topic": "bpms_task_change" }])).await;
    let mut tasks = connect_async(url(&tasks)).await.unwrap().0;

    raise(&emu, EventType::InstanceChange, "pi-1").await;
    raise(&emu, EventType::TaskChange, "pi-1").await;
    let frame = next_frame(&mut tasks).await;
    assert_eq!(frame["headers"]["eventType"], "bpms_task_change");
    assert_eq!(frame["headers"]["topic"], "bpms_task_change");
    ack(&mut tasks, &frame, "SUCCESS").await;
    assert_silent(&mut tasks).await;
    assert_silent(&mut callbacks).await;
    let pending = emu.control().stream_pending().await.unwrap();
    assert_eq!(pending.len(), 1, "the instance event waits for a subscriber: {pending:?}");
    assert_eq!(pending[0].event_type, "bpms_instance_change");
    assert_eq!(pending[0].connection_id, None);
}

#[tokio::test]
async fn an_unacked_event_is_pushed_again_after_the_ack_timeout() {
    let emu = Emulator::start().await.unwrap();
    set(&emu, StreamSettingsUpdate { ack_timeout_ms: Some(200), ..Default::default() }).await;
    let mut socket = connect(&emu).await;
    let raised_at = tokio::time::Instant::now();
    let event = raise(&emu, EventType::TaskChange, "pi-1").await;

    let first = next_frame(&mut socket).await;
    let again = next_frame(&mut socket).await;
    assert!(raised_at.elapsed() >= Duration::from_millis(200), "not before the timeout");
    assert_eq!(again["headers"]["eventId"], event.event_id);
    assert_ne!(again["headers"]["messageId"], first["headers"]["messageId"], "each push has its own messageId");
    assert_eq!(again["data"], first["data"]);

    // A late ack for the first push settles nothing; the ack for the latest one does.
    ack(&mut socket, &first, "SUCCESS").await;
    let third = next_frame(&mut socket).await;
    assert_eq!(third["headers"]["eventId"], event.event_id);
    ack(&mut socket, &third, "SUCCESS").await;
    assert_silent(&mut socket).await;
    assert!(emu.control().stream_pending().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_later_ack_makes_the_event_come_again() {
    let emu = Emulator::start().await.unwrap();
    set(&emu, StreamSettingsUpdate { later_delay_ms: Some(50), ..Default::default() }).await;
    let mut socket = connect(&emu).await;
    let event = raise(&emu, EventType::InstanceChange, "pi-1").await;

    let first = next_frame(&mut socket).await;
    ack(&mut socket, &first, "LATER").await;
    let again = next_frame(&mut socket).await;
    assert_eq!(again["headers"]["eventId"], event.event_id);
    let pending = emu.control().stream_pending().await.unwrap();
    assert_eq!(pending[0].attempts, 2);
    ack(&mut socket, &again, "SUCCESS").await;
    assert_silent(&mut socket).await;
}

#[tokio::test]
async fn an_acked_event_is_not_pushed_again() {
    let emu = Emulator::start().await.unwrap();
    set(&emu, StreamSettingsUpdate { ack_timeout_ms: Some(200), ..Default::default() }).await;
    let mut socket = connect(&emu).await;
    raise(&emu, EventType::InstanceChange, "pi-1").await;
    let frame = next_frame(&mut socket).await;
    ack(&mut socket, &frame, "SUCCESS").await;
    assert_silent(&mut socket).await;
    assert!(emu.control().stream_pending().await.unwrap().is_empty());
    assert_eq!(emu.control().stream_connections().await.unwrap()[0].unacked, 0);
}

#[tokio::test]
async fn pings_are_sent_and_an_echo_is_counted() {
    let emu = Emulator::start().await.unwrap();
    let mut socket = connect(&emu).await;
    set(&emu, StreamSettingsUpdate { ping_interval_ms: Some(100), ..Default::default() }).await;

    let ping = next_frame(&mut socket).await;
    assert_eq!(ping["type"], "SYSTEM");
    assert_eq!(ping["headers"]["topic"], "ping");
    let data: Value = serde_json::from_str(ping["data"].as_str().unwrap()).unwrap();
    assert!(data["opaque"].as_str().is_some_and(|o| !o.is_empty()), "{ping}");

    // A wrong echo is not counted; the npm SDK's echo (same headers, same data) is.
    let wrong = json!({ "code": 200, "headers": ping["headers"], "message": "OK", "data": "{\"opaque\":\"x\"}" });
    socket.send(Message::Text(wrong.to_string().into())).await.unwrap();
    let echo = json!({ "code": 200, "headers": ping["headers"], "message": "OK", "data": ping["data"] });
    socket.send(Message::Text(echo.to_string().into())).await.unwrap();
    let control = emu.control();
    eventually("the echo", || async { control.stream_connections().await.unwrap()[0].pings_answered == 1 }).await;
    let second = next_frame(&mut socket).await;
    assert_eq!(second["headers"]["topic"], "ping");
    assert_ne!(second["headers"]["messageId"], ping["headers"]["messageId"]);
    assert!(control.stream_connections().await.unwrap()[0].pings_sent >= 2);
}

#[tokio::test]
async fn disconnect_sends_a_disconnect_frame_then_closes() {
    let emu = Emulator::start().await.unwrap();
    set(&emu, StreamSettingsUpdate { disconnect_grace_ms: Some(100), ..Default::default() }).await;
    let mut socket = connect(&emu).await;
    let control = emu.control();
    let id = control.stream_connections().await.unwrap()[0].connection_id.clone();

    control.stream_disconnect(&id).await.unwrap();
    let frame = next_frame(&mut socket).await;
    assert_eq!(frame["type"], "SYSTEM");
    assert_eq!(frame["headers"]["topic"], "disconnect");
    let data: Value = serde_json::from_str(frame["data"].as_str().unwrap()).unwrap();
    assert!(data["reason"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(closes(&mut socket).await, "the server closes after the grace");
    eventually("the connection to go", || async { control.stream_connections().await.unwrap().is_empty() }).await;
    let missing = control.stream_disconnect(&id).await.unwrap_err();
    assert!(missing.to_string().contains("connectionNotFound"), "{missing}");
}

#[tokio::test]
async fn an_event_raised_while_disconnected_arrives_after_reconnecting() {
    let emu = Emulator::start().await.unwrap();
    let mut socket = connect(&emu).await;
    socket.close(None).await.unwrap();
    let control = emu.control();
    eventually("the close", || async { control.stream_connections().await.unwrap().is_empty() }).await;

    let event = raise(&emu, EventType::InstanceChange, "pi-1").await;
    eventually("the queue", || async { control.stream_pending().await.unwrap().len() == 1 }).await;
    let mut socket = connect(&emu).await;
    let frame = next_frame(&mut socket).await;
    assert_eq!(frame["headers"]["eventId"], event.event_id);
    ack(&mut socket, &frame, "SUCCESS").await;
    eventually("the ack", || async { control.stream_pending().await.unwrap().is_empty() }).await;
}

#[tokio::test]
async fn an_event_unacked_when_its_connection_closes_goes_to_the_next_one() {
    let emu = Emulator::start().await.unwrap();
    let mut socket = connect(&emu).await;
    let event = raise(&emu, EventType::TaskChange, "pi-1").await;
    let frame = next_frame(&mut socket).await;
    assert_eq!(frame["headers"]["eventId"], event.event_id);
    drop(socket);

    let mut socket = connect(&emu).await;
    let again = next_frame(&mut socket).await;
    assert_eq!(again["headers"]["eventId"], event.event_id);
    assert_eq!(emu.control().stream_pending().await.unwrap()[0].attempts, 2);
}

#[tokio::test]
async fn reset_closes_connections_and_forgets_events() {
    let emu = Emulator::start().await.unwrap();
    let mut socket = connect(&emu).await;
    raise(&emu, EventType::TaskChange, "pi-1").await;
    next_frame(&mut socket).await;
    emu.control().reset().await.unwrap();
    assert!(closes(&mut socket).await, "reset closes the socket");
    assert!(emu.control().stream_pending().await.unwrap().is_empty());
    assert!(emu.control().stream_connections().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_websocket_is_not_an_api_call_but_opening_a_connection_is() {
    let emu = Emulator::start().await.unwrap();
    let _socket = connect(&emu).await;
    let calls = emu.control().calls().await.unwrap();
    let paths: Vec<&str> = calls.apis.iter().map(|a| a.path.as_str()).collect();
    assert!(paths.contains(&"/v1.0/gateway/connections/open"), "{paths:?}");
    assert!(!paths.iter().any(|p| p.contains("connect") && !p.contains("connections")), "{paths:?}");
}

#[tokio::test]
async fn leaving_the_org_refuses_login_and_raises_user_leave_org_as_an_event_frame() {
    let emu = Emulator::start().await.unwrap();
    let mut socket = connect(&emu).await;
    let control = emu.control();
    control.auth_code("zhangsan").await.expect("a member can log in");

    let event = control.leave_org("zhangsan").await.unwrap();
    let frame = next_frame(&mut socket).await;
    assert_eq!(frame["headers"]["eventType"], "user_leave_org");
    assert_eq!(frame["headers"]["eventId"], event.event_id);
    assert_eq!(frame["headers"]["eventCorpId"], emu.org().corp.corp_id);
    let data: Value = serde_json::from_str(frame["data"].as_str().expect("data is a string")).unwrap();
    assert_eq!(data, json!({ "userId": ["zhangsan"] }));
    ack(&mut socket, &frame, "SUCCESS").await;

    let refused = |r: Result<(), ControlCallError>| match r {
        Err(ControlCallError::Refused(e)) => e.code,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(refused(control.auth_code("zhangsan").await.map(|_| ())), "userLeft");
    assert_eq!(refused(control.leave_org("zhangsan").await.map(|_| ())), "userLeft");
    assert_eq!(refused(control.leave_org("nobody").await.map(|_| ())), "userNotExist");
    let raised = control.events().await.unwrap();
    assert_eq!(raised.len(), 1, "leaving twice raises one event: {raised:?}");
    control.auth_code("lisi").await.expect("others still log in");
}
