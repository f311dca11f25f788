//! One line of the inbox: title, template and originator, when it was submitted (relative), and its status tag.

use api_types::{InboxItem, RequestState};
use leptos::prelude::*;

use crate::i18n::Lang;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The year, month and day of a day counted from 1970-01-01 (the proleptic Gregorian calendar).
fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// When `then_ms` was, seen from `now_ms`, as DingTalk says it: 刚刚, 5 分钟前, 3 小时前 (today), 昨天, 11月20日 (this
/// year), 2025-11-20. `offset_minutes` is the local time zone's distance from UTC (UTC+8 is 480).
pub fn relative_time(now_ms: i64, then_ms: i64, offset_minutes: i64, lang: Lang) -> String {
    let ago = now_ms - then_ms;
    if ago < MINUTE_MS {
        return lang.pick("刚刚", "Just now").to_owned();
    }
    if ago < HOUR_MS {
        let minutes = ago / MINUTE_MS;
        return match lang {
            Lang::Zh => format!("{minutes} 分钟前"),
            Lang::En => format!("{minutes} min ago"),
        };
    }
    let local_day = |ms: i64| (ms + offset_minutes * MINUTE_MS).div_euclid(DAY_MS);
    let (today, day) = (local_day(now_ms), local_day(then_ms));
    if day == today {
        let hours = ago / HOUR_MS;
        return match lang {
            Lang::Zh => format!("{hours} 小时前"),
            Lang::En => format!("{hours} h ago"),
        };
    }
    if day + 1 == today {
        return lang.pick("昨天", "Yesterday").to_owned();
    }
    let (year, month, date) = civil_date(day);
    if year == civil_date(today).0 {
        return match lang {
            Lang::Zh => format!("{month}月{date}日"),
            Lang::En => format!("{month}/{date}"),
        };
    }
    format!("{year}-{month:02}-{date:02}")
}

/// The words for a status, as its tag shows them.
pub fn status_label(status: RequestState, lang: Lang) -> &'static str {
    match status {
        RequestState::Queued => lang.pick("提交中", "Submitting"),
        RequestState::Submitted | RequestState::Running => lang.pick("审批中", "In progress"),
        RequestState::Approved => lang.pick("已通过", "Approved"),
        RequestState::Refused => lang.pick("已拒绝", "Refused"),
        RequestState::Revoked => lang.pick("已撤销", "Revoked"),
        RequestState::Failed => lang.pick("提交失败", "Failed"),
        RequestState::Unknown => lang.pick("未知", "Unknown"),
    }
}

/// The last two characters of a name, as DingTalk's avatars show a person without a photo.
pub fn initials(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    chars[chars.len().saturating_sub(2)..].iter().collect()
}

/// One inbox item as a link to its page.
#[component]
pub fn InboxCell(
    /// The item.
    item: InboxItem,
    /// Where the cell leads.
    #[prop(into)]
    href: String,
    /// The template's name, when known.
    #[prop(into)]
    template: Signal<Option<String>>,
    /// The time the relative dates count from (Unix ms).
    now_ms: i64,
    /// The local time zone's distance from UTC in minutes.
    offset_minutes: i64,
    /// Display language.
    lang: Lang,
) -> impl IntoView {
    let originator =
        if item.originator.name.is_empty() { item.originator.user_id.clone() } else { item.originator.name };
    let title = StoredValue::new(item.title);
    let who = originator.clone();
    let heading = move || {
        let title = title.get_value();
        if !title.is_empty() {
            return title;
        }
        let template = template.get().unwrap_or_default();
        match lang {
            Lang::Zh => format!("{who}提交的{template}"),
            Lang::En => format!("{template} from {who}"),
        }
    };
    let when = relative_time(now_ms, item.created_at, offset_minutes, lang);
    view! {
        <li>
            <a class="cell inbox-cell" href=href data-testid="inbox-item">
                <span class="inbox-avatar" aria-hidden="true">{initials(&originator)}</span>
                <span class="cell-main">
                    <span class="cell-title" data-testid="inbox-item-title">{heading}</span>
                    <span class="cell-brief">
                        {move || template.get().map(|t| t + " · ")}
                        {originator}
                    </span>
                </span>
                <span class="inbox-cell-side">
                    <time class="cell-extra" data-testid="inbox-item-time">{when}</time>
                    <span class=format!("tag {}", item.status.as_str()) data-testid="inbox-item-status">
                        {status_label(item.status, lang)}
                    </span>
                </span>
            </a>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-22 10:00 in UTC+8 (02:00 UTC).
    const NOW: i64 = 1_795_312_800_000;
    const CHINA: i64 = 480;

    #[test]
    fn the_calendar_knows_leap_days_and_the_epoch() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(19_782), (2024, 2, 29));
        assert_eq!(civil_date(-1), (1969, 12, 31));
    }

    #[test]
    fn recent_times_count_minutes_then_hours() {
        assert_eq!(relative_time(NOW, NOW - 30_000, CHINA, Lang::Zh), "刚刚");
        assert_eq!(relative_time(NOW, NOW + 5_000, CHINA, Lang::Zh), "刚刚");
        assert_eq!(relative_time(NOW, NOW - 5 * MINUTE_MS, CHINA, Lang::Zh), "5 分钟前");
        assert_eq!(relative_time(NOW, NOW - 5 * MINUTE_MS, CHINA, Lang::En), "5 min ago");
        assert_eq!(relative_time(NOW, NOW - 9 * HOUR_MS, CHINA, Lang::Zh), "9 小时前");
    }

    #[test]
    fn yesterday_follows_the_local_calendar_not_24_hours() {
        // 10.5 hours before 10:00 in UTC+8 is 23:30 yesterday there; in New York (UTC-5) both are on Nov 21.
        assert_eq!(relative_time(NOW, NOW - 10 * HOUR_MS - 30 * MINUTE_MS, CHINA, Lang::Zh), "昨天");
        assert_eq!(relative_time(NOW, NOW - 10 * HOUR_MS - 30 * MINUTE_MS, -300, Lang::Zh), "10 小时前");
    }

    #[test]
    fn older_dates_show_the_day_and_the_year_when_it_differs() {
        assert_eq!(relative_time(NOW, NOW - 3 * DAY_MS, CHINA, Lang::Zh), "11月19日");
        assert_eq!(relative_time(NOW, NOW - 3 * DAY_MS, CHINA, Lang::En), "11/19");
        assert_eq!(relative_time(NOW, NOW - 365 * DAY_MS, CHINA, Lang::Zh), "2025-11-22");
    }

    #[test]
    fn avatars_show_the_last_two_characters() {
        assert_eq!(initials("欧阳小明"), "小明");
        assert_eq!(initials("张三"), "张三");
        assert_eq!(initials(""), "");
    }
}
