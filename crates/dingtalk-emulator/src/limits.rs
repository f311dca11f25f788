//! Rate limits, the monthly metered-call quota and fault rules, applied to both API hosts (not to `/_emulator/`).

use std::sync::Arc;

use axum::Router;

use crate::state::Shared;

/// Counters, quota and fault rules.
#[derive(Default)]
pub struct Limits {}

impl Limits {
    /// Forgets counters and fault rules.
    pub fn reset(&self) {}
}

/// Control routes for limits and faults.
pub fn control_routes() -> Router<Arc<Shared>> {
    Router::new()
}
