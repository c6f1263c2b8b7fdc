//! The request id an answer carries, so a support ticket can name the request: the first of
//! [`HEADERS`] that an answer has, kept only if it looks like an id (at most 128 characters of
//! `A-Z a-z 0-9 - _ . : / + =`; anything else, a secret echoed or text meant for a terminal,
//! is not kept).

use reqwest::header::HeaderMap;

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
    (!id.is_empty() && id.len() <= MAX_LEN && id.chars().all(plain)).then(|| id.to_owned())
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
        assert_eq!(id(&[("x-request-id", "id\u{1b}[2J")]), None);
        assert_eq!(id(&[("x-request-id", "key=\"secret\"")]), None);
        assert_eq!(id(&[("x-request-id", &"a".repeat(129))]), None);
    }
}
