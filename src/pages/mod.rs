//! Pages: each fetches and mutates what it shows; components below them only take props.

mod home;

pub use home::Home;
