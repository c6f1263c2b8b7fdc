//! Connections (utility account connections; "workflows" inside Nectar): a login to a utility
//! provider's portal. Nectar validates it, discovers accounts, and collects bills and usage.

#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use uuid::Uuid;

use crate::api::ids::ConnectionPath;
use crate::{
    api::account::Account,
    api::common::{ConnectionStatus, Country, DatasourceType},
    api::ids::CompanyPath,
    dsl::operation::{Api, Method},
    dsl::schema::{Nullable, Optional, Secret},
};

const TAG: &str = "connections";

/// A utility account connection. The same shape is used by the webhook payloads.
///
/// `externalId` and `isActive` appear only in the v2.2 magic-link example; they are optional.
/// Fields whose presence the reference does not state are optional.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    /// Identifier of the connection.
    id: Uuid,
    /// When the connection was created.
    created: DateTime<Utc>,
    /// Public identifier of the company, used in magic-link URLs instead of its id, because it
    /// may be shown to unauthenticated users. Deprecated with magic links (v2.2).
    public_company_id: String,
    /// Signed secret for this connection's magic link. Deprecated with magic links (v2.2). Treat
    /// it as a credential: anyone with it can edit the connection.
    connection_magic_link_secret: Optional<Secret>,
    /// When the current status was recorded.
    status_last_update_time: Nullable<DateTime<Utc>>,
    /// When the current status was first set.
    status_first_seen_time: Nullable<DateTime<Utc>>,
    /// Details of an error status, when there are any.
    status_error_detail: Nullable<String>,
    /// When the connection last changed.
    updated: Optional<DateTime<Utc>>,
    /// Your own identifier (seen in the v2.2 magic-link example only).
    external_id: Option<String>,
    /// The utility provider.
    datasource: Optional<ConnectionDatasource>,
    /// The accounts found on the provider's portal; may be empty.
    accounts: Optional<Vec<Account>>,
    /// The company the connection belongs to.
    company: Optional<ConnectionCompany>,
    /// URL of the provider's login page.
    url: Option<String>,
    /// Current status; see `ConnectionStatus` for what each value asks of you.
    status: Optional<ConnectionStatus>,
    /// Country of the provider.
    country: Optional<Country>,
    /// Sites chosen when the connection was created, before accounts are discovered.
    initial_sites: Optional<Vec<Uuid>>,
    /// Datasource types chosen when the connection was created; used to filter connections that
    /// have no accounts yet.
    #[schemars(length(max = 10))]
    initial_datasource_types: Optional<Vec<DatasourceType>>,
    /// Username on the provider's portal.
    username: Option<String>,
    /// The data owner's e-mail: this person is told when data is missing or the connection is
    /// misconfigured. The list filter `connectionOwnerEmail` matches it.
    #[schemars(email)]
    workflow_owner_email: Option<String>,
    /// Earliest date data is collected from; overrides the site and company values.
    data_collection_start_date: Option<NaiveDate>,
    /// Whether usage is multiplied by the site's `occupancyPercent`.
    multiply_by_occupancy: Optional<bool>,
    /// Whether the connection is active (seen in the v2.2 magic-link example only).
    is_active: Optional<bool>,
}

/// The utility provider of a connection.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionDatasource {
    /// Name of the provider, e.g. "Los Angeles Department of Water and Power".
    name: String,
    /// Root URL by which Nectar identifies the provider.
    url: Optional<String>,
}

/// The company a connection belongs to.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionCompany {
    /// Identifier of the company.
    id: Uuid,
    /// Name of the company.
    name: String,
    /// Your own identifier for the company.
    external_id: Option<String>,
}

/// A page of a company's connections.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionPage {
    /// Number of connections matching the filters, over all pages.
    total_connections: u64,
    /// Page size in effect.
    #[schemars(range(min = 1))]
    per_page: u64,
    /// Number of pages.
    #[schemars(range(min = 1))]
    total_pages: u64,
    /// This page's number (1-based). A page past the end is answered with the last page.
    #[schemars(range(min = 1))]
    current_page: u64,
    /// Whether a later page exists.
    has_next: bool,
    /// Whether an earlier page exists.
    has_previous: bool,
    /// The connections on this page.
    connections: Vec<Connection>,
}

/// Body of `POST /connection/company/{company_id}`: a connection to a portal that needs only a
/// username and password (portals with MFA or security questions need an invitation instead).
///
/// The reference shows this body only in part. `url`, `username`, `password`, the sites and
/// `country` are documented (sandbox guide); the sites key is inferred as `initialSites`, the name
/// the Connection and invitation pre-fill use; `initialDatasourceTypes`,
/// `dataCollectionStartDate`, `multiplyByOccupancy` and `workflowOwnerEmail` are inferred from the
/// Connection's fields.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionCreate {
    /// URL of the provider's home or login page; Nectar matches the provider by its root.
    /// Sandbox: `https://nectarclimate.com`.
    #[schemars(length(min = 1))]
    url: String,
    /// Username on the provider's portal. Sandbox: `nectar-sandbox-username`.
    #[schemars(length(min = 1))]
    username: String,
    /// Password on the provider's portal. Sandbox: `nectar-sandbox-password`.
    password: Secret,
    /// Sites the connection's data belongs to (the sandbox takes 1 to 3). Key name inferred.
    #[schemars(length(min = 1))]
    initial_sites: Vec<Uuid>,
    /// Country of the provider.
    country: Country,
    /// Datasource types to expect (inferred).
    #[schemars(length(max = 10))]
    initial_datasource_types: Optional<Vec<DatasourceType>>,
    /// Earliest date to collect data from (inferred).
    data_collection_start_date: Option<NaiveDate>,
    /// Multiply usage by the site's occupancy (inferred).
    multiply_by_occupancy: Optional<bool>,
    /// The data owner's e-mail (inferred).
    #[schemars(email)]
    workflow_owner_email: Option<String>,
}

/// Body of `PATCH /connection/{connection_id}/details`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionUpdate {
    /// Earliest date to collect data from; `null` falls back to the site and company values.
    data_collection_start_date: Option<NaiveDate>,
    /// Multiply usage by the site's occupancy.
    multiply_by_occupancy: Optional<bool>,
}

/// Body of `PATCH /connection/{connection_id}/status`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionConfirmation {
    /// `true` confirms the discovered accounts for tracking; `false` rejects them.
    confirm: bool,
}

/// Answer of the deprecated company magic-link operation.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyMagicLink {
    /// Signed secret of the company-level magic link. Treat it as a credential.
    company_magic_link_secret: Optional<Secret>,
    /// Public identifier of the company, safe to show.
    public_company_id: String,
    /// The link to hand to the end user:
    /// `https://dash.nectarclimate.com/p/connect/{publicCompanyId}/{companyMagicLinkSecret}`. It
    /// embeds the secret, so it is a credential too.
    magic_link_url: Optional<Secret>,
}

/// Query parameters of `GET /connection/company/{company_id}`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ListConnectionsQuery {
    /// Only connections whose owner e-mail (`workflowOwnerEmail`) is exactly this.
    #[schemars(email, length(min = 1))]
    connection_owner_email: Optional<String>,
    /// Page size: 1 to 500 (this is the only list endpoint that takes `limit`).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 500))]
    limit: u32,
    /// Page number, 1-based. A page past the end is answered with the last page.
    #[serde(default = "default_page")]
    #[schemars(range(min = 1, max = 4_294_967_295_u32))]
    page: u32,
    /// Only connections linked to one of these sites; repeat the key for each site:
    /// `?sites=<id1>&sites=<id2>`.
    sites: Optional<Vec<Uuid>>,
    /// Only connections with this status.
    status: Optional<ConnectionStatus>,
}

fn default_limit() -> u32 {
    100
}

fn default_page() -> u32 {
    1
}

pub(crate) fn register(api: &mut Api) {
    api.op(
        Method::Get,
        "/connection/company/{company_id}",
        "list_company_connections",
    )
    .docs("v2-2/connections/get-company-utility-account-connections")
    .tag(TAG)
    .summary("List a company's connections")
    .description(
        "
            One page of the company's connections, in a stable order, with the paging envelope.
            Filters apply to the totals. Stop when `hasNext` is false: a page past the end is
            answered with the last page, not an error.

            Path: the API reference's `/connection/company/{company_id}`; the sandbox guide's
            `/company/{companyId}/connection` is not confirmed by any reference page.
            ",
    )
    .path_params::<CompanyPath>()
    .query_params::<ListConnectionsQuery>()
    .response::<ConnectionPage>(200, "One page of connections.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(
        Method::Post,
        "/connection/company/{company_id}",
        "create_connection",
    )
    .tag(TAG)
    .summary("Create a connection")
    .description(
        "
            Creates a connection to a portal that needs only a username and password. The
            connection starts `PENDING`; Nectar validates it asynchronously.

            Sandbox: URL `https://nectarclimate.com`, username `nectar-sandbox-username`, password
            `nectar-sandbox-password` and 1 to 3 sites give a connection that becomes `CONNECTED`
            and generates mock data; any other credentials end in `PASSWORD_INCORRECT` (the
            sandbox guide says `INCORRECT_PASSWORD`, which is not a value of the API's enum).

            The body is documented only in part (see `ConnectionCreate`). The answer's status code
            is not documented; both 200 and 201 are accepted.
            ",
    )
    .path_params::<CompanyPath>()
    .body::<ConnectionCreate>("The connection to create.")
    .response::<Connection>(200, "The connection was created.")
    .response::<Connection>(201, "The connection was created.")
    .errors(&[400, 401, 403, 404])
    .bad_request(
        "`initialSites` must be sites of this company (the sandbox provider takes 1 to 3).",
    )
    .add();

    api.op(
        Method::Get,
        "/connection/{connection_id}/details",
        "get_connection",
    )
    .docs("connections/get-an-utility-account-connection")
    .tag(TAG)
    .summary("Get a connection")
    .description("One connection with its accounts, datasource and company.")
    .path_params::<ConnectionPath>()
    .response::<Connection>(200, "The connection.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(
        Method::Patch,
        "/connection/{connection_id}/details",
        "update_connection",
    )
    .tag(TAG)
    .summary("Update a connection's settings")
    .description(
        "
            Changes the data-collection start date or the occupancy multiplier.

            Documented in the connection-status guide's endpoint table only; the answer is taken
            to be the updated connection.
            ",
    )
    .path_params::<ConnectionPath>()
    .body::<ConnectionUpdate>("The settings to change.")
    .response::<Connection>(200, "The updated connection.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(
        Method::Patch,
        "/connection/{connection_id}/status",
        "confirm_connection_accounts",
    )
    .tag(TAG)
    .summary("Confirm or reject a connection's discovered accounts")
    .description(
        "
            `{\"confirm\": true}` enables tracking of the accounts Nectar discovered on the
            connection; `false` rejects them.

            Documented in the connection-status guide only; the answer is taken to be the
            connection.
            ",
    )
    .path_params::<ConnectionPath>()
    .body::<ConnectionConfirmation>("The decision.")
    .response::<Connection>(200, "The connection.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(Method::Get, "/connection/{connection_id}", "create_connection_magic_link")
        .docs("v2-2/connections/create-magic-link-for-updating-a-utility-account-connection")
        .tag(TAG)
        .summary("Create a magic link for updating a connection (deprecated)")
        .description(
            "
            Deprecated: use reconnect invitations (`create_reconnect_invitation`). Answers the connection with its
            `connectionMagicLinkSecret`; the edit link is
            `https://dash.nectarclimate.com/p/connect/{publicCompanyId}/workflow/{connectionMagicLinkSecret}`.

            Method: the v2.2 reference page shows GET, the magic-link guide POST; the reference
            page is followed.
            ",
        )
        .deprecated()
        .path_params::<ConnectionPath>()
        .response::<Connection>(200, "The connection, with its magic-link secret.")
        .errors(&[400, 401, 403, 404])
        .add();

    api.op(
        Method::Get,
        "/connection/company/{company_id}/link",
        "create_company_magic_link",
    )
        .docs("connections/create-magic-link-for-creating-a-utility-account-connection")
    .tag(TAG)
    .summary("Create a magic link for creating a connection (deprecated)")
    .description(
        "
            Deprecated: use connection invitations (`create_connection_invitation`). Answers a link through which an end user can
            create a connection for the company.

            Method: the v2 reference page shows GET, the magic-link guide POST; the reference page
            is followed.
            ",
    )
    .deprecated()
    .path_params::<CompanyPath>()
    .response::<CompanyMagicLink>(200, "The magic link.")
    .errors(&[400, 401, 403, 404])
    .add();
}
