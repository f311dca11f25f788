//! The inbox end to end: real approvals on the emulator, submitted through `/api/requests` and acted on as the
//! approvers would in DingTalk, then the emulator's own event log fed to `index::apply` (in order, and duplicated
//! and shuffled on a fresh store), and the boxes read through `/api/inbox` as each user.

use std::collections::BTreeMap;
use std::time::Duration;

use api_types::form::{FieldValue, FormValues};
use api_types::{
    ApiError, ApprovalMode, ApprovalStep, ErrorCode, InboxCounts, InboxItem, InboxPage, RequestState, Session,
    SubmitRequest, SubmittedRequest,
};
use dingtalk_emulator::Emulator;
use dingtalk_emulator::workflow::{Act, ActRequest};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use reqwest::StatusCode;
use shenpi_server::events::{Channel, StoredEvent};
use shenpi_server::store::InboxQuery;
use shenpi_server::{AppState, Config, index};

mod common;

use common::db::TestDb;

const GENERAL: &str = "PROC-EMU-GENERAL";
const ORIGINATOR: &str = "zhangsan";
const FIRST: &str = "lisi";
const SECOND: &str = "fe_lead";
const COPIED: &str = "rd_head";
/// The get-instance API, as the emulator counts it.
const GET_INSTANCE: &str = "GET /v1.0/workflow/processInstances";

struct Harness {
    emu: Emulator,
    base: String,
    http: reqwest::Client,
    state: AppState,
    _server: common::Running,
    _db: TestDb,
}

/// The server's configuration against `emu` over `db`, with quick outbox retries and `extra` flags. Its own event
/// intake is off: these tests feed the emulator's events to `index::apply` themselves, in the orders they choose
/// (`tests/flow.rs` shows the live channels).
fn config(emu: &Emulator, db: &TestDb, extra: &[&str]) -> Config {
    let quick = ["--outbox-backoff-ms=50", "--outbox-poll-ms=50", "--events=off"];
    let flags: Vec<String> = quick.iter().chain(extra).map(|f| (*f).to_owned()).collect();
    common::config_for(emu, &db.url, std::path::Path::new("/nonexistent"), &flags)
}

async fn start(extra: &[&str]) -> Harness {
    let emu = Emulator::start().await.unwrap();
    let db = TestDb::sqlite();
    let state = AppState::from_config(&config(&emu, &db, extra)).await.unwrap();
    let server = common::serve(state.clone()).await;
    Harness { emu, base: server.base.clone(), http: reqwest::Client::new(), state, _server: server, _db: db }
}

/// A 通用审批 with subject `subject`: `FIRST` then `SECOND` approve, `COPIED` is copied.
fn general(subject: &str) -> SubmitRequest {
    let step = |user: &str| ApprovalStep { mode: ApprovalMode::Single, user_ids: vec![user.into()] };
    SubmitRequest {
        process_code: GENERAL.into(),
        dept_id: None,
        values: FormValues::new()
            .with("TextField-NPVG29PY", FieldValue::Text(subject.into()))
            .with("TextareaField-3T6NCAZ7", FieldValue::Text("请批准。".into())),
        approvers: Some(vec![step(FIRST), step(SECOND)]),
        cc: Some(vec![COPIED.into()]),
        picks: None,
    }
}

impl Harness {
    async fn login(&self, user_id: &str) -> String {
        let code = self.emu.control().auth_code(user_id).await.unwrap();
        let body = serde_json::json!({ "authCode": code });
        let res = self.http.post(format!("{}/api/session", self.base)).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<Session>().await.unwrap().token
    }

    /// Submits `body` as the holder of `token` and waits until DingTalk has the instance.
    async fn submit(&self, token: &str, key: &str, body: &SubmitRequest) -> SubmittedRequest {
        let res = self
            .http
            .post(format!("{}/api/requests", self.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let id = res.json::<SubmittedRequest>().await.unwrap().id;
        for _ in 0..200 {
            let r = self.request(token, &id).await;
            if r.instance_id.is_some() {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("request {id} was not delivered");
    }

    async fn request(&self, token: &str, id: &str) -> SubmittedRequest {
        let res = self.http.get(format!("{}/api/requests/{id}", self.base)).bearer_auth(token).send().await.unwrap();
        res.json().await.unwrap()
    }

    async fn inbox_raw(&self, token: &str, query: &str) -> reqwest::Response {
        self.http.get(format!("{}/api/inbox?{query}", self.base)).bearer_auth(token).send().await.unwrap()
    }

    async fn inbox(&self, token: &str, query: &str) -> InboxPage {
        let res = self.inbox_raw(token, query).await;
        assert_eq!(res.status(), StatusCode::OK, "{query}");
        res.json().await.unwrap()
    }

    async fn counts(&self, token: &str) -> InboxCounts {
        let res = self.http.get(format!("{}/api/inbox/counts", self.base)).bearer_auth(token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// `user`'s running task on `instance_id`.
    async fn task_of(&self, user: &str, instance_id: &str) -> i64 {
        let tasks = self.emu.control().tasks(user).await.unwrap();
        tasks.iter().find(|t| t.process_instance_id == instance_id).map(|t| t.task_id).expect("a running task")
    }

    /// `user` acts on their task of `instance_id` in DingTalk.
    async fn act(&self, user: &str, instance_id: &str, action: Act) {
        let task_id = self.task_of(user, instance_id).await;
        let req = ActRequest { user_id: user.into(), task_id, action, remark: None, to_user_id: None };
        self.emu.control().act(&req).await.unwrap();
    }

    /// Everything the emulator raised so far, as the intake stores it.
    async fn events(&self) -> Vec<StoredEvent> {
        let events = self.emu.control().events().await.unwrap();
        events
            .into_iter()
            .map(|e| StoredEvent {
                event_id: e.event_id,
                event_type: e.event_type.as_str().to_owned(),
                born_at: e.born_ms,
                corp_id: e.corp_id,
                data: e.data,
                channel: Channel::Stream,
            })
            .collect()
    }

    /// DingTalk calls the emulator counted, per API.
    async fn dingtalk_calls(&self) -> BTreeMap<String, u64> {
        let counts = self.emu.control().calls().await.unwrap();
        counts.apis.into_iter().map(|a| (format!("{} {}", a.method, a.path), a.month_calls)).collect()
    }
}

/// Each of the four boxes of `user` in `state`, straight from the store, every item.
async fn boxes(state: &AppState, user: &str) -> Vec<Vec<InboxItem>> {
    let mut all = Vec::new();
    for inbox in api_types::InboxBox::ALL {
        let q = InboxQuery {
            inbox,
            q: None,
            process_code: None,
            status: None,
            from: None,
            to: None,
            after: None,
            limit: 100,
        };
        all.push(state.store.inbox_page(user, &q).await.unwrap().into_iter().map(|r| r.item).collect());
    }
    all
}

/// What DingTalk alone decides of an item: without our request ids and the names of people who logged in.
fn dingtalk_part(boxes: Vec<Vec<InboxItem>>) -> Vec<Vec<InboxItem>> {
    boxes
        .into_iter()
        .map(|items| {
            items
                .into_iter()
                .map(|mut i| {
                    i.request_id = None;
                    i.originator.name.clear();
                    i
                })
                .collect()
        })
        .collect()
}

/// A fresh store against the same emulator, fed `events` through `index::apply`.
async fn replayed(h: &Harness, events: &[StoredEvent]) -> (AppState, TestDb) {
    let db = TestDb::sqlite();
    let state = AppState::from_config(&config(&h.emu, &db, &[])).await.unwrap();
    for event in events {
        index::apply(&state, event).await.unwrap();
    }
    (state, db)
}

fn ids(page: &InboxPage) -> Vec<(&str, RequestState)> {
    page.items.iter().map(|i| (i.instance_id.as_deref().unwrap_or("-"), i.status)).collect()
}

#[tokio::test]
async fn approvals_land_in_each_users_boxes_the_same_whatever_order_events_arrive_in() {
    let h = start(&[]).await;
    let users = [ORIGINATOR, FIRST, SECOND, COPIED, "wangwu"];
    let mut tokens = BTreeMap::new();
    for user in users {
        tokens.insert(user, h.login(user).await);
    }
    let approved = h.submit(&tokens[ORIGINATOR], "key-approved-0001", &general("出差报销")).await;
    let refused = h.submit(&tokens[ORIGINATOR], "key-refused-00001", &general("采购显示器")).await;
    let running = h.submit(&tokens[ORIGINATOR], "key-running-00001", &general("团建经费")).await;
    let (a, r, w) = (
        approved.instance_id.clone().unwrap(),
        refused.instance_id.clone().unwrap(),
        running.instance_id.clone().unwrap(),
    );
    // Before any event: the originator's 已发起 already lists all three (the outbox entered them).
    let mine = h.inbox(&tokens[ORIGINATOR], "box=mine").await;
    let mut listed: Vec<_> = mine.items.iter().filter_map(|i| i.instance_id.clone()).collect();
    listed.sort();
    let mut expected = vec![a.clone(), r.clone(), w.clone()];
    expected.sort();
    assert_eq!(listed, expected);

    h.act(FIRST, &a, Act::Agree).await;
    h.act(SECOND, &a, Act::Agree).await;
    h.act(FIRST, &r, Act::Refuse).await;

    let events = h.events().await;
    assert!(events.len() >= 10, "the emulator raised the approvals' events: {}", events.len());
    for event in &events {
        index::apply(&h.state, event).await.unwrap();
    }

    // The originator: all three in 已发起 with their ends, nothing to do.
    let mine = h.inbox(&tokens[ORIGINATOR], "box=mine").await;
    assert_eq!(
        ids(&mine),
        [
            (w.as_str(), RequestState::Running),
            (r.as_str(), RequestState::Refused),
            (a.as_str(), RequestState::Approved)
        ]
    );
    assert!(mine.items.iter().all(|i| i.request_id.is_some() && i.title.contains("通用审批")), "{mine:?}");
    assert_eq!(mine.items[0].originator.name, "张三");
    assert_eq!(h.request(&tokens[ORIGINATOR], &approved.id).await.state, RequestState::Approved);
    assert_eq!(h.request(&tokens[ORIGINATOR], &refused.id).await.state, RequestState::Refused);
    assert_eq!(h.request(&tokens[ORIGINATOR], &running.id).await.state, RequestState::Running);

    // The first approver: the running one to do (with its task), the two they acted on done.
    let todo = h.inbox(&tokens[FIRST], "box=todo").await;
    assert_eq!(ids(&todo), [(w.as_str(), RequestState::Running)]);
    assert_eq!(todo.items[0].task_id, Some(h.task_of(FIRST, &w).await));
    let done = h.inbox(&tokens[FIRST], "box=done").await;
    let done_ids: BTreeMap<_, _> = ids(&done).into_iter().collect();
    assert_eq!(done_ids, BTreeMap::from([(a.as_str(), RequestState::Approved), (r.as_str(), RequestState::Refused)]));
    assert_eq!(h.counts(&tokens[FIRST]).await, InboxCounts { todo: 1, done: 2, mine: 0, cc: 0 });

    // The second approver acted on the approved one only; the refused one never reached them.
    assert_eq!(ids(&h.inbox(&tokens[SECOND], "box=done").await), [(a.as_str(), RequestState::Approved)]);
    assert!(h.inbox(&tokens[SECOND], "box=todo").await.items.is_empty());

    // The person copied sees the instances they were copied on, and nothing else.
    let cc = h.inbox(&tokens[COPIED], "box=cc").await;
    assert!(!cc.items.is_empty(), "copied on at least the ended instances");
    assert!(cc.items.iter().all(|i| [&a, &r, &w].contains(&i.instance_id.as_ref().unwrap())));
    let copied = h.counts(&tokens[COPIED]).await;
    assert_eq!((copied.todo, copied.done, copied.mine), (0, 0, 0));

    // Someone not involved sees nothing.
    assert_eq!(h.counts(&tokens["wangwu"]).await, InboxCounts::default());
    for inbox in ["todo", "done", "mine", "cc"] {
        assert!(h.inbox(&tokens["wangwu"], &format!("box={inbox}")).await.items.is_empty());
    }

    // A fresh store fed the same events in order, and another fed them duplicated and shuffled, hold the same index,
    // and both agree with the live one on everything DingTalk decides.
    // Each store reads an instance at most twice (when first heard of, and after its end), duplicates cost nothing.
    let reads = || async { h.dingtalk_calls().await.get(GET_INSTANCE).copied().unwrap_or(0) };
    let before = reads().await;
    let (in_order, _db1) = replayed(&h, &events).await;
    let in_order_reads = reads().await - before;
    assert!((3..=6).contains(&in_order_reads), "{in_order_reads} get-instance calls for 3 instances");
    let mut shuffled: Vec<_> = events.iter().chain(events.iter()).cloned().collect();
    shuffled.shuffle(&mut rand::rngs::StdRng::seed_from_u64(4));
    let before = reads().await;
    let (out_of_order, _db2) = replayed(&h, &shuffled).await;
    let shuffled_reads = reads().await - before;
    assert!((3..=6).contains(&shuffled_reads), "{shuffled_reads} get-instance calls for 3 instances, events twice");
    for user in users {
        let expected = boxes(&in_order, user).await;
        assert_eq!(boxes(&out_of_order, user).await, expected, "{user}");
        assert_eq!(dingtalk_part(boxes(&h.state, user).await), dingtalk_part(expected), "{user}");
    }
}

#[tokio::test]
async fn inbox_views_make_no_dingtalk_call() {
    let h = start(&[]).await;
    let token = h.login(ORIGINATOR).await;
    let approver = h.login(FIRST).await;
    let submitted = h.submit(&token, "key-metrics-00001", &general("办公用品")).await;
    for event in h.events().await {
        index::apply(&h.state, &event).await.unwrap();
    }
    let before = h.dingtalk_calls().await;
    let metrics_before = h.http.get(format!("{}/metrics", h.base)).send().await.unwrap().text().await.unwrap();
    for t in [&token, &approver] {
        for query in ["box=todo", "box=done", "box=mine", "box=cc", "box=mine&q=办公&status=running&from=2020-01-01"]
        {
            h.inbox(t, query).await;
        }
        h.counts(t).await;
    }
    assert_eq!(h.dingtalk_calls().await, before, "the emulator saw no call");
    let metrics_after = h.http.get(format!("{}/metrics", h.base)).send().await.unwrap().text().await.unwrap();
    let calls = |text: &str| {
        text.lines().filter(|l| l.starts_with("shenpi_dingtalk_calls_total")).map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(calls(&metrics_after), calls(&metrics_before), "our own count agrees");
    assert!(!calls(&metrics_before).is_empty(), "the submission's calls were counted, so the count is live");
    let todo = h.inbox(&approver, "box=todo").await;
    assert_eq!(todo.items[0].instance_id, submitted.instance_id);
}

#[tokio::test]
async fn filters_narrow_and_pages_neither_repeat_nor_lose_items() {
    let h = start(&[]).await;
    let token = h.login(ORIGINATOR).await;
    let mut instances = Vec::new();
    for n in 0..7 {
        let subject = if n % 3 == 0 { format!("差旅报销 {n}") } else { format!("采购 {n}") };
        let r = h.submit(&token, &format!("key-page-{n:08}"), &general(&subject)).await;
        instances.push(r.instance_id.unwrap());
    }
    h.act(FIRST, &instances[1], Act::Refuse).await;
    for event in h.events().await {
        index::apply(&h.state, &event).await.unwrap();
    }
    // Pages of 3: every instance exactly once, newest first.
    let mut seen = Vec::new();
    let mut query = "box=mine&limit=3".to_owned();
    loop {
        let page = h.inbox(&token, &query).await;
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|i| i.instance_id.clone().unwrap()));
        match page.next_cursor {
            Some(cursor) => query = format!("box=mine&limit=3&cursor={cursor}"),
            None => break,
        }
    }
    let mut newest_first = instances.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    // The keyword matches the form text (read from DingTalk once per instance), the status and template filter.
    let travel = h.inbox(&token, "box=mine&q=差旅").await;
    assert_eq!(travel.items.len(), 3, "{travel:?}");
    let refused = h.inbox(&token, "box=mine&status=refused").await;
    assert_eq!(ids(&refused), [(instances[1].as_str(), RequestState::Refused)]);
    assert_eq!(h.inbox(&token, &format!("box=mine&process_code={GENERAL}")).await.items.len(), 7);
    assert!(h.inbox(&token, "box=mine&process_code=PROC-OTHER").await.items.is_empty());
    assert!(h.inbox(&token, "box=mine&to=2020-01-01").await.items.is_empty());
    assert_eq!(h.inbox(&token, "box=mine&from=2020-01-01").await.items.len(), 7);

    // Bad filters are a 400 with a message naming the parameter.
    for (query, words) in [
        ("", "box is required"),
        ("box=all", "box must be"),
        ("box=mine&status=pending", "status must be"),
        ("box=mine&from=last-week", "from must be"),
        ("box=mine&limit=500", "limit must be"),
        ("box=mine&cursor=%21%21", "cursor"),
    ] {
        let res = h.inbox_raw(&token, query).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
        let err: ApiError = res.json().await.unwrap();
        assert_eq!(err.code, ErrorCode::BadRequest);
        assert!(err.message.starts_with(words), "{query}: {}", err.message);
    }
    let res = h.http.get(format!("{}/api/inbox?box=mine", h.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_backfill_finds_instances_no_event_announced() {
    let h = start(&["--backfill-calls-per-min=1200", "--backfill-quiet-secs=1"]).await;
    let token = h.login(ORIGINATOR).await;
    let ours = h.submit(&token, "key-backfill-0001", &general("我们提交的")).await;
    // An instance started in DingTalk's own app: no request of ours, and no event applied.
    let start = dingtalk_client::workflow::StartInstance {
        process_code: GENERAL.into(),
        originator_user_id: ORIGINATOR.into(),
        form_component_values: vec![
            dingtalk_client::workflow::FormValue::new("事项名称", "钉钉里提交的"),
            dingtalk_client::workflow::FormValue::new("申请内容", "别处来的"),
        ],
        approvers: Some(vec![dingtalk_client::workflow::ApproverNode {
            action_type: dingtalk_client::workflow::ActionType::None,
            user_ids: vec![FIRST.into()],
        }]),
        ..Default::default()
    };
    let theirs = h.state.dingtalk.workflow().start_instance(&start).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let page = h.inbox(&token, "box=mine").await;
        let found = page.items.iter().find(|i| i.instance_id.as_deref() == Some(theirs.as_str()));
        let ours_read = page.items.iter().any(|i| i.instance_id == ours.instance_id && !i.title.is_empty());
        if let Some(item) = found
            && ours_read
        {
            assert_eq!((item.status, item.process_code.as_str()), (RequestState::Running, GENERAL));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the backfill did not find {theirs}: {page:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
