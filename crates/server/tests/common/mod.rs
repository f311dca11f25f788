//! What the server's integration tests share: serving an [`AppState`] on a random loopback port, a harness of a
//! real server talking to an in-process emulator, and a database of its own for each test ([`db`]). Each test crate
//! uses a part of it.
#![allow(dead_code)]

pub mod db;

use std::path::Path;

use api_types::{ApiError, ErrorCode};
use clap::Parser;
use dingtalk_emulator::Emulator;
use reqwest::StatusCode;
use shenpi_server::{AppState, Config, EventsHandle, app, run, spawn_events, spawn_outbox};

/// A server running in the background until the returned sender is dropped.
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    /// The event intake; dropping it stops it.
    pub events: EventsHandle,
}

/// Serves `state` on a random loopback port, with its outbox worker and event intake.
pub async fn serve(state: AppState) -> Running {
    spawn_outbox(state.clone());
    let events = spawn_events(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(run(listener, app(state), async {
        let _ = rx.await;
    }));
    Running { base, _stop: tx, events }
}

/// A server over a temporary SQLite file and dist folder, configured for the emulator it runs against.
pub struct Harness {
    pub emu: Emulator,
    pub base: String,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    _server: Running,
    _db: db::TestDb,
}

/// A harness with the default configuration.
pub async fn start() -> Harness {
    start_with(&[]).await
}

/// A harness whose server gets these `--flag=value` arguments instead of the defaults for the same flags.
pub async fn start_with(extra: &[String]) -> Harness {
    start_on(db::TestDb::sqlite(), extra).await
}

/// [`start_with`] over the database `test_db` (SQLite, or PostgreSQL when the tests have a server).
pub async fn start_on(test_db: db::TestDb, extra: &[String]) -> Harness {
    let emu = Emulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    write_dist(&dist);
    let db = test_db.url.clone();
    let org = emu.org();
    let config = Config::try_parse_from(
        [
            "shenpi-server".to_owned(),
            format!("--database-url={db}"),
            format!("--dist-dir={}", dist.display()),
            format!("--corp-id={}", org.corp.corp_id),
            format!("--agent-id={}", org.app.agent_id),
            format!("--app-key={}", org.app.app_key),
            format!("--app-secret={}", org.app.app_secret),
            format!("--oapi-url={}", emu.uri()),
            format!("--api-url={}", emu.uri()),
            format!("--login-url={}", emu.uri()),
        ]
        .into_iter()
        .filter(|default| !extra.iter().any(|e| e.split('=').next() == default.split('=').next()))
        .chain(extra.iter().cloned()),
    )
    .unwrap();
    let server = serve(AppState::from_config(&config).await.unwrap()).await;
    let http = reqwest::Client::new();
    Harness { emu, base: server.base.clone(), http, _dir: dir, _server: server, _db: test_db }
}

fn write_dist(dist: &Path) {
    std::fs::create_dir_all(dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>shenpi</title>").unwrap();
    std::fs::write(dist.join("shenpi-abc_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dist.join("shenpi-abc.js"), "export default 1;").unwrap();
    std::fs::write(dist.join("style-abc.css"), "body{}").unwrap();
}

/// Checks that `res` is the common error body with `code`, under `status`.
pub async fn assert_api_error(res: reqwest::Response, status: StatusCode, code: ErrorCode) {
    assert_eq!(res.status(), status, "{}", res.url());
    assert_eq!(res.json::<ApiError>().await.unwrap().code, code);
}

impl Harness {
    /// The URL of the server's database.
    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    /// The server's store, opened again on its database (to read what the server wrote).
    pub async fn store(&self) -> std::sync::Arc<dyn shenpi_server::store::Store> {
        self._db.open().await
    }

    pub async fn login(&self, code: &str) -> reqwest::Response {
        self.post("/api/session", code).await
    }

    pub async fn web_login(&self, code: &str) -> reqwest::Response {
        self.post("/api/session/oauth", code).await
    }

    pub async fn post(&self, path: &str, code: &str) -> reqwest::Response {
        let body = serde_json::json!({ "authCode": code });
        self.http.post(format!("{}{path}", self.base)).json(&body).send().await.unwrap()
    }

    pub async fn oauth_code(&self, user_id: &str) -> String {
        let app_key = &self.emu.org().app.app_key;
        self.emu.control().web_login(user_id, app_key, &format!("{}/", self.base), "st").await.unwrap()
    }

    /// Logs `user_id` in with a free-login code; the session token.
    pub async fn session_for(&self, user_id: &str) -> String {
        let code = self.emu.control().auth_code(user_id).await.unwrap();
        let res = self.login(&code).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<api_types::Session>().await.unwrap().token
    }
}
