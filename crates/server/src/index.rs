//! The per-user index of approvals (待处理 / 已处理 / 已发起 / 抄送我), built from our submissions and DingTalk's
//! events.
//!
//! Three sources feed it, all merged forward only by the store (`store/index.rs`), so that duplicates and any
//! order leave the same index:
//! - [`apply`]: each stored `bpms_instance_change` / `bpms_task_change` event. Events carry neither the people copied
//!   nor the form, so an instance is read once with get-instance when we first hear of it and once after it ends
//!   (at most two calls per instance; duplicated events cost nothing);
//! - [`note_delivered`]: the outbox, the moment DingTalk created one of our requests, so the originator's 已发起
//!   shows it before any event arrives;
//! - [`spawn_backfill`]: a budgeted background task that re-reads instances nothing was heard of for too long, and
//!   looks for instances of the known templates we never heard of (`instanceIds/query`, then get-instance).
//!
//! Only standard-edition APIs are used (get-instance, instanceIds/query); the premium-only todo/done centre lists
//! (server-api.md §5) are not needed, since the index derives every box itself.

use std::collections::BTreeSet;
use std::time::Duration;

use dingtalk_client::events::{
    BpmsInstanceChange, BpmsTaskChange, EventType, InstanceChangeType, InstanceResult as EventInstanceResult,
    TaskChangeType, TaskResult as EventTaskResult,
};
use dingtalk_client::workflow::{Instance, InstanceIdsQuery, InstanceResult, InstanceStatus, TaskResult, TaskStatus};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use crate::AppState;
use crate::error::AppError;
use crate::events::StoredEvent;
use crate::outbox::now_ms;
use crate::store::{
    FactSource, IndexResult, IndexStatus, IndexedInstance, InstanceFacts, TaskFacts, TaskOutcome, TaskState,
};

/// Pages of `instanceIds/query` read per template in one discovery round (20 ids each).
const DISCOVERY_PAGES: usize = 10;

/// The backfill's budget and timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backfill {
    /// DingTalk calls the backfill may make per minute; 0 turns it off.
    pub calls_per_min: u32,
    /// How long an instance may go without news before it is read again; also the time between discovery rounds.
    pub quiet: Duration,
    /// How far back discovery looks for instances we never heard of.
    pub window: Duration,
}

/// Applies one stored event to the index. Applying the same event twice, or events out of order, leaves the index as
/// applying each once in order would.
pub async fn apply(state: &AppState, event: &StoredEvent) -> Result<(), AppError> {
    match EventType::from(event.event_type.as_str()) {
        EventType::InstanceChange => apply_instance(state, &payload(event)?).await,
        EventType::TaskChange => apply_task(state, event, &payload(event)?).await,
        EventType::UserLeaveOrg | EventType::Other(_) => Ok(()),
    }
}

/// The typed business fields of `event`.
fn payload<T: DeserializeOwned>(event: &StoredEvent) -> Result<T, AppError> {
    serde_json::from_value(serde_json::Value::Object(event.data.clone()))
        .map_err(|e| AppError::BadRequest(format!("unreadable {} event {}: {e}", event.event_type, event.event_id)))
}

/// Facts that only bump an instance's `touched_at` (and create a running placeholder when it is new).
fn bare(instance_id: &str) -> InstanceFacts {
    InstanceFacts {
        instance_id: instance_id.to_owned(),
        process_code: String::new(),
        title: String::new(),
        originator_id: String::new(),
        status: IndexStatus::Running,
        result: None,
        created_at: 0,
        finished_at: None,
        search_text: String::new(),
        source: FactSource::Event,
    }
}

async fn apply_instance(state: &AppState, e: &BpmsInstanceChange) -> Result<(), AppError> {
    let (status, result) = match e.kind {
        InstanceChangeType::Start => (IndexStatus::Running, None),
        InstanceChangeType::Finish => (
            IndexStatus::Completed,
            match e.result {
                Some(EventInstanceResult::Agree) => Some(IndexResult::Agree),
                Some(EventInstanceResult::Refuse) => Some(IndexResult::Refuse),
                _ => None,
            },
        ),
        InstanceChangeType::Terminate | InstanceChangeType::Delete => (IndexStatus::Terminated, None),
        InstanceChangeType::Unknown => return Ok(()),
    };
    let facts = InstanceFacts {
        process_code: e.process_code.clone().unwrap_or_default(),
        title: e.title.clone(),
        originator_id: e.staff_id.clone(),
        status,
        result,
        created_at: e.create_time.unwrap_or(0),
        finished_at: if status == IndexStatus::Running { None } else { e.finish_time },
        ..bare(&e.process_instance_id)
    };
    let merged = state.store.index_merge_instance(&facts, now_ms()).await?;
    settle(state, &merged).await?;
    // Read the instance when first heard of, and once more after it ended; never again for a duplicate.
    let needed = match status {
        IndexStatus::Running => merged.refreshed_at.is_none(),
        _ => !merged.refreshed_final,
    };
    if needed && let Err(e) = refresh(state, &merged.instance_id, &merged.process_code).await {
        // The backfill reads it again once it has been quiet for long enough.
        tracing::warn!(instance_id = %merged.instance_id, error = %e, "index: reading the instance failed");
    }
    Ok(())
}

async fn apply_task(state: &AppState, event: &StoredEvent, e: &BpmsTaskChange) -> Result<(), AppError> {
    let (task_state, result) = match e.kind {
        TaskChangeType::Start => (TaskState::Running, None),
        TaskChangeType::Finish => (
            TaskState::Completed,
            match e.result {
                Some(EventTaskResult::Agree) => Some(TaskOutcome::Agree),
                Some(EventTaskResult::Refuse) => Some(TaskOutcome::Refuse),
                Some(EventTaskResult::Redirect) => Some(TaskOutcome::Redirect),
                _ => None,
            },
        ),
        TaskChangeType::Cancel => (TaskState::Canceled, None),
        TaskChangeType::Unknown => return Ok(()),
    };
    let Some(task_id) = e.task_id else {
        // Old-format events name no task; the instance's next read brings its tasks.
        tracing::warn!(event_id = %event.event_id, "index: a task event without a taskId");
        return Ok(());
    };
    let placeholder = InstanceFacts {
        process_code: e.process_code.clone().unwrap_or_default(),
        title: e.title.clone(),
        created_at: e.create_time.unwrap_or(0),
        ..bare(&e.process_instance_id)
    };
    state.store.index_merge_instance(&placeholder, now_ms()).await?;
    let facts = TaskFacts {
        instance_id: e.process_instance_id.clone(),
        task_id,
        user_id: e.staff_id.clone(),
        state: task_state,
        result,
        created_at: (task_state == TaskState::Running).then_some(event.born_at),
        finished_at: if task_state == TaskState::Running { None } else { e.finish_time.or(Some(event.born_at)) },
        source: FactSource::Event,
    };
    state.store.index_merge_task(&facts).await?;
    Ok(())
}

/// Moves our own request of an ended instance to its end state.
async fn settle(state: &AppState, instance: &IndexedInstance) -> Result<(), AppError> {
    if instance.status != IndexStatus::Running {
        state.store.settle_request(&instance.instance_id, instance.state, now_ms()).await?;
    }
    Ok(())
}

/// Unix ms of a DingTalk time.
fn ms(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Reads the instance from DingTalk (one get-instance call) and merges all it says: status, title, form text for
/// keyword search, every task and everyone copied. `process_code` is what we know of its template (get-instance
/// does not say).
async fn refresh(state: &AppState, instance_id: &str, process_code: &str) -> Result<(), AppError> {
    let instance = state.dingtalk.workflow().get_instance(instance_id).await?;
    merge_read(state, instance_id, process_code, &instance).await
}

/// Merges a get-instance answer.
async fn merge_read(state: &AppState, instance_id: &str, process_code: &str, i: &Instance) -> Result<(), AppError> {
    let (status, result) = match i.status {
        InstanceStatus::Completed => (
            IndexStatus::Completed,
            match i.result {
                Some(InstanceResult::Agree) => Some(IndexResult::Agree),
                Some(InstanceResult::Refuse) => Some(IndexResult::Refuse),
                _ => None,
            },
        ),
        InstanceStatus::Terminated | InstanceStatus::Canceled => (IndexStatus::Terminated, None),
        _ => (IndexStatus::Running, None),
    };
    let mut search = i.title.clone();
    for value in &i.form_component_values {
        search.push('\n');
        search.push_str(&value.name);
        search.push('\n');
        search.push_str(&value.value);
    }
    let facts = InstanceFacts {
        instance_id: instance_id.to_owned(),
        process_code: process_code.to_owned(),
        title: i.title.clone(),
        originator_id: i.originator_user_id.clone(),
        status,
        result,
        created_at: ms(i.create_time),
        finished_at: if status == IndexStatus::Running { None } else { i.finish_time.map(ms) },
        search_text: search.to_lowercase(),
        source: FactSource::Read,
    };
    let merged = state.store.index_merge_instance(&facts, now_ms()).await?;
    for task in &i.tasks {
        let (task_state, outcome) = match task.status {
            TaskStatus::Running | TaskStatus::Paused => (TaskState::Running, None),
            TaskStatus::Completed => (
                TaskState::Completed,
                match task.result {
                    Some(TaskResult::Agree) => Some(TaskOutcome::Agree),
                    Some(TaskResult::Refuse) => Some(TaskOutcome::Refuse),
                    Some(TaskResult::Redirected) => Some(TaskOutcome::Redirect),
                    _ => None,
                },
            ),
            TaskStatus::Canceled | TaskStatus::Terminated => (TaskState::Canceled, None),
            // Not yet the approver's turn, or a state we cannot place: the events or the next read bring it.
            TaskStatus::New | TaskStatus::Unknown => continue,
        };
        let facts = TaskFacts {
            instance_id: instance_id.to_owned(),
            task_id: task.task_id,
            user_id: task.user_id.clone(),
            state: task_state,
            result: outcome,
            created_at: task.create_time.map(ms),
            finished_at: if task_state == TaskState::Running { None } else { task.finish_time.map(ms) },
            source: FactSource::Read,
        };
        state.store.index_merge_task(&facts).await?;
    }
    let cc: BTreeSet<String> = i
        .cc_user_ids
        .iter()
        .chain(i.operation_records.iter().flat_map(|r| r.cc_user_ids.iter()))
        .filter(|u| !u.is_empty())
        .cloned()
        .collect();
    state.store.index_add_cc(instance_id, &cc.into_iter().collect::<Vec<_>>()).await?;
    settle(state, &merged).await
}

/// Enters an instance the outbox just created for one of our requests: running, its originator and template known,
/// so that 已发起 shows it at once. The start event (and its read) fills in the rest.
pub async fn note_delivered(
    state: &AppState,
    instance_id: &str,
    originator_id: &str,
    process_code: &str,
    created_at: i64,
) -> Result<(), AppError> {
    let facts = InstanceFacts {
        process_code: process_code.to_owned(),
        originator_id: originator_id.to_owned(),
        created_at,
        source: FactSource::Ours,
        ..bare(instance_id)
    };
    // An event may have ended it already (a fast approver): the request follows.
    let merged = state.store.index_merge_instance(&facts, now_ms()).await?;
    settle(state, &merged).await
}

/// Starts the backfill on the current runtime (one per process): every `60 s / calls_per_min` it may make one
/// DingTalk call, first re-reading the instance quiet the longest (running, or ended but never read after its
/// end), and, once per quiet period, looking for instances of the known templates that the index lacks.
pub fn spawn_backfill(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let budget = state.settings.backfill;
        if budget.calls_per_min == 0 {
            return;
        }
        let pace = Duration::from_secs(60) / budget.calls_per_min;
        let quiet_ms = i64::try_from(budget.quiet.as_millis()).unwrap_or(i64::MAX);
        let mut next_discovery = tokio::time::Instant::now() + budget.quiet;
        loop {
            tokio::time::sleep(pace).await;
            match state.store.index_needing_refresh(now_ms().saturating_sub(quiet_ms), 1).await {
                Ok(stale) if !stale.is_empty() => {
                    for instance in stale {
                        reread(&state, &instance.instance_id, &instance.process_code).await;
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "backfill: reading the index failed"),
            }
            if tokio::time::Instant::now() >= next_discovery {
                discover(&state, budget.window, pace).await;
                next_discovery = tokio::time::Instant::now() + budget.quiet;
            }
        }
    })
}

/// One backfill read; a failure still counts as news, so that one broken instance does not use the whole budget.
async fn reread(state: &AppState, instance_id: &str, process_code: &str) {
    if let Err(e) = refresh(state, instance_id, process_code).await {
        tracing::warn!(%instance_id, error = %e, "backfill: reading the instance failed");
        if let Err(e) = state.store.index_merge_instance(&bare(instance_id), now_ms()).await {
            tracing::error!(%instance_id, error = %e, "backfill: touching the instance failed");
        }
    }
}

/// Looks for instances of every known template started within `window` that the index lacks, and reads them; one
/// call per `pace`.
async fn discover(state: &AppState, window: Duration, pace: Duration) {
    let codes = match state.store.index_process_codes().await {
        Ok(codes) => codes,
        Err(e) => return tracing::error!(error = %e, "backfill: listing templates failed"),
    };
    let since = OffsetDateTime::now_utc() - window;
    for code in codes {
        let mut query = InstanceIdsQuery::new(&code, since);
        for _ in 0..DISCOVERY_PAGES {
            tokio::time::sleep(pace).await;
            let page = match state.dingtalk.workflow().list_instance_ids(&query).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(process_code = %code, error = %e, "backfill: listing instances failed");
                    break;
                }
            };
            for id in &page.list {
                match state.store.index_instance(id).await {
                    Ok(Some(_)) => {}
                    Ok(None) => {
                        tokio::time::sleep(pace).await;
                        reread(state, id, &code).await;
                    }
                    Err(e) => tracing::error!(error = %e, "backfill: reading the index failed"),
                }
            }
            match page.next_token {
                Some(next) if !page.list.is_empty() => query.next_token = next,
                _ => break,
            }
        }
    }
}
