//! `dingtalk-emulator`: serves the emulator until Ctrl-C; `cargo xtask demo` and the Playwright suite start it.

use std::net::SocketAddr;

use clap::Parser;
use dingtalk_emulator::{Clock, Org, router_for_app};
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
    /// The app the workbench shows in simulated containers (shenpi's server), proxied on `*.app.localhost`.
    #[arg(long, env = "EMULATOR_APP_URL", default_value = dingtalk_emulator::app_proxy::DEFAULT_APP_URL)]
    app_url: url::Url,
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
    println!("  workbench http://{addr}/_emulator/workbench  (app {})", args.app_url);
    axum::serve(listener, router_for_app(org, Clock::default(), args.app_url))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
