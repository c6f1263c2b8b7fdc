//! What an answer's headers say, each read defensively: `Retry-After` (clamped), a redirect's
//! `Location` (bounded), and the request id, so a support ticket can name the request: the
//! first of [`REQUEST_ID_HEADERS`] that an answer has, kept only if it looks like an id (at most
//! 128 characters of `A-Z a-z 0-9 - _ . : / + =`, naming no sensitive field; anything else, a
//! secret echoed or text meant for a terminal, is not kept).

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::{error::MAX_LOCATION, redact};

/// The headers read, in this order: Nectar's docs name none, so the ones proxies and gateways
/// in front of APIs set (generic, AWS API Gateway and Lambda, S3-style, CloudFront).
pub const REQUEST_ID_HEADERS: [&str; 5] = [
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-amz-cf-id",
];

/// The longest request id kept.
const MAX_LEN: usize = 128;

/// The answer's request id, if it has one that looks like an id.
pub(crate) fn request_id_of(headers: &HeaderMap) -> Option<String> {
    let value = REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))?;
    let id = value.to_str().ok()?.trim();
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.:/+=".contains(c);
    let looks_like_an_id = !id.is_empty() && id.len() <= MAX_LEN && id.chars().all(plain);
    // `password=...` is made of those characters too: an id naming a sensitive field is not one.
    (looks_like_an_id && !redact::names_a_secret(id)).then(|| id.to_owned())
}

/// The longest `Retry-After` the client takes as given; a longer one is clamped to this (a
/// server cannot make the client wait, or overflow its clock, with an absurd value).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The wait a response's `Retry-After` header asks for, if it has a valid one, at most
/// [`MAX_RETRY_AFTER`].
pub(crate) fn retry_after_of(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

/// Parses `Retry-After`: whole seconds, or an HTTP date; clamped to [`MAX_RETRY_AFTER`].
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: a number too large for u64 is still a (huge) number of seconds.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date
        .with_timezone(&chrono::Utc)
        .signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

/// The `Location` of a redirect, bounded, for the error message.
pub(crate) fn location_of(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let value = headers.get(reqwest::header::LOCATION)?;
    let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
    Some(redact::bounded(text, MAX_LOCATION))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(pairs: &[(&'static str, &str)]) -> Option<String> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().unwrap());
        }
        request_id_of(&headers)
    }

    #[test]
    fn the_first_header_in_order_that_looks_like_an_id_is_kept() {
        assert_eq!(
            id(&[("x-request-id", "req_123")]).as_deref(),
            Some("req_123")
        );
        assert_eq!(
            id(&[("x-amzn-requestid", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")]).as_deref(),
            Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
        );
        assert_eq!(
            id(&[("request-id", "b"), ("x-request-id", "a")]).as_deref(),
            Some("a")
        );
        assert_eq!(id(&[]), None);
    }

    #[test]
    fn what_does_not_look_like_an_id_is_not_kept() {
        assert_eq!(id(&[("x-request-id", "")]), None);
        assert_eq!(id(&[("x-request-id", "a b")]), None);
        assert_eq!(id(&[("x-request-id", "id<script>")]), None);
        assert_eq!(id(&[("x-request-id", "password=hunter2")]), None);
        // Base64 ids (CloudFront's) are ids.
        assert_eq!(
            id(&[("x-amz-cf-id", "Rhpy5Zxzvk5Y_1R2dW9vZA==")]).as_deref(),
            Some("Rhpy5Zxzvk5Y_1R2dW9vZA==")
        );
        assert_eq!(id(&[("x-request-id", "key=\"secret\"")]), None);
        assert_eq!(id(&[("x-request-id", &"a".repeat(129))]), None);
    }

    #[test]
    fn retry_after_takes_seconds_and_dates_and_clamps_absurd_values() {
        assert_eq!(parse_retry_after("12"), Some(Duration::from_secs(12)));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let wait = parse_retry_after(&soon).expect("a date");
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        for absurd in [
            "18446744073709551615",
            "99999999999999999999999999",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(parse_retry_after(absurd), Some(MAX_RETRY_AFTER), "{absurd}");
        }
        for garbage in ["soon", "-1", "1.5", "", " ", "+5", "0x10"] {
            assert_eq!(parse_retry_after(garbage), None, "{garbage:?}");
        }
    }
}
