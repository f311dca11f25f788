//! The contact directory behind the browser's person and department pickers (`GET /api/contacts`,
//! `GET /api/departments`): a copy of the organisation's departments and current members, walked from DingTalk
//! when first needed and again at most every `SHENPI_DIRECTORY_TTL_SECS`, served from memory in between.
//!
//! A walk costs `1 + D + P` DingTalk calls: `department/get` for the root's name, one `department/listsub` per
//! department (D of them) and one `user/list` page of up to 100 per department (P ≥ D). The seeded emulator org
//! (10 departments) costs 21. All three are contact APIs, exempt from the monthly quota (server-api.md §1.4).
//! When a refresh fails the last copy keeps serving, and the next attempt waits [`RETRY_AFTER_FAILURE`].

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use api_types::{ApiError, Contact, ContactPage, DepartmentNode};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use dingtalk_client::DingTalk;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, Json};
use crate::inbox::{bad_cursor, cursor_text, given, opaque_cursor, page_limit};

/// The root department's id.
pub const ROOT_DEPT: i64 = 1;
/// The longest search text, in characters.
const MAX_Q_CHARS: usize = 100;
/// How long a failed refresh waits before the next one, while the last copy keeps serving.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

/// The cached directory; one per server.
pub struct Directory {
    ttl: Duration,
    cache: tokio::sync::Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    snapshot: Option<Arc<Snapshot>>,
    due: Option<Instant>,
}

/// One walk's result.
struct Snapshot {
    /// Current members, each once, ordered by (name, userid).
    people: Vec<Person>,
    /// Departments by id.
    depts: BTreeMap<i64, Dept>,
}

struct Person {
    contact: Contact,
    /// Lower-cased name and title, for matching.
    haystack: [String; 2],
}

struct Dept {
    name: String,
    parent_id: Option<i64>,
    children: Vec<i64>,
    /// Direct members' userids.
    members: BTreeSet<String>,
}

impl Directory {
    /// An empty directory that walks DingTalk on first use and when a copy is older than `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, cache: tokio::sync::Mutex::default() }
    }

    /// The current copy, walking DingTalk first when there is none or it is due. Concurrent callers wait for one
    /// walk rather than each starting their own.
    async fn snapshot(&self, dt: &DingTalk) -> Result<Arc<Snapshot>, AppError> {
        let mut cache = self.cache.lock().await;
        let now = Instant::now();
        if let Some(snapshot) = &cache.snapshot
            && cache.due.is_some_and(|due| now < due)
        {
            return Ok(snapshot.clone());
        }
        match walk(dt).await {
            Ok(snapshot) => {
                let snapshot = Arc::new(snapshot);
                cache.snapshot = Some(snapshot.clone());
                cache.due = Some(Instant::now() + self.ttl);
                Ok(snapshot)
            }
            Err(e) => match &cache.snapshot {
                Some(stale) => {
                    tracing::warn!(error = %e, "refreshing the contact directory failed; serving the last copy");
                    let stale = stale.clone();
                    cache.due = Some(Instant::now() + RETRY_AFTER_FAILURE.min(self.ttl));
                    Ok(stale)
                }
                None => Err(e.into()),
            },
        }
    }
}

/// Walks the organisation from the root: every department, then every department's members.
async fn walk(dt: &DingTalk) -> Result<Snapshot, dingtalk_client::Error> {
    let contact = dt.contact();
    let root = contact.department(ROOT_DEPT).await?;
    let mut calls = 1u32;
    let mut depts = BTreeMap::new();
    depts.insert(ROOT_DEPT, Dept { name: root.name, parent_id: None, children: vec![], members: BTreeSet::new() });
    let mut queue = VecDeque::from([ROOT_DEPT]);
    while let Some(id) = queue.pop_front() {
        let subs = contact.sub_departments(id).await?;
        calls += 1;
        for sub in subs {
            // A department reached twice (DingTalk never does this) is walked once.
            if depts.contains_key(&sub.dept_id) {
                continue;
            }
            if let Some(parent) = depts.get_mut(&id) {
                parent.children.push(sub.dept_id);
            }
            depts.insert(
                sub.dept_id,
                Dept { name: sub.name, parent_id: Some(id), children: vec![], members: BTreeSet::new() },
            );
            queue.push_back(sub.dept_id);
        }
    }
    let mut details = HashMap::new();
    let ids: Vec<i64> = depts.keys().copied().collect();
    for id in ids {
        let mut cursor = 0;
        loop {
            let page = contact.members(id, cursor, dingtalk_client::contact::MAX_PAGE_SIZE).await?;
            calls += 1;
            for user in page.list {
                if let Some(dept) = depts.get_mut(&id) {
                    dept.members.insert(user.userid.clone());
                }
                details.entry(user.userid.clone()).or_insert(user);
            }
            match page.next_cursor {
                Some(next) if page.has_more && next > cursor => cursor = next,
                _ => break,
            }
        }
    }
    let mut people: Vec<Person> = details
        .into_values()
        .filter(|user| user.active)
        .map(|user| {
            let title = user.title.filter(|t| !t.is_empty());
            let departments = user.dept_id_list.iter().filter_map(|d| depts.get(d)).map(|d| d.name.clone()).collect();
            let haystack = [user.name.to_lowercase(), title.as_deref().unwrap_or_default().to_lowercase()];
            let contact = Contact {
                user_id: user.userid,
                name: user.name,
                avatar: user.avatar.filter(|a| !a.is_empty()),
                title,
                departments,
            };
            Person { contact, haystack }
        })
        .collect();
    people.sort_by(|a, b| sort_key(&a.contact).cmp(&sort_key(&b.contact)));
    tracing::info!(calls, departments = depts.len(), people = people.len(), "walked the contact directory");
    Ok(Snapshot { people, depts })
}

/// The order pages are in: by name, then userid.
fn sort_key(contact: &Contact) -> (&str, &str) {
    (&contact.name, &contact.user_id)
}

impl Snapshot {
    /// Distinct current members of `dept_id` and all its sub-departments.
    fn member_count(&self, dept_id: i64) -> u32 {
        let mut seen = BTreeSet::new();
        let mut stack = vec![dept_id];
        while let Some(id) = stack.pop() {
            if let Some(dept) = self.depts.get(&id) {
                seen.extend(dept.members.iter());
                stack.extend(&dept.children);
            }
        }
        u32::try_from(seen.len()).unwrap_or(u32::MAX)
    }
}

/// The contacts routes, relative to `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(contacts)).routes(routes!(departments))
}

/// The query of `GET /api/contacts`, as text, so a bad parameter gets a message naming it.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactParams {
    /// Text found anywhere in the name or the title (case-insensitive); at most 100 characters.
    pub q: Option<String>,
    /// Only the direct members of this department.
    pub dept: Option<String>,
    /// The previous page's `nextCursor`.
    pub cursor: Option<String>,
    /// People per page, 1 to 100 (default 20).
    pub limit: Option<String>,
}

/// The checked query of `GET /api/contacts`.
#[derive(Debug, PartialEq, Eq)]
struct ContactQuery {
    q: Option<String>,
    dept: Option<i64>,
    after: Option<(String, String)>,
    limit: usize,
}

/// A department id parameter.
fn dept_param(name: &str, value: &str) -> Result<i64, AppError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::BadRequest(format!("{name} must be a department id, not {value:?}")))
}

/// A cursor for the person after `contact`.
fn cursor_of(contact: &Contact) -> String {
    opaque_cursor(&format!("{}\n{}", contact.name, contact.user_id))
}

/// The (name, userid) a cursor names.
fn position_of(cursor: &str) -> Result<(String, String), AppError> {
    let text = cursor_text(cursor)?;
    let (name, user_id) = text.split_once('\n').ok_or_else(bad_cursor)?;
    Ok((name.to_owned(), user_id.to_owned()))
}

impl ContactParams {
    fn query(&self) -> Result<ContactQuery, AppError> {
        let q = given(&self.q).map(str::to_lowercase);
        if q.as_ref().is_some_and(|q| q.chars().count() > MAX_Q_CHARS) {
            return Err(AppError::BadRequest(format!("q is longer than {MAX_Q_CHARS} characters")));
        }
        let dept = given(&self.dept).map(|d| dept_param("dept", d)).transpose()?;
        let limit = page_limit(&self.limit)? as usize;
        let after = given(&self.cursor).map(position_of).transpose()?;
        Ok(ContactQuery { q, dept, after, limit })
    }
}

/// `GET /api/contacts`: current members of the organisation by name, matching `q` and in `dept` when given.
/// People who left are never offered.
#[utoipa::path(get, path = "/contacts", tag = "contacts", security(("session" = [])), params(ContactParams),
    responses(
        (status = 200, body = ContactPage),
        (status = 400, body = ApiError, description = "`bad_request`: a parameter is malformed; the message names it"),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 404, body = ApiError, description = "`not_found`: no such department"),
        (status = 502, body = ApiError, description = "`permission_missing` or `ding_talk_rejected`"),
        (status = 503, body = ApiError, description = "DingTalk did not answer"),
    ))]
async fn contacts(
    state: State<AppState>,
    CurrentUser(_user): CurrentUser,
    params: Result<Query<ContactParams>, QueryRejection>,
) -> Result<Json<ContactPage>, AppError> {
    let Query(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let query = params.query()?;
    let snapshot = state.contacts.snapshot(&state.dingtalk).await?;
    let members = match query.dept {
        Some(id) => Some(&snapshot.depts.get(&id).ok_or(AppError::NotFound)?.members),
        None => None,
    };
    let mut matching = snapshot
        .people
        .iter()
        .filter(|p| members.is_none_or(|m| m.contains(&p.contact.user_id)))
        .filter(|p| query.q.as_deref().is_none_or(|q| p.haystack.iter().any(|h| h.contains(q))))
        .filter(|p| query.after.as_ref().is_none_or(|(name, id)| sort_key(&p.contact) > (name.as_str(), id.as_str())))
        .map(|p| &p.contact);
    let items: Vec<Contact> = matching.by_ref().take(query.limit).cloned().collect();
    let next_cursor = matching.next().and(items.last()).map(cursor_of);
    Ok(Json(ContactPage { items, next_cursor }))
}

/// The query of `GET /api/departments`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DepartmentParams {
    /// Whose sub-departments; the root (1) when absent.
    pub parent: Option<String>,
}

/// `GET /api/departments`: the direct sub-departments of `parent`, in DingTalk's order, with member counts.
#[utoipa::path(get, path = "/departments", tag = "contacts", security(("session" = [])), params(DepartmentParams),
    responses(
        (status = 200, body = Vec<DepartmentNode>),
        (status = 400, body = ApiError, description = "`bad_request`: parent is not a department id"),
        (status = 401, body = ApiError, description = "`unauthenticated`: no valid session"),
        (status = 404, body = ApiError, description = "`not_found`: no such department"),
        (status = 502, body = ApiError, description = "`permission_missing` or `ding_talk_rejected`"),
        (status = 503, body = ApiError, description = "DingTalk did not answer"),
    ))]
async fn departments(
    state: State<AppState>,
    CurrentUser(_user): CurrentUser,
    params: Result<Query<DepartmentParams>, QueryRejection>,
) -> Result<Json<Vec<DepartmentNode>>, AppError> {
    let Query(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let parent = given(&params.parent).map(|p| dept_param("parent", p)).transpose()?.unwrap_or(ROOT_DEPT);
    let snapshot = state.contacts.snapshot(&state.dingtalk).await?;
    let parent = snapshot.depts.get(&parent).ok_or(AppError::NotFound)?;
    let nodes = parent
        .children
        .iter()
        .filter_map(|id| snapshot.depts.get(id).map(|d| (id, d)))
        .map(|(id, d)| DepartmentNode {
            dept_id: *id,
            name: d.name.clone(),
            parent_id: d.parent_id,
            member_count: snapshot.member_count(*id),
            has_children: !d.children.is_empty(),
        })
        .collect();
    Ok(Json(nodes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(params: ContactParams) -> String {
        match params.query() {
            Err(AppError::BadRequest(m)) => m,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn bad_parameters_are_refused_naming_them() {
        let p = |q: &str, dept: &str, cursor: &str, limit: &str| ContactParams {
            q: Some(q.into()),
            dept: Some(dept.into()),
            cursor: Some(cursor.into()),
            limit: Some(limit.into()),
        };
        assert!(message(p(&"x".repeat(101), "", "", "")).starts_with("q is longer"));
        assert!(message(p("", "abc", "", "")).starts_with("dept must be"));
        assert!(message(p("", "-1", "", "")).starts_with("dept must be"));
        assert!(message(p("", "", "!!", "")).starts_with("cursor"));
        assert!(message(p("", "", "", "0")).starts_with("limit must be"));
        assert!(message(p("", "", "", "101")).starts_with("limit must be"));
        let good = p(" 张 ", "101", "", "5").query().unwrap();
        assert_eq!(good, ContactQuery { q: Some("张".into()), dept: Some(101), after: None, limit: 5 });
    }

    #[test]
    fn a_cursor_reads_back_as_its_position() {
        let contact =
            Contact { user_id: "u1".into(), name: "张三".into(), avatar: None, title: None, departments: vec![] };
        assert_eq!(position_of(&cursor_of(&contact)).unwrap(), ("张三".to_owned(), "u1".to_owned()));
        assert!(position_of(&opaque_cursor("no newline")).is_err());
    }
}
