//! Showing and copying a submitted request through the API: `GET /api/requests/{id}` gives back the body exactly as
//! it was submitted, that body submitted again under a new key makes a second request with the same values, and
//! `GET /api/requests` pages the caller's own requests newest first. A real server over SQLite, against the emulator.

use std::time::Duration;

use api_types::form::Attachment;
use api_types::{
    ApprovalMode, ApprovalStep, ApproverPick, ErrorCode, RequestPage, RequestState, SubmitRequest, SubmittedRequest,
    TemplateDetail,
};
use reqwest::StatusCode;
use shenpi_server::store::{Inserted, NewRequest};

mod common;

use common::forms::{Refs, valid_values};
use common::{Harness, assert_api_error, general_request as general};

/// The seeded templates.
const SEEDED: [&str; 4] = ["PROC-EMU-LEAVE", "PROC-EMU-EXPENSE", "PROC-EMU-PURCHASE", "PROC-EMU-GENERAL"];

/// The harness with zhangsan logged in.
struct Caller {
    h: Harness,
    token: String,
}

impl Caller {
    async fn submit(&self, key: &str, body: &SubmitRequest) -> SubmittedRequest {
        let res = self
            .h
            .http
            .post(format!("{}/api/requests", self.h.base))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED, "{key}");
        res.json().await.unwrap()
    }

    async fn get_as(&self, token: &str, id: &str) -> reqwest::Response {
        self.h.http.get(format!("{}/api/requests/{id}", self.h.base)).bearer_auth(token).send().await.unwrap()
    }

    async fn get(&self, id: &str) -> SubmittedRequest {
        let res = self.get_as(&self.token, id).await;
        assert_eq!(res.status(), StatusCode::OK, "{id}");
        res.json().await.unwrap()
    }

    /// Polls the request until it leaves `queued`.
    async fn settled(&self, id: &str) -> SubmittedRequest {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let r = self.get(id).await;
            if r.state != RequestState::Queued {
                return r;
            }
            assert!(tokio::time::Instant::now() < deadline, "request {id} still queued");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn list(&self, query: &str) -> reqwest::Response {
        self.h.http.get(format!("{}/api/requests{query}", self.h.base)).bearer_auth(&self.token).send().await.unwrap()
    }

    async fn template(&self, code: &str) -> TemplateDetail {
        let url = format!("{}/api/templates/{code}", self.h.base);
        let res = self.h.http.get(url).bearer_auth(&self.token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{code}");
        res.json().await.unwrap()
    }

    /// A file in zhangsan's approval space.
    async fn upload(&self) -> Attachment {
        common::forms::upload(&self.h.emu, "zhangsan").await
    }
}

async fn start() -> Caller {
    let h = common::start().await;
    let token = h.session_for("zhangsan").await;
    Caller { h, token }
}

#[tokio::test]
async fn every_seeded_template_s_body_reads_back_as_sent_and_a_copy_makes_a_second_request() {
    let t = start().await;
    // A running instance for relate fields to name.
    let first = t.submit("key-first-0001", &general("先有一个")).await;
    let instance_id = t.settled(&first.id).await.instance_id.expect("delivered");
    let refs = Refs { file: t.upload().await, instance_id };
    for code in SEEDED {
        let template = t.template(code).await;
        let body = SubmitRequest {
            process_code: code.into(),
            dept_id: Some(101),
            values: valid_values(&template.form.fields, &refs),
            approvers: None,
            cc: None,
            // 采购 has a step whose approver the originator picks.
            picks: (code == "PROC-EMU-PURCHASE").then(|| {
                vec![ApproverPick { activity_id: "act_purchase_pick".into(), user_ids: vec!["admin01".into()] }]
            }),
        };
        let sent = t.submit(&format!("key-{code}-1"), &body).await;
        let read = t.get(&sent.id).await;
        assert_eq!(read.submitted.as_ref(), Some(&body), "{code}: the body reads back exactly");
        assert_eq!(read.process_code.as_deref(), Some(code));
        assert_eq!(read.template_name.as_deref(), Some(template.name.as_str()), "{code}: from the cache");
        assert!(read.created_at.is_some_and(|at| at > 1_600_000_000_000), "{code}: {read:?}");

        // The app copies it: the same body under a new key.
        let copy = t.submit(&format!("key-{code}-2"), &read.submitted.clone().unwrap()).await;
        assert_ne!(copy.id, sent.id, "{code}: a second request");
        assert_eq!(t.get(&copy.id).await.submitted, Some(body.clone()), "{code}");
        let (a, b) = (t.settled(&sent.id).await, t.settled(&copy.id).await);
        assert_eq!((a.state, b.state), (RequestState::Running, RequestState::Running), "{code}: {a:?} {b:?}");
        assert_ne!(a.instance_id, b.instance_id, "{code}: two instances in DingTalk");
    }
}

#[tokio::test]
async fn approvers_cc_and_an_absent_dept_read_back_as_sent() {
    let t = start().await;
    let body = SubmitRequest {
        approvers: Some(vec![ApprovalStep { mode: ApprovalMode::Any, user_ids: vec!["lisi".into(), "wangwu".into()] }]),
        cc: Some(vec!["zhaoliu".into()]),
        ..general("指定审批人")
    };
    let sent = t.submit("key-approvers-1", &body).await;
    let read = t.get(&sent.id).await;
    assert_eq!(read.submitted, Some(body), "dept_id stays absent, as sent");
}

#[tokio::test]
async fn another_user_cannot_read_a_request() {
    let t = start().await;
    let mine = t.submit("key-owner-0001", &general("我的")).await;
    let other = t.h.session_for("lisi").await;
    assert_api_error(t.get_as(&other, &mine.id).await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let res = t.h.http.get(format!("{}/api/requests", t.h.base)).bearer_auth(&other).send().await.unwrap();
    assert!(res.json::<RequestPage>().await.unwrap().items.is_empty(), "lisi's list has none of zhangsan's");
    let res = t.h.http.get(format!("{}/api/requests/{}", t.h.base, mine.id)).send().await.unwrap();
    assert_api_error(res, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
}

#[tokio::test]
async fn the_list_pages_newest_first_without_repeats() {
    let t = start().await;
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(t.submit(&format!("key-page-{n:04}"), &general(&format!("第 {n} 个"))).await.id);
        // Apart by at least a millisecond, so that the order of submission is the order of `createdAt`.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let res = t.list(&format!("?limit=3&cursor={cursor}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let page: RequestPage = res.json().await.unwrap();
        assert!(page.items.len() <= 3);
        for item in &page.items {
            assert_eq!(item.process_code.as_deref(), Some("PROC-EMU-GENERAL"));
            assert_eq!(item.template_name.as_deref(), Some("通用审批"));
            assert!(item.submitted.is_none(), "the list leaves bodies to the detail");
        }
        seen.extend(page.items.into_iter().map(|i| i.id));
        match page.next_cursor {
            Some(next) => cursor = next,
            None => break,
        }
    }
    assert_eq!(seen, ids, "newest first, each once");

    let res = t.list("").await;
    assert_eq!(res.json::<RequestPage>().await.unwrap().items.len(), 7, "20 by default");
    for bad in ["?limit=0", "?limit=101", "?limit=x", "?cursor=not-ours!"] {
        assert_api_error(t.list(bad).await, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    }
}

#[tokio::test]
async fn a_request_from_before_bodies_were_kept_reads_back_without_one() {
    let t = start().await;
    let store = t.h.store().await;
    let old = NewRequest {
        id: "old-request-1".into(),
        user_id: "zhangsan".into(),
        idempotency_key: "key-old-0001".into(),
        body_hash: "0".repeat(64),
        process_code: "PROC-EMU-GENERAL".into(),
        payload: r#"{"deptId":101,"form":[]}"#.into(),
        submitted: None,
        created_at: 1_700_000_000_000,
    };
    assert!(matches!(store.insert_request(&old).await.unwrap(), Inserted::Created(_)));
    let read = t.get("old-request-1").await;
    assert_eq!((read.submitted, read.created_at), (None, Some(1_700_000_000_000)));
    assert_eq!(read.process_code.as_deref(), Some("PROC-EMU-GENERAL"));
    let page: RequestPage = t.list("").await.json().await.unwrap();
    assert_eq!(page.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["old-request-1"]);
}
