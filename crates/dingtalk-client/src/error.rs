//! The client's one error type: DingTalk said no (`Api`), DingTalk is holding the app back (`Throttled`), its
//! answer made no sense (`Decode`), or the network failed (`Http`, `WebSocket`).

use std::time::Duration;

use crate::Throttle;

/// Everything a DingTalk call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// DingTalk answered with an error: a legacy `errcode != 0` (code is the number as text, e.g. `"40078"`) or a
    /// v1.0 non-2xx body (code is DingTalk's string, e.g. `"InvalidAuthentication"`).
    #[error("DingTalk error {code}: {message}")]
    Api {
        /// DingTalk's error code.
        code: String,
        /// DingTalk's message, usually Chinese.
        message: String,
        /// DingTalk's request id, for support tickets.
        request_id: Option<String>,
    },
    /// DingTalk throttled the call and the client gave up waiting, or did not send it at all (during an IP ban, a
    /// pause longer than the call may wait, or when the monthly quota is used up). Try again after `retry_after`.
    #[error("DingTalk is throttling calls ({kind}); retry after {retry_after:?}")]
    Throttled {
        /// Which limit.
        kind: Throttle,
        /// How long until the limit should have passed (for the monthly quota: the next month in UTC+8).
        retry_after: Duration,
    },
    /// The answer was not what DingTalk documents; `path` is where decoding stopped and `body` what came.
    #[error("cannot decode DingTalk's answer at `{path}`: {message}")]
    Decode {
        /// The JSON path that failed, e.g. `result.dept_id_list[0]`.
        path: String,
        /// What serde said.
        message: String,
        /// The raw body, for the log.
        body: String,
    },
    /// The request did not get an answer: connection, TLS or timeout.
    #[error("DingTalk request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The Stream-mode WebSocket could not be opened or failed.
    #[error("DingTalk Stream connection failed: {0}")]
    WebSocket(Box<tokio_tungstenite::tungstenite::Error>),
    /// The client was built with an unusable setting.
    #[error("invalid DingTalk client configuration: {0}")]
    Config(String),
}

impl Error {
    /// DingTalk's error code, when DingTalk answered with one.
    pub fn api_code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the error means the access token must be fetched again (server-api.md §1.3: 33001, 40001, 42001,
    /// 40014 on the legacy host; `InvalidAuthentication` on the new one).
    pub fn is_token_error(&self) -> bool {
        matches!(self.api_code(), Some("33001" | "40001" | "42001" | "40014" | "InvalidAuthentication"))
    }

    /// Decodes `body` as `T`, keeping the failing path and the body on error.
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, Error> {
        let de = &mut serde_json::Deserializer::from_str(body);
        serde_path_to_error::deserialize(de).map_err(|e| Error::Decode {
            path: e.path().to_string(),
            message: e.inner().to_string(),
            body: body.to_owned(),
        })
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
