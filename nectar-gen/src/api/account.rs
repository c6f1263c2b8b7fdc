//! Accounts: the individual utility accounts Nectar discovers on a connection (embedded in
//! connections), and the one documented account operation: tracking on or off.
//!
//! The bulk update ("Bulk update accounts for a company") is documented without a path, method
//! or body, so it is not modelled (see ARCHITECTURE.md, "documented but not modelled").

#![allow(dead_code)]

use chrono::NaiveDate;
use schemars::JsonSchema;
use uuid::Uuid;

use crate::api::ids::AccountPath;
use crate::{
    api::common::{AccountStatus, TrackingStatus},
    dsl::operation::{Api, Method},
    dsl::schema::Optional,
};

const TAG: &str = "accounts";

/// A utility account found on a connection.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Identifier of the account.
    id: Uuid,
    /// Identifiers of the account's meters. Meters follow the account's tracking unless told
    /// otherwise.
    meters: Vec<Uuid>,
    /// Legacy tracking flag; `trackingStatus` supersedes it (`UNSET` counts as tracked).
    is_tracked: bool,
    /// Whether the account duplicates another one. Typed as a string by the REST reference; the
    /// webhook payloads of 2025 send a boolean, so both are accepted.
    is_duplicated: DuplicateFlag,
    /// The provider's account number; blank when the provider has none.
    #[schemars(length(max = 200))]
    account_number: Optional<String>,
    /// Your tracking decision (v2.2).
    tracking_status: Optional<TrackingStatus>,
    /// Collection status of the account. The v2 reference example does not show it; the
    /// connection-status guide documents the values. Absent when Nectar does not send it.
    status: Optional<AccountStatus>,
    /// Earliest date data is collected from; overrides the site, company and connection values.
    data_collection_start_date: Option<NaiveDate>,
    /// Whether invoice data is collected (weekly granularity at most).
    is_collecting_invoice_data: Optional<bool>,
    /// Whether smart-meter data is collected (daily granularity at most).
    is_collecting_smart_meter_data: Optional<bool>,
    /// The distinct datasource types of the account's meters, as sent (typed as plain strings by
    /// the reference).
    datasource_types: Optional<Vec<String>>,
    /// The date the provider closed the account (end of its last reading).
    last_service_date: Optional<NaiveDate>,
}

/// `isDuplicated`: a string in the REST reference, a boolean in recent webhook payloads.
#[derive(JsonSchema)]
#[serde(untagged)]
pub enum DuplicateFlag {
    /// As typed by the REST reference.
    Text(String),
    /// As sent in webhook payloads.
    Flag(bool),
}

/// Body of `PATCH /account/{account_id}`: the only change the API allows is tracking on or off.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountUpdate {
    /// `false` stops collection: `trackingStatus` becomes `DISABLED` and the account's status
    /// `CUSTOMER_NOT_TRACKED`. `true` tracks it again (`ENABLED`).
    is_tracked: bool,
    /// Whether the account's meters follow the change (server default `true`).
    update_meters: Optional<bool>,
}

pub(crate) fn register(api: &mut Api) {
    api.op(Method::Patch, "/account/{account_id}", "update_account")
        .docs("accounts/update-an-account")
        .tag(TAG)
        .summary("Track or untrack an account")
        .description(
            "
            Turns tracking of one account on or off (the legacy `isTracked` flag is the only
            field this operation changes). Untracking stops data collection; the account's
            meters follow unless `updateMeters` is `false`.
            ",
        )
        .path_params::<AccountPath>()
        .body::<AccountUpdate>("The tracking decision.")
        .response::<Account>(200, "The updated account.")
        .errors(&[400, 401, 403, 404])
        .add();
}
