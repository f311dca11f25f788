//! Simulated DingTalk containers for browsers: `GET /_emulator/container.js?platform=ios|android|pc&user=U` serves
//! the init script that turns a page into DingTalk's iOS, Android or PC client for the real `dingtalk-jsapi`.
//!
//! One native side (`assets/container/core.js`: the methods and their dialogs) is shared by three thin bridge
//! adapters (`ios.js`, `android.js`, `pc.js`); this route wraps the core, the platform's adapter and its settings
//! in one function. The script must run before the library loads (an init script, or the first `<script>` of the
//! page, as the app proxy injects it).

use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use crate::control::control_error;
use crate::state::Shared;

const CORE_JS: &str = include_str!("../assets/container/core.js");
const IOS_JS: &str = include_str!("../assets/container/ios.js");
const ANDROID_JS: &str = include_str!("../assets/container/android.js");
const PC_JS: &str = include_str!("../assets/container/pc.js");

/// The DingTalk version every simulated container reports (in its user agent and, on PC, in `window.name`).
pub const DINGTALK_VERSION: &str = "7.6.0";

/// The response header that carries the platform's user agent, for browsers that set it per context.
pub const USER_AGENT_HEADER: &str = "x-dingtalk-user-agent";

/// The DingTalk clients a container can simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// DingTalk for iPhone: `WebViewJavascriptBridge`.
    Ios,
    /// DingTalk for Android: `window.nuva`.
    Android,
    /// DingTalk's desktop client: the postMessage RPC.
    Pc,
}

impl Platform {
    /// Every platform, in the order the workbench offers them.
    pub const ALL: [Platform; 3] = [Platform::Ios, Platform::Android, Platform::Pc];

    /// The name used in URLs and in `dd.env.platform`.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Ios => "ios",
            Platform::Android => "android",
            Platform::Pc => "pc",
        }
    }

    /// A user agent shaped like the client's own (jsapi.md §2); only the platform and DingTalk parts matter to
    /// the library.
    pub fn user_agent(self) -> String {
        match self {
            Platform::Ios => format!(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
                 Mobile/15E148 AliApp(DingTalk/{DINGTALK_VERSION}) com.laiwang.DingTalk/31280000 Channel/201200 \
                 language/zh-Hans-CN WK"
            ),
            Platform::Android => format!(
                "Mozilla/5.0 (Linux; U; Android 13; zh-CN; Pixel 7 Build/TQ3A.230805.001) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 \
                 AliApp(DingTalk/{DINGTALK_VERSION}) com.alibaba.android.rimet/31280000 Channel/227200 \
                 language/zh-CN abi/64"
            ),
            Platform::Pc => format!(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/120.0.0.0 Safari/537.36 DingTalk({DINGTALK_VERSION}-Release.1) nw Channel/201200"
            ),
        }
    }

    fn bridge_js(self) -> &'static str {
        match self {
            Platform::Ios => IOS_JS,
            Platform::Android => ANDROID_JS,
            Platform::Pc => PC_JS,
        }
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unsupported platform {s}: ios, android or pc"))
    }
}

/// What a container script is made for.
#[derive(Debug, Clone)]
pub struct ContainerSpec {
    /// The client to simulate.
    pub platform: Platform,
    /// The member the container is logged in as.
    pub user_id: String,
    /// Hand out this code on every `requestAuthCode` instead of minting one (to replay a used code).
    pub fixed_code: Option<String>,
    /// The client's language as the PC client announces it to the page (`zh_CN`, `en_US`): `dd.env.language`. The
    /// mobile clients announce none (the library reads `*` there, and a page follows the webview's own language).
    pub language: String,
}

/// The language a container speaks unless told: DingTalk's default, simplified Chinese.
pub const DEFAULT_LANGUAGE: &str = "zh_CN";

/// Whether `tag` looks like a language tag DingTalk sends (`zh_CN`, `en_US`, `en`): letters, then `_`/`-` parts.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split(['_', '-']);
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The init script for `spec`; `origin` is where the script reaches the emulator (the base URL it was served
/// from).
pub fn script(spec: &ContainerSpec, origin: &str) -> String {
    let config = json!({
        "origin": origin,
        "platform": spec.platform.as_str(),
        "userId": spec.user_id,
        "fixedCode": spec.fixed_code,
        "language": spec.language,
        "userAgent": spec.platform.user_agent(),
        "version": DINGTALK_VERSION,
    });
    format!(
        "// A simulated DingTalk {platform} container, served by the DingTalk emulator.\n(function () {{\n\
         \"use strict\";\nvar config = {config};\n{CORE_JS}\n{bridge}}})();\n",
        platform = spec.platform.as_str(),
        bridge = spec.platform.bridge_js(),
    )
}

/// The container route.
pub fn router() -> Router<Arc<Shared>> {
    Router::new().route("/_emulator/container.js", get(container_script))
}

#[derive(Deserialize)]
struct ContainerQuery {
    platform: Option<String>,
    user: String,
    code: Option<String>,
    language: Option<String>,
}

/// `GET /_emulator/container.js?platform=ios|android|pc&user=USERID[&code=FIXED][&language=en_US]` (platform
/// defaults to ios, language to zh_CN).
async fn container_script(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<ContainerQuery>,
) -> Response {
    let platform = match q.platform.as_deref().unwrap_or("ios").parse::<Platform>() {
        Ok(p) => p,
        Err(message) => return control_error(StatusCode::BAD_REQUEST, "badRequest", message),
    };
    // Someone who left still gets a container (DingTalk refuses their code, which is worth testing); a stranger
    // does not.
    if shared.lock().org.user(&q.user).is_none() {
        return control_error(StatusCode::NOT_FOUND, "userNotExist", format!("no user {}", q.user));
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let language = q.language.unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned());
    if !is_language_tag(&language) {
        let message = format!("language {language:?} is not a language tag such as zh_CN or en_US");
        return control_error(StatusCode::BAD_REQUEST, "badRequest", message);
    }
    let spec = ContainerSpec { platform, user_id: q.user, fixed_code: q.code, language };
    let mut response =
        ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], script(&spec, &format!("http://{host}")))
            .into_response();
    if let Ok(ua) = HeaderValue::from_str(&platform.user_agent()) {
        response.headers_mut().insert(USER_AGENT_HEADER, ua);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_from_their_names_only() {
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>(), Ok(p));
        }
        assert!("harmony".parse::<Platform>().is_err());
    }

    #[test]
    fn user_agents_say_dingtalk_and_the_platform_as_the_library_reads_them() {
        for p in Platform::ALL {
            assert!(p.user_agent().contains("DingTalk"), "{p:?}");
        }
        assert!(Platform::Ios.user_agent().contains("iPhone"));
        assert!(Platform::Android.user_agent().contains("Android"));
        let pc = Platform::Pc.user_agent();
        assert!(!pc.contains("iPhone") && !pc.contains("Android"));
    }

    #[test]
    fn the_script_carries_the_core_and_only_its_own_bridge() {
        let spec = ContainerSpec {
            platform: Platform::Android,
            user_id: "zhangsan".into(),
            fixed_code: None,
            language: DEFAULT_LANGUAGE.into(),
        };
        let js = script(&spec, "http://127.0.0.1:3100");
        assert!(js.contains("window.nuva"));
        assert!(!js.contains("window.WebViewJavascriptBridge ="));
        assert!(js.contains("\"userId\":\"zhangsan\""));
        assert!(js.contains("biz.contact.complexPicker"));
    }

    #[test]
    fn the_pc_client_announces_the_language_it_was_given() {
        let spec = ContainerSpec {
            platform: Platform::Pc,
            user_id: "zhangsan".into(),
            fixed_code: None,
            language: "en_US".into(),
        };
        assert!(script(&spec, "http://127.0.0.1:3100").contains("\"language\":\"en_US\""));
        for good in ["zh_CN", "en_US", "en", "zh-Hans-CN"] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in ["", "e", "english!", "en_", "zh_CN\"};alert(1)//", "12_CN"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
