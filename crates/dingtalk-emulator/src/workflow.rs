//! The v1.0 approval API (`/v1.0/workflow/...`, server-api.md §5) over the engine, the legacy `topapi` approval
//! paths (refused as for an app without that permission, §6), the JSAPI ticket (§4), and the approval control
//! routes (`/_emulator/instances`, `tasks`, `act`, `attachments`).
//!
//! Wire rules: the app token in `x-acs-dingtalk-access-token` (raw; a JSON-quoted token is refused, §1); bodies
//! are JSON with typed fields (a wrong type is `InvalidParameter`); a missing required field is Alibaba's POP
//! answer `Missing<name>` / "<name> is mandatory for this action."; times are UTC `yyyy-MM-ddTHH:mmZ` (§5).

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::api_error;
use crate::control::{Control, ControlCallError, control_error};
use crate::engine::{
    ActionFile, ApproverNode, EngineError, Instance, InstanceStatus, NewInstance, TargetSelectActioner, Task,
    TaskStatus, not_found,
};
use crate::forms::{FormContext, FormValue, StoredValue};
use crate::org::Org;
use crate::state::{Shared, State as EmuState, TokenProblem};
use crate::templates::{ActionType, CcPosition, Component};

/// `instanceIds/query` covers at most 120 days (server-api.md §5.3).
const MAX_QUERY_RANGE_MS: i64 = 120 * 24 * 3_600_000;
/// Page size limits.
const MAX_IDS_PAGE: i64 = 20;
const MAX_TEMPLATES_PAGE: i64 = 100;
const MAX_WORK_RECORDS_PAGE: i64 = 50;

/// The approval routes on DingTalk's hosts.
pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1.0/workflow/processInstances", post(create).get(get_instance))
        .route("/v1.0/workflow/processes/instanceIds/query", post(list_ids))
        .route("/v1.0/workflow/forms/schemas/processCodes", get(schema))
        .route("/v1.0/workflow/processes/userVisibilities/templates", get(visible_templates))
        .route("/v1.0/workflow/processCentres/schemaNames/processCodes", get(code_by_name))
        .route("/v1.0/workflow/processes/todoTasks/numbers", get(todo_count))
        .route("/v1.0/workflow/workRecords/todoTasks", get(work_records))
        .route("/v1.0/workflow/processInstances/execute", post(execute))
        .route("/v1.0/workflow/tasks/redirect", post(redirect))
        .route("/v1.0/workflow/processInstances/terminate", post(terminate))
        .route("/v1.0/workflow/processInstances/comments", post(comment))
        .route("/v1.0/workflow/processes/forecast", post(forecast))
        .route("/v1.0/workflow/processInstances/spaces/infos/query", post(space))
        .route("/v1.0/workflow/processInstances/spaces/files/urls/download", post(download))
        .route("/v1.0/oauth2/jsapiTickets", post(jsapi_ticket_v1))
        .route("/get_jsapi_ticket", get(jsapi_ticket_legacy))
        .route("/topapi/processinstance/{*rest}", any(legacy_refused))
        .route("/topapi/process/{*rest}", any(legacy_refused))
}

/// The approval control routes.
pub fn control_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/instances", get(control_instances))
        .route("/_emulator/tasks", get(control_tasks))
        .route("/_emulator/act", post(control_act))
        .route("/_emulator/attachments", post(control_upload))
        .route("/_emulator/jsapi/verify", post(control_verify_jsapi))
}

// ---------------------------------------------------------------------------------------------------------------
// Request plumbing
// ---------------------------------------------------------------------------------------------------------------

/// A v1.0 call whose app token checked out.
pub(crate) struct AppCall;

impl FromRequestParts<Arc<Shared>> for AppCall {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Self::Rejection> {
        let token = parts.headers.get("x-acs-dingtalk-access-token").and_then(|v| v.to_str().ok()).unwrap_or("");
        if token.is_empty() {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                "MissingxAcsDingtalkAccessToken",
                "x-acs-dingtalk-access-token is mandatory for this action.",
            ));
        }
        match shared.lock().check_token(token, shared.clock.now_ms()) {
            Ok(()) => Ok(AppCall),
            Err(TokenProblem::Unknown | TokenProblem::Expired) => {
                Err(api_error(StatusCode::BAD_REQUEST, "InvalidAuthentication", "不合法的access_token"))
            }
        }
    }
}

/// A typed JSON body; a malformed one or a wrong type is `InvalidParameter` naming the field.
pub(crate) struct Body<T>(pub(crate) T);

impl<T: DeserializeOwned> FromRequest<Arc<Shared>> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, shared: &Arc<Shared>) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, shared)
            .await
            .map_err(|e| api_error(StatusCode::BAD_REQUEST, "InvalidParameter", &e.to_string()))?;
        let bytes = if bytes.is_empty() { axum::body::Bytes::from_static(b"{}") } else { bytes };
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(Body).map_err(|e| {
            api_error(
                StatusCode::BAD_REQUEST,
                "InvalidParameter",
                &format!("参数 {} 格式错误: {}", e.path(), e.inner()),
            )
        })
    }
}

/// Typed query parameters, with the same error body as [`Body`].
pub(crate) struct Params<T>(pub(crate) T);

impl<T: DeserializeOwned> FromRequestParts<Arc<Shared>> for Params<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &Arc<Shared>) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query)
            .map(Params)
            .map_err(|e| api_error(StatusCode::BAD_REQUEST, "InvalidParameter", &format!("参数格式错误: {e}")))
    }
}

/// A refused v1.0 call: HTTP 400 with DingTalk's `code` and `message`.
#[derive(Debug)]
pub(crate) struct Fail {
    code: String,
    message: String,
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        api_error(StatusCode::BAD_REQUEST, &self.code, &self.message)
    }
}

impl From<EngineError> for Fail {
    fn from(e: EngineError) -> Self {
        Fail { code: e.code.to_owned(), message: e.message }
    }
}

pub(crate) fn missing(name: &str) -> Fail {
    let mut chars = name.chars();
    let capital: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    Fail { code: format!("Missing{capital}"), message: format!("{name} is mandatory for this action.") }
}

/// Takes a required field or answers `Missing<name>`.
fn required<T>(value: Option<T>, name: &str) -> Result<T, Fail> {
    value.ok_or_else(|| missing(name))
}

/// A non-empty required string.
pub(crate) fn required_str(value: Option<String>, name: &str) -> Result<String, Fail> {
    value.filter(|s| !s.trim().is_empty()).ok_or_else(|| missing(name))
}

pub(crate) fn bad(code: &str, message: impl AsRef<str>) -> Fail {
    Fail { code: code.to_owned(), message: message.as_ref().to_owned() }
}

fn ok_true() -> Response {
    Json(json!({ "result": true, "success": true })).into_response()
}

/// DingTalk's v1.0 time: UTC, minute precision, `2022-08-31T11:52Z`.
pub fn v1_time(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}Z", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

/// What the form validator may look up.
struct Lookup<'a>(&'a EmuState);

impl FormContext for Lookup<'_> {
    fn user_exists(&self, user_id: &str) -> bool {
        self.0.org.member(user_id).is_some()
    }
    fn dept_exists(&self, dept_id: i64) -> bool {
        self.0.org.departments.iter().any(|d| d.dept_id == dept_id)
    }
    fn file_exists(&self, space_id: &str, file_id: &str) -> bool {
        self.0.approvals.file(space_id, file_id).is_some()
    }
    fn instance_exists(&self, instance_id: &str) -> bool {
        self.0.approvals.instance(instance_id).is_some()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Create and read
// ---------------------------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    process_code: Option<String>,
    originator_user_id: Option<String>,
    dept_id: Option<i64>,
    microapp_agent_id: Option<i64>,
    approvers: Option<Vec<ApproverNode>>,
    cc_list: Option<Vec<String>>,
    cc_position: Option<CcPosition>,
    target_select_actioners: Option<Vec<TargetSelectActioner>>,
    form_component_values: Option<Vec<FormValue>>,
    biz_detail_page_url: Option<String>,
}

/// `POST /v1.0/workflow/processInstances` (server-api.md §5.1).
async fn create(State(shared): State<Arc<Shared>>, _: AppCall, Body(req): Body<CreateRequest>) -> Response {
    match create_inner(&shared, req) {
        Ok(id) => Json(json!({ "instanceId": id })).into_response(),
        Err(fail) => fail.into_response(),
    }
}

fn create_inner(shared: &Shared, req: CreateRequest) -> Result<String, Fail> {
    let process_code = required_str(req.process_code, "processCode")?;
    let originator = required_str(req.originator_user_id, "originatorUserId")?;
    let values = required(req.form_component_values, "formComponentValues")?;
    if req.approvers.is_none() && req.dept_id.is_none() {
        // DingTalk needs the department when the template's own flow decides the approvers (§5.1 deptId).
        return Err(missing("deptId"));
    }
    if req.biz_detail_page_url.is_some() {
        return Err(bad("benefitStatusInvalid", "bizDetailPageUrl 仅 OA 高级版可用"));
    }
    let now = shared.clock.now_ms();
    let mut state = shared.lock();
    if let Some(agent) = req.microapp_agent_id
        && agent != state.org.app.agent_id
    {
        return Err(bad("invalidAgentId", format!("microappAgentId {agent} 不是本应用")));
    }
    let template =
        state.approvals.template(&process_code).cloned().ok_or_else(|| bad("processCodeError", "模板不存在"))?;
    let form_values =
        crate::forms::validate(&template, &values, &Lookup(&state)).map_err(|e| bad(e.code, &e.message))?;
    let new = NewInstance {
        process_code,
        originator_user_id: originator,
        dept_id: req.dept_id,
        approvers: req.approvers,
        cc_list: req.cc_list.unwrap_or_default(),
        cc_position: req.cc_position,
        target_select_actioners: req.target_select_actioners.unwrap_or_default(),
        form_values,
    };
    let EmuState { org, approvals, .. } = &mut *state;
    let (id, events) = approvals.start(org, new, now).map_err(Fail::from)?;
    for event in events {
        shared.events.publish(event);
    }
    Ok(id)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InstanceQuery {
    process_instance_id: Option<String>,
}

/// `GET /v1.0/workflow/processInstances?processInstanceId=` (server-api.md §5.2). `success` is a string here.
async fn get_instance(State(shared): State<Arc<Shared>>, _: AppCall, Params(q): Params<InstanceQuery>) -> Response {
    let id = match required_str(q.process_instance_id, "processInstanceId") {
        Ok(id) => id,
        Err(response) => return response.into_response(),
    };
    let state = shared.lock();
    match state.approvals.instance(&id) {
        Some(instance) => {
            Json(json!({ "success": "true", "result": instance_json(&state.org, instance) })).into_response()
        }
        None => Fail::from(not_found()).into_response(),
    }
}

fn task_json(corp: &str, instance: &Instance, task: &Task) -> Value {
    let url = crate::engine::detail_url(corp, &instance.id, Some(task.task_id));
    let mut t = json!({
        "taskId": task.task_id,
        "userId": task.user_id,
        "status": task.status,
        "result": task.result,
        "createTime": v1_time(task.create_ms),
        "mobileUrl": url,
        "pcUrl": url.replace("/mobile/", "/pc/"),
        "processInstanceId": instance.id,
        "activityId": task.activity_id,
    });
    if let Some(finish) = task.finish_ms {
        t["finishTime"] = json!(v1_time(finish));
    }
    t
}

fn instance_json(org: &Org, instance: &Instance) -> Value {
    let corp = &org.corp.corp_id;
    let records: Vec<Value> = instance
        .records
        .iter()
        .map(|r| {
            let mut record = json!({
                "userId": r.user_id,
                "date": v1_time(r.date_ms),
                "type": r.op_type,
                "result": r.result,
                "showName": r.show_name,
            });
            for (key, value, present) in [
                ("remark", json!(r.remark), !r.remark.is_empty()),
                ("activityId", json!(r.activity_id), !r.activity_id.is_empty()),
                ("ccUserIds", json!(r.cc_user_ids), !r.cc_user_ids.is_empty()),
                ("images", json!(r.images), !r.images.is_empty()),
                ("attachments", json!(r.attachments), !r.attachments.is_empty()),
            ] {
                if present {
                    record[key] = value;
                }
            }
            record
        })
        .collect();
    let mut result = json!({
        "title": instance.title,
        "createTime": v1_time(instance.create_ms),
        "originatorUserId": instance.originator_user_id,
        "originatorDeptId": instance.originator_dept_id.to_string(),
        "originatorDeptName": instance.originator_dept_name,
        "status": instance.status,
        "businessId": instance.business_id,
        "bizAction": "NONE",
        "approverUserIds": instance.approver_user_ids,
        "ccUserIds": instance.cc_user_ids,
        "attachedProcessInstanceIds": [],
        "formComponentValues": instance.form_values,
        "operationRecords": records,
        "tasks": instance.tasks.iter().map(|t| task_json(corp, instance, t)).collect::<Vec<_>>(),
    });
    if let Some(finish) = instance.finish_ms {
        result["finishTime"] = json!(v1_time(finish));
    }
    result["result"] = match instance.result {
        Some(r) => json!(r),
        None => json!(""),
    };
    result
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListIdsRequest {
    process_code: Option<String>,
    start_time: Option<i64>,
    end_time: Option<i64>,
    next_token: Option<i64>,
    max_results: Option<i64>,
    user_ids: Option<Vec<String>>,
    statuses: Option<Vec<InstanceStatus>>,
}

/// `POST /v1.0/workflow/processes/instanceIds/query` (server-api.md §5.3): oldest first; `nextToken` is the offset
/// of the next page as a string, absent on the last page. A missing `endTime` means now; the 120-day rule applies.
async fn list_ids(State(shared): State<Arc<Shared>>, _: AppCall, Body(req): Body<ListIdsRequest>) -> Response {
    let inner = || -> Result<Value, Fail> {
        let process_code = required_str(req.process_code, "processCode")?;
        let start = required(req.start_time, "startTime")?;
        let offset = required(req.next_token, "nextToken")?;
        let size = required(req.max_results, "maxResults")?;
        let end = req.end_time.unwrap_or_else(|| shared.clock.now_ms());
        if !(1..=MAX_IDS_PAGE).contains(&size) {
            return Err(bad("invalidMaxResults", format!("maxResults 须在 1 到 {MAX_IDS_PAGE} 之间")));
        }
        if end < start || end - start > MAX_QUERY_RANGE_MS {
            return Err(bad("invalidEndTime", "endTime 不能早于 startTime，且时间跨度不能超过 120 天"));
        }
        if offset < 0 {
            return Err(bad("invalidNextToken", "nextToken 不合法"));
        }
        let users = req.user_ids.unwrap_or_default();
        if users.len() > 10 {
            return Err(bad("invalidUserIds", "userIds 最多 10 个"));
        }
        let state = shared.lock();
        if state.approvals.template(&process_code).is_none() {
            return Err(bad("invalidProcessCode", "模板不存在"));
        }
        let statuses = req.statuses.unwrap_or_default();
        let ids: Vec<&str> = state
            .approvals
            .instances()
            .iter()
            .filter(|i| i.process_code == process_code && (start..=end).contains(&i.create_ms))
            .filter(|i| users.is_empty() || users.contains(&i.originator_user_id))
            .filter(|i| statuses.is_empty() || statuses.contains(&i.status))
            .map(|i| i.id.as_str())
            .collect();
        let from = (offset as usize).min(ids.len());
        let to = (from + size as usize).min(ids.len());
        let mut result = json!({ "list": &ids[from..to] });
        if to < ids.len() {
            result["nextToken"] = json!(to.to_string());
        }
        Ok(json!({ "result": result, "success": true }))
    };
    match inner() {
        Ok(body) => Json(body).into_response(),
        Err(fail) => fail.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaQuery {
    process_code: Option<String>,
}

/// `GET /v1.0/workflow/forms/schemas/processCodes?processCode=` (server-api.md §5.4).
async fn schema(State(shared): State<Arc<Shared>>, _: AppCall, Params(q): Params<SchemaQuery>) -> Response {
    let code = match required_str(q.process_code, "processCode") {
        Ok(code) => code,
        Err(response) => return response.into_response(),
    };
    let state = shared.lock();
    let Some(template) = state.approvals.template(&code) else {
        return bad("formNotExist", "表单不存在").into_response();
    };
    let owner = state.org.users.iter().find(|u| u.boss).map(|u| u.user_id.clone()).unwrap_or_default();
    Json(json!({ "result": {
        "formCode": template.process_code,
        "formUuid": format!("FORM-{}", template.process_code.trim_start_matches("PROC-")),
        "name": template.name,
        "memo": template.memo,
        "creatorUserId": owner,
        "appUuid": format!("SWAPP-{}", state.org.app.agent_id),
        "ownerIdType": "orgId",
        "appType": 0,
        "bizType": "",
        "engineType": 0,
        "status": "PUBLISHED",
        "listOrder": 0,
        "customSetting": "",
        "procType": "inner",
        "visibleRange": if template.visible_dept_ids.is_empty() { "all" } else { "part" },
        "gmtCreate": "1700000000000",
        "gmtModified": "1700000000000",
        "icon": template.icon,
        "schemaContent": {
            "title": template.name,
            "icon": template.icon,
            "items": template.items.iter().map(component_json).collect::<Vec<_>>(),
        },
    }}))
    .into_response()
}

/// A control as the schema API shows it: a table's columns under `children`.
fn component_json(component: &Component) -> Value {
    serde_json::to_value(component).unwrap_or(Value::Null)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VisibleQuery {
    user_id: Option<String>,
    max_results: Option<i64>,
    next_token: Option<i64>,
}

/// `GET /v1.0/workflow/processes/userVisibilities/templates` — the templates a member may start.
async fn visible_templates(State(shared): State<Arc<Shared>>, _: AppCall, Params(q): Params<VisibleQuery>) -> Response {
    let Some(user_id) = q.user_id.filter(|u| !u.is_empty()) else { return missing("userId").into_response() };
    let size = q.max_results.unwrap_or(MAX_TEMPLATES_PAGE);
    let offset = q.next_token.unwrap_or(0);
    if !(1..=MAX_TEMPLATES_PAGE).contains(&size) || offset < 0 {
        return bad("invalidParameter", format!("maxResults 须在 1 到 {MAX_TEMPLATES_PAGE} 之间，nextToken 不能为负"))
            .into_response();
    }
    let state = shared.lock();
    let Some(user) = state.org.member(&user_id) else { return bad("userNotExist", "用户不存在").into_response() };
    let visible: Vec<Value> = state
        .approvals
        .templates
        .iter()
        .filter(|t| t.visible_dept_ids.is_empty() || user.dept_ids.iter().any(|d| in_any(&state.org, *d, &t.visible_dept_ids)))
        .map(|t| {
            json!({
                "processCode": t.process_code,
                "name": t.name,
                "iconUrl": t.icon,
                "url": format!("https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?processCode={}", t.process_code),
                "dirId": t.dir_name,
                "dirName": t.dir_name,
            })
        })
        .collect();
    let from = (offset as usize).min(visible.len());
    let to = (from + size as usize).min(visible.len());
    let mut result = json!({ "processList": &visible[from..to] });
    if to < visible.len() {
        result["nextToken"] = json!(to);
    }
    Json(json!({ "result": result })).into_response()
}

/// Whether `dept` is one of `roots` or below one of them.
fn in_any(org: &Org, dept: i64, roots: &[i64]) -> bool {
    let mut current = Some(dept);
    while let Some(d) = current {
        if roots.contains(&d) {
            return true;
        }
        current = org.departments.iter().find(|x| x.dept_id == d).and_then(|x| x.parent_id);
    }
    false
}

#[derive(Deserialize)]
struct NameQuery {
    name: Option<String>,
}

/// `GET /v1.0/workflow/processCentres/schemaNames/processCodes?name=`.
async fn code_by_name(State(shared): State<Arc<Shared>>, _: AppCall, Params(q): Params<NameQuery>) -> Response {
    let Some(name) = q.name.filter(|n| !n.is_empty()) else { return missing("name").into_response() };
    let state = shared.lock();
    match state.approvals.templates.iter().find(|t| t.name == name) {
        Some(t) => {
            Json(json!({ "result": { "processCode": t.process_code, "gmtModified": "1700000000000" } })).into_response()
        }
        None => bad("formNotExist", "表单不存在").into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserQuery {
    user_id: Option<String>,
    status: Option<i64>,
    next_token: Option<i64>,
    max_results: Option<i64>,
}

/// `GET /v1.0/workflow/processes/todoTasks/numbers?userId=` (server-api.md §5.5).
async fn todo_count(State(shared): State<Arc<Shared>>, _: AppCall, Params(q): Params<UserQuery>) -> Response {
    let Some(user_id) = q.user_id.filter(|u| !u.is_empty()) else {
        return bad("invalidGetTodoTaskSumUserId", "userId 不能为空").into_response();
    };
    let state = shared.lock();
    if state.org.member(&user_id).is_none() {
        return bad("userNotExist", "用户不存在").into_response();
    }
    Json(json!({ "result": state.approvals.running_tasks(&user_id).len() })).into_response()
}

/// `GET /v1.0/workflow/workRecords/todoTasks` (server-api.md §5.6): status 0 = pending tasks, -1 = tasks taken away
/// (cancelled, e.g. another approver of an OR step acted). `nextToken` is an int here, absent on the last page.
async fn work_records(State(shared): State<Arc<Shared>>, _: AppCall, Params(q): Params<UserQuery>) -> Response {
    let inner = || -> Result<Value, Fail> {
        let user_id = required_str(q.user_id, "userId")?;
        let status = required(q.status, "status")?;
        let offset = required(q.next_token, "nextToken")?;
        let size = required(q.max_results, "maxResults")?;
        if !(1..=MAX_WORK_RECORDS_PAGE).contains(&size) || offset < 0 || !matches!(status, 0 | -1) {
            return Err(bad("invalidParameter", "status 须为 0 或 -1，maxResults 1 到 50，nextToken 不能为负"));
        }
        let state = shared.lock();
        if state.org.member(&user_id).is_none() {
            return Err(bad("userNotExist", "用户不存在"));
        }
        let wanted = if status == 0 { TaskStatus::Running } else { TaskStatus::Canceled };
        let corp = &state.org.corp.corp_id;
        let rows: Vec<Value> = state
            .approvals
            .instances()
            .iter()
            .flat_map(|i| i.tasks.iter().map(move |t| (i, t)))
            .filter(|(_, t)| t.user_id == user_id && t.status == wanted)
            .map(|(i, t)| {
                let forms: Vec<Value> = i
                    .form_values
                    .iter()
                    .filter(|v| !v.value.is_empty())
                    .take(3)
                    .map(|v| json!({ "title": v.name, "content": v.value }))
                    .collect();
                json!({
                    "instanceId": i.id,
                    "taskId": t.task_id,
                    "title": i.title,
                    "url": crate::engine::detail_url(corp, &i.id, Some(t.task_id)),
                    "forms": forms,
                })
            })
            .collect();
        let from = (offset as usize).min(rows.len());
        let to = (from + size as usize).min(rows.len());
        let mut result = json!({ "list": &rows[from..to] });
        if to < rows.len() {
            result["nextToken"] = json!(to);
        }
        Ok(json!({ "result": result }))
    };
    match inner() {
        Ok(body) => Json(body).into_response(),
        Err(fail) => fail.into_response(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------------------------

/// `remark`/`text` may be at most this long (server-api.md §5.7–5.9).
const MAX_REMARK: usize = 1024;

fn check_remark(remark: &str, name: &str) -> Result<(), Fail> {
    if remark.chars().count() > MAX_REMARK {
        return Err(bad("invalidParameter", format!("{name} 不能超过 {MAX_REMARK} 个字符")));
    }
    Ok(())
}

fn check_file(state: &EmuState, file: &ActionFile) -> Result<(), Fail> {
    if file.attachments.len() > 20 {
        return Err(bad("invalidParameter", "附件最多 20 个"));
    }
    for a in &file.attachments {
        if state.approvals.file(&a.space_id, &a.file_id).is_none() {
            return Err(bad("invalidParameter", format!("附件 {} 不在审批钉盘空间中", a.file_name)));
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecuteRequest {
    process_instance_id: Option<String>,
    task_id: Option<i64>,
    actioner_user_id: Option<String>,
    result: Option<String>,
    remark: Option<String>,
    file: Option<ActionFile>,
}

/// `POST /v1.0/workflow/processInstances/execute` (server-api.md §5.7).
async fn execute(State(shared): State<Arc<Shared>>, _: AppCall, Body(req): Body<ExecuteRequest>) -> Response {
    let inner = || -> Result<(), Fail> {
        let instance_id = required_str(req.process_instance_id, "processInstanceId")?;
        let task_id = required(req.task_id, "taskId")?;
        let actioner = required_str(req.actioner_user_id, "actionerUserId")?;
        let agree = match required_str(req.result, "result")?.as_str() {
            "agree" => true,
            "refuse" => false,
            other => {
                return Err(bad(
                    "invalidInstanceExecuteResult",
                    format!("result 只能是 agree 或 refuse，而不是 {other}"),
                ));
            }
        };
        let remark = req.remark.unwrap_or_default();
        check_remark(&remark, "remark")?;
        let file = req.file.unwrap_or_default();
        let now = shared.clock.now_ms();
        let mut state = shared.lock();
        check_file(&state, &file)?;
        if state.approvals.instance(&instance_id).is_none() {
            return Err(Fail::from(not_found()));
        }
        let EmuState { org, approvals, .. } = &mut *state;
        let events =
            approvals.execute(org, &instance_id, task_id, &actioner, agree, &remark, &file, now).map_err(Fail::from)?;
        events.into_iter().for_each(|e| shared.events.publish(e));
        Ok(())
    };
    inner().map(|()| ok_true()).unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RedirectRequest {
    task_id: Option<i64>,
    to_user_id: Option<String>,
    operate_user_id: Option<String>,
    remark: Option<String>,
    action_name: Option<String>,
    file: Option<ActionFile>,
}

/// `POST /v1.0/workflow/tasks/redirect` — transfer a running task. Answers `{"result": true}` only.
async fn redirect(State(shared): State<Arc<Shared>>, _: AppCall, Body(req): Body<RedirectRequest>) -> Response {
    let inner = || -> Result<(), Fail> {
        let task_id = required(req.task_id, "taskId")?;
        let to_user = required_str(req.to_user_id, "toUserId")?;
        let operator = required_str(req.operate_user_id, "operateUserId")?;
        let remark = req.remark.unwrap_or_default();
        check_remark(&remark, "remark")?;
        let _ = req.action_name;
        let now = shared.clock.now_ms();
        let mut state = shared.lock();
        check_file(&state, &req.file.unwrap_or_default())?;
        let EmuState { org, approvals, .. } = &mut *state;
        let events = approvals.redirect(org, task_id, &to_user, &operator, &remark, now).map_err(Fail::from)?;
        events.into_iter().for_each(|e| shared.events.publish(e));
        Ok(())
    };
    inner().map(|()| Json(json!({ "result": true })).into_response()).unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TerminateRequest {
    process_instance_id: Option<String>,
    is_system: Option<bool>,
    operating_user_id: Option<String>,
    remark: Option<String>,
}

/// `POST /v1.0/workflow/processInstances/terminate` (server-api.md §5.8).
async fn terminate(State(shared): State<Arc<Shared>>, _: AppCall, Body(req): Body<TerminateRequest>) -> Response {
    let inner = || -> Result<(), Fail> {
        let instance_id = required_str(req.process_instance_id, "processInstanceId")?;
        let Some(is_system) = req.is_system else {
            return Err(bad("invalidInstanceTerminateIsSystem", "isSystem 不能为空"));
        };
        let remark = req.remark.unwrap_or_default();
        check_remark(&remark, "remark")?;
        let now = shared.clock.now_ms();
        let mut state = shared.lock();
        let EmuState { org, approvals, .. } = &mut *state;
        let events = approvals
            .terminate(org, &instance_id, is_system, req.operating_user_id.as_deref(), &remark, now)
            .map_err(Fail::from)?;
        events.into_iter().for_each(|e| shared.events.publish(e));
        Ok(())
    };
    inner().map(|()| ok_true()).unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentRequest {
    process_instance_id: Option<String>,
    text: Option<String>,
    comment_user_id: Option<String>,
    file: Option<ActionFile>,
}

/// `POST /v1.0/workflow/processInstances/comments` (server-api.md §5.9).
async fn comment(State(shared): State<Arc<Shared>>, _: AppCall, Body(req): Body<CommentRequest>) -> Response {
    let inner = || -> Result<(), Fail> {
        let instance_id = required_str(req.process_instance_id, "processInstanceId")?;
        let text = required_str(req.text, "text")?;
        let user = required_str(req.comment_user_id, "commentUserId")?;
        check_remark(&text, "text")?;
        let file = req.file.unwrap_or_default();
        let now = shared.clock.now_ms();
        let mut state = shared.lock();
        check_file(&state, &file)?;
        let EmuState { org, approvals, .. } = &mut *state;
        approvals.comment(org, &instance_id, &user, &text, &file, now).map_err(Fail::from)
    };
    inner().map(|()| ok_true()).unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForecastRequest {
    process_code: Option<String>,
    dept_id: Option<i64>,
    user_id: Option<String>,
    form_component_values: Option<Vec<FormValue>>,
}

/// `POST /v1.0/workflow/processes/forecast`: the steps the template would run for this originator and form, with
/// the "originator picks" steps marked `isTargetSelect` (their `activityId` is the `actionerKey` of
/// `targetSelectActioners`).
async fn forecast(State(shared): State<Arc<Shared>>, _: AppCall, Body(req): Body<ForecastRequest>) -> Response {
    let inner = || -> Result<Value, Fail> {
        let process_code = required_str(req.process_code, "processCode")?;
        let user_id = required_str(req.user_id, "userId")?;
        let dept_id = required(req.dept_id, "deptId")?;
        let values = req.form_component_values.unwrap_or_default();
        let state = shared.lock();
        let template = state.approvals.template(&process_code).ok_or_else(|| bad("processCodeError", "模板不存在"))?;
        let user = state.org.member(&user_id).ok_or_else(|| bad("userNotExist", "用户不存在"))?;
        if dept_id != -1 && !user.dept_ids.contains(&dept_id) {
            return Err(bad("processInstanceInvalidParameter", format!("发起人不在部门 {dept_id} 中")));
        }
        // A forecast may come before the form is complete: values are matched to controls (by id or label) for
        // the flow's conditions, but not checked.
        let form: Vec<StoredValue> = values
            .iter()
            .filter_map(|v| {
                let c = template.components().find(|c| {
                    v.id.as_deref() == Some(c.props.id.as_str()) || v.name.as_deref() == Some(c.props.label.as_str())
                })?;
                Some(StoredValue {
                    id: c.props.id.clone(),
                    name: c.props.label.clone(),
                    value: v.value.clone().unwrap_or_default(),
                    ext_value: None,
                    component_type: wire_name(&c.component_name),
                    biz_alias: c.props.biz_alias.clone(),
                })
            })
            .collect();
        let steps = state.approvals.forecast(&state.org, template, &user_id, &form);
        let org = &state.org;
        let mut prev = "sid-startevent".to_owned();
        let mut rules: Vec<Value> = Vec::new();
        for s in &steps {
            let method = match s.action_type {
                ActionType::And => "AND",
                ActionType::Or => "OR",
                ActionType::None => "ONE_BY_ONE",
            };
            let node = Node {
                id: &s.activity_id,
                name: &s.name,
                kind: "approver",
                people: &s.user_ids,
                pick_from: s.pick_from.as_deref(),
                required: true,
                method,
            };
            rules.push(node.rule(org, &prev));
            prev = s.activity_id.clone();
        }
        // The CC node comes last, as a notifier: its fixed people, and when the originator may add some, the range.
        if let Some(cc) = &template.flow.cc {
            let picks = cc.originator_picks.as_ref();
            let node = Node {
                id: &cc.activity_id,
                name: &cc.name,
                kind: "notifier",
                people: &cc.user_ids,
                pick_from: picks.map(|p| p.scope.as_slice()),
                required: picks.is_some_and(|p| p.required),
                method: "ONE_BY_ONE",
            };
            rules.push(node.rule(org, &prev));
        }
        let nodes: Vec<Value> =
            rules.iter().map(|r| json!({ "activityId": r["activityId"], "outId": r["activityId"] })).collect();
        Ok(json!({ "result": {
            "isForecastSuccess": true,
            "isStaticWorkflow": rules.iter().all(|r| r["isTargetSelect"] == false),
            "processCode": process_code,
            "processId": 0,
            "userId": user_id,
            "workflowActivityRules": rules,
            "workflowForecastNodes": nodes,
        }}))
    };
    inner().map(|v| Json(v).into_response()).unwrap_or_else(IntoResponse::into_response)
}

/// A forecast node, to be written as one `workflowActivityRules` entry in DingTalk's words: `actorType` approver or
/// notifier (抄送人); a node the originator picks for is `target_select` with `isTargetSelect` and an
/// `actorSelectionType` of allStaff or approvals (named people), any other `target_approval`; `approvalMethod`
/// ONE_BY_ONE, AND or OR.
struct Node<'a> {
    id: &'a str,
    name: &'a str,
    kind: &'static str,
    /// The people DingTalk already knows.
    people: &'a [String],
    /// Whom the originator may pick from, when they pick (empty: anyone).
    pick_from: Option<&'a [String]>,
    /// Whether a pick is required (when they pick).
    required: bool,
    method: &'static str,
}

impl Node<'_> {
    fn rule(&self, org: &Org, prev: &str) -> Value {
        let pick = self.pick_from.is_some();
        let actioners: Vec<Value> = self
            .people
            .iter()
            .filter_map(|u| org.member(u))
            .map(|u| json!({ "userId": u.user_id, "name": u.name, "avatar": u.avatar.clone().unwrap_or_default() }))
            .collect();
        let range: Vec<Value> = self
            .pick_from
            .unwrap_or_default()
            .iter()
            .filter_map(|u| org.member(u))
            .map(|u| json!({ "userName": u.name, "workNo": u.user_id }))
            .collect();
        let selection = match self.pick_from {
            None => "",
            Some([]) => "allStaff",
            Some(_) => "approvals",
        };
        json!({
            "activityId": self.id,
            "activityName": self.name,
            "activityType": if pick { "target_select" } else { "target_approval" },
            "prevActivityId": prev,
            "isTargetSelect": pick,
            "activityActioners": actioners,
            "workflowActor": {
                "actorKey": self.id,
                "actorType": self.kind,
                "actorSelectionType": selection,
                "actorSelectionRange": { "approvals": range, "labels": [] },
                "allowedMulti": pick,
                "approvalType": "MANUAL",
                "approvalMethod": self.method,
                "actorActivateType": if matches!(self.method, "AND" | "OR") { "ALL" } else { "ONE_BY_ONE" },
                "required": pick && self.required,
            },
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpaceRequest {
    user_id: Option<String>,
    agent_id: Option<i64>,
}

/// `POST /v1.0/workflow/processInstances/spaces/infos/query` — the user's approval space (server-api.md §5.9).
async fn space(State(shared): State<Arc<Shared>>, _: AppCall, Body(req): Body<SpaceRequest>) -> Response {
    let Some(user_id) = req.user_id.filter(|u| !u.is_empty()) else { return missing("userId").into_response() };
    let mut state = shared.lock();
    if let Some(agent) = req.agent_id
        && agent != state.org.app.agent_id
    {
        return bad("invalidAgentId", format!("agentId {agent} 不是本应用")).into_response();
    }
    if state.org.member(&user_id).is_none() {
        return bad("userNotExist", "用户不存在").into_response();
    }
    let space_id = state.approvals.space_of(&user_id);
    Json(json!({ "result": { "spaceId": space_id.parse::<i64>().unwrap_or(0) }, "success": true })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DownloadRequest {
    process_instance_id: Option<String>,
    file_id: Option<String>,
    #[serde(rename = "withCommentAttatchment")]
    _with_comment_attachment: Option<bool>,
}

/// `POST /v1.0/workflow/processInstances/spaces/files/urls/download`: a download link for a file attached to the
/// instance (in its form, an action or a comment).
async fn download(State(shared): State<Arc<Shared>>, _: AppCall, Body(req): Body<DownloadRequest>) -> Response {
    let inner = || -> Result<Value, Fail> {
        let instance_id = required_str(req.process_instance_id, "processInstanceId")?;
        let file_id = required_str(req.file_id, "fileId")?;
        let state = shared.lock();
        let instance = state.approvals.instance(&instance_id).ok_or_else(|| Fail::from(not_found()))?;
        let in_form =
            instance.form_values.iter().any(|v| v.component_type == "DDAttachment" && v.value.contains(&file_id));
        let in_records = instance.records.iter().any(|r| r.attachments.iter().any(|a| a.file_id == file_id));
        let file = state
            .approvals
            .file_by_id(&file_id)
            .filter(|_| in_form || in_records)
            .ok_or_else(|| bad("fileNotExist", format!("文件 {file_id} 不属于该审批实例")))?;
        Ok(json!({ "result": {
            "downloadUri": format!("https://space.dingtalk.com/download/{}/{}/{}", file.space_id, file.file_id, file.file_name),
            "fileId": file.file_id,
            "spaceId": file.space_id.parse::<i64>().unwrap_or(0),
        }, "success": true }))
    };
    inner().map(|v| Json(v).into_response()).unwrap_or_else(IntoResponse::into_response)
}

// ---------------------------------------------------------------------------------------------------------------
// JSAPI ticket and the legacy approval paths
// ---------------------------------------------------------------------------------------------------------------

/// `POST /v1.0/oauth2/jsapiTickets` (server-api.md §4).
async fn jsapi_ticket_v1(State(shared): State<Arc<Shared>>, _: AppCall) -> Response {
    let ticket = shared.lock().issue_jsapi_ticket(shared.clock.now_ms());
    Json(json!({ "jsapiTicket": ticket, "expireIn": 7200 })).into_response()
}

/// Body of `POST /_emulator/jsapi/verify`: the parameters a page passed to `dd.config` (the container adds the
/// page's URL). Numbers may come as text, as pages pass them either way.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsapiVerify {
    /// The page's URL (`location.href`).
    #[serde(default)]
    pub url: String,
    /// `nonceStr`.
    #[serde(default)]
    pub nonce_str: String,
    /// `timeStamp`, as given.
    #[serde(default)]
    pub time_stamp: Value,
    /// `signature`.
    #[serde(default)]
    pub signature: String,
    /// `corpId`.
    #[serde(default)]
    pub corp_id: String,
    /// `agentId`, as given.
    #[serde(default)]
    pub agent_id: Value,
}

/// DingTalk's text for a failed `dd.config` (jsapi.md §3): code 52013 with what it checked.
fn signature_failed(req: &JsapiVerify, ticket: Option<&str>) -> Response {
    let message = format!(
        "权限校验失败 Code:52013 - Message: 签名校验失败,nonce:[{}],timestamp:[{}],url:[{}],ticketList:[{}]",
        req.nonce_str,
        text_of(&req.time_stamp),
        req.url,
        ticket.unwrap_or_default()
    );
    control_error(StatusCode::FORBIDDEN, "52013", message)
}

/// A JSON number or string as its text.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `POST /_emulator/jsapi/verify`: what DingTalk checks when a page calls `dd.config` (`requestJsApis` on mobile,
/// `config` on PC): the corpId and agentId are the app's, and the signature is over the app's current JSAPI ticket.
/// The digest (SHA-1 or SHA-256) and the URL form (raw or query-decoded) are not settled (jsapi.md §3.1), so
/// every combination is accepted. A mismatch is 403 with code `52013` and DingTalk's message.
async fn control_verify_jsapi(State(shared): State<Arc<Shared>>, Json(req): Json<JsapiVerify>) -> Response {
    use dingtalk_client::jsapi::{Digest, UrlForm, sign};
    let state = shared.lock();
    let ticket = state.current_jsapi_ticket(shared.clock.now_ms());
    let agent_ok = text_of(&req.agent_id) == state.org.app.agent_id.to_string();
    if req.corp_id != state.org.corp.corp_id || !agent_ok {
        return signature_failed(&req, ticket);
    }
    let Some(timestamp) = text_of(&req.time_stamp).parse::<u64>().ok() else {
        return signature_failed(&req, ticket);
    };
    let matches = ticket.is_some_and(|ticket| {
        [Digest::Sha1, Digest::Sha256].into_iter().any(|digest| {
            [UrlForm::Raw, UrlForm::QueryDecoded].into_iter().any(|form| {
                sign(ticket, &req.nonce_str, timestamp, &req.url, digest, form).eq_ignore_ascii_case(&req.signature)
            })
        })
    });
    if !matches {
        return signature_failed(&req, ticket);
    }
    Json(json!({ "ok": true })).into_response()
}

#[derive(Deserialize)]
struct LegacyTokenQuery {
    access_token: Option<String>,
}

/// `GET /get_jsapi_ticket?access_token=` (server-api.md §4), legacy envelope.
async fn jsapi_ticket_legacy(
    State(shared): State<Arc<Shared>>,
    axum::extract::Query(q): axum::extract::Query<LegacyTokenQuery>,
) -> Json<Value> {
    let now = shared.clock.now_ms();
    let mut state = shared.lock();
    let token = q.access_token.unwrap_or_default();
    match state.check_token(&token, now) {
        Err(TokenProblem::Unknown) => return crate::oapi::fail(40014, "不合法的access_token"),
        Err(TokenProblem::Expired) => return crate::oapi::fail(42001, "access_token超时"),
        Ok(()) => {}
    }
    let ticket = state.issue_jsapi_ticket(now);
    crate::oapi::ok(json!({ "ticket": ticket, "expires_in": 7200 }))
}

/// The archived `topapi/processinstance/*` and `topapi/process/*` paths: new apps cannot get that permission, so
/// DingTalk answers errcode 88 with sub_code 60011 (server-api.md §1.1, §6).
async fn legacy_refused(axum::extract::OriginalUri(uri): axum::extract::OriginalUri) -> Json<Value> {
    let sub_msg = format!("应用尚未开通所需的权限：[{}]，该接口已不支持新增申请", uri.path());
    crate::oapi::fail_with_sub(88, "60011", &sub_msg)
}

// ---------------------------------------------------------------------------------------------------------------
// Control routes
// ---------------------------------------------------------------------------------------------------------------

/// A task as the control routes show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSummary {
    /// int64 id.
    pub task_id: i64,
    /// The approver.
    pub user_id: String,
    /// `RUNNING`, `COMPLETED`, `CANCELED`.
    pub status: String,
    /// `NONE`, `AGREE`, `REFUSE`, `REDIRECTED`.
    pub result: String,
    /// The step.
    pub activity_id: String,
    /// The instance.
    pub process_instance_id: String,
    /// The instance's title.
    pub title: String,
    /// Created (ms).
    pub create_time_ms: i64,
}

/// An instance as the control routes show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceSummary {
    /// Its id.
    pub process_instance_id: String,
    /// The template.
    pub process_code: String,
    /// Title.
    pub title: String,
    /// `RUNNING`, `COMPLETED`, `TERMINATED`.
    pub status: String,
    /// `agree`, `refuse` or empty.
    pub result: String,
    /// Who submitted.
    pub originator_user_id: String,
    /// Started (ms).
    pub create_time_ms: i64,
    /// Its tasks.
    pub tasks: Vec<TaskSummary>,
}

fn wire_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn task_summary(instance: &Instance, task: &Task) -> TaskSummary {
    TaskSummary {
        task_id: task.task_id,
        user_id: task.user_id.clone(),
        status: wire_name(&task.status),
        result: wire_name(&task.result),
        activity_id: task.activity_id.clone(),
        process_instance_id: instance.id.clone(),
        title: instance.title.clone(),
        create_time_ms: task.create_ms,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ControlUserQuery {
    user_id: Option<String>,
}

/// `GET /_emulator/instances[?userId=]`: every instance (or those involving the user), newest first.
async fn control_instances(
    State(shared): State<Arc<Shared>>,
    Params(q): Params<ControlUserQuery>,
) -> Json<Vec<InstanceSummary>> {
    let state = shared.lock();
    let list = state
        .approvals
        .instances()
        .iter()
        .rev()
        .filter(|i| q.user_id.as_deref().is_none_or(|u| i.involves(u)))
        .map(|i| InstanceSummary {
            process_instance_id: i.id.clone(),
            process_code: i.process_code.clone(),
            title: i.title.clone(),
            status: wire_name(&i.status),
            result: i.result.map(|r| wire_name(&r)).unwrap_or_default(),
            originator_user_id: i.originator_user_id.clone(),
            create_time_ms: i.create_ms,
            tasks: i.tasks.iter().map(|t| task_summary(i, t)).collect(),
        })
        .collect();
    Json(list)
}

/// `GET /_emulator/tasks?userId=`: the user's running tasks, oldest first.
async fn control_tasks(State(shared): State<Arc<Shared>>, Params(q): Params<ControlUserQuery>) -> Response {
    let Some(user_id) = q.user_id else {
        return control_error(StatusCode::BAD_REQUEST, "badRequest", "userId is required");
    };
    let state = shared.lock();
    let tasks: Vec<TaskSummary> =
        state.approvals.running_tasks(&user_id).into_iter().map(|(i, t)| task_summary(i, t)).collect();
    Json(tasks).into_response()
}

/// What a person does to a task from the control API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Act {
    /// Agree.
    Agree,
    /// Refuse.
    Refuse,
    /// Transfer to `toUserId`.
    Redirect,
}

/// Body of `POST /_emulator/act`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActRequest {
    /// Who acts (must hold the task).
    pub user_id: String,
    /// The task.
    pub task_id: i64,
    /// What they do.
    pub action: Act,
    /// Their comment.
    #[serde(default)]
    pub remark: Option<String>,
    /// For `redirect`: to whom.
    #[serde(default)]
    pub to_user_id: Option<String>,
}

/// `POST /_emulator/act`: act as a user on their task, as they would in DingTalk's own app.
async fn control_act(State(shared): State<Arc<Shared>>, Json(req): Json<ActRequest>) -> Response {
    let now = shared.clock.now_ms();
    let mut state = shared.lock();
    let Some(instance_id) = state.approvals.task(req.task_id).map(|(i, _)| i.id.clone()) else {
        return control_error(StatusCode::NOT_FOUND, "taskNotExist", format!("no task {}", req.task_id));
    };
    let remark = req.remark.unwrap_or_default();
    let EmuState { org, approvals, .. } = &mut *state;
    let outcome = match req.action {
        Act::Agree | Act::Refuse => approvals.execute(
            org,
            &instance_id,
            req.task_id,
            &req.user_id,
            req.action == Act::Agree,
            &remark,
            &ActionFile::default(),
            now,
        ),
        Act::Redirect => match req.to_user_id.as_deref() {
            Some(to) => approvals.redirect(org, req.task_id, to, &req.user_id, &remark, now),
            None => return control_error(StatusCode::BAD_REQUEST, "badRequest", "redirect needs toUserId"),
        },
    };
    match outcome {
        Ok(events) => {
            events.into_iter().for_each(|e| shared.events.publish(e));
            Json(json!({})).into_response()
        }
        Err(e) => control_error(StatusCode::CONFLICT, e.code, e.message),
    }
}

/// Body of `POST /_emulator/attachments`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadRequest {
    /// Who uploads (into their approval space).
    pub user_id: String,
    /// File name.
    pub file_name: String,
    /// Size in bytes.
    pub file_size: i64,
    /// Extension.
    pub file_type: String,
}

/// A stored file as `uploadAttachment` returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadedFile {
    /// Space id.
    pub space_id: String,
    /// File id.
    pub file_id: String,
    /// Name.
    pub file_name: String,
    /// Size in bytes.
    pub file_size: i64,
    /// Extension.
    pub file_type: String,
}

/// `POST /_emulator/attachments`: what `biz.util.uploadAttachment` does in the container.
async fn control_upload(State(shared): State<Arc<Shared>>, Json(req): Json<UploadRequest>) -> Response {
    let mut state = shared.lock();
    if state.org.member(&req.user_id).is_none() {
        return control_error(StatusCode::NOT_FOUND, "userNotExist", format!("no member {}", req.user_id));
    }
    if req.file_name.trim().is_empty() || req.file_size < 0 {
        return control_error(
            StatusCode::BAD_REQUEST,
            "badRequest",
            "fileName and a non-negative fileSize are required",
        );
    }
    let f = state.approvals.upload(&req.user_id, &req.file_name, req.file_size, &req.file_type);
    Json(UploadedFile {
        space_id: f.space_id,
        file_id: f.file_id,
        file_name: f.file_name,
        file_size: f.file_size,
        file_type: f.file_type,
    })
    .into_response()
}

impl Control {
    /// Instances, newest first; only those involving `user_id` when given.
    pub async fn instances(&self, user_id: Option<&str>) -> Result<Vec<InstanceSummary>, ControlCallError> {
        match user_id {
            Some(u) => self.get("/_emulator/instances", &[("userId", u)]).await,
            None => self.get("/_emulator/instances", &[]).await,
        }
    }

    /// A user's running tasks, oldest first.
    pub async fn tasks(&self, user_id: &str) -> Result<Vec<TaskSummary>, ControlCallError> {
        self.get("/_emulator/tasks", &[("userId", user_id)]).await
    }

    /// Acts as `req.user_id` on a task.
    pub async fn act(&self, req: &ActRequest) -> Result<(), ControlCallError> {
        let _: Value = self.post("/_emulator/act", req).await?;
        Ok(())
    }

    /// Uploads a file into a user's approval space, as the container's `uploadAttachment` does.
    pub async fn upload(&self, req: &UploadRequest) -> Result<UploadedFile, ControlCallError> {
        self.post("/_emulator/attachments", req).await
    }

    /// Checks `dd.config` parameters as DingTalk does when a page calls it; refused with code `52013`.
    pub async fn verify_jsapi(&self, req: &JsapiVerify) -> Result<(), ControlCallError> {
        let _: Value = self.post("/_emulator/jsapi/verify", req).await?;
        Ok(())
    }
}
