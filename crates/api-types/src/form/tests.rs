//! Tests of the form model: mapping DingTalk's schema, each kind's rules, and the create API's encoding.

use serde_json::{Value, json};

use super::*;

/// A schema with every kind of control, shaped as `result.schemaContent` is.
fn dingtalk_schema() -> Value {
    json!({"title": "全部控件", "items": [
        {"componentName": "TextField", "props": {"id": "TextField-T1", "label": "标题", "required": true,
            "placeholder": "请输入", "bizAlias": "title"}},
        {"componentName": "TextareaField", "props": {"id": "TextareaField-T2", "label": "备注"}},
        {"componentName": "NumberField", "props": {"id": "NumberField-N1", "label": "数量", "unit": "个"}},
        {"componentName": "MoneyField", "props": {"id": "MoneyField-M1", "label": "金额", "upper": "1", "unit": "元"}},
        {"componentName": "DDSelectField", "props": {"id": "DDSelectField-S1", "label": "类型",
            "options": ["A类", {"key": "b", "value": "B类"}]}},
        {"componentName": "DDMultiSelectField", "props": {"id": "DDMultiSelectField-S2", "label": "标签",
            "options": ["红", "蓝", "绿"]}},
        {"componentName": "DDDateField", "props": {"id": "DDDateField-D1", "label": "日期", "format": "yyyy-MM-dd"}},
        {"componentName": "DDDateField", "props": {"id": "DDDateField-D2", "label": "会议时间",
            "format": "yyyy-MM-dd HH:mm"}},
        {"componentName": "DDDateRangeField", "props": {"id": "DDDateRangeField-R1",
            "label": "[\"开始时间\",\"结束时间\"]", "unit": "天", "format": "yyyy-MM-dd", "duration": true,
            "durationLabel": "时长（天）"}},
        {"componentName": "TextNote", "props": {"id": "TextNote-X1", "label": "说明", "placeholder": "请如实填写"}},
        {"componentName": "PhoneField", "props": {"id": "PhoneField-P1", "label": "电话"}},
        {"componentName": "DDPhotoField", "props": {"id": "DDPhotoField-I1", "label": "图片"}},
        {"componentName": "TableField", "props": {"id": "TableField-B1", "label": "明细", "actionName": "添加",
            "statField": [{"id": "MoneyField-B3", "label": "单价", "upper": true, "unit": "元"}]},
         "children": [
            {"componentName": "TextField", "props": {"id": "TextField-B2", "label": "名称", "required": true}},
            {"componentName": "MoneyField", "props": {"id": "MoneyField-B3", "label": "单价", "required": true}},
            {"componentName": "DDSelectField", "props": {"id": "DDSelectField-B4", "label": "单位",
                "options": ["台", "个"]}},
            {"componentName": "TableField", "props": {"id": "TableField-B5", "label": "嵌套"}}
        ]},
        {"componentName": "DDAttachment", "props": {"id": "DDAttachment-F1", "label": "附件"}},
        {"componentName": "InnerContactField", "props": {"id": "InnerContactField-C1", "label": "参与人", "choice": 1}},
        {"componentName": "InnerContactField", "props": {"id": "InnerContactField-C2", "label": "交接人", "choice": 0}},
        {"componentName": "DepartmentField", "props": {"id": "DepartmentField-G1", "label": "部门"}},
        {"componentName": "DepartmentField", "props": {"id": "DepartmentField-G2", "label": "单个部门",
            "multiple": false}},
        {"componentName": "RelateField", "props": {"id": "RelateField-L1", "label": "关联审批单"}},
        {"componentName": "AddressField", "props": {"id": "AddressField-A1", "label": "地址", "needDetail": 1}},
        {"componentName": "StarRatingField", "props": {"id": "StarRatingField-Z1", "label": "评分"}},
        {"componentName": "TimeAndLocationField", "props": {"id": "TimeAndLocationField-W1",
            "label": "[\"当前时间\",\"当前地点\"]"}},
        {"componentName": "FormRelateField", "props": {"id": "FormRelateField-Y1", "label": "关联表单"}},
        {"componentName": "DDHolidayField", "props": {"id": "DDHolidayField-H1", "label": "假期"}}
    ]})
}

fn schema() -> FormSchema {
    FormSchema::from_dingtalk(&dingtalk_schema()).expect("the schema maps")
}

fn kind(id: &str) -> FieldKind {
    schema().field(id).expect("field").kind.clone()
}

/// The required title filled, plus `id` set to `value`.
fn with(id: &str, value: FieldValue) -> FormValues {
    FormValues::new().with("TextField-T1", FieldValue::Text("报销".into())).with(id, value)
}

/// The codes `validate` gives for a form with the title and `id` = `value`.
fn codes(id: &str, value: FieldValue) -> Vec<FieldErrorCode> {
    match validate(&schema(), &with(id, value)) {
        Ok(()) => vec![],
        Err(errors) => errors.into_iter().map(|e| e.code).collect(),
    }
}

fn accepted(id: &str, value: FieldValue) {
    assert_eq!(codes(id, value.clone()), [], "{id} = {value:?}");
}

fn refused(id: &str, value: FieldValue, code: FieldErrorCode) {
    let errors = validate(&schema(), &with(id, value.clone())).expect_err("refused");
    assert_eq!(errors, [FieldError::new(id, code)], "{id} = {value:?}");
}

/// The `value` text the create API gets for `id` = `value`.
fn sent(id: &str, value: FieldValue) -> String {
    let all = to_dingtalk(&schema(), &with(id, value));
    all.into_iter().find(|v| v.id.as_deref() == Some(id)).expect("encoded").value
}

fn text(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn every_kind_maps_with_its_data() {
    let s = schema();
    assert_eq!(s.fields.len(), 24);
    let title = &s.fields[0];
    assert_eq!(
        (title.required, title.placeholder.as_deref(), title.biz_alias.as_deref()),
        (true, Some("请输入"), Some("title"))
    );
    assert_eq!(kind("TextareaField-T2"), FieldKind::Text { multiline: true });
    assert_eq!(kind("NumberField-N1"), FieldKind::Number { unit: Some("个".into()) });
    assert_eq!(kind("MoneyField-M1"), FieldKind::Money { unit: Some("元".into()), upper: true });
    assert_eq!(kind("DDSelectField-S1"), FieldKind::Select { options: strings(&["A类", "B类"]) });
    assert_eq!(kind("DDDateField-D2"), FieldKind::Date { format: DateFormat::DateTime });
    assert_eq!(
        kind("DDDateRangeField-R1"),
        FieldKind::DateRange {
            format: DateFormat::Date,
            labels: ["开始时间".into(), "结束时间".into()],
            unit: Some("天".into()),
            duration: true,
            duration_label: Some("时长（天）".into()),
        }
    );
    assert_eq!(s.field("DDDateRangeField-R1").map(Field::display_label).as_deref(), Some("开始时间 ~ 结束时间"));
    assert_eq!(kind("TextNote-X1"), FieldKind::Note);
    assert_eq!(kind("InnerContactField-C1"), FieldKind::Contact { multiple: true });
    assert_eq!(kind("InnerContactField-C2"), FieldKind::Contact { multiple: false });
    assert_eq!(kind("DepartmentField-G1"), FieldKind::Department { multiple: true });
    assert_eq!(kind("DepartmentField-G2"), FieldKind::Department { multiple: false });
    assert_eq!(kind("AddressField-A1"), FieldKind::Address { need_detail: true });
    assert_eq!(kind("FormRelateField-Y1"), FieldKind::Unsupported { component_name: "FormRelateField".into() });
    assert_eq!(kind("DDHolidayField-H1"), FieldKind::Unsupported { component_name: "DDHolidayField".into() });
    let FieldKind::Table { columns, action_name, totals } = kind("TableField-B1") else { panic!("a table") };
    assert_eq!(action_name.as_deref(), Some("添加"));
    assert_eq!(totals[0].column_id, "MoneyField-B3");
    assert!(totals[0].upper);
    assert_eq!(columns.len(), 4);
    assert_eq!(columns[3].kind, FieldKind::Unsupported { component_name: "TableField".into() }, "no nested tables");
    for f in &s.fields {
        assert_eq!(
            f.kind.component_name(),
            dingtalk_schema()["items"].as_array().unwrap().iter().find(|i| i["props"]["id"] == f.id.as_str()).unwrap()
                ["componentName"]
        );
    }
}

#[test]
fn unknown_kinds_are_unsupported_not_errors() {
    let s = FormSchema::from_dingtalk(&json!({"items": [
        {"componentName": "BrandNewField", "props": {"id": "B-1", "label": "新控件", "required": true}}
    ]}))
    .expect("maps");
    assert_eq!(s.fields[0].kind, FieldKind::Unsupported { component_name: "BrandNewField".into() });
    assert!(!s.fields[0].is_fillable());
}

#[test]
fn malformed_schemas_are_refused_with_where() {
    let map = |v: Value| FormSchema::from_dingtalk(&v).expect_err("refused");
    assert_eq!(map(json!({"title": "x"})), SchemaError::NoItems);
    assert_eq!(map(json!({"items": [{"props": {}}]})), SchemaError::NotAControl("items[0]".into()));
    assert_eq!(
        map(json!({"items": [{"componentName": "TextField", "props": {"label": "x"}}]})),
        SchemaError::MissingProp { path: "items[0]".into(), prop: "id" }
    );
    assert_eq!(
        map(json!({"items": [{"componentName": "TableField", "props": {"id": "T", "label": "t"},
            "children": [{"componentName": "TextField", "props": {"id": "C"}}]}]})),
        SchemaError::MissingProp { path: "items[0].children[0]".into(), prop: "label" }
    );
    assert_eq!(
        map(json!({"items": [{"componentName": "DDDateRangeField", "props": {"id": "R", "label": "开始到结束"}}]})),
        SchemaError::BadPairLabel { id: "R".into() }
    );
    let twice = json!({"componentName": "TextField", "props": {"id": "T", "label": "t"}});
    assert_eq!(map(json!({"items": [twice, twice]})), SchemaError::DuplicateId("T".into()));
}

#[test]
fn the_model_round_trips_through_json_for_the_app() {
    let s = schema();
    let back: FormSchema = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
    assert_eq!(back, s);
    let values =
        with("DDDateRangeField-R1", FieldValue::DateRange { start: "2024-05-01".into(), end: "2024-05-02".into() });
    let json = serde_json::to_value(&values).unwrap();
    assert_eq!(
        json["DDDateRangeField-R1"],
        json!({"type": "dateRange", "value": {"start": "2024-05-01", "end": "2024-05-02"}})
    );
    assert_eq!(serde_json::from_value::<FormValues>(json).unwrap(), values);
}

#[test]
fn required_fields_must_have_a_non_blank_value() {
    let errors = validate(&schema(), &FormValues::new()).expect_err("title missing");
    assert_eq!(errors, [FieldError::new("TextField-T1", FieldErrorCode::Required)]);
    let blank = FormValues::new().with("TextField-T1", text("  \n"));
    assert_eq!(validate(&schema(), &blank).unwrap_err()[0].code, FieldErrorCode::Required);
    assert_eq!(validate(&schema(), &with("TextareaField-T2", text(""))), Ok(()), "optional and empty is fine");
}

#[test]
fn unknown_ids_and_wrong_types_are_refused() {
    let errors = validate(&schema(), &with("Nope-1", text("x"))).unwrap_err();
    assert_eq!(errors, [FieldError::new("Nope-1", FieldErrorCode::UnknownField)]);
    refused("MoneyField-M1", text("5"), FieldErrorCode::WrongType);
    refused("DDDateField-D1", FieldValue::Number("20240101".into()), FieldErrorCode::WrongType);
}

#[test]
fn notes_and_unsupported_kinds_take_no_value_and_cannot_be_required() {
    for id in ["TextNote-X1", "FormRelateField-Y1", "DDHolidayField-H1"] {
        refused(id, text("x"), FieldErrorCode::NotFillable);
        accepted(id, text(""));
    }
    let mut s = schema();
    s.fields.iter_mut().filter(|f| f.id == "DDHolidayField-H1").for_each(|f| f.required = true);
    let errors = validate(&s, &with("TextareaField-T2", text("x"))).unwrap_err();
    assert_eq!(errors, [FieldError::new("DDHolidayField-H1", FieldErrorCode::CannotSubmit)]);
}

#[test]
fn text_is_sent_as_written_up_to_65535_chars() {
    assert_eq!(sent("TextareaField-T2", text("  第一行\n第二行 ")), "  第一行\n第二行 ");
    accepted("TextareaField-T2", text(&"字".repeat(MAX_VALUE_CHARS)));
    refused("TextareaField-T2", text(&"字".repeat(MAX_VALUE_CHARS + 1)), FieldErrorCode::TooLong);
}

#[test]
fn numbers_are_decimal_text() {
    for good in ["-12.50", "0", " 3 ", "100000000000000000000.123456"] {
        accepted("NumberField-N1", FieldValue::Number(good.into()));
    }
    assert_eq!(sent("NumberField-N1", FieldValue::Number(" 3 ".into())), "3");
    for bad in ["abc", "1e3", "1.", ".5", "1,000", "--1", "+1", "１"] {
        refused("NumberField-N1", FieldValue::Number(bad.into()), FieldErrorCode::NotANumber);
    }
}

#[test]
fn money_is_non_negative_with_at_most_two_decimals() {
    let money = |s: &str| FieldValue::Money(s.into());
    accepted("MoneyField-M1", money("5000.00"));
    accepted("MoneyField-M1", money("0.5"));
    refused("MoneyField-M1", money("-1"), FieldErrorCode::Negative);
    refused("MoneyField-M1", money("1.234"), FieldErrorCode::TooManyDecimals);
    for bad in ["¥5", "五千", "1,000.00"] {
        refused("MoneyField-M1", money(bad), FieldErrorCode::NotANumber);
    }
}

#[test]
fn choices_are_options() {
    accepted("DDSelectField-S1", FieldValue::Choice("B类".into()));
    refused("DDSelectField-S1", FieldValue::Choice("C类".into()), FieldErrorCode::NotAnOption);
    let picked = |items: &[&str]| FieldValue::Choices(strings(items));
    assert_eq!(sent("DDMultiSelectField-S2", picked(&["红", "蓝"])), r#"["红","蓝"]"#);
    refused("DDMultiSelectField-S2", picked(&["紫"]), FieldErrorCode::NotAnOption);
    refused("DDMultiSelectField-S2", picked(&["红", "红"]), FieldErrorCode::Duplicate);
    assert!(to_dingtalk(&schema(), &with("DDMultiSelectField-S2", picked(&[]))).iter().all(|v| v.name != "标签"));
}

#[test]
fn dates_are_calendar_dates_in_the_field_format() {
    let date = |s: &str| FieldValue::Date(s.into());
    accepted("DDDateField-D1", date("2024-02-29"));
    for bad in ["2023-02-29", "2024-13-01", "2024-04-31", "2024/01/01", "2024-1-1", "2024-01-01 09:00", "0000-01-01"] {
        refused("DDDateField-D1", date(bad), FieldErrorCode::BadDate);
    }
    accepted("DDDateField-D2", date("2024-03-01 14:30"));
    accepted("DDDateField-D2", date("2024-03-01"));
    refused("DDDateField-D2", date("2024-03-01 24:00"), FieldErrorCode::BadDate);
    refused("DDDateField-D2", date("2024-03-01 09:00:00"), FieldErrorCode::BadDate);
}

#[test]
fn date_ranges_are_two_dates_in_order_named_by_the_array_label() {
    let range = |a: &str, b: &str| FieldValue::DateRange { start: a.into(), end: b.into() };
    let all = to_dingtalk(&schema(), &with("DDDateRangeField-R1", range("2024-05-01", "2024-05-03")));
    let entry = all.iter().find(|v| v.id.as_deref() == Some("DDDateRangeField-R1")).expect("sent");
    assert_eq!(entry.name, r#"["开始时间","结束时间"]"#);
    assert_eq!(entry.value, r#"["2024-05-01","2024-05-03"]"#);
    assert_eq!(entry.component_type.as_deref(), Some("DDDateRangeField"));
    accepted("DDDateRangeField-R1", range("2024-05-01", "2024-05-01"));
    refused("DDDateRangeField-R1", range("2024-05-03", "2024-05-01"), FieldErrorCode::RangeReversed);
    refused("DDDateRangeField-R1", range("2024-05-01", "2024-02-30"), FieldErrorCode::BadDate);
    refused("DDDateRangeField-R1", range("2024-05-01", ""), FieldErrorCode::BadDate);
    accepted("DDDateRangeField-R1", range("", " "));
}

#[test]
fn phones_are_digits_with_dashes_or_spaces() {
    for good in ["15712345678", "010-12345678", "+86 157 1234 5678"] {
        accepted("PhoneField-P1", FieldValue::Phone(good.into()));
    }
    for bad in ["电话号码", "12", "157-abc", "+"] {
        refused("PhoneField-P1", FieldValue::Phone(bad.into()), FieldErrorCode::BadPhone);
    }
}

#[test]
fn photos_are_at_most_nine_web_urls() {
    let url = "https://static.example.com/a.png?x=1";
    let photos = |n: usize| FieldValue::Photos(vec![url.to_owned(); n]);
    assert_eq!(sent("DDPhotoField-I1", photos(1)), format!("[\"{url}\"]"));
    accepted("DDPhotoField-I1", photos(MAX_PHOTOS));
    refused("DDPhotoField-I1", photos(MAX_PHOTOS + 1), FieldErrorCode::TooMany);
    accepted("DDPhotoField-I1", FieldValue::Photos(strings(&["http://localhost:8080/p.jpg"])));
    for bad in [
        "not a url",
        "ftp://example.com/a.png",
        "https://",
        "https://exa mple.com/a",
        "https://a..b/",
        "https://example.com:99999/",
    ] {
        refused("DDPhotoField-I1", FieldValue::Photos(strings(&[bad])), FieldErrorCode::BadUrl);
    }
}

#[test]
fn attachments_are_complete_and_sent_as_json() {
    let file = Attachment {
        space_id: "9001".into(),
        file_id: "file-1".into(),
        file_name: "发票.pdf".into(),
        file_size: 2048,
        file_type: "pdf".into(),
    };
    assert_eq!(
        sent("DDAttachment-F1", FieldValue::Attachments(vec![file.clone()])),
        r#"[{"spaceId":"9001","fileId":"file-1","fileName":"发票.pdf","fileSize":2048,"fileType":"pdf"}]"#
    );
    let nameless = Attachment { file_name: " ".into(), ..file };
    refused("DDAttachment-F1", FieldValue::Attachments(vec![nameless]), FieldErrorCode::BadAttachment);
}

#[test]
fn people_are_distinct_and_one_where_the_field_says_so() {
    let people = |ids: &[&str]| FieldValue::People(strings(ids));
    assert_eq!(sent("InnerContactField-C1", people(&["zhangsan", "lisi"])), r#"["zhangsan","lisi"]"#);
    accepted("InnerContactField-C2", people(&["lisi"]));
    refused("InnerContactField-C2", people(&["zhangsan", "lisi"]), FieldErrorCode::TooMany);
    refused("InnerContactField-C1", people(&["lisi", "lisi"]), FieldErrorCode::Duplicate);
    refused("InnerContactField-C1", people(&["lisi", " "]), FieldErrorCode::BlankId);
}

#[test]
fn departments_are_distinct_comma_separated_ids() {
    assert_eq!(sent("DepartmentField-G1", FieldValue::Departments(vec![100, 101])), "100,101");
    refused("DepartmentField-G1", FieldValue::Departments(vec![100, 100]), FieldErrorCode::Duplicate);
    accepted("DepartmentField-G2", FieldValue::Departments(vec![1]));
    refused("DepartmentField-G2", FieldValue::Departments(vec![1, 100]), FieldErrorCode::TooMany);
}

#[test]
fn related_instances_are_at_most_nine_distinct_ids() {
    let ids: Vec<String> = (0..=MAX_RELATED).map(|i| format!("inst-{i}")).collect();
    accepted("RelateField-L1", FieldValue::Related(ids[..MAX_RELATED].to_vec()));
    assert_eq!(sent("RelateField-L1", FieldValue::Related(ids[..1].to_vec())), r#"["inst-0"]"#);
    refused("RelateField-L1", FieldValue::Related(ids), FieldErrorCode::TooMany);
    refused("RelateField-L1", FieldValue::Related(strings(&["a", "a"])), FieldErrorCode::Duplicate);
}

#[test]
fn addresses_are_province_city_district_and_detail() {
    let address = |p: &str, c: &str, d: &str, detail: Option<&str>| {
        FieldValue::Address(Address {
            province: p.into(),
            city: c.into(),
            district: d.into(),
            detail: detail.map(str::to_owned),
        })
    };
    assert_eq!(sent("AddressField-A1", address("北京", "北京市", "朝阳区", None)), "北京,北京市,朝阳区");
    assert_eq!(
        sent("AddressField-A1", address("浙江省", "杭州市", "余杭区", Some("文一西路 969 号, 3 号楼"))),
        "浙江省,杭州市,余杭区,文一西路 969 号, 3 号楼"
    );
    refused("AddressField-A1", address("北京", "", "朝阳区", None), FieldErrorCode::BadAddress);
    refused("AddressField-A1", address("北京,北京市", "朝阳区", "x", None), FieldErrorCode::BadAddress);
    accepted("AddressField-A1", address("", " ", "", None));
}

#[test]
fn ratings_are_one_to_five_stars() {
    assert_eq!(sent("StarRatingField-Z1", FieldValue::Rating(5)), "5");
    refused("StarRatingField-Z1", FieldValue::Rating(0), FieldErrorCode::BadRating);
    refused("StarRatingField-Z1", FieldValue::Rating(6), FieldErrorCode::BadRating);
}

#[test]
fn time_and_location_is_a_time_coordinates_and_address() {
    let at = |time: &str, lng: f64, lat: f64, address: &str| {
        FieldValue::TimeAndLocation(TimeAndLocation {
            time: time.into(),
            longitude: lng,
            latitude: lat,
            address: address.into(),
        })
    };
    assert_eq!(
        sent("TimeAndLocationField-W1", at("2024-05-01 09:30:00", 120.02, 30.28, "杭州市余杭区")),
        r#"["2024-05-01 09:30:00",120.02,30.28,"杭州市余杭区"]"#
    );
    accepted("TimeAndLocationField-W1", at("2024-05-01 09:30", -180.0, 90.0, "x"));
    for bad in [
        at("2024-05-01", 120.0, 30.0, "杭州"),
        at("2024-05-01 09:30:00", 200.0, 30.0, "杭州"),
        at("2024-05-01 09:30:00", 120.0, f64::NAN, "杭州"),
        at("2024-05-01 09:30:00", 120.0, 30.0, " "),
    ] {
        refused("TimeAndLocationField-W1", bad, FieldErrorCode::BadLocation);
    }
}

/// A row of the table: 名称 and 单价, and 单位 when given.
fn row(name: &str, price: &str, unit: Option<&str>) -> FormValues {
    let mut row =
        FormValues::new().with("TextField-B2", text(name)).with("MoneyField-B3", FieldValue::Money(price.into()));
    if let Some(unit) = unit {
        row.insert("DDSelectField-B4", FieldValue::Choice(unit.into()));
    }
    row
}

#[test]
fn tables_are_sent_as_rows_of_name_value_cells() {
    let table = FieldValue::Table(vec![row("显示器", "1299.00", Some("台")), row("键盘", " 199 ", None)]);
    let rows: Value = serde_json::from_str(&sent("TableField-B1", table)).expect("JSON in the string");
    assert_eq!(
        rows,
        json!([
            [{"name": "名称", "value": "显示器"}, {"name": "单价", "value": "1299.00"}, {"name": "单位", "value": "台"}],
            [{"name": "名称", "value": "键盘"}, {"name": "单价", "value": "199"}]
        ])
    );
}

#[test]
fn table_cells_are_checked_by_column_and_row() {
    let table = |rows: Vec<FormValues>| with("TableField-B1", FieldValue::Table(rows));
    let errors = validate(
        &schema(),
        &table(vec![
            row("笔", "2", None),
            row("纸", "两元", Some("箱")),
            FormValues::new().with("TextField-B2", text("本")).with("Color-1", text("黑")),
            row("尺", "1", None).with("TableField-B5", text("x")),
        ]),
    )
    .expect_err("refused");
    let cell = FieldError::cell;
    assert_eq!(
        errors,
        [
            cell("TableField-B1", 1, "MoneyField-B3", FieldErrorCode::NotANumber),
            cell("TableField-B1", 1, "DDSelectField-B4", FieldErrorCode::NotAnOption),
            cell("TableField-B1", 2, "Color-1", FieldErrorCode::UnknownField),
            cell("TableField-B1", 2, "MoneyField-B3", FieldErrorCode::Required),
            cell("TableField-B1", 3, "TableField-B5", FieldErrorCode::NotFillable),
        ]
    );
    assert_eq!(validate(&schema(), &table(vec![row("笔", "2", None)])), Ok(()));
}

#[test]
fn a_table_whose_json_is_too_long_is_refused() {
    let long = "字".repeat(MAX_VALUE_CHARS / 2);
    let rows = vec![row(&long, "1", None), row(&long, "1", None)];
    refused("TableField-B1", FieldValue::Table(rows), FieldErrorCode::TooLong);
}

#[test]
fn required_tables_need_a_row() {
    let mut s = schema();
    s.fields.iter_mut().filter(|f| f.id == "TableField-B1").for_each(|f| f.required = true);
    let errors = validate(&s, &with("TableField-B1", FieldValue::Table(vec![]))).unwrap_err();
    assert_eq!(errors, [FieldError::new("TableField-B1", FieldErrorCode::Required)]);
}

#[test]
fn encoding_follows_schema_order_with_ids_and_types_and_skips_empty_values() {
    let values = with("MoneyField-M1", FieldValue::Money("5".into()))
        .with("TextareaField-T2", text(" "))
        .with("NumberField-N1", FieldValue::Number("2".into()));
    let all = to_dingtalk(&schema(), &values);
    let names: Vec<&str> = all.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["标题", "数量", "金额"]);
    let json = serde_json::to_value(&all[2]).unwrap();
    assert_eq!(json, json!({"name": "金额", "value": "5", "id": "MoneyField-M1", "componentType": "MoneyField"}));
}

#[test]
fn more_than_150_values_are_refused() {
    let fields: Vec<Value> = (0..=MAX_VALUES)
        .map(|i| json!({"componentName": "TextField", "props": {"id": format!("T-{i}"), "label": format!("第{i}项")}}))
        .collect();
    let s = FormSchema::from_dingtalk(&json!({ "items": fields })).unwrap();
    let mut values: FormValues = (0..MAX_VALUES).map(|i| (format!("T-{i}"), text("x"))).collect();
    assert_eq!(validate(&s, &values), Ok(()));
    values.insert(format!("T-{MAX_VALUES}"), text("x"));
    assert_eq!(validate(&s, &values), Err(vec![FieldError::new(format!("T-{MAX_VALUES}"), FieldErrorCode::TooLong)]));
}

#[test]
fn field_errors_are_snake_case_codes_and_unknown_codes_decode() {
    let e = FieldError::cell("TableField-B1", 0, "MoneyField-B3", FieldErrorCode::TooManyDecimals);
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"fieldId": "TableField-B1", "row": 0, "columnId": "MoneyField-B3", "code": "too_many_decimals"})
    );
    let later: FieldError = serde_json::from_value(json!({"fieldId": "x", "code": "brand_new"})).unwrap();
    assert_eq!(later.code, FieldErrorCode::Unknown);
}

#[test]
fn amounts_read_in_capital_numerals() {
    let words = |s: &str| money_in_words(s);
    assert_eq!(words("1299.5").as_deref(), Some("壹仟贰佰玖拾玖元伍角"));
    assert_eq!(words("100").as_deref(), Some("壹佰元整"));
    assert_eq!(words("0").as_deref(), Some("零元整"));
    assert_eq!(words("0.05").as_deref(), Some("伍分"));
    assert_eq!(words("1005.05").as_deref(), Some("壹仟零伍元零伍分"));
    assert_eq!(words("100010000").as_deref(), Some("壹亿零壹万元整"));
    assert_eq!(words("100000000").as_deref(), Some("壹亿元整"));
    assert_eq!(words("100001").as_deref(), Some("壹拾万零壹元整"));
    assert_eq!(words("5000.00").as_deref(), Some("伍仟元整"));
}

#[test]
fn what_is_not_an_amount_has_no_capital_numerals() {
    for bad in ["", "-1", "1.234", "abc", "1e3", "1000000000000"] {
        assert_eq!(money_in_words(bad), None, "{bad}");
    }
}

#[test]
fn a_range_of_days_counts_both_ends() {
    assert_eq!(range_duration(DateFormat::Date, Some("天"), "2026-11-02", "2026-11-04").as_deref(), Some("3"));
    assert_eq!(range_duration(DateFormat::Date, Some("天"), "2028-02-28", "2028-03-01").as_deref(), Some("3"));
    assert_eq!(range_duration(DateFormat::Date, Some("小时"), "2026-11-02", "2026-11-02").as_deref(), Some("24"));
}

#[test]
fn a_range_with_times_counts_the_time_between() {
    let hours = range_duration(DateFormat::DateTime, Some("小时"), "2026-11-02 09:00", "2026-11-02 13:30");
    assert_eq!(hours.as_deref(), Some("4.5"));
    let days = range_duration(DateFormat::DateTime, Some("天"), "2026-11-02 09:00", "2026-11-03 21:00");
    assert_eq!(days.as_deref(), Some("1.5"));
}

#[test]
fn a_reversed_or_unfinished_range_has_no_duration() {
    assert_eq!(range_duration(DateFormat::Date, Some("天"), "2026-11-04", "2026-11-02"), None);
    assert_eq!(range_duration(DateFormat::Date, Some("天"), "2026-11-04", ""), None);
    assert_eq!(range_duration(DateFormat::Date, None, "2026-11-02 09:00", "2026-11-03"), None);
}

#[test]
fn a_column_total_adds_numbers_in_their_precision_and_skips_the_rest() {
    let row = |v: FieldValue| FormValues::new().with("c", v);
    let rows = vec![
        row(FieldValue::Money("12.5".into())),
        row(FieldValue::Money("3".into())),
        row(FieldValue::Money("x".into())),
        FormValues::new(),
        row(FieldValue::Money("0.05".into())),
    ];
    assert_eq!(column_total(&rows, "c").as_deref(), Some("15.55"));
    let negative = vec![row(FieldValue::Number("-2.5".into())), row(FieldValue::Number("1".into()))];
    assert_eq!(column_total(&negative, "c").as_deref(), Some("-1.5"));
    assert_eq!(column_total(&[FormValues::new()], "c"), None);
}
