//! Calls to the legacy host: `?access_token=` on the URL, JSON bodies, and the `errcode` envelope turned into
//! [`Error::Api`]. A token error gets one retry with a fresh token.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{DingTalk, Error, Result};

impl DingTalk {
    /// POSTs `body` to `path` on the legacy host and decodes the envelope's payload as `T`.
    pub(crate) async fn legacy_post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T> {
        self.with_app_token(path, |token| async move { self.legacy_send(path, &token, body).await }).await
    }

    async fn legacy_send<T: DeserializeOwned>(&self, path: &str, token: &str, body: &impl Serialize) -> Result<T> {
        let request =
            self.inner.http.post(format!("{}{path}", self.inner.oapi_url)).query(&[("access_token", token)]).json(body);
        let answer = self.execute(request.build()?).await?;
        check_envelope(&answer.body)?;
        Error::decode(&answer.body)
    }
}

/// Turns a legacy envelope with `errcode != 0` into [`Error::Api`]. `errcode` may be a number or a numeric string;
/// errcode 88 carries the real cause in `sub_code`/`sub_msg`.
pub(crate) fn check_envelope(body: &str) -> Result<()> {
    let value: Value = Error::decode(body)?;
    let code = match value.get("errcode") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_owned(),
        _ => {
            return Err(Error::Decode { path: "errcode".into(), message: "missing errcode".into(), body: body.into() });
        }
    };
    if code == "0" {
        return Ok(());
    }
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let (code, message) = match (code.as_str(), text("sub_code")) {
        ("88", Some(sub_code)) => (sub_code, text("sub_msg").or_else(|| text("errmsg")).unwrap_or_default()),
        _ => (code, text("errmsg").unwrap_or_default()),
    };
    Err(Error::Api { code, message, request_id: text("request_id") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errcode_zero_as_number_or_string_is_success() {
        assert!(check_envelope(r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert!(check_envelope(r#"{"errcode":"0","errmsg":"ok"}"#).is_ok());
    }

    #[test]
    fn nonzero_errcode_becomes_api_error_with_request_id() {
        let err = check_envelope(r#"{"errcode":40078,"errmsg":"不存在的临时授权码","request_id":"abc"}"#).unwrap_err();
        match err {
            Error::Api { code, message, request_id } => {
                assert_eq!(code, "40078");
                assert_eq!(message, "不存在的临时授权码");
                assert_eq!(request_id.as_deref(), Some("abc"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn errcode_88_reports_the_sub_code() {
        let err =
            check_envelope(r#"{"errcode":88,"errmsg":"ding talk error","sub_code":"60011","sub_msg":"没有权限"}"#)
                .unwrap_err();
        assert_eq!(err.api_code(), Some("60011"));
    }

    #[test]
    fn an_html_ban_page_is_a_decode_error_keeping_the_body() {
        match check_envelope("<html>denied</html>").unwrap_err() {
            Error::Decode { body, .. } => assert!(body.contains("denied")),
            other => panic!("unexpected {other:?}"),
        }
    }
}
