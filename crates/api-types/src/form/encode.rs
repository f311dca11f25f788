//! Form values in the encoding DingTalk's create API takes (`formComponentValues`, server-api.md §5.1).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Field, FieldKind, FieldValue, FormSchema, FormValues};

/// One entry of a create call's `formComponentValues`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormComponentValue {
    /// The field's label, verbatim (for a date range, the JSON array of its two labels).
    pub name: String,
    /// The value as text: plain for text, numbers, options, dates, phones and addresses; JSON in the string for
    /// lists, date ranges, tables and time-and-location.
    pub value: String,
    /// The field's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The schema's `componentName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
}

/// Encodes `values` for DingTalk's create API, in schema order: one entry per fillable field with a non-empty
/// value, named by label and id and typed by `componentType`. Call [`validate`](super::validate) first: values that
/// do not fit their field are encoded by their own shape and DingTalk will refuse them.
pub fn to_dingtalk(schema: &FormSchema, values: &FormValues) -> Vec<FormComponentValue> {
    schema
        .fields
        .iter()
        .filter(|f| f.is_fillable())
        .filter_map(|f| {
            let value = values.get(&f.id).filter(|v| !v.is_empty())?;
            Some(FormComponentValue {
                name: f.label.clone(),
                value: encode_value(&f.kind, value),
                id: Some(f.id.clone()),
                component_type: Some(f.kind.component_name().to_owned()),
            })
        })
        .collect()
}

/// One value as the create API's `value` text. Text is kept as written; every other text is sent without
/// surrounding blanks, which is also how [`validate`](super::validate) reads it.
pub(super) fn encode_value(kind: &FieldKind, value: &FieldValue) -> String {
    match value {
        FieldValue::Text(s) => s.clone(),
        FieldValue::Number(s)
        | FieldValue::Money(s)
        | FieldValue::Choice(s)
        | FieldValue::Date(s)
        | FieldValue::Phone(s) => s.trim().to_owned(),
        FieldValue::Choices(items)
        | FieldValue::People(items)
        | FieldValue::Photos(items)
        | FieldValue::Related(items) => json_text(items),
        FieldValue::DateRange { start, end } => json_text(&[start.trim(), end.trim()]),
        FieldValue::Departments(ids) => ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
        FieldValue::Attachments(files) => json_text(files),
        FieldValue::Address(a) => {
            let mut parts = vec![a.province.trim(), a.city.trim(), a.district.trim()];
            parts.extend(a.detail.as_deref().map(str::trim).filter(|d| !d.is_empty()));
            parts.join(",")
        }
        FieldValue::Rating(n) => n.to_string(),
        FieldValue::TimeAndLocation(t) => json_text(&json!([t.time.trim(), t.longitude, t.latitude, t.address.trim()])),
        FieldValue::Table(rows) => {
            let columns = match kind {
                FieldKind::Table { columns, .. } => columns.as_slice(),
                _ => &[],
            };
            let rows: Vec<Vec<serde_json::Value>> = rows.iter().map(|row| table_row(columns, row)).collect();
            json_text(&rows)
        }
    }
}

/// A table row as `[{name, value}]`, its non-empty cells in column order.
fn table_row(columns: &[Field], row: &FormValues) -> Vec<serde_json::Value> {
    columns
        .iter()
        .filter(|c| c.is_fillable())
        .filter_map(|c| {
            let value = row.get(&c.id).filter(|v| !v.is_empty())?;
            Some(json!({ "name": c.label, "value": encode_value(&c.kind, value) }))
        })
        .collect()
}

/// Compact JSON of a value, as the create API wants it inside a string.
fn json_text<T: Serialize + ?Sized>(value: &T) -> String {
    // Strings, numbers and plain structs always serialise; a non-finite coordinate becomes `null`.
    serde_json::to_string(value).unwrap_or_default()
}
