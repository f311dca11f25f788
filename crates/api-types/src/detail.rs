//! The detail of one approval instance as the app shows it (form, timeline, what the caller may do) and the
//! actions a participant can take on it: `GET /api/instances/{id}` and `POST /api/instances/{id}/actions`.

use serde::{Deserialize, Serialize};

/// Where an instance stands. Serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    /// Being approved.
    Running,
    /// Ended approved.
    Approved,
    /// Ended refused.
    Refused,
    /// Withdrawn by its originator.
    Revoked,
    /// A state this build does not know (DingTalk's `NEW`, `CANCELED` or a newer one).
    #[serde(other)]
    Unknown,
}

/// A person as the detail names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// DingTalk's userid.
    pub user_id: String,
    /// Display name when shenpi knows it (the person has logged in); otherwise absent and the app shows the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The originator, with the department they submitted from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Originator {
    /// Who.
    #[serde(flatten)]
    pub person: Person,
    /// The department's id (the root is -1).
    pub dept_id: i64,
    /// The department's name.
    pub dept_name: String,
}

/// One form value as DingTalk shows it: the field's label and its value as text, in the template's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FormEntry {
    /// The control's id (empty when DingTalk omits it).
    pub id: String,
    /// The field's label.
    pub label: String,
    /// The value for display: plain text as is, a date range or a multiple choice joined, other structured values
    /// (tables, attachments, locations) as DingTalk's JSON text.
    pub value: String,
    /// DingTalk's control kind (`TextField`, `DDDateField`, ...) when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// What happened in an entry of the timeline. Serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// The originator submitted.
    Started,
    /// An approver agreed or refused (`result` says which).
    Executed,
    /// An approver transferred their task.
    Transferred,
    /// Someone commented.
    Commented,
    /// The originator revoked.
    Revoked,
    /// People were copied.
    Copied,
    /// The instance ended.
    Finished,
    /// Approvers were added, or an operation this build does not know.
    Other,
}

impl TimelineKind {
    /// The kind's name on the wire (`started`, `executed`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Started => "started",
            TimelineKind::Executed => "executed",
            TimelineKind::Transferred => "transferred",
            TimelineKind::Commented => "commented",
            TimelineKind::Revoked => "revoked",
            TimelineKind::Copied => "copied",
            TimelineKind::Finished => "finished",
            TimelineKind::Other => "other",
        }
    }
}

/// An approver's decision. Serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Agreed.
    Agree,
    /// Refused.
    Refuse,
}

/// One entry of the timeline: an operation record, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    /// Who.
    pub who: Person,
    /// What.
    pub kind: TimelineKind,
    /// When, Unix milliseconds.
    pub at: i64,
    /// Their remark or comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// For `executed`: agree or refuse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Decision>,
    /// The step's caption, when DingTalk gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

/// A task still waiting for its approver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PendingTask {
    /// DingTalk's task id.
    pub task_id: i64,
    /// Its approver.
    pub approver: Person,
    /// Since when, Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
}

/// What a caller may do. Serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Agree on one's own running task.
    Approve,
    /// Refuse on one's own running task.
    Refuse,
    /// Hand one's own running task to someone else.
    Transfer,
    /// Withdraw one's own running instance.
    Revoke,
    /// Comment; any participant, in any state.
    Comment,
}

/// An action the caller may take now; task actions name the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AllowedAction {
    /// Which.
    pub action: ActionKind,
    /// For approve, refuse and transfer: the caller's running task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<i64>,
}

/// `GET /api/instances/{id}`: an instance as DingTalk's 审批 app shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InstanceDetail {
    /// DingTalk's processInstanceId.
    pub instance_id: String,
    /// Title (`张三提交的通用审批`).
    pub title: String,
    /// The approval number.
    pub business_id: String,
    /// The template's processCode, when the request went through shenpi.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_code: Option<String>,
    /// The template's name, when shenpi knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
    /// Who submitted, from which department.
    pub originator: Originator,
    /// Where it stands.
    pub status: InstanceStatus,
    /// Started, Unix milliseconds.
    pub created_at: i64,
    /// Ended, Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    /// The form, in the template's order.
    pub form: Vec<FormEntry>,
    /// What happened, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Tasks waiting for their approvers.
    pub pending: Vec<PendingTask>,
    /// People copied.
    pub cc: Vec<Person>,
    /// What the caller may do now.
    pub actions: Vec<AllowedAction>,
}

/// `POST /api/instances/{id}/actions`: one action, sent with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum InstanceAction {
    /// Agree on the caller's running task.
    Approve {
        /// The task.
        task_id: i64,
        /// An optional remark (at most 1024 characters).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remark: Option<String>,
    },
    /// Refuse on the caller's running task.
    Refuse {
        /// The task.
        task_id: i64,
        /// An optional remark (at most 1024 characters).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remark: Option<String>,
    },
    /// Hand the caller's running task to someone else.
    Transfer {
        /// The task.
        task_id: i64,
        /// Who takes it over.
        to_user_id: String,
        /// Why (at most 1024 characters).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remark: Option<String>,
    },
    /// Withdraw the caller's running instance.
    Revoke {
        /// Why (at most 1024 characters).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Comment on the instance.
    Comment {
        /// The comment (1 to 1024 characters).
        text: String,
    },
}

impl InstanceAction {
    /// The longest remark, reason or comment DingTalk takes, in characters.
    pub const MAX_TEXT: usize = 1024;

    /// Which action it is.
    pub fn kind(&self) -> ActionKind {
        match self {
            InstanceAction::Approve { .. } => ActionKind::Approve,
            InstanceAction::Refuse { .. } => ActionKind::Refuse,
            InstanceAction::Transfer { .. } => ActionKind::Transfer,
            InstanceAction::Revoke { .. } => ActionKind::Revoke,
            InstanceAction::Comment { .. } => ActionKind::Comment,
        }
    }

    /// The task a task action names.
    pub fn task_id(&self) -> Option<i64> {
        match self {
            InstanceAction::Approve { task_id, .. }
            | InstanceAction::Refuse { task_id, .. }
            | InstanceAction::Transfer { task_id, .. } => Some(*task_id),
            InstanceAction::Revoke { .. } | InstanceAction::Comment { .. } => None,
        }
    }
}

/// The answer to an action DingTalk carried out (a repeated key or a double tap gets the same one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ActionDone {
    /// The instance.
    pub instance_id: String,
    /// Which action.
    pub action: ActionKind,
    /// The task, for task actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<i64>,
    /// When shenpi saw it done, Unix milliseconds.
    pub done_at: i64,
}
