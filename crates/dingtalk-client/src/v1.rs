//! Calls to the v1.0 host: JSON in and out, the token in `x-acs-dingtalk-access-token`, and errors as an HTTP
//! status with `{code, message, requestid}` (server-api.md §1.2), turned into [`Error::Api`]. Calls made with the app
//! token get one retry with a fresh token when DingTalk refuses it.

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{DingTalk, Error, Result};

/// Query parameters of a v1.0 GET, in order.
pub(crate) type Query<'a> = &'a [(&'a str, String)];

impl DingTalk {
    /// Sends a v1.0 request with the app token and decodes a 2xx body as `T`.
    pub(crate) async fn v1_app<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: Query<'_>,
        body: Option<&impl Serialize>,
    ) -> Result<T> {
        self.with_app_token(path, |token| {
            let method = method.clone();
            async move { self.v1_send(method, path, Some(&token), query, body).await }
        })
        .await
    }

    /// Sends a v1.0 request with `token` (an app or a user token) and decodes a 2xx body as `T`.
    pub(crate) async fn v1_send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        query: Query<'_>,
        body: Option<&impl Serialize>,
    ) -> Result<T> {
        let mut request = self
            .inner
            .http
            .request(method, format!("{}{path}", self.inner.api_url))
            .header("accept", "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(token) = token {
            request = request.header("x-acs-dingtalk-access-token", token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let answer = self.execute(request.build()?).await?;
        if answer.status.is_success() {
            return Error::decode(&answer.body);
        }
        Err(v1_error(answer.status.as_u16(), &answer.body, answer.request_id))
    }
}

/// The [`Error::Api`] for a non-2xx v1.0 answer; field names in either case, as the official gateway reads them.
fn v1_error(status: u16, body: &str, header_request_id: Option<String>) -> Error {
    let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let text = |keys: &[&str]| keys.iter().find_map(|k| value.get(*k).and_then(Value::as_str)).map(str::to_owned);
    match text(&["code", "Code"]) {
        Some(code) => Error::Api {
            code,
            message: text(&["message", "Message"]).unwrap_or_default(),
            request_id: text(&["requestid", "RequestId", "requestId"]).or(header_request_id),
        },
        None => Error::Api {
            code: format!("http{status}"),
            message: body.chars().take(200).collect(),
            request_id: header_request_id,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_keeps_code_message_and_request_id() {
        let body = r#"{"code":"InvalidAuthentication","requestid":"30EE","message":"不合法的access_token"}"#;
        match v1_error(400, body, None) {
            Error::Api { code, message, request_id } => {
                assert_eq!(code, "InvalidAuthentication");
                assert_eq!(message, "不合法的access_token");
                assert_eq!(request_id.as_deref(), Some("30EE"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_body_without_code_still_becomes_an_api_error_with_the_status() {
        assert_eq!(v1_error(503, "<html>busy</html>", Some("r1".into())).api_code(), Some("http503"));
    }
}
