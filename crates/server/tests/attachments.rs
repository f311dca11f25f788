//! Attachments end to end against the emulator: the caller's approval space, the browser's fallback upload into it
//! through DingTalk Drive's storage API, the uploaded file in a submitted form, and its download link for the
//! instance's participants only.

use std::time::Duration;

use api_types::attachments::{FILE_NAME_HEADER, MAX_UPLOAD_BYTES};
use api_types::form::{Attachment, FieldValue};
use api_types::{ApprovalMode, ApprovalStep, AttachmentSpace, ErrorCode, FileLink, RequestState, SubmittedRequest};
use dingtalk_emulator::workflow::UploadRequest;
use reqwest::StatusCode;

mod common;

use common::{Harness, assert_api_error};

const ORIGINATOR: &str = "zhangsan";
const APPROVER: &str = "lisi";
const STRANGER: &str = "fe02";
const SPACE: &str = "/v1.0/workflow/processInstances/spaces/infos/query";
/// The 通用审批 template's attachment field.
const FIELD: &str = "DDAttachment-XORZV4UL";

async fn get(h: &Harness, token: Option<&str>, path: &str) -> reqwest::Response {
    let req = h.http.get(format!("{}{path}", h.base));
    let req = match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    };
    req.send().await.unwrap()
}

async fn upload_res(h: &Harness, token: Option<&str>, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string();
    let req = h
        .http
        .post(format!("{}/api/attachments", h.base))
        .header(FILE_NAME_HEADER, encoded)
        .header("content-type", "application/octet-stream")
        .body(bytes);
    let req = match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    };
    req.send().await.unwrap()
}

async fn upload(h: &Harness, token: &str, name: &str, bytes: &[u8]) -> Attachment {
    let res = upload_res(h, Some(token), name, bytes.to_vec()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn space_of(h: &Harness, token: &str) -> String {
    let res = get(h, Some(token), "/api/attachments/space").await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<AttachmentSpace>().await.unwrap().space_id
}

async fn calls(h: &Harness, path: &str) -> u64 {
    let counts = h.emu.control().calls().await.unwrap();
    counts.apis.iter().filter(|a| a.path == path && a.method == "POST").map(|a| a.month_calls).sum()
}

/// A 通用审批 by `token`'s user with these files, approved by `lisi`, delivered: its instance id.
async fn started_with(h: &Harness, token: &str, files: Vec<Attachment>) -> String {
    let mut body = common::general_request("报价");
    body.values = body.values.with(FIELD, FieldValue::Attachments(files));
    body.approvers = Some(vec![ApprovalStep { mode: ApprovalMode::Single, user_ids: vec![APPROVER.into()] }]);
    let res = h
        .http
        .post(format!("{}/api/requests", h.base))
        .bearer_auth(token)
        .header("Idempotency-Key", "attach-submit-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED, "{}", res.text().await.unwrap());
    let queued: SubmittedRequest = res.json().await.unwrap();
    for _ in 0..200 {
        let r: SubmittedRequest =
            get(h, Some(token), &format!("/api/requests/{}", queued.id)).await.json().await.unwrap();
        match r.state {
            RequestState::Running => return r.instance_id.unwrap(),
            RequestState::Failed => panic!("DingTalk refused the request: {:?}", r.failure),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("the request was not delivered");
}

#[tokio::test]
async fn the_space_is_the_callers_approval_space_read_from_dingtalk_once() {
    let h = common::start().await;
    let token = h.session_for(ORIGINATOR).await;
    let space = space_of(&h, &token).await;
    assert_eq!(space_of(&h, &token).await, space);
    assert_eq!(calls(&h, SPACE).await, 1, "the second answer came from the cache");
    // The JSAPI's uploadAttachment (the emulated container) puts the user's files into the same space.
    let req =
        UploadRequest { user_id: ORIGINATOR.into(), file_name: "a.pdf".into(), file_size: 3, file_type: "pdf".into() };
    assert_eq!(h.emu.control().upload(&req).await.unwrap().space_id, space);
    // Someone else has a space of their own.
    let other = h.session_for(APPROVER).await;
    assert_ne!(space_of(&h, &other).await, space);
}

#[tokio::test]
async fn an_uploaded_file_goes_into_a_form_and_its_participants_download_it() {
    let h = common::start().await;
    let originator = h.session_for(ORIGINATOR).await;
    let approver = h.session_for(APPROVER).await;
    let stranger = h.session_for(STRANGER).await;

    let uploaded = upload(&h, &originator, "报价单.PDF", b"%PDF-1.7 quote").await;
    assert_eq!(uploaded.space_id, space_of(&h, &originator).await, "it landed in the caller's approval space");
    assert_eq!((uploaded.file_name.as_str(), uploaded.file_size), ("报价单.PDF", 14));
    assert_eq!(uploaded.file_type, "pdf");
    // A file uploaded the JSAPI's way sits next to it.
    let jsapi = h
        .emu
        .control()
        .upload(&UploadRequest {
            user_id: ORIGINATOR.into(),
            file_name: "清单.xlsx".into(),
            file_size: 10,
            file_type: "xlsx".into(),
        })
        .await
        .unwrap();
    let jsapi = Attachment {
        space_id: jsapi.space_id,
        file_id: jsapi.file_id,
        file_name: jsapi.file_name,
        file_size: 10,
        file_type: jsapi.file_type,
    };
    let unattached = upload(&h, &originator, "other.txt", b"not on the form").await;
    // DingTalk (the emulator) refuses a DDAttachment value whose file is not in the space, so delivery proves it.
    let id = started_with(&h, &originator, vec![uploaded.clone(), jsapi.clone()]).await;

    for (who, file) in [(&originator, &uploaded), (&approver, &uploaded), (&approver, &jsapi)] {
        let res = get(&h, Some(who), &format!("/api/instances/{id}/files/{}", file.file_id)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let link: FileLink = res.json().await.unwrap();
        assert_eq!(link.file_id, file.file_id);
        assert!(link.url.contains(&file.file_id), "{}", link.url);
    }
    let path = format!("/api/instances/{id}/files/{}", uploaded.file_id);
    assert_api_error(get(&h, Some(&stranger), &path).await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let not_on_it = format!("/api/instances/{id}/files/{}", unattached.file_id);
    assert_api_error(get(&h, Some(&originator), &not_on_it).await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let no_instance = format!("/api/instances/no-such-instance/files/{}", uploaded.file_id);
    assert_api_error(get(&h, Some(&originator), &no_instance).await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn too_large_empty_unnamed_and_anonymous_uploads_are_refused() {
    let h = common::start().await;
    let token = h.session_for(ORIGINATOR).await;
    let res = upload_res(&h, Some(&token), "big.bin", vec![0; MAX_UPLOAD_BYTES + 1]).await;
    assert_api_error(res, StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge).await;
    // Exactly the limit is taken.
    let at_limit = upload(&h, &token, "limit.bin", &vec![7; MAX_UPLOAD_BYTES]).await;
    assert_eq!(at_limit.file_size, MAX_UPLOAD_BYTES as u64);
    let res = upload_res(&h, Some(&token), "empty.txt", Vec::new()).await;
    assert_api_error(res, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    let res = h
        .http
        .post(format!("{}/api/attachments", h.base))
        .bearer_auth(&token)
        .body(b"no name".to_vec())
        .send()
        .await
        .unwrap();
    assert_api_error(res, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;

    let res = upload_res(&h, None, "a.txt", b"x".to_vec()).await;
    assert_api_error(res, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    let res = get(&h, None, "/api/attachments/space").await;
    assert_api_error(res, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    let res = get(&h, None, "/api/instances/x/files/y").await;
    assert_api_error(res, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
}
