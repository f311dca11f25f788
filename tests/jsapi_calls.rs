//! Every JSAPI wrapper against a fake iOS `dd` in headless Chromium: the parameters each one sends (checked against
//! jsapi.md §4), how its answer is decoded, and `dd.config` settling through `dd.ready` / `dd.error`.
//!
//! The fake records each call's parameters in `window.__calls[<dotted name>]` and answers with
//! `window.__answers[<dotted name>]` (`{ok: result}` or `{fail: error}`); a missing answer resolves `{}`.
#![cfg(target_arch = "wasm32")]

use shenpi::jsapi::{
    self, ComplexPicker, ConfigParams, JsApiError, PickedDepartment, PickedUser, ToastIcon, UploadKind,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The fake: every API the wrappers call, plus `config` / `ready` / `error`.
const FAKE: &str = r#"
window.__calls = {};
window.__answers = {};
function api(name) {
  return function (p) {
    window.__calls[name] = p;
    var a = window.__answers[name];
    if (a && a.fail) return Promise.reject(a.fail);
    return Promise.resolve(a ? a.ok : {});
  };
}
var names = ['runtime.permission.requestAuthCode', 'biz.navigation.setTitle', 'biz.navigation.setRight',
  'biz.navigation.close', 'device.notification.toast', 'device.notification.alert', 'device.notification.confirm',
  'device.notification.showPreloader', 'device.notification.hidePreloader', 'biz.util.datepicker',
  'biz.util.datetimepicker', 'biz.util.chosen', 'biz.util.openLink', 'biz.util.uploadAttachment',
  'biz.contact.complexPicker'];
var dd = { env: { platform: 'ios', version: '7.6.0', language: 'zh_CN' } };
names.forEach(function (name) {
  var parts = name.split('.'), target = dd;
  parts.slice(0, -1).forEach(function (k) { target = target[k] = target[k] || {}; });
  target[parts[parts.length - 1]] = api(name);
});
var settled = null, onReady = [], onError = [];
dd.config = function (p) {
  window.__calls.config = p;
  var a = window.__answers.config;
  setTimeout(function () {
    settled = a && a.fail ? ['error', a.fail] : ['ready'];
    (settled[0] === 'ready' ? onReady : onError).forEach(function (f) { f(settled[1]); });
  }, 0);
};
dd.ready = function (f) { onReady.push(f); };
dd.error = function (f) { onError.push(f); };
window.dd = dd;
"#;

fn install(answers: &str) {
    js_sys::eval(FAKE).unwrap();
    js_sys::eval(&format!("window.__answers = {answers};")).unwrap();
}

/// The parameters `dd.<name>` last received, as JSON.
fn sent(name: &str) -> serde_json::Value {
    let json = js_sys::JSON::stringify(&js_sys::eval(&format!("window.__calls['{name}']")).unwrap()).unwrap();
    serde_json::from_str(&json.as_string().unwrap()).unwrap()
}

#[wasm_bindgen_test]
async fn toast_sends_text_duration_and_the_icon_name() {
    install("{}");
    jsapi::toast("已提交", ToastIcon::Success, 2).await.unwrap();
    assert_eq!(
        sent("device.notification.toast"),
        serde_json::json!({"text": "已提交", "duration": 2, "icon": "success"})
    );
    jsapi::toast("失败", ToastIcon::Error, 3).await.unwrap();
    assert_eq!(sent("device.notification.toast")["icon"], "error");
    jsapi::toast("plain", ToastIcon::None, 3).await.unwrap();
    assert_eq!(sent("device.notification.toast").get("icon"), None);
}

#[wasm_bindgen_test]
async fn alert_sends_title_message_and_button_name() {
    install("{}");
    jsapi::alert("提示", "已撤销", "知道了").await.unwrap();
    assert_eq!(
        sent("device.notification.alert"),
        serde_json::json!({"title": "提示", "message": "已撤销", "buttonName": "知道了"})
    );
}

#[wasm_bindgen_test]
async fn confirm_sends_cancel_then_ok_and_index_one_is_ok() {
    install("{ 'device.notification.confirm': { ok: { buttonIndex: 1 } } }");
    assert_eq!(jsapi::confirm("撤销？", "撤销后不能恢复", "取消", "撤销").await, Ok(true));
    assert_eq!(sent("device.notification.confirm")["buttonLabels"], serde_json::json!(["取消", "撤销"]));
    assert_eq!(sent("device.notification.confirm")["message"], "撤销后不能恢复");
    install("{ 'device.notification.confirm': { ok: { buttonIndex: 0 } } }");
    assert_eq!(jsapi::confirm("撤销？", "", "取消", "撤销").await, Ok(false));
    // Android answers the index as a string.
    install("{ 'device.notification.confirm': { ok: { buttonIndex: '1' } } }");
    assert_eq!(jsapi::confirm("撤销？", "", "取消", "撤销").await, Ok(true));
}

#[wasm_bindgen_test]
async fn preloader_shows_with_icon_and_hides() {
    install("{}");
    jsapi::show_preloader("提交中").await.unwrap();
    assert_eq!(sent("device.notification.showPreloader"), serde_json::json!({"text": "提交中", "showIcon": true}));
    jsapi::hide_preloader().await.unwrap();
    assert_eq!(sent("device.notification.hidePreloader"), serde_json::json!({}));
}

#[wasm_bindgen_test]
async fn datepicker_formats_and_returns_the_value() {
    install("{ 'biz.util.datepicker': { ok: { value: '2026-11-23' } } }");
    assert_eq!(jsapi::datepicker(Some("2026-11-22"), false).await, Ok("2026-11-23".to_owned()));
    assert_eq!(sent("biz.util.datepicker"), serde_json::json!({"format": "yyyy-MM-dd", "value": "2026-11-22"}));
    install("{ 'biz.util.datetimepicker': { ok: { value: '2026-11-23 09:30' } } }");
    assert_eq!(jsapi::datepicker(None, true).await, Ok("2026-11-23 09:30".to_owned()));
    assert_eq!(sent("biz.util.datetimepicker"), serde_json::json!({"format": "yyyy-MM-dd HH:mm"}));
}

#[wasm_bindgen_test]
async fn datepicker_without_a_value_is_an_error() {
    install("{ 'biz.util.datepicker': { ok: {} } }");
    assert!(matches!(jsapi::datepicker(None, false).await, Err(JsApiError::Failed { .. })));
}

#[wasm_bindgen_test]
async fn chosen_sends_key_value_pairs_and_returns_the_key() {
    install("{ 'biz.util.chosen': { ok: { key: '事假', value: '事假' } } }");
    let options = ["年假".to_owned(), "事假".to_owned()];
    assert_eq!(jsapi::chosen(&options, Some("年假")).await, Ok("事假".to_owned()));
    assert_eq!(
        sent("biz.util.chosen"),
        serde_json::json!({"source": [{"key": "年假", "value": "年假"}, {"key": "事假", "value": "事假"}],
                           "selectedKey": "年假"})
    );
}

#[wasm_bindgen_test]
async fn complex_picker_sends_the_options_and_decodes_users_and_departments() {
    install(
        "{ 'biz.contact.complexPicker': { ok: { selectedCount: 3,
             users: [{ emplId: 'lisi', name: '李四', avatar: '' }, { name: 'no id' }],
             departments: [{ id: 2, name: '研发部', number: 2 }, { id: '3', name: '财务部', number: 1 }] } } }",
    );
    let picker = ComplexPicker {
        title: "选择审批人".into(),
        corp_id: "ding123".into(),
        multiple: true,
        max_users: Some(5),
        picked_users: vec!["zhangsan".into()],
        picked_departments: vec![2],
        disabled_users: vec!["wangwu".into()],
        users_only: false,
    };
    let (users, departments) = jsapi::complex_picker(&picker).await.unwrap();
    assert_eq!(users, vec![PickedUser { user_id: "lisi".into(), name: "李四".into() }]);
    assert_eq!(
        departments,
        vec![PickedDepartment { id: 2, name: "研发部".into() }, PickedDepartment { id: 3, name: "财务部".into() }]
    );
    assert_eq!(
        sent("biz.contact.complexPicker"),
        serde_json::json!({"title": "选择审批人", "corpId": "ding123", "multiple": true, "maxUsers": 5,
            "pickedUsers": ["zhangsan"], "pickedDepartments": [2], "disabledUsers": ["wangwu"],
            "permissionType": "GLOBAL", "responseUserOnly": false, "startWithDepartmentId": 0})
    );
}

#[wasm_bindgen_test]
async fn complex_picker_cancel_is_cancelled() {
    install("{ 'biz.contact.complexPicker': { fail: { errorCode: '-1', errorMessage: 'cancel' } } }");
    assert_eq!(jsapi::complex_picker(&ComplexPicker::default()).await, Err(JsApiError::Cancelled));
}

#[wasm_bindgen_test]
async fn upload_photos_sends_image_options_and_decodes_the_files() {
    install(
        "{ 'biz.util.uploadAttachment': { ok: { type: 'photo', data: [
            { spaceId: '1001', fileId: 'f1', fileName: 'a.jpg', fileSize: 2048, fileType: 'jpg' },
            { spaceId: 1001, fileId: 77, fileName: 'b.png', fileSize: 10, fileType: 'png' },
            { fileName: 'no ids' }] } } }",
    );
    let files = jsapi::upload_attachment("1001", UploadKind::Photo, 9).await.unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!((files[0].space_id.as_str(), files[0].file_id.as_str(), files[0].file_size), ("1001", "f1", 2048));
    assert_eq!(
        (files[1].space_id.as_str(), files[1].file_id.as_str(), files[1].file_type.as_str()),
        ("1001", "77", "png")
    );
    assert_eq!(
        sent("biz.util.uploadAttachment"),
        serde_json::json!({"types": ["photo", "camera"], "image": {"multiple": true, "max": 9, "spaceId": "1001"}})
    );
}

#[wasm_bindgen_test]
async fn upload_files_sends_file_options() {
    install("{ 'biz.util.uploadAttachment': { ok: { type: 'file', data: [] } } }");
    assert_eq!(jsapi::upload_attachment("1001", UploadKind::File, 3).await, Ok(vec![]));
    assert_eq!(
        sent("biz.util.uploadAttachment"),
        serde_json::json!({"types": ["file"], "file": {"max": 3, "spaceId": "1001"}})
    );
}

#[wasm_bindgen_test]
async fn open_link_and_close_send_their_parameters() {
    install("{}");
    jsapi::open_link("https://example.com/a?b=1").await.unwrap();
    assert_eq!(sent("biz.util.openLink"), serde_json::json!({"url": "https://example.com/a?b=1"}));
    jsapi::close().await.unwrap();
    assert_eq!(sent("biz.navigation.close"), serde_json::json!({}));
}

#[wasm_bindgen_test]
async fn set_right_shows_a_controlled_button_whose_taps_reach_the_handler() {
    install("{}");
    js_sys::eval("window.__taps = 0;").unwrap();
    jsapi::set_right("保存", || {
        let taps = js_sys::eval("++window.__taps").unwrap();
        assert!(taps.as_f64().is_some());
    })
    .await
    .unwrap();
    let params = sent("biz.navigation.setRight");
    assert_eq!(
        (params["show"].clone(), params["control"].clone(), params["text"].clone()),
        (true.into(), true.into(), "保存".into())
    );
    js_sys::eval(
        "window.__calls['biz.navigation.setRight'].onSuccess(); window.__calls['biz.navigation.setRight'].onSuccess();",
    )
    .unwrap();
    assert_eq!(js_sys::eval("window.__taps").unwrap(), JsValue::from_f64(2.0));
}

fn config_params() -> ConfigParams {
    ConfigParams {
        agent_id: "4001".into(),
        corp_id: "ding123".into(),
        time_stamp: 1_700_000_000_000,
        nonce_str: "abcdefg".into(),
        signature: "b3219efdfe8c5dbb2ce0598c6f7ccdbfaa5773cb".into(),
        js_api_list: vec!["biz.contact.complexPicker".into()],
    }
}

#[wasm_bindgen_test]
async fn config_sends_the_signed_parameters_and_resolves_on_ready() {
    install("{}");
    assert_eq!(jsapi::config(&config_params()).await, Ok(()));
    assert_eq!(
        sent("config"),
        serde_json::json!({"agentId": "4001", "corpId": "ding123", "timeStamp": 1_700_000_000_000_u64,
            "nonceStr": "abcdefg", "signature": "b3219efdfe8c5dbb2ce0598c6f7ccdbfaa5773cb", "type": 0,
            "jsApiList": ["biz.contact.complexPicker"]})
    );
}

#[wasm_bindgen_test]
async fn config_with_a_bad_signature_fails_with_code_3() {
    // The shape DingTalk really sends (jsapi.md §3, a numeric errorCode).
    install("{ config: { fail: { message: '权限校验失败 Code:52013 - Message: 签名校验失败', errorCode: 3 } } }");
    match jsapi::config(&config_params()).await {
        Err(JsApiError::Failed { code, message }) => {
            assert_eq!(code, "3");
            assert!(message.contains("52013"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn on_pc_a_mobile_only_api_fails_with_4050() {
    install(
        "{ 'biz.util.datepicker': { fail: new Error(\"[DINGTALK-JSAPI] ERROR 4050: 'biz.util.datepicker' do not support the current platform ('pc')\") } }",
    );
    js_sys::eval("window.dd.env.platform = 'pc';").unwrap();
    match jsapi::datepicker(None, false).await {
        Err(JsApiError::Failed { code, .. }) => assert_eq!(code, "4050"),
        other => panic!("unexpected {other:?}"),
    }
}

fn fire_backbutton() -> bool {
    let event = web_sys::Event::new_with_event_init_dict("backbutton", &{
        let init = web_sys::EventInit::new();
        init.set_cancelable(true);
        init
    })
    .unwrap();
    web_sys::window().unwrap().document().unwrap().dispatch_event(&event).unwrap()
}

#[wasm_bindgen_test]
fn androids_back_button_runs_the_handler_instead_of_going_back_until_dropped() {
    install("{}");
    js_sys::eval("window.dd.env.platform = 'android'; window.__backs = 0;").unwrap();
    let listener = shenpi::platform::on_back(|| {
        js_sys::eval("window.__backs += 1").unwrap();
    })
    .unwrap();
    assert!(!fire_backbutton(), "the container's default (going back) is cancelled");
    assert_eq!(js_sys::eval("window.__backs").unwrap(), JsValue::from_f64(1.0));
    drop(listener);
    assert!(fire_backbutton(), "after the listener is dropped, back goes back again");
    assert_eq!(js_sys::eval("window.__backs").unwrap(), JsValue::from_f64(1.0));
}

#[wasm_bindgen_test]
async fn set_title_sets_the_document_and_the_native_title() {
    install("{}");
    shenpi::platform::set_title("新建审批");
    assert_eq!(web_sys::window().unwrap().document().unwrap().title(), "新建审批");
    // The native call runs on the next turn.
    let tick = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20);
    });
    wasm_bindgen_futures::JsFuture::from(tick).await.unwrap();
    assert_eq!(sent("biz.navigation.setTitle"), serde_json::json!({"title": "新建审批"}));
}
