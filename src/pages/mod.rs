//! Pages: each fetches and mutates what it shows; components below them only take props.

mod inbox;
mod login;
mod new_request;
mod outbox;
mod templates;

pub use inbox::Inbox;
pub use login::LoginGate;
pub use new_request::NewRequest;
pub use outbox::OutboxKeeper;
pub use templates::Templates;
