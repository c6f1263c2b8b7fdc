//! Webhook event payloads. Nectar delivers them through Svix as the JSON body of a POST, with no
//! envelope: the body is the object, and `eventType` names the event.
//!
//! The payloads drifted between 2024 and 2025 (see the Svix catalog snapshots: accounts gained
//! and lost fields, `company`, `datasource` and `emails` disappeared from the v2 connection
//! events), so every field but the identity is optional here, and unknown fields are ignored.
//! No operation refers to these schemas; they are components so that they are generated, in the
//! spec, and in the drift snapshots.

#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::NaiveDate;
use schemars::JsonSchema;
use uuid::Uuid;

use crate::{
    api::account::DuplicateFlag,
    api::common::{ConnectionStatus, Country, DatasourceType},
    api::connection::{ConnectionCompany, ConnectionDatasource},
    dsl::operation::Api,
    dsl::schema::{Decimal, Optional, WebhookTimestamp},
};

/// Payload of `connection.created.v2` and `connection.validated.v2` (and of the legacy
/// `connection.created` and `connection.validated`): the connection, in the shape the REST
/// Connection converges to. Timestamps carry no offset (UTC) and up to nine fractional digits.
///
/// Webhook payload: no operation refers to it (Nectar sends it to your endpoint; nothing
/// requests it), so it is an unused component on purpose: it is in the spec so that its type is
/// generated, snapshotted and checked like every other.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionEvent {
    /// Identifier of the connection.
    id: Uuid,
    /// The event's name, e.g. `connection.created.v2`.
    event_type: Optional<String>,
    /// When the connection was created, in UTC, without an offset (as webhook payloads write
    /// it).
    created: Optional<WebhookTimestamp>,
    /// When it last changed, in UTC, without an offset.
    updated: Optional<WebhookTimestamp>,
    /// Its status.
    status: Optional<ConnectionStatus>,
    /// Country of the provider.
    country: Optional<Country>,
    /// URL of the provider's login page.
    url: Option<String>,
    /// Username on the provider's portal.
    username: Option<String>,
    /// The data owner's e-mail.
    workflow_owner_email: Option<String>,
    /// Earliest date data is collected from.
    data_collection_start_date: Option<NaiveDate>,
    /// Whether usage is multiplied by the site's occupancy.
    multiply_by_occupancy: Optional<bool>,
    /// Sites chosen when the connection was created.
    initial_sites: Optional<Vec<Uuid>>,
    /// Datasource types chosen when the connection was created.
    initial_datasource_types: Optional<Vec<DatasourceType>>,
    /// The accounts found on the portal.
    accounts: Optional<Vec<ConnectionEventAccount>>,
    /// The company (payloads before late 2025 only).
    company: Optional<ConnectionCompany>,
    /// The provider (payloads before late 2025 only).
    datasource: Optional<ConnectionDatasource>,
    /// Notification e-mails (payloads before late 2025 only).
    emails: Optional<Vec<String>>,
}

/// An account inside a connection event. Older payloads carry `startDate`/`endDate` and no id.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionEventAccount {
    /// Identifier of the account (payloads from mid 2025).
    id: Optional<Uuid>,
    /// The provider's account number.
    account_number: Optional<String>,
    /// The account's meters.
    meters: Optional<Vec<Uuid>>,
    /// Legacy tracking flag.
    is_tracked: Optional<bool>,
    /// Whether it duplicates another account (a boolean in 2025-05..07 payloads, a string later).
    is_duplicated: Optional<DuplicateFlag>,
    /// Datasource types of its meters, as sent.
    datasource_types: Optional<Vec<String>>,
    /// Earliest date data is collected from.
    data_collection_start_date: Option<NaiveDate>,
    /// Whether invoice data is collected.
    is_collecting_invoice_data: Optional<bool>,
    /// Whether smart-meter data is collected.
    is_collecting_smart_meter_data: Optional<bool>,
    /// The date the provider closed the account.
    last_service_date: Option<NaiveDate>,
    /// Start of the collected period (payloads of 2025-04/05).
    start_date: Option<NaiveDate>,
    /// End of the collected period (payloads of 2025-04/05).
    end_date: Option<NaiveDate>,
}

/// Payload of `connection.updated.v2` (and legacy `connection.updated`): the connection after
/// the change, which fields changed, and their previous values.
///
/// Webhook payload: no operation refers to it (Nectar sends it to your endpoint; nothing
/// requests it), so it is an unused component on purpose: it is in the spec so that its type is
/// generated, snapshotted and checked like every other.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionUpdatedEvent {
    #[serde(flatten)]
    connection: ConnectionEvent,
    /// Names of the fields that changed, e.g. `["status"]`.
    protected_changes: Optional<Vec<String>>,
    /// The previous values of the changed fields.
    old: Optional<ConnectionChanges>,
}

/// Previous values in `connection.updated.v2`: only the fields that changed are present.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionChanges {
    /// The previous status, when the status changed.
    status: Optional<ConnectionStatus>,
    /// Every other previous value, as sent.
    #[serde(flatten)]
    other: BTreeMap<String, serde_json::Value>,
}

/// Payload of `document.created.v2`, `document.deleted.v2` (and legacy `document.created`): a
/// bill. The v2.2 document schema is documented only in part; the fields below are typed, every
/// other field is kept as sent (in `extra`).
///
/// Webhook payload: no operation refers to it (Nectar sends it to your endpoint; nothing
/// requests it), so it is an unused component on purpose: it is in the spec so that its type is
/// generated, snapshotted and checked like every other.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentEvent {
    /// Identifier of the document.
    id: Optional<Uuid>,
    /// The event's name, e.g. `document.created.v2`.
    event_type: Optional<String>,
    /// When the document was created, in UTC, without an offset (as webhook payloads write it).
    created: Optional<WebhookTimestamp>,
    /// When it last changed, in UTC, without an offset.
    updated: Optional<WebhookTimestamp>,
    /// End date of the billing period.
    bill_date: Option<NaiveDate>,
    /// Payment due date.
    due_date: Option<NaiveDate>,
    /// Currency of the charges, e.g. `USD`.
    charges_units: Option<String>,
    /// Total amount due, as a decimal string.
    total_charges: Option<Decimal>,
    /// Name of the uploaded file.
    file_name: Option<String>,
    /// Every other field, as sent, in `extra` (`company` is an id in v2 payloads and an object in legacy
    /// ones; `usageData` and `lineItems` are kept here).
    #[serde(flatten)]
    other: BTreeMap<String, serde_json::Value>,
}

/// Payload of `document.updated.v2`: the document after the change, and the previous values.
///
/// Webhook payload: no operation refers to it (Nectar sends it to your endpoint; nothing
/// requests it), so it is an unused component on purpose: it is in the spec so that its type is
/// generated, snapshotted and checked like every other.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentUpdatedEvent {
    #[serde(flatten)]
    document: DocumentEvent,
    /// The previous values of the changed fields, as sent.
    old: Optional<BTreeMap<String, serde_json::Value>>,
}

pub(crate) fn register(api: &mut Api) {
    api.component::<ConnectionEvent>();
    api.component::<ConnectionUpdatedEvent>();
    api.component::<DocumentEvent>();
    api.component::<DocumentUpdatedEvent>();
}
