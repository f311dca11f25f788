//! The only module that touches DingTalk's JSAPI (`window.dd`, from the bundled official `dingtalk-jsapi`).
//!
//! Every call looks `dd` up at call time, so tests can install a fake, and so a page outside DingTalk (or without
//! the bundle) gets an error value instead of an exception. Errors keep DingTalk's codes: container failures come
//! as `{errorCode, errorMessage}` (codes are strings on iOS), library failures as `Error("[DINGTALK-JSAPI] ERROR
//! 4040: ...")`; both become [`JsApiError`].

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The platform `dd.env` detected (jsapi.md §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Platform {
    /// DingTalk on iPhone or iPad.
    Ios,
    /// DingTalk on Android.
    Android,
    /// DingTalk on HarmonyOS.
    Harmony,
    /// DingTalk's desktop client.
    Pc,
    /// A plain browser.
    NotInDingTalk,
    /// Anything else the library reports (e.g. the government builds).
    Other(String),
}

impl Platform {
    fn parse(name: &str) -> Self {
        match name {
            "ios" => Platform::Ios,
            "android" => Platform::Android,
            "harmony" => Platform::Harmony,
            "pc" => Platform::Pc,
            "notInDingTalk" | "" => Platform::NotInDingTalk,
            other => Platform::Other(other.to_owned()),
        }
    }
}

/// `dd.env`: where the page runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Env {
    /// The detected platform.
    pub platform: Platform,
    /// DingTalk's version, when known.
    pub version: Option<String>,
    /// DingTalk's language (`zh_CN`, `en_US`), or `*` when unknown.
    pub language: String,
}

impl Env {
    /// Whether the page runs inside a DingTalk container.
    pub fn in_dingtalk(&self) -> bool {
        self.platform != Platform::NotInDingTalk
    }
}

/// Why a JSAPI call did not give a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsApiError {
    /// `dd` is missing or says the page is not in DingTalk.
    NotInDingTalk,
    /// This build of the bundle has no such API.
    Missing(&'static str),
    /// The user dismissed the native UI (errorCode `-1`).
    Cancelled,
    /// DingTalk or the library refused; `code` is DingTalk's (e.g. `"3"`, `"7"`, `"4050"`).
    Failed {
        /// DingTalk's error code, as text.
        code: String,
        /// DingTalk's message.
        message: String,
    },
}

impl std::fmt::Display for JsApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsApiError::NotInDingTalk => f.write_str("not running inside DingTalk"),
            JsApiError::Missing(api) => write!(f, "JSAPI {api} is not available"),
            JsApiError::Cancelled => f.write_str("cancelled"),
            JsApiError::Failed { code, message } => write!(f, "DingTalk error {code}: {message}"),
        }
    }
}

fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(target, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

fn dd() -> Option<JsValue> {
    get(&web_sys::window()?.into(), "dd")
}

/// `dd.env`, or `None` when the JSAPI bundle is not on the page.
pub fn env() -> Option<Env> {
    let env = get(&dd()?, "env")?;
    let text = |key| get(&env, key).and_then(|v| v.as_string());
    Some(Env {
        platform: Platform::parse(&text("platform").unwrap_or_default()),
        version: text("version").filter(|v| !v.is_empty()),
        language: text("language").unwrap_or_else(|| "*".to_owned()),
    })
}

/// Whether the page runs inside DingTalk.
pub fn in_dingtalk() -> bool {
    env().is_some_and(|e| e.in_dingtalk())
}

/// Calls `dd.<path>(params)` and awaits its promise. `path` is the API's dotted name.
async fn call(path: &'static str, params: &Object) -> Result<JsValue, JsApiError> {
    if !in_dingtalk() {
        return Err(JsApiError::NotInDingTalk);
    }
    let (this, function) = path
        .split('.')
        .try_fold((JsValue::UNDEFINED, dd().ok_or(JsApiError::NotInDingTalk)?), |(_, target), key| {
            get(&target, key).map(|next| (target, next)).ok_or(JsApiError::Missing(path))
        })?;
    let function: Function = function.dyn_into().map_err(|_| JsApiError::Missing(path))?;
    let returned = function.call1(&this, params).map_err(decode_error)?;
    let promise = Promise::resolve(&returned);
    JsFuture::from(promise).await.map_err(decode_error)
}

/// Turns whatever the library rejected with into a [`JsApiError`].
fn decode_error(value: JsValue) -> JsApiError {
    let text =
        |key| get(&value, key).and_then(|v| v.as_string().or_else(|| v.as_f64().map(|n| (n as i64).to_string())));
    if let Some(code) = text("errorCode") {
        if code == "-1" {
            return JsApiError::Cancelled;
        }
        let message = text("errorMessage").or_else(|| text("message")).unwrap_or_default();
        return JsApiError::Failed { code, message };
    }
    let message = text("message").or_else(|| value.as_string()).unwrap_or_else(|| format!("{value:?}"));
    // The library's own errors read "[DINGTALK-JSAPI] ERROR 4040: ...".
    let code = message
        .split_once("ERROR ")
        .and_then(|(_, rest)| rest.split_once(':'))
        .map(|(code, _)| code.trim().to_owned())
        .filter(|c| c.chars().all(|ch| ch.is_ascii_digit()) && !c.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    JsApiError::Failed { code, message }
}

fn params(pairs: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object
}

/// `dd.runtime.permission.requestAuthCode({corpId})`: a free-login code for the current user (single use,
/// five minutes), to exchange at the server.
pub async fn request_auth_code(corp_id: &str) -> Result<String, JsApiError> {
    let result = call("runtime.permission.requestAuthCode", &params(&[("corpId", corp_id.into())])).await?;
    get(&result, "code")
        .and_then(|c| c.as_string())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| JsApiError::Failed { code: "no_code".into(), message: "DingTalk returned no code".into() })
}

/// `dd.biz.navigation.setTitle({title})`: the native title bar's text.
pub async fn set_title(title: &str) -> Result<(), JsApiError> {
    call("biz.navigation.setTitle", &params(&[("title", title.into())])).await.map(|_| ())
}
