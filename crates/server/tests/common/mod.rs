//! What the server's integration tests share: serving an [`AppState`] on a random loopback port.

use std::path::Path;

use clap::Parser;
use dingtalk_emulator::Emulator;
use shenpi_server::{AppState, Config, app, run};

/// A server running in the background until the returned sender is dropped.
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Serves `state` on a random loopback port.
pub async fn serve(state: AppState) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(run(listener, app(state), async {
        let _ = rx.await;
    }));
    Running { base, _stop: tx }
}

/// A configuration for a server over a SQLite file in `dir`, serving `dist`, talking to `emu`; `extra`
/// `--flag=value` arguments replace the defaults for the same flags. Not every test binary uses it.
#[allow(dead_code)]
pub fn config(emu: &Emulator, dir: &Path, dist: &Path, extra: &[String]) -> Config {
    let db = format!("sqlite://{}", dir.join("db/shenpi.db").display());
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
