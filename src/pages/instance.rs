//! The detail of one approval (`/instances/:id`): what DingTalk has for it, and the actions the caller may take,
//! each sent once however often it is tapped.

use api_types::{ActionKind, AllowedAction, ErrorCode, InstanceAction};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use crate::components::{ActionBar, InstanceView, LoadFailed, RemarkSheet};
use crate::errors::Failure;
use crate::i18n::{Label, Lang};
use crate::platform::{self, PeoplePick, PickedUser, ToastIcon};
use crate::session::{self, SessionContext};

/// The page at `/instances/:id`.
#[component]
pub fn Instance() -> impl IntoView {
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    view! { <InstanceScreen id=id /> }
}

/// The sheet that is open: for which action, with which idempotency key, and (for a transfer) to whom.
#[derive(Debug, Clone, PartialEq)]
struct OpenSheet {
    allowed: AllowedAction,
    /// Made when the sheet opens, so a double tap or a retry sends the same key and DingTalk acts once.
    key: String,
    target: Option<PickedUser>,
    /// What was last sent with `key`: a retry of the same action keeps the key, a changed one gets a new key.
    sent: Option<InstanceAction>,
}

/// Whether a failed action may still have been carried out (no answer, or DingTalk did not answer): then a retry
/// must send the same key. Any other refusal is final and remembered under its key, so a retry needs a new one.
fn outcome_unknown(failure: &Failure) -> bool {
    match failure {
        Failure::Network(_) => true,
        Failure::Api(e) => matches!(e.code, ErrorCode::DingTalkUnavailable | ErrorCode::Internal | ErrorCode::Unknown),
        _ => false,
    }
}

/// A fresh idempotency key: random, or (without the browser's CSPRNG) the time, which still keeps one sheet's taps
/// together.
fn new_key() -> String {
    session::random_hex().unwrap_or_else(|| format!("t{}", js_sys::Date::now()))
}

/// The action the sheet sends with `text`, for its task; `None` when a task action lacks its task or a transfer
/// its person.
fn build_action(sheet: &OpenSheet, text: String) -> Option<InstanceAction> {
    let remark = (!text.is_empty()).then_some(text.clone());
    let task_id = sheet.allowed.task_id;
    Some(match sheet.allowed.action {
        ActionKind::Approve => InstanceAction::Approve { task_id: task_id?, remark },
        ActionKind::Refuse => InstanceAction::Refuse { task_id: task_id?, remark },
        ActionKind::Transfer => {
            InstanceAction::Transfer { task_id: task_id?, to_user_id: sheet.target.as_ref()?.user_id.clone(), remark }
        }
        ActionKind::Revoke => InstanceAction::Revoke { reason: remark },
        ActionKind::Comment => InstanceAction::Comment { text },
    })
}

/// What the toast says after an action went through.
fn done_text(kind: ActionKind, lang: Lang) -> &'static str {
    match kind {
        ActionKind::Approve => lang.pick("已同意", "Approved"),
        ActionKind::Refuse => lang.pick("已拒绝", "Refused"),
        ActionKind::Transfer => lang.pick("已转交", "Transferred"),
        ActionKind::Revoke => lang.pick("已撤销", "Revoked"),
        ActionKind::Comment => lang.pick("已评论", "Comment added"),
    }
}

/// The detail of instance `id` with its action bar; the request page shows it too once DingTalk has the instance.
#[component]
pub fn InstanceScreen(
    /// DingTalk's processInstanceId.
    #[prop(into)]
    id: Signal<String>,
) -> impl IntoView {
    let ctx = SessionContext::expect();
    let lang = ctx.lang;
    let api = ctx.api();
    let me = ctx.session.with_untracked(|s| s.as_ref().map(|s| s.user.user_id.clone())).unwrap_or_default();

    let detail = LocalResource::new({
        let api = api.clone();
        move || {
            let api = api.clone();
            let id = id.get();
            async move { api.instance(&id).await }
        }
    });
    let sheet = RwSignal::new(None::<OpenSheet>);
    let failure = RwSignal::new(None::<String>);

    let act = Action::new_local({
        let api = api.clone();
        move |(id, action, key): &(String, InstanceAction, String)| {
            let (api, id, action, key) = (api.clone(), id.clone(), action.clone(), key.clone());
            async move { api.act(&id, &action, &key).await }
        }
    });
    Effect::new(move |_| match act.value().get() {
        Some(Ok(done)) => {
            sheet.set(None);
            spawn_local(platform::toast(done_text(done.action, lang), ToastIcon::Success));
            detail.refetch();
        }
        Some(Err(e)) => {
            leptos::logging::warn!("action failed: {e}");
            let (title, advice) = e.describe(lang);
            failure.set(Some(format!("{title}：{advice}")));
            // What the caller may do has changed under them: show the instance as it now stands.
            if !outcome_unknown(&e) {
                sheet.update(|open| {
                    if let Some(open) = open {
                        open.key = new_key();
                        open.sent = None;
                    }
                });
            }
            if let Failure::Api(api_error) = &e
                && matches!(api_error.code, ErrorCode::TaskDone | ErrorCode::ActionNotAllowed)
            {
                detail.refetch();
            }
        }
        None => {}
    });

    Effect::new(move |_| {
        let title = match detail.get() {
            Some(Ok(d)) => d.title,
            _ => Label::AppTitle.text(lang).to_owned(),
        };
        platform::set_title(&title);
    });

    let pick_target = {
        let api = api.clone();
        let me = me.clone();
        move |allowed: AllowedAction, key: String| {
            let (api, me) = (api.clone(), me.clone());
            spawn_local(async move {
                let pick = PeoplePick {
                    title: lang.pick("选择转交人", "Transfer to").to_owned(),
                    multiple: false,
                    max: Some(1),
                    disabled: vec![me],
                    ..Default::default()
                };
                match platform::pick_people(&api, &pick).await {
                    Ok(Some(people)) => {
                        if let Some(target) = people.into_iter().next() {
                            failure.set(None);
                            sheet.set(Some(OpenSheet { allowed, key, target: Some(target), sent: None }));
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        leptos::logging::warn!("people picker failed: {e}");
                        spawn_local(platform::toast(e.describe(lang).0, ToastIcon::Error));
                    }
                }
            });
        }
    };
    let on_pick = {
        let pick_target = pick_target.clone();
        move |allowed: AllowedAction| {
            failure.set(None);
            if allowed.action == ActionKind::Transfer {
                pick_target(allowed, new_key());
            } else {
                sheet.set(Some(OpenSheet { allowed, key: new_key(), target: None, sent: None }));
            }
        }
    };
    let on_change_target = move |()| {
        if let Some(open) = sheet.get_untracked() {
            // A different person is a different action, so it gets its own key.
            pick_target(open.allowed, new_key());
        }
    };
    let on_submit = move |text: String| {
        let Some(mut open) = sheet.get_untracked() else { return };
        let Some(action) = build_action(&open, text) else { return };
        if open.sent.as_ref().is_some_and(|sent| *sent != action) {
            open.key = new_key();
        }
        open.sent = Some(action.clone());
        let key = open.key.clone();
        sheet.set(Some(open));
        act.dispatch((id.get_untracked(), action, key));
    };
    // The sheet is built once per opening: changing its person or key must not wipe what was typed.
    let open_kind = Memo::new(move |_| sheet.with(|s| s.as_ref().map(|s| s.allowed.action)));

    let fallback =
        move || view! { <p class="pending" data-testid="detail-pending">{lang.pick("加载中…", "Loading…")}</p> };
    view! {
        <Transition fallback=fallback>
            {move || {
                detail
                    .get()
                    .map(|result| match result {
                        Ok(d) => {
                            let actions = d.actions.clone();
                            view! {
                                <InstanceView detail=d lang=lang />
                                <ActionBar actions=actions on_pick=on_pick.clone() lang=lang />
                            }
                                .into_any()
                        }
                        Err(e) => {
                            leptos::logging::warn!("instance failed to load: {e}");
                            let not_found = matches!(& e, Failure::Api(a) if a.code == ErrorCode::NotFound);
                            let (title, advice) = if not_found {
                                (
                                    lang.pick("审批不存在或无权查看", "Not found, or not yours to see"),
                                    lang.pick(
                                        "这条审批可能已被删除，或你不是它的发起人、审批人或抄送人。",
                                        "It may have been deleted, or you are not its originator, approver or CC.",
                                    ),
                                )
                            } else {
                                e.describe(lang)
                            };
                            let test_id = if not_found { "detail-not-found" } else { "detail-failed" };
                            view! { <LoadFailed title=title detail=advice test_id=test_id on_retry=move |()| detail.refetch() lang=lang /> }
                                .into_any()
                        }
                    })
            }}
        </Transition>
        {move || {
            open_kind
                .get()
                .map(|kind| {
                    view! {
                        <RemarkSheet
                            kind=kind
                            target=Signal::derive(move || {
                                sheet.with(|s| s.as_ref().and_then(|s| s.target.as_ref().map(|t| t.name.clone())))
                            })
                            on_pick_target=on_change_target.clone()
                            pending=act.pending()
                            error=failure
                            on_submit=on_submit
                            on_close=move |()| sheet.set(None)
                            lang=lang
                        />
                    }
                })
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(action: ActionKind, task_id: Option<i64>) -> OpenSheet {
        OpenSheet { allowed: AllowedAction { action, task_id }, key: "k".into(), target: None, sent: None }
    }

    #[test]
    fn only_a_failure_without_an_answer_keeps_the_key_for_the_retry() {
        assert!(outcome_unknown(&Failure::Network("timeout".into())));
        let unavailable = api_types::ApiError::new(ErrorCode::DingTalkUnavailable, "no answer");
        assert!(outcome_unknown(&Failure::Api(unavailable)));
        let too_soon = api_types::ApiError::new(ErrorCode::RevokeTooSoon, "wait");
        assert!(!outcome_unknown(&Failure::Api(too_soon)));
    }

    #[test]
    fn an_empty_remark_is_left_out_but_a_comment_keeps_its_text() {
        let approve = build_action(&sheet(ActionKind::Approve, Some(7)), String::new());
        assert_eq!(approve, Some(InstanceAction::Approve { task_id: 7, remark: None }));
        let comment = build_action(&sheet(ActionKind::Comment, None), "看一下".into());
        assert_eq!(comment, Some(InstanceAction::Comment { text: "看一下".into() }));
    }

    #[test]
    fn a_transfer_without_a_person_or_a_task_action_without_its_task_is_not_sent() {
        assert_eq!(build_action(&sheet(ActionKind::Transfer, Some(7)), String::new()), None);
        assert_eq!(build_action(&sheet(ActionKind::Refuse, None), "不行".into()), None);
        let mut transfer = sheet(ActionKind::Transfer, Some(7));
        transfer.target = Some(PickedUser { user_id: "wangwu".into(), name: "王五".into() });
        let sent = build_action(&transfer, "请王五看".into());
        let expected =
            InstanceAction::Transfer { task_id: 7, to_user_id: "wangwu".into(), remark: Some("请王五看".into()) };
        assert_eq!(sent, Some(expected));
    }
}
