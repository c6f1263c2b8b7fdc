//! Text a server sent, made safe to print: control characters (C0, DEL, C1: CR, LF, ESC, NUL, ...)
//! and the invisible formatting characters that reorder or hide text (bidi overrides and
//! isolates, zero-width characters, the BOM) are written as escapes (`\n`, `\u{1b}`), so a
//! `detail` or a `Location` cannot forge log lines, move the cursor, clear a terminal, or make
//! text read backwards. Everything else, non-ASCII letters included, is written as it is.

use std::fmt;

/// Whether `c` is written as an escape.
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'              // Arabic letter mark
            | '\u{200B}'..='\u{200F}' // zero-width space, joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}' // byte-order mark
        )
}

/// A [`fmt::Write`] that escapes what [`is_unsafe`] refuses and passes the rest through.
pub(crate) struct Escaping<'a, W: fmt::Write + ?Sized>(pub(crate) &'a mut W);

impl<W: fmt::Write + ?Sized> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut rest = text;
        while let Some(at) = rest.find(is_unsafe) {
            self.0.write_str(&rest[..at])?;
            let mut chars = rest[at..].chars();
            // Proven: `find` returned the index of a char, so one follows.
            let Some(c) = chars.next() else { break };
            match c {
                '\n' => self.0.write_str("\\n")?,
                '\r' => self.0.write_str("\\r")?,
                '\t' => self.0.write_str("\\t")?,
                other => write!(self.0, "\\u{{{:x}}}", other as u32)?,
            }
            rest = chars.as_str();
        }
        self.0.write_str(rest)
    }
}

/// `text` with what [`is_unsafe`] refuses written as escapes.
pub(crate) fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing into a `String` cannot fail.
    let _ = fmt::Write::write_str(&mut Escaping(&mut out), text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_formatting_of_strings_already_escapes_what_display_must() {
        // `Error`'s `Debug` is derived: its strings go through `str::escape_debug`.
        for c in [
            '\r', '\n', '\u{1b}', '\0', '\u{85}', '\u{202e}', '\u{2066}', '\u{feff}',
        ] {
            let debug = format!("{:?}", c.to_string());
            assert!(!debug.contains(c), "{c:?} printed raw by Debug: {debug}");
        }
    }

    #[test]
    fn controls_and_invisible_formatting_are_escaped_and_the_rest_kept() {
        assert_eq!(
            escaped("ok\r\n[ERROR] forged\u{1b}[2J\0\u{85}\u{202e}txet\u{2066}é 日本"),
            "ok\\r\\n[ERROR] forged\\u{1b}[2J\\u{0}\\u{85}\\u{202e}txet\\u{2066}é 日本"
        );
        // An OSC 8 hyperlink: ESC ] 8 ;; url ESC \.
        assert!(
            !escaped("\u{1b}]8;;http://evil\u{1b}\\click\u{1b}]8;;\u{1b}\\").contains('\u{1b}')
        );
        assert_eq!(escaped("plain text, 100% ASCII"), "plain text, 100% ASCII");
    }
}
