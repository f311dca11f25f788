//! The directory calls on the wire: `topapi/v2/department/listsub` and `topapi/v2/user/list`.

use dingtalk_emulator::Emulator;
use serde_json::{Value, json};

async fn call(emu: &Emulator, path: &str, body: Value) -> Value {
    let token = emu.app_token().await.unwrap();
    let res = reqwest::Client::new()
        .post(format!("{}{path}?access_token={token}", emu.uri()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "legacy errors are HTTP 200 too");
    res.json().await.unwrap()
}

#[tokio::test]
async fn listsub_answers_the_direct_sub_departments() {
    let emu = Emulator::start().await.unwrap();
    let body = call(&emu, "/topapi/v2/department/listsub", json!({"dept_id": 100})).await;
    assert_eq!(body["errcode"], 0, "{body}");
    let subs = body["result"].as_array().unwrap();
    let ids: Vec<i64> = subs.iter().map(|d| d["dept_id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [101, 102, 103]);
    assert_eq!(subs[0]["name"], "前端组");
    assert_eq!(subs[0]["parent_id"], 100);
    assert!(subs[0]["create_dept_group"].is_boolean() && subs[0]["auto_add_user"].is_boolean());

    let root = call(&emu, "/topapi/v2/department/listsub", json!({})).await;
    assert!(root["result"].as_array().unwrap().iter().any(|d| d["dept_id"] == 100), "no dept_id means the root");
    let leaf = call(&emu, "/topapi/v2/department/listsub", json!({"dept_id": "101"})).await;
    assert_eq!(leaf["result"], json!([]));
}

#[tokio::test]
async fn an_unknown_department_is_60003_on_both_calls() {
    let emu = Emulator::start().await.unwrap();
    let body = call(&emu, "/topapi/v2/department/listsub", json!({"dept_id": 999})).await;
    assert_eq!(body["errcode"], 60003, "{body}");
    let body = call(&emu, "/topapi/v2/user/list", json!({"dept_id": 999, "cursor": 0, "size": 10})).await;
    assert_eq!(body["errcode"], 60003, "{body}");
}

#[tokio::test]
async fn user_list_pages_through_current_members_without_repeats() {
    let emu = Emulator::start().await.unwrap();
    let expected: Vec<String> =
        emu.org().users.iter().filter(|u| u.active && u.dept_ids.contains(&101)).map(|u| u.user_id.clone()).collect();
    assert!(expected.len() > 3, "the seed's dept 101 needs a few people");
    let mut seen = vec![];
    let mut cursor = json!(0);
    for _ in 0..expected.len() {
        let body = call(&emu, "/topapi/v2/user/list", json!({"dept_id": 101, "cursor": cursor, "size": 2})).await;
        assert_eq!(body["errcode"], 0, "{body}");
        let result = &body["result"];
        for user in result["list"].as_array().unwrap() {
            assert!(user["name"].is_string() && user["leader"].is_boolean(), "{user}");
            seen.push(user["userid"].as_str().unwrap().to_owned());
        }
        if result["has_more"] == false {
            assert!(result.get("next_cursor").is_none(), "the last page has no next_cursor");
            break;
        }
        cursor = result["next_cursor"].clone();
    }
    assert_eq!(seen, expected);
    assert!(!seen.iter().any(|u| u == "former01"), "people who left are not listed");
    assert!(seen.iter().any(|u| u == "lisi"), "someone in two departments is a member of each");
}

#[tokio::test]
async fn user_list_refuses_a_size_over_100_or_missing_parameters() {
    let emu = Emulator::start().await.unwrap();
    for bad in [
        json!({"dept_id": 1, "cursor": 0, "size": 101}),
        json!({"dept_id": 1, "cursor": 0, "size": 0}),
        json!({"dept_id": 1, "size": 10}),
        json!({"cursor": 0, "size": 10}),
    ] {
        let body = call(&emu, "/topapi/v2/user/list", bad.clone()).await;
        assert_eq!(body["errcode"], 40035, "{bad}: {body}");
    }
    let body = call(&emu, "/topapi/v2/user/list", json!({"dept_id": 1, "cursor": 0, "size": 100})).await;
    assert_eq!(body["errcode"], 0, "{body}");
}
