//! The generated files: what `cargo xtask codegen` writes ([`generate`]), and how a committed
//! file is found stale ([`stale`], with a unified diff). No I/O: xtask reads and writes.

use crate::{
    Error,
    passes::bindings::bindings,
    spec::{spec, spec_json},
};

/// A file `cargo xtask codegen` writes, relative to the workspace root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the workspace root, with `/` separators.
    pub path: &'static str,
    /// The whole content.
    pub contents: String,
}

/// The directory whose files are all generated; files in it that [`generate`] does not produce
/// are stale.
pub const GENERATED_DIR: &str = "nectar-api/src/generated";

/// nectar-sandbox's copy of `spec/openapi.json`, which it embeds.
pub const SANDBOX_SPEC: &str = "nectar-sandbox/openapi.json";

/// Every generated file: the spec, its copy in nectar-sandbox, and the bindings.
pub fn generate() -> Result<Vec<GeneratedFile>, Error> {
    let spec = spec()?;
    let bindings = bindings(&spec)?;
    let spec_json = spec_json(&spec)?;
    Ok(vec![
        GeneratedFile {
            path: "spec/openapi.json",
            contents: spec_json.clone(),
        },
        // nectar-sandbox embeds the spec; `include_str!` cannot reach outside its package.
        GeneratedFile {
            path: SANDBOX_SPEC,
            contents: spec_json,
        },
        GeneratedFile {
            path: "nectar-api/src/generated/mod.rs",
            contents: bindings.module,
        },
        GeneratedFile {
            path: "nectar-api/src/generated/client.rs",
            contents: bindings.client,
        },
        GeneratedFile {
            path: "nectar-api/src/generated/enums.rs",
            contents: bindings.enums,
        },
        GeneratedFile {
            path: "nectar-api/src/generated/pages.rs",
            contents: bindings.pages,
        },
        GeneratedFile {
            path: "nectar-api/src/generated/operations.rs",
            contents: bindings.operations,
        },
        GeneratedFile {
            path: crate::passes::cli::CLI_COMMANDS,
            contents: bindings.cli,
        },
    ])
}

/// The files among `present` (paths relative to the workspace root, as found in
/// [`GENERATED_DIR`]) that the generator does not produce: left-overs to delete.
pub fn unexpected_generated(
    files: &[GeneratedFile],
    present: impl IntoIterator<Item = String>,
) -> Vec<String> {
    let mut extra: Vec<String> = present
        .into_iter()
        .filter(|path| !files.iter().any(|f| f.path == path.as_str()))
        .collect();
    extra.sort();
    extra
}

/// A committed file that differs from what the generator produces now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    /// Path relative to the workspace root.
    pub path: String,
    /// Unified diff from the committed file to the generated one.
    pub diff: String,
}

/// Compares `files` with what `read` returns for each path (`None`: the file is missing).
/// Line endings are normalised first, so a checkout with CRLF is not reported.
pub fn stale(files: &[GeneratedFile], mut read: impl FnMut(&str) -> Option<String>) -> Vec<Stale> {
    files
        .iter()
        .filter_map(|file| {
            let committed = read(file.path).map(|text| text.replace("\r\n", "\n"));
            if committed.as_deref() == Some(file.contents.as_str()) {
                return None;
            }
            let old = committed.unwrap_or_default();
            Some(Stale {
                path: file.path.to_owned(),
                diff: unified_diff(file.path, &old, &file.contents),
            })
        })
        .collect()
}

/// A unified diff (3 lines of context) from `old` to `new`, labelled `a/<path>` and `b/<path>`.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_reports_missing_and_changed_files_with_a_diff() {
        let files = vec![
            GeneratedFile {
                path: "a.txt",
                contents: "one\ntwo\n".into(),
            },
            GeneratedFile {
                path: "b.txt",
                contents: "same\n".into(),
            },
            GeneratedFile {
                path: "c.txt",
                contents: "new\n".into(),
            },
        ];
        let stale = stale(&files, |path| match path {
            "a.txt" => Some("one\nTWO\n".into()),
            "b.txt" => Some("same\r\n".into()),
            _ => None,
        });
        let paths: Vec<_> = stale.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths, ["a.txt", "c.txt"]);
        assert!(
            stale[0].diff.contains("--- a/a.txt\n+++ b/a.txt\n"),
            "{}",
            stale[0].diff
        );
        assert!(stale[0].diff.contains("-TWO\n+two\n"), "{}", stale[0].diff);
    }
}
