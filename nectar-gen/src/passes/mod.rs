//! The generator passes: from the spec to the Rust of nectar-api. [`bindings`] drives them:
//! progenitor for the client and types, then [`rewrite`] over its output, [`patch`] for update
//! bodies, [`multipart`] for uploads, [`path_params`] so an id stays one path segment; and ours for [`open_enum`]s, [`pages`] and the run-time
//! [`operations`] table; [`cli`] for the `nectar` command's generated commands. [`links`] adds OpenAPI links to the spec itself. What each works around in
//! progenitor 0.15 is in `PROGENITOR.md` beside this file.

pub(crate) mod bindings;
pub(crate) mod cli;
pub(crate) mod docs;
pub(crate) mod links;
pub(crate) mod multipart;
pub(crate) mod open_enum;
pub(crate) mod operations;
pub(crate) mod pages;
pub(crate) mod patch;
pub(crate) mod path_params;
pub(crate) mod patterns;
pub(crate) mod response_builders;
pub(crate) mod rewrite;
