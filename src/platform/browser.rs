//! The app's own UI for what DingTalk's JSAPI does natively, used in a plain browser and where the DingTalk client
//! lacks an API (PC has no datepicker, chosen or preloader).

use api_types::form::Attachment;
use wasm_bindgen::JsCast;

use crate::api::Api;
use crate::errors::Failure;
use crate::jsapi::{JsApiError, PickedDepartment, PickedUser, ToastIcon, UploadKind};
use crate::platform::PeoplePick;

fn not_yet() -> Failure {
    // The browser pickers are being built (issue 5); until then a page outside DingTalk says so.
    Failure::JsApi(JsApiError::NotInDingTalk)
}

/// A toast of the app's own: a `role="status"` line that goes after two seconds.
pub fn toast(text: &str, icon: ToastIcon) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let (Ok(toast), Some(body)) = (document.create_element("div"), document.body()) else { return };
    toast.set_class_name(match icon {
        ToastIcon::None => "toast",
        ToastIcon::Success => "toast success",
        ToastIcon::Error => "toast error",
    });
    let _ = toast.set_attribute("role", "status");
    let _ = toast.set_attribute("data-testid", "toast");
    toast.set_text_content(Some(text));
    let _ = body.append_child(&toast);
    let remove = wasm_bindgen::closure::Closure::once_into_js(move || toast.remove());
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(remove.unchecked_ref(), 2000);
    }
}

/// The browser's own alert.
pub async fn alert(title: &str, message: &str, _button: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.alert_with_message(&format!("{title}\n{message}"));
    }
}

/// The browser's own confirm.
pub async fn confirm(title: &str, message: &str, _cancel: &str, _ok: &str) -> bool {
    web_sys::window().and_then(|w| w.confirm_with_message(&format!("{title}\n{message}")).ok()).unwrap_or(false)
}

/// A date picker of the app's own.
pub async fn pick_date(_current: Option<&str>, _with_time: bool) -> Result<Option<String>, Failure> {
    Err(not_yet())
}

/// An option list of the app's own.
pub async fn choose(_options: &[String], _selected: Option<&str>) -> Result<Option<String>, Failure> {
    Err(not_yet())
}

/// A people picker over `/api/contacts`.
pub async fn pick_people(_api: &Api, _pick: &PeoplePick) -> Result<Option<Vec<PickedUser>>, Failure> {
    Err(not_yet())
}

/// A department picker over `/api/departments`.
pub async fn pick_departments(
    _api: &Api,
    _title: &str,
    _multiple: bool,
    _picked: &[i64],
) -> Result<Option<Vec<PickedDepartment>>, Failure> {
    Err(not_yet())
}

/// A file input, uploading through the server.
pub async fn upload(_api: &Api, _kind: UploadKind, _max: u32) -> Result<Option<Vec<Attachment>>, Failure> {
    Err(not_yet())
}

/// A new tab.
pub fn open_link(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.open_with_url_and_target(url, "_blank");
    }
}
