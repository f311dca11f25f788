//! Form values through the create API: DingTalk's error codes for bad values, and values returned normalised.

use dingtalk_emulator::Emulator;
use dingtalk_emulator::workflow::UploadRequest;
use serde_json::{Value, json};

async fn token(emu: &Emulator) -> String {
    emu.app_token().await.unwrap()
}

/// Starts a 通用审批 as zhangsan with these form values; the HTTP status and body.
async fn create(emu: &Emulator, token: &str, values: Value) -> (u16, Value) {
    let body = json!({
        "processCode": "PROC-EMU-GENERAL", "originatorUserId": "zhangsan", "deptId": 101,
        "formComponentValues": values,
    });
    let res = reqwest::Client::new()
        .post(format!("{}/v1.0/workflow/processInstances", emu.uri()))
        .header("x-acs-dingtalk-access-token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn bad_values_get_dingtalks_error_codes_naming_the_control() {
    let emu = Emulator::start().await.unwrap();
    let token = token(&emu).await;
    let base = [json!({"name": "事项名称", "value": "借用会议室"}), json!({"name": "申请内容", "value": "周五下午"})];
    let cases = [
        (json!({"name": "联系电话", "value": "打我电话"}), "formConverterError", "联系电话"),
        (json!({"name": "不存在", "value": "x"}), "formConverterError", "不存在"),
        (json!({"name": "填写说明", "value": "x"}), "illegalComponent", "填写说明"),
        (json!({"name": "数量", "value": "3", "componentType": "MoneyField"}), "illegalComponent", "数量"),
    ];
    for (bad, code, control) in cases {
        let (status, body) = create(&emu, &token, json!([base[0], base[1], bad])).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["code"], code, "{body}");
        assert!(body["message"].as_str().unwrap().contains(control), "{body}");
        assert!(body["requestid"].is_string(), "{body}");
    }
    let (status, body) = create(&emu, &token, json!([base[0]])).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("formConverterError")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("申请内容"), "{body}");
}

#[tokio::test]
async fn stored_values_come_back_normalised_in_schema_order() {
    let emu = Emulator::start().await.unwrap();
    let token = token(&emu).await;
    let upload = UploadRequest {
        user_id: "zhangsan".into(),
        file_name: "场地示意图.pdf".into(),
        file_size: 4096,
        file_type: "pdf".into(),
    };
    let file = emu.control().upload(&upload).await.unwrap();
    let attachment = json!([{
        "spaceId": file.space_id, "fileName": file.file_name, "fileSize": file.file_size,
        "fileType": file.file_type, "fileId": file.file_id,
    }]);
    let values = json!([
        {"name": "附件", "value": attachment.to_string()},
        {"name": "申请内容", "value": "周五下午"},
        {"name": "事项名称", "value": "借用会议室"},
        {"name": "办理时间", "value": "2024-05-10 14:00"},
    ]);
    let (status, body) = create(&emu, &token, values).await;
    assert_eq!(status, 200, "{body}");
    let id = body["instanceId"].as_str().unwrap();
    let got: Value = reqwest::Client::new()
        .get(format!("{}/v1.0/workflow/processInstances?processInstanceId={id}", emu.uri()))
        .header("x-acs-dingtalk-access-token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let form = got["result"]["formComponentValues"].as_array().unwrap();
    let names: Vec<&str> = form.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(&names[..3], ["事项名称", "申请内容", "数量"], "TextNote is not returned; order is the schema's");
    let by_name = |n: &str| form.iter().find(|v| v["name"] == n).unwrap();
    assert_eq!(by_name("事项名称")["componentType"], "TextField");
    assert_eq!(by_name("事项名称")["bizAlias"], "subject");
    assert_eq!(by_name("数量")["value"], "null");
    assert_eq!(by_name("办理时间")["value"], "2024-05-10 14:00");
    let stored: Value = serde_json::from_str(by_name("附件")["value"].as_str().unwrap()).unwrap();
    assert_eq!(stored[0]["fileSize"], "4096", "attachment fields come back as text");
    assert_eq!(stored[0]["fileId"], file.file_id.as_str());
}
