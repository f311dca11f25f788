//! DingTalk's web login (`login.dingtalk.com/oauth2/auth`): a page where a person picks a seeded member, then a
//! redirect to the app's `redirect_uri?authCode=...&state=...`, as DingTalk does after its consent page.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::state::Shared;

/// The login routes.
pub fn router() -> Router<Arc<Shared>> {
    Router::new().route("/oauth2/auth", get(login_page)).route("/oauth2/auth/choose", get(choose))
}

#[derive(Debug, Deserialize)]
struct AuthorizeQuery {
    redirect_uri: Option<String>,
    response_type: Option<String>,
    client_id: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    prompt: Option<String>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn error_page(message: &str) -> Response {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>钉钉登录</title>\
         <p data-testid=oauth-error>登录请求有误：{}</p>",
        escape(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// Checks the authorize parameters as DingTalk does; `Err` is the message of the error page.
fn validate(shared: &Shared, q: &AuthorizeQuery) -> Result<url::Url, String> {
    let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    if q.response_type.as_deref() != Some("code") {
        return Err("response_type 必须为 code".into());
    }
    if q.client_id.as_deref() != Some(state.org.app.app_key.as_str()) {
        return Err("client_id 不存在".into());
    }
    let scope = q.scope.as_deref().unwrap_or_default();
    if !scope.split([' ', '+', ',']).any(|s| s == "openid") {
        return Err("scope 必须包含 openid".into());
    }
    let redirect = q.redirect_uri.as_deref().ok_or("缺少 redirect_uri")?;
    let url = url::Url::parse(redirect).map_err(|_| "redirect_uri 不合法".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("redirect_uri 不合法".into());
    }
    Ok(url)
}

/// The page a person sees: the organisation's active members, each a link that logs in as them.
async fn login_page(State(shared): State<Arc<Shared>>, Query(q): Query<AuthorizeQuery>) -> Response {
    if let Err(message) = validate(&shared, &q) {
        return error_page(&message);
    }
    let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    let mut items = String::new();
    for user in state.org.users.iter().filter(|u| u.active) {
        let mut link = url::form_urlencoded::Serializer::new(String::new());
        link.append_pair("user", &user.user_id);
        for (key, value) in [
            ("redirect_uri", &q.redirect_uri),
            ("response_type", &q.response_type),
            ("client_id", &q.client_id),
            ("scope", &q.scope),
            ("state", &q.state),
            ("prompt", &q.prompt),
        ] {
            if let Some(value) = value {
                link.append_pair(key, value);
            }
        }
        items.push_str(&format!(
            "<li><a data-testid=\"oauth-user-{id}\" href=\"/oauth2/auth/choose?{link}\">{name}<small>{title}</small></a></li>",
            id = escape(&user.user_id),
            link = escape(&link.finish()),
            name = escape(&user.name),
            title = escape(user.title.as_deref().unwrap_or("")),
        ));
    }
    Html(format!(
        "<!doctype html><html lang=zh-CN><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width,initial-scale=1\"><title>钉钉登录</title>\
         <style>body{{font-family:sans-serif;background:#f2f2f6;margin:0;padding:24px}}\
         main{{max-width:420px;margin:auto;background:#fff;border-radius:12px;padding:24px}}\
         h1{{font-size:20px}}ul{{list-style:none;padding:0}}li a{{display:flex;justify-content:space-between;\
         padding:12px;border-bottom:1px solid #eee;color:#171a1d;text-decoration:none}}small{{color:#747677}}</style>\
         <main><h1>钉钉登录（模拟）</h1><p>以 {corp} 的成员身份登录，并授权应用获取你的个人信息：</p><ul>{items}</ul></main></html>",
        corp = escape(&state.org.corp.name),
    ))
    .into_response()
}

#[derive(Debug, Deserialize)]
struct ChooseQuery {
    user: String,
    #[serde(flatten)]
    authorize: AuthorizeQuery,
}

/// The person picked a member and consented: redirect with a fresh `authCode` and the `state` unchanged.
async fn choose(State(shared): State<Arc<Shared>>, Query(q): Query<ChooseQuery>) -> Response {
    let mut redirect = match validate(&shared, &q.authorize) {
        Ok(url) => url,
        Err(message) => return error_page(&message),
    };
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    if state.org.member(&q.user).is_none() {
        return error_page("该成员不存在或已离职");
    }
    let code = state.mint_oauth_code(&q.user, shared.clock.now_ms());
    {
        let mut pairs = redirect.query_pairs_mut();
        pairs.append_pair("authCode", &code);
        if let Some(s) = &q.authorize.state {
            pairs.append_pair("state", s);
        }
    }
    Redirect::to(redirect.as_str()).into_response()
}
