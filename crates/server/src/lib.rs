//! shenpi's backend as a library: [`app`] builds the router, [`run`] serves it until shutdown. `main.rs` only
//! reads the configuration and calls both.

pub mod actions;
pub mod attachments;
pub mod auth;
pub mod config;
pub mod contacts;
pub mod drafts;
pub mod error;
pub mod events;
pub mod inbox;
pub mod index;
pub mod metrics;
pub mod outbox;
pub mod requests;
pub mod routes;
pub mod store;
pub mod templates;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{any, get, post};
use dingtalk_client::DingTalk;
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

pub use config::Config;
use error::AppError;
pub use events::{EventsHandle, spawn_events};
pub use index::spawn_backfill;
pub use metrics::Metrics;
pub use outbox::{OutboxWorker, spawn_outbox};
use sha2::{Digest, Sha256};
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
    /// Template forms and visibility, cached in front of DingTalk.
    pub templates: Arc<templates::Templates>,
    /// What `/metrics` shows; the DingTalk client reports to it.
    pub metrics: Arc<Metrics>,
    /// The outbox worker's timing and wake-up bell.
    pub outbox: Arc<outbox::Outbox>,
    /// The event intake's settings and the applier's wake-up bell.
    pub events: Arc<events::Intake>,
    /// The organisation's directory for the pickers, cached in front of DingTalk.
    pub contacts: Arc<contacts::Directory>,
    /// Each user's approval space and unionId, for attachments.
    pub attachments: Arc<attachments::Spaces>,
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
    /// SHA-256 of the bearer token `/metrics` requires; open when `None`.
    pub metrics_token_hash: Option<Vec<u8>>,
    /// The inbox backfill's budget.
    pub backfill: index::Backfill,
}

impl AppState {
    /// Opens the store and builds the DingTalk client from the configuration.
    pub async fn from_config(config: &Config) -> anyhow::Result<Self> {
        let store = store::open(config.database_url.expose()).await?;
        let metrics = Arc::new(Metrics::new());
        let dingtalk = DingTalk::builder()
            .observer(metrics.dingtalk_observer())
            .app_key(&config.app_key)
            .app_secret(config.app_secret.expose())
            .oapi_url(&config.oapi_url)
            .api_url(&config.api_url)
            .timeout(Duration::from_millis(config.dingtalk_timeout_ms))
            .build()?;
        let settings = Settings {
            corp_id: config.corp_id.clone(),
            agent_id: config.agent_id.clone(),
            client_id: config.app_key.clone(),
            oauth_authorize_url: format!("{}/oauth2/auth", config.login_url.trim_end_matches('/')),
            dist_dir: config.dist_dir.clone(),
            metrics_token_hash: config
                .metrics_token
                .as_ref()
                .filter(|token| !token.expose().is_empty())
                .map(|token| Sha256::digest(token.expose().as_bytes()).to_vec()),
            backfill: index::Backfill {
                calls_per_min: config.backfill_calls_per_min,
                quiet: Duration::from_secs(config.backfill_quiet_secs.max(1)),
                window: Duration::from_secs(config.backfill_window_days * 86_400),
            },
        };
        let backoff = Duration::from_millis(config.outbox_backoff_ms.max(1));
        let outbox = outbox::Outbox {
            poll: Duration::from_millis(config.outbox_poll_ms.max(1)),
            backoff,
            max_backoff: backoff.saturating_mul(300),
            // Longer than a batch of calls that each time out, so a live worker never loses its rows.
            lease: config.outbox_lease_ms.map_or_else(
                || Duration::from_millis(config.dingtalk_timeout_ms).saturating_mul(40).max(Duration::from_secs(60)),
                |ms| Duration::from_millis(ms.max(1)),
            ),
            grace: Duration::from_millis(config.shutdown_grace_ms),
            wake: tokio::sync::Notify::new(),
        };
        let crypto = match (config.events.http(), &config.callback_token, &config.callback_aes_key) {
            (false, _, _) => None,
            (true, Some(token), Some(aes_key)) => Some(
                dingtalk_client::crypto::CallbackCrypto::new(token.expose(), aes_key.expose(), &config.app_key)
                    .map_err(|e| anyhow::anyhow!("DINGTALK_CALLBACK_TOKEN / DINGTALK_CALLBACK_AES_KEY: {e}"))?,
            ),
            (true, _, _) => anyhow::bail!(
                "SHENPI_EVENTS={:?} needs DINGTALK_CALLBACK_TOKEN and DINGTALK_CALLBACK_AES_KEY",
                config.events
            ),
        };
        let events_backoff = Duration::from_millis(config.events_backoff_ms.max(1));
        let events = events::Intake {
            mode: config.events,
            crypto,
            poll: Duration::from_millis(config.events_poll_ms.max(1)),
            backoff: events_backoff,
            max_attempts: config.events_max_attempts.max(1),
            wake: tokio::sync::Notify::new(),
        };
        Ok(Self {
            store,
            dingtalk,
            settings: Arc::new(settings),
            templates: Arc::default(),
            metrics,
            outbox: Arc::new(outbox),
            events: Arc::new(events),
            contacts: Arc::new(contacts::Directory::new(Duration::from_secs(config.directory_ttl_secs))),
            attachments: Arc::default(),
        })
    }
}

/// The whole HTTP surface: `/api` routes (counted in the metrics), `/metrics`, and the built app for every other path (unknown paths get
/// `index.html`, so the app's router can handle them).
pub fn app(state: AppState) -> Router {
    let spa = static_files(&state.settings.dist_dir);
    let (api, doc) = routes::router().split_for_parts();
    let doc = Arc::new(doc);
    let api = api
        .route("/api/openapi.json", get(move || std::future::ready(axum::Json(doc.as_ref().clone()))))
        // Unknown paths below /api answer 404 with an `ApiError` body instead of the app.
        .route("/api", any(|| async { AppError::NotFound }))
        .route("/api/{*rest}", any(|| async { AppError::NotFound }))
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track_http));
    Router::new()
        .merge(api)
        .route("/metrics", get(metrics::serve))
        // DingTalk's encrypted event callback: outside /api and its OpenAPI document.
        .route("/dingtalk/events", post(events::callback))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
        .fallback_service(spa)
        .layer(TraceLayer::new_for_http())
}

/// The built app: each file in its precompressed form when the browser takes it (`.br`, `.gz`, written by the
/// build), `index.html` for every unknown path (the app's router handles it), and caching that suits each: a file
/// whose name carries Trunk's content hash never changes, so it is cached for a year; `index.html` (which names the
/// current hashes) and unhashed files are revalidated on every open.
fn static_files(dist: &std::path::Path) -> Router {
    let index = ServeFile::new(dist.join("index.html")).precompressed_br().precompressed_gzip();
    let files = ServeDir::new(dist).precompressed_br().precompressed_gzip().fallback(index);
    Router::new().fallback_service(files).layer(middleware::map_response(cache_control_for_app))
}

/// Whether a path names a file with Trunk's content hash (`/shenpi-<16 hex>_bg.wasm`, `/main-<hex>.css`).
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default().trim_end_matches("_bg");
    stem.rsplit_once('-').is_some_and(|(_, hash)| hash.len() >= 12 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

async fn cache_control_for_app(
    uri: axum::http::Uri,
    mut response: axum::response::Response,
) -> axum::response::Response {
    use axum::http::header::{CACHE_CONTROL, HeaderValue};
    let ok = response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED;
    let value = if ok && is_hashed(uri.path()) { "public, max-age=31536000, immutable" } else { "no-cache" };
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(value));
    response
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
