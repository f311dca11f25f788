//! The contract between the shenpi app (WASM) and its server: request and response bodies, and the one error body.
//!
//! Everything here is plain serde data so it builds for `wasm32-unknown-unknown` and natively. JSON uses camelCase.

use serde::{Deserialize, Serialize};

pub mod attachments;
pub mod contacts;
pub mod detail;
pub mod form;
pub mod inbox;
pub use inbox::{InboxBox, InboxCounts, InboxItem, InboxPage, InboxPerson};

pub use attachments::{AttachmentSpace, FileLink};
pub use contacts::{Contact, ContactPage, DepartmentNode};
pub use detail::*;

/// `GET /api/health`: the server is up and can reach its database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Always `"ok"` when the server answers 200.
    pub status: String,
    /// The server's crate version.
    pub version: String,
}

/// `GET /api/config`: what the app needs before it can ask DingTalk for anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppConfig {
    /// The organisation's corpId (`ding...`), passed to `requestAuthCode`.
    pub corp_id: String,
    /// The micro-app's agentId, used by `dd.config`.
    pub agent_id: String,
    /// The app's clientId (its AppKey), used by the OAuth login outside DingTalk.
    pub client_id: String,
    /// DingTalk's OAuth authorize page (`https://login.dingtalk.com/oauth2/auth`, or the emulator's).
    pub oauth_authorize_url: String,
}

/// `POST /api/session`: log in with a free-login code from `runtime.permission.requestAuthCode`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthCodeLogin {
    /// The single-use code the DingTalk container handed the page.
    pub auth_code: String,
}

/// `POST /api/session/oauth`: log in with the `authCode` DingTalk's web login put on the redirect URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OAuthLogin {
    /// The single-use code from the redirect.
    pub auth_code: String,
}

/// The answer to a successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Opaque bearer token for `Authorization: Bearer ...`.
    pub token: String,
    /// When the session ends at the latest, in Unix seconds.
    pub expires_at: i64,
    /// Who is logged in.
    pub user: User,
}

/// A DingTalk user as shenpi shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// DingTalk's userid inside the organisation.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// Avatar URL, absent for DingTalk's default avatar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Job title, if the organisation sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The departments the user belongs to.
    pub dept_ids: Vec<i64>,
}

/// `GET /api/templates`: one approval template the caller may start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TemplateSummary {
    /// DingTalk's processCode (`PROC-...`), the template's id in every other call.
    pub process_code: String,
    /// The template's name.
    pub name: String,
    /// Its icon's URL (may be empty).
    pub icon_url: String,
    /// The folder DingTalk files it under (may be empty).
    pub dir_name: String,
}

/// `GET /api/templates/{process_code}`: a template's name and form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TemplateDetail {
    /// DingTalk's processCode.
    pub process_code: String,
    /// The template's name.
    pub name: String,
    /// The form to fill in.
    pub form: form::FormSchema,
}

/// `POST /api/templates/{process_code}/forecast`: the form filled in so far (conditions in the flow read it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ForecastRequest {
    /// The values by field id; fields left out are treated as empty.
    #[serde(default)]
    pub values: form::FormValues,
}

/// A person in a forecast step: an approver, or someone the originator may pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StepPerson {
    /// DingTalk's userid.
    pub user_id: String,
    /// Display name.
    pub name: String,
}

/// What the people of a flow step do (DingTalk's `actorType`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// They approve (审批人, `approver`).
    #[default]
    Approve,
    /// They carry the request out (办理人, `audit`), and act on it as approvers do.
    Handle,
    /// They are copied (抄送人, `notifier`): told, with nothing to do.
    Cc,
}

/// One step of the flow a submission would run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ForecastStep {
    /// The step's id; for a step the originator picks for, the key the submission names the picked people by.
    pub activity_id: String,
    /// The step's name.
    pub name: String,
    /// Approvers, handlers or people copied.
    #[serde(default)]
    pub kind: StepKind,
    /// The people DingTalk already knows (empty for an approval step the originator picks for).
    pub approvers: Vec<StepPerson>,
    /// Present when the originator picks the step's people: whom they may pick from (an empty list: anyone in
    /// the organisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pick_from: Option<Vec<StepPerson>>,
    /// Whether several people may be picked (only meaningful with `pick_from`).
    #[serde(default)]
    pub pick_multiple: bool,
    /// Whether a submission needs someone picked (only meaningful with `pick_from`): approvers always, people to
    /// copy when the template says so.
    #[serde(default)]
    pub pick_required: bool,
}

/// `POST /api/jsapi/signature`: the page that will call `dd.config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JsapiSignatureRequest {
    /// The page's URL (`location.href`); any `#fragment` is ignored.
    pub url: String,
    /// The hash to sign with; SHA-1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<SignatureDigest>,
}

/// The hash behind a `dd.config` signature (jsapi.md §3.1: which one DingTalk checks today is unverified, so the
/// app may ask for either).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SignatureDigest {
    /// SHA-1, 40 hex digits: older official documents, the community SDKs and most deployed code.
    #[default]
    Sha1,
    /// SHA-256, 64 hex digits: the current official sample.
    Sha256,
}

/// The parameters of `dd.config` for one page, in the JSAPI's own spelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JsapiSignature {
    /// The micro-app's agentId.
    pub agent_id: String,
    /// The organisation's corpId.
    pub corp_id: String,
    /// Milliseconds since the epoch, as signed.
    pub time_stamp: u64,
    /// A random string, as signed.
    pub nonce_str: String,
    /// The lower-case hex digest over ticket, nonce, timestamp and URL.
    pub signature: String,
    /// The hash it was made with.
    pub digest: SignatureDigest,
}

/// A form someone started and has not submitted yet, kept on the server so that it opens on every device they log
/// in on (`GET /api/drafts`, `PUT /api/drafts/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    /// The app's own id for the draft, made on the device (8 to 64 of `A-Z a-z 0-9 _ -`), so a draft can be started
    /// offline and saved later under the same id.
    pub id: String,
    /// The approval template the form belongs to.
    pub process_code: String,
    /// The values filled in so far, by field id.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub values: form::FormValues,
    /// When the draft was last saved, in Unix milliseconds.
    pub updated_at: i64,
    /// Counts the saves, from 1. Send it back with the next save so that a newer save from another device is not
    /// overwritten unseen.
    pub version: i64,
}

/// `PUT /api/drafts/{id}`: create or replace a draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SaveDraft {
    /// The approval template the form belongs to.
    pub process_code: String,
    /// The values filled in so far, by field id.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub values: form::FormValues,
    /// The version this save replaces, as last read. When given and the stored draft has another version (or is
    /// gone), the save is refused with `draft_conflict`; when absent, the save replaces whatever is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// What went wrong, as a closed set the app can explain in words. Serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or a parameter is malformed (400).
    BadRequest,
    /// No session, or the session expired (401).
    Unauthenticated,
    /// The free-login or OAuth code was already used or has expired (401).
    AuthCodeInvalid,
    /// The organisation DingTalk logged the person in to is not this app's organisation (403).
    CorpMismatch,
    /// The DingTalk account logged in on the web is not a member of this organisation (403).
    NotAMember,
    /// DingTalk does not know the app: its AppKey or AppSecret is wrong, or the app was removed (502).
    AppNotFound,
    /// The app lacks a DingTalk permission the call needs; an administrator must grant it (502).
    PermissionMissing,
    /// DingTalk refused the app for another reason (502).
    DingTalkRejected,
    /// DingTalk could not be reached or did not answer in time (503).
    DingTalkUnavailable,
    /// The resource does not exist or is not visible to the caller (404).
    NotFound,
    /// The request body is larger than the server accepts (413).
    PayloadTooLarge,
    /// The draft was saved from another device (or deleted) since this one read it (409).
    DraftConflict,
    /// Something failed on the server; details are in its log, never in the body (500).
    Internal,
    /// The `Idempotency-Key` was used before with a different body (409).
    IdempotencyConflict,
    /// A form value does not fit its field; `fields` says which (400).
    FormInvalid,
    /// DingTalk does not know the approval template (its processCode) (400, or a request's failure).
    TemplateNotFound,
    /// DingTalk refused the form's values (a request's failure).
    FormRejected,
    /// The template needs the originator to pick approvers for a step, and none were given (a request's failure).
    ApproversMissing,
    /// Someone picked for a step (an approver, a person to copy) is not among those the step allows, or has left
    /// (a request's failure).
    PickOutOfScope,
    /// The caller takes part in the instance but may not take this action on it (not their task, not their
    /// instance) (403).
    ActionNotAllowed,
    /// The task was already acted on, transferred or cancelled, or the instance has ended (409).
    TaskDone,
    /// DingTalk refuses to revoke an instance within 15 seconds of its start; try again shortly (409).
    RevokeTooSoon,
    /// The person a task was to be transferred to cannot take it (unknown, or already an approver of the step) (400).
    TransferTargetInvalid,
    /// DingTalk's HTTP callback was refused: malformed, a wrong signature, a stale timestamp or a replayed nonce
    /// (400, 401 or 409; `POST /dingtalk/events` only).
    CallbackRefused,
    /// A code this build does not know yet (from a newer server).
    #[serde(other)]
    Unknown,
}

/// The one error body every `/api` endpoint answers with on a non-2xx status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    /// What went wrong, for the app to explain.
    pub code: ErrorCode,
    /// A short English description for logs and developers; the app shows its own words for `code`.
    pub message: String,
    /// For `form_invalid`: each refused value. Absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub fields: Vec<form::FieldError>,
}

impl ApiError {
    /// An error body with the given code and developer message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), fields: Vec::new() }
    }
}

/// Where a submitted approval request stands. Serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Accepted and waiting in the outbox for delivery to DingTalk.
    Queued,
    /// DingTalk created the instance.
    Submitted,
    /// The instance is being approved.
    Running,
    /// The instance ended approved.
    Approved,
    /// The instance ended refused.
    Refused,
    /// The originator withdrew it.
    Revoked,
    /// DingTalk refused to create it; `failure` says why.
    Failed,
    /// A state this build does not know yet (from a newer server).
    #[serde(other)]
    Unknown,
}

impl RequestState {
    /// The state's name on the wire (`queued`, `running`, ...), as `?status=` and the store spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Queued => "queued",
            RequestState::Submitted => "submitted",
            RequestState::Running => "running",
            RequestState::Approved => "approved",
            RequestState::Refused => "refused",
            RequestState::Revoked => "revoked",
            RequestState::Failed => "failed",
            RequestState::Unknown => "unknown",
        }
    }
}

/// How the approvers of one step decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    /// 会签: everyone must agree.
    All,
    /// 或签: the first to act decides.
    Any,
    /// A single approver.
    Single,
}

/// One approval step given instead of the template's flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApprovalStep {
    /// How the step's approvers decide.
    pub mode: ApprovalMode,
    /// The step's approvers (userids).
    pub user_ids: Vec<String>,
}

/// The people the originator picked for a template step that asks for them: its approvers, or people to copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApproverPick {
    /// The step's `activityId` (from the forecast).
    pub activity_id: String,
    /// Who approves it (or is copied, on a CC step).
    pub user_ids: Vec<String>,
}

/// `POST /api/requests`: an approval request to submit, sent with an `Idempotency-Key` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SubmitRequest {
    /// The template (`PROC-...`).
    pub process_code: String,
    /// The originator's department; the template's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dept_id: Option<i64>,
    /// The filled-in form, by field id.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub values: form::FormValues,
    /// Steps that replace the template's flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvers: Option<Vec<ApprovalStep>>,
    /// People to copy (with `approvers` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<Vec<String>>,
    /// People for the template's "originator picks" steps (approvers, people to copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picks: Option<Vec<ApproverPick>>,
}

/// Why DingTalk refused to create a request's instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RequestFailure {
    /// What went wrong, for the app to explain.
    pub code: ErrorCode,
    /// DingTalk's own message, kept verbatim (usually Chinese).
    pub message: String,
}

/// A submitted approval request: the answer to `POST /api/requests` and `GET /api/requests/{id}`, and an item of
/// `GET /api/requests`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SubmittedRequest {
    /// shenpi's id of the request.
    pub id: String,
    /// Where it stands.
    pub state: RequestState,
    /// DingTalk's instance id, once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Why it failed, when `state` is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<RequestFailure>,
    /// The template (`PROC-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_code: Option<String>,
    /// The template's name, when the server has it at hand (it never asks DingTalk for it here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
    /// When shenpi accepted it, Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// The body as it was submitted, to show it or copy it into a new request. Absent in `GET /api/requests` items
    /// (the detail has it) and for requests submitted before shenpi kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted: Option<SubmitRequest>,
}

/// A page of the caller's own requests, newest first: `GET /api/requests`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RequestPage {
    /// The requests, without their submitted bodies.
    pub items: Vec<SubmittedRequest>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl std::fmt::Display for ErrorCode {
    /// The code as the error body spells it (`task_done`). Not `Debug`: the app's release build prints no `Debug`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quoted = serde_json::to_string(self).unwrap_or_default();
        f.write_str(quoted.trim_matches('"'))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_is_snake_case_code_and_message() {
        let body = serde_json::to_value(ApiError::new(ErrorCode::AuthCodeInvalid, "code used")).unwrap();
        assert_eq!(body, serde_json::json!({"code": "auth_code_invalid", "message": "code used"}));
    }

    #[test]
    fn field_errors_are_optional_in_the_error_body() {
        let old: ApiError = serde_json::from_str(r#"{"code":"bad_request","message":"x"}"#).unwrap();
        assert!(old.fields.is_empty());
        let mut e = ApiError::new(ErrorCode::FormInvalid, "1 value");
        e.fields.push(form::FieldError::new("TextField-1", form::FieldErrorCode::Required));
        let body = serde_json::to_value(&e).unwrap();
        assert_eq!(body["code"], "form_invalid");
        assert_eq!(body["fields"][0]["fieldId"], "TextField-1");
        assert_eq!(serde_json::from_value::<ApiError>(body).unwrap(), e);
    }

    #[test]
    fn a_submitted_request_reads_in_camel_case_with_its_state_in_snake_case() {
        let r = SubmittedRequest {
            id: "r1".into(),
            state: RequestState::Failed,
            instance_id: None,
            failure: Some(RequestFailure { code: ErrorCode::FormRejected, message: "表单校验失败".into() }),
            process_code: None,
            template_name: None,
            created_at: None,
            submitted: None,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id": "r1", "state": "failed",
            "failure": {"code": "form_rejected", "message": "表单校验失败"}})
        );
        let newer: SubmittedRequest = serde_json::from_str(r#"{"id":"r2","state":"archived"}"#).unwrap();
        assert_eq!(newer.state, RequestState::Unknown);
    }

    #[test]
    fn an_error_prints_its_code_as_the_body_spells_it() {
        let e = ApiError::new(ErrorCode::PickOutOfScope, "所选人员不在可选范围内");
        assert_eq!(e.to_string(), "pick_out_of_scope: 所选人员不在可选范围内");
        assert_eq!(ErrorCode::Unknown.to_string(), "unknown");
    }

    #[test]
    fn unknown_error_codes_from_a_newer_server_still_decode() {
        let e: ApiError = serde_json::from_str(r#"{"code":"brand_new","message":"x"}"#).unwrap();
        assert_eq!(e.code, ErrorCode::Unknown);
    }

    #[test]
    fn session_round_trips_in_camel_case() {
        let s = Session {
            token: "t".into(),
            expires_at: 5,
            user: User { user_id: "u1".into(), name: "张三".into(), avatar: None, title: None, dept_ids: vec![1] },
        };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["expiresAt"], 5);
        assert_eq!(v["user"]["userId"], "u1");
        assert!(v["user"].get("avatar").is_none());
        assert_eq!(serde_json::from_value::<Session>(v).unwrap(), s);
    }
}
