//! `shenpi-server`: reads the configuration (flags or environment), then serves until Ctrl-C or SIGTERM. Shutdown
//! is graceful: the listener stops accepting and requests in flight finish, while the outbox worker claims nothing
//! more and gives its deliveries in flight the grace period (`SHENPI_SHUTDOWN_GRACE_MS`).

use clap::Parser;
use shenpi_server::{AppState, Config, app, run};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    // A .env file is optional; real environment variables win over it.
    let _ = dotenvy::dotenv();
    let config = Config::parse();
    let state = AppState::from_config(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    // xtask and the e2e suite read this line to learn the address.
    println!("shenpi-server listening on http://{}", listener.local_addr()?);
    let grace = std::time::Duration::from_millis(config.shutdown_grace_ms);
    let worker = shenpi_server::spawn_outbox(state.clone());
    let backfill = shenpi_server::spawn_backfill(state.clone());
    let events = shenpi_server::spawn_events(state.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(run(listener, app(state), async {
        let _ = stopped.await;
    }));
    shutdown_signal().await;
    let _ = stop.send(());
    let (served, ()) = tokio::join!(
        // Requests in flight get the same grace as deliveries; a slower one is dropped with the process.
        tokio::time::timeout(grace, server),
        worker.shutdown(),
    );
    match served {
        Ok(joined) => joined??,
        Err(_) => tracing::warn!("requests still in flight after the grace period"),
    }
    events.shutdown().await;
    backfill.abort();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
