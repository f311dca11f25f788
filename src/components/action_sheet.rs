//! What a participant can do to an instance: the sticky action bar (同意 / 拒绝 / 转交 / 评论 / 撤销) and the
//! bottom sheet that asks for the remark before an action is sent.

use api_types::{ActionKind, AllowedAction, InstanceAction};
use leptos::prelude::*;

use crate::i18n::Lang;

/// The button text of an action.
pub fn action_label(kind: ActionKind, lang: Lang) -> &'static str {
    match kind {
        ActionKind::Approve => lang.pick("同意", "Approve"),
        ActionKind::Refuse => lang.pick("拒绝", "Refuse"),
        ActionKind::Transfer => lang.pick("转交", "Transfer"),
        ActionKind::Revoke => lang.pick("撤销", "Revoke"),
        ActionKind::Comment => lang.pick("评论", "Comment"),
    }
}

fn action_test_id(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Approve => "action-approve",
        ActionKind::Refuse => "action-refuse",
        ActionKind::Transfer => "action-transfer",
        ActionKind::Revoke => "action-revoke",
        ActionKind::Comment => "action-comment",
    }
}

/// Where an action sits in the bar: DingTalk puts 评论 and 转交 first and the decision last, 同意 at the right.
fn bar_order(kind: ActionKind) -> u8 {
    match kind {
        ActionKind::Comment => 0,
        ActionKind::Transfer => 1,
        ActionKind::Revoke => 2,
        ActionKind::Refuse => 3,
        ActionKind::Approve => 4,
    }
}

/// The sticky bar with one button per allowed action; nothing when no action is allowed.
#[component]
pub fn ActionBar(
    /// What the caller may do now.
    actions: Vec<AllowedAction>,
    /// Called with the action whose button was tapped.
    #[prop(into)]
    on_pick: Callback<AllowedAction>,
    /// The display language.
    lang: Lang,
) -> impl IntoView {
    let mut actions = actions;
    actions.sort_by_key(|a| bar_order(a.action));
    (!actions.is_empty()).then(|| {
        let buttons = actions
            .into_iter()
            .map(|allowed| {
                let kind = allowed.action;
                let class = match kind {
                    ActionKind::Approve => "button primary",
                    ActionKind::Refuse | ActionKind::Revoke => "button danger",
                    _ => "button",
                };
                view! {
                    <button class=class data-testid=action_test_id(kind) on:click=move |_| on_pick.run(allowed.clone())>
                        {action_label(kind, lang)}
                    </button>
                }
            })
            .collect_view();
        view! {
            <nav class="bottom-bar detail-actions" data-testid="action-bar" aria-label=lang.pick("操作", "Actions")>
                {buttons}
            </nav>
        }
    })
}

/// Whether the sheet's text is acceptable for `kind`: a refusal and a comment need words (see the report: the
/// originator should learn why), every text fits DingTalk's limit. `None` when it is fine, else what to fix.
pub fn check_remark(kind: ActionKind, text: &str, lang: Lang) -> Option<&'static str> {
    let required = matches!(kind, ActionKind::Refuse | ActionKind::Comment);
    if required && text.trim().is_empty() {
        return Some(match kind {
            ActionKind::Refuse => lang.pick("请填写拒绝理由", "Say why you refuse"),
            _ => lang.pick("请填写评论内容", "Write a comment"),
        });
    }
    if text.chars().count() > InstanceAction::MAX_TEXT {
        return Some(lang.pick("最多 1024 个字", "At most 1024 characters"));
    }
    None
}

/// The bottom sheet asking for a remark (a reason for 撤销, the text for 评论; for 转交 also who takes over).
#[component]
pub fn RemarkSheet(
    /// Which action the sheet sends.
    kind: ActionKind,
    /// For a transfer: the name of who takes over, once picked.
    #[prop(into)]
    target: Signal<Option<String>>,
    /// For a transfer: pick (or change) who takes over.
    #[prop(into)]
    on_pick_target: Callback<()>,
    /// While the action is on its way: the submit button shows progress and does nothing.
    #[prop(into)]
    pending: Signal<bool>,
    /// Why the last try failed, in words.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// Called with the trimmed text once it passes [`check_remark`] (and, for a transfer, someone is picked).
    #[prop(into)]
    on_submit: Callback<String>,
    /// Closes the sheet without sending.
    #[prop(into)]
    on_close: Callback<()>,
    /// The display language.
    lang: Lang,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let invalid = RwSignal::new(None::<&'static str>);
    let title = match kind {
        ActionKind::Revoke => lang.pick("撤销审批", "Revoke the approval"),
        other => action_label(other, lang),
    };
    let placeholder = match kind {
        ActionKind::Refuse => lang.pick("请输入拒绝理由（必填）", "Why do you refuse? (required)"),
        ActionKind::Comment => lang.pick("请输入评论", "Your comment"),
        ActionKind::Revoke => lang.pick("请输入撤销原因（选填）", "Why revoke? (optional)"),
        _ => lang.pick("请输入审批意见（选填）", "Your remark (optional)"),
    };
    let submit = move || {
        if pending.get_untracked() {
            return;
        }
        let value = text.get_untracked();
        if kind == ActionKind::Transfer && target.get_untracked().is_none() {
            invalid.set(Some(lang.pick("请选择转交人", "Pick who takes over")));
            return;
        }
        match check_remark(kind, &value, lang) {
            Some(problem) => invalid.set(Some(problem)),
            None => {
                invalid.set(None);
                on_submit.run(value.trim().to_owned());
            }
        }
    };
    let message = move || invalid.get().map(str::to_owned).or_else(|| error.get());
    let input = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(input) = input.get() {
            let _ = input.focus();
        }
    });
    view! {
        <div class="sheet-mask" data-testid="sheet-mask" on:click=move |_| on_close.run(())></div>
        <div
            class="sheet remark-sheet"
            role="dialog"
            aria-modal="true"
            aria-labelledby="remark-sheet-title"
            data-testid="remark-sheet"
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    on_close.run(());
                }
            }
        >
            <h2 class="sheet-title" id="remark-sheet-title">{title}</h2>
            {(kind == ActionKind::Transfer)
                .then(|| {
                    view! {
                        <button
                            class="cell remark-target"
                            data-testid="sheet-target"
                            on:click=move |_| on_pick_target.run(())
                        >
                            <span class="cell-main">{lang.pick("转交给", "Transfer to")}</span>
                            <span class="cell-extra" data-testid="sheet-target-name">
                                {move || target.get().unwrap_or_else(|| lang.pick("请选择", "Pick").to_owned())}
                            </span>
                        </button>
                    }
                })}
            <label class="field">
                <span class="visually-hidden">{placeholder}</span>
                <textarea
                    node_ref=input
                    data-testid="sheet-remark"
                    rows="4"
                    placeholder=placeholder
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        invalid.set(None);
                    }
                ></textarea>
            </label>
            <p class="error-text" role="alert" data-testid="sheet-error">{message}</p>
            <div class="remark-buttons">
                <button class="button" data-testid="sheet-cancel" on:click=move |_| on_close.run(())>
                    {lang.pick("取消", "Cancel")}
                </button>
                <button
                    class="button primary"
                    data-testid="sheet-submit"
                    aria-busy=move || pending.get().to_string()
                    disabled=move || pending.get()
                    on:click=move |_| submit()
                >
                    {move || if pending.get() { lang.pick("提交中…", "Sending…") } else { lang.pick("提交", "Submit") }}
                </button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_and_a_comment_need_words_an_approval_does_not() {
        assert!(check_remark(ActionKind::Refuse, "  ", Lang::Zh).is_some());
        assert!(check_remark(ActionKind::Comment, "", Lang::Zh).is_some());
        assert_eq!(check_remark(ActionKind::Approve, "", Lang::Zh), None);
        assert_eq!(check_remark(ActionKind::Revoke, "", Lang::Zh), None);
        assert_eq!(check_remark(ActionKind::Refuse, "预算超了", Lang::Zh), None);
    }

    #[test]
    fn text_over_dingtalks_limit_is_refused_by_characters_not_bytes() {
        let at_limit = "字".repeat(InstanceAction::MAX_TEXT);
        assert_eq!(check_remark(ActionKind::Comment, &at_limit, Lang::Zh), None);
        let over = "字".repeat(InstanceAction::MAX_TEXT + 1);
        assert!(check_remark(ActionKind::Approve, &over, Lang::Zh).is_some());
    }
}
