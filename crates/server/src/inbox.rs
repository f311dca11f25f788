//! `/api/inbox`: the caller's four boxes (待处理 / 已处理 / 已发起 / 抄送我) and their counts, served from the
//! per-user index only: a page view never calls DingTalk.

use api_types::{ApiError, InboxBox, InboxCounts, InboxPage, RequestState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use time::macros::format_description;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, Json};
use crate::store::InboxQuery;

/// Items per page when `limit` is absent.
const DEFAULT_LIMIT: i64 = 20;
/// The most items a page may have.
const MAX_LIMIT: i64 = 100;
/// The longest keyword, in characters.
const MAX_Q_CHARS: usize = 100;
/// The longest process code, in characters.
const MAX_PROCESS_CODE_CHARS: usize = 128;
/// One day in ms.
const DAY_MS: i64 = 86_400_000;

/// The inbox routes, relative to `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(inbox)).routes(routes!(inbox_counts))
}

/// The query of `GET /api/inbox`, as text: each parameter is checked by hand so that a bad one gets a message
/// naming it.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// Which box: `todo` (待处理), `done` (已处理), `mine` (已发起) or `cc` (抄送我).
    #[serde(rename = "box")]
    #[param(rename = "box")]
    pub inbox: Option<String>,
    /// A keyword, matched in the title and the form values.
    pub q: Option<String>,
    /// Only this template.
    pub process_code: Option<String>,
    /// Only items in this state: `queued`, `submitted`, `running`, `approved`, `refused`, `revoked` or `failed`.
    pub status: Option<String>,
    /// Only items submitted at or after this: Unix ms, or a day `YYYY-MM-DD` (UTC, from its start).
    pub from: Option<String>,
    /// Only items submitted at or before this: Unix ms, or a day `YYYY-MM-DD` (UTC, to its end).
    pub to: Option<String>,
    /// The previous page's `nextCursor`.
    pub cursor: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<String>,
}

/// Text that is present and not blank.
pub(crate) fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A time bound: Unix ms, or a UTC day (its first ms, or its last when `end_of_day`).
fn time_bound(name: &str, value: &str, end_of_day: bool) -> Result<i64, AppError> {
    if let Ok(ms) = value.parse::<i64>() {
        return Ok(ms);
    }
    let day = time::Date::parse(value, format_description!("[year]-[month]-[day]")).map_err(|_| {
        AppError::BadRequest(format!("{name} must be Unix milliseconds or a day YYYY-MM-DD, not {value:?}"))
    })?;
    let start = day.midnight().assume_utc().unix_timestamp() * 1000;
    Ok(if end_of_day { start + DAY_MS - 1 } else { start })
}

/// A cursor for the item after `(sort_at, key)`.
pub(crate) fn cursor_of(sort_at: i64, key: &str) -> String {
    opaque_cursor(&format!("{sort_at}:{key}"))
}

/// The position a cursor names.
pub(crate) fn position_of(cursor: &str) -> Result<(i64, String), AppError> {
    let text = cursor_text(cursor)?;
    let (sort_at, key) = text.split_once(':').ok_or_else(bad_cursor)?;
    Ok((sort_at.parse().map_err(|_| bad_cursor())?, key.to_owned()))
}

/// A position as the opaque cursor every paged route gives out.
pub(crate) fn opaque_cursor(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(position)
}

/// The position text of a cursor [`opaque_cursor`] made.
pub(crate) fn cursor_text(cursor: &str) -> Result<String, AppError> {
    URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad_cursor)
}

/// The answer to a cursor this server did not give out.
pub(crate) fn bad_cursor() -> AppError {
    AppError::BadRequest("cursor is not one this server gave out; start again without it".into())
}

/// A page's `limit` parameter: 1 to 100, 20 when absent.
pub(crate) fn page_limit(limit: &Option<String>) -> Result<i64, AppError> {
    match given(limit) {
        None => Ok(DEFAULT_LIMIT),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(AppError::BadRequest(format!("limit must be a number from 1 to {MAX_LIMIT}"))),
        },
    }
}

impl InboxParams {
    /// The store's query, or a 400 naming the bad parameter.
    fn query(&self) -> Result<InboxQuery, AppError> {
        let inbox = match given(&self.inbox) {
            Some("todo") => InboxBox::Todo,
            Some("done") => InboxBox::Done,
            Some("mine") => InboxBox::Mine,
            Some("cc") => InboxBox::Cc,
            Some(other) => {
                return Err(AppError::BadRequest(format!("box must be todo, done, mine or cc, not {other:?}")));
            }
            None => return Err(AppError::BadRequest("box is required: todo, done, mine or cc".into())),
        };
        let q = given(&self.q).map(str::to_owned);
        if q.as_ref().is_some_and(|q| q.chars().count() > MAX_Q_CHARS) {
            return Err(AppError::BadRequest(format!("q is longer than {MAX_Q_CHARS} characters")));
        }
        let process_code = given(&self.process_code).map(str::to_owned);
        if process_code.as_ref().is_some_and(|c| c.chars().count() > MAX_PROCESS_CODE_CHARS) {
            return Err(AppError::BadRequest(format!(
                "process_code is longer than {MAX_PROCESS_CODE_CHARS} characters"
            )));
        }
        let status = match given(&self.status) {
            None => None,
            Some(text) => match serde_json::from_value::<RequestState>(serde_json::Value::String(text.to_owned())) {
                Ok(RequestState::Unknown) | Err(_) => {
                    return Err(AppError::BadRequest(format!(
                        "status must be queued, submitted, running, approved, refused, revoked or failed, not {text:?}"
                    )));
                }
                Ok(state) => Some(state),
            },
        };
        let from = given(&self.from).map(|v| time_bound("from", v, false)).transpose()?;
        let to = given(&self.to).map(|v| time_bound("to", v, true)).transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(AppError::BadRequest("from is after to".into()));
        }
        let limit = page_limit(&self.limit)?;
        let after = given(&self.cursor).map(position_of).transpose()?;
        Ok(InboxQuery { inbox, q, process_code, status, from, to, after, limit })
    }
}

/// `GET /api/inbox`: a page of one of the caller's boxes, newest first.
#[utoipa::path(get, path = "/inbox", tag = "inbox", security(("session" = [])), params(InboxParams), responses(
    (status = 200, body = InboxPage),
    (status = 400, body = ApiError, description = "`bad_request`: a parameter is missing or malformed; the message names it"),
    (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
))]
async fn inbox(
    state: State<AppState>,
    CurrentUser(user): CurrentUser,
    params: Result<Query<InboxParams>, QueryRejection>,
) -> Result<Json<InboxPage>, AppError> {
    let Query(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let mut query = params.query()?;
    let limit = query.limit;
    query.limit = limit + 1;
    let mut rows = state.store.inbox_page(&user.user_id, &query).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = more.then(|| rows.last().map(|r| cursor_of(r.sort_at, &r.key))).flatten();
    Ok(Json(InboxPage { items: rows.into_iter().map(|r| r.item).collect(), next_cursor }))
}

/// `GET /api/inbox/counts`: how many items each of the caller's boxes holds.
#[utoipa::path(get, path = "/inbox/counts", tag = "inbox", security(("session" = [])), responses(
    (status = 200, body = InboxCounts),
    (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
))]
async fn inbox_counts(state: State<AppState>, CurrentUser(user): CurrentUser) -> Result<Json<InboxCounts>, AppError> {
    Ok(Json(state.store.inbox_counts(&user.user_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> InboxParams {
        let mut p = InboxParams::default();
        for (name, value) in pairs {
            let field = match *name {
                "box" => &mut p.inbox,
                "q" => &mut p.q,
                "status" => &mut p.status,
                "from" => &mut p.from,
                "to" => &mut p.to,
                "limit" => &mut p.limit,
                "cursor" => &mut p.cursor,
                other => panic!("no parameter {other}"),
            };
            *field = Some((*value).to_owned());
        }
        p
    }

    fn message(pairs: &[(&str, &str)]) -> String {
        match params(pairs).query() {
            Err(AppError::BadRequest(m)) => m,
            other => panic!("expected a 400 for {pairs:?}, got {other:?}"),
        }
    }

    #[test]
    fn a_cursor_reads_back_as_its_position() {
        let cursor = cursor_of(1_700_000_000_123, "pi-1/42");
        assert_eq!(position_of(&cursor).unwrap(), (1_700_000_000_123, "pi-1/42".to_owned()));
        assert!(position_of("not a cursor!").is_err());
        assert!(position_of(&URL_SAFE_NO_PAD.encode("x:y")).is_err());
    }

    #[test]
    fn days_cover_the_whole_utc_day() {
        assert_eq!(time_bound("from", "2024-01-02", false).unwrap(), 1_704_153_600_000);
        assert_eq!(time_bound("to", "2024-01-02", true).unwrap(), 1_704_239_999_999);
        assert_eq!(time_bound("to", "1704153600000", true).unwrap(), 1_704_153_600_000);
    }

    #[test]
    fn bad_filters_are_refused_naming_the_parameter() {
        assert!(message(&[]).starts_with("box is required"));
        assert!(message(&[("box", "inbox")]).starts_with("box must be"));
        assert!(message(&[("box", "todo"), ("status", "done")]).starts_with("status must be"));
        assert!(message(&[("box", "todo"), ("from", "yesterday")]).starts_with("from must be"));
        assert!(message(&[("box", "todo"), ("from", "2024-02-01"), ("to", "2024-01-01")]).contains("after"));
        assert!(message(&[("box", "todo"), ("limit", "0")]).starts_with("limit must be"));
        assert!(message(&[("box", "todo"), ("limit", "101")]).starts_with("limit must be"));
        assert!(message(&[("box", "todo"), ("cursor", "zzz")]).starts_with("cursor"));
    }

    #[test]
    fn good_filters_make_the_query() {
        let q = params(&[("box", "mine"), ("q", " 报销 "), ("status", "approved"), ("limit", "5")]).query().unwrap();
        assert_eq!(
            (q.inbox, q.q.as_deref(), q.status, q.limit, q.after),
            (InboxBox::Mine, Some("报销"), Some(RequestState::Approved), 5, None)
        );
    }
}
