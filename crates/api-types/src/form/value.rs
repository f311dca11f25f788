//! What a person filled in: a value per field id, typed by kind.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A form's values, by field id (a table's rows hold their cells by column id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct FormValues(pub BTreeMap<String, FieldValue>);

impl FormValues {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of a field.
    pub fn get(&self, field_id: &str) -> Option<&FieldValue> {
        self.0.get(field_id)
    }

    /// Sets a field's value, replacing what it had.
    pub fn insert(&mut self, field_id: impl Into<String>, value: FieldValue) {
        self.0.insert(field_id.into(), value);
    }

    /// Removes a field's value.
    pub fn remove(&mut self, field_id: &str) -> Option<FieldValue> {
        self.0.remove(field_id)
    }

    /// Builder form of [`FormValues::insert`].
    pub fn with(mut self, field_id: impl Into<String>, value: FieldValue) -> Self {
        self.insert(field_id, value);
        self
    }
}

impl<K: Into<String>> FromIterator<(K, FieldValue)> for FormValues {
    fn from_iter<I: IntoIterator<Item = (K, FieldValue)>>(iter: I) -> Self {
        Self(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

/// A file in the approval space, as `DDAttachment` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// The approval space's id.
    pub space_id: String,
    /// The file's id in that space.
    pub file_id: String,
    /// The file's name.
    pub file_name: String,
    /// Size in bytes.
    pub file_size: u64,
    /// Extension, e.g. `pdf`.
    pub file_type: String,
}

/// An address: province, city, district and an optional detail line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// 省.
    pub province: String,
    /// 市.
    pub city: String,
    /// 区.
    pub district: String,
    /// 详细地址.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// When and where, as the device reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TimeAndLocation {
    /// `yyyy-MM-dd HH:mm:ss` (or without seconds).
    pub time: String,
    /// Longitude, −180 to 180.
    pub longitude: f64,
    /// Latitude, −90 to 90.
    pub latitude: f64,
    /// The place in words.
    pub address: String,
}

/// One field's value. Which variant fits which [`FieldKind`](super::FieldKind) is in [`validate`](super::validate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", content = "value", rename_all = "camelCase")]
pub enum FieldValue {
    /// Text, kept as written.
    Text(String),
    /// A decimal number as text (`-12.5`), so no precision is lost.
    Number(String),
    /// An amount as decimal text (`1299.00`).
    Money(String),
    /// One option's text.
    Choice(String),
    /// Several options' text.
    Choices(Vec<String>),
    /// `yyyy-MM-dd`, or `yyyy-MM-dd HH:mm` for a date-time field.
    Date(String),
    /// Two dates in the field's format.
    DateRange {
        /// The first day (or moment).
        start: String,
        /// The last day (or moment), not before `start`.
        end: String,
    },
    /// Members' userids.
    People(Vec<String>),
    /// Department ids.
    Departments(Vec<i64>),
    /// Image URLs.
    Photos(Vec<String>),
    /// Files uploaded to the approval space.
    Attachments(Vec<Attachment>),
    /// Other approval instances' ids.
    Related(Vec<String>),
    /// A phone number.
    Phone(String),
    /// An address.
    Address(Address),
    /// Stars, 1 to 5.
    Rating(u8),
    /// When and where.
    TimeAndLocation(TimeAndLocation),
    /// A table's rows, each holding its cells by column id.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    Table(Vec<FormValues>),
}

impl FieldValue {
    /// Whether the value says nothing: blank text, no items, no rows. DingTalk treats such a value as not given.
    pub fn is_empty(&self) -> bool {
        match self {
            FieldValue::Text(s)
            | FieldValue::Number(s)
            | FieldValue::Money(s)
            | FieldValue::Choice(s)
            | FieldValue::Date(s)
            | FieldValue::Phone(s) => s.trim().is_empty(),
            FieldValue::Choices(v) | FieldValue::People(v) | FieldValue::Photos(v) | FieldValue::Related(v) => {
                v.is_empty()
            }
            FieldValue::Departments(v) => v.is_empty(),
            FieldValue::Attachments(v) => v.is_empty(),
            FieldValue::Table(rows) => rows.is_empty(),
            FieldValue::DateRange { start, end } => start.trim().is_empty() && end.trim().is_empty(),
            FieldValue::Address(a) => [&a.province, &a.city, &a.district, a.detail.as_ref().unwrap_or(&String::new())]
                .iter()
                .all(|s| s.trim().is_empty()),
            FieldValue::Rating(_) | FieldValue::TimeAndLocation(_) => false,
        }
    }
}
