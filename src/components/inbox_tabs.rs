//! The inbox's tab bar: 待处理 / 已处理 / 已发起 / 抄送我, with a red badge on 待处理 as DingTalk's 审批 shows it.
//!
//! Only 待处理 gets a badge: it is the one count that asks for action. The other boxes only grow, so a number on them
//! would be noise (DingTalk shows none either).

use api_types::{InboxBox, InboxCounts};
use leptos::prelude::*;

use crate::i18n::Lang;

/// The tab's label.
pub fn box_label(inbox: InboxBox, lang: Lang) -> &'static str {
    match inbox {
        InboxBox::Todo => lang.pick("待处理", "To do"),
        InboxBox::Done => lang.pick("已处理", "Done"),
        InboxBox::Mine => lang.pick("已发起", "Submitted"),
        InboxBox::Cc => lang.pick("抄送我", "CC'd"),
    }
}

/// A badge's text: the count, or 99+.
pub fn badge_text(count: u64) -> String {
    if count > 99 { "99+".to_owned() } else { count.to_string() }
}

/// The four tabs as a `tablist`; choosing one calls `on_select`.
#[component]
pub fn InboxTabs(
    /// The tab shown.
    #[prop(into)]
    current: Signal<InboxBox>,
    /// The counts, once known (fresh or kept from the last visit).
    #[prop(into)]
    counts: Signal<Option<InboxCounts>>,
    /// Called with the tab chosen.
    on_select: Callback<InboxBox>,
    /// Display language.
    lang: Lang,
) -> impl IntoView {
    let todo = move || counts.get().map(|c| c.todo).filter(|n| *n > 0);
    view! {
        <nav class="tabs inbox-tabs" role="tablist" aria-label=lang.pick("审批列表", "Approval lists")>
            {InboxBox::ALL
                .into_iter()
                .map(|inbox| {
                    let selected = move || current.get() == inbox;
                    view! {
                        <button
                            class="tab"
                            role="tab"
                            aria-selected=move || selected().to_string()
                            data-testid=format!("tab-{}", inbox.as_str())
                            on:click=move |_| on_select.run(inbox)
                        >
                            {box_label(inbox, lang)}
                            {(inbox == InboxBox::Todo)
                                .then_some(move || {
                                    todo()
                                        .map(|n| {
                                            view! {
                                                <span
                                                    class="badge"
                                                    data-testid="todo-badge"
                                                    aria-label=format!("{n} {}", lang.pick("项待处理", "to do"))
                                                >
                                                    {badge_text(n)}
                                                </span>
                                            }
                                        })
                                })}
                        </button>
                    }
                })
                .collect_view()}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badges_stop_counting_at_99() {
        assert_eq!(badge_text(7), "7");
        assert_eq!(badge_text(99), "99");
        assert_eq!(badge_text(100), "99+");
    }
}
