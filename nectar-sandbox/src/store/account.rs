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
    /// The account's own status while `status` shows one its connection or company imposes
    /// (`WORKFLOW_NOT_ACCESSIBLE`, `COMPANY_INACTIVE`); see [`Store::settle_accounts`].
    #[serde(skip)]
    pub(super) own_status: Option<AccountStatus>,
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
            own_status: None,
        }
    }

    /// Shows `imposed` (or the account's own status again, for `None`), keeping the own status
    /// to come back to. Terminal statuses (closed, duplicate, not tracked) stay as they are.
    fn show(&mut self, imposed: Option<AccountStatus>) {
        let own = self
            .own_status
            .take()
            .unwrap_or_else(|| self.status.clone());
        match imposed {
            Some(status) if own.category() != nectar_api::status::AccountCategory::Terminal => {
                self.status = status;
                self.own_status = Some(own);
            }
            _ => self.status = own,
        }
    }

    /// Tracks the account, or stops tracking it: `isTracked`, `trackingStatus` and the status
    /// move together, as Nectar documents (`DISABLED` makes the status `CUSTOMER_NOT_TRACKED`).
    pub(super) fn set_tracked(&mut self, tracked: bool) {
        self.is_tracked = tracked;
        let own = if tracked {
            self.tracking_status = TrackingStatus::Enabled;
            AccountStatus::Onboarded
        } else {
            self.tracking_status = TrackingStatus::Disabled;
            AccountStatus::CustomerNotTracked
        };
        // While a status is imposed, the own status changes underneath it.
        match &mut self.own_status {
            Some(held) => *held = own,
            None => self.status = own,
        }
    }
}

impl Store {
    /// Sets the statuses a connection's accounts show from the connection and its company, as
    /// the account-status guide documents: `COMPANY_INACTIVE` while the company is deactivated;
    /// `WORKFLOW_NOT_ACCESSIBLE` ("the parent connection has an issue, e.g. password incorrect")
    /// while the connection has a credential error; otherwise the account's own status again.
    /// Called wherever a connection's status or a company's activity changes.
    pub(super) fn settle_accounts(&mut self, connection_id: Uuid) {
        let Some(connection) = self.connections.get(&connection_id) else {
            return;
        };
        let active = self
            .companies
            .get(&connection.company_id)
            .is_none_or(|company| company.active);
        let imposed = if !active {
            Some(AccountStatus::CompanyInactive)
        } else if connection.status.requires_user_action() {
            Some(AccountStatus::WorkflowNotAccessible)
        } else {
            None
        };
        if let Some(connection) = self.connections.get_mut(&connection_id) {
            for account in &mut connection.accounts {
                account.show(imposed.clone());
            }
        }
    }

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
