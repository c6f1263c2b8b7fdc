//! Usage data ("MeterSiteUsageData"): the quantity a meter measured over a period, as read from a
//! bill. v2.2 answers the v2.1 shape: `id` is a plain string (not a uuid), and the v2.0 fields
//! `timeOfUseBreakdown` and `serviceAddress` are gone.
//!
//! Lists page by 100 with `usageData` / `totalUsageData`, by company, site, connection or
//! document, with the filters of [`DataFilters`].

#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use uuid::Uuid;

use crate::api::ids::{DocumentPath, UsagePath};
use crate::{
    api::common::{Currency, DatasourceType, DateType, ElectricityType, SourceType, UsageUnits},
    api::ids::{CompanyPath, ConnectionPath, SitePath},
    api::meter::{Identifier, MeterClassification},
    api::site::Site,
    dsl::operation::{Api, Method},
    dsl::schema::{Decimal, Optional},
};

const TAG: &str = "usage";

/// The quantities and flags of a usage row. Usage rows in usage-data answers and inside
/// documents share them; every one may be absent or `null`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageFields {
    /// The quantity used over the period, as a decimal string (as printed on the bill).
    usage: Option<Decimal>,
    /// Unit of `usage`.
    usage_units: Option<UsageUnits>,
    /// Whether the reading is an estimate.
    is_estimated: Option<bool>,
    /// Whether the row was implied (e.g. sewer volume estimated from water usage).
    is_implied: Option<bool>,
    /// Excluded rows are subtracted from aggregations (e.g. a superseded reading).
    exclusion: Option<bool>,
    /// Meter reading at the end of the period, as a decimal string.
    current_reading: Option<Decimal>,
    /// Meter reading at the start of the period, as a decimal string.
    previous_reading: Option<Decimal>,
    /// Reading multiplier, as a decimal string.
    multiplier: Option<Decimal>,
    /// What the multiplier is.
    multiplier_description: Option<String>,
    /// Second reading multiplier, as a decimal string.
    multiplier2: Option<Decimal>,
    /// What the second multiplier is.
    multiplier2_description: Option<String>,
    /// Renewable share of the energy, as a decimal string.
    fraction_renewable: Option<Decimal>,
    /// Net metering: energy generated, kWh, as a decimal string.
    net_metering_generated_kwh: Option<Decimal>,
    /// Net metering: energy imported from the grid, kWh, as a decimal string.
    net_metering_grid_import_kwh: Option<Decimal>,
    /// Net metering: energy exported to the grid, kWh, as a decimal string.
    net_metering_grid_export_kwh: Option<Decimal>,
    /// Tariff name.
    tariff: Option<String>,
    /// Billed demand, as a decimal string.
    billed_demand: Option<Decimal>,
    /// Name of the energy supplier.
    supplier_name: Option<String>,
    /// Name of the utility.
    utility_name: Option<String>,
    /// Country of the utility (two-letter code, typed as a plain string by the reference).
    country: Option<String>,
    /// Identifier of the meter, as a string.
    meter: Option<String>,
    /// Service address of the meter.
    meter_address: Option<String>,
    /// Whether the meter is tracked.
    meter_is_tracked: Option<bool>,
    /// Identifiers of the meter.
    identifiers: Option<Vec<Identifier>>,
    /// \[ELECTRICITY\] What the row measures.
    electricity_type: Option<ElectricityType>,
    #[serde(flatten)]
    classification: MeterClassification,
    /// \[WASTE\] Waste type (a plain string here; a uuid on meters).
    waste_type: Option<String>,
    /// \[WASTE\] Waste stream (a plain string here; a uuid on meters).
    waste_stream: Option<String>,
    /// Free-form extra fields.
    additional_fields: Option<BTreeMap<String, serde_json::Value>>,
}

/// The document a usage row was read from, as usage-data answers embed it (v2.1 shape; the
/// reference's example is cut off after `totalCharges`).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSummary {
    /// Identifier of the document.
    id: Uuid,
    /// When the document was created in Nectar.
    created: Option<DateTime<Utc>>,
    /// When it last changed.
    updated: Option<DateTime<Utc>>,
    /// Link to the document's audit trail on dash.nectarclimate.com.
    audit_trail_url: Option<String>,
    /// Pre-signed link to the original file (expires after 24 hours).
    url: Option<String>,
    /// The bill date: the last day of the billing period.
    bill_date: Option<NaiveDate>,
    /// Payment due date.
    due_date: Option<NaiveDate>,
    /// Currency of the charges.
    charges_units: Option<Currency>,
    /// Total amount due, as a decimal string.
    total_charges: Option<Decimal>,
    /// Name of the utility on the bill.
    utility_company: Option<String>,
    /// Processing status of the document, as sent.
    status: Option<String>,
    /// Review flag of the document, as sent.
    flagged_status: Option<String>,
    /// The document that supersedes this one, if any (a string id).
    revised_document_id: Option<String>,
    /// Name of the uploaded file.
    file_name: Option<String>,
    /// E-mail the document arrived from.
    email: Option<String>,
    /// The upload job that created it (a string id).
    job_id: Option<String>,
    /// Notes.
    notes: Option<String>,
    /// How the bill entered Nectar.
    source_type: Option<SourceType>,
}

/// A usage row ("MeterSiteUsageData"), as the usage-data operations answer it.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageData {
    /// Identifier of the row: a plain string since v2.1 (v2.0 typed it as a uuid).
    id: String,
    /// When the row was created in Nectar.
    created: DateTime<Utc>,
    /// When it last changed.
    updated: Optional<DateTime<Utc>>,
    /// First day of the usage period.
    start_date: NaiveDate,
    /// Last day of the usage period (inclusive).
    end_date: NaiveDate,
    /// Kind of utility data.
    datasource_type: DatasourceType,
    /// The site the usage is assigned to.
    site: Option<Site>,
    /// The document the row was read from.
    document: Option<DocumentSummary>,
    #[serde(flatten)]
    fields: UsageFields,
}

/// The paging envelope of the usage-data lists (100 rows a page).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsagePage {
    /// Rows matching the filters, over all pages.
    total_usage_data: u64,
    /// Rows per page (100).
    #[schemars(range(min = 1))]
    per_page: u64,
    /// Number of pages.
    #[schemars(range(min = 1))]
    total_pages: u64,
    /// This page's number, from 1.
    #[schemars(range(min = 1))]
    current_page: u64,
    /// Whether a later page exists.
    has_next: bool,
    /// Whether an earlier page exists.
    has_previous: bool,
    /// The rows of this page.
    usage_data: Vec<UsageData>,
}

/// The filters of the document and usage-data lists.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DataFilters {
    /// Only these kinds of data; repeat the key for several:
    /// `?datasourceType=ELECTRICITY&datasourceType=GAS`. Default: all.
    datasource_type: Optional<Vec<DatasourceType>>,
    /// Which date `startDate` and `endDate` apply to. Default `BILL_DATE`. (For usage data the
    /// pages disagree: the readme's usage-by-document page says `USAGE_PERIOD`, the
    /// usage-by-connection reference page and the filtering guide say `BILL_DATE`; the two
    /// newer sources are followed, which also makes documents and usage agree.)
    date_type: Optional<DateType>,
    /// Only objects whose date (see `dateType`) is on or after this day (`YYYY-MM-DD`).
    start_date: Optional<NaiveDate>,
    /// Only objects whose date (see `dateType`) is on or before this day (`YYYY-MM-DD`).
    end_date: Optional<NaiveDate>,
    /// Only objects with a meter identifier equal to this one after normalisation (`-`, spaces,
    /// `_`, `,` and `/` removed, leading zeros stripped, upper case).
    #[schemars(length(min = 1))]
    identifier: Optional<String>,
    /// Page number, 1-based; 100 objects a page. A page past the end is answered with the last
    /// page.
    #[serde(default = "default_page")]
    #[schemars(range(min = 1, max = 4_294_967_295_u32))]
    page: u32,
}

fn default_page() -> u32 {
    1
}

pub(crate) fn register(api: &mut Api) {
    let list = crate::dsl::operation::dedent(
        "
        One page (100 rows) of usage data, in a stable order, with the paging envelope. Filters
        apply to the totals; a page past the end is answered with the last page.
        ",
    );
    api.op(
        Method::Get,
        "/usage/company/{company_id}",
        "list_company_usage",
    )
    .tag(TAG)
    .summary("List a company's usage data")
    .description(&format!(
        "{list}\n\nThe key's user needs access to the company."
    ))
    .path_params::<CompanyPath>()
    .query_params::<DataFilters>()
    .response::<UsagePage>(200, "One page of usage data.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(Method::Get, "/usage/site/{site_id}", "list_site_usage")
        .tag(TAG)
        .summary("List a site's usage data")
        .description(&format!(
            "{list}\n\nThe key's user needs access to the site's company. Path: the filtering \
             guide's `/usage/site/{{site_id}}` (no reference page shows it; the old readme's \
             `post .../site//usage` is taken as a typo)."
        ))
        .path_params::<SitePath>()
        .query_params::<DataFilters>()
        .response::<UsagePage>(200, "One page of usage data.")
        .errors(&[400, 401, 403, 404])
        .add();

    api.op(
        Method::Get,
        "/usage/connection/{connection_id}",
        "list_connection_usage",
    )
    .tag(TAG)
    .summary("List a connection's usage data")
    .description(&format!(
        "{list}\n\nThe key's user needs access to the connection's company."
    ))
    .path_params::<ConnectionPath>()
    .query_params::<DataFilters>()
    .response::<UsagePage>(200, "One page of usage data.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(
        Method::Get,
        "/usage/document/{document_id}",
        "list_document_usage",
    )
    .tag(TAG)
    .summary("List a document's usage data")
    .description(&format!(
        "{list}\n\nThe key's user needs access to the document's company."
    ))
    .path_params::<DocumentPath>()
    .query_params::<DataFilters>()
    .response::<UsagePage>(200, "One page of usage data.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(Method::Get, "/usage/{usage_data_id}", "get_usage_data")
        .tag(TAG)
        .summary("Get a usage row")
        .description("One usage row with its site, meter identifiers and document.")
        .path_params::<UsagePath>()
        .response::<UsageData>(200, "The usage row.")
        // The id is a plain string, so no id is malformed: no 400 is documented.
        .errors(&[401, 403, 404])
        .add();
}
