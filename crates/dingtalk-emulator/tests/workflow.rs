//! The v1.0 approval API on the wire: DingTalk's paths, JSON shapes, id types, time format and error codes, from
//! create to agree, refuse, transfer, revoke and comment.

use std::time::Duration;

use dingtalk_emulator::Emulator;
use dingtalk_emulator::workflow::UploadRequest;
use reqwest::Method;
use serde_json::{Value, json};

struct Api {
    emu: Emulator,
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn start() -> Self {
        let emu = Emulator::start().await.unwrap();
        let token = emu.app_token().await.unwrap();
        Self { emu, http: reqwest::Client::new(), token }
    }

    async fn call_with(&self, token: Option<&str>, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.emu.uri()));
        if let Some(token) = token {
            req = req.header("x-acs-dingtalk-access-token", token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call_with(Some(&self.token), Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call_with(Some(&self.token), Method::GET, path, None).await
    }

    async fn create(&self, body: Value) -> String {
        let (status, res) = self.post("/v1.0/workflow/processInstances", body).await;
        assert_eq!(status, 200, "{res}");
        res["instanceId"].as_str().unwrap().to_owned()
    }

    async fn instance(&self, id: &str) -> Value {
        let (status, res) = self.get(&format!("/v1.0/workflow/processInstances?processInstanceId={id}")).await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["success"], "true", "success is a string on this API");
        res["result"].clone()
    }

    fn running_task(instance: &Value) -> (i64, String) {
        let task = instance["tasks"].as_array().unwrap().iter().find(|t| t["status"] == "RUNNING").unwrap();
        (task["taskId"].as_i64().expect("taskId is an int64"), task["userId"].as_str().unwrap().to_owned())
    }
}

fn general(originator: &str, what: &str) -> Value {
    json!({
        "processCode": "PROC-EMU-GENERAL",
        "originatorUserId": originator,
        "deptId": 101,
        "formComponentValues": [
            {"name": "事项名称", "value": what},
            {"name": "申请内容", "value": "请批准"},
        ],
    })
}

fn assert_error(response: &(u16, Value), status: u16, code: &str) {
    assert_eq!(response.0, status, "{}", response.1);
    assert_eq!(response.1["code"], code, "{}", response.1);
    assert!(response.1["requestid"].is_string(), "{}", response.1);
}

fn is_v1_time(value: &Value) -> bool {
    let s = value.as_str().unwrap_or("");
    let b = s.as_bytes();
    s.len() == 17 && b[4] == b'-' && b[10] == b'T' && b[13] == b':' && s.ends_with('Z')
}

#[tokio::test]
async fn an_approval_runs_from_create_to_agree_over_the_wire() {
    let api = Api::start().await;
    let id = api.create(general("zhangsan", "买显示器")).await;
    let instance = api.instance(&id).await;
    assert_eq!(instance["status"], "RUNNING");
    assert_eq!(instance["result"], "");
    assert_eq!(instance["title"], "张三提交的通用审批");
    assert_eq!(instance["originatorDeptId"], "101", "a string on this API");
    assert!(is_v1_time(&instance["createTime"]), "{}", instance["createTime"]);
    assert!(is_v1_time(&instance["tasks"][0]["createTime"]));
    assert_eq!(instance["formComponentValues"][0]["componentType"], "TextField");
    assert_eq!(instance["formComponentValues"][0]["value"], "买显示器");
    let (task_id, approver) = Api::running_task(&instance);
    assert_eq!(approver, "fe_lead");

    let (_, count) = api.get("/v1.0/workflow/processes/todoTasks/numbers?userId=fe_lead").await;
    assert_eq!(count["result"], 1);
    let (_, records) =
        api.get("/v1.0/workflow/workRecords/todoTasks?userId=fe_lead&status=0&nextToken=0&maxResults=10").await;
    assert_eq!(records["result"]["list"][0]["taskId"], task_id);
    assert_eq!(records["result"]["list"][0]["instanceId"], id.as_str());

    let execute = json!({"processInstanceId": id, "taskId": task_id, "actionerUserId": "fe_lead", "result": "agree", "remark": "同意"});
    let (status, res) = api.post("/v1.0/workflow/processInstances/execute", execute.clone()).await;
    assert_eq!((status, &res), (200, &json!({"result": true, "success": true})));
    let instance = api.instance(&id).await;
    assert_eq!((instance["status"].as_str(), instance["result"].as_str()), (Some("COMPLETED"), Some("agree")));
    assert!(is_v1_time(&instance["finishTime"]));
    let records: Vec<_> = instance["operationRecords"].as_array().unwrap().iter().map(|r| r["type"].clone()).collect();
    assert_eq!(records, [json!("START_PROCESS_INSTANCE"), json!("EXECUTE_TASK_NORMAL")]);
    assert_eq!(instance["tasks"][0]["result"], "AGREE");

    let again = api.post("/v1.0/workflow/processInstances/execute", execute).await;
    assert_error(&again, 400, "aflowProcessInstStatusException");
    let (_, count) = api.get("/v1.0/workflow/processes/todoTasks/numbers?userId=fe_lead").await;
    assert_eq!(count["result"], 0);

    let events = api.emu.control().events().await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| (e.event_type.as_str(), e.data["type"].as_str().unwrap_or(""))).collect();
    assert_eq!(
        kinds,
        [
            ("bpms_instance_change", "start"),
            ("bpms_task_change", "start"),
            ("bpms_task_change", "finish"),
            ("bpms_instance_change", "finish")
        ]
    );
}

#[tokio::test]
async fn the_token_goes_raw_in_the_header_and_expires_with_the_clock() {
    let api = Api::start().await;
    let path = "/v1.0/workflow/processes/todoTasks/numbers?userId=fe_lead";
    assert_error(&api.call_with(None, Method::GET, path, None).await, 400, "MissingxAcsDingtalkAccessToken");
    let quoted = format!("\"{}\"", api.token);
    assert_error(&api.call_with(Some(&quoted), Method::GET, path, None).await, 400, "InvalidAuthentication");
    assert_eq!(api.get(path).await.0, 200);
    api.emu.control().advance_clock(Duration::from_secs(7200)).await.unwrap();
    assert_error(&api.get(path).await, 400, "InvalidAuthentication");
}

#[tokio::test]
async fn bad_create_calls_get_dingtalks_codes_and_create_nothing() {
    let api = Api::start().await;
    let path = "/v1.0/workflow/processInstances";
    let mut body = general("zhangsan", "x");
    body.as_object_mut().unwrap().remove("processCode");
    assert_error(&api.post(path, body).await, 400, "MissingProcessCode");
    let mut body = general("zhangsan", "x");
    body["processCode"] = json!("PROC-NOPE");
    assert_error(&api.post(path, body).await, 400, "processCodeError");
    let mut body = general("zhangsan", "x");
    body.as_object_mut().unwrap().remove("deptId");
    assert_error(&api.post(path, body).await, 400, "MissingDeptId");
    let mut body = general("zhangsan", "x");
    body["deptId"] = json!("one-oh-one");
    assert_error(&api.post(path, body).await, 400, "InvalidParameter");
    let mut body = general("zhangsan", "x");
    body["formComponentValues"][0]["name"] = json!("没有这个控件");
    let refused = api.post(path, body).await;
    assert_error(&refused, 400, "formConverterError");
    let mut body = general("zhangsan", "x");
    body["microappAgentId"] = json!(1);
    assert_error(&api.post(path, body).await, 400, "invalidAgentId");
    let mut body = general("zhangsan", "x");
    body["approvers"] = json!([{"actionType": "AND", "userIds": ["fe_lead"]}]);
    assert_error(&api.post(path, body).await, 400, "processInstanceInvalidParameter");
    assert!(api.emu.control().instances(None).await.unwrap().is_empty(), "nothing was created");
}

#[tokio::test]
async fn instance_ids_come_in_pages_within_120_days() {
    let api = Api::start().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(api.create(general("zhangsan", &format!("事项{i}"))).await);
    }
    let path = "/v1.0/workflow/processes/instanceIds/query";
    let start = 0i64;
    let now = api.emu.clock().now_ms() + 1000;
    let query = |token: i64, size: i64, start: i64| json!({"processCode": "PROC-EMU-GENERAL", "startTime": start, "endTime": now, "nextToken": token, "maxResults": size});
    assert_error(&api.post(path, query(0, 2, start)).await, 400, "invalidEndTime");
    let start = now - 86_400_000;
    let (status, first) = api.post(path, query(0, 2, start)).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["success"], true);
    assert_eq!(first["result"]["list"], json!(ids[..2]));
    assert_eq!(first["result"]["nextToken"], "2", "a string in the answer");
    let (_, last) = api.post(path, query(2, 2, start)).await;
    assert_eq!(last["result"]["list"], json!(ids[2..]));
    assert!(last["result"].get("nextToken").is_none(), "{last}");
    assert_error(&api.post(path, query(0, 21, start)).await, 400, "invalidMaxResults");
    let mut filtered = query(0, 20, start);
    filtered["statuses"] = json!(["COMPLETED"]);
    assert_eq!(api.post(path, filtered).await.1["result"]["list"], json!([]));
}

#[tokio::test]
async fn revoking_waits_fifteen_seconds_and_comments_are_recorded() {
    let api = Api::start().await;
    let id = api.create(general("zhangsan", "出差")).await;
    let path = "/v1.0/workflow/processInstances/terminate";
    let revoke = json!({"processInstanceId": id, "isSystem": false, "operatingUserId": "zhangsan", "remark": "不去了"});
    assert_error(&api.post(path, revoke.clone()).await, 400, "aflowProcessInstStatusException");
    api.emu.control().advance_clock(Duration::from_secs(20)).await.unwrap();
    let by_other = json!({"processInstanceId": id, "isSystem": false, "operatingUserId": "lisi"});
    assert_error(&api.post(path, by_other).await, 400, "invalidInstanceTerminateOperatingUserId");
    assert_error(&api.post(path, json!({"processInstanceId": id})).await, 400, "invalidInstanceTerminateIsSystem");
    let (status, _) = api.post(path, revoke).await;
    assert_eq!(status, 200);
    let comment = json!({"processInstanceId": id, "text": "已撤销，下次再说", "commentUserId": "fe_lead"});
    assert_eq!(api.post("/v1.0/workflow/processInstances/comments", comment).await.0, 200);
    let instance = api.instance(&id).await;
    assert_eq!(instance["status"], "TERMINATED");
    assert_eq!(instance["tasks"][0]["status"], "CANCELED");
    let types: Vec<_> = instance["operationRecords"].as_array().unwrap().iter().map(|r| r["type"].clone()).collect();
    assert_eq!(types, [json!("START_PROCESS_INSTANCE"), json!("TERMINATE_PROCESS_INSTANCE"), json!("ADD_REMARK")]);
    assert_eq!(instance["operationRecords"][2]["remark"], "已撤销，下次再说");
}

#[tokio::test]
async fn purchases_are_forecast_picked_and_transferred() {
    let api = Api::start().await;
    let forecast = json!({"processCode": "PROC-EMU-PURCHASE", "userId": "zhangsan", "deptId": 101});
    let (status, res) = api.post("/v1.0/workflow/processes/forecast", forecast).await;
    assert_eq!(status, 200, "{res}");
    let rules = res["result"]["workflowActivityRules"].as_array().unwrap();
    let pick = rules.iter().find(|r| r["isTargetSelect"] == true).expect("a pick step");
    assert_eq!(pick["workflowActor"]["actorKey"], "act_purchase_pick");
    assert_eq!(rules[0]["activityActioners"][0]["userId"], "fe_lead");

    let table = json!([[
        {"name": "物品名称", "value": "显示器"},
        {"name": "数量", "value": "2"},
        {"name": "单价", "value": "1500"}
    ]]);
    let body = json!({
        "processCode": "PROC-EMU-PURCHASE",
        "originatorUserId": "zhangsan",
        "deptId": 101,
        "targetSelectActioners": [{"actionerKey": "act_purchase_pick", "actionerUserIds": ["admin01"]}],
        "formComponentValues": [
            {"name": "采购类别", "value": "[\"电子设备\"]"},
            {"name": "采购明细", "value": table.to_string()},
            {"name": "采购总额", "value": "3000"},
            {"name": "期望交付日期", "value": "2026-12-01"},
            {"name": "使用人", "value": "[\"zhangsan\"]"},
            {"name": "使用部门", "value": "101"},
            {"name": "采购事由", "value": "双屏办公"},
        ],
    });
    let id = api.create(body).await;
    let (task_id, approver) = Api::running_task(&api.instance(&id).await);
    assert_eq!(approver, "fe_lead");
    let redirect =
        json!({"taskId": task_id, "toUserId": "rd_head", "operateUserId": "fe_lead", "remark": "请研发总监定"});
    let (status, res) = api.post("/v1.0/workflow/tasks/redirect", redirect.clone()).await;
    assert_eq!((status, res), (200, json!({"result": true})));
    let instance = api.instance(&id).await;
    assert_eq!(instance["tasks"][0]["result"], "REDIRECTED");
    assert_eq!(Api::running_task(&instance).1, "rd_head");
    assert_error(&api.post("/v1.0/workflow/tasks/redirect", redirect).await, 400, "aflowProcessInstCanNotBeExecuted");
}

#[tokio::test]
async fn the_forecast_speaks_dingtalks_words_for_picked_approvers_and_picked_cc() {
    let api = Api::start().await;
    let forecast = |code: &str| json!({"processCode": code, "userId": "zhangsan", "deptId": 101});
    let (status, res) = api.post("/v1.0/workflow/processes/forecast", forecast("PROC-EMU-PURCHASE")).await;
    assert_eq!(status, 200, "{res}");
    let rules = res["result"]["workflowActivityRules"].as_array().unwrap();
    assert_eq!(res["result"]["isStaticWorkflow"], false);
    let [manager, pick, sign, cc] = &rules[..] else { panic!("three steps and CC: {res}") };
    assert_eq!((&manager["activityType"], &manager["isTargetSelect"]), (&json!("target_approval"), &json!(false)));
    assert_eq!(manager["workflowActor"]["actorType"], "approver");
    assert_eq!(manager["workflowActor"]["actorSelectionType"], "");
    assert_eq!(pick["activityType"], "target_select");
    assert_eq!(pick["prevActivityId"], manager["activityId"]);
    let actor = &pick["workflowActor"];
    assert_eq!((&actor["actorType"], &actor["actorSelectionType"]), (&json!("approver"), &json!("approvals")));
    assert_eq!(actor["actorSelectionRange"]["approvals"].as_array().unwrap().len(), 3);
    assert_eq!((&actor["required"], &actor["approvalType"]), (&json!(true), &json!("MANUAL")));
    assert_eq!(sign["workflowActor"]["approvalMethod"], "AND");
    assert_eq!(sign["workflowActor"]["actorActivateType"], "ALL");
    assert_eq!((&cc["workflowActor"]["actorType"], &cc["prevActivityId"]), (&json!("notifier"), &sign["activityId"]));

    // Leave copies HR's head when it ends: a fixed notifier node, nothing to pick.
    let (_, res) = api.post("/v1.0/workflow/processes/forecast", forecast("PROC-EMU-LEAVE")).await;
    let cc = res["result"]["workflowActivityRules"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((&cc["workflowActor"]["actorType"], &cc["isTargetSelect"]), (&json!("notifier"), &json!(false)));
    assert_eq!(cc["activityActioners"][0]["userId"], "hr_head");
    assert_eq!(res["result"]["isStaticWorkflow"], true);

    // 通用审批 lets the originator copy anyone: a notifier node to pick for, not required.
    let (_, res) = api.post("/v1.0/workflow/processes/forecast", forecast("PROC-EMU-GENERAL")).await;
    let cc = res["result"]["workflowActivityRules"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((&cc["activityId"], &cc["activityType"]), (&json!("act_general_cc"), &json!("target_select")));
    let actor = &cc["workflowActor"];
    assert_eq!((&actor["actorType"], &actor["actorSelectionType"]), (&json!("notifier"), &json!("allStaff")));
    assert_eq!((&actor["required"], &actor["allowedMulti"]), (&json!(false), &json!(true)));

    // Picked people are copied when it starts (the node's position), once each; nobody picked, nobody copied.
    let mut body = general("zhangsan", "团建");
    body["targetSelectActioners"] =
        json!([{"actionerKey": "act_general_cc", "actionerUserIds": ["lisi", "wangwu", "lisi"]}]);
    let instance = api.instance(&api.create(body.clone()).await).await;
    assert_eq!(instance["ccUserIds"], json!(["lisi", "wangwu"]));
    let cc_record = instance["operationRecords"].as_array().unwrap().iter().find(|r| r["type"] == "PROCESS_CC");
    assert_eq!(cc_record.expect("a CC record")["ccUserIds"], json!(["lisi", "wangwu"]));
    let plain = api.instance(&api.create(general("zhangsan", "不抄送")).await).await;
    assert_eq!(plain["ccUserIds"], json!([]));

    body["targetSelectActioners"][0]["actionerUserIds"] = json!(["nobody_here"]);
    assert_error(
        &api.post("/v1.0/workflow/processInstances", body.clone()).await,
        400,
        "targetSelectApproverScopeError",
    );
}

#[tokio::test]
async fn attachments_live_in_the_approval_space_and_can_be_downloaded() {
    let api = Api::start().await;
    let (status, space) =
        api.post("/v1.0/workflow/processInstances/spaces/infos/query", json!({"userId": "zhangsan"})).await;
    assert_eq!(status, 200, "{space}");
    let space_id = space["result"]["spaceId"].as_i64().expect("spaceId is an int64");
    let upload = UploadRequest {
        user_id: "zhangsan".into(),
        file_name: "发票.pdf".into(),
        file_size: 2048,
        file_type: "pdf".into(),
    };
    let file = api.emu.control().upload(&upload).await.unwrap();
    assert_eq!(file.space_id, space_id.to_string());
    let attachment = json!([{"spaceId": file.space_id, "fileName": file.file_name, "fileSize": "2048", "fileType": "pdf", "fileId": file.file_id}]);
    let mut body = general("zhangsan", "报销附件");
    body["formComponentValues"].as_array_mut().unwrap().push(json!({"name": "附件", "value": attachment.to_string()}));
    let id = api.create(body).await;
    let download = json!({"processInstanceId": id, "fileId": file.file_id});
    let (status, res) = api.post("/v1.0/workflow/processInstances/spaces/files/urls/download", download).await;
    assert_eq!(status, 200, "{res}");
    assert!(res["result"]["downloadUri"].as_str().unwrap().starts_with("https://"));
    let unknown = json!({"processInstanceId": id, "fileId": "1"});
    assert_error(
        &api.post("/v1.0/workflow/processInstances/spaces/files/urls/download", unknown).await,
        400,
        "fileNotExist",
    );
}

#[tokio::test]
async fn templates_schemas_and_visibility() {
    let api = Api::start().await;
    let (status, res) = api.get("/v1.0/workflow/forms/schemas/processCodes?processCode=PROC-EMU-LEAVE").await;
    assert_eq!(status, 200, "{res}");
    let items = res["result"]["schemaContent"]["items"].as_array().unwrap();
    assert_eq!(items[0]["componentName"], "DDSelectField");
    assert!(items[0]["props"]["options"].as_array().unwrap().iter().all(Value::is_string));
    assert!(res["result"]["gmtCreate"].is_string());
    assert_error(
        &api.get("/v1.0/workflow/forms/schemas/processCodes?processCode=PROC-NOPE").await,
        400,
        "formNotExist",
    );
    let (_, visible) =
        api.get("/v1.0/workflow/processes/userVisibilities/templates?userId=zhangsan&maxResults=2&nextToken=0").await;
    assert_eq!(visible["result"]["processList"].as_array().unwrap().len(), 2);
    assert_eq!(visible["result"]["nextToken"], 2);
    let (_, by_name) = api.get("/v1.0/workflow/processCentres/schemaNames/processCodes?name=%E8%AF%B7%E5%81%87").await;
    assert_eq!(by_name["result"]["processCode"], "PROC-EMU-LEAVE");
}

#[tokio::test]
async fn legacy_approval_paths_answer_as_for_an_app_without_the_permission() {
    let api = Api::start().await;
    // One token per app serves both hosts.
    let token = &api.token;
    for path in ["topapi/processinstance/create", "topapi/processinstance/get", "topapi/process/gettodonum"] {
        let res: Value = api
            .http
            .post(format!("{}/{path}?access_token={token}", api.emu.uri()))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(res["errcode"], 88, "{path}: {res}");
        assert_eq!(res["sub_code"], "60011");
    }
    let ticket: Value = reqwest::get(format!("{}/get_jsapi_ticket?access_token={token}", api.emu.uri()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ticket["errcode"], 0);
    let (_, v1) = api.post("/v1.0/oauth2/jsapiTickets", json!({})).await;
    assert_eq!(v1["jsapiTicket"], ticket["ticket"], "one ticket per app while valid");
}

#[tokio::test]
async fn the_control_api_acts_as_an_approver() {
    let api = Api::start().await;
    let id = api.create(general("zhangsan", "团建")).await;
    let control = api.emu.control();
    let tasks = control.tasks("fe_lead").await.unwrap();
    assert_eq!(tasks[0].process_instance_id, id);
    let act = dingtalk_emulator::workflow::ActRequest {
        user_id: "fe_lead".into(),
        task_id: tasks[0].task_id,
        action: dingtalk_emulator::workflow::Act::Refuse,
        remark: Some("预算不够".into()),
        to_user_id: None,
    };
    control.act(&act).await.unwrap();
    assert!(control.act(&act).await.is_err(), "a task acts once");
    let instance = api.instance(&id).await;
    assert_eq!(instance["result"], "refuse");
    assert_eq!(control.instances(Some("zhangsan")).await.unwrap()[0].result, "refuse");
}
