//! The inbox (待处理 / 已处理 / 已发起 / 抄送我): what `GET /api/inbox` and `GET /api/inbox/counts` answer.

use serde::{Deserialize, Serialize};

use crate::{RequestFailure, RequestState};

/// One of the four boxes. Serialized in lower case (`todo`, `done`, `mine`, `cc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum InboxBox {
    /// 待处理: tasks waiting for the caller.
    Todo,
    /// 已处理: instances the caller acted on.
    Done,
    /// 已发起: the caller's own requests, including those not yet delivered to DingTalk.
    Mine,
    /// 抄送我: instances the caller was copied on.
    Cc,
}

impl InboxBox {
    /// Every box, in the app's order.
    pub const ALL: [InboxBox; 4] = [InboxBox::Todo, InboxBox::Done, InboxBox::Mine, InboxBox::Cc];

    /// The name used in `?box=`.
    pub fn as_str(self) -> &'static str {
        match self {
            InboxBox::Todo => "todo",
            InboxBox::Done => "done",
            InboxBox::Mine => "mine",
            InboxBox::Cc => "cc",
        }
    }
}

/// A person as the inbox shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InboxPerson {
    /// DingTalk's userid.
    pub user_id: String,
    /// Their name, when shenpi knows it (they logged in once); empty otherwise.
    pub name: String,
}

/// One line of a box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    /// DingTalk's instance; absent while a request of the caller's is not delivered (or failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// shenpi's request, for the caller's own submissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The caller's task (待处理 only): what approve / refuse act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<i64>,
    /// The instance's title (`张三提交的通用审批`); empty until DingTalk told us.
    pub title: String,
    /// The template.
    pub process_code: String,
    /// Who submitted it.
    pub originator: InboxPerson,
    /// Where it stands.
    pub status: RequestState,
    /// Why it failed, for a failed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<RequestFailure>,
    /// When it was submitted, Unix ms.
    pub created_at: i64,
    /// When it ended, Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
}

/// A page of a box, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InboxPage {
    /// The items.
    pub items: Vec<InboxItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// How many items each box holds, without filters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InboxCounts {
    /// 待处理.
    pub todo: u64,
    /// 已处理.
    pub done: u64,
    /// 已发起.
    pub mine: u64,
    /// 抄送我.
    pub cc: u64,
}
