//! The container scripts, the app proxy and the workbench on the wire.

use axum::Router;
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::{get, post};
use dingtalk_emulator::Emulator;
use serde_json::{Value, json};

async fn get_with_host(url: &str, host: &str) -> reqwest::Response {
    reqwest::Client::new().get(url).header("host", host).send().await.unwrap()
}

#[tokio::test]
async fn each_platform_gets_its_bridge_and_user_agent() {
    let emu = Emulator::start().await.unwrap();
    for (platform, bridge, ua) in [
        ("ios", "window.WebViewJavascriptBridge =", "iPhone"),
        ("android", "window.nuva =", "Android"),
        ("pc", "window.postMessage =", "DingTalk("),
    ] {
        let res = reqwest::get(format!("{}/_emulator/container.js?platform={platform}&user=zhangsan", emu.uri()))
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{platform}");
        let agent = res.headers()["x-dingtalk-user-agent"].to_str().unwrap().to_owned();
        assert!(agent.contains(ua) && agent.contains("DingTalk"), "{platform}: {agent}");
        let script = res.text().await.unwrap();
        assert!(script.contains(bridge), "{platform}");
        assert!(script.contains(&format!("\"platform\":\"{platform}\"")), "{platform}");
    }
}

#[tokio::test]
async fn unknown_platforms_and_strangers_get_no_container() {
    let emu = Emulator::start().await.unwrap();
    let res =
        reqwest::get(format!("{}/_emulator/container.js?platform=harmony&user=zhangsan", emu.uri())).await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "badRequest");
    let res = reqwest::get(format!("{}/_emulator/container.js?platform=ios&user=nobody", emu.uri())).await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "userNotExist");
}

/// A stand-in for shenpi's server: one page and one API route that says what it received.
async fn start_app() -> String {
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                Html("<!doctype html><html><head><script src=app.js></script></head><body>app</body></html>")
            }),
        )
        .route(
            "/api/echo",
            post(|headers: HeaderMap, body: String| async move {
                axum::Json(json!({
                    "body": body,
                    "authorization": headers.get("authorization").and_then(|v| v.to_str().ok()),
                    "forwardedHost": headers.get("x-forwarded-host").and_then(|v| v.to_str().ok()),
                }))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn app_hosts_reach_the_app_with_the_container_script_first() {
    let emu = Emulator::start().await.unwrap();
    emu.control().set_app_url(&start_app().await).await.unwrap();
    let port = emu.uri().rsplit(':').next().unwrap().to_owned();
    let host = format!("android-Lisi.app.localhost:{port}");

    let page = get_with_host(&format!("{}/", emu.uri()), &host).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let script = "<script src=\"/_emulator/container.js?platform=android&amp;user=lisi\"></script>";
    assert!(html.starts_with(&format!("<!doctype html><html><head>{script}<script src=app.js>")), "{html}");

    let echo: Value = reqwest::Client::new()
        .post(format!("{}/api/echo", emu.uri()))
        .header("host", &host)
        .header("authorization", "Bearer t0ken")
        .body("{\"code\":\"abc\"}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo, json!({ "body": "{\"code\":\"abc\"}", "authorization": "Bearer t0ken", "forwardedHost": host }));

    // The emulator's own paths stay the emulator's on an app host, so the container reaches the control API.
    let org: Value = get_with_host(&format!("{}/_emulator/org", emu.uri()), &host).await.json().await.unwrap();
    assert!(org["users"].is_array());
    // And other hosts are the emulator itself.
    let res = reqwest::get(format!("{}/", emu.uri())).await.unwrap();
    assert_ne!(res.status(), 200);
}

#[tokio::test]
async fn an_app_host_for_a_stranger_or_an_absent_app_says_so() {
    let emu = Emulator::start().await.unwrap();
    let port = emu.uri().rsplit(':').next().unwrap().to_owned();
    let res = get_with_host(&format!("{}/", emu.uri()), &format!("ios-nobody.app.localhost:{port}")).await;
    assert_eq!(res.status(), 404);

    // Nothing listens on port 9 (discard) of the loopback address.
    emu.control().set_app_url("http://127.0.0.1:9").await.unwrap();
    let res = get_with_host(&format!("{}/", emu.uri()), &format!("ios-zhangsan.app.localhost:{port}")).await;
    assert_eq!(res.status(), 502);
    assert!(res.text().await.unwrap().contains("--app-url"));

    let refused = emu.control().set_app_url("ftp://example.com").await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn the_workbench_is_a_plain_page() {
    let emu = Emulator::start().await.unwrap();
    let res = reqwest::get(format!("{}/_emulator/workbench", emu.uri())).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    for id in ["wb-phone-frame", "wb-pc-frame", "wb-phone-user", "wb-approver", "wb-events"] {
        assert!(html.contains(&format!("data-testid=\"{id}\"")), "{id}");
    }
}
