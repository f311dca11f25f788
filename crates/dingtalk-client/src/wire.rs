//! Serde helpers for DingTalk's wire quirks (server-api.md §5, §7): v1.0 times as `yyyy-MM-ddTHH:mmZ`, times in
//! requests as epoch milliseconds, ids and counts that come as a number on one API and a string on another, and
//! empty strings that mean "absent".

use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// The v1.0 time format: UTC, minute precision, a literal `Z` (`2022-08-31T11:52Z`).
const V1_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]Z");

/// Parses a v1.0 time. DingTalk documents minute precision; a full RFC 3339 time (with seconds or an offset) is
/// accepted too, since nothing is lost by reading it.
pub fn parse_v1_time(text: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(text, V1_FORMAT)
        .map(time::PrimitiveDateTime::assume_utc)
        .or_else(|_| OffsetDateTime::parse(text, &Rfc3339))
        .ok()
}

/// Formats a time as DingTalk's v1.0 API does: converted to UTC, seconds dropped.
pub fn format_v1_time(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(V1_FORMAT).unwrap_or_default()
}

/// `#[serde(with = "v1_time")]` for a required v1.0 time.
pub mod v1_time {
    use super::*;

    /// Writes the time as `yyyy-MM-ddTHH:mmZ`.
    pub fn serialize<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_v1_time(*at))
    }

    /// Reads `yyyy-MM-ddTHH:mmZ` (or RFC 3339).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_v1_time(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("expected a time like 2022-08-31T11:52Z, got {text:?}")))
    }

    /// `#[serde(default, with = "v1_time::option")]` for an optional one; absent, `null` and `""` are `None`.
    pub mod option {
        use super::*;

        /// Writes `Some` as `yyyy-MM-ddTHH:mmZ` and `None` as `null`.
        pub fn serialize<S: Serializer>(at: &Option<OffsetDateTime>, serializer: S) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, serializer),
                None => serializer.serialize_none(),
            }
        }

        /// Reads an optional v1.0 time.
        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<OffsetDateTime>, D::Error> {
            match Option::<String>::deserialize(deserializer)?.filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(text) => parse_v1_time(&text).map(Some).ok_or_else(|| {
                    serde::de::Error::custom(format!("expected a time like 2022-08-31T11:52Z, got {text:?}"))
                }),
            }
        }
    }
}

/// `#[serde(with = "epoch_ms")]`: a time sent as epoch milliseconds (`instanceIds/query`'s `startTime`).
pub mod epoch_ms {
    use super::*;

    /// Writes the time as milliseconds since the epoch.
    pub fn serialize<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(millis(*at))
    }

    /// `#[serde(with = "epoch_ms::option")]`, skipped when `None`.
    pub mod option {
        use super::*;

        /// Writes `Some` as milliseconds and `None` as `null`.
        pub fn serialize<S: Serializer>(at: &Option<OffsetDateTime>, serializer: S) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => serializer.serialize_i64(millis(*at)),
                None => serializer.serialize_none(),
            }
        }
    }

    fn millis(at: OffsetDateTime) -> i64 {
        i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }
}

/// A number that may come as a JSON number or a numeric string.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(i64),
    Text(String),
}

/// Reads an `i64` given as a number or a numeric string (`originatorDeptId: "101"`, `gmtCreate: "1700000000000"`).
pub(crate) fn int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    match NumberOrString::deserialize(deserializer)? {
        NumberOrString::Number(n) => Ok(n),
        NumberOrString::Text(text) => {
            text.trim().parse().map_err(|_| serde::de::Error::custom(format!("expected an integer, got {text:?}")))
        }
    }
}

/// Reads an optional `i64` given as a number or a numeric string; absent, `null` and `""` are `None` (a page's
/// `nextToken`: a string on `instanceIds/query`, a number elsewhere).
pub(crate) fn opt_int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Option::<NumberOrString>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrString::Number(n)) => Ok(Some(n)),
        Some(NumberOrString::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(NumberOrString::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("expected an integer, got {text:?}"))),
    }
}

/// Reads a string that may come as a number (`fileSize`, `spaceId`).
pub(crate) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match NumberOrString::deserialize(deserializer)? {
        NumberOrString::Number(n) => n.to_string(),
        NumberOrString::Text(text) => text,
    })
}

/// Reads a flag given as `true`/`false`, `"true"`/`"false"`, `"1"`/`"0"` or `1`/`0` (`props.upper`).
pub(crate) fn opt_flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Number(i64),
        Text(String),
    }
    Ok(match Option::<Flag>::deserialize(deserializer)? {
        None => None,
        Some(Flag::Bool(b)) => Some(b),
        Some(Flag::Number(n)) => Some(n != 0),
        Some(Flag::Text(t)) => match t.trim() {
            "" => None,
            "0" | "false" => Some(false),
            _ => Some(true),
        },
    })
}

/// Reads an optional enum where DingTalk sends `""` for "none yet" (an instance's `result` while it runs).
pub(crate) fn empty_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Option::<String>::deserialize(deserializer)?.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => T::deserialize(text.into_deserializer()).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_v1_time_is_utc_to_the_minute() {
        assert_eq!(parse_v1_time("2022-08-31T11:52Z"), Some(datetime!(2022-08-31 11:52 UTC)));
        assert_eq!(format_v1_time(datetime!(2022-08-31 11:52:59 UTC)), "2022-08-31T11:52Z");
    }

    #[test]
    fn formatting_converts_to_utc_first() {
        assert_eq!(format_v1_time(datetime!(2022-08-31 19:52 +08:00)), "2022-08-31T11:52Z");
    }

    #[test]
    fn rfc3339_times_are_read_too_but_nonsense_is_not() {
        assert_eq!(parse_v1_time("2022-08-31T19:52:30+08:00"), Some(datetime!(2022-08-31 11:52:30 UTC)));
        assert_eq!(parse_v1_time("2022-08-31 11:52:00"), None, "the legacy format is not a v1.0 time");
        assert_eq!(parse_v1_time("2022-13-31T11:52Z"), None);
        assert_eq!(parse_v1_time(""), None);
    }

    #[derive(Deserialize, serde::Serialize, Debug, PartialEq)]
    struct Times {
        #[serde(with = "v1_time")]
        at: OffsetDateTime,
        #[serde(default, with = "v1_time::option")]
        until: Option<OffsetDateTime>,
    }

    #[test]
    fn the_serde_module_round_trips_and_reads_empty_as_absent() {
        let parsed: Times = serde_json::from_str(r#"{"at":"2024-02-29T23:59Z","until":""}"#).unwrap();
        assert_eq!(parsed, Times { at: datetime!(2024-02-29 23:59 UTC), until: None });
        let written = serde_json::to_string(&Times { until: Some(parsed.at), ..parsed }).unwrap();
        assert_eq!(written, r#"{"at":"2024-02-29T23:59Z","until":"2024-02-29T23:59Z"}"#);
        assert!(serde_json::from_str::<Times>(r#"{"at":"yesterday"}"#).is_err());
    }

    #[test]
    fn numbers_come_as_strings_or_numbers() {
        #[derive(Deserialize)]
        struct Page {
            #[serde(deserialize_with = "int")]
            dept: i64,
            #[serde(default, deserialize_with = "opt_int")]
            next: Option<i64>,
        }
        let page: Page = serde_json::from_str(r#"{"dept":"-1","next":"10"}"#).unwrap();
        assert_eq!((page.dept, page.next), (-1, Some(10)));
        let page: Page = serde_json::from_str(r#"{"dept":101,"next":""}"#).unwrap();
        assert_eq!((page.dept, page.next), (101, None));
        assert!(serde_json::from_str::<Page>(r#"{"dept":"root"}"#).is_err());
    }
}
