//! Meters: what Nectar reads usage from. A meter belongs to a site and usually to an account, and
//! is known by its identifiers (meter numbers, account numbers, ...).
//!
//! Only `GET /meter/{meter_id}` is documented. The pagination guide says meter list endpoints
//! exist (items `meters`, total `totalMeters`), but no page gives their paths, so they are not
//! modelled (see ARCHITECTURE.md, "documented but not modelled").

#![allow(dead_code)]

use schemars::JsonSchema;
use uuid::Uuid;

use crate::api::ids::MeterPath;
use crate::{
    api::common::{
        DatasourceType, DistrictMediumType, DistrictType, FuelType, GasType, IdentifierType,
        MeterHighLow, NetMeteringType, RefrigerantType, TimeOfUse, WaterType,
    },
    dsl::operation::{Api, Method},
};

const TAG: &str = "meters";

/// One identifier of a meter: its value as written on the bill and its normalised type.
///
/// Identifier filters (`identifier=` on the document and usage lists) compare values normalised
/// the same way: `-`, spaces, `_`, `,` and `/` removed, leading zeros stripped, upper case
/// (`013-774-6423` = `0137746423` = `137746423`).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Identifier {
    /// The label as found on the bill, e.g. `Meter Number`.
    raw_name: String,
    /// The identifier as written on the bill, e.g. `013-774-6423`.
    value: String,
    /// The normalised identifier type.
    name: IdentifierType,
}

/// The classification fields a meter and its usage rows share. Which ones are set depends on
/// the datasource type (`gasType` for gas, `timeOfUse` for electricity, ...); the others are
/// absent or `null`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeterClassification {
    /// \[ELECTRICITY\] Time-of-use period.
    time_of_use: Option<TimeOfUse>,
    /// Net-metering direction.
    net_metering_type: Option<NetMeteringType>,
    /// \[WATER\] Kind of water.
    water_type: Option<WaterType>,
    /// High or low side of a meter pair.
    meter_high_low: Option<MeterHighLow>,
    /// \[GAS\] Kind of gas.
    gas_type: Option<GasType>,
    /// \[FUEL\] Kind of fuel.
    fuel_type: Option<FuelType>,
    /// \[DISTRICT\] Kind of district energy.
    district_type: Option<DistrictType>,
    /// \[DISTRICT\] Medium of district energy.
    district_medium_type: Option<DistrictMediumType>,
    /// \[WASTE\] Description of the waste.
    waste_description: Option<String>,
    /// \[REFRIGERANT\] Refrigerant.
    refrigerant_type: Option<RefrigerantType>,
}

/// A meter.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Meter {
    /// Identifier of the meter (the reference describes it, by a copy-paste slip, as "UUID of
    /// the meter site usage data entry").
    id: Uuid,
    /// The site the meter belongs to.
    site: Uuid,
    /// Meter numbers, account numbers and other identifiers found on its bills.
    identifiers: Vec<Identifier>,
    /// Kind of utility data the meter measures.
    datasource_type: DatasourceType,
    /// The account the meter belongs to, when known.
    account: Option<Uuid>,
    /// Service address of the meter.
    address: Option<String>,
    #[serde(flatten)]
    classification: MeterClassification,
    /// \[WASTE\] Waste type (a uuid here; a plain string in usage data).
    waste_type: Option<Uuid>,
    /// \[WASTE\] Waste stream (a uuid here; a plain string in usage data).
    waste_stream: Option<Uuid>,
    /// Whether Nectar tracks (collects data for) the meter; follows its account unless changed.
    is_tracked: Option<bool>,
}

pub(crate) fn register(api: &mut Api) {
    api.op(Method::Get, "/meter/{meter_id}", "get_meter")
        .docs("meters/get-meter-details")
        .tag(TAG)
        .summary("Get a meter")
        .description("One meter with its identifiers and classification.")
        .path_params::<MeterPath>()
        .response::<Meter>(200, "The meter.")
        .errors(&[400, 401, 403, 404])
        .add();
}
