//! What the emulator remembers between calls: issued access tokens and free-login codes, on the emulator's clock.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::clock::Clock;
use crate::org::Org;

/// Access tokens live 7200 s (server-api.md §2).
pub const TOKEN_TTL_MS: i64 = 7_200_000;
/// Free-login codes live 5 minutes and are single-use (server-api.md §3.1). OAuth codes get the same rule.
pub const AUTH_CODE_TTL_MS: i64 = 300_000;
/// User access tokens from the OAuth login live 7200 s, like app tokens.
pub const USER_TOKEN_TTL_MS: i64 = 7_200_000;

/// Everything behind the emulator's routes. Each subsystem owns its part; none holds a lock across an `.await`.
pub struct Shared {
    /// The emulator's time.
    pub clock: Clock,
    /// Identity and approvals: tokens, codes, instances, tasks.
    pub state: Mutex<State>,
    /// Approval events as they happen, fanned out to HTTP push and the Stream gateway.
    pub events: crate::events::EventBus,
    /// Rate limits, the monthly quota and fault rules.
    pub limits: crate::limits::Limits,
    /// HTTP push: the registered callback and its delivery queue.
    pub push: crate::push::Pusher,
    /// Stream mode: tickets, connections and unacked frames.
    pub stream: crate::stream::Gateway,
}

impl Shared {
    /// Fresh shared state over an organisation and a clock.
    pub fn new(org: Org, clock: Clock) -> Self {
        Self {
            clock,
            state: Mutex::new(State::new(org)),
            events: crate::events::EventBus::default(),
            limits: crate::limits::Limits::default(),
            push: crate::push::Pusher::default(),
            stream: crate::stream::Gateway::default(),
        }
    }

    /// Locks the identity and approvals state (a poisoned lock is still usable: every write is one step).
    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets everything that happened: tokens, codes, approvals, events, counters, faults, registrations.
    pub fn reset(&self) {
        let (org, templates) = {
            let state = self.lock();
            (state.org.clone(), state.approvals.templates.clone())
        };
        self.reseed(org, templates);
    }

    /// Resets, then puts a different organisation and set of templates in place.
    pub fn reseed(&self, org: Org, templates: Vec<crate::templates::Template>) {
        *self.lock() = State::with_templates(org, templates);
        self.events.reset();
        self.limits.reset();
        self.push.reset();
        self.stream.reset();
        self.clock.reset();
    }
}

/// The emulator's mutable state.
pub struct State {
    /// The seeded organisation.
    pub org: Org,
    /// Approval templates, instances, tasks and approval spaces.
    pub approvals: crate::engine::Approvals,
    tokens: HashMap<String, i64>,
    current_token: Option<String>,
    codes: HashMap<String, AuthCode>,
    oauth_codes: HashMap<String, AuthCode>,
    user_tokens: HashMap<String, (String, i64)>,
    jsapi_ticket: Option<JsapiTicket>,
}

/// The app's JSAPI ticket: extended by 2 h on each fetch, but dead 24 h after it was made (server-api.md §4).
struct JsapiTicket {
    ticket: String,
    created_ms: i64,
    expires_ms: i64,
}

/// A JSAPI ticket lives at most this long, however often it is fetched.
pub const JSAPI_TICKET_MAX_MS: i64 = 24 * 3_600_000;

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
        Self::with_templates(org, crate::templates::seed())
    }

    /// Fresh state over an organisation and its approval templates.
    pub fn with_templates(org: Org, templates: Vec<crate::templates::Template>) -> Self {
        Self {
            org,
            approvals: crate::engine::Approvals::new(templates),
            tokens: HashMap::new(),
            current_token: None,
            codes: HashMap::new(),
            oauth_codes: HashMap::new(),
            user_tokens: HashMap::new(),
            jsapi_ticket: None,
        }
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

    /// The app's JSAPI ticket: the same one (extended) while valid, a new one after expiry or after 24 h.
    pub fn issue_jsapi_ticket(&mut self, now_ms: i64) -> String {
        if let Some(t) = &mut self.jsapi_ticket
            && t.expires_ms > now_ms
            && now_ms - t.created_ms < JSAPI_TICKET_MAX_MS
        {
            t.expires_ms = (now_ms + TOKEN_TTL_MS).min(t.created_ms + JSAPI_TICKET_MAX_MS);
            return t.ticket.clone();
        }
        let ticket = random_string(64);
        self.jsapi_ticket =
            Some(JsapiTicket { ticket: ticket.clone(), created_ms: now_ms, expires_ms: now_ms + TOKEN_TTL_MS });
        ticket
    }

    /// The app's current, unexpired JSAPI ticket, if one was issued.
    pub fn current_jsapi_ticket(&self, now_ms: i64) -> Option<&str> {
        self.jsapi_ticket.as_ref().filter(|t| t.expires_ms > now_ms).map(|t| t.ticket.as_str())
    }

    /// Whether `ticket` is the app's current, unexpired JSAPI ticket (for checking `dd.config` signatures).
    pub fn jsapi_ticket_valid(&self, ticket: &str, now_ms: i64) -> bool {
        self.jsapi_ticket.as_ref().is_some_and(|t| t.ticket == ticket && t.expires_ms > now_ms)
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
        mint(&mut self.codes, user_id, now_ms)
    }

    /// Exchanges a free-login code for its userid, once.
    pub fn redeem_auth_code(&mut self, code: &str, now_ms: i64) -> Result<String, CodeProblem> {
        redeem(&mut self.codes, code, now_ms)
    }

    /// Mints the `authCode` DingTalk's OAuth login page hands the redirect URI.
    pub fn mint_oauth_code(&mut self, user_id: &str, now_ms: i64) -> String {
        mint(&mut self.oauth_codes, user_id, now_ms)
    }

    /// Exchanges an OAuth code for a user access token (and a refresh token), once.
    pub fn redeem_oauth_code(&mut self, code: &str, now_ms: i64) -> Result<(String, String), CodeProblem> {
        let user_id = redeem(&mut self.oauth_codes, code, now_ms)?;
        let token = random_string(32).to_lowercase();
        self.user_tokens.insert(token.clone(), (user_id, now_ms + USER_TOKEN_TTL_MS));
        Ok((token, random_string(32).to_lowercase()))
    }

    /// The userid behind a user access token.
    pub fn user_for_token(&self, token: &str, now_ms: i64) -> Result<&str, TokenProblem> {
        match self.user_tokens.get(token) {
            None => Err(TokenProblem::Unknown),
            Some((_, expires)) if *expires <= now_ms => Err(TokenProblem::Expired),
            Some((user_id, _)) => Ok(user_id),
        }
    }
}

fn mint(codes: &mut HashMap<String, AuthCode>, user_id: &str, now_ms: i64) -> String {
    let code = random_string(32);
    let entry = AuthCode { user_id: user_id.to_owned(), expires_at_ms: now_ms + AUTH_CODE_TTL_MS, used: false };
    codes.insert(code.clone(), entry);
    code
}

fn redeem(codes: &mut HashMap<String, AuthCode>, code: &str, now_ms: i64) -> Result<String, CodeProblem> {
    let entry = codes.get_mut(code).ok_or(CodeProblem::Unknown)?;
    if entry.used {
        return Err(CodeProblem::Used);
    }
    if entry.expires_at_ms <= now_ms {
        return Err(CodeProblem::Expired);
    }
    entry.used = true;
    Ok(entry.user_id.clone())
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

    #[test]
    fn an_oauth_code_gives_one_user_token_and_free_login_codes_are_not_oauth_codes() {
        let mut state = State::new(Org::seed());
        let free_login = state.mint_auth_code("zhangsan", 0);
        assert_eq!(state.redeem_oauth_code(&free_login, 0), Err(CodeProblem::Unknown));
        let code = state.mint_oauth_code("zhangsan", 0);
        let (token, _) = state.redeem_oauth_code(&code, 10).unwrap();
        assert_eq!(state.redeem_oauth_code(&code, 20), Err(CodeProblem::Used));
        assert_eq!(state.user_for_token(&token, 20), Ok("zhangsan"));
        assert_eq!(state.user_for_token(&token, USER_TOKEN_TTL_MS + 10), Err(TokenProblem::Expired));
    }
}
