//! Every `/api` route, one function per endpoint, grouped by resource.

use api_types::{AppConfig, AuthCodeLogin, Health, OAuthLogin, Session, User};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

use crate::AppState;
use crate::auth::{ABSOLUTE_TIMEOUT_SECS, CurrentUser, new_token, now};
use crate::error::{AppError, Json};

/// The `/api` routes, relative to `/api` (the caller nests them); unknown paths below `/api` answer 404 with
/// an `ApiError` body instead of the app.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/config", get(config))
        .route("/session", axum::routing::post(login_with_auth_code))
        .route("/session/oauth", axum::routing::post(login_with_oauth_code))
        .route("/me", get(me))
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
}

/// `GET /api/health`: 200 when the server and its database answer.
async fn health(state: axum::extract::State<AppState>) -> Result<Json<Health>, AppError> {
    state.store.ping().await?;
    Ok(Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() }))
}

/// `GET /api/config`: corpId, agentId and clientId for the JSAPI.
async fn config(state: axum::extract::State<AppState>) -> Json<AppConfig> {
    let s = &state.settings;
    Json(AppConfig {
        corp_id: s.corp_id.clone(),
        agent_id: s.agent_id.clone(),
        client_id: s.client_id.clone(),
        oauth_authorize_url: s.oauth_authorize_url.clone(),
    })
}

/// A login code from the body: present and of a sane length.
fn code_of(code: &str) -> Result<&str, AppError> {
    let code = code.trim();
    if code.is_empty() || code.len() > 256 {
        return Err(AppError::BadRequest("authCode must be 1 to 256 characters".into()));
    }
    Ok(code)
}

/// DingTalk's answer to a code that was used, has expired or never existed, on either login path.
fn code_rejected(e: dingtalk_client::Error) -> AppError {
    match e.api_code() {
        Some("40078" | "invalidAuthCode") => AppError::AuthCodeInvalid,
        _ => e.into(),
    }
}

/// `POST /api/session`: exchanges a JSAPI free-login code for a session (code → userid → profile).
async fn login_with_auth_code(
    state: axum::extract::State<AppState>,
    Json(login): Json<AuthCodeLogin>,
) -> Result<(StatusCode, Json<Session>), AppError> {
    let who = state.dingtalk.user().by_auth_code(code_of(&login.auth_code)?).await.map_err(code_rejected)?;
    start_session(&state, &who.userid, "free-login code").await
}

/// `POST /api/session/oauth`: exchanges the `authCode` of DingTalk's web login for a session (code → user token →
/// unionid → userid in this organisation → profile). Someone outside the organisation is refused.
async fn login_with_oauth_code(
    state: axum::extract::State<AppState>,
    Json(login): Json<OAuthLogin>,
) -> Result<(StatusCode, Json<Session>), AppError> {
    let oauth = state.dingtalk.oauth();
    let token = oauth.user_token(code_of(&login.auth_code)?).await.map_err(code_rejected)?;
    let me = oauth.me(&token).await?;
    let userid = state.dingtalk.user().by_union_id(&me.union_id).await.map_err(|e| match e.api_code() {
        Some("60121") => AppError::NotAMember,
        _ => e.into(),
    })?;
    start_session(&state, &userid, "web login").await
}

/// Reads the user's profile, stores it with a new session and answers with the token.
async fn start_session(state: &AppState, userid: &str, how: &str) -> Result<(StatusCode, Json<Session>), AppError> {
    let detail = state.dingtalk.user().get(userid).await?;
    let user = User {
        user_id: detail.userid,
        name: detail.name,
        avatar: detail.avatar.filter(|a| !a.is_empty()),
        title: detail.title.filter(|t| !t.is_empty()),
        dept_ids: detail.dept_id_list,
    };
    let (token, hash) = new_token();
    let now = now();
    let expires_at = now + ABSOLUTE_TIMEOUT_SECS;
    state.store.create_session(&hash, &user, now, expires_at).await?;
    tracing::info!(user_id = %user.user_id, "logged in with a {how}");
    Ok((StatusCode::CREATED, Json(Session { token, expires_at, user })))
}

/// `GET /api/me`: the logged-in user.
async fn me(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(user)
}
