//! Submitting approval requests end to end: a real server (with its outbox worker) over a SQLite file, talking to
//! the emulator in-process. Each request must reach DingTalk exactly once, whatever the network does.

use std::time::Duration;

use api_types::form::{FieldErrorCode, FormValues};
use api_types::{
    ApiError, ApprovalMode, ApprovalStep, ErrorCode, RequestState, Session, SubmitRequest, SubmittedRequest,
};
use clap::Parser;
use dingtalk_emulator::Emulator;
use dingtalk_emulator::limits::FaultRule;
use reqwest::StatusCode;
use shenpi_server::{AppState, Config};

mod common;

use common::db::TestDb;
use common::general_request as general;

const GENERAL: &str = "PROC-EMU-GENERAL";
const CREATE_PATH: &str = "/v1.0/workflow/processInstances";

struct Harness {
    emu: Emulator,
    base: String,
    http: reqwest::Client,
    _server: common::Running,
    _db: TestDb,
}

/// The server over a SQLite file with a 1 s DingTalk timeout and 50 ms outbox backoff, so retries happen within a
/// test.
async fn start() -> Harness {
    start_on(TestDb::sqlite()).await
}

/// [`start`] over the database `db`.
async fn start_on(db: TestDb) -> Harness {
    let emu = Emulator::start().await.unwrap();
    let org = emu.org();
    let config = Config::try_parse_from([
        "shenpi-server".to_owned(),
        format!("--database-url={}", db.url),
        "--dist-dir=/nonexistent".to_owned(),
        format!("--corp-id={}", org.corp.corp_id),
        format!("--agent-id={}", org.app.agent_id),
        format!("--app-key={}", org.app.app_key),
        format!("--app-secret={}", org.app.app_secret),
        format!("--oapi-url={}", emu.uri()),
        format!("--api-url={}", emu.uri()),
        "--dingtalk-timeout-ms=1000".to_owned(),
        "--outbox-backoff-ms=50".to_owned(),
        "--outbox-poll-ms=50".to_owned(),
    ])
    .unwrap();
    let server = common::serve(AppState::from_config(&config).await.unwrap()).await;
    Harness { emu, base: server.base.clone(), http: reqwest::Client::new(), _server: server, _db: db }
}

impl Harness {
    /// Logs `user_id` in and returns the session token.
    async fn login(&self, user_id: &str) -> String {
        let code = self.emu.control().auth_code(user_id).await.unwrap();
        let res = self
            .http
            .post(format!("{}/api/session", self.base))
            .json(&serde_json::json!({ "authCode": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<Session>().await.unwrap().token
    }

    async fn submit(&self, token: &str, key: &str, body: &SubmitRequest) -> reqwest::Response {
        self.http
            .post(format!("{}/api/requests", self.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Submits and expects 202.
    async fn accepted(&self, token: &str, key: &str, body: &SubmitRequest) -> SubmittedRequest {
        let res = self.submit(token, key, body).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        res.json().await.unwrap()
    }

    async fn get(&self, token: &str, id: &str) -> reqwest::Response {
        self.http.get(format!("{}/api/requests/{id}", self.base)).bearer_auth(token).send().await.unwrap()
    }

    /// Polls the request until it leaves `queued`, for at most `within`.
    async fn settled(&self, token: &str, id: &str, within: Duration) -> SubmittedRequest {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let r: SubmittedRequest = self.get(token, id).await.json().await.unwrap();
            if r.state != RequestState::Queued {
                return r;
            }
            assert!(tokio::time::Instant::now() < deadline, "request {id} still queued");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Makes the next create call commit, then hold its answer past the server's 1 s timeout and drop it.
    async fn commit_then_time_out_next_create(&self) {
        let rule = FaultRule {
            method: Some("POST".into()),
            commit_then_timeout_ms: Some(3_000),
            times: Some(1),
            ..FaultRule::on(CREATE_PATH)
        };
        self.emu.control().add_fault(&rule).await.unwrap();
    }

    /// The ids of every instance in the emulator.
    async fn instance_ids(&self) -> Vec<String> {
        self.emu.control().instances(None).await.unwrap().into_iter().map(|i| i.process_instance_id).collect()
    }
}

#[tokio::test]
async fn a_submission_is_queued_then_delivered_once_and_runs() {
    let h = start().await;
    let token = h.login("zhangsan").await;
    let queued = h.accepted(&token, "key-first-1", &general("采购显示器")).await;
    assert_eq!((queued.state, queued.instance_id.as_deref()), (RequestState::Queued, None));

    let done = h.settled(&token, &queued.id, Duration::from_secs(10)).await;
    assert_eq!(done.state, RequestState::Running, "{done:?}");
    assert_eq!(h.instance_ids().await, [done.instance_id.clone().expect("an instance id")]);
    let summary = &h.emu.control().instances(None).await.unwrap()[0];
    assert_eq!((summary.process_code.as_str(), summary.originator_user_id.as_str()), (GENERAL, "zhangsan"));
}

#[tokio::test]
async fn the_same_key_twice_gives_one_instance_and_the_same_request() {
    let h = start().await;
    let token = h.login("zhangsan").await;
    let first = h.accepted(&token, "key-twice-1", &general("团建")).await;
    let second = h.accepted(&token, "key-twice-1", &general("团建")).await;
    assert_eq!(second.id, first.id);
    let done = h.settled(&token, &first.id, Duration::from_secs(10)).await;
    let third = h.accepted(&token, "key-twice-1", &general("团建")).await;
    assert_eq!(third, done, "after delivery the key answers the request's current state");
    // Give a second send, if there were one, time to land.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.instance_ids().await.len(), 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_conflict() {
    let h = start().await;
    let token = h.login("zhangsan").await;
    h.accepted(&token, "key-conflict", &general("团建")).await;
    let res = h.submit(&token, "key-conflict", &general("聚餐")).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(res.json::<ApiError>().await.unwrap().code, ErrorCode::IdempotencyConflict);
    // Another person's identical key is theirs alone.
    let other = h.login("lisi").await;
    h.accepted(&other, "key-conflict", &general("聚餐")).await;
}

#[tokio::test]
async fn a_create_that_commits_then_times_out_is_adopted_not_sent_again() {
    commit_then_timeout_is_adopted(start().await).await;
}

#[tokio::test]
async fn on_postgres_a_create_that_commits_then_times_out_is_adopted_not_sent_again() {
    if let Some(db) = TestDb::postgres().await {
        commit_then_timeout_is_adopted(start_on(db).await).await;
    }
}

async fn commit_then_timeout_is_adopted(h: Harness) {
    h.commit_then_time_out_next_create().await;
    let token = h.login("zhangsan").await;
    let queued = h.accepted(&token, "key-timeout-1", &general("出差")).await;
    let done = h.settled(&token, &queued.id, Duration::from_secs(15)).await;
    assert_eq!(done.state, RequestState::Running, "{done:?}");
    let ids = h.instance_ids().await;
    assert_eq!(ids, [done.instance_id.clone().expect("the adopted instance")], "exactly one instance");
}

#[tokio::test]
async fn three_hundred_submissions_under_thirty_percent_failures_each_reach_dingtalk_once() {
    let h = start().await;
    h.emu.control().seed_faults(20261122).await.unwrap();
    h.emu
        .control()
        .add_fault(&FaultRule { method: Some("POST".into()), error_rate: 0.3, ..FaultRule::on(CREATE_PATH) })
        .await
        .unwrap();
    let token = h.login("zhangsan").await;
    // A few hundred: the client keeps DingTalk's pace (15 creates a second), so this takes about half a minute.
    const SUBMISSIONS: usize = 300;
    let mut ids = Vec::new();
    for i in 0..SUBMISSIONS {
        ids.push(h.accepted(&token, &format!("key-bulk-{i:04}"), &general(&format!("事项 {i}"))).await.id);
    }
    let mut instances = Vec::new();
    for id in &ids {
        let done = h.settled(&token, id, Duration::from_secs(60)).await;
        assert_eq!(done.state, RequestState::Running, "{done:?}");
        instances.push(done.instance_id.expect("an instance id"));
    }
    let mut in_dingtalk = h.instance_ids().await;
    in_dingtalk.sort();
    instances.sort();
    assert_eq!(in_dingtalk.len(), SUBMISSIONS);
    assert_eq!(in_dingtalk, instances, "one instance per request, no extra");
}

#[tokio::test]
async fn a_bad_form_value_is_refused_naming_the_field() {
    let h = start().await;
    let token = h.login("zhangsan").await;
    let mut body = general("x");
    body.values.remove("TextField-NPVG29PY");
    let res = h.submit(&token, "key-bad-form", &body).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let err: ApiError = res.json().await.unwrap();
    assert_eq!(err.code, ErrorCode::FormInvalid);
    assert_eq!(err.fields.len(), 1, "{err:?}");
    assert_eq!((err.fields[0].field_id.as_str(), err.fields[0].code), ("TextField-NPVG29PY", FieldErrorCode::Required));
    assert!(h.instance_ids().await.is_empty());
}

#[tokio::test]
async fn a_request_needs_a_sane_key_and_is_visible_only_to_its_owner() {
    let h = start().await;
    let token = h.login("zhangsan").await;
    for key in ["", "short", &"k".repeat(129), "has space inside"] {
        let res = h.submit(&token, key, &general("x")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "key {key:?}");
    }
    let mine = h.accepted(&token, "key-owner-1", &general("x")).await;
    let other = h.login("lisi").await;
    assert_eq!(h.get(&other, &mine.id).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(h.get(&token, "no-such-request").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(h.get(&token, &mine.id).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_create_dingtalk_refuses_fails_with_its_reason_and_is_not_retried() {
    let h = start().await;
    let token = h.login("zhangsan").await;
    let mut body = general("请假");
    body.process_code = "PROC-EMU-NO-SUCH".into();
    let res = h.submit(&token, "key-no-template", &body).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<ApiError>().await.unwrap().code, ErrorCode::TemplateNotFound);

    let mut body = general("请假");
    body.approvers = Some(vec![ApprovalStep { mode: ApprovalMode::Single, user_ids: vec!["nobody-here".into()] }]);
    let queued = h.accepted(&token, "key-refused-1", &body).await;
    let done = h.settled(&token, &queued.id, Duration::from_secs(10)).await;
    assert_eq!((done.state, done.instance_id.as_deref()), (RequestState::Failed, None), "{done:?}");
    let failure = done.failure.expect("a reason");
    assert_eq!(failure.code, ErrorCode::DingTalkRejected);
    assert!(failure.message.contains("nobody-here"), "DingTalk's message is kept: {failure:?}");
    assert!(h.instance_ids().await.is_empty());
}

#[tokio::test]
async fn every_seeded_template_s_form_is_read_through_the_client() {
    let h = start().await;
    let token = h.login("zhangsan").await;
    for code in ["PROC-EMU-LEAVE", "PROC-EMU-EXPENSE", "PROC-EMU-PURCHASE", GENERAL] {
        let body = SubmitRequest { values: FormValues::new(), ..general("x") };
        let body = SubmitRequest { process_code: code.into(), ..body };
        let res = h.submit(&token, &format!("key-empty-{code}"), &body).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{code}");
        let err: ApiError = res.json().await.unwrap();
        assert_eq!(err.code, ErrorCode::FormInvalid, "{code}: {err:?}");
        assert!(err.fields.iter().all(|f| f.code == FieldErrorCode::Required), "{code}: {err:?}");
    }
}

#[tokio::test]
async fn the_lookup_after_a_timeout_never_adopts_another_request_s_instance() {
    let h = start().await;
    let token = h.login("zhangsan").await;
    // Two requests with the same form: the first goes through, the second's create commits but is not answered.
    let first = h.accepted(&token, "key-same-form-1", &general("同一事项")).await;
    let first = h.settled(&token, &first.id, Duration::from_secs(10)).await;
    h.commit_then_time_out_next_create().await;
    let second = h.accepted(&token, "key-same-form-2", &general("同一事项")).await;
    let second = h.settled(&token, &second.id, Duration::from_secs(15)).await;
    assert_eq!(second.state, RequestState::Running, "{second:?}");
    assert_ne!(second.instance_id, first.instance_id, "each request has its own instance");
    let mut ids = h.instance_ids().await;
    ids.sort();
    let mut ours = vec![first.instance_id.unwrap(), second.instance_id.unwrap()];
    ours.sort();
    assert_eq!(ids, ours);
}
