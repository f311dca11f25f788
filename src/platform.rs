//! What pages call for native UI: inside DingTalk the JSAPI ([`crate::jsapi`]), elsewhere (a plain browser, or
//! DingTalk's PC client where a mobile-only API answers 4050) the app's own fallback ([`browser`]).
//!
//! Pages never touch `jsapi` for UI directly; they call these functions and get the same answer either way.
//! `Ok(None)` means the person cancelled.

pub mod browser;

use std::cell::RefCell;

use api_types::JsapiSignatureRequest;
use api_types::form::Attachment;

use crate::api::Api;
use crate::errors::Failure;
use crate::jsapi::{self, ComplexPicker, ConfigParams, JsApiError};
pub use crate::jsapi::{PickedDepartment, PickedUser, ToastIcon, UploadKind};

/// The JSAPIs `dd.config` is asked for: the privileged ones the app calls.
const PRIVILEGED: [&str; 3] = ["biz.contact.complexPicker", "biz.util.uploadAttachment", "biz.contact.choose"];

thread_local! {
    /// The page URL `dd.config` succeeded for, and the corpId it named.
    static CONFIGURED: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Whether a JSAPI failure means "use the app's own UI instead": not in DingTalk, or not on this platform.
fn falls_back(error: &JsApiError) -> bool {
    match error {
        JsApiError::NotInDingTalk | JsApiError::Missing(_) => true,
        JsApiError::Failed { code, .. } => code == "4050" || code == "1",
        JsApiError::Cancelled => false,
    }
}

/// `Ok(Some(v))`, `Ok(None)` for a cancel, or the failure.
fn picked<T>(result: Result<T, JsApiError>) -> Result<Option<T>, Failure> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(JsApiError::Cancelled) => Ok(None),
        Err(error) => Err(Failure::JsApi(error)),
    }
}

/// `dd.config` for the current page, once per URL: the backend signs the URL, DingTalk checks it. Returns the
/// corpId. Needed before the privileged calls.
pub async fn ensure_config(api: &Api) -> Result<String, Failure> {
    let url = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    let url = url.split('#').next().unwrap_or_default().to_owned();
    if let Some(corp_id) = CONFIGURED.with_borrow(|c| c.as_ref().filter(|(u, _)| *u == url).map(|(_, id)| id.clone())) {
        return Ok(corp_id);
    }
    let signed = api.jsapi_signature(&JsapiSignatureRequest { url: url.clone(), digest: None }).await?;
    let params = ConfigParams {
        agent_id: signed.agent_id,
        corp_id: signed.corp_id.clone(),
        time_stamp: signed.time_stamp,
        nonce_str: signed.nonce_str,
        signature: signed.signature,
        js_api_list: PRIVILEGED.iter().map(|s| (*s).to_owned()).collect(),
    };
    jsapi::config(&params).await.map_err(Failure::JsApi)?;
    CONFIGURED.with_borrow_mut(|c| *c = Some((url, signed.corp_id.clone())));
    Ok(signed.corp_id)
}

/// A short message that goes by itself.
pub async fn toast(text: &str, icon: ToastIcon) {
    match jsapi::toast(text, icon, 2).await {
        Ok(()) => {}
        Err(e) if falls_back(&e) => browser::toast(text, icon),
        Err(e) => leptos::logging::warn!("toast failed: {e}"),
    }
}

/// A message with one button; returns when it is dismissed.
pub async fn alert(title: &str, message: &str, button: &str) {
    match jsapi::alert(title, message, button).await {
        Ok(()) | Err(JsApiError::Cancelled) => {}
        Err(e) if falls_back(&e) => browser::alert(title, message, button).await,
        Err(e) => leptos::logging::warn!("alert failed: {e}"),
    }
}

/// A question with 取消 / `ok`: whether `ok` was chosen.
pub async fn confirm(title: &str, message: &str, cancel: &str, ok: &str) -> bool {
    match jsapi::confirm(title, message, cancel, ok).await {
        Ok(yes) => yes,
        Err(JsApiError::Cancelled) => false,
        Err(e) if falls_back(&e) => browser::confirm(title, message, cancel, ok).await,
        Err(e) => {
            leptos::logging::warn!("confirm failed: {e}");
            false
        }
    }
}

/// A date (`yyyy-MM-dd`) or, `with_time`, a date and time (`yyyy-MM-dd HH:mm`).
pub async fn pick_date(current: Option<&str>, with_time: bool) -> Result<Option<String>, Failure> {
    match jsapi::datepicker(current, with_time).await {
        Err(e) if falls_back(&e) => browser::pick_date(current, with_time).await,
        other => picked(other),
    }
}

/// One of `options`.
pub async fn choose(options: &[String], selected: Option<&str>) -> Result<Option<String>, Failure> {
    match jsapi::chosen(options, selected).await {
        Err(e) if falls_back(&e) => browser::choose(options, selected).await,
        other => picked(other),
    }
}

/// What a people picker offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeoplePick {
    /// The picker's title.
    pub title: String,
    /// Several people, or one.
    pub multiple: bool,
    /// At most this many.
    pub max: Option<u32>,
    /// Already picked (userids).
    pub picked: Vec<String>,
    /// People that may not be picked (e.g. oneself for a transfer).
    pub disabled: Vec<String>,
}

/// People of the organisation: DingTalk's complexPicker, or the app's picker over `/api/contacts`.
pub async fn pick_people(api: &Api, pick: &PeoplePick) -> Result<Option<Vec<PickedUser>>, Failure> {
    if jsapi::in_dingtalk() {
        let corp_id = ensure_config(api).await?;
        let picker = ComplexPicker {
            title: pick.title.clone(),
            corp_id,
            multiple: pick.multiple,
            max_users: pick.max,
            picked_users: pick.picked.clone(),
            disabled_users: pick.disabled.clone(),
            users_only: true,
            ..Default::default()
        };
        match jsapi::complex_picker(&picker).await {
            Err(e) if falls_back(&e) => {}
            other => return picked(other.map(|(users, _)| users)),
        }
    }
    browser::pick_people(api, pick).await
}

/// Departments of the organisation: DingTalk's complexPicker, or the app's picker over `/api/departments`.
pub async fn pick_departments(
    api: &Api,
    title: &str,
    multiple: bool,
    picked_ids: &[i64],
) -> Result<Option<Vec<PickedDepartment>>, Failure> {
    if jsapi::in_dingtalk() {
        let corp_id = ensure_config(api).await?;
        let picker = ComplexPicker {
            title: title.to_owned(),
            corp_id,
            multiple,
            picked_departments: picked_ids.to_vec(),
            ..Default::default()
        };
        match jsapi::complex_picker(&picker).await {
            Err(e) if falls_back(&e) => {}
            other => return picked(other.map(|(_, departments)| departments)),
        }
    }
    browser::pick_departments(api, title, multiple, picked_ids).await
}

/// Files or photos for an attachment field, in the caller's approval space: uploaded there by DingTalk's
/// `uploadAttachment` (the space's id from the server), or outside DingTalk chosen with a file input and uploaded
/// through the server.
pub async fn upload(api: &Api, kind: UploadKind, max: u32) -> Result<Option<Vec<Attachment>>, Failure> {
    if !jsapi::in_dingtalk() {
        return browser::upload(api, kind, max).await;
    }
    ensure_config(api).await?;
    let space = api.attachment_space().await?;
    picked(jsapi::upload_attachment(&space.space_id, kind, max).await)
}

/// Opens `url`: in DingTalk's own browser page, else in a new tab.
pub async fn open_link(url: &str) {
    match jsapi::open_link(url).await {
        Ok(()) => {}
        Err(e) if falls_back(&e) => browser::open_link(url),
        Err(e) => leptos::logging::warn!("openLink failed: {e}"),
    }
}

/// Sets the page title: DingTalk's native title bar, and the document's title.
pub fn set_title(title: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(title);
    }
    let title = title.to_owned();
    // wasm-bindgen-futures, not Leptos's executor: this works before (or without) a mounted app too.
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = jsapi::set_title(&title).await
            && !falls_back(&e)
        {
            leptos::logging::warn!("setTitle failed: {e}");
        }
    });
}

/// Runs `handler` when the person goes back with DingTalk's back button, instead of going back: on Android, the
/// back key and the title bar's arrow (the container's `backbutton` event); the handler decides what back means
/// (close a sheet, ask before discarding a form, or `history.back()`).
///
/// On iOS, DingTalk's back (the title bar's arrow and the swipe) is the webview's own history back, which the router
/// already follows as a `popstate`; the API that could intercept the arrow (`biz.navigation.setLeft`) is neither in
/// jsapi.md's verified list nor in the bundle, and the swipe cannot be intercepted at all, so iOS gets no hook. PC
/// and browsers have no back button of DingTalk's. Keep the returned listener as long as the handler should run.
pub fn on_back(handler: impl Fn() + 'static) -> Option<jsapi::BackListener> {
    jsapi::on_backbutton(handler)
}
