//! `dingtalk-emulator`: serves the emulator until Ctrl-C; `cargo xtask demo` and the Playwright suite start it.

use std::net::SocketAddr;

use clap::Parser;
use dingtalk_emulator::{Clock, Org, router};
use tracing_subscriber::EnvFilter;

/// A faithful fake DingTalk open platform on localhost.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, env = "EMULATOR_LISTEN", default_value = "127.0.0.1:3100")]
    listen: SocketAddr,
    /// An organisation fixture (JSON) to load instead of the built-in seed.
    #[arg(long, env = "EMULATOR_ORG")]
    org: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let args = Args::parse();
    let org = match &args.org {
        Some(path) => Org::from_json(&std::fs::read_to_string(path)?)?,
        None => Org::seed(),
    };
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    // xtask and the e2e suite read this line to learn the port.
    println!("dingtalk-emulator listening on http://{addr}");
    println!("  corpId {}  appKey {}  agentId {}", org.corp.corp_id, org.app.app_key, org.app.agent_id);
    axum::serve(listener, router(org, Clock::default()))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
