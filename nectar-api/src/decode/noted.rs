//! What a decode notes of the answer's drift (see [`crate::drift`]): the containers being
//! decoded and the key just read, so that a value skipped in a struct (a field its schema does
//! not have) is noted by schema and path. A key is kept as the body's own text (no copy); a
//! path is built only for a field noted.

use super::Budget;

/// Something an answer had that the bindings do not know (names, never values of fields).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Found {
    /// A field `schema` does not have, at `path` (`Page.items[].field`).
    Field { schema: &'static str, path: String },
    /// A value enum `name` does not know (cut to 100 characters).
    Value { name: &'static str, value: String },
}

/// At most this many unknown things are noted per answer (an answer of a million distinct
/// unknown keys costs no more than this).
pub(super) const MAX_FOUND: usize = 64;

/// A place a field was noted at in this answer: the keys and kinds of the containers above it,
/// and its own key (to skip the same field in the next row without building its path again).
pub(super) struct Noted<'de> {
    chain: Vec<(Key<'de>, FrameKind)>,
    field: Key<'de>,
}

impl Noted<'_> {
    fn is_at(&self, frames: &[Frame<'_>], field: Key<'_>) -> bool {
        self.field == field
            && self.chain.len() == frames.len()
            && self
                .chain
                .iter()
                .zip(frames)
                .all(|((key, kind), frame)| *key == frame.key && *kind == frame.kind)
    }
}

/// The key just read in a map or struct.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Key<'de> {
    None,
    Borrowed(&'de str),
    /// A key with escapes (serde_json hands it over in a transient buffer): shown as `?`.
    Escaped,
}

/// A container being decoded, for the path of an unknown field.
pub(super) struct Frame<'de> {
    /// The struct's name (`""` for a sequence or a map).
    pub(super) name: &'static str,
    pub(super) kind: FrameKind,
    /// The key it is the value of (none for the root and for a sequence's element).
    pub(super) key: Key<'de>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FrameKind {
    Struct,
    Seq,
    Map,
}

impl<'de> Budget<'de> {
    /// Enters a container (`name` for a struct): the key it is under is the key just read,
    /// unless it is an element of a sequence.
    pub(super) fn enter(&self, name: &'static str, kind: FrameKind) {
        let mut frames = self.frames.borrow_mut();
        let key = match frames.last() {
            Some(parent) if parent.kind == FrameKind::Seq => Key::None,
            Some(_) => self.key.get(),
            None => Key::None,
        };
        frames.push(Frame { name, kind, key });
    }

    pub(super) fn leave(&self) {
        self.frames.borrow_mut().pop();
    }

    /// A value is being skipped: in a struct, that is a field its schema does not have.
    pub(super) fn skipped(&self) {
        let frames = self.frames.borrow();
        let Some(schema) = frames.last().filter(|f| f.kind == FrameKind::Struct) else {
            return;
        };
        let field = match self.key.get() {
            Key::Borrowed(key) => key,
            Key::Escaped => "?",
            Key::None => return,
        };
        let mut found = self.found.borrow_mut();
        if found.len() >= MAX_FOUND {
            return;
        }
        // The same field at the same place again (every row of a page has it): nothing to build.
        let mut noted = self.noted.borrow_mut();
        let here = self.key.get();
        if noted.iter().any(|n| n.is_at(&frames, here)) {
            return;
        }
        noted.push(Noted {
            chain: frames.iter().map(|f| (f.key, f.kind)).collect(),
            field: here,
        });
        let mut path = String::new();
        for frame in frames.iter() {
            match frame.key {
                Key::Borrowed(key) => {
                    path.push('.');
                    path.push_str(&crate::drift::name(key));
                }
                Key::Escaped => path.push_str(".?"),
                Key::None if path.is_empty() && frame.kind == FrameKind::Struct => {
                    path.push_str(frame.name);
                }
                Key::None => {}
            }
            match frame.kind {
                FrameKind::Seq => path.push_str("[]"),
                FrameKind::Map => path.push_str(".*"),
                FrameKind::Struct => {}
            }
        }
        path.push('.');
        path.push_str(&crate::drift::name(field));
        let entry = Found::Field {
            schema: schema.name,
            path,
        };
        if !found.contains(&entry) {
            found.push(entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;

    use super::*;
    use crate::decode::decode_noting_drift;

    #[derive(Debug, serde::Deserialize)]
    struct Wide {
        #[serde(default)]
        #[allow(dead_code)]
        a: Option<String>,
    }

    fn drift_of<T: DeserializeOwned>(body: &str) -> Vec<Found> {
        let (decoded, found) = decode_noting_drift::<T>(body.as_bytes());
        decoded.unwrap_or_else(|e| panic!("{body}: {e:?}"));
        found
    }

    fn field(schema: &'static str, path: &str) -> Found {
        Found::Field {
            schema,
            path: path.to_owned(),
        }
    }

    #[test]
    fn unknown_fields_are_noted_by_schema_and_path_once_per_answer() {
        #[derive(Debug, serde::Deserialize)]
        struct Page {
            #[allow(dead_code)]
            items: Vec<Wide>,
        }
        let body = r#"{"items":[{"a":"x","new":{"deep":1}},{"new":2,"b\u0078":3}],"top":[1]}"#;
        assert_eq!(
            drift_of::<Page>(body),
            [
                field("Wide", "Page.items[].new"),
                field("Wide", "Page.items[].?"),
                field("Page", "Page.top"),
            ]
        );
        // A map's entries and a `Value`'s are data, not fields.
        assert_eq!(
            drift_of::<std::collections::HashMap<String, serde_json::Value>>(r#"{"x":{"y":1}}"#),
            []
        );
        // A decimal (serde_json's raw value, whose key is skipped) is not a field skipped.
        #[derive(Debug, serde::Deserialize)]
        struct Bill {
            #[allow(dead_code)]
            total: crate::Decimal,
        }
        assert_eq!(drift_of::<Bill>(r#"{"total":12.50}"#), []);
    }

    #[test]
    fn noted_names_are_bounded_and_escaped() {
        #[derive(Debug, serde::Deserialize)]
        struct Empty {}
        let mut body = String::from("{");
        for n in 0..10_000 {
            body.push_str(&format!(r#""k{n}":0,"#));
        }
        body.push_str(&format!(r#""{}\u001b[2J":0}}"#, "x".repeat(300)));
        let found = drift_of::<Empty>(&body);
        assert_eq!(found.len(), MAX_FOUND, "at most 64 per answer");
        let long = format!(r#"{{"{}\u001b[2J":0}}"#, "x".repeat(300));
        let [Found::Field { path, .. }] = &drift_of::<Empty>(&long)[..] else {
            panic!()
        };
        // An escaped key is shown as `?`; a long plain one cut to 100 characters.
        assert_eq!(path, "Empty.?");
        let plain = format!(r#"{{"{}":0,"a\tb":1}}"#, "y".repeat(300));
        let found = drift_of::<Empty>(&plain);
        assert_eq!(
            found[0],
            field("Empty", &format!("Empty.{}", "y".repeat(100)))
        );
    }

    #[test]
    fn unknown_enum_values_are_noted_in_the_answer_they_came_in() {
        let found = drift_of::<Vec<crate::types::ConnectionStatus>>(
            r#"["CONNECTED","SUSPENDED","SUSPENDED"]"#,
        );
        assert_eq!(
            found,
            [Found::Value {
                name: "ConnectionStatus",
                value: "SUSPENDED".to_owned()
            }]
        );
        // The next answer starts afresh.
        assert_eq!(
            drift_of::<Vec<crate::types::ConnectionStatus>>(r#"["CONNECTED"]"#),
            []
        );
    }
}
