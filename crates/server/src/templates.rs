//! Approval templates for the app: which ones the caller may start, their forms mapped to api-types' model, and
//! the flow a submission would run. Schemas and visibility lists are cached in memory for a short time, so page
//! views do not each call DingTalk.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api_types::form::{FormSchema, FormValues, to_dingtalk};
use api_types::{ForecastStep, StepKind, StepPerson, TemplateSummary, User};
use dingtalk_client::DingTalk;
use dingtalk_client::workflow::{ActivityRule, Forecast, ForecastRequest, FormValue};

use crate::error::AppError;

/// How long a template's form is reused. Templates change rarely (an administrator edits them in DingTalk's
/// console); an edit shows in the app at most this long after it is saved.
pub const SCHEMA_TTL: Duration = Duration::from_secs(5 * 60);

/// How long a user's list of visible templates is reused. Shorter than [`SCHEMA_TTL`]: it decides what a person
/// may start, and a template taken away from them should disappear soon.
pub const VISIBILITY_TTL: Duration = Duration::from_secs(60);

/// Page size for `visible_templates` (DingTalk's maximum).
const PAGE_SIZE: i64 = 100;

/// Upper bound on pages read, so a looping `nextToken` cannot keep a request busy forever.
const MAX_PAGES: usize = 50;

/// A small map whose entries expire after a fixed time. Stale entries are dropped whenever the map is written, so
/// it holds at most the keys used within one lifetime.
struct TtlMap<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, v)| v.clone())
    }

    fn put(&self, key: K, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let ttl = self.ttl;
        entries.retain(|_, (at, _)| at.elapsed() < ttl);
        entries.insert(key, (Instant::now(), value));
    }
}

/// A template's form as the app gets it.
#[derive(Debug, Clone)]
pub struct Template {
    /// The template's name.
    pub name: String,
    /// Its form.
    pub form: FormSchema,
}

/// The caches in front of DingTalk's template APIs; one per server.
pub struct Templates {
    schemas: TtlMap<String, Arc<Template>>,
    visible: TtlMap<String, Arc<Vec<TemplateSummary>>>,
}

impl Default for Templates {
    fn default() -> Self {
        Self { schemas: TtlMap::new(SCHEMA_TTL), visible: TtlMap::new(VISIBILITY_TTL) }
    }
}

impl Templates {
    /// Every template `user_id` may start, all pages, in DingTalk's order.
    pub async fn visible(&self, dt: &DingTalk, user_id: &str) -> Result<Arc<Vec<TemplateSummary>>, AppError> {
        if let Some(list) = self.visible.get(&user_id.to_owned()) {
            return Ok(list);
        }
        let mut list = Vec::new();
        let mut token = 0;
        for _ in 0..MAX_PAGES {
            let page = dt.workflow().visible_templates(user_id, token, PAGE_SIZE).await?;
            list.extend(page.process_list.into_iter().map(|t| TemplateSummary {
                process_code: t.process_code,
                name: t.name,
                icon_url: t.icon_url,
                dir_name: t.dir_name,
            }));
            match page.next_token {
                Some(next) if next != token => token = next,
                _ => break,
            }
        }
        let list = Arc::new(list);
        self.visible.put(user_id.to_owned(), list.clone());
        Ok(list)
    }

    /// The template `process_code` if `user_id` may start it; [`AppError::NotFound`] otherwise, also when it
    /// exists, so the app never shows a form the user could not submit.
    pub async fn for_user(&self, dt: &DingTalk, user_id: &str, process_code: &str) -> Result<Arc<Template>, AppError> {
        let visible = self.visible(dt, user_id).await?;
        let summary = visible.iter().find(|t| t.process_code == process_code).ok_or(AppError::NotFound)?;
        let mut template = self.schema(dt, process_code).await?;
        if template.name.is_empty() {
            Arc::make_mut(&mut template).name = summary.name.clone();
        }
        Ok(template)
    }

    /// A template's name if its form is in the cache; never calls DingTalk.
    pub fn cached_name(&self, process_code: &str) -> Option<String> {
        self.schemas.get(&process_code.to_owned()).map(|t| t.name.clone()).filter(|n| !n.is_empty())
    }

    /// A template's name from what is cached (its form, or `user_id`'s list of templates); never calls DingTalk.
    pub fn cached_name_for(&self, user_id: &str, process_code: &str) -> Option<String> {
        self.cached_name(process_code).or_else(|| {
            let visible = self.visible.get(&user_id.to_owned())?;
            visible.iter().find(|t| t.process_code == process_code).map(|t| t.name.clone()).filter(|n| !n.is_empty())
        })
    }

    /// A template's form, from the cache or DingTalk (no visibility check: callers that show it use [`Self::for_user`]).
    pub async fn schema(&self, dt: &DingTalk, process_code: &str) -> Result<Arc<Template>, AppError> {
        if let Some(t) = self.schemas.get(&process_code.to_owned()) {
            return Ok(t);
        }
        let schema = dt.workflow().form_schema(process_code).await?;
        let content = serde_json::to_value(&schema.schema_content).map_err(|e| AppError::BadSchema(e.to_string()))?;
        let form = FormSchema::from_dingtalk(&content).map_err(|e| AppError::BadSchema(e.to_string()))?;
        let template = Arc::new(Template { name: schema.name, form });
        self.schemas.put(process_code.to_owned(), template.clone());
        Ok(template)
    }
}

/// The forecast request DingTalk takes: the originator's first department (or the root), and the values encoded
/// as for a submission.
pub fn forecast_request(user: &User, process_code: &str, form: &FormSchema, values: &FormValues) -> ForecastRequest {
    let encoded =
        to_dingtalk(form, values).into_iter().map(|v| FormValue { id: v.id, ..FormValue::new(v.name, v.value) });
    ForecastRequest {
        process_code: process_code.to_owned(),
        dept_id: user.dept_ids.first().copied().unwrap_or(-1),
        user_id: user.user_id.clone(),
        form_component_values: encoded.collect(),
    }
}

/// DingTalk's forecast as the app's steps.
pub fn steps(forecast: &Forecast) -> Vec<ForecastStep> {
    forecast.workflow_activity_rules.iter().map(step).collect()
}

fn step(rule: &ActivityRule) -> ForecastStep {
    let actor = rule.workflow_actor.as_ref();
    let pick_from = rule.is_target_select.then(|| {
        let range = actor.and_then(|a| a.actor_selection_range.as_ref());
        range
            .map(|r| r.approvals.iter().map(|p| StepPerson { user_id: p.work_no.clone(), name: p.user_name.clone() }))
            .into_iter()
            .flatten()
            .collect()
    });
    let kind = match actor.map(|a| a.actor_type.as_str()) {
        Some("notifier") => StepKind::Cc,
        Some("audit") => StepKind::Handle,
        _ => StepKind::Approve,
    };
    ForecastStep {
        activity_id: rule.activity_id.clone(),
        name: rule.activity_name.clone(),
        kind,
        approvers: rule
            .activity_actioners
            .iter()
            .map(|a| StepPerson { user_id: a.user_id.clone(), name: a.name.clone() })
            .collect(),
        pick_from,
        pick_multiple: rule.is_target_select && actor.is_some_and(|a| a.allowed_multi),
        // An approval step cannot run without its approvers, whatever the rule says; CC follows the rule.
        pick_required: rule.is_target_select && (kind != StepKind::Cc || actor.is_some_and(|a| a.required)),
    }
}
