//! Leaving the organisation: the `user_leave_org` event the emulator raises, handed to `auth::on_user_left` as the
//! intake would hand it, ends that person's sessions and nobody else's; DingTalk then refuses their login.

mod common;

use api_types::ErrorCode;
use dingtalk_emulator::events::Event;
use reqwest::StatusCode;
use serde_json::{Map, json};
use shenpi_server::auth::on_user_left;
use shenpi_server::events::{Channel, StoredEvent};

/// The event as the intake stores it, with these business fields.
fn stored(event: &Event, data: Map<String, serde_json::Value>, channel: Channel) -> StoredEvent {
    StoredEvent {
        event_id: event.event_id.clone(),
        event_type: event.event_type.as_str().to_owned(),
        born_at: event.born_ms,
        corp_id: event.corp_id.clone(),
        data,
        channel,
    }
}

impl common::Harness {
    async fn me(&self, token: &str) -> reqwest::Response {
        self.http.get(format!("{}/api/me", self.base)).bearer_auth(token).send().await.unwrap()
    }
}

// These tests hand the event to `on_user_left` themselves, so the server's own intake is off; `tests/flow.rs` shows
// the same through the real Stream channel.
#[tokio::test]
async fn leaving_ends_that_users_sessions_only_and_their_next_login_is_refused() {
    let h = common::start_with(&["--events=off".to_owned()]).await;
    let phone = h.session_for("zhangsan").await;
    let laptop = h.session_for("zhangsan").await;
    let other = h.session_for("lisi").await;
    let minted_before_leaving = h.emu.control().auth_code("zhangsan").await.unwrap();
    assert_eq!(h.me(&phone).await.status(), StatusCode::OK);

    h.emu.control().leave_org("zhangsan").await.unwrap();
    let raised = h.emu.control().events().await.unwrap();
    let event = raised.iter().find(|e| e.event_type.as_str() == "user_leave_org").expect("the event was raised");
    // Until the event is handled the session still works: nothing but the event ends it.
    assert_eq!(h.me(&phone).await.status(), StatusCode::OK);
    on_user_left(&h.state, &stored(event, event.data.clone(), Channel::Stream)).await.unwrap();

    for token in [&phone, &laptop] {
        common::assert_api_error(h.me(token).await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    }
    assert_eq!(h.me(&other).await.status(), StatusCode::OK, "another user's session still works");
    let login = h.login(&minted_before_leaving).await;
    common::assert_api_error(login, StatusCode::FORBIDDEN, ErrorCode::NotAMember).await;
    // The redelivery on the other channel (the HTTP plaintext, both spellings) is harmless.
    let http = event.http_plaintext().as_object().cloned().unwrap_or_default();
    on_user_left(&h.state, &stored(event, http, Channel::Http)).await.unwrap();
    assert_eq!(h.me(&other).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_legacy_http_event_naming_one_user_as_a_string_ends_their_sessions() {
    let h = common::start_with(&["--events=off".to_owned()]).await;
    let token = h.session_for("wangwu").await;
    let event = h.emu.control().leave_org("wangwu").await.unwrap();
    let legacy = json!({ "UserId": "wangwu", "TimeStamp": event.born_ms.to_string() });
    let data = legacy.as_object().cloned().unwrap_or_default();
    on_user_left(&h.state, &stored(&event, data, Channel::Http)).await.unwrap();
    common::assert_api_error(h.me(&token).await, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
}

#[tokio::test]
async fn an_event_of_another_organisation_or_naming_nobody_ends_nothing() {
    let h = common::start_with(&["--events=off".to_owned()]).await;
    let token = h.session_for("zhangsan").await;
    let event = Event::user_leave_org(&["zhangsan".into()], 0, "ding-someone-else".into());
    on_user_left(&h.state, &stored(&event, event.data.clone(), Channel::Stream)).await.unwrap();
    assert_eq!(h.me(&token).await.status(), StatusCode::OK, "another organisation's event is ignored");

    let ours = Event { corp_id: h.emu.org().corp.corp_id.clone(), ..event };
    let nobody = json!({ "staffId": "zhangsan" }).as_object().cloned().unwrap_or_default();
    let err = on_user_left(&h.state, &stored(&ours, nobody, Channel::Stream)).await.unwrap_err();
    assert!(err.to_string().contains("userId"), "{err}");
    assert_eq!(h.me(&token).await.status(), StatusCode::OK);
}
