//! Accounts: the individual utility accounts Nectar discovers on a connection. Only the schema is
//! in the spec so far (accounts are embedded in connections); the account operations are not.

#![allow(dead_code)]

use chrono::NaiveDate;
use schemars::JsonSchema;
use uuid::Uuid;

use crate::{
    common::{AccountStatus, TrackingStatus},
    schema::Optional,
};

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
