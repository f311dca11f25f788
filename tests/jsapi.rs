//! The JSAPI module against a fake `dd` in headless Chromium: environment detection, a successful call, and each
//! way a call fails. Each test installs its own fake on `window.dd`.
#![cfg(target_arch = "wasm32")]

use shenpi::jsapi::{self, JsApiError, Platform};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Runs `script` in the page (it sets `window.dd`).
fn install(script: &str) {
    js_sys::Function::new_no_args(script).call0(&wasm_bindgen::JsValue::NULL).unwrap();
}

fn ios_dd_with_auth(body: &str) -> String {
    format!(
        "window.dd = {{ env: {{ platform: 'ios', version: '7.6.0', language: 'zh_CN' }},
           runtime: {{ permission: {{ requestAuthCode: function (p) {{ window.__seen = p; {body} }} }} }},
           biz: {{ navigation: {{ setTitle: function (p) {{ document.title = p.title; return Promise.resolve({{}}); }} }} }} }};"
    )
}

#[wasm_bindgen_test]
fn without_dd_the_page_is_not_in_dingtalk() {
    install("delete window.dd;");
    assert_eq!(jsapi::env(), None);
    assert!(!jsapi::in_dingtalk());
}

#[wasm_bindgen_test]
fn env_reads_platform_version_and_language() {
    install(&ios_dd_with_auth("return Promise.resolve({});"));
    let env = jsapi::env().unwrap();
    assert_eq!(env.platform, Platform::Ios);
    assert_eq!(env.version.as_deref(), Some("7.6.0"));
    assert_eq!(env.language, "zh_CN");
    assert!(jsapi::in_dingtalk());
}

#[wasm_bindgen_test]
async fn request_auth_code_passes_the_corp_id_and_returns_the_code() {
    install(&ios_dd_with_auth("return Promise.resolve({ code: 'code-for-' + p.corpId });"));
    assert_eq!(jsapi::request_auth_code("ding123").await, Ok("code-for-ding123".to_owned()));
    let seen = js_sys::eval("window.__seen.corpId").unwrap().as_string();
    assert_eq!(seen.as_deref(), Some("ding123"));
}

#[wasm_bindgen_test]
async fn a_container_failure_keeps_dingtalks_code_and_message() {
    install(&ios_dd_with_auth("return Promise.reject({ errorCode: '3', errorMessage: '权限校验失败' });"));
    let err = jsapi::request_auth_code("ding123").await.unwrap_err();
    assert_eq!(err, JsApiError::Failed { code: "3".into(), message: "权限校验失败".into() });
}

#[wasm_bindgen_test]
async fn cancel_is_its_own_error() {
    install(&ios_dd_with_auth("return Promise.reject({ errorCode: '-1', errorMessage: 'cancel' });"));
    assert_eq!(jsapi::request_auth_code("ding123").await, Err(JsApiError::Cancelled));
}

#[wasm_bindgen_test]
async fn a_library_error_is_parsed_for_its_code() {
    install(&ios_dd_with_auth(
        "return Promise.reject(new Error(\"[DINGTALK-JSAPI] ERROR 4050: 'x' do not support the current platform ('pc')\"));",
    ));
    match jsapi::request_auth_code("ding123").await {
        Err(JsApiError::Failed { code, .. }) => assert_eq!(code, "4050"),
        other => panic!("unexpected {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn a_throwing_api_is_an_error_not_a_crash() {
    install(&ios_dd_with_auth("throw { errorCode: '7', errorMessage: 'no permission' };"));
    match jsapi::request_auth_code("ding123").await {
        Err(JsApiError::Failed { code, .. }) => assert_eq!(code, "7"),
        other => panic!("unexpected {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn a_missing_code_in_the_answer_is_an_error() {
    install(&ios_dd_with_auth("return Promise.resolve({});"));
    assert!(matches!(jsapi::request_auth_code("ding123").await, Err(JsApiError::Failed { .. })));
}

#[wasm_bindgen_test]
async fn outside_dingtalk_calls_fail_without_touching_dd() {
    install(
        "window.dd = { env: { platform: 'notInDingTalk' }, runtime: { permission: { requestAuthCode: function () { window.__called = true; } } } };",
    );
    assert_eq!(jsapi::request_auth_code("ding123").await, Err(JsApiError::NotInDingTalk));
    assert!(js_sys::eval("window.__called === undefined").unwrap().as_bool().unwrap());
}

#[wasm_bindgen_test]
async fn an_api_missing_from_the_bundle_is_reported_by_name() {
    install("window.dd = { env: { platform: 'ios' } };");
    assert_eq!(jsapi::set_title("x").await, Err(JsApiError::Missing("biz.navigation.setTitle")));
}

#[wasm_bindgen_test]
async fn set_title_reaches_the_container() {
    install(&ios_dd_with_auth("return Promise.resolve({});"));
    jsapi::set_title("审批").await.unwrap();
    assert_eq!(web_sys::window().unwrap().document().unwrap().title(), "审批");
}
