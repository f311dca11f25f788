//! The rules a form's values must follow, the same as DingTalk's create API applies
//! (`crates/dingtalk-emulator/src/forms.rs`), so a form that passes here is not refused by DingTalk for format.
//!
//! What only DingTalk can know (that a userid, department, file or instance exists) is not checked here.

use serde::{Deserialize, Serialize};

use super::encode::encode_value;
use super::{Field, FieldKind, FieldValue, FormSchema, FormValues};

/// At most this many values in one create call (server-api.md §5.1).
pub const MAX_VALUES: usize = 150;
/// At most this many characters in one value as sent (a table's whole JSON included).
pub const MAX_VALUE_CHARS: usize = 65_535;
/// At most this many photos in a photo field.
pub const MAX_PHOTOS: usize = 9;
/// At most this many related instances in a relate field.
pub const MAX_RELATED: usize = 9;
/// The most stars a rating gives.
pub const MAX_STARS: u8 = 5;
/// At most this many decimals in an amount of money.
pub const MONEY_DECIMALS: usize = 2;

/// Why a field's value is refused, as a closed set the app turns into words. Serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorCode {
    /// A required field (or a required column of a row) has no value.
    Required,
    /// The values name a field (or column) the form does not have.
    UnknownField,
    /// A value was given for a field that takes none (a note, or a kind the create API cannot fill).
    NotFillable,
    /// The form requires a field the create API cannot fill, so it cannot be submitted from here at all.
    CannotSubmit,
    /// The value is of another kind than the field (e.g. text for a money field).
    WrongType,
    /// Not a decimal number (`12`, `-3.5`).
    NotANumber,
    /// An amount of money below zero.
    Negative,
    /// An amount of money with more than [`MONEY_DECIMALS`] decimals.
    TooManyDecimals,
    /// Not one of the field's options.
    NotAnOption,
    /// The same option, person, department or instance twice.
    Duplicate,
    /// Not a calendar date (or date and time) in the field's format.
    BadDate,
    /// A date range that ends before it starts.
    RangeReversed,
    /// Longer than [`MAX_VALUE_CHARS`] as sent, or more than [`MAX_VALUES`] values in the form.
    TooLong,
    /// More items than the field takes: several people or departments where one is allowed, more than
    /// [`MAX_PHOTOS`] photos or [`MAX_RELATED`] related instances.
    TooMany,
    /// Not a phone number.
    BadPhone,
    /// A photo that is not an `http(s)` URL.
    BadUrl,
    /// An attachment without its space, id, name or type.
    BadAttachment,
    /// An address without province, city or district, or with a comma inside one of them.
    BadAddress,
    /// A rating outside 1 to [`MAX_STARS`].
    BadRating,
    /// A time-and-location without a time to the minute, with coordinates off the globe, or without an address.
    BadLocation,
    /// A blank userid or instance id.
    BlankId,
    /// A code this build does not know yet (from a newer server).
    #[serde(other)]
    Unknown,
}

/// One refused value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    /// The field's id; for a table's cell, the table's.
    pub field_id: String,
    /// For a table's cell, the row's index from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// For a table's cell, the column's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_id: Option<String>,
    /// What is wrong.
    pub code: FieldErrorCode,
}

impl FieldError {
    /// An error on a top-level field.
    pub fn new(field_id: impl Into<String>, code: FieldErrorCode) -> Self {
        Self { field_id: field_id.into(), row: None, column_id: None, code }
    }

    /// An error on a table's cell.
    pub fn cell(table_id: impl Into<String>, row: usize, column_id: impl Into<String>, code: FieldErrorCode) -> Self {
        Self { field_id: table_id.into(), row: Some(row), column_id: Some(column_id.into()), code }
    }
}

/// Checks `values` against `schema`, returning every refused value (in schema order, unknown ids first).
pub fn validate(schema: &FormSchema, values: &FormValues) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    check_fields(&schema.fields, values, &mut |id, code| errors.push(FieldError::new(id, code)));
    for field in &schema.fields {
        if let (FieldKind::Table { columns, .. }, Some(FieldValue::Table(rows))) = (&field.kind, values.get(&field.id))
        {
            for (i, row) in rows.iter().enumerate() {
                check_fields(columns, row, &mut |col, code| errors.push(FieldError::cell(&field.id, i, col, code)));
            }
        }
    }
    let mut given =
        schema.fields.iter().filter(|f| f.is_fillable() && values.get(&f.id).is_some_and(|v| !v.is_empty()));
    if let Some(extra) = given.nth(MAX_VALUES) {
        errors.push(FieldError::new(&extra.id, FieldErrorCode::TooLong));
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Checks one level of fields (the form's, or a table row's cells), reporting `(field id, code)`. A table's
/// rows are the caller's to check.
fn check_fields(fields: &[Field], values: &FormValues, report: &mut dyn FnMut(&str, FieldErrorCode)) {
    for id in values.0.keys().filter(|id| !fields.iter().any(|f| &f.id == *id)) {
        report(id, FieldErrorCode::UnknownField);
    }
    for field in fields {
        let value = values.get(&field.id).filter(|v| !v.is_empty());
        let outcome = match (field.is_fillable(), value) {
            (false, _) if field.required => Err(FieldErrorCode::CannotSubmit),
            (false, Some(_)) => Err(FieldErrorCode::NotFillable),
            (true, None) if field.required => Err(FieldErrorCode::Required),
            (_, None) => Ok(()),
            (true, Some(value)) => check_value(&field.kind, value).and_then(|()| {
                let sent = encode_value(&field.kind, value).chars().count();
                if sent > MAX_VALUE_CHARS { Err(FieldErrorCode::TooLong) } else { Ok(()) }
            }),
        };
        if let Err(code) = outcome {
            report(&field.id, code);
        }
    }
}

/// Checks a non-empty value of a fillable field against its kind's rules. A table's cells are checked elsewhere.
fn check_value(kind: &FieldKind, value: &FieldValue) -> Result<(), FieldErrorCode> {
    use FieldErrorCode as E;
    use FieldValue as V;
    let ensure = |ok: bool, code: FieldErrorCode| if ok { Ok(()) } else { Err(code) };
    match (kind, value) {
        (FieldKind::Text { .. }, V::Text(_)) => Ok(()),
        (FieldKind::Number { .. }, V::Number(n)) => ensure(is_decimal(n.trim(), true, None), E::NotANumber),
        (FieldKind::Money { .. }, V::Money(m)) => check_money(m.trim()),
        (FieldKind::Select { options }, V::Choice(c)) => ensure(options.iter().any(|o| o == c.trim()), E::NotAnOption),
        (FieldKind::MultiSelect { options }, V::Choices(picked)) => {
            ensure(picked.iter().all(|p| options.contains(p)), E::NotAnOption)?;
            distinct(picked)
        }
        (FieldKind::Date { format }, V::Date(d)) => ensure(parse_date(d.trim(), *format).is_some(), E::BadDate),
        (FieldKind::DateRange { format, .. }, V::DateRange { start, end }) => {
            let start = parse_date(start.trim(), *format).ok_or(E::BadDate)?;
            let end = parse_date(end.trim(), *format).ok_or(E::BadDate)?;
            ensure(start <= end, E::RangeReversed)
        }
        (FieldKind::Phone, V::Phone(p)) => ensure(is_phone(p.trim()), E::BadPhone),
        (FieldKind::Photo, V::Photos(urls)) => {
            ensure(urls.len() <= MAX_PHOTOS, E::TooMany)?;
            ensure(urls.iter().all(|u| is_web_url(u)), E::BadUrl)
        }
        (FieldKind::Attachment, V::Attachments(files)) => {
            let complete = |f: &super::Attachment| {
                [&f.space_id, &f.file_id, &f.file_name, &f.file_type].iter().all(|s| !s.trim().is_empty())
            };
            ensure(files.iter().all(complete), E::BadAttachment)
        }
        (FieldKind::Contact { multiple }, V::People(users)) => {
            ensure(*multiple || users.len() <= 1, E::TooMany)?;
            ensure(users.iter().all(|u| !u.trim().is_empty()), E::BlankId)?;
            distinct(users)
        }
        (FieldKind::Department { multiple }, V::Departments(ids)) => {
            ensure(*multiple || ids.len() <= 1, E::TooMany)?;
            distinct(ids)
        }
        (FieldKind::Relate, V::Related(ids)) => {
            ensure(ids.len() <= MAX_RELATED, E::TooMany)?;
            ensure(ids.iter().all(|i| !i.trim().is_empty()), E::BlankId)?;
            distinct(ids)
        }
        (FieldKind::Address { .. }, V::Address(a)) => {
            let part_ok = |s: &String| !s.trim().is_empty() && !s.contains(',');
            ensure([&a.province, &a.city, &a.district].into_iter().all(part_ok), E::BadAddress)
        }
        (FieldKind::StarRating, V::Rating(n)) => ensure((1..=MAX_STARS).contains(n), E::BadRating),
        (FieldKind::TimeAndLocation { .. }, V::TimeAndLocation(t)) => {
            let timed = parse_moment(t.time.trim()).is_some_and(|(_, len)| len >= 16);
            let on_globe = t.longitude.is_finite()
                && t.latitude.is_finite()
                && t.longitude.abs() <= 180.0
                && t.latitude.abs() <= 90.0;
            ensure(timed && on_globe && !t.address.trim().is_empty(), E::BadLocation)
        }
        (FieldKind::Table { .. }, V::Table(_)) => Ok(()),
        _ => Err(E::WrongType),
    }
}

/// Refuses an item given twice.
fn distinct<T: PartialEq>(items: &[T]) -> Result<(), FieldErrorCode> {
    let repeated = items.iter().enumerate().any(|(i, x)| items[..i].contains(x));
    if repeated { Err(FieldErrorCode::Duplicate) } else { Ok(()) }
}

/// An amount: decimal text, not negative, at most [`MONEY_DECIMALS`] decimals.
fn check_money(s: &str) -> Result<(), FieldErrorCode> {
    if !is_decimal(s, true, None) {
        Err(FieldErrorCode::NotANumber)
    } else if s.starts_with('-') {
        Err(FieldErrorCode::Negative)
    } else if !is_decimal(s, false, Some(MONEY_DECIMALS)) {
        Err(FieldErrorCode::TooManyDecimals)
    } else {
        Ok(())
    }
}

/// A decimal number as text: digits with an optional fraction, a leading minus when `negative` is allowed, at most
/// `max_fraction` digits after the point.
pub(super) fn is_decimal(s: &str, negative: bool, max_fraction: Option<usize>) -> bool {
    let s = if negative { s.strip_prefix('-').unwrap_or(s) } else { s };
    let (whole, fraction) = s.split_once('.').map_or((s, None), |(w, f)| (w, Some(f)));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(|f| digits(f) && max_fraction.is_none_or(|max| f.len() <= max))
}

/// A date or time to the precision its text gives, comparable.
pub(super) type Moment = (u32, u32, u32, u32, u32, u32);

/// A date in a field's format: `yyyy-MM-dd` always, `yyyy-MM-dd HH:mm` for a date-time field.
fn parse_date(s: &str, format: super::DateFormat) -> Option<Moment> {
    match parse_moment(s)? {
        (m, 10) => Some(m),
        (m, 16) if format == super::DateFormat::DateTime => Some(m),
        _ => None,
    }
}

/// Parses `yyyy-MM-dd`, `yyyy-MM-dd HH:mm` or `yyyy-MM-dd HH:mm:ss` on the calendar, returning the moment and the
/// text's length.
pub(super) fn parse_moment(s: &str) -> Option<(Moment, usize)> {
    let b = s.as_bytes();
    let num = |from: usize, to: usize| -> Option<u32> {
        let part = s.get(from..to)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    if !matches!(b.len(), 10 | 16 | 19) || !sep(4, b'-') || !sep(7, b'-') {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if y == 0 || d == 0 || d > days {
        return None;
    }
    let (mut h, mut mi, mut sec) = (0, 0, 0);
    if b.len() >= 16 {
        if !sep(10, b' ') || !sep(13, b':') {
            return None;
        }
        (h, mi) = (num(11, 13).filter(|h| *h < 24)?, num(14, 16).filter(|m| *m < 60)?);
    }
    if b.len() == 19 {
        if !sep(16, b':') {
            return None;
        }
        sec = num(17, 19).filter(|s| *s < 60)?;
    }
    Some(((y, mo, d, h, mi, sec), b.len()))
}

/// Days since 1970-01-01 of a calendar date (negative before it), for differences between dates.
pub(super) fn day_number(y: u32, m: u32, d: u32) -> i64 {
    // Howard Hinnant's days_from_civil, with March as the first month so February's leap day comes last.
    let (y, m, d) = (i64::from(y) - i64::from(m <= 2), i64::from(m), i64::from(d));
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A phone number: a mobile (`157...`) or a landline (`010-12345678`), an optional leading `+`, digits with `-` or
/// spaces between them, 5 to 20 digits.
fn is_phone(s: &str) -> bool {
    let body = s.strip_prefix('+').unwrap_or(s);
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    body.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b' ') && (5..=20).contains(&digits)
}

/// An absolute `http(s)` URL with a host. Stricter than a full URL parser (DingTalk's check): the host must be
/// ASCII letters, digits, dots and dashes with an optional port, and nothing in the URL may be blank or a control
/// character, so what passes here passes there.
fn is_web_url(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")) else {
        return false;
    };
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = authority.split_once(':').map_or((authority, None), |(h, p)| (h, Some(p)));
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
    host_ok && port_ok
}
