//! The whole loop through shenpi's own API, with DingTalk's events arriving over both channels at once, every event
//! duplicated and some reordered: a request is submitted, each approver finds it in 待处理 and approves it there,
//! and every participant's boxes end right while a stranger sees and reaches nothing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use api_types::form::{FieldValue, FormValues};
use api_types::{
    ApprovalMode, ApprovalStep, ErrorCode, InboxCounts, InboxItem, InboxPage, RequestState, SubmitRequest,
    SubmittedRequest,
};
use common::Harness;
use dingtalk_emulator::limits::EventFaults;
use dingtalk_emulator::push::RegisterCallback;
use reqwest::StatusCode;
use serde_json::json;

const TOKEN: &str = "flowToken42";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
const ORIGINATOR: &str = "zhangsan";
const FIRST: &str = "lisi";
const SECOND: &str = "fe_lead";
const COPIED: &str = "rd_head";
const STRANGER: &str = "wangwu";

/// How long the loop may take to settle: events are pushed, retried and applied in the background.
const SETTLE: Duration = Duration::from_secs(20);

struct Flow {
    h: Harness,
    tokens: BTreeMap<&'static str, String>,
}

impl Flow {
    async fn start() -> Self {
        let h = common::start_with(&[
            "--events=both".to_owned(),
            format!("--callback-token={TOKEN}"),
            format!("--callback-aes-key={AES_KEY}"),
            "--events-poll-ms=50".to_owned(),
        ])
        .await;
        let registration = RegisterCallback::new(format!("{}/dingtalk/events", h.base), TOKEN, AES_KEY)
            .retry_delays(&[Duration::from_millis(100); 5]);
        h.emu.control().register_callback(&registration).await.expect("the emulator's check_url passes");
        let mut tokens = BTreeMap::new();
        for user in [ORIGINATOR, FIRST, SECOND, COPIED, STRANGER] {
            tokens.insert(user, h.session_for(user).await);
        }
        Flow { h, tokens }
    }

    fn token(&self, user: &str) -> &str {
        &self.tokens[user]
    }

    async fn page(&self, user: &str, inbox: &str) -> InboxPage {
        let res = self
            .h
            .http
            .get(format!("{}/api/inbox", self.h.base))
            .query(&[("box", inbox)])
            .bearer_auth(self.token(user))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    async fn counts(&self, user: &str) -> InboxCounts {
        let res =
            self.h.http.get(format!("{}/api/inbox/counts", self.h.base)).bearer_auth(self.token(user)).send().await;
        let res = res.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// Waits until `user`'s `inbox` holds the instance in `state`; the item.
    async fn wait_for(&self, user: &str, inbox: &str, instance_id: &str, state: RequestState) -> InboxItem {
        let deadline = Instant::now() + SETTLE;
        loop {
            let page = self.page(user, inbox).await;
            if let Some(item) =
                page.items.iter().find(|i| i.instance_id.as_deref() == Some(instance_id) && i.status == state)
            {
                return item.clone();
            }
            assert!(Instant::now() < deadline, "{user}'s {inbox} never showed {instance_id} {state:?}: {page:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The originator's request `id` as the API shows it.
    async fn request(&self, id: &str) -> SubmittedRequest {
        let res = self.h.http.get(format!("{}/api/requests/{id}", self.h.base)).bearer_auth(self.token(ORIGINATOR));
        res.send().await.unwrap().json().await.unwrap()
    }

    async fn approve(&self, user: &str, instance_id: &str, task_id: i64) {
        let res = self
            .h
            .http
            .post(format!("{}/api/instances/{instance_id}/actions", self.h.base))
            .bearer_auth(self.token(user))
            .header("Idempotency-Key", format!("approve-{user}-{task_id}"))
            .json(&json!({ "action": "approve", "taskId": task_id, "remark": "同意" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    }

    /// `shenpi_dingtalk_calls_total` from `/metrics`, summed per API over outcomes.
    async fn dingtalk_calls(&self) -> BTreeMap<String, f64> {
        let text = self.h.http.get(format!("{}/metrics", self.h.base)).send().await.unwrap().text().await.unwrap();
        let mut calls = BTreeMap::new();
        for line in text.lines().filter(|l| l.starts_with("shenpi_dingtalk_calls_total{")) {
            let (labels, value) = line.rsplit_once(' ').unwrap();
            let api = labels.split("api=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
            *calls.entry(api.to_owned()).or_insert(0.0) += value.parse::<f64>().unwrap();
        }
        calls
    }
}

fn two_step_request() -> SubmitRequest {
    let step = |user: &str| ApprovalStep { mode: ApprovalMode::Single, user_ids: vec![user.into()] };
    SubmitRequest {
        process_code: "PROC-EMU-GENERAL".into(),
        dept_id: None,
        values: FormValues::new()
            .with("TextField-NPVG29PY", FieldValue::Text("采购显示器两台".into()))
            .with("TextareaField-3T6NCAZ7", FieldValue::Text("研发部新人入职。".into())),
        approvers: Some(vec![step(FIRST), step(SECOND)]),
        cc: Some(vec![COPIED.into()]),
        picks: None,
    }
}

#[tokio::test]
async fn an_approval_reaches_every_participants_boxes_through_duplicated_and_reordered_events_on_both_channels() {
    let f = Flow::start().await;
    f.h.emu
        .control()
        .set_event_faults(EventFaults { duplicate: 1.0, reorder: 0.5, ..EventFaults::default() })
        .await
        .unwrap();
    let before = f.dingtalk_calls().await;

    // zhangsan submits; 已发起 shows the request at once, before DingTalk has it.
    let res =
        f.h.http
            .post(format!("{}/api/requests", f.h.base))
            .bearer_auth(f.token(ORIGINATOR))
            .header("Idempotency-Key", "flow-submit-0001")
            .json(&two_step_request())
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let queued: SubmittedRequest = res.json().await.unwrap();
    let mine = f.page(ORIGINATOR, "mine").await;
    assert!(mine.items.iter().any(|i| i.request_id.as_deref() == Some(queued.id.as_str())), "{mine:?}");

    // The outbox delivers it; the first approver finds it in 待处理 through the events, and approves it there.
    let deadline = Instant::now() + SETTLE;
    let instance_id = loop {
        let r = f.request(&queued.id).await;
        if let Some(id) = r.instance_id {
            break id;
        }
        assert!(Instant::now() < deadline, "the request was never delivered: {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let todo = f.wait_for(FIRST, "todo", &instance_id, RequestState::Running).await;
    f.approve(FIRST, &instance_id, todo.task_id.expect("a 待处理 item names the caller's task")).await;
    let todo = f.wait_for(SECOND, "todo", &instance_id, RequestState::Running).await;
    f.approve(SECOND, &instance_id, todo.task_id.expect("a 待处理 item names the caller's task")).await;

    // Events the reorder fault still holds back are released; everything settles.
    f.h.emu.control().set_event_faults(EventFaults::default()).await.unwrap();
    f.wait_for(ORIGINATOR, "mine", &instance_id, RequestState::Approved).await;
    f.wait_for(FIRST, "done", &instance_id, RequestState::Approved).await;
    f.wait_for(SECOND, "done", &instance_id, RequestState::Approved).await;
    f.wait_for(COPIED, "cc", &instance_id, RequestState::Approved).await;

    // Each box holds it once, and only where it belongs.
    for (user, expected) in [
        (ORIGINATOR, InboxCounts { todo: 0, done: 0, mine: 1, cc: 0 }),
        (FIRST, InboxCounts { todo: 0, done: 1, mine: 0, cc: 0 }),
        (SECOND, InboxCounts { todo: 0, done: 1, mine: 0, cc: 0 }),
        (COPIED, InboxCounts { todo: 0, done: 0, mine: 0, cc: 1 }),
        (STRANGER, InboxCounts { todo: 0, done: 0, mine: 0, cc: 0 }),
    ] {
        assert_eq!(f.counts(user).await, expected, "{user}'s counts");
        for inbox in ["todo", "done", "mine", "cc"] {
            let page = f.page(user, inbox).await;
            let ids: Vec<_> = page.items.iter().map(|i| (i.instance_id.clone(), i.request_id.clone())).collect();
            assert_eq!(ids.len(), ids.iter().collect::<BTreeSet<_>>().len(), "{user}'s {inbox} repeats: {ids:?}");
        }
    }
    let mine = f.page(ORIGINATOR, "mine").await;
    assert_eq!(mine.items.len(), 1, "the queued request became the instance, not a second item: {mine:?}");
    assert_eq!(mine.items[0].request_id.as_deref(), Some(queued.id.as_str()));

    // The request itself moved to approved from the events.
    let r = f.request(&queued.id).await;
    assert_eq!(r.state, RequestState::Approved);

    // The stranger can neither read the instance nor act on it, nor see the request.
    let detail =
        f.h.http.get(format!("{}/api/instances/{instance_id}", f.h.base)).bearer_auth(f.token(STRANGER)).send().await;
    common::assert_api_error(detail.unwrap(), StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let comment =
        f.h.http
            .post(format!("{}/api/instances/{instance_id}/actions", f.h.base))
            .bearer_auth(f.token(STRANGER))
            .header("Idempotency-Key", "stranger-comment-1")
            .json(&json!({ "action": "comment", "text": "我也看看" }))
            .send()
            .await
            .unwrap();
    common::assert_api_error(comment, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let request =
        f.h.http.get(format!("{}/api/requests/{}", f.h.base, queued.id)).bearer_auth(f.token(STRANGER)).send().await;
    common::assert_api_error(request.unwrap(), StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    // Every event the emulator raised is stored exactly once, though each arrived at least twice.
    let raised: BTreeSet<String> = f.h.emu.control().events().await.unwrap().into_iter().map(|e| e.event_id).collect();
    let stored = f.h.store().await.events().await.unwrap();
    let stored_ids: BTreeSet<String> = stored.iter().map(|r| r.event.event_id.clone()).collect();
    assert_eq!(stored.len(), stored_ids.len());
    assert_eq!(stored_ids, raised);
    assert!(stored.iter().all(|r| r.applied_at.is_some()), "every event applied");

    // What the whole loop cost in DingTalk calls, per API (printed for the note; checked loosely here).
    let after = f.dingtalk_calls().await;
    let spent: BTreeMap<_, _> = after
        .iter()
        .map(|(api, n)| (api.clone(), n - before.get(api).copied().unwrap_or(0.0)))
        .filter(|(_, n)| *n > 0.0)
        .collect();
    eprintln!("DingTalk calls for one two-step approval, submit to settled: {spent:#?}");
    // One create, one execute per approval; get-instance: the index reads the instance when first heard of and after
    // its end (2), and each action or detail view reads it once to check who the caller is (2 approvals, and the
    // stranger's detail and comment: 4).
    let calls = |api: &str| spent.get(api).copied().unwrap_or(0.0);
    assert_eq!(calls("POST /v1.0/workflow/processInstances"), 1.0, "{spent:?}");
    assert_eq!(calls("POST /v1.0/workflow/processInstances/execute"), 2.0, "{spent:?}");
    assert!(calls("GET /v1.0/workflow/processInstances") <= 6.0, "{spent:?}");
}

#[tokio::test]
async fn leaving_the_organisation_ends_the_persons_sessions_through_the_stream_event() {
    // The default channel: Stream mode.
    let h = common::start().await;
    let leaver = h.session_for(FIRST).await;
    let stayer = h.session_for(ORIGINATOR).await;
    let me = |token: &str| h.http.get(format!("{}/api/me", h.base)).bearer_auth(token.to_owned()).send();
    assert_eq!(me(&leaver).await.unwrap().status(), StatusCode::OK);
    h.emu.control().leave_org(FIRST).await.unwrap();
    let deadline = Instant::now() + SETTLE;
    loop {
        let res = me(&leaver).await.unwrap();
        if res.status() == StatusCode::UNAUTHORIZED {
            common::assert_api_error(res, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
            break;
        }
        assert!(Instant::now() < deadline, "the session still works: {}", res.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(me(&stayer).await.unwrap().status(), StatusCode::OK, "someone else's session is untouched");
}
