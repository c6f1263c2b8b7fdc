//! A timestamp that decodes what Nectar actually sends.

use std::{fmt, str::FromStr};

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// A point in time, in UTC.
///
/// Every `format: date-time` field of the API decodes into this type. REST answers carry an offset
/// (`2023-11-07T05:31:56Z`); webhook payloads carry none and up to nine fractional digits
/// (`2025-11-07T01:56:33.835384215`). Both decode: a timestamp without an offset is taken as UTC.
/// It always serializes as RFC 3339 in UTC (`Z`), with as many fractional digits as it has.
///
/// ```
/// use nectar_api::Timestamp;
///
/// let rest: Timestamp = "2023-11-07T05:31:56Z".parse().unwrap();
/// let webhook: Timestamp = "2025-11-07T01:56:33.835384215".parse().unwrap();
/// assert_eq!(rest.to_string(), "2023-11-07T05:31:56Z");
/// assert_eq!(webhook.to_string(), "2025-11-07T01:56:33.835384215Z");
/// assert!("yesterday".parse::<Timestamp>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self(Utc::now())
    }

    /// The time as a chrono `DateTime<Utc>`.
    pub fn as_datetime(&self) -> &DateTime<Utc> {
        &self.0
    }

    /// Parses RFC 3339 (with `Z` or an offset, converted to UTC) or an ISO 8601 date-time without
    /// offset (taken as UTC), with `T` or a space between date and time and up to nine fractional
    /// digits.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let error = || TimestampError {
            value: text.chars().take(64).collect(),
        };
        let parsed = match parse_common(text.as_bytes()) {
            Some(fast) => Some(fast),
            None => parse_general(text),
        };
        // Only years RFC 3339 can write (0000 to 9999, in UTC), so every value round-trips.
        parsed
            .filter(|at| (0..=9999).contains(&chrono::Datelike::year(at)))
            .map(Self)
            .ok_or_else(error)
    }
}

/// chrono's RFC 3339 parser (which checks offsets), then the forms without an offset.
fn parse_general(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(text) {
        return Some(with_offset.with_timezone(&Utc));
    }
    let fraction_digits = text
        .rsplit_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    if fraction_digits > 9 {
        return None;
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

/// The forms Nectar sends, parsed at fixed positions without chrono's general parser (a page of
/// 500 connections has 2,000 timestamps): `YYYY-MM-DDTHH:MM:SS`, optional `.` and 1 to 9
/// digits, then `Z`, `±HH:MM` or nothing (UTC). Anything else, and any value chrono would judge
/// differently (such as a leap second), returns `None` and goes through the general path.
fn parse_common(s: &[u8]) -> Option<DateTime<Utc>> {
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        s.get(range)?.iter().try_fold(0_u32, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    if s.len() < 19
        || s[4] != b'-'
        || s[7] != b'-'
        || !matches!(s[10], b'T' | b't' | b' ')
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(digits(0..4)?).ok()?,
        digits(5..7)?,
        digits(8..10)?,
    )?;
    let mut at = 19;
    let mut nanos = 0;
    if s.get(at) == Some(&b'.') {
        let start = at + 1;
        let end = start + s[start..].iter().take_while(|b| b.is_ascii_digit()).count();
        let count = end - start;
        if count == 0 || count > 9 {
            return None;
        }
        nanos = digits(start..end)? * 10_u32.pow(9 - count as u32);
        at = end;
    }
    let time = chrono::NaiveTime::from_hms_nano_opt(
        digits(11..13)?,
        digits(14..16)?,
        digits(17..19)?,
        nanos,
    )?;
    let naive = date.and_time(time);
    let offset_seconds = match &s[at..] {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            // An offset is at most 23:59, as in RFC 3339 and chrono.
            let (hours, minutes) = (digits(at + 1..at + 3)?, digits(at + 4..at + 6)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'+' { seconds } else { -seconds }
        }
        _ => return None,
    };
    naive
        .checked_sub_signed(chrono::Duration::seconds(offset_seconds))
        .map(|utc| utc.and_utc())
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(value: Timestamp) -> Self {
        value.0
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 8601 / RFC 3339 date-time string")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Timestamp, E> {
                Timestamp::parse(value).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// A string that is not a date-time the API could have sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampError {
    value: String,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid timestamp {:?}: expected a date-time such as \"2023-11-07T05:31:56Z\" or \
             \"2025-11-07T01:56:33.835384215\"",
            self.value
        )
    }
}

impl std::error::Error for TimestampError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> Result<Timestamp, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn decodes_rest_and_webhook_forms_to_the_same_instant_model() {
        let rest = decode("\"2023-11-07T05:31:56Z\"").unwrap();
        assert_eq!(rest.as_datetime().timestamp(), 1_699_335_116);

        let offset = decode("\"2023-11-07T06:31:56+01:00\"").unwrap();
        assert_eq!(offset, rest, "an offset is converted to UTC");

        let naive = decode("\"2023-11-07T05:31:56\"").unwrap();
        assert_eq!(naive, rest, "no offset means UTC");

        for (text, nanos) in [
            ("2024-09-06T00:15:43.073014", 73_014_000),
            ("2024-09-06T00:15:43.073014117", 73_014_117),
            ("2025-11-07 01:56:33.835384215", 835_384_215),
        ] {
            let parsed = Timestamp::parse(text).unwrap();
            assert_eq!(
                chrono::Timelike::nanosecond(parsed.as_datetime()),
                nanos,
                "{text}"
            );
        }
    }

    #[test]
    fn the_fast_path_agrees_with_chrono() {
        for text in [
            "2023-11-07T05:31:56Z",
            "2023-11-07T05:31:56.1Z",
            "2023-11-07T05:31:56.123456789+05:30",
            "2023-11-07t05:31:56-08:00",
            "2024-02-29T23:59:59.999999999Z",
        ] {
            let fast = parse_common(text.as_bytes()).expect(text);
            let chrono = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(fast, chrono, "{text}");
        }
        let naive = parse_common(b"2025-11-07 01:56:33.835384215").unwrap();
        assert_eq!(
            Timestamp(naive).to_string(),
            "2025-11-07T01:56:33.835384215Z"
        );
        for slow in [
            "2023-02-30T00:00:00Z",
            "2016-12-31T23:59:60Z",
            "2023-11-07T05:31:56.Z",
            "2023-11-07T05:31:56+0530",
        ] {
            assert!(parse_common(slow.as_bytes()).is_none(), "{slow}");
        }
    }

    #[test]
    fn serializes_rfc3339_utc_and_round_trips() {
        let parsed = Timestamp::parse("2025-11-07T01:56:33.835384215").unwrap();
        let json = serde_json::to_string(&parsed).unwrap();
        assert_eq!(json, "\"2025-11-07T01:56:33.835384215Z\"");
        assert_eq!(decode(&json).unwrap(), parsed);
    }

    #[test]
    fn impossible_offsets_and_unwritable_years_are_refused() {
        for bad in [
            "2023-11-07T05:31:56+99:99",
            "2023-11-07T05:31:56-24:00",
            "2023-11-07T05:31:56+23:60",
            "9999-12-31T23:59:59-23:59",
            "0000-01-01T00:00:00+00:01",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
        for good in [
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "2023-11-07T05:31:56+23:59",
        ] {
            let parsed = Timestamp::parse(good).unwrap();
            assert_eq!(Timestamp::parse(&parsed.to_string()), Ok(parsed), "{good}");
        }
        let long = "x".repeat(10_000);
        assert!(Timestamp::parse(&long).unwrap_err().to_string().len() < 300);
    }

    #[test]
    fn rejects_garbage_naming_the_value() {
        for bad in [
            "",
            "2023-11-07",
            "2023-13-07T05:31:56Z",
            "2024-09-06T00:15:43.0730141170",
        ] {
            let error = decode(&format!("{bad:?}")).unwrap_err().to_string();
            assert!(error.contains(&format!("{bad:?}")), "{bad}: {error}");
        }
    }
}
