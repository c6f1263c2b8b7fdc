//! Usage data: one row per meter per bill, made with the bill (see `sandbox_provider.rs`); listed by
//! company, site, connection or document with the shared filters, and read one by one.

use chrono::{DateTime, NaiveDate, Utc};
use nectar_api::{Timestamp, types::DatasourceType};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{
    DataFilter, Failure, Store,
    document::{Document, PER_PAGE},
    filter::Dates,
    meter::Identifier,
    site::Site,
};

#[derive(Debug, Clone)]
pub(super) struct Usage {
    /// A plain string, as v2.1+ types it.
    pub(super) id: String,
    pub(super) document_id: Uuid,
    pub(super) meter_id: Uuid,
    pub(super) company_id: Uuid,
    pub(super) site_id: Uuid,
    pub(super) connection_id: Option<Uuid>,
    pub(super) datasource_type: DatasourceType,
    pub(super) created: DateTime<Utc>,
    pub(super) updated: DateTime<Utc>,
    pub(super) start_date: NaiveDate,
    pub(super) end_date: NaiveDate,
    /// A decimal string.
    pub(super) usage: String,
    pub(super) units: &'static str,
    pub(super) current_reading: String,
    pub(super) previous_reading: String,
    pub(super) is_estimated: bool,
}

/// The spec's `UsageFields`: what a usage row says in usage-data answers and inside documents.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UsageFieldsView<'a> {
    usage: &'a str,
    usage_units: &'a str,
    is_estimated: bool,
    is_implied: bool,
    exclusion: bool,
    current_reading: &'a str,
    previous_reading: &'a str,
    multiplier: &'static str,
    meter: String,
    meter_address: &'a str,
    meter_is_tracked: bool,
    identifiers: &'a [Identifier],
    electricity_type: Option<&'static str>,
    gas_type: Option<&'static str>,
    net_metering_type: Option<&'static str>,
    utility_name: &'static str,
    country: &'static str,
    additional_fields: serde_json::Map<String, Value>,
}

/// The spec's `DocumentSummary`: the document a usage row came from.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentSummaryView<'a> {
    id: Uuid,
    created: Timestamp,
    updated: Timestamp,
    bill_date: NaiveDate,
    due_date: NaiveDate,
    charges_units: &'static str,
    total_charges: &'a str,
    utility_company: &'a str,
    status: &'static str,
    source_type: &'static str,
    file_name: String,
}

/// A usage row as the usage-data operations answer it (the spec's `UsageData`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageView<'a> {
    id: &'a str,
    created: Timestamp,
    updated: Timestamp,
    start_date: NaiveDate,
    end_date: NaiveDate,
    datasource_type: &'a DatasourceType,
    site: Option<&'a Site>,
    document: Option<DocumentSummaryView<'a>>,
    #[serde(flatten)]
    fields: UsageFieldsView<'a>,
}

impl Store {
    pub(super) fn usage_fields<'a>(&'a self, u: &'a Usage) -> UsageFieldsView<'a> {
        let meter = self.meters.get(&u.meter_id);
        UsageFieldsView {
            usage: &u.usage,
            usage_units: u.units,
            is_estimated: u.is_estimated,
            is_implied: false,
            exclusion: false,
            current_reading: &u.current_reading,
            previous_reading: &u.previous_reading,
            multiplier: "1",
            meter: u.meter_id.to_string(),
            meter_address: meter.map_or("", |m| &m.address),
            meter_is_tracked: meter.is_some_and(|m| m.is_tracked),
            identifiers: meter.map_or(&[], |m| &m.identifiers),
            electricity_type: (u.datasource_type == DatasourceType::Electricity).then_some("USAGE"),
            gas_type: meter.and_then(|m| m.gas_type()),
            net_metering_type: meter.and_then(|m| m.net_metering_type()),
            utility_name: "Nectar Sandbox Utility",
            country: "US",
            additional_fields: serde_json::Map::new(),
        }
    }

    fn usage_view<'a>(&'a self, u: &'a Usage) -> UsageView<'a> {
        let document = self.documents.get(&u.document_id);
        UsageView {
            id: &u.id,
            created: Timestamp::from(u.created),
            updated: Timestamp::from(u.updated),
            start_date: u.start_date,
            end_date: u.end_date,
            datasource_type: &u.datasource_type,
            site: self.sites.get(&u.site_id),
            document: document.map(|d| DocumentSummaryView {
                id: d.id,
                created: Timestamp::from(d.created),
                updated: Timestamp::from(d.updated),
                bill_date: d.bill_date,
                due_date: d.due_date,
                charges_units: "USD",
                total_charges: &d.total_charges,
                utility_company: d.utility_company,
                status: "PROCESSED",
                source_type: "INVOICE",
                file_name: d.file_name(),
            }),
            fields: self.usage_fields(u),
        }
    }

    /// Whether `filter` keeps the row: rows of soft-deleted documents are never listed.
    fn usage_matches(&self, u: &Usage, document: &Document, filter: &DataFilter) -> bool {
        !document.deleted
            && filter.datasource_matches(std::slice::from_ref(&u.datasource_type))
            && filter.dates_match(&Dates {
                period: (u.start_date, u.end_date),
                bill: document.bill_date,
                created: u.created,
                updated: u.updated,
            })
            && filter.identifier_matches(
                self.meters
                    .get(&u.meter_id)
                    .into_iter()
                    .flat_map(|m| m.normalized.iter().map(String::as_str)),
            )
    }

    /// One page of the rows among `ids` that `keep` and the filter keep.
    fn usage_page<'a>(
        &'a self,
        ids: impl Iterator<Item = &'a String>,
        keep: impl Fn(&Usage) -> bool,
        filter: &DataFilter,
        page: i64,
    ) -> Vec<u8> {
        let rows: Vec<&Usage> = ids
            .filter_map(|id| self.usage.get(id))
            .filter(|u| {
                keep(u)
                    && self
                        .documents
                        .get(&u.document_id)
                        .is_some_and(|d| self.usage_matches(u, d, filter))
            })
            .collect();
        super::page_body(
            ("totalUsageData", "usageData"),
            rows.len(),
            page,
            PER_PAGE,
            |range| rows[range].iter().map(|u| self.usage_view(u)).collect(),
        )
    }

    fn company_usage_ids(&self, company_id: Uuid) -> impl Iterator<Item = &String> {
        self.companies
            .get(&company_id)
            .into_iter()
            .flat_map(|c| c.usage_ids.iter())
    }

    pub fn list_company_usage(
        &self,
        user: &str,
        company_id: Uuid,
        filter: &DataFilter,
        page: i64,
    ) -> Result<Vec<u8>, Failure> {
        let company = self.company(user, company_id)?;
        if filter.keeps_all() && company.deleted_documents == 0 {
            // Every row is listed: page the company's rows directly (benchmarks list 100,000).
            let ids = &company.usage_ids;
            return Ok(super::page_body(
                ("totalUsageData", "usageData"),
                ids.len(),
                page,
                PER_PAGE,
                |range| {
                    ids[range]
                        .iter()
                        .filter_map(|id| self.usage.get(id))
                        .map(|u| self.usage_view(u))
                        .collect()
                },
            ));
        }
        Ok(self.usage_page(self.company_usage_ids(company_id), |_| true, filter, page))
    }

    pub fn list_site_usage(
        &self,
        user: &str,
        site_id: Uuid,
        filter: &DataFilter,
        page: i64,
    ) -> Result<Vec<u8>, Failure> {
        let company_id = self.site_company(user, site_id)?;
        Ok(self.usage_page(
            self.company_usage_ids(company_id),
            |u| u.site_id == site_id,
            filter,
            page,
        ))
    }

    pub fn list_connection_usage(
        &self,
        user: &str,
        connection_id: Uuid,
        filter: &DataFilter,
        page: i64,
    ) -> Result<Vec<u8>, Failure> {
        let company_id = self.connection(user, connection_id)?.company_id;
        Ok(self.usage_page(
            self.company_usage_ids(company_id),
            |u| u.connection_id == Some(connection_id),
            filter,
            page,
        ))
    }

    pub fn list_document_usage(
        &self,
        user: &str,
        document_id: Uuid,
        filter: &DataFilter,
        page: i64,
    ) -> Result<Vec<u8>, Failure> {
        let document = self.document(user, document_id)?;
        Ok(self.usage_page(document.usage_ids.iter(), |_| true, filter, page))
    }

    pub fn get_usage_data(&self, user: &str, id: &str) -> Result<Value, Failure> {
        let usage = self
            .usage
            .get(id)
            .ok_or_else(|| Failure::not_found("Usage data"))?;
        self.company_for(user, usage.company_id, "usage data")?;
        Ok(serde_json::to_value(self.usage_view(usage)).unwrap_or(Value::Null))
    }
}
