//! Attachments: the caller's approval space (`GET /api/attachments/space`, for the JSAPI's `uploadAttachment`), the
//! browser's fallback upload outside DingTalk (`POST /api/attachments`: the server stores the file in the caller's
//! approval space through DingTalk Drive's storage API and answers the form's `Attachment`), and a download link for
//! a file on an instance (`GET /api/instances/{id}/files/{fileId}`).
//!
//! The space id and the person's unionId (the storage API names people by unionId) are cached in memory per user:
//! neither changes. The upload asks DingTalk for the space again anyway (one call, then cached), because community
//! code reports that reading the space is what grants the person upload rights to it for a while (unverified);
//! `GET /api/attachments/space` answers from the cache.
//!
//! The upload is the file's raw bytes as the body (not multipart: the browser sends a `File` as it is, streaming,
//! without a form encoder) with its name in `X-File-Name`, percent-encoded UTF-8. At most
//! [`MAX_UPLOAD_BYTES`] (20 MiB, `payload_too_large` beyond); an empty file is `bad_request`.
//!
//! The download link follows the detail's rule (only the originator, approvers and those copied see an instance,
//! anyone else gets `not_found`), and the file must be on that instance: in a `DDAttachment` value of its form or
//! attached to one of its records (an action or a comment). It is a GET: it only reads, and asking twice is
//! harmless; the answer is JSON, not a redirect, because the app opens the link itself (with the JSAPI in DingTalk)
//! and a redirect would not carry the session header anyway.

use std::collections::HashMap;
use std::sync::Mutex;

use api_types::attachments::{FILE_NAME_HEADER, MAX_UPLOAD_BYTES};
use api_types::form::Attachment;
use api_types::{ApiError, AttachmentSpace, FileLink};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use dingtalk_client::workflow::{self as wf, DownloadFile};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::actions::participant_view;
use crate::auth::CurrentUser;
use crate::error::{AppError, Json};

/// The longest file name taken, in characters.
const MAX_NAME: usize = 200;

/// The routes of this module; the upload alone takes bodies up to [`MAX_UPLOAD_BYTES`].
pub fn router() -> OpenApiRouter<AppState> {
    let upload = OpenApiRouter::new().routes(routes!(upload)).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES));
    OpenApiRouter::new().routes(routes!(space)).routes(routes!(file_link)).merge(upload)
}

/// What is cached per user: their approval space and unionId.
#[derive(Debug, Default)]
pub struct Spaces {
    spaces: Mutex<HashMap<String, String>>,
    union_ids: Mutex<HashMap<String, String>>,
}

impl Spaces {
    /// `user_id`'s approval space: from the cache, or from DingTalk (always, when `fresh`).
    async fn space(&self, state: &AppState, user_id: &str, fresh: bool) -> Result<String, AppError> {
        if !fresh && let Some(space) = lock(&self.spaces).get(user_id) {
            return Ok(space.clone());
        }
        let agent_id = state.settings.agent_id.parse::<i64>().ok();
        let space = state.dingtalk.workflow().attachment_space(user_id, agent_id).await?.to_string();
        lock(&self.spaces).insert(user_id.to_owned(), space.clone());
        Ok(space)
    }

    /// `user_id`'s unionId: from the cache, or from their profile.
    async fn union_id(&self, state: &AppState, user_id: &str) -> Result<String, AppError> {
        if let Some(union_id) = lock(&self.union_ids).get(user_id) {
            return Ok(union_id.clone());
        }
        let union_id = state.dingtalk.user().get(user_id).await?.unionid;
        lock(&self.union_ids).insert(user_id.to_owned(), union_id.clone());
        Ok(union_id)
    }
}

/// A cache map, even after a panic elsewhere poisoned its lock (the map stays consistent: single inserts).
fn lock(map: &Mutex<HashMap<String, String>>) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
    map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `GET /api/attachments/space`: the caller's approval space, where `biz.util.uploadAttachment` uploads.
#[utoipa::path(get, path = "/attachments/space", tag = "attachments", security(("session" = [])), responses(
    (status = 200, body = AttachmentSpace),
    (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
    (status = 502, body = ApiError, description = "`permission_missing` or `ding_talk_rejected`"),
    (status = 503, body = ApiError, description = "DingTalk did not answer"),
))]
pub async fn space(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<AttachmentSpace>, AppError> {
    let space_id = state.attachments.space(&state, &user.user_id, false).await?;
    Ok(Json(AttachmentSpace { space_id }))
}

/// The file's bytes, as they are.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // Only describes the body; the handler reads it as `Bytes`.
struct FileBytes(Vec<u8>);

/// `POST /api/attachments`: stores the body as a file in the caller's approval space; the value for a
/// `DDAttachment` field.
#[utoipa::path(post, path = "/attachments", tag = "attachments", security(("session" = [])),
    params(("X-File-Name" = String, Header, description = "the file's name, percent-encoded UTF-8")),
    request_body(content = inline(FileBytes), content_type = "application/octet-stream", description = "the file, at most 20 MiB"),
    responses(
        (status = 201, body = Attachment),
        (status = 400, body = ApiError, description = "`bad_request`: no or a bad file name, or an empty file"),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 413, body = ApiError, description = "`payload_too_large`: over 20 MiB"),
        (status = 502, body = ApiError, description = "`permission_missing` or `ding_talk_rejected`"),
        (status = 503, body = ApiError, description = "DingTalk did not answer"),
))]
pub async fn upload(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Attachment>), AppError> {
    let name = file_name(&headers)?;
    let bytes = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::BadRequest(e.body_text()),
    })?;
    if bytes.is_empty() {
        return Err(AppError::BadRequest("the file is empty".into()));
    }
    let spaces = &state.attachments;
    let space_id = spaces.space(&state, &user.user_id, true).await?;
    let union_id = spaces.union_id(&state, &user.user_id).await?;
    let file = state.dingtalk.storage().upload(&space_id, &union_id, &name, bytes.to_vec()).await?;
    let file_type = file.extension.filter(|e| !e.is_empty()).unwrap_or_else(|| extension(&file.name));
    tracing::info!(user_id = %user.user_id, file_id = %file.id, size = file.size, "stored an attachment");
    Ok((
        StatusCode::CREATED,
        Json(Attachment {
            space_id: file.space_id,
            file_id: file.id,
            file_name: file.name,
            file_size: u64::try_from(file.size).unwrap_or_default(),
            file_type,
        }),
    ))
}

/// The file name from [`FILE_NAME_HEADER`]: percent-decoded UTF-8, 1 to [`MAX_NAME`] characters, no path
/// separators or control characters.
fn file_name(headers: &HeaderMap) -> Result<String, AppError> {
    let bad = |why: &str| AppError::BadRequest(format!("{FILE_NAME_HEADER} {why}"));
    let raw =
        headers.get(FILE_NAME_HEADER).ok_or_else(|| bad("is missing"))?.to_str().map_err(|_| bad("is not ASCII"))?;
    let name =
        percent_encoding::percent_decode_str(raw).decode_utf8().map_err(|_| bad("is not percent-encoded UTF-8"))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(bad(&format!("must be 1 to {MAX_NAME} characters")));
    }
    if name.chars().any(|c| c.is_control() || c == '/' || c == '\\') || name == "." || name == ".." {
        return Err(bad("must not contain path separators or control characters"));
    }
    Ok(name.to_owned())
}

/// A file name's extension, lower case, without the dot; empty when it has none.
fn extension(name: &str) -> String {
    name.rsplit_once('.').filter(|(stem, _)| !stem.is_empty()).map(|(_, ext)| ext.to_lowercase()).unwrap_or_default()
}

/// `GET /api/instances/{id}/files/{file_id}`: a download link for a file on an instance the caller takes part in.
#[utoipa::path(get, path = "/instances/{id}/files/{file_id}", tag = "instances", security(("session" = [])),
    params(
        ("id" = String, Path, description = "DingTalk's processInstanceId"),
        ("file_id" = String, Path, description = "the file's id in its approval space"),
    ),
    responses(
        (status = 200, body = FileLink),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 404, body = ApiError, description = "`not_found`: no such instance, the caller takes no part in it, or the file is not on it"),
        (status = 502, body = ApiError, description = "`permission_missing` or `ding_talk_rejected`"),
        (status = 503, body = ApiError, description = "DingTalk did not answer"),
))]
pub async fn file_link(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, file_id)): Path<(String, String)>,
) -> Result<Json<FileLink>, AppError> {
    let instance = participant_view(&state, &id, &user.user_id).await?;
    let Some(place) = place_of(&instance, &file_id) else { return Err(AppError::NotFound) };
    let request = DownloadFile {
        process_instance_id: id,
        file_id: file_id.clone(),
        with_comment_attachment: place == Place::Record,
    };
    let link = state.dingtalk.workflow().download_url(&request).await.map_err(|e| match e.api_code() {
        Some("fileNotExist") => AppError::NotFound,
        _ => e.into(),
    })?;
    Ok(Json(FileLink { url: link.download_uri, file_id }))
}

/// Where a file is attached on an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In a `DDAttachment` value of the form.
    Form,
    /// On a record: an action or a comment.
    Record,
}

/// Where `file_id` is attached on `instance`, if it is.
fn place_of(instance: &wf::Instance, file_id: &str) -> Option<Place> {
    let in_form = instance
        .form_component_values
        .iter()
        .filter(|v| v.component_type == Some(wf::ComponentName::DDAttachment))
        .filter_map(|v| serde_json::from_str::<Vec<wf::Attachment>>(&v.value).ok())
        .flatten()
        .any(|a| a.file_id == file_id);
    if in_form {
        return Some(Place::Form);
    }
    let on_record = instance.operation_records.iter().flat_map(|r| &r.attachments).any(|a| a.file_id == file_id);
    on_record.then_some(Place::Record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(FILE_NAME_HEADER, name.parse().unwrap());
        h
    }

    #[test]
    fn file_names_are_percent_decoded_and_checked() {
        assert_eq!(file_name(&headers("%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf")).unwrap(), "报价单.pdf");
        assert_eq!(file_name(&headers("plain.txt")).unwrap(), "plain.txt");
        for bad in ["", "%20", "a%2Fb", "..", "a%00b", "%FF"] {
            assert!(file_name(&headers(bad)).is_err(), "{bad}");
        }
        assert!(file_name(&HeaderMap::new()).is_err());
        assert!(file_name(&headers(&"x".repeat(MAX_NAME + 1))).is_err());
    }

    #[test]
    fn extensions_are_lower_case_and_need_a_stem() {
        assert_eq!(extension("A.PDF"), "pdf");
        assert_eq!(extension("archive.tar.gz"), "gz");
        assert_eq!(extension(".bashrc"), "");
        assert_eq!(extension("README"), "");
    }
}
