//! The outbox worker: delivers queued approval requests to DingTalk exactly once.
//!
//! It claims due rows with a lease (`locked_until`), so two processes never send the same row at once, and calls
//! `start_instance` (the client keeps to DingTalk's rate limit). A success stores the instance; DingTalk's refusal
//! fails the request with a reason the app can explain; a call that surely did not reach DingTalk (connection
//! refused, throttled, `systemBusy`) is retried with exponential backoff.
//!
//! A call whose outcome is unknown (a timeout or a connection dropped after sending, or an answer that could not be
//! read) may have created the instance. Before sending again the worker looks for it: the originator's instances
//! of the template started since one minute before the request arrived (`list_instance_ids`), read one by one
//! (`get_instance`). An instance is the request's when its originator is the request's, it is not already held by
//! another request, and every form value the request sent is on it with the same text (matched by control id, or
//! by label when DingTalk omits the id). DingTalk has no field for a caller's own marker, so two requests with the
//! same form by the same person in the same minute are indistinguishable; the "not already held" rule still gives
//! each its own instance.
//!
//! Shutdown ([`OutboxWorker::shutdown`]): the worker claims nothing more and gives the deliveries in flight the grace
//! period to finish. One still running then is cut off and its row stays leased: the call may be reaching DingTalk
//! at that very moment, so nobody may send it again before the lease runs out. A row claimed again after its lease
//! ran out comes back marked as an unknown outcome ([`crate::store::Store::claim_outbox`]), so the next worker (this
//! process restarted, or another one) looks the instance up before sending.

use std::sync::Arc;
use std::time::Duration;

use api_types::{ApprovalMode, ErrorCode, RequestFailure, RequestState};
use dingtalk_client::Error as DtError;
use dingtalk_client::workflow::{
    ActionType, ApproverNode, FormValue, Instance, InstanceIdsQuery, StartInstance, TargetSelectActioner,
};
use time::OffsetDateTime;
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::AppState;
use crate::requests::Payload;
use crate::store::{Fate, OutboxJob, StoreError};

/// How far before a request's arrival the lookup after an unknown outcome searches, in ms.
const LOOKBACK_MS: i64 = 60_000;
/// Rows claimed at once.
const BATCH: i64 = 20;

pub use crate::auth::now_ms;

/// The worker's timing, and the bell that wakes it when a request is queued.
#[derive(Debug)]
pub struct Outbox {
    /// How long the worker sleeps when nothing is due.
    pub poll: Duration,
    /// The first retry's delay; each further retry doubles it.
    pub backoff: Duration,
    /// The longest delay between retries.
    pub max_backoff: Duration,
    /// How long a claimed row stays with this process.
    pub lease: Duration,
    /// How long deliveries in flight may take to finish once shutdown begins.
    pub grace: Duration,
    /// Rung by `POST /api/requests` so that a new request goes out at once.
    pub wake: Notify,
}

impl Outbox {
    /// The delay before retry number `attempts` (1 for the first retry).
    fn delay(&self, attempts: i64) -> Duration {
        let factor = 1u32 << attempts.clamp(1, 16).saturating_sub(1);
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// The running worker: [`OutboxWorker::shutdown`] stops it. Dropping the handle stops it the same way.
#[derive(Debug)]
pub struct OutboxWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl OutboxWorker {
    /// Stops claiming rows, lets deliveries in flight finish within the grace period, cuts off the rest (their rows
    /// stay leased), and returns once the worker has stopped.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "outbox: the worker ended abnormally");
        }
    }
}

/// Starts the worker on the current runtime. Run one per process.
pub fn spawn_outbox(state: AppState) -> OutboxWorker {
    let (stop, mut stopping) = watch::channel(false);
    let task = tokio::spawn(async move {
        let outbox = state.outbox.clone();
        while !*stopping.borrow() {
            let now = now_ms();
            let lease_until = now + outbox.lease.as_millis() as i64;
            match state.store.claim_outbox(now, lease_until, BATCH).await {
                Ok(jobs) if !jobs.is_empty() => {
                    // A batch goes out at once, so one slow call does not hold the others; the client keeps the
                    // pace DingTalk allows.
                    let mut batch = JoinSet::new();
                    for job in jobs {
                        let (state, outbox) = (state.clone(), outbox.clone());
                        batch.spawn(async move {
                            if let Err(e) = deliver(&state, &outbox, &job).await {
                                // The lease runs out and the row is tried again.
                                tracing::error!(request_id = %job.request_id, error = %e, "outbox: storing an outcome failed");
                            }
                        });
                    }
                    finish_batch(&mut batch, &mut stopping, outbox.grace).await;
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox: claiming rows failed"),
            }
            tokio::select! {
                _ = outbox.wake.notified() => {}
                _ = tokio::time::sleep(outbox.poll) => {}
                _ = stopped(&mut stopping) => {}
            }
        }
        tracing::info!("outbox: stopped");
    });
    OutboxWorker { stop, task }
}

/// Resolves once shutdown has begun (or the handle is gone).
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// Waits for every delivery of a batch. Once shutdown begins, waits at most `grace` more, then cuts off what is
/// still running: those rows stay leased (see the module doc).
async fn finish_batch(batch: &mut JoinSet<()>, stopping: &mut watch::Receiver<bool>, grace: Duration) {
    loop {
        tokio::select! {
            next = batch.join_next() => if next.is_none() { return },
            _ = stopped(stopping) => break,
        }
    }
    let finished = tokio::time::timeout(grace, async { while batch.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        tracing::warn!(
            deliveries = batch.len(),
            "outbox: cut off at shutdown; their rows stay leased until the lease runs out"
        );
        batch.shutdown().await;
    }
}

/// What a failed `start_instance` means for the request.
enum Outcome {
    /// DingTalk refused it for good.
    Refused(RequestFailure),
    /// The call surely did not create anything: send again later.
    NotSent,
    /// The call may have created the instance: look for it before sending again.
    Unknown,
}

/// Sorts a `start_instance` error.
fn classify(e: DtError) -> Outcome {
    let refused = |code, message: String| Outcome::Refused(RequestFailure { code, message });
    match e {
        DtError::Http(ref h) if h.is_connect() => Outcome::NotSent,
        DtError::Http(_) | DtError::Decode { .. } => Outcome::Unknown,
        DtError::Throttled { .. } | DtError::WebSocket(_) | DtError::Config(_) => Outcome::NotSent,
        DtError::Api { code, message, .. } => match code.as_str() {
            "-1" | "90018" => Outcome::NotSent,
            c if c.eq_ignore_ascii_case("systemBusy") || c.starts_with("Throttling") => Outcome::NotSent,
            "processCodeError" | "formNotExist" => refused(ErrorCode::TemplateNotFound, message),
            "formConverterError" => refused(ErrorCode::FormRejected, message),
            "targetSelectApproverMissing" => refused(ErrorCode::ApproversMissing, message),
            "targetSelectApproverScopeError" => refused(ErrorCode::PickOutOfScope, message),
            "Forbidden.AccessDenied.AccessTokenPermissionDenied" | "60011" => {
                refused(ErrorCode::PermissionMissing, message)
            }
            _ => refused(ErrorCode::DingTalkRejected, message),
        },
    }
}

/// One try at delivering a claimed row.
async fn deliver(state: &AppState, outbox: &Outbox, job: &OutboxJob) -> Result<(), StoreError> {
    let store = &state.store;
    let payload: Payload = match serde_json::from_str(&job.payload) {
        Ok(p) => p,
        Err(e) => {
            let failure = RequestFailure { code: ErrorCode::Internal, message: format!("unreadable payload: {e}") };
            return store.finish_outbox(&job.request_id, &Fate::Failed(failure), now_ms()).await;
        }
    };
    let retry = |unknown: bool| {
        let attempts = job.attempts + 1;
        let due = now_ms() + outbox.delay(attempts).as_millis() as i64;
        store.retry_outbox(&job.request_id, due, attempts, unknown)
    };
    let delivered = |instance_id: String| Fate::Delivered { instance_id, state: RequestState::Running };
    if job.unknown_outcome {
        match find_instance(state, job, &payload).await {
            Ok(Some(id)) => {
                tracing::info!(request_id = %job.request_id, instance_id = %id, "outbox: adopted the instance an unanswered call created");
                store.finish_outbox(&job.request_id, &delivered(id.clone()), now_ms()).await?;
                index_delivered(state, job, &id).await;
                return Ok(());
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(request_id = %job.request_id, error = %e, "outbox: looking for the instance failed");
                return retry(true).await;
            }
        }
    }
    let request = start_instance(state, job, &payload);
    match state.dingtalk.workflow().start_instance(&request).await {
        Ok(id) => {
            tracing::info!(request_id = %job.request_id, instance_id = %id, "outbox: instance created");
            store.finish_outbox(&job.request_id, &delivered(id.clone()), now_ms()).await?;
            index_delivered(state, job, &id).await;
            Ok(())
        }
        Err(e) => {
            tracing::warn!(request_id = %job.request_id, error = %e, attempts = job.attempts + 1, "outbox: sending failed");
            match classify(e) {
                Outcome::Refused(failure) => {
                    store.finish_outbox(&job.request_id, &Fate::Failed(failure), now_ms()).await
                }
                Outcome::NotSent => retry(job.unknown_outcome).await,
                Outcome::Unknown => retry(true).await,
            }
        }
    }
}

/// Enters a created instance in the per-user index (`index.rs`), so that the originator's 已发起 shows it before
/// DingTalk's events arrive. It runs after the request recorded its instance, so 已发起 never lists both the
/// queued request and its instance. A failure here only delays the entry until the first event.
async fn index_delivered(state: &AppState, job: &OutboxJob, instance_id: &str) {
    if let Err(e) =
        crate::index::note_delivered(state, instance_id, &job.user_id, &job.process_code, job.created_at).await
    {
        tracing::warn!(request_id = %job.request_id, %instance_id, error = %e, "outbox: indexing the instance failed");
    }
}

/// The create call for a job.
fn start_instance(state: &AppState, job: &OutboxJob, p: &Payload) -> StartInstance {
    let approvers = p.approvers.as_ref().map(|steps| {
        steps
            .iter()
            .map(|s| ApproverNode {
                action_type: match s.mode {
                    ApprovalMode::All => ActionType::And,
                    ApprovalMode::Any => ActionType::Or,
                    ApprovalMode::Single => ActionType::None,
                },
                user_ids: s.user_ids.clone(),
            })
            .collect()
    });
    StartInstance {
        process_code: job.process_code.clone(),
        originator_user_id: job.user_id.clone(),
        dept_id: Some(p.dept_id),
        microapp_agent_id: state.settings.agent_id.parse().ok(),
        approvers,
        cc_list: p.cc.clone(),
        target_select_actioners: p
            .picks
            .iter()
            .map(|pick| TargetSelectActioner {
                actioner_key: pick.activity_id.clone(),
                actioner_user_ids: pick.user_ids.clone(),
            })
            .collect(),
        form_component_values: p
            .form
            .iter()
            .map(|v| FormValue { id: v.id.clone(), ..FormValue::new(&v.name, &v.value) })
            .collect(),
        ..StartInstance::default()
    }
}

/// Errors of the lookup after an unknown outcome.
#[derive(Debug, thiserror::Error)]
enum LookupError {
    #[error(transparent)]
    DingTalk(#[from] DtError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The instance an unanswered create call made for `job`, if any (the module's doc gives the rule).
async fn find_instance(state: &AppState, job: &OutboxJob, p: &Payload) -> Result<Option<String>, LookupError> {
    let since_ms = job.created_at - LOOKBACK_MS;
    let since = OffsetDateTime::from_unix_timestamp_nanos(i128::from(since_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut query = InstanceIdsQuery::new(&job.process_code, since);
    query.user_ids = vec![job.user_id.clone()];
    let workflow = state.dingtalk.workflow();
    loop {
        let page = workflow.list_instance_ids(&query).await?;
        for id in &page.list {
            if state.store.instance_taken(id).await? {
                continue;
            }
            let instance = workflow.get_instance(id).await?;
            if is_ours(&instance, job, p, since) {
                return Ok(Some(id.clone()));
            }
        }
        match page.next_token {
            Some(next) if !page.list.is_empty() => query.next_token = next,
            _ => return Ok(None),
        }
    }
}

/// Whether `instance` is the one `job` would have created.
fn is_ours(instance: &Instance, job: &OutboxJob, p: &Payload, since: OffsetDateTime) -> bool {
    instance.originator_user_id == job.user_id
        && instance.create_time >= since
        && p.form.iter().all(|sent| {
            instance.form_component_values.iter().any(|got| {
                let same_control = match &sent.id {
                    Some(id) if !got.id.is_empty() => &got.id == id,
                    _ => got.name == sent.name,
                };
                same_control && got.value == sent.value
            })
        })
}

/// Shared handle to the worker's settings.
pub type OutboxHandle = Arc<Outbox>;
