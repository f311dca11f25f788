//! Storage behind a narrow trait: no HTTP here, one implementation per database, picked by the URL's scheme.

mod index;
mod postgres;
mod sqlite;

use std::sync::Arc;

use api_types::form::FormValues;
use api_types::{Draft, SaveDraft};
use api_types::{ErrorCode, InboxCounts, RequestFailure, RequestState, SubmitRequest, User};
pub use index::{
    FactSource, InboxQuery, InboxRow, IndexResult, IndexStatus, IndexedInstance, InstanceFacts, TaskFacts, TaskOutcome,
    TaskState,
};
pub use postgres::PostgresStore;

use crate::events::{Channel, StoredEvent};
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
    /// Deletes every session of a user (they left the organisation); how many there were.
    async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, StoreError>;

    // Approval requests and their outbox.

    /// Inserts the request (state `queued`) and its outbox row, due now, in one transaction, unless the user already
    /// used the idempotency key: then nothing is written and the stored request comes back as `Existing`.
    async fn insert_request(&self, request: &NewRequest) -> Result<Inserted, StoreError>;
    /// A request by id.
    async fn request(&self, id: &str) -> Result<Option<StoredRequest>, StoreError>;
    /// Up to `limit` of the user's requests, newest first (by `created_at`, then id, both descending), starting
    /// after the position `after` (`created_at`, id) when given.
    async fn user_requests(
        &self,
        user_id: &str,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<StoredRequest>, StoreError>;
    /// Claims up to `limit` outbox rows due at `now` (Unix ms) whose lease is free, leasing them until `lease_until`.
    /// A row whose earlier lease ran out (a worker stopped mid-delivery) comes back with `unknown_outcome` set: its
    /// send may have reached DingTalk.
    async fn claim_outbox(&self, now: i64, lease_until: i64, limit: i64) -> Result<Vec<OutboxJob>, StoreError>;
    /// Puts a claimed row back, due at `due_at`, after `attempts` tries; `unknown_outcome` when the last send may
    /// have reached DingTalk.
    async fn retry_outbox(
        &self,
        request_id: &str,
        due_at: i64,
        attempts: i64,
        unknown_outcome: bool,
    ) -> Result<(), StoreError>;
    /// Records the request's fate and deletes its outbox row, in one transaction.
    async fn finish_outbox(&self, request_id: &str, fate: &Fate, now: i64) -> Result<(), StoreError>;
    /// Whether a request already holds this DingTalk instance.
    async fn instance_taken(&self, instance_id: &str) -> Result<bool, StoreError>;
    /// How many rows the outbox holds, and when the request of the oldest arrived.
    async fn outbox_stats(&self) -> Result<OutboxStats, StoreError>;

    // Drafts: forms a user started, kept per user so that every device of theirs sees them.

    /// The user's drafts, the most recently saved first.
    async fn drafts(&self, user_id: &str) -> Result<Vec<Draft>, StoreError>;
    /// One of the user's drafts; another user's draft of the same id is not theirs and is `None`.
    async fn draft(&self, user_id: &str, draft_id: &str) -> Result<Option<Draft>, StoreError>;
    /// Creates or replaces the user's draft `draft_id` at `now` (Unix milliseconds), checking `save.version`
    /// against the stored one and, for a new draft, that the user has fewer than `max_drafts`.
    async fn save_draft(
        &self,
        user_id: &str,
        draft_id: &str,
        save: &SaveDraft,
        now: i64,
        max_drafts: usize,
    ) -> Result<DraftSave, StoreError>;
    /// Deletes the user's draft; `false` when they had none of that id.
    async fn delete_draft(&self, user_id: &str, draft_id: &str) -> Result<bool, StoreError>;

    // Actions on instances, each sent to DingTalk exactly once.

    /// The template (processCode) of the request that created `instance_id`, if it went through shenpi.
    async fn instance_template(&self, instance_id: &str) -> Result<Option<String>, StoreError>;
    /// The name of a user shenpi has seen log in.
    async fn user_name(&self, user_id: &str) -> Result<Option<String>, StoreError>;
    /// The action the user sent under `key`.
    async fn action(&self, user_id: &str, key: &str) -> Result<Option<StoredAction>, StoreError>;
    /// The live (pending or done) action holding `task_id`.
    async fn task_action(&self, task_id: i64) -> Result<Option<StoredAction>, StoreError>;
    /// Records a new pending action leased to the caller until `action.locked_until`, unless the user already used
    /// the key or another live action holds its task: then nothing is written and that action comes back.
    async fn begin_action(&self, action: &NewAction) -> Result<ActionBegin, StoreError>;
    /// Takes over a pending action whose lease ran out at `now`, leasing it until `lease_until`; `false` when it
    /// is not pending or its lease still runs.
    async fn lease_action(&self, user_id: &str, key: &str, now: i64, lease_until: i64) -> Result<bool, StoreError>;
    /// Leaves a pending action for a later try: its lease ends now, and `unknown_outcome` records that the last
    /// send may have reached DingTalk (so the next try looks before sending).
    async fn retry_action(&self, user_id: &str, key: &str, unknown_outcome: bool) -> Result<(), StoreError>;
    /// Forgets a pending action that surely did not reach DingTalk, so that its key and task are free again.
    async fn drop_action(&self, user_id: &str, key: &str) -> Result<(), StoreError>;
    /// Records how a pending action ended; a refusal frees its task.
    async fn finish_action(&self, user_id: &str, key: &str, fate: &ActionFate) -> Result<(), StoreError>;
    // The per-user index the inbox is served from (`store/index.rs` has the merge rules).

    /// Merges what one source knows about an instance into the index at `now` (Unix ms); the instance as it is now.
    async fn index_merge_instance(&self, facts: &InstanceFacts, now: i64) -> Result<IndexedInstance, StoreError>;
    /// Merges what one source knows about a task into the index.
    async fn index_merge_task(&self, facts: &TaskFacts) -> Result<(), StoreError>;
    /// Records that these users were copied on the instance.
    async fn index_add_cc(&self, instance_id: &str, user_ids: &[String]) -> Result<(), StoreError>;
    /// An instance the index holds.
    async fn index_instance(&self, instance_id: &str) -> Result<Option<IndexedInstance>, StoreError>;
    /// Up to `limit` instances nothing was heard of since `touched_before` (Unix ms) that are running, or ended but
    /// not read since: the quietest first.
    async fn index_needing_refresh(&self, touched_before: i64, limit: i64) -> Result<Vec<IndexedInstance>, StoreError>;
    /// Every template the index or our requests name.
    async fn index_process_codes(&self) -> Result<Vec<String>, StoreError>;
    /// Moves our request holding `instance_id` from submitted or running to `state`; whether one moved.
    async fn settle_request(&self, instance_id: &str, state: RequestState, now: i64) -> Result<bool, StoreError>;
    /// A page of one of `user_id`'s boxes, newest first.
    async fn inbox_page(&self, user_id: &str, query: &InboxQuery) -> Result<Vec<InboxRow>, StoreError>;
    /// How many items each of `user_id`'s boxes holds.
    async fn inbox_counts(&self, user_id: &str) -> Result<InboxCounts, StoreError>;
    // DingTalk's events, append-only (`events.rs`), and the nonces of HTTP callbacks.

    /// Stores the event received at `received_at` (Unix ms) unless its `event_id` is stored already; `true` when it
    /// is new. A stored event is never rewritten.
    async fn append_event(&self, event: &StoredEvent, received_at: i64) -> Result<bool, StoreError>;
    /// Up to `limit` events not yet applied, not parked and due at `now` (Unix ms), oldest `born_at` first.
    async fn due_events(&self, now: i64, limit: i64) -> Result<Vec<EventRecord>, StoreError>;
    /// Records that the index took the event at `now` (Unix ms).
    async fn mark_event_applied(&self, event_id: &str, now: i64) -> Result<(), StoreError>;
    /// Records a failed attempt with its error: tried again from `retry_at` (Unix ms), or parked when `None`.
    async fn mark_event_failed(&self, event_id: &str, error: &str, retry_at: Option<i64>) -> Result<(), StoreError>;
    /// Every stored event with its bookkeeping, oldest `born_at` first (for tests and operators; unbounded).
    async fn events(&self) -> Result<Vec<EventRecord>, StoreError>;
    /// How many stored events are not applied yet (parked ones included).
    async fn count_unapplied_events(&self) -> Result<u64, StoreError>;
    /// Remembers that an HTTP callback came with `nonce`, `signature` and `event_id` at `now` (Unix ms), and
    /// forgets nonces seen before `forget_before`. `None` when the nonce is new (it is recorded); otherwise what it
    /// first came with (nothing is changed).
    async fn remember_nonce(
        &self,
        nonce: &str,
        signature: &str,
        event_id: &str,
        now: i64,
        forget_before: i64,
    ) -> Result<Option<SeenNonce>, StoreError>;
}

/// A stored event and the applier's bookkeeping of it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// The event as it arrived.
    pub event: StoredEvent,
    /// When it was stored, Unix ms.
    pub received_at: i64,
    /// When the index took it, Unix ms.
    pub applied_at: Option<i64>,
    /// Failed attempts to apply it.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Whether its attempts ran out: kept, no longer tried.
    pub parked: bool,
}

/// What an HTTP callback nonce first came with: [`Store::remember_nonce`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenNonce {
    /// The signature of that callback.
    pub signature: String,
    /// The event it carried (empty for `check_url`).
    pub event_id: String,
}

/// The columns of `events` every backend selects, with `data` as text and `parked` as 0 or 1.
const EVENT_COLUMNS: &str = "event_id, event_type, channel, corp_id, born_at, received_at, CAST(data AS TEXT) AS data,
    applied_at, attempts, last_error, CAST(CASE WHEN parked THEN 1 ELSE 0 END AS BIGINT) AS parked";

/// An event's `data` as the JSON text the stores keep.
fn event_data_json(event: &StoredEvent) -> Result<String, StoreError> {
    serde_json::to_string(&event.data).map_err(|e| StoreError::Corrupt(format!("event data: {e}")))
}

/// An [`EventRecord`] from a row of [`EVENT_COLUMNS`].
fn event_of_row<'r, R>(row: &'r R) -> Result<EventRecord, StoreError>
where
    R: sqlx::Row,
    &'static str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let data: String = row.try_get("data")?;
    let channel: String = row.try_get("channel")?;
    Ok(EventRecord {
        event: StoredEvent {
            event_id: row.try_get("event_id")?,
            event_type: row.try_get("event_type")?,
            born_at: row.try_get("born_at")?,
            corp_id: row.try_get("corp_id")?,
            data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("event data: {e}")))?,
            channel: Channel::parse(&channel).ok_or_else(|| StoreError::Corrupt(format!("channel {channel:?}")))?,
        },
        received_at: row.try_get("received_at")?,
        applied_at: row.try_get("applied_at")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        parked: row.try_get::<i64, _>("parked")? != 0,
    })
}

/// An action to record: [`Store::begin_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    /// Who acts.
    pub user_id: String,
    /// The client's `Idempotency-Key`.
    pub idempotency_key: String,
    /// Hex SHA-256 of the canonical body.
    pub body_hash: String,
    /// The instance.
    pub instance_id: String,
    /// The task a task action acts on.
    pub task_id: Option<i64>,
    /// The action as JSON.
    pub body: String,
    /// When it arrived, Unix ms.
    pub created_at: i64,
    /// Until when the caller holds it, Unix ms.
    pub locked_until: i64,
}

/// What [`Store::begin_action`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionBegin {
    /// Recorded and leased to the caller: send it.
    Started,
    /// The user used this key before: that action.
    SameKey(StoredAction),
    /// Another live action holds the task: that action.
    TaskTaken(StoredAction),
}

/// Where a stored action stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionState {
    /// Recorded, not known to be carried out.
    Pending {
        /// Whether a send may have reached DingTalk.
        unknown_outcome: bool,
        /// The sender's lease, Unix ms.
        locked_until: i64,
    },
    /// DingTalk carried it out.
    Done {
        /// When shenpi saw it done, Unix ms.
        at: i64,
    },
    /// DingTalk refused it.
    Refused(RequestFailure),
}

/// An action as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAction {
    /// Who acted.
    pub user_id: String,
    /// The client's `Idempotency-Key`.
    pub idempotency_key: String,
    /// Hex SHA-256 of the canonical body.
    pub body_hash: String,
    /// The instance.
    pub instance_id: String,
    /// The action as JSON.
    pub body: String,
    /// Where it stands.
    pub state: ActionState,
    /// When it arrived, Unix ms.
    pub created_at: i64,
}

/// How an action ended: [`Store::finish_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionFate {
    /// Carried out, seen at this Unix ms.
    Done(i64),
    /// Refused for good.
    Refused(RequestFailure),
}

/// The columns [`action_of_row`] reads.
pub(crate) const SELECT_ACTION: &str = "SELECT user_id, idempotency_key, body_hash, instance_id, body, state,
    unknown_outcome, locked_until, failure_code, failure_message, created_at, done_at FROM actions";

/// An `actions` row as a [`StoredAction`].
pub(crate) fn action_of_row<'r, R>(row: &'r R) -> Result<StoredAction, StoreError>
where
    R: sqlx::Row,
    &'static str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let state: String = row.try_get("state")?;
    let state = match state.as_str() {
        "pending" => ActionState::Pending {
            unknown_outcome: row.try_get::<i64, _>("unknown_outcome")? != 0,
            locked_until: row.try_get("locked_until")?,
        },
        "done" => ActionState::Done { at: row.try_get::<Option<i64>, _>("done_at")?.unwrap_or_default() },
        "refused" => ActionState::Refused(
            parse_failure(row.try_get("failure_code")?, row.try_get("failure_message")?)?
                .ok_or_else(|| StoreError::Corrupt("a refused action without a failure".into()))?,
        ),
        other => return Err(StoreError::Corrupt(format!("action state {other:?}"))),
    };
    Ok(StoredAction {
        user_id: row.try_get("user_id")?,
        idempotency_key: row.try_get("idempotency_key")?,
        body_hash: row.try_get("body_hash")?,
        instance_id: row.try_get("instance_id")?,
        body: row.try_get("body")?,
        state,
        created_at: row.try_get("created_at")?,
    })
}

/// A request to store: [`Store::insert_request`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    /// shenpi's id for it.
    pub id: String,
    /// Its originator.
    pub user_id: String,
    /// The client's `Idempotency-Key`.
    pub idempotency_key: String,
    /// Hex SHA-256 of the canonical body.
    pub body_hash: String,
    /// The template.
    pub process_code: String,
    /// What the worker sends, as JSON.
    pub payload: String,
    /// The body as the person sent it; `None` only for a row written as before shenpi kept it.
    pub submitted: Option<SubmitRequest>,
    /// When it arrived, Unix ms.
    pub created_at: i64,
}

/// What [`Store::insert_request`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    /// The request is new and queued.
    Created(StoredRequest),
    /// The user used this key before: the request stored then.
    Existing(StoredRequest),
}

/// A request as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRequest {
    /// shenpi's id.
    pub id: String,
    /// Its originator.
    pub user_id: String,
    /// The client's `Idempotency-Key`.
    pub idempotency_key: String,
    /// Hex SHA-256 of the canonical body.
    pub body_hash: String,
    /// Where it stands.
    pub state: RequestState,
    /// DingTalk's instance, once created.
    pub instance_id: Option<String>,
    /// Why it failed.
    pub failure: Option<RequestFailure>,
    /// The template.
    pub process_code: String,
    /// The body as the person sent it; `None` for rows from before shenpi kept it.
    pub submitted: Option<SubmitRequest>,
    /// When it arrived, Unix ms.
    pub created_at: i64,
}

/// The columns [`request_of_row`] reads.
pub(crate) const SELECT_REQUEST: &str = "SELECT id, user_id, idempotency_key, body_hash, state, instance_id,
    failure_code, failure_message, process_code, submitted_values, submitted_dept_id, submitted_approvers,
    submitted_cc, submitted_picks, created_at FROM requests";

/// A submitted body as the columns that keep it: values, dept id, approvers, cc, picks (JSON where not a number).
/// All are NULL for a row without a body.
pub(crate) struct SubmittedColumns {
    pub values: Option<String>,
    pub dept_id: Option<i64>,
    pub approvers: Option<String>,
    pub cc: Option<String>,
    pub picks: Option<String>,
}

impl SubmittedColumns {
    /// The columns for `submitted`.
    pub(crate) fn of(submitted: Option<&SubmitRequest>) -> Result<Self, StoreError> {
        fn json<T: serde::Serialize>(value: Option<&T>) -> Result<Option<String>, StoreError> {
            value
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("submitted body: {e}")))
        }
        let Some(s) = submitted else {
            return Ok(Self { values: None, dept_id: None, approvers: None, cc: None, picks: None });
        };
        Ok(Self {
            values: json(Some(&s.values))?,
            dept_id: s.dept_id,
            approvers: json(s.approvers.as_ref())?,
            cc: json(s.cc.as_ref())?,
            picks: json(s.picks.as_ref())?,
        })
    }
}

/// A `requests` row of [`SELECT_REQUEST`] as a [`StoredRequest`].
pub(crate) fn request_of_row<'r, R>(row: &'r R) -> Result<StoredRequest, StoreError>
where
    R: sqlx::Row,
    &'static str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn parse<T: serde::de::DeserializeOwned>(text: Option<String>, what: &str) -> Result<Option<T>, StoreError> {
        text.map(|t| serde_json::from_str(&t)).transpose().map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
    }
    let process_code: String = row.try_get("process_code")?;
    let submitted = match parse(row.try_get("submitted_values")?, "submitted values")? {
        None => None,
        Some(values) => Some(SubmitRequest {
            process_code: process_code.clone(),
            dept_id: row.try_get("submitted_dept_id")?,
            values,
            approvers: parse(row.try_get("submitted_approvers")?, "submitted approvers")?,
            cc: parse(row.try_get("submitted_cc")?, "submitted cc")?,
            picks: parse(row.try_get("submitted_picks")?, "submitted picks")?,
        }),
    };
    Ok(StoredRequest {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        idempotency_key: row.try_get("idempotency_key")?,
        body_hash: row.try_get("body_hash")?,
        state: parse_state(&row.try_get::<String, _>("state")?)?,
        instance_id: row.try_get("instance_id")?,
        failure: parse_failure(row.try_get("failure_code")?, row.try_get("failure_message")?)?,
        process_code,
        submitted,
        created_at: row.try_get("created_at")?,
    })
}

/// A claimed outbox row with what delivering it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxJob {
    /// The request.
    pub request_id: String,
    /// Its originator.
    pub user_id: String,
    /// The template.
    pub process_code: String,
    /// What to send, as JSON.
    pub payload: String,
    /// When the request arrived, Unix ms.
    pub created_at: i64,
    /// Tries so far.
    pub attempts: i64,
    /// Whether an earlier send may have reached DingTalk.
    pub unknown_outcome: bool,
}

/// The outbox at a glance: [`Store::outbox_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Rows waiting for delivery, leased or not.
    pub rows: u64,
    /// When the request of the oldest row arrived, Unix ms; `None` when the outbox is empty.
    pub oldest_created_at: Option<i64>,
}

/// How a request's delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// DingTalk created (or already had) the instance.
    Delivered {
        /// Its id.
        instance_id: String,
        /// The request's state from now on.
        state: RequestState,
    },
    /// DingTalk refused it for good.
    Failed(RequestFailure),
}

/// `state` as stored.
pub(crate) fn state_text(state: RequestState) -> &'static str {
    state.as_str()
}

/// A stored state and failure back as types.
pub(crate) fn parse_state(state: &str) -> Result<RequestState, StoreError> {
    serde_json::from_value(serde_json::Value::String(state.to_owned()))
        .map_err(|e| StoreError::Corrupt(format!("state {state:?}: {e}")))
}

/// A stored failure code and message back as a [`RequestFailure`].
pub(crate) fn parse_failure(
    code: Option<String>,
    message: Option<String>,
) -> Result<Option<RequestFailure>, StoreError> {
    let Some(code) = code else { return Ok(None) };
    let code: ErrorCode = serde_json::from_value(serde_json::Value::String(code.clone()))
        .map_err(|e| StoreError::Corrupt(format!("failure code {code:?}: {e}")))?;
    Ok(Some(RequestFailure { code, message: message.unwrap_or_default() }))
}

/// A [`Fate`] as the columns it sets: state, instance id, failure code, failure message.
pub(crate) fn fate_columns(fate: &Fate) -> (&'static str, Option<&str>, Option<String>, Option<&str>) {
    match fate {
        Fate::Delivered { instance_id, state } => (state_text(*state), Some(instance_id), None, None),
        Fate::Failed(f) => ("failed", None, Some(code_text(f.code)), Some(&f.message)),
    }
}

/// `code` as stored.
pub(crate) fn code_text(code: ErrorCode) -> String {
    serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// What [`Store::save_draft`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum DraftSave {
    /// Stored; the draft as it is now.
    Saved(Draft),
    /// Not stored: the save named a version, and the stored draft has another one or is gone.
    Conflict,
    /// Not stored: the draft is new and the user already has the most drafts allowed.
    TooMany,
}

/// How a save goes, decided from the stored version and the one the save names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SavePlan {
    /// Refuse with [`DraftSave::Conflict`].
    Conflict,
    /// Replace the stored draft if it still has version `from`.
    Update { from: i64 },
    /// Create the draft.
    Insert,
}

impl SavePlan {
    fn of(stored: Option<i64>, expected: Option<i64>) -> Self {
        match (stored, expected) {
            (Some(stored), Some(expected)) if stored != expected => SavePlan::Conflict,
            (Some(stored), _) => SavePlan::Update { from: stored },
            // A version names a draft that was read; it is gone now (deleted or submitted from another device).
            (None, Some(_)) => SavePlan::Conflict,
            (None, None) => SavePlan::Insert,
        }
    }
}

/// The values as the JSON text the stores keep.
fn values_json(values: &FormValues) -> Result<String, StoreError> {
    serde_json::to_string(values).map_err(|e| StoreError::Corrupt(format!("draft values: {e}")))
}

/// A draft from a row of `draft_id, process_code, form_values (as text), updated_at, version`.
fn draft_of_row<'r, R>(row: &'r R) -> Result<Draft, StoreError>
where
    R: sqlx::Row,
    &'static str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let values: String = row.try_get("form_values")?;
    Ok(Draft {
        id: row.try_get("draft_id")?,
        process_code: row.try_get("process_code")?,
        values: serde_json::from_str(&values).map_err(|e| StoreError::Corrupt(format!("draft values: {e}")))?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

/// The draft a successful save leaves.
fn saved_draft(draft_id: &str, save: &SaveDraft, now: i64, version: i64) -> DraftSave {
    DraftSave::Saved(Draft {
        id: draft_id.to_owned(),
        process_code: save.process_code.clone(),
        values: save.values.clone(),
        updated_at: now,
        version,
    })
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

/// An [`ActionFate`] as the columns it sets: state, done_at, failure code, failure message.
pub(crate) fn action_fate_columns(fate: &ActionFate) -> (&'static str, Option<i64>, Option<String>, Option<&str>) {
    match fate {
        ActionFate::Done(at) => ("done", Some(*at), None, None),
        ActionFate::Refused(f) => ("refused", None, Some(code_text(f.code)), Some(&f.message)),
    }
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
