//! What the server's integration tests share: serving an [`AppState`] on a random loopback port, a harness of a
//! real server talking to an in-process emulator, and a database of its own for each test ([`db`]). Each test crate
//! uses a part of it.
#![allow(dead_code)]

pub mod db;
pub mod forms;

use std::path::Path;

use api_types::{ApiError, ErrorCode};
use clap::Parser;
use dingtalk_emulator::Emulator;
use reqwest::StatusCode;
use shenpi_server::{
    AppState, Config, EventsHandle, OutboxWorker, app, run, spawn_backfill, spawn_events, spawn_outbox,
};

/// A server running in the background until [`Running::shutdown`] or until it is dropped.
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    worker: OutboxWorker,
    /// The event intake.
    pub events: EventsHandle,
}

impl Running {
    /// Shuts down as `main` does on SIGTERM: stops accepting, lets requests in flight finish, and stops the outbox
    /// worker within its grace period.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let (served, ()) = tokio::join!(self.server, self.worker.shutdown());
        served.unwrap().unwrap();
        self.events.shutdown().await;
    }
}

/// Serves `state` on a random loopback port, with its outbox worker, inbox backfill and event intake.
pub async fn serve(state: AppState) -> Running {
    let worker = spawn_outbox(state.clone());
    spawn_backfill(state.clone());
    let events = spawn_events(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(run(listener, app(state), async {
        let _ = stopped.await;
    }));
    Running { base, stop, server, worker, events }
}

/// A server over a temporary SQLite file and dist folder, configured for the emulator it runs against.
pub struct Harness {
    pub emu: Emulator,
    pub base: String,
    pub http: reqwest::Client,
    /// The server's state, for calling what no route reaches (event handlers).
    pub state: AppState,
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
    let config = config_for(&emu, &test_db.url, &dist, extra);
    let state = AppState::from_config(&config).await.unwrap();
    let server = serve(state.clone()).await;
    let http = reqwest::Client::new();
    Harness { emu, base: server.base.clone(), http, state, _dir: dir, _server: server, _db: test_db }
}

/// The configuration of a server over the database at `db` talking to `emu`, serving the app from `dist`, with
/// these `--flag=value` arguments instead of the defaults for the same flags.
pub fn config_for(emu: &Emulator, db: &str, dist: &Path, extra: &[String]) -> Config {
    let org = emu.org();
    Config::try_parse_from(
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
    .unwrap()
}

fn write_dist(dist: &Path) {
    std::fs::create_dir_all(dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>shenpi</title>").unwrap();
    std::fs::write(dist.join("shenpi-abc_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dist.join("shenpi-abc.js"), "export default 1;").unwrap();
    std::fs::write(dist.join("style-abc.css"), "body{}").unwrap();
    // A file named with Trunk's content hash, and the precompressed copy the build writes next to it.
    std::fs::write(dist.join("shenpi-0123456789abcdef.js"), "export default 2;").unwrap();
    std::fs::write(dist.join("shenpi-0123456789abcdef.js.br"), b"brotli bytes").unwrap();
}

/// A valid 通用审批 (the seeded `PROC-EMU-GENERAL`) whose subject is `subject`.
pub fn general_request(subject: &str) -> api_types::SubmitRequest {
    use api_types::form::{FieldValue, FormValues};
    api_types::SubmitRequest {
        process_code: "PROC-EMU-GENERAL".into(),
        dept_id: None,
        values: FormValues::new()
            .with("TextField-NPVG29PY", FieldValue::Text(subject.into()))
            .with("TextareaField-3T6NCAZ7", FieldValue::Text("请批准。".into())),
        approvers: None,
        cc: None,
        picks: None,
    }
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

    /// Submits `body` as the holder of `token` under `key` and waits until the outbox has delivered it: its
    /// DingTalk instance id.
    pub async fn delivered(&self, token: &str, key: &str, body: &api_types::SubmitRequest) -> String {
        let r = self.settled(token, key, body).await;
        match r.state {
            api_types::RequestState::Running => r.instance_id.expect("a running request has its instance"),
            other => panic!("the request ended {other:?}: {r:?}"),
        }
    }

    /// Submits `body` as the holder of `token` under `key` and waits until the outbox has sent it or given up.
    pub async fn settled(
        &self,
        token: &str,
        key: &str,
        body: &api_types::SubmitRequest,
    ) -> api_types::SubmittedRequest {
        use api_types::{RequestState, SubmittedRequest};
        let url = format!("{}/api/requests", self.base);
        let res =
            self.http.post(url).bearer_auth(token).header("Idempotency-Key", key).json(body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let queued: SubmittedRequest = res.json().await.unwrap();
        let url = format!("{}/api/requests/{}", self.base, queued.id);
        for _ in 0..300 {
            let r: SubmittedRequest =
                self.http.get(&url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
            if r.state != RequestState::Queued {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the request was not sent");
    }

    /// Logs `user_id` in with a free-login code; the session token.
    pub async fn session_for(&self, user_id: &str) -> String {
        let code = self.emu.control().auth_code(user_id).await.unwrap();
        let res = self.login(&code).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<api_types::Session>().await.unwrap().token
    }
}
