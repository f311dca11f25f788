//! The contact directory for the browser's pickers: `GET /api/contacts` and `GET /api/departments` against the
//! emulator's seeded organisation.

mod common;

use api_types::{ContactPage, DepartmentNode, ErrorCode};
use common::{Harness, assert_api_error};
use reqwest::StatusCode;

async fn get(h: &Harness, token: &str, path: &str) -> reqwest::Response {
    h.http.get(format!("{}{path}", h.base)).bearer_auth(token).send().await.unwrap()
}

async fn page(h: &Harness, token: &str, path: &str) -> ContactPage {
    let res = get(h, token, path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

/// How many times the emulator answered `path` since it started.
async fn calls_to(h: &Harness, path: &str) -> u64 {
    let counts = h.emu.control().calls().await.unwrap();
    counts.apis.iter().filter(|a| a.path == path).map(|a| a.month_calls).sum()
}

#[tokio::test]
async fn search_finds_seeded_people_by_name_or_title_with_their_departments() {
    let h = common::start().await;
    let token = h.session_for("zhangsan").await;
    let found = page(&h, &token, "/api/contacts?q=%E5%BC%A0%E4%B8%89").await; // 张三
    let zhangsan = found.items.iter().find(|c| c.user_id == "zhangsan").expect("张三 is found by name");
    assert_eq!(zhangsan.title.as_deref(), Some("前端工程师"));
    assert_eq!(zhangsan.departments, ["前端组"]);
    let lisi = page(&h, &token, "/api/contacts?q=%E5%85%A8%E6%A0%88").await; // 全栈 (in 李四's title)
    assert_eq!(lisi.items.iter().map(|c| c.user_id.as_str()).collect::<Vec<_>>(), ["lisi"]);
    assert_eq!(lisi.items[0].departments, ["前端组", "行政部"], "both departments, the main one first");
    let ui = page(&h, &token, "/api/contacts?q=ui").await;
    assert!(ui.items.iter().any(|c| c.user_id == "fe02"), "matching ignores case (UI 设计师)");
}

#[tokio::test]
async fn someone_who_left_is_never_offered() {
    let h = common::start().await;
    let token = h.session_for("zhangsan").await;
    let by_name = page(&h, &token, "/api/contacts?q=%E5%91%A8%E7%A6%BB%E8%81%8C").await; // 周离职
    assert!(by_name.items.is_empty(), "{by_name:?}");
    let in_dept = page(&h, &token, "/api/contacts?dept=101&limit=100").await;
    assert!(!in_dept.items.is_empty());
    assert!(in_dept.items.iter().all(|c| c.user_id != "former01"));
}

#[tokio::test]
async fn browsing_a_department_lists_its_members_and_sub_departments() {
    let h = common::start().await;
    let token = h.session_for("zhangsan").await;
    let members = page(&h, &token, "/api/contacts?dept=101&limit=100").await;
    let expected: std::collections::BTreeSet<String> =
        h.emu.org().users.iter().filter(|u| u.active && u.dept_ids.contains(&101)).map(|u| u.user_id.clone()).collect();
    let got: std::collections::BTreeSet<String> = members.items.iter().map(|c| c.user_id.clone()).collect();
    assert_eq!(got, expected);

    let res = get(&h, &token, "/api/departments").await;
    assert_eq!(res.status(), StatusCode::OK);
    let top: Vec<DepartmentNode> = res.json().await.unwrap();
    let rd = top.iter().find(|d| d.dept_id == 100).expect("研发中心 is under the root");
    assert_eq!((rd.name.as_str(), rd.parent_id, rd.has_children), ("研发中心", Some(1), true));
    let subs: Vec<DepartmentNode> = get(&h, &token, "/api/departments?parent=100").await.json().await.unwrap();
    assert_eq!(subs.iter().map(|d| d.dept_id).collect::<Vec<_>>(), [101, 102, 103]);
    let fe = &subs[0];
    assert_eq!(fe.member_count as usize, expected.len());
    assert!(!fe.has_children);
    let under_rd: std::collections::BTreeSet<&str> = h
        .emu
        .org()
        .users
        .iter()
        .filter(|u| u.active && u.dept_ids.iter().any(|d| [100, 101, 102, 103].contains(d)))
        .map(|u| u.user_id.as_str())
        .collect();
    assert_eq!(rd.member_count as usize, under_rd.len(), "a count covers sub-departments, each person once");
}

#[tokio::test]
async fn pages_cover_everyone_once_without_repeats() {
    let h = common::start().await;
    let token = h.session_for("zhangsan").await;
    let mut seen = vec![];
    let mut path = "/api/contacts?limit=7".to_owned();
    loop {
        let p = page(&h, &token, &path).await;
        assert!(p.items.len() <= 7);
        seen.extend(p.items.into_iter().map(|c| c.user_id));
        match p.next_cursor {
            Some(cursor) => path = format!("/api/contacts?limit=7&cursor={cursor}"),
            None => break,
        }
    }
    let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no one twice: {seen:?}");
    let active = h.emu.org().users.iter().filter(|u| u.active).count();
    assert_eq!(seen.len(), active, "everyone current, once");
}

#[tokio::test]
async fn the_directory_is_walked_once_for_many_searches() {
    let h = common::start().await;
    let token = h.session_for("zhangsan").await;
    for q in ["a", "%E5%BC%A0", "%E6%9D%8E", "", "x"] {
        page(&h, &token, &format!("/api/contacts?q={q}")).await;
        let _ = get(&h, &token, "/api/departments?parent=100").await;
    }
    let depts = h.emu.org().departments.len() as u64;
    assert_eq!(calls_to(&h, "/topapi/v2/department/listsub").await, depts, "one listsub per department");
    assert_eq!(calls_to(&h, "/topapi/v2/user/list").await, depts, "one member page per department");
}

#[tokio::test]
async fn a_directory_older_than_its_ttl_is_walked_again() {
    let h = common::start_with(&["--directory-ttl-secs=0".to_owned()]).await;
    let token = h.session_for("zhangsan").await;
    page(&h, &token, "/api/contacts").await;
    page(&h, &token, "/api/contacts").await;
    let depts = h.emu.org().departments.len() as u64;
    assert_eq!(calls_to(&h, "/topapi/v2/department/listsub").await, 2 * depts);
}

#[tokio::test]
async fn no_session_is_401_and_bad_input_400_or_404() {
    let h = common::start().await;
    for path in ["/api/contacts", "/api/departments"] {
        let res = h.http.get(format!("{}{path}", h.base)).send().await.unwrap();
        assert_api_error(res, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    }
    let token = h.session_for("zhangsan").await;
    for path in
        ["/api/contacts?limit=0", "/api/contacts?dept=abc", "/api/contacts?cursor=%21", "/api/departments?parent=x"]
    {
        assert_api_error(get(&h, &token, path).await, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    }
    for path in ["/api/contacts?dept=999", "/api/departments?parent=999"] {
        assert_api_error(get(&h, &token, path).await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
}

#[tokio::test]
async fn a_failed_refresh_serves_the_last_copy_and_no_copy_is_a_502() {
    use dingtalk_emulator::limits::FaultRule;
    let h = common::start_with(&["--directory-ttl-secs=0".to_owned()]).await;
    let token = h.session_for("zhangsan").await;
    let rule = FaultRule { permission_denied: true, ..FaultRule::on("/topapi/v2/department/listsub") };
    h.emu.control().add_fault(&rule).await.unwrap();
    let res = get(&h, &token, "/api/contacts").await;
    assert_api_error(res, StatusCode::BAD_GATEWAY, ErrorCode::PermissionMissing).await;

    h.emu.control().clear_faults().await.unwrap();
    let fresh = page(&h, &token, "/api/contacts?limit=100").await;
    h.emu.control().add_fault(&rule).await.unwrap();
    let stale = page(&h, &token, "/api/contacts?limit=100").await;
    assert_eq!(stale, fresh, "the last copy keeps serving while DingTalk refuses");
    assert!(calls_to(&h, "/topapi/v2/department/listsub").await >= 3, "the refresh was attempted");
}
