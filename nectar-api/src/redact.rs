//! Keeping secrets out of everything that prints: raw bodies kept in errors, JSON values shown by
//! `Debug` (webhook `extra`/`old` maps, unknown events, decode errors).
//!
//! Which fields are secret is not kept here: it is
//! [`SENSITIVE_FIELDS`](crate::generated::operations::SENSITIVE_FIELDS), generated from every
//! property the spec marks `format: password` or `x-sensitive`.

mod mentions;

use std::fmt;

use crate::generated::operations::SENSITIVE_FIELDS;

pub(crate) use mentions::{cut_at_secret, names_a_secret};

/// What a redacted value is replaced with.
pub(crate) const MASK: &str = "***";

/// Whether a JSON property name is one the spec marks sensitive, in any case and with or
/// without `_` and `-` (`password`, `Password`, `magic_link_url`, `MAGIC-LINK-URL`).
pub(crate) fn is_sensitive(key: &str) -> bool {
    let key = mentions::normalized(key);
    SENSITIVE_FIELDS
        .iter()
        .any(|name| mentions::normalized(name) == key)
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

/// The secret values the client itself sent on one request (its API key, and every value of a
/// sensitive field of the request's JSON body: portal passwords, magic-link secrets, tokens), in
/// every encoding a server could echo them back in: as sent, JSON-string-escaped (once and
/// twice, for a gateway quoting a JSON request inside a JSON string), URL-encoded (`%XX`
/// upper- and lower-case, and `+` for spaces), HTML-escaped (`&quot;` or `&#34;`, `&#39;` or
/// `&#x27;`) and as a Python repr escapes a string. [`Echoes::mask`] replaces each with `***`.
///
/// Values shorter than [`Echoes::MIN_LEN`] characters are not masked: masking `"ab"` would
/// garble every message that contains those letters, and such a value keeps no secret anyway.
#[derive(Clone, Default)]
pub(crate) struct Echoes {
    /// Every form of every secret, longest first (so a longer form is masked before a part of it).
    forms: Vec<String>,
}

impl fmt::Debug for Echoes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Echoes({} forms)", self.forms.len())
    }
}

impl Echoes {
    /// The shortest value masked.
    pub(crate) const MIN_LEN: usize = 4;

    /// Adds `secret` in all its forms.
    pub(crate) fn add(&mut self, secret: &str) {
        if secret.chars().count() < Self::MIN_LEN {
            return;
        }
        let json = json_escaped(secret);
        let json_twice = json_escaped(&json);
        for form in [
            secret.to_owned(),
            url_encoded(secret, false, false),
            url_encoded(secret, true, false),
            url_encoded(secret, false, true),
            url_encoded(secret, true, true),
            url_encoded(&json, false, false),
            html_escaped(secret, "&quot;", "&#39;"),
            html_escaped(secret, "&#34;", "&#x27;"),
            python_escaped(secret),
            json,
            json_twice,
        ] {
            if !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        self.forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    }

    /// Adds the value of every sensitive field, at any depth, of a JSON request body (strings as
    /// they are, numbers as written); a body that is not JSON adds nothing.
    pub(crate) fn add_sent_body(&mut self, body: &[u8]) {
        fn walk(value: &serde_json::Value, sensitive: bool, echoes: &mut Echoes) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map {
                        walk(value, sensitive || is_sensitive(key), echoes);
                    }
                }
                serde_json::Value::Array(items) => {
                    items.iter().for_each(|item| walk(item, sensitive, echoes));
                }
                serde_json::Value::String(text) if sensitive => echoes.add(text),
                serde_json::Value::Number(number) if sensitive => echoes.add(&number.to_string()),
                _ => {}
            }
        }
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
            walk(&value, false, self);
        }
    }

    /// `text` with every form of every secret replaced by `***`.
    pub(crate) fn mask(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for form in &self.forms {
            if text.contains(form.as_str()) {
                text = text.replace(form.as_str(), MASK);
            }
        }
        text
    }
}

/// `text` as the inside of a JSON string (without the quotes).
fn json_escaped(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// `text` with `& < > " '` as HTML character references (`quote` and `apostrophe` for the last
/// two: each server picks its own).
fn html_escaped(text: &str, quote: &str, apostrophe: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str(quote),
            '\'' => out.push_str(apostrophe),
            c => out.push(c),
        }
    }
    out
}

/// `text` as the inside of a Python `repr` of it: `\\`, `\'`, and `\n`, `\r`, `\t`.
fn python_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// `text` percent-encoded: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX` (lower-case hex when
/// `lower`), a space as `+` when `plus`.
fn url_encoded(text: &str, lower: bool, plus: bool) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' if plus => out.push('+'),
            _ if lower => {
                let _ = write!(out, "%{byte:02x}");
            }
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// A body as text with every sensitive value masked, at most `limit` bytes (cut on a character
/// boundary, `...` appended when cut). JSON is parsed and masked structurally; anything else (a
/// body cut at the read limit) is masked textually: after each `"<sensitive name>"` and its
/// colon, the value (string, number, object, array, or the rest of a cut body) becomes `"***"`.
/// Every form of `also` (what the client sent on the request) is masked wherever it appears, in
/// a JSON string or not. Last, whatever format neither caught (a Python repr, HTML, form
/// encoding, an escaped key, JSON inside a string) is cut before the first sensitive name that
/// has a value after it ([`cut_at_secret`]).
pub(crate) fn redact_body(body: &[u8], limit: usize, also: Option<&Echoes>) -> Option<String> {
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
    if let Some(echoes) = also {
        text = echoes.mask(&text);
    }
    Some(bounded(cut_at_secret(&text), limit))
}

/// `text` cut to at most `limit` bytes on a character boundary, with `...` when cut; a new
/// allocation then, so what is kept holds no more memory than it shows.
pub(crate) fn bounded(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut kept = String::with_capacity(end + 3);
    kept.push_str(&text[..end]);
    kept.push_str("...");
    kept
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
    fn every_echo_of_a_sent_secret_is_masked() {
        let mut echoes = Echoes::default();
        echoes.add_sent_body(br#"{"url": "https://x", "password": "p\"a ss/w&rd", "nested": {"connectionMagicLinkSecret": 123456}}"#);
        echoes.add("the-api-key");
        echoes.add("ab"); // too short to mask
        for echoed in [
            r#"you sent p"a ss/w&rd"#,                    // as free text
            r#"{"body": "{"password":"p\"a ss/w&rd"}"}"#, // JSON inside a JSON string
            "https://evil/?pw=p%22a%20ss%2Fw%26rd",       // URL-encoded
            "https://evil/?pw=p%22a+ss%2fw%26rd",         // form-encoded, lower-case hex
            "https://evil/?api_key=the-api-key",
            "<p>you sent p&quot;a ss/w&amp;rd</p>", // HTML-escaped
            "<p>you sent p&#34;a ss/w&amp;rd</p>",  // HTML, numeric references
            "secret 123456 leaked",
        ] {
            let masked = echoes.mask(echoed);
            for secret in [
                "p\"a ss/w&rd",
                "ss/w",
                "ss%2F",
                "ss%2f",
                "the-api-key",
                "123456",
            ] {
                assert!(!masked.contains(secret), "{secret} in {masked}");
            }
        }
        assert_eq!(echoes.mask("abc"), "abc");
        assert!(!format!("{echoes:?}").contains("api"));
    }

    #[test]
    fn the_api_key_is_masked_and_the_text_bounded_on_a_char_boundary() {
        let mut key = Echoes::default();
        key.add("my-key-123");
        let text = redact_body(b"Invalid key my-key-123 given", 4096, Some(&key)).unwrap();
        assert_eq!(text, "Invalid key *** given");
        assert_eq!(bounded("ééé".to_owned(), 3), "é...");
        // A kept body holds no more memory than it shows.
        assert!(bounded("x".repeat(64 * 1024), 4096).capacity() <= 4096 + 3);
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
