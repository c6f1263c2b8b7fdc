//! Sites: the emulator's records and the site operations.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{Failure, Store};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Site {
    pub(super) id: Uuid,
    #[serde(skip)]
    pub(super) company_id: Uuid,
    pub(super) name: String,
    pub(super) data_collection_stop_date: Option<NaiveDate>,
    pub(super) external_id: Option<String>,
    pub(super) address: String,
    pub(super) path: Vec<String>,
    pub(super) occupancy_percent: Option<String>,
}

impl Site {
    /// An active site with only a name.
    pub(super) fn new(id: Uuid, company_id: Uuid, name: String) -> Self {
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

impl Store {
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
