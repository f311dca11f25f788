//! DingTalk's web login for browsers outside DingTalk: an `authCode` from `login.dingtalk.com/oauth2/auth` becomes
//! a user access token, and that token tells who logged in (server-api.md §2, §3.1).

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::{DingTalk, Result};

/// Calls of the OAuth login; get it with [`DingTalk::oauth`].
pub struct OAuthHandler<'a> {
    dt: &'a DingTalk,
}

/// A user access token (`POST /v1.0/oauth2/userAccessToken`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserToken {
    /// Acts as the user on `/v1.0/contact/users/me`.
    pub access_token: String,
    /// Renews the access token (30 days).
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Seconds the access token lives.
    pub expire_in: i64,
    /// The organisation the user chose, when the scope asked for it.
    #[serde(default)]
    pub corp_id: Option<String>,
}

impl std::fmt::Debug for UserToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserToken").field("expire_in", &self.expire_in).field("corp_id", &self.corp_id).finish()
    }
}

/// `GET /v1.0/contact/users/me`: the logged-in person, across organisations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// Display name.
    pub nick: String,
    /// unionid: the same person in every organisation; look up the userid with `user().by_union_id`.
    pub union_id: String,
    /// openId for this app.
    #[serde(default)]
    pub open_id: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserTokenRequest<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    code: &'a str,
    grant_type: &'a str,
}

impl<'a> OAuthHandler<'a> {
    pub(crate) fn new(dt: &'a DingTalk) -> Self {
        Self { dt }
    }

    /// Exchanges the `authCode` from the login redirect for a user access token. The code is single-use.
    pub async fn user_token(&self, auth_code: &str) -> Result<UserToken> {
        let inner = &self.dt.inner;
        let body = UserTokenRequest {
            client_id: &inner.app_key,
            client_secret: &inner.app_secret,
            code: auth_code,
            grant_type: "authorization_code",
        };
        self.dt.v1_send(Method::POST, "/v1.0/oauth2/userAccessToken", None, &[], Some(&body)).await
    }

    /// Who the user token belongs to.
    pub async fn me(&self, token: &UserToken) -> Result<Me> {
        self.dt.v1_send(Method::GET, "/v1.0/contact/users/me", Some(&token.access_token), &[], None::<&()>).await
    }
}
