//! Templates and the JSAPI signature, end to end: a real server over a SQLite file against the emulator.

use std::collections::BTreeSet;

use api_types::detail::InstanceDetail;
use api_types::form::{Field, FieldKind, FormSchema};
use api_types::{
    ApproverPick, ErrorCode, ForecastStep, JsapiSignature, RequestState, SignatureDigest, StepKind, StepPerson,
    TemplateDetail, TemplateSummary,
};
use common::{Harness, assert_api_error, start};
use dingtalk_client::jsapi::{Digest, UrlForm, sign};
use dingtalk_emulator::control::{ControlCallError, Seed};
use dingtalk_emulator::templates::{DEFAULT_TEMPLATES_JSON, seed};
use dingtalk_emulator::workflow::JsapiVerify;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;

const PURCHASE: &str = "PROC-EMU-PURCHASE";

impl Harness {
    async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap()
    }

    async fn signature(&self, url: &str) -> reqwest::Response {
        let body = json!({ "url": url });
        self.http.post(format!("{}/api/jsapi/signature", self.base)).json(&body).send().await.unwrap()
    }

    /// The app's current JSAPI ticket, as DingTalk hands it out (the same one while it lives).
    async fn ticket(&self) -> String {
        let token = self.emu.app_token().await.unwrap();
        let res = self
            .http
            .post(format!("{}/v1.0/oauth2/jsapiTickets", self.emu.uri()))
            .header("x-acs-dingtalk-access-token", token)
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()["jsapiTicket"].as_str().unwrap().to_owned()
    }
}

/// Every `componentName` of the seeded templates' controls, table columns included.
fn fixture_component_names() -> BTreeSet<String> {
    let templates: Value = serde_json::from_str(DEFAULT_TEMPLATES_JSON).unwrap();
    let mut names = BTreeSet::new();
    for t in templates.as_array().unwrap() {
        for item in t["items"].as_array().unwrap() {
            names.insert(item["componentName"].as_str().unwrap().to_owned());
            for child in item["children"].as_array().into_iter().flatten() {
                names.insert(child["componentName"].as_str().unwrap().to_owned());
            }
        }
    }
    names
}

fn kinds(fields: &[Field], into: &mut BTreeSet<String>) {
    for f in fields {
        into.insert(f.kind.component_name().to_owned());
        if let FieldKind::Table { columns, .. } = &f.kind {
            kinds(columns, into);
        }
    }
}

#[tokio::test]
async fn zhangsan_sees_the_four_seeded_templates() {
    let h = start().await;
    let token = h.session_for("zhangsan").await;
    let res = h.get_as(&token, "/api/templates").await;
    assert_eq!(res.status(), StatusCode::OK);
    let list: Vec<TemplateSummary> = res.json().await.unwrap();
    let codes: Vec<&str> = list.iter().map(|t| t.process_code.as_str()).collect();
    assert_eq!(codes, ["PROC-EMU-LEAVE", "PROC-EMU-EXPENSE", PURCHASE, "PROC-EMU-GENERAL"]);
    let purchase = &list[2];
    assert_eq!(purchase.name, "采购");
    assert!(!purchase.dir_name.is_empty());
}

#[tokio::test]
async fn templates_need_a_session() {
    let h = start().await;
    let res = h.http.get(format!("{}/api/templates", h.base)).send().await.unwrap();
    assert_api_error(res, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
}

#[tokio::test]
async fn every_seeded_form_maps_with_every_field_kind() {
    let h = start().await;
    let token = h.session_for("zhangsan").await;
    let mut seen = BTreeSet::new();
    for t in seed() {
        let res = h.get_as(&token, &format!("/api/templates/{}", t.process_code)).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", t.process_code);
        let detail: TemplateDetail = res.json().await.unwrap();
        assert_eq!(detail.process_code, t.process_code);
        assert_eq!(detail.name, t.name);
        let ids: Vec<&str> = detail.form.fields.iter().map(|f| f.id.as_str()).collect();
        let fixture_ids: Vec<&str> = t.items.iter().map(|c| c.props.id.as_str()).collect();
        assert_eq!(ids, fixture_ids, "{}", t.process_code);
        kinds(&detail.form.fields, &mut seen);
    }
    assert_eq!(seen, fixture_component_names());
    assert!(seen.len() >= 19, "{seen:?}");
}

#[tokio::test]
async fn a_template_the_caller_cannot_start_is_not_found() {
    let h = start().await;
    // The purchase template only for the finance department (200); zhangsan is in 101.
    let mut templates = seed();
    templates.iter_mut().filter(|t| t.process_code == PURCHASE).for_each(|t| t.visible_dept_ids = vec![200]);
    h.emu.control().seed(&Seed { org: None, templates: Some(templates) }).await.unwrap();

    let zhangsan = h.session_for("zhangsan").await;
    let list: Vec<TemplateSummary> = h.get_as(&zhangsan, "/api/templates").await.json().await.unwrap();
    assert!(list.iter().all(|t| t.process_code != PURCHASE));
    for path in [format!("/api/templates/{PURCHASE}"), "/api/templates/PROC-NO-SUCH".to_owned()] {
        assert_api_error(h.get_as(&zhangsan, &path).await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
    let res = h
        .http
        .post(format!("{}/api/templates/{PURCHASE}/forecast", h.base))
        .bearer_auth(&zhangsan)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_api_error(res, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    let fin_head = h.session_for("fin_head").await;
    assert_eq!(h.get_as(&fin_head, &format!("/api/templates/{PURCHASE}")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_cached_form_is_served_while_dingtalk_is_down() {
    use dingtalk_emulator::limits::FaultRule;
    let h = start().await;
    let token = h.session_for("zhangsan").await;
    let path = format!("/api/templates/{PURCHASE}");
    let first: TemplateDetail = h.get_as(&token, &path).await.json().await.unwrap();
    let rule = FaultRule { permission_denied: true, ..FaultRule::on("/v1.0/workflow/forms/schemas/processCodes") };
    h.emu.control().add_fault(&rule).await.unwrap();
    let res = h.get_as(&token, &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    let again: TemplateDetail = res.json().await.unwrap();
    assert_eq!(again.form, first.form);
    // Another template is not cached yet, so the fault shows: the cache is what served the first.
    let res = h.get_as(&token, "/api/templates/PROC-EMU-LEAVE").await;
    assert_api_error(res, StatusCode::BAD_GATEWAY, ErrorCode::PermissionMissing).await;
}

#[tokio::test]
async fn the_purchase_forecast_asks_the_originator_to_pick_the_buyer() {
    let h = start().await;
    let token = h.session_for("zhangsan").await;
    let form: FormSchema =
        h.get_as(&token, &format!("/api/templates/{PURCHASE}")).await.json::<TemplateDetail>().await.unwrap().form;
    assert!(form.field("MoneyField-UEAARHD1").is_some());
    let body = json!({ "values": { "MoneyField-UEAARHD1": { "type": "money", "value": "1200.00" } } });
    let res = h
        .http
        .post(format!("{}/api/templates/{PURCHASE}/forecast", h.base))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let steps: Vec<ForecastStep> = res.json().await.unwrap();
    let person = |id: &str, name: &str| StepPerson { user_id: id.into(), name: name.into() };
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert_eq!(steps[0].activity_id, "act_purchase_mgr1");
    assert_eq!(steps[0].approvers, [person("fe_lead", "赵前端")]);
    assert_eq!(steps[0].pick_from, None);
    assert_eq!(steps[1].activity_id, "act_purchase_pick");
    assert_eq!(steps[1].name, "采购经办人");
    assert!(steps[1].approvers.is_empty());
    assert_eq!(
        steps[1].pick_from.as_deref(),
        Some(&[person("admin_head", "孙行政"), person("admin01", "何晓东"), person("admin02", "吕佳")][..])
    );
    assert!(steps[1].pick_required && steps[1].kind == StepKind::Approve);
    assert_eq!(steps[2].approvers, [person("admin_head", "孙行政"), person("fin_head", "钱财务")]);
    // The template always copies the accountant: a CC step with nothing to pick.
    assert_eq!((steps[3].kind, steps[3].pick_from.as_ref()), (StepKind::Cc, None));
    assert_eq!(steps[3].approvers, [person("fin_clerk", "吴会计")]);
}

impl Harness {
    async fn forecast(&self, token: &str, code: &str) -> Vec<ForecastStep> {
        let url = format!("{}/api/templates/{code}/forecast", self.base);
        let res = self.http.post(url).bearer_auth(token).json(&json!({})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{code}");
        res.json().await.unwrap()
    }
}

#[tokio::test]
async fn the_general_request_lets_the_originator_copy_anyone_and_they_are_copied() {
    let h = start().await;
    let token = h.session_for("zhangsan").await;
    let steps = h.forecast(&token, "PROC-EMU-GENERAL").await;
    let cc = steps.last().unwrap();
    assert_eq!((cc.kind, cc.activity_id.as_str(), cc.name.as_str()), (StepKind::Cc, "act_general_cc", "抄送人"));
    assert_eq!(cc.pick_from.as_deref(), Some(&[][..]), "anyone in the organisation");
    assert!(cc.pick_multiple && !cc.pick_required, "{cc:?}");

    let mut body = common::general_request("团建预算");
    body.picks = Some(vec![ApproverPick { activity_id: cc.activity_id.clone(), user_ids: vec!["lisi".into()] }]);
    let instance_id = h.delivered(&token, "cc-pick-0001", &body).await;
    let url = format!("{}/api/instances/{instance_id}", h.base);
    let detail: InstanceDetail = h.http.get(url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let copied: Vec<_> = detail.cc.iter().map(|p| p.user_id.as_str()).collect();
    assert_eq!(copied, ["lisi"]);

    // Someone who left cannot be copied: DingTalk refuses, and the request says why.
    body.picks.as_mut().unwrap()[0].user_ids = vec!["former01".into()];
    let failed = h.settled(&token, "cc-pick-0002", &body).await;
    assert_eq!(failed.state, RequestState::Failed, "{failed:?}");
    assert_eq!(failed.failure.map(|f| f.code), Some(ErrorCode::PickOutOfScope));
}

#[tokio::test]
async fn the_signature_is_over_the_current_ticket_without_a_session() {
    let h = start().await;
    let url = "https://app.example.com/index.html?corpId=ding1&next=%2Ftodo";
    let res = h.signature(&format!("{url}#/approvals/7")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let s: JsapiSignature = res.json().await.unwrap();
    let org = h.emu.org();
    assert_eq!(s.corp_id, org.corp.corp_id);
    assert_eq!(s.agent_id, org.app.agent_id.to_string());
    assert_eq!(s.nonce_str.len(), 16);
    let expected = sign(&h.ticket().await, &s.nonce_str, s.time_stamp, url, Digest::Sha1, UrlForm::Raw);
    assert_eq!(s.signature, expected);
}

/// What a container sends DingTalk for `dd.config` with the signature `s` on the page `url`.
fn verify_of(url: &str, s: &JsapiSignature) -> JsapiVerify {
    JsapiVerify {
        url: url.to_owned(),
        nonce_str: s.nonce_str.clone(),
        time_stamp: json!(s.time_stamp),
        signature: s.signature.clone(),
        corp_id: s.corp_id.clone(),
        agent_id: json!(s.agent_id),
    }
}

#[tokio::test]
async fn a_page_may_ask_for_a_sha256_signature_and_the_emulated_dingtalk_accepts_it() {
    let h = start().await;
    let url = "https://app.example.com/index.html?corpId=ding1&next=%2Ftodo";
    let body = json!({ "url": url, "digest": "sha256" });
    let res = h.http.post(format!("{}/api/jsapi/signature", h.base)).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let s: JsapiSignature = res.json().await.unwrap();
    assert_eq!(s.digest, SignatureDigest::Sha256);
    assert_eq!(s.signature.len(), 64);
    let expected = sign(&h.ticket().await, &s.nonce_str, s.time_stamp, url, Digest::Sha256, UrlForm::Raw);
    assert_eq!(s.signature, expected);
    let verify = verify_of(url, &s);
    h.emu.control().verify_jsapi(&verify).await.unwrap();
    // Without a digest it is SHA-1; a digest DingTalk does not use is the caller's mistake.
    let sha1: JsapiSignature = h.signature(url).await.json().await.unwrap();
    assert_eq!((sha1.digest, sha1.signature.len()), (SignatureDigest::Sha1, 40));
    let md5 = json!({ "url": url, "digest": "md5" });
    let res = h.http.post(format!("{}/api/jsapi/signature", h.base)).json(&md5).send().await.unwrap();
    assert_api_error(res, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
}

#[tokio::test]
async fn the_emulated_dingtalk_accepts_the_servers_signature_and_refuses_a_forged_one() {
    let h = start().await;
    let url = "https://app.example.com/index.html?corpId=ding1";
    let s: JsapiSignature = h.signature(&format!("{url}#/todo")).await.json().await.unwrap();
    let verify = verify_of(&format!("{url}#/todo"), &s);
    h.emu.control().verify_jsapi(&verify).await.unwrap();

    let forged = [
        JsapiVerify { signature: "f".repeat(40), ..verify.clone() },
        JsapiVerify { url: "https://app.example.com/other.html".into(), ..verify.clone() },
        JsapiVerify { agent_id: json!("1"), ..verify.clone() },
    ];
    for req in forged {
        match h.emu.control().verify_jsapi(&req).await {
            Err(ControlCallError::Refused(e)) => {
                assert_eq!(e.code, "52013");
                assert!(e.message.starts_with("权限校验失败 Code:52013 - Message: 签名校验失败"), "{}", e.message);
            }
            other => panic!("{req:?} was not refused: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_url_that_is_not_a_web_page_is_a_bad_request() {
    let h = start().await;
    for url in
        ["javascript:alert(1)".to_owned(), "/index.html".to_owned(), format!("https://a.example/{}", "x".repeat(2048))]
    {
        assert_api_error(h.signature(&url).await, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    }
}
