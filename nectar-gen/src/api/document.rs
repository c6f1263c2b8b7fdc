//! Documents: the bills Nectar collects or receives, each with its usage rows and line items.
//!
//! v2.2 changed the document serializer and its full schema is not published: the fields below
//! are every one the reference shows across the v2.0 list item, the v2.1 document embedded in
//! usage data, and the v2.2 `document.updated.v2` payload (whose example is cut off after
//! `taxCharges`/`interestCha...`). All but the identity are optional.

#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use uuid::Uuid;

use crate::{
    api::common::{
        BillingPeriod, ChargeType, Currency, DatasourceType, ElectricityChargeType, GasChargeType,
        SourceType,
    },
    api::ids::{CompanyPath, ConnectionPath, DocumentPath, SitePath},
    api::usage::{DataFilters, UsageFields},
    dsl::operation::{Api, Method},
    dsl::schema::{Decimal, Optional},
};

const TAG: &str = "documents";

/// One charge on a bill (from the `document.updated.v2` example).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    /// What the charge is, as printed.
    description: Option<String>,
    /// Rate, as a decimal string.
    rate: Option<Decimal>,
    /// Quantity, as a decimal string.
    quantity: Option<Decimal>,
    /// Unit of the quantity, as printed.
    quantity_units: Option<String>,
    /// Total of the line, as a decimal string.
    total_charge: Option<Decimal>,
    /// Multipliers applied, as printed.
    multipliers: Option<Vec<String>>,
    /// The accounts the line applies to (string ids).
    account_ids: Option<Vec<String>>,
    /// Kind of charge.
    charge_type: Option<ChargeType>,
    /// \[ELECTRICITY\] Kind of electricity charge.
    electricity_charge_type: Option<ElectricityChargeType>,
    /// \[ELECTRICITY\] Whether the charge is for demand rather than energy.
    electricity_is_demand: Option<bool>,
    /// \[ELECTRICITY\] Time-of-use period of the charge, as printed.
    electricity_time_of_use: Option<String>,
    /// \[GAS\] Kind of gas charge.
    gas_charge_type: Option<GasChargeType>,
    /// Which billing period the line belongs to.
    billing_period: Option<BillingPeriod>,
}

/// A usage row inside a document (the v2.2 document shape: no id of its own is shown).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentUsageData {
    /// Identifier of the row, when sent (a plain string).
    id: Option<String>,
    /// First day of the usage period.
    start_date: NaiveDate,
    /// Last day of the usage period (inclusive).
    end_date: NaiveDate,
    /// When the row was created in Nectar.
    created: Option<DateTime<Utc>>,
    /// When it last changed.
    updated: Option<DateTime<Utc>>,
    /// Kind of utility data.
    datasource_type: Option<DatasourceType>,
    #[serde(flatten)]
    fields: UsageFields,
}

/// A document (bill).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// Identifier of the document.
    id: Uuid,
    /// When the document was created in Nectar.
    created: DateTime<Utc>,
    /// When it last changed.
    updated: Optional<DateTime<Utc>>,
    /// The company the document belongs to.
    company: Optional<Uuid>,
    /// The bill date: the last day of the billing period (the statement date).
    bill_date: Option<NaiveDate>,
    /// First day of the billing period (named by the data-model guide).
    start_date: Option<NaiveDate>,
    /// Payment due date.
    due_date: Option<NaiveDate>,
    /// Currency of the charges.
    charges_units: Option<Currency>,
    /// Total amount due, as a decimal string.
    total_charges: Option<Decimal>,
    /// New charges of this period, as a decimal string.
    current_charges: Option<Decimal>,
    /// Credits, as a decimal string.
    credits: Option<Decimal>,
    /// Taxes, as a decimal string.
    tax_charges: Option<Decimal>,
    /// Balance brought forward from the previous bill, as a decimal string.
    previous_close_balance: Option<Decimal>,
    /// Payments since the previous bill, as a decimal string.
    after_previous_total_payment: Option<Decimal>,
    /// Charges since the previous bill, as a decimal string.
    after_previous_charges: Option<Decimal>,
    /// Credits since the previous bill, as a decimal string.
    after_previous_credits: Option<Decimal>,
    /// Open balance, as a decimal string.
    current_open_balance: Option<Decimal>,
    /// Name of the utility on the bill.
    utility_company: Option<String>,
    /// The utility's own bill number.
    invoice_id: Option<String>,
    /// How the bill entered Nectar.
    source_type: Option<SourceType>,
    /// Processing status, as sent.
    status: Option<String>,
    /// Review flag, as sent.
    flagged_status: Option<String>,
    /// Whether the document is flagged for review.
    is_flagged: Option<bool>,
    /// The document that supersedes this one (a string id); superseded data is left out of
    /// analytics.
    revised_document_id: Option<String>,
    /// Link to the document's audit trail on dash.nectarclimate.com.
    audit_trail_url: Option<String>,
    /// Pre-signed link to the original file (expires after 24 hours).
    url: Option<String>,
    /// Name of the uploaded file.
    file_name: Option<String>,
    /// E-mail the document arrived from.
    email: Option<String>,
    /// The upload job that created it (a string id).
    job_id: Option<String>,
    /// Notes.
    notes: Option<String>,
    /// The usage rows read from the bill.
    usage_data: Optional<Vec<DocumentUsageData>>,
    /// The bill's charges.
    line_items: Optional<Vec<LineItem>>,
}

/// The paging envelope of the document lists (100 documents a page).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentPage {
    /// Documents matching the filters, over all pages.
    total_documents: u64,
    /// Documents per page (100).
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
    /// The documents of this page.
    documents: Vec<Document>,
}

/// The filters of the document lists: the shared data filters and `isDeleted`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
struct DocumentQuery {
    #[serde(flatten)]
    filters: DataFilters,
    /// `true` includes soft-deleted documents; default `false` leaves them out (the guides
    /// describe the parameter as "include soft-deleted documents").
    is_deleted: Optional<bool>,
}

pub(crate) fn register(api: &mut Api) {
    let list = crate::dsl::operation::dedent(
        "
        One page (100 documents) of documents with their usage rows and line items, in a stable
        order, with the paging envelope. Filters apply to the totals; a page past the end is
        answered with the last page.
        ",
    );
    api.op(
        Method::Get,
        "/document/company/{company_id}",
        "list_company_documents",
    )
    .tag(TAG)
    .summary("List a company's documents")
    .description(&format!(
        "{list}\n\nThe key's user needs access to the company."
    ))
    .path_params::<CompanyPath>()
    .query_params::<DocumentQuery>()
    .response::<DocumentPage>(200, "One page of documents.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(
        Method::Get,
        "/document/site/{site_id}",
        "list_site_documents",
    )
    .tag(TAG)
    .summary("List a site's documents")
    .description(&format!(
        "{list}\n\nThe key's user needs access to the site's company."
    ))
    .path_params::<SitePath>()
    .query_params::<DocumentQuery>()
    .response::<DocumentPage>(200, "One page of documents.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(
        Method::Get,
        "/document/connection/{connection_id}",
        "list_connection_documents",
    )
    .tag(TAG)
    .summary("List a connection's documents")
    .description(&format!(
        "{list}\n\nThe key's user needs access to the connection's company."
    ))
    .path_params::<ConnectionPath>()
    .query_params::<DocumentQuery>()
    .response::<DocumentPage>(200, "One page of documents.")
    .errors(&[400, 401, 403, 404])
    .add();

    api.op(Method::Get, "/document/{document_id}", "get_document")
        .tag(TAG)
        .summary("Get a document")
        .description(
            "
            One document with its usage rows and line items.

            Path: inferred. The reference names \"Get Document Details\" (from the usage-by-
            document page) but no page shows its path; `/document/{document_id}` follows the
            shape of every other single-object path.
            ",
        )
        .path_params::<DocumentPath>()
        .response::<Document>(200, "The document.")
        .errors(&[400, 401, 403, 404])
        .add();
}
