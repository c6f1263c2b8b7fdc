//! Cross-crate tests of nectar-rs, and the internal harness they use (not published).
//!
//! The emulator they run against is its own crate, `nectar-sandbox` (`nectar-sandbox/`); this
//! crate keeps only what is internal to our own testing:
//!
//! - [`hostile`]: a scriptable server that plays a hostile or broken Nectar (redirects, absurd
//!   headers, endless and slow bodies), for the client's hardening tests.
//! - [`scripted`]: a list server whose records change on a script between page requests, in
//!   any list order, for the model-based tests of sync and the pager (`tests/tests/model/`).
//! - [`heap`]: a counting allocator, for memory benchmarks and tests.
//! - [`logs`]: `tracing` output captured in memory, for tests of what the client logs.
//! - [`redis`](mod@redis): a real `redis-server` on a free port, for the shared limit's tests.
//! - [`bench`](mod@bench): helpers shared by the criterion benchmarks.
//! - The tests in `tests/tests/`: freshness of the generated files, snapshots of the API surface
//!   and of every schema, decoding of the documentation's examples, end-to-end flows and
//!   conformance against nectar-sandbox, hostile servers, fuzzing.

pub mod bench;
pub mod heap;
pub mod hostile;
pub mod logs;
pub mod redis;
pub mod scripted;

use std::path::{Path, PathBuf};

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// The examples from Nectar's public documentation, kept verbatim in `tests/fixtures/examples/`
/// (its README says where each comes from and how to read it).
pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/examples")
}

/// Decodes `json` as `T`. On failure the message names the field (its JSON path) and the value
/// found there, e.g. `occupancyPercent: "<string>" is rejected: doesn't match pattern ...`.
pub fn decode<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
    let deserializer = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let value = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|document| value_at(&document, &path).cloned())
            .map_or_else(|| "(no value)".to_owned(), |value| value.to_string());
        format!("{path}: {value} is rejected: {}", error.into_inner())
    })
}

/// The value at a serde_path_to_error path such as `connections[0].status`.
fn value_at<'a>(document: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    if path == "." {
        return Some(document);
    }
    let mut current = document;
    for segment in path.split('.') {
        let (key, indices) = match segment.find('[') {
            Some(at) => (&segment[..at], &segment[at..]),
            None => (segment, ""),
        };
        if !key.is_empty() {
            current = current.get(key)?;
        }
        for index in indices.split(['[', ']']).filter(|s| !s.is_empty()) {
            current = current.get(index.parse::<usize>().ok()?)?;
        }
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: u8,
    }

    #[test]
    fn decode_errors_name_the_field_and_the_value() {
        let error = decode::<Outer>(r#"{"items": [{"count": 1}, {"count": 300}]}"#).unwrap_err();
        assert!(
            error.starts_with("items[1].count: 300 is rejected: "),
            "{error}"
        );
    }
}
