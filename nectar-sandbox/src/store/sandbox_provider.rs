//! What Nectar's sandbox provider produces when a connection connects: accounts, meters with
//! identifiers (written with dashes and leading zeros, so normalisation matters), and monthly
//! bills from the data-collection start date to the last full month, each with line items and one
//! usage row per meter. Also large data sets seeded for benchmarks.
//!
//! Everything is deterministic (the store's seeded ids and the emulator's clock), so tests can
//! count on the shape: account `i` of a connection (one per site) has `KINDS[i % 3]` meters; a
//! month's bill is issued (created) three days after the month ends, at 12:00 UTC
//! ([`issued_at`]), and exists only once that time has come; every fifth bill was updated after
//! creation (its `updated` is the clock's now when the connection connected); every twelfth is
//! soft-deleted.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc};
use nectar_api::types::{ConnectionStatus, DatasourceType};
use uuid::Uuid;

use super::{
    Store,
    account::Account,
    connection::Connection,
    document::{Document, LineItem},
    filter::normalize_identifier,
    meter::{Identifier, Meter},
    site::Site,
    usage::Usage,
};

/// Whether a connection's `url`, `username` and `password` are the documented sandbox provider's.
/// Nectar matches a provider by the root of its home or login URL (getting-started guide: "the
/// URL of the utility's website or login page"; the spec's `url` description), so
/// `https://nectarclimate.com/login`, `https://www.nectarclimate.com/` and `nectarclimate.com`
/// all name it; the username and password must match exactly.
pub(super) fn sandbox_credentials(url: &str, username: &str, password: &str) -> bool {
    username == super::SANDBOX_USERNAME && password == super::SANDBOX_PASSWORD && {
        let root = |url: &str| {
            let url = url.trim();
            let with_scheme = if url.contains("://") {
                url.to_owned()
            } else {
                format!("https://{url}")
            };
            reqwest::Url::parse(&with_scheme)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
                .map(|host| host.strip_prefix("www.").map(str::to_owned).unwrap_or(host))
        };
        let sandbox = root(super::SANDBOX_URL);
        sandbox.is_some() && root(url) == sandbox
    }
}

/// The datasource types of account `i`'s meters: `KINDS[i % 3]`.
pub(super) const KINDS: [&[DatasourceType]; 3] = [
    &[DatasourceType::Electricity],
    &[DatasourceType::Electricity, DatasourceType::Gas],
    &[DatasourceType::Gas, DatasourceType::Solar],
];

/// A company seeded with documents and usage data by [`SandboxBuilder::seed_usage`](crate::SandboxBuilder::seed_usage).
#[derive(Debug, Clone)]
pub struct SeededData {
    /// The company.
    pub company_id: Uuid,
    /// Its one site.
    pub site_id: Uuid,
    /// Its one (connected) connection.
    pub connection_id: Uuid,
    /// Documents created.
    pub documents: usize,
    /// Usage rows created (documents × rows per document).
    pub usage: usize,
}

/// Where a bill belongs.
#[derive(Clone, Copy)]
pub(super) struct Owner {
    pub(super) company_id: Uuid,
    pub(super) site_id: Uuid,
    pub(super) connection_id: Option<Uuid>,
    /// `None` for uploaded bills.
    pub(super) account_id: Option<Uuid>,
}

/// A meter's running reading, in thousandths of its unit.
pub(super) struct Reading {
    pub(super) meter: Uuid,
    pub(super) total: u64,
}

impl Reading {
    /// A reading of zero for each of `meters`, before their first bill.
    pub(super) fn from_zero(meters: &[Uuid]) -> Vec<Reading> {
        meters
            .iter()
            .map(|&meter| Reading { meter, total: 0 })
            .collect()
    }
}

fn units(kind: &DatasourceType) -> &'static str {
    // The only units the reference shows: J (usage data) and Wh.
    if *kind == DatasourceType::Gas {
        "J"
    } else {
        "Wh"
    }
}

/// When the sandbox provider issues the bill of a period ending on `last`: three days later, at
/// 12:00 UTC. Before then the bill does not exist.
pub fn issued_at(last: NaiveDate) -> DateTime<Utc> {
    last.checked_add_days(Days::new(3))
        .unwrap_or(last)
        .and_time(NaiveTime::MIN)
        .and_utc()
        + chrono::Duration::hours(12)
}

fn thousandths(value: u64) -> String {
    format!("{}.{:03}", value / 1000, value % 1000)
}

fn cents(value: u64) -> String {
    format!("{}.{:02}", value / 100, value % 100)
}

impl Store {
    /// Accounts, meters and bills for a sandbox connection that just connected; returns the new
    /// documents (each is announced with `document.created.v2`).
    pub(super) fn generate_sandbox_data(
        &mut self,
        connection_id: Uuid,
        now: DateTime<Utc>,
    ) -> Vec<Uuid> {
        let Some(connection) = self.connections.get(&connection_id) else {
            return Vec::new();
        };
        let company_id = connection.company_id;
        let sites = connection.initial_sites.clone();
        let today = now.date_naive();
        let start = connection
            .data_collection_start_date
            .or_else(|| {
                self.companies
                    .get(&company_id)
                    .map(|c| c.data_collection_start_date)
            })
            .unwrap_or(today);
        let mut accounts = Vec::new();
        let mut documents = Vec::new();
        for (index, site_id) in sites.into_iter().enumerate() {
            let kinds = KINDS[index % KINDS.len()];
            let account_id = self.ids.uuid();
            let account_number = format!("{:010}", self.ids.next_u64() % 10_000_000_000);
            let meters: Vec<Uuid> = kinds
                .iter()
                .map(|kind| {
                    self.new_meter(company_id, site_id, Some(account_id), kind, &account_number)
                })
                .collect();
            accounts.push(Account::found(
                account_id,
                meters.clone(),
                account_number,
                kinds.to_vec(),
            ));
            self.accounts.insert(account_id, connection_id);
            let owner = Owner {
                company_id,
                site_id,
                connection_id: Some(connection_id),
                account_id: Some(account_id),
            };
            let mut readings = Reading::from_zero(&meters);
            // Monthly bills, from the month of the start date to the last one issued by now.
            let mut month = start.with_day(1).unwrap_or(start);
            let mut number = 0_usize;
            while let Some(next) = month.checked_add_months(Months::new(1)) {
                let last = next.pred_opt().unwrap_or(month);
                let issued = issued_at(last);
                if issued > now {
                    break;
                }
                // Every fifth bill was corrected after it was issued: updated now.
                let updated = if number % 5 == 4 { now } else { issued };
                let stamps = (issued, updated);
                documents.push(self.bill(owner, (month, last), &mut readings, number, stamps));
                number += 1;
                month = next;
            }
        }
        if let Some(connection) = self.connections.get_mut(&connection_id) {
            connection.accounts = accounts;
        }
        documents
    }

    pub(super) fn new_meter(
        &mut self,
        company_id: Uuid,
        site_id: Uuid,
        account_id: Option<Uuid>,
        kind: &DatasourceType,
        account_number: &str,
    ) -> Uuid {
        let id = self.ids.uuid();
        let serial = self.ids.next_u64() % 100_000_000;
        let identifiers = vec![
            Identifier {
                raw_name: "Meter Number",
                value: format!(
                    "00{:02}-{:03}-{:03}",
                    serial / 1_000_000,
                    serial / 1000 % 1000,
                    serial % 1000
                ),
                name: "METER",
            },
            Identifier {
                raw_name: "Account Number",
                value: format!(
                    "{}-{}-{}",
                    &account_number[..3],
                    &account_number[3..6],
                    &account_number[6..]
                ),
                name: "ACCOUNT",
            },
        ];
        let address = self
            .sites
            .get(&site_id)
            .map(|s| s.address.clone())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| "1 Sandbox Way, Springfield, US".to_owned());
        self.meters.insert(
            id,
            Meter {
                id,
                company_id,
                site_id,
                account_id,
                datasource_type: kind.clone(),
                normalized: identifiers
                    .iter()
                    .map(|i| normalize_identifier(&i.value))
                    .collect(),
                identifiers,
                address,
                is_tracked: true,
            },
        );
        id
    }

    /// One bill for `period` with a usage row and a line item per meter, and a tax line, with
    /// its `(created, updated)` stamps. Bill `number` of its account is soft-deleted when
    /// `number % 12 == 11`.
    pub(super) fn bill(
        &mut self,
        owner: Owner,
        (first, last): (NaiveDate, NaiveDate),
        readings: &mut [Reading],
        number: usize,
        (created, updated): (DateTime<Utc>, DateTime<Utc>),
    ) -> Uuid {
        let id = self.ids.uuid();
        let mut usage_ids = Vec::with_capacity(readings.len());
        let mut line_items = Vec::with_capacity(readings.len() + 1);
        let mut kinds = Vec::new();
        let mut charges = 0_u64;
        for reading in readings.iter_mut() {
            let Some(meter) = self.meters.get(&reading.meter) else {
                continue;
            };
            let kind = meter.datasource_type.clone();
            let amount = 100_000 + self.ids.next_u64() % 9_900_000;
            let previous = reading.total;
            reading.total += amount;
            let charge = 1_000 + amount % 20_000;
            charges += charge;
            let usage_id = self.ids.uuid().to_string();
            line_items.push(LineItem {
                description: format!("{} charges", kind.as_str().to_lowercase()),
                rate: Some("0.1234".to_owned()),
                quantity: Some(thousandths(amount)),
                quantity_units: Some(units(&kind)),
                total_charge: cents(charge),
                multipliers: Vec::new(),
                account_ids: owner.account_id.iter().map(Uuid::to_string).collect(),
                charge_type: None,
                electricity_charge_type: (kind == DatasourceType::Electricity).then_some("SUPPLY"),
                electricity_is_demand: (kind == DatasourceType::Electricity).then_some(false),
                electricity_time_of_use: None,
                gas_charge_type: (kind == DatasourceType::Gas).then_some("SUPPLY"),
                billing_period: "CURRENT",
            });
            self.usage.insert(
                usage_id.clone(),
                Usage {
                    id: usage_id.clone(),
                    document_id: id,
                    meter_id: reading.meter,
                    company_id: owner.company_id,
                    site_id: owner.site_id,
                    connection_id: owner.connection_id,
                    datasource_type: kind.clone(),
                    created,
                    updated,
                    start_date: first,
                    end_date: last,
                    usage: thousandths(amount),
                    units: units(&kind),
                    current_reading: thousandths(reading.total),
                    previous_reading: thousandths(previous),
                    is_estimated: number % 7 == 6,
                },
            );
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
            usage_ids.push(usage_id);
        }
        let tax = charges / 20;
        line_items.push(LineItem {
            description: "State tax".to_owned(),
            rate: None,
            quantity: None,
            quantity_units: None,
            total_charge: cents(tax),
            multipliers: Vec::new(),
            account_ids: owner.account_id.iter().map(Uuid::to_string).collect(),
            charge_type: Some("TAX"),
            electricity_charge_type: None,
            electricity_is_demand: None,
            electricity_time_of_use: None,
            gas_charge_type: None,
            billing_period: "CURRENT",
        });
        let document = Document {
            id,
            company_id: owner.company_id,
            site_id: owner.site_id,
            connection_id: owner.connection_id,
            created,
            updated,
            start_date: first,
            bill_date: last,
            due_date: last.checked_add_days(Days::new(21)).unwrap_or(last),
            total_charges: cents(charges + tax),
            current_charges: cents(charges),
            tax_charges: cents(tax),
            invoice_id: format!("INV-{:08}", self.ids.next_u64() % 100_000_000),
            utility_company: "Nectar Sandbox Utility",
            line_items,
            meter_ids: readings.iter().map(|r| r.meter).collect(),
            datasource_types: kinds,
            deleted: number % 12 == 11,
            usage_ids: usage_ids.clone(),
            origin: None,
            notes_revision: 0,
        };
        self.documents.insert(id, document);
        if let Some(company) = self.companies.get_mut(&owner.company_id) {
            company.deleted_documents += usize::from(number % 12 == 11);
            company.document_ids.push(id);
            company.usage_ids.extend(usage_ids);
        }
        id
    }

    /// A company owned by `user` with one site, one connected sandbox connection, one account
    /// with `rows_per_document` electricity meters, and `documents` daily bills (the last one
    /// for the latest day already issued, see [`issued_at`]) of one usage row per meter: large,
    /// deterministic data for benchmarks. No bill is soft-deleted, so every row is listed.
    pub fn seed_data(
        &mut self,
        user: &str,
        name: &str,
        documents: usize,
        rows_per_document: usize,
    ) -> SeededData {
        let company_id = self.ids.uuid();
        let site_id = self.ids.uuid();
        let connection_id = self.ids.uuid();
        let account_id = self.ids.uuid();
        let now = self.now();
        let mut company = self.new_company(company_id, name.to_owned(), vec![user.to_owned()]);
        company.site_ids.push(site_id);
        company.connection_ids.push(connection_id);
        self.companies.insert(company_id, company);
        self.company_order.push(company_id);
        self.sites
            .insert(site_id, Site::new(site_id, company_id, "Site 1".to_owned()));
        let account_number = format!("{:010}", self.ids.next_u64() % 10_000_000_000);
        let meters: Vec<Uuid> = (0..rows_per_document.max(1))
            .map(|_| {
                self.new_meter(
                    company_id,
                    site_id,
                    Some(account_id),
                    &DatasourceType::Electricity,
                    &account_number,
                )
            })
            .collect();
        let secret = self.ids.token();
        let mut connection = Connection::sandbox(connection_id, company_id, site_id, now, secret);
        connection.status = ConnectionStatus::Connected;
        let mut account = Account::found(
            account_id,
            meters.clone(),
            account_number,
            vec![DatasourceType::Electricity],
        );
        account.set_tracked(true);
        connection.accounts = vec![account];
        self.connections.insert(connection_id, connection);
        self.accounts.insert(account_id, connection_id);
        let owner = Owner {
            company_id,
            site_id,
            connection_id: Some(connection_id),
            account_id: Some(account_id),
        };
        let mut readings = Reading::from_zero(&meters);
        // The latest day whose bill is issued by now: three days back, four before noon.
        let today = now.date_naive();
        let latest = [3, 4]
            .into_iter()
            .filter_map(|back| today.checked_sub_days(Days::new(back)))
            .find(|day| issued_at(*day) <= now)
            .unwrap_or(today);
        for index in 0..documents {
            let day = latest
                .checked_sub_days(Days::new((documents - 1 - index) as u64))
                .unwrap_or(latest);
            // Every bill counts as an early one of its month: none is deleted.
            let issued = issued_at(day);
            self.bill(owner, (day, day), &mut readings, 0, (issued, issued));
        }
        SeededData {
            company_id,
            site_id,
            connection_id,
            documents,
            usage: documents * meters.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sandbox_credentials;
    use crate::{SANDBOX_PASSWORD, SANDBOX_USERNAME};

    #[test]
    fn the_sandbox_provider_is_matched_by_the_root_of_its_url() {
        let matches = |url| sandbox_credentials(url, SANDBOX_USERNAME, SANDBOX_PASSWORD);
        for url in [
            "https://nectarclimate.com",
            "https://nectarclimate.com/",
            "https://nectarclimate.com/login",
            "https://www.nectarclimate.com/",
            "http://NectarClimate.com/login?next=/",
            "nectarclimate.com",
        ] {
            assert!(matches(url), "{url}");
        }
        for url in [
            "https://nectarclimate.com.evil.example",
            "https://example.com/nectarclimate.com",
            "https://dash.nectarclimate.co",
            "",
        ] {
            assert!(!matches(url), "{url}");
        }
        assert!(!sandbox_credentials(
            "https://nectarclimate.com/login",
            SANDBOX_USERNAME,
            "wrong"
        ));
    }
}
