//! The app inside simulated containers, for a plain browser: requests to `<platform>-<userid>.app.localhost:<port>`
//! are passed on to the app (shenpi's server, `--app-url`), and its HTML pages come back with the container script
//! as their first script. Browsers resolve every `*.localhost` name to the loopback address, so each frame of the
//! workbench is its own origin, with its own session, and no browser flags are needed.
//!
//! Paths under `/_emulator/` are the emulator's own on every host, so the container script reaches the control
//! API on the page's own origin.

use std::sync::{Arc, RwLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::container::Platform;
use crate::control::{Control, ControlCallError, control_error};
use crate::state::Shared;

/// The default address of the app, shenpi's server as `cargo xtask demo` starts it.
pub const DEFAULT_APP_URL: &str = "http://127.0.0.1:8080";

/// The host suffix that marks a request for the app in a container.
pub const APP_HOST_SUFFIX: &str = ".app.localhost";

/// The largest request body passed on to the app.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// Headers that belong to one connection and are not passed on (RFC 9110 §7.6.1), plus those the proxy sets.
const NOT_FORWARDED: [&str; 11] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    // Asked for plain bodies, so HTML can be rewritten.
    "accept-encoding",
];

/// Where the app is, changeable while the emulator runs (the e2e suite starts the app after the emulator).
struct AppProxy {
    shared: Arc<Shared>,
    http: reqwest::Client,
    app_url: RwLock<Url>,
}

/// Body and answer of `GET|POST /_emulator/app-url`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppUrl {
    /// The app's base URL, e.g. `http://127.0.0.1:8080`.
    pub app_url: String,
}

/// Puts the app proxy in front of `router` (the whole emulator) and adds its control route.
pub fn wrap(router: Router, shared: Arc<Shared>, app_url: Url) -> Router {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default();
    let proxy = Arc::new(AppProxy { shared, http, app_url: RwLock::new(app_url) });
    let control = Router::new()
        .route("/_emulator/app-url", get(get_app_url).post(set_app_url))
        .layer(tower_http::cors::CorsLayer::permissive())
        .with_state(proxy.clone());
    router.merge(control).layer(middleware::from_fn_with_state(proxy, intercept))
}

/// A frame named by its host: which client, and who is logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The simulated client.
    pub platform: Platform,
    /// The userid as written in the host; hosts are case-insensitive, so it is matched without case.
    pub user: String,
}

impl Frame {
    /// Reads `ios-zhangsan.app.localhost:3100`; any other host is not a frame.
    pub fn from_host(host: &str) -> Option<Frame> {
        let name = host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()));
        let name = name.map_or(host, |(name, _)| name).to_ascii_lowercase();
        let label = name.strip_suffix(APP_HOST_SUFFIX)?;
        let (platform, user) = label.split_once('-')?;
        if user.is_empty() || label.contains('.') {
            return None;
        }
        Some(Frame { platform: platform.parse().ok()?, user: user.to_owned() })
    }

    /// The host name of the frame for `platform` and `user_id` (without the port).
    pub fn host(platform: Platform, user_id: &str) -> String {
        format!("{}-{}{APP_HOST_SUFFIX}", platform.as_str(), user_id.to_ascii_lowercase())
    }
}

async fn intercept(State(proxy): State<Arc<AppProxy>>, request: Request, next: Next) -> Response {
    let frame = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).and_then(Frame::from_host);
    match frame {
        Some(frame) if !request.uri().path().starts_with("/_emulator/") => proxy.forward(frame, request).await,
        _ => next.run(request).await,
    }
}

impl AppProxy {
    fn app_url(&self) -> Url {
        self.app_url.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The seeded userid a frame's host names, matched without case.
    fn user_id(&self, frame: &Frame) -> Option<String> {
        let state = self.shared.lock();
        state.org.users.iter().find(|u| u.user_id.eq_ignore_ascii_case(&frame.user)).map(|u| u.user_id.clone())
    }

    async fn forward(&self, frame: Frame, request: Request) -> Response {
        let Some(user_id) = self.user_id(&frame) else {
            let message = format!("no user {} in the seeded organisation", frame.user);
            return control_error(StatusCode::NOT_FOUND, "userNotExist", message);
        };
        let app = self.app_url();
        let (parts, body) = request.into_parts();
        let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
            return control_error(StatusCode::PAYLOAD_TOO_LARGE, "badRequest", "request body too large");
        };
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let target = format!("{}{path}", app.as_str().trim_end_matches('/'));
        let mut headers = forwardable(&parts.headers);
        if let Some(host) = parts.headers.get(header::HOST) {
            headers.insert("x-forwarded-host", host.clone());
        }
        let sent = self.http.request(parts.method, &target).headers(headers).body(body).send().await;
        let answer = match sent {
            Ok(answer) => answer,
            Err(e) => return app_unreachable(&app, &e),
        };
        let status = answer.status();
        let mut headers = forwardable(answer.headers());
        rewrite_location(&mut headers, &app);
        let is_html =
            headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
        let Ok(bytes) = answer.bytes().await else {
            return control_error(StatusCode::BAD_GATEWAY, "appUnreachable", format!("{app} broke off its answer"));
        };
        let body = if is_html {
            let html = String::from_utf8_lossy(&bytes);
            Body::from(inject_first_script(&html, &script_tag(frame.platform, &user_id)))
        } else {
            Body::from(bytes)
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
    }
}

fn forwardable(headers: &HeaderMap) -> HeaderMap {
    let mut out = headers.clone();
    for name in NOT_FORWARDED {
        out.remove(name);
    }
    out
}

/// A redirect to the app's own address stays on the frame's host.
fn rewrite_location(headers: &mut HeaderMap, app: &Url) {
    let origin = app.origin().ascii_serialization();
    let Some(location) = headers.get(header::LOCATION).and_then(|v| v.to_str().ok()) else { return };
    if let Some(rest) = location.strip_prefix(&origin) {
        let local = if rest.is_empty() { "/".to_owned() } else { rest.to_owned() };
        if let Ok(value) = HeaderValue::from_str(&local) {
            headers.insert(header::LOCATION, value);
        }
    }
}

fn app_unreachable(app: &Url, error: &reqwest::Error) -> Response {
    tracing::warn!("app proxy: {app} is not answering: {error}");
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>App not reachable</title><p>The DingTalk emulator could not \
         reach the app at <code>{app}</code>. Start shenpi's server there (<code>cargo xtask demo</code>), or \
         start the emulator with <code>--app-url</code> / <code>EMULATOR_APP_URL</code>.</p>"
    );
    (StatusCode::BAD_GATEWAY, Html(page)).into_response()
}

/// The `<script>` that makes a page a container of `platform` logged in as `user_id`.
pub fn script_tag(platform: Platform, user_id: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("platform", platform.as_str())
        .append_pair("user", user_id)
        .finish();
    format!("<script src=\"/_emulator/container.js?{}\"></script>", query.replace('&', "&amp;"))
}

/// Puts `tag` at the start of the page's `<head>` (or of `<html>`, or of the page), before any script of the page.
pub fn inject_first_script(html: &str, tag: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let after_open = |name: &str| {
        let mut from = 0;
        while let Some(at) = lower[from..].find(name).map(|i| from + i) {
            let next = lower.as_bytes().get(at + name.len()).copied();
            if matches!(next, Some(b'>' | b' ' | b'\t' | b'\n' | b'\r')) {
                return lower[at..].find('>').map(|end| at + end + 1);
            }
            from = at + name.len();
        }
        None
    };
    let at = after_open("<head").or_else(|| after_open("<html")).unwrap_or(0);
    format!("{}{tag}{}", &html[..at], &html[at..])
}

async fn get_app_url(State(proxy): State<Arc<AppProxy>>) -> Json<AppUrl> {
    Json(AppUrl { app_url: proxy.app_url().to_string() })
}

async fn set_app_url(State(proxy): State<Arc<AppProxy>>, Json(req): Json<AppUrl>) -> Response {
    match Url::parse(&req.app_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            *proxy.app_url.write().unwrap_or_else(|e| e.into_inner()) = url.clone();
            Json(AppUrl { app_url: url.to_string() }).into_response()
        }
        _ => control_error(StatusCode::BAD_REQUEST, "badRequest", format!("not an http(s) URL: {}", req.app_url)),
    }
}

impl Control {
    /// Points the app proxy (`*.app.localhost`) at the app.
    pub async fn set_app_url(&self, app_url: &str) -> Result<(), ControlCallError> {
        let _: AppUrl = self.post("/_emulator/app-url", &AppUrl { app_url: app_url.to_owned() }).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_app_url_is_a_url() {
        assert!(Url::parse(DEFAULT_APP_URL).is_ok());
    }

    #[test]
    fn frames_are_read_from_app_hosts_only() {
        let frame = Frame::from_host("ios-zhangsan.app.localhost:3100").unwrap();
        assert_eq!(frame, Frame { platform: Platform::Ios, user: "zhangsan".into() });
        let frame = Frame::from_host("PC-Fin_Head.app.localhost").unwrap();
        assert_eq!(frame, Frame { platform: Platform::Pc, user: "fin_head".into() });
        assert_eq!(Frame::from_host("android-a-b.app.localhost:1").unwrap().user, "a-b");
        for other in [
            "127.0.0.1:3100",
            "app.localhost",
            "ios-.app.localhost",
            "web-zhangsan.app.localhost",
            "x.ios-zhangsan.app.localhost",
        ] {
            assert_eq!(Frame::from_host(other), None, "{other}");
        }
        assert_eq!(Frame::host(Platform::Android, "Fin_Head"), "android-fin_head.app.localhost");
    }

    #[test]
    fn the_container_script_comes_before_every_script_of_the_page() {
        let tag = "<script src=\"/c.js\"></script>";
        let page = "<!doctype html><html lang=zh><HEAD>\n<header></header><script src=app.js></script></head>";
        let out = inject_first_script(page, tag);
        assert_eq!(
            out,
            format!("<!doctype html><html lang=zh><HEAD>{tag}\n<header></header><script src=app.js></script></head>")
        );
        assert_eq!(inject_first_script("<html><body></body>", tag), format!("<html>{tag}<body></body>"));
        assert_eq!(inject_first_script("<p>hi", tag), format!("{tag}<p>hi"));
        assert!(
            inject_first_script("<head data-x=\"1\"><title>", tag).starts_with(&format!("<head data-x=\"1\">{tag}"))
        );
    }

    #[test]
    fn the_script_tag_names_platform_and_user() {
        assert_eq!(
            script_tag(Platform::Android, "fin_head"),
            "<script src=\"/_emulator/container.js?platform=android&amp;user=fin_head\"></script>"
        );
    }

    #[test]
    fn redirects_to_the_app_stay_on_the_frame() {
        let app = Url::parse("http://127.0.0.1:8080").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::LOCATION, HeaderValue::from_static("http://127.0.0.1:8080/todo?x=1"));
        rewrite_location(&mut headers, &app);
        assert_eq!(headers[header::LOCATION], "/todo?x=1");
        headers.insert(header::LOCATION, HeaderValue::from_static("https://login.example.com/"));
        rewrite_location(&mut headers, &app);
        assert_eq!(headers[header::LOCATION], "https://login.example.com/");
    }
}
