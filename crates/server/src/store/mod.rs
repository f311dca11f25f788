//! Storage behind a narrow trait: no HTTP here, one implementation per database, picked by the URL's scheme.

mod sqlite;

use std::sync::Arc;

use api_types::User;
pub use sqlite::SqliteStore;

/// A storage failure; its details go to the log, never to a client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The URL names a database this build does not support.
    #[error("unsupported database URL {0:?}: use sqlite://PATH")]
    UnsupportedUrl(String),
}

/// A session as stored: the user and its clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// Who it belongs to.
    pub user: User,
    /// When it was last used, Unix seconds.
    pub last_seen_at: i64,
    /// When it ends regardless of use, Unix seconds.
    pub expires_at: i64,
}

/// What shenpi keeps.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers when the database does.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Records (or refreshes) the user and creates a session for them, in one transaction.
    async fn create_session(&self, token_hash: &str, user: &User, now: i64, expires_at: i64) -> Result<(), StoreError>;
    /// The session for a token hash, if any.
    async fn session(&self, token_hash: &str) -> Result<Option<StoredSession>, StoreError>;
    /// Marks the session used at `now`.
    async fn touch_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError>;
    /// Deletes a session (logout, expiry).
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// How many sessions are still usable at `now`: not past `expires_at`, and used since `seen_since`.
    async fn count_active_sessions(&self, now: i64, seen_since: i64) -> Result<u64, StoreError>;
}

/// Opens the store named by `url` and brings its schema up to date.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}
