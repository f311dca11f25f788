//! Figures a form shows beside its values, computed the same way in the browser and on the server: an amount in
//! Chinese capital numerals (大写), a date range's duration, and a table column's total.

use super::validate::{day_number, is_decimal, parse_moment};
use super::{DateFormat, FieldValue, FormValues, MONEY_DECIMALS};

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const PLACES: [char; 4] = ['\0', '拾', '佰', '仟'];
const GROUPS: [&str; 3] = ["", "万", "亿"];

/// An amount of money in Chinese capital numerals, as cheques and DingTalk's money control write it:
/// `1299.5` → `壹仟贰佰玖拾玖元伍角`, `100` → `壹佰元整`. `None` for text that is not an amount (negative, more
/// than two decimals) or is 1 万亿 or more.
pub fn money_in_words(amount: &str) -> Option<String> {
    let amount = amount.trim();
    if !is_decimal(amount, false, Some(MONEY_DECIMALS)) {
        return None;
    }
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let whole = whole.trim_start_matches('0');
    if whole.len() > 12 {
        return None;
    }
    let digit = |c: u8| usize::from(c - b'0');
    let mut out = String::new();
    let (mut zeros, mut group_used) = (false, false);
    for (i, c) in whole.bytes().enumerate() {
        let place = whole.len() - 1 - i;
        if c == b'0' {
            zeros = true;
        } else {
            if zeros && !out.is_empty() {
                out.push('零');
            }
            zeros = false;
            group_used = true;
            out.push(DIGITS[digit(c)]);
            if place % 4 != 0 {
                out.push(PLACES[place % 4]);
            }
        }
        if place % 4 == 0 {
            if group_used {
                out.push_str(GROUPS[place / 4]);
            }
            group_used = false;
        }
    }
    let mut cents = fraction.bytes().map(digit).chain(std::iter::repeat(0));
    let (jiao, fen) = (cents.next().unwrap_or(0), cents.next().unwrap_or(0));
    if !out.is_empty() {
        out.push('元');
    }
    if jiao == 0 && fen == 0 {
        if out.is_empty() {
            out.push_str("零元");
        }
        out.push('整');
        return Some(out);
    }
    if jiao > 0 {
        out.push(DIGITS[jiao]);
        out.push('角');
    } else if !out.is_empty() {
        out.push('零');
    }
    if fen > 0 {
        out.push(DIGITS[fen]);
        out.push('分');
    }
    Some(out)
}

/// How long a date range lasts, in its unit (`天` unless it says `小时`), as text without needless decimals.
///
/// A range of plain dates counts whole days, both ends included (DingTalk's leave counts 11-02 to 11-04 as 3 天);
/// a range with times counts the time between them, to one decimal. `None` while either end is not a date in the
/// format, or the range ends before it starts.
pub fn range_duration(format: DateFormat, unit: Option<&str>, start: &str, end: &str) -> Option<String> {
    let moment = |s: &str| {
        let ((y, mo, d, h, mi, _), len) = parse_moment(s.trim())?;
        let ok = len == 10 || (len == 16 && format == DateFormat::DateTime);
        ok.then(|| day_number(y, mo, d) * 1440 + i64::from(h * 60 + mi))
    };
    let (start, end) = (moment(start)?, moment(end)?);
    if end < start {
        return None;
    }
    let minutes = match format {
        DateFormat::Date => end - start + 1440,
        DateFormat::DateTime => end - start,
    };
    let per_unit = if unit == Some("小时") { 60 } else { 1440 };
    // Tenths of the unit, rounded half up.
    let tenths = (minutes * 10 + per_unit / 2) / per_unit;
    Some(if tenths % 10 == 0 { (tenths / 10).to_string() } else { format!("{}.{}", tenths / 10, tenths % 10) })
}

/// The sum of a table column's numbers or amounts, in the most decimals any of them has (`12.5` + `3` →
/// `15.5`). Cells that are empty or not numbers are left out; `None` when no cell has a number.
pub fn column_total(rows: &[FormValues], column_id: &str) -> Option<String> {
    let mut total: i128 = 0;
    let mut scale: u32 = 0;
    let mut any = false;
    for row in rows {
        let text = match row.get(column_id) {
            Some(FieldValue::Number(s) | FieldValue::Money(s)) => s.trim(),
            _ => continue,
        };
        if !is_decimal(text, true, Some(12)) || text.len() > 30 {
            continue;
        }
        let negative = text.starts_with('-');
        let (whole, fraction) =
            text.trim_start_matches('-').split_once('.').unwrap_or((text.trim_start_matches('-'), ""));
        let places = fraction.len() as u32;
        let mantissa: i128 = format!("{whole}{fraction}").parse().ok()?;
        let mantissa = if negative { -mantissa } else { mantissa };
        if places > scale {
            total *= 10i128.pow(places - scale);
            scale = places;
        }
        total += mantissa * 10i128.pow(scale - places);
        any = true;
    }
    if !any {
        return None;
    }
    let sign = if total < 0 { "-" } else { "" };
    let digits = total.unsigned_abs().to_string();
    if scale == 0 {
        return Some(format!("{sign}{digits}"));
    }
    let digits = format!("{digits:0>width$}", width = scale as usize + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale as usize);
    Some(format!("{sign}{whole}.{fraction}"))
}
