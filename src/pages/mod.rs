//! Pages: each fetches and mutates what it shows; components below them only take props.

mod inbox;
mod login;

pub use inbox::Inbox;
pub use login::LoginGate;
