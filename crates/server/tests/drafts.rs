//! Drafts end to end: a real server over a SQLite file, users logged in through the emulator. A draft saved on one
//! session (the phone) opens on another session of the same user (the PC), and nobody else's.

use api_types::form::{FieldValue, FormValues};
use api_types::{ApiError, Draft, ErrorCode};
use reqwest::StatusCode;
use serde_json::json;
use shenpi_server::drafts::{MAX_DRAFTS_PER_USER, MAX_VALUES_BYTES};

mod common;

use common::{Harness, start};

/// What these tests do on top of the common harness: the drafts routes, as one device (session) of a user.
impl Harness {
    fn url(&self, id: &str) -> String {
        format!("{}/api/drafts/{id}", self.base)
    }

    async fn put(&self, token: &str, id: &str, body: &serde_json::Value) -> reqwest::Response {
        self.http.put(self.url(id)).bearer_auth(token).json(body).send().await.unwrap()
    }

    async fn get(&self, token: &str, id: &str) -> reqwest::Response {
        self.http.get(self.url(id)).bearer_auth(token).send().await.unwrap()
    }

    async fn list(&self, token: &str) -> Vec<Draft> {
        let res = self.http.get(format!("{}/api/drafts", self.base)).bearer_auth(token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    async fn delete(&self, token: &str, id: &str) -> reqwest::Response {
        self.http.delete(self.url(id)).bearer_auth(token).send().await.unwrap()
    }
}

fn values(reason: &str) -> FormValues {
    FormValues::new()
        .with("TextField-reason", FieldValue::Text(reason.into()))
        .with("MoneyField-amount", FieldValue::Money("1299.00".into()))
}

fn body(reason: &str, version: Option<i64>) -> serde_json::Value {
    let mut body = json!({ "processCode": "PROC-EXPENSE", "values": values(reason) });
    if let Some(v) = version {
        body["version"] = json!(v);
    }
    body
}

async fn assert_api_error(res: reqwest::Response, status: StatusCode, code: ErrorCode) -> ApiError {
    assert_eq!(res.status(), status, "{}", res.url());
    let error: ApiError = res.json().await.unwrap();
    assert_eq!(error.code, code, "{error:?}");
    error
}

#[tokio::test]
async fn a_draft_saved_on_the_phone_opens_on_the_pc() {
    let h = start().await;
    let phone = h.session_for("zhangsan").await;
    let pc = h.session_for("zhangsan").await;
    assert_ne!(phone, pc);

    let res = h.put(&phone, "0b9c3c0e-6a3f-4d5e-9f6a-2b7c8d9e0f1a", &body("出差北京", None)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let saved: Draft = res.json().await.unwrap();
    assert_eq!((saved.version, saved.values.clone()), (1, values("出差北京")));

    let res = h.get(&pc, "0b9c3c0e-6a3f-4d5e-9f6a-2b7c8d9e0f1a").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Draft>().await.unwrap(), saved);
    assert_eq!(h.list(&pc).await, vec![saved.clone()]);

    // The PC goes on with it; the phone reads the PC's version.
    let res = h.put(&pc, &saved.id, &body("出差北京、上海", Some(1))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let on_pc: Draft = res.json().await.unwrap();
    assert_eq!(on_pc.version, 2);
    assert_eq!(h.get(&phone, &saved.id).await.json::<Draft>().await.unwrap(), on_pc);
}

#[tokio::test]
async fn saving_over_a_newer_version_is_a_draft_conflict() {
    let h = start().await;
    let phone = h.session_for("zhangsan").await;
    let pc = h.session_for("zhangsan").await;
    assert_eq!(h.put(&phone, "draft-0001", &body("phone", None)).await.status(), StatusCode::CREATED);
    assert_eq!(h.put(&pc, "draft-0001", &body("pc", Some(1))).await.status(), StatusCode::OK);

    // The phone still holds version 1.
    let res = h.put(&phone, "draft-0001", &body("phone, later", Some(1))).await;
    assert_api_error(res, StatusCode::CONFLICT, ErrorCode::DraftConflict).await;
    let kept: Draft = h.get(&phone, "draft-0001").await.json().await.unwrap();
    assert_eq!((kept.version, kept.values), (2, values("pc")));

    // Once deleted on one device, a versioned save from the other is a conflict too, not a resurrection.
    assert_eq!(h.delete(&pc, "draft-0001").await.status(), StatusCode::NO_CONTENT);
    let res = h.put(&phone, "draft-0001", &body("phone, later", Some(2))).await;
    assert_api_error(res, StatusCode::CONFLICT, ErrorCode::DraftConflict).await;
    assert_api_error(h.get(&phone, "draft-0001").await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn another_users_draft_is_not_found() {
    let h = start().await;
    let zhangsan = h.session_for("zhangsan").await;
    let lisi = h.session_for("lisi").await;
    assert_eq!(h.put(&zhangsan, "draft-0001", &body("mine", None)).await.status(), StatusCode::CREATED);

    assert_api_error(h.get(&lisi, "draft-0001").await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_api_error(h.delete(&lisi, "draft-0001").await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(h.list(&lisi).await, vec![]);
    // Naming 张三's version does not reach his draft either: for 李四 there is no such draft.
    let res = h.put(&lisi, "draft-0001", &body("his", Some(1))).await;
    assert_api_error(res, StatusCode::CONFLICT, ErrorCode::DraftConflict).await;
    let mine: Draft = h.get(&zhangsan, "draft-0001").await.json().await.unwrap();
    assert_eq!((mine.version, mine.values), (1, values("mine")));
}

#[tokio::test]
async fn deleting_a_draft_removes_it_from_every_device() {
    let h = start().await;
    let phone = h.session_for("zhangsan").await;
    let pc = h.session_for("zhangsan").await;
    h.put(&phone, "draft-0001", &body("a", None)).await;
    h.put(&phone, "draft-0002", &body("b", None)).await;

    assert_eq!(h.delete(&pc, "draft-0001").await.status(), StatusCode::NO_CONTENT);
    assert_api_error(h.get(&phone, "draft-0001").await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_api_error(h.delete(&phone, "draft-0001").await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let left: Vec<String> = h.list(&phone).await.into_iter().map(|d| d.id).collect();
    assert_eq!(left, ["draft-0002"]);
}

#[tokio::test]
async fn drafts_list_the_most_recently_saved_first() {
    let h = start().await;
    let token = h.session_for("zhangsan").await;
    for id in ["draft-cccc", "draft-aaaa", "draft-bbbb"] {
        assert_eq!(h.put(&token, id, &body(id, None)).await.status(), StatusCode::CREATED);
        // Saves are stamped in milliseconds; keep them apart.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    h.put(&token, "draft-cccc", &body("again", Some(1))).await;
    let ids: Vec<String> = h.list(&token).await.into_iter().map(|d| d.id).collect();
    assert_eq!(ids, ["draft-cccc", "draft-bbbb", "draft-aaaa"]);
}

#[tokio::test]
async fn drafts_need_a_session_and_a_well_formed_id() {
    let h = start().await;
    let res = h.http.get(format!("{}/api/drafts", h.base)).send().await.unwrap();
    assert_api_error(res, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    let res = h.http.put(h.url("draft-0001")).json(&body("x", None)).send().await.unwrap();
    assert_api_error(res, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;

    let token = h.session_for("zhangsan").await;
    for bad in ["short", "has.dot.inside", &"x".repeat(65)] {
        assert_api_error(h.put(&token, bad, &body("x", None)).await, StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
            .await;
        assert_api_error(h.get(&token, bad).await, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    }
    let no_process = json!({ "processCode": " ", "values": {} });
    assert_api_error(h.put(&token, "draft-0001", &no_process).await, StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
        .await;
    let not_values = json!({ "processCode": "P", "values": { "f": { "type": "nonsense" } } });
    assert_api_error(h.put(&token, "draft-0001", &not_values).await, StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
        .await;
    assert_eq!(h.list(&token).await, vec![]);
}

#[tokio::test]
async fn values_up_to_256_kib_are_kept_and_larger_ones_refused() {
    let h = start().await;
    let token = h.session_for("zhangsan").await;
    // The values' JSON is `{"t":{"type":"text","value":"…"}}`: 32 bytes around the text.
    let fits = FormValues::new().with("t", FieldValue::Text("x".repeat(MAX_VALUES_BYTES - 32)));
    assert_eq!(serde_json::to_vec(&fits).unwrap().len(), MAX_VALUES_BYTES);
    let res = h.put(&token, "draft-big1", &json!({ "processCode": "P", "values": fits })).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(h.get(&token, "draft-big1").await.json::<Draft>().await.unwrap().values, fits);

    // One byte over: under the body limit, refused by the values' limit.
    let over = FormValues::new().with("t", FieldValue::Text("x".repeat(MAX_VALUES_BYTES - 31)));
    let res = h.put(&token, "draft-big2", &json!({ "processCode": "P", "values": over })).await;
    assert_api_error(res, StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge).await;
    // Far over: refused by the body limit.
    let huge = FormValues::new().with("t", FieldValue::Text("x".repeat(2 * MAX_VALUES_BYTES)));
    let res = h.put(&token, "draft-big3", &json!({ "processCode": "P", "values": huge })).await;
    assert_api_error(res, StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge).await;
    let ids: Vec<String> = h.list(&token).await.into_iter().map(|d| d.id).collect();
    assert_eq!(ids, ["draft-big1"]);
}

#[tokio::test]
async fn the_fifty_first_draft_is_refused_with_a_clear_message() {
    let h = start().await;
    let token = h.session_for("zhangsan").await;
    for i in 0..MAX_DRAFTS_PER_USER {
        assert_eq!(h.put(&token, &format!("draft-{i:04}"), &body("x", None)).await.status(), StatusCode::CREATED);
    }
    let res = h.put(&token, "draft-over", &body("x", None)).await;
    let error = assert_api_error(res, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    assert!(error.message.contains("50 drafts"), "{}", error.message);
    assert_eq!(h.list(&token).await.len(), MAX_DRAFTS_PER_USER);
    // Saving one of the fifty still works, and another user is not affected.
    assert_eq!(h.put(&token, "draft-0000", &body("y", Some(1))).await.status(), StatusCode::OK);
    let lisi = h.session_for("lisi").await;
    assert_eq!(h.put(&lisi, "draft-over", &body("x", None)).await.status(), StatusCode::CREATED);
}
