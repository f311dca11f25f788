//! Every `/api` route, one function per endpoint, grouped by resource.

use api_types::{
    ApiError, AppConfig, AuthCodeLogin, ForecastRequest, ForecastStep, Health, JsapiSignature, JsapiSignatureRequest,
    OAuthLogin, Session, SignatureDigest, TemplateDetail, TemplateSummary, User,
};
use axum::extract::Path;
use axum::http::StatusCode;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{ABSOLUTE_TIMEOUT_SECS, CurrentUser, new_token, now, now_ms};
use crate::error::{AppError, Json};
use crate::templates::{forecast_request, steps};

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
        .routes(routes!(list_templates))
        .routes(routes!(get_template))
        .routes(routes!(forecast))
        .routes(routes!(jsapi_signature))
        .routes(routes!(crate::requests::submit, crate::requests::list_requests))
        .routes(routes!(crate::requests::get_request))
        .merge(crate::drafts::router())
        .merge(crate::actions::router())
        .merge(crate::attachments::router())
        .merge(crate::inbox::router())
        .merge(crate::contacts::router());
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
        // The code is good but its owner is no longer in the organisation (they left after it was minted).
        Some("60121") => AppError::NotAMember,
        _ => e.into(),
    }
}

/// `POST /api/session`: exchanges a JSAPI free-login code for a session (code → userid → profile).
#[utoipa::path(post, path = "/session", tag = "session", request_body = AuthCodeLogin, responses(
    (status = 201, body = Session),
    (status = 400, body = ApiError, description = "no code, or not JSON"),
    (status = 401, body = ApiError, description = "`auth_code_invalid`: the code was used or has expired"),
    (status = 403, body = ApiError, description = "`not_a_member`: the person is no longer in the organisation"),
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

/// `GET /api/templates`: the approval templates the caller may start.
#[utoipa::path(get, path = "/templates", tag = "templates", security(("session" = [])), responses(
    (status = 200, body = Vec<TemplateSummary>),
    (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
    (status = 502, body = ApiError, description = "`permission_missing` or `ding_talk_rejected`"),
    (status = 503, body = ApiError, description = "DingTalk did not answer"),
))]
async fn list_templates(
    state: axum::extract::State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<TemplateSummary>>, AppError> {
    let visible = state.templates.visible(&state.dingtalk, &user.user_id).await?;
    Ok(Json(visible.as_ref().clone()))
}

/// `GET /api/templates/{process_code}`: a template's name and form, for a template the caller may start.
#[utoipa::path(get, path = "/templates/{process_code}", tag = "templates", security(("session" = [])),
    params(("process_code" = String, Path, description = "DingTalk's processCode")),
    responses(
        (status = 200, body = TemplateDetail),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 404, body = ApiError, description = "`not_found`: no such template, or the caller may not start it"),
        (status = 502, body = ApiError, description = "`permission_missing` or `ding_talk_rejected`"),
        (status = 503, body = ApiError, description = "DingTalk did not answer"),
    ))]
async fn get_template(
    state: axum::extract::State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(process_code): Path<String>,
) -> Result<Json<TemplateDetail>, AppError> {
    let template = state.templates.for_user(&state.dingtalk, &user.user_id, &process_code).await?;
    Ok(Json(TemplateDetail { process_code, name: template.name.clone(), form: template.form.clone() }))
}

/// `POST /api/templates/{process_code}/forecast`: the steps a submission of these values would run, with the
/// approvers DingTalk knows and the steps where the caller must pick them.
#[utoipa::path(post, path = "/templates/{process_code}/forecast", tag = "templates", security(("session" = [])),
    params(("process_code" = String, Path, description = "DingTalk's processCode")),
    request_body = ForecastRequest,
    responses(
        (status = 200, body = Vec<ForecastStep>),
        (status = 400, body = ApiError, description = "not JSON, or values of the wrong shape"),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 404, body = ApiError, description = "`not_found`: no such template, or the caller may not start it"),
        (status = 502, body = ApiError, description = "`permission_missing` or `ding_talk_rejected`"),
        (status = 503, body = ApiError, description = "DingTalk did not answer"),
    ))]
async fn forecast(
    state: axum::extract::State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(process_code): Path<String>,
    Json(body): Json<ForecastRequest>,
) -> Result<Json<Vec<ForecastStep>>, AppError> {
    let template = state.templates.for_user(&state.dingtalk, &user.user_id, &process_code).await?;
    let request = forecast_request(&user, &process_code, &template.form, &body.values);
    let forecast = state.dingtalk.workflow().forecast(&request).await?;
    Ok(Json(steps(&forecast)))
}

/// The digest the `dd.config` signature uses unless the page asks for the other. jsapi.md §3.1: SHA-1 is what older
/// official documents, the community SDKs and most deployed code use; the current official sample uses SHA-256;
/// which DingTalk accepts today is unverified. SHA-1 is the long-proven default; the emulator accepts either.
pub const SIGNATURE_DIGEST: SignatureDigest = SignatureDigest::Sha1;

/// The URL form signed: the page's URL as it is (without the fragment), like the community SDKs. The app signs
/// its entry page, whose query it does not percent-encode, so both forms agree for it.
pub const SIGNATURE_URL_FORM: dingtalk_client::jsapi::UrlForm = dingtalk_client::jsapi::UrlForm::Raw;

/// Longest page URL the server signs.
pub const MAX_SIGNED_URL: usize = 2048;

/// The page URL to sign: http(s), at most [`MAX_SIGNED_URL`] characters, no blanks or control characters, with a
/// host; the `#fragment` removed.
fn page_url(url: &str) -> Result<&str, AppError> {
    let bad = |why: &str| AppError::BadRequest(format!("url {why}"));
    if url.len() > MAX_SIGNED_URL {
        return Err(bad("is too long"));
    }
    let url = url.split_once('#').map_or(url, |(page, _)| page);
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| {
            url.get(..scheme.len()).filter(|s| s.eq_ignore_ascii_case(scheme)).map(|_| &url[scheme.len()..])
        })
        .ok_or_else(|| bad("must be an http or https URL"))?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must not contain blanks"));
    }
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    Ok(url)
}

/// `POST /api/jsapi/signature`: the `dd.config` parameters for a page. Open without a session, because DingTalk
/// pages call `dd.config` before they log in; it reveals only a signature bound to the page's URL.
#[utoipa::path(post, path = "/jsapi/signature", tag = "session", request_body = JsapiSignatureRequest, responses(
    (status = 200, body = JsapiSignature),
    (status = 400, body = ApiError, description = "not JSON, or the url is not an http(s) URL of at most 2048 characters"),
    (status = 502, body = ApiError, description = "`app_not_found`, `permission_missing` or `ding_talk_rejected`"),
    (status = 503, body = ApiError, description = "DingTalk did not answer"),
))]
async fn jsapi_signature(
    state: axum::extract::State<AppState>,
    Json(body): Json<JsapiSignatureRequest>,
) -> Result<Json<JsapiSignature>, AppError> {
    let url = page_url(&body.url)?;
    let ticket = state.dingtalk.jsapi().ticket().await?;
    let nonce_str = new_token().0[..16].to_owned();
    let time_stamp = u64::try_from(now_ms()).unwrap_or_default();
    let digest = body.digest.unwrap_or(SIGNATURE_DIGEST);
    let hash = match digest {
        SignatureDigest::Sha1 => dingtalk_client::jsapi::Digest::Sha1,
        SignatureDigest::Sha256 => dingtalk_client::jsapi::Digest::Sha256,
    };
    let signature = dingtalk_client::jsapi::sign(&ticket, &nonce_str, time_stamp, url, hash, SIGNATURE_URL_FORM);
    let s = &state.settings;
    Ok(Json(JsapiSignature {
        agent_id: s.agent_id.clone(),
        corp_id: s.corp_id.clone(),
        time_stamp,
        nonce_str,
        signature,
        digest,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_are_http_and_lose_their_fragment() {
        assert_eq!(page_url("https://a.example/x?y=1#/todo").unwrap(), "https://a.example/x?y=1");
        assert_eq!(page_url("HTTP://a.example").unwrap(), "HTTP://a.example");
        for bad in ["javascript:alert(1)", "ftp://a", "https://", "https:///x", "https://a b", "/relative", ""] {
            assert!(page_url(bad).is_err(), "{bad}");
        }
        assert!(page_url(&format!("https://a.example/{}", "x".repeat(MAX_SIGNED_URL))).is_err());
    }
}
