//! One approval instance laid out as DingTalk's 审批 app shows it: the header, the form values in order, the
//! timeline with the waiting step last, and the people copied.

use api_types::{
    Decision, FormEntry, InstanceDetail, InstanceStatus, PendingTask, Person, TimelineEntry, TimelineKind,
};
use leptos::prelude::*;

use crate::i18n::Lang;

/// A person's name, or their userid while shenpi does not know the name.
pub fn person_name(person: &Person) -> String {
    person.name.clone().unwrap_or_else(|| person.user_id.clone())
}

/// Unix milliseconds as the local `yyyy-MM-dd HH:mm`.
pub fn local_time(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// The status tag's text and its CSS class (the shared `.tag.<status>` colours).
pub fn status_tag(status: InstanceStatus, lang: Lang) -> (&'static str, &'static str) {
    match status {
        InstanceStatus::Running => (lang.pick("审批中", "In approval"), "tag running"),
        InstanceStatus::Approved => (lang.pick("已通过", "Approved"), "tag approved"),
        InstanceStatus::Refused => (lang.pick("已拒绝", "Refused"), "tag refused"),
        InstanceStatus::Revoked => (lang.pick("已撤销", "Revoked"), "tag revoked"),
        InstanceStatus::Unknown => (lang.pick("未知状态", "Unknown"), "tag unknown"),
    }
}

/// What a timeline entry says happened.
fn entry_verb(entry: &TimelineEntry, lang: Lang) -> &'static str {
    match (entry.kind, entry.result) {
        (TimelineKind::Started, _) => lang.pick("发起申请", "Submitted"),
        (TimelineKind::Executed, Some(Decision::Refuse)) => lang.pick("拒绝", "Refused"),
        (TimelineKind::Executed, _) => lang.pick("同意", "Agreed"),
        (TimelineKind::Transferred, _) => lang.pick("转交", "Transferred"),
        (TimelineKind::Commented, _) => lang.pick("评论", "Commented"),
        (TimelineKind::Revoked, _) => lang.pick("撤销", "Revoked"),
        (TimelineKind::Copied, _) => lang.pick("抄送", "Copied"),
        (TimelineKind::Finished, _) => lang.pick("审批结束", "Finished"),
        (TimelineKind::Other, _) => lang.pick("其他操作", "Other"),
    }
}

/// The instance: header, form, timeline and CC, with no actions (the page adds its action bar).
#[component]
pub fn InstanceView(
    /// The instance to show.
    detail: InstanceDetail,
    /// The display language.
    lang: Lang,
) -> impl IntoView {
    let (status_text, status_class) = status_tag(detail.status, lang);
    let running = detail.status == InstanceStatus::Running;
    let originator = format!("{} · {}", person_name(&detail.originator.person), detail.originator.dept_name);
    view! {
        <article class="detail" data-testid="instance-detail" data-status=status_class>
            <header class="detail-head">
                <div class="detail-title-row">
                    <h1 class="detail-title" data-testid="detail-title">{detail.title}</h1>
                    <span class=status_class data-testid="detail-status">{status_text}</span>
                </div>
                <p class="detail-meta" data-testid="detail-originator">{originator}</p>
                <p class="detail-meta">
                    {lang.pick("审批编号 ", "No. ")}<span data-testid="detail-number">{detail.business_id}</span>
                </p>
                <p class="detail-meta">{lang.pick("提交时间 ", "Submitted ")}{local_time(detail.created_at)}</p>
            </header>
            <FormValues entries=detail.form lang=lang />
            <Timeline
                entries=detail.timeline
                pending=if running { detail.pending } else { Vec::new() }
                lang=lang
            />
            <CcList people=detail.cc lang=lang />
        </article>
    }
}

/// The form's label/value rows in the template's order; long text wraps, attachments are listed by name.
#[component]
pub fn FormValues(
    /// The values, in order.
    entries: Vec<FormEntry>,
    /// The display language.
    lang: Lang,
) -> impl IntoView {
    // Like DingTalk's 审批 app, fields left empty are not listed (DingTalk sends them as "null").
    let rows = entries
        .into_iter()
        .filter(|entry| !is_empty_value(&entry.value))
        .map(|entry| {
            let value = match attachments(&entry) {
                Some(files) => view! {
                    <ul class="detail-files">
                        {files
                            .into_iter()
                            .map(|f| view! { <li data-testid="detail-file">{f.file_name}</li> })
                            .collect_view()}
                    </ul>
                }
                .into_any(),
                None if entry.value.is_empty() => {
                    view! { <span class="muted">{lang.pick("未填写", "Empty")}</span> }.into_any()
                }
                None => entry.value.into_any(),
            };
            view! {
                <div class="detail-row" data-testid="detail-field">
                    <dt class="detail-label">{entry.label}</dt>
                    <dd class="detail-value">{value}</dd>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="detail-section" aria-label=lang.pick("表单", "Form")>
            <dl class="detail-form" data-testid="detail-form">{rows}</dl>
        </section>
    }
}

/// Whether a form value is empty as DingTalk writes it: nothing, or `null` (also as text).
fn is_empty_value(value: &str) -> bool {
    matches!(value.trim(), "" | "null" | "[]")
}

/// One file of an attachment value, as far as the detail shows it.
#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListedFile {
    file_name: String,
}

/// An attachment field's files, when the value is DingTalk's attachment JSON. Only the names are read: DingTalk
/// keeps the value as text, with ids and sizes as strings (`"fileSize":"2048"`), where a submission had numbers.
fn attachments(entry: &FormEntry) -> Option<Vec<ListedFile>> {
    let looks_like = entry.kind.as_deref() == Some("DDAttachment") || entry.value.starts_with("[{");
    if !looks_like {
        return None;
    }
    serde_json::from_str(&entry.value).ok()
}

/// What happened, oldest first, then the step still waiting with its approvers.
#[component]
pub fn Timeline(
    /// The operation records, oldest first.
    entries: Vec<TimelineEntry>,
    /// The tasks still waiting (empty once the instance has ended).
    pending: Vec<PendingTask>,
    /// The display language.
    lang: Lang,
) -> impl IntoView {
    let done = entries
        .into_iter()
        .map(|entry| {
            let verb = entry_verb(&entry, lang);
            let kind = entry.kind.as_str();
            view! {
                <li class="timeline-item" data-testid="timeline-entry" data-kind=kind>
                    <div class="timeline-line">
                        <span class="timeline-who">{person_name(&entry.who)}</span>
                        <span class="timeline-time">{local_time(entry.at)}</span>
                    </div>
                    <p class="timeline-what" data-testid="timeline-verb">
                        {entry.step.map(|s| view! { <span class="timeline-step">{s}</span> })}
                        {verb}
                    </p>
                    {entry.remark.map(|r| view! { <p class="timeline-remark" data-testid="timeline-remark">{r}</p> })}
                </li>
            }
        })
        .collect_view();
    let waiting = (!pending.is_empty()).then(|| {
        let names: Vec<String> = pending.iter().map(|t| person_name(&t.approver)).collect();
        view! {
            <li class="timeline-item waiting" data-testid="timeline-waiting">
                <p class="timeline-what">{lang.pick("审批中", "Waiting")}</p>
                <p class="timeline-who">{names.join(lang.pick("、", ", "))}</p>
            </li>
        }
    });
    view! {
        <section class="detail-section" aria-label=lang.pick("审批流程", "Approval flow")>
            <h2 class="detail-section-title">{lang.pick("审批流程", "Approval flow")}</h2>
            <ol class="timeline" data-testid="timeline">{done}{waiting}</ol>
        </section>
    }
}

/// The people copied, when there are any.
#[component]
pub fn CcList(
    /// Who is copied.
    people: Vec<Person>,
    /// The display language.
    lang: Lang,
) -> impl IntoView {
    (!people.is_empty()).then(|| {
        let names: Vec<String> = people.iter().map(person_name).collect();
        view! {
            <section class="detail-section" data-testid="detail-cc">
                <h2 class="detail-section-title">{lang.pick("抄送人", "CC")}</h2>
                <p class="detail-cc">{names.join(lang.pick("、", ", "))}</p>
            </section>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: Option<&str>, value: &str) -> FormEntry {
        FormEntry { id: "f".into(), label: "附件".into(), value: value.into(), kind: kind.map(str::to_owned) }
    }

    #[test]
    fn fields_dingtalk_sends_as_null_or_blank_are_empty() {
        assert!(is_empty_value("null"));
        assert!(is_empty_value("  "));
        assert!(is_empty_value("[]"));
        assert!(!is_empty_value("0"));
        assert!(!is_empty_value("null 不是空"));
    }

    #[test]
    fn an_attachment_value_lists_its_files_and_other_text_stays_text() {
        let json = r#"[{"spaceId":"1","fileId":"f1","fileName":"发票.pdf","fileSize":10,"fileType":"pdf"}]"#;
        let files = attachments(&entry(Some("DDAttachment"), json))
            .map(|f| f.into_iter().map(|f| f.file_name).collect::<Vec<_>>());
        assert_eq!(files, Some(vec!["发票.pdf".to_owned()]));
        assert_eq!(attachments(&entry(Some("TextField"), "[备注]")), None);
        // As DingTalk keeps it: every field a string.
        let stored = r#"[{"spaceId":"200","fileName":"报价单.pdf","fileSize":"4096","fileType":"pdf","fileId":"9"}]"#;
        assert_eq!(
            attachments(&entry(Some("DDAttachment"), stored)),
            Some(vec![ListedFile { file_name: "报价单.pdf".to_owned() }])
        );
    }
}
