//! Shared schemas: the one error body and the enums used across resources.

use schemars::JsonSchema;

use crate::open_enum::documented_enum;

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
