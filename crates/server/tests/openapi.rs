//! The OpenAPI document at `/api/openapi.json`: generated from the routes, the same as the reviewed copy in
//! `docs/openapi.json`, and every operation it lists is served.
//!
//! After an intended API change, regenerate the copy with
//! `SHENPI_UPDATE_OPENAPI=1 cargo test -p shenpi-server --test openapi` and review the diff.

use std::path::PathBuf;

use clap::Parser;
use serde_json::Value;
use shenpi_server::{AppState, Config};

mod common;

fn reviewed_copy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

/// A server over a temporary SQLite file; DingTalk is never reached by these requests.
async fn serve() -> (String, tempfile::TempDir, common::Running) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("shenpi.db").display());
    let config = Config::try_parse_from([
        "shenpi-server",
        &format!("--database-url={db}"),
        &format!("--dist-dir={}", dir.path().display()),
        "--corp-id=dingcorp",
        "--agent-id=1",
        "--app-key=key",
        "--app-secret=secret",
        "--oapi-url=http://127.0.0.1:9",
        "--api-url=http://127.0.0.1:9",
        "--login-url=http://127.0.0.1:9",
    ])
    .unwrap();
    let server = common::serve(AppState::from_config(&config).await.unwrap()).await;
    (server.base.clone(), dir, server)
}

#[tokio::test]
async fn the_served_document_is_the_generated_one_and_matches_the_reviewed_copy() {
    let (base, _dir, _stop) = serve().await;
    let served: Value = reqwest::get(format!("{base}/api/openapi.json")).await.unwrap().json().await.unwrap();
    let generated = serde_json::to_value(shenpi_server::openapi()).unwrap();
    assert_eq!(served, generated);
    assert!(served["openapi"].as_str().unwrap().starts_with("3."), "{}", served["openapi"]);

    let pretty = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    if std::env::var_os("SHENPI_UPDATE_OPENAPI").is_some() {
        std::fs::write(reviewed_copy(), &pretty).unwrap();
    }
    let reviewed = std::fs::read_to_string(reviewed_copy()).unwrap_or_default();
    assert!(
        reviewed == pretty,
        "docs/openapi.json is not the API the code serves; after an intended change run \
         `SHENPI_UPDATE_OPENAPI=1 cargo test -p shenpi-server --test openapi` and review the diff"
    );
}

#[tokio::test]
async fn every_documented_operation_is_served_and_errors_use_the_common_body() {
    let (base, _dir, _stop) = serve().await;
    let doc = serde_json::to_value(shenpi_server::openapi()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 5, "{paths:?}");
    let http = reqwest::Client::new();
    for (path, operations) in paths {
        assert!(path.starts_with("/api/"), "{path} is not under /api");
        for (method, operation) in operations.as_object().unwrap() {
            let documented: Vec<&str> =
                operation["responses"].as_object().unwrap().keys().map(String::as_str).collect();
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            // An empty JSON body: enough to reach every handler without calling DingTalk.
            let res = http
                .request(method.clone(), format!("{base}{path}"))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = res.status();
            assert!(
                documented.contains(&status.as_str()),
                "{method} {path} answered {status}, documented: {documented:?}"
            );
            if !status.is_success() {
                let body: api_types::ApiError = res.json().await.unwrap();
                assert!(!body.message.is_empty(), "{method} {path}");
            }
        }
    }
}
