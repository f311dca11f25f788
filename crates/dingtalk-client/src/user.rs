//! Identity and contacts: who a free-login code belongs to, and a user's profile (server-api.md §3).

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{DingTalk, Result};

/// Calls about users; get it with [`DingTalk::user`].
pub struct UserHandler<'a> {
    dt: &'a DingTalk,
}

/// `topapi/v2/user/getuserinfo`'s `result`: who opened the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserByCode {
    /// userid inside the organisation.
    pub userid: String,
    /// unionid across organisations.
    #[serde(default)]
    pub unionid: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Whether the user is an administrator.
    #[serde(default)]
    pub sys: bool,
    /// 1 primary admin, 2 sub-admin, 100 boss, 0 others.
    #[serde(default)]
    pub sys_level: i64,
}

/// `topapi/v2/user/get`'s `result`, the fields shenpi uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    /// userid inside the organisation.
    pub userid: String,
    /// unionid across organisations.
    #[serde(default)]
    pub unionid: String,
    /// Display name.
    pub name: String,
    /// Avatar URL; absent for the default avatar.
    #[serde(default)]
    pub avatar: Option<String>,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
    /// Departments; the root is 1.
    #[serde(default)]
    pub dept_id_list: Vec<i64>,
    /// Direct manager.
    #[serde(default)]
    pub manager_userid: Option<String>,
    /// Whether the account is activated.
    #[serde(default)]
    pub active: bool,
    /// Whether the user is the organisation's boss.
    #[serde(default)]
    pub boss: bool,
}

/// A legacy answer's `result`.
#[derive(Deserialize)]
pub(crate) struct Wrapped<T> {
    pub(crate) result: T,
}

impl<'a> UserHandler<'a> {
    pub(crate) fn new(dt: &'a DingTalk) -> Self {
        Self { dt }
    }

    /// Exchanges a free-login code from `requestAuthCode` for the user's identity. The code is single-use and lives
    /// five minutes; DingTalk answers a used or expired one with `Api { code: "40078" }`.
    pub async fn by_auth_code(&self, code: &str) -> Result<UserByCode> {
        let wrapped: Wrapped<UserByCode> =
            self.dt.legacy_post("/topapi/v2/user/getuserinfo", &json!({ "code": code })).await?;
        Ok(wrapped.result)
    }

    /// The userid inside this organisation of the person with `unionid` (from the web login). Someone outside the
    /// organisation gets `Api { code: "60121" }`.
    pub async fn by_union_id(&self, unionid: &str) -> Result<String> {
        #[derive(Deserialize)]
        struct ByUnionId {
            userid: String,
        }
        let wrapped: Wrapped<ByUnionId> =
            self.dt.legacy_post("/topapi/user/getbyunionid", &json!({ "unionid": unionid })).await?;
        Ok(wrapped.result.userid)
    }

    /// A user's profile in Chinese (`zh_CN`).
    pub async fn get(&self, userid: &str) -> Result<UserDetail> {
        let wrapped: Wrapped<UserDetail> =
            self.dt.legacy_post("/topapi/v2/user/get", &json!({ "userid": userid, "language": "zh_CN" })).await?;
        Ok(wrapped.result)
    }
}
