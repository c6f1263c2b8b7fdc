//! Invitations: links that let an end user add a connection for a company (contributor
//! invitations) or fix an existing one (reconnect invitations), without an account of their own.
//! Nectar recommends them over the deprecated magic links.
//!
//! The link (`invitationUrl`, embedding `token`) is a credential: anyone holding it can add or
//! edit a connection until it expires, is used up or is revoked. Both are sensitive in the spec,
//! so they are redacted wherever the client prints them.

#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use uuid::Uuid;

use crate::api::ids::InvitationPath;
use crate::{
    api::common::{ConnectionStatus, Country, DatasourceType},
    api::ids::{CompanyPath, ConnectionPath},
    dsl::enums::documented_enum,
    dsl::operation::{Api, Method},
    dsl::schema::{Nullable, Optional, Secret},
};

const TAG: &str = "invitations";

documented_enum! {
    /// What an invitation lets its user do (typed as a plain string by the reference).
    InvitationType {
        "CREATE_CONNECTION" => "Add a new connection to the company (contributor invitation).",
        "EDIT_CONNECTION" => "Fix the credentials of one connection (reconnect invitation).",
    }
}

documented_enum! {
    /// State of an invitation (typed as a plain string by the reference).
    InvitationStatus {
        "ACTIVE" => "Usable.",
        "EXPIRED" => "Past `expiresAt`.",
        "REVOKED" => "Revoked; the link no longer works.",
        "FULFILLED" => "Used `maxUses` times.",
    }
}

documented_enum! {
    /// What happened to an invitation, in its audit log. The reference describes the log (views,
    /// e-mail verifications, uses, revocations) but not its field names or values; these are
    /// the emulator's and may differ from Nectar's.
    InvitationEventType {
        "VIEWED" => "The link was opened.",
        "EMAIL_VERIFIED" => "The user verified an allowed e-mail address.",
        "USED" => "A connection was created or fixed through the link.",
        "REVOKED" => "The invitation was revoked.",
    }
}

/// Values that pre-fill the end user's form (contributor invitations only; `{}` for reconnect
/// invitations).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationPrefill {
    /// The provider, by the URL of its website (or give `datasourceId`).
    url: Optional<String>,
    /// The provider, by Nectar's identifier (named by the invitations guide, typed nowhere:
    /// a plain string).
    datasource_id: Optional<String>,
    /// The sites the connection's data belongs to.
    initial_sites: Optional<Vec<Uuid>>,
    /// The kinds of data to expect.
    utility_types: Optional<Vec<DatasourceType>>,
    /// Country of the provider.
    country: Optional<Country>,
    /// The data owner's e-mail.
    #[schemars(email)]
    connection_owner_email: Optional<String>,
    /// Earliest date to collect data from.
    data_collection_start_date: Option<NaiveDate>,
}

/// How long and by whom an invitation may be used; shared by both kinds.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationLimits {
    /// Only these e-mail addresses may use it (the user verifies one); empty or absent: anyone
    /// with the link.
    #[schemars(inner(email, length(min = 1)))]
    allowed_emails: Optional<Vec<String>>,
    /// Seconds until it expires, at least 60; absent: it never expires.
    #[schemars(range(min = 60, max = 4_294_967_295_u32))]
    expires_in_seconds: Optional<u32>,
    /// How many times it may be used, at least 1; absent: unlimited (a reconnect link is
    /// typically single-use).
    #[schemars(range(min = 1, max = 4_294_967_295_u32))]
    max_uses: Optional<u32>,
    /// Whether Nectar e-mails the link to `allowedEmails` (else only the link is returned).
    send_email: Optional<bool>,
}

/// Body of `POST /invitation/company/{company_id}`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInvitationCreate {
    #[serde(flatten)]
    limits: InvitationLimits,
    /// Values that pre-fill the end user's form.
    prefill: Optional<InvitationPrefill>,
}

/// Body of `POST /invitation/connection/{connection_id}`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReconnectInvitationCreate {
    #[serde(flatten)]
    limits: InvitationLimits,
}

/// A connection created through a contributor invitation.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationConnection {
    /// Identifier of the connection.
    id: Uuid,
    /// Name of its provider.
    datasource_name: Option<String>,
    /// Its status (typed as a plain string by the reference).
    status: Option<ConnectionStatus>,
    /// When it was created.
    created: Option<DateTime<Utc>>,
}

/// One entry of an invitation's audit log (detail only; field names not documented).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationEvent {
    /// What happened.
    event_type: InvitationEventType,
    /// When.
    created: DateTime<Utc>,
    /// The e-mail address involved, if any.
    email: Option<String>,
}

/// An invitation.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    /// Identifier of the invitation.
    id: Uuid,
    /// The opaque token embedded in `invitationUrl`. A credential.
    token: Secret,
    /// What it lets its user do.
    invitation_type: InvitationType,
    /// Its state.
    status: InvitationStatus,
    /// The link to give the end user (`https://dash.nectarclimate.com/p/i/{token}`). A
    /// credential: anyone with it can add or edit a connection.
    invitation_url: Secret,
    /// The company.
    company_id: Uuid,
    /// The connection a reconnect invitation fixes; `null` for contributor invitations.
    connection_id: Nullable<Uuid>,
    /// Who may use it; empty: anyone with the link.
    allowed_emails: Vec<String>,
    /// When it expires; `null`: never.
    expires_at: Nullable<DateTime<Utc>>,
    /// How many uses it allows; `null`: unlimited.
    max_uses: Nullable<u32>,
    /// How many times it was used.
    use_count: u32,
    /// When it was created.
    created_at: DateTime<Utc>,
    /// The pre-filled values (`{}` for reconnect invitations).
    prefill: Optional<InvitationPrefill>,
    /// Connections created through it (contributor invitations).
    created_connections: Optional<Vec<InvitationConnection>>,
    /// Its audit log, oldest first (`get_invitation` only).
    events: Optional<Vec<InvitationEvent>>,
}

pub(crate) fn register(api: &mut Api) {
    api.op(
        Method::Post,
        "/invitation/company/{company_id}",
        "create_connection_invitation",
    )
    .tag(TAG)
    .summary("Invite someone to add a connection")
    .description(
        "
        Creates a contributor invitation (`CREATE_CONNECTION`): a link through which an end user
        adds a connection to the company, with the form pre-filled from `prefill`. Replaces the
        deprecated company magic link. The answer's status code is not documented; 200 and 201
        are accepted.
        ",
    )
    .path_params::<CompanyPath>()
    .body::<ConnectionInvitationCreate>("Who may use it, for how long, and what to pre-fill.")
    .response::<Invitation>(200, "The invitation.")
    .response::<Invitation>(201, "The invitation.")
    .errors(&[400, 401, 403, 404])
    .bad_request("`prefill.initialSites` must be sites of this company.")
    .add();

    api.op(
        Method::Post,
        "/invitation/connection/{connection_id}",
        "create_reconnect_invitation",
    )
    .docs("v2-0/invitations/create-reconnect-invitation")
    .tag(TAG)
    .summary("Invite someone to fix a connection")
    .description(
        "
        Creates a reconnect invitation (`EDIT_CONNECTION`) for one connection, typically after
        a credential error (`PASSWORD_INCORRECT`, ...): the end user enters the new credentials
        through the link. Replaces the deprecated connection magic link. The answer's status
        code is not documented; 200 and 201 are accepted.
        ",
    )
    .path_params::<ConnectionPath>()
    .body::<ReconnectInvitationCreate>("Who may use it and for how long.")
    .response::<Invitation>(200, "The invitation.")
    .response::<Invitation>(201, "The invitation.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(
        Method::Get,
        "/invitation/company/{company_id}",
        "list_invitations",
    )
    .tag(TAG)
    .summary("List a company's invitations")
    .description(
        "
        The company's invitations, newest first, without their audit logs.

        Shape: not documented (the magic-link guide names the operation only). A plain JSON
        array is assumed, as `GET /company` answers; no paging parameters are documented.
        ",
    )
    .path_params::<CompanyPath>()
    .response::<Vec<Invitation>>(200, "The invitations.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(Method::Get, "/invitation/{invitation_id}", "get_invitation")
        .tag(TAG)
        .summary("Get an invitation")
        .description(
            "One invitation with its audit log (views, e-mail verifications, uses, revocations).",
        )
        .path_params::<InvitationPath>()
        .response::<Invitation>(200, "The invitation.")
        .errors(&[400, 401, 403, 404])
        .add();

    api.op(
        Method::Post,
        "/invitation/{invitation_id}/revoke",
        "revoke_invitation",
    )
    .tag(TAG)
    .summary("Revoke an invitation")
    .description(
        "
        Revokes the invitation: its link stops working at once. Named by the magic-link guide
        only; the answer is taken to be the revoked invitation, and revoking twice is harmless.
        ",
    )
    .path_params::<InvitationPath>()
    .response::<Invitation>(200, "The revoked invitation.")
    .errors(&[400, 401, 403, 404])
    .add();
}
