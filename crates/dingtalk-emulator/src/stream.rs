//! Stream mode: `POST /v1.0/gateway/connections/open` and the WebSocket gateway with DingTalk's frames.

use std::sync::Arc;

use axum::Router;

use crate::state::Shared;

/// Tickets, connections and unacked frames.
#[derive(Default)]
pub struct Gateway {}

impl Gateway {
    /// Drops tickets, connections and queues.
    pub fn reset(&self) {}
}

/// Starts the delivery worker.
pub fn spawn(_shared: Arc<Shared>) {}

/// The gateway's routes (open connection, WebSocket) and its control routes.
pub fn router() -> Router<Arc<Shared>> {
    Router::new()
}
