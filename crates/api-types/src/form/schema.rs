//! Our model of a template's form, mapped from DingTalk's form schema (server-api.md §5.4).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A template's form: its controls in the order DingTalk shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FormSchema {
    /// Top-level fields in order; a table's columns are inside its [`FieldKind::Table`].
    pub fields: Vec<Field>,
}

/// One control of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// DingTalk's control id, e.g. `TextField-K2AD4O5B`; the key of the field's value in [`FormValues`].
    ///
    /// [`FormValues`]: super::FormValues
    pub id: String,
    /// DingTalk's label, verbatim: it is the `name` a create call gives the value. For a date range and a
    /// time-and-location control it is a JSON array of two labels; their parts are in the kind.
    pub label: String,
    /// What the control holds, with the data each kind needs.
    pub kind: FieldKind,
    /// Whether DingTalk requires a value.
    pub required: bool,
    /// Hint text; for a [`FieldKind::Note`] this is the note itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// A stable alias for integrations (`bizAlias`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_alias: Option<String>,
}

impl Field {
    /// The label to show: a two-part label joined with " ~ ", anything else as DingTalk gives it.
    pub fn display_label(&self) -> String {
        match &self.kind {
            FieldKind::DateRange { labels, .. } | FieldKind::TimeAndLocation { labels } => labels.join(" ~ "),
            _ => self.label.clone(),
        }
    }

    /// Whether a person can give this field a value through the create API.
    pub fn is_fillable(&self) -> bool {
        !matches!(self.kind, FieldKind::Note | FieldKind::Unsupported { .. })
    }
}

/// The date formats a date control uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum DateFormat {
    /// `yyyy-MM-dd`.
    Date,
    /// `yyyy-MM-dd HH:mm`; DingTalk also takes a bare date for such a control.
    DateTime,
}

impl DateFormat {
    /// DingTalk's spelling of the format.
    pub fn as_str(self) -> &'static str {
        match self {
            DateFormat::Date => "yyyy-MM-dd",
            DateFormat::DateTime => "yyyy-MM-dd HH:mm",
        }
    }

    /// The format of a schema's `format` prop. Anything but `yyyy-MM-dd HH:mm` is a plain date, because that is
    /// all DingTalk then accepts.
    fn from_prop(format: Option<&str>) -> Self {
        match format {
            Some("yyyy-MM-dd HH:mm") => DateFormat::DateTime,
            _ => DateFormat::Date,
        }
    }
}

/// A table's total: a numeric column DingTalk sums under the table (`statField`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TableTotal {
    /// The summed column's id.
    pub column_id: String,
    /// The total's label.
    pub label: String,
    /// Unit text, e.g. `元`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Whether the total is also shown in Chinese capital numerals.
    #[serde(default)]
    pub upper: bool,
}

/// What a control holds, with the data each kind needs to be shown and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum FieldKind {
    /// `TextField` (one line) or `TextareaField` (several).
    Text {
        /// `TextareaField`.
        multiline: bool,
    },
    /// `NumberField`: a decimal number, negative allowed.
    Number {
        /// Unit text shown after the number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
    },
    /// `MoneyField`: a non-negative amount with at most two decimals.
    Money {
        /// Unit text, e.g. `元`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
        /// Whether the amount is also shown in Chinese capital numerals (`upper`).
        upper: bool,
    },
    /// `DDSelectField`: one of the options.
    Select {
        /// The options, as their text is sent.
        options: Vec<String>,
    },
    /// `DDMultiSelectField`: several distinct options.
    MultiSelect {
        /// The options, as their text is sent.
        options: Vec<String>,
    },
    /// `DDDateField`.
    Date {
        /// How the date is written.
        format: DateFormat,
    },
    /// `DDDateRangeField`: a start and an end, not before the start.
    DateRange {
        /// How both ends are written.
        format: DateFormat,
        /// The start's and the end's labels.
        labels: [String; 2],
        /// The duration's unit, `天` or `小时`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
        /// Whether DingTalk computes and shows the duration.
        duration: bool,
        /// The duration's label, e.g. `时长（天）`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_label: Option<String>,
    },
    /// `TextNote`: text shown on the form, with no value (the text is the field's placeholder).
    Note,
    /// `PhoneField`: a mobile or landline number.
    Phone,
    /// `DDPhotoField`: up to [`MAX_PHOTOS`](super::MAX_PHOTOS) image URLs.
    Photo,
    /// `TableField`: rows of values for its columns.
    Table {
        /// The columns, each a field of its own.
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        columns: Vec<Field>,
        /// The "add a row" button's text (`actionName`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action_name: Option<String>,
        /// Columns DingTalk sums under the table.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        totals: Vec<TableTotal>,
    },
    /// `DDAttachment`: files uploaded to the approval space.
    Attachment,
    /// `InnerContactField`: members of the organisation.
    Contact {
        /// Several people (`choice: 1`, DingTalk's default) or one (`choice: 0`).
        multiple: bool,
    },
    /// `DepartmentField`: departments of the organisation.
    Department {
        /// Several departments (DingTalk's default) or one (`multiple: false`).
        multiple: bool,
    },
    /// `RelateField`: up to [`MAX_RELATED`](super::MAX_RELATED) other approval instances.
    Relate,
    /// `AddressField`: province, city, district and an optional detail line.
    Address {
        /// Whether the form asks for the detail line (`needDetail`). DingTalk's create API does not require it.
        need_detail: bool,
    },
    /// `StarRatingField`: 1 to [`MAX_STARS`](super::MAX_STARS) stars.
    StarRating,
    /// `TimeAndLocationField`: when and where, as the device reports it.
    TimeAndLocation {
        /// The time's and the place's labels.
        labels: [String; 2],
    },
    /// A control the create API cannot fill: `FormRelateField`, `DDHolidayField` (filled only in DingTalk's own
    /// pages), a table nested in a table, or a kind this build does not know. Shown read-only; a form that requires
    /// one cannot be submitted.
    Unsupported {
        /// The schema's `componentName`.
        component_name: String,
    },
}

impl FieldKind {
    /// The schema's `componentName` for this kind, sent as a value's `componentType`.
    pub fn component_name(&self) -> &str {
        match self {
            FieldKind::Text { multiline: false } => "TextField",
            FieldKind::Text { multiline: true } => "TextareaField",
            FieldKind::Number { .. } => "NumberField",
            FieldKind::Money { .. } => "MoneyField",
            FieldKind::Select { .. } => "DDSelectField",
            FieldKind::MultiSelect { .. } => "DDMultiSelectField",
            FieldKind::Date { .. } => "DDDateField",
            FieldKind::DateRange { .. } => "DDDateRangeField",
            FieldKind::Note => "TextNote",
            FieldKind::Phone => "PhoneField",
            FieldKind::Photo => "DDPhotoField",
            FieldKind::Table { .. } => "TableField",
            FieldKind::Attachment => "DDAttachment",
            FieldKind::Contact { .. } => "InnerContactField",
            FieldKind::Department { .. } => "DepartmentField",
            FieldKind::Relate => "RelateField",
            FieldKind::Address { .. } => "AddressField",
            FieldKind::StarRating => "StarRatingField",
            FieldKind::TimeAndLocation { .. } => "TimeAndLocationField",
            FieldKind::Unsupported { component_name } => component_name,
        }
    }
}

/// Why a schema could not be read. Kinds we do not know are not an error: they become
/// [`FieldKind::Unsupported`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaError {
    /// The schema has no `items` array.
    NoItems,
    /// A control (at this path, e.g. `items[3]` or `items[1].children[0]`) is not an object or lacks its
    /// `componentName`.
    NotAControl(String),
    /// A control lacks a string `props.id` or `props.label`.
    MissingProp {
        /// Where the control is.
        path: String,
        /// `id` or `label`.
        prop: &'static str,
    },
    /// A date range's or time-and-location's label is not a JSON array of two strings.
    BadPairLabel {
        /// The control's id.
        id: String,
    },
    /// Two controls at the same level share an id.
    DuplicateId(String),
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaError::NoItems => write!(f, "the form schema has no items array"),
            SchemaError::NotAControl(path) => write!(f, "{path} is not a control with a componentName"),
            SchemaError::MissingProp { path, prop } => write!(f, "{path} has no string props.{prop}"),
            SchemaError::BadPairLabel { id } => write!(f, "{id}'s label is not a JSON array of two labels"),
            SchemaError::DuplicateId(id) => write!(f, "two controls have the id {id}"),
        }
    }
}

impl std::error::Error for SchemaError {}

impl FormSchema {
    /// Maps DingTalk's form schema (`result.schemaContent` of `GET /v1.0/workflow/forms/schemas/processCodes`,
    /// an object with `items`) to our model.
    pub fn from_dingtalk(schema: &Value) -> Result<FormSchema, SchemaError> {
        let items = schema.get("items").and_then(Value::as_array).ok_or(SchemaError::NoItems)?;
        Ok(FormSchema { fields: fields(items, "items", true)? })
    }

    /// The top-level field with this id.
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }
}

/// Maps a list of controls; `top` is false for a table's columns, where a table is not allowed.
fn fields(items: &[Value], path: &str, top: bool) -> Result<Vec<Field>, SchemaError> {
    let mut out: Vec<Field> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = field(item, &format!("{path}[{i}]"), top)?;
        if out.iter().any(|f| f.id == field.id) {
            return Err(SchemaError::DuplicateId(field.id));
        }
        out.push(field);
    }
    Ok(out)
}

/// Maps one control.
fn field(item: &Value, path: &str, top: bool) -> Result<Field, SchemaError> {
    let name =
        item.get("componentName").and_then(Value::as_str).ok_or_else(|| SchemaError::NotAControl(path.to_owned()))?;
    let empty = serde_json::Map::new();
    let props = item.get("props").and_then(Value::as_object).unwrap_or(&empty);
    let text = |key: &str| props.get(key).and_then(Value::as_str).map(str::to_owned);
    let required_text = |prop: &'static str| text(prop).ok_or(SchemaError::MissingProp { path: path.to_owned(), prop });
    let id = required_text("id")?;
    let label = required_text("label")?;
    let unit = text("unit").filter(|u| !u.is_empty());
    let format = DateFormat::from_prop(props.get("format").and_then(Value::as_str));
    let pair = || pair_label(&label).ok_or_else(|| SchemaError::BadPairLabel { id: id.clone() });
    let kind = match name {
        "TextField" => FieldKind::Text { multiline: false },
        "TextareaField" => FieldKind::Text { multiline: true },
        "NumberField" => FieldKind::Number { unit },
        "MoneyField" => FieldKind::Money { unit, upper: truthy(props.get("upper")) },
        "DDSelectField" => FieldKind::Select { options: options(props) },
        "DDMultiSelectField" => FieldKind::MultiSelect { options: options(props) },
        "DDDateField" => FieldKind::Date { format },
        "DDDateRangeField" => FieldKind::DateRange {
            format,
            labels: pair()?,
            unit,
            duration: truthy(props.get("duration")),
            duration_label: text("durationLabel").filter(|l| !l.is_empty()),
        },
        "TextNote" => FieldKind::Note,
        "PhoneField" => FieldKind::Phone,
        "DDPhotoField" => FieldKind::Photo,
        "TableField" if top => {
            let children = item.get("children").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            FieldKind::Table {
                columns: fields(children, &format!("{path}.children"), false)?,
                action_name: text("actionName").filter(|a| !a.is_empty()),
                totals: totals(props),
            }
        }
        "DDAttachment" => FieldKind::Attachment,
        // DingTalk's default is several people; only `choice: 0` limits the control to one.
        "InnerContactField" => FieldKind::Contact { multiple: props.get("choice").and_then(Value::as_i64) != Some(0) },
        "DepartmentField" => FieldKind::Department { multiple: props.get("multiple") != Some(&Value::Bool(false)) },
        "RelateField" => FieldKind::Relate,
        "AddressField" => FieldKind::Address { need_detail: truthy(props.get("needDetail")) },
        "StarRatingField" => FieldKind::StarRating,
        "TimeAndLocationField" => FieldKind::TimeAndLocation { labels: pair()? },
        other => FieldKind::Unsupported { component_name: other.to_owned() },
    };
    Ok(Field {
        id,
        label,
        kind,
        required: truthy(props.get("required")),
        placeholder: text("placeholder").filter(|p| !p.is_empty()),
        biz_alias: text("bizAlias").filter(|a| !a.is_empty()),
    })
}

/// A flag DingTalk may write as `true`, `1` or `"1"` (`upper: "1"`, `needDetail: 1`).
fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true"),
        _ => false,
    }
}

/// A select's options: strings in the v1.0 schema, `{key, value}` objects from the form-create API, or
/// `objOptions: [{value}]`; the text sent is the `value`.
fn options(props: &serde_json::Map<String, Value>) -> Vec<String> {
    let list = props.get("options").or_else(|| props.get("objOptions")).and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .filter_map(|o| match o {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("value").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
        .collect()
}

/// A table's `statField` totals.
fn totals(props: &serde_json::Map<String, Value>) -> Vec<TableTotal> {
    let list = props.get("statField").and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .filter_map(|s| {
            Some(TableTotal {
                column_id: s.get("id")?.as_str()?.to_owned(),
                label: s.get("label").and_then(Value::as_str).unwrap_or_default().to_owned(),
                unit: s.get("unit").and_then(Value::as_str).filter(|u| !u.is_empty()).map(str::to_owned),
                upper: truthy(s.get("upper")),
            })
        })
        .collect()
}

/// A label written as a JSON array of two labels, e.g. `["开始时间","结束时间"]`.
fn pair_label(label: &str) -> Option<[String; 2]> {
    let parts: Vec<String> = serde_json::from_str(label).ok()?;
    <[String; 2]>::try_from(parts).ok()
}
