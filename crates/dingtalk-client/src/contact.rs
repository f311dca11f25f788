//! The organisation's directory on the legacy host: a department (`topapi/v2/department/get`), its sub-departments (`topapi/v2/department/listsub`)
//! and its members, a page at a time (`topapi/v2/user/list`).
//!
//! Both calls are on DingTalk's list of contact APIs exempt from the monthly quota (server-api.md §1.4). An unknown
//! department is `Api { code: "60003" }`.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::user::{UserDetail, Wrapped};
use crate::{DingTalk, Result};

/// The most people one [`ContactHandler::members`] page may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;

/// Calls about the directory; get it with [`DingTalk::contact`].
pub struct ContactHandler<'a> {
    dt: &'a DingTalk,
}

/// One entry of `topapi/v2/department/listsub`'s `result`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubDepartment {
    /// Department id.
    pub dept_id: i64,
    /// Name.
    pub name: String,
    /// The department asked about.
    #[serde(default)]
    pub parent_id: Option<i64>,
}

/// `topapi/v2/department/get`'s `result`, the fields the directory uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentDetail {
    /// Department id.
    pub dept_id: i64,
    /// Name.
    pub name: String,
    /// Parent department; absent for the root.
    #[serde(default)]
    pub parent_id: Option<i64>,
}

/// `topapi/v2/user/list`'s `result`: one page of a department's members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPage {
    /// Whether another page follows.
    #[serde(default)]
    pub has_more: bool,
    /// The `cursor` of the next page; absent on the last.
    #[serde(default)]
    pub next_cursor: Option<i64>,
    /// The members on this page, with the same fields as a profile.
    #[serde(default)]
    pub list: Vec<UserDetail>,
}

impl<'a> ContactHandler<'a> {
    pub(crate) fn new(dt: &'a DingTalk) -> Self {
        Self { dt }
    }

    /// One department's details (the root is 1), its name in Chinese.
    pub async fn department(&self, dept_id: i64) -> Result<DepartmentDetail> {
        let body = json!({ "dept_id": dept_id, "language": "zh_CN" });
        let wrapped: Wrapped<DepartmentDetail> = self.dt.legacy_post("/topapi/v2/department/get", &body).await?;
        Ok(wrapped.result)
    }

    /// The direct sub-departments of `dept_id` (the root is 1), names in Chinese.
    pub async fn sub_departments(&self, dept_id: i64) -> Result<Vec<SubDepartment>> {
        let body = json!({ "dept_id": dept_id, "language": "zh_CN" });
        let wrapped: Wrapped<Vec<SubDepartment>> = self.dt.legacy_post("/topapi/v2/department/listsub", &body).await?;
        Ok(wrapped.result)
    }

    /// One page of the direct members of `dept_id`, from `cursor` (0 for the first page), `size` people at most
    /// (clamped to 1..=[`MAX_PAGE_SIZE`]).
    pub async fn members(&self, dept_id: i64, cursor: i64, size: u32) -> Result<MemberPage> {
        let size = size.clamp(1, MAX_PAGE_SIZE);
        let body = json!({ "dept_id": dept_id, "cursor": cursor, "size": size, "language": "zh_CN" });
        let wrapped: Wrapped<MemberPage> = self.dt.legacy_post("/topapi/v2/user/list", &body).await?;
        Ok(wrapped.result)
    }
}
