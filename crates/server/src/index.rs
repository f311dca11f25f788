//! The per-user index of approvals (待处理 / 已处理 / 已发起 / 抄送我), built from our submissions and DingTalk's
//! events.

use crate::AppState;
use crate::error::AppError;
use crate::events::StoredEvent;

/// Applies one stored event to the index. Applying the same event twice, or events out of order, leaves the index as
/// applying each once in order would.
pub async fn apply(state: &AppState, event: &StoredEvent) -> Result<(), AppError> {
    // The interface the intake calls; the index fills it in.
    let _ = (state, event);
    Ok(())
}
