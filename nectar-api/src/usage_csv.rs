//! Usage rows as flat records, for CSV exports: the one set of columns the `usage_export`
//! example and `nectar usage export` write.

use crate::types::UsageData;

impl UsageData {
    /// The columns of [`UsageData::csv_record`], in order.
    pub const CSV_COLUMNS: [&'static str; 13] = [
        "id",
        "site_id",
        "site_name",
        "meter_id",
        "meter_number",
        "datasource_type",
        "start_date",
        "end_date",
        "usage",
        "usage_units",
        "is_estimated",
        "document_id",
        "bill_date",
    ];

    /// The row as text cells under [`UsageData::CSV_COLUMNS`]: the meter number is the
    /// identifier named `METER`; decimals exactly as Nectar sent them (no float on the way);
    /// an absent value is an empty cell.
    ///
    /// ```
    /// let row: nectar_api::types::UsageData = serde_json::from_str(r#"{
    ///     "id": "r1", "created": "2025-02-01T00:00:00Z", "datasourceType": "ELECTRICITY",
    ///     "startDate": "2025-01-01", "endDate": "2025-01-31", "usage": "6201.8630",
    ///     "usageUnits": "kWh"
    /// }"#).unwrap();
    /// let record = row.csv_record();
    /// assert_eq!(record[8], "6201.8630");
    /// assert_eq!(record.len(), nectar_api::types::UsageData::CSV_COLUMNS.len());
    /// ```
    pub fn csv_record(&self) -> [String; 13] {
        let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
        let meter_number = self
            .identifiers
            .iter()
            .flatten()
            .find(|i| i.name.as_str() == "METER")
            .map(|i| i.value.as_str());
        [
            self.id.clone(),
            self.site
                .as_ref()
                .map(|s| s.id.to_string())
                .unwrap_or_default(),
            text(self.site.as_ref().map(|s| s.name.as_str())),
            text(self.meter.as_deref()),
            text(meter_number),
            self.datasource_type.to_string(),
            self.start_date.to_string(),
            self.end_date.to_string(),
            text(self.usage.as_ref().map(|u| u.as_str())),
            text(self.usage_units.as_ref().map(|u| u.as_str())),
            self.is_estimated.map(|e| e.to_string()).unwrap_or_default(),
            self.document
                .as_ref()
                .map(|d| d.id.to_string())
                .unwrap_or_default(),
            self.document
                .as_ref()
                .and_then(|d| d.bill_date)
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ]
    }
}
