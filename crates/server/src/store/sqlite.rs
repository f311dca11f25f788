//! The SQLite store: one file, WAL journal, created on first start.

use std::str::FromStr;

use api_types::{Draft, SaveDraft, User};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::{DraftSave, SavePlan, Store, StoreError, StoredSession, draft_of_row, saved_draft, values_json};

/// [`Store`] over a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path/to/file.db`) and migrates it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        if let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_session(&self, token_hash: &str, user: &User, now: i64, expires_at: i64) -> Result<(), StoreError> {
        let dept_ids = serde_json::to_string(&user.dept_ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO users (user_id, name, avatar, title, dept_ids, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, avatar = excluded.avatar,
               title = excluded.title, dept_ids = excluded.dept_ids, updated_at = excluded.updated_at",
        )
        .bind(&user.user_id)
        .bind(&user.name)
        .bind(&user.avatar)
        .bind(&user.title)
        .bind(dept_ids)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(&user.user_id)
        .bind(now)
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
             FROM sessions s JOIN users u ON u.user_id = s.user_id WHERE s.token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let dept_ids: String = row.try_get("dept_ids")?;
        let dept_ids = serde_json::from_str(&dept_ids).map_err(|e| StoreError::Corrupt(format!("dept_ids: {e}")))?;
        Ok(Some(StoredSession {
            user: User {
                user_id: row.try_get("user_id")?,
                name: row.try_get("name")?,
                avatar: row.try_get("avatar")?,
                title: row.try_get("title")?,
                dept_ids,
            },
            last_seen_at: row.try_get("last_seen_at")?,
            expires_at: row.try_get("expires_at")?,
        }))
    }

    async fn touch_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?")
            .bind(now)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn drafts(&self, user_id: &str) -> Result<Vec<Draft>, StoreError> {
        let rows = sqlx::query(
            "SELECT draft_id, process_code, form_values AS form_values, updated_at, version FROM drafts
             WHERE user_id = ?1 ORDER BY updated_at DESC, draft_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(draft_of_row).collect()
    }

    async fn draft(&self, user_id: &str, draft_id: &str) -> Result<Option<Draft>, StoreError> {
        let row = sqlx::query(
            "SELECT draft_id, process_code, form_values AS form_values, updated_at, version FROM drafts
             WHERE user_id = ?1 AND draft_id = ?2",
        )
        .bind(user_id)
        .bind(draft_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(draft_of_row).transpose()
    }

    async fn save_draft(
        &self,
        user_id: &str,
        draft_id: &str,
        save: &SaveDraft,
        now: i64,
        max_drafts: usize,
    ) -> Result<DraftSave, StoreError> {
        let values = values_json(&save.values)?;
        let stored: Option<i64> = sqlx::query_scalar("SELECT version FROM drafts WHERE user_id = ?1 AND draft_id = ?2")
            .bind(user_id)
            .bind(draft_id)
            .fetch_optional(&self.pool)
            .await?;
        // Each write below is one statement that checks what the read saw, so a save racing this one cannot be
        // overwritten unseen.
        let version = match SavePlan::of(stored, save.version) {
            SavePlan::Conflict => return Ok(DraftSave::Conflict),
            SavePlan::Update { from } => {
                let updated = sqlx::query(
                    "UPDATE drafts SET process_code = ?1, form_values = ?2, updated_at = ?3, version = ?4
                     WHERE user_id = ?5 AND draft_id = ?6 AND version = ?7",
                )
                .bind(&save.process_code)
                .bind(&values)
                .bind(now)
                .bind(from + 1)
                .bind(user_id)
                .bind(draft_id)
                .bind(from)
                .execute(&self.pool)
                .await?;
                if updated.rows_affected() == 0 {
                    return Ok(DraftSave::Conflict);
                }
                from + 1
            }
            SavePlan::Insert => {
                let max = i64::try_from(max_drafts).unwrap_or(i64::MAX);
                let inserted = sqlx::query(
                    "INSERT INTO drafts (user_id, draft_id, process_code, form_values, updated_at, version)
                     SELECT ?1, ?2, ?3, ?4, ?5, 1
                     WHERE (SELECT COUNT(*) FROM drafts WHERE user_id = ?1) < ?6
                     ON CONFLICT (user_id, draft_id) DO NOTHING",
                )
                .bind(user_id)
                .bind(draft_id)
                .bind(&save.process_code)
                .bind(&values)
                .bind(now)
                .bind(max)
                .execute(&self.pool)
                .await?;
                if inserted.rows_affected() == 0 {
                    // Either the limit, or another save created the draft since the read.
                    return Ok(match self.draft(user_id, draft_id).await? {
                        Some(_) => DraftSave::Conflict,
                        None => DraftSave::TooMany,
                    });
                }
                1
            }
        };
        Ok(saved_draft(draft_id, save, now, version))
    }

    async fn delete_draft(&self, user_id: &str, draft_id: &str) -> Result<bool, StoreError> {
        let deleted = sqlx::query("DELETE FROM drafts WHERE user_id = ?1 AND draft_id = ?2")
            .bind(user_id)
            .bind(draft_id)
            .execute(&self.pool)
            .await?;
        Ok(deleted.rows_affected() > 0)
    }
}
