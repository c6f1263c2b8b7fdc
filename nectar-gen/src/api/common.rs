//! Shared schemas: the one error body and the enums used across resources.

use schemars::JsonSchema;

use crate::dsl::enums::documented_enum;

/// The body of every documented error response (400, 401, 403, 404).
///
/// Nectar answers errors as a JSON object with a human-readable `detail`; no error-code enum is
/// documented. 429 and 5xx answers are not documented with a body (a gateway may answer them with
/// HTML), so the client reports them by status alone.
#[allow(dead_code)]
#[derive(JsonSchema)]
pub struct ApiError {
    /// What went wrong, in words, e.g. "Company not found." or which field is invalid.
    detail: String,
}

documented_enum! {
    /// Status of a utility account connection (12 documented values, in the order of the API
    /// reference). The connection-status guide groups them: healthy (`PENDING`, `CONNECTED`,
    /// `UNDER_INVESTIGATION`), credential errors that need the end user (`PASSWORD_INCORRECT`,
    /// `MFA_TOKEN_EXPIRED`, `NEW_PASSWORD_NEEDED`, `ADDITIONAL_CREDENTIALS_NEEDED`), provider errors
    /// that Nectar retries on its weekly check (`WEBSITE_DOWN`, `URL_INACCESSIBLE`,
    /// `NO_ACCOUNTS_FOUND`, `OTHER_ERROR`), and the system status `COMPANY_INACTIVE`.
    ///
    /// The sandbox guides call the wrong-credentials status `INCORRECT_PASSWORD`; that value is
    /// not in the API's enum, and the API reports `PASSWORD_INCORRECT`, which is what is listed.
    ConnectionStatus {
        "PENDING" => "Just created; waiting for Nectar's first check, which usually runs within a few days.",
        "UNDER_INVESTIGATION" => "Nectar's team is reviewing this connection; wait, or ask support.",
        "CONNECTED" => "Nectar can log in and collects data on its weekly schedule.",
        "MFA_TOKEN_EXPIRED" => "The provider asks for a multi-factor challenge; the end user must complete it interactively.",
        "PASSWORD_INCORRECT" => "The provider rejected the stored credentials; the end user must supply the new password.",
        "NEW_PASSWORD_NEEDED" => "The provider forces a password reset; the end user must reset it there, then update Nectar.",
        "ADDITIONAL_CREDENTIALS_NEEDED" => "The provider asks for more verification (security questions, PIN); the end user must supply it.",
        "WEBSITE_DOWN" => "The provider's website is down; Nectar retries on its next weekly check.",
        "NO_ACCOUNTS_FOUND" => "Nectar logged in but found no utility accounts; may resolve on the next check.",
        "OTHER_ERROR" => "An unexpected problem; may resolve on retry, otherwise contact support.",
        "COMPANY_INACTIVE" => "The parent company is deactivated, so its connections stop running; contact support.",
        "URL_INACCESSIBLE" => "The provider URL cannot be reached (moved or changed domain); Nectar retries.",
    }
}

documented_enum! {
    /// Status of one utility account found on a connection (12 values, from the
    /// connection-status guide). `OLD_ACCOUNT`, `DUPLICATE` and `CUSTOMER_NOT_TRACKED` are
    /// terminal: Nectar does not check such accounts again.
    AccountStatus {
        "DETECTED" => "Discovered on the provider's website, not yet confirmed.",
        "ONBOARDED" => "Confirmed and actively tracked.",
        "PULL_COMPLETED" => "Data was collected and processed.",
        "NO_DOCUMENTS_FOUND" => "No bills were found for this account.",
        "PDF_DOWNLOAD_FAILED" => "Bills exist but could not be downloaded.",
        "ACCOUNT_NOT_FOUND" => "The account is no longer visible on the provider's website.",
        "WORKFLOW_NOT_ACCESSIBLE" => "The parent connection has a problem (for example a wrong password).",
        "OTHER_ERROR" => "An unexpected error during collection.",
        "OLD_ACCOUNT" => "The account is closed; no new data is expected (terminal).",
        "DUPLICATE" => "Duplicates another tracked account (terminal).",
        "CUSTOMER_NOT_TRACKED" => "You chose not to track this account (terminal).",
        "COMPANY_INACTIVE" => "The parent company is deactivated.",
    }
}

documented_enum! {
    /// Whether an account is tracked, as decided by you (v2.2). `DISABLED` stops collection and
    /// the account's status becomes `CUSTOMER_NOT_TRACKED`.
    TrackingStatus {
        "ENABLED" => "The account is actively tracked.",
        "DISABLED" => "Tracking was turned off.",
        "UNSET" => "No tracking decision has been made yet (treated as tracked by the legacy `isTracked`).",
    }
}

documented_enum! {
    /// Kind of utility data (10 values, in the order of the API reference). The filtering guide
    /// lists a different "commodity" list (with `SEWER`, `STEAM`, ...); the API's enum is this one.
    DatasourceType {
        "ELECTRICITY" => "Electricity.",
        "GAS" => "Gas.",
        "WATER" => "Water.",
        "DISTRICT" => "District energy (steam, chilled water, hot water).",
        "WASTE" => "Waste.",
        "FUEL" => "Fuel.",
        "MISC" => "Miscellaneous.",
        "REFRIGERANT" => "Refrigerant.",
        "SOLAR" => "Solar.",
        "TELECOM" => "Telecom.",
    }
}

documented_enum! {
    /// Country of a utility provider: an ISO 3166-1 alpha-2 code. The 249 values are the API
    /// reference's list, in its order (by country name, so `AF` first); a code missing here still
    /// decodes, as `Unknown`.
    Country [
        "AF", "AL", "DZ", "AS", "AD", "AO", "AI", "AQ", "AG", "AR", "AM", "AW", "AU", "AT", "AZ", "BS",
        "BH", "BD", "BB", "BY", "BE", "BZ", "BJ", "BM", "BT", "BO", "BQ", "BA", "BW", "BV", "BR", "IO",
        "BN", "BG", "BF", "BI", "KH", "CM", "CA", "CV", "KY", "CF", "TD", "CL", "CN", "CX", "CC", "CO",
        "KM", "CG", "CD", "CK", "CR", "HR", "CU", "CW", "CY", "CZ", "CI", "DK", "DJ", "DM", "DO", "EC",
        "EG", "SV", "GQ", "ER", "EE", "ET", "FK", "FO", "FJ", "FI", "FR", "GF", "PF", "TF", "GA", "GM",
        "GE", "DE", "GH", "GI", "GR", "GL", "GD", "GP", "GU", "GT", "GG", "GN", "GW", "GY", "HT", "HM",
        "VA", "HN", "HK", "HU", "IS", "IN", "ID", "IR", "IQ", "IE", "IM", "IL", "IT", "JM", "JP", "JE",
        "JO", "KZ", "KE", "KI", "KP", "KR", "KW", "KG", "LA", "LV", "LB", "LS", "LR", "LY", "LI", "LT",
        "LU", "MO", "MK", "MG", "MW", "MY", "MV", "ML", "MT", "MH", "MQ", "MR", "MU", "YT", "MX", "FM",
        "MD", "MC", "MN", "ME", "MS", "MA", "MZ", "MM", "NA", "NR", "NP", "NL", "NC", "NZ", "NI", "NE",
        "NG", "NU", "NF", "MP", "NO", "OM", "PK", "PW", "PS", "PA", "PG", "PY", "PE", "PH", "PN", "PL",
        "PT", "PR", "QA", "RO", "RU", "RW", "RE", "BL", "SH", "KN", "LC", "MF", "PM", "VC", "WS", "SM",
        "ST", "SA", "SN", "RS", "SC", "SL", "SG", "SX", "SK", "SI", "SB", "SO", "ZA", "GS", "SS", "ES",
        "LK", "SD", "SR", "SJ", "SZ", "SE", "CH", "SY", "TW", "TJ", "TZ", "TH", "TL", "TG", "TK", "TO",
        "TT", "TN", "TR", "TM", "TC", "TV", "UG", "UA", "AE", "GB", "US", "UM", "UY", "UZ", "VU", "VE",
        "VN", "VG", "VI", "WF", "EH", "YE", "ZM", "ZW", "AX",
    ]
}

documented_enum! {
    /// Which date of a document or usage row `startDate` and `endDate` filter on. Both bounds are
    /// inclusive; `USAGE_PERIOD` matches periods that overlap the range; `CREATED_DATE` and
    /// `UPDATED_DATE` compare the UTC day (the time is truncated to 00:00:00).
    DateType {
        "USAGE_PERIOD" => "The usage period (start to end date) overlaps the range.",
        "BILL_DATE" => "The bill date (the last day of the billing period) is in the range.",
        "CREATED_DATE" => "The day (UTC) the object was created in Nectar is in the range.",
        "UPDATED_DATE" => "The day (UTC) the object last changed in Nectar is in the range.",
    }
}

documented_enum! {
    /// Type of a meter identifier (`Identifier.name`), from the meter-organization guide (its
    /// list is cut short there; other values decode as `Unknown`).
    IdentifierType {
        "METER" => "Meter serial number.",
        "ACCOUNT" => "Utility account number.",
        "POD" => "Point of delivery (EU, UK).",
        "NMI" => "National Metering Identifier (Australia).",
        "ESI" => "Electric Service Identifier (Texas).",
        "ELECTRIC_CHOICE" => "Electric-choice identifier.",
        "PREMISE" => "Premise number.",
        "MPR" => "Meter Point Reference (UK gas).",
        "ICP" => "Installation Control Point (New Zealand).",
        "MIRN" => "Meter Installation Registration Number (Australian gas).",
    }
}

// The value enums below are documented only in part: the API reference's generated examples show
// their first value, the guides a few more. They are open: every other value decodes as
// `Unknown(..)` and serializes back unchanged.

documented_enum! {
    /// Unit of a usage quantity (`usageUnits`). The reference's examples show `J` (usage data)
    /// and `Wh` (the v2.0 time-of-use breakdown); the full list is not published.
    UsageUnits {
        "J" => "Joules.",
        "Wh" => "Watt-hours.",
    }
}

documented_enum! {
    /// Time-of-use period of electricity usage (only `PEAK` is shown by the reference).
    TimeOfUse {
        "PEAK" => "Peak hours.",
    }
}

documented_enum! {
    /// Net-metering direction. The reference shows `EXPORT`; the data-model guide's table shows
    /// a value beginning `IMPOR`, taken as `IMPORT`.
    NetMeteringType {
        "EXPORT" => "Energy exported to the grid.",
        "IMPORT" => "Energy imported from the grid.",
    }
}

documented_enum! {
    /// Kind of water (only `POTABLE_WATER` is shown by the reference).
    WaterType {
        "POTABLE_WATER" => "Drinking water.",
    }
}

documented_enum! {
    /// High or low side of a meter pair (only `HIGH` is shown by the reference).
    MeterHighLow {
        "HIGH" => "The high side.",
    }
}

documented_enum! {
    /// Kind of gas (only `NATURAL_GAS` is shown by the reference).
    GasType {
        "NATURAL_GAS" => "Natural gas.",
    }
}

documented_enum! {
    /// Kind of fuel (only `ANTHRACITE_COAL` is shown by the reference).
    FuelType {
        "ANTHRACITE_COAL" => "Anthracite coal.",
    }
}

documented_enum! {
    /// Kind of district energy (only `HEATING` is shown by the reference).
    DistrictType {
        "HEATING" => "District heating.",
    }
}

documented_enum! {
    /// Medium of district energy (only `HOT_WATER` is shown by the reference).
    DistrictMediumType {
        "HOT_WATER" => "Hot water.",
    }
}

documented_enum! {
    /// Refrigerant (only `R11` is shown by the reference).
    RefrigerantType {
        "R11" => "Trichlorofluoromethane (CFC-11).",
    }
}

documented_enum! {
    /// What an electricity usage row measures (v2.1 and later; only `USAGE` is shown).
    ElectricityType {
        "USAGE" => "Energy used.",
    }
}

documented_enum! {
    /// Currency of a document's charges (`chargesUnits`; only `USD` is shown by the reference).
    Currency {
        "USD" => "US dollar.",
    }
}

documented_enum! {
    /// How a bill entered Nectar (only `INVOICE` is shown by the reference; the glossary names
    /// automated connections, manual uploads and manual entry).
    SourceType {
        "INVOICE" => "An invoice.",
    }
}

documented_enum! {
    /// Kind of a line item's charge (only `TAX` is shown by the reference).
    ChargeType {
        "TAX" => "A tax.",
    }
}

documented_enum! {
    /// Kind of an electricity charge (only `SUPPLY` is shown by the reference).
    ElectricityChargeType {
        "SUPPLY" => "Supply (generation) charge.",
    }
}

documented_enum! {
    /// Kind of a gas charge (only `SUPPLY` is shown by the reference).
    GasChargeType {
        "SUPPLY" => "Supply charge.",
    }
}

documented_enum! {
    /// Which billing period a line item belongs to (only `CURRENT` is shown by the reference).
    BillingPeriod {
        "CURRENT" => "The bill's own period.",
    }
}
