//! The PostgreSQL store: one database whose schema it migrates on open, for deployments that run PostgreSQL.

use std::str::FromStr;

use api_types::{Draft, InboxCounts, RequestState, SaveDraft, User};
use sqlx::Row;

use crate::events::StoredEvent;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::index::IndexSql;
use super::{ActionBegin, ActionFate, NewAction, SELECT_ACTION, StoredAction, action_fate_columns, action_of_row};
use super::{DraftSave, SavePlan, draft_of_row, saved_draft, values_json};
use super::{EVENT_COLUMNS, EventRecord, SeenNonce, event_data_json, event_of_row};
use super::{
    Fate, Inserted, NewRequest, OutboxJob, OutboxStats, SELECT_REQUEST, Store, StoreError, StoredRequest,
    StoredSession, SubmittedColumns, fate_columns, request_of_row,
};
use super::{InboxQuery, InboxRow, IndexedInstance, InstanceFacts, TaskFacts};

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

    async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
    async fn insert_request(&self, r: &NewRequest) -> Result<Inserted, StoreError> {
        let submitted = SubmittedColumns::of(r.submitted.as_ref())?;
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO requests (id, user_id, idempotency_key, body_hash, payload, process_code, state, created_at,
               updated_at, submitted_values, submitted_dept_id, submitted_approvers, submitted_cc, submitted_picks)
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (user_id, idempotency_key) DO NOTHING",
        )
        .bind(&r.id)
        .bind(&r.user_id)
        .bind(&r.idempotency_key)
        .bind(&r.body_hash)
        .bind(&r.payload)
        .bind(&r.process_code)
        .bind(r.created_at)
        .bind(r.created_at)
        .bind(submitted.values)
        .bind(submitted.dept_id)
        .bind(submitted.approvers)
        .bind(submitted.cc)
        .bind(submitted.picks)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            let row = sqlx::query(&format!("{SELECT_REQUEST} WHERE user_id = $1 AND idempotency_key = $2"))
                .bind(&r.user_id)
                .bind(&r.idempotency_key)
                .fetch_one(&mut *tx)
                .await?;
            return Ok(Inserted::Existing(request_of_row(&row)?));
        }
        sqlx::query("INSERT INTO outbox (request_id, due_at) VALUES ($1, $2)")
            .bind(&r.id)
            .bind(r.created_at)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(&format!("{SELECT_REQUEST} WHERE id = $1")).bind(&r.id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(Inserted::Created(request_of_row(&row)?))
    }

    async fn request(&self, id: &str) -> Result<Option<StoredRequest>, StoreError> {
        let row = sqlx::query(&format!("{SELECT_REQUEST} WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(request_of_row).transpose()
    }

    async fn user_requests(
        &self,
        user_id: &str,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<StoredRequest>, StoreError> {
        // No position: after every row (`created_at` is a real Unix ms, far below the largest i64).
        let (created_at, id) = after.unwrap_or((i64::MAX, String::new()));
        let rows = sqlx::query(&format!("{SELECT_REQUEST} WHERE user_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4"))
            .bind(user_id)
            .bind(created_at)
            .bind(id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(request_of_row).collect()
    }

    async fn claim_outbox(&self, now: i64, lease_until: i64, limit: i64) -> Result<Vec<OutboxJob>, StoreError> {
        // SKIP LOCKED lets two processes claim at once without taking the same rows.
        let rows = sqlx::query(
            "UPDATE outbox SET locked_until = $1,
               unknown_outcome = CASE WHEN locked_until IS NULL THEN unknown_outcome ELSE TRUE END
             WHERE request_id IN (
               SELECT request_id FROM outbox WHERE due_at <= $2 AND (locked_until IS NULL OR locked_until <= $3)
               ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED)
             RETURNING request_id, attempts, unknown_outcome",
        )
        .bind(lease_until)
        .bind(now)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            let request_id: String = row.try_get("request_id")?;
            let r = sqlx::query("SELECT user_id, process_code, payload, created_at FROM requests WHERE id = $1")
                .bind(&request_id)
                .fetch_one(&self.pool)
                .await?;
            jobs.push(OutboxJob {
                request_id,
                user_id: r.try_get("user_id")?,
                process_code: r.try_get("process_code")?,
                payload: r.try_get("payload")?,
                created_at: r.try_get("created_at")?,
                attempts: row.try_get("attempts")?,
                unknown_outcome: row.try_get("unknown_outcome")?,
            });
        }
        Ok(jobs)
    }

    async fn retry_outbox(
        &self,
        request_id: &str,
        due_at: i64,
        attempts: i64,
        unknown_outcome: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET due_at = $1, attempts = $2, unknown_outcome = $3, locked_until = NULL WHERE request_id = $4",
        )
        .bind(due_at)
        .bind(attempts)
        .bind(unknown_outcome)
        .bind(request_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn finish_outbox(&self, request_id: &str, fate: &Fate, now: i64) -> Result<(), StoreError> {
        let (state, instance_id, code, message) = fate_columns(fate);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE requests SET state = $1, instance_id = $2, failure_code = $3, failure_message = $4, updated_at = $5
             WHERE id = $6",
        )
        .bind(state)
        .bind(instance_id)
        .bind(code)
        .bind(message)
        .bind(now)
        .bind(request_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM outbox WHERE request_id = $1").bind(request_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn instance_taken(&self, instance_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM requests WHERE instance_id = $1")
            .bind(instance_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn outbox_stats(&self) -> Result<OutboxStats, StoreError> {
        let sql = "SELECT COUNT(*) AS rows_, MIN(r.created_at) AS oldest FROM outbox o JOIN requests r ON r.id = o.request_id";
        let row = sqlx::query(sql).fetch_one(&self.pool).await?;
        let rows: i64 = row.try_get("rows_")?;
        Ok(OutboxStats { rows: u64::try_from(rows).unwrap_or(0), oldest_created_at: row.try_get("oldest")? })
    }

    async fn drafts(&self, user_id: &str) -> Result<Vec<Draft>, StoreError> {
        let rows = sqlx::query(
            "SELECT draft_id, process_code, form_values::text AS form_values, updated_at, version FROM drafts
             WHERE user_id = $1 ORDER BY updated_at DESC, draft_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(draft_of_row).collect()
    }

    async fn draft(&self, user_id: &str, draft_id: &str) -> Result<Option<Draft>, StoreError> {
        let row = sqlx::query(
            "SELECT draft_id, process_code, form_values::text AS form_values, updated_at, version FROM drafts
             WHERE user_id = $1 AND draft_id = $2",
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
        let stored: Option<i64> = sqlx::query_scalar("SELECT version FROM drafts WHERE user_id = $1 AND draft_id = $2")
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
                    "UPDATE drafts SET process_code = $1, form_values = $2::jsonb, updated_at = $3, version = $4
                     WHERE user_id = $5 AND draft_id = $6 AND version = $7",
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
                     SELECT $1, $2, $3, $4::jsonb, $5, 1
                     WHERE (SELECT COUNT(*) FROM drafts WHERE user_id = $1) < $6
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
        let deleted = sqlx::query("DELETE FROM drafts WHERE user_id = $1 AND draft_id = $2")
            .bind(user_id)
            .bind(draft_id)
            .execute(&self.pool)
            .await?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn instance_template(&self, instance_id: &str) -> Result<Option<String>, StoreError> {
        let code = sqlx::query_scalar("SELECT process_code FROM requests WHERE instance_id = $1")
            .bind(instance_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(code)
    }

    async fn user_name(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        let name = sqlx::query_scalar("SELECT name FROM users WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(name)
    }

    async fn action(&self, user_id: &str, key: &str) -> Result<Option<StoredAction>, StoreError> {
        let row = sqlx::query(&format!("{SELECT_ACTION} WHERE user_id = $1 AND idempotency_key = $2"))
            .bind(user_id)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(action_of_row).transpose()
    }

    async fn task_action(&self, task_id: i64) -> Result<Option<StoredAction>, StoreError> {
        let row = sqlx::query(&format!("{SELECT_ACTION} WHERE task_claim = $1"))
            .bind(task_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(action_of_row).transpose()
    }

    async fn begin_action(&self, a: &NewAction) -> Result<ActionBegin, StoreError> {
        // A competing row can vanish between the insert and the read (its action was refused or dropped); then
        // the insert is tried again.
        for _ in 0..3 {
            let inserted = sqlx::query(
                "INSERT INTO actions (user_id, idempotency_key, body_hash, instance_id, task_claim, body, state,
                   locked_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&a.user_id)
            .bind(&a.idempotency_key)
            .bind(&a.body_hash)
            .bind(&a.instance_id)
            .bind(a.task_id)
            .bind(&a.body)
            .bind(a.locked_until)
            .bind(a.created_at)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if inserted > 0 {
                return Ok(ActionBegin::Started);
            }
            if let Some(same) = self.action(&a.user_id, &a.idempotency_key).await? {
                return Ok(ActionBegin::SameKey(same));
            }
            if let Some(task) = a.task_id
                && let Some(holder) = self.task_action(task).await?
            {
                return Ok(ActionBegin::TaskTaken(holder));
            }
        }
        Err(StoreError::Corrupt("an action row kept conflicting without being readable".into()))
    }

    async fn lease_action(&self, user_id: &str, key: &str, now: i64, lease_until: i64) -> Result<bool, StoreError> {
        let leased = sqlx::query(
            "UPDATE actions SET locked_until = $1
             WHERE user_id = $2 AND idempotency_key = $3 AND state = 'pending' AND locked_until <= $4",
        )
        .bind(lease_until)
        .bind(user_id)
        .bind(key)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(leased.rows_affected() > 0)
    }

    async fn retry_action(&self, user_id: &str, key: &str, unknown_outcome: bool) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE actions SET locked_until = 0, unknown_outcome = $1
             WHERE user_id = $2 AND idempotency_key = $3 AND state = 'pending'",
        )
        .bind(i64::from(unknown_outcome))
        .bind(user_id)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn drop_action(&self, user_id: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM actions WHERE user_id = $1 AND idempotency_key = $2 AND state = 'pending'")
            .bind(user_id)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn finish_action(&self, user_id: &str, key: &str, fate: &ActionFate) -> Result<(), StoreError> {
        let (state, done_at, code, message) = action_fate_columns(fate);
        sqlx::query(
            "UPDATE actions SET state = $1, done_at = $2, failure_code = $3, failure_message = $4,
               task_claim = CASE WHEN $1 = 'done' THEN task_claim END
             WHERE user_id = $5 AND idempotency_key = $6 AND state = 'pending'",
        )
        .bind(state)
        .bind(done_at)
        .bind(code)
        .bind(message)
        .bind(user_id)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn index_merge_instance(&self, facts: &InstanceFacts, now: i64) -> Result<IndexedInstance, StoreError> {
        IndexSql(&self.pool).upsert_instance(facts, now).await
    }

    async fn index_merge_task(&self, facts: &TaskFacts) -> Result<(), StoreError> {
        IndexSql(&self.pool).upsert_task(facts).await
    }

    async fn index_add_cc(&self, instance_id: &str, user_ids: &[String]) -> Result<(), StoreError> {
        IndexSql(&self.pool).add_cc(instance_id, user_ids).await
    }

    async fn index_instance(&self, instance_id: &str) -> Result<Option<IndexedInstance>, StoreError> {
        IndexSql(&self.pool).instance(instance_id).await
    }

    async fn index_needing_refresh(&self, touched_before: i64, limit: i64) -> Result<Vec<IndexedInstance>, StoreError> {
        IndexSql(&self.pool).needing_refresh(touched_before, limit).await
    }

    async fn index_process_codes(&self) -> Result<Vec<String>, StoreError> {
        IndexSql(&self.pool).process_codes().await
    }

    async fn settle_request(&self, instance_id: &str, state: RequestState, now: i64) -> Result<bool, StoreError> {
        IndexSql(&self.pool).settle_request(instance_id, state, now).await
    }

    async fn inbox_page(&self, user_id: &str, query: &InboxQuery) -> Result<Vec<InboxRow>, StoreError> {
        IndexSql(&self.pool).page(user_id, query).await
    }

    async fn inbox_counts(&self, user_id: &str) -> Result<InboxCounts, StoreError> {
        IndexSql(&self.pool).counts(user_id).await
    }

    async fn append_event(&self, event: &StoredEvent, received_at: i64) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO events (event_id, event_type, channel, corp_id, born_at, received_at, data)
             VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(&event.event_id)
        .bind(&event.event_type)
        .bind(event.channel.as_str())
        .bind(&event.corp_id)
        .bind(event.born_at)
        .bind(received_at)
        .bind(event_data_json(event)?)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    async fn due_events(&self, now: i64, limit: i64) -> Result<Vec<EventRecord>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE applied_at IS NULL AND NOT parked AND retry_at <= $1
             ORDER BY born_at, event_id LIMIT $2"
        );
        let rows = sqlx::query(&sql).bind(now).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(event_of_row).collect()
    }

    async fn mark_event_applied(&self, event_id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE events SET applied_at = $1 WHERE event_id = $2 AND applied_at IS NULL")
            .bind(now)
            .bind(event_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn mark_event_failed(&self, event_id: &str, error: &str, retry_at: Option<i64>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE events SET attempts = attempts + 1, last_error = $1, retry_at = COALESCE($2, retry_at),
               parked = $3 WHERE event_id = $4 AND applied_at IS NULL",
        )
        .bind(error)
        .bind(retry_at)
        .bind(retry_at.is_none())
        .bind(event_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn events(&self) -> Result<Vec<EventRecord>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY born_at, event_id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(event_of_row).collect()
    }

    async fn count_unapplied_events(&self) -> Result<u64, StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE applied_at IS NULL").fetch_one(&self.pool).await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn remember_nonce(
        &self,
        nonce: &str,
        signature: &str,
        event_id: &str,
        now: i64,
        forget_before: i64,
    ) -> Result<Option<SeenNonce>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM callback_nonces WHERE seen_at < $1").bind(forget_before).execute(&mut *tx).await?;
        let inserted = sqlx::query(
            "INSERT INTO callback_nonces (nonce, signature, event_id, seen_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(signature)
        .bind(event_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let seen = match inserted {
            1 => None,
            _ => {
                let row = sqlx::query("SELECT signature, event_id FROM callback_nonces WHERE nonce = $1")
                    .bind(nonce)
                    .fetch_one(&mut *tx)
                    .await?;
                Some(SeenNonce { signature: row.try_get("signature")?, event_id: row.try_get("event_id")? })
            }
        };
        tx.commit().await?;
        Ok(seen)
    }
}
