//! The Nectar Climate API as documented, written as Rust.
//!
//! Each resource module declares the documented schemas (types deriving `schemars::JsonSchema`,
//! with doc comments as descriptions and `#[schemars(...)]` for formats, lengths, ranges and
//! patterns) and the documented operations. From them:
//!
//! - [`spec`] builds a deterministic OpenAPI 3.0.3 document, which the bindings read, and
//!   [`spec_json`] writes it as the OpenAPI 3.1 file `spec/openapi.json` that other tools read;
//! - [`bindings`] validates it against what progenitor can generate and renders the Rust client
//!   of nectar-api (progenitor 0.15 plus our open enums, formatted with prettyplease);
//! - [`generate`] returns every generated file with its path, for `cargo xtask codegen` and the
//!   freshness test, which compare them with [`stale`].
//!
//! This crate does no I/O: xtask writes the files.
//!
//! ```
//! let spec = nectar_gen::spec().expect("the documented API builds");
//! assert_eq!(spec.openapi, "3.0.3");
//! assert!(spec.paths.paths.contains_key("/connection/company/{company_id}"));
//! ```

#![warn(missing_docs)]

// The folders, by kind (see ARCHITECTURE.md): the API as documented, the DSL it is written in,
// reading the spec, the generator passes, the checks; then the spec file and the generated files.
mod api;
mod checks;
mod dsl;
mod files;
mod passes;
mod read;
mod spec;

pub use checks::{drift, surface::surface};
pub use files::{
    GENERATED_DIR, GeneratedFile, SANDBOX_SPEC, Stale, generate, stale, unexpected_generated,
    unified_diff,
};
/// The OpenAPI types the spec is made of (`openapiv3`).
pub use openapiv3 as oa;
pub use passes::bindings::{Bindings, HEADER, bindings};
pub use spec::{spec, spec_json};

/// The API version the spec describes; the generated client sends it as `api-version`.
pub const API_VERSION: &str = "2.2";
/// The production base URL of that version.
pub const BASE_URL: &str = "https://external.nectarclimate.com/v2.2";

/// What can go wrong while building the spec or the bindings.
#[derive(Debug)]
pub enum Error {
    /// A schema or operation in nectar-gen cannot be expressed as described.
    Spec(String),
    /// The spec has shapes progenitor cannot generate; one line per problem.
    Invalid(Vec<String>),
    /// progenitor refused the spec (or panicked on it).
    Progenitor(String),
    /// The generated tokens could not be parsed for formatting.
    Render(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Spec(message) => write!(f, "spec: {message}"),
            Error::Invalid(problems) => {
                writeln!(
                    f,
                    "the spec has {} problem(s) progenitor cannot handle:",
                    problems.len()
                )?;
                for problem in problems {
                    writeln!(f, "  - {problem}")?;
                }
                Ok(())
            }
            Error::Progenitor(message) => write!(f, "progenitor: {message}"),
            Error::Render(message) => write!(f, "formatting the generated code: {message}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod layering {
    //! The layers stay apart: the generator passes and the checks read the spec, never the API
    //! description; the description is written in the DSL, never with a generator pass.

    use std::path::Path;

    /// The first segment of every `crate::` path in `text`: `use crate::{a::b, c}` gives `a` and
    /// `c`, an inline `crate::d::e` gives `d`.
    fn crate_paths_in(text: &str) -> Vec<String> {
        // Code only: a doc comment may name a module it does not import.
        let code: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut found = Vec::new();
        let mut rest = code.as_str();
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let Some(inner) = rest.strip_prefix('{') else {
                let first = rest
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next();
                found.extend(first.filter(|f| !f.is_empty()).map(str::to_owned));
                continue;
            };
            // A group: the first segment of each top-level item, up to the matching `}`.
            let mut depth = 0;
            let mut item = String::new();
            for c in inner.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            found.push(first_segment(&item));
            found.retain(|f| !f.is_empty());
        }
        found
    }

    fn first_segment(item: &str) -> String {
        item.trim()
            .split("::")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// [`crate_paths_in`] of every source file under `src/<folder>`, with the file.
    fn crate_paths(folder: &str) -> Vec<(String, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(folder);
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for first in crate_paths_in(&text) {
                found.push((path.display().to_string(), first));
            }
        }
        assert!(!found.is_empty(), "no crate path read under {folder}");
        found
    }

    #[test]
    fn passes_and_checks_never_import_the_api_description() {
        for folder in ["passes", "checks"] {
            for (file, first) in crate_paths(folder) {
                assert_ne!(first, "api", "{file} imports the API description");
            }
        }
    }

    #[test]
    fn the_api_description_imports_no_pass_and_no_check() {
        for (file, first) in crate_paths("api") {
            assert!(
                !matches!(first.as_str(), "passes" | "checks" | "files"),
                "{file} imports crate::{first}"
            );
        }
    }

    #[test]
    fn the_reader_sees_every_kind_of_import() {
        assert_eq!(
            crate_paths_in("use crate::{Error, api::common::ApiError, read};"),
            ["Error", "api", "read"]
        );
        assert_eq!(
            crate_paths_in("use crate::{passes::{a, b}, api::ids::X}; crate::checks::run()"),
            ["passes", "api", "checks"]
        );
        assert_eq!(crate_paths_in("use crate::api::site::Site;"), ["api"]);
        assert!(crate_paths_in("//! reads `crate::passes`, not imported").is_empty());
    }
}
