//! Storage behind a narrow trait: no HTTP here, one implementation per database, picked by the URL's scheme.

mod postgres;
mod sqlite;

use std::sync::Arc;

use api_types::User;
pub use postgres::PostgresStore;
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
    #[error("unsupported database URL scheme {0:?}: use sqlite://PATH or postgres://USER:PASSWORD@HOST/DATABASE")]
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

/// The databases a store can live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file: `sqlite://PATH` (or `sqlite:PATH`).
    Sqlite,
    /// A PostgreSQL database: `postgres://…` or `postgresql://…`.
    Postgres,
}

impl Backend {
    /// The backend `url` names by its scheme. The error carries only the scheme, so that a password in the URL never
    /// reaches a log.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(StoreError::UnsupportedUrl(scheme.to_owned())),
        }
    }
}

/// Opens the store named by `url` (its scheme picks the [`Backend`]) and brings its schema up to date.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match Backend::of_url(url)? {
        Backend::Sqlite => Arc::new(SqliteStore::open(url).await?),
        Backend::Postgres => Arc::new(PostgresStore::open(url).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_scheme_picks_the_backend() {
        assert_eq!(Backend::of_url("sqlite://data/shenpi.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("postgres://u:p@localhost/shenpi").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of_url("postgresql://localhost:5433/shenpi").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of_url("PostgreSQL://localhost/shenpi").unwrap(), Backend::Postgres);
    }

    #[test]
    fn another_scheme_is_refused_without_echoing_the_url() {
        let err = Backend::of_url("mysql://root:hunter2@db/shenpi").unwrap_err();
        assert!(matches!(&err, StoreError::UnsupportedUrl(scheme) if scheme == "mysql"), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("\"mysql\"") && text.contains("postgres://"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(matches!(Backend::of_url("data/shenpi.db"), Err(StoreError::UnsupportedUrl(s)) if s.is_empty()));
    }
}
