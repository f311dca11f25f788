//! The approval engine: instances, their tasks and operation records, and every transition DingTalk makes —
//! start, agree, refuse, transfer, revoke, comment — with the events each one raises (events.md §2).
//!
//! Rules (server-api.md §5, §8): steps run in order; an AND step starts a task per approver and needs every one to
//! agree; an OR step starts them all and the first action cancels the others; a NONE step has one approver. A
//! refusal ends the instance (`COMPLETED`/`refuse`). Revoking (`terminate`) is refused within 15 s of the start and
//! once the instance has ended. The flow is resolved when the instance starts, as DingTalk's forecast shows it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::events::{Event, EventType};
use crate::forms::StoredValue;
use crate::org::Org;
use crate::templates::{ActionType, CcPosition, FlowCc, StepApprovers, Template};

/// The emulator refuses to revoke an instance younger than this (server-api.md §5.8).
pub const TERMINATE_GRACE_MS: i64 = 15_000;
/// Approval steps an instance may have (server-api.md §5.1).
pub const MAX_STEPS: usize = 20;
/// The first task id; DingTalk's are large int64s.
const FIRST_TASK_ID: i64 = 64_000_000_001;

/// Instance status (server-api.md §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstanceStatus {
    /// Waiting for approvers.
    Running,
    /// Revoked by the originator (or the system).
    Terminated,
    /// Ended with a result.
    Completed,
}

/// Instance result, lower case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceResult {
    /// Approved.
    Agree,
    /// Refused.
    Refuse,
}

/// Task status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    /// Waiting for its approver.
    Running,
    /// Acted on (agreed, refused or transferred).
    Completed,
    /// Cancelled: another approver of an OR step acted, the instance was refused or revoked.
    Canceled,
}

/// Task result, upper case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskResult {
    /// No decision (running or cancelled).
    None,
    /// Agreed.
    Agree,
    /// Refused.
    Refuse,
    /// Transferred to someone else.
    Redirected,
}

/// Operation record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationType {
    /// The originator started the instance.
    StartProcessInstance,
    /// An approver agreed or refused.
    ExecuteTaskNormal,
    /// An approver transferred the task.
    RedirectTask,
    /// The originator revoked the instance.
    TerminateProcessInstance,
    /// Someone commented.
    AddRemark,
    /// People were copied.
    ProcessCc,
}

/// Operation record result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationResult {
    /// Agreed.
    Agree,
    /// Refused.
    Refuse,
    /// Anything else.
    None,
}

/// A file attached to an action or a comment, as `file.attachments[]` carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// Approval space id.
    pub space_id: String,
    /// File id in the space.
    pub file_id: String,
    /// Name.
    pub file_name: String,
    /// Size in bytes (a string in DingTalk's requests).
    pub file_size: String,
    /// Extension, e.g. `pdf`.
    pub file_type: String,
}

/// Photos and files sent with an action or a comment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionFile {
    /// Photo URLs.
    #[serde(default)]
    pub photos: Vec<String>,
    /// Files from the approval space.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// One approval step of a running instance, its approvers resolved.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// `activityId` of its tasks.
    pub activity_id: String,
    /// Its name.
    pub name: String,
    /// AND, OR or NONE.
    pub action_type: ActionType,
    /// Approvers in order.
    pub user_ids: Vec<String>,
}

/// A task: one approver's part in one step.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// int64 id.
    pub task_id: i64,
    /// The approver.
    pub user_id: String,
    /// Status.
    pub status: TaskStatus,
    /// Result.
    pub result: TaskResult,
    /// Created (ms).
    pub create_ms: i64,
    /// Finished (ms).
    pub finish_ms: Option<i64>,
    /// The step's activity id.
    pub activity_id: String,
    /// Index of the step.
    pub step: usize,
}

/// An entry of the instance's history.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationRecord {
    /// Who.
    pub user_id: String,
    /// When (ms).
    pub date_ms: i64,
    /// What.
    pub op_type: OperationType,
    /// With which result.
    pub result: OperationResult,
    /// Comment text.
    pub remark: String,
    /// The step's name, where a step is concerned.
    pub show_name: String,
    /// The step's activity id.
    pub activity_id: String,
    /// People copied (PROCESS_CC).
    pub cc_user_ids: Vec<String>,
    /// Photos.
    pub images: Vec<String>,
    /// Files.
    pub attachments: Vec<Attachment>,
}

/// An approval instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    /// `processInstanceId`.
    pub id: String,
    /// The template.
    pub process_code: String,
    /// Suite category (for events).
    pub biz_category_id: String,
    /// `张三提交的请假`.
    pub title: String,
    /// 审批编号, `yyyyMMddHHmm` + 6 digits.
    pub business_id: String,
    /// Who submitted.
    pub originator_user_id: String,
    /// On behalf of which department (-1 = root).
    pub originator_dept_id: i64,
    /// That department's name.
    pub originator_dept_name: String,
    /// Started (ms).
    pub create_ms: i64,
    /// Ended (ms).
    pub finish_ms: Option<i64>,
    /// Status.
    pub status: InstanceStatus,
    /// Result once completed.
    pub result: Option<InstanceResult>,
    /// Checked form values.
    pub form_values: Vec<StoredValue>,
    /// Approvers the caller named (`approvers`), flattened.
    pub approver_user_ids: Vec<String>,
    /// People copied.
    pub cc_user_ids: Vec<String>,
    /// When they are copied.
    pub cc_position: Option<CcPosition>,
    /// Resolved steps.
    pub steps: Vec<Step>,
    /// Tasks in creation order.
    pub tasks: Vec<Task>,
    /// History in order.
    pub records: Vec<OperationRecord>,
}

/// Why the engine refused an operation; the route turns it into DingTalk's error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct EngineError {
    /// DingTalk's v1.0 error code.
    pub code: &'static str,
    /// Its message.
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> EngineError {
    EngineError { code, message: message.into() }
}

/// Approvers a caller passes instead of the template flow.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApproverNode {
    /// AND, OR or NONE.
    pub action_type: ActionType,
    /// The approvers.
    pub user_ids: Vec<String>,
}

/// Approvers the originator picked for a template's "originator picks" step.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetSelectActioner {
    /// The step's key (its activity id, as the forecast gives it).
    pub actioner_key: String,
    /// The people picked.
    pub actioner_user_ids: Vec<String>,
}

/// A create call, its form values already checked.
#[derive(Debug, Clone)]
pub struct NewInstance {
    /// The template.
    pub process_code: String,
    /// Who submits.
    pub originator_user_id: String,
    /// On behalf of which department; `None` = the originator's main one.
    pub dept_id: Option<i64>,
    /// Explicit approvers (override the template flow).
    pub approvers: Option<Vec<ApproverNode>>,
    /// Explicit CC (only with explicit approvers).
    pub cc_list: Vec<String>,
    /// When to copy them.
    pub cc_position: Option<CcPosition>,
    /// Picks for the template's "originator picks" steps.
    pub target_select_actioners: Vec<TargetSelectActioner>,
    /// The checked form.
    pub form_values: Vec<StoredValue>,
}

/// A step as the forecast shows it: resolved approvers, or the range an originator must pick from.
#[derive(Debug, Clone)]
pub struct ForecastStep {
    /// The step's activity id (also the `actionerKey` for picks).
    pub activity_id: String,
    /// Its name.
    pub name: String,
    /// AND, OR or NONE.
    pub action_type: ActionType,
    /// Resolved approvers (empty for a pick step).
    pub user_ids: Vec<String>,
    /// For a pick step: whom the originator may pick from (empty = anyone).
    pub pick_from: Option<Vec<String>>,
}

/// A file in an approval space.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceFile {
    /// Space id.
    pub space_id: String,
    /// File id.
    pub file_id: String,
    /// Name.
    pub file_name: String,
    /// Size in bytes.
    pub file_size: i64,
    /// Extension.
    pub file_type: String,
    /// Who uploaded it.
    pub user_id: String,
}

/// Every instance and approval space of the organisation.
pub struct Approvals {
    /// The organisation's templates.
    pub templates: Vec<Template>,
    instances: Vec<Instance>,
    by_id: HashMap<String, usize>,
    next_task_id: i64,
    next_business_seq: u32,
    spaces: HashMap<String, String>,
    files: Vec<SpaceFile>,
    staged: HashMap<String, StagedUpload>,
    next_upload: u64,
}

/// A server-side upload between `uploadInfos/query` and `commit` (DingTalk Drive's storage API).
#[derive(Debug, Clone)]
pub struct StagedUpload {
    /// The space it goes into.
    pub space_id: String,
    /// Who uploads.
    pub user_id: String,
    /// The name announced in `preCheckParam`.
    pub name: String,
    /// The size announced in `preCheckParam`.
    pub size: i64,
    /// The bytes PUT to the upload URL, once they came.
    pub received: Option<i64>,
    /// When the upload URL stops working.
    pub expires_ms: i64,
}

impl Approvals {
    /// No instances yet, over these templates.
    pub fn new(templates: Vec<Template>) -> Self {
        Self {
            templates,
            instances: Vec::new(),
            by_id: HashMap::new(),
            next_task_id: FIRST_TASK_ID,
            next_business_seq: 1,
            spaces: HashMap::new(),
            files: Vec::new(),
            staged: HashMap::new(),
            next_upload: 1,
        }
    }

    /// A template by process code.
    pub fn template(&self, process_code: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.process_code == process_code)
    }

    /// An instance by id.
    pub fn instance(&self, id: &str) -> Option<&Instance> {
        self.by_id.get(id).map(|&i| &self.instances[i])
    }

    /// Every instance, oldest first.
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// Finds a task and its instance.
    pub fn task(&self, task_id: i64) -> Option<(&Instance, &Task)> {
        self.instances.iter().find_map(|i| i.tasks.iter().find(|t| t.task_id == task_id).map(|t| (i, t)))
    }

    /// A user's running tasks, oldest first, with their instances.
    pub fn running_tasks(&self, user_id: &str) -> Vec<(&Instance, &Task)> {
        let mut tasks: Vec<_> = self
            .instances
            .iter()
            .flat_map(|i| i.tasks.iter().map(move |t| (i, t)))
            .filter(|(_, t)| t.user_id == user_id && t.status == TaskStatus::Running)
            .collect();
        tasks.sort_by_key(|(_, t)| (t.create_ms, t.task_id));
        tasks
    }

    /// The approval space of a user, created on first use; ids are numeric strings.
    pub fn space_of(&mut self, user_id: &str) -> String {
        let next = format!("{}", 20_000_000_001_i64 + self.spaces.len() as i64);
        self.spaces.entry(user_id.to_owned()).or_insert(next).clone()
    }

    /// Stores an uploaded file in the uploader's approval space.
    pub fn upload(&mut self, user_id: &str, file_name: &str, file_size: i64, file_type: &str) -> SpaceFile {
        let space_id = self.space_of(user_id);
        let file = SpaceFile {
            space_id,
            file_id: format!("{}", 90_000_000_001_i64 + self.files.len() as i64),
            file_name: file_name.to_owned(),
            file_size,
            file_type: file_type.to_owned(),
            user_id: user_id.to_owned(),
        };
        self.files.push(file.clone());
        file
    }

    /// The owner of an approval space, if it exists.
    pub fn space_owner(&self, space_id: &str) -> Option<&str> {
        self.spaces.iter().find(|(_, s)| s.as_str() == space_id).map(|(u, _)| u.as_str())
    }

    /// Starts a server-side upload into `space_id`; its upload key.
    pub fn stage(&mut self, upload: StagedUpload) -> String {
        let key = format!("emu-upload-{:08}", self.next_upload);
        self.next_upload += 1;
        self.staged.insert(key.clone(), upload);
        key
    }

    /// A staged upload by key.
    pub fn staged(&mut self, key: &str) -> Option<&mut StagedUpload> {
        self.staged.get_mut(key)
    }

    /// Ends a staged upload (committed or abandoned).
    pub fn unstage(&mut self, key: &str) -> Option<StagedUpload> {
        self.staged.remove(key)
    }

    /// A stored file by its id alone.
    pub fn file_by_id(&self, file_id: &str) -> Option<&SpaceFile> {
        self.files.iter().find(|f| f.file_id == file_id)
    }

    /// A stored file.
    pub fn file(&self, space_id: &str, file_id: &str) -> Option<&SpaceFile> {
        self.files.iter().find(|f| f.space_id == space_id && f.file_id == file_id)
    }

    /// The steps an instance of `template` started by `originator` would run, as DingTalk's forecast shows them.
    pub fn forecast(
        &self,
        org: &Org,
        template: &Template,
        originator: &str,
        form: &[StoredValue],
    ) -> Vec<ForecastStep> {
        let mut steps = Vec::new();
        for step in &template.flow.steps {
            if let Some(condition) = &step.condition {
                let value = form
                    .iter()
                    .find(|v| v.id == condition.field_id)
                    .and_then(|v| v.value.trim().parse::<f64>().ok())
                    .unwrap_or(0.0);
                if value < condition.at_least {
                    continue;
                }
            }
            let (user_ids, pick_from) = match &step.approvers {
                StepApprovers::Manager { level } => (manager_at(org, originator, *level).into_iter().collect(), None),
                StepApprovers::Users { user_ids } => {
                    (user_ids.iter().filter(|u| org.member(u).is_some()).cloned().collect(), None)
                }
                StepApprovers::OriginatorPicks { scope } => (Vec::new(), Some(scope.clone())),
            };
            steps.push(ForecastStep {
                activity_id: step.activity_id.clone(),
                name: step.name.clone(),
                action_type: step.action_type,
                user_ids,
                pick_from,
            });
        }
        steps
    }

    /// Starts an instance: checks the originator, department and approvers, resolves the flow, creates the first
    /// step's tasks and raises the events.
    pub fn start(&mut self, org: &Org, req: NewInstance, now_ms: i64) -> Result<(String, Vec<Event>), EngineError> {
        let template =
            self.template(&req.process_code).cloned().ok_or_else(|| refuse("processCodeError", "模板不存在"))?;
        let originator = org
            .member(&req.originator_user_id)
            .ok_or_else(|| refuse("userNotExist", format!("发起人 {} 不存在", req.originator_user_id)))?
            .clone();
        let dept_id = match req.dept_id {
            None => originator.dept_ids.first().copied().unwrap_or(1),
            Some(-1) => -1,
            Some(d) if originator.dept_ids.contains(&d) => d,
            Some(d) => return Err(refuse("processInstanceInvalidParameter", format!("发起人不在部门 {d} 中"))),
        };
        let root = org.departments.iter().find(|d| d.parent_id.is_none());
        let dept_name = org
            .departments
            .iter()
            .find(|d| d.dept_id == dept_id)
            .or(if dept_id == -1 { root } else { None })
            .map(|d| d.name.clone())
            .unwrap_or_default();

        let (steps, approver_user_ids, cc_user_ids, cc_position) = match &req.approvers {
            Some(nodes) => {
                let steps = explicit_steps(org, nodes)?;
                for cc in &req.cc_list {
                    if org.member(cc).is_none() {
                        return Err(refuse("processInstanceInvalidParameter", format!("抄送人 {cc} 不存在")));
                    }
                }
                if req.cc_list.len() > 50 {
                    return Err(refuse("processInstanceInvalidParameter", "抄送人最多 50 人"));
                }
                let flat = nodes.iter().flat_map(|n| n.user_ids.iter().cloned()).collect();
                let position = (!req.cc_list.is_empty()).then(|| req.cc_position.unwrap_or(CcPosition::Start));
                (steps, flat, req.cc_list.clone(), position)
            }
            None => {
                let steps = self.template_steps(org, &template, &originator.user_id, &req)?;
                let (cc, position) = match &template.flow.cc {
                    Some(cc) => {
                        let copied = template_cc(org, cc, &req.target_select_actioners)?;
                        let position = (!copied.is_empty()).then_some(cc.position);
                        (copied, position)
                    }
                    None => (Vec::new(), None),
                };
                (steps, Vec::new(), cc, position)
            }
        };

        let id = instance_id();
        let business_id = format!("{}{:06}", business_stamp(now_ms), self.next_business_seq);
        self.next_business_seq += 1;
        let mut instance = Instance {
            id: id.clone(),
            process_code: template.process_code.clone(),
            biz_category_id: template.biz_category_id.clone(),
            title: format!("{}提交的{}", originator.name, template.name),
            business_id,
            originator_user_id: originator.user_id.clone(),
            originator_dept_id: dept_id,
            originator_dept_name: dept_name,
            create_ms: now_ms,
            finish_ms: None,
            status: InstanceStatus::Running,
            result: None,
            form_values: req.form_values,
            approver_user_ids,
            cc_user_ids,
            cc_position,
            steps,
            tasks: Vec::new(),
            records: Vec::new(),
        };
        let mut events = Vec::new();
        let corp = org.corp.corp_id.clone();
        instance.record(&instance.originator_user_id.clone(), now_ms, OperationType::StartProcessInstance, "");
        events.push(instance_event(&corp, &instance, "start", now_ms));
        if matches!(instance.cc_position, Some(CcPosition::Start | CcPosition::StartFinish)) {
            instance.record_cc(now_ms);
        }
        self.by_id.insert(id.clone(), self.instances.len());
        self.instances.push(instance);
        let index = self.instances.len() - 1;
        self.advance(index, 0, now_ms, &corp, &mut events);
        Ok((id, events))
    }

    fn template_steps(
        &self,
        org: &Org,
        template: &Template,
        originator: &str,
        req: &NewInstance,
    ) -> Result<Vec<Step>, EngineError> {
        let mut steps = Vec::new();
        for forecast in self.forecast(org, template, originator, &req.form_values) {
            let user_ids = match &forecast.pick_from {
                None => forecast.user_ids,
                Some(scope) => {
                    let node = format!("审批节点「{}」", forecast.name);
                    let picked = checked_picks(org, &req.target_select_actioners, &forecast.activity_id, scope, &node)?;
                    if picked.is_empty() {
                        return Err(refuse(
                            "targetSelectApproverMissing",
                            format!("请为{node}({}) 选择审批人", forecast.activity_id),
                        ));
                    }
                    picked.to_vec()
                }
            };
            // A step nobody can approve (no manager that high, everyone left) is skipped, as DingTalk's default
            // "找不到审批人时自动通过" setting does.
            if user_ids.is_empty() {
                continue;
            }
            let action_type = if user_ids.len() == 1 { ActionType::None } else { forecast.action_type };
            steps.push(Step { activity_id: forecast.activity_id, name: forecast.name, action_type, user_ids });
        }
        Ok(steps)
    }

    /// Starts step `step` of instance `index`, or completes the instance (agree) when no step is left.
    fn advance(&mut self, index: usize, step: usize, now_ms: i64, corp: &str, events: &mut Vec<Event>) {
        let Some(next) = self.instances[index].steps.get(step).cloned() else {
            self.finish(index, InstanceResult::Agree, now_ms, corp, events);
            return;
        };
        // A NONE step has one approver; AND and OR steps start everyone's task at once.
        let first: Vec<String> = match next.action_type {
            ActionType::None => next.user_ids.iter().take(1).cloned().collect(),
            ActionType::And | ActionType::Or => next.user_ids.clone(),
        };
        for user_id in first {
            let task_id = self.next_task_id;
            self.next_task_id += 1;
            let instance = &mut self.instances[index];
            let task = Task {
                task_id,
                user_id,
                status: TaskStatus::Running,
                result: TaskResult::None,
                create_ms: now_ms,
                finish_ms: None,
                activity_id: next.activity_id.clone(),
                step,
            };
            events.push(task_event(corp, instance, &task, "start", None, now_ms));
            instance.tasks.push(task);
        }
    }

    fn finish(&mut self, index: usize, result: InstanceResult, now_ms: i64, corp: &str, events: &mut Vec<Event>) {
        let instance = &mut self.instances[index];
        instance.status = InstanceStatus::Completed;
        instance.result = Some(result);
        instance.finish_ms = Some(now_ms);
        if matches!(instance.cc_position, Some(CcPosition::Finish | CcPosition::StartFinish)) {
            instance.record_cc(now_ms);
        }
        events.push(instance_event(corp, instance, "finish", now_ms));
    }

    fn running_task_index(&self, task_id: i64) -> Result<(usize, usize), EngineError> {
        for (i, instance) in self.instances.iter().enumerate() {
            if let Some(t) = instance.tasks.iter().position(|t| t.task_id == task_id) {
                if instance.status != InstanceStatus::Running {
                    return Err(refuse("aflowProcessInstStatusException", "审批实例已结束"));
                }
                if instance.tasks[t].status != TaskStatus::Running {
                    return Err(refuse("aflowProcessInstCanNotBeExecuted", "任务已处理或已取消"));
                }
                return Ok((i, t));
            }
        }
        Err(refuse("invalidInstanceExecuteTaskId", format!("任务 {task_id} 不存在")))
    }

    /// An approver agrees or refuses (`processInstances/execute`).
    #[allow(clippy::too_many_arguments)]
    pub fn execute(
        &mut self,
        org: &Org,
        instance_id: &str,
        task_id: i64,
        actioner: &str,
        agree: bool,
        remark: &str,
        file: &ActionFile,
        now_ms: i64,
    ) -> Result<Vec<Event>, EngineError> {
        if org.member(actioner).is_none() {
            return Err(refuse("userNotExist", format!("用户 {actioner} 不存在")));
        }
        let (index, t) = self.running_task_index(task_id)?;
        if self.instances[index].id != instance_id {
            return Err(refuse("invalidInstanceExecuteTaskId", format!("任务 {task_id} 不属于审批实例 {instance_id}")));
        }
        if self.instances[index].tasks[t].user_id != actioner {
            return Err(refuse("invalidInstanceExecuteActionerUserId", format!("{actioner} 不是该任务的审批人")));
        }
        let corp = org.corp.corp_id.clone();
        let mut events = Vec::new();
        let instance = &mut self.instances[index];
        let task = &mut instance.tasks[t];
        task.status = TaskStatus::Completed;
        task.result = if agree { TaskResult::Agree } else { TaskResult::Refuse };
        task.finish_ms = Some(now_ms);
        let task = task.clone();
        let step = instance.steps[task.step].clone();
        instance.records.push(OperationRecord {
            user_id: actioner.to_owned(),
            date_ms: now_ms,
            op_type: OperationType::ExecuteTaskNormal,
            result: if agree { OperationResult::Agree } else { OperationResult::Refuse },
            remark: remark.to_owned(),
            show_name: step.name.clone(),
            activity_id: step.activity_id.clone(),
            cc_user_ids: Vec::new(),
            images: file.photos.clone(),
            attachments: file.attachments.clone(),
        });
        let result = if agree { "agree" } else { "refuse" };
        events.push(task_event(&corp, instance, &task, "finish", Some((result, remark)), now_ms));

        if !agree {
            instance.cancel_running(now_ms, &corp, &mut events);
            self.finish(index, InstanceResult::Refuse, now_ms, &corp, &mut events);
            return Ok(events);
        }
        let step_done = match step.action_type {
            ActionType::Or => {
                instance.cancel_running(now_ms, &corp, &mut events);
                true
            }
            ActionType::And => !instance.tasks.iter().any(|x| x.step == task.step && x.status == TaskStatus::Running),
            ActionType::None => true,
        };
        if step_done {
            self.advance(index, task.step + 1, now_ms, &corp, &mut events);
        }
        Ok(events)
    }

    /// An approver hands the task to someone else (`tasks/redirect`).
    pub fn redirect(
        &mut self,
        org: &Org,
        task_id: i64,
        to_user: &str,
        operator: &str,
        remark: &str,
        now_ms: i64,
    ) -> Result<Vec<Event>, EngineError> {
        let (index, t) = self.running_task_index(task_id)?;
        let instance = &self.instances[index];
        let task = instance.tasks[t].clone();
        if task.user_id != operator {
            return Err(refuse("invalidOperateUserId", format!("{operator} 不是该任务的审批人")));
        }
        if org.member(to_user).is_none() {
            return Err(refuse("userNotExist", format!("转交对象 {to_user} 不存在")));
        }
        if to_user == operator
            || instance
                .tasks
                .iter()
                .any(|x| x.step == task.step && x.user_id == to_user && x.status == TaskStatus::Running)
        {
            return Err(refuse("invalidToUserId", format!("{to_user} 已是该节点的审批人")));
        }
        let corp = org.corp.corp_id.clone();
        let mut events = Vec::new();
        let new_id = self.next_task_id;
        self.next_task_id += 1;
        let instance = &mut self.instances[index];
        let old = &mut instance.tasks[t];
        old.status = TaskStatus::Completed;
        old.result = TaskResult::Redirected;
        old.finish_ms = Some(now_ms);
        let old = old.clone();
        let step = instance.steps[task.step].clone();
        let mut record = OperationRecord::new(operator, now_ms, OperationType::RedirectTask, remark);
        record.show_name = step.name.clone();
        record.activity_id = step.activity_id.clone();
        instance.records.push(record);
        events.push(task_event(&corp, instance, &old, "finish", Some(("redirect", remark)), now_ms));
        let new = Task {
            task_id: new_id,
            user_id: to_user.to_owned(),
            status: TaskStatus::Running,
            result: TaskResult::None,
            create_ms: now_ms,
            finish_ms: None,
            activity_id: old.activity_id.clone(),
            step: old.step,
        };
        events.push(task_event(&corp, instance, &new, "start", None, now_ms));
        instance.tasks.push(new);
        Ok(events)
    }

    /// The originator (or the system) revokes a running instance (`processInstances/terminate`).
    pub fn terminate(
        &mut self,
        org: &Org,
        instance_id: &str,
        is_system: bool,
        operator: Option<&str>,
        remark: &str,
        now_ms: i64,
    ) -> Result<Vec<Event>, EngineError> {
        let index = *self.by_id.get(instance_id).ok_or_else(not_found)?;
        let instance = &mut self.instances[index];
        let operator = match (is_system, operator) {
            (true, _) => instance.originator_user_id.clone(),
            (false, Some(op)) if op == instance.originator_user_id => op.to_owned(),
            (false, _) => {
                return Err(refuse("invalidInstanceTerminateOperatingUserId", "只有发起人可以撤销审批"));
            }
        };
        if instance.status != InstanceStatus::Running {
            return Err(refuse("aflowProcessInstStatusException", "审批实例已结束，不能撤销"));
        }
        if now_ms - instance.create_ms < TERMINATE_GRACE_MS {
            return Err(refuse("aflowProcessInstStatusException", "审批实例刚发起，请 15 秒后再撤销"));
        }
        let corp = org.corp.corp_id.clone();
        let mut events = Vec::new();
        instance.cancel_running(now_ms, &corp, &mut events);
        instance.status = InstanceStatus::Terminated;
        instance.result = None;
        instance.finish_ms = Some(now_ms);
        instance.records.push(OperationRecord::new(&operator, now_ms, OperationType::TerminateProcessInstance, remark));
        events.push(instance_event(&corp, instance, "terminate", now_ms));
        Ok(events)
    }

    /// Someone comments (`processInstances/comments`); allowed in any state, raises no event.
    pub fn comment(
        &mut self,
        org: &Org,
        instance_id: &str,
        user_id: &str,
        text: &str,
        file: &ActionFile,
        now_ms: i64,
    ) -> Result<(), EngineError> {
        if org.member(user_id).is_none() {
            return Err(refuse("userNotExist", format!("用户 {user_id} 不存在")));
        }
        let index = *self.by_id.get(instance_id).ok_or_else(not_found)?;
        let mut record = OperationRecord::new(user_id, now_ms, OperationType::AddRemark, text);
        record.images = file.photos.clone();
        record.attachments = file.attachments.clone();
        self.instances[index].records.push(record);
        Ok(())
    }
}

/// The error for an unknown instance id.
pub fn not_found() -> EngineError {
    refuse("processInstanceNotExist", "审批实例不存在")
}

impl OperationRecord {
    fn new(user_id: &str, date_ms: i64, op_type: OperationType, remark: &str) -> Self {
        Self {
            user_id: user_id.to_owned(),
            date_ms,
            op_type,
            result: OperationResult::None,
            remark: remark.to_owned(),
            show_name: String::new(),
            activity_id: String::new(),
            cc_user_ids: Vec::new(),
            images: Vec::new(),
            attachments: Vec::new(),
        }
    }
}

impl Instance {
    fn record(&mut self, user_id: &str, now_ms: i64, op_type: OperationType, remark: &str) {
        self.records.push(OperationRecord::new(user_id, now_ms, op_type, remark));
    }

    fn record_cc(&mut self, now_ms: i64) {
        if self.cc_user_ids.is_empty() {
            return;
        }
        let mut record = OperationRecord::new(&self.originator_user_id, now_ms, OperationType::ProcessCc, "");
        record.cc_user_ids = self.cc_user_ids.clone();
        self.records.push(record);
    }

    /// Cancels every running task (OR step decided, refusal, revocation), raising `cancel` task events.
    fn cancel_running(&mut self, now_ms: i64, corp: &str, events: &mut Vec<Event>) {
        for i in 0..self.tasks.len() {
            if self.tasks[i].status == TaskStatus::Running {
                self.tasks[i].status = TaskStatus::Canceled;
                self.tasks[i].finish_ms = Some(now_ms);
                let task = self.tasks[i].clone();
                events.push(task_event(corp, self, &task, "cancel", None, now_ms));
            }
        }
    }

    /// Whether `user_id` may see this instance: originator, an approver, or copied.
    pub fn involves(&self, user_id: &str) -> bool {
        self.originator_user_id == user_id
            || self.tasks.iter().any(|t| t.user_id == user_id)
            || self.cc_user_ids.iter().any(|c| c == user_id)
    }
}

fn explicit_steps(org: &Org, nodes: &[ApproverNode]) -> Result<Vec<Step>, EngineError> {
    if nodes.is_empty() || nodes.len() > MAX_STEPS {
        return Err(refuse("processInstanceInvalidParameter", format!("审批节点数须在 1 到 {MAX_STEPS} 之间")));
    }
    let mut steps = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let count = node.user_ids.len();
        let ok = match node.action_type {
            ActionType::None => count == 1,
            ActionType::And | ActionType::Or => (2..=MAX_STEPS).contains(&count),
        };
        if !ok {
            return Err(refuse(
                "processInstanceInvalidParameter",
                format!(
                    "第 {} 个审批节点：{:?} 需要{}",
                    i + 1,
                    node.action_type,
                    match node.action_type {
                        ActionType::None => "恰好 1 名审批人",
                        _ => "至少 2 名审批人",
                    }
                ),
            ));
        }
        for user in &node.user_ids {
            if org.member(user).is_none() {
                return Err(refuse("userNotExist", format!("审批人 {user} 不存在")));
            }
        }
        steps.push(Step {
            activity_id: format!("act_api_{}", i + 1),
            name: format!("审批人{}", i + 1),
            action_type: node.action_type,
            user_ids: node.user_ids.clone(),
        });
    }
    Ok(steps)
}

/// The manager `level` steps above `user_id` (1 = direct manager).
fn manager_at(org: &Org, user_id: &str, level: u32) -> Option<String> {
    let mut current = user_id.to_owned();
    for _ in 0..level {
        current = org.user(&current)?.manager_user_id.clone()?;
    }
    org.member(&current).map(|u| u.user_id.clone())
}

/// A new instance id, shaped like DingTalk's UUID-style ids.
fn instance_id() -> String {
    let raw = crate::state::random_string(32);
    let hex: String = raw.bytes().map(|b| char::from_digit(u32::from(b) % 16, 16).unwrap_or('0')).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// `yyyyMMddHHmm` in UTC+8, the first part of a business id.
fn business_stamp(now_ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    format!("{:04}{:02}{:02}{:02}{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

/// The detail page DingTalk links to from events and tasks (it cannot open here; the shape is DingTalk's).
pub fn detail_url(corp: &str, instance_id: &str, task_id: Option<i64>) -> String {
    let task = task_id.map(|t| format!("&taskId={t}")).unwrap_or_default();
    format!(
        "https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?corpid={corp}&dd_share=false&showmenu=false\
         &dd_progress=false&back=native&procInstId={instance_id}{task}&swfrom=isv&dinghash=approval&dtaction=os\
         &dd_from=corp#approval"
    )
}

fn base_fields(instance: &Instance, corp: &str) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("processInstanceId".into(), json!(instance.id));
    data.insert("processCode".into(), json!(instance.process_code));
    data.insert("bizCategoryId".into(), json!(instance.biz_category_id));
    data.insert("title".into(), json!(instance.title));
    data.insert("businessId".into(), json!(instance.business_id));
    data.insert("createTime".into(), json!(instance.create_ms));
    data.insert("url".into(), json!(detail_url(corp, &instance.id, None)));
    data
}

fn instance_event(corp: &str, instance: &Instance, kind: &str, now_ms: i64) -> Event {
    let mut data = base_fields(instance, corp);
    data.insert("type".into(), json!(kind));
    data.insert("staffId".into(), json!(instance.originator_user_id));
    if let Some(result) = instance.result.filter(|_| kind == "finish") {
        data.insert("result".into(), json!(result));
    }
    if let Some(finish) = instance.finish_ms {
        data.insert("finishTime".into(), json!(finish));
    }
    Event::new(EventType::InstanceChange, now_ms, corp.to_owned(), data)
}

fn task_event(
    corp: &str,
    instance: &Instance,
    task: &Task,
    kind: &str,
    outcome: Option<(&str, &str)>,
    now_ms: i64,
) -> Event {
    let mut data = base_fields(instance, corp);
    data.insert("type".into(), json!(kind));
    data.insert("staffId".into(), json!(task.user_id));
    data.insert("taskId".into(), json!(task.task_id));
    data.insert("activityId".into(), json!(task.activity_id));
    if let Some((result, remark)) = outcome {
        data.insert("result".into(), json!(result));
        data.insert("remark".into(), json!(remark));
    }
    if let Some(finish) = task.finish_ms {
        data.insert("finishTime".into(), json!(finish));
    }
    Event::new(EventType::TaskChange, now_ms, corp.to_owned(), data)
}

/// The originator's picks for the node `key` (none: empty).
fn picks_for<'a>(picks: &'a [TargetSelectActioner], key: &str) -> &'a [String] {
    picks.iter().find(|t| t.actioner_key == key).map(|t| t.actioner_user_ids.as_slice()).unwrap_or_default()
}

/// The originator's picks for the node `key`, each a member within `scope` (empty: anyone), or DingTalk's scope
/// error naming `node`.
fn checked_picks<'a>(
    org: &Org,
    picks: &'a [TargetSelectActioner],
    key: &str,
    scope: &[String],
    node: &str,
) -> Result<&'a [String], EngineError> {
    let picked = picks_for(picks, key);
    match picked.iter().find(|u| org.member(u).is_none() || (!scope.is_empty() && !scope.contains(u))) {
        Some(user) => Err(refuse("targetSelectApproverScopeError", format!("{user} 不在{node}的可选范围内"))),
        None => Ok(picked),
    }
}

/// Who a template's CC node copies: its fixed people, then the originator's picks for it (checked against the node's
/// scope), each once.
fn template_cc(org: &Org, cc: &FlowCc, picks: &[TargetSelectActioner]) -> Result<Vec<String>, EngineError> {
    let mut copied = cc.user_ids.iter().filter(|u| org.member(u).is_some()).cloned().collect::<Vec<_>>();
    let node = format!("抄送节点「{}」", cc.name);
    let Some(rule) = &cc.originator_picks else {
        return match picks_for(picks, &cc.activity_id) {
            [] => Ok(copied),
            [_, ..] => {
                Err(refuse("targetSelectApproverScopeError", format!("{node}({}) 不是发起人自选", cc.activity_id)))
            }
        };
    };
    let picked = checked_picks(org, picks, &cc.activity_id, &rule.scope, &node)?;
    if rule.required && picked.is_empty() {
        return Err(refuse("targetSelectApproverMissing", format!("请为{node}({}) 选择抄送人", cc.activity_id)));
    }
    for user in picked {
        if !copied.contains(user) {
            copied.push(user.clone());
        }
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000;

    fn fixture() -> (Org, Approvals) {
        (Org::seed(), Approvals::new(crate::templates::seed()))
    }

    fn new(process_code: &str, originator: &str, approvers: Option<Vec<ApproverNode>>) -> NewInstance {
        NewInstance {
            process_code: process_code.to_owned(),
            originator_user_id: originator.to_owned(),
            dept_id: None,
            approvers,
            cc_list: Vec::new(),
            cc_position: None,
            target_select_actioners: Vec::new(),
            form_values: Vec::new(),
        }
    }

    fn node(action_type: ActionType, users: &[&str]) -> ApproverNode {
        ApproverNode { action_type, user_ids: users.iter().map(|u| u.to_string()).collect() }
    }

    fn running(approvals: &Approvals, id: &str) -> Vec<(i64, String)> {
        let instance = approvals.instance(id).unwrap();
        instance
            .tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Running)
            .map(|t| (t.task_id, t.user_id.clone()))
            .collect()
    }

    fn kinds(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .map(|e| {
                let who = e.data.get("staffId").and_then(Value::as_str).unwrap_or("");
                let result = e.data.get("result").and_then(Value::as_str).map(|r| format!("/{r}")).unwrap_or_default();
                let kind = if e.event_type == EventType::InstanceChange { "instance" } else { "task" };
                format!("{kind}:{}{result}:{who}", e.data["type"].as_str().unwrap_or(""))
            })
            .collect()
    }

    fn agree(a: &mut Approvals, org: &Org, id: &str, task: (i64, String), at: i64) -> Vec<Event> {
        a.execute(org, id, task.0, &task.1, true, "同意", &ActionFile::default(), at).unwrap()
    }

    #[test]
    fn sequential_steps_run_one_after_the_other_and_the_last_agreement_completes() {
        let (org, mut a) = fixture();
        let approvers = vec![node(ActionType::None, &["fe_lead"]), node(ActionType::None, &["rd_head"])];
        let (id, events) = a.start(&org, new("PROC-EMU-GENERAL", "zhangsan", Some(approvers)), T0).unwrap();
        assert_eq!(kinds(&events), ["instance:start:zhangsan", "task:start:fe_lead"]);
        let first = running(&a, &id).remove(0);
        let events = agree(&mut a, &org, &id, first, T0 + 1);
        assert_eq!(kinds(&events), ["task:finish/agree:fe_lead", "task:start:rd_head"]);
        let second = running(&a, &id).remove(0);
        let events = agree(&mut a, &org, &id, second, T0 + 2);
        assert_eq!(kinds(&events), ["task:finish/agree:rd_head", "instance:finish/agree:zhangsan"]);
        let instance = a.instance(&id).unwrap();
        assert_eq!((instance.status, instance.result), (InstanceStatus::Completed, Some(InstanceResult::Agree)));
        assert_eq!(instance.approver_user_ids, ["fe_lead", "rd_head"]);
        let types: Vec<_> = instance.records.iter().map(|r| r.op_type).collect();
        assert_eq!(
            types,
            [OperationType::StartProcessInstance, OperationType::ExecuteTaskNormal, OperationType::ExecuteTaskNormal]
        );
    }

    #[test]
    fn an_and_step_needs_every_approver() {
        let (org, mut a) = fixture();
        let approvers = vec![node(ActionType::And, &["fe_lead", "rd_head"])];
        let (id, _) = a.start(&org, new("PROC-EMU-GENERAL", "zhangsan", Some(approvers)), T0).unwrap();
        let tasks = running(&a, &id);
        assert_eq!(tasks.len(), 2, "both tasks run at once");
        let events = agree(&mut a, &org, &id, tasks[0].clone(), T0 + 1);
        assert_eq!(kinds(&events), ["task:finish/agree:fe_lead"]);
        assert_eq!(a.instance(&id).unwrap().status, InstanceStatus::Running);
        let events = agree(&mut a, &org, &id, tasks[1].clone(), T0 + 2);
        assert_eq!(kinds(&events), ["task:finish/agree:rd_head", "instance:finish/agree:zhangsan"]);
    }

    #[test]
    fn in_an_or_step_the_first_action_cancels_the_others() {
        let (org, mut a) = fixture();
        let approvers = vec![node(ActionType::Or, &["fe_lead", "rd_head", "ceo001"])];
        let (id, _) = a.start(&org, new("PROC-EMU-GENERAL", "zhangsan", Some(approvers)), T0).unwrap();
        let tasks = running(&a, &id);
        let events = agree(&mut a, &org, &id, tasks[1].clone(), T0 + 1);
        assert_eq!(
            kinds(&events),
            [
                "task:finish/agree:rd_head",
                "task:cancel:fe_lead",
                "task:cancel:ceo001",
                "instance:finish/agree:zhangsan"
            ]
        );
        let err = a.execute(&org, &id, tasks[0].0, "fe_lead", true, "", &ActionFile::default(), T0 + 2).unwrap_err();
        assert_eq!(err.code, "aflowProcessInstStatusException");
    }

    #[test]
    fn a_refusal_ends_the_instance_and_cancels_running_tasks() {
        let (org, mut a) = fixture();
        let approvers = vec![node(ActionType::And, &["fe_lead", "rd_head"]), node(ActionType::None, &["ceo001"])];
        let (id, _) = a.start(&org, new("PROC-EMU-GENERAL", "zhangsan", Some(approvers)), T0).unwrap();
        let tasks = running(&a, &id);
        let events =
            a.execute(&org, &id, tasks[0].0, "fe_lead", false, "预算不足", &ActionFile::default(), T0 + 1).unwrap();
        assert_eq!(
            kinds(&events),
            ["task:finish/refuse:fe_lead", "task:cancel:rd_head", "instance:finish/refuse:zhangsan"]
        );
        assert_eq!(events[0].data["remark"], "预算不足");
        let instance = a.instance(&id).unwrap();
        assert_eq!(instance.result, Some(InstanceResult::Refuse));
        assert!(instance.tasks.iter().all(|t| t.user_id != "ceo001"), "later steps never start");
    }

    #[test]
    fn only_the_task_holder_may_act_and_a_task_acts_once() {
        let (org, mut a) = fixture();
        let (id, _) = a
            .start(
                &org,
                new("PROC-EMU-GENERAL", "zhangsan", Some(vec![node(ActionType::And, &["fe_lead", "rd_head"])])),
                T0,
            )
            .unwrap();
        let task = running(&a, &id)[0].clone();
        let err = a.execute(&org, &id, task.0, "lisi", true, "", &ActionFile::default(), T0).unwrap_err();
        assert_eq!(err.code, "invalidInstanceExecuteActionerUserId");
        agree(&mut a, &org, &id, task.clone(), T0 + 1);
        let err = a.execute(&org, &id, task.0, &task.1, true, "", &ActionFile::default(), T0 + 2).unwrap_err();
        assert_eq!(err.code, "aflowProcessInstCanNotBeExecuted");
        let err = a.execute(&org, &id, 1, "fe_lead", true, "", &ActionFile::default(), T0).unwrap_err();
        assert_eq!(err.code, "invalidInstanceExecuteTaskId");
    }

    #[test]
    fn approver_nodes_follow_dingtalks_counts() {
        let (org, mut a) = fixture();
        for bad in [
            vec![node(ActionType::None, &["fe_lead", "rd_head"])],
            vec![node(ActionType::And, &["fe_lead"])],
            vec![node(ActionType::Or, &[])],
            vec![],
            (0..21).map(|_| node(ActionType::None, &["fe_lead"])).collect(),
        ] {
            let err = a.start(&org, new("PROC-EMU-GENERAL", "zhangsan", Some(bad)), T0).unwrap_err();
            assert_eq!(err.code, "processInstanceInvalidParameter");
        }
        let err = a
            .start(&org, new("PROC-EMU-GENERAL", "zhangsan", Some(vec![node(ActionType::None, &["former01"])])), T0)
            .unwrap_err();
        assert_eq!(err.code, "userNotExist", "people who left cannot approve");
        let err = a.start(&org, new("PROC-NOPE", "zhangsan", None), T0).unwrap_err();
        assert_eq!(err.code, "processCodeError");
        let err = a.start(&org, new("PROC-EMU-GENERAL", "former01", None), T0).unwrap_err();
        assert_eq!(err.code, "userNotExist");
    }

    #[test]
    fn redirect_hands_the_task_over_in_the_same_step() {
        let (org, mut a) = fixture();
        let (id, _) = a
            .start(&org, new("PROC-EMU-GENERAL", "zhangsan", Some(vec![node(ActionType::None, &["fe_lead"])])), T0)
            .unwrap();
        let task = running(&a, &id)[0].clone();
        let err = a.redirect(&org, task.0, "fe_lead", "fe_lead", "", T0).unwrap_err();
        assert_eq!(err.code, "invalidToUserId");
        let events = a.redirect(&org, task.0, "rd_head", "fe_lead", "请李总处理", T0 + 1).unwrap();
        assert_eq!(kinds(&events), ["task:finish/redirect:fe_lead", "task:start:rd_head"]);
        let instance = a.instance(&id).unwrap();
        assert_eq!(instance.tasks[0].result, TaskResult::Redirected);
        assert_eq!(instance.records.last().unwrap().op_type, OperationType::RedirectTask);
        let new_task = running(&a, &id)[0].clone();
        assert_eq!(new_task.1, "rd_head");
        let events = agree(&mut a, &org, &id, new_task, T0 + 2);
        assert_eq!(kinds(&events).last().unwrap(), "instance:finish/agree:zhangsan");
    }

    #[test]
    fn terminate_waits_fifteen_seconds_needs_the_originator_and_cancels_tasks() {
        let (org, mut a) = fixture();
        let (id, _) = a
            .start(&org, new("PROC-EMU-GENERAL", "zhangsan", Some(vec![node(ActionType::None, &["fe_lead"])])), T0)
            .unwrap();
        let err = a.terminate(&org, &id, false, Some("zhangsan"), "", T0 + TERMINATE_GRACE_MS - 1).unwrap_err();
        assert_eq!(err.code, "aflowProcessInstStatusException");
        let err = a.terminate(&org, &id, false, Some("lisi"), "", T0 + 20_000).unwrap_err();
        assert_eq!(err.code, "invalidInstanceTerminateOperatingUserId");
        let events = a.terminate(&org, &id, false, Some("zhangsan"), "不需要了", T0 + 20_000).unwrap();
        assert_eq!(kinds(&events), ["task:cancel:fe_lead", "instance:terminate:zhangsan"]);
        let instance = a.instance(&id).unwrap();
        assert_eq!((instance.status, instance.result), (InstanceStatus::Terminated, None));
        let err = a.terminate(&org, &id, true, None, "", T0 + 30_000).unwrap_err();
        assert_eq!(err.code, "aflowProcessInstStatusException", "an ended instance cannot be revoked");
        a.comment(&org, &id, "lisi", "知道了", &ActionFile::default(), T0 + 31_000).unwrap();
        assert_eq!(a.instance(&id).unwrap().records.last().unwrap().op_type, OperationType::AddRemark);
    }

    #[test]
    fn explicit_cc_is_recorded_at_start_and_finish() {
        let (org, mut a) = fixture();
        let mut req = new("PROC-EMU-GENERAL", "zhangsan", Some(vec![node(ActionType::None, &["fe_lead"])]));
        req.cc_list = vec!["lisi".into()];
        req.cc_position = Some(CcPosition::StartFinish);
        let (id, _) = a.start(&org, req, T0).unwrap();
        let task = running(&a, &id)[0].clone();
        agree(&mut a, &org, &id, task, T0 + 1);
        let cc: Vec<_> =
            a.instance(&id).unwrap().records.iter().filter(|r| r.op_type == OperationType::ProcessCc).collect();
        assert_eq!(cc.len(), 2);
        assert_eq!(cc[0].cc_user_ids, ["lisi"]);
    }

    #[test]
    fn the_leave_template_goes_up_the_manager_chain_and_copies_hr_at_the_end() {
        let (org, mut a) = fixture();
        let (id, _) = a.start(&org, new("PROC-EMU-LEAVE", "zhangsan", None), T0).unwrap();
        assert_eq!(running(&a, &id)[0].1, "fe_lead");
        let t = running(&a, &id)[0].clone();
        agree(&mut a, &org, &id, t, T0 + 1);
        assert_eq!(running(&a, &id)[0].1, "rd_head", "the second level is the manager's manager");
        let t = running(&a, &id)[0].clone();
        agree(&mut a, &org, &id, t, T0 + 2);
        let instance = a.instance(&id).unwrap();
        assert_eq!(instance.status, InstanceStatus::Completed);
        assert_eq!(instance.records.last().unwrap().cc_user_ids, ["hr_head"]);
        // Someone without a second-level manager only gets the first step.
        let (id, _) = a.start(&org, new("PROC-EMU-LEAVE", "rd_head", None), T0).unwrap();
        assert_eq!(a.instance(&id).unwrap().steps.len(), 1);
    }

    fn total(amount: &str) -> StoredValue {
        StoredValue {
            id: "MoneyField-EXPTOTAL".into(),
            name: "报销总额".into(),
            value: amount.into(),
            ext_value: None,
            component_type: "MoneyField".into(),
            biz_alias: None,
        }
    }

    #[test]
    fn expenses_of_five_thousand_or_more_go_to_the_finance_director() {
        let (org, mut a) = fixture();
        let mut small = new("PROC-EMU-EXPENSE", "zhangsan", None);
        small.form_values = vec![total("4999.99")];
        let (id, _) = a.start(&org, small, T0).unwrap();
        let names: Vec<_> = a.instance(&id).unwrap().steps.iter().map(|s| s.activity_id.as_str()).collect();
        assert_eq!(names, ["act_expense_mgr1", "act_expense_pay"]);
        let mut big = new("PROC-EMU-EXPENSE", "zhangsan", None);
        big.form_values = vec![total("5000")];
        let (id, _) = a.start(&org, big, T0).unwrap();
        let steps = &a.instance(&id).unwrap().steps;
        assert_eq!(
            steps.iter().map(|s| s.activity_id.as_str()).collect::<Vec<_>>(),
            ["act_expense_mgr1", "act_expense_fin", "act_expense_pay"]
        );
        assert_eq!(steps[2].action_type, ActionType::Or);
    }

    #[test]
    fn the_purchase_template_needs_the_originator_to_pick_within_scope() {
        let (org, mut a) = fixture();
        let err = a.start(&org, new("PROC-EMU-PURCHASE", "zhangsan", None), T0).unwrap_err();
        assert_eq!(err.code, "targetSelectApproverMissing");
        let mut req = new("PROC-EMU-PURCHASE", "zhangsan", None);
        req.target_select_actioners = vec![TargetSelectActioner {
            actioner_key: "act_purchase_pick".into(),
            actioner_user_ids: vec!["lisi".into()],
        }];
        assert_eq!(a.start(&org, req.clone(), T0).unwrap_err().code, "targetSelectApproverScopeError");
        req.target_select_actioners[0].actioner_user_ids = vec!["admin01".into()];
        let (id, events) = a.start(&org, req, T0).unwrap();
        let instance = a.instance(&id).unwrap();
        assert_eq!(instance.steps[1].user_ids, ["admin01"]);
        assert_eq!(instance.steps[2].action_type, ActionType::And);
        assert_eq!(instance.records[1].op_type, OperationType::ProcessCc, "copied at the start");
        assert_eq!(kinds(&events), ["instance:start:zhangsan", "task:start:fe_lead"]);
    }

    #[test]
    fn a_cc_node_copies_its_people_and_the_originators_picks_within_its_rule() {
        let org = Org::seed();
        let mut templates = crate::templates::seed();
        let general = templates.iter_mut().find(|t| t.process_code == "PROC-EMU-GENERAL").unwrap();
        let cc = general.flow.cc.as_mut().unwrap();
        cc.user_ids = vec!["hr_head".into()];
        cc.originator_picks =
            Some(crate::templates::CcPicks { scope: vec!["lisi".into(), "hr_head".into()], required: true });
        let mut a = Approvals::new(templates);
        let pick = |users: &[&str]| TargetSelectActioner {
            actioner_key: "act_general_cc".into(),
            actioner_user_ids: users.iter().map(|u| u.to_string()).collect(),
        };
        let mut req = new("PROC-EMU-GENERAL", "zhangsan", None);
        assert_eq!(a.start(&org, req.clone(), T0).unwrap_err().code, "targetSelectApproverMissing");
        req.target_select_actioners = vec![pick(&["wangwu"])];
        assert_eq!(a.start(&org, req.clone(), T0).unwrap_err().code, "targetSelectApproverScopeError");
        req.target_select_actioners = vec![pick(&["hr_head", "lisi"])];
        let (id, _) = a.start(&org, req, T0).unwrap();
        assert_eq!(a.instance(&id).unwrap().cc_user_ids, ["hr_head", "lisi"], "the fixed one first, each once");

        // A node the originator may not pick for refuses picks instead of dropping them.
        let mut leave = new("PROC-EMU-LEAVE", "zhangsan", None);
        leave.target_select_actioners =
            vec![TargetSelectActioner { actioner_key: "sid-notifier".into(), actioner_user_ids: vec!["lisi".into()] }];
        assert_eq!(a.start(&org, leave, T0).unwrap_err().code, "targetSelectApproverScopeError");
    }

    #[test]
    fn a_department_must_be_the_originators() {
        let (org, mut a) = fixture();
        let mut req = new("PROC-EMU-GENERAL", "lisi", None);
        req.dept_id = Some(300);
        let (id, _) = a.start(&org, req.clone(), T0).unwrap();
        assert_eq!(a.instance(&id).unwrap().originator_dept_name, "行政部");
        req.dept_id = Some(200);
        assert_eq!(a.start(&org, req, T0).unwrap_err().code, "processInstanceInvalidParameter");
    }
}
