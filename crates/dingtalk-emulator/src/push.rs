//! HTTP push: the registered callback URL, DingTalk's encrypted and signed delivery, and retries.

use std::sync::Arc;

use axum::Router;

use crate::state::Shared;

/// The registered callback and its delivery queue.
#[derive(Default)]
pub struct Pusher {}

impl Pusher {
    /// Forgets the registration and the queue.
    pub fn reset(&self) {}
}

/// Starts the delivery worker.
pub fn spawn(_shared: Arc<Shared>) {}

/// Control routes for HTTP push.
pub fn control_routes() -> Router<Arc<Shared>> {
    Router::new()
}
