//! Every `/api` route, one function per endpoint, grouped by resource.

use api_types::{ApiError, AppConfig, AuthCodeLogin, Health, OAuthLogin, Session, User};
use axum::http::StatusCode;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{ABSOLUTE_TIMEOUT_SECS, CurrentUser, new_token, now};
use crate::error::{AppError, Json};

/// The OpenAPI document's frame: title, the session token scheme and the shared error body. The paths come from
/// the routes themselves (`routes!`), so a route cannot be served without being documented.
#[derive(OpenApi)]
#[openapi(
    info(title = "shenpi API", description = "The shenpi app's backend: DingTalk login, approvals, inbox."),
    components(schemas(ApiError)),
    modifiers(&SessionToken)
)]
pub struct ApiDoc;

/// Adds the `session` security scheme: the token from `POST /api/session`, as `Authorization: Bearer <token>`.
struct SessionToken;

impl utoipa::Modify for SessionToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("the session token")).build();
        components.add_security_scheme("session", SecurityScheme::Http(scheme));
    }
}

/// The documented `/api` routes, with their paths already under `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(config))
        .routes(routes!(login_with_auth_code))
        .routes(routes!(login_with_oauth_code))
        .routes(routes!(me))
        .merge(crate::drafts::router());
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api", api)
}

/// `GET /api/health`: 200 when the server and its database answer.
#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, body = Health), (status = 500, body = ApiError, description = "the database is down")))]
async fn health(state: axum::extract::State<AppState>) -> Result<Json<Health>, AppError> {
    state.store.ping().await?;
    Ok(Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() }))
}

/// `GET /api/config`: corpId, agentId and clientId for the JSAPI.
#[utoipa::path(get, path = "/config", tag = "session", responses((status = 200, body = AppConfig)))]
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
#[utoipa::path(post, path = "/session", tag = "session", request_body = AuthCodeLogin, responses(
    (status = 201, body = Session),
    (status = 400, body = ApiError, description = "no code, or not JSON"),
    (status = 401, body = ApiError, description = "`auth_code_invalid`: the code was used or has expired"),
    (status = 502, body = ApiError, description = "`app_not_found`, `permission_missing` or `ding_talk_rejected`"),
    (status = 503, body = ApiError, description = "DingTalk did not answer"),
))]
async fn login_with_auth_code(
    state: axum::extract::State<AppState>,
    Json(login): Json<AuthCodeLogin>,
) -> Result<(StatusCode, Json<Session>), AppError> {
    let who = state.dingtalk.user().by_auth_code(code_of(&login.auth_code)?).await.map_err(code_rejected)?;
    start_session(&state, &who.userid, "free-login code").await
}

/// `POST /api/session/oauth`: exchanges the `authCode` of DingTalk's web login for a session (code → user token →
/// unionid → userid in this organisation → profile). Someone outside the organisation is refused.
#[utoipa::path(post, path = "/session/oauth", tag = "session", request_body = OAuthLogin, responses(
    (status = 201, body = Session),
    (status = 400, body = ApiError, description = "no code, or not JSON"),
    (status = 401, body = ApiError, description = "`auth_code_invalid`: the code was used or has expired"),
    (status = 403, body = ApiError, description = "`not_a_member`: not in this organisation; `corp_mismatch`: logged in to another one"),
    (status = 502, body = ApiError, description = "`app_not_found`, `permission_missing` or `ding_talk_rejected`"),
    (status = 503, body = ApiError, description = "DingTalk did not answer"),
))]
async fn login_with_oauth_code(
    state: axum::extract::State<AppState>,
    Json(login): Json<OAuthLogin>,
) -> Result<(StatusCode, Json<Session>), AppError> {
    let oauth = state.dingtalk.oauth();
    let token = oauth.user_token(code_of(&login.auth_code)?).await.map_err(code_rejected)?;
    // The person may have picked another of their organisations on DingTalk's login page.
    if token.corp_id.as_deref().is_some_and(|corp| corp != state.settings.corp_id) {
        return Err(AppError::CorpMismatch);
    }
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
#[utoipa::path(get, path = "/me", tag = "session", security(("session" = [])), responses(
    (status = 200, body = User),
    (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
))]
async fn me(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(user)
}
