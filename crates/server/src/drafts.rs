//! `/api/drafts`: the forms a user started and has not submitted, kept on the server so that a draft begun on the
//! phone opens on the PC. Ids come from the app (it saves offline-first); saves carry a version so that two devices
//! never overwrite each other unseen.

use api_types::{ApiError, Draft, SaveDraft};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, Json};
use crate::store::DraftSave;

/// The most a draft's values may take, as JSON.
pub const MAX_VALUES_BYTES: usize = 256 * 1024;
/// The most drafts one user may keep.
pub const MAX_DRAFTS_PER_USER: usize = 50;
/// The body limit of a draft save: the values' limit and room for the rest of the body. Larger than the API's
/// [`BODY_LIMIT`](crate::BODY_LIMIT), and for these routes only.
pub const SAVE_BODY_LIMIT: usize = MAX_VALUES_BYTES + 4 * 1024;
/// The most characters a process code may have.
const MAX_PROCESS_CODE_CHARS: usize = 128;

/// The draft routes, relative to `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_drafts))
        .routes(routes!(get_draft, save_draft, delete_draft))
        .layer(DefaultBodyLimit::max(SAVE_BODY_LIMIT))
}

/// A draft id as the app makes them: 8 to 64 of `A-Z a-z 0-9 _ -` (a UUID fits).
fn draft_id(id: &str) -> Result<&str, AppError> {
    let valid = (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        return Err(AppError::BadRequest("a draft id is 8 to 64 characters of A-Z, a-z, 0-9, _ and -".into()));
    }
    Ok(id)
}

/// Milliseconds since the Unix epoch.
fn now_millis() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// `GET /api/drafts`: the user's drafts, the most recently saved first.
#[utoipa::path(get, path = "/drafts", tag = "drafts", security(("session" = [])), responses(
    (status = 200, body = Vec<Draft>),
    (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
))]
async fn list_drafts(state: State<AppState>, CurrentUser(user): CurrentUser) -> Result<Json<Vec<Draft>>, AppError> {
    Ok(Json(state.store.drafts(&user.user_id).await?))
}

/// `GET /api/drafts/{id}`: one of the user's drafts.
#[utoipa::path(get, path = "/drafts/{id}", tag = "drafts", security(("session" = [])),
    params(("id" = String, Path, description = "the app's id for the draft")),
    responses(
        (status = 200, body = Draft),
        (status = 400, body = ApiError, description = "the id is not 8 to 64 of `A-Z a-z 0-9 _ -`"),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 404, body = ApiError, description = "the user has no draft of this id"),
    ))]
async fn get_draft(
    state: State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Draft>, AppError> {
    let draft = state.store.draft(&user.user_id, draft_id(&id)?).await?.ok_or(AppError::NotFound)?;
    Ok(Json(draft))
}

/// `PUT /api/drafts/{id}`: creates or replaces a draft. With `version`, the save only replaces that version.
#[utoipa::path(put, path = "/drafts/{id}", tag = "drafts", security(("session" = [])),
    params(("id" = String, Path, description = "the app's id for the draft")),
    request_body = SaveDraft,
    responses(
        (status = 200, body = Draft, description = "replaced"),
        (status = 201, body = Draft, description = "created"),
        (status = 400, body = ApiError, description = "a malformed id or body, or already 50 drafts"),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 409, body = ApiError, description = "`draft_conflict`: saved from elsewhere (or deleted) since `version`"),
        (status = 413, body = ApiError, description = "the values are over 256 KiB"),
    ))]
async fn save_draft(
    state: State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    Json(save): Json<SaveDraft>,
) -> Result<(StatusCode, Json<Draft>), AppError> {
    let id = draft_id(&id)?;
    let process_code = save.process_code.trim();
    if process_code.is_empty() || process_code.chars().count() > MAX_PROCESS_CODE_CHARS {
        return Err(AppError::BadRequest(format!("processCode must be 1 to {MAX_PROCESS_CODE_CHARS} characters")));
    }
    let size = serde_json::to_vec(&save.values).map_or(usize::MAX, |json| json.len());
    if size > MAX_VALUES_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    match state.store.save_draft(&user.user_id, id, &save, now_millis(), MAX_DRAFTS_PER_USER).await? {
        DraftSave::Saved(draft) => {
            let status = if draft.version == 1 { StatusCode::CREATED } else { StatusCode::OK };
            Ok((status, Json(draft)))
        }
        DraftSave::Conflict => Err(AppError::DraftConflict),
        DraftSave::TooMany => Err(AppError::BadRequest(format!(
            "you already have {MAX_DRAFTS_PER_USER} drafts, the most kept; delete or submit one first"
        ))),
    }
}

/// `DELETE /api/drafts/{id}`: removes a draft (after it was submitted, or when discarded).
#[utoipa::path(delete, path = "/drafts/{id}", tag = "drafts", security(("session" = [])),
    params(("id" = String, Path, description = "the app's id for the draft")),
    responses(
        (status = 204, description = "deleted"),
        (status = 400, body = ApiError, description = "the id is not 8 to 64 of `A-Z a-z 0-9 _ -`"),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 404, body = ApiError, description = "the user has no draft of this id"),
    ))]
async fn delete_draft(
    state: State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    if state.store.delete_draft(&user.user_id, draft_id(&id)?).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_ids_are_8_to_64_url_safe_characters() {
        for good in ["abcdefgh", "0b9c3c0e-6a3f-4d5e-9f6a-2b7c8d9e0f1a", "phone_draft-01", &"x".repeat(64)] {
            assert_eq!(draft_id(good).ok(), Some(good), "{good}");
        }
        for bad in ["", "short", &"x".repeat(65), "has space1", "slash/not/ok", "点点点点点点点点", "dot.dot.dot"]
        {
            assert!(draft_id(bad).is_err(), "{bad}");
        }
    }
}
