//! Approval requests: `POST /api/requests` puts a validated request and its outbox row in the store in one
//! transaction (exactly once per `Idempotency-Key`), `GET /api/requests/{id}` reads where it stands. The outbox
//! worker ([`crate::outbox`]) delivers it to DingTalk.

use api_types::form::{FormComponentValue, to_dingtalk, validate};
use api_types::{ApiError, ApprovalStep, ApproverPick, SubmitRequest, SubmittedRequest};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, Json};
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

/// A stored request as the API shows it.
pub fn answer(r: &StoredRequest) -> SubmittedRequest {
    SubmittedRequest {
        id: r.id.clone(),
        state: r.state,
        instance_id: r.instance_id.clone(),
        failure: r.failure.clone(),
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
    Ok((StatusCode::ACCEPTED, Json(answer(&stored))))
}

/// `GET /api/requests/{id}`: where one of the caller's requests stands. Someone else's is not found.
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
    Ok(Json(answer(&stored)))
}
