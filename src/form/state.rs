//! Everything a filled-in form holds, in one `Copy` struct of signals, so a page (and later drafts) can read and
//! replace it whole.

use std::collections::{BTreeMap, BTreeSet};

use api_types::form::{FieldError, FieldErrorCode, FieldValue, FormSchema, FormValues, validate};
use leptos::prelude::*;

/// The form's schema, values, which fields were touched, the server's refusals and the names of picked people.
#[derive(Debug, Clone, Copy)]
pub struct FormState {
    /// The template's form.
    pub schema: StoredValue<FormSchema>,
    /// What is filled in, by field id.
    pub values: RwSignal<FormValues>,
    /// Fields the person has changed (a table counts as one field): their errors show as they type.
    pub touched: RwSignal<BTreeSet<String>>,
    /// After a submit attempt every error shows, touched or not.
    pub show_all: RwSignal<bool>,
    /// The server's `form_invalid` refusals, shown until their field changes.
    pub server_errors: RwSignal<Vec<FieldError>>,
    /// Display names of picked people (`u:<userid>`) and departments (`d:<id>`).
    pub names: RwSignal<BTreeMap<String, String>>,
    /// The api-types verdict on the current values.
    errors: Memo<Vec<FieldError>>,
}

impl FormState {
    /// A form for `schema`, starting from `values` (empty, a copy or a draft).
    pub fn new(schema: FormSchema, values: FormValues) -> Self {
        let schema = StoredValue::new(schema);
        let values = RwSignal::new(values);
        let errors =
            Memo::new(move |_| schema.with_value(|s| values.with(|v| validate(s, v).err().unwrap_or_default())));
        Self {
            schema,
            values,
            touched: RwSignal::new(BTreeSet::new()),
            show_all: RwSignal::new(false),
            server_errors: RwSignal::new(Vec::new()),
            names: RwSignal::new(BTreeMap::new()),
            errors,
        }
    }

    /// A field's value (tracked).
    pub fn value(&self, id: &str) -> Option<FieldValue> {
        self.values.with(|v| v.get(id).cloned())
    }

    /// Sets (or, with `None` or an empty value, clears) a field's value; the field counts as touched and the
    /// server's refusal of it goes.
    pub fn set(&self, id: &str, value: Option<FieldValue>) {
        self.values.update(|values| match value.filter(|v| !v.is_empty()) {
            Some(value) => values.insert(id, value),
            None => {
                values.remove(id);
            }
        });
        self.touch(id);
        if self.server_errors.with_untracked(|e| e.iter().any(|e| e.field_id == id)) {
            self.server_errors.update(|errors| errors.retain(|e| e.field_id != id));
        }
    }

    /// Marks a field as touched, so its errors show.
    pub fn touch(&self, id: &str) {
        if !self.touched.with_untracked(|t| t.contains(id)) {
            self.touched.update(|t| {
                t.insert(id.to_owned());
            });
        }
    }

    /// The error to show on a top-level field (`column` `None`) or on a table's cell: the server's first, then the
    /// rules' once the field is touched or a submit was tried.
    pub fn error(&self, id: &str, cell: Option<(usize, &str)>) -> Option<FieldErrorCode> {
        let matches = |e: &&FieldError| {
            e.field_id == id
                && (e.row, e.column_id.as_deref()) == cell.map_or((None, None), |(r, c)| (Some(r), Some(c)))
        };
        if let Some(code) = self.server_errors.with(|errors| errors.iter().find(matches).map(|e| e.code)) {
            return Some(code);
        }
        let shown = self.show_all.get() || self.touched.with(|t| t.contains(id));
        if !shown {
            return None;
        }
        self.errors.with(|errors| errors.iter().find(matches).map(|e| e.code))
    }

    /// Shows every error and returns the first erroneous field's id (in form order), if any.
    pub fn check_all(&self) -> Option<String> {
        self.show_all.set(true);
        let ids: BTreeSet<String> = self.errors.with_untracked(|e| {
            e.iter().chain(self.server_errors.read_untracked().iter()).map(|e| e.field_id.clone()).collect()
        });
        self.schema.with_value(|s| s.fields.iter().find(|f| ids.contains(&f.id)).map(|f| f.id.clone()))
    }

    /// Shows the server's `form_invalid` refusals on their fields.
    pub fn refused(&self, errors: Vec<FieldError>) {
        self.server_errors.set(errors);
        self.show_all.set(true);
    }

    /// Remembers the display name of a picked person or department.
    pub fn name(&self, key: String, name: String) {
        self.names.update(|names| {
            names.insert(key, name);
        });
    }
}
