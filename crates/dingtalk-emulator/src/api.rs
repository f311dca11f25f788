//! The new host (`api.dingtalk.com`, `/v1.0/...`): camelCase JSON, HTTP status for errors with the body
//! `{code, message, requestid}` (server-api.md §1.2).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::state::{Shared, TokenProblem, random_string};

/// The answer to an unknown, used or expired OAuth `code`. DingTalk's exact body for this case was not found in
/// any source (server-api.md has none); `invalidAuthCode` mirrors its naming and is kept here, in one place.
pub const INVALID_OAUTH_CODE: (&str, &str) = ("invalidAuthCode", "无效的授权码");

/// The v1.0 routes.
pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1.0/oauth2/accessToken", post(access_token))
        .route("/v1.0/oauth2/userAccessToken", post(user_access_token))
        .route("/v1.0/oauth2/{corp_id}/token", post(corp_token))
        .route("/v1.0/contact/users/me", axum::routing::get(users_me))
        .route("/v1.0/{*rest}", any(not_found))
}

/// A v1.0 error: status, `code`, `message` and a request id, with DingTalk's response headers.
pub fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    let request_id = request_id();
    (
        status,
        [("x-acs-request-id", request_id.clone()), ("server", "DingTalk/1.0.0".to_owned())],
        Json(json!({ "code": code, "requestid": request_id, "message": message })),
    )
        .into_response()
}

/// A request id shaped like DingTalk's (`30EE8654-1AA2-7D88-8248-9518547248AA`).
fn request_id() -> String {
    let raw = random_string(32).to_uppercase();
    format!("{}-{}-{}-{}-{}", &raw[..8], &raw[8..12], &raw[12..16], &raw[16..20], &raw[20..32])
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccessTokenRequest {
    app_key: Option<String>,
    app_secret: Option<String>,
}

async fn access_token(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<AccessTokenRequest>(&body) else {
        return api_error(StatusCode::BAD_REQUEST, "MissingParameter", "body must be JSON");
    };
    let (Some(key), Some(secret)) = (req.app_key, req.app_secret) else {
        return api_error(StatusCode::BAD_REQUEST, "MissingappKey", "appKey and appSecret are required");
    };
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    if key != state.org.app.app_key || secret != state.org.app.app_secret {
        return api_error(StatusCode::BAD_REQUEST, "invalidClientIdOrSecret", "无效的clientId或clientSecret");
    }
    let token = state.issue_token(shared.clock.now_ms());
    Json(json!({ "accessToken": token, "expireIn": 7200 })).into_response()
}

#[derive(Deserialize)]
struct CorpTokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
}

/// `POST /v1.0/oauth2/{corpId}/token`: the unified app token, snake_case on this one path (server-api.md §2). The
/// same token as the other two token endpoints (one per app). A corpId other than the organisation's is treated as
/// a client the organisation does not know: 401 `unauthorized.client` (DingTalk's answer for it is unverified).
async fn corp_token(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(corp_id): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(req) = serde_json::from_slice::<CorpTokenRequest>(&body) else {
        return api_error(StatusCode::BAD_REQUEST, "MissingParameter", "body must be JSON");
    };
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    if req.grant_type.as_deref() != Some("client_credentials") {
        return api_error(StatusCode::BAD_REQUEST, "unsupported.grant.type", "grant_type 仅支持 client_credentials");
    }
    if req.client_id.as_deref() != Some(state.org.app.app_key.as_str())
        || req.client_secret.as_deref() != Some(state.org.app.app_secret.as_str())
    {
        return api_error(StatusCode::BAD_REQUEST, "invalid.client", "无效的client_id或client_secret");
    }
    if corp_id != state.org.corp.corp_id {
        return api_error(StatusCode::UNAUTHORIZED, "unauthorized.client", "应用未被授权访问该组织");
    }
    let token = state.issue_token(shared.clock.now_ms());
    Json(json!({ "access_token": token, "expires_in": 7200 })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserAccessTokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    grant_type: Option<String>,
}

/// `POST /v1.0/oauth2/userAccessToken` with `grantType: authorization_code` (server-api.md §2).
async fn user_access_token(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<UserAccessTokenRequest>(&body) else {
        return api_error(StatusCode::BAD_REQUEST, "MissingParameter", "body must be JSON");
    };
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    if req.client_id.as_deref() != Some(state.org.app.app_key.as_str())
        || req.client_secret.as_deref() != Some(state.org.app.app_secret.as_str())
    {
        return api_error(StatusCode::BAD_REQUEST, "invalidClientIdOrSecret", "无效的clientId或clientSecret");
    }
    if req.grant_type.as_deref() != Some("authorization_code") {
        return api_error(StatusCode::BAD_REQUEST, "unsupported.grant.type", "grantType 仅支持 authorization_code");
    }
    let Some(code) = req.code.filter(|c| !c.is_empty()) else {
        return api_error(StatusCode::BAD_REQUEST, "MissingCode", "code is mandatory for this action.");
    };
    match state.redeem_oauth_code(&code, shared.clock.now_ms()) {
        Ok((access, refresh)) => Json(json!({
            "accessToken": access,
            "refreshToken": refresh,
            "expireIn": 7200,
            "corpId": state.org.corp.corp_id,
        }))
        .into_response(),
        Err(_) => api_error(StatusCode::BAD_REQUEST, INVALID_OAUTH_CODE.0, INVALID_OAUTH_CODE.1),
    }
}

/// `GET /v1.0/contact/users/me` with the *user's* token in `x-acs-dingtalk-access-token`.
async fn users_me(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let token = headers.get("x-acs-dingtalk-access-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    let user_id = match state.user_for_token(token, shared.clock.now_ms()) {
        Ok(user_id) => user_id,
        Err(TokenProblem::Unknown | TokenProblem::Expired) => {
            return api_error(StatusCode::BAD_REQUEST, "InvalidAuthentication", "不合法的access_token");
        }
    };
    let Some(user) = state.org.user(user_id) else {
        return api_error(StatusCode::BAD_REQUEST, "userNotExist", "用户不存在");
    };
    let mut me = json!({
        "nick": user.name,
        "unionId": user.union_id,
        "openId": format!("open{}", user.union_id),
        "stateCode": "86",
        "visitor": false,
    });
    if let Some(avatar) = &user.avatar {
        me["avatarUrl"] = json!(avatar);
    }
    Json(me).into_response()
}

async fn not_found() -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "InvalidAction.NotFound",
        "Specified api is not found, please check your url and method.",
    )
}
