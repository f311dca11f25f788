//! The legacy host (`oapi.dingtalk.com`): `/gettoken` and the `/topapi/v2/*` identity and org calls.
//!
//! The contact directory calls `topapi/v2/department/listsub` and `topapi/v2/user/list` follow DingTalk's
//! documented request and `result` shapes as far as the public SDK types confirm them. Unverified, and decided here:
//! (unverified) `user/list` answers a `size` outside 1..=100 with errcode 40035 ("不合法的参数"), because that is
//! DingTalk's generic invalid-parameter code; (unverified) an unknown department is errcode 60003 ("部门不存在") on
//! both calls, the code `department/get` uses; (unverified) `next_cursor` is absent on the last page, as the Java
//! SDK's optional `Long nextCursor` suggests. People who left are not members of any department, so neither call
//! lists them, as in DingTalk.
//!
//! Every answer is HTTP 200 with DingTalk's envelope `{errcode, errmsg, request_id, ...}` (server-api.md §1.1).
//! Bodies are accepted as JSON or form-urlencoded, and numbers as JSON numbers or numeric strings (§1).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::routing::{any, get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::org::{Org, User};
use crate::state::{Shared, TokenProblem, random_string};

/// The legacy routes.
pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/gettoken", get(gettoken))
        .route("/topapi/v2/user/getuserinfo", post(getuserinfo))
        .route("/topapi/v2/user/get", post(user_get))
        .route("/topapi/v2/department/get", post(department_get))
        .route("/topapi/v2/department/listsub", post(department_listsub))
        .route("/topapi/v2/user/list", post(user_list))
        .route("/topapi/user/getbyunionid", post(getbyunionid))
        .route("/topapi/{*rest}", any(unknown_method))
}

/// A legacy answer: the envelope plus the payload's fields.
pub(crate) fn ok(payload: Value) -> Json<Value> {
    let mut body = Map::new();
    body.insert("errcode".into(), json!(0));
    body.insert("errmsg".into(), json!("ok"));
    if let Value::Object(fields) = payload {
        body.extend(fields);
    }
    body.insert("request_id".into(), json!(random_string(12).to_lowercase()));
    Json(Value::Object(body))
}

/// A legacy failure whose real cause is in `sub_code`/`sub_msg` (errcode 88), with DingTalk's `errmsg` shape.
pub(crate) fn fail_with_sub(errcode: i64, sub_code: &str, sub_msg: &str) -> Json<Value> {
    Json(json!({
        "errcode": errcode,
        "errmsg": format!("ding talk error[subcode={sub_code},submsg={sub_msg}]"),
        "sub_code": sub_code,
        "sub_msg": sub_msg,
        "request_id": random_string(12).to_lowercase(),
    }))
}

/// A legacy failure: still HTTP 200, with a non-zero `errcode`.
pub(crate) fn fail(errcode: i64, errmsg: &str) -> Json<Value> {
    Json(json!({ "errcode": errcode, "errmsg": errmsg, "request_id": random_string(12).to_lowercase() }))
}

#[derive(Deserialize)]
struct GettokenQuery {
    appkey: Option<String>,
    appsecret: Option<String>,
    corpid: Option<String>,
    corpsecret: Option<String>,
}

async fn gettoken(State(shared): State<Arc<Shared>>, Query(q): Query<GettokenQuery>) -> Json<Value> {
    let key = q.appkey.or(q.corpid);
    let secret = q.appsecret.or(q.corpsecret);
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    let app = &state.org.app;
    if key.as_deref() != Some(app.app_key.as_str()) || secret.as_deref() != Some(app.app_secret.as_str()) {
        return fail(40001, "获取access_token时Secret错误，或者access_token无效");
    }
    let token = state.issue_token(shared.clock.now_ms());
    ok(json!({ "access_token": token, "expires_in": 7200 }))
}

/// A legacy API call that passed the token check: its parameters from a JSON or form-urlencoded body. Extracting
/// it answers DingTalk's envelope for a missing, unknown or expired `?access_token=` and for a malformed body.
struct LegacyCall(Map<String, Value>);

#[derive(Deserialize)]
struct TokenQuery {
    access_token: Option<String>,
}

impl FromRequest<Arc<Shared>> for LegacyCall {
    type Rejection = Json<Value>;

    async fn from_request(req: Request, shared: &Arc<Shared>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let query = Query::<TokenQuery>::from_request_parts(&mut parts, shared)
            .await
            .map_err(|_| fail(40035, "不合法的参数"))?;
        {
            let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            let token = query.access_token.as_deref().ok_or_else(|| fail(40014, "不合法的access_token"))?;
            match state.check_token(token, shared.clock.now_ms()) {
                Ok(()) => {}
                Err(TokenProblem::Unknown) => return Err(fail(40014, "不合法的access_token")),
                Err(TokenProblem::Expired) => return Err(fail(42001, "access_token超时")),
            }
        }
        let body = Bytes::from_request(Request::from_parts(parts.clone(), body), shared)
            .await
            .map_err(|_| fail(40035, "不合法的参数"))?;
        let content_type = parts.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        if body.is_empty() {
            return Ok(LegacyCall(Map::new()));
        }
        if content_type.starts_with("application/x-www-form-urlencoded") {
            let pairs = url::form_urlencoded::parse(&body);
            return Ok(LegacyCall(pairs.map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect()));
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(map)) => Ok(LegacyCall(map)),
            _ => Err(fail(40035, "不合法的参数")),
        }
    }
}

/// A string parameter, accepting numbers too.
fn str_param(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer parameter, accepting numeric strings too.
fn int_param(params: &Map<String, Value>, key: &str) -> Option<i64> {
    match params.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

async fn getuserinfo(State(shared): State<Arc<Shared>>, LegacyCall(params): LegacyCall) -> Json<Value> {
    let Some(code) = str_param(&params, "code") else {
        return fail(40035, "缺少参数 code");
    };
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    let user_id = match state.redeem_auth_code(&code, shared.clock.now_ms()) {
        Ok(user_id) => user_id,
        Err(_) => return fail(40078, "不存在的临时授权码"),
    };
    let Some(user) = state.org.member(&user_id) else {
        return fail(60121, "找不到该用户");
    };
    ok(json!({ "result": {
        "userid": user.user_id,
        "unionid": user.union_id,
        "associated_unionid": "",
        "name": user.name,
        "device_id": random_string(32).to_lowercase(),
        "sys": false,
        "sys_level": 0,
    }}))
}

async fn user_get(State(shared): State<Arc<Shared>>, LegacyCall(params): LegacyCall) -> Json<Value> {
    let Some(user_id) = str_param(&params, "userid") else {
        return fail(40035, "缺少参数 userid");
    };
    let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    match state.org.member(&user_id) {
        Some(user) => ok(json!({ "result": user_json(&state.org, user) })),
        None => fail(33012, "无效的USERID"),
    }
}

/// `topapi/v2/user/get`'s `result`, typed as in the Java SDK (server-api.md §3.2).
fn user_json(org: &Org, user: &User) -> Value {
    let mut result = json!({
        "userid": user.user_id,
        "unionid": user.union_id,
        "name": user.name,
        "title": user.title.clone().unwrap_or_default(),
        "dept_id_list": user.dept_ids,
        "dept_order_list": user.dept_ids.iter().map(|d| json!({"dept_id": d, "order": 0})).collect::<Vec<_>>(),
        "leader_in_dept": user.dept_ids.iter()
            .map(|d| json!({"dept_id": d, "leader": org.is_leader(&user.user_id, *d)}))
            .collect::<Vec<_>>(),
        "active": user.active,
        "admin": false,
        "boss": user.boss,
        "senior": false,
        "real_authed": true,
        "hide_mobile": false,
        "exclusive_account": false,
    });
    if let Some(manager) = &user.manager_user_id {
        result["manager_userid"] = json!(manager);
    }
    if let Some(avatar) = &user.avatar {
        result["avatar"] = json!(avatar);
    }
    result
}

async fn department_get(State(shared): State<Arc<Shared>>, LegacyCall(params): LegacyCall) -> Json<Value> {
    let Some(dept_id) = int_param(&params, "dept_id") else {
        return fail(40035, "缺少参数 dept_id");
    };
    let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(dept) = state.org.departments.iter().find(|d| d.dept_id == dept_id) else {
        return fail(60003, "部门不存在");
    };
    let mut result = json!({
        "dept_id": dept.dept_id,
        "name": dept.name,
        "order": 0,
        "create_dept_group": false,
        "auto_add_user": false,
        "group_contain_sub_dept": false,
        "dept_manager_userid_list": dept.manager_user_ids,
        "outer_dept": false,
        "hide_dept": false,
        "from_union_org": false,
        "auto_approve_apply": false,
    });
    if let Some(parent) = dept.parent_id {
        result["parent_id"] = json!(parent);
    }
    ok(json!({ "result": result }))
}

/// The most people one `topapi/v2/user/list` page holds.
pub const USER_LIST_MAX_SIZE: i64 = 100;

/// `topapi/v2/department/listsub`: the direct sub-departments of `dept_id` (the root, 1, when absent).
async fn department_listsub(State(shared): State<Arc<Shared>>, LegacyCall(params): LegacyCall) -> Json<Value> {
    let dept_id = int_param(&params, "dept_id").unwrap_or(1);
    let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    if !state.org.departments.iter().any(|d| d.dept_id == dept_id) {
        return fail(60003, "部门不存在");
    }
    let subs: Vec<Value> = state
        .org
        .departments
        .iter()
        .filter(|d| d.parent_id == Some(dept_id))
        .map(|d| {
            json!({
                "dept_id": d.dept_id,
                "name": d.name,
                "parent_id": dept_id,
                "create_dept_group": false,
                "auto_add_user": false,
            })
        })
        .collect();
    ok(json!({ "result": subs }))
}

/// `topapi/v2/user/list`: one page of the current members of `dept_id` (direct members, not those of its
/// sub-departments), `size` at a time from the offset `cursor`.
async fn user_list(State(shared): State<Arc<Shared>>, LegacyCall(params): LegacyCall) -> Json<Value> {
    let Some(dept_id) = int_param(&params, "dept_id") else {
        return fail(40035, "缺少参数 dept_id");
    };
    let Some(cursor) = int_param(&params, "cursor").filter(|c| *c >= 0) else {
        return fail(40035, "缺少参数 cursor");
    };
    let Some(size) = int_param(&params, "size") else {
        return fail(40035, "缺少参数 size");
    };
    if !(1..=USER_LIST_MAX_SIZE).contains(&size) {
        return fail(40035, "不合法的参数 size");
    }
    let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    if !state.org.departments.iter().any(|d| d.dept_id == dept_id) {
        return fail(60003, "部门不存在");
    }
    let members: Vec<&User> = state.org.users.iter().filter(|u| u.active && u.dept_ids.contains(&dept_id)).collect();
    let start = usize::try_from(cursor).unwrap_or(usize::MAX).min(members.len());
    let end = start.saturating_add(usize::try_from(size).unwrap_or(0)).min(members.len());
    let list: Vec<Value> = members[start..end]
        .iter()
        .map(|user| {
            let mut item = user_json(&state.org, user);
            item["leader"] = json!(state.org.is_leader(&user.user_id, dept_id));
            item["dept_order"] = json!(0);
            item
        })
        .collect();
    let mut result = json!({ "has_more": end < members.len(), "list": list });
    if end < members.len() {
        result["next_cursor"] = json!(end);
    }
    ok(json!({ "result": result }))
}

/// `topapi/user/getbyunionid`: the userid inside this organisation for a unionid (from the OAuth login).
async fn getbyunionid(State(shared): State<Arc<Shared>>, LegacyCall(params): LegacyCall) -> Json<Value> {
    let Some(union_id) = str_param(&params, "unionid") else {
        return fail(40035, "缺少参数 unionid");
    };
    let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    match state.org.users.iter().find(|u| u.union_id == union_id && u.active) {
        Some(user) => ok(json!({ "result": { "contact_type": 0, "userid": user.user_id } })),
        None => fail(60121, "找不到该用户"),
    }
}

async fn unknown_method(axum::extract::Path(rest): axum::extract::Path<String>) -> Json<Value> {
    Json(json!({
        "errcode": 22,
        "errmsg": format!("Invalid method[{rest}]"),
        "sub_msg": "不合法ApiName, 请检查Api名称是否正确",
        "request_id": random_string(12).to_lowercase(),
    }))
}
