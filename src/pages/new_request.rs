//! A new request (`/new/:process_code`, optionally `?draft=<draft id>` or `?copy=<request id>`): the template's
//! form, kept as a draft as it is typed (this device first, then the server), the originator's department when
//! they have several, the predicted route with pickers for the steps the originator chooses, and the submit with
//! one Idempotency-Key per filled form — through the offline outbox, so a submit without network goes out later
//! with the same key.

use std::collections::BTreeMap;
use std::time::Duration;

use api_types::form::FormValues;
use api_types::{
    ApproverPick, ErrorCode, ForecastRequest, ForecastStep, InboxBox, StepKind, SubmitRequest, TemplateDetail,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use wasm_bindgen::JsCast;

use crate::api::Api;
use crate::components::LoadFailed;
use crate::errors::{Failure, picker_failure_text};
use crate::form::{FormState, FormView};
use crate::offline::drafts::{DraftStore, use_autosave};
use crate::offline::outbox::{Outbox, Submitted, UseOutboxReturn};
use crate::platform::{self, PeoplePick, ToastIcon};
use crate::routes::{InboxQuery, Page};
use crate::session::{SessionContext, random_hex, use_api, use_lang};

/// What the page starts from: the template, the draft the form is kept as, and the values (the draft's, or a
/// copied request's) and department to start with.
#[derive(Debug, Clone)]
struct Start {
    template: TemplateDetail,
    draft_id: String,
    values: FormValues,
    dept_id: Option<i64>,
}

/// Loads the template; then the draft's values (this device's or the server's newer copy), or with `copy` the
/// earlier request's submitted values (when it used the same template).
async fn load(api: Api, process_code: String, draft_id: String, copy: Option<String>) -> Result<Start, Failure> {
    let template = api.template(&process_code).await?;
    let drafts = DraftStore::for_user(&current_user_id());
    if let Some(draft) = drafts.load(&api, &draft_id).await.filter(|d| d.process_code == process_code) {
        return Ok(Start { template, draft_id, values: draft.values, dept_id: None });
    }
    let copied = match copy {
        Some(id) => api.request(&id).await?.submitted.filter(|s| s.process_code == process_code),
        None => None,
    };
    let (values, dept_id) = copied.map_or_else(Default::default, |s| (s.values, s.dept_id));
    Ok(Start { template, draft_id, values, dept_id })
}

/// The logged-in user's id (drafts and the outbox are kept per user).
fn current_user_id() -> String {
    SessionContext::expect().session.with_untracked(|s| s.as_ref().map(|s| s.user.user_id.clone())).unwrap_or_default()
}

/// The draft this visit keeps the form as: `?draft=` when reopening one, else a new id, written into the address
/// (without a navigation) so that a reload reopens the same draft.
fn draft_id_of_this_visit(from_query: Option<String>) -> String {
    if let Some(id) = from_query.filter(|id| !id.is_empty()) {
        return id;
    }
    let id = DraftStore::new_id();
    if let Some(window) = web_sys::window()
        && let (Ok(history), Ok(search)) = (window.history(), window.location().search())
    {
        let separator = if search.is_empty() { "?" } else { "&" };
        let url = format!("{search}{separator}draft={id}");
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
    id
}

/// The `/new/:process_code` page.
#[component]
pub fn NewRequest() -> impl IntoView {
    let lang = use_lang();
    let api = use_api();
    let params = use_params_map();
    let query = use_query_map();
    // Read once: the id written into the address below must not reload the page.
    let draft_id = draft_id_of_this_visit(query.with_untracked(|q| q.get("draft")));
    let start = LocalResource::new(move || {
        let process_code = params.read().get("process_code").unwrap_or_default();
        let copy = query.read().get("copy").filter(|c| !c.is_empty());
        load(api.clone(), process_code, draft_id.clone(), copy)
    });
    let page = move || {
        start.get().map(|result| match result {
            Ok(start) => view! { <RequestForm start /> }.into_any(),
            Err(failure) => {
                let (title, detail) = failure.describe(lang);
                view! { <LoadFailed title detail test_id="new-request-failed" on_retry=move |()| start.refetch() lang /> }
                    .into_any()
            }
        })
    };
    view! {
        <Transition fallback=move || view! { <p class="pending">{lang.pick("正在加载…", "Loading…")}</p> }>{page}</Transition>
    }
}

/// Scrolls to a field and puts the focus in it.
fn reveal(field_id: &str) {
    let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("form-field-{field_id}")))
    else {
        return;
    };
    element.scroll_into_view();
    if let Ok(Some(control)) = element.query_selector("input, textarea, select, button")
        && let Ok(control) = control.dyn_into::<web_sys::HtmlElement>()
    {
        let _ = control.focus();
    }
}

/// The filled-in form and everything sent with it.
#[component]
fn RequestForm(start: Start) -> impl IntoView {
    let lang = use_lang();
    let api = use_api();
    let navigate = use_navigate();
    let Start { template, draft_id, values, dept_id } = start;
    platform::set_title(&template.name);
    let process_code = StoredValue::new(template.process_code.clone());
    let form = FormState::new(template.form, values);
    let user_id = current_user_id();
    let autosave = use_autosave(
        DraftStore::for_user(&user_id),
        api.clone(),
        draft_id.clone(),
        template.process_code.clone(),
        form.values.into(),
    );
    let draft_id = StoredValue::new(draft_id);
    let outbox = StoredValue::new(Outbox::for_user(&user_id));
    let user = SessionContext::expect().session.get_untracked().map(|s| s.user);
    let dept_ids = user.map(|u| u.dept_ids).unwrap_or_default();
    let dept = RwSignal::new(dept_id.or_else(|| dept_ids.first().copied()));
    let picks = RwSignal::new(BTreeMap::<String, Vec<String>>::new());
    let show_missing_picks = RwSignal::new(false);

    // The route follows the values, asked for once they have been still for half a second.
    let settled = RwSignal::new(form.values.get_untracked());
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let values = form.values.get();
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        timer.set_value(set_timeout_with_handle(move || settled.set(values), Duration::from_millis(500)).ok());
    });
    let forecast = LocalResource::new({
        let api = api.clone();
        move || {
            let request = ForecastRequest { values: settled.get() };
            let api = api.clone();
            async move { api.forecast(&process_code.get_value(), &request).await }
        }
    });
    // A refreshed route that is the same route leaves the steps (and a picker one of them has open) as they are.
    let steps = Memo::new(move |_| forecast.get().and_then(Result::ok).unwrap_or_default());

    // One key per filled form: a retry or a double tap of the same body reuses it, a changed body gets a new one.
    let sent = StoredValue::new(None::<(String, String)>);
    let submit = Action::new_local(move |request: &SubmitRequest| {
        let (api, request) = (api.clone(), request.clone());
        let body = serde_json::to_string(&request).unwrap_or_default();
        let key = match sent.get_value() {
            Some((last, key)) if last == body => key,
            _ => random_hex().unwrap_or_else(|| body.len().to_string()),
        };
        sent.set_value(Some((body, key.clone())));
        let (outbox, draft_id) = (outbox.get_value(), draft_id.get_value());
        async move { outbox.submit(&api, request, &key, Some(&draft_id)).await }
    });
    let failure = RwSignal::new(None::<Failure>);
    Effect::new(move |_| match submit.value().get() {
        Some(Ok(Submitted::Sent(done))) => navigate(&Page::Request { id: done.id }.path(), Default::default()),
        Some(Ok(Submitted::Queued)) => {
            if let Some(outbox) = use_context::<UseOutboxReturn>() {
                outbox.refresh.run(());
            }
            let text = lang.pick("网络不可用：已保存，联网后自动提交", "Offline: kept, and submitted once online");
            leptos::task::spawn_local(platform::toast(text, ToastIcon::None));
            let mine = InboxQuery { tab: Some(InboxBox::Mine), ..Default::default() };
            navigate(&Page::Inbox(mine).path(), Default::default());
        }
        Some(Err(Failure::Api(error))) if error.code == ErrorCode::FormInvalid && !error.fields.is_empty() => {
            form.refused(error.fields.clone());
            if let Some(first) = form.check_all() {
                reveal(&first);
            }
            failure.set(Some(Failure::Api(error)));
        }
        Some(Err(other)) => failure.set(Some(other)),
        None => {}
    });

    let on_submit = move |_| {
        failure.set(None);
        if let Some(first) = form.check_all() {
            reveal(&first);
            return;
        }
        let steps = steps.get_untracked();
        let chosen = |s: &ForecastStep| picks.with(|p| p.get(&s.activity_id).cloned().unwrap_or_default());
        let pickable = || steps.iter().filter(|s| s.pick_from.is_some());
        if pickable().any(|s| s.pick_required && chosen(s).is_empty()) {
            show_missing_picks.set(true);
            return;
        }
        // A step that may go without (people to copy) is left out when nobody was picked.
        let pending: Vec<ApproverPick> = pickable()
            .map(|s| ApproverPick { activity_id: s.activity_id.clone(), user_ids: chosen(s) })
            .filter(|p| !p.user_ids.is_empty())
            .collect();
        submit.dispatch(SubmitRequest {
            process_code: process_code.get_value(),
            dept_id: dept.get_untracked(),
            values: form.values.get_untracked(),
            approvers: None,
            cc: None,
            picks: Some(pending).filter(|p| !p.is_empty()),
        });
    };
    let pending = submit.pending();
    let failure_view = move || {
        failure.get().map(|f| {
            let (title, detail) = f.describe(lang);
            view! {
                <p class="form-failure" role="alert" data-testid="submit-failed">
                    <strong>{title}</strong> " " {detail}
                </p>
            }
        })
    };
    let save_status = move || autosave.status.get().label(lang);
    view! {
        <section class="new-request" data-testid="new-request">
            <h1 class="new-request-title">{template.name.clone()}</h1>
            <div class="new-request-columns">
                <div class="new-request-main">
                    <DepartmentChoice dept dept_ids />
                    <FormView form />
                </div>
                <aside class="new-request-route" aria-label=lang.pick("审批流程", "Approval route")>
                    <h2 class="new-request-route-title">{lang.pick("审批流程", "Approval route")}</h2>
                    <ol class="route" data-testid="route">
                        {move || steps.get().into_iter().map(|step| view! { <RouteStep step form picks show_missing_picks /> }).collect_view()}
                    </ol>
                    <Show when=move || matches!(forecast.get(), Some(Err(_)))>
                        <p class="muted" data-testid="route-failed">
                            {lang.pick("审批流程暂时无法预览，提交后以钉钉为准。", "The route cannot be shown now; DingTalk decides it on submit.")}
                        </p>
                    </Show>
                </aside>
            </div>
            {failure_view}
            <div class="bottom-bar">
                <span class="draft-status muted" data-testid="draft-status" role="status">{save_status}</span>
                <button
                    type="button"
                    class="button primary"
                    data-testid="submit"
                    disabled=move || pending.get()
                    aria-busy=move || pending.get().to_string()
                    on:click=on_submit
                >
                    {move || if pending.get() { lang.pick("提交中…", "Submitting…") } else { lang.pick("提交", "Submit") }}
                </button>
            </div>
        </section>
    }
}

/// The originator's department, asked only of someone in several (names from the department tree).
#[component]
fn DepartmentChoice(
    /// The chosen department.
    dept: RwSignal<Option<i64>>,
    /// The caller's departments.
    dept_ids: Vec<i64>,
) -> impl IntoView {
    let lang = use_lang();
    let api = use_api();
    if dept_ids.len() < 2 {
        return ().into_any();
    }
    let wanted = dept_ids.clone();
    let names = LocalResource::new(move || department_names(api.clone(), wanted.clone()));
    let options = move || {
        let found = names.get().unwrap_or_default();
        dept_ids
            .iter()
            .map(|id| {
                let name = found.get(id).cloned().unwrap_or_else(|| id.to_string());
                let id = *id;
                view! { <option value=id.to_string() selected=move || dept.get() == Some(id)>{name}</option> }
            })
            .collect_view()
    };
    view! {
        <div class="cells form">
            <div class="field">
                <label class="field-label required" for="dept-choice">{lang.pick("所在部门", "Your department")}</label>
                <select
                    id="dept-choice"
                    data-testid="dept-choice"
                    on:change=move |ev| dept.set(event_target_value(&ev).parse().ok())
                >
                    {options}
                </select>
            </div>
        </div>
    }
    .into_any()
}

/// Names of `ids`, found by walking the department tree from the root, a level at a time (at most 50 lookups).
async fn department_names(api: Api, ids: Vec<i64>) -> BTreeMap<i64, String> {
    let mut names = BTreeMap::new();
    let mut queue = vec![None];
    let mut lookups = 0;
    while let Some(parent) = queue.pop() {
        lookups += 1;
        if lookups > 50 || ids.iter().all(|id| names.contains_key(id)) {
            break;
        }
        let Ok(children) = api.departments(parent).await else { continue };
        for child in children {
            if ids.contains(&child.dept_id) {
                names.insert(child.dept_id, child.name.clone());
            }
            if child.has_children {
                queue.insert(0, Some(child.dept_id));
            }
        }
    }
    names
}

/// One step of the predicted route: its approvers, or a choice of them when the originator picks.
#[component]
fn RouteStep(
    /// The step.
    step: ForecastStep,
    /// The form, for picked people's names.
    form: FormState,
    /// The picks so far, by step.
    picks: RwSignal<BTreeMap<String, Vec<String>>>,
    /// Whether to mark a step still without a pick.
    show_missing_picks: RwSignal<bool>,
) -> impl IntoView {
    let lang = use_lang();
    let api = use_api();
    let ForecastStep { activity_id, name, kind, approvers, pick_from, pick_multiple, pick_required } = step;
    let test_id = format!("route-step-{activity_id}");
    let error_id = format!("{test_id}-error");
    let title = name.clone();
    let who = approvers.iter().map(|a| a.name.clone()).collect::<Vec<_>>().join("、");
    // What a pick is called: the step's people approve, carry it out, or are copied.
    let (pick_label, pick_missing) = match kind {
        StepKind::Approve => (lang.pick("选择审批人", "Pick approvers"), lang.pick("请选择审批人", "Pick an approver")),
        StepKind::Handle => (lang.pick("选择办理人", "Pick handlers"), lang.pick("请选择办理人", "Pick a handler")),
        StepKind::Cc => {
            (lang.pick("添加抄送人", "Add people to copy"), lang.pick("请选择抄送人", "Pick someone to copy"))
        }
    };
    let body = match pick_from {
        None => view! { <p class="route-who">{who}</p> }.into_any(),
        Some(people) => {
            let activity = StoredValue::new(activity_id.clone());
            let chosen = move || picks.with(|p| p.get(&activity.get_value()).cloned().unwrap_or_default());
            // The page's picks, by the step's id: a pick that comes back from a picker after the step was drawn again
            // (its route changed meanwhile) still lands, and the new step shows it.
            let choose = {
                let activity_id = activity_id.clone();
                move |user_ids: Vec<String>| {
                    picks.update(|p| {
                        p.insert(activity_id.clone(), user_ids);
                    })
                }
            };
            let missing = move || pick_required && show_missing_picks.get() && chosen().is_empty();
            let trouble = RwSignal::new(None::<&'static str>);
            let list = if people.is_empty() {
                // Anyone in the organisation: the people picker.
                let open = move |_| {
                    let (api, choose) = (api.clone(), choose.clone());
                    let pick = PeoplePick {
                        title: title.clone(),
                        multiple: pick_multiple,
                        picked: chosen(),
                        ..Default::default()
                    };
                    leptos::task::spawn_local(async move {
                        match platform::pick_people(&api, &pick).await {
                            Ok(Some(users)) => {
                                for user in &users {
                                    form.name(format!("u:{}", user.user_id), user.name.clone());
                                }
                                choose(users.into_iter().map(|u| u.user_id).collect());
                            }
                            Ok(None) => {}
                            Err(failure) => trouble.set(Some(picker_failure_text(&failure, lang))),
                        }
                    });
                };
                let shown = move || {
                    form.names.with(|n| {
                        chosen()
                            .iter()
                            .map(|id| n.get(&format!("u:{id}")).cloned().unwrap_or_else(|| id.clone()))
                            .collect::<Vec<_>>()
                            .join("、")
                    })
                };
                view! {
                    <button type="button" class="form-picker" data-testid=format!("{test_id}-pick") on:click=open>
                        {move || { let s = shown(); if s.is_empty() { pick_label.to_owned() } else { s } }}
                    </button>
                }
                .into_any()
            } else {
                people
                    .into_iter()
                    .map(|person| {
                        let (id, choose) = (person.user_id.clone(), choose.clone());
                        let pressed = {
                            let id = id.clone();
                            move || chosen().contains(&id)
                        };
                        let toggle = move |_| {
                            let mut now = chosen();
                            if now.contains(&id) {
                                now.retain(|u| *u != id);
                            } else if pick_multiple {
                                now.push(id.clone());
                            } else {
                                now = vec![id.clone()];
                            }
                            choose(now);
                        };
                        view! {
                            <button
                                type="button"
                                class="route-chip"
                                aria-pressed=move || pressed().to_string()
                                data-testid=format!("{test_id}-{}", person.user_id)
                                on:click=toggle
                            >
                                {person.name}
                            </button>
                        }
                    })
                    .collect_view()
                    .into_any()
            };
            view! {
                <div class="route-choices" role="group" aria-label=pick_label>{list}</div>
                <Show when=move || missing() || trouble.get().is_some()>
                    <p class="field-error" role="alert" data-testid=error_id.clone()>
                        {move || trouble.get().unwrap_or(pick_missing)}
                    </p>
                </Show>
            }
            .into_any()
        }
    };
    view! {
        <li class=if kind == StepKind::Cc { "route-step route-cc" } else { "route-step" } data-testid=test_id.clone()>
            <span class="route-dot" aria-hidden="true"></span>
            <div class="route-main">
                <p class="route-name">{name.clone()}</p>
                {body}
            </div>
        </li>
    }
}
