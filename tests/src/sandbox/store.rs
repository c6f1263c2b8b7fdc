//! The emulator's state and the documented behaviour of each operation, without HTTP.
//!
//! Request bodies arrive here already validated against `spec/openapi.json`, so field types are
//! as documented; what is checked here is what a schema cannot say (ownership, existence, the
//! sandbox's rules).

use std::{borrow::Cow, collections::HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use nectar_api::{
    Timestamp,
    types::{AccountStatus, ConnectionStatus, TrackingStatus},
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// The documented sandbox provider: these credentials connect, any others do not.
pub const SANDBOX_URL: &str = "https://nectarclimate.com";
/// Sandbox username.
pub const SANDBOX_USERNAME: &str = "nectar-sandbox-username";
/// Sandbox password.
pub const SANDBOX_PASSWORD: &str = "nectar-sandbox-password";
/// The sandbox accepts 1 to this many sites.
pub const SANDBOX_MAX_SITES: usize = 3;

/// An error answer: status and the `detail` of the `ApiError` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub detail: String,
}

impl Failure {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self {
            status: 400,
            detail: detail.into(),
        }
    }

    fn forbidden(what: &str) -> Self {
        Self {
            status: 403,
            detail: format!("You do not have permission to access this {what}."),
        }
    }

    fn not_found(what: &str) -> Self {
        Self {
            status: 404,
            detail: format!("{what} not found."),
        }
    }
}

/// Deterministic ids (splitmix64), so a seeded emulator gives the same ids every run.
#[derive(Debug, Clone)]
pub struct Ids(u64);

impl Ids {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    pub fn uuid(&mut self) -> Uuid {
        let bytes = (u128::from(self.next_u64()) << 64 | u128::from(self.next_u64())).to_be_bytes();
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    fn token(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}

/// splitmix64's finaliser: a well-mixed 64-bit hash.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Company {
    id: Uuid,
    name: String,
    is_demand_enabled: bool,
    #[serde(skip)]
    site_ids: Vec<Uuid>,
    users: Vec<String>,
    external_id: Option<String>,
    data_collection_start_date: NaiveDate,
    is_implied_metering_enabled: bool,
    implied_metering_fraction: String,
    is_basic_identifier_mapping_enabled: bool,
    is_low_accuracy_mode_enabled: bool,
    #[serde(skip)]
    public_id: String,
    #[serde(skip)]
    magic_link_secret: String,
    /// The company's connections in creation order: the stable order of the list endpoint.
    #[serde(skip)]
    connection_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Site {
    id: Uuid,
    #[serde(skip)]
    company_id: Uuid,
    name: String,
    data_collection_stop_date: Option<NaiveDate>,
    external_id: Option<String>,
    address: String,
    path: Vec<String>,
    occupancy_percent: Option<String>,
}

impl Site {
    /// An active site with only a name.
    fn new(id: Uuid, company_id: Uuid, name: String) -> Self {
        Self {
            id,
            company_id,
            name,
            data_collection_stop_date: None,
            external_id: None,
            address: String::new(),
            path: Vec::new(),
            occupancy_percent: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Account {
    id: Uuid,
    meters: Vec<Uuid>,
    is_tracked: bool,
    /// A string, as the REST reference types it.
    is_duplicated: &'static str,
    account_number: String,
    tracking_status: TrackingStatus,
    status: AccountStatus,
    data_collection_start_date: Option<NaiveDate>,
    is_collecting_invoice_data: bool,
    is_collecting_smart_meter_data: bool,
    datasource_types: Vec<&'static str>,
}

#[derive(Debug, Clone)]
struct Connection {
    id: Uuid,
    company_id: Uuid,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    status: ConnectionStatus,
    status_since: DateTime<Utc>,
    status_error_detail: Option<String>,
    url: String,
    username: String,
    /// Whether the credentials are the sandbox's (the password itself is not kept).
    sandbox_credentials: bool,
    country: String,
    initial_sites: Vec<Uuid>,
    initial_datasource_types: Vec<String>,
    workflow_owner_email: Option<String>,
    data_collection_start_date: Option<NaiveDate>,
    multiply_by_occupancy: bool,
    magic_link_secret: String,
    accounts: Vec<Account>,
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageView<'a> {
    total_connections: usize,
    per_page: usize,
    total_pages: usize,
    current_page: usize,
    has_next: bool,
    has_previous: bool,
    connections: Vec<ConnectionView<'a>>,
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

/// A company made by [`Store::seed`].
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The company.
    pub company_id: Uuid,
    /// Its sites.
    pub site_ids: Vec<Uuid>,
    /// Number of connections created.
    pub connections: usize,
}

/// The whole state of the emulator.
pub struct Store {
    /// API key -> the e-mail of its user.
    users: HashMap<String, String>,
    companies: HashMap<Uuid, Company>,
    company_order: Vec<Uuid>,
    sites: HashMap<Uuid, Site>,
    connections: HashMap<Uuid, Connection>,
    ids: Ids,
}

impl Store {
    pub fn new(users: HashMap<String, String>, seed: u64) -> Self {
        Self {
            users,
            companies: HashMap::new(),
            company_order: Vec::new(),
            sites: HashMap::new(),
            connections: HashMap::new(),
            ids: Ids::new(seed),
        }
    }

    /// The user (e-mail) of an API key.
    pub fn user(&self, api_key: &str) -> Option<&str> {
        self.users.get(api_key).map(String::as_str)
    }

    fn company(&self, user: &str, id: Uuid) -> Result<&Company, Failure> {
        self.company_for(user, id, "company")
    }

    /// The company, if it exists (else 404) and the user is one of its users (else 403, naming
    /// `what` was asked for: the company itself, or one of its sites or connections).
    fn company_for(&self, user: &str, id: Uuid, what: &str) -> Result<&Company, Failure> {
        let company = self
            .companies
            .get(&id)
            .ok_or_else(|| Failure::not_found("Company"))?;
        if company.users.iter().any(|u| u == user) {
            Ok(company)
        } else {
            Err(Failure::forbidden(what))
        }
    }

    fn company_mut(&mut self, user: &str, id: Uuid) -> Result<&mut Company, Failure> {
        self.company(user, id)?;
        self.companies
            .get_mut(&id)
            .ok_or_else(|| Failure::not_found("Company"))
    }

    fn site_company(&self, user: &str, site_id: Uuid) -> Result<Uuid, Failure> {
        let site = self
            .sites
            .get(&site_id)
            .ok_or_else(|| Failure::not_found("Site"))?;
        self.company_for(user, site.company_id, "site")?;
        Ok(site.company_id)
    }

    fn connection(&self, user: &str, id: Uuid) -> Result<&Connection, Failure> {
        let connection = self
            .connections
            .get(&id)
            .ok_or_else(|| Failure::not_found("Connection"))?;
        self.company_for(user, connection.company_id, "connection")?;
        Ok(connection)
    }

    // ---- companies -------------------------------------------------------------------------

    pub fn list_companies(&self, user: &str) -> Value {
        let companies: Vec<Value> = self
            .company_order
            .iter()
            .filter_map(|id| self.companies.get(id))
            .filter(|c| c.users.iter().any(|u| u == user))
            .map(|c| self.company_view(c))
            .collect();
        Value::Array(companies)
    }

    /// A company with the server's defaults: no sites or connections, history from 1 January of
    /// the previous year, implied-metering fraction `1.0`, flags off, fresh public id and secret.
    fn new_company(&mut self, id: Uuid, name: String, users: Vec<String>) -> Company {
        let today = Utc::now().date_naive();
        Company {
            id,
            name,
            is_demand_enabled: false,
            site_ids: Vec::new(),
            users,
            external_id: None,
            data_collection_start_date: NaiveDate::from_ymd_opt(today.year() - 1, 1, 1)
                .unwrap_or(today),
            is_implied_metering_enabled: false,
            implied_metering_fraction: "1.0".to_owned(),
            is_basic_identifier_mapping_enabled: false,
            is_low_accuracy_mode_enabled: false,
            public_id: self.ids.token(),
            magic_link_secret: self.ids.token(),
            connection_ids: Vec::new(),
        }
    }

    pub fn create_company(&mut self, user: &str, body: &Value) -> Result<Value, Failure> {
        let mut users = vec![user.to_owned()];
        self.add_users(&mut users, body)?;
        let id = self.ids.uuid();
        let mut company = self.new_company(id, String::new(), users);
        apply_company_fields(&mut company, body);
        let view = self.company_view(&company);
        self.company_order.push(company.id);
        self.companies.insert(company.id, company);
        Ok(view)
    }

    /// `users` of a company body: every address must be a known user (else 400).
    fn add_users(&self, users: &mut Vec<String>, body: &Value) -> Result<(), Failure> {
        let Some(requested) = body.get("users").and_then(Value::as_array) else {
            return Ok(());
        };
        let unknown: Vec<&str> = requested
            .iter()
            .filter_map(Value::as_str)
            .filter(|email| !self.users.values().any(|u| u == email))
            .collect();
        if !unknown.is_empty() {
            return Err(Failure::bad_request(format!(
                "users: no Nectar user with e-mail {}",
                unknown.join(", ")
            )));
        }
        for email in requested.iter().filter_map(Value::as_str) {
            if !users.iter().any(|u| u == email) {
                users.push(email.to_owned());
            }
        }
        Ok(())
    }

    pub fn get_company(&self, user: &str, id: Uuid) -> Result<Value, Failure> {
        Ok(self.company_view(self.company(user, id)?))
    }

    pub fn update_company(&mut self, user: &str, id: Uuid, body: &Value) -> Result<Value, Failure> {
        self.company(user, id)?;
        let mut users = None;
        if body.get("users").is_some() {
            // Replaces the list; the caller cannot remove themselves.
            let mut list = vec![user.to_owned()];
            self.add_users(&mut list, body)?;
            users = Some(list);
        }
        let company = self.company_mut(user, id)?;
        apply_company_fields(company, body);
        if let Some(users) = users {
            company.users = users;
        }
        let company = self.company(user, id)?;
        Ok(self.company_view(company))
    }

    /// Deletes the company, its sites and connections. Nectar does this in the background after
    /// answering 204; the emulator does it at once.
    pub fn delete_company(&mut self, user: &str, id: Uuid) -> Result<(), Failure> {
        self.company(user, id)?;
        if let Some(company) = self.companies.remove(&id) {
            for site in company.site_ids {
                self.sites.remove(&site);
            }
            for connection in company.connection_ids {
                self.connections.remove(&connection);
            }
        }
        self.company_order.retain(|c| *c != id);
        Ok(())
    }

    fn company_view(&self, company: &Company) -> Value {
        let mut view = serde_json::to_value(company).unwrap_or(Value::Null);
        view["sites"] = company
            .site_ids
            .iter()
            .filter_map(|id| self.sites.get(id))
            .map(|site| serde_json::to_value(site).unwrap_or(Value::Null))
            .collect();
        view
    }

    // ---- sites -----------------------------------------------------------------------------

    pub fn create_site(
        &mut self,
        user: &str,
        company_id: Uuid,
        body: &Value,
    ) -> Result<Value, Failure> {
        self.company(user, company_id)?;
        let mut site = Site::new(self.ids.uuid(), company_id, String::new());
        apply_site_fields(&mut site, body);
        let view = serde_json::to_value(&site).unwrap_or(Value::Null);
        self.company_mut(user, company_id)?.site_ids.push(site.id);
        self.sites.insert(site.id, site);
        Ok(view)
    }

    pub fn get_site(&self, user: &str, id: Uuid) -> Result<Value, Failure> {
        self.site_company(user, id)?;
        let site = self
            .sites
            .get(&id)
            .ok_or_else(|| Failure::not_found("Site"))?;
        Ok(serde_json::to_value(site).unwrap_or(Value::Null))
    }

    pub fn update_site(&mut self, user: &str, id: Uuid, body: &Value) -> Result<Value, Failure> {
        self.site_company(user, id)?;
        let site = self
            .sites
            .get_mut(&id)
            .ok_or_else(|| Failure::not_found("Site"))?;
        apply_site_fields(site, body);
        Ok(serde_json::to_value(&*site).unwrap_or(Value::Null))
    }

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
        let total = ids.len();
        let total_pages = total.div_ceil(limit).max(1);
        let current = if page < 1 || page as usize > total_pages {
            total_pages
        } else {
            page as usize
        };
        let start = (current - 1) * limit;
        let view = PageView {
            total_connections: total,
            per_page: limit,
            total_pages,
            current_page: current,
            has_next: current < total_pages,
            has_previous: current > 1,
            connections: ids
                .iter()
                .skip(start)
                .take(limit)
                .filter_map(|id| self.connections.get(id))
                .map(|c| self.connection_view(company, c))
                .collect(),
        };
        serde_json::to_vec(&view).unwrap_or_default()
    }

    /// Creates a connection (status `PENDING`) and says how its first check will end.
    pub fn create_connection(
        &mut self,
        user: &str,
        company_id: Uuid,
        body: &Value,
    ) -> Result<(Uuid, Value, Validation), Failure> {
        self.company(user, company_id)?;
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
        let sandbox_credentials = url.trim_end_matches('/') == SANDBOX_URL
            && username == SANDBOX_USERNAME
            && password == SANDBOX_PASSWORD;
        if sandbox_credentials && initial_sites.len() > SANDBOX_MAX_SITES {
            return Err(Failure::bad_request(format!(
                "initialSites: the sandbox takes 1 to {SANDBOX_MAX_SITES} sites, got {}",
                initial_sites.len()
            )));
        }
        let now = Utc::now();
        let connection = Connection {
            id: self.ids.uuid(),
            company_id,
            created: now,
            updated: now,
            status: ConnectionStatus::Pending,
            status_since: now,
            status_error_detail: None,
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
        self.company_mut(user, company_id)?.connection_ids.push(id);
        Ok((
            id,
            self.connection_value(id).unwrap_or(Value::Null),
            outcome,
        ))
    }

    /// Runs a pending connection's first check. Returns the previous status, or `None` when the
    /// connection is gone or no longer pending.
    pub fn validate_connection(
        &mut self,
        id: Uuid,
        outcome: Validation,
    ) -> Option<ConnectionStatus> {
        let mut accounts = Vec::new();
        if outcome == Validation::Connected {
            let sites = self.connections.get(&id)?.initial_sites.clone();
            for (index, _site) in sites.iter().enumerate() {
                let kinds: &[&'static str] = if index % 2 == 0 {
                    &["ELECTRICITY"]
                } else {
                    &["ELECTRICITY", "GAS"]
                };
                accounts.push(Account {
                    id: self.ids.uuid(),
                    meters: kinds.iter().map(|_| self.ids.uuid()).collect(),
                    is_tracked: true,
                    is_duplicated: "false",
                    account_number: format!("{:010}", self.ids.next_u64() % 10_000_000_000),
                    tracking_status: TrackingStatus::Unset,
                    status: AccountStatus::Detected,
                    data_collection_start_date: None,
                    is_collecting_invoice_data: true,
                    is_collecting_smart_meter_data: false,
                    datasource_types: kinds.to_vec(),
                });
            }
        }
        let connection = self.connections.get_mut(&id)?;
        if connection.status != ConnectionStatus::Pending {
            return None;
        }
        let now = Utc::now();
        match outcome {
            Validation::Connected => {
                connection.status = ConnectionStatus::Connected;
                connection.status_error_detail = None;
                connection.accounts = accounts;
            }
            Validation::PasswordIncorrect => {
                connection.status = ConnectionStatus::PasswordIncorrect;
                connection.status_error_detail =
                    Some("The utility website rejected the username or password.".to_owned());
            }
        }
        connection.status_since = now;
        connection.updated = now;
        Some(ConnectionStatus::Pending)
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

    /// A new webhook message id.
    pub fn message_id(&mut self) -> String {
        format!("msg_{}", self.ids.token())
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
        let connection = self
            .connections
            .get_mut(&id)
            .ok_or_else(|| Failure::not_found("Connection"))?;
        change(connection);
        connection.updated = Utc::now();
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
                if confirm {
                    account.tracking_status = TrackingStatus::Enabled;
                    account.status = AccountStatus::Onboarded;
                    account.is_tracked = true;
                } else {
                    account.tracking_status = TrackingStatus::Disabled;
                    account.status = AccountStatus::CustomerNotTracked;
                    account.is_tracked = false;
                }
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
        let now = Utc::now();
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
            self.connections.insert(
                id,
                Connection {
                    id,
                    company_id,
                    created: now,
                    updated: now,
                    status,
                    status_since: now,
                    status_error_detail: None,
                    url: SANDBOX_URL.to_owned(),
                    username: SANDBOX_USERNAME.to_owned(),
                    sandbox_credentials: true,
                    country: "US".to_owned(),
                    initial_sites: vec![site_ids[index % site_ids.len()]],
                    initial_datasource_types: Vec::new(),
                    workflow_owner_email: Some(owners[index % owners.len()].clone()),
                    data_collection_start_date: None,
                    multiply_by_occupancy: false,
                    magic_link_secret: self.ids.token(),
                    accounts: Vec::new(),
                },
            );
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
fn provider_name(url: &str) -> String {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or(url);
    host.trim_start_matches("www.").to_owned()
}

fn apply_company_fields(company: &mut Company, body: &Value) {
    let field = |key: &str| body.get(key);
    if let Some(name) = field("name").and_then(Value::as_str) {
        company.name = name.to_owned();
    }
    if let Some(external_id) = field("externalId") {
        company.external_id = external_id.as_str().map(str::to_owned);
    }
    if let Some(date) = field("dataCollectionStartDate")
        .and_then(Value::as_str)
        .and_then(|d| d.parse().ok())
    {
        company.data_collection_start_date = date;
    }
    if let Some(flag) = field("isImpliedMeteringEnabled").and_then(Value::as_bool) {
        company.is_implied_metering_enabled = flag;
    }
    if let Some(fraction) = field("impliedMeteringFraction").and_then(Value::as_str) {
        company.implied_metering_fraction = fraction.to_owned();
    }
    if let Some(flag) = field("isDemandEnabled").and_then(Value::as_bool) {
        company.is_demand_enabled = flag;
    }
    if let Some(flag) = field("isBasicIdentifierMappingEnabled").and_then(Value::as_bool) {
        company.is_basic_identifier_mapping_enabled = flag;
    }
    if let Some(flag) = field("isLowAccuracyModeEnabled").and_then(Value::as_bool) {
        company.is_low_accuracy_mode_enabled = flag;
    }
}

fn apply_site_fields(site: &mut Site, body: &Value) {
    let field = |key: &str| body.get(key);
    if let Some(name) = field("name").and_then(Value::as_str) {
        site.name = name.to_owned();
    }
    if let Some(external_id) = field("externalId") {
        site.external_id = external_id.as_str().map(str::to_owned);
    }
    if let Some(address) = field("address").and_then(Value::as_str) {
        site.address = address.to_owned();
    }
    if let Some(path) = field("path").and_then(Value::as_array) {
        site.path = path
            .iter()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect();
    }
    if let Some(occupancy) = field("occupancyPercent") {
        site.occupancy_percent = occupancy.as_str().map(str::to_owned);
    }
}
