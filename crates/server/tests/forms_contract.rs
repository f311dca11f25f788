//! The form contract against DingTalk (the emulator): every seeded template's schema maps to api-types' model;
//! values api-types accepts, encoded with `to_dingtalk`, are accepted by the create API; and values api-types
//! refuses are refused by DingTalk too, naming the same control.

use std::time::Duration;

use api_types::form::{
    Address, Attachment, Field, FieldErrorCode, FieldKind, FieldValue, FormSchema, FormValues, TimeAndLocation,
    to_dingtalk, validate,
};
use dingtalk_emulator::Emulator;
use dingtalk_emulator::templates::DEFAULT_TEMPLATES_JSON;
use serde_json::{Value, json};

mod common;

use common::forms::{Refs, valid_values};

/// The originator of every instance here, a member of department 101.
const ORIGINATOR: &str = "zhangsan";

struct Dt {
    emu: Emulator,
    http: reqwest::Client,
    token: String,
}

impl Dt {
    async fn start() -> Self {
        let emu = Emulator::start().await.unwrap();
        // Each call gets a second of its own on the emulator's clock, so 20 QPS per API never refuses one.
        emu.clock().freeze();
        let token = emu.app_token().await.unwrap();
        Self { emu, http: reqwest::Client::new(), token }
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        self.emu.clock().advance(Duration::from_secs(1));
        let res = req.header("x-acs-dingtalk-access-token", &self.token).send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }

    /// The schema the server reads: `result.schemaContent` of the form schema API.
    async fn schema(&self, process_code: &str) -> Value {
        let url = format!("{}/v1.0/workflow/forms/schemas/processCodes?processCode={process_code}", self.emu.uri());
        let (status, body) = self.call(self.http.get(url)).await;
        assert_eq!(status, 200, "{body}");
        body["result"]["schemaContent"].clone()
    }

    /// Starts an instance with these encoded values; the HTTP status and body. The approver is named, so templates
    /// whose flow lets the originator pick one start too: these tests are about the form.
    async fn create(&self, process_code: &str, values: &FormValues, schema: &FormSchema) -> (u16, Value) {
        let body = json!({
            "processCode": process_code, "originatorUserId": ORIGINATOR, "deptId": 101,
            "approvers": [{"actionType": "NONE", "userIds": ["fe_lead"]}],
            "formComponentValues": to_dingtalk(schema, values),
        });
        let url = format!("{}/v1.0/workflow/processInstances", self.emu.uri());
        self.call(self.http.post(url).json(&body)).await
    }

    async fn instance(&self, id: &str) -> Value {
        let url = format!("{}/v1.0/workflow/processInstances?processInstanceId={id}", self.emu.uri());
        let (status, body) = self.call(self.http.get(url)).await;
        assert_eq!(status, 200, "{body}");
        body["result"].clone()
    }

    /// A file in the originator's approval space.
    async fn upload(&self) -> Attachment {
        common::forms::upload(&self.emu, ORIGINATOR).await
    }
}

/// The seeded templates' process codes, from the emulator's fixture.
fn seeded_codes() -> Vec<String> {
    let templates: Vec<Value> = serde_json::from_str(DEFAULT_TEMPLATES_JSON).unwrap();
    let codes: Vec<String> = templates.iter().map(|t| t["processCode"].as_str().unwrap().to_owned()).collect();
    assert!(codes.len() >= 4, "the seed has the four demo templates");
    codes
}

/// Maps a template's schema as the server will, from the schema API.
async fn mapped(dt: &Dt, code: &str) -> FormSchema {
    FormSchema::from_dingtalk(&dt.schema(code).await).unwrap_or_else(|e| panic!("{code}: {e}"))
}

/// The values of the seeded 请假, which has no relate field, used as the instance others relate to.
async fn first_instance(dt: &Dt, file: &Attachment) -> String {
    let schema = mapped(dt, "PROC-EMU-LEAVE").await;
    let refs = Refs { file: file.clone(), instance_id: String::new() };
    let values = valid_values(&schema.fields, &refs);
    let (status, body) = dt.create("PROC-EMU-LEAVE", &values, &schema).await;
    assert_eq!(status, 200, "{body}");
    body["instanceId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_seeded_schema_maps_and_its_fields_match_the_fixture() {
    let dt = Dt::start().await;
    let templates: Vec<Value> = serde_json::from_str(DEFAULT_TEMPLATES_JSON).unwrap();
    for code in seeded_codes() {
        let schema = mapped(&dt, &code).await;
        let fixture = templates.iter().find(|t| t["processCode"] == code.as_str()).unwrap();
        let items = fixture["items"].as_array().unwrap();
        assert_eq!(schema.fields.len(), items.len(), "{code}");
        for (field, item) in schema.fields.iter().zip(items) {
            assert_eq!(field.id, item["props"]["id"].as_str().unwrap(), "{code}");
            assert_eq!(field.kind.component_name(), item["componentName"].as_str().unwrap(), "{code}: {}", field.id);
            assert!(!matches!(field.kind, FieldKind::Unsupported { .. }), "{code}: {} is fillable", field.id);
        }
    }
}

#[tokio::test]
async fn values_api_types_accepts_are_accepted_by_dingtalk_for_every_seeded_template() {
    let dt = Dt::start().await;
    let file = dt.upload().await;
    let instance_id = first_instance(&dt, &file).await;
    let refs = Refs { file, instance_id };
    for code in seeded_codes() {
        let schema = mapped(&dt, &code).await;
        let values = valid_values(&schema.fields, &refs);
        assert_eq!(validate(&schema, &values), Ok(()), "{code}");
        let (status, body) = dt.create(&code, &values, &schema).await;
        assert_eq!(status, 200, "{code}: {body}");
        let stored = dt.instance(body["instanceId"].as_str().unwrap()).await;
        let stored = stored["formComponentValues"].as_array().unwrap();
        for field in schema.fields.iter().filter(|f| f.is_fillable()) {
            let value = stored.iter().find(|v| v["id"] == field.id.as_str()).map(|v| &v["value"]);
            assert!(value.is_some_and(|v| v != "null"), "{code}: {} was stored empty: {value:?}", field.id);
        }
    }
}

#[tokio::test]
async fn only_required_values_are_enough_for_dingtalk_too() {
    let dt = Dt::start().await;
    let refs = Refs { file: dt.upload().await, instance_id: String::new() };
    for code in seeded_codes() {
        let schema = mapped(&dt, &code).await;
        let required: Vec<Field> = schema.fields.iter().filter(|f| f.required).cloned().collect();
        let values = valid_values(&required, &refs);
        assert_eq!(validate(&schema, &values), Ok(()), "{code}");
        let (status, body) = dt.create(&code, &values, &schema).await;
        assert_eq!(status, 200, "{code}: {body}");
    }
}

/// A value that api-types refuses, with the code it gives and the control DingTalk's message names.
struct Bad {
    template: &'static str,
    field: &'static str,
    value: FieldValue,
    code: FieldErrorCode,
    /// The table's column, for a cell.
    column: Option<&'static str>,
}

fn bad(template: &'static str, field: &'static str, value: FieldValue, code: FieldErrorCode) -> Bad {
    Bad { template, field, value, code, column: None }
}

#[tokio::test]
async fn values_api_types_refuses_are_refused_by_dingtalk_naming_the_same_control() {
    use FieldErrorCode as E;
    use FieldValue as V;
    let dt = Dt::start().await;
    let file = dt.upload().await;
    let instance_id = first_instance(&dt, &file).await;
    let refs = Refs { file, instance_id: instance_id.clone() };
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let (leave, expense, purchase, general) =
        ("PROC-EMU-LEAVE", "PROC-EMU-EXPENSE", "PROC-EMU-PURCHASE", "PROC-EMU-GENERAL");
    let range = |a: &str, b: &str| V::DateRange { start: a.into(), end: b.into() };
    let cases = vec![
        bad(leave, "DDSelectField-X0FJU8G8", V::Choice("年休".into()), E::NotAnOption),
        bad(leave, "DDDateRangeField-D4T6XKIC", range("2024-05-03", "2024-05-01"), E::RangeReversed),
        bad(leave, "DDDateRangeField-D4T6XKIC", range("2024-05-01", "2024-02-30"), E::BadDate),
        bad(leave, "NumberField-04ANID0G", V::Number("三".into()), E::NotANumber),
        bad(leave, "InnerContactField-O326JJ9T", V::People(strings(&["zhangsan", "lisi"])), E::TooMany),
        bad(leave, "DDPhotoField-TVC0611R", V::Photos(vec!["https://e.com/a.png".into(); 10]), E::TooMany),
        bad(leave, "DDPhotoField-TVC0611R", V::Photos(strings(&["ftp://e.com/a.png"])), E::BadUrl),
        bad(leave, "TextareaField-PHQUVTUS", V::Text(" ".into()), E::Required),
        bad(expense, "MoneyField-EXPTOTAL", V::Money("5200.123".into()), E::TooManyDecimals),
        bad(expense, "MoneyField-EXPTOTAL", V::Money("-1".into()), E::Negative),
        bad(purchase, "DDMultiSelectField-3FIF17ZW", V::Choices(strings(&["家具", "家具"])), E::Duplicate),
        bad(purchase, "DDDateField-OTOJI404", V::Date("2023-02-29".into()), E::BadDate),
        bad(purchase, "DepartmentField-SKOFC0X9", V::Departments(vec![100, 101]), E::TooMany),
        bad(purchase, "InnerContactField-SNPCO8M4", V::People(strings(&["lisi", "lisi"])), E::Duplicate),
        bad(general, "PhoneField-6M1GW2WY", V::Phone("打我电话".into()), E::BadPhone),
        bad(general, "StarRatingField-WRYEXN3F", V::Rating(6), E::BadRating),
        bad(general, "DDDateField-N4V7DK90", V::Date("2024-05-10 24:00".into()), E::BadDate),
        bad(general, "RelateField-AJFG9DVB", V::Related(vec![instance_id; 10]), E::TooMany),
        bad(
            general,
            "AddressField-AACKCZL7",
            V::Address(Address {
                province: "北京".into(), city: " ".into(), district: "朝阳区".into(), detail: None
            }),
            E::BadAddress,
        ),
        bad(
            general,
            "TimeAndLocationField-VZ6K8G7V",
            V::TimeAndLocation(TimeAndLocation {
                time: "2024-05-01".into(),
                longitude: 120.0,
                latitude: 30.0,
                address: "杭州".into(),
            }),
            E::BadLocation,
        ),
    ];
    let mut table_cases = Vec::new();
    for (column, value, code) in [
        ("MoneyField-E2HLCBMF", V::Money("两元".into()), E::NotANumber),
        ("DDSelectField-45YB94KB", V::Choice("机票".into()), E::NotAnOption),
        ("DDDateField-2TGEUV1J", V::Date("2024-04-31".into()), E::BadDate),
        ("DDDateField-2TGEUV1J", V::Date(String::new()), E::Required),
    ] {
        table_cases.push(Bad { column: Some(column), ..bad(expense, "TableField-73M4X92L", value, code) });
    }
    for case in cases.into_iter().chain(table_cases) {
        let schema = mapped(&dt, case.template).await;
        let mut values = valid_values(&schema.fields, &refs);
        match case.column {
            Some(column) => {
                let Some(FieldValue::Table(rows)) = values.0.get_mut(case.field) else { panic!("a table") };
                rows[1].insert(column, case.value.clone());
            }
            None => values.insert(case.field, case.value.clone()),
        }
        let what = format!("{} {} = {:?}", case.template, case.field, case.value);
        let errors = validate(&schema, &values).expect_err(&what);
        assert_eq!(errors.len(), 1, "{what}: {errors:?}");
        let e = &errors[0];
        assert_eq!(
            (e.field_id.as_str(), e.column_id.as_deref(), e.code),
            (case.field, case.column, case.code),
            "{what}"
        );
        assert_eq!(e.row, case.column.map(|_| 1), "{what}");

        let (status, body) = dt.create(case.template, &values, &schema).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("formConverterError")), "{what}: {body}");
        let field = schema.field(case.field).unwrap();
        let label = match (&field.kind, case.column) {
            (FieldKind::Table { columns, .. }, Some(column)) => &columns.iter().find(|c| c.id == column).unwrap().label,
            _ => &field.label,
        };
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(&format!("失败控件：{label}（")), "{what}: {message}");
        if case.column.is_some() {
            assert!(message.contains("第 2 行"), "{what}: the second row: {message}");
        }
    }
}

#[tokio::test]
async fn text_too_long_for_dingtalk_is_refused_by_both() {
    let dt = Dt::start().await;
    let schema = mapped(&dt, "PROC-EMU-GENERAL").await;
    let values = FormValues::new()
        .with("TextField-NPVG29PY", FieldValue::Text("借用会议室".into()))
        .with("TextareaField-3T6NCAZ7", FieldValue::Text("字".repeat(api_types::form::MAX_VALUE_CHARS + 1)));
    let errors = validate(&schema, &values).unwrap_err();
    assert_eq!(errors[0].code, FieldErrorCode::TooLong);
    assert_eq!(errors[0].field_id, "TextareaField-3T6NCAZ7");
    let (status, body) = dt.create("PROC-EMU-GENERAL", &values, &schema).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("processInstanceInvalidParameter")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("申请内容"), "{body}");
}
