//! Keeping secrets out of everything that prints: raw bodies kept in errors, JSON values shown by
//! `Debug` (webhook `extra`/`old` maps, unknown events, decode errors).
//!
//! Which fields are secret is not kept here: it is
//! [`SENSITIVE_FIELDS`](crate::generated::operations::SENSITIVE_FIELDS), generated from every
//! property the spec marks `format: password` or `x-sensitive`.

use std::fmt;

use crate::generated::operations::SENSITIVE_FIELDS;

/// What a redacted value is replaced with.
pub(crate) const MASK: &str = "***";

/// Whether a JSON property name is one the spec marks sensitive.
pub(crate) fn is_sensitive(key: &str) -> bool {
    SENSITIVE_FIELDS.contains(&key)
}

/// Replaces the value of every sensitive property, at any depth, with `"***"`.
pub(crate) fn redact_value(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if is_sensitive(key) {
                    *value = serde_json::Value::String(MASK.to_owned());
                } else {
                    redact_value(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

/// A body as text with every sensitive value masked, at most `limit` bytes (cut on a character
/// boundary, `...` appended when cut). JSON is parsed and masked structurally; anything else (a
/// body cut at the read limit, HTML) is masked textually: after each `"<sensitive name>"` and
/// its colon, the value (string, number, object, array, or the rest of a cut body) becomes
/// `"***"`. `also` is masked wherever it appears (the client's own API key).
pub(crate) fn redact_body(body: &[u8], limit: usize, also: Option<&str>) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let mut text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            redact_value(&mut value);
            value.to_string()
        }
        Err(_) => redact_text(&String::from_utf8_lossy(body)),
    };
    if let Some(secret) = also.filter(|s| !s.is_empty()) {
        text = text.replace(secret, MASK);
    }
    Some(bounded(text, limit))
}

/// `text` cut to at most `limit` bytes on a character boundary, with `...` when cut.
pub(crate) fn bounded(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    text
}

/// The textual masking of [`redact_body`], for text that is not (complete) JSON.
pub(crate) fn redact_text(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'"' {
            at += 1;
            continue;
        }
        let Some(key_end) = string_end(bytes, at) else {
            break;
        };
        let key = &text[at + 1..key_end - 1];
        at = key_end;
        if !is_sensitive(key) {
            continue;
        }
        let mut value = skip_space(bytes, key_end);
        if bytes.get(value) != Some(&b':') {
            continue;
        }
        value = skip_space(bytes, value + 1);
        let value_end = value_end(bytes, value);
        out.push_str(&text[copied..value]);
        out.push('"');
        out.push_str(MASK);
        out.push('"');
        copied = value_end;
        at = value_end;
    }
    out.push_str(&text[copied.min(text.len())..]);
    out
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The index just after the string that starts at `start` (a `"`), or `None` if it never ends.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

/// The index just after the JSON value that starts at `start`; the end of the text when the
/// value is cut off.
fn value_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start) {
        None => start,
        Some(b'"') => string_end(bytes, start).unwrap_or(bytes.len()),
        Some(b'{' | b'[') => {
            let mut depth = 0_usize;
            let mut at = start;
            while at < bytes.len() {
                match bytes[at] {
                    b'"' => {
                        at = string_end(bytes, at).unwrap_or(bytes.len());
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return at + 1;
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
            bytes.len()
        }
        Some(_) => {
            let mut at = start;
            while at < bytes.len() && !matches!(bytes[at], b',' | b'}' | b']') {
                at += 1;
            }
            at
        }
    }
}

/// Shows a serializable value (raw JSON, or a type holding some) by its JSON, with the
/// sensitive fields masked. The generated types that hold raw JSON print those fields through
/// it; their derived `Debug` would print secrets.
pub struct Redacted<'a, T: ?Sized>(pub &'a T);

impl<T: serde::Serialize + ?Sized> fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_value(self.0) {
            Ok(mut value) => {
                redact_value(&mut value);
                fmt::Debug::fmt(&value, f)
            }
            Err(_) => f.write_str("<not printable>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_masked_at_any_depth_and_other_fields_kept() {
        let body = br#"{"detail": "x", "inner": [{"password": "hunter2", "username": "u"}],
                        "companyMagicLinkSecret": {"nested": "s3cr3t"}, "magicLinkUrl": 42}"#;
        let text = redact_body(body, 4096, None).unwrap();
        for secret in ["hunter2", "s3cr3t", "42"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains(r#""username":"u""#), "{text}");
        assert!(text.contains(r#""password":"***""#), "{text}");
    }

    #[test]
    fn cut_and_non_json_text_is_masked_textually() {
        let cut = r#"{"ok": "1", "password" : "hunt\"er2", "a": [1], "connectionMagicLinkSecret": "abcdef"#;
        let text = redact_text(cut);
        assert_eq!(
            text,
            r#"{"ok": "1", "password" : "***", "a": [1], "connectionMagicLinkSecret": "***""#
        );
        let html = "<p>\"password\": {\"a\": [\"x\"]}, \"other\": 1</p>";
        assert_eq!(
            redact_text(html),
            "<p>\"password\": \"***\", \"other\": 1</p>"
        );
        // A sensitive name that is not a key is left alone; an unterminated string stops.
        assert_eq!(
            redact_text("\"password\" is wrong"),
            "\"password\" is wrong"
        );
        assert_eq!(redact_text("\"passw"), "\"passw");
        let number = redact_text("{\"password\":12345}");
        assert_eq!(number, "{\"password\":\"***\"}");
    }

    #[test]
    fn the_api_key_is_masked_and_the_text_bounded_on_a_char_boundary() {
        let text = redact_body(b"Invalid key my-key-123 given", 4096, Some("my-key-123")).unwrap();
        assert_eq!(text, "Invalid key *** given");
        assert_eq!(bounded("ééé".to_owned(), 3), "é...");
        assert_eq!(redact_body(b"", 10, None), None);
    }

    #[test]
    fn redacted_debug_masks() {
        let value = serde_json::json!({"old": {"password": "hunter2"}, "n": 1});
        let shown = format!("{:?}", Redacted(&value));
        assert!(
            !shown.contains("hunter2") && shown.contains("***"),
            "{shown}"
        );
    }
}
