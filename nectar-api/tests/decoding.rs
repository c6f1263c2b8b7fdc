//! What users rely on when decoding: unknown enum values survive, timestamps decode in both
//! forms, secrets never show in debug output.

use nectar_api::types::{
    AccountStatus, Connection, ConnectionCreate, ConnectionStatus, Country, DatasourceType,
    TrackingStatus,
};

/// A connection as Nectar sends it, with `status` and `country` replaced.
fn connection_json(status: &str, country: &str) -> String {
    format!(
        r#"{{
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "created": "2023-11-07T05:31:56Z",
            "publicCompanyId": "pc_1",
            "statusLastUpdateTime": "2025-11-07T01:56:33.835384215",
            "statusFirstSeenTime": null,
            "statusErrorDetail": null,
            "status": "{status}",
            "country": "{country}",
            "accounts": [{{
                "id": "0b7a4c2e-1111-4b50-8888-8dd25736052a",
                "meters": [],
                "isTracked": true,
                "isDuplicated": false,
                "status": "ARCHIVED_BY_PROVIDER",
                "trackingStatus": "UNSET"
            }}]
        }}"#
    )
}

#[test]
fn an_unknown_status_decodes_as_unknown_and_round_trips() {
    let connection: Connection =
        serde_json::from_str(&connection_json("SUSPENDED", "XK")).expect("decodes");
    assert_eq!(
        connection.status,
        Some(ConnectionStatus::Unknown("SUSPENDED".to_owned()))
    );
    assert_eq!(connection.country, Some(Country::Unknown("XK".to_owned())));
    assert_eq!(
        connection.accounts[0].status,
        Some(AccountStatus::Unknown("ARCHIVED_BY_PROVIDER".to_owned()))
    );

    let back = serde_json::to_value(&connection).expect("serializes");
    assert_eq!(back["status"], "SUSPENDED");
    assert_eq!(back["country"], "XK");
    assert_eq!(back["accounts"][0]["status"], "ARCHIVED_BY_PROVIDER");
}

#[test]
fn known_values_decode_to_their_variants() {
    let connection: Connection =
        serde_json::from_str(&connection_json("PASSWORD_INCORRECT", "US")).expect("decodes");
    assert_eq!(connection.status, Some(ConnectionStatus::PasswordIncorrect));
    assert_eq!(connection.country, Some(Country::Us));
    assert_eq!(
        connection.accounts[0].tracking_status,
        Some(TrackingStatus::Unset)
    );
}

#[test]
fn every_documented_value_round_trips_through_its_variant() {
    fn check<T>(known: &[T])
    where
        T: std::fmt::Display + std::str::FromStr + PartialEq + std::fmt::Debug,
        T: serde::Serialize + serde::de::DeserializeOwned,
        <T as std::str::FromStr>::Err: std::fmt::Debug,
    {
        for value in known {
            let text = value.to_string();
            let json = serde_json::to_string(value).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), value);
            assert_eq!(&text.parse::<T>().unwrap(), value);
        }
    }
    check(&ConnectionStatus::KNOWN);
    check(&AccountStatus::KNOWN);
    check(&TrackingStatus::KNOWN);
    check(&DatasourceType::KNOWN);
    check(&Country::KNOWN);
    assert_eq!(ConnectionStatus::KNOWN.len(), 12);
    assert_eq!(AccountStatus::KNOWN.len(), 12);
    assert_eq!(TrackingStatus::KNOWN.len(), 3);
    assert_eq!(DatasourceType::KNOWN.len(), 10);
    assert_eq!(Country::KNOWN.len(), 249);
    assert!(ConnectionStatus::KNOWN.iter().all(|s| !s.is_unknown()));
    assert!(
        ConnectionStatus::KNOWN
            .iter()
            .all(|s| s.description().is_some())
    );
    assert_eq!(
        ConnectionStatus::Unknown("SUSPENDED".into()).description(),
        None
    );
    assert_eq!(
        Country::Us.description(),
        None,
        "country codes carry no meaning text"
    );
}

#[test]
fn webhook_style_timestamps_without_offset_decode_as_utc() {
    let connection: Connection =
        serde_json::from_str(&connection_json("CONNECTED", "US")).expect("decodes");
    let seen = connection.status_last_update_time.expect("set");
    assert_eq!(seen.to_string(), "2025-11-07T01:56:33.835384215Z");
    assert_eq!(connection.status_first_seen_time, None);
}

#[test]
fn a_bad_timestamp_fails_naming_the_value() {
    let json = connection_json("CONNECTED", "US").replace("2023-11-07T05:31:56Z", "07/11/2023");
    let error = serde_json::from_str::<Connection>(&json)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("invalid timestamp \"07/11/2023\""),
        "{error}"
    );
}

#[test]
fn the_password_never_shows_in_debug_output() {
    let body: ConnectionCreate = ConnectionCreate::builder()
        .url("https://nectarclimate.com")
        .username("nectar-sandbox-username")
        .password("nectar-sandbox-password")
        .initial_sites(vec![uuid::Uuid::nil()])
        .country(Country::Us)
        .try_into()
        .expect("a complete body");
    let debug = format!(
        "{body:?} {:?}",
        ConnectionCreate::builder().password("nectar-sandbox-password")
    );
    assert!(!debug.contains("nectar-sandbox-password"), "{debug}");
    assert!(debug.contains("Secret(\"***\")"), "{debug}");

    // On the wire, the password is sent as is.
    let json = serde_json::to_value(&body).unwrap();
    assert_eq!(json["password"], "nectar-sandbox-password");
}

#[test]
fn request_bodies_refuse_values_outside_documented_constraints() {
    let error = ConnectionCreate::builder()
        .url("")
        .username("u")
        .password("p")
        .initial_sites(vec![uuid::Uuid::nil()])
        .country(Country::Us)
        .try_into()
        .map(|_: ConnectionCreate| ())
        .expect_err("an empty url breaks minLength 1");
    assert!(error.to_string().contains("url"), "{error}");
}
