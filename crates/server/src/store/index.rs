//! The per-user index's storage (`index_instances`, `index_tasks`, `index_cc`, migration 0005): one SQL text for
//! both databases, run through sqlx generically, so that SQLite and PostgreSQL cannot drift apart.
//!
//! Every write merges forward only: an ended instance or task keeps its end whatever arrives later, and a known
//! title, template, originator or time is never replaced by an empty one. That makes applying the same facts twice,
//! or in another order, leave the same rows.

use api_types::{InboxBox, InboxCounts, InboxItem, InboxPerson, RequestState};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};

use super::{StoreError, parse_failure, parse_state, state_text};

/// An instance's status in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexStatus {
    /// Waiting for approvers.
    Running,
    /// Ended with a result.
    Completed,
    /// Revoked (or otherwise ended without a result).
    Terminated,
}

impl IndexStatus {
    fn as_str(self) -> &'static str {
        match self {
            IndexStatus::Running => "running",
            IndexStatus::Completed => "completed",
            IndexStatus::Terminated => "terminated",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "running" => Ok(IndexStatus::Running),
            "completed" => Ok(IndexStatus::Completed),
            "terminated" => Ok(IndexStatus::Terminated),
            other => Err(StoreError::Corrupt(format!("index status {other:?}"))),
        }
    }
}

/// How a completed instance ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexResult {
    /// Approved.
    Agree,
    /// Refused.
    Refuse,
}

impl IndexResult {
    fn as_str(self) -> &'static str {
        match self {
            IndexResult::Agree => "agree",
            IndexResult::Refuse => "refuse",
        }
    }
}

/// A task's state in the index; `Running` is the only one that may still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Waiting for its approver.
    Running,
    /// The approver acted.
    Completed,
    /// Taken away (another approver of an OR step acted, or the instance ended).
    Canceled,
}

impl TaskState {
    fn as_str(self) -> &'static str {
        match self {
            TaskState::Running => "running",
            TaskState::Completed => "completed",
            TaskState::Canceled => "canceled",
        }
    }
}

/// What the approver of a completed task decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskOutcome {
    /// Agreed.
    Agree,
    /// Refused.
    Refuse,
    /// Transferred it to someone else.
    Redirect,
}

impl TaskOutcome {
    fn as_str(self) -> &'static str {
        match self {
            TaskOutcome::Agree => "agree",
            TaskOutcome::Refuse => "refuse",
            TaskOutcome::Redirect => "redirect",
        }
    }
}

/// Where facts come from, which decides whose times win: DingTalk's events carry milliseconds, our outbox its own
/// clock, get-instance only minutes. A time from a more exact source replaces one from a less exact source; between
/// equally exact ones the later time wins, so the order facts arrive in never matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FactSource {
    /// A get-instance read (times to the minute).
    Read,
    /// Our outbox, when DingTalk created one of our requests.
    Ours,
    /// A DingTalk event (times to the millisecond).
    Event,
}

impl FactSource {
    fn rank(self) -> i64 {
        match self {
            FactSource::Read => 1,
            FactSource::Ours => 2,
            FactSource::Event => 3,
        }
    }
}

/// What one source (an event, a get-instance, our outbox) knows about an instance: [`super::Store::index_merge_instance`].
/// Empty strings and zero times mean "not known here".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFacts {
    /// DingTalk's instance id.
    pub instance_id: String,
    /// The template.
    pub process_code: String,
    /// The title.
    pub title: String,
    /// The originator's userid.
    pub originator_id: String,
    /// Where it stands by this source.
    pub status: IndexStatus,
    /// How it ended, when completed.
    pub result: Option<IndexResult>,
    /// When it was created, Unix ms.
    pub created_at: i64,
    /// When it ended, Unix ms.
    pub finished_at: Option<i64>,
    /// Lower-cased title and form values, for keyword search (from a get-instance only).
    pub search_text: String,
    /// Where they come from; for [`FactSource::Read`] the refresh time is recorded.
    pub source: FactSource,
}

/// What one source knows about a task: [`super::Store::index_merge_task`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFacts {
    /// The instance.
    pub instance_id: String,
    /// DingTalk's task id.
    pub task_id: i64,
    /// The approver.
    pub user_id: String,
    /// Where it stands.
    pub state: TaskState,
    /// The decision, when completed.
    pub result: Option<TaskOutcome>,
    /// Created, Unix ms.
    pub created_at: Option<i64>,
    /// Acted on or cancelled, Unix ms.
    pub finished_at: Option<i64>,
    /// Where they come from.
    pub source: FactSource,
}

/// An instance as the index holds it, with the bookkeeping the refresh and backfill decide by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedInstance {
    /// DingTalk's instance id.
    pub instance_id: String,
    /// The template; empty until known.
    pub process_code: String,
    /// The originator; empty until known.
    pub originator_id: String,
    /// Where it stands.
    pub status: IndexStatus,
    /// The request state it means for our own request (running, approved, refused, revoked).
    pub state: RequestState,
    /// When a get-instance last read it, Unix ms.
    pub refreshed_at: Option<i64>,
    /// Whether a get-instance saw it ended (no further refresh is needed).
    pub refreshed_final: bool,
}

/// A page request for one box: [`super::Store::inbox_page`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxQuery {
    /// Which box.
    pub inbox: InboxBox,
    /// A keyword, matched in the title and the form values (case-insensitive for ASCII).
    pub q: Option<String>,
    /// Only this template.
    pub process_code: Option<String>,
    /// Only items in this state.
    pub status: Option<RequestState>,
    /// Only items created at or after this, Unix ms.
    pub from: Option<i64>,
    /// Only items created at or before this, Unix ms.
    pub to: Option<i64>,
    /// Only items after this key (the last item of the previous page): its sort time and item key.
    pub after: Option<(i64, String)>,
    /// At most this many items.
    pub limit: i64,
}

/// One item of a page, with its keyset position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    /// The item's unique key inside its box.
    pub key: String,
    /// The item's sort time (descending), Unix ms.
    pub sort_at: i64,
    /// The item.
    pub item: InboxItem,
}

/// The item status an `index_instances` row (alias `i`) means.
const ITEM_STATUS: &str = "CASE WHEN i.status = 'running' THEN 'running' WHEN i.status = 'terminated' THEN 'revoked' \
     WHEN i.result = 'refuse' THEN 'refused' ELSE 'approved' END";

/// The columns every box yields from an `index_instances` row `i`, after `item_key, sort_at`.
const INSTANCE_COLUMNS: &str = "i.instance_id AS instance_id, i.process_code AS process_code, i.title AS title, \
     i.originator_id AS originator_id, i.created_at AS created_at, i.finished_at AS finished_at, \
     i.search_text AS search_text, CAST(NULL AS TEXT) AS failure_code, CAST(NULL AS TEXT) AS failure_message";

/// The SQL of one box for `user_id` (bound through `qb`): rows of `item_key, sort_at, request_id, task_id, status`
/// and [`INSTANCE_COLUMNS`].
fn push_box(qb: &mut Sql, inbox: InboxBox, user_id: &str) {
    let user = || Bind::Text(user_id.to_owned());
    match inbox {
        InboxBox::Todo => {
            qb.push(format!(
                "SELECT i.instance_id || '/' || CAST(t.task_id AS TEXT) AS item_key, \
                 COALESCE(t.created_at, i.created_at) AS sort_at, CAST(NULL AS TEXT) AS request_id, \
                 t.task_id AS task_id, {ITEM_STATUS} AS status, {INSTANCE_COLUMNS} \
                 FROM index_tasks t JOIN index_instances i ON i.instance_id = t.instance_id \
                 WHERE t.status = 'running' AND i.status = 'running' AND t.user_id = "
            ));
            qb.push_bind(user());
        }
        InboxBox::Done => {
            qb.push(format!(
                "SELECT i.instance_id AS item_key, d.sort_at AS sort_at, CAST(NULL AS TEXT) AS request_id, \
                 CAST(NULL AS BIGINT) AS task_id, {ITEM_STATUS} AS status, {INSTANCE_COLUMNS} \
                 FROM (SELECT instance_id, MAX(COALESCE(finished_at, 0)) AS sort_at FROM index_tasks \
                       WHERE status = 'completed' AND user_id = "
            ));
            qb.push_bind(user());
            qb.push(" GROUP BY instance_id) d JOIN index_instances i ON i.instance_id = d.instance_id");
        }
        InboxBox::Mine => {
            qb.push(format!(
                "SELECT i.instance_id AS item_key, i.created_at AS sort_at, r.id AS request_id, \
                 CAST(NULL AS BIGINT) AS task_id, {ITEM_STATUS} AS status, {INSTANCE_COLUMNS} \
                 FROM index_instances i LEFT JOIN requests r ON r.instance_id = i.instance_id \
                 WHERE i.originator_id = "
            ));
            qb.push_bind(user());
            // Our requests the index does not hold (yet): queued, failed, or delivered before the index knew.
            qb.push(
                " UNION ALL SELECT 'r:' || r.id AS item_key, r.created_at AS sort_at, r.id AS request_id, \
                 CAST(NULL AS BIGINT) AS task_id, r.state AS status, r.instance_id AS instance_id, \
                 r.process_code AS process_code, '' AS title, r.user_id AS originator_id, \
                 r.created_at AS created_at, CAST(NULL AS BIGINT) AS finished_at, '' AS search_text, \
                 r.failure_code AS failure_code, r.failure_message AS failure_message \
                 FROM requests r WHERE (r.instance_id IS NULL OR NOT EXISTS \
                   (SELECT 1 FROM index_instances x WHERE x.instance_id = r.instance_id)) AND r.user_id = ",
            );
            qb.push_bind(user());
        }
        InboxBox::Cc => {
            qb.push(format!(
                "SELECT i.instance_id AS item_key, i.created_at AS sort_at, CAST(NULL AS TEXT) AS request_id, \
                 CAST(NULL AS BIGINT) AS task_id, {ITEM_STATUS} AS status, {INSTANCE_COLUMNS} \
                 FROM index_cc c JOIN index_instances i ON i.instance_id = c.instance_id WHERE c.user_id = "
            ));
            qb.push_bind(user());
        }
    }
}

/// A value bound to a `$N` placeholder.
enum Bind {
    Int(i64),
    Text(String),
}

/// SQL text with numbered placeholders (`$1`, `$2`, ...), which both SQLite and PostgreSQL read, and their values.
#[derive(Default)]
struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn push(&mut self, text: impl AsRef<str>) -> &mut Self {
        self.text.push_str(text.as_ref());
        self
    }

    fn push_bind(&mut self, value: impl Into<Bind>) -> &mut Self {
        self.binds.push(value.into());
        self.text.push_str(&format!("${}", self.binds.len()));
        self
    }
}

impl From<i64> for Bind {
    fn from(value: i64) -> Self {
        Bind::Int(value)
    }
}

impl From<String> for Bind {
    fn from(value: String) -> Self {
        Bind::Text(value)
    }
}

/// The SQL condition under which an upsert's `excluded.<column>` replaces the stored one in `table`: it is known,
/// and the stored one is unknown (`NULL` when `nullable`, else `0`), from a less exact source, or as exact and
/// earlier than the new one.
fn better(table: &str, column: &str, rank: &str, nullable: bool) -> String {
    let (known, unknown) = if nullable {
        (format!("excluded.{column} IS NOT NULL"), format!("{table}.{column} IS NULL"))
    } else {
        (format!("excluded.{column} <> 0"), format!("{table}.{column} = 0"))
    };
    format!(
        "({known} AND ({unknown} OR excluded.{rank} > {table}.{rank} OR \
         (excluded.{rank} = {table}.{rank} AND excluded.{column} > {table}.{column})))"
    )
}

/// `text` with LIKE's wildcards escaped (escape character `\`).
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The index's SQL over a pool of either database.
pub(crate) struct IndexSql<'p, DB: Database>(pub &'p Pool<DB>);

impl<DB> IndexSql<'_, DB>
where
    DB: Database,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<String>: Encode<'q, DB>,
    for<'r> i64: Decode<'r, DB>,
    for<'r> String: Decode<'r, DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    /// The query of `sql` with its values bound.
    fn run<'q>(&self, sql: &'q Sql) -> sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>> {
        sql.binds.iter().fold(sqlx::query::<DB>(&sql.text), |query, bind| match bind {
            Bind::Int(n) => query.bind(*n),
            Bind::Text(t) => query.bind(t.clone()),
        })
    }

    pub(crate) async fn upsert_instance(&self, f: &InstanceFacts, now: i64) -> Result<IndexedInstance, StoreError> {
        let sql = format!(
            "INSERT INTO index_instances (instance_id, process_code, title, originator_id, status, result, created_at,
               finished_at, search_text, refreshed_at, refreshed_final, touched_at, created_rank, finished_rank)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (instance_id) DO UPDATE SET
               process_code = CASE WHEN excluded.process_code <> '' THEN excluded.process_code
                 ELSE index_instances.process_code END,
               title = CASE WHEN excluded.title <> '' THEN excluded.title ELSE index_instances.title END,
               originator_id = CASE WHEN excluded.originator_id <> '' THEN excluded.originator_id
                 ELSE index_instances.originator_id END,
               status = CASE WHEN index_instances.status = 'running' THEN excluded.status
                 ELSE index_instances.status END,
               result = CASE WHEN index_instances.status = 'running' THEN excluded.result
                 ELSE index_instances.result END,
               created_at = CASE WHEN {NEWER_CREATED} THEN excluded.created_at ELSE index_instances.created_at END,
               created_rank = CASE WHEN {NEWER_CREATED} THEN excluded.created_rank
                 ELSE index_instances.created_rank END,
               finished_at = CASE WHEN {NEWER_FINISHED} THEN excluded.finished_at
                 ELSE index_instances.finished_at END,
               finished_rank = CASE WHEN {NEWER_FINISHED} THEN excluded.finished_rank
                 ELSE index_instances.finished_rank END,
               search_text = CASE WHEN excluded.search_text <> '' THEN excluded.search_text
                 ELSE index_instances.search_text END,
               refreshed_at = COALESCE(excluded.refreshed_at, index_instances.refreshed_at),
               refreshed_final = CASE WHEN excluded.refreshed_final = 1 THEN 1 ELSE index_instances.refreshed_final END,
               touched_at = excluded.touched_at",
            NEWER_CREATED = better("index_instances", "created_at", "created_rank", false),
            NEWER_FINISHED = better("index_instances", "finished_at", "finished_rank", true),
        );
        let rank = f.source.rank();
        sqlx::query::<DB>(&sql)
            .bind(f.instance_id.clone())
            .bind(f.process_code.clone())
            .bind(f.title.clone())
            .bind(f.originator_id.clone())
            .bind(f.status.as_str().to_owned())
            .bind(f.result.map(|r| r.as_str().to_owned()))
            .bind(f.created_at)
            .bind(f.finished_at)
            .bind(f.search_text.clone())
            .bind((f.source == FactSource::Read).then_some(now))
            .bind(i64::from(f.source == FactSource::Read && f.status != IndexStatus::Running))
            .bind(now)
            .bind(if f.created_at > 0 { rank } else { 0 })
            .bind(if f.finished_at.is_some() { rank } else { 0 })
            .execute(self.0)
            .await?;
        self.instance(&f.instance_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("index instance {} vanished", f.instance_id)))
    }

    pub(crate) async fn upsert_task(&self, f: &TaskFacts) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO index_tasks (instance_id, task_id, user_id, status, result, created_at, finished_at,
               finished_rank)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (instance_id, task_id) DO UPDATE SET
               user_id = CASE WHEN excluded.user_id <> '' THEN excluded.user_id ELSE index_tasks.user_id END,
               status = CASE WHEN index_tasks.status = 'running' THEN excluded.status ELSE index_tasks.status END,
               result = CASE WHEN index_tasks.status = 'running' THEN excluded.result ELSE index_tasks.result END,
               created_at = COALESCE(index_tasks.created_at, excluded.created_at),
               finished_at = CASE WHEN {NEWER} THEN excluded.finished_at ELSE index_tasks.finished_at END,
               finished_rank = CASE WHEN {NEWER} THEN excluded.finished_rank ELSE index_tasks.finished_rank END",
            NEWER = better("index_tasks", "finished_at", "finished_rank", true),
        );
        sqlx::query::<DB>(&sql)
            .bind(f.instance_id.clone())
            .bind(f.task_id)
            .bind(f.user_id.clone())
            .bind(f.state.as_str().to_owned())
            .bind(f.result.map(|r| r.as_str().to_owned()))
            .bind(f.created_at)
            .bind(f.finished_at)
            .bind(if f.finished_at.is_some() { f.source.rank() } else { 0 })
            .execute(self.0)
            .await?;
        Ok(())
    }

    pub(crate) async fn add_cc(&self, instance_id: &str, user_ids: &[String]) -> Result<(), StoreError> {
        for user_id in user_ids {
            sqlx::query::<DB>(
                "INSERT INTO index_cc (instance_id, user_id) VALUES ($1, $2) ON CONFLICT (instance_id, user_id) DO NOTHING",
            )
            .bind(instance_id.to_owned())
            .bind(user_id.clone())
            .execute(self.0)
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn instance(&self, instance_id: &str) -> Result<Option<IndexedInstance>, StoreError> {
        let sql = format!("{SELECT_INDEXED} WHERE i.instance_id = $1");
        let row = sqlx::query::<DB>(&sql).bind(instance_id.to_owned()).fetch_optional(self.0).await?;
        row.as_ref().map(indexed_of_row).transpose()
    }

    pub(crate) async fn needing_refresh(
        &self,
        touched_before: i64,
        limit: i64,
    ) -> Result<Vec<IndexedInstance>, StoreError> {
        let sql = format!(
            "{SELECT_INDEXED} WHERE i.touched_at < $1 AND (i.status = 'running' OR i.refreshed_final = 0) ORDER BY i.touched_at, i.instance_id \
             LIMIT $2"
        );
        let rows = sqlx::query::<DB>(&sql).bind(touched_before).bind(limit).fetch_all(self.0).await?;
        rows.iter().map(indexed_of_row).collect()
    }

    pub(crate) async fn settle_request(
        &self,
        instance_id: &str,
        state: RequestState,
        now: i64,
    ) -> Result<bool, StoreError> {
        let settled = sqlx::query::<DB>(
            "UPDATE requests SET state = $1, updated_at = $2 WHERE instance_id = $3 AND state IN ('submitted', 'running')
             RETURNING id",
        )
        .bind(state_text(state).to_owned())
        .bind(now)
        .bind(instance_id.to_owned())
        .fetch_all(self.0)
        .await?;
        Ok(!settled.is_empty())
    }

    pub(crate) async fn process_codes(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query::<DB>(
            "SELECT process_code FROM index_instances WHERE process_code <> ''
             UNION SELECT process_code FROM requests ORDER BY process_code",
        )
        .fetch_all(self.0)
        .await?;
        rows.iter().map(|r| Ok(r.try_get::<String, _>("process_code")?)).collect()
    }

    pub(crate) async fn page(&self, user_id: &str, q: &InboxQuery) -> Result<Vec<InboxRow>, StoreError> {
        let mut qb = Sql::default();
        qb.push("SELECT x.*, COALESCE(u.name, '') AS originator_name FROM (");
        push_box(&mut qb, q.inbox, user_id);
        qb.push(") x LEFT JOIN users u ON u.user_id = x.originator_id WHERE 1 = 1");
        if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern = like_escaped(&text.to_lowercase());
            qb.push(" AND (x.search_text LIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
            qb.push(" OR LOWER(x.title) LIKE ").push_bind(pattern).push(" ESCAPE '\\')");
        }
        if let Some(code) = &q.process_code {
            qb.push(" AND x.process_code = ").push_bind(code.clone());
        }
        if let Some(status) = q.status {
            qb.push(" AND x.status = ").push_bind(state_text(status).to_owned());
        }
        if let Some(from) = q.from {
            qb.push(" AND x.created_at >= ").push_bind(from);
        }
        if let Some(to) = q.to {
            qb.push(" AND x.created_at <= ").push_bind(to);
        }
        if let Some((sort_at, key)) = &q.after {
            qb.push(" AND (x.sort_at < ").push_bind(*sort_at);
            qb.push(" OR (x.sort_at = ").push_bind(*sort_at);
            qb.push(" AND x.item_key < ").push_bind(key.clone()).push("))");
        }
        qb.push(" ORDER BY x.sort_at DESC, x.item_key DESC LIMIT ").push_bind(q.limit);
        let rows = self.run(&qb).fetch_all(self.0).await?;
        rows.iter().map(inbox_row).collect()
    }

    pub(crate) async fn counts(&self, user_id: &str) -> Result<InboxCounts, StoreError> {
        let mut qb = Sql::default();
        qb.push("SELECT ");
        for (n, inbox) in InboxBox::ALL.into_iter().enumerate() {
            if n > 0 {
                qb.push(", ");
            }
            qb.push("(SELECT COUNT(*) FROM (");
            push_box(&mut qb, inbox, user_id);
            qb.push(format!(") b{n}) AS {}", inbox.as_str()));
        }
        let row = self.run(&qb).fetch_one(self.0).await?;
        let count = |name: &'static str| -> Result<u64, StoreError> {
            Ok(u64::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
        };
        Ok(InboxCounts { todo: count("todo")?, done: count("done")?, mine: count("mine")?, cc: count("cc")? })
    }
}

/// The columns [`indexed_of_row`] reads.
const SELECT_INDEXED: &str = "SELECT i.instance_id, i.process_code, i.originator_id, i.status, i.result, \
     i.refreshed_at, i.refreshed_final FROM index_instances i";

/// An [`IndexedInstance`] from a row of [`SELECT_INDEXED`].
fn indexed_of_row<'r, R>(row: &'r R) -> Result<IndexedInstance, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let status = IndexStatus::parse(&row.try_get::<String, _>("status")?)?;
    let result: Option<String> = row.try_get("result")?;
    let state = match (status, result.as_deref()) {
        (IndexStatus::Running, _) => RequestState::Running,
        (IndexStatus::Terminated, _) => RequestState::Revoked,
        (IndexStatus::Completed, Some("refuse")) => RequestState::Refused,
        (IndexStatus::Completed, _) => RequestState::Approved,
    };
    Ok(IndexedInstance {
        instance_id: row.try_get("instance_id")?,
        process_code: row.try_get("process_code")?,
        originator_id: row.try_get("originator_id")?,
        status,
        state,
        refreshed_at: row.try_get("refreshed_at")?,
        refreshed_final: row.try_get::<i64, _>("refreshed_final")? != 0,
    })
}

/// An [`InboxRow`] from a row of a box with `originator_name`.
fn inbox_row<'r, R>(row: &'r R) -> Result<InboxRow, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let status: String = row.try_get("status")?;
    Ok(InboxRow {
        key: row.try_get("item_key")?,
        sort_at: row.try_get("sort_at")?,
        item: InboxItem {
            instance_id: row.try_get("instance_id")?,
            request_id: row.try_get("request_id")?,
            task_id: row.try_get("task_id")?,
            title: row.try_get("title")?,
            process_code: row.try_get("process_code")?,
            originator: InboxPerson { user_id: row.try_get("originator_id")?, name: row.try_get("originator_name")? },
            status: parse_state(&status)?,
            failure: parse_failure(row.try_get("failure_code")?, row.try_get("failure_message")?)?,
            created_at: row.try_get("created_at")?,
            finished_at: row.try_get("finished_at")?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_keyword_match_themselves() {
        assert_eq!(like_escaped("50%_a\\b"), "%50\\%\\_a\\\\b%");
        assert_eq!(like_escaped("报销"), "%报销%");
    }
}
