//! Sessions: opaque 256-bit bearer tokens, stored only as their SHA-256, ending after 30 idle minutes or 12 hours,
//! or at once when their user leaves the organisation ([`on_user_left`]).

use std::time::{SystemTime, UNIX_EPOCH};

use api_types::User;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::AppError;
use crate::events::StoredEvent;

/// A session ends after this long without use.
pub const IDLE_TIMEOUT_SECS: i64 = 30 * 60;
/// A session ends this long after login, used or not.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 60 * 60;

/// Now, in Unix seconds.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A fresh token (64 hex characters = 256 random bits) and the hash to store.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// What the store keeps instead of the token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The logged-in user of a request; extracting it answers 401 when there is no live session.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthenticated)?;
        let hash = hash_token(token);
        let session = state.store.session(&hash).await?.ok_or(AppError::Unauthenticated)?;
        let now = now();
        if now >= session.expires_at || now - session.last_seen_at >= IDLE_TIMEOUT_SECS {
            state.store.delete_session(&hash).await?;
            return Err(AppError::Unauthenticated);
        }
        state.store.touch_session(&hash, now).await?;
        Ok(CurrentUser(session.user))
    }
}

/// Handles a `user_leave_org` event: every session of each person it names ends, so their next request is a 401.
/// Logging in again is refused by DingTalk itself, which no longer knows them (`not_a_member`). Idempotent: a
/// redelivered event finds nothing left to end. An event of another organisation is ignored; one that names nobody is
/// a [`AppError::BadRequest`].
pub async fn on_user_left(state: &AppState, event: &StoredEvent) -> Result<(), AppError> {
    if event.event_type != dingtalk_client::events::EventType::UserLeaveOrg.as_str() {
        return Err(AppError::BadRequest(format!("{} is not a user_leave_org event", event.event_type)));
    }
    if event.corp_id != state.settings.corp_id {
        tracing::warn!(event_id = %event.event_id, corp_id = %event.corp_id, "user_leave_org of another organisation ignored");
        return Ok(());
    }
    let left: dingtalk_client::events::UserLeaveOrg =
        serde_json::from_value(serde_json::Value::Object(event.data.clone()))
            .map_err(|e| AppError::BadRequest(format!("user_leave_org {}: {e}", event.event_id)))?;
    for user_id in &left.user_ids {
        let ended = state.store.delete_user_sessions(user_id).await?;
        tracing::info!(%user_id, sessions = ended, "left the organisation: sessions ended");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_hex_and_only_their_hash_is_kept() {
        let (token, hash) = new_token();
        assert_eq!(token.len(), 64);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(hash, hash_token(&token));
        assert_ne!(hash, token);
        assert_ne!(new_token().0, token);
    }
}
