//! DingTalk Drive's storage API (`storage_1.0`) for a server-side upload into a user's approval space: ask for an
//! upload URL, PUT the bytes there, commit. Committed files land in the engine's approval spaces, the same ones
//! `biz.util.uploadAttachment` fills, so a form's `DDAttachment` and the download link work for both.
//!
//! The three steps, with what is verified (the official SDK `alibabacloud-dingtalk`, `storage_1_0`: paths, the
//! query's `unionId`, the body and answer field names) and what is the emulator's reading (marked *inferred*):
//! 1. `POST /v1.0/storage/spaces/{spaceId}/files/uploadInfos/query?unionId=U` with `{protocol: "HEADER_SIGNATURE",
//!    multipart: false, option: {storageDriver, preCheckParam: {name, size, parentId, md5}, preferIntranet}}` →
//!    `{uploadKey, protocol, storageDriver, headerSignatureInfo: {resourceUrls, internalResourceUrls, headers,
//!    expirationSeconds, region}}` (not wrapped in `result`).
//! 2. `PUT resourceUrls[0]` with `headerSignatureInfo.headers` and the bytes. Real DingTalk hands out an OSS URL;
//!    here it is `PUT /_emulator/oss/{uploadKey}` on the emulator's own host.
//! 3. `POST /v1.0/storage/spaces/{spaceId}/files/commit?unionId=U` with `{uploadKey, name, parentId, option: {size,
//!    conflictStrategy}}` → `{dentry: {id, spaceId, parentId, type, name, size, extension, ...}}`.
//!
//! *Inferred*: only the space's owner may upload into an approval space (DingTalk grants the person access when the
//! app reads their space); only `HEADER_SIGNATURE` without multipart is emulated; the URL lives 15 minutes; the
//! commit refuses bytes that never came or differ from the announced size; the error codes (`spaceNotExist`,
//! `noPermission`, `invalidUploadKey`, `fileSizeMismatch`, `userNotExist`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::control::control_error;
use crate::engine::StagedUpload;
use crate::state::Shared;
use crate::workflow::{AppCall, Body, Fail, Params, bad, missing, required_str};

/// How long an upload URL works.
const UPLOAD_URL_TTL_MS: i64 = 15 * 60_000;
/// The largest file the emulated bucket takes.
const MAX_OBJECT: usize = 100 * 1024 * 1024;

/// The storage routes on DingTalk's v1.0 host.
pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1.0/storage/spaces/{space_id}/files/uploadInfos/query", post(upload_info))
        .route("/v1.0/storage/spaces/{space_id}/files/commit", post(commit))
}

/// The emulated OSS bucket the upload URLs point at (not a DingTalk API, so outside the rate limits).
pub fn bucket_routes() -> Router<Arc<Shared>> {
    Router::new().route("/_emulator/oss/{upload_key}", put(put_object).layer(DefaultBodyLimit::max(MAX_OBJECT)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UnionQuery {
    union_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadInfoRequest {
    protocol: Option<String>,
    #[serde(default)]
    multipart: bool,
    option: Option<UploadOption>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadOption {
    pre_check_param: Option<PreCheck>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PreCheck {
    name: Option<String>,
    size: Option<i64>,
}

/// The owner of `space_id` if `union_id` names them; the refusal otherwise.
fn uploader(shared: &Shared, space_id: &str, union_id: Option<String>) -> Result<String, Fail> {
    let union_id = required_str(union_id, "unionId")?;
    let state = shared.lock();
    let user = state
        .org
        .users
        .iter()
        .find(|u| u.union_id == union_id && u.active)
        .ok_or_else(|| bad("userNotExist", format!("unionId {union_id} 不是本组织成员")))?;
    let owner = state.approvals.space_owner(space_id).ok_or_else(|| bad("spaceNotExist", "空间不存在"))?;
    if owner != user.user_id {
        return Err(bad("noPermission", "没有该空间的上传权限"));
    }
    Ok(user.user_id.clone())
}

/// `POST /v1.0/storage/spaces/{spaceId}/files/uploadInfos/query`: an upload URL and key for one file.
async fn upload_info(
    State(shared): State<Arc<Shared>>,
    _: AppCall,
    Path(space_id): Path<String>,
    Params(query): Params<UnionQuery>,
    headers: HeaderMap,
    Body(req): Body<UploadInfoRequest>,
) -> Response {
    let inner = || -> Result<Value, Fail> {
        let user_id = uploader(&shared, &space_id, query.union_id)?;
        let protocol = required_str(req.protocol, "protocol")?;
        if protocol != "HEADER_SIGNATURE" || req.multipart {
            return Err(bad("invalidParameter", "只支持 HEADER_SIGNATURE 单次上传"));
        }
        let check = req.option.and_then(|o| o.pre_check_param).ok_or_else(|| missing("option.preCheckParam"))?;
        let name = required_str(check.name, "option.preCheckParam.name")?;
        let size = check.size.filter(|s| *s >= 0).ok_or_else(|| missing("option.preCheckParam.size"))?;
        let now = shared.clock.now_ms();
        let key = shared.lock().approvals.stage(StagedUpload {
            space_id: space_id.clone(),
            user_id,
            name,
            size,
            received: None,
            expires_ms: now + UPLOAD_URL_TTL_MS,
        });
        let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
        Ok(json!({
            "protocol": "HEADER_SIGNATURE",
            "storageDriver": "DINGTALK",
            "uploadKey": key,
            "headerSignatureInfo": {
                "resourceUrls": [format!("http://{host}/_emulator/oss/{key}")],
                "internalResourceUrls": [],
                "headers": { "Authorization": signature(&key), "x-oss-date": now.to_string() },
                "expirationSeconds": UPLOAD_URL_TTL_MS / 1000,
                "region": "ZHANGJIAKOU",
            },
        }))
    };
    inner().map(|v| Json(v).into_response()).unwrap_or_else(IntoResponse::into_response)
}

/// The `Authorization` header the PUT must carry for `key`.
fn signature(key: &str) -> String {
    format!("OSS emulator:{key}")
}

/// `PUT /_emulator/oss/{uploadKey}`: the bytes, as OSS takes them (403 for a wrong signature or a dead URL).
async fn put_object(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = shared.clock.now_ms();
    let mut state = shared.lock();
    let Some(staged) = state.approvals.staged(&key) else {
        return control_error(StatusCode::NOT_FOUND, "NoSuchUpload", "no such upload");
    };
    let signed = headers.get("authorization").and_then(|h| h.to_str().ok()) == Some(signature(&key).as_str());
    if !signed || staged.expires_ms < now {
        return control_error(StatusCode::FORBIDDEN, "AccessDenied", "bad signature or expired URL");
    }
    staged.received = Some(body.len() as i64);
    StatusCode::OK.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommitRequest {
    upload_key: Option<String>,
    name: Option<String>,
    parent_id: Option<String>,
    option: Option<CommitOption>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommitOption {
    size: Option<i64>,
}

/// `POST /v1.0/storage/spaces/{spaceId}/files/commit`: the uploaded bytes become a file in the space.
async fn commit(
    State(shared): State<Arc<Shared>>,
    _: AppCall,
    Path(space_id): Path<String>,
    Params(query): Params<UnionQuery>,
    Body(req): Body<CommitRequest>,
) -> Response {
    let inner = || -> Result<Value, Fail> {
        let user_id = uploader(&shared, &space_id, query.union_id)?;
        let key = required_str(req.upload_key, "uploadKey")?;
        let name = required_str(req.name, "name")?;
        let parent_id = required_str(req.parent_id, "parentId")?;
        let mut state = shared.lock();
        let staged = state
            .approvals
            .staged(&key)
            .filter(|s| s.space_id == space_id && s.user_id == user_id)
            .cloned()
            .ok_or_else(|| bad("invalidUploadKey", "uploadKey 无效"))?;
        let size = staged.received.ok_or_else(|| bad("invalidUploadKey", "文件尚未上传"))?;
        if size != staged.size || req.option.and_then(|o| o.size).is_some_and(|s| s != size) {
            return Err(bad("fileSizeMismatch", "文件大小与声明不符"));
        }
        state.approvals.unstage(&key);
        let extension = name.rsplit_once('.').map(|(_, ext)| ext.to_lowercase()).unwrap_or_default();
        let file = state.approvals.upload(&user_id, &name, size, &extension);
        let union_id = state.org.user(&user_id).map(|u| u.union_id.clone()).unwrap_or_default();
        let now = crate::workflow::v1_time(shared.clock.now_ms());
        Ok(json!({ "dentry": {
            "id": file.file_id,
            "uuid": format!("emu-dentry-{}", file.file_id),
            "spaceId": file.space_id,
            "parentId": parent_id,
            "type": "FILE",
            "name": file.file_name,
            "size": file.file_size,
            "path": format!("/{}", file.file_name),
            "version": 1,
            "status": "NORMAL",
            "extension": file.file_type,
            "creatorId": union_id,
            "modifierId": union_id,
            "createTime": now,
            "modifiedTime": now,
            "partitionType": "PUBLIC_OSS_PARTITION",
            "storageDriver": "DINGTALK",
            "appProperties": HashMap::<String, Value>::new(),
        }}))
    };
    inner().map(|v| Json(v).into_response()).unwrap_or_else(IntoResponse::into_response)
}
