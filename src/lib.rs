//! shenpi's front end: a Leptos CSR app that runs inside DingTalk's webview (and, degraded, in a browser).
//!
//! `main.rs` mounts [`App`]; the modules below are a library so browser tests (`tests/`) can reach them.

pub mod api;
mod app;
mod components;
pub mod errors;
pub mod form;
pub mod i18n;
pub mod inbox_cache;
pub mod jsapi;
pub mod oauth;
pub mod offline;
mod pages;
pub mod platform;
pub mod routes;
pub mod session;

pub use app::App;
