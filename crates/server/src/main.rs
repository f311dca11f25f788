//! `shenpi-server`: reads the configuration (flags or environment), then serves until Ctrl-C or SIGTERM.

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
    shenpi_server::spawn_outbox(state.clone());
    let events = shenpi_server::spawn_events(state.clone());
    run(listener, app(state), shutdown_signal()).await?;
    events.shutdown().await;
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
