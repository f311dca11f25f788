//! Sessions: opaque 256-bit bearer tokens, stored only as their SHA-256, ending after 30 idle minutes or 12 hours.

use std::time::{SystemTime, UNIX_EPOCH};

use api_types::User;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::AppError;

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
