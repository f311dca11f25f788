//! Attachments: the caller's approval space (`GET /api/attachments/space`, where the JSAPI uploads), the browser's
//! fallback upload (`POST /api/attachments`, answering a [`crate::form::Attachment`]) and a download link for a file
//! on an instance (`GET /api/instances/{id}/files/{fileId}`).

use serde::{Deserialize, Serialize};

/// The header naming the uploaded file on `POST /api/attachments`: its name, percent-encoded as UTF-8 (what
/// `encodeURIComponent` gives), since header values are ASCII.
pub const FILE_NAME_HEADER: &str = "X-File-Name";

/// The largest file `POST /api/attachments` takes, in bytes (20 MiB); a larger one is `payload_too_large`.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// `GET /api/attachments/space`: the caller's approval space, for `biz.util.uploadAttachment`'s `spaceId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AttachmentSpace {
    /// DingTalk's space id (digits, as text).
    pub space_id: String,
}

/// `GET /api/instances/{id}/files/{fileId}`: where to fetch a file attached to the instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FileLink {
    /// DingTalk's download link; short-lived, so fetch it when the person opens the file.
    pub url: String,
    /// The file's id.
    pub file_id: String,
}
