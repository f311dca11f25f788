//! The PostgreSQL store: one database whose schema it migrates on open, for deployments that run PostgreSQL.

use std::str::FromStr;

use api_types::User;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::{Store, StoreError, StoredSession};

/// [`Store`] over a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the existing database at `url` (`postgres://user:password@host:port/database`) and migrates it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?.application_name("shenpi-server");
        let pool = PgPoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_session(&self, token_hash: &str, user: &User, now: i64, expires_at: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO users (user_id, name, avatar, title, dept_ids, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, avatar = excluded.avatar,
               title = excluded.title, dept_ids = excluded.dept_ids, updated_at = excluded.updated_at",
        )
        .bind(&user.user_id)
        .bind(&user.name)
        .bind(&user.avatar)
        .bind(&user.title)
        .bind(&user.dept_ids)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(token_hash)
        .bind(&user.user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<StoredSession>, StoreError> {
        let row = sqlx::query(
            "SELECT u.user_id, u.name, u.avatar, u.title, u.dept_ids, s.last_seen_at, s.expires_at
             FROM sessions s JOIN users u ON u.user_id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(StoredSession {
            user: User {
                user_id: row.try_get("user_id")?,
                name: row.try_get("name")?,
                avatar: row.try_get("avatar")?,
                title: row.try_get("title")?,
                dept_ids: row.try_get("dept_ids")?,
            },
            last_seen_at: row.try_get("last_seen_at")?,
            expires_at: row.try_get("expires_at")?,
        }))
    }

    async fn touch_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn count_active_sessions(&self, now: i64, seen_since: i64) -> Result<u64, StoreError> {
        let sql = "SELECT COUNT(*) FROM sessions WHERE expires_at > $1 AND last_seen_at > $2";
        let count: i64 = sqlx::query_scalar(sql).bind(now).bind(seen_since).fetch_one(&self.pool).await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
