//! The last guard on text a server sent (an error body that is not JSON, a `detail`, a string in
//! a JSON body): text that names a sensitive field with a value after it is cut before the name.
//!
//! Structural masking needs a format it can parse; a server's error can come in any: a Python
//! repr (`{'token': '...'}`), an HTML page (`<td>password</td><td>...</td>`), form encoding
//! (`token=...`), JSON cut at the read limit, JSON with an escaped key (`"t\u006fken"`), JSON
//! inside a JSON string. So instead of parsing each, the text is read through a decoded view
//! (JSON `\u` and `\x` escapes, `%XX`, HTML character references undone; case, `_` and `-`
//! ignored) and cut at the first place where a sensitive name is followed by a value: a `:`,
//! `=` or `>` after it (past quotes, backslashes, spaces and tags), or text after a closing tag.
//! A value already masked (`"***"`) does not count. In markup (text with `<` and `>`), any mention
//! cuts, since a value can sit anywhere around its name there (`name="password" value="..."`).
//! What is cut is said, never shown.

use crate::generated::operations::SENSITIVE_FIELDS;

use super::MASK;

/// What replaces the rest of a text cut at a sensitive name.
pub(crate) const CUT: &str = "[rest not shown: it names a sensitive field]";

/// A name as the decoded view compares it: lower-case, without `_` and `-`.
pub(crate) fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `text` cut before the first sensitive name that has a value after it, with [`CUT`] in place
/// of the rest; as it is when there is none.
pub(crate) fn cut_at_secret(text: &str) -> String {
    match first_secret(text) {
        Some(at) => {
            let mut kept = text[..at].to_owned();
            kept.push_str(CUT);
            kept
        }
        None => text.to_owned(),
    }
}

/// Whether `text` names a sensitive field with a value after it (what [`cut_at_secret`] would
/// cut), without copying it.
pub(crate) fn names_a_secret(text: &str) -> bool {
    first_secret(text).is_some()
}

/// The byte offset in `text` where the first sensitive name with a value after it starts.
fn first_secret(text: &str) -> Option<usize> {
    let view = View::of(text);
    let markup = text.contains('<') && text.contains('>');
    let names: Vec<Vec<char>> = SENSITIVE_FIELDS
        .iter()
        .map(|name| normalized(name).chars().collect())
        .collect();
    (0..view.chars.len()).find_map(|start| {
        let name = names
            .iter()
            .find(|name| view.chars[start..].starts_with(name))?;
        let cut = match after(&view.chars, start + name.len()) {
            After::Value => true,
            After::Masked => false,
            After::Nothing => markup,
        };
        cut.then(|| view.at[start])
    })
}

/// What follows a sensitive name.
enum After {
    /// A value.
    Value,
    /// The mask: the value was masked already.
    Masked,
    /// No value: the name is a word of a sentence.
    Nothing,
}

/// What follows a name at `from`.
fn after(chars: &[char], from: usize) -> After {
    let mut at = from;
    let mut quoted = false;
    let mut tagged = false;
    while let Some(&c) = chars.get(at) {
        match c {
            '"' | '\'' | '`' => {
                quoted = true;
                at += 1;
            }
            '\\' => at += 1,
            c if c.is_whitespace() => at += 1,
            '<' => {
                tagged = true;
                at = chars[at..]
                    .iter()
                    .position(|&c| c == '>')
                    .map_or(chars.len(), |end| at + end + 1);
            }
            _ => break,
        }
    }
    let value_follows = match chars.get(at) {
        None => false,
        Some(':' | '=' | '>') => {
            at += 1;
            true
        }
        Some(',') if quoted => {
            at += 1;
            true
        }
        Some(_) => tagged,
    };
    match (value_follows, masked(chars, at)) {
        (_, true) => After::Masked,
        (true, false) => After::Value,
        (false, false) => After::Nothing,
    }
}

/// Whether the value starting at `at` (past spaces, quotes, backslashes) is the mask.
fn masked(chars: &[char], mut at: usize) -> bool {
    while chars
        .get(at)
        .is_some_and(|&c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\'))
    {
        at += 1;
    }
    let mask: Vec<char> = MASK.chars().collect();
    chars[at.min(chars.len())..].starts_with(&mask)
}

/// `text` decoded for comparing names: each char with the byte offset in `text` it comes from.
struct View {
    chars: Vec<char>,
    at: Vec<usize>,
}

impl View {
    fn of(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut view = View {
            chars: Vec::with_capacity(text.len()),
            at: Vec::with_capacity(text.len()),
        };
        let mut i = 0;
        while i < bytes.len() {
            let (decoded, len) = decode_at(text, i);
            if !matches!(decoded, '_' | '-') {
                view.chars.push(decoded.to_ascii_lowercase());
                view.at.push(i);
            }
            i += len.max(1);
        }
        view
    }
}

/// The char that the text at byte `i` (a char boundary) stands for, and how many bytes stand for
/// it: an escape, a percent-encoded byte or a character reference decoded, else the char itself.
fn decode_at(text: &str, i: usize) -> (char, usize) {
    let rest = &text[i..];
    let hex = |digits: &str| {
        u32::from_str_radix(digits, 16)
            .ok()
            .and_then(char::from_u32)
    };
    let escaped = |prefix: &str, len: usize| {
        let digits = rest.strip_prefix(prefix)?.get(..len)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| hex(digits))
            .flatten()
            .map(|c| (c, prefix.len() + len))
    };
    if let Some(found) = escaped("\\u", 4)
        .or_else(|| escaped("\\x", 2))
        .or_else(|| escaped("%", 2))
    {
        return found;
    }
    if rest.starts_with('&')
        && let Some(end) = rest.bytes().take(12).position(|b| b == b';')
    {
        let entity = &rest[1..end];
        let decoded =
            match entity {
                "quot" => Some('"'),
                "apos" => Some('\''),
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                _ => entity.strip_prefix('#').and_then(|number| {
                    match number.strip_prefix(['x', 'X']) {
                        Some(digits) => hex(digits),
                        None => number.parse::<u32>().ok().and_then(char::from_u32),
                    }
                }),
            };
        if let Some(c) = decoded {
            return (c, end + 1);
        }
    }
    // `i` is a char boundary and `rest` is not empty (the caller's loop bound).
    rest.chars().next().map_or(('\0', 1), |c| (c, c.len_utf8()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "hunter2-value";

    #[test]
    fn a_value_after_a_sensitive_name_is_never_shown_whatever_the_format() {
        for body in [
            "{'token': 'hunter2-value'}",
            "{'detail': 'bad', 'password': 'hunter2-value'}",
            "token=hunter2-value&x=1",
            "t%6Fken=hunter2-value",
            r#"{"t\u006fken": "hunter2-value"}"#,
            r#"{"a": 1, "Password" : "hunter2-value""#,
            "<table><tr><td>password</td><td>hunter2-value</td></tr></table>",
            r#"<input name="password" value="hunter2-value">"#,
            "<password>hunter2-value</password>",
            "&quot;token&quot;: &quot;hunter2-value&quot;",
            "&#116;oken=hunter2-value",
            r#"{"detail": "{\"token\": \"hunter2-value\"}"}"#,
            "magic_link_url: hunter2-value",
            "MAGIC-LINK-URL=hunter2-value",
            "('token', 'hunter2-value')",
            "password:\n  hunter2-value",
            r"{'token': b'hunter2-value'}",
            r#"{"companyMagicLinkSecret":"hunter2-value"}"#,
        ] {
            let shown = cut_at_secret(body);
            assert!(!shown.contains(SECRET), "{body} -> {shown}");
            assert!(shown.ends_with(CUT), "{body} -> {shown}");
        }
    }

    #[test]
    fn a_name_without_a_value_or_a_masked_value_is_kept() {
        for text in [
            "Invalid password.",
            "password is required",
            "The token expired; ask for a new one.",
            "tokens: 5",
            r#"{"password":"***","detail":"x"}"#,
            r#"{"detail": "bad", "token" : "***"}"#,
            r#"{"detail":"<b>x</b>","password":"***"}"#,
            "no secrets here",
            "",
        ] {
            assert_eq!(cut_at_secret(text), text);
        }
        // What comes before the name is kept.
        assert_eq!(
            cut_at_secret("detail=bad&token=abc"),
            format!("detail=bad&{CUT}")
        );
    }

    #[test]
    fn odd_text_never_panics() {
        for text in [
            "%",
            "%4",
            "\\u12",
            "&#;",
            "&#x110000;",
            "&",
            "<",
            "é%C3",
            "\\",
            "&#99999999999;",
        ] {
            let _ = cut_at_secret(text);
            let _ = cut_at_secret(&format!("{text}token={text}"));
        }
    }
}
