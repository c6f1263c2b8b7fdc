//! The path parameters that name one object (`company_id`, `site_id`, ...), in one place: every
//! resource module takes the ids it needs from here, so no resource module imports another for
//! an id.

// The fields are read by schemars' derive (they become the parameters), never by Rust code.
#![allow(dead_code)]

use schemars::JsonSchema;
use uuid::Uuid;

/// Path parameters of `PATCH /account/{account_id}`.
#[derive(JsonSchema)]
pub(crate) struct AccountPath {
    /// Identifier of the account (typed as a plain string by the reference, not as a uuid).
    account_id: String,
}

/// Path parameters of the company operations.
#[derive(JsonSchema)]
pub(crate) struct CompanyPath {
    /// Identifier of the company.
    company_id: Uuid,
}

/// Path parameters of the single-connection operations.
#[derive(JsonSchema)]
pub(crate) struct ConnectionPath {
    /// Identifier of the connection.
    connection_id: Uuid,
}

/// Path parameters of the single-invitation operations.
#[derive(JsonSchema)]
pub(crate) struct InvitationPath {
    /// Identifier of the invitation.
    invitation_id: Uuid,
}

/// Path parameters of `GET /job/{job_id}`.
#[derive(JsonSchema)]
pub(crate) struct JobPath {
    /// Identifier of the job (a plain string).
    job_id: String,
}

/// Path parameters of `GET /meter/{meter_id}`.
#[derive(JsonSchema)]
pub(crate) struct MeterPath {
    /// Identifier of the meter.
    meter_id: Uuid,
}

/// Path parameters of the site operations.
#[derive(JsonSchema)]
pub(crate) struct SitePath {
    /// Identifier of the site.
    site_id: Uuid,
}

/// Path parameters of the by-document lists.
#[derive(JsonSchema)]
pub(crate) struct DocumentPath {
    /// Identifier of the document.
    document_id: Uuid,
}

/// Path parameters of `GET /usage/{usage_data_id}`.
#[derive(JsonSchema)]
pub(crate) struct UsagePath {
    /// Identifier of the usage row (a plain string; v2.0 named this parameter `msud_id`).
    usage_data_id: String,
}
