//! Pages: each fetches and mutates what it shows; components below them only take props.

mod inbox;
mod instance;
mod login;
mod new_request;
mod outbox;
mod request;
mod templates;

pub use inbox::Inbox;
pub use instance::Instance;
pub use login::LoginGate;
pub use new_request::NewRequest;
pub use outbox::OutboxKeeper;
pub use request::Request;
pub use templates::Templates;
