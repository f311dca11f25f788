//! Pages: each fetches and mutates what it shows; components below them only take props.

mod inbox;
mod instance;
mod login;
mod request;

pub use inbox::Inbox;
pub use instance::Instance;
pub use login::LoginGate;
pub use request::Request;
