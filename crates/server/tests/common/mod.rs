//! What the server's integration tests share: serving an [`AppState`] on a random loopback port, and a database
//! of its own for each test ([`db`]).

// Each test file uses its own part of this module.
#![allow(dead_code)]

pub mod db;

use shenpi_server::{AppState, app, run, spawn_outbox};

/// A server running in the background until the returned sender is dropped.
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Serves `state` on a random loopback port, with its outbox worker.
pub async fn serve(state: AppState) -> Running {
    spawn_outbox(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(run(listener, app(state), async {
        let _ = rx.await;
    }));
    Running { base, _stop: tx }
}
