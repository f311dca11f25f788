//! One approval instance for its participants: `GET /api/instances/{id}` shows it as DingTalk's 审批 app does
//! (form, timeline, pending tasks, CC, what the caller may do), and `POST /api/instances/{id}/actions` approves,
//! refuses, transfers, revokes or comments, each reaching DingTalk exactly once.
//!
//! Only the originator, an approver of any of its tasks (past or present) and the people copied may see an instance
//! or act on it; anyone else gets `not_found`, so the answer does not reveal that it exists. The detail is read from
//! DingTalk on every view (one `get_instance`), without a cache: it is the page people act from, and a cached task
//! list would offer actions on tasks that are already done.
//!
//! Exactly once: an action is recorded (by user and `Idempotency-Key`, with its body's hash) before it is sent, and
//! a task action also claims its task, so a double tap — the same key again, concurrently or later, or a new key
//! on the same task with the same body — is sent once and every tap gets the first answer. A different body under
//! the same key is `idempotency_conflict`; a different action on a task already acted on is `task_done`. A send
//! that surely did not reach DingTalk forgets the record (the key can be tried again); a send whose outcome is
//! unknown (a timeout) leaves it pending, and the next try looks the instance up before sending again.
//!
//! A transfer is checked before it is recorded, as DingTalk's app checks it: not to the approver themselves, not to
//! someone already approving the step, and only to an active member of the organisation (one `user/get`).

use std::collections::HashMap;
use std::time::Duration;

use api_types::{
    ActionDone, ActionKind, AllowedAction, ApiError, Decision, ErrorCode, FormEntry, InstanceAction, InstanceDetail,
    InstanceStatus, Originator, PendingTask, Person, RequestFailure, TimelineEntry, TimelineKind,
};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use dingtalk_client::Error as DtError;
use dingtalk_client::workflow::{
    self as wf, AddComment, ExecuteTask, Instance, OperationType, RedirectTask, TaskResult, TaskStatus,
    TerminateInstance,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{CurrentUser, now_ms};
use crate::error::{AppError, Json};
use crate::requests::idempotency_key;
use crate::store::{ActionBegin, ActionFate, ActionState, NewAction, StoredAction};

/// How long a request sending an action holds it; others with the same key or task wait this long at most.
const LEASE: Duration = Duration::from_secs(60);
/// How often a waiting request reads the action again.
const POLL: Duration = Duration::from_millis(100);
/// The longest remark, reason or comment DingTalk takes.
const MAX_TEXT: usize = InstanceAction::MAX_TEXT;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(detail)).routes(routes!(act))
}

/// `GET /api/instances/{id}`: the instance as its participants see it.
#[utoipa::path(get, path = "/instances/{id}", tag = "instances", security(("session" = [])),
    params(("id" = String, Path, description = "DingTalk's processInstanceId")),
    responses(
        (status = 200, body = InstanceDetail),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 404, body = ApiError, description = "`not_found`: no such instance, or the caller takes no part in it"),
        (status = 502, body = ApiError, description = "`permission_missing` or `ding_talk_rejected`"),
        (status = 503, body = ApiError, description = "DingTalk did not answer"),
))]
pub async fn detail(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<InstanceDetail>, AppError> {
    let instance = participant_view(&state, &id, &user.user_id).await?;
    Ok(Json(build_detail(&state, &id, &instance, &user.user_id).await?))
}

/// `POST /api/instances/{id}/actions`: one action, exactly once per `Idempotency-Key` and per task.
#[utoipa::path(post, path = "/instances/{id}/actions", tag = "instances", security(("session" = [])),
    request_body = InstanceAction,
    params(
        ("id" = String, Path, description = "DingTalk's processInstanceId"),
        ("Idempotency-Key" = String, Header, description = "8 to 128 visible ASCII characters, new per action"),
    ),
    responses(
        (status = 200, body = ActionDone, description = "done (or, for a repeated key or a double tap, done before)"),
        (status = 400, body = ApiError, description = "`bad_request`, or `transfer_target_invalid`"),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 403, body = ApiError, description = "`action_not_allowed`: not the caller's task or instance"),
        (status = 404, body = ApiError, description = "`not_found`: no such instance, or the caller takes no part in it"),
        (status = 409, body = ApiError, description = "`idempotency_conflict`, `task_done` or `revoke_too_soon`"),
        (status = 502, body = ApiError, description = "`permission_missing` or `ding_talk_rejected`"),
        (status = 503, body = ApiError, description = "DingTalk did not answer; send again with the same key"),
))]
pub async fn act(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(action): Json<InstanceAction>,
) -> Result<Json<ActionDone>, AppError> {
    let key = idempotency_key(&headers)?;
    check_text(&action)?;
    let body = serde_json::to_string(&action).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let hash = hex::encode(Sha256::digest(format!("{id}\n{body}").as_bytes()));
    let me = &user.user_id;
    // A repeat is answered from the record, before DingTalk's current state (the task done) could refuse it.
    if let Some((stored, same_key)) = recorded(&state, me, &key, &action).await? {
        return replay(&state, stored, &hash, same_key).await;
    }
    let instance = participant_view(&state, &id, me).await?;
    if let Err(refused) = allowed(&instance, &action, me) {
        // A concurrent tap may have carried the action out since the record was read.
        return match recorded(&state, me, &key, &action).await? {
            Some((stored, same_key)) => replay(&state, stored, &hash, same_key).await,
            None => Err(refused),
        };
    }
    if let InstanceAction::Transfer { task_id, to_user_id, .. } = &action {
        check_transfer_target(&state, &instance, *task_id, to_user_id).await?;
    }
    let created_at = now_ms();
    let new = NewAction {
        user_id: me.clone(),
        idempotency_key: key.clone(),
        body_hash: hash.clone(),
        instance_id: id.clone(),
        task_id: action.task_id(),
        body,
        created_at,
        locked_until: created_at + LEASE.as_millis() as i64,
    };
    match state.store.begin_action(&new).await? {
        ActionBegin::Started => {
            let pending = Pending { user_id: me, key: &key, instance_id: &id, action: &action, created_at };
            send(&state, &pending, false).await.map(Json)
        }
        ActionBegin::SameKey(stored) => replay(&state, stored, &hash, true).await,
        ActionBegin::TaskTaken(stored) if stored.user_id == *me => replay(&state, stored, &hash, false).await,
        ActionBegin::TaskTaken(_) => Err(refusal(ErrorCode::TaskDone, "the task was already acted on")),
    }
}

/// The caller's recorded action under `key` (`true`), or else the caller's live action on the task `action`
/// names (`false`).
async fn recorded(
    state: &AppState,
    user_id: &str,
    key: &str,
    action: &InstanceAction,
) -> Result<Option<(StoredAction, bool)>, AppError> {
    if let Some(stored) = state.store.action(user_id, key).await? {
        return Ok(Some((stored, true)));
    }
    if let Some(task) = action.task_id()
        && let Some(stored) = state.store.task_action(task).await?
        && stored.user_id == user_id
    {
        return Ok(Some((stored, false)));
    }
    Ok(None)
}

/// Remarks, reasons and comments within DingTalk's limits; a transfer names someone.
fn check_text(action: &InstanceAction) -> Result<(), AppError> {
    let too_long = |t: &Option<String>| t.as_ref().is_some_and(|t| t.chars().count() > MAX_TEXT);
    let fits = match action {
        InstanceAction::Approve { remark, .. } | InstanceAction::Refuse { remark, .. } => !too_long(remark),
        InstanceAction::Transfer { remark, to_user_id, .. } => {
            !too_long(remark) && !to_user_id.trim().is_empty() && to_user_id.len() <= 64
        }
        InstanceAction::Revoke { reason } => !too_long(reason),
        InstanceAction::Comment { text } => !text.trim().is_empty() && text.chars().count() <= MAX_TEXT,
    };
    if fits {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "remarks, reasons and comments are at most {MAX_TEXT} characters; a comment and a transfer's userid are required"
        )))
    }
}

/// An action refused with `code`.
fn refusal(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::Action(RequestFailure { code, message: message.into() })
}

/// The instance, if `user_id` takes part in it; [`AppError::NotFound`] otherwise, and for an unknown id.
pub(crate) async fn participant_view(state: &AppState, id: &str, user_id: &str) -> Result<Instance, AppError> {
    if id.is_empty() || id.len() > 128 {
        return Err(AppError::NotFound);
    }
    let instance = state.dingtalk.workflow().get_instance(id).await.map_err(|e| match e.api_code() {
        Some(
            "processInstanceNotExist" | "aflowProcessInstNotExist" | "processInstanceIdError" | "invalidParameter",
        ) => AppError::NotFound,
        _ => e.into(),
    })?;
    if takes_part(&instance, user_id) { Ok(instance) } else { Err(AppError::NotFound) }
}

/// Whether `user_id` is the originator, an approver of any task, or copied.
fn takes_part(instance: &Instance, user_id: &str) -> bool {
    instance.originator_user_id == user_id
        || instance.tasks.iter().any(|t| t.user_id == user_id)
        || instance.cc_user_ids.iter().any(|u| u == user_id)
        || instance.operation_records.iter().any(|r| r.cc_user_ids.iter().any(|u| u == user_id))
}

/// Whether the instance still runs.
fn running(instance: &Instance) -> bool {
    instance.status == wf::InstanceStatus::Running
}

/// What `user_id` may do now.
fn allowed_actions(instance: &Instance, user_id: &str) -> Vec<AllowedAction> {
    let mut actions = Vec::new();
    if running(instance) {
        for task in instance.running_tasks().filter(|t| t.user_id == user_id) {
            for action in [ActionKind::Approve, ActionKind::Refuse, ActionKind::Transfer] {
                actions.push(AllowedAction { action, task_id: Some(task.task_id) });
            }
        }
        if instance.originator_user_id == user_id {
            actions.push(AllowedAction { action: ActionKind::Revoke, task_id: None });
        }
    }
    actions.push(AllowedAction { action: ActionKind::Comment, task_id: None });
    actions
}

/// Checks `action` against who the caller is and where the instance stands.
fn allowed(instance: &Instance, action: &InstanceAction, user_id: &str) -> Result<(), AppError> {
    if let Some(task_id) = action.task_id() {
        let task = instance.tasks.iter().find(|t| t.task_id == task_id && t.user_id == user_id);
        return match task {
            None => Err(refusal(ErrorCode::ActionNotAllowed, "this is not one of your tasks on this approval")),
            Some(t) if t.status != TaskStatus::Running || !running(instance) => {
                Err(refusal(ErrorCode::TaskDone, "the task was already acted on, transferred or cancelled"))
            }
            Some(_) => Ok(()),
        };
    }
    match action {
        InstanceAction::Revoke { .. } if instance.originator_user_id != user_id => {
            Err(refusal(ErrorCode::ActionNotAllowed, "only the originator may revoke an approval"))
        }
        InstanceAction::Revoke { .. } if !running(instance) => {
            Err(refusal(ErrorCode::TaskDone, "the approval has already ended"))
        }
        _ => Ok(()),
    }
}

/// Refuses, before anything is recorded or sent, a transfer DingTalk's app would not offer: to the approver
/// themselves, to someone already approving the same step, or to anyone who is not an active member of the
/// organisation (looked up with one `user/get`, since shenpi's users table knows only people who logged in).
async fn check_transfer_target(
    state: &AppState,
    instance: &Instance,
    task_id: i64,
    to_user_id: &str,
) -> Result<(), AppError> {
    let invalid = |message: &str| refusal(ErrorCode::TransferTargetInvalid, message);
    let task = instance.tasks.iter().find(|t| t.task_id == task_id);
    if task.is_some_and(|t| t.user_id == to_user_id) {
        return Err(invalid("a task cannot be transferred to its own approver"));
    }
    let step = task.and_then(|t| t.activity_id.as_deref());
    if step.is_some() && instance.running_tasks().any(|t| t.user_id == to_user_id && t.activity_id.as_deref() == step) {
        return Err(invalid("that person already approves this step"));
    }
    match state.dingtalk.user().get(to_user_id).await {
        Ok(user) if user.active => Ok(()),
        Ok(_) => Err(invalid("that person has not activated DingTalk")),
        Err(e) if matches!(e.api_code(), Some("33012" | "60121" | "40003")) => {
            Err(invalid("no one in the organisation has that userid"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The answer for a recorded action: its outcome, after waiting for (or taking over) a send still under way.
/// `same_key`: the caller sent the stored action's key (another body is then a key conflict); otherwise the stored
/// action holds the task the caller names (another body is then an action on a task already acted on).
async fn replay(
    state: &AppState,
    mut stored: StoredAction,
    hash: &str,
    same_key: bool,
) -> Result<Json<ActionDone>, AppError> {
    if stored.body_hash != hash {
        return Err(if same_key {
            AppError::IdempotencyConflict
        } else {
            refusal(ErrorCode::TaskDone, "the task was already acted on")
        });
    }
    let deadline = tokio::time::Instant::now() + LEASE;
    loop {
        let action: InstanceAction = serde_json::from_str(&stored.body)
            .map_err(|e| AppError::Store(crate::store::StoreError::Corrupt(format!("action body: {e}"))))?;
        match stored.state {
            ActionState::Done { at } => return Ok(Json(done(&stored.instance_id, &action, at))),
            ActionState::Refused(failure) => return Err(AppError::Action(failure)),
            ActionState::Pending { unknown_outcome, locked_until } => {
                let now = now_ms();
                if locked_until <= now
                    && state
                        .store
                        .lease_action(&stored.user_id, &stored.idempotency_key, now, now + LEASE.as_millis() as i64)
                        .await?
                {
                    let pending = Pending {
                        user_id: &stored.user_id,
                        key: &stored.idempotency_key,
                        instance_id: &stored.instance_id,
                        action: &action,
                        created_at: stored.created_at,
                    };
                    return send(state, &pending, unknown_outcome).await.map(Json);
                }
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(refusal(ErrorCode::DingTalkUnavailable, "the action is still being sent; try again"));
        }
        tokio::time::sleep(POLL).await;
        stored = match state.store.action(&stored.user_id, &stored.idempotency_key).await? {
            Some(s) => s,
            // The sender dropped it: DingTalk surely did not get it, and the caller may send it again.
            None => return Err(refusal(ErrorCode::DingTalkUnavailable, "DingTalk did not take the action; try again")),
        };
    }
}

/// A pending action the caller holds the lease of.
struct Pending<'a> {
    user_id: &'a str,
    key: &'a str,
    instance_id: &'a str,
    action: &'a InstanceAction,
    created_at: i64,
}

/// The answer for a carried-out action.
fn done(instance_id: &str, action: &InstanceAction, at: i64) -> ActionDone {
    ActionDone { instance_id: instance_id.to_owned(), action: action.kind(), task_id: action.task_id(), done_at: at }
}

/// Sends a leased pending action and records its fate. After an unknown outcome it first looks whether DingTalk
/// carried the action out already.
async fn send(state: &AppState, p: &Pending<'_>, unknown_outcome: bool) -> Result<ActionDone, AppError> {
    let store = &state.store;
    let workflow = state.dingtalk.workflow();
    let finish = |at: i64| async move {
        store.finish_action(p.user_id, p.key, &ActionFate::Done(at)).await?;
        tracing::info!(user_id = %p.user_id, instance_id = %p.instance_id, action = ?p.action.kind(), "action carried out");
        Ok::<_, AppError>(done(p.instance_id, p.action, at))
    };
    let mut was_running = true;
    if unknown_outcome {
        let instance = match workflow.get_instance(p.instance_id).await {
            Ok(i) => i,
            Err(e) => {
                store.retry_action(p.user_id, p.key, true).await?;
                return Err(e.into());
            }
        };
        if carried_out(&instance, p) {
            return finish(now_ms()).await;
        }
        was_running = running(&instance);
    }
    let sent = match p.action {
        InstanceAction::Approve { task_id, remark } | InstanceAction::Refuse { task_id, remark } => {
            let result =
                if p.action.kind() == ActionKind::Approve { wf::Decision::Agree } else { wf::Decision::Refuse };
            workflow
                .execute(&ExecuteTask {
                    process_instance_id: p.instance_id.to_owned(),
                    task_id: *task_id,
                    actioner_user_id: p.user_id.to_owned(),
                    result,
                    remark: remark.clone(),
                    file: None,
                })
                .await
        }
        InstanceAction::Transfer { task_id, to_user_id, remark } => {
            workflow
                .redirect(&RedirectTask {
                    task_id: *task_id,
                    to_user_id: to_user_id.clone(),
                    operate_user_id: p.user_id.to_owned(),
                    remark: remark.clone(),
                    action_name: Some("转交".into()),
                    file: None,
                })
                .await
        }
        InstanceAction::Revoke { reason } => {
            workflow
                .terminate(&TerminateInstance {
                    process_instance_id: p.instance_id.to_owned(),
                    is_system: false,
                    operating_user_id: Some(p.user_id.to_owned()),
                    remark: reason.clone(),
                })
                .await
        }
        InstanceAction::Comment { text } => {
            workflow
                .comment(&AddComment {
                    process_instance_id: p.instance_id.to_owned(),
                    text: text.clone(),
                    comment_user_id: p.user_id.to_owned(),
                    file: None,
                })
                .await
        }
    };
    let e = match sent {
        Ok(()) => return finish(now_ms()).await,
        Err(e) => e,
    };
    tracing::warn!(user_id = %p.user_id, instance_id = %p.instance_id, error = %e, "sending an action failed");
    match classify(&e, p.action.kind(), was_running) {
        Sent::Refused(failure) => {
            store.finish_action(p.user_id, p.key, &ActionFate::Refused(failure.clone())).await?;
            Err(AppError::Action(failure))
        }
        Sent::No => {
            store.drop_action(p.user_id, p.key).await?;
            Err(e.into())
        }
        Sent::Unknown => {
            store.retry_action(p.user_id, p.key, true).await?;
            Err(AppError::DingTalkUnavailable(e))
        }
    }
}

/// What a failed send means.
enum Sent {
    /// DingTalk refused it for good.
    Refused(RequestFailure),
    /// It surely did not reach DingTalk.
    No,
    /// It may have been carried out.
    Unknown,
}

/// Sorts a failed send. `was_running`: whether the instance ran when last seen, which tells a revoke refused
/// within DingTalk's 15 s grace from one on an ended instance (DingTalk gives both the same code).
fn classify(e: &DtError, kind: ActionKind, was_running: bool) -> Sent {
    let refused = |code, message: &str| Sent::Refused(RequestFailure { code, message: message.to_owned() });
    match e {
        DtError::Http(h) if h.is_connect() => Sent::No,
        DtError::Http(_) | DtError::Decode { .. } => Sent::Unknown,
        DtError::Throttled { .. } | DtError::WebSocket(_) | DtError::Config(_) => Sent::No,
        DtError::Api { code, message, .. } => match code.as_str() {
            "-1" | "90018" => Sent::No,
            c if c.eq_ignore_ascii_case("systemBusy") || c.starts_with("Throttling") => Sent::No,
            "aflowProcessInstStatusException" if kind == ActionKind::Revoke && was_running => refused(
                ErrorCode::RevokeTooSoon,
                "DingTalk does not revoke an approval within 15 seconds of its start; try again shortly",
            ),
            "aflowProcessInstStatusException" | "aflowProcessInstCanNotBeExecuted" => {
                refused(ErrorCode::TaskDone, "the task was already acted on, or the approval has ended")
            }
            "invalidToUserId" | "userNotExist" if kind == ActionKind::Transfer => {
                refused(ErrorCode::TransferTargetInvalid, message)
            }
            "invalidInstanceExecuteActionerUserId"
            | "invalidOperateUserId"
            | "invalidInstanceTerminateOperatingUserId"
            | "invalidInstanceExecuteTaskId" => refused(ErrorCode::ActionNotAllowed, message),
            "Forbidden.AccessDenied.AccessTokenPermissionDenied" | "60011" => {
                refused(ErrorCode::PermissionMissing, message)
            }
            _ => refused(ErrorCode::DingTalkRejected, message),
        },
    }
}

/// Whether the instance shows `p`'s action carried out.
fn carried_out(instance: &Instance, p: &Pending<'_>) -> bool {
    let task = |id: i64| instance.tasks.iter().find(|t| t.task_id == id);
    match p.action {
        InstanceAction::Approve { task_id, .. } => task(*task_id).is_some_and(|t| t.result == Some(TaskResult::Agree)),
        InstanceAction::Refuse { task_id, .. } => task(*task_id).is_some_and(|t| t.result == Some(TaskResult::Refuse)),
        InstanceAction::Transfer { task_id, .. } => {
            task(*task_id).is_some_and(|t| t.result == Some(TaskResult::Redirected))
        }
        InstanceAction::Revoke { .. } => instance.status == wf::InstanceStatus::Terminated,
        // A comment leaves only its record: the same person, the same text, since the action was recorded (less a
        // margin for the clocks' difference).
        InstanceAction::Comment { text } => instance.operation_records.iter().any(|r| {
            r.kind == OperationType::AddRemark
                && r.user_id == p.user_id
                && r.remark.as_deref() == Some(text.as_str())
                && unix_ms(r.date) >= p.created_at - 5 * 60_000
        }),
    }
}

/// A time as Unix milliseconds.
fn unix_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The detail of `instance` for `user_id`, naming the people shenpi knows.
async fn build_detail(
    state: &AppState,
    id: &str,
    instance: &Instance,
    user_id: &str,
) -> Result<InstanceDetail, AppError> {
    let mut names: HashMap<String, Option<String>> = HashMap::new();
    let ids = std::iter::once(&instance.originator_user_id)
        .chain(instance.operation_records.iter().map(|r| &r.user_id))
        .chain(instance.tasks.iter().map(|t| &t.user_id))
        .chain(instance.cc_user_ids.iter());
    for uid in ids {
        if !names.contains_key(uid) {
            names.insert(uid.clone(), state.store.user_name(uid).await?);
        }
    }
    let person = |uid: &str| Person { user_id: uid.to_owned(), name: names.get(uid).cloned().flatten() };
    let process_code = state.store.instance_template(id).await?;
    let template_name = process_code.as_deref().and_then(|code| state.templates.cached_name(code));
    Ok(InstanceDetail {
        instance_id: id.to_owned(),
        title: instance.title.clone(),
        business_id: instance.business_id.clone(),
        process_code,
        template_name,
        originator: Originator {
            person: person(&instance.originator_user_id),
            dept_id: instance.originator_dept_id,
            dept_name: instance.originator_dept_name.clone(),
        },
        status: status(instance),
        created_at: unix_ms(instance.create_time),
        finished_at: instance.finish_time.map(unix_ms),
        form: instance.form_component_values.iter().map(form_entry).collect(),
        timeline: instance
            .operation_records
            .iter()
            .map(|r| TimelineEntry {
                who: person(&r.user_id),
                kind: timeline_kind(r.kind),
                at: unix_ms(r.date),
                remark: r.remark.clone().filter(|t| !t.is_empty()),
                result: match r.result {
                    Some(wf::OperationResult::Agree) => Some(Decision::Agree),
                    Some(wf::OperationResult::Refuse) => Some(Decision::Refuse),
                    _ => None,
                },
                step: r.show_name.clone().filter(|s| !s.is_empty()),
            })
            .collect(),
        pending: instance
            .running_tasks()
            .map(|t| PendingTask {
                task_id: t.task_id,
                approver: person(&t.user_id),
                since: t.create_time.map(unix_ms),
            })
            .collect(),
        cc: instance.cc_user_ids.iter().map(|u| person(u)).collect(),
        actions: allowed_actions(instance, user_id),
    })
}

/// DingTalk's status and result as one state.
fn status(instance: &Instance) -> InstanceStatus {
    match (instance.status, instance.result) {
        (wf::InstanceStatus::Running, _) => InstanceStatus::Running,
        (wf::InstanceStatus::Terminated, _) => InstanceStatus::Revoked,
        (wf::InstanceStatus::Completed, Some(wf::InstanceResult::Agree)) => InstanceStatus::Approved,
        (wf::InstanceStatus::Completed, Some(wf::InstanceResult::Refuse)) => InstanceStatus::Refused,
        _ => InstanceStatus::Unknown,
    }
}

/// An operation record's kind as the timeline shows it.
fn timeline_kind(kind: OperationType) -> TimelineKind {
    match kind {
        OperationType::StartProcessInstance => TimelineKind::Started,
        OperationType::ExecuteTaskNormal | OperationType::ExecuteTaskAgent | OperationType::ExecuteTaskAuto => {
            TimelineKind::Executed
        }
        OperationType::RedirectTask | OperationType::RedirectProcess => TimelineKind::Transferred,
        OperationType::AddRemark => TimelineKind::Commented,
        OperationType::TerminateProcessInstance => TimelineKind::Revoked,
        OperationType::ProcessCc => TimelineKind::Copied,
        OperationType::FinishProcessInstance => TimelineKind::Finished,
        OperationType::AppendTaskBefore | OperationType::AppendTaskAfter | OperationType::Unknown => {
            TimelineKind::Other
        }
    }
}

/// A form value as a label and display text: a date range joined with `~`, a multiple choice with `、`, anything
/// else as DingTalk's text.
fn form_entry(v: &wf::FormComponentValue) -> FormEntry {
    let kind = v.component_type.and_then(|k| serde_json::to_value(k).ok()).and_then(|k| k.as_str().map(str::to_owned));
    let joined = |sep: &str| {
        serde_json::from_str::<Vec<String>>(&v.value)
            .ok()
            .map(|parts| parts.join(sep))
            .unwrap_or_else(|| v.value.clone())
    };
    let value = match v.component_type {
        Some(wf::ComponentName::DDDateRangeField) => joined(" ~ "),
        Some(wf::ComponentName::DDMultiSelectField) => joined("、"),
        _ => v.value.clone(),
    };
    FormEntry { id: v.id.clone(), label: v.name.clone(), value, kind }
}
