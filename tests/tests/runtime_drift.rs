//! The client's run-time drift signal: the first time an open enum decodes a value it does not
//! know, one `tracing` warning per enum and value (its own test binary: the set of values already
//! reported is global to the process).

use nectar_api::types::{Connection, ConnectionStatus};

#[test]
fn an_unknown_enum_value_is_reported_once_per_enum_and_value() {
    let (subscriber, logs) = nectar_tests::logs::capture(tracing::Level::INFO);
    let example = std::fs::read_to_string(
        nectar_tests::examples_dir()
            .join("v2_get-an-utility-account-connection-details__response.json"),
    )
    .unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&example).unwrap();
    value["status"] = "SUSPENDED".into();
    value["accounts"] = serde_json::json!([{
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "meters": [], "isTracked": true,
        "isDuplicated": "false", "status": "ARCHIVED"
    }]);
    let json = value.to_string();
    tracing::dispatcher::with_default(&subscriber, || {
        for _ in 0..3 {
            let connection: Connection = serde_json::from_str(&json).unwrap();
            assert_eq!(
                connection.status,
                Some(ConnectionStatus::Unknown("SUSPENDED".to_owned()))
            );
        }
        // Built from a string by the caller (not decoded from Nectar): no warning.
        let _ = "NOT_FROM_NECTAR".parse::<ConnectionStatus>();
    });
    let logs = logs.text();
    let lines: Vec<&str> = logs.lines().collect();
    println!("{logs}");
    assert_eq!(lines.len(), 2, "one per enum and value: {logs}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ConnectionStatus") && l.contains("SUSPENDED"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("AccountStatus") && l.contains("ARCHIVED"))
    );
    assert!(!logs.contains("NOT_FROM_NECTAR"));
}
