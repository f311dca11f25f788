//! Form values of a create call (`formComponentValues`, server-api.md §5.1) checked against a template's schema as
//! DingTalk checks them, and turned into what `GET /v1.0/workflow/processInstances` returns.

use serde::{Deserialize, Serialize};

use crate::templates::{ComponentName, Template};

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

/// Checks `values` against `template` and returns them as the instance will store them, in schema order.
pub fn validate(
    template: &Template,
    values: &[FormValue],
    ctx: &dyn FormContext,
) -> Result<Vec<StoredValue>, FormError> {
    let _ = (template, values, ctx);
    Err(FormError { code: "formConverterError", message: "not implemented yet".into() })
}
