//! A faithful fake of DingTalk's open platform on localhost: both API hosts and the web login page on one port, a
//! seeded organisation, simulated containers for browsers, and a control API under `/_emulator/`.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let emu = dingtalk_emulator::Emulator::start().await?;
//! let code = emu.control().auth_code("zhangsan").await?;
//! println!("{} gave {code}", emu.uri());
//! # Ok(()) }
//! ```

pub mod api;
pub mod app_proxy;
pub mod clock;
pub mod container;
pub mod control;
pub mod engine;
pub mod events;
pub mod forms;
pub mod limits;
pub mod oapi;
pub mod oauth;
pub mod org;
pub mod push;
pub mod state;
pub mod storage;
pub mod stream;
pub mod templates;
pub mod workbench;
pub mod workflow;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_http::trace::TraceLayer;

pub use clock::Clock;
pub use control::Control;
pub use org::Org;
use state::Shared;

/// The whole emulator as an axum router, for embedding or serving, with the app proxy pointed at
/// [`app_proxy::DEFAULT_APP_URL`]. Starts the event delivery workers, so it must be called inside a Tokio runtime.
pub fn router(org: Org, clock: Clock) -> Router {
    // The default is a constant, checked by a unit test, so failing here is a build defect.
    let app_url = url::Url::parse(app_proxy::DEFAULT_APP_URL).expect("DEFAULT_APP_URL is a URL");
    router_for_app(org, clock, app_url)
}

/// [`router`], with the app proxy (`*.app.localhost`, the workbench's frames) pointed at `app_url`.
pub fn router_for_app(org: Org, clock: Clock, app_url: url::Url) -> Router {
    let shared = Arc::new(Shared::new(org, clock));
    push::spawn(shared.clone());
    stream::spawn(shared.clone());
    // DingTalk's two hosts: what an app calls, behind the rate limits and fault rules (the layer comes last so it
    // covers every route merged above it).
    let dingtalk = Router::new()
        .merge(oapi::router())
        .merge(api::router())
        .merge(workflow::router())
        .merge(storage::router())
        .merge(stream::router())
        .layer(axum::middleware::from_fn_with_state(shared.clone(), limits::enforce));
    // The emulator's own pages and control routes, and the Stream WebSocket (not an API call).
    let emulator = Router::new()
        .merge(stream::socket_router())
        .merge(oauth::router())
        .merge(control::router())
        .merge(container::router())
        .merge(workbench::router())
        .merge(events::control_routes())
        // Open to other origins: a container script on the app's origin uploads attachments here.
        .merge(workflow::control_routes().layer(tower_http::cors::CorsLayer::permissive()))
        .merge(storage::bucket_routes())
        .merge(limits::control_routes())
        .merge(push::control_routes())
        .merge(stream::control_routes());
    let all = Router::new().merge(dingtalk).merge(emulator).with_state(shared.clone());
    app_proxy::wrap(all, shared, app_url).layer(TraceLayer::new_for_http())
}

/// A running emulator; it stops when dropped.
pub struct Emulator {
    addr: SocketAddr,
    org: Org,
    clock: Clock,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Emulator {
    /// Starts the seeded emulator on a random loopback port.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(Org::seed(), "127.0.0.1:0".parse()?).await
    }

    /// Starts an emulator over `org` on `addr`.
    pub async fn start_with(org: Org, addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let clock = Clock::default();
        let app = router(org.clone(), clock.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let stop = async {
                let _ = rx.await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
                tracing::error!("emulator stopped: {e}");
            }
        });
        Ok(Self { addr, org, clock, shutdown: Some(tx) })
    }

    /// Base URL of both hosts, e.g. `http://127.0.0.1:41234`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The seeded organisation, including the app's credentials.
    pub fn org(&self) -> &Org {
        &self.org
    }

    /// The emulator's clock, shared with the running server.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The app's access token, fetched as an app fetches it (`POST /v1.0/oauth2/accessToken`). One token per app
    /// serves both hosts, so it also goes in a legacy `?access_token=`.
    pub async fn app_token(&self) -> anyhow::Result<String> {
        let body: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/v1.0/oauth2/accessToken", self.uri()))
            .json(&serde_json::json!({ "appKey": self.org.app.app_key, "appSecret": self.org.app.app_secret }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        body["accessToken"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no accessToken in {body}"))
    }

    /// A client for the control routes.
    pub fn control(&self) -> Control {
        Control::new(self.uri())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
