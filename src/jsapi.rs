//! The only module that touches DingTalk's JSAPI (`window.dd`, from the bundled official `dingtalk-jsapi`).
//!
//! Every call looks `dd` up at call time, so tests can install a fake, and so a page outside DingTalk (or without
//! the bundle) gets an error value instead of an exception. Errors keep DingTalk's codes: container failures come
//! as `{errorCode, errorMessage}` (codes are strings on iOS), library failures as `Error("[DINGTALK-JSAPI] ERROR
//! 4040: ...")`; both become [`JsApiError`].

use api_types::form::Attachment;
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

/// A thrown JS value as text for the console: an error's message, a string, or the value as JSON (the release
/// build prints no `Debug`, so `{:?}` of a `JsValue` would say nothing).
pub fn js_text(value: &JsValue) -> String {
    get(value, "message")
        .and_then(|m| m.as_string())
        .or_else(|| value.as_string())
        .or_else(|| js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string()))
        .unwrap_or_default()
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
    let message = text("message").unwrap_or_else(|| js_text(&value));
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

fn text_of(value: &JsValue, key: &str) -> Option<String> {
    get(value, key).and_then(|v| v.as_string().or_else(|| v.as_f64().map(|n| format!("{n}"))))
}

fn string_array(items: &[String]) -> JsValue {
    items.iter().map(|s| JsValue::from_str(s)).collect::<js_sys::Array>().into()
}

/// The parameters of `dd.config`, as the backend signed them for this page's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigParams {
    /// The micro-app's agentId.
    pub agent_id: String,
    /// The organisation's corpId.
    pub corp_id: String,
    /// Milliseconds, as signed.
    pub time_stamp: u64,
    /// The nonce, as signed.
    pub nonce_str: String,
    /// The hex signature.
    pub signature: String,
    /// The APIs the page will call.
    pub js_api_list: Vec<String>,
}

/// `dd.config({...})` then waits for `dd.ready` / `dd.error`: after it, the privileged APIs (complexPicker,
/// uploadAttachment, ...) may be called on this page. A bad signature comes back as errorCode `"3"`.
pub async fn config(params: &ConfigParams) -> Result<(), JsApiError> {
    if !in_dingtalk() {
        return Err(JsApiError::NotInDingTalk);
    }
    let dd = dd().ok_or(JsApiError::NotInDingTalk)?;
    let config: Function = get(&dd, "config").and_then(|f| f.dyn_into().ok()).ok_or(JsApiError::Missing("config"))?;
    let ready: Function = get(&dd, "ready").and_then(|f| f.dyn_into().ok()).ok_or(JsApiError::Missing("ready"))?;
    let error: Function = get(&dd, "error").and_then(|f| f.dyn_into().ok()).ok_or(JsApiError::Missing("error"))?;
    let object = self::params(&[
        ("agentId", params.agent_id.as_str().into()),
        ("corpId", params.corp_id.as_str().into()),
        ("timeStamp", JsValue::from_f64(params.time_stamp as f64)),
        ("nonceStr", params.nonce_str.as_str().into()),
        ("signature", params.signature.as_str().into()),
        ("type", JsValue::from_f64(0.0)),
        ("jsApiList", string_array(&params.js_api_list)),
    ]);
    config.call1(&dd, &object).map_err(decode_error)?;
    let settled = Promise::new(&mut |resolve, reject| {
        let _ = ready.call1(&dd, &resolve);
        let _ = error.call1(&dd, &reject);
    });
    JsFuture::from(settled).await.map(|_| ()).map_err(decode_error)
}

/// `dd.biz.navigation.setRight({show, control, text})`: the native title bar's right button; `on_click` runs on
/// every tap (the container calls back each time). Mobile only: PC answers 4050.
pub async fn set_right(text: &str, on_click: impl Fn() + 'static) -> Result<(), JsApiError> {
    let callback = wasm_bindgen::closure::Closure::<dyn Fn()>::new(on_click).into_js_value();
    let object =
        params(&[("show", JsValue::TRUE), ("control", JsValue::TRUE), ("text", text.into()), ("onSuccess", callback)]);
    call("biz.navigation.setRight", &object).await.map(|_| ())
}

/// `dd.biz.navigation.close({})`: closes the app's page.
pub async fn close() -> Result<(), JsApiError> {
    call("biz.navigation.close", &Object::new()).await.map(|_| ())
}

/// The icon of a toast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastIcon {
    /// Text only.
    None,
    /// A tick.
    Success,
    /// A cross.
    Error,
}

/// `dd.device.notification.toast({text, icon, duration})`: a short message that goes by itself.
pub async fn toast(text: &str, icon: ToastIcon, seconds: u32) -> Result<(), JsApiError> {
    let mut pairs = vec![("text", JsValue::from_str(text)), ("duration", JsValue::from_f64(seconds.into()))];
    match icon {
        ToastIcon::None => {}
        ToastIcon::Success => pairs.push(("icon", "success".into())),
        ToastIcon::Error => pairs.push(("icon", "error".into())),
    }
    call("device.notification.toast", &params(&pairs)).await.map(|_| ())
}

/// `dd.device.notification.alert({title, message, buttonName})`: resolves when the button is tapped.
pub async fn alert(title: &str, message: &str, button: &str) -> Result<(), JsApiError> {
    let object = params(&[("title", title.into()), ("message", message.into()), ("buttonName", button.into())]);
    call("device.notification.alert", &object).await.map(|_| ())
}

/// `dd.device.notification.confirm({title, message, buttonLabels: [cancel, ok]})`: whether `ok` was tapped.
pub async fn confirm(title: &str, message: &str, cancel: &str, ok: &str) -> Result<bool, JsApiError> {
    let labels = string_array(&[cancel.to_owned(), ok.to_owned()]);
    let object = params(&[("title", title.into()), ("message", message.into()), ("buttonLabels", labels)]);
    let result = call("device.notification.confirm", &object).await?;
    Ok(text_of(&result, "buttonIndex").as_deref() == Some("1"))
}

/// `dd.device.notification.showPreloader({text, showIcon: true})`. Mobile only.
pub async fn show_preloader(text: &str) -> Result<(), JsApiError> {
    call("device.notification.showPreloader", &params(&[("text", text.into()), ("showIcon", JsValue::TRUE)]))
        .await
        .map(|_| ())
}

/// `dd.device.notification.hidePreloader({})`.
pub async fn hide_preloader() -> Result<(), JsApiError> {
    call("device.notification.hidePreloader", &Object::new()).await.map(|_| ())
}

/// `dd.biz.util.datepicker` (`yyyy-MM-dd`) or, `with_time`, `datetimepicker` (`yyyy-MM-dd HH:mm`): the picked
/// value. Mobile only: PC answers 4050.
pub async fn datepicker(value: Option<&str>, with_time: bool) -> Result<String, JsApiError> {
    let (api, format) =
        if with_time { ("biz.util.datetimepicker", "yyyy-MM-dd HH:mm") } else { ("biz.util.datepicker", "yyyy-MM-dd") };
    let mut pairs = vec![("format", JsValue::from_str(format))];
    if let Some(value) = value {
        pairs.push(("value", value.into()));
    }
    let result = call(api, &params(&pairs)).await?;
    text_of(&result, "value").ok_or_else(|| JsApiError::Failed { code: "no_value".into(), message: api.into() })
}

/// `dd.biz.util.chosen({source: [{key, value}], selectedKey})`: the picked option's text. Mobile only.
pub async fn chosen(options: &[String], selected: Option<&str>) -> Result<String, JsApiError> {
    let source: js_sys::Array = options
        .iter()
        .map(|o| -> JsValue { params(&[("key", o.as_str().into()), ("value", o.as_str().into())]).into() })
        .collect();
    let mut pairs = vec![("source", JsValue::from(source))];
    if let Some(selected) = selected {
        pairs.push(("selectedKey", selected.into()));
    }
    let result = call("biz.util.chosen", &params(&pairs)).await?;
    text_of(&result, "key").ok_or_else(|| JsApiError::Failed { code: "no_key".into(), message: "chosen".into() })
}

/// A person picked in DingTalk's contact picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickedUser {
    /// DingTalk's userid (`emplId`).
    pub user_id: String,
    /// Display name.
    pub name: String,
}

/// A department picked in DingTalk's contact picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickedDepartment {
    /// DingTalk's dept_id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// What `complexPicker` shows and allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplexPicker {
    /// The picker's title.
    pub title: String,
    /// The organisation.
    pub corp_id: String,
    /// Several people, or one.
    pub multiple: bool,
    /// At most this many people.
    pub max_users: Option<u32>,
    /// Already picked (userids).
    pub picked_users: Vec<String>,
    /// Already picked departments.
    pub picked_departments: Vec<i64>,
    /// People that may not be picked.
    pub disabled_users: Vec<String>,
    /// Only people (no departments) come back.
    pub users_only: bool,
}

/// `dd.biz.contact.complexPicker({...})`: needs `dd.config` first. The people and departments picked.
pub async fn complex_picker(picker: &ComplexPicker) -> Result<(Vec<PickedUser>, Vec<PickedDepartment>), JsApiError> {
    let departments: js_sys::Array = picker.picked_departments.iter().map(|d| JsValue::from_f64(*d as f64)).collect();
    let mut pairs = vec![
        ("title", JsValue::from_str(&picker.title)),
        ("corpId", picker.corp_id.as_str().into()),
        ("multiple", picker.multiple.into()),
        ("pickedUsers", string_array(&picker.picked_users)),
        ("pickedDepartments", departments.into()),
        ("disabledUsers", string_array(&picker.disabled_users)),
        ("permissionType", "GLOBAL".into()),
        ("responseUserOnly", picker.users_only.into()),
        ("startWithDepartmentId", JsValue::from_f64(0.0)),
    ];
    if let Some(max) = picker.max_users {
        pairs.push(("maxUsers", JsValue::from_f64(max.into())));
    }
    let result = call("biz.contact.complexPicker", &params(&pairs)).await?;
    let list = |key| get(&result, key).map(|v| js_sys::Array::from(&v).iter().collect::<Vec<_>>()).unwrap_or_default();
    let users = list("users")
        .iter()
        .filter_map(|u| {
            Some(PickedUser { user_id: text_of(u, "emplId")?, name: text_of(u, "name").unwrap_or_default() })
        })
        .collect();
    let departments = list("departments")
        .iter()
        .filter_map(|d| {
            let id = get(d, "id").and_then(|v| v.as_f64().or_else(|| v.as_string()?.parse().ok()))? as i64;
            Some(PickedDepartment { id, name: text_of(d, "name").unwrap_or_default() })
        })
        .collect();
    Ok((users, departments))
}

/// `dd.biz.util.openLink({url})`: opens a page in DingTalk's own browser.
pub async fn open_link(url: &str) -> Result<(), JsApiError> {
    call("biz.util.openLink", &params(&[("url", url.into())])).await.map(|_| ())
}

/// What `uploadAttachment` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    /// Photos from the album or the camera.
    Photo,
    /// Files from the phone, or DingTalk's drive.
    File,
}

/// `dd.biz.util.uploadAttachment({...})` into the approval space `space_id`: needs `dd.config` first.
pub async fn upload_attachment(space_id: &str, kind: UploadKind, max: u32) -> Result<Vec<Attachment>, JsApiError> {
    let max = JsValue::from_f64(max.into());
    let space = JsValue::from_str(space_id);
    let (types, detail) = match kind {
        UploadKind::Photo => (
            string_array(&["photo".into(), "camera".into()]),
            ("image", params(&[("multiple", JsValue::TRUE), ("max", max), ("spaceId", space)])),
        ),
        UploadKind::File => (string_array(&["file".into()]), ("file", params(&[("max", max), ("spaceId", space)]))),
    };
    let object = params(&[("types", types), (detail.0, detail.1.into())]);
    let result = call("biz.util.uploadAttachment", &object).await?;
    let data = get(&result, "data").map(|v| js_sys::Array::from(&v).iter().collect::<Vec<_>>()).unwrap_or_default();
    Ok(data
        .iter()
        .filter_map(|f| {
            Some(Attachment {
                space_id: text_of(f, "spaceId")?,
                file_id: text_of(f, "fileId")?,
                file_name: text_of(f, "fileName").unwrap_or_default(),
                file_size: get(f, "fileSize").and_then(|v| v.as_f64()).unwrap_or(0.0) as u64,
                file_type: text_of(f, "fileType").unwrap_or_default(),
            })
        })
        .collect())
}

/// A listener for the container's back button; dropping it stops listening.
#[must_use = "the listener stops when dropped"]
pub struct BackListener {
    document: web_sys::Document,
    callback: wasm_bindgen::closure::Closure<dyn Fn(web_sys::Event)>,
}

impl Drop for BackListener {
    fn drop(&mut self) {
        let _ = self.document.remove_event_listener_with_callback("backbutton", self.callback.as_ref().unchecked_ref());
    }
}

/// Runs `on_back` instead of going back when DingTalk's Android container fires `backbutton` on `document` (the
/// phone's back key and the title bar's back arrow; jsapi.md §3: on mobile `dd.on("backbutton")` is exactly this
/// listener). The event is cancelled, so the handler decides whether to go back. Other platforms never fire it.
pub fn on_backbutton(on_back: impl Fn() + 'static) -> Option<BackListener> {
    let document = web_sys::window()?.document()?;
    let callback = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
        event.prevent_default();
        on_back();
    });
    document.add_event_listener_with_callback("backbutton", callback.as_ref().unchecked_ref()).ok()?;
    Some(BackListener { document, callback })
}
