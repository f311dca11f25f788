//! One field as the person sees it: label, required mark, the control for its kind and the error under it. The
//! typed controls are here; the ones that open a picker are in `pickers`, the detail table in `table`.

use api_types::form::{Field, FieldErrorCode, FieldKind, FieldValue, money_in_words};
use leptos::prelude::*;

use super::FormState;
use super::pickers::{
    ChoicePicker, DatePicker, DateRangePicker, DepartmentPicker, MultiChoice, PeoplePicker, Uploader,
};
use super::table::TableControl;
use crate::errors::field_error_text;
use crate::session::use_lang;

/// A field bound to its value: the label row, the control and the error under it.
#[component]
pub fn FieldControl(
    /// The form the field belongs to (for names of picked people and, in a table, nothing else).
    form: FormState,
    /// The field as the schema gives it.
    field: Field,
    /// Its value.
    #[prop(into)]
    value: Signal<Option<FieldValue>>,
    /// Called with the new value (`None` to clear it).
    on_change: Callback<Option<FieldValue>>,
    /// The error to show, if any.
    #[prop(into)]
    error: Signal<Option<FieldErrorCode>>,
    /// `data-testid` of the field; its parts add suffixes (`-input`, `-error`).
    #[prop(into)]
    test_id: String,
) -> impl IntoView {
    let lang = use_lang();
    // A picker or an upload that could not open says why here, until the next try.
    let trouble = RwSignal::new(None::<&'static str>);
    let input_id = format!("{test_id}-input");
    let label = field.display_label();
    if matches!(field.kind, FieldKind::Note) {
        return view! {
            <div class="field form-note" data-testid=test_id>
                <p class="form-note-text">{field.placeholder.clone().unwrap_or(label)}</p>
            </div>
        }
        .into_any();
    }
    let message = move || trouble.get().or_else(|| error.get().map(|code| field_error_text(code, lang)));
    let placeholder = field.placeholder.clone().unwrap_or_default();
    let control = match field.kind.clone() {
        FieldKind::Text { multiline: true } => view! {
            <textarea
                id=input_id.clone()
                data-testid=input_id.clone()
                rows="3"
                placeholder=placeholder
                prop:value=move || text_of(&value.get())
                on:input=move |ev| on_change.run(Some(FieldValue::Text(event_target_value(&ev))))
            ></textarea>
        }
        .into_any(),
        FieldKind::Text { multiline: false } => {
            typed_input(input_id.clone(), placeholder, "text", "text", None, value, on_change, FieldValue::Text)
        }
        FieldKind::Number { unit } => {
            typed_input(input_id.clone(), placeholder, "text", "decimal", unit, value, on_change, FieldValue::Number)
        }
        FieldKind::Phone => {
            typed_input(input_id.clone(), placeholder, "tel", "tel", None, value, on_change, FieldValue::Phone)
        }
        FieldKind::Money { unit, upper } => {
            let input =
                typed_input(input_id.clone(), placeholder, "text", "decimal", unit, value, on_change, FieldValue::Money);
            let words = move || money_in_words(&text_of(&value.get())).filter(|_| upper);
            let words_id = format!("{test_id}-upper");
            view! {
                {input}
                <Show when=move || words().is_some()>
                    <p class="form-upper" data-testid=words_id.clone()>
                        {lang.pick("大写：", "In words: ")} {words}
                    </p>
                </Show>
            }
            .into_any()
        }
        FieldKind::Select { options } => view! {
            <ChoicePicker id=input_id.clone() options placeholder value on_change trouble />
        }
        .into_any(),
        FieldKind::MultiSelect { options } => {
            view! { <MultiChoice id=input_id.clone() options value on_change /> }.into_any()
        }
        FieldKind::Date { format } => view! {
            <DatePicker id=input_id.clone() format placeholder value on_change trouble />
        }
        .into_any(),
        FieldKind::DateRange { format, labels, unit, duration, duration_label } => view! {
            <DateRangePicker id=input_id.clone() format labels unit duration duration_label value on_change trouble />
        }
        .into_any(),
        FieldKind::Contact { multiple } => view! {
            <PeoplePicker id=input_id.clone() form title=label.clone() multiple placeholder value on_change trouble />
        }
        .into_any(),
        FieldKind::Department { multiple } => view! {
            <DepartmentPicker id=input_id.clone() form title=label.clone() multiple placeholder value on_change trouble />
        }
        .into_any(),
        FieldKind::Attachment => view! {
            <Uploader id=input_id.clone() photos=false placeholder value on_change trouble />
        }
        .into_any(),
        FieldKind::Photo => view! {
            <Uploader id=input_id.clone() photos=true placeholder value on_change trouble />
        }
        .into_any(),
        FieldKind::Table { columns, action_name, totals } => view! {
            <TableControl id=test_id.clone() form columns action_name totals value on_change />
        }
        .into_any(),
        // What the create API fills but this app does not offer yet, and what it cannot fill at all.
        FieldKind::Note
        | FieldKind::Relate
        | FieldKind::Address { .. }
        | FieldKind::StarRating
        | FieldKind::TimeAndLocation { .. }
        | FieldKind::Unsupported { .. } => view! {
            <p class="form-readonly muted" id=input_id.clone() data-testid=input_id.clone()>
                {lang.pick("请在钉钉审批中填写此项", "Fill this in DingTalk's own approvals app")}
            </p>
        }
        .into_any(),
    };
    let error_id = format!("{test_id}-error");
    view! {
        <div
            class="field form-field"
            class:invalid=move || message().is_some()
            id=format!("form-{test_id}")
            data-testid=test_id.clone()
        >
            <label class="field-label" class:required=field.required for=input_id>
                {label}
            </label>
            {control}
            <Show when=move || message().is_some()>
                <p class="field-error" role="alert" data-testid=error_id.clone()>
                    {message}
                </p>
            </Show>
        </div>
    }
    .into_any()
}

/// The text of a text-like value (text, number, money, phone, a choice or a date), or empty.
pub(super) fn text_of(value: &Option<FieldValue>) -> String {
    match value {
        Some(
            FieldValue::Text(s)
            | FieldValue::Number(s)
            | FieldValue::Money(s)
            | FieldValue::Phone(s)
            | FieldValue::Choice(s)
            | FieldValue::Date(s),
        ) => s.clone(),
        _ => String::new(),
    }
}

/// A one-line input whose text becomes a value through `make`, with an optional unit after it.
#[allow(clippy::too_many_arguments)]
fn typed_input(
    id: String,
    placeholder: String,
    kind: &'static str,
    inputmode: &'static str,
    unit: Option<String>,
    value: Signal<Option<FieldValue>>,
    on_change: Callback<Option<FieldValue>>,
    make: fn(String) -> FieldValue,
) -> AnyView {
    view! {
        <div class="form-input-row">
            <input
                id=id.clone()
                data-testid=id
                type=kind
                inputmode=inputmode
                placeholder=placeholder
                prop:value=move || text_of(&value.get())
                on:input=move |ev| on_change.run(Some(make(event_target_value(&ev))))
            />
            {unit.map(|unit| view! { <span class="form-unit">{unit}</span> })}
        </div>
    }
    .into_any()
}
