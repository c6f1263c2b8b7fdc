//! Path parameters as exactly one segment of their template: every generated operation puts each
//! path parameter into its URL through [`path_segment`] (nectar-gen's `path_params` pass), so no
//! value, whatever its text, can move a request to another endpoint.

use std::fmt::Write as _;

/// `value` as one path segment: every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`)
/// percent-encoded, so `/`, `\`, `?`, `#`, `%` and spaces cannot end the segment or start
/// another. A value that is a segment of its own meaning (empty, `.`, `..`: the URL parser would
/// drop it or go up a level) is refused with a message naming `name`, the parameter.
pub(crate) fn path_segment(name: &'static str, value: &str) -> Result<String, String> {
    if matches!(value, "" | "." | "..") {
        let what = if value.is_empty() {
            "empty".to_owned()
        } else {
            format!("{value:?}")
        };
        return Err(format!(
            "path parameter `{name}` is {what}: it cannot be one path segment (an empty, `.` or \
             `..` segment would send the request to another endpoint); not sent"
        ));
    }
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_one_segment_or_refused_naming_the_parameter() {
        for (value, sent) in [
            (r"..\company\x", "..%5Ccompany%5Cx"),
            ("../../ping", "..%2F..%2Fping"),
            ("a b?c#d%2e/e", "a%20b%3Fc%23d%252e%2Fe"),
            ("...", "..."),
            ("\u{e9}t\u{e9}", "%C3%A9t%C3%A9"),
            ("ABC-def_1.2~", "ABC-def_1.2~"),
        ] {
            assert_eq!(
                path_segment("account_id", value).as_deref(),
                Ok(sent),
                "{value:?}"
            );
        }
        for refused in ["", ".", ".."] {
            let message = path_segment("account_id", refused).unwrap_err();
            assert!(message.contains("`account_id`"), "{message}");
        }
    }
}
