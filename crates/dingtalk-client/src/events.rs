//! Event payloads: the business fields of the approval events `bpms_instance_change` and `bpms_task_change`
//! (events.md §2) and of the contact event `user_leave_org`, as they come in the `data` of a Stream EVENT frame (and,
//! with extra metadata fields, in an HTTP push).

use serde::{Deserialize, Deserializer, Serialize};

/// The type of an event (the `eventType` header). Only the types shenpi reads are named; DingTalk has many more.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventType {
    /// `bpms_instance_change`: an instance started, finished or was terminated.
    InstanceChange,
    /// `bpms_task_change`: a task started, finished or was cancelled.
    TaskChange,
    /// `user_leave_org`: people left the organisation.
    UserLeaveOrg,
    /// Any other event type, as DingTalk spelled it.
    Other(String),
}

impl EventType {
    /// DingTalk's name for it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InstanceChange => "bpms_instance_change",
            Self::TaskChange => "bpms_task_change",
            Self::UserLeaveOrg => "user_leave_org",
            Self::Other(name) => name,
        }
    }
}

impl From<&str> for EventType {
    fn from(name: &str) -> Self {
        match name {
            "bpms_instance_change" => Self::InstanceChange,
            "bpms_task_change" => Self::TaskChange,
            "user_leave_org" => Self::UserLeaveOrg,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An approval event, typed by its `eventType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalEvent {
    /// `bpms_instance_change`.
    Instance(BpmsInstanceChange),
    /// `bpms_task_change`.
    Task(BpmsTaskChange),
}

/// What happened to an instance (`type` of `bpms_instance_change`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceChangeType {
    /// The instance was created.
    Start,
    /// It ended normally, agreed or refused (see `result`).
    Finish,
    /// The originator revoked it.
    Terminate,
    /// It was deleted (named by DingTalk, no documented sample).
    Delete,
    /// A value DingTalk did not document.
    #[serde(other)]
    Unknown,
}

/// What happened to a task (`type` of `bpms_task_change`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskChangeType {
    /// The task was created for its approver.
    Start,
    /// The approver acted (see `result`).
    Finish,
    /// Another approver of an OR-sign node acted, or the instance was revoked.
    Cancel,
    /// A value DingTalk did not document.
    #[serde(other)]
    Unknown,
}

/// The outcome of a finished instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceResult {
    /// Approved.
    Agree,
    /// Refused.
    Refuse,
    /// A value DingTalk did not document.
    #[serde(other)]
    Unknown,
}

/// The outcome of a finished task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskResult {
    /// Approved.
    Agree,
    /// Refused.
    Refuse,
    /// Transferred to someone else.
    Redirect,
    /// A value DingTalk did not document.
    #[serde(other)]
    Unknown,
}

/// The business fields of `bpms_instance_change` (events.md §2.2); unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BpmsInstanceChange {
    /// The instance.
    pub process_instance_id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: InstanceChangeType,
    /// On `finish` only.
    #[serde(default)]
    pub result: Option<InstanceResult>,
    /// The template code.
    #[serde(default)]
    pub process_code: Option<String>,
    /// The suite category; empty or absent for plain OA forms.
    #[serde(default)]
    pub biz_category_id: Option<String>,
    /// The instance's title.
    #[serde(default)]
    pub title: String,
    /// The originator's userId.
    #[serde(default)]
    pub staff_id: String,
    /// When the instance was created (ms).
    #[serde(default, deserialize_with = "millis")]
    pub create_time: Option<i64>,
    /// When it finished or was terminated (ms).
    #[serde(default, deserialize_with = "millis")]
    pub finish_time: Option<i64>,
    /// The mobile detail page.
    #[serde(default)]
    pub url: Option<String>,
    /// The approval number.
    #[serde(default)]
    pub business_id: Option<String>,
}

/// The business fields of `bpms_task_change` (events.md §2.3); unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BpmsTaskChange {
    /// The instance the task belongs to.
    pub process_instance_id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: TaskChangeType,
    /// On `finish` only.
    #[serde(default)]
    pub result: Option<TaskResult>,
    /// The task (current docs only).
    #[serde(default, deserialize_with = "millis")]
    pub task_id: Option<i64>,
    /// The template code.
    #[serde(default)]
    pub process_code: Option<String>,
    /// The suite category; empty or absent for plain OA forms.
    #[serde(default)]
    pub biz_category_id: Option<String>,
    /// The instance's title.
    #[serde(default)]
    pub title: String,
    /// The approver of this task (not the originator).
    #[serde(default)]
    pub staff_id: String,
    /// The comment entered with the action.
    #[serde(default)]
    pub remark: Option<String>,
    /// When the instance was created (ms).
    #[serde(default, deserialize_with = "millis")]
    pub create_time: Option<i64>,
    /// When the task finished or was cancelled (ms).
    #[serde(default, deserialize_with = "millis")]
    pub finish_time: Option<i64>,
    /// The approval number.
    #[serde(default)]
    pub business_id: Option<String>,
}

/// The business fields of `user_leave_org`: who left. DingTalk documents this event only loosely: the legacy HTTP
/// plaintext spells the field `UserId`, the current format `userId`, and either may be an array or one string; all
/// decode, and when both spellings are present (an HTTP push may carry both) `userId` wins. Unknown fields are
/// ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawUserLeaveOrg")]
pub struct UserLeaveOrg {
    /// The userIds of the people who left.
    #[serde(rename = "userId")]
    pub user_ids: Vec<String>,
}

/// `user_leave_org` as it may arrive, before picking a spelling.
#[derive(Deserialize)]
struct RawUserLeaveOrg {
    #[serde(rename = "userId", default)]
    current: Option<OneOrMany>,
    #[serde(rename = "UserId", default)]
    legacy: Option<OneOrMany>,
}

/// A list of strings that may come as one bare string.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl TryFrom<RawUserLeaveOrg> for UserLeaveOrg {
    type Error = &'static str;

    fn try_from(raw: RawUserLeaveOrg) -> std::result::Result<Self, Self::Error> {
        let user_ids = match raw.current.or(raw.legacy).ok_or("user_leave_org without userId or UserId")? {
            OneOrMany::One(id) => vec![id],
            OneOrMany::Many(ids) => ids,
        };
        Ok(Self { user_ids })
    }
}

/// An int64 that DingTalk sends as a number or as a numeric string, or `null`.
fn millis<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(de)? {
        None => Ok(None),
        Some(Raw::Number(n)) => Ok(Some(n)),
        Some(Raw::Text(text)) if text.is_empty() => Ok(None),
        Some(Raw::Text(text)) => text.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_task_finish_decodes_with_times_as_numbers_or_strings() {
        let data = json!({
            "processInstanceId": "pi-1", "type": "finish", "result": "redirect", "taskId": "61", "staffId": "lisi",
            "createTime": 1_700_000_000_000_i64, "finishTime": "1700000001000", "remark": "转交", "extra": true,
        });
        let task: BpmsTaskChange = serde_json::from_value(data).unwrap();
        assert_eq!(task.kind, TaskChangeType::Finish);
        assert_eq!(task.result, Some(TaskResult::Redirect));
        assert_eq!(task.task_id, Some(61));
        assert_eq!(task.create_time, Some(1_700_000_000_000));
        assert_eq!(task.finish_time, Some(1_700_000_001_000));
    }

    #[test]
    fn undocumented_values_decode_as_unknown() {
        let data = json!({ "processInstanceId": "pi-1", "type": "archive", "result": "maybe" });
        let instance: BpmsInstanceChange = serde_json::from_value(data).unwrap();
        assert_eq!(instance.kind, InstanceChangeType::Unknown);
        assert_eq!(instance.result, Some(InstanceResult::Unknown));
        assert_eq!(instance.create_time, None);
    }

    #[test]
    fn user_leave_org_reads_either_spelling_as_an_array_or_one_string() {
        for data in [
            json!({ "userId": ["a", "b"] }),
            json!({ "UserId": ["a", "b"], "CorpId": "ding1", "TimeStamp": "1700000000000", "EventType": "user_leave_org" }),
            json!({ "userId": ["a", "b"], "UserId": ["a", "b"], "TimeStamp": "1700000000000" }),
        ] {
            let left: UserLeaveOrg = serde_json::from_value(data).unwrap();
            assert_eq!(left.user_ids, ["a", "b"]);
        }
        for data in [json!({ "userId": "a" }), json!({ "UserId": "a" })] {
            assert_eq!(serde_json::from_value::<UserLeaveOrg>(data).unwrap().user_ids, ["a"]);
        }
        assert!(serde_json::from_value::<UserLeaveOrg>(json!({ "corpId": "ding1" })).is_err());
    }

    #[test]
    fn event_types_keep_dingtalks_names() {
        assert_eq!(EventType::from("user_leave_org"), EventType::UserLeaveOrg);
        for name in ["bpms_instance_change", "bpms_task_change", "user_leave_org", "chat_update_title"] {
            assert_eq!(EventType::from(name).as_str(), name);
        }
        assert_eq!(EventType::from("bpms_task_change"), EventType::TaskChange);
    }
}
