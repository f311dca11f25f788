//! Approval forms, shared by the app and the server: the form model mapped from DingTalk's schema ([`FormSchema`]),
//! the values a person fills in ([`FormValues`]), the rules they must follow ([`validate`]), and their encoding for
//! DingTalk's create API ([`to_dingtalk`]).
//!
//! One source of truth: the app validates in the browser and the server validates again before a submission enters
//! the outbox, with the same code and the same rules DingTalk applies.

mod encode;
mod figures;
mod schema;
mod validate;
mod value;

#[cfg(test)]
mod tests;

pub use encode::{FormComponentValue, to_dingtalk};
pub use figures::{column_total, money_in_words, range_duration};
pub use schema::{DateFormat, Field, FieldKind, FormSchema, SchemaError, TableTotal};
pub use validate::{
    FieldError, FieldErrorCode, MAX_PHOTOS, MAX_RELATED, MAX_STARS, MAX_VALUE_CHARS, MAX_VALUES, MONEY_DECIMALS,
    validate,
};
pub use value::{Address, Attachment, FieldValue, FormValues, TimeAndLocation};
