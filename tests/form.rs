//! The schema-driven form in headless Chromium: mounted from a schema, typed into, checked as api-types says
//! (errors once a field is touched, all of them on submit, the server's on their fields), with 大写 under amounts,
//! a date range's duration and a detail table's rows and totals.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use api_types::form::{
    DateFormat, Field, FieldError, FieldErrorCode, FieldKind, FieldValue, FormSchema, FormValues, TableTotal,
};
use leptos::prelude::*;
use shenpi::form::{FormState, FormView};
use shenpi::i18n::Lang;
use shenpi::session::SessionContext;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn field(id: &str, label: &str, kind: FieldKind, required: bool) -> Field {
    Field { id: id.into(), label: label.into(), kind, required, placeholder: None, biz_alias: None }
}

/// Mounts the form for `schema` in a fresh element, in Chinese, and returns its state and the element.
fn mount(schema: FormSchema) -> (FormState, web_sys::HtmlElement) {
    let document = web_sys::window().unwrap().document().unwrap();
    let root: web_sys::HtmlElement = document.create_element("div").unwrap().dyn_into().unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let state = Rc::new(RefCell::new(None));
    let kept = state.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        provide_context(SessionContext { session: RwSignal::new(None), lang: Lang::Zh });
        let form = FormState::new(schema, FormValues::new());
        *kept.borrow_mut() = Some(form);
        view! { <FormView form /> }
    });
    std::mem::forget(handle);
    let form = state.borrow().expect("the form mounted");
    (form, root)
}

/// Lets the reactive system and the DOM settle.
async fn settle() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

fn find(root: &web_sys::HtmlElement, test_id: &str) -> Option<web_sys::HtmlElement> {
    root.query_selector(&format!("[data-testid=\"{test_id}\"]")).unwrap().map(|e| e.dyn_into().unwrap())
}

fn text(root: &web_sys::HtmlElement, test_id: &str) -> Option<String> {
    find(root, test_id).map(|e| e.text_content().unwrap_or_default())
}

/// Types `value` into the input with `test_id`, as a person would (an `input` event).
async fn type_into(root: &web_sys::HtmlElement, test_id: &str, value: &str) {
    let input: web_sys::HtmlInputElement = find(root, test_id).expect(test_id).dyn_into().unwrap();
    input.set_value(value);
    input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    settle().await;
}

async fn click(root: &web_sys::HtmlElement, test_id: &str) {
    find(root, test_id).expect(test_id).click();
    settle().await;
}

fn money(id: &str, required: bool) -> Field {
    field(id, "金额", FieldKind::Money { unit: Some("元".into()), upper: true }, required)
}

#[wasm_bindgen_test]
async fn an_amount_shows_its_capital_numerals_as_it_is_typed() {
    let (form, root) = mount(FormSchema { fields: vec![money("M", true)] });
    settle().await;
    assert_eq!(text(&root, "field-M-upper"), None);
    type_into(&root, "field-M-input", "1299.5").await;
    assert!(text(&root, "field-M-upper").unwrap().contains("壹仟贰佰玖拾玖元伍角"));
    assert_eq!(form.values.get_untracked().get("M"), Some(&FieldValue::Money("1299.5".into())));
    type_into(&root, "field-M-input", "12.345").await;
    assert_eq!(text(&root, "field-M-upper"), None);
    assert_eq!(text(&root, "field-M-error").as_deref(), Some("金额最多两位小数"));
}

#[wasm_bindgen_test]
async fn a_required_field_complains_only_once_touched() {
    let text_field = field("T", "事项", FieldKind::Text { multiline: false }, true);
    let (_form, root) = mount(FormSchema { fields: vec![text_field] });
    settle().await;
    assert_eq!(text(&root, "field-T-error"), None, "untouched fields stay quiet");
    type_into(&root, "field-T-input", "买电脑").await;
    assert_eq!(text(&root, "field-T-error"), None);
    type_into(&root, "field-T-input", "").await;
    assert_eq!(text(&root, "field-T-error").as_deref(), Some("请填写此项"));
}

#[wasm_bindgen_test]
async fn a_submit_attempt_shows_every_error_and_names_the_first_field() {
    let fields = vec![
        field("A", "说明", FieldKind::Text { multiline: true }, false),
        field("B", "数量", FieldKind::Number { unit: None }, true),
        field("C", "电话", FieldKind::Phone, true),
    ];
    let (form, root) = mount(FormSchema { fields });
    settle().await;
    type_into(&root, "field-C-input", "abc").await;
    assert_eq!(form.check_all().as_deref(), Some("B"));
    settle().await;
    assert_eq!(text(&root, "field-A-error"), None);
    assert_eq!(text(&root, "field-B-error").as_deref(), Some("请填写此项"));
    assert_eq!(text(&root, "field-C-error").as_deref(), Some("请输入正确的手机号或座机号"));
    type_into(&root, "field-B-input", "3.5x").await;
    assert_eq!(text(&root, "field-B-error").as_deref(), Some("请输入数字"));
}

#[wasm_bindgen_test]
async fn the_servers_refusal_shows_on_its_field_until_it_changes() {
    let (form, root) = mount(FormSchema { fields: vec![field("P", "电话", FieldKind::Phone, false)] });
    settle().await;
    form.refused(vec![FieldError::new("P", FieldErrorCode::BadPhone)]);
    settle().await;
    assert_eq!(text(&root, "field-P-error").as_deref(), Some("请输入正确的手机号或座机号"));
    type_into(&root, "field-P-input", "010-12345678").await;
    assert_eq!(text(&root, "field-P-error"), None);
}

#[wasm_bindgen_test]
async fn a_date_range_shows_its_duration() {
    let kind = FieldKind::DateRange {
        format: DateFormat::Date,
        labels: ["开始时间".into(), "结束时间".into()],
        unit: Some("天".into()),
        duration: true,
        duration_label: Some("时长（天）".into()),
    };
    let (form, root) = mount(FormSchema { fields: vec![field("R", "[]", kind, true)] });
    settle().await;
    assert_eq!(text(&root, "field-R-input-duration"), None);
    form.set("R", Some(FieldValue::DateRange { start: "2026-11-02".into(), end: "2026-11-04".into() }));
    settle().await;
    assert_eq!(text(&root, "field-R-input-start").as_deref(), Some("2026-11-02"));
    assert_eq!(text(&root, "field-R-input-duration").as_deref(), Some("时长（天） 3 天"));
    form.set("R", Some(FieldValue::DateRange { start: "2026-11-04".into(), end: "2026-11-02".into() }));
    settle().await;
    assert_eq!(text(&root, "field-R-error").as_deref(), Some("结束时间不能早于开始时间"));
}

#[wasm_bindgen_test]
async fn table_rows_are_added_and_removed_and_the_total_follows() {
    let table = field(
        "TB",
        "报销明细",
        FieldKind::Table {
            columns: vec![money("M", true), field("N", "说明", FieldKind::Text { multiline: false }, false)],
            action_name: Some("添加明细".into()),
            totals: vec![TableTotal {
                column_id: "M".into(),
                label: "金额".into(),
                unit: Some("元".into()),
                upper: true,
            }],
        },
        true,
    );
    let (form, root) = mount(FormSchema { fields: vec![table] });
    settle().await;
    assert_eq!(text(&root, "field-TB-add").as_deref(), Some("+ 添加明细"));
    click(&root, "field-TB-add").await;
    click(&root, "field-TB-add").await;
    assert!(find(&root, "field-TB-row-1").is_some());
    type_into(&root, "field-TB-0-M-input", "12.5").await;
    type_into(&root, "field-TB-1-M-input", "3").await;
    let total = text(&root, "field-TB-total-M").unwrap();
    assert!(total.contains("15.5") && total.contains("壹拾伍元伍角"), "{total}");
    type_into(&root, "field-TB-1-N-input", "出租车").await;
    assert_eq!(text(&root, "field-TB-1-M-error"), None);
    type_into(&root, "field-TB-0-M-input", "").await;
    assert_eq!(text(&root, "field-TB-0-M-error").as_deref(), Some("请填写此项"));
    click(&root, "field-TB-remove-0").await;
    assert!(find(&root, "field-TB-row-1").is_none());
    assert!(text(&root, "field-TB-total-M").unwrap().contains('3'));
    let rows = form.values.get_untracked();
    let Some(FieldValue::Table(rows)) = rows.get("TB") else { panic!("no rows") };
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get("N"), Some(&FieldValue::Text("出租车".into())));
}

#[wasm_bindgen_test]
async fn notes_show_their_text_and_unfillable_kinds_are_read_only() {
    let mut note = field("X", "说明", FieldKind::Note, false);
    note.placeholder = Some("请如实填写".into());
    let other = field("U", "关联表单", FieldKind::Unsupported { component_name: "FormRelateField".into() }, true);
    let (form, root) = mount(FormSchema { fields: vec![note, other] });
    settle().await;
    assert_eq!(text(&root, "field-X").as_deref(), Some("请如实填写"));
    assert!(text(&root, "field-U-input").unwrap().contains("钉钉"));
    assert_eq!(form.check_all().as_deref(), Some("U"), "a required field the app cannot fill blocks the submit");
}
