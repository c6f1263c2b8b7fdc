//! Writing answers: a table for a person at a terminal, JSON for a program, or the format asked
//! for (`--format json|ndjson|csv|table`). Only data goes to stdout. Values are written as
//! Nectar sent them (decimals and timestamps keep their text); in a table or CSV, text from the
//! server has its control characters escaped, so a cell cannot move the cursor or forge a line.

use std::io::{IsTerminal, Write};

use futures_util::StreamExt;
use nectar_api::{Paginate, ResponseValue, pager::Page};
use serde::Serialize;
use serde_json::Value;

use crate::error::CliError;

/// How answers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// One JSON document (an array for a list), indented.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A header of the top-level fields, then a row per object.
    Csv,
    /// Aligned columns of the top-level fields, nested values as compact JSON, cut to fit.
    Table,
}

impl Format {
    /// The names `--format` takes.
    pub(crate) const NAMES: [&'static str; 4] = ["json", "ndjson", "csv", "table"];

    /// `--format`'s value, or the default: a table on a terminal, JSON otherwise.
    pub(crate) fn chosen(name: Option<&str>) -> Format {
        match name {
            Some("json") => Format::Json,
            Some("ndjson") => Format::Ndjson,
            Some("csv") => Format::Csv,
            Some("table") => Format::Table,
            _ if std::io::stdout().is_terminal() => Format::Table,
            _ => Format::Json,
        }
    }
}

/// The widest a table cell is shown.
const CELL: usize = 40;

/// Where answers go.
pub(crate) struct Output {
    pub(crate) format: Format,
    /// Stop a list after this many items.
    pub(crate) max_items: Option<u64>,
    out: std::io::BufWriter<std::io::Stdout>,
}

/// A write to stdout that failed: a closed pipe (`nectar ... | head`) ends quietly.
fn written(result: std::io::Result<()>) -> Result<(), CliError> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| CliError::other(format!("writing to stdout: {e}"))),
    }
}

impl Output {
    pub(crate) fn new(format: Format) -> Self {
        Self {
            format,
            max_items: None,
            out: std::io::BufWriter::new(std::io::stdout()),
        }
    }

    /// Writes one answer.
    pub(crate) async fn one<T: Serialize>(
        &mut self,
        answer: Result<ResponseValue<T>, nectar_api::Error>,
    ) -> Result<(), CliError> {
        let answer = answer?.into_inner();
        let value = serde_json::to_value(&answer)
            .map_err(|e| CliError::other(format!("encoding the answer: {e}")))?;
        self.value(&value)
    }

    /// Writes one JSON value (an array is written as a list).
    pub(crate) fn value(&mut self, value: &Value) -> Result<(), CliError> {
        match (self.format, value) {
            (Format::Json, _) => self.json(value),
            (_, Value::Array(items)) => self.rows(items),
            (Format::Ndjson, _) => self.line(value),
            (Format::Csv | Format::Table, Value::Object(_)) => {
                let rows = vec![value.clone()];
                self.rows(&rows)
            }
            (Format::Csv | Format::Table, _) => self.line(value),
        }
    }

    /// Writes every item of a list, fetching every page through the library's pager (its
    /// concurrency, retries and limits), up to `--max-items`. NDJSON and CSV are written as items
    /// come; JSON and a table once all are in.
    pub(crate) async fn list<'a, R>(&mut self, request: R) -> Result<(), CliError>
    where
        R: Paginate<'a>,
        <R::Page as Page>::Item: Serialize,
    {
        let mut items = request.items();
        let mut kept = Vec::new();
        let mut count = 0_u64;
        let mut header: Option<Vec<String>> = None;
        while self.max_items.is_none_or(|max| count < max) {
            let Some(item) = items.next().await else {
                break;
            };
            let value = serde_json::to_value(item?)
                .map_err(|e| CliError::other(format!("encoding an item: {e}")))?;
            count += 1;
            match self.format {
                Format::Ndjson => self.line(&value)?,
                Format::Csv => {
                    let columns =
                        header.get_or_insert_with(|| columns(std::slice::from_ref(&value)));
                    if count == 1 {
                        let line = csv_line(columns.iter().map(String::as_str));
                        written(writeln!(self.out, "{line}"))?;
                    }
                    let line = csv_line(
                        columns
                            .iter()
                            .map(|c| cell(&value[c.as_str()]))
                            .collect::<Vec<_>>()
                            .iter()
                            .map(String::as_str),
                    );
                    written(writeln!(self.out, "{line}"))?;
                }
                Format::Json | Format::Table => kept.push(value),
            }
        }
        match self.format {
            Format::Json => self.json(&Value::Array(kept)),
            Format::Table => self.table(&kept),
            Format::Ndjson | Format::Csv => Ok(()),
        }
    }

    fn json(&mut self, value: &Value) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::other(format!("encoding JSON: {e}")))?;
        written(writeln!(self.out, "{text}"))
    }

    fn line(&mut self, value: &Value) -> Result<(), CliError> {
        written(writeln!(self.out, "{value}"))
    }

    fn rows(&mut self, items: &[Value]) -> Result<(), CliError> {
        match self.format {
            Format::Json => self.json(&Value::Array(items.to_vec())),
            Format::Ndjson => items.iter().try_for_each(|item| self.line(item)),
            Format::Csv => {
                let columns = columns(items);
                written(writeln!(
                    self.out,
                    "{}",
                    csv_line(columns.iter().map(String::as_str))
                ))?;
                for item in items {
                    let cells: Vec<String> =
                        columns.iter().map(|c| cell(&item[c.as_str()])).collect();
                    written(writeln!(
                        self.out,
                        "{}",
                        csv_line(cells.iter().map(String::as_str))
                    ))?;
                }
                Ok(())
            }
            Format::Table => self.table(items),
        }
    }

    fn table(&mut self, items: &[Value]) -> Result<(), CliError> {
        if items.is_empty() {
            return Ok(());
        }
        let columns = columns(items);
        let cells: Vec<Vec<String>> = items
            .iter()
            .map(|item| {
                columns
                    .iter()
                    .map(|c| cut(&escaped(&cell(&item[c.as_str()]))))
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|row| row[i].chars().count())
                    .chain(std::iter::once(c.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |row: &[String]| {
            row.iter()
                .zip(&widths)
                .map(|(text, width)| format!("{text:<width$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        written(writeln!(self.out, "{}", line(&columns)))?;
        for row in &cells {
            written(writeln!(self.out, "{}", line(row)))?;
        }
        Ok(())
    }

    /// Flushes what is buffered.
    pub(crate) fn flush(&mut self) -> Result<(), CliError> {
        written(self.out.flush())
    }
}

/// The top-level fields of the items, in the order first seen; `id` first.
fn columns(items: &[Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for item in items {
        if let Value::Object(map) = item {
            for key in map.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    if let Some(at) = columns.iter().position(|c| c == "id") {
        let id = columns.remove(at);
        columns.insert(0, id);
    }
    if columns.is_empty() {
        columns.push("value".to_owned());
    }
    columns
}

/// A value as a cell: text as it is, nothing for null, anything else as compact JSON.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Control characters and the invisible ones that reorder text, as escapes: for text from the
/// server that goes to a terminal.
pub(crate) fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `c` is a control character or an invisible one that reorders or hides text.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// At most [`CELL`] characters, `…` when cut.
fn cut(text: &str) -> String {
    if text.chars().count() <= CELL {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(CELL - 1).collect();
    out.push('…');
    out
}

/// One CSV line (RFC 4180: a field with `,`, `"`, CR or LF is quoted, `"` doubled). Other
/// control characters (an escape sequence from a hostile server, printed on a terminal) and the
/// invisible ones that reorder text are written as escapes (`\u{1b}`); tabs, CR and LF are
/// kept, quoted. A field starting with `=`, `+`, `-` or `@` keeps its text: CSV is data here,
/// not a spreadsheet.
pub(crate) fn csv_line<'a>(fields: impl Iterator<Item = &'a str>) -> String {
    fields
        .map(|field| {
            // Tabs, CR and LF stay (quoted below); other unsafe characters become escapes.
            let mut safe = String::with_capacity(field.len());
            for c in field.chars() {
                if unsafe_char(c) && !matches!(c, '\t' | '\r' | '\n') {
                    safe.extend(c.escape_unicode());
                } else {
                    safe.push(c);
                }
            }
            let field = safe.as_str();
            if field.contains([',', '"', '\r', '\n']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_server_cannot_drive_a_terminal() {
        assert_eq!(escaped("a\u{1b}[2Jb\u{202e}c"), "a\\u{1b}[2Jb\\u{202e}c");
        // CSV keeps line breaks and tabs (quoted) but not escape sequences.
        assert_eq!(
            csv_line(["x\u{1b}]0;title\u{7}", "two\nlines", "plain"].into_iter()),
            "x\\u{1b}]0;title\\u{7},\"two\nlines\",plain"
        );
        assert_eq!(
            csv_line(["a,b", "say \"hi\""].into_iter()),
            "\"a,b\",\"say \"\"hi\"\"\""
        );
        assert_eq!(cut(&"é".repeat(50)).chars().count(), CELL);
    }
}
