//! The platform layer's own UI in headless Chromium (no `dd`, or a DingTalk that lacks the API): dialogs, the date,
//! choose, people and department sheets, driven through the DOM as a person would, and the dispatch from
//! `platform::*` to them.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use api_types::{Contact, DepartmentNode};
use shenpi::errors::Failure;
use shenpi::i18n::Lang;
use shenpi::platform::browser::{self, Directory};
use shenpi::platform::{self, PeoplePick, PickedDepartment, PickedUser};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn query(selector: &str) -> Option<HtmlElement> {
    document().query_selector(selector).unwrap().and_then(|e| e.dyn_into().ok())
}

fn count(selector: &str) -> u32 {
    document().query_selector_all(selector).unwrap().length()
}

/// The element `selector` names, once it is there (two seconds at most).
async fn find(selector: &str) -> HtmlElement {
    for _ in 0..100 {
        if let Some(element) = query(selector) {
            return element;
        }
        sleep(20).await;
    }
    panic!("{selector} never appeared");
}

async fn click(selector: &str) {
    find(selector).await.click();
    sleep(10).await;
}

/// Types `text` into the input `selector` as a keyboard would (value, then an `input` event).
async fn type_into(selector: &str, text: &str) {
    let input: web_sys::HtmlInputElement = find(selector).await.dyn_into().unwrap();
    input.set_value(text);
    let event = web_sys::Event::new_with_event_init_dict("input", &{
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        init
    })
    .unwrap();
    input.dispatch_event(&event).unwrap();
    sleep(30).await;
}

async fn press_escape(selector: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    let event = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    find(selector).await.dispatch_event(&event).unwrap();
    sleep(10).await;
}

/// Starts `future` and gives a slot its answer lands in.
fn start<T: 'static>(future: impl Future<Output = T> + 'static) -> Rc<RefCell<Option<T>>> {
    let slot = Rc::new(RefCell::new(None));
    let into = slot.clone();
    wasm_bindgen_futures::spawn_local(async move {
        *into.borrow_mut() = Some(future.await);
    });
    slot
}

/// The answer in `slot`, once there is one.
async fn answer<T>(slot: &Rc<RefCell<Option<T>>>) -> T {
    for _ in 0..100 {
        if let Some(value) = slot.borrow_mut().take() {
            return value;
        }
        sleep(20).await;
    }
    panic!("no answer");
}

/// A page without `dd` and without what an earlier (failed) test left open.
fn no_dd() {
    js_sys::eval("delete window.dd; document.querySelectorAll('.overlay').forEach(function (o) { o.remove(); });")
        .unwrap();
}

/// A page button that had focus before an overlay opened.
fn focused_opener() -> HtmlElement {
    let button: HtmlElement = document().create_element("button").unwrap().dyn_into().unwrap();
    button.set_id("opener");
    document().body().unwrap().append_child(&button).unwrap();
    button.focus().unwrap();
    button
}

#[wasm_bindgen_test]
async fn confirm_is_a_modal_dialog_whose_ok_answers_true_and_gives_focus_back() {
    no_dd();
    let opener = focused_opener();
    let asked = start(browser::confirm("撤销审批？", "撤销后不能恢复", "取消", "撤销"));
    let dialog = find("[data-testid=dialog]").await;
    assert_eq!(dialog.get_attribute("role").as_deref(), Some("dialog"));
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    let title = document().get_element_by_id(&dialog.get_attribute("aria-labelledby").unwrap()).unwrap();
    assert_eq!(title.text_content().as_deref(), Some("撤销审批？"));
    assert!(dialog.text_content().unwrap().contains("撤销后不能恢复"));
    // Cancel comes first, as in DingTalk; focus starts on the answer.
    let buttons: Vec<String> = ["dialog-cancel", "dialog-ok"]
        .iter()
        .map(|id| query(&format!("[data-testid={id}]")).unwrap().text_content().unwrap())
        .collect();
    assert_eq!(buttons, ["取消", "撤销"]);
    assert_eq!(document().active_element().unwrap().get_attribute("data-testid").as_deref(), Some("dialog-ok"));
    click("[data-testid=dialog-ok]").await;
    assert!(answer(&asked).await);
    assert_eq!(count("[data-testid=dialog]"), 0, "the dialog is removed");
    assert_eq!(document().active_element().unwrap().id(), "opener");
    opener.remove();
}

#[wasm_bindgen_test]
async fn confirm_cancel_escape_and_the_mask_each_answer_false() {
    no_dd();
    for how in ["cancel", "escape", "mask"] {
        let asked = start(browser::confirm("", "确定删除草稿？", "取消", "删除"));
        find("[data-testid=dialog]").await;
        match how {
            "cancel" => click("[data-testid=dialog-cancel]").await,
            "escape" => press_escape("[data-testid=dialog-ok]").await,
            _ => click("[data-testid=dialog-mask]").await,
        }
        assert!(!answer(&asked).await, "{how}");
        assert_eq!(count("[data-testid=dialog]"), 0, "{how}");
    }
}

#[wasm_bindgen_test]
async fn alert_shows_its_button_and_returns_when_tapped() {
    no_dd();
    let done = start(browser::alert("提示", "已提交", "知道了"));
    let ok = find("[data-testid=dialog-ok]").await;
    assert_eq!(ok.text_content().as_deref(), Some("知道了"));
    sleep(50).await;
    assert!(done.borrow().is_none(), "the alert waits for its button");
    ok.click();
    answer(&done).await;
    assert_eq!(count("[data-testid=dialog]"), 0);
}

#[wasm_bindgen_test]
async fn platform_confirm_outside_dingtalk_uses_the_apps_dialog() {
    no_dd();
    let asked = start(async { platform::confirm("转交？", "", "取消", "转交").await });
    click("[data-testid=dialog-ok]").await;
    assert!(answer(&asked).await);
}

#[wasm_bindgen_test]
async fn the_date_sheet_returns_the_picked_date_and_starts_at_the_current_one() {
    no_dd();
    let picked = start(browser::pick_date(Some("2026-11-22"), false));
    let sheet = find("[data-testid=date-sheet]").await;
    assert_eq!(sheet.get_attribute("aria-modal").as_deref(), Some("true"));
    let input: web_sys::HtmlInputElement = find("[data-testid=date-input]").await.dyn_into().unwrap();
    assert_eq!((input.type_().as_str(), input.value().as_str()), ("date", "2026-11-22"));
    type_into("[data-testid=date-input]", "2026-12-01").await;
    click("[data-testid=sheet-confirm]").await;
    assert_eq!(answer(&picked).await, Ok(Some("2026-12-01".to_owned())));
    assert_eq!(count("[data-testid=date-sheet]"), 0);
}

#[wasm_bindgen_test]
async fn the_date_time_sheet_speaks_dingtalks_format() {
    no_dd();
    let picked = start(browser::pick_date(Some("2026-11-22 09:30"), true));
    let input: web_sys::HtmlInputElement = find("[data-testid=date-input]").await.dyn_into().unwrap();
    assert_eq!((input.type_().as_str(), input.value().as_str()), ("datetime-local", "2026-11-22T09:30"));
    type_into("[data-testid=date-input]", "2026-11-23T18:05").await;
    click("[data-testid=sheet-confirm]").await;
    assert_eq!(answer(&picked).await, Ok(Some("2026-11-23 18:05".to_owned())));
}

#[wasm_bindgen_test]
async fn an_empty_date_cannot_be_confirmed_and_escape_cancels() {
    no_dd();
    let picked = start(browser::pick_date(None, false));
    let confirm = find("[data-testid=sheet-confirm]").await;
    assert!(confirm.has_attribute("disabled"));
    press_escape("[data-testid=date-input]").await;
    assert_eq!(answer(&picked).await, Ok(None));
}

#[wasm_bindgen_test]
async fn on_pc_a_date_picker_that_answers_4050_falls_back_to_the_sheet() {
    no_dd();
    js_sys::eval(
        "window.dd = { env: { platform: 'pc' }, biz: { util: { datepicker: function () {
           return Promise.reject(new Error(\"[DINGTALK-JSAPI] ERROR 4050: 'biz.util.datepicker' do not support the current platform ('pc')\")); } } } };",
    )
    .unwrap();
    let picked = start(async { platform::pick_date(None, false).await });
    type_into("[data-testid=date-input]", "2027-01-02").await;
    click("[data-testid=sheet-confirm]").await;
    assert_eq!(answer(&picked).await, Ok(Some("2027-01-02".to_owned())));
    no_dd();
}

#[wasm_bindgen_test]
async fn a_cancel_in_dingtalks_own_picker_is_none_without_a_sheet() {
    no_dd();
    js_sys::eval(
        "window.dd = { env: { platform: 'ios' }, biz: { util: { chosen: function () {
           return Promise.reject({ errorCode: '-1', errorMessage: 'cancel' }); } } } };",
    )
    .unwrap();
    assert_eq!(platform::choose(&["年假".to_owned()], None).await, Ok(None));
    assert_eq!(count("[data-testid=choose-sheet]"), 0);
    no_dd();
}

#[wasm_bindgen_test]
async fn the_choose_sheet_checks_the_current_option_and_returns_the_new_one() {
    no_dd();
    let options = vec!["年假".to_owned(), "事假".to_owned(), "病假".to_owned()];
    let picked = start(async move { browser::choose(&options, Some("事假")).await });
    find("[data-testid=choose-sheet] [role=radiogroup]").await;
    let checked: Vec<bool> = (0..3)
        .map(|i| {
            let selector = format!("[data-testid=choose-option]:nth-child({}) input", i + 1);
            query(&selector).unwrap().dyn_into::<web_sys::HtmlInputElement>().unwrap().checked()
        })
        .collect();
    assert_eq!(checked, [false, true, false]);
    click("[data-testid=choose-option]:nth-child(3) input").await;
    click("[data-testid=sheet-confirm]").await;
    assert_eq!(answer(&picked).await, Ok(Some("病假".to_owned())));
}

/// A directory of five people in two departments (研发部 has 前端组 under it).
#[derive(Clone)]
struct Org;

fn contact(id: &str, name: &str, dept: &str) -> Contact {
    Contact { user_id: id.into(), name: name.into(), avatar: None, title: None, departments: vec![dept.into()] }
}

fn everyone() -> Vec<(i64, Contact)> {
    vec![
        (2, contact("zhangsan", "张三", "研发部")),
        (2, contact("lisi", "李四", "研发部")),
        (4, contact("fe_lead", "李前端", "前端组")),
        (3, contact("wangwu", "王五", "财务部")),
        (3, contact("fin_head", "钱财务", "财务部")),
    ]
}

fn node(id: i64, name: &str, parent: i64, members: u32, children: bool) -> DepartmentNode {
    DepartmentNode {
        dept_id: id,
        name: name.into(),
        parent_id: Some(parent),
        member_count: members,
        has_children: children,
    }
}

impl Directory for Org {
    async fn search(&self, q: &str) -> Result<Vec<Contact>, Failure> {
        Ok(everyone().into_iter().map(|(_, c)| c).filter(|c| c.name.contains(q)).collect())
    }
    async fn members(&self, dept: i64) -> Result<Vec<Contact>, Failure> {
        let under = |d: i64| d == dept || (dept == 2 && d == 4);
        Ok(everyone().into_iter().filter(|(d, _)| under(*d)).map(|(_, c)| c).collect())
    }
    async fn departments(&self, parent: Option<i64>) -> Result<Vec<DepartmentNode>, Failure> {
        Ok(match parent.unwrap_or(1) {
            1 => vec![node(2, "研发部", 1, 3, true), node(3, "财务部", 1, 2, false)],
            2 => vec![node(4, "前端组", 2, 1, false)],
            _ => vec![],
        })
    }
}

/// A directory whose server is down.
#[derive(Clone)]
struct Offline;

impl Directory for Offline {
    async fn search(&self, _: &str) -> Result<Vec<Contact>, Failure> {
        Err(Failure::Network("down".into()))
    }
    async fn members(&self, _: i64) -> Result<Vec<Contact>, Failure> {
        Err(Failure::Network("down".into()))
    }
    async fn departments(&self, _: Option<i64>) -> Result<Vec<DepartmentNode>, Failure> {
        Err(Failure::Network("down".into()))
    }
}

fn people_shown() -> Vec<String> {
    let list = document().query_selector_all("[data-testid=picker-person]").unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().dyn_into::<web_sys::Element>().unwrap().get_attribute("data-user-id").unwrap())
        .collect()
}

async fn tick_person(user_id: &str) {
    click(&format!("[data-testid=picker-person][data-user-id={user_id}] input")).await;
}

#[wasm_bindgen_test]
async fn the_people_picker_searches_by_name_and_returns_several() {
    no_dd();
    let pick = PeoplePick { title: "选择抄送人".into(), multiple: true, ..Default::default() };
    let picked = start(browser::pick_people_from(Org, pick));
    let sheet = find("[data-testid=people-picker]").await;
    assert_eq!(sheet.get_attribute("role").as_deref(), Some("dialog"));
    assert!(sheet.text_content().unwrap().contains("选择抄送人"));
    assert_eq!(document().active_element().unwrap().get_attribute("data-testid").as_deref(), Some("picker-search"));
    type_into("[data-testid=picker-search]", "李").await;
    find("[data-testid=picker-person]").await;
    assert_eq!(people_shown(), ["lisi", "fe_lead"]);
    tick_person("lisi").await;
    tick_person("fe_lead").await;
    type_into("[data-testid=picker-search]", "钱").await;
    sleep(30).await;
    assert_eq!(people_shown(), ["fin_head"]);
    tick_person("fin_head").await;
    tick_person("fin_head").await; // ticked twice: off again
    click("[data-testid=sheet-confirm]").await;
    let users = answer(&picked).await.unwrap();
    assert_eq!(
        users,
        [
            PickedUser { user_id: "lisi".into(), name: "李四".into() },
            PickedUser { user_id: "fe_lead".into(), name: "李前端".into() }
        ]
    );
}

#[wasm_bindgen_test]
async fn the_people_picker_browses_departments_and_greys_out_the_disabled() {
    no_dd();
    let pick = PeoplePick { multiple: false, disabled: vec!["zhangsan".into()], ..Default::default() };
    let picked = start(browser::pick_people_from(Org, pick));
    find("[data-testid=picker-dept][data-dept-id='2']").await;
    assert_eq!(people_shown(), Vec::<String>::new(), "the root lists departments only");
    click("[data-testid=picker-dept][data-dept-id='2']").await;
    find("[data-testid=picker-person]").await;
    assert_eq!(people_shown(), ["zhangsan", "lisi", "fe_lead"]);
    assert_eq!(count("[data-testid=picker-dept][data-dept-id='4']"), 1, "sub-departments are listed too");
    let me = query("[data-testid=picker-person][data-user-id=zhangsan] input").unwrap();
    assert!(me.has_attribute("disabled"));
    assert!(me.closest(".picker-person").unwrap().unwrap().class_list().contains("disabled"));
    // Single: a second pick replaces the first.
    tick_person("lisi").await;
    tick_person("fe_lead").await;
    // The breadcrumb goes back to the root.
    click("[data-testid=picker-crumb-root]").await;
    find("[data-testid=picker-dept][data-dept-id='3']").await;
    click("[data-testid=sheet-confirm]").await;
    assert_eq!(answer(&picked).await, Some(vec![PickedUser { user_id: "fe_lead".into(), name: "李前端".into() }]));
}

#[wasm_bindgen_test]
async fn the_people_picker_stops_at_max_and_cancels_as_none() {
    no_dd();
    let pick = PeoplePick { multiple: true, max: Some(1), ..Default::default() };
    let picked = start(browser::pick_people_from(Org, pick));
    type_into("[data-testid=picker-search]", "李").await;
    find("[data-testid=picker-person]").await;
    tick_person("lisi").await;
    tick_person("fe_lead").await;
    let second: web_sys::HtmlInputElement =
        query("[data-testid=picker-person][data-user-id=fe_lead] input").unwrap().dyn_into().unwrap();
    assert!(!second.checked(), "a pick over the maximum is refused");
    assert_eq!(query("[data-testid=picker-count]").unwrap().text_content().unwrap().chars().last(), Some('1'));
    click("[data-testid=sheet-mask]").await;
    assert_eq!(answer(&picked).await, None);
    assert_eq!(count("[data-testid=people-picker]"), 0);
}

#[wasm_bindgen_test]
async fn the_people_picker_says_when_the_directory_fails() {
    no_dd();
    let picked = start(browser::pick_people_from(Offline, PeoplePick::default()));
    // The note reads "loading" first, then the failure.
    let failure = Failure::Network(String::new());
    let said = [failure.describe(Lang::Zh).0, failure.describe(Lang::En).0];
    for _ in 0..50 {
        let text = find("[data-testid=picker-note]").await.text_content().unwrap_or_default();
        if said.contains(&text.as_str()) {
            break;
        }
        sleep(20).await;
    }
    let text = query("[data-testid=picker-note]").unwrap().text_content().unwrap();
    assert!(said.contains(&text.as_str()), "{text}");
    click("[data-testid=sheet-cancel]").await;
    assert_eq!(answer(&picked).await, None);
}

#[wasm_bindgen_test]
async fn the_department_picker_opens_sub_departments_and_returns_the_ticked() {
    no_dd();
    let picked = start(browser::pick_departments_from(Org, "选择部门".into(), true, vec![]));
    find("[data-testid=picker-dept][data-dept-id='3']").await;
    assert!(find("[data-testid=sheet-confirm]").await.has_attribute("disabled"));
    click("[data-testid=picker-dept][data-dept-id='3'] input").await;
    click("[data-testid=picker-dept-open]").await;
    find("[data-testid=picker-dept][data-dept-id='4']").await;
    click("[data-testid=picker-dept][data-dept-id='4'] input").await;
    click("[data-testid=sheet-confirm]").await;
    assert_eq!(
        answer(&picked).await,
        Some(vec![
            PickedDepartment { id: 3, name: "财务部".into() },
            PickedDepartment { id: 4, name: "前端组".into() }
        ])
    );
}

/// The hidden file input the browser upload opened, once it is there.
async fn file_input() -> web_sys::HtmlInputElement {
    for _ in 0..50 {
        if let Some(input) =
            web_sys::window().unwrap().document().unwrap().query_selector("[data-testid=file-input]").unwrap()
        {
            return input.dyn_into().unwrap();
        }
        sleep(10).await;
    }
    panic!("no file input appeared");
}

#[wasm_bindgen_test]
async fn outside_dingtalk_the_upload_opens_a_file_chooser_and_a_cancel_is_none() {
    no_dd();
    let api = shenpi::api::Api::anonymous();
    let upload = platform::upload(&api, platform::UploadKind::Photo, 3);
    let cancel = async {
        let input = file_input().await;
        assert_eq!(input.accept(), "image/*");
        assert!(input.multiple());
        input.dispatch_event(&web_sys::Event::new("cancel").unwrap()).unwrap();
    };
    let (result, ()) = futures_util::future::join(upload, cancel).await;
    assert_eq!(result, Ok(None));
    assert!(
        web_sys::window().unwrap().document().unwrap().query_selector("[data-testid=file-input]").unwrap().is_none()
    );
}

#[wasm_bindgen_test]
async fn choosing_more_files_than_the_field_takes_is_refused_before_any_upload() {
    no_dd();
    let api = shenpi::api::Api::anonymous();
    let upload = platform::upload(&api, platform::UploadKind::File, 1);
    let choose = async {
        let input = file_input().await;
        let transfer = web_sys::DataTransfer::new().unwrap();
        for name in ["a.pdf", "b.pdf"] {
            let parts = js_sys::Array::of1(&"x".into());
            transfer.items().add_with_file(&web_sys::File::new_with_str_sequence(&parts, name).unwrap()).unwrap();
        }
        input.set_files(transfer.files().as_ref());
        input.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    };
    let (result, ()) = futures_util::future::join(upload, choose).await;
    assert_eq!(result, Err(Failure::TooManyFiles));
    assert_eq!(Failure::TooManyFiles.describe(Lang::Zh).0, "文件太多");
}
