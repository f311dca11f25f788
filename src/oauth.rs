//! DingTalk's web login, for a plain browser: send the person to the authorize page with a random `state`, and
//! on the way back take the `authCode` off the URL only when the `state` is the one this tab sent.

use api_types::AppConfig;
use wasm_bindgen::JsValue;
use web_sys::UrlSearchParams;

use crate::errors::Failure;

const STATE_KEY: &str = "shenpi.oauth_state";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The page's own URL without query or fragment: where DingTalk sends the person back.
fn redirect_uri() -> Option<String> {
    let location = web_sys::window()?.location();
    Some(format!("{}{}", location.origin().ok()?, location.pathname().ok()?))
}

/// The authorize URL for this app, remembering the `state` it carries.
pub fn authorize_url(config: &AppConfig) -> Result<String, Failure> {
    let unavailable = || Failure::Network("the browser cannot start the DingTalk login".into());
    // A random `state` against cross-site login forgery.
    let state = crate::session::random_hex().ok_or_else(unavailable)?;
    session_storage().and_then(|s| s.set_item(STATE_KEY, &state).ok()).ok_or_else(unavailable)?;
    let query = UrlSearchParams::new().map_err(|_| unavailable())?;
    query.append("redirect_uri", &redirect_uri().ok_or_else(unavailable)?);
    query.append("response_type", "code");
    query.append("client_id", &config.client_id);
    query.append("scope", "openid");
    query.append("state", &state);
    query.append("prompt", "consent");
    Ok(format!("{}?{}", config.oauth_authorize_url, String::from(query.to_string())))
}

/// Sends the browser to DingTalk's login page.
pub fn start(config: &AppConfig) -> Result<(), Failure> {
    let url = authorize_url(config)?;
    web_sys::window()
        .and_then(|w| w.location().set_href(&url).ok())
        .ok_or_else(|| Failure::Network("the browser cannot open the DingTalk login".into()))
}

/// The `authCode` of a login that came back to this page, if one did. The code and state are removed from the
/// address bar either way, so a reload does not replay them. A `state` this tab did not send is refused.
pub fn take_callback() -> Option<Result<String, Failure>> {
    let window = web_sys::window()?;
    let search = window.location().search().ok()?;
    let query = UrlSearchParams::new_with_str(&search).ok()?;
    let code = query.get("authCode").filter(|c| !c.is_empty())?;
    let returned_state = query.get("state").unwrap_or_default();
    let storage = session_storage();
    let sent_state = storage.as_ref().and_then(|s| s.get_item(STATE_KEY).ok().flatten());
    if let Some(storage) = &storage {
        let _ = storage.remove_item(STATE_KEY);
    }
    if let (Ok(history), Some(clean)) = (window.history(), redirect_uri()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&clean));
    }
    Some(if sent_state.is_some_and(|s| s == returned_state) { Ok(code) } else { Err(Failure::LoginStateMismatch) })
}
