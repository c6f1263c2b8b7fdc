//! Connections: the emulator's records, the sandbox provider's rules and the connection
//! operations.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use nectar_api::{Timestamp, types::ConnectionStatus};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Failure, SANDBOX_MAX_SITES, SANDBOX_URL, SANDBOX_USERNAME, Seeded, Store, account::Account,
    company::Company, sandbox_provider::sandbox_credentials, site::Site,
};

#[derive(Debug, Clone)]
pub(super) struct Connection {
    pub(super) id: Uuid,
    pub(super) company_id: Uuid,
    pub(super) created: DateTime<Utc>,
    pub(super) updated: DateTime<Utc>,
    pub(super) status: ConnectionStatus,
    pub(super) status_since: DateTime<Utc>,
    pub(super) status_error_detail: Option<String>,
    /// The status before the company was deactivated, to come back to when it is active again.
    pub(super) status_before_inactive: Option<ConnectionStatus>,
    pub(super) url: String,
    pub(super) username: String,
    /// Whether the credentials are the sandbox's (the password itself is not kept).
    pub(super) sandbox_credentials: bool,
    pub(super) country: String,
    pub(super) initial_sites: Vec<Uuid>,
    pub(super) initial_datasource_types: Vec<String>,
    pub(super) workflow_owner_email: Option<String>,
    pub(super) data_collection_start_date: Option<NaiveDate>,
    pub(super) multiply_by_occupancy: bool,
    pub(super) magic_link_secret: String,
    pub(super) accounts: Vec<Account>,
}

impl Connection {
    /// A `PENDING` connection to the sandbox provider with the sandbox's credentials, linked to
    /// `site`, with no owner and no accounts yet.
    pub(super) fn sandbox(
        id: Uuid,
        company_id: Uuid,
        site: Uuid,
        now: DateTime<Utc>,
        magic_link_secret: String,
    ) -> Self {
        Self {
            id,
            company_id,
            created: now,
            updated: now,
            status: ConnectionStatus::Pending,
            status_since: now,
            status_error_detail: None,
            status_before_inactive: None,
            url: SANDBOX_URL.to_owned(),
            username: SANDBOX_USERNAME.to_owned(),
            sandbox_credentials: true,
            country: "US".to_owned(),
            initial_sites: vec![site],
            initial_datasource_types: Vec::new(),
            workflow_owner_email: None,
            data_collection_start_date: None,
            multiply_by_occupancy: false,
            magic_link_secret,
            accounts: Vec::new(),
        }
    }
}

/// A connection as every connection operation answers it (all fields, `null` where empty, as
/// Nectar's serializers send them).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionView<'a> {
    id: Uuid,
    created: Timestamp,
    public_company_id: &'a str,
    connection_magic_link_secret: &'a str,
    status_last_update_time: Timestamp,
    status_first_seen_time: Timestamp,
    status_error_detail: Option<&'a str>,
    updated: Timestamp,
    external_id: Option<&'a str>,
    datasource: DatasourceView<'a>,
    accounts: &'a [Account],
    company: CompanyRef<'a>,
    url: &'a str,
    status: &'a ConnectionStatus,
    country: &'a str,
    initial_sites: &'a [Uuid],
    initial_datasource_types: &'a [String],
    username: &'a str,
    workflow_owner_email: Option<&'a str>,
    data_collection_start_date: Option<NaiveDate>,
    multiply_by_occupancy: bool,
    is_active: bool,
}

#[derive(Serialize)]
struct DatasourceView<'a> {
    name: Cow<'a, str>,
    url: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompanyRef<'a> {
    id: Uuid,
    name: &'a str,
    external_id: Option<&'a str>,
}

/// A filter of the connection list, as parsed from the query string.
#[derive(Debug, Default, Clone)]
pub struct ConnectionFilter {
    pub status: Option<ConnectionStatus>,
    pub sites: Vec<Uuid>,
    pub owner_email: Option<String>,
}

impl ConnectionFilter {
    fn is_empty(&self) -> bool {
        self.status.is_none() && self.sites.is_empty() && self.owner_email.is_none()
    }

    fn matches(&self, connection: &Connection) -> bool {
        self.status.as_ref().is_none_or(|s| *s == connection.status)
            && (self.sites.is_empty()
                || connection
                    .initial_sites
                    .iter()
                    .any(|site| self.sites.contains(site)))
            && self
                .owner_email
                .as_ref()
                .is_none_or(|e| connection.workflow_owner_email.as_ref() == Some(e))
    }
}

/// What a connection becomes when Nectar's first check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Sandbox credentials: `CONNECTED`, with accounts.
    Connected,
    /// Any other credentials: `PASSWORD_INCORRECT`.
    PasswordIncorrect,
}

impl Store {
    // ---- connections -----------------------------------------------------------------------

    /// One page of a company's connections, paginated as Nectar does: `limit` per page, a page
    /// past the end (or below 1) answered with the last page, totals after filtering.
    pub fn list_connections(
        &self,
        user: &str,
        company_id: Uuid,
        filter: &ConnectionFilter,
        page: i64,
        limit: usize,
    ) -> Result<Vec<u8>, Failure> {
        let company = self.company(user, company_id)?;
        if filter.is_empty() {
            return Ok(self.page_view(company, &company.connection_ids, page, limit));
        }
        let matching: Vec<Uuid> = company
            .connection_ids
            .iter()
            .filter(|id| self.connections.get(id).is_some_and(|c| filter.matches(c)))
            .copied()
            .collect();
        Ok(self.page_view(company, &matching, page, limit))
    }

    /// The page as JSON bytes, serialized straight from the records (no intermediate tree), so a
    /// page of 500 costs about a millisecond under the lock.
    fn page_view(&self, company: &Company, ids: &[Uuid], page: i64, limit: usize) -> Vec<u8> {
        super::page_body(
            ("totalConnections", "connections"),
            ids.len(),
            page,
            limit,
            |range| {
                ids[range]
                    .iter()
                    .filter_map(|id| self.connections.get(id))
                    .map(|c| self.connection_view(company, c))
                    .collect()
            },
        )
    }

    /// Creates a connection (status `PENDING`) and says how its first check will end.
    pub fn create_connection(
        &mut self,
        user: &str,
        company_id: Uuid,
        body: &Value,
    ) -> Result<(Uuid, Value, Validation), Failure> {
        self.company(user, company_id)?;
        self.create_connection_in(company_id, body)
    }

    /// Creates a connection in `company_id` (whoever asks: the API's caller, or the user of an
    /// invitation).
    pub(super) fn create_connection_in(
        &mut self,
        company_id: Uuid,
        body: &Value,
    ) -> Result<(Uuid, Value, Validation), Failure> {
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        let initial_sites: Vec<Uuid> = body
            .get("initialSites")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().and_then(|s| s.parse().ok()))
            .collect();
        for site in &initial_sites {
            if self
                .sites
                .get(site)
                .is_none_or(|s| s.company_id != company_id)
            {
                return Err(Failure::bad_request(format!(
                    "initialSites: site {site} does not belong to this company"
                )));
            }
        }
        let url = text("url").unwrap_or_default();
        let username = text("username").unwrap_or_default();
        let password = text("password").unwrap_or_default();
        let sandbox_credentials = sandbox_credentials(&url, &username, &password);
        if sandbox_credentials && initial_sites.len() > SANDBOX_MAX_SITES {
            return Err(Failure::bad_request(format!(
                "initialSites: the sandbox takes 1 to {SANDBOX_MAX_SITES} sites, got {}",
                initial_sites.len()
            )));
        }
        let now = self.now();
        let connection = Connection {
            id: self.ids.uuid(),
            company_id,
            created: now,
            updated: now,
            status: ConnectionStatus::Pending,
            status_since: now,
            status_error_detail: None,
            status_before_inactive: None,
            url,
            username,
            sandbox_credentials,
            country: text("country").unwrap_or_else(|| "US".to_owned()),
            initial_sites,
            initial_datasource_types: body
                .get("initialDatasourceTypes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            workflow_owner_email: text("workflowOwnerEmail"),
            data_collection_start_date: text("dataCollectionStartDate")
                .and_then(|d| d.parse().ok()),
            multiply_by_occupancy: body
                .get("multiplyByOccupancy")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            magic_link_secret: self.ids.token(),
            accounts: Vec::new(),
        };
        let id = connection.id;
        let outcome = if sandbox_credentials {
            Validation::Connected
        } else {
            Validation::PasswordIncorrect
        };
        self.connections.insert(id, connection);
        if let Some(company) = self.companies.get_mut(&company_id) {
            company.connection_ids.push(id);
        }
        Ok((
            id,
            self.connection_value(id).unwrap_or(Value::Null),
            outcome,
        ))
    }

    /// Runs a pending connection's first check. Returns the previous status and the documents
    /// the check produced, or `None` when the connection is gone or no longer pending.
    pub fn validate_connection(
        &mut self,
        id: Uuid,
        outcome: Validation,
    ) -> Option<(ConnectionStatus, Vec<Uuid>)> {
        let now = self.now();
        let connection = self.connections.get_mut(&id)?;
        if connection.status != ConnectionStatus::Pending {
            return None;
        }
        connection.status_since = now;
        connection.updated = now;
        let documents = match outcome {
            Validation::Connected => {
                connection.status = ConnectionStatus::Connected;
                connection.status_error_detail = None;
                // As Nectar's sandbox does: accounts, meters and bills appear (once: a
                // connection reconnected after a credential error keeps its data).
                if connection.accounts.is_empty() {
                    self.generate_sandbox_data(id, now)
                } else {
                    Vec::new()
                }
            }
            Validation::PasswordIncorrect => {
                connection.status = ConnectionStatus::PasswordIncorrect;
                connection.status_error_detail =
                    Some("The utility website rejected the username or password.".to_owned());
                Vec::new()
            }
        };
        self.settle_accounts(id);
        Some((ConnectionStatus::Pending, documents))
    }

    /// The connection as a v2 webhook payload: the REST fields Nectar's 2025 events carry, with
    /// timestamps as webhook payloads write them (no offset, nine fractional digits).
    pub fn connection_event(&self, id: Uuid, event_type: &str) -> Option<Value> {
        let c = self.connections.get(&id)?;
        let naive = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.9f").to_string();
        let accounts: Vec<Value> = c
            .accounts
            .iter()
            .map(|a| {
                json!({
                    "accountNumber": a.account_number,
                    "dataCollectionStartDate": a.data_collection_start_date,
                    "datasourceTypes": a.datasource_types,
                    "id": a.id,
                    "isCollectingInvoiceData": a.is_collecting_invoice_data,
                    "isCollectingSmartMeterData": a.is_collecting_smart_meter_data,
                    "isDuplicated": a.is_duplicated,
                    "isTracked": a.is_tracked,
                    "meters": a.meters,
                })
            })
            .collect();
        Some(json!({
            "accounts": accounts,
            "country": c.country,
            "created": naive(c.created),
            "dataCollectionStartDate": c.data_collection_start_date,
            "eventType": event_type,
            "id": c.id,
            "initialDatasourceTypes": c.initial_datasource_types,
            "initialSites": c.initial_sites,
            "multiplyByOccupancy": c.multiply_by_occupancy,
            "status": c.status,
            "updated": naive(c.updated),
            "url": c.url,
            "username": c.username,
            "workflowOwnerEmail": c.workflow_owner_email,
        }))
    }

    pub fn get_connection(&self, user: &str, id: Uuid) -> Result<Value, Failure> {
        self.connection(user, id)?;
        self.connection_value(id)
            .ok_or_else(|| Failure::not_found("Connection"))
    }

    /// Applies `change` to a connection the user may see, marks it updated, and answers it.
    fn change_connection(
        &mut self,
        user: &str,
        id: Uuid,
        change: impl FnOnce(&mut Connection),
    ) -> Result<Value, Failure> {
        self.connection(user, id)?;
        let now = self.now();
        let connection = self
            .connections
            .get_mut(&id)
            .ok_or_else(|| Failure::not_found("Connection"))?;
        change(connection);
        connection.updated = now;
        self.connection_value(id)
            .ok_or_else(|| Failure::not_found("Connection"))
    }

    pub fn update_connection(
        &mut self,
        user: &str,
        id: Uuid,
        body: &Value,
    ) -> Result<Value, Failure> {
        self.change_connection(user, id, |connection| {
            if let Some(date) = body.get("dataCollectionStartDate") {
                connection.data_collection_start_date = date.as_str().and_then(|d| d.parse().ok());
            }
            if let Some(flag) = body.get("multiplyByOccupancy").and_then(Value::as_bool) {
                connection.multiply_by_occupancy = flag;
            }
        })
    }

    /// `{"confirm": true}` tracks the discovered accounts, `false` stops tracking them.
    pub fn confirm_accounts(
        &mut self,
        user: &str,
        id: Uuid,
        body: &Value,
    ) -> Result<Value, Failure> {
        let confirm = body
            .get("confirm")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        self.change_connection(user, id, |connection| {
            for account in &mut connection.accounts {
                account.set_tracked(confirm);
            }
        })
    }

    pub fn company_magic_link(&self, user: &str, company_id: Uuid) -> Result<Value, Failure> {
        let company = self.company(user, company_id)?;
        Ok(json!({
            "companyMagicLinkSecret": company.magic_link_secret,
            "publicCompanyId": company.public_id,
            "magicLinkUrl": format!(
                "https://dash.nectarclimate.com/p/connect/{}/{}",
                company.public_id, company.magic_link_secret
            ),
        }))
    }

    /// The connection's JSON, as every connection operation answers it.
    pub fn connection_value(&self, id: Uuid) -> Option<Value> {
        let connection = self.connections.get(&id)?;
        let company = self.companies.get(&connection.company_id)?;
        serde_json::to_value(self.connection_view(company, connection)).ok()
    }

    fn connection_view<'a>(
        &'a self,
        company: &'a Company,
        c: &'a Connection,
    ) -> ConnectionView<'a> {
        let since = Timestamp::from(c.status_since);
        ConnectionView {
            id: c.id,
            created: Timestamp::from(c.created),
            public_company_id: &company.public_id,
            connection_magic_link_secret: &c.magic_link_secret,
            status_last_update_time: since,
            status_first_seen_time: since,
            status_error_detail: c.status_error_detail.as_deref(),
            updated: Timestamp::from(c.updated),
            external_id: None,
            datasource: DatasourceView {
                name: if c.sandbox_credentials {
                    Cow::Borrowed("Nectar Sandbox Utility")
                } else {
                    Cow::Owned(provider_name(&c.url))
                },
                url: &c.url,
            },
            accounts: &c.accounts,
            company: CompanyRef {
                id: company.id,
                name: &company.name,
                external_id: company.external_id.as_deref(),
            },
            url: &c.url,
            status: &c.status,
            country: &c.country,
            initial_sites: &c.initial_sites,
            initial_datasource_types: &c.initial_datasource_types,
            username: &c.username,
            workflow_owner_email: c.workflow_owner_email.as_deref(),
            data_collection_start_date: c.data_collection_start_date,
            multiply_by_occupancy: c.multiply_by_occupancy,
            is_active: true,
        }
    }

    // ---- seeding ---------------------------------------------------------------------------

    /// Creates a company owned by `user` with `sites` sites and `connections` connections, with
    /// statuses, sites and owner e-mails spread deterministically (connection `i` has status
    /// `KNOWN[i % 12]`, site `i % sites`, owner `owner{i % 10}@example.com`). No validation is
    /// scheduled: seeded connections keep their status.
    pub fn seed(&mut self, user: &str, name: &str, sites: usize, connections: usize) -> Seeded {
        let company_id = self.ids.uuid();
        let now = self.now();
        let site_ids: Vec<Uuid> = (0..sites.max(1)).map(|_| self.ids.uuid()).collect();
        for (index, id) in site_ids.iter().enumerate() {
            self.sites.insert(
                *id,
                Site::new(*id, company_id, format!("Site {}", index + 1)),
            );
        }
        self.connections.reserve(connections);
        let mut connection_ids = Vec::with_capacity(connections);
        let owners: Vec<String> = (0..10).map(|i| format!("owner{i}@example.com")).collect();
        for index in 0..connections {
            let id = self.ids.uuid();
            let status = ConnectionStatus::KNOWN[index % ConnectionStatus::KNOWN.len()].clone();
            let secret = self.ids.token();
            let mut connection = Connection::sandbox(
                id,
                company_id,
                site_ids[index % site_ids.len()],
                now,
                secret,
            );
            connection.status = status;
            connection.workflow_owner_email = Some(owners[index % owners.len()].clone());
            self.connections.insert(id, connection);
            connection_ids.push(id);
        }
        let mut company = self.new_company(company_id, name.to_owned(), vec![user.to_owned()]);
        company.site_ids = site_ids.clone();
        company.connection_ids = connection_ids;
        self.companies.insert(company_id, company);
        self.company_order.push(company_id);
        Seeded {
            company_id,
            site_ids,
            connections,
        }
    }
}

/// A readable provider name from its URL: `https://www.ladwp.com/login` -> `ladwp.com`.
pub(super) fn provider_name(url: &str) -> String {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or(url);
    host.trim_start_matches("www.").to_owned()
}

impl Store {
    /// Puts a connection into `status`, as Nectar's weekly check would (a test hook). Returns the
    /// previous status.
    pub fn set_connection_status(
        &mut self,
        id: Uuid,
        status: ConnectionStatus,
    ) -> Option<ConnectionStatus> {
        let now = self.now();
        let connection = self.connections.get_mut(&id)?;
        let previous = std::mem::replace(&mut connection.status, status.clone());
        connection.updated = now;
        connection.status_since = now;
        connection.status_error_detail = (status.category()
            == nectar_api::status::ConnectionCategory::CredentialError)
            .then(|| "The utility website rejected the username or password.".to_owned());
        self.settle_accounts(id);
        Some(previous)
    }

    /// Replaces a connection's credentials (through a reconnect invitation): it goes back to
    /// `PENDING` and is checked again. Returns how the check will end, and the status before.
    pub(super) fn replace_credentials(
        &mut self,
        id: Uuid,
        body: &Value,
    ) -> Option<(Validation, ConnectionStatus)> {
        let now = self.now();
        let connection = self.connections.get_mut(&id)?;
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        if let Some(url) = text("url") {
            connection.url = url;
        }
        if let Some(username) = text("username") {
            connection.username = username;
        }
        let password = text("password").unwrap_or_default();
        connection.sandbox_credentials =
            sandbox_credentials(&connection.url, &connection.username, &password);
        let previous = std::mem::replace(&mut connection.status, ConnectionStatus::Pending);
        connection.status_error_detail = None;
        connection.status_since = now;
        connection.updated = now;
        let validation = if connection.sandbox_credentials {
            Validation::Connected
        } else {
            Validation::PasswordIncorrect
        };
        Some((validation, previous))
    }
}
