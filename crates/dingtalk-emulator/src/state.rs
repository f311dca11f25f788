//! What the emulator remembers between calls: issued access tokens and free-login codes, on the emulator's clock.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::clock::Clock;
use crate::org::Org;

/// Access tokens live 7200 s (server-api.md §2).
pub const TOKEN_TTL_MS: i64 = 7_200_000;
/// Free-login codes live 5 minutes and are single-use (server-api.md §3.1).
pub const AUTH_CODE_TTL_MS: i64 = 300_000;

/// Everything behind the emulator's routes.
pub struct Shared {
    /// The emulator's time.
    pub clock: Clock,
    /// Mutable state; never held across an `.await`.
    pub state: Mutex<State>,
}

/// The emulator's mutable state.
pub struct State {
    /// The seeded organisation.
    pub org: Org,
    tokens: HashMap<String, i64>,
    current_token: Option<String>,
    codes: HashMap<String, AuthCode>,
}

struct AuthCode {
    user_id: String,
    expires_at_ms: i64,
    used: bool,
}

/// Why a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// Never issued (or issued before a reset).
    Unknown,
    /// Issued, but its 7200 s are over.
    Expired,
}

/// Why a free-login code was not accepted; DingTalk answers all three with 40078.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    /// Never issued.
    Unknown,
    /// Already exchanged once.
    Used,
    /// Older than five minutes.
    Expired,
}

impl State {
    /// Fresh state over an organisation.
    pub fn new(org: Org) -> Self {
        Self { org, tokens: HashMap::new(), current_token: None, codes: HashMap::new() }
    }

    /// Issues the app's access token. While the current one is valid DingTalk returns the same token and extends
    /// its life; after expiry it issues a new one.
    pub fn issue_token(&mut self, now_ms: i64) -> String {
        if let Some(token) = &self.current_token
            && let Some(expires) = self.tokens.get_mut(token)
            && *expires > now_ms
        {
            *expires = now_ms + TOKEN_TTL_MS;
            return token.clone();
        }
        let token = random_string(32).to_lowercase();
        self.tokens.insert(token.clone(), now_ms + TOKEN_TTL_MS);
        self.current_token = Some(token.clone());
        token
    }

    /// Checks a presented access token.
    pub fn check_token(&self, token: &str, now_ms: i64) -> Result<(), TokenProblem> {
        match self.tokens.get(token) {
            None => Err(TokenProblem::Unknown),
            Some(expires) if *expires <= now_ms => Err(TokenProblem::Expired),
            Some(_) => Ok(()),
        }
    }

    /// Mints a free-login code for a user, as the DingTalk container does for `requestAuthCode`.
    pub fn mint_auth_code(&mut self, user_id: &str, now_ms: i64) -> String {
        let code = random_string(32);
        self.codes.insert(
            code.clone(),
            AuthCode { user_id: user_id.to_owned(), expires_at_ms: now_ms + AUTH_CODE_TTL_MS, used: false },
        );
        code
    }

    /// Exchanges a free-login code for its userid, once.
    pub fn redeem_auth_code(&mut self, code: &str, now_ms: i64) -> Result<String, CodeProblem> {
        let entry = self.codes.get_mut(code).ok_or(CodeProblem::Unknown)?;
        if entry.used {
            return Err(CodeProblem::Used);
        }
        if entry.expires_at_ms <= now_ms {
            return Err(CodeProblem::Expired);
        }
        entry.used = true;
        Ok(entry.user_id.clone())
    }
}

/// A random alphanumeric string, for tokens, codes and request ids.
pub fn random_string(len: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_token_is_returned_while_valid_and_a_new_one_after_expiry() {
        let mut state = State::new(Org::seed());
        let first = state.issue_token(0);
        assert_eq!(state.issue_token(1_000), first);
        assert_eq!(state.check_token(&first, 1_000 + TOKEN_TTL_MS - 1), Ok(()));
        assert_eq!(state.check_token(&first, 1_000 + TOKEN_TTL_MS), Err(TokenProblem::Expired));
        let second = state.issue_token(1_000 + TOKEN_TTL_MS);
        assert_ne!(second, first);
        assert_eq!(state.check_token("nope", 0), Err(TokenProblem::Unknown));
    }

    #[test]
    fn auth_codes_are_single_use_and_expire_after_five_minutes() {
        let mut state = State::new(Org::seed());
        let code = state.mint_auth_code("zhangsan", 0);
        assert_eq!(state.redeem_auth_code(&code, 10), Ok("zhangsan".to_owned()));
        assert_eq!(state.redeem_auth_code(&code, 20), Err(CodeProblem::Used));
        let late = state.mint_auth_code("zhangsan", 0);
        assert_eq!(state.redeem_auth_code(&late, AUTH_CODE_TTL_MS), Err(CodeProblem::Expired));
        assert_eq!(state.redeem_auth_code("nope", 0), Err(CodeProblem::Unknown));
    }
}
