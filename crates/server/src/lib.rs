//! shenpi's backend as a library: [`app`] builds the router, [`run`] serves it until shutdown. `main.rs` only
//! reads the configuration and calls both.

pub mod auth;
pub mod config;
pub mod drafts;
pub mod error;
pub mod routes;
pub mod store;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get};
use dingtalk_client::DingTalk;
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

pub use config::Config;
use error::AppError;
use store::Store;

/// Largest request body the API accepts.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// The DingTalk client, sharing one token cache.
    pub dingtalk: DingTalk,
    /// Settings the handlers read.
    pub settings: Arc<Settings>,
}

/// The parts of [`Config`] handlers need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The organisation's corpId.
    pub corp_id: String,
    /// The micro-app's agentId.
    pub agent_id: String,
    /// The OAuth clientId (the AppKey).
    pub client_id: String,
    /// DingTalk's OAuth authorize page, `<login host>/oauth2/auth`.
    pub oauth_authorize_url: String,
    /// Folder of the built app.
    pub dist_dir: PathBuf,
}

impl AppState {
    /// Opens the store and builds the DingTalk client from the configuration.
    pub async fn from_config(config: &Config) -> anyhow::Result<Self> {
        let store = store::open(config.database_url.expose()).await?;
        let dingtalk = DingTalk::builder()
            .app_key(&config.app_key)
            .app_secret(config.app_secret.expose())
            .oapi_url(&config.oapi_url)
            .api_url(&config.api_url)
            .build()?;
        let settings = Settings {
            corp_id: config.corp_id.clone(),
            agent_id: config.agent_id.clone(),
            client_id: config.app_key.clone(),
            oauth_authorize_url: format!("{}/oauth2/auth", config.login_url.trim_end_matches('/')),
            dist_dir: config.dist_dir.clone(),
        };
        Ok(Self { store, dingtalk, settings: Arc::new(settings) })
    }
}

/// The whole HTTP surface: `/api` routes, and the built app for every other path (unknown paths get
/// `index.html`, so the app's router can handle them).
pub fn app(state: AppState) -> Router {
    let dist = &state.settings.dist_dir;
    let spa = ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html")));
    let (api, doc) = routes::router().split_for_parts();
    let doc = Arc::new(doc);
    let api = api
        .route("/api/openapi.json", get(move || std::future::ready(axum::Json(doc.as_ref().clone()))))
        // Unknown paths below /api answer 404 with an `ApiError` body instead of the app.
        .route("/api", any(|| async { AppError::NotFound }))
        .route("/api/{*rest}", any(|| async { AppError::NotFound }))
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed });
    Router::new()
        .merge(api)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
        .fallback_service(spa)
        .layer(TraceLayer::new_for_http())
}

/// The OpenAPI document of `/api`, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::router().split_for_parts().1
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
