//! What the client tells its owner about each request it sends to DingTalk: a [`CallObserver`] set on the builder
//! hears every attempt of both hosts (retries included) as a [`Call`], without tying the client to a metrics
//! backend.
//!
//! Decisions where DingTalk is silent:
//! - One [`Call`] per HTTP request sent. A call the client holds back without sending (an IP ban, or a pause longer
//!   than the call may wait) is not a DingTalk call and is not reported; its caller sees [`crate::Error::Throttled`].
//! - Outcomes: `Ok` is an answer DingTalk meant as success; `ApiError` is DingTalk's refusal in its JSON shape
//!   (legacy `errcode != 0`, a v1.0 non-2xx); `Throttled` is a throttling refusal (including the IP-ban page);
//!   `HttpError` is no answer at all (connection, timeout) or one that is not DingTalk's JSON (a gateway's HTML 5xx).
//! - Whether a call is metered (counts toward the organisation's monthly quota) follows the exempt list of
//!   server-api.md §1.4, the same list the emulator keeps.

use std::time::Duration;

use crate::Throttle;

/// Hears about every request the client sends. Called on the request's task right after the answer is read, so an
/// implementation must be quick and must not block (atomic counters, not I/O).
pub trait CallObserver: Send + Sync + 'static {
    /// One request was sent and its answer (or failure) read.
    fn observe(&self, call: &Call<'_>);
}

/// One request the client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Call<'a> {
    /// The API, named as the client's limiter names it: the method and the path without its query, id-like
    /// segments as `{id}` (`POST /topapi/v2/user/get`, `POST /v1.0/oauth2/{id}/token`).
    pub api: &'a str,
    /// How it ended.
    pub outcome: Outcome,
    /// Whether it counts toward the organisation's monthly quota.
    pub metered: bool,
    /// From sending the request to having read the whole answer (or the failure).
    pub elapsed: Duration,
    /// How long this attempt waited for the client's own rate limiter and throttling pauses before it was sent.
    pub limiter_wait: Duration,
}

/// How one request ended; see the module's notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// DingTalk answered with success.
    Ok,
    /// DingTalk answered with an error of its own (legacy `errcode != 0`, v1.0 non-2xx JSON).
    ApiError,
    /// DingTalk refused the call for throttling.
    Throttled(Throttle),
    /// No answer, or an answer that is not DingTalk's.
    HttpError,
}

impl Outcome {
    /// The outcome's class as a metric label: `ok`, `api_error`, `throttled` or `http_error`.
    pub fn class(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ApiError => "api_error",
            Self::Throttled(_) => "throttled",
            Self::HttpError => "http_error",
        }
    }
}

/// Paths exempt from the monthly quota (server-api.md §1.4: token endpoints, the jsapi ticket, free-login
/// identity, contacts, the user's own profile, opening a Stream connection), with ids as the limiter writes them.
const EXEMPT_PATHS: &[&str] = &[
    "/gettoken",
    "/get_jsapi_ticket",
    "/topapi/v2/user/getuserinfo",
    "/topapi/v2/user/get",
    "/topapi/v2/department/get",
    "/topapi/v2/department/listsub",
    "/topapi/v2/user/list",
    "/topapi/user/getbyunionid",
    "/v1.0/oauth2/accessToken",
    "/v1.0/oauth2/{id}/token",
    "/v1.0/oauth2/userAccessToken",
    "/v1.0/oauth2/jsapiTickets",
    "/v1.0/contact/users/me",
    "/v1.0/gateway/connections/open",
];

/// Whether an API (`METHOD /path`, as the limiter names it) counts toward the monthly quota.
pub fn is_metered(api: &str) -> bool {
    let path = api.split_once(' ').map_or(api, |(_, path)| path);
    !EXEMPT_PATHS.contains(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_tokens_and_contacts_are_exempt_and_approvals_are_metered() {
        for api in ["GET /gettoken", "POST /topapi/v2/user/get", "POST /v1.0/oauth2/{id}/token"] {
            assert!(!is_metered(api), "{api}");
        }
        for api in ["GET /v1.0/workflow/processInstances", "POST /topapi/v2/user/get/extra", "POST /topapi/x"] {
            assert!(is_metered(api), "{api}");
        }
    }

    #[test]
    fn the_exempt_list_is_the_emulators() {
        let ours: Vec<String> = EXEMPT_PATHS.iter().map(|p| p.replace("{id}", "{corpId}")).collect();
        assert_eq!(ours, dingtalk_emulator::limits::EXEMPT_ROUTES);
    }
}
