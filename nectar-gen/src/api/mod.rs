//! The Nectar Climate API as documented, written as Rust: one module per resource (its schemas
//! and operations), the shared enums (`common`), the ids (`ids`), and the document's root (title,
//! description, tags, security) below. `DECISIONS.md` beside this file says which reading was
//! taken where Nectar's pages disagree with each other.
//!
//! Nothing here knows about progenitor or the generated code: the generator passes
//! (`crate::passes`) and the checks (`crate::checks`) read the spec this builds, never these
//! modules (a test in `lib.rs` keeps it so).

pub(crate) mod account;
pub(crate) mod common;
pub(crate) mod company;
pub(crate) mod connection;
pub(crate) mod document;
pub(crate) mod ids;
pub(crate) mod invitation;
pub(crate) mod job;
pub(crate) mod meter;
pub(crate) mod misc;
pub(crate) mod site;
pub(crate) mod usage;
pub(crate) mod webhook;

use indexmap::IndexMap;
use openapiv3 as oa;

use crate::{
    API_VERSION, BASE_URL,
    dsl::operation::{Api, dedent},
};

/// Registers every documented operation and schema.
pub(crate) fn register(api: &mut Api) {
    misc::register(api);
    company::register(api);
    site::register(api);
    connection::register(api);
    account::register(api);
    meter::register(api);
    document::register(api);
    usage::register(api);
    invitation::register(api);
    job::register(api);
    webhook::register(api);
}

/// The document around the operations and schemas: info, servers, security and tags.
pub(crate) fn document(
    paths: oa::Paths,
    schemas: IndexMap<String, oa::ReferenceOr<oa::Schema>>,
) -> oa::OpenAPI {
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
    oa::OpenAPI {
        openapi: "3.0.3".to_owned(),
        info: oa::Info {
            title: "Nectar Climate API".to_owned(),
            description: Some(dedent(
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
    }
}
