//! Companies: the emulator's records and the company operations.

use chrono::{Datelike, NaiveDate};
use nectar_api::types::ConnectionStatus;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{Failure, Store};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Company {
    pub(super) id: Uuid,
    pub(super) name: String,
    pub(super) is_demand_enabled: bool,
    #[serde(skip)]
    pub(super) site_ids: Vec<Uuid>,
    pub(super) users: Vec<String>,
    pub(super) external_id: Option<String>,
    pub(super) data_collection_start_date: NaiveDate,
    pub(super) is_implied_metering_enabled: bool,
    pub(super) implied_metering_fraction: String,
    pub(super) is_basic_identifier_mapping_enabled: bool,
    pub(super) is_low_accuracy_mode_enabled: bool,
    #[serde(skip)]
    pub(super) public_id: String,
    #[serde(skip)]
    pub(super) magic_link_secret: String,
    /// The company's connections in creation order: the stable order of the list endpoint.
    #[serde(skip)]
    pub(super) connection_ids: Vec<Uuid>,
    /// The company's documents and usage rows in creation order (the lists' stable order).
    #[serde(skip)]
    pub(super) document_ids: Vec<Uuid>,
    #[serde(skip)]
    pub(super) usage_ids: Vec<String>,
    /// How many of its documents are soft-deleted (0: the lists' fast path applies).
    #[serde(skip)]
    pub(super) deleted_documents: usize,
    /// Inactive companies' upload jobs fail (see `Store::set_company_active`).
    #[serde(skip)]
    pub(super) active: bool,
}

impl Store {
    /// Marks a company active or inactive (a test hook). As the connection-status guide says,
    /// a deactivated company's connections all stop and show `COMPANY_INACTIVE`, and their
    /// accounts too; its upload jobs fail. Reactivated, they show what they showed before.
    /// Returns each connection whose status changed with its previous status (for the
    /// `connection.updated` events), or `None` when there is no such company.
    pub fn set_company_active(
        &mut self,
        id: Uuid,
        active: bool,
    ) -> Option<Vec<(Uuid, ConnectionStatus)>> {
        let company = self.companies.get_mut(&id)?;
        company.active = active;
        let connection_ids = company.connection_ids.clone();
        let now = self.now();
        let mut changed = Vec::new();
        for connection_id in connection_ids {
            let Some(connection) = self.connections.get_mut(&connection_id) else {
                continue;
            };
            let next = if active {
                connection.status_before_inactive.take()
            } else if connection.status == ConnectionStatus::CompanyInactive {
                None
            } else {
                connection.status_before_inactive = Some(connection.status.clone());
                Some(ConnectionStatus::CompanyInactive)
            };
            if let Some(next) = next {
                changed.push((
                    connection_id,
                    std::mem::replace(&mut connection.status, next),
                ));
                connection.status_since = now;
                connection.updated = now;
            }
            self.settle_accounts(connection_id);
        }
        Some(changed)
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
    pub(super) fn new_company(&mut self, id: Uuid, name: String, users: Vec<String>) -> Company {
        let today = self.today();
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
            document_ids: Vec::new(),
            usage_ids: Vec::new(),
            deleted_documents: 0,
            active: true,
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
                if let Some(connection) = self.connections.remove(&connection) {
                    for account in connection.accounts {
                        self.accounts.remove(&account.id);
                        for meter in account.meters {
                            self.meters.remove(&meter);
                        }
                    }
                }
            }
            for document in company.document_ids {
                self.documents.remove(&document);
            }
            for usage in company.usage_ids {
                self.usage.remove(&usage);
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
