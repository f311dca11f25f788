//! The whole form: each field of the schema bound to the form's state.

use api_types::form::FieldValue;
use leptos::prelude::*;

use super::FormState;
use super::controls::FieldControl;

/// Every field of `form`'s schema, in order. Field `x` has `data-testid="field-x"`.
#[component]
pub fn FormView(
    /// The form to show and fill.
    form: FormState,
) -> impl IntoView {
    let fields = form.schema.get_value().fields;
    view! {
        <div class="cells form" data-testid="form">
            {fields
                .into_iter()
                .map(|field| {
                    let id = field.id.clone();
                    let value = {
                        let id = id.clone();
                        Signal::derive(move || form.value(&id))
                    };
                    let on_change = {
                        let id = id.clone();
                        Callback::new(move |value: Option<FieldValue>| form.set(&id, value))
                    };
                    let error = {
                        let id = id.clone();
                        Signal::derive(move || form.error(&id, None))
                    };
                    view! { <FieldControl form field value on_change error test_id=format!("field-{id}") /> }
                })
                .collect_view()}
        </div>
    }
}
