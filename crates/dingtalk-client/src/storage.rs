//! DingTalk Drive's storage API (`storage_1.0`), as far as a server-side upload into a space needs it: the upload
//! URL (`uploadInfos/query`), the PUT of the bytes to it, and the commit that makes them a file.
//!
//! Verified against the official SDK (`alibabacloud-dingtalk`, module `storage_1_0`): the two paths, `unionId` as a
//! query parameter of both, the field names of the requests and answers (`uploadKey`, `headerSignatureInfo
//! {resourceUrls, headers, expirationSeconds}`, `dentry {id, spaceId, name, size, extension}`), and that neither
//! answer is wrapped in `result`. Not verified: that an approval space (from `spaces/infos/query`) takes uploads
//! through this API with the person's unionId — community code does exactly this for approval attachments, but no
//! official page says so — and which error codes DingTalk uses for a space the person may not write to.
//!
//! ```no_run
//! # async fn demo(dt: dingtalk_client::DingTalk) -> dingtalk_client::Result<()> {
//! let file = dt.storage().upload("20000000001", "union-1", "quote.pdf", b"%PDF-1.7".to_vec()).await?;
//! println!("{} is {}", file.name, file.id);
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::{DingTalk, Error, Result, wire};

/// Calls of the storage API; get it with [`DingTalk::storage`].
pub struct StorageHandler<'a> {
    dt: &'a DingTalk,
}

/// Where to PUT a file's bytes, from `uploadInfos/query`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadInfo {
    /// The key the commit names.
    pub upload_key: String,
    /// The signed URLs and headers.
    pub header_signature_info: HeaderSignatureInfo,
}

/// A signed upload: PUT to the first URL with these headers.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeaderSignatureInfo {
    /// Upload URLs, the preferred first.
    #[serde(default)]
    pub resource_urls: Vec<String>,
    /// Headers the PUT must carry.
    #[serde(default)]
    pub headers: HashMap<String, String>,
    /// How long the URL works, in seconds.
    #[serde(default)]
    pub expiration_seconds: Option<i64>,
}

/// A file in a space (DingTalk's `dentry`), as the commit answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dentry {
    /// The file's id (the `fileId` of an approval attachment).
    #[serde(deserialize_with = "wire::text")]
    pub id: String,
    /// Its space.
    #[serde(deserialize_with = "wire::text")]
    pub space_id: String,
    /// Its name (renamed by DingTalk when the space had one like it).
    pub name: String,
    /// Size in bytes.
    #[serde(default, deserialize_with = "wire::int")]
    pub size: i64,
    /// Extension without the dot, e.g. `pdf`.
    #[serde(default)]
    pub extension: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UploadInfoRequest<'a> {
    protocol: &'static str,
    multipart: bool,
    option: UploadOption<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UploadOption<'a> {
    storage_driver: &'static str,
    pre_check_param: PreCheck<'a>,
    prefer_intranet: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PreCheck<'a> {
    name: &'a str,
    size: i64,
    parent_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommitRequest<'a> {
    upload_key: &'a str,
    name: &'a str,
    parent_id: &'static str,
    option: CommitOption,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommitOption {
    size: i64,
    conflict_strategy: &'static str,
}

#[derive(Deserialize)]
struct Committed {
    dentry: Dentry,
}

/// The root folder of a space.
const ROOT: &str = "0";

impl<'a> StorageHandler<'a> {
    pub(crate) fn new(dt: &'a DingTalk) -> Self {
        Self { dt }
    }

    /// Asks where to PUT a file of `size` bytes named `name` into the root of `space_id`, as `union_id`.
    pub async fn upload_info(&self, space_id: &str, union_id: &str, name: &str, size: i64) -> Result<UploadInfo> {
        let body = UploadInfoRequest {
            protocol: "HEADER_SIGNATURE",
            multipart: false,
            option: UploadOption {
                storage_driver: "DINGTALK",
                pre_check_param: PreCheck { name, size, parent_id: ROOT },
                prefer_intranet: false,
            },
        };
        let path = format!("/v1.0/storage/spaces/{}/files/uploadInfos/query", segment(space_id));
        self.dt.v1_app(Method::POST, &path, &[("unionId", union_id.to_owned())], Some(&body)).await
    }

    /// PUTs `bytes` to the first upload URL with its signed headers. The URL is the storage's (OSS), not DingTalk's
    /// API, so the call is outside the API rate limits; a refusal is `Error::Api` with code `http<status>`.
    pub async fn put(&self, info: &UploadInfo, bytes: Vec<u8>) -> Result<()> {
        let sig = &info.header_signature_info;
        let url = sig.resource_urls.first().ok_or_else(|| Error::Decode {
            path: "headerSignatureInfo.resourceUrls".into(),
            message: "no upload URL".into(),
            body: String::new(),
        })?;
        let mut request = self.dt.inner.http.put(url).body(bytes);
        for (name, value) in &sig.headers {
            request = request.header(name, value);
        }
        let answer = request.send().await?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        let body = answer.text().await.unwrap_or_default();
        Err(Error::Api {
            code: format!("http{}", status.as_u16()),
            message: body.chars().take(200).collect(),
            request_id: None,
        })
    }

    /// Makes the bytes PUT under `upload_key` a file named `name` in the root of `space_id`; a name already taken
    /// is renamed by DingTalk (`AUTO_RENAME`).
    pub async fn commit(
        &self,
        space_id: &str,
        union_id: &str,
        upload_key: &str,
        name: &str,
        size: i64,
    ) -> Result<Dentry> {
        let body = CommitRequest {
            upload_key,
            name,
            parent_id: ROOT,
            option: CommitOption { size, conflict_strategy: "AUTO_RENAME" },
        };
        let path = format!("/v1.0/storage/spaces/{}/files/commit", segment(space_id));
        let committed: Committed =
            self.dt.v1_app(Method::POST, &path, &[("unionId", union_id.to_owned())], Some(&body)).await?;
        Ok(committed.dentry)
    }

    /// The three steps at once: a new file named `name` with `bytes` in the root of `space_id`, as `union_id`.
    pub async fn upload(&self, space_id: &str, union_id: &str, name: &str, bytes: Vec<u8>) -> Result<Dentry> {
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let info = self.upload_info(space_id, union_id, name, size).await?;
        self.put(&info, bytes).await?;
        self.commit(space_id, union_id, &info.upload_key, name, size).await
    }
}

/// A space id as a path segment: percent-encoded, so an odd id cannot change the path.
fn segment(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_use_the_sdks_field_names() {
        let body = serde_json::to_value(UploadInfoRequest {
            protocol: "HEADER_SIGNATURE",
            multipart: false,
            option: UploadOption {
                storage_driver: "DINGTALK",
                pre_check_param: PreCheck { name: "a.pdf", size: 3, parent_id: ROOT },
                prefer_intranet: false,
            },
        })
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"protocol":"HEADER_SIGNATURE","multipart":false,"option":{"storageDriver":"DINGTALK",
                "preCheckParam":{"name":"a.pdf","size":3,"parentId":"0"},"preferIntranet":false}})
        );
        let dentry: Committed = serde_json::from_str(
            r#"{"dentry":{"id":123,"spaceId":"456","name":"a.pdf","size":"3","extension":"pdf"}}"#,
        )
        .unwrap();
        assert_eq!((dentry.dentry.id.as_str(), dentry.dentry.space_id.as_str(), dentry.dentry.size), ("123", "456", 3));
    }
}
