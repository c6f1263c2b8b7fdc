//! `cargo xtask drift` against the emulator and against the documentation's webhook examples:
//! the emulator's answers to every read-only operation conform to the spec; the examples' drift
//! is reported by schema and path.

use std::time::Duration;

use nectar_gen::drift::{self, Kind};
use nectar_sandbox::{SANDBOX_PASSWORD, Sandbox, flows};
use nectar_tests::bench::{client_runtime, server_runtime};

#[test]
fn the_emulator_answers_every_read_without_drift() {
    let server = server_runtime();
    let sandbox = server
        .block_on(
            Sandbox::builder()
                .validation_delay(Duration::from_millis(20))
                .start(),
        )
        .unwrap();
    server
        .block_on(async {
            let client = sandbox.client();
            let (company, _, connection) =
                flows::sandbox_connection(&client, 3, SANDBOX_PASSWORD).await?;
            client
                .wait_for_connection(connection.id)
                .interval(Duration::from_millis(50))
                .await?;
            client
                .create_reconnect_invitation()
                .connection_id(connection.id)
                .body(nectar_api::types::ReconnectInvitationCreate::builder())
                .send()
                .await?;
            Ok::<_, nectar_api::Error>(company)
        })
        .unwrap();
    let spec = nectar_gen::spec().unwrap();
    let runtime = client_runtime();
    let http = reqwest::Client::new();
    let mut fetched = Vec::new();
    let (findings, skipped) = drift::walk(&spec, |path| {
        fetched.push(path.to_owned());
        runtime.block_on(async {
            let response = http
                .get(format!("{}{path}", sandbox.base_url()))
                .header("X-API-Key", sandbox.api_key())
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response.json().await.unwrap_or(serde_json::Value::Null);
            Ok((status, body))
        })
    });
    println!("fetched {} reads:\n{}", fetched.len(), fetched.join("\n"));
    assert!(findings.is_empty(), "{}", drift::report(&findings));
    // Jobs have no list to find an id in; every other read was reached.
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0].starts_with("get_job"), "{skipped:?}");
    assert!(fetched.len() >= 18, "{}", fetched.len());
}

#[test]
fn the_webhook_examples_drift_is_reported_by_schema_and_path() {
    let spec = nectar_gen::spec().unwrap();
    let dir = nectar_tests::examples_dir();
    let mut findings = Vec::new();
    for name in [
        "webhook.connection.created.v2.svix-2025-11__request",
        "webhook.connection.updated.svix-2025-05__request",
    ] {
        let body: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        findings.extend(drift::check_named(&spec, name, &body).expect("names an event"));
    }
    let report = drift::report(&findings);
    println!("{report}");
    // Svix's catalog fills enums with the placeholder "string": each is an unknown value.
    assert!(findings.iter().any(|f| f.path == "$.status"
        && f.kind == Kind::UnknownEnumValue
        && f.schema == "ConnectionStatus"));
    assert!(report.contains("Country\n"), "{report}");
    // A field the spec lacks is reported as such.
    let mut body: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            dir.join("webhook.connection.created.v2.svix-2025-11__request.json"),
        )
        .unwrap(),
    )
    .unwrap();
    body["billingPlan"] = "gold".into();
    let found = drift::check_named(&spec, "webhook.connection.created.v2.recorded", &body).unwrap();
    assert!(
        found
            .iter()
            .any(|f| f.path == "$.billingPlan" && f.kind == Kind::UnknownField)
    );
}

/// The examples recorded from Nectar's API reference are matched to their operation by the page
/// they came from, requests checked against the request body and answers against the first 2xx
/// answer. The spec knows every field they carry: what drift remains is the docs' placeholders
/// (`"<string>"`, `"string"`) and e-mails the docs site obfuscated (`"[email protected]"`).
#[test]
fn the_reference_examples_are_matched_to_their_operation_and_only_placeholders_drift() {
    let spec = nectar_gen::spec().unwrap();
    let dir = nectar_tests::examples_dir();
    // The same code `cargo xtask drift --files` runs.
    let (findings, skipped) = drift::check_dir(&spec, &dir).expect("the examples are readable");
    // The developer guides' snippets belong to no single reference page.
    for reason in &skipped {
        assert!(
            reason.starts_with("guide_"),
            "matched no operation: {reason}"
        );
    }
    let checked: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|file| file.strip_suffix(".json").map(str::to_owned))
        .filter(|stem| {
            !skipped
                .iter()
                .any(|s| s.starts_with(&format!("{stem}.json:")))
        })
        .collect();
    println!("{}", drift::report(&findings));
    assert!(checked.len() >= 19, "{checked:?}");
    for name in [
        "v2_get-an-utility-account-connection-details__response", // by its page, not its name
        "v2_update-an-account__request",
        "v2.2_get-company-utility-account-connections__response",
    ] {
        assert!(checked.iter().any(|c| c == name), "{name} not checked");
    }
    for finding in &findings {
        let placeholder = ["\"<string>\"", "\"string\"", "[email protected]"]
            .iter()
            .any(|p| finding.detail.contains(p));
        assert!(
            placeholder && matches!(finding.kind, Kind::UnknownEnumValue | Kind::WrongFormat),
            "real drift in the docs' examples: {finding:?}"
        );
    }
    // A request body is checked against the operation's request schema.
    let body = serde_json::json!({"isTracked": "yes"});
    let found = drift::check_recorded(&spec, "v2_update-an-account__request", None, &body).unwrap();
    assert!(
        found.iter().any(|f| f.path == "$.isTracked"
            && f.kind == Kind::WrongType
            && f.schema == "AccountUpdate"),
        "{found:?}"
    );
}
