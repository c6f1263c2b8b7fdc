//! Accounts: found on a connection when it connects (see `sandbox_provider.rs`), kept inside the connection,
//! and tracked or not through `PATCH /account/{account_id}`.

use chrono::NaiveDate;
use nectar_api::types::{AccountStatus, DatasourceType, TrackingStatus};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{Failure, Store};

/// An account, serialized as the REST Account schema.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Account {
    pub(super) id: Uuid,
    pub(super) meters: Vec<Uuid>,
    pub(super) is_tracked: bool,
    /// A string, as the REST reference types it.
    pub(super) is_duplicated: &'static str,
    pub(super) account_number: String,
    pub(super) tracking_status: TrackingStatus,
    pub(super) status: AccountStatus,
    pub(super) data_collection_start_date: Option<NaiveDate>,
    pub(super) is_collecting_invoice_data: bool,
    pub(super) is_collecting_smart_meter_data: bool,
    pub(super) datasource_types: Vec<DatasourceType>,
}

impl Account {
    /// An account just found on a provider's website: `DETECTED`, no tracking decision yet.
    pub(super) fn found(
        id: Uuid,
        meters: Vec<Uuid>,
        account_number: String,
        datasource_types: Vec<DatasourceType>,
    ) -> Self {
        Self {
            id,
            meters,
            is_tracked: true,
            is_duplicated: "false",
            account_number,
            tracking_status: TrackingStatus::Unset,
            status: AccountStatus::Detected,
            data_collection_start_date: None,
            is_collecting_invoice_data: true,
            is_collecting_smart_meter_data: false,
            datasource_types,
        }
    }

    /// Tracks the account, or stops tracking it: `isTracked`, `trackingStatus` and the status
    /// move together, as Nectar documents (`DISABLED` makes the status `CUSTOMER_NOT_TRACKED`).
    pub(super) fn set_tracked(&mut self, tracked: bool) {
        self.is_tracked = tracked;
        if tracked {
            self.tracking_status = TrackingStatus::Enabled;
            self.status = AccountStatus::Onboarded;
        } else {
            self.tracking_status = TrackingStatus::Disabled;
            self.status = AccountStatus::CustomerNotTracked;
        }
    }
}

impl Store {
    /// `PATCH /account/{account_id}`: `isTracked` on or off; the meters follow unless
    /// `updateMeters` is `false`. The id is a plain string in the reference: one that is not a
    /// known account (uuid or not) is a 404.
    pub fn update_account(&mut self, user: &str, id: &str, body: &Value) -> Result<Value, Failure> {
        let not_found = || Failure::not_found("Account");
        let account_id: Uuid = id.parse().map_err(|_| not_found())?;
        let connection_id = *self.accounts.get(&account_id).ok_or_else(not_found)?;
        self.connection(user, connection_id)?;
        let tracked = body
            .get("isTracked")
            .and_then(Value::as_bool)
            .ok_or_else(|| Failure::bad_request("isTracked: this field is required."))?;
        let update_meters = body
            .get("updateMeters")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let connection = self
            .connections
            .get_mut(&connection_id)
            .ok_or_else(not_found)?;
        let account = connection
            .accounts
            .iter_mut()
            .find(|a| a.id == account_id)
            .ok_or_else(not_found)?;
        account.set_tracked(tracked);
        let view = serde_json::to_value(&*account).unwrap_or(Value::Null);
        if update_meters {
            for meter in account.meters.clone() {
                if let Some(meter) = self.meters.get_mut(&meter) {
                    meter.is_tracked = tracked;
                }
            }
        }
        Ok(view)
    }
}
