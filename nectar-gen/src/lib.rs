//! The Nectar Climate API as documented, written as Rust.
//!
//! Each resource module declares the documented schemas (types deriving `schemars::JsonSchema`,
//! with doc comments as descriptions and `#[schemars(...)]` for formats, lengths, ranges and
//! patterns) and the documented operations. From them:
//!
//! - [`spec`] builds a deterministic OpenAPI 3.0.3 document (`spec/openapi.json`);
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

mod account;
mod api;
mod bindings;
mod common;
mod company;
mod connection;
mod document;
pub mod drift;
mod invitation;
mod job;
mod links;
mod meter;
mod misc;
mod multipart;
mod names;
mod open_enum;
mod operations;
mod pages;
mod patch;
mod rewrite;
mod schema;
mod site;
mod surface;
mod usage;
pub mod validate;
mod webhook;

use indexmap::IndexMap;

pub use bindings::{Bindings, HEADER, bindings};
/// The OpenAPI types the spec is made of (`openapiv3`).
pub use openapiv3 as oa;
pub use surface::surface;

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

/// The OpenAPI 3.0.3 document of the documented API. Deterministic: paths and components are
/// sorted, so the same nectar-gen always gives the same document.
pub fn spec() -> Result<oa::OpenAPI, Error> {
    let mut api = api::Api::new();
    misc::register(&mut api);
    company::register(&mut api);
    site::register(&mut api);
    connection::register(&mut api);
    account::register(&mut api);
    meter::register(&mut api);
    document::register(&mut api);
    usage::register(&mut api);
    invitation::register(&mut api);
    job::register(&mut api);
    webhook::register(&mut api);
    let (mut paths, schemas) = api.finish()?;
    links::add(&mut paths, &schemas);

    let security_scheme = oa::SecurityScheme::APIKey {
        location: oa::APIKeyLocation::Header,
        name: "X-API-Key".to_owned(),
        description: Some(
            "The API key from Settings > Organization > API Keys; sandbox and production keys \
             are distinct. Header names are case-insensitive (the reference writes X-API-KEY)."
                .to_owned(),
        ),
        extensions: IndexMap::new(),
    };
    Ok(oa::OpenAPI {
        openapi: "3.0.3".to_owned(),
        info: oa::Info {
            title: "Nectar Climate API".to_owned(),
            description: Some(api::dedent(
                "
                Utility bills and usage for companies: a company has sites, sites have utility
                connections (logins to a provider's portal), connections discover accounts, and
                accounts yield documents (bills) and usage data.

                Written by nectar-rs from Nectar's public documentation (no published spec file
                exists); each operation says where the documentation disagreed with itself and
                which reading was taken. Errors documented here carry `{\"detail\": ...}`; 429
                and 5xx answers are possible on every operation and are not typed.
                ",
            )),
            version: API_VERSION.to_owned(),
            contact: Some(oa::Contact {
                name: Some("Nectar's API reference".to_owned()),
                url: Some("https://docs.nectarclimate.com/api-reference".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        },
        servers: vec![oa::Server {
            url: BASE_URL.to_owned(),
            description: Some("Production and sandbox (the key decides)".to_owned()),
            ..Default::default()
        }],
        paths,
        components: Some(oa::Components {
            security_schemes: IndexMap::from([(
                "apiKey".to_owned(),
                oa::ReferenceOr::Item(security_scheme),
            )]),
            schemas,
            ..Default::default()
        }),
        security: Some(vec![IndexMap::from([("apiKey".to_owned(), Vec::new())])]),
        tags: [
            (
                "companies",
                "Companies: the top of the hierarchy, with their settings and users.",
            ),
            ("sites", "Sites (buildings, facilities) of a company."),
            (
                "connections",
                "Utility connections: logins to a provider's portal, and their status.",
            ),
            (
                "accounts",
                "Utility accounts a connection discovered, and whether they are tracked.",
            ),
            ("meters", "Meters of an account."),
            ("documents", "Documents (bills) collected or uploaded."),
            ("usage", "Usage data extracted from documents."),
            (
                "invitations",
                "Links that let someone else add or fix a connection.",
            ),
            (
                "jobs",
                "Bills uploaded by file or URL, and the jobs processing them.",
            ),
            ("misc", "Checking the API key."),
        ]
        .into_iter()
        .map(|(name, description)| oa::Tag {
            name: name.to_owned(),
            description: Some(description.to_owned()),
            ..Default::default()
        })
        .collect(),
        ..Default::default()
    })
}

/// The spec as committed in `spec/openapi.json`: pretty JSON with a final newline.
///
/// A nullable reference is written the way OpenAPI 3.0.3 means it: `nullable` only adds `null`
/// next to a `type`, so `{nullable, allOf: [$ref]}` (schemars' form, and the one typify reads, so
/// [`spec`] keeps it for the generators) would not admit `null` to strict validators (redocly's
/// `nullable-type-sibling`, prism). The file has `{oneOf: [$ref, {type, nullable, enum: [null]}]}`
/// instead: the same values, in a form every tool reads alike.
pub fn spec_json(spec: &oa::OpenAPI) -> Result<String, Error> {
    let text = serde_json::to_string(spec)
        .map_err(|e| Error::Spec(format!("serializing the spec: {e}")))?;
    // An order-keeping JSON value, so the file keeps the spec's key order.
    let mut value: Json = serde_json::from_str(&text)
        .map_err(|e| Error::Spec(format!("re-reading the spec: {e}")))?;
    let types: IndexMap<String, Json> = match &value {
        Json::Object(root) => match root.get("components").and_then(|c| c.get("schemas")) {
            Some(Json::Object(schemas)) => schemas
                .iter()
                .filter_map(|(name, schema)| Some((name.clone(), schema.get("type")?.clone())))
                .collect(),
            _ => IndexMap::new(),
        },
        _ => IndexMap::new(),
    };
    nullable_refs(&mut value, &types);
    serde_json::to_string_pretty(&value)
        .map(|json| json + "\n")
        .map_err(|e| Error::Spec(format!("serializing the spec: {e}")))
}

/// A JSON value whose objects keep their key order (the workspace's `serde_json` sorts them).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(IndexMap<String, Json>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(map) => map.get(key),
            _ => None,
        }
    }
}

/// Rewrites every `{nullable: true, allOf: [{$ref}]}` without a `type`; see [`spec_json`].
fn nullable_refs(value: &mut Json, types: &IndexMap<String, Json>) {
    match value {
        Json::Object(map) => {
            let reference = match (
                map.get("nullable"),
                map.contains_key("type"),
                map.get("allOf"),
            ) {
                (Some(Json::Bool(true)), false, Some(Json::Array(all_of))) => {
                    match all_of.as_slice() {
                        [Json::Object(only)] => match only.get("$ref") {
                            Some(Json::String(reference)) => Some(reference.clone()),
                            _ => None,
                        },
                        _ => None,
                    }
                }
                _ => None,
            };
            let ty = reference
                .as_deref()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .and_then(|name| types.get(name));
            if let (Some(reference), Some(ty)) = (reference.as_deref(), ty) {
                let position = map.get_index_of("nullable").unwrap_or(0);
                map.shift_remove("nullable");
                map.shift_remove("allOf");
                let null = IndexMap::from([
                    ("type".to_owned(), ty.clone()),
                    ("nullable".to_owned(), Json::Bool(true)),
                    ("enum".to_owned(), Json::Array(vec![Json::Null])),
                ]);
                let one_of = Json::Array(vec![
                    Json::Object(IndexMap::from([(
                        "$ref".to_owned(),
                        Json::String(reference.to_owned()),
                    )])),
                    Json::Object(null),
                ]);
                map.shift_insert(position.min(map.len()), "oneOf".to_owned(), one_of);
            }
            for child in map.values_mut() {
                nullable_refs(child, types);
            }
        }
        Json::Array(items) => {
            for item in items {
                nullable_refs(item, types);
            }
        }
        _ => {}
    }
}

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
pub const SANDBOX_SPEC: &str = "tests/sandbox/openapi.json";

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
    fn spec_is_deterministic() {
        let first = spec_json(&spec().unwrap()).unwrap();
        let second = spec_json(&spec().unwrap()).unwrap();
        assert_eq!(first, second);
    }

    /// OpenAPI 3.0.3: `nullable` only counts next to a `type` (redocly's `nullable-type-sibling`).
    #[test]
    fn the_spec_file_has_no_nullable_without_a_type() {
        fn walk(value: &serde_json::Value, path: &str, bad: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    if map.get("nullable") == Some(&serde_json::Value::Bool(true))
                        && !map.contains_key("type")
                    {
                        bad.push(path.to_owned());
                    }
                    for (key, child) in map {
                        walk(child, &format!("{path}/{key}"), bad);
                    }
                }
                serde_json::Value::Array(items) => {
                    for (index, child) in items.iter().enumerate() {
                        walk(child, &format!("{path}/{index}"), bad);
                    }
                }
                _ => {}
            }
        }
        let text = spec_json(&spec().unwrap()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut bad = Vec::new();
        walk(&value, "#", &mut bad);
        assert!(bad.is_empty(), "{bad:#?}");
        let charges = &value["components"]["schemas"]["Document"]["properties"]["chargesUnits"];
        assert_eq!(charges["oneOf"][0]["$ref"], "#/components/schemas/Currency");
        assert_eq!(charges["oneOf"][1]["enum"], serde_json::json!([null]));
        // The file keeps the spec's key order: `openapi` first, as written.
        assert!(
            text.starts_with("{\n  \"openapi\": \"3.0.3\""),
            "{}",
            &text[..40]
        );
    }

    /// Linters (spectral's `operation-description`, redocly's `tag-description`) ask for these;
    /// readers of the generated docs need them.
    #[test]
    fn every_operation_and_tag_is_described() {
        let spec = spec().unwrap();
        for (path, method, operation) in validate::operations(&spec) {
            assert!(
                operation
                    .description
                    .as_deref()
                    .is_some_and(|d| !d.trim().is_empty()),
                "{method} {path} has no description"
            );
        }
        for tag in &spec.tags {
            assert!(
                tag.description.is_some(),
                "tag {} has no description",
                tag.name
            );
        }
    }

    #[test]
    fn bindings_report_an_unsupported_spec_instead_of_panicking() {
        let mut spec = spec().unwrap();
        // A second error body on one operation: progenitor would panic on
        // `assertion failed: response_types.len() <= 1`.
        let Some(oa::ReferenceOr::Item(path)) = spec.paths.paths.get_mut("/company/{company_id}")
        else {
            panic!("the company path is in the spec");
        };
        let get = path.get.as_mut().unwrap();
        get.responses.responses.insert(
            oa::StatusCode::Code(500),
            oa::ReferenceOr::Item(oa::Response {
                description: "other".into(),
                content: IndexMap::from([(
                    "application/json".to_owned(),
                    oa::MediaType {
                        schema: Some(oa::ReferenceOr::ref_("#/components/schemas/Company")),
                        ..Default::default()
                    },
                )]),
                ..Default::default()
            }),
        );
        let error = bindings(&spec).unwrap_err().to_string();
        assert!(
            error.contains(
                "GET /company/{company_id} (get_company): error responses have 2 different bodies"
            ),
            "{error}"
        );
    }

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
