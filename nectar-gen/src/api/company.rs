//! Companies: the organisations whose utility data Nectar collects. A company owns sites, and
//! through them connections, accounts, documents and usage data.

#![allow(dead_code)]

use chrono::NaiveDate;
use schemars::JsonSchema;
use uuid::Uuid;

use crate::api::ids::CompanyPath;
use crate::{
    api::site::Site,
    dsl::operation::{Api, Method},
    dsl::schema::{Decimal, Optional},
};

const TAG: &str = "companies";

/// Pattern of `impliedMeteringFraction`: a fraction, 0 to 1, with up to two decimals (not
/// empty, not negative: Nectar's serializer refuses `""`, `"-"` and `"-5"`).
const FRACTION_PATTERN: &str = r"^(?:0(?:\.[0-9]{1,2})?|1(?:\.0{1,2})?|\.[0-9]{1,2})$";

/// A company, with the sites it owns.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    /// Identifier of the company.
    id: Uuid,
    /// Name of the company.
    #[schemars(length(max = 200))]
    name: String,
    /// (Beta) Whether electricity demand data is extracted as well as usage.
    is_demand_enabled: bool,
    /// The company's sites. This is the only documented way to list sites.
    sites: Vec<Site>,
    /// E-mail addresses of the company's users.
    users: Vec<String>,
    /// Your own identifier for the company, for mapping it to a record in your system.
    external_id: Option<String>,
    /// Earliest date Nectar collects history from (default: 1 January of the previous year).
    /// Site- and connection-level values override it.
    data_collection_start_date: Optional<NaiveDate>,
    /// Whether implied metering is on (sewer volume estimated from water usage).
    is_implied_metering_enabled: Optional<bool>,
    /// Fraction of water usage used to estimate sewer volume when a bill has only a sewage
    /// charge, as a decimal string (default `1.0`).
    #[schemars(regex(path = "FRACTION_PATTERN"))]
    implied_metering_fraction: Optional<Decimal>,
    /// Whether meter identifiers are labelled with the reduced set of identifier types.
    is_basic_identifier_mapping_enabled: Optional<bool>,
    /// Whether bills are processed in the faster, less accurate mode.
    is_low_accuracy_mode_enabled: Optional<bool>,
}

/// Body of `POST /company`. Fields you leave out are not sent; the server applies its defaults.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyCreate {
    /// Name of the company.
    #[schemars(length(min = 1, max = 200))]
    name: String,
    #[serde(flatten)]
    settings: CompanySettings,
}

/// Body of `PATCH /company/{company_id}`: every field is optional; only fields sent change.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyUpdate {
    /// New name of the company.
    #[schemars(length(min = 1, max = 200))]
    name: Optional<String>,
    #[serde(flatten)]
    settings: CompanySettings,
}

/// The optional fields shared by the create and update bodies (flattened into both; not a
/// component of its own).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
struct CompanySettings {
    /// Your own identifier for the company; `null` clears it.
    external_id: Option<String>,
    /// Earliest date Nectar collects history from (server default on creation: 1 January of the
    /// previous year). Site- and connection-level values override it.
    data_collection_start_date: Optional<NaiveDate>,
    /// Turn implied metering on or off (server default on creation: off).
    is_implied_metering_enabled: Optional<bool>,
    /// Fraction of water usage used to estimate sewer volume, as a decimal string (server default
    /// on creation: `1.0`).
    #[schemars(regex(path = "FRACTION_PATTERN"))]
    implied_metering_fraction: Optional<Decimal>,
    /// (Beta) Extract electricity demand data as well.
    is_demand_enabled: Optional<bool>,
    /// Label meter identifiers with the reduced set of identifier types (server default on
    /// creation: off).
    is_basic_identifier_mapping_enabled: Optional<bool>,
    /// Process bills faster but less accurately.
    is_low_accuracy_mode_enabled: Optional<bool>,
    /// E-mail addresses of existing Nectar users to add as admins. On update, the list replaces
    /// the whole user list (absent: unchanged; you cannot remove yourself). An address without a
    /// Nectar account makes the request fail with 400.
    #[schemars(inner(email))]
    users: Optional<Vec<String>>,
}

pub(crate) fn register(api: &mut Api) {
    api.op(Method::Get, "/company", "list_companies")
        .tag(TAG)
        .summary("List companies")
        .description(
            "Every company the API key's user can access, as a plain JSON array (this list is \
             not paginated, unlike documents, usage data and connections).",
        )
        .response::<Vec<Company>>(200, "The companies.")
        .errors(&[401])
        .add();

    api.op(Method::Post, "/company", "create_company")
        .tag(TAG)
        .summary("Create a company")
        .description(
            "
            Creates a company. The caller becomes its admin, every member of the caller's team is
            added as admin, and `users` adds further existing Nectar users.

            The reference shows no status code for this response; both 200 and 201 are accepted
            (201 is what site creation documents).
            ",
        )
        .body::<CompanyCreate>("The company to create.")
        .response::<Company>(200, "The company was created.")
        .response::<Company>(201, "The company was created.")
        .errors(&[400, 401])
        .bad_request("every address in `users` must be an existing Nectar user.")
        .add();

    api.op(Method::Get, "/company/{company_id}", "get_company")
        .docs("companies/get-company-details")
        .tag(TAG)
        .summary("Get a company")
        .description("One company with its sites.")
        .path_params::<CompanyPath>()
        .response::<Company>(200, "The company.")
        .errors(&[400, 401, 403, 404])
        .add();

    api.op(Method::Patch, "/company/{company_id}", "update_company")
        .docs("companies/update-company")
        .tag(TAG)
        .summary("Update a company")
        .description(
            "Changes the fields sent and leaves the others as they are. `users`, when sent, \
             replaces the whole user list.",
        )
        .path_params::<CompanyPath>()
        .body::<CompanyUpdate>("The fields to change.")
        .response::<Company>(200, "The updated company.")
        .errors(&[400, 401, 403, 404])
        .bad_request("every address in `users` must be an existing Nectar user.")
        .add();

    api.op(Method::Delete, "/company/{company_id}", "delete_company")
        .tag(TAG)
        .summary("Delete a company")
        .description(
            "Starts deleting the company in the background and answers 204 at once; the company \
             may still be readable for a short while. (Documented in the v2.2 index only.)",
        )
        .path_params::<CompanyPath>()
        .empty_response(204, "Deletion has started.")
        .errors(&[400, 401, 403, 404])
        .add();
}
