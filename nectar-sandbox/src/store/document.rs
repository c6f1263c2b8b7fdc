//! Documents (bills): made by the sandbox provider when a connection connects (see `sandbox_provider.rs`),
//! listed by company, site or connection with the shared filters, and read one by one.

use chrono::{DateTime, NaiveDate, Utc};
use nectar_api::{Timestamp, types::DatasourceType};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{
    DataFilter, Failure, Store,
    filter::Dates,
    usage::{Usage, UsageFieldsView},
};

/// Documents per page (fixed, as in Nectar).
pub(super) const PER_PAGE: usize = 100;

/// One charge of a bill, serialized as the spec's `LineItem`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LineItem {
    pub(super) description: String,
    pub(super) rate: Option<String>,
    pub(super) quantity: Option<String>,
    pub(super) quantity_units: Option<&'static str>,
    pub(super) total_charge: String,
    pub(super) multipliers: Vec<String>,
    pub(super) account_ids: Vec<String>,
    pub(super) charge_type: Option<&'static str>,
    pub(super) electricity_charge_type: Option<&'static str>,
    pub(super) electricity_is_demand: Option<bool>,
    pub(super) electricity_time_of_use: Option<String>,
    pub(super) gas_charge_type: Option<&'static str>,
    pub(super) billing_period: &'static str,
}

#[derive(Debug, Clone)]
pub(super) struct Document {
    pub(super) id: Uuid,
    pub(super) company_id: Uuid,
    pub(super) site_id: Uuid,
    pub(super) connection_id: Option<Uuid>,
    pub(super) created: DateTime<Utc>,
    pub(super) updated: DateTime<Utc>,
    /// First day of the billing period.
    pub(super) start_date: NaiveDate,
    /// Last day of the billing period.
    pub(super) bill_date: NaiveDate,
    pub(super) due_date: NaiveDate,
    pub(super) total_charges: String,
    pub(super) current_charges: String,
    pub(super) tax_charges: String,
    pub(super) invoice_id: String,
    pub(super) utility_company: &'static str,
    pub(super) line_items: Vec<LineItem>,
    pub(super) usage_ids: Vec<String>,
    pub(super) datasource_types: Vec<DatasourceType>,
    pub(super) meter_ids: Vec<Uuid>,
    /// Soft-deleted: left out of lists unless `isDeleted=true`.
    pub(super) deleted: bool,
    /// Where an uploaded bill came from; `None` for a provider's bill.
    pub(super) origin: Option<Origin>,
    /// How many times the bill was revised (shown in `notes`).
    pub(super) notes_revision: u32,
}

/// The upload a document was parsed from.
#[derive(Debug, Clone)]
pub(super) struct Origin {
    /// The upload job's id (`jobId`).
    pub(super) job_id: String,
    /// The uploaded file's name (`fileName`).
    pub(super) file_name: String,
}

impl Document {
    /// `fileName`: the uploaded file's, or the provider's invoice file.
    pub(super) fn file_name(&self) -> String {
        self.origin.as_ref().map_or_else(
            || format!("{}.pdf", self.invoice_id),
            |o| o.file_name.clone(),
        )
    }
}

/// A document as the document operations answer it (the spec's `Document`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentView<'a> {
    id: Uuid,
    created: Timestamp,
    updated: Timestamp,
    company: Uuid,
    bill_date: NaiveDate,
    start_date: NaiveDate,
    due_date: NaiveDate,
    charges_units: &'static str,
    total_charges: &'a str,
    current_charges: &'a str,
    credits: &'static str,
    tax_charges: &'a str,
    previous_close_balance: &'static str,
    after_previous_total_payment: &'static str,
    after_previous_charges: &'static str,
    after_previous_credits: &'static str,
    current_open_balance: &'a str,
    utility_company: &'a str,
    invoice_id: &'a str,
    source_type: &'static str,
    status: &'static str,
    flagged_status: Option<&'static str>,
    is_flagged: bool,
    revised_document_id: Option<&'static str>,
    audit_trail_url: String,
    url: String,
    file_name: String,
    email: Option<&'static str>,
    job_id: Option<&'a str>,
    notes: Option<String>,
    usage_data: Vec<DocumentUsageView<'a>>,
    line_items: &'a [LineItem],
}

/// A usage row inside a document (the spec's `DocumentUsageData`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentUsageView<'a> {
    id: &'a str,
    start_date: NaiveDate,
    end_date: NaiveDate,
    created: Timestamp,
    updated: Timestamp,
    datasource_type: &'a DatasourceType,
    #[serde(flatten)]
    fields: UsageFieldsView<'a>,
}

impl Document {
    pub(super) fn dates(&self) -> Dates {
        Dates {
            period: (self.start_date, self.bill_date),
            bill: self.bill_date,
            created: self.created,
            updated: self.updated,
        }
    }
}

impl Store {
    fn document_view<'a>(&'a self, d: &'a Document) -> DocumentView<'a> {
        DocumentView {
            id: d.id,
            created: Timestamp::from(d.created),
            updated: Timestamp::from(d.updated),
            company: d.company_id,
            bill_date: d.bill_date,
            start_date: d.start_date,
            due_date: d.due_date,
            charges_units: "USD",
            total_charges: &d.total_charges,
            current_charges: &d.current_charges,
            credits: "0.00",
            tax_charges: &d.tax_charges,
            previous_close_balance: "0.00",
            after_previous_total_payment: "0.00",
            after_previous_charges: "0.00",
            after_previous_credits: "0.00",
            current_open_balance: &d.total_charges,
            utility_company: d.utility_company,
            invoice_id: &d.invoice_id,
            source_type: "INVOICE",
            status: "PROCESSED",
            flagged_status: None,
            is_flagged: false,
            revised_document_id: None,
            audit_trail_url: format!("https://dash.nectarclimate.com/documents/{}/audit", d.id),
            url: format!("https://sandbox-documents.nectarclimate.com/{}.pdf", d.id),
            file_name: d.file_name(),
            email: None,
            job_id: d.origin.as_ref().map(|o| o.job_id.as_str()),
            notes: (d.notes_revision > 0).then(|| format!("Revision {}", d.notes_revision)),
            usage_data: d
                .usage_ids
                .iter()
                .filter_map(|id| self.usage.get(id))
                .map(|u| self.document_usage_view(u))
                .collect(),
            line_items: &d.line_items,
        }
    }

    fn document_usage_view<'a>(&'a self, u: &'a Usage) -> DocumentUsageView<'a> {
        DocumentUsageView {
            id: &u.id,
            start_date: u.start_date,
            end_date: u.end_date,
            created: Timestamp::from(u.created),
            updated: Timestamp::from(u.updated),
            datasource_type: &u.datasource_type,
            fields: self.usage_fields(u),
        }
    }

    /// Whether `filter` keeps the document.
    fn document_matches(&self, d: &Document, filter: &DataFilter) -> bool {
        (filter.include_deleted || !d.deleted)
            && filter.datasource_matches(&d.datasource_types)
            && filter.dates_match(&d.dates())
            && filter.identifier_matches(
                d.meter_ids
                    .iter()
                    .filter_map(|m| self.meters.get(m))
                    .flat_map(|m| m.normalized.iter().map(String::as_str)),
            )
    }

    /// One page of the company's documents that `keep` and the filter keep.
    fn document_page(
        &self,
        company_id: Uuid,
        keep: impl Fn(&Document) -> bool,
        filter: &DataFilter,
        page: i64,
    ) -> Vec<u8> {
        let ids: Vec<Uuid> = self
            .companies
            .get(&company_id)
            .into_iter()
            .flat_map(|c| c.document_ids.iter())
            .filter(|id| {
                self.documents
                    .get(id)
                    .is_some_and(|d| keep(d) && self.document_matches(d, filter))
            })
            .copied()
            .collect();
        super::page_body(
            ("totalDocuments", "documents"),
            ids.len(),
            page,
            PER_PAGE,
            |range| {
                ids[range]
                    .iter()
                    .filter_map(|id| self.documents.get(id))
                    .map(|d| self.document_view(d))
                    .collect()
            },
        )
    }

    /// Revises a document, as Nectar's re-processing of a bill does: its charges change and
    /// `updated` becomes the clock's now (a test hook). False when there is no such document.
    pub fn revise_document(&mut self, id: Uuid) -> bool {
        let now = self.now();
        let Some(document) = self.documents.get_mut(&id) else {
            return false;
        };
        document.notes_revision = document.notes_revision.saturating_add(1);
        document.updated = now.max(document.updated);
        true
    }

    /// Soft-deletes a document, as Nectar does when a bill is withdrawn: it leaves the lists
    /// (unless `isDeleted=true`) and its `updated` becomes the clock's now, so a sync by
    /// `UPDATED_DATE` sees the change (a test hook). False when there is no such document.
    pub fn delete_document(&mut self, id: Uuid) -> bool {
        let now = self.now();
        let Some(document) = self.documents.get_mut(&id) else {
            return false;
        };
        if !document.deleted {
            document.deleted = true;
            document.updated = now.max(document.updated);
            if let Some(company) = self.companies.get_mut(&document.company_id) {
                company.deleted_documents += 1;
            }
        }
        true
    }

    pub fn list_company_documents(
        &self,
        user: &str,
        company_id: Uuid,
        filter: &DataFilter,
        page: i64,
    ) -> Result<Vec<u8>, Failure> {
        self.company(user, company_id)?;
        Ok(self.document_page(company_id, |_| true, filter, page))
    }

    pub fn list_site_documents(
        &self,
        user: &str,
        site_id: Uuid,
        filter: &DataFilter,
        page: i64,
    ) -> Result<Vec<u8>, Failure> {
        let company_id = self.site_company(user, site_id)?;
        Ok(self.document_page(company_id, |d| d.site_id == site_id, filter, page))
    }

    pub fn list_connection_documents(
        &self,
        user: &str,
        connection_id: Uuid,
        filter: &DataFilter,
        page: i64,
    ) -> Result<Vec<u8>, Failure> {
        let company_id = self.connection(user, connection_id)?.company_id;
        Ok(self.document_page(
            company_id,
            |d| d.connection_id == Some(connection_id),
            filter,
            page,
        ))
    }

    /// The document, if the user may see it.
    pub(super) fn document(&self, user: &str, id: Uuid) -> Result<&Document, Failure> {
        let document = self
            .documents
            .get(&id)
            .ok_or_else(|| Failure::not_found("Document"))?;
        self.company_for(user, document.company_id, "document")?;
        Ok(document)
    }

    pub fn get_document(&self, user: &str, id: Uuid) -> Result<Value, Failure> {
        let document = self.document(user, id)?;
        Ok(serde_json::to_value(self.document_view(document)).unwrap_or(Value::Null))
    }

    /// The document as a `document.*.v2` webhook payload: the REST document with `eventType`
    /// and timestamps as webhook payloads write them (no offset, nine fractional digits).
    pub fn document_event(&self, id: Uuid, event_type: &str) -> Option<Value> {
        let document = self.documents.get(&id)?;
        let mut payload = serde_json::to_value(self.document_view(document)).ok()?;
        let naive = |t: DateTime<Utc>| Value::String(t.format("%Y-%m-%dT%H:%M:%S%.9f").to_string());
        payload["created"] = naive(document.created);
        payload["updated"] = naive(document.updated);
        payload["eventType"] = Value::String(event_type.to_owned());
        Some(payload)
    }
}
