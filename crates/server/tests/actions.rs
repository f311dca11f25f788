//! The detail of an instance and the actions on it, end to end against the emulator: who may read and act, each
//! action showing in the timeline, and a double tap reaching DingTalk once.

use std::time::Duration;

use api_types::form::{FieldValue, FormValues};
use api_types::{
    ActionDone, ActionKind, ApprovalMode, ApprovalStep, Decision, ErrorCode, InstanceDetail, InstanceStatus,
    SubmitRequest, TimelineKind,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;

use common::{Harness, assert_api_error};
use dingtalk_emulator::limits::FaultRule;

const ORIGINATOR: &str = "zhangsan";
const APPROVER: &str = "lisi";
const CC: &str = "fe01";
const STRANGER: &str = "fe02";

/// A 通用审批 by `zhangsan`, approved by `lisi` alone and copied to `fe01`, delivered: its instance id.
async fn started(h: &Harness, token: &str) -> String {
    let body = SubmitRequest {
        process_code: "PROC-EMU-GENERAL".into(),
        dept_id: None,
        values: FormValues::new()
            .with("TextField-NPVG29PY", FieldValue::Text("采购显示器".into()))
            .with("TextareaField-3T6NCAZ7", FieldValue::Text("请批准。".into())),
        approvers: Some(vec![ApprovalStep { mode: ApprovalMode::Single, user_ids: vec![APPROVER.into()] }]),
        cc: Some(vec![CC.into()]),
        picks: None,
    };
    h.delivered(token, "submit-key-1", &body).await
}

async fn detail_res(h: &Harness, token: &str, id: &str) -> reqwest::Response {
    h.http.get(format!("{}/api/instances/{id}", h.base)).bearer_auth(token).send().await.unwrap()
}

async fn detail(h: &Harness, token: &str, id: &str) -> InstanceDetail {
    let res = detail_res(h, token, id).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn act(h: &Harness, token: &str, id: &str, key: &str, body: &Value) -> reqwest::Response {
    h.http
        .post(format!("{}/api/instances/{id}/actions", h.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn act_ok(h: &Harness, token: &str, id: &str, key: &str, body: &Value) -> ActionDone {
    let res = act(h, token, id, key, body).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// The approver's one running task on the instance.
fn task_of(d: &InstanceDetail, user: &str) -> i64 {
    d.pending.iter().find(|t| t.approver.user_id == user).expect("a pending task").task_id
}

/// How many times DingTalk's API at `path` was called (POST).
async fn calls(h: &Harness, path: &str) -> u64 {
    let counts = h.emu.control().calls().await.unwrap();
    counts.apis.iter().filter(|a| a.path == path && a.method == "POST").map(|a| a.month_calls).sum()
}

const EXECUTE: &str = "/v1.0/workflow/processInstances/execute";
const COMMENT: &str = "/v1.0/workflow/processInstances/comments";
const TERMINATE: &str = "/v1.0/workflow/processInstances/terminate";
const REDIRECT: &str = "/v1.0/workflow/tasks/redirect";
const USER_GET: &str = "/topapi/v2/user/get";

struct World {
    h: Harness,
    originator: String,
    approver: String,
    cc: String,
    stranger: String,
    id: String,
}

async fn world() -> World {
    world_with(&[]).await
}

/// A [`World`] whose server gets these arguments.
async fn world_with(extra: &[String]) -> World {
    let h = common::start_with(extra).await;
    let originator = h.session_for(ORIGINATOR).await;
    let approver = h.session_for(APPROVER).await;
    let cc = h.session_for(CC).await;
    let stranger = h.session_for(STRANGER).await;
    let id = started(&h, &originator).await;
    World { h, originator, approver, cc, stranger, id }
}

#[tokio::test]
async fn participants_read_the_detail_and_a_stranger_gets_not_found() {
    let w = world().await;
    let d = detail(&w.h, &w.originator, &w.id).await;
    assert_eq!(d.status, InstanceStatus::Running);
    assert_eq!(d.originator.person.user_id, ORIGINATOR);
    assert!(d.originator.person.name.is_some(), "the originator logged in, so shenpi knows their name");
    assert_eq!(d.process_code.as_deref(), Some("PROC-EMU-GENERAL"));
    let labels: Vec<_> = d.form.iter().map(|e| (e.label.as_str(), e.value.as_str())).collect();
    assert!(labels.iter().any(|(_, v)| *v == "采购显示器"), "{labels:?}");
    assert_eq!(d.timeline[0].kind, TimelineKind::Started);
    assert_eq!(d.cc.iter().map(|p| p.user_id.as_str()).collect::<Vec<_>>(), [CC]);
    let mine: Vec<_> = d.actions.iter().map(|a| a.action).collect();
    assert_eq!(mine, [ActionKind::Revoke, ActionKind::Comment]);

    let d = detail(&w.h, &w.approver, &w.id).await;
    let task = task_of(&d, APPROVER);
    let theirs: Vec<_> = d.actions.iter().map(|a| (a.action, a.task_id)).collect();
    assert_eq!(
        theirs,
        [
            (ActionKind::Approve, Some(task)),
            (ActionKind::Refuse, Some(task)),
            (ActionKind::Transfer, Some(task)),
            (ActionKind::Comment, None)
        ]
    );
    let d = detail(&w.h, &w.cc, &w.id).await;
    assert_eq!(d.actions.iter().map(|a| a.action).collect::<Vec<_>>(), [ActionKind::Comment]);

    assert_api_error(detail_res(&w.h, &w.stranger, &w.id).await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_api_error(detail_res(&w.h, &w.stranger, "no-such-id").await, StatusCode::NOT_FOUND, ErrorCode::NotFound)
        .await;
    let res = w.h.http.get(format!("{}/api/instances/{}", w.h.base, w.id)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_stranger_cannot_act_and_a_non_approver_cannot_approve() {
    let w = world().await;
    let task = task_of(&detail(&w.h, &w.approver, &w.id).await, APPROVER);
    let approve = json!({"action": "approve", "taskId": task});
    let res = act(&w.h, &w.stranger, &w.id, "stranger-key-1", &approve).await;
    assert_api_error(res, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let res = act(&w.h, &w.stranger, &w.id, "stranger-key-2", &json!({"action": "comment", "text": "hi"})).await;
    assert_api_error(res, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let res = act(&w.h, &w.cc, &w.id, "cc-key-0001", &approve).await;
    assert_api_error(res, StatusCode::FORBIDDEN, ErrorCode::ActionNotAllowed).await;
    let res = act(&w.h, &w.approver, &w.id, "approver-revoke", &json!({"action": "revoke"})).await;
    assert_api_error(res, StatusCode::FORBIDDEN, ErrorCode::ActionNotAllowed).await;
    assert_eq!(calls(&w.h, EXECUTE).await, 0);
    assert_eq!(detail(&w.h, &w.originator, &w.id).await.status, InstanceStatus::Running);
}

#[tokio::test]
async fn approving_ends_the_instance_and_shows_in_the_timeline_and_a_done_task_cannot_be_acted_on_again() {
    let w = world().await;
    let task = task_of(&detail(&w.h, &w.approver, &w.id).await, APPROVER);
    let done = act_ok(
        &w.h,
        &w.approver,
        &w.id,
        "approve-key-1",
        &json!({"action": "approve", "taskId": task, "remark": "同意"}),
    )
    .await;
    assert_eq!((done.action, done.task_id), (ActionKind::Approve, Some(task)));
    let d = detail(&w.h, &w.originator, &w.id).await;
    assert_eq!(d.status, InstanceStatus::Approved);
    let entry = d.timeline.iter().find(|e| e.kind == TimelineKind::Executed).expect("an executed entry");
    assert_eq!(
        (entry.who.user_id.as_str(), entry.result, entry.remark.as_deref()),
        (APPROVER, Some(Decision::Agree), Some("同意"))
    );
    assert!(d.pending.is_empty());
    let res = act(&w.h, &w.approver, &w.id, "refuse-key-1", &json!({"action": "refuse", "taskId": task})).await;
    assert_api_error(res, StatusCode::CONFLICT, ErrorCode::TaskDone).await;
    assert_eq!(calls(&w.h, EXECUTE).await, 1);
}

#[tokio::test]
async fn refusing_ends_the_instance_refused() {
    let w = world().await;
    let task = task_of(&detail(&w.h, &w.approver, &w.id).await, APPROVER);
    act_ok(
        &w.h,
        &w.approver,
        &w.id,
        "refuse-key-1",
        &json!({"action": "refuse", "taskId": task, "remark": "预算不足"}),
    )
    .await;
    let d = detail(&w.h, &w.cc, &w.id).await;
    assert_eq!(d.status, InstanceStatus::Refused);
    let entry = d.timeline.iter().find(|e| e.kind == TimelineKind::Executed).expect("an executed entry");
    assert_eq!((entry.result, entry.remark.as_deref()), (Some(Decision::Refuse), Some("预算不足")));
}

#[tokio::test]
async fn transferring_hands_the_task_over_and_the_new_approver_can_act() {
    let w = world().await;
    let task = task_of(&detail(&w.h, &w.approver, &w.id).await, APPROVER);
    let body = json!({"action": "transfer", "taskId": task, "toUserId": STRANGER, "remark": "请代批"});
    act_ok(&w.h, &w.approver, &w.id, "transfer-key-1", &body).await;
    let d = detail(&w.h, &w.stranger, &w.id).await;
    assert!(d.timeline.iter().any(|e| e.kind == TimelineKind::Transferred && e.who.user_id == APPROVER));
    let new_task = task_of(&d, STRANGER);
    assert_ne!(new_task, task);
    // The former approver still takes part (they may read it), but has nothing to approve any more.
    let before = detail(&w.h, &w.approver, &w.id).await;
    assert_eq!(before.actions.iter().map(|a| a.action).collect::<Vec<_>>(), [ActionKind::Comment]);
    act_ok(&w.h, &w.stranger, &w.id, "approve-key-2", &json!({"action": "approve", "taskId": new_task})).await;
    assert_eq!(detail(&w.h, &w.originator, &w.id).await.status, InstanceStatus::Approved);
    let res = act(
        &w.h,
        &w.approver,
        &w.id,
        "transfer-key-9",
        &json!({"action": "transfer", "taskId": STRANGER.len(), "toUserId": CC}),
    )
    .await;
    assert_api_error(res, StatusCode::FORBIDDEN, ErrorCode::ActionNotAllowed).await;
}

#[tokio::test]
async fn revoking_is_refused_within_fifteen_seconds_then_works_after() {
    let w = world().await;
    let revoke = json!({"action": "revoke", "reason": "不需要了"});
    let res = act(&w.h, &w.originator, &w.id, "revoke-key-1", &revoke).await;
    assert_api_error(res, StatusCode::CONFLICT, ErrorCode::RevokeTooSoon).await;
    // The same key answers the first answer; a new key tries again.
    let res = act(&w.h, &w.originator, &w.id, "revoke-key-1", &revoke).await;
    assert_api_error(res, StatusCode::CONFLICT, ErrorCode::RevokeTooSoon).await;
    w.h.emu.control().advance_clock(Duration::from_secs(16)).await.unwrap();
    act_ok(&w.h, &w.originator, &w.id, "revoke-key-2", &revoke).await;
    let d = detail(&w.h, &w.approver, &w.id).await;
    assert_eq!(d.status, InstanceStatus::Revoked);
    let entry = d.timeline.iter().find(|e| e.kind == TimelineKind::Revoked).expect("a revoked entry");
    assert_eq!((entry.who.user_id.as_str(), entry.remark.as_deref()), (ORIGINATOR, Some("不需要了")));
    assert!(d.actions.iter().all(|a| a.action == ActionKind::Comment));
}

#[tokio::test]
async fn any_participant_comments_once_per_key() {
    let w = world().await;
    act_ok(&w.h, &w.cc, &w.id, "comment-key-1", &json!({"action": "comment", "text": "我也看看"})).await;
    act_ok(&w.h, &w.cc, &w.id, "comment-key-1", &json!({"action": "comment", "text": "我也看看"})).await;
    let res = act(&w.h, &w.cc, &w.id, "comment-key-1", &json!({"action": "comment", "text": "改了"})).await;
    assert_api_error(res, StatusCode::CONFLICT, ErrorCode::IdempotencyConflict).await;
    let d = detail(&w.h, &w.originator, &w.id).await;
    let comments: Vec<_> = d.timeline.iter().filter(|e| e.kind == TimelineKind::Commented).collect();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!((comments[0].who.user_id.as_str(), comments[0].remark.as_deref()), (CC, Some("我也看看")));
}

#[tokio::test]
async fn a_double_tap_reaches_dingtalk_once_with_the_same_key_or_a_new_one() {
    let w = world().await;
    let task = task_of(&detail(&w.h, &w.approver, &w.id).await, APPROVER);
    let approve = json!({"action": "approve", "taskId": task});
    let (a, b, c) = tokio::join!(
        act(&w.h, &w.approver, &w.id, "double-tap-1", &approve),
        act(&w.h, &w.approver, &w.id, "double-tap-1", &approve),
        act(&w.h, &w.approver, &w.id, "double-tap-2", &approve),
    );
    let mut answers = Vec::new();
    for res in [a, b, c] {
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
        answers.push(res.json::<ActionDone>().await.unwrap());
    }
    assert!(answers.iter().all(|x| *x == answers[0]), "{answers:?}");
    let later = act_ok(&w.h, &w.approver, &w.id, "double-tap-3", &approve).await;
    assert_eq!(later, answers[0]);
    assert_eq!(calls(&w.h, EXECUTE).await, 1);
    let d = detail(&w.h, &w.originator, &w.id).await;
    assert_eq!(d.timeline.iter().filter(|e| e.kind == TimelineKind::Executed).count(), 1);
}

/// A world whose server gives DingTalk 1 s before it stops waiting.
async fn impatient_world() -> World {
    world_with(&["--dingtalk-timeout-ms=1000".to_owned()]).await
}

/// Makes the next POST to `path` carry the call out, then hold its answer past the server's 1 s timeout and drop
/// it: the server cannot know the action was done.
async fn commit_then_time_out_next(h: &Harness, path: &str) {
    let rule = FaultRule {
        method: Some("POST".into()),
        commit_then_timeout_ms: Some(3_000),
        times: Some(1),
        ..FaultRule::on(path)
    };
    h.emu.control().add_fault(&rule).await.unwrap();
}

/// Makes the next POST to `path` wait past the server's 1 s timeout before DingTalk even looks at it; the server
/// gives up first, so the call is never carried out.
async fn time_out_before_next(h: &Harness, path: &str) {
    let rule = FaultRule { method: Some("POST".into()), latency_ms: 3_000, times: Some(1), ..FaultRule::on(path) };
    h.emu.control().add_fault(&rule).await.unwrap();
}

#[tokio::test]
async fn an_approval_that_commits_then_times_out_answers_503_and_the_retry_finds_it_done_without_sending_again() {
    let w = impatient_world().await;
    let task = task_of(&detail(&w.h, &w.approver, &w.id).await, APPROVER);
    let approve = json!({"action": "approve", "taskId": task, "remark": "同意"});
    commit_then_time_out_next(&w.h, EXECUTE).await;
    let res = act(&w.h, &w.approver, &w.id, "timeout-key-1", &approve).await;
    assert_api_error(res, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::DingTalkUnavailable).await;
    assert_eq!(calls(&w.h, EXECUTE).await, 1, "DingTalk carried the approval out");

    let done = act_ok(&w.h, &w.approver, &w.id, "timeout-key-1", &approve).await;
    assert_eq!((done.action, done.task_id), (ActionKind::Approve, Some(task)));
    // A double tap with a new key after the timeout gets the same answer.
    assert_eq!(act_ok(&w.h, &w.approver, &w.id, "timeout-key-2", &approve).await, done);
    assert_eq!(calls(&w.h, EXECUTE).await, 1, "the retries looked the task up instead of executing it again");
    let d = detail(&w.h, &w.originator, &w.id).await;
    assert_eq!(d.status, InstanceStatus::Approved);
    assert_eq!(d.timeline.iter().filter(|e| e.kind == TimelineKind::Executed).count(), 1);
}

#[tokio::test]
async fn an_approval_that_times_out_before_dingtalk_took_it_is_sent_once_on_the_retry() {
    let w = impatient_world().await;
    let task = task_of(&detail(&w.h, &w.approver, &w.id).await, APPROVER);
    let approve = json!({"action": "approve", "taskId": task});
    time_out_before_next(&w.h, EXECUTE).await;
    let res = act(&w.h, &w.approver, &w.id, "slow-key-1", &approve).await;
    assert_api_error(res, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::DingTalkUnavailable).await;
    assert_eq!(calls(&w.h, EXECUTE).await, 0, "the slow call never reached the approval engine");
    assert_eq!(detail(&w.h, &w.originator, &w.id).await.status, InstanceStatus::Running);

    act_ok(&w.h, &w.approver, &w.id, "slow-key-1", &approve).await;
    // Let the abandoned call, had it lived on, land before counting.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(calls(&w.h, EXECUTE).await, 1);
    let d = detail(&w.h, &w.originator, &w.id).await;
    assert_eq!(d.status, InstanceStatus::Approved);
    assert_eq!(d.timeline.iter().filter(|e| e.kind == TimelineKind::Executed).count(), 1);
}

#[tokio::test]
async fn a_comment_that_commits_then_times_out_is_found_on_the_retry_and_not_posted_twice() {
    let w = impatient_world().await;
    let comment = json!({"action": "comment", "text": "请尽快处理"});
    commit_then_time_out_next(&w.h, COMMENT).await;
    let res = act(&w.h, &w.cc, &w.id, "comment-timeout-1", &comment).await;
    assert_api_error(res, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::DingTalkUnavailable).await;
    assert_eq!(calls(&w.h, COMMENT).await, 1);

    let done = act_ok(&w.h, &w.cc, &w.id, "comment-timeout-1", &comment).await;
    assert_eq!((done.action, done.task_id), (ActionKind::Comment, None));
    assert_eq!(calls(&w.h, COMMENT).await, 1, "the retry found the comment instead of posting it again");
    let d = detail(&w.h, &w.originator, &w.id).await;
    let comments: Vec<_> = d.timeline.iter().filter(|e| e.kind == TimelineKind::Commented).collect();
    assert_eq!(comments.len(), 1, "{comments:?}");
}

#[tokio::test]
async fn a_comment_that_times_out_before_dingtalk_took_it_is_posted_once_on_the_retry() {
    let w = impatient_world().await;
    let comment = json!({"action": "comment", "text": "补充说明"});
    time_out_before_next(&w.h, COMMENT).await;
    let res = act(&w.h, &w.cc, &w.id, "comment-slow-1", &comment).await;
    assert_api_error(res, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::DingTalkUnavailable).await;

    act_ok(&w.h, &w.cc, &w.id, "comment-slow-1", &comment).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(calls(&w.h, COMMENT).await, 1);
    let d = detail(&w.h, &w.originator, &w.id).await;
    assert_eq!(d.timeline.iter().filter(|e| e.kind == TimelineKind::Commented).count(), 1);
}

#[tokio::test]
async fn a_transfer_to_someone_outside_the_organisation_or_to_oneself_is_refused_without_reaching_dingtalk() {
    let w = world().await;
    let task = task_of(&detail(&w.h, &w.approver, &w.id).await, APPROVER);
    let transfer = |to: &str| json!({"action": "transfer", "taskId": task, "toUserId": to});
    let lookups = calls(&w.h, USER_GET).await;
    for (key, to) in [("transfer-nobody", "nobody-here"), ("transfer-former", "former01")] {
        let res = act(&w.h, &w.approver, &w.id, key, &transfer(to)).await;
        assert_api_error(res, StatusCode::BAD_REQUEST, ErrorCode::TransferTargetInvalid).await;
    }
    assert_eq!(calls(&w.h, USER_GET).await, lookups + 2, "one lookup per transfer");
    // Oneself is refused from the instance alone, as DingTalk's app refuses it.
    let res = act(&w.h, &w.approver, &w.id, "transfer-myself", &transfer(APPROVER)).await;
    assert_api_error(res, StatusCode::BAD_REQUEST, ErrorCode::TransferTargetInvalid).await;
    assert_eq!(calls(&w.h, USER_GET).await, lookups + 2);
    assert_eq!(calls(&w.h, REDIRECT).await, 0);
    // Nothing was recorded: the task is still the approver's, and a valid transfer (to the originator, whom
    // DingTalk lets approve) goes through, even under a key a refused try used.
    let d = detail(&w.h, &w.approver, &w.id).await;
    assert_eq!(task_of(&d, APPROVER), task);
    act_ok(&w.h, &w.approver, &w.id, "transfer-nobody", &transfer(ORIGINATOR)).await;
    assert_eq!(calls(&w.h, REDIRECT).await, 1);
    let d = detail(&w.h, &w.originator, &w.id).await;
    assert!(d.pending.iter().any(|t| t.approver.user_id == ORIGINATOR), "{:?}", d.pending);
}

#[tokio::test]
async fn a_transfer_or_revoke_that_commits_then_times_out_is_found_done_on_the_retry() {
    let w = impatient_world().await;
    let task = task_of(&detail(&w.h, &w.approver, &w.id).await, APPROVER);
    let transfer = json!({"action": "transfer", "taskId": task, "toUserId": STRANGER});
    commit_then_time_out_next(&w.h, REDIRECT).await;
    let res = act(&w.h, &w.approver, &w.id, "transfer-timeout", &transfer).await;
    assert_api_error(res, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::DingTalkUnavailable).await;
    act_ok(&w.h, &w.approver, &w.id, "transfer-timeout", &transfer).await;
    assert_eq!(calls(&w.h, REDIRECT).await, 1);
    assert!(task_of(&detail(&w.h, &w.stranger, &w.id).await, STRANGER) != task);

    w.h.emu.control().advance_clock(Duration::from_secs(16)).await.unwrap();
    let revoke = json!({"action": "revoke"});
    commit_then_time_out_next(&w.h, TERMINATE).await;
    let res = act(&w.h, &w.originator, &w.id, "revoke-timeout", &revoke).await;
    assert_api_error(res, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::DingTalkUnavailable).await;
    act_ok(&w.h, &w.originator, &w.id, "revoke-timeout", &revoke).await;
    assert_eq!(calls(&w.h, TERMINATE).await, 1);
    assert_eq!(detail(&w.h, &w.originator, &w.id).await.status, InstanceStatus::Revoked);
}
