//! Meters: made with their account when a sandbox connection connects (see `sandbox_provider.rs`); read
//! through `GET /meter/{meter_id}`.

use nectar_api::types::DatasourceType;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{Failure, Store};

/// One identifier of a meter, serialized as the spec's `Identifier`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Identifier {
    pub(super) raw_name: &'static str,
    pub(super) value: String,
    pub(super) name: &'static str,
}

#[derive(Debug, Clone)]
pub(super) struct Meter {
    pub(super) id: Uuid,
    pub(super) company_id: Uuid,
    pub(super) site_id: Uuid,
    /// The account; `None` for meters of uploaded bills.
    pub(super) account_id: Option<Uuid>,
    pub(super) datasource_type: DatasourceType,
    pub(super) identifiers: Vec<Identifier>,
    /// The identifiers' values, normalised, for the `identifier` filter.
    pub(super) normalized: Vec<String>,
    pub(super) address: String,
    pub(super) is_tracked: bool,
}

/// A meter as `GET /meter/{meter_id}` answers it: the classification field of its datasource
/// type set, the others `null`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MeterView<'a> {
    id: Uuid,
    site: Uuid,
    identifiers: &'a [Identifier],
    datasource_type: &'a DatasourceType,
    account: Option<Uuid>,
    address: &'a str,
    time_of_use: Option<&'static str>,
    net_metering_type: Option<&'static str>,
    water_type: Option<&'static str>,
    meter_high_low: Option<&'static str>,
    gas_type: Option<&'static str>,
    fuel_type: Option<&'static str>,
    district_type: Option<&'static str>,
    district_medium_type: Option<&'static str>,
    waste_description: Option<&'static str>,
    waste_type: Option<Uuid>,
    waste_stream: Option<Uuid>,
    refrigerant_type: Option<&'static str>,
    is_tracked: bool,
}

impl Meter {
    /// `gasType` of a gas meter (the only classification the sandbox's kinds have).
    pub(super) fn gas_type(&self) -> Option<&'static str> {
        (self.datasource_type == DatasourceType::Gas).then_some("NATURAL_GAS")
    }

    /// `netMeteringType` of a solar meter.
    pub(super) fn net_metering_type(&self) -> Option<&'static str> {
        (self.datasource_type == DatasourceType::Solar).then_some("EXPORT")
    }
}

impl Store {
    pub fn get_meter(&self, user: &str, id: Uuid) -> Result<Value, Failure> {
        let meter = self
            .meters
            .get(&id)
            .ok_or_else(|| Failure::not_found("Meter"))?;
        self.company_for(user, meter.company_id, "meter")?;
        let view = MeterView {
            id: meter.id,
            site: meter.site_id,
            identifiers: &meter.identifiers,
            datasource_type: &meter.datasource_type,
            account: meter.account_id,
            address: &meter.address,
            time_of_use: None,
            net_metering_type: meter.net_metering_type(),
            water_type: None,
            meter_high_low: None,
            gas_type: meter.gas_type(),
            fuel_type: None,
            district_type: None,
            district_medium_type: None,
            waste_description: None,
            waste_type: None,
            waste_stream: None,
            refrigerant_type: None,
            is_tracked: meter.is_tracked,
        };
        Ok(serde_json::to_value(view).unwrap_or(Value::Null))
    }
}
