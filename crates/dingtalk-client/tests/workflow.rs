//! The typed approval API and the JSAPI ticket against the emulator, started in-process on a random port: every
//! `dt.workflow()` call decodes DingTalk's answers, and DingTalk's refusals come back as `Error::Api`.

use std::time::Duration;

use dingtalk_client::workflow::{
    AddComment, Attachment, ComponentName, Decision, DownloadFile, ExecuteTask, ForecastRequest, FormValue,
    InstanceIdsQuery, InstanceResult, InstanceStatus, OperationResult, OperationType, RedirectTask, StartInstance,
    TargetSelectActioner, TaskResult, TaskStatus, TerminateInstance, WorkRecordStatus,
};
use dingtalk_client::{DingTalk, Error};
use dingtalk_emulator::Emulator;
use dingtalk_emulator::workflow::UploadRequest;
use serde_json::{Value, json};
use time::OffsetDateTime;

fn client(emu: &Emulator) -> DingTalk {
    let app = &emu.org().app;
    DingTalk::builder().app_key(&app.app_key).app_secret(&app.app_secret).base_url(emu.uri()).build().unwrap()
}

/// A 通用审批 by `originator` in department 101; its one step is their direct manager.
fn general(originator: &str, subject: &str) -> StartInstance {
    StartInstance {
        process_code: "PROC-EMU-GENERAL".into(),
        originator_user_id: originator.into(),
        dept_id: Some(101),
        form_component_values: vec![FormValue::new("事项名称", subject), FormValue::new("申请内容", "请批准")],
        ..Default::default()
    }
}

fn execute(instance_id: &str, task_id: i64, user: &str, result: Decision) -> ExecuteTask {
    ExecuteTask {
        process_instance_id: instance_id.into(),
        task_id,
        actioner_user_id: user.into(),
        result,
        remark: Some("已阅".into()),
        file: None,
    }
}

/// The emulator's now as a time.
fn emulator_now(emu: &Emulator) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(emu.clock().now_ms()) * 1_000_000).unwrap()
}

/// Asserts `err` is DingTalk's refusal `code`, with the message and request id DingTalk sends.
fn assert_api_error(err: Error, expected: &str) {
    match err {
        Error::Api { code, message, request_id } => {
            assert_eq!(code, expected, "{message}");
            assert!(!message.is_empty());
            assert!(request_id.is_some_and(|id| !id.is_empty()), "a request id for support");
        }
        other => panic!("expected Api {{ code: {expected} }}, got {other:?}"),
    }
}

#[tokio::test]
async fn an_approval_runs_from_start_to_agree() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let wf = dt.workflow();
    let before = emulator_now(&emu).replace_second(0).unwrap().replace_nanosecond(0).unwrap();

    let id = wf.start_instance(&general("zhangsan", "买显示器")).await.unwrap();
    let instance = wf.get_instance(&id).await.unwrap();
    assert_eq!(instance.status, InstanceStatus::Running);
    assert_eq!(instance.result, None, "an empty result while running");
    assert_eq!(instance.title, "张三提交的通用审批");
    assert_eq!(instance.originator_dept_id, 101);
    assert!(instance.create_time >= before, "{} is the emulator's now to the minute", instance.create_time);
    assert_eq!(instance.create_time.second(), 0, "minute precision");
    assert_eq!(instance.finish_time, None);
    let subject = &instance.form_component_values[0];
    assert_eq!((subject.component_type, subject.value.as_str()), (Some(ComponentName::TextField), "买显示器"));
    let task = instance.running_tasks().next().expect("a running task");
    assert_eq!(task.user_id, "fe_lead");
    assert_eq!(task.result, Some(TaskResult::None));
    assert!(task.task_id > i64::from(u32::MAX), "taskId is an int64");

    assert_eq!(wf.todo_count("fe_lead").await.unwrap(), 1);
    let records = wf.todo_work_records("fe_lead", WorkRecordStatus::Pending, 0, 10).await.unwrap();
    assert_eq!((records.list[0].task_id, records.list[0].instance_id.as_str()), (task.task_id, id.as_str()));
    assert_eq!(records.next_token, None);

    wf.execute(&execute(&id, task.task_id, "fe_lead", Decision::Agree)).await.unwrap();
    let done = wf.get_instance(&id).await.unwrap();
    assert_eq!((done.status, done.result), (InstanceStatus::Completed, Some(InstanceResult::Agree)));
    assert!(done.is_approved());
    assert!(done.finish_time.is_some_and(|t| t >= done.create_time));
    let kinds: Vec<_> = done.operation_records.iter().map(|r| (r.kind, r.result)).collect();
    assert_eq!(
        kinds,
        [
            (OperationType::StartProcessInstance, Some(OperationResult::None)),
            (OperationType::ExecuteTaskNormal, Some(OperationResult::Agree))
        ]
    );
    assert_eq!((done.tasks[0].status, done.tasks[0].result), (TaskStatus::Completed, Some(TaskResult::Agree)));
    assert_eq!(wf.todo_count("fe_lead").await.unwrap(), 0);

    let again = wf.execute(&execute(&id, task.task_id, "fe_lead", Decision::Agree)).await.unwrap_err();
    assert_api_error(again, "aflowProcessInstStatusException");
}

#[tokio::test]
async fn a_refusal_ends_the_instance_as_refused() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let wf = dt.workflow();
    let id = wf.start_instance(&general("zhangsan", "团建")).await.unwrap();
    let task = wf.get_instance(&id).await.unwrap().tasks[0].task_id;

    wf.execute(&execute(&id, task, "fe_lead", Decision::Refuse)).await.unwrap();
    let instance = wf.get_instance(&id).await.unwrap();
    assert_eq!((instance.status, instance.result), (InstanceStatus::Completed, Some(InstanceResult::Refuse)));
    assert!(!instance.is_approved());
    assert_eq!(instance.tasks[0].result, Some(TaskResult::Refuse));
}

#[tokio::test]
async fn a_task_is_transferred_to_someone_else() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let wf = dt.workflow();
    let id = wf.start_instance(&general("zhangsan", "换工位")).await.unwrap();
    let task = wf.get_instance(&id).await.unwrap().tasks[0].task_id;
    let redirect = RedirectTask {
        task_id: task,
        to_user_id: "rd_head".into(),
        operate_user_id: "fe_lead".into(),
        remark: Some("请研发总监定".into()),
        ..Default::default()
    };

    wf.redirect(&redirect).await.unwrap();
    let instance = wf.get_instance(&id).await.unwrap();
    assert_eq!(instance.tasks[0].result, Some(TaskResult::Redirected));
    assert_eq!(instance.running_tasks().map(|t| t.user_id.as_str()).collect::<Vec<_>>(), ["rd_head"]);
    assert!(instance.operation_records.iter().any(|r| r.kind == OperationType::RedirectTask));
    assert_api_error(wf.redirect(&redirect).await.unwrap_err(), "aflowProcessInstCanNotBeExecuted");
}

#[tokio::test]
async fn revoking_waits_fifteen_seconds_and_comments_are_recorded() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let wf = dt.workflow();
    let id = wf.start_instance(&general("zhangsan", "出差")).await.unwrap();
    let revoke = TerminateInstance {
        process_instance_id: id.clone(),
        is_system: false,
        operating_user_id: Some("zhangsan".into()),
        remark: Some("不去了".into()),
    };
    assert_api_error(wf.terminate(&revoke).await.unwrap_err(), "aflowProcessInstStatusException");

    emu.control().advance_clock(Duration::from_secs(20)).await.unwrap();
    wf.terminate(&revoke).await.unwrap();
    let comment = AddComment {
        process_instance_id: id.clone(),
        text: "已撤销，下次再说".into(),
        comment_user_id: "fe_lead".into(),
        file: None,
    };
    wf.comment(&comment).await.unwrap();

    let instance = wf.get_instance(&id).await.unwrap();
    assert_eq!((instance.status, instance.result), (InstanceStatus::Terminated, None));
    assert_eq!(instance.tasks[0].status, TaskStatus::Canceled);
    let kinds: Vec<_> = instance.operation_records.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [OperationType::StartProcessInstance, OperationType::TerminateProcessInstance, OperationType::AddRemark]
    );
    assert_eq!(instance.operation_records[2].remark.as_deref(), Some("已撤销，下次再说"));
    let removed = wf.todo_work_records("fe_lead", WorkRecordStatus::Removed, 0, 10).await.unwrap();
    assert_eq!(removed.list[0].instance_id, id, "the revoked task was taken away from the approver");
}

fn purchase(picked: &str) -> StartInstance {
    let table = json!([[
        {"name": "物品名称", "value": "显示器"},
        {"name": "数量", "value": "2"},
        {"name": "单价", "value": "1500"}
    ]]);
    StartInstance {
        process_code: "PROC-EMU-PURCHASE".into(),
        originator_user_id: "zhangsan".into(),
        dept_id: Some(101),
        target_select_actioners: vec![TargetSelectActioner {
            actioner_key: "act_purchase_pick".into(),
            actioner_user_ids: vec![picked.into()],
        }],
        form_component_values: vec![
            FormValue::new("采购类别", r#"["电子设备"]"#),
            FormValue::new("采购明细", table.to_string()),
            FormValue::new("采购总额", "3000"),
            FormValue::new("期望交付日期", "2026-12-01"),
            FormValue::new("使用人", r#"["zhangsan"]"#),
            FormValue::new("使用部门", "101"),
            FormValue::new("采购事由", "双屏办公"),
        ],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_purchase_is_forecast_and_started_with_the_picked_approver() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let wf = dt.workflow();
    let request = ForecastRequest {
        process_code: "PROC-EMU-PURCHASE".into(),
        dept_id: 101,
        user_id: "zhangsan".into(),
        form_component_values: Vec::new(),
    };

    let forecast = wf.forecast(&request).await.unwrap();
    assert!(forecast.is_forecast_success && !forecast.is_static_workflow);
    assert_eq!(forecast.workflow_activity_rules[0].activity_actioners[0].user_id, "fe_lead");
    let picks: Vec<_> = forecast.pick_steps().collect();
    assert_eq!(picks.len(), 1);
    let actor = picks[0].workflow_actor.as_ref().expect("who may be picked");
    assert_eq!(actor.actor_key, "act_purchase_pick");
    let range: Vec<_> =
        actor.actor_selection_range.iter().flat_map(|r| &r.approvals).map(|p| p.work_no.as_str()).collect();
    assert_eq!(range, ["admin_head", "admin01", "admin02"]);

    let id = wf.start_instance(&purchase(range[1])).await.unwrap();
    let task = wf.get_instance(&id).await.unwrap().tasks[0].task_id;
    wf.execute(&execute(&id, task, "fe_lead", Decision::Agree)).await.unwrap();
    let instance = wf.get_instance(&id).await.unwrap();
    let running: Vec<_> = instance.running_tasks().map(|t| (t.user_id.as_str(), t.activity_id.as_deref())).collect();
    assert_eq!(running, [("admin01", Some("act_purchase_pick"))]);

    let mut unpicked = purchase("admin01");
    unpicked.target_select_actioners.clear();
    let err = wf.start_instance(&unpicked).await.unwrap_err();
    assert_api_error(err, "targetSelectApproverMissing");
}

#[tokio::test]
async fn instance_ids_come_in_pages_and_the_string_token_reads_as_a_number() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let wf = dt.workflow();
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(wf.start_instance(&general("zhangsan", &format!("事项{i}"))).await.unwrap());
    }
    let now = emulator_now(&emu);
    let mut query = InstanceIdsQuery::new("PROC-EMU-GENERAL", now - Duration::from_secs(86_400));
    query.end_time = Some(now + Duration::from_secs(1));
    query.max_results = 2;

    let first = wf.list_instance_ids(&query).await.unwrap();
    assert_eq!((first.list.as_slice(), first.next_token), (&ids[..2], Some(2)));
    query.next_token = 2;
    let last = wf.list_instance_ids(&query).await.unwrap();
    assert_eq!((last.list.as_slice(), last.next_token), (&ids[2..], None));

    query.next_token = 0;
    query.statuses = vec![InstanceStatus::Completed];
    assert!(wf.list_instance_ids(&query).await.unwrap().list.is_empty());
    query.start_time = now - Duration::from_secs(121 * 86_400);
    assert_api_error(wf.list_instance_ids(&query).await.unwrap_err(), "invalidEndTime");
}

#[tokio::test]
async fn every_seeded_schema_decodes_with_every_component() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let fixtures: Vec<Value> = serde_json::from_str(dingtalk_emulator::templates::DEFAULT_TEMPLATES_JSON).unwrap();
    assert_eq!(fixtures.len(), 4);
    let mut fixture_kinds = std::collections::BTreeSet::new();
    let mut kinds = std::collections::BTreeSet::new();

    for fixture in &fixtures {
        let code = fixture["processCode"].as_str().unwrap();
        let schema = dt.workflow().form_schema(code).await.unwrap();
        assert_eq!(schema.form_code, code);
        assert_eq!(schema.name, fixture["name"].as_str().unwrap());
        assert!(schema.gmt_create.is_some(), "gmtCreate is a string of ms");
        let fixture_components: Vec<&Value> = fixture["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| std::iter::once(c).chain(c["children"].as_array().into_iter().flatten()))
            .collect();
        let fixture_ids: Vec<&str> = fixture_components.iter().map(|c| c["props"]["id"].as_str().unwrap()).collect();
        fixture_kinds.extend(fixture_components.iter().map(|c| c["componentName"].as_str().unwrap().to_owned()));
        let ids: Vec<&str> = schema.schema_content.components().map(|c| c.props.id.as_str()).collect();
        assert_eq!(ids, fixture_ids, "{code}: every control, table columns included");
        for component in schema.schema_content.components() {
            assert_ne!(component.component_name, ComponentName::Unknown, "{}", component.props.id);
            kinds.insert(serde_json::to_value(component.component_name).unwrap().as_str().unwrap().to_owned());
        }
    }
    assert_eq!(kinds, fixture_kinds, "every kind of control the fixtures use is known");

    let leave = dt.workflow().form_schema("PROC-EMU-LEAVE").await.unwrap();
    let kind = &leave.schema_content.items[0].props;
    assert_eq!(kind.options.as_ref().map(Vec::len), Some(7));
    assert_eq!(kind.biz_alias.as_deref(), Some("leaveType"));
    let range = &leave.schema_content.items[1].props;
    assert_eq!(range.labels(), ["开始时间", "结束时间"]);
    assert_eq!((range.unit.as_deref(), range.duration), (Some("天"), Some(true)));
    assert_eq!(range.rest["durationLabel"], "时长（天）", "properties without a field are kept");
    let expense = dt.workflow().form_schema("PROC-EMU-EXPENSE").await.unwrap();
    let table = &expense.schema_content.items[1];
    assert_eq!(table.component_name, ComponentName::TableField);
    let stat = &table.props.stat_field.as_ref().unwrap()[0];
    assert_eq!((stat.id.as_str(), stat.upper), ("MoneyField-E2HLCBMF", Some(true)));
    assert_eq!(table.children[1].props.upper, Some(true), "\"1\" on the wire");

    assert_api_error(dt.workflow().form_schema("PROC-NOPE").await.unwrap_err(), "formNotExist");
}

#[tokio::test]
async fn visible_templates_page_and_a_name_finds_its_code() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let wf = dt.workflow();

    let first = wf.visible_templates("zhangsan", 0, 2).await.unwrap();
    assert_eq!(first.process_list.len(), 2);
    let next = first.next_token.expect("a second page");
    let second = wf.visible_templates("zhangsan", next, 2).await.unwrap();
    assert_eq!(second.next_token, None);
    let codes: Vec<_> =
        first.process_list.iter().chain(&second.process_list).map(|t| t.process_code.as_str()).collect();
    assert_eq!(codes, ["PROC-EMU-LEAVE", "PROC-EMU-EXPENSE", "PROC-EMU-PURCHASE", "PROC-EMU-GENERAL"]);

    assert_eq!(wf.process_code_by_name("请假").await.unwrap(), "PROC-EMU-LEAVE");
    assert_api_error(wf.process_code_by_name("没有这个模板").await.unwrap_err(), "formNotExist");
    assert_api_error(wf.visible_templates("nobody", 0, 2).await.unwrap_err(), "userNotExist");
}

#[tokio::test]
async fn an_attachment_goes_through_the_approval_space_and_can_be_downloaded() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let wf = dt.workflow();
    let space_id = wf.attachment_space("zhangsan", None).await.unwrap();
    let upload = UploadRequest {
        user_id: "zhangsan".into(),
        file_name: "发票.pdf".into(),
        file_size: 2048,
        file_type: "pdf".into(),
    };
    let file = emu.control().upload(&upload).await.unwrap();
    assert_eq!(file.space_id, space_id.to_string());
    let attachment = Attachment {
        space_id: file.space_id.clone(),
        file_id: file.file_id.clone(),
        file_name: file.file_name.clone(),
        file_size: file.file_size.to_string(),
        file_type: file.file_type.clone(),
    };
    let mut start = general("zhangsan", "报销附件");
    start.form_component_values.push(FormValue::new("附件", serde_json::to_string(&[&attachment]).unwrap()));

    let id = wf.start_instance(&start).await.unwrap();
    let instance = wf.get_instance(&id).await.unwrap();
    let value = instance.form_component_values.iter().find(|v| v.name == "附件").expect("the attachment value");
    assert_eq!(value.component_type, Some(ComponentName::DDAttachment));
    let stored: Vec<Attachment> = serde_json::from_str(&value.value).unwrap();
    assert_eq!(stored, [attachment]);

    let download =
        DownloadFile { process_instance_id: id.clone(), file_id: file.file_id.clone(), ..Default::default() };
    let link = wf.download_url(&download).await.unwrap();
    assert!(link.download_uri.starts_with("https://"), "{}", link.download_uri);
    assert_eq!((link.file_id.as_str(), link.space_id), (file.file_id.as_str(), space_id));
    let elsewhere = DownloadFile { process_instance_id: id, file_id: "1".into(), ..Default::default() };
    assert_api_error(wf.download_url(&elsewhere).await.unwrap_err(), "fileNotExist");
}

#[tokio::test]
async fn refusals_decode_as_api_errors_with_dingtalks_codes() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let wf = dt.workflow();

    let mut unknown = general("zhangsan", "x");
    unknown.process_code = "PROC-NOPE".into();
    assert_api_error(wf.start_instance(&unknown).await.unwrap_err(), "processCodeError");

    let mut bad_value = general("zhangsan", "x");
    bad_value.form_component_values.push(FormValue::new("数量", "很多"));
    assert_api_error(wf.start_instance(&bad_value).await.unwrap_err(), "formConverterError");

    assert_api_error(wf.get_instance("no-such-instance").await.unwrap_err(), "processInstanceNotExist");
    assert_api_error(wf.todo_count("nobody").await.unwrap_err(), "userNotExist");
    assert!(emu.control().instances(None).await.unwrap().is_empty(), "nothing was created");
}

#[tokio::test]
async fn the_jsapi_ticket_is_fetched_once_for_many_callers() {
    let emu = Emulator::start().await.unwrap();
    // Frozen, every call falls in one second: without the cache, 30 fetches would hit DingTalk's 20 QPS limit.
    emu.clock().freeze();
    let dt = client(&emu);
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let dt = dt.clone();
        callers.spawn(async move { dt.jsapi().ticket().await });
    }
    let tickets: Vec<String> = callers.join_all().await.into_iter().map(Result::unwrap).collect();
    assert!(tickets.iter().all(|t| !t.is_empty() && *t == tickets[0]), "{tickets:?}");
}
