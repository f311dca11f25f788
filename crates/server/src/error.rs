//! The server's one error enum. Each variant documents its status; every error leaves as an [`ApiError`] body, and
//! 5xx details are logged, never sent.

use api_types::{ApiError, ErrorCode};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the body or a parameter is malformed; the text says what.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 405: the path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 413: the body is over the limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 401: no valid session.
    #[error("not logged in")]
    Unauthenticated,
    /// 401: the login code was used already or has expired.
    #[error("login code used or expired")]
    AuthCodeInvalid,
    /// 403: the person logged in to DingTalk but is not a member of this organisation.
    #[error("not a member of the organisation")]
    NotAMember,
    /// 404: nothing at this path, or not visible to the caller.
    #[error("not found")]
    NotFound,
    /// 409: the draft was saved from another device (or deleted) since the version the save names.
    #[error("draft changed since it was read")]
    DraftConflict,
    /// 403: DingTalk logged the person in to another organisation than this app's.
    #[error("logged in to another organisation")]
    CorpMismatch,
    /// 502: DingTalk does not know the app (AppKey/AppSecret wrong, app removed); detail logged.
    #[error("DingTalk does not know the app: {0}")]
    AppNotFound(dingtalk_client::Error),
    /// 502: the app lacks a DingTalk permission the call needs; detail logged.
    #[error("the app lacks a DingTalk permission: {0}")]
    PermissionMissing(dingtalk_client::Error),
    /// 502: DingTalk refused the app for another reason; detail logged.
    #[error("DingTalk refused: {0}")]
    DingTalkRejected(dingtalk_client::Error),
    /// 502: DingTalk sent a template form this app cannot read; detail logged.
    #[error("unreadable form schema: {0}")]
    BadSchema(String),
    /// 503: DingTalk did not answer; detail logged.
    #[error("DingTalk unavailable: {0}")]
    DingTalkUnavailable(dingtalk_client::Error),
    /// 409: the `Idempotency-Key` was used before with another body.
    #[error("idempotency key reused with another body")]
    IdempotencyConflict,
    /// 400: form values that do not fit their fields.
    #[error("form invalid: {0:?}")]
    FormInvalid(Vec<api_types::form::FieldError>),
    /// 400: DingTalk does not know the approval template.
    #[error("no such approval template")]
    TemplateNotFound,
    /// An action on an instance refused: by the checks before sending, or by DingTalk (the status follows the
    /// code: 403 `action_not_allowed`, 409 `task_done` / `revoke_too_soon`, 400 `transfer_target_invalid`, 503
    /// `ding_talk_unavailable`, 502 otherwise).
    #[error("action refused: {0:?}")]
    Action(api_types::RequestFailure),
    /// 400, 401 or 409: DingTalk's HTTP callback was refused; see [`Refusal`].
    #[error("callback refused: {0}")]
    CallbackRefused(Refusal),
    /// 500: storage failed; detail logged.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<dingtalk_client::Error> for AppError {
    fn from(e: dingtalk_client::Error) -> Self {
        use dingtalk_client::Error as E;
        match &e {
            // Network failures, and our own client holding back (rate limit, IP ban, monthly quota): try later.
            E::Http(_) | E::WebSocket(_) | E::Throttled { .. } => AppError::DingTalkUnavailable(e),
            E::Api { code, .. } if code == "-1" || code.eq_ignore_ascii_case("systemBusy") => {
                AppError::DingTalkUnavailable(e)
            }
            // Credentials DingTalk does not accept (server-api.md §1.3, §2): the legacy token's 40001/40089/33001,
            // the v1.0 token's `invalidClientIdOrSecret`.
            E::Api { code, .. } if matches!(code.as_str(), "40001" | "40089" | "33001" | "invalidClientIdOrSecret") => {
                AppError::AppNotFound(e)
            }
            // No permission for the API (60011, also as errcode 88's sub_code; v1.0 403).
            E::Api { code, .. } if code == "60011" || code == "Forbidden.AccessDenied.AccessTokenPermissionDenied" => {
                AppError::PermissionMissing(e)
            }
            _ => AppError::DingTalkRejected(e),
        }
    }
}

/// Why an HTTP callback was refused (`events.rs` has the rules).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The query or body is not what DingTalk sends.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The signature does not verify, an input is missing, or the ciphertext does not open.
    #[error("{0} ({code})", code = .0.code())]
    Crypto(dingtalk_client::crypto::CryptoError),
    /// The timestamp is not a number or is more than 5 minutes away from the server's clock.
    #[error("the timestamp is missing or more than 5 minutes off")]
    Stale,
    /// The nonce was used before by another request.
    #[error("the nonce was already used by another request")]
    Replayed,
}

impl Refusal {
    fn status(&self) -> StatusCode {
        use dingtalk_client::crypto::CryptoError;
        match self {
            Refusal::Crypto(CryptoError::SignatureMismatch) | Refusal::Stale => StatusCode::UNAUTHORIZED,
            Refusal::Replayed => StatusCode::CONFLICT,
            Refusal::Malformed(_) | Refusal::Crypto(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl AppError {
    fn parts(&self) -> (StatusCode, ErrorCode, String) {
        match self {
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest, m.clone()),
            AppError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::BadRequest, "method not allowed on this path".into())
            }
            AppError::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "request body too large".into())
            }
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, "log in first".into()),
            AppError::AuthCodeInvalid => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::AuthCodeInvalid,
                "the login code was already used or has expired; open the app again".into(),
            ),
            AppError::NotAMember => (
                StatusCode::FORBIDDEN,
                ErrorCode::NotAMember,
                "this DingTalk account is not a member of the organisation".into(),
            ),
            AppError::NotFound => (StatusCode::NOT_FOUND, ErrorCode::NotFound, "not found".into()),
            AppError::DraftConflict => (
                StatusCode::CONFLICT,
                ErrorCode::DraftConflict,
                "the draft was saved from another device or deleted since this version; read it again".into(),
            ),
            AppError::CorpMismatch => (
                StatusCode::FORBIDDEN,
                ErrorCode::CorpMismatch,
                "DingTalk logged you in to another organisation than this app's".into(),
            ),
            AppError::AppNotFound(_) => (
                StatusCode::BAD_GATEWAY,
                ErrorCode::AppNotFound,
                "DingTalk does not know this app; check its AppKey and AppSecret".into(),
            ),
            AppError::PermissionMissing(_) => (
                StatusCode::BAD_GATEWAY,
                ErrorCode::PermissionMissing,
                "the app lacks a DingTalk permission; an administrator must grant it".into(),
            ),
            AppError::DingTalkRejected(_) => {
                (StatusCode::BAD_GATEWAY, ErrorCode::DingTalkRejected, "DingTalk refused the request".into())
            }
            AppError::BadSchema(_) => (
                StatusCode::BAD_GATEWAY,
                ErrorCode::DingTalkRejected,
                "DingTalk sent a form this app cannot read".into(),
            ),
            AppError::DingTalkUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DingTalkUnavailable,
                "DingTalk cannot be reached right now".into(),
            ),
            AppError::IdempotencyConflict => (
                StatusCode::CONFLICT,
                ErrorCode::IdempotencyConflict,
                "this Idempotency-Key was already used with a different body".into(),
            ),
            AppError::FormInvalid(fields) => (
                StatusCode::BAD_REQUEST,
                ErrorCode::FormInvalid,
                format!("{} form value(s) do not fit their fields", fields.len()),
            ),
            AppError::TemplateNotFound => {
                (StatusCode::BAD_REQUEST, ErrorCode::TemplateNotFound, "DingTalk has no such approval template".into())
            }
            AppError::Action(f) => {
                let status = match f.code {
                    ErrorCode::ActionNotAllowed => StatusCode::FORBIDDEN,
                    ErrorCode::TaskDone | ErrorCode::RevokeTooSoon => StatusCode::CONFLICT,
                    ErrorCode::TransferTargetInvalid => StatusCode::BAD_REQUEST,
                    ErrorCode::DingTalkUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::BAD_GATEWAY,
                };
                (status, f.code, f.message.clone())
            }
            AppError::CallbackRefused(refusal) => {
                (refusal.status(), ErrorCode::CallbackRefused, format!("callback refused: {refusal}"))
            }
            AppError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal error".into()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        } else {
            tracing::debug!(error = %self, "request refused");
        }
        let mut body = ApiError::new(code, message);
        if let AppError::FormInvalid(fields) = self {
            body.fields = fields;
        }
        (status, axum::Json(body)).into_response()
    }
}

/// `Json<T>` whose rejections answer with the same [`ApiError`] body as every other error.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(AppError::PayloadTooLarge),
            Err(rejection) => Err(AppError::BadRequest(rejection.body_text())),
        }
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
