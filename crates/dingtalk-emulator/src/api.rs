//! The new host (`api.dingtalk.com`, `/v1.0/...`): camelCase JSON, HTTP status for errors with the body
//! `{code, message, requestid}` (server-api.md §1.2).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::state::{Shared, random_string};

/// The v1.0 routes.
pub fn router() -> Router<Arc<Shared>> {
    Router::new().route("/v1.0/oauth2/accessToken", post(access_token)).route("/v1.0/{*rest}", any(not_found))
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

async fn not_found() -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "InvalidAction.NotFound",
        "Specified api is not found, please check your url and method.",
    )
}
