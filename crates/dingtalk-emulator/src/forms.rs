//! Form values of a create call (`formComponentValues`, server-api.md §5.1) checked against a template's schema as
//! DingTalk checks them, and turned into what `GET /v1.0/workflow/processInstances` returns.
//!
//! Errors, as DingTalk's v1.0 codes (all HTTP 400); where the docs name a code but not when it is used, these are the
//! emulator's decisions:
//! - `processInstanceInvalidParameter`: the call's shape is wrong: more than [`MAX_VALUES`] entries, an entry with
//!   neither `name` nor `id`, or a value longer than [`MAX_VALUE_CHARS`].
//! - `illegalComponent`: an entry names a control the create API does not fill ([`CreateSupport`]), its
//!   `componentType` is not the control's, or the template requires such a control (it cannot be started by API).
//! - `formConverterError` ("表单数据校验失败，失败控件：<label>（<reason>）"): an unknown or repeated control, a
//!   missing required value, or a value in the wrong format for its kind.
//!
//! Values are stored normalised: JSON arrays compact, attachments with every field a string, tables in the
//! `rowValue` shape (see [`table_json`]). Optional controls left empty are returned with [`EMPTY_VALUE`]; `TextNote`
//! and refused controls are not returned.

use std::collections::HashMap;
use std::fmt::Display;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::templates::{Component, ComponentName, Template};

/// At most this many entries in `formComponentValues` (server-api.md §5.1).
pub const MAX_VALUES: usize = 150;
/// At most this many characters in one value.
pub const MAX_VALUE_CHARS: usize = 65_535;
/// At most this many photos in a `DDPhotoField`.
pub const MAX_PHOTOS: usize = 9;
/// At most this many related instances in a `RelateField`.
pub const MAX_RELATED: usize = 9;
/// The most stars a `StarRatingField` gives.
pub const MAX_STARS: u32 = 5;
/// The value an optional control left empty is returned with. Unverified: DingTalk's instance samples show the
/// string `"null"` for empty controls; change it here if that proves wrong.
pub const EMPTY_VALUE: &str = "null";

/// `formConverterError`: a value that does not fit its control.
pub const FORM_CONVERTER_ERROR: &str = "formConverterError";
/// `illegalComponent`: a control the create API does not fill, or the wrong `componentType`.
pub const ILLEGAL_COMPONENT: &str = "illegalComponent";
/// `processInstanceInvalidParameter`: the call's shape is wrong.
pub const INVALID_PARAMETER: &str = "processInstanceInvalidParameter";

/// How DingTalk's create API treats a kind of control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateSupport {
    /// A value may be given, checked by its kind's rules.
    Value,
    /// The control shows text and has no value (`TextNote`); naming it in a call is refused.
    NoValue,
    /// Filled only inside DingTalk's own pages (suite fields), never through the API; naming it is refused.
    Refused,
}

impl ComponentName {
    /// Whether the create API accepts a value for this kind of control.
    ///
    /// Decision (the docs list no such rule): `TextNote` is display text with no value. `FormRelateField`
    /// (a link to a Yida form), and `DDHolidayField` (the attendance leave suite's balance-aware field) are filled
    /// by DingTalk's own pages only. `TimeAndLocationField` is accepted because the create API's documentation
    /// gives its value encoding (server-api.md §5.1).
    pub fn create_support(self) -> CreateSupport {
        match self {
            ComponentName::TextNote => CreateSupport::NoValue,
            ComponentName::FormRelateField | ComponentName::DDHolidayField => CreateSupport::Refused,
            _ => CreateSupport::Value,
        }
    }
}

/// One entry of `formComponentValues` as a caller sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormValue {
    /// The control's id (optional).
    #[serde(default)]
    pub id: Option<String>,
    /// The control's label.
    #[serde(default)]
    pub name: Option<String>,
    /// The value, non-text values JSON-encoded as a string.
    #[serde(default)]
    pub value: Option<String>,
    /// Extra value (e.g. a date range's duration).
    #[serde(default)]
    pub ext_value: Option<String>,
    /// The schema's `componentName`.
    #[serde(default)]
    pub component_type: Option<String>,
    /// The control's alias.
    #[serde(default)]
    pub biz_alias: Option<String>,
    /// Table rows given as nested values instead of JSON in `value`.
    #[serde(default)]
    pub details: Option<Vec<FormValue>>,
}

/// A checked value as the instance keeps and returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredValue {
    /// The control's id.
    pub id: String,
    /// The control's label.
    pub name: String,
    /// The value, normalised as DingTalk returns it.
    pub value: String,
    /// Extra value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ext_value: Option<String>,
    /// The control's `componentName`.
    pub component_type: String,
    /// The control's alias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biz_alias: Option<String>,
}

/// What the organisation knows that some controls refer to.
pub trait FormContext {
    /// A current member with this userid exists.
    fn user_exists(&self, user_id: &str) -> bool;
    /// A department with this id exists.
    fn dept_exists(&self, dept_id: i64) -> bool;
    /// This file was uploaded into this approval space.
    fn file_exists(&self, space_id: &str, file_id: &str) -> bool;
    /// An approval instance with this id exists.
    fn instance_exists(&self, instance_id: &str) -> bool;
}

/// Why values were refused: DingTalk's v1.0 error `code` and its message (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct FormError {
    /// `formConverterError`, `illegalComponent`, `processInstanceInvalidParameter`, ...
    pub code: &'static str,
    /// The message, naming the control.
    pub message: String,
}

impl FormError {
    /// A value that does not fit `control`, in DingTalk's words plus the reason.
    fn converter(control: &str, reason: impl Display) -> Self {
        Self {
            code: FORM_CONVERTER_ERROR, message: format!("表单数据校验失败，失败控件：{control}（{reason}）")
        }
    }

    /// A control the call may not name.
    fn illegal(control: &str, reason: impl Display) -> Self {
        Self { code: ILLEGAL_COMPONENT, message: format!("非法控件：{control}（{reason}）") }
    }

    /// A call whose shape is wrong.
    fn invalid(message: impl Into<String>) -> Self {
        Self { code: INVALID_PARAMETER, message: message.into() }
    }
}

/// Checks `values` against `template` and returns them as the instance will store them, in schema order.
pub fn validate(
    template: &Template,
    values: &[FormValue],
    ctx: &dyn FormContext,
) -> Result<Vec<StoredValue>, FormError> {
    if values.len() > MAX_VALUES {
        return Err(FormError::invalid(format!("formComponentValues 最多 {MAX_VALUES} 项，收到 {} 项", values.len())));
    }
    if let Some(c) =
        template.items.iter().find(|c| c.props.required && c.component_name.create_support() != CreateSupport::Value)
    {
        return Err(FormError::illegal(&c.props.label, "模板的必填控件不支持通过接口填写，无法通过接口发起"));
    }
    let mut given: HashMap<&str, &FormValue> = HashMap::new();
    for v in values {
        let c = locate(&template.items, v).map_err(|miss| miss.error(None))?;
        check_entry(c, v)?;
        if given.insert(c.props.id.as_str(), v).is_some() {
            return Err(FormError::converter(&c.props.label, "重复填写"));
        }
    }
    let mut stored = Vec::new();
    for c in template.items.iter().filter(|c| c.component_name.create_support() == CreateSupport::Value) {
        let v = given.get(c.props.id.as_str()).copied();
        let value = match v {
            Some(v) if c.component_name == ComponentName::TableField => check_table(c, v, ctx)?,
            Some(v) => {
                check_value(c, v.value.as_deref(), ctx).map_err(|why| FormError::converter(&c.props.label, why))?
            }
            None => None,
        };
        if value.is_none() && c.props.required {
            return Err(FormError::converter(&c.props.label, "必填控件未填写"));
        }
        stored.push(StoredValue {
            id: c.props.id.clone(),
            name: c.props.label.clone(),
            ext_value: value.as_ref().and(v).and_then(|v| v.ext_value.clone()).filter(|e| !e.is_empty()),
            value: value.unwrap_or_else(|| EMPTY_VALUE.to_owned()),
            component_type: c.component_name.as_str().to_owned(),
            biz_alias: c.props.biz_alias.clone(),
        });
    }
    Ok(stored)
}

/// Why an entry matched no control.
enum Miss<'a> {
    /// Neither `name` nor `id`.
    Unnamed,
    /// No control has this name or id.
    Unknown(&'a str),
    /// The `name` and the `id` point at different controls.
    Mismatch(&'a str, &'a str),
}

impl Miss<'_> {
    /// The error, `within` naming the table row for a cell.
    fn error(&self, within: Option<&str>) -> FormError {
        let within = within.map(|w| format!("{w}中")).unwrap_or_default();
        match self {
            Miss::Unnamed => FormError::invalid(format!("{within}formComponentValues 的每一项都要有 name 或 id")),
            Miss::Unknown(name) => FormError::converter(name, format!("{within}没有这个控件")),
            Miss::Mismatch(name, id) => FormError::converter(name, format!("{within}名称与 id {id} 不是同一个控件")),
        }
    }
}

/// Finds the control an entry names, by `id` when given, else by `name` (the label).
fn locate<'t, 'v>(controls: &'t [Component], v: &'v FormValue) -> Result<&'t Component, Miss<'v>> {
    let id = v.id.as_deref().filter(|s| !s.is_empty());
    let name = v.name.as_deref().filter(|s| !s.is_empty());
    let by_name = |name: &str| controls.iter().find(|c| label_matches(&c.props.label, name));
    match (id, name) {
        (None, None) => Err(Miss::Unnamed),
        (Some(id), name) => {
            let c = controls.iter().find(|c| c.props.id == id).ok_or(Miss::Unknown(id))?;
            match name {
                Some(name) if by_name(name).is_none_or(|n| n.props.id != c.props.id) => Err(Miss::Mismatch(name, id)),
                _ => Ok(c),
            }
        }
        (None, Some(name)) => by_name(name).ok_or(Miss::Unknown(name)),
    }
}

/// Whether `name` names a control labelled `label`. Date ranges have a JSON array as their label; callers may
/// space it differently.
fn label_matches(label: &str, name: &str) -> bool {
    if label == name {
        return true;
    }
    let parse = |s: &str| serde_json::from_str::<Vec<String>>(s).ok();
    matches!((parse(label), parse(name)), (Some(a), Some(b)) if a == b)
}

/// The checks on an entry that do not look at its value: the kind may be filled, the `componentType` fits, the
/// value is not too long.
fn check_entry(c: &Component, v: &FormValue) -> Result<(), FormError> {
    match c.component_name.create_support() {
        CreateSupport::Value => {}
        CreateSupport::NoValue => return Err(FormError::illegal(&c.props.label, "说明文字控件没有值")),
        CreateSupport::Refused => return Err(FormError::illegal(&c.props.label, "该控件不支持通过接口填写")),
    }
    if let Some(t) = v.component_type.as_deref().filter(|t| !t.is_empty() && *t != c.component_name.as_str()) {
        return Err(FormError::illegal(
            &c.props.label,
            format!("componentType 是 {t}，控件是 {}", c.component_name.as_str()),
        ));
    }
    if let Some(len) = v.value.as_deref().map(|s| s.chars().count()).filter(|n| *n > MAX_VALUE_CHARS) {
        return Err(FormError::invalid(format!("控件 {} 的值有 {len} 个字符，最多 {MAX_VALUE_CHARS}", c.props.label)));
    }
    Ok(())
}

/// Checks a table's rows, given as JSON in `value` or as `details`, and returns them as stored.
fn check_table(table: &Component, v: &FormValue, ctx: &dyn FormContext) -> Result<Option<String>, FormError> {
    let label = table.props.label.as_str();
    let rows: Vec<Vec<FormValue>> = match (&v.details, v.value.as_deref().map(str::trim)) {
        (Some(details), _) if !details.is_empty() => details
            .iter()
            .enumerate()
            .map(|(i, row)| {
                row.details
                    .clone()
                    .ok_or_else(|| FormError::converter(label, format!("明细第 {} 行没有 details", i + 1)))
            })
            .collect::<Result<_, _>>()?,
        (_, None | Some("")) => return Ok(None),
        (_, Some(raw)) => parse_table_json(raw).map_err(|why| FormError::converter(label, why))?,
    };
    let mut stored_rows = Vec::new();
    for (i, cells) in rows.iter().enumerate() {
        let row = format!("{label}第 {} 行", i + 1);
        let mut given: HashMap<&str, &FormValue> = HashMap::new();
        for cell in cells {
            let col = locate(&table.children, cell).map_err(|miss| miss.error(Some(&row)))?;
            check_entry(col, cell)?;
            if given.insert(col.props.id.as_str(), cell).is_some() {
                return Err(FormError::converter(&col.props.label, format!("{row}重复填写")));
            }
        }
        let mut stored = Vec::new();
        for col in &table.children {
            let cell = given.get(col.props.id.as_str()).and_then(|cell| cell.value.as_deref());
            let value = check_value(col, cell, ctx)
                .map_err(|why| FormError::converter(&col.props.label, format!("{row}：{why}")))?;
            match value {
                Some(value) => stored.push((col, value)),
                None if col.props.required => {
                    return Err(FormError::converter(&col.props.label, format!("{row}：必填列未填写")));
                }
                None => {}
            }
        }
        stored_rows.push(stored);
    }
    Ok((!stored_rows.is_empty()).then(|| table_json(table, &stored_rows)))
}

/// Reads a table's `value`: a JSON 2-D array, rows × `[{name, value}]`; a cell's value may be text or a number.
fn parse_table_json(raw: &str) -> Result<Vec<Vec<FormValue>>, String> {
    const SHAPE: &str = "明细的值应是 JSON 二维数组：行 × [{name, value}]";
    let rows: Vec<Vec<Value>> = serde_json::from_str(raw).map_err(|_| SHAPE.to_owned())?;
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|cell| {
                    let text = |key: &str| match cell.get(key) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::String(s)) => Ok(Some(s.clone())),
                        Some(Value::Number(n)) => Ok(Some(n.to_string())),
                        Some(_) => Err(format!("{SHAPE}；{key} 应是文本")),
                    };
                    if !cell.is_object() {
                        return Err(SHAPE.to_owned());
                    }
                    Ok(FormValue {
                        id: text("id")?,
                        name: text("name")?,
                        value: text("value")?,
                        ..FormValue::default()
                    })
                })
                .collect()
        })
        .collect()
}

/// A table as `GET processInstances` returns it: a JSON array of rows, each
/// `{"rowValue":[{"label","key","value"}],"rowNumber":"<tableId>_<n>"}` with the filled cells in column order.
/// Unverified: this is the shape DingTalk's instance details are reported to carry; `rowNumber` is DingTalk's
/// row key, here numbered from 1 so tests can name it.
pub fn table_json(table: &Component, rows: &[Vec<(&Component, String)>]) -> String {
    /// One stored row.
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Row<'a> {
        row_value: Vec<Cell<'a>>,
        row_number: String,
    }
    /// One stored cell.
    #[derive(Serialize)]
    struct Cell<'a> {
        label: &'a str,
        key: &'a str,
        value: &'a str,
    }
    let rows: Vec<Row> = rows
        .iter()
        .enumerate()
        .map(|(i, cells)| Row {
            row_value: cells
                .iter()
                .map(|(col, value)| Cell { label: &col.props.label, key: &col.props.id, value })
                .collect(),
            row_number: format!("{}_{}", table.props.id, i + 1),
        })
        .collect();
    compact(&rows)
}

/// Checks one value of a non-table control; `Ok(None)` when it is empty, else the value as stored. The error is the
/// reason, for the caller to wrap with the control's name.
fn check_value(c: &Component, raw: Option<&str>, ctx: &dyn FormContext) -> Result<Option<String>, String> {
    let Some(original) = raw.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    // Text is kept as written; every other kind is read without surrounding blanks.
    let raw = original.trim();
    let p = &c.props;
    let value = match c.component_name {
        ComponentName::TextField | ComponentName::TextareaField => original.to_owned(),
        ComponentName::NumberField => {
            if !is_decimal(raw, true, None) {
                return Err(format!("{raw} 不是数字"));
            }
            raw.to_owned()
        }
        ComponentName::MoneyField => {
            if !is_decimal(raw, false, Some(2)) {
                return Err(format!("{raw} 不是金额（非负，最多两位小数）"));
            }
            raw.to_owned()
        }
        ComponentName::DDSelectField => {
            if !is_option(p.options.as_deref(), raw) {
                return Err(format!("{raw} 不是选项之一"));
            }
            raw.to_owned()
        }
        ComponentName::DDMultiSelectField => {
            let picked = json_strings(raw)?;
            if let Some(bad) = picked.iter().find(|o| !is_option(p.options.as_deref(), o)) {
                return Err(format!("{bad} 不是选项之一"));
            }
            unique(&picked)?;
            return Ok(non_empty_json(&picked));
        }
        ComponentName::DDDateField => {
            check_date(raw, p.format.as_deref())?;
            raw.to_owned()
        }
        ComponentName::DDDateRangeField => {
            let ends = json_strings(raw)?;
            let [start, end] = ends.as_slice() else {
                return Err("时间区间应是两个日期的 JSON 数组".to_owned());
            };
            if check_date(start, p.format.as_deref())? > check_date(end, p.format.as_deref())? {
                return Err(format!("开始时间 {start} 晚于结束时间 {end}"));
            }
            compact(&ends)
        }
        ComponentName::PhoneField => {
            if !is_phone(raw) {
                return Err(format!("{raw} 不是电话号码"));
            }
            raw.to_owned()
        }
        ComponentName::DDPhotoField => {
            let urls = json_strings(raw)?;
            if urls.len() > MAX_PHOTOS {
                return Err(format!("最多 {MAX_PHOTOS} 张图片"));
            }
            if let Some(bad) = urls.iter().find(|u| !is_web_url(u)) {
                return Err(format!("{bad} 不是图片地址"));
            }
            return Ok(non_empty_json(&urls));
        }
        ComponentName::DDAttachment => {
            let files = attachments(raw)?;
            if let Some(f) = files.iter().find(|f| !ctx.file_exists(&f.space_id, &f.file_id)) {
                return Err(format!("附件 {} 不在审批钉盘空间 {} 中", f.file_name, f.space_id));
            }
            return Ok(non_empty_json(&files));
        }
        ComponentName::InnerContactField => {
            let users = json_strings(raw)?;
            if p.choice == Some(0) && users.len() > 1 {
                return Err("只能选一人".to_owned());
            }
            unique(&users)?;
            if let Some(bad) = users.iter().find(|u| !ctx.user_exists(u)) {
                return Err(format!("用户 {bad} 不存在"));
            }
            return Ok(non_empty_json(&users));
        }
        ComponentName::DepartmentField => {
            let ids: Vec<i64> = raw
                .split(',')
                .map(|id| id.trim().parse().map_err(|_| format!("{raw} 不是逗号分隔的部门 id")))
                .collect::<Result<_, _>>()?;
            if p.extra.get("multiple") == Some(&Value::Bool(false)) && ids.len() > 1 {
                return Err("只能选一个部门".to_owned());
            }
            unique(&ids)?;
            if let Some(bad) = ids.iter().find(|d| !ctx.dept_exists(**d)) {
                return Err(format!("部门 {bad} 不存在"));
            }
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        }
        ComponentName::RelateField => {
            let ids = json_strings(raw)?;
            if ids.len() > MAX_RELATED {
                return Err(format!("最多关联 {MAX_RELATED} 个审批单"));
            }
            unique(&ids)?;
            if let Some(bad) = ids.iter().find(|i| !ctx.instance_exists(i)) {
                return Err(format!("审批单 {bad} 不存在"));
            }
            return Ok(non_empty_json(&ids));
        }
        ComponentName::AddressField => {
            let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
            if parts.len() < 3 || parts[..3].iter().any(|s| s.is_empty()) {
                return Err(format!("{raw} 不是“省,市,区[,详细地址]”"));
            }
            raw.to_owned()
        }
        ComponentName::StarRatingField => match raw.parse::<u32>() {
            Ok(n) if (1..=MAX_STARS).contains(&n) => n.to_string(),
            _ => return Err(format!("{raw} 不是 1 到 {MAX_STARS} 的整数")),
        },
        ComponentName::TimeAndLocationField => time_and_location(raw)?,
        ComponentName::TableField => return Err("明细不能嵌套".to_owned()),
        ComponentName::TextNote | ComponentName::FormRelateField | ComponentName::DDHolidayField => {
            return Err("该控件不支持通过接口填写".to_owned());
        }
    };
    Ok(Some(value))
}

/// A decimal number as text: digits with an optional fraction, a leading minus when `negative` is allowed, at most
/// `max_fraction` digits after the point.
fn is_decimal(s: &str, negative: bool, max_fraction: Option<usize>) -> bool {
    let s = if negative { s.strip_prefix('-').unwrap_or(s) } else { s };
    let (whole, fraction) = s.split_once('.').map_or((s, None), |(w, f)| (w, Some(f)));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(|f| digits(f) && max_fraction.is_none_or(|max| f.len() <= max))
}

/// Whether `value` is one of a select's options.
fn is_option(options: Option<&[String]>, value: &str) -> bool {
    options.unwrap_or_default().iter().any(|o| o == value)
}

/// A JSON array of strings, JSON-encoded as the value.
fn json_strings(raw: &str) -> Result<Vec<String>, String> {
    serde_json::from_str(raw).map_err(|_| format!("{raw} 不是 JSON 字符串数组"))
}

/// Refuses an item given twice.
fn unique<T: PartialEq + Display>(items: &[T]) -> Result<(), String> {
    match items.iter().enumerate().find(|(i, x)| items[..*i].contains(x)) {
        Some((_, x)) => Err(format!("{x} 重复")),
        None => Ok(()),
    }
}

/// Compact JSON of a list.
fn compact<T: Serialize>(items: &[T]) -> String {
    // Serialising strings and plain structs cannot fail.
    serde_json::to_string(items).unwrap_or_default()
}

/// Compact JSON of a list, or `None` (empty) for an empty one.
fn non_empty_json<T: Serialize>(items: &[T]) -> Option<String> {
    (!items.is_empty()).then(|| compact(items))
}

/// A date or time to the precision its text gives, comparable.
type Moment = (u32, u32, u32, u32, u32, u32);

/// Checks a date against a control's format: `yyyy-MM-dd` always, `yyyy-MM-dd HH:mm` when the control has that
/// format (the new docs name only the first; the legacy docs both). The date must be on the calendar.
fn check_date(s: &str, format: Option<&str>) -> Result<Moment, String> {
    let with_time = format == Some("yyyy-MM-dd HH:mm");
    match parse_moment(s) {
        Some((m, 10)) => Ok(m),
        Some((m, 16)) if with_time => Ok(m),
        _ => Err(format!("{s} 不是 {} 格式的日期", format.unwrap_or("yyyy-MM-dd"))),
    }
}

/// Parses `yyyy-MM-dd`, `yyyy-MM-dd HH:mm` or `yyyy-MM-dd HH:mm:ss`, returning the moment and the text's length.
fn parse_moment(s: &str) -> Option<(Moment, usize)> {
    let b = s.as_bytes();
    let num = |from: usize, to: usize| -> Option<u32> {
        let part = s.get(from..to)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    if !matches!(b.len(), 10 | 16 | 19) || !sep(4, b'-') || !sep(7, b'-') {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if y == 0 || d == 0 || d > days {
        return None;
    }
    let (mut h, mut mi, mut sec) = (0, 0, 0);
    if b.len() >= 16 {
        if !sep(10, b' ') || !sep(13, b':') {
            return None;
        }
        (h, mi) = (num(11, 13).filter(|h| *h < 24)?, num(14, 16).filter(|m| *m < 60)?);
    }
    if b.len() == 19 {
        if !sep(16, b':') {
            return None;
        }
        sec = num(17, 19).filter(|s| *s < 60)?;
    }
    Some(((y, mo, d, h, mi, sec), b.len()))
}

/// A phone number: a mobile (`157...`) or a landline (`010-12345678`), an optional leading `+`, 5 to 20 digits.
fn is_phone(s: &str) -> bool {
    let body = s.strip_prefix('+').unwrap_or(s);
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    body.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b' ') && (5..=20).contains(&digits)
}

/// An absolute `http(s)` URL.
fn is_web_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// An attachment as stored: every field text, in DingTalk's order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Attachment {
    space_id: String,
    file_name: String,
    file_size: String,
    file_type: String,
    file_id: String,
}

/// Reads a `DDAttachment` value: a JSON array of `{spaceId, fileName, fileSize, fileType, fileId}`; ids and sizes
/// may be numbers or text.
fn attachments(raw: &str) -> Result<Vec<Attachment>, String> {
    const SHAPE: &str = "附件应是 [{spaceId, fileName, fileSize, fileType, fileId}] 的 JSON 数组";
    let files: Vec<Value> = serde_json::from_str(raw).map_err(|_| SHAPE.to_owned())?;
    files
        .iter()
        .map(|f| {
            let field = |key: &str| match f.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                Some(Value::Number(n)) => Ok(n.to_string()),
                _ => Err(format!("{SHAPE}；缺少 {key}")),
            };
            let file = Attachment {
                space_id: field("spaceId")?,
                file_name: field("fileName")?,
                file_size: field("fileSize")?,
                file_type: field("fileType")?,
                file_id: field("fileId")?,
            };
            if !file.file_size.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("附件 {} 的 fileSize 不是字节数", file.file_name));
            }
            Ok(file)
        })
        .collect()
}

/// Reads a `TimeAndLocationField` value: `["yyyy-MM-dd HH:mm:ss", lng, lat, "address", n]` (the last number's
/// meaning is undocumented and it may be left off); coordinates may be numbers or text.
fn time_and_location(raw: &str) -> Result<String, String> {
    const SHAPE: &str = "应是 [\"yyyy-MM-dd HH:mm:ss\", 经度, 纬度, \"地址\", n] 的 JSON 数组";
    let parts: Vec<Value> = serde_json::from_str(raw).map_err(|_| SHAPE.to_owned())?;
    let coordinate = |v: &Value, limit: f64| {
        let n = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        n.filter(|n: &f64| n.abs() <= limit)
    };
    let ok = matches!(parts.len(), 4 | 5)
        && parts[0].as_str().and_then(parse_moment).is_some_and(|(_, len)| len >= 16)
        && coordinate(&parts[1], 180.0).is_some()
        && coordinate(&parts[2], 90.0).is_some()
        && parts[3].as_str().is_some_and(|a| !a.trim().is_empty())
        && parts.get(4).is_none_or(Value::is_number);
    if !ok {
        return Err(SHAPE.to_owned());
    }
    Ok(compact(&parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The organisation the tests' values refer to.
    struct Ctx;

    impl FormContext for Ctx {
        fn user_exists(&self, user_id: &str) -> bool {
            matches!(user_id, "zhangsan" | "lisi")
        }
        fn dept_exists(&self, dept_id: i64) -> bool {
            matches!(dept_id, 1 | 100 | 101)
        }
        fn file_exists(&self, space_id: &str, file_id: &str) -> bool {
            space_id == "9001" && file_id == "file-1"
        }
        fn instance_exists(&self, instance_id: &str) -> bool {
            instance_id.starts_with("inst-")
        }
    }

    const RANGE: &str = r#"["开始时间","结束时间"]"#;

    /// One control of every kind; only 标题 is required, so each test fills just what it is about.
    fn template() -> Template {
        let control = |name: &str, id: &str, label: &str, props: Value| {
            let mut c = serde_json::json!({"componentName": name, "props": {"id": id, "label": label}});
            if let (Some(all), Some(more)) = (c["props"].as_object_mut(), props.as_object()) {
                all.extend(more.clone());
            }
            c
        };
        let mut table = control("TableField", "TableField-B1", "明细", Value::Null);
        table["children"] = serde_json::json!([
            control("TextField", "TextField-B2", "名称", serde_json::json!({"required": true})),
            control("MoneyField", "MoneyField-B3", "单价", serde_json::json!({"required": true})),
            control("DDSelectField", "DDSelectField-B4", "单位", serde_json::json!({"options": ["个", "台"]})),
            control("NumberField", "NumberField-B5", "件数", Value::Null),
        ]);
        let items = serde_json::json!([
            control("TextField", "TextField-T1", "标题", serde_json::json!({"required": true, "bizAlias": "title"})),
            control("TextareaField", "TextareaField-T2", "备注", Value::Null),
            control("NumberField", "NumberField-N1", "数量", Value::Null),
            control("MoneyField", "MoneyField-M1", "金额", serde_json::json!({"upper": "1"})),
            control("DDSelectField", "DDSelectField-S1", "类型", serde_json::json!({"options": ["A类", "B类"]})),
            control(
                "DDMultiSelectField",
                "DDMultiSelectField-S2",
                "标签",
                serde_json::json!({"options": ["红", "绿", "蓝"]})
            ),
            control("DDDateField", "DDDateField-D1", "日期", serde_json::json!({"format": "yyyy-MM-dd"})),
            control("DDDateField", "DDDateField-D2", "会议时间", serde_json::json!({"format": "yyyy-MM-dd HH:mm"})),
            control(
                "DDDateRangeField",
                "DDDateRangeField-R1",
                RANGE,
                serde_json::json!({"format": "yyyy-MM-dd", "unit": "天"})
            ),
            control("TextNote", "TextNote-X1", "说明", Value::Null),
            control("PhoneField", "PhoneField-P1", "电话", Value::Null),
            control("DDPhotoField", "DDPhotoField-P2", "图片", Value::Null),
            table,
            control("DDAttachment", "DDAttachment-A1", "附件", Value::Null),
            control("InnerContactField", "InnerContactField-C1", "交接人", serde_json::json!({"choice": 0})),
            control("InnerContactField", "InnerContactField-C2", "参与人", serde_json::json!({"choice": 1})),
            control("DepartmentField", "DepartmentField-E1", "部门", Value::Null),
            control("DepartmentField", "DepartmentField-E2", "单个部门", serde_json::json!({"multiple": false})),
            control("RelateField", "RelateField-L1", "关联审批单", Value::Null),
            control("AddressField", "AddressField-A2", "地址", Value::Null),
            control("StarRatingField", "StarRatingField-R2", "评分", Value::Null),
            control("FormRelateField", "FormRelateField-F1", "关联表单", Value::Null),
            control("DDHolidayField", "DDHolidayField-H1", "假期", Value::Null),
            control("TimeAndLocationField", "TimeAndLocationField-T3", r#"["当前时间","当前地点"]"#, Value::Null),
        ]);
        let template = serde_json::json!({
            "processCode": "PROC-TEST", "name": "测试", "icon": "general", "dirName": "其他", "items": items,
            "flow": {"steps": []}
        });
        serde_json::from_value(template).expect("the test template parses")
    }

    fn nv(name: &str, value: &str) -> FormValue {
        FormValue { name: Some(name.into()), value: Some(value.into()), ..FormValue::default() }
    }

    /// Validates the required title plus `more` against the test template.
    fn check(more: Vec<FormValue>) -> Result<Vec<StoredValue>, FormError> {
        let mut values = vec![nv("标题", "出差申请")];
        values.extend(more);
        validate(&template(), &values, &Ctx)
    }

    /// The stored value of control `name` after giving it `value`.
    fn stored(name: &str, value: &str) -> String {
        let all = check(vec![nv(name, value)]).unwrap_or_else(|e| panic!("{name}={value} refused: {e}"));
        all.into_iter().find(|s| label_matches(&s.name, name)).map(|s| s.value).expect("the control is stored")
    }

    /// Asserts that giving control `name` the value `value` is a converter error naming `name`.
    fn assert_refused(name: &str, value: &str) {
        match check(vec![nv(name, value)]) {
            Ok(_) => panic!("{name}={value} was accepted"),
            Err(e) => assert_converter(&e, name),
        }
    }

    fn assert_converter(e: &FormError, control: &str) {
        assert_eq!(e.code, FORM_CONVERTER_ERROR, "{e}");
        assert!(e.message.starts_with(&format!("表单数据校验失败，失败控件：{control}")), "{e}");
    }

    #[test]
    fn more_than_150_values_is_an_invalid_parameter() {
        let values = vec![nv("备注", "x"); MAX_VALUES + 1];
        let e = validate(&template(), &values, &Ctx).unwrap_err();
        assert_eq!(e.code, INVALID_PARAMETER);
    }

    #[test]
    fn value_without_name_or_id_is_an_invalid_parameter() {
        let e = check(vec![FormValue { value: Some("x".into()), ..FormValue::default() }]).unwrap_err();
        assert_eq!(e.code, INVALID_PARAMETER);
    }

    #[test]
    fn unknown_name_or_id_is_a_converter_error_naming_it() {
        assert_converter(&check(vec![nv("不存在的控件", "x")]).unwrap_err(), "不存在的控件");
        let by_id = FormValue { id: Some("TextField-NOPE".into()), value: Some("x".into()), ..FormValue::default() };
        assert_converter(&check(vec![by_id]).unwrap_err(), "TextField-NOPE");
        // Table columns are not top-level controls.
        assert_converter(&check(vec![nv("名称", "x")]).unwrap_err(), "名称");
    }

    #[test]
    fn values_name_their_control_by_id_or_label() {
        let by_id =
            FormValue { id: Some("TextareaField-T2".into()), value: Some("按 id".into()), ..FormValue::default() };
        let all = check(vec![by_id]).expect("accepted");
        assert_eq!(all.iter().find(|s| s.id == "TextareaField-T2").map(|s| s.value.as_str()), Some("按 id"));
        let both = FormValue { id: Some("TextareaField-T2".into()), ..nv("备注", "两者") };
        assert!(check(vec![both]).is_ok());
    }

    #[test]
    fn name_and_id_of_different_controls_are_refused() {
        let wrong = FormValue { id: Some("TextareaField-T2".into()), ..nv("数量", "1") };
        assert_converter(&check(vec![wrong]).unwrap_err(), "数量");
    }

    #[test]
    fn the_same_control_twice_is_refused() {
        let again = FormValue { id: Some("TextField-T1".into()), value: Some("再来".into()), ..FormValue::default() };
        assert_converter(&check(vec![again]).unwrap_err(), "标题");
    }

    #[test]
    fn missing_or_blank_required_control_is_refused_naming_it() {
        let e = validate(&template(), &[nv("备注", "x")], &Ctx).unwrap_err();
        assert_converter(&e, "标题");
        assert!(e.message.contains("必填"), "{e}");
        assert_converter(&validate(&template(), &[nv("标题", "  ")], &Ctx).unwrap_err(), "标题");
    }

    #[test]
    fn value_longer_than_65535_chars_is_an_invalid_parameter() {
        assert!(check(vec![nv("备注", &"字".repeat(MAX_VALUE_CHARS))]).is_ok());
        let e = check(vec![nv("备注", &"字".repeat(MAX_VALUE_CHARS + 1))]).unwrap_err();
        assert_eq!(e.code, INVALID_PARAMETER);
        assert!(e.message.contains("备注"), "{e}");
    }

    #[test]
    fn wrong_component_type_is_an_illegal_component() {
        let typed = |t: &str| FormValue { component_type: Some(t.into()), ..nv("数量", "3") };
        assert!(check(vec![typed("NumberField")]).is_ok());
        let e = check(vec![typed("MoneyField")]).unwrap_err();
        assert_eq!(e.code, ILLEGAL_COMPONENT);
        assert!(e.message.contains("数量"), "{e}");
    }

    #[test]
    fn text_notes_and_suite_fields_are_illegal_components() {
        for name in ["说明", "关联表单", "假期"] {
            let e = check(vec![nv(name, "x")]).unwrap_err();
            assert_eq!(e.code, ILLEGAL_COMPONENT, "{name}: {e}");
            assert!(e.message.contains(name), "{e}");
        }
    }

    #[test]
    fn template_requiring_a_suite_field_cannot_be_started() {
        let mut t = template();
        let holiday = t.items.iter_mut().find(|c| c.component_name == ComponentName::DDHolidayField).expect("假期");
        holiday.props.required = true;
        let e = validate(&t, &[nv("标题", "x")], &Ctx).unwrap_err();
        assert_eq!(e.code, ILLEGAL_COMPONENT);
        assert!(e.message.contains("假期"), "{e}");
    }

    #[test]
    fn stored_values_follow_schema_order_with_id_type_and_alias() {
        let all = check(vec![FormValue { ext_value: Some("{\"k\":1}".into()), ..nv("数量", "2") }, nv("备注", "b")])
            .expect("accepted");
        let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(&names[..3], ["标题", "备注", "数量"]);
        assert_eq!(all[0].biz_alias.as_deref(), Some("title"));
        assert_eq!(all[0].component_type, "TextField");
        assert_eq!(all[2].id, "NumberField-N1");
        assert_eq!(all[2].ext_value.as_deref(), Some("{\"k\":1}"));
    }

    #[test]
    fn text_is_kept_as_written() {
        assert_eq!(stored("备注", "  第一行\n  第二行 "), "  第一行\n  第二行 ");
    }

    #[test]
    fn empty_optional_controls_are_returned_as_null_and_notes_not_at_all() {
        let all = check(vec![]).expect("accepted");
        let fillable =
            template().items.iter().filter(|c| c.component_name.create_support() == CreateSupport::Value).count();
        assert_eq!(all.len(), fillable);
        assert!(all.iter().skip(1).all(|s| s.value == EMPTY_VALUE && s.ext_value.is_none()));
        assert!(!all.iter().any(|s| matches!(s.name.as_str(), "说明" | "关联表单" | "假期")));
    }

    #[test]
    fn numbers_are_decimal_strings() {
        assert_eq!(stored("数量", "-12.50"), "-12.50");
        assert_eq!(stored("数量", " 3 "), "3");
        for bad in ["abc", "1e3", "1.", ".5", "1,000", "--1"] {
            assert_refused("数量", bad);
        }
    }

    #[test]
    fn money_is_non_negative_with_at_most_two_decimals() {
        assert_eq!(stored("金额", "5000.00"), "5000.00");
        for bad in ["-1", "1.234", "¥5", "五千"] {
            assert_refused("金额", bad);
        }
    }

    #[test]
    fn select_value_is_one_of_the_options() {
        assert_eq!(stored("类型", "A类"), "A类");
        assert_refused("类型", "C类");
    }

    #[test]
    fn multi_select_is_a_json_array_of_distinct_options() {
        assert_eq!(stored("标签", r#"[ "红", "蓝" ]"#), r#"["红","蓝"]"#);
        assert_eq!(stored("标签", "[]"), EMPTY_VALUE);
        for bad in ["红", r#"["紫"]"#, r#"["红","红"]"#] {
            assert_refused("标签", bad);
        }
    }

    #[test]
    fn date_is_a_calendar_date_in_the_control_format() {
        assert_eq!(stored("日期", "2024-02-29"), "2024-02-29");
        for bad in ["2023-02-29", "2024-13-01", "2024-04-31", "2024/01/01", "2024-1-1", "2024-01-01 09:00"] {
            assert_refused("日期", bad);
        }
        assert_eq!(stored("会议时间", "2024-03-01 14:30"), "2024-03-01 14:30");
        assert_eq!(stored("会议时间", "2024-03-01"), "2024-03-01");
        assert_refused("会议时间", "2024-03-01 24:00");
    }

    #[test]
    fn date_range_is_two_dates_in_order_named_by_its_array_label() {
        assert_eq!(
            stored(r#"["开始时间", "结束时间"]"#, r#"["2024-05-01", "2024-05-03"]"#),
            r#"["2024-05-01","2024-05-03"]"#
        );
        assert_eq!(stored(RANGE, r#"["2024-05-01","2024-05-01"]"#), r#"["2024-05-01","2024-05-01"]"#);
        for bad in
            [r#"["2024-05-03","2024-05-01"]"#, r#"["2024-05-01"]"#, r#"["2024-05-01","2024-02-30"]"#, "2024-05-01"]
        {
            assert_refused(RANGE, bad);
        }
    }

    #[test]
    fn phone_address_and_star_rating_have_their_formats() {
        assert_eq!(stored("电话", "15712345678"), "15712345678");
        assert_eq!(stored("电话", "010-12345678"), "010-12345678");
        assert_eq!(stored("电话", "+86 157 1234 5678"), "+86 157 1234 5678");
        for bad in ["电话号码", "12", "157-abc"] {
            assert_refused("电话", bad);
        }
        assert_eq!(stored("地址", "北京,北京市,朝阳区"), "北京,北京市,朝阳区");
        assert_eq!(stored("地址", "浙江省,杭州市,余杭区,文一西路 969 号"), "浙江省,杭州市,余杭区,文一西路 969 号");
        for bad in ["北京市朝阳区", "北京,,朝阳区"] {
            assert_refused("地址", bad);
        }
        assert_eq!(stored("评分", "5"), "5");
        for bad in ["0", "6", "4.5", "五"] {
            assert_refused("评分", bad);
        }
    }

    #[test]
    fn photos_are_at_most_nine_web_urls() {
        let url = "https://static.example.com/a.png";
        assert_eq!(stored("图片", &format!("[\"{url}\"]")), format!("[\"{url}\"]"));
        let nine = compact(&[url; MAX_PHOTOS]);
        assert_eq!(stored("图片", &nine), nine);
        assert_refused("图片", &compact(&[url; MAX_PHOTOS + 1]));
        assert_refused("图片", r#"["not a url"]"#);
        assert_refused("图片", r#"["ftp://example.com/a.png"]"#);
        assert_refused("图片", url);
    }

    #[test]
    fn attachments_exist_in_the_approval_space_and_are_stored_as_text() {
        let file = r#"[{"spaceId":9001,"fileName":"发票.pdf","fileSize":2048,"fileType":"pdf","fileId":"file-1"}]"#;
        assert_eq!(
            stored("附件", file),
            r#"[{"spaceId":"9001","fileName":"发票.pdf","fileSize":"2048","fileType":"pdf","fileId":"file-1"}]"#
        );
        assert_refused("附件", &file.replace("file-1", "file-2"));
        assert_refused("附件", &file.replace("9001", "9002"));
        assert_refused("附件", &file.replace(r#""fileName":"发票.pdf","#, ""));
        assert_refused("附件", &file.replace("2048", "\"2KB\""));
        assert_refused("附件", "发票.pdf");
    }

    #[test]
    fn contacts_are_existing_users_and_one_when_choice_is_single() {
        assert_eq!(stored("参与人", r#"["zhangsan","lisi"]"#), r#"["zhangsan","lisi"]"#);
        assert_eq!(stored("交接人", r#"["lisi"]"#), r#"["lisi"]"#);
        assert_refused("交接人", r#"["zhangsan","lisi"]"#);
        assert_refused("参与人", r#"["zhangsan","ghost"]"#);
        assert_refused("参与人", r#"["lisi","lisi"]"#);
        assert_refused("参与人", "zhangsan");
    }

    #[test]
    fn departments_are_comma_separated_existing_ids() {
        assert_eq!(stored("部门", "100, 101"), "100,101");
        assert_refused("部门", "100,999");
        assert_refused("部门", "研发中心");
        assert_refused("部门", "100,100");
        assert_eq!(stored("单个部门", "1"), "1");
        assert_refused("单个部门", "1,100");
    }

    #[test]
    fn relate_field_lists_at_most_nine_existing_instances() {
        assert_eq!(stored("关联审批单", r#"["inst-1"]"#), r#"["inst-1"]"#);
        let ten: Vec<String> = (0..=MAX_RELATED).map(|i| format!("inst-{i}")).collect();
        assert_eq!(stored("关联审批单", &compact(&ten[..MAX_RELATED])), compact(&ten[..MAX_RELATED]));
        assert_refused("关联审批单", &compact(&ten));
        assert_refused("关联审批单", r#"["gone-1"]"#);
    }

    #[test]
    fn time_and_location_is_a_time_coordinates_and_address() {
        let name = r#"["当前时间","当前地点"]"#;
        let good = r#"["2024-05-01 09:30:00", 120.02, "30.28", "杭州市余杭区文一西路", 0]"#;
        assert_eq!(stored(name, good), r#"["2024-05-01 09:30:00",120.02,"30.28","杭州市余杭区文一西路",0]"#);
        assert_refused(name, r#"["2024-05-01", 120.02, 30.28, "杭州"]"#);
        assert_refused(name, r#"["2024-05-01 09:30:00", 200, 30.28, "杭州"]"#);
        assert_refused(name, r#"["2024-05-01 09:30:00", 120.02, 30.28, ""]"#);
    }

    #[test]
    fn table_cells_are_checked_by_column_and_stored_as_row_values() {
        let rows = r#"[[{"name":"名称","value":"显示器"},{"name":"单价","value":"1299.00"},{"name":"单位","value":"台"}],
                       [{"name":"名称","value":"键盘"},{"name":"单价","value":199},{"name":"件数","value":"2"}]]"#;
        let want = concat!(
            r#"[{"rowValue":[{"label":"名称","key":"TextField-B2","value":"显示器"},"#,
            r#"{"label":"单价","key":"MoneyField-B3","value":"1299.00"},"#,
            r#"{"label":"单位","key":"DDSelectField-B4","value":"台"}],"rowNumber":"TableField-B1_1"},"#,
            r#"{"rowValue":[{"label":"名称","key":"TextField-B2","value":"键盘"},"#,
            r#"{"label":"单价","key":"MoneyField-B3","value":"199"},"#,
            r#"{"label":"件数","key":"NumberField-B5","value":"2"}],"rowNumber":"TableField-B1_2"}]"#
        );
        assert_eq!(stored("明细", rows), want);
        assert_eq!(stored("明细", "[]"), EMPTY_VALUE);
    }

    #[test]
    fn table_rows_may_come_as_details() {
        let row = |name: &str, price: &str| FormValue {
            details: Some(vec![nv("名称", name), FormValue { id: Some("MoneyField-B3".into()), ..nv("单价", price) }]),
            ..FormValue::default()
        };
        let table = FormValue { details: Some(vec![row("笔", "2"), row("本", "5.5")]), ..nv("明细", "") };
        let all = check(vec![table]).expect("accepted");
        let value = &all.iter().find(|s| s.name == "明细").expect("stored").value;
        let rows: Vec<Value> = serde_json::from_str(value).expect("JSON");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["rowValue"][1]["value"], "5.5");
        let flat = FormValue { details: Some(vec![nv("名称", "笔")]), ..nv("明细", "") };
        assert_converter(&check(vec![flat]).unwrap_err(), "明细");
    }

    #[test]
    fn table_cells_are_refused_naming_the_column_and_row() {
        let cases = [
            (r#"[[{"name":"名称","value":"笔"}]]"#, "单价"),
            (r#"[[{"name":"名称","value":"笔"},{"name":"单价","value":"两元"}]]"#, "单价"),
            (r#"[[{"name":"名称","value":"笔"},{"name":"单价","value":"2"},{"name":"单位","value":"箱"}]]"#, "单位"),
            (r#"[[{"name":"名称","value":"笔"},{"name":"单价","value":"2"},{"name":"颜色","value":"黑"}]]"#, "颜色"),
            (r#"[[{"name":"名称","value":"笔"},{"name":"名称","value":"纸"},{"name":"单价","value":"2"}]]"#, "名称"),
        ];
        for (rows, column) in cases {
            let e = check(vec![nv("明细", rows)]).unwrap_err();
            assert_converter(&e, column);
            assert!(e.message.contains("明细第 1 行"), "{e}");
        }
        for bad in
            ["笔", r#"[{"name":"名称","value":"笔"}]"#, r#"[[["名称","笔"]]]"#, r#"[[{"name":"名称","value":true}]]"#]
        {
            assert_refused("明细", bad);
        }
    }

    #[test]
    fn seeded_expense_form_validates() {
        let expense =
            crate::templates::seed().into_iter().find(|t| t.process_code == "PROC-EMU-EXPENSE").expect("seeded");
        let rows = r#"[[{"name":"费用类型","value":"交通"},{"name":"金额","value":"5200"},{"name":"日期","value":"2024-05-06"}]]"#;
        let values =
            [nv("报销类型", "差旅费"), nv("报销明细", rows), nv("报销总额", "5200"), nv("报销事由", "客户现场部署")];
        let all = validate(&expense, &values, &Ctx).expect("accepted");
        let total = all.iter().find(|s| s.id == "MoneyField-EXPTOTAL").expect("stored");
        assert_eq!((total.value.as_str(), total.biz_alias.as_deref()), ("5200", Some("totalAmount")));
        let e = validate(&expense, &values[..3], &Ctx).unwrap_err();
        assert_converter(&e, "报销事由");
    }
}
