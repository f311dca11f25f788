//! The workbench, `GET /_emulator/workbench`: a demo page that shows the app in a phone (iOS or Android container)
//! and in DingTalk's desktop client, with a user switcher over the seeded organisation, a panel to act as any
//! approver (`/_emulator/tasks`, `/_emulator/act`) and the event log. The frames are the app behind the app proxy
//! (`app_proxy`), so the page is plain HTML and needs no browser flags.

use std::sync::Arc;

use axum::Router;
use axum::response::Html;
use axum::routing::get;

use crate::state::Shared;

const WORKBENCH_HTML: &str = include_str!("../assets/workbench.html");

/// The workbench route.
pub fn router() -> Router<Arc<Shared>> {
    Router::new().route("/_emulator/workbench", get(|| async { Html(WORKBENCH_HTML) }))
}
