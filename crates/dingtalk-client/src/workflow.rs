//! The v1.0 approval API (`/v1.0/workflow/...`, server-api.md §5): start, read, list and act on approval instances,
//! read templates and their form schemas, forecast a flow, and the approval space for attachments.
//!
//! Models mirror DingTalk's camelCase JSON. Closed sets are enums that keep decoding when DingTalk adds a value
//! (it becomes `Unknown`); unknown fields are ignored. The wire's quirks are absorbed here: times are
//! [`OffsetDateTime`]s, ids and page tokens are `i64` whether they come as numbers or strings, and an empty
//! `result` is `None`.
//!
//! ```no_run
//! # async fn demo(dt: dingtalk_client::DingTalk) -> dingtalk_client::Result<()> {
//! use dingtalk_client::workflow::{FormValue, StartInstance};
//! let id = dt
//!     .workflow()
//!     .start_instance(&StartInstance {
//!         process_code: "PROC-EMU-GENERAL".into(),
//!         originator_user_id: "zhangsan".into(),
//!         dept_id: Some(101),
//!         form_component_values: vec![FormValue::new("事项名称", "买显示器"), FormValue::new("申请内容", "请批准")],
//!         ..Default::default()
//!     })
//!     .await?;
//! let instance = dt.workflow().get_instance(&id).await?;
//! println!("{:?}", instance.status);
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::v1::Query;
use crate::wire::{self, epoch_ms, v1_time};
use crate::{DingTalk, Error, Result};

/// Calls of the approval API; get it with [`DingTalk::workflow`].
pub struct WorkflowHandler<'a> {
    dt: &'a DingTalk,
}

// ---------------------------------------------------------------------------------------------------------------
// Closed sets
// ---------------------------------------------------------------------------------------------------------------

/// An instance's `status` (server-api.md §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstanceStatus {
    /// Created, not yet running.
    New,
    /// Waiting for approvers.
    Running,
    /// Revoked.
    Terminated,
    /// Ended with a result (see [`InstanceResult`]).
    Completed,
    /// Cancelled.
    Canceled,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// An instance's `result`, lower case on the wire; approved ⇔ `Completed` and `Agree`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceResult {
    /// Approved.
    Agree,
    /// Refused.
    Refuse,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// A task's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    /// Not started.
    New,
    /// Waiting for its approver.
    Running,
    /// Paused.
    Paused,
    /// Taken away: another approver of an OR step acted, or the instance ended.
    Canceled,
    /// Acted on.
    Completed,
    /// Ended with the instance.
    Terminated,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// A task's `result`, upper case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskResult {
    /// No decision (running or cancelled).
    None,
    /// Agreed.
    Agree,
    /// Refused.
    Refuse,
    /// Transferred to someone else.
    Redirected,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// An operation record's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationType {
    /// The originator started the instance.
    StartProcessInstance,
    /// An approver agreed or refused.
    ExecuteTaskNormal,
    /// Someone acted on an approver's behalf.
    ExecuteTaskAgent,
    /// The system acted (e.g. automatic approval).
    ExecuteTaskAuto,
    /// An approver was added before a step.
    AppendTaskBefore,
    /// An approver was added after a step.
    AppendTaskAfter,
    /// An approver transferred the task.
    RedirectTask,
    /// The flow was transferred.
    RedirectProcess,
    /// The instance was revoked.
    TerminateProcessInstance,
    /// The instance finished.
    FinishProcessInstance,
    /// Someone commented.
    AddRemark,
    /// People were copied.
    ProcessCc,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// An operation record's `result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationResult {
    /// Agreed.
    Agree,
    /// Refused.
    Refuse,
    /// No decision (a start, a comment, a transfer).
    None,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// How the approvers of one step decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ActionType {
    /// 会签: everyone must agree.
    And,
    /// 或签: the first to act decides.
    Or,
    /// A single approver.
    None,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// When copied people are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CcPosition {
    /// When the instance starts.
    Start,
    /// When it finishes.
    Finish,
    /// Both.
    StartFinish,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// An instance's `bizAction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BizAction {
    /// A plain instance.
    None,
    /// Resubmitted after a change.
    Modify,
    /// Revoked.
    Revoke,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// What an approver decides on [`WorkflowHandler::execute`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Agree.
    Agree,
    /// Refuse (ends the instance as refused).
    Refuse,
}

/// A form control's kind: the schema's `componentName` and a value's `componentType` (server-api.md §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ComponentName {
    /// One line of text.
    TextField,
    /// Several lines of text.
    TextareaField,
    /// A number.
    NumberField,
    /// An amount of money.
    MoneyField,
    /// One of `options`.
    DDSelectField,
    /// Several of `options`.
    DDMultiSelectField,
    /// A date (`format`).
    DDDateField,
    /// A start and an end date; its label is a JSON array of two labels.
    DDDateRangeField,
    /// Text shown on the form, no value.
    TextNote,
    /// A phone number.
    PhoneField,
    /// Photos.
    DDPhotoField,
    /// A table; its columns are `children`.
    TableField,
    /// Files in the approval space.
    DDAttachment,
    /// Members of the organisation.
    InnerContactField,
    /// Departments.
    DepartmentField,
    /// Other approval instances.
    RelateField,
    /// An address.
    AddressField,
    /// A star rating.
    StarRatingField,
    /// Records of another form.
    FormRelateField,
    /// A leave suite field.
    DDHolidayField,
    /// The current time and place.
    TimeAndLocationField,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// Which tasks [`WorkflowHandler::todo_work_records`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkRecordStatus {
    /// Waiting for the user (`status=0`).
    Pending,
    /// Taken away from the user (`status=-1`).
    Removed,
}

/// A template's form schema `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SchemaStatus {
    /// In use.
    Published,
    /// Disabled.
    Invalid,
    /// Saved, not published.
    Saved,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

// ---------------------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------------------

/// One form value to submit (`formComponentValues[]`); `name` is the control's label, and non-text values are
/// JSON encoded into `value` (server-api.md §5.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FormValue {
    /// The control's label (for a date range, the JSON array of its two labels).
    pub name: String,
    /// The value as text.
    pub value: String,
    /// The control's id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The control's alias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biz_alias: Option<String>,
    /// Extra value (a date range's duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ext_value: Option<String>,
    /// The control's kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component_type: Option<ComponentName>,
    /// Table rows as nested values, instead of JSON in `value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<FormValue>>,
}

impl FormValue {
    /// A value for the control labelled `name`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { name: name.into(), value: value.into(), ..Self::default() }
    }
}

/// One approval step given by the caller instead of the template's flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApproverNode {
    /// How the step's approvers decide.
    pub action_type: ActionType,
    /// The step's approvers.
    pub user_ids: Vec<String>,
}

/// The approvers the originator picks for a "originator picks" step; `actioner_key` is the step's `activityId`
/// from [`WorkflowHandler::forecast`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetSelectActioner {
    /// The step (`workflowActor.actorKey`).
    pub actioner_key: String,
    /// Who approves it.
    pub actioner_user_ids: Vec<String>,
}

/// Body of [`WorkflowHandler::start_instance`] (`POST /v1.0/workflow/processInstances`, server-api.md §5.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartInstance {
    /// The template (`PROC-...`).
    pub process_code: String,
    /// Who submits.
    pub originator_user_id: String,
    /// The originator's department (root = -1); required unless `approvers` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dept_id: Option<i64>,
    /// The app's agentId.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub microapp_agent_id: Option<i64>,
    /// Steps that replace the template's flow (at most 20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approvers: Option<Vec<ApproverNode>>,
    /// People to copy (with `approvers` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc_list: Vec<String>,
    /// When to copy them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cc_position: Option<CcPosition>,
    /// Approvers for the template's "originator picks" steps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target_select_actioners: Vec<TargetSelectActioner>,
    /// The form (at most 150 values).
    pub form_component_values: Vec<FormValue>,
    /// A detail page of the app's own (OA premium edition only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biz_detail_page_url: Option<String>,
}

/// Body of [`WorkflowHandler::list_instance_ids`] (`POST /v1.0/workflow/processes/instanceIds/query`, §5.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceIdsQuery {
    /// The template.
    pub process_code: String,
    /// Instances started at or after this.
    #[serde(with = "epoch_ms")]
    pub start_time: OffsetDateTime,
    /// ... and at or before this (default: now); at most 120 days after `start_time`.
    #[serde(with = "epoch_ms::option", skip_serializing_if = "Option::is_none")]
    pub end_time: Option<OffsetDateTime>,
    /// 0 for the first page, then the previous page's [`InstanceIdPage::next_token`].
    pub next_token: i64,
    /// Page size, 1 to 20.
    pub max_results: i64,
    /// Only instances of these originators (at most 10).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_ids: Vec<String>,
    /// Only instances in these states.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<InstanceStatus>,
}

impl InstanceIdsQuery {
    /// The first page of up to 20 ids of `process_code` instances started since `start_time`.
    pub fn new(process_code: impl Into<String>, start_time: OffsetDateTime) -> Self {
        Self {
            process_code: process_code.into(),
            start_time,
            end_time: None,
            next_token: 0,
            max_results: 20,
            user_ids: Vec::new(),
            statuses: Vec::new(),
        }
    }
}

/// Photos and files sent with an action or a comment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionFile {
    /// Photo URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<String>,
    /// Files from the approval space (at most 20).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file in the approval space, as actions, records and `DDAttachment` values carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// The approval space (a number on some APIs, a string on others; kept as text).
    #[serde(default, deserialize_with = "wire::text")]
    pub space_id: String,
    /// The file.
    #[serde(deserialize_with = "wire::text")]
    pub file_id: String,
    /// Its name.
    #[serde(default)]
    pub file_name: String,
    /// Its size in bytes, as text (DingTalk's requests send a string).
    #[serde(default, deserialize_with = "wire::text")]
    pub file_size: String,
    /// Its extension (`pdf`).
    #[serde(default)]
    pub file_type: String,
}

/// Body of [`WorkflowHandler::execute`] (`POST /v1.0/workflow/processInstances/execute`, §5.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteTask {
    /// The instance.
    pub process_instance_id: String,
    /// The task ([`Task::task_id`]).
    pub task_id: i64,
    /// The task's approver.
    pub actioner_user_id: String,
    /// Agree or refuse.
    pub result: Decision,
    /// A comment (at most 1024 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Photos and files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<ActionFile>,
}

/// Body of [`WorkflowHandler::redirect`] (`POST /v1.0/workflow/tasks/redirect`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedirectTask {
    /// The running task.
    pub task_id: i64,
    /// Who takes it over.
    pub to_user_id: String,
    /// Who hands it over (its approver).
    pub operate_user_id: String,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// The action's name as the record shows it (`转交`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_name: Option<String>,
    /// Photos and files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<ActionFile>,
}

/// Body of [`WorkflowHandler::terminate`] (`POST /v1.0/workflow/processInstances/terminate`, §5.8).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminateInstance {
    /// The instance.
    pub process_instance_id: String,
    /// Revoked by the system rather than the originator; always sent, as DingTalk checks it.
    pub is_system: bool,
    /// The originator, when `is_system` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operating_user_id: Option<String>,
    /// Why (at most 1024 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// Body of [`WorkflowHandler::comment`] (`POST /v1.0/workflow/processInstances/comments`, §5.9).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddComment {
    /// The instance.
    pub process_instance_id: String,
    /// The comment (at most 1024 characters).
    pub text: String,
    /// Who comments.
    pub comment_user_id: String,
    /// Photos and files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<ActionFile>,
}

/// Body of [`WorkflowHandler::forecast`] (`POST /v1.0/workflow/processes/forecast`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForecastRequest {
    /// The template.
    pub process_code: String,
    /// The originator's department (root = -1).
    pub dept_id: i64,
    /// The originator.
    pub user_id: String,
    /// The form so far; conditions in the flow read it.
    pub form_component_values: Vec<FormValue>,
}

/// Body of [`WorkflowHandler::download_url`] (`POST .../spaces/files/urls/download`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadFile {
    /// The instance the file is attached to.
    pub process_instance_id: String,
    /// The file.
    pub file_id: String,
    /// Whether the file may be attached to a comment rather than the form (DingTalk's spelling on the wire).
    #[serde(rename = "withCommentAttatchment", skip_serializing_if = "std::ops::Not::not")]
    pub with_comment_attachment: bool,
}

// ---------------------------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------------------------

/// An approval instance (`GET /v1.0/workflow/processInstances`, server-api.md §5.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    /// Title (`张三提交的通用审批`).
    #[serde(default)]
    pub title: String,
    /// Started.
    #[serde(with = "v1_time")]
    pub create_time: OffsetDateTime,
    /// Ended, when it has.
    #[serde(default, with = "v1_time::option", skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<OffsetDateTime>,
    /// Who submitted.
    pub originator_user_id: String,
    /// Their department (root = -1); a string on the wire.
    #[serde(deserialize_with = "wire::int")]
    pub originator_dept_id: i64,
    /// Its name.
    #[serde(default)]
    pub originator_dept_name: String,
    /// Where it stands.
    pub status: InstanceStatus,
    /// How it ended; `None` while running and when revoked.
    #[serde(default, deserialize_with = "wire::empty_as_none")]
    pub result: Option<InstanceResult>,
    /// The approval number.
    #[serde(default)]
    pub business_id: String,
    /// How it came about.
    #[serde(default, deserialize_with = "wire::empty_as_none")]
    pub biz_action: Option<BizAction>,
    /// Data of the app that started it.
    #[serde(default)]
    pub biz_data: Option<String>,
    /// Approvers given at the start.
    #[serde(default)]
    pub approver_user_ids: Vec<String>,
    /// People copied.
    #[serde(default)]
    pub cc_user_ids: Vec<String>,
    /// Instances attached to it.
    #[serde(default)]
    pub attached_process_instance_ids: Vec<String>,
    /// The instance it belongs to.
    #[serde(default)]
    pub main_process_instance_id: Option<String>,
    /// The form.
    #[serde(default)]
    pub form_component_values: Vec<FormComponentValue>,
    /// What happened, oldest first.
    #[serde(default)]
    pub operation_records: Vec<OperationRecord>,
    /// Every task, running and done.
    #[serde(default)]
    pub tasks: Vec<Task>,
}

impl Instance {
    /// The running tasks.
    pub fn running_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(|t| t.status == TaskStatus::Running)
    }

    /// Whether it ended approved.
    pub fn is_approved(&self) -> bool {
        self.status == InstanceStatus::Completed && self.result == Some(InstanceResult::Agree)
    }
}

/// A form value as an instance returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormComponentValue {
    /// The control's id.
    #[serde(default)]
    pub id: String,
    /// The control's label.
    #[serde(default)]
    pub name: String,
    /// The value as text (non-text values JSON encoded).
    #[serde(default)]
    pub value: String,
    /// Extra value.
    #[serde(default)]
    pub ext_value: Option<String>,
    /// The control's kind.
    #[serde(default)]
    pub component_type: Option<ComponentName>,
    /// The control's alias.
    #[serde(default)]
    pub biz_alias: Option<String>,
}

/// One entry of an instance's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationRecord {
    /// Who.
    pub user_id: String,
    /// When.
    #[serde(with = "v1_time")]
    pub date: OffsetDateTime,
    /// What.
    #[serde(rename = "type")]
    pub kind: OperationType,
    /// With which result.
    #[serde(default, deserialize_with = "wire::empty_as_none")]
    pub result: Option<OperationResult>,
    /// Their comment.
    #[serde(default)]
    pub remark: Option<String>,
    /// The record's caption.
    #[serde(default)]
    pub show_name: Option<String>,
    /// The step.
    #[serde(default)]
    pub activity_id: Option<String>,
    /// People copied by this operation.
    #[serde(default)]
    pub cc_user_ids: Vec<String>,
    /// Photo URLs.
    #[serde(default)]
    pub images: Vec<String>,
    /// Files.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// One approver's task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// int64 on v1.0 (a string on the legacy API; both are read).
    #[serde(deserialize_with = "wire::int")]
    pub task_id: i64,
    /// The approver.
    pub user_id: String,
    /// Where it stands.
    pub status: TaskStatus,
    /// What they decided.
    #[serde(default, deserialize_with = "wire::empty_as_none")]
    pub result: Option<TaskResult>,
    /// Created.
    #[serde(default, with = "v1_time::option", skip_serializing_if = "Option::is_none")]
    pub create_time: Option<OffsetDateTime>,
    /// Acted on or cancelled.
    #[serde(default, with = "v1_time::option", skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<OffsetDateTime>,
    /// DingTalk's page for the task on phones.
    #[serde(default)]
    pub mobile_url: Option<String>,
    /// ... and on PCs.
    #[serde(default)]
    pub pc_url: Option<String>,
    /// The instance.
    #[serde(default)]
    pub process_instance_id: String,
    /// The step.
    #[serde(default)]
    pub activity_id: Option<String>,
    /// The step's group name.
    #[serde(default)]
    pub task_group_name: Option<String>,
}

/// A page of instance ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceIdPage {
    /// Ids, oldest first.
    #[serde(default)]
    pub list: Vec<String>,
    /// The next page's token; `None` on the last page. A string on the wire, an `i64` here.
    #[serde(default, deserialize_with = "wire::opt_int", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<i64>,
}

/// A template's form schema (`GET /v1.0/workflow/forms/schemas/processCodes`, §5.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormSchema {
    /// The template's processCode.
    #[serde(default)]
    pub form_code: String,
    /// The form's id.
    #[serde(default)]
    pub form_uuid: String,
    /// The template's name.
    #[serde(default)]
    pub name: String,
    /// A line about it.
    #[serde(default)]
    pub memo: String,
    /// Who made it.
    #[serde(default)]
    pub creator_user_id: String,
    /// The app it belongs to.
    #[serde(default)]
    pub app_uuid: String,
    /// `orgId`, `cid` or `uid`.
    #[serde(default)]
    pub owner_id_type: String,
    /// Whether it is published.
    #[serde(default, deserialize_with = "wire::empty_as_none")]
    pub status: Option<SchemaStatus>,
    /// Who sees it (`all`, `part`).
    #[serde(default)]
    pub visible_range: String,
    /// Its icon.
    #[serde(default)]
    pub icon: String,
    /// Created, epoch ms (a string on the wire).
    #[serde(default, deserialize_with = "wire::opt_int")]
    pub gmt_create: Option<i64>,
    /// Changed, epoch ms (a string on the wire).
    #[serde(default, deserialize_with = "wire::opt_int")]
    pub gmt_modified: Option<i64>,
    /// The form.
    pub schema_content: SchemaContent,
}

/// The form of a [`FormSchema`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaContent {
    /// The form's title.
    #[serde(default)]
    pub title: String,
    /// Its icon.
    #[serde(default)]
    pub icon: String,
    /// Top-level controls, in order.
    #[serde(default)]
    pub items: Vec<FormComponent>,
}

impl SchemaContent {
    /// Every control, table columns right after their table.
    pub fn components(&self) -> impl Iterator<Item = &FormComponent> {
        self.items.iter().flat_map(|c| std::iter::once(c).chain(c.children.iter()))
    }
}

/// One form control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormComponent {
    /// Its kind.
    pub component_name: ComponentName,
    /// Its properties.
    pub props: ComponentProps,
    /// A table's columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<FormComponent>,
}

/// A control's properties: the common ones typed, every other one kept in `rest` (server-api.md §5.4 lists ~50).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentProps {
    /// `TextField-K2AD4O5B`.
    pub id: String,
    /// The label form values name the control by; see [`ComponentProps::labels`].
    #[serde(default)]
    pub label: String,
    /// A stable alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_alias: Option<String>,
    /// Whether a value is required.
    #[serde(default)]
    pub required: bool,
    /// Hint text (a `TextNote`'s text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// A (multi-)select's choices.
    #[serde(default, deserialize_with = "options", skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// A date's format (`yyyy-MM-dd` or `yyyy-MM-dd HH:mm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Unit: `天`/`小时` for a date range, the unit text of a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// `InnerContactField`: 1 = several people, 0 = one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<i64>,
    /// A money field shows the amount in Chinese capitals (`"1"` or `true` on the wire).
    #[serde(default, deserialize_with = "wire::opt_flag", skip_serializing_if = "Option::is_none")]
    pub upper: Option<bool>,
    /// A date range computes its duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<bool>,
    /// A table's totals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat_field: Option<Vec<StatField>>,
    /// A table's layout (`list`, `table`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_view_mode: Option<String>,
    /// A table's "add a row" caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_name: Option<String>,
    /// Left out of prints (`"1"` on the wire).
    #[serde(default, deserialize_with = "wire::opt_flag", skip_serializing_if = "Option::is_none")]
    pub not_print: Option<bool>,
    /// Every other property, as given.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl ComponentProps {
    /// The label(s): a date range's and a time-and-place field's label is a JSON array of two; others have one.
    pub fn labels(&self) -> Vec<String> {
        match serde_json::from_str::<Vec<String>>(&self.label) {
            Ok(labels) if self.label.starts_with('[') => labels,
            _ => vec![self.label.clone()],
        }
    }
}

/// One total of a table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatField {
    /// The column totalled.
    pub id: String,
    /// Its label.
    #[serde(default)]
    pub label: String,
    /// Shown in Chinese capitals.
    #[serde(default, deserialize_with = "wire::opt_flag")]
    pub upper: Option<bool>,
    /// Its unit.
    #[serde(default)]
    pub unit: Option<String>,
}

/// Select options: v1.0 gives strings, the form-create API `{key, value}` objects; both read as the text.
fn options<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Choice {
        Text(String),
        Object { value: String },
    }
    let choices: Option<Vec<Choice>> = Option::deserialize(deserializer)?;
    Ok(choices.map(|list| {
        list.into_iter()
            .map(|c| match c {
                Choice::Text(text) | Choice::Object { value: text } => text,
            })
            .collect()
    }))
}

/// A template a member may start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisibleTemplate {
    /// Its processCode.
    pub process_code: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its icon.
    #[serde(default)]
    pub icon_url: String,
    /// DingTalk's page to start it.
    #[serde(default)]
    pub url: String,
    /// Its folder's id.
    #[serde(default, deserialize_with = "wire::text")]
    pub dir_id: String,
    /// Its folder's name.
    #[serde(default)]
    pub dir_name: String,
}

/// A page of [`VisibleTemplate`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplatePage {
    /// The templates.
    #[serde(default)]
    pub process_list: Vec<VisibleTemplate>,
    /// The next page's token; `None` on the last page.
    #[serde(default, deserialize_with = "wire::opt_int", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<i64>,
}

/// One of a user's tasks (`GET /v1.0/workflow/workRecords/todoTasks`, §5.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkRecord {
    /// The instance.
    pub instance_id: String,
    /// The task.
    #[serde(deserialize_with = "wire::int")]
    pub task_id: i64,
    /// The instance's title.
    #[serde(default)]
    pub title: String,
    /// DingTalk's page for it.
    #[serde(default)]
    pub url: String,
    /// The first form values, for a summary.
    #[serde(default)]
    pub forms: Vec<WorkRecordForm>,
}

/// A form value in a [`WorkRecord`]'s summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkRecordForm {
    /// The control's label.
    #[serde(default)]
    pub title: String,
    /// The value.
    #[serde(default)]
    pub content: String,
}

/// A page of [`WorkRecord`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkRecordPage {
    /// The tasks.
    #[serde(default)]
    pub list: Vec<WorkRecord>,
    /// The next page's token; `None` on the last page.
    #[serde(default, deserialize_with = "wire::opt_int", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<i64>,
}

/// The flow a template would run (`POST /v1.0/workflow/processes/forecast`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Forecast {
    /// Whether DingTalk could work it out.
    #[serde(default)]
    pub is_forecast_success: bool,
    /// Whether no step depends on the originator's picks.
    #[serde(default)]
    pub is_static_workflow: bool,
    /// The template.
    #[serde(default)]
    pub process_code: String,
    /// The originator.
    #[serde(default)]
    pub user_id: String,
    /// The steps, in order.
    #[serde(default)]
    pub workflow_activity_rules: Vec<ActivityRule>,
}

impl Forecast {
    /// The steps whose approvers the originator must pick (`targetSelectActioners`).
    pub fn pick_steps(&self) -> impl Iterator<Item = &ActivityRule> {
        self.workflow_activity_rules.iter().filter(|r| r.is_target_select)
    }
}

/// One forecast step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityRule {
    /// The step; for a pick step, the `actionerKey`.
    pub activity_id: String,
    /// Its name.
    #[serde(default)]
    pub activity_name: String,
    /// Its kind: `target_select` (the originator picks its people) or `target_approval`.
    #[serde(default)]
    pub activity_type: String,
    /// The step before.
    #[serde(default)]
    pub prev_activity_id: Option<String>,
    /// Whether the originator picks its approvers.
    #[serde(default)]
    pub is_target_select: bool,
    /// Its approvers, when known.
    #[serde(default)]
    pub activity_actioners: Vec<Actioner>,
    /// Who may approve and how.
    #[serde(default)]
    pub workflow_actor: Option<WorkflowActor>,
}

/// An approver of a forecast step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actioner {
    /// userid.
    pub user_id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Avatar URL.
    #[serde(default)]
    pub avatar: String,
}

/// Who may approve a forecast step. The kinds are kept as DingTalk's text, as their sets are not documented.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowActor {
    /// The step's key (`actionerKey` of a pick step).
    #[serde(default)]
    pub actor_key: String,
    /// Who they are: `approver`, `notifier` (抄送人, people copied) or `audit` (办理人).
    #[serde(default)]
    pub actor_type: String,
    /// What the originator picks from: `allStaff`, `approvals` (named people) or `labels` (roles).
    #[serde(default)]
    pub actor_selection_type: String,
    /// Whom the originator may pick.
    #[serde(default)]
    pub actor_selection_range: Option<SelectionRange>,
    /// Whether several may be picked.
    #[serde(default)]
    pub allowed_multi: bool,
    /// `MANUAL`, `AUTO_AGREE` or `AUTO_REFUSE`.
    #[serde(default)]
    pub approval_type: Option<String>,
    /// How several approvers decide: `ONE_BY_ONE`, `AND` (会签) or `OR` (或签).
    #[serde(default)]
    pub approval_method: Option<String>,
    /// `ONE_BY_ONE` (one after another) or `ALL` (at once).
    #[serde(default)]
    pub actor_activate_type: Option<String>,
    /// Whether the pick is required.
    #[serde(default)]
    pub required: bool,
}

/// The people a pick step allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectionRange {
    /// The people.
    #[serde(default)]
    pub approvals: Vec<SelectablePerson>,
    /// Role labels.
    #[serde(default)]
    pub labels: Vec<Value>,
}

/// One person a pick step allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectablePerson {
    /// Their name.
    #[serde(default)]
    pub user_name: String,
    /// Their userid.
    #[serde(default)]
    pub work_no: String,
}

/// A download link for an attached file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDownload {
    /// The link.
    pub download_uri: String,
    /// The file.
    #[serde(default, deserialize_with = "wire::text")]
    pub file_id: String,
    /// Its space.
    #[serde(default, deserialize_with = "wire::int")]
    pub space_id: i64,
}

/// The `{"result": ...}` wrapper; `success` (a boolean, or the string `"true"` on get instance) is ignored, since a
/// failure comes as a non-2xx status.
#[derive(Deserialize)]
struct Wrapped<T> {
    result: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    instance_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeByName {
    process_code: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Space {
    #[serde(deserialize_with = "wire::int")]
    space_id: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpaceRequest<'a> {
    user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent_id: Option<i64>,
}

// ---------------------------------------------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------------------------------------------

impl<'a> WorkflowHandler<'a> {
    pub(crate) fn new(dt: &'a DingTalk) -> Self {
        Self { dt }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: Query<'_>) -> Result<T> {
        let wrapped: Wrapped<T> = self.dt.v1_app(Method::GET, path, query, None::<&()>).await?;
        Ok(wrapped.result)
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T> {
        let wrapped: Wrapped<T> = self.dt.v1_app(Method::POST, path, &[], Some(body)).await?;
        Ok(wrapped.result)
    }

    /// Posts an action whose answer is `{"result": true}`; `false` is not a documented answer and is reported.
    async fn act(&self, path: &str, body: &impl Serialize) -> Result<()> {
        if self.post::<bool>(path, body).await? {
            return Ok(());
        }
        Err(Error::Decode {
            path: "result".into(),
            message: "DingTalk answered result=false".into(),
            body: path.into(),
        })
    }

    /// Starts an instance and returns its id. Refusals include `processCodeError` (no such template),
    /// `formConverterError` (a form value does not fit its control) and `targetSelectApproverMissing`.
    pub async fn start_instance(&self, request: &StartInstance) -> Result<String> {
        let created: Created =
            self.dt.v1_app(Method::POST, "/v1.0/workflow/processInstances", &[], Some(request)).await?;
        Ok(created.instance_id)
    }

    /// An instance with its form, history and tasks. An unknown id is `processInstanceNotExist`.
    pub async fn get_instance(&self, process_instance_id: &str) -> Result<Instance> {
        self.get("/v1.0/workflow/processInstances", &[("processInstanceId", process_instance_id.to_owned())]).await
    }

    /// A page of ids of a template's instances, oldest first.
    pub async fn list_instance_ids(&self, query: &InstanceIdsQuery) -> Result<InstanceIdPage> {
        self.post("/v1.0/workflow/processes/instanceIds/query", query).await
    }

    /// A template's form. An unknown processCode is `formNotExist`.
    pub async fn form_schema(&self, process_code: &str) -> Result<FormSchema> {
        self.get("/v1.0/workflow/forms/schemas/processCodes", &[("processCode", process_code.to_owned())]).await
    }

    /// A page (`max_results` 1 to 100, `next_token` 0 first) of the templates `user_id` may start.
    pub async fn visible_templates(&self, user_id: &str, next_token: i64, max_results: i64) -> Result<TemplatePage> {
        let query = [
            ("userId", user_id.to_owned()),
            ("maxResults", max_results.to_string()),
            ("nextToken", next_token.to_string()),
        ];
        self.get("/v1.0/workflow/processes/userVisibilities/templates", &query).await
    }

    /// The processCode of the template named `name`; none is `formNotExist`.
    pub async fn process_code_by_name(&self, name: &str) -> Result<String> {
        let found: CodeByName =
            self.get("/v1.0/workflow/processCentres/schemaNames/processCodes", &[("name", name.to_owned())]).await?;
        Ok(found.process_code)
    }

    /// How many tasks wait for `user_id`.
    pub async fn todo_count(&self, user_id: &str) -> Result<i64> {
        self.get("/v1.0/workflow/processes/todoTasks/numbers", &[("userId", user_id.to_owned())]).await
    }

    /// A page (`max_results` 1 to 50, `next_token` 0 first) of `user_id`'s pending or removed tasks.
    pub async fn todo_work_records(
        &self,
        user_id: &str,
        status: WorkRecordStatus,
        next_token: i64,
        max_results: i64,
    ) -> Result<WorkRecordPage> {
        let status = match status {
            WorkRecordStatus::Pending => "0",
            WorkRecordStatus::Removed => "-1",
        };
        let query = [
            ("userId", user_id.to_owned()),
            ("status", status.to_owned()),
            ("nextToken", next_token.to_string()),
            ("maxResults", max_results.to_string()),
        ];
        self.get("/v1.0/workflow/workRecords/todoTasks", &query).await
    }

    /// Agrees or refuses a task. A task already acted on is `aflowProcessInstStatusException`.
    pub async fn execute(&self, request: &ExecuteTask) -> Result<()> {
        self.act("/v1.0/workflow/processInstances/execute", request).await
    }

    /// Transfers a running task to someone else.
    pub async fn redirect(&self, request: &RedirectTask) -> Result<()> {
        self.act("/v1.0/workflow/tasks/redirect", request).await
    }

    /// Revokes an instance; refused (`aflowProcessInstStatusException`) within 15 s of its start and once it ended.
    pub async fn terminate(&self, request: &TerminateInstance) -> Result<()> {
        self.act("/v1.0/workflow/processInstances/terminate", request).await
    }

    /// Comments on an instance; it shows as an `ADD_REMARK` record.
    pub async fn comment(&self, request: &AddComment) -> Result<()> {
        self.act("/v1.0/workflow/processInstances/comments", request).await
    }

    /// The steps a template would run for this originator and form, including the ones they must pick for.
    pub async fn forecast(&self, request: &ForecastRequest) -> Result<Forecast> {
        self.post("/v1.0/workflow/processes/forecast", request).await
    }

    /// The id of `user_id`'s approval space, where the browser uploads attachments (`biz.util.uploadAttachment`).
    pub async fn attachment_space(&self, user_id: &str, agent_id: Option<i64>) -> Result<i64> {
        let space: Space = self
            .post("/v1.0/workflow/processInstances/spaces/infos/query", &SpaceRequest { user_id, agent_id })
            .await?;
        Ok(space.space_id)
    }

    /// A download link for a file attached to an instance; a file not attached to it is `fileNotExist`.
    pub async fn download_url(&self, request: &DownloadFile) -> Result<FileDownload> {
        self.post("/v1.0/workflow/processInstances/spaces/files/urls/download", request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_enum_values_and_fields_still_decode() {
        let task: Task = serde_json::from_str(
            r#"{"taskId":"64000000001","userId":"u","status":"SUSPENDED","result":"","createTime":"2024-01-02T03:04Z",
                "brandNewField":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!((task.task_id, task.status, task.result), (64_000_000_001, TaskStatus::Unknown, None));
        let name: ComponentName = serde_json::from_str(r#""DDBrandNewField""#).unwrap();
        assert_eq!(name, ComponentName::Unknown);
    }

    #[test]
    fn requests_use_dingtalks_field_names_and_leave_out_what_is_unset() {
        let body = serde_json::to_value(StartInstance {
            process_code: "P".into(),
            originator_user_id: "u".into(),
            dept_id: Some(-1),
            cc_position: Some(CcPosition::StartFinish),
            form_component_values: vec![FormValue::new("a", "b")],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"processCode":"P","originatorUserId":"u","deptId":-1,"ccPosition":"START_FINISH",
                "formComponentValues":[{"name":"a","value":"b"}]})
        );
        let download =
            DownloadFile { process_instance_id: "i".into(), file_id: "f".into(), with_comment_attachment: true };
        assert_eq!(serde_json::to_value(download).unwrap()["withCommentAttatchment"], true);
    }

    #[test]
    fn a_date_range_label_is_two_labels() {
        let props = ComponentProps { label: r#"["开始时间","结束时间"]"#.into(), ..Default::default() };
        assert_eq!(props.labels(), ["开始时间", "结束时间"]);
        let props = ComponentProps { label: "事由".into(), ..Default::default() };
        assert_eq!(props.labels(), ["事由"]);
    }
}
