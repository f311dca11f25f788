//! The browser's client for shenpi's `/api`: one struct, one private `send()` that adds the session and turns a
//! non-2xx answer into the server's [`ApiError`].

use api_types::{ApiError, AppConfig, AuthCodeLogin, OAuthLogin, Session, User};
use gloo_net::http::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::errors::Failure;

/// A client for the server the page came from.
#[derive(Debug, Clone, Default)]
pub struct Api {
    token: Option<String>,
}

impl Api {
    /// A client without a session, for config and login.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// A client that sends `token` as its bearer.
    pub fn with_token(token: impl Into<String>) -> Self {
        Self { token: Some(token.into()) }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, Failure> {
        let mut builder = RequestBuilder::new(path).method(method).header("accept", "application/json");
        if let Some(token) = &self.token {
            builder = builder.header("authorization", &format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => builder.json(body),
            None => builder.build(),
        }
        .map_err(|e| Failure::Network(e.to_string()))?;
        let response = request.send().await.map_err(|e| Failure::Network(e.to_string()))?;
        if response.ok() {
            return response.json().await.map_err(|e| Failure::Network(format!("unreadable answer: {e}")));
        }
        let status = response.status();
        match response.json::<ApiError>().await {
            Ok(error) => Err(Failure::Api(error)),
            Err(_) => Err(Failure::Network(format!("HTTP {status} from {path}"))),
        }
    }

    /// `GET /api/config`.
    pub async fn config(&self) -> Result<AppConfig, Failure> {
        self.send(Method::GET, "/api/config", None::<&()>).await
    }

    /// `GET /api/me`: who the session belongs to.
    pub async fn me(&self) -> Result<User, Failure> {
        self.send(Method::GET, "/api/me", None::<&()>).await
    }

    /// `POST /api/session/oauth` with the `authCode` of DingTalk's web login.
    pub async fn login_oauth(&self, auth_code: String) -> Result<Session, Failure> {
        self.send(Method::POST, "/api/session/oauth", Some(&OAuthLogin { auth_code })).await
    }

    /// `POST /api/session` with a JSAPI free-login code.
    pub async fn login(&self, auth_code: String) -> Result<Session, Failure> {
        self.send(Method::POST, "/api/session", Some(&AuthCodeLogin { auth_code })).await
    }
}
