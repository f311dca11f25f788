//! The schema-driven form: one state struct for everything filled in ([`FormState`]), the renderer that shows a
//! [`FormSchema`](api_types::form::FormSchema) as controls ([`FormView`]), one component per kind of control, and the
//! glue to api-types' validation (errors as you type once a field is touched, all of them on submit).

mod controls;
mod pickers;
mod state;
mod table;
mod view;

pub use state::FormState;
pub use view::FormView;
