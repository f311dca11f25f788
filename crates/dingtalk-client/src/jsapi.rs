//! What the server gives the page for `dd.config`: the app's JSAPI ticket (server-api.md §4), cached like the
//! access token, and the signature over ticket, nonce, timestamp and page URL (jsapi.md §3.1).
//!
//! DingTalk's documents disagree on two points, so both are the caller's choice: the digest ([`Digest::Sha1`] in
//! older documents and most code, [`Digest::Sha256`] in the current official sample) and the URL
//! ([`UrlForm::Raw`] as the page has it, or [`UrlForm::QueryDecoded`] as the current official sample signs it).
//!
//! ```
//! use dingtalk_client::jsapi::{Digest, UrlForm, sign};
//! let url = "https://app.example.com/approvals/index.html?corpId=ding123&next=%2Ftodo#/detail";
//! let signature = sign("TICKET123", "abcdefg", 1_700_000_000_000, url, Digest::Sha1, UrlForm::Raw);
//! assert_eq!(signature, "b3219efdfe8c5dbb2ce0598c6f7ccdbfaa5773cb");
//! ```

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use sha1::Digest as _;

use crate::token::Fresh;
use crate::{DingTalk, Result};

/// Calls about the JSAPI; get it with [`DingTalk::jsapi`].
pub struct JsapiHandler<'a> {
    dt: &'a DingTalk,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TicketResponse {
    jsapi_ticket: String,
    expire_in: u64,
}

impl<'a> JsapiHandler<'a> {
    pub(crate) fn new(dt: &'a DingTalk) -> Self {
        Self { dt }
    }

    /// The app's JSAPI ticket (`POST /v1.0/oauth2/jsapiTickets`), from the cache or freshly fetched; it is
    /// refreshed ahead of its expiry, and callers arriving during a fetch wait for that one request.
    pub async fn ticket(&self) -> Result<String> {
        let dt = self.dt;
        dt.inner
            .jsapi_tickets
            .get_or_fetch(|| async move {
                tracing::debug!("fetching DingTalk JSAPI ticket");
                let path = "/v1.0/oauth2/jsapiTickets";
                let answer: TicketResponse = dt.v1_app(Method::POST, path, &[], None::<&()>).await?;
                Ok(Fresh { value: answer.jsapi_ticket, lifetime: Duration::from_secs(answer.expire_in) })
            })
            .await
    }
}

/// The hash behind a `dd.config` signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Digest {
    /// SHA-1, 40 hex digits: older official documents, the community SDKs.
    Sha1,
    /// SHA-256, 64 hex digits: the current official sample.
    Sha256,
}

/// Which form of the page URL is signed. Either way the `#fragment` is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UrlForm {
    /// The URL as the page has it (`location.href` without the fragment), not re-encoded.
    Raw,
    /// The query part percent-decoded (and `+` read as a space) as Java's `URLDecoder` does in DingTalk's current
    /// official sample, which says iOS passes the URL encoded and Android raw.
    QueryDecoded,
}

/// The `dd.config` signature: the lower-case hex digest of
/// `jsapi_ticket=<ticket>&noncestr=<nonce>&timestamp=<timestamp>&url=<url>` (jsapi.md §3.1). `timestamp` is the
/// `timeStamp` the page passes to `dd.config` (milliseconds in DingTalk's samples), `url` the page's URL.
pub fn sign(ticket: &str, nonce: &str, timestamp: u64, url: &str, digest: Digest, form: UrlForm) -> String {
    let url = signed_url(url, form);
    let plain = format!("jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url}");
    match digest {
        Digest::Sha1 => hex::encode(sha1::Sha1::digest(plain.as_bytes())),
        Digest::Sha256 => hex::encode(sha2::Sha256::digest(plain.as_bytes())),
    }
}

/// The URL as it goes into the signed text.
fn signed_url(url: &str, form: UrlForm) -> String {
    let url = url.split_once('#').map_or(url, |(before, _)| before);
    match (form, url.split_once('?')) {
        (UrlForm::QueryDecoded, Some((page, query))) => {
            let query = query.replace('+', " ");
            format!("{page}?{}", percent_encoding::percent_decode_str(&query).decode_utf8_lossy())
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://app.example.com/approvals/index.html?corpId=ding123&next=%2Ftodo";

    fn vector(digest: Digest, form: UrlForm) -> String {
        sign("TICKET123", "abcdefg", 1_700_000_000_000, URL, digest, form)
    }

    #[test]
    fn the_four_test_vectors_of_jsapi_md_are_reproduced() {
        assert_eq!(vector(Digest::Sha1, UrlForm::Raw), "b3219efdfe8c5dbb2ce0598c6f7ccdbfaa5773cb");
        assert_eq!(
            vector(Digest::Sha256, UrlForm::Raw),
            "b1cd6fca643cb977e210a60103da87e75a66807e78d06a9a4412d1b8d472c7ea"
        );
        assert_eq!(vector(Digest::Sha1, UrlForm::QueryDecoded), "3c905b3dc88f6a4b99b27b562b8b8b336637fc38");
        assert_eq!(
            vector(Digest::Sha256, UrlForm::QueryDecoded),
            "84f84b0b38d3ac9aa6d1b6cad14b7958d0b838bc3f22b18a7be64437c94f2958"
        );
    }

    #[test]
    fn the_fragment_is_not_signed() {
        let with_fragment = format!("{URL}#/approvals/42?tab=todo");
        for form in [UrlForm::Raw, UrlForm::QueryDecoded] {
            let signed = sign("TICKET123", "abcdefg", 1_700_000_000_000, &with_fragment, Digest::Sha1, form);
            assert_eq!(signed, vector(Digest::Sha1, form));
        }
    }

    #[test]
    fn decoding_touches_only_the_query() {
        assert_eq!(signed_url("https://h/a%20b?x=%E5%AE%A1+%2B", UrlForm::QueryDecoded), "https://h/a%20b?x=审 +");
        assert_eq!(signed_url("https://h/a%20b", UrlForm::QueryDecoded), "https://h/a%20b");
        assert_eq!(signed_url("https://h/?x=%2F", UrlForm::Raw), "https://h/?x=%2F");
    }
}
