//! The contact directory for the browser's person and department pickers: `GET /api/contacts` and
//! `GET /api/departments`.

use serde::{Deserialize, Serialize};

/// A person the pickers offer: a current member of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// userid inside the organisation.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// Avatar URL; absent for DingTalk's default avatar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Job title, when the person has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The names of the person's departments, the main one first.
    pub departments: Vec<String>,
}

/// `GET /api/contacts`: one page of people, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ContactPage {
    /// The people on this page.
    pub items: Vec<Contact>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// One department as the department picker shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DepartmentNode {
    /// Department id; the root is 1.
    pub dept_id: i64,
    /// Name.
    pub name: String,
    /// The parent department; absent for the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<i64>,
    /// Current members of the department and all its sub-departments, each person counted once.
    pub member_count: u32,
    /// Whether it has sub-departments to browse into.
    pub has_children: bool,
}
