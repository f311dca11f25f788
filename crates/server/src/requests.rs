//! Approval requests: `POST /api/requests` puts a validated request, the body as sent and its outbox row in the
//! store in one transaction (exactly once per `Idempotency-Key`), `GET /api/requests/{id}` reads where it stands
//! and what was submitted, `GET /api/requests` lists the caller's own, newest first. The outbox worker
//! ([`crate::outbox`]) delivers them to DingTalk.

use api_types::form::{FormComponentValue, to_dingtalk, validate};
use api_types::{ApiError, ApprovalStep, ApproverPick, RequestPage, SubmitRequest, SubmittedRequest};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, Json};
use crate::inbox::{cursor_of, given, page_limit, position_of};
use crate::store::{Inserted, NewRequest, StoredRequest};

/// The header carrying the client's idempotency key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Shortest and longest idempotency key accepted.
pub const KEY_CHARS: std::ops::RangeInclusive<usize> = 8..=128;

/// What the outbox worker sends for a request, fixed at submission: the form is encoded against the schema the
/// request was validated with, so a later template change cannot alter what was accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    /// The originator's department.
    pub dept_id: i64,
    /// Steps replacing the template's flow.
    #[serde(default)]
    pub approvers: Option<Vec<ApprovalStep>>,
    /// People to copy.
    #[serde(default)]
    pub cc: Vec<String>,
    /// Approvers for "originator picks" steps.
    #[serde(default)]
    pub picks: Vec<ApproverPick>,
    /// The form, encoded for DingTalk.
    pub form: Vec<FormComponentValue>,
}

/// The idempotency key from the headers: present, 8 to 128 visible ASCII characters.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<String, AppError> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AppError::BadRequest("the Idempotency-Key header is required".into()))?;
    if !KEY_CHARS.contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::BadRequest("Idempotency-Key must be 8 to 128 visible ASCII characters".into()));
    }
    Ok(key.to_owned())
}

/// Hex SHA-256 of the body's canonical JSON (fields in declaration order, form values sorted by field id).
fn body_hash(body: &SubmitRequest) -> Result<String, AppError> {
    let canonical = serde_json::to_vec(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(&canonical)))
}

/// A fresh request id: 128 random bits in hex.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    hex::encode(bytes)
}

/// A stored request as `POST` and `GET /api/requests/{id}` show it; `template_name` is what the caller has at hand.
pub fn answer(r: &StoredRequest, template_name: Option<String>) -> SubmittedRequest {
    SubmittedRequest {
        id: r.id.clone(),
        state: r.state,
        instance_id: r.instance_id.clone(),
        failure: r.failure.clone(),
        process_code: Some(r.process_code.clone()),
        template_name,
        created_at: Some(r.created_at),
        submitted: r.submitted.clone(),
    }
}

/// `POST /api/requests`: validates the form against the template and queues the request for DingTalk, exactly
/// once per `Idempotency-Key`. The same key with the same body answers the request stored the first time, in its
/// current state; with another body it is a conflict.
#[utoipa::path(post, path = "/requests", tag = "requests", security(("session" = [])), request_body = SubmitRequest,
    params(("Idempotency-Key" = String, Header, description = "8 to 128 visible ASCII characters, new per request")),
    responses(
        (status = 202, body = SubmittedRequest, description = "queued (or, for a repeated key, its current state)"),
        (status = 400, body = ApiError, description = "`form_invalid` with `fields`, `template_not_found`, or `bad_request`"),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 409, body = ApiError, description = "`idempotency_conflict`: the key was used with another body"),
        (status = 502, body = ApiError, description = "DingTalk refused to give the template's form"),
        (status = 503, body = ApiError, description = "DingTalk did not answer"),
))]
pub async fn submit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
    Json(body): Json<SubmitRequest>,
) -> Result<(StatusCode, Json<SubmittedRequest>), AppError> {
    let key = idempotency_key(&headers)?;
    let hash = body_hash(&body)?;
    // The same cached form the template pages use; an unknown template is the caller's mistake here.
    let template = state.templates.schema(&state.dingtalk, &body.process_code).await.map_err(|e| match e {
        AppError::DingTalkRejected(e) if matches!(e.api_code(), Some("formNotExist" | "processCodeError")) => {
            AppError::TemplateNotFound
        }
        AppError::BadSchema(m) => AppError::BadRequest(format!("the template's form is not supported: {m}")),
        other => other,
    })?;
    let schema = &template.form;
    validate(schema, &body.values).map_err(AppError::FormInvalid)?;
    let payload = Payload {
        dept_id: body.dept_id.or(user.dept_ids.first().copied()).unwrap_or(-1),
        approvers: body.approvers.clone(),
        cc: body.cc.clone().unwrap_or_default(),
        picks: body.picks.clone().unwrap_or_default(),
        form: to_dingtalk(schema, &body.values),
    };
    let new = NewRequest {
        id: new_id(),
        user_id: user.user_id.clone(),
        idempotency_key: key,
        body_hash: hash.clone(),
        process_code: body.process_code.clone(),
        payload: serde_json::to_string(&payload).map_err(|e| AppError::BadRequest(e.to_string()))?,
        submitted: Some(body.clone()),
        created_at: crate::outbox::now_ms(),
    };
    let stored = match state.store.insert_request(&new).await? {
        Inserted::Created(r) => {
            tracing::info!(request_id = %r.id, user_id = %r.user_id, "approval request queued");
            state.outbox.wake.notify_one();
            r
        }
        Inserted::Existing(r) if r.body_hash == hash => r,
        Inserted::Existing(_) => return Err(AppError::IdempotencyConflict),
    };
    let name = Some(template.name.clone()).filter(|n| !n.is_empty());
    Ok((StatusCode::ACCEPTED, Json(answer(&stored, name))))
}

/// `GET /api/requests/{id}`: where one of the caller's requests stands and what was submitted (when shenpi kept
/// it), to show it or copy it into a new request. Someone else's is not found. Never calls DingTalk.
#[utoipa::path(get, path = "/requests/{id}", tag = "requests", security(("session" = [])),
    params(("id" = String, Path, description = "the request's id")),
    responses(
        (status = 200, body = SubmittedRequest),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 404, body = ApiError, description = "`not_found`: no such request of the caller's"),
))]
pub async fn get_request(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<SubmittedRequest>, AppError> {
    let stored = state.store.request(&id).await?.filter(|r| r.user_id == user.user_id).ok_or(AppError::NotFound)?;
    Ok(Json(answer(&stored, state.templates.cached_name_for(&user.user_id, &stored.process_code))))
}

/// The query of `GET /api/requests`, as text so that a bad parameter gets a message naming it.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The previous page's `nextCursor`.
    pub cursor: Option<String>,
    /// Requests per page, 1 to 100 (default 20).
    pub limit: Option<String>,
}

/// `GET /api/requests`: the caller's own requests, newest first, from shenpi's table only (never DingTalk), for
/// the app's "copy from an old request" list. Items carry no submitted body: `GET /api/requests/{id}` has it.
#[utoipa::path(get, path = "/requests", tag = "requests", security(("session" = [])), params(ListParams),
    responses(
        (status = 200, body = RequestPage),
        (status = 400, body = ApiError, description = "`bad_request`: a malformed cursor or limit; the message names it"),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
))]
pub async fn list_requests(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<RequestPage>, AppError> {
    let Query(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let limit = page_limit(&params.limit)?;
    let after = given(&params.cursor).map(position_of).transpose()?;
    let mut rows = state.store.user_requests(&user.user_id, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = more.then(|| rows.last().map(|r| cursor_of(r.created_at, &r.id))).flatten();
    let name = |r: &StoredRequest| state.templates.cached_name_for(&user.user_id, &r.process_code);
    let items = rows.iter().map(|r| SubmittedRequest { submitted: None, ..answer(r, name(r)) }).collect();
    Ok(Json(RequestPage { items, next_cursor }))
}
