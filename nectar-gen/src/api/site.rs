//! Sites: the facilities of a company. Nectar assigns processed data to the site whose address
//! matches best, so addresses should be accurate.

#![allow(dead_code)]

use chrono::NaiveDate;
use schemars::JsonSchema;
use uuid::Uuid;

use crate::api::ids::SitePath;
use crate::{
    api::ids::CompanyPath,
    dsl::operation::{Api, Method},
    dsl::schema::{Decimal, Nullable, Optional},
};

const TAG: &str = "sites";

/// Pattern of `occupancyPercent`: a percentage, 0 to 100, with up to four decimals (not empty,
/// not negative: Nectar's serializer refuses `""`, `"-"` and `"-5"`).
const OCCUPANCY_PATTERN: &str = r"^(?:100(?:\.0{1,4})?|[0-9]{1,2}(?:\.[0-9]{1,4})?)$";

/// A site (facility) of a company.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    /// Identifier of the site.
    id: Uuid,
    /// Name of the site.
    #[schemars(length(max = 255))]
    name: String,
    /// Set when the site is archived (soft-deleted): Nectar stops collecting data for it from
    /// this date. `null` for an active site.
    data_collection_stop_date: Nullable<NaiveDate>,
    /// Your own identifier for the site (used in exports).
    external_id: Option<String>,
    /// Full address, including state and postal code; free text is accepted.
    #[schemars(length(max = 255))]
    address: Optional<String>,
    /// Location tags from general to specific, e.g. `["US", "CA", "ON"]`.
    #[schemars(length(max = 10), inner(length(max = 100)))]
    path: Optional<Vec<String>>,
    /// Occupancy, 0 to 100, as a decimal string. Usage of connections with
    /// `multiplyByOccupancy` is multiplied by it.
    #[schemars(regex(path = "OCCUPANCY_PATTERN"))]
    occupancy_percent: Option<Decimal>,
}

/// Body of `POST /site/company/{company_id}`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SiteCreate {
    /// Name of the site.
    #[schemars(length(min = 1, max = 255))]
    name: String,
    #[serde(flatten)]
    fields: SiteFields,
}

/// Body of `PATCH /site/{site_id}`: every field is optional; only fields sent change.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SiteUpdate {
    /// New name of the site.
    #[schemars(length(min = 1, max = 255))]
    name: Optional<String>,
    #[serde(flatten)]
    fields: SiteFields,
}

/// The optional fields shared by the create and update bodies (flattened into both; not a
/// component of its own).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
struct SiteFields {
    /// Your own identifier for the site (used in exports); `null` clears it.
    external_id: Option<String>,
    /// Full address, including state and postal code; free text is accepted.
    #[schemars(length(max = 255))]
    address: Optional<String>,
    /// Location tags from general to specific, e.g. `["US", "CA", "ON"]`; at most 10. On
    /// update, a list sent replaces the tags (the docs treat a present list as the new value):
    /// absent leaves them, `[]` clears them.
    #[schemars(length(max = 10), inner(length(min = 1, max = 100)))]
    path: Optional<Vec<String>>,
    /// Occupancy, 0 to 100, as a decimal string; `null` clears it.
    #[schemars(regex(path = "OCCUPANCY_PATTERN"))]
    occupancy_percent: Option<Decimal>,
}

pub(crate) fn register(api: &mut Api) {
    api.op(Method::Post, "/site/company/{company_id}", "create_site")
        .docs("sites/create-site")
        .tag(TAG)
        .summary("Create a site")
        .description(
            "
            Creates a site under a company.

            Path: the API reference (v2, and the v2.1 embedded spec) uses
            `/site/company/{company_id}`; the sandbox guide shows `/company/{companyId}/site`,
            which no reference page confirms. The reference's path is used.
            ",
        )
        .path_params::<CompanyPath>()
        .body::<SiteCreate>("The site to create.")
        .response::<Site>(201, "The site was created.")
        .errors(&[400, 401, 403, 404])
        .add();

    api.op(Method::Get, "/site/{site_id}", "get_site")
        .docs("sites/get-site-details")
        .tag(TAG)
        .summary("Get a site")
        .description("One site with its address, grouping path and occupancy.")
        .path_params::<SitePath>()
        .response::<Site>(200, "The site.")
        .errors(&[400, 401, 403, 404])
        .add();

    api.op(Method::Patch, "/site/{site_id}", "update_site")
        .docs("sites/update-site")
        .tag(TAG)
        .summary("Update a site")
        .description("Changes the fields sent and leaves the others as they are.")
        .path_params::<SitePath>()
        .body::<SiteUpdate>("The fields to change.")
        .response::<Site>(200, "The updated site.")
        .errors(&[400, 401, 403, 404])
        .add();
}
