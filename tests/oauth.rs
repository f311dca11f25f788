//! The web login's browser half in headless Chromium: the authorize URL carries a fresh state kept in
//! sessionStorage, and a callback is accepted only with that state, then cleaned from the address bar.
#![cfg(target_arch = "wasm32")]

use api_types::AppConfig;
use shenpi::errors::Failure;
use shenpi::oauth;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn config() -> AppConfig {
    AppConfig {
        corp_id: "ding1".into(),
        agent_id: "1".into(),
        client_id: "dingkey".into(),
        oauth_authorize_url: "https://login.example/oauth2/auth".into(),
    }
}

fn param(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    web_sys::UrlSearchParams::new_with_str(query).unwrap().get(key)
}

/// Puts `query` on the page's URL without reloading, as a redirect back from DingTalk would.
fn arrive_with(query: &str) {
    let window = web_sys::window().unwrap();
    let path = window.location().pathname().unwrap();
    window.history().unwrap().replace_state_with_url(&JsValue::NULL, "", Some(&format!("{path}{query}"))).unwrap();
}

#[wasm_bindgen_test]
fn the_authorize_url_names_this_app_and_page_and_a_fresh_state() {
    let first = oauth::authorize_url(&config()).unwrap();
    assert!(first.starts_with("https://login.example/oauth2/auth?"));
    assert_eq!(param(&first, "client_id").as_deref(), Some("dingkey"));
    assert_eq!(param(&first, "response_type").as_deref(), Some("code"));
    assert_eq!(param(&first, "scope").as_deref(), Some("openid"));
    let location = web_sys::window().unwrap().location();
    let page = format!("{}{}", location.origin().unwrap(), location.pathname().unwrap());
    assert_eq!(param(&first, "redirect_uri"), Some(page));
    let state = param(&first, "state").unwrap();
    assert_eq!(state.len(), 32);
    let second = oauth::authorize_url(&config()).unwrap();
    assert_ne!(param(&second, "state").unwrap(), state);
}

#[wasm_bindgen_test]
fn a_callback_with_the_state_sent_gives_the_code_and_cleans_the_url() {
    let url = oauth::authorize_url(&config()).unwrap();
    let state = param(&url, "state").unwrap();
    arrive_with(&format!("?authCode=abc&state={state}"));

    assert_eq!(oauth::take_callback(), Some(Ok("abc".to_owned())));
    assert_eq!(web_sys::window().unwrap().location().search().unwrap(), "");
    assert_eq!(oauth::take_callback(), None, "nothing to take twice");
}

#[wasm_bindgen_test]
fn a_callback_with_another_state_is_refused_and_the_state_is_spent() {
    let url = oauth::authorize_url(&config()).unwrap();
    let state = param(&url, "state").unwrap();
    arrive_with("?authCode=abc&state=forged");
    assert_eq!(oauth::take_callback(), Some(Err(Failure::LoginStateMismatch)));

    // The real state was spent by the refused attempt: replaying it later fails too.
    arrive_with(&format!("?authCode=abc&state={state}"));
    assert_eq!(oauth::take_callback(), Some(Err(Failure::LoginStateMismatch)));
}

#[wasm_bindgen_test]
fn a_page_without_a_code_is_not_a_callback() {
    arrive_with("?tab=todo");
    assert_eq!(oauth::take_callback(), None);
}
