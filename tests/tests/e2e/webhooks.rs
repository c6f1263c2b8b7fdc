//! Webhooks end to end: the emulator delivers signed events; a receiver built with the public
//! API verifies them; forged, tampered, stale or incomplete deliveries are refused.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use nectar_api::{
    types::ConnectionStatus,
    webhooks::{Event, Signer, Verifier, WebhookError},
};
use nectar_sandbox::{SANDBOX_PASSWORD, Sandbox, flows};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const BODY: &[u8] = br#"{"eventType":"connection.updated.v2","id":"94ca4dc7-cc09-4162-9b20-7f4bcb5d1199","status":"CONNECTED","protectedChanges":["status"],"old":{"status":"PENDING"}}"#;

#[test]
fn forged_tampered_stale_and_incomplete_deliveries_are_refused() {
    let secret = Signer::generate_secret().unwrap();
    let verifier = Verifier::new(&secret).unwrap();
    let signer = Signer::new(&secret).unwrap();
    let good = signer.headers("msg_1", now(), BODY);
    let delivery = verifier.verify(&good, BODY).unwrap();
    assert_eq!(delivery.id, "msg_1", "the delivery id comes with the event");
    assert!(matches!(delivery.event, Event::ConnectionUpdated(_)));
    // The same delivery, its headers as another framework would hand them over.
    let pairs: Vec<(String, String)> = good
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_uppercase(),
                value.to_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(verifier.verify(&pairs, BODY).unwrap().id, "msg_1");
    let map: std::collections::HashMap<&str, &[u8]> = good
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    assert_eq!(verifier.verify(&map, BODY).unwrap().id, "msg_1");
    let mut forged = pairs.clone();
    forged.retain(|(name, _)| !name.eq_ignore_ascii_case("svix-signature"));
    forged.push(("svix-signature".to_owned(), "v1,Zm9yZ2Vk".to_owned()));
    assert_eq!(
        verifier.verify(&forged, BODY).unwrap_err(),
        WebhookError::NoMatchingSignature,
        "pairs are checked as strictly as a HeaderMap"
    );

    let tampered_body = BODY
        .to_vec()
        .into_iter()
        .map(|b| if b == b'P' { b'Q' } else { b })
        .collect::<Vec<_>>();
    let wrong_secret = Signer::new(&Signer::generate_secret().unwrap())
        .unwrap()
        .headers("msg_1", now(), BODY);
    let stale = signer.headers("msg_1", now() - 6 * 60, BODY);
    let future = signer.headers("msg_1", now() + 6 * 60, BODY);
    let mut no_signature = good.clone();
    no_signature.remove("svix-signature");
    let mut no_id = good.clone();
    no_id.remove("svix-id");
    let mut bad_timestamp = good.clone();
    bad_timestamp.insert("svix-timestamp", "yesterday".parse().unwrap());

    let cases: Vec<(&str, HeaderMap, &[u8], WebhookError)> = vec![
        (
            "tampered body (PENDING -> QENDING)",
            good.clone(),
            &tampered_body,
            WebhookError::NoMatchingSignature,
        ),
        (
            "signed with another secret",
            wrong_secret,
            BODY,
            WebhookError::NoMatchingSignature,
        ),
        (
            "timestamp 6 minutes old",
            stale,
            BODY,
            WebhookError::TimestampOutsideTolerance {
                age_seconds: 360,
                tolerance_seconds: 300,
            },
        ),
        (
            "timestamp 6 minutes ahead",
            future,
            BODY,
            WebhookError::TimestampOutsideTolerance {
                age_seconds: -360,
                tolerance_seconds: 300,
            },
        ),
        (
            "no svix-signature header",
            no_signature,
            BODY,
            WebhookError::MissingHeader("svix-signature (or webhook-signature)"),
        ),
        (
            "no svix-id header",
            no_id,
            BODY,
            WebhookError::MissingHeader("svix-id (or webhook-id)"),
        ),
        (
            "svix-timestamp: yesterday",
            bad_timestamp,
            BODY,
            WebhookError::InvalidTimestamp,
        ),
    ];
    for (what, headers, body, expected) in cases {
        let error = verifier.verify(&headers, body).unwrap_err();
        // Timestamps are taken a moment apart: allow a second of drift in the age.
        let same = match (&error, &expected) {
            (
                WebhookError::TimestampOutsideTolerance { age_seconds: a, .. },
                WebhookError::TimestampOutsideTolerance { age_seconds: b, .. },
            ) => (a - b).abs() <= 1,
            _ => error == expected,
        };
        assert!(same, "{what}: got {error:?}");
        let text = error.to_string();
        assert!(
            !text.contains(&secret[6..]),
            "{what}: the message shows the secret"
        );
        println!("rejection: {what:<36} -> {text}");
    }
}

/// A receiver as a user would write it: raw headers and body in, verified typed event out.
#[derive(Clone)]
struct Receiver {
    verifier: Verifier,
    events: Arc<Mutex<Vec<(String, Event)>>>,
    /// The verified bodies as received, to check against the spec.
    bodies: Arc<Mutex<Vec<Bytes>>>,
    /// Answers 500 to this many deliveries first (to see retries).
    fail_first: Arc<Mutex<usize>>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    {
        let mut failures = receiver.fail_first.lock().unwrap();
        if *failures > 0 {
            *failures -= 1;
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    match receiver.verifier.verify(&headers, &body) {
        Ok(delivery) => {
            assert_eq!(delivery.id, headers["svix-id"].to_str().unwrap());
            receiver
                .events
                .lock()
                .unwrap()
                .push((delivery.id, delivery.event));
            receiver.bodies.lock().unwrap().push(body);
            StatusCode::NO_CONTENT
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

async fn start_receiver(secret: &str, fail_first: usize) -> (String, Receiver) {
    let receiver = Receiver {
        verifier: Verifier::new(secret).unwrap(),
        events: Arc::default(),
        bodies: Arc::default(),
        fail_first: Arc::new(Mutex::new(fail_first)),
    };
    let app = Router::new()
        .route("/nectar/webhooks", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/nectar/webhooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, receiver)
}

async fn create_sandbox_connection(sandbox: &Sandbox) -> uuid::Uuid {
    let (_, _, connection) = flows::sandbox_connection(&sandbox.client(), 1, SANDBOX_PASSWORD)
        .await
        .expect("a sandbox connection");
    connection.id
}

/// Polls `done` every 10 ms for at most 10 s (bounded, so a broken emulator fails the test).
async fn eventually(mut done: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_for(receiver: &Receiver, count: usize) -> Vec<(String, Event)> {
    eventually(|| receiver.events.lock().unwrap().len() >= count).await;
    receiver.events.lock().unwrap().clone()
}

#[tokio::test]
async fn a_connection_going_from_pending_to_connected_arrives_as_verified_events() {
    let secret = Signer::generate_secret().unwrap();
    let (url, receiver) = start_receiver(&secret, 0).await;
    let sandbox = Sandbox::builder()
        .validation_delay(Duration::from_millis(100))
        .webhook_endpoint(&url, &secret)
        .start()
        .await
        .unwrap();
    let id = create_sandbox_connection(&sandbox).await;

    // Three connection events, then a document.created.v2 per bill of the new connection.
    let connection_events = || {
        receiver
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, e)| e.event_type().starts_with("connection."))
            .cloned()
            .collect::<Vec<_>>()
    };
    eventually(|| connection_events().len() >= 3).await;
    let events = connection_events();
    let names: Vec<&str> = events.iter().map(|(_, e)| e.event_type()).collect();
    assert!(names.contains(&"connection.created.v2"), "{names:?}");
    assert!(names.contains(&"connection.validated.v2"), "{names:?}");
    let updated = events
        .iter()
        .find_map(|(_, e)| match e {
            Event::ConnectionUpdated(update) => Some(update.clone()),
            _ => None,
        })
        .expect("a connection.updated.v2 event");
    assert_eq!(updated.id, id);
    assert_eq!(updated.status, Some(ConnectionStatus::Connected));
    assert_eq!(updated.protected_changes, ["status", "accounts"]);
    let old = updated.old.clone().expect("old values");
    assert_eq!(old.status, Some(ConnectionStatus::Pending));
    assert_eq!(
        old.extra["accounts"],
        serde_json::json!([]),
        "other old values are kept as sent"
    );
    assert_eq!(updated.accounts.len(), 1);
    println!("received connection.updated.v2: {updated:#?}");
    let ids: std::collections::HashSet<&String> = events.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 3, "one message id per event");
    payloads_match_the_spec(&receiver);
}

/// Every payload received matches its schema in the spec, formats and patterns included (its
/// timestamps carry no offset, as Nectar's do; the spec declares them so). The control: the
/// same timestamps fail `format: date-time`, which the spec used to declare.
fn payloads_match_the_spec(receiver: &Receiver) {
    let spec = nectar_sandbox::spec::Spec::load();
    let bodies = receiver.bodies.lock().unwrap().clone();
    let mut stamps = 0;
    for body in &bodies {
        let payload: serde_json::Value = serde_json::from_slice(body).unwrap();
        let event_type = payload["eventType"].as_str().unwrap_or_default();
        let component = match event_type.trim_end_matches(".v2") {
            "connection.updated" => "ConnectionUpdatedEvent",
            "connection.created" | "connection.validated" => "ConnectionEvent",
            "document.updated" => "DocumentUpdatedEvent",
            "document.created" => "DocumentEvent",
            other => panic!("an event the test does not know: {other}"),
        };
        if let Err(mismatch) = spec.check_component(component, &payload) {
            panic!("{event_type} does not match {component}: {mismatch}\n{payload:#}");
        }
        for field in ["created", "updated"] {
            let Some(stamp) = payload.get(field) else {
                continue;
            };
            stamps += 1;
            let offsetless = serde_json::json!({ "type": "string", "format": "date-time" });
            assert!(
                spec.check(&offsetless, stamp).is_err(),
                "{stamp} passes format: date-time, so the check proves nothing"
            );
        }
    }
    assert!(stamps > 0, "no timestamps in {} payloads", bodies.len());
    println!(
        "{} payloads, {stamps} timestamps: all match the spec",
        bodies.len()
    );
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_message_id() {
    let secret = Signer::generate_secret().unwrap();
    let (url, receiver) = start_receiver(&secret, 2).await;
    let sandbox = Sandbox::builder()
        .validation_delay(Duration::from_secs(60))
        .webhook_endpoint(&url, &secret)
        .webhook_retry_schedule([
            Duration::ZERO,
            Duration::from_millis(20),
            Duration::from_millis(20),
        ])
        .start()
        .await
        .unwrap();
    create_sandbox_connection(&sandbox).await;
    let events = wait_for(&receiver, 1).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1.event_type(), "connection.created.v2");

    // The emulator logs an attempt once the answer is back, just after the receiver saw it.
    eventually(|| sandbox.webhook_deliveries().len() >= 3).await;
    let deliveries = sandbox.webhook_deliveries();
    let trail: Vec<(usize, Option<u16>)> =
        deliveries.iter().map(|d| (d.attempt, d.status)).collect();
    assert_eq!(trail, [(1, Some(500)), (2, Some(500)), (3, Some(204))]);
    assert!(
        deliveries.iter().all(|d| d.message_id == events[0].0),
        "svix-id is kept on retries"
    );
}

#[tokio::test]
async fn a_delivery_that_never_succeeds_stops_after_the_schedule() {
    let secret = Signer::generate_secret().unwrap();
    let (url, _receiver) = start_receiver(&secret, usize::MAX).await;
    let sandbox = Sandbox::builder()
        .validation_delay(Duration::from_secs(60))
        .webhook_endpoint(&url, &secret)
        .webhook_retry_schedule([Duration::ZERO, Duration::from_millis(10)])
        .start()
        .await
        .unwrap();
    create_sandbox_connection(&sandbox).await;
    eventually(|| sandbox.webhook_deliveries().len() >= 2).await;
    // Time for a (wrong) third attempt to show up.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let trail: Vec<(usize, Option<u16>)> = sandbox
        .webhook_deliveries()
        .iter()
        .map(|d| (d.attempt, d.status))
        .collect();
    assert_eq!(trail, [(1, Some(500)), (2, Some(500))]);
}

#[test]
fn generated_secrets_come_from_the_os_and_differ() {
    let secrets: std::collections::HashSet<String> = (0..100)
        .map(|_| Signer::generate_secret().unwrap())
        .collect();
    assert_eq!(secrets.len(), 100);
    for secret in &secrets {
        assert!(
            secret.starts_with("whsec_") && secret.len() == 6 + 44,
            "{secret}"
        );
        Verifier::new(secret).unwrap();
    }
}

#[test]
fn event_debug_masks_sensitive_fields_in_raw_maps_and_unknown_events() {
    let secret = "hunter2-portal-password";
    let bodies = [
        format!(
            r#"{{"eventType": "connection.updated.v2", "id": "94ca4dc7-cc09-4162-9b20-7f4bcb5d1199",
                 "status": "CONNECTED", "old": {{"status": "PENDING", "password": "{secret}"}}}}"#
        ),
        format!(
            r#"{{"eventType": "document.updated.v2", "id": "94ca4dc7-cc09-4162-9b20-7f4bcb5d1199",
                 "magicLinkUrl": "https://dash/{secret}", "old": {{"connectionMagicLinkSecret": "{secret}"}}}}"#
        ),
        format!(
            r#"{{"eventType": "invitation.created.v3", "nested": [{{"password": "{secret}"}}]}}"#
        ),
    ];
    for body in &bodies {
        let event = Event::parse(body.as_bytes()).unwrap();
        let shown = format!("{event:?} {event:#?}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.contains("***"), "{shown}");
        // The value itself is kept for the receiver.
        match &event {
            Event::ConnectionUpdated(update) => {
                let old = update.old.as_ref().unwrap();
                assert_eq!(old.extra["password"], secret);
                assert!(!format!("{old:?}").contains(secret));
            }
            Event::DocumentUpdated(update) => {
                assert_eq!(update.old["connectionMagicLinkSecret"], secret);
            }
            Event::Unknown { payload, .. } => assert_eq!(payload["nested"][0]["password"], secret),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Signatures made by Svix's own Python library (`tests/interop/svix_cases.py`; CI regenerates
/// the fixture from PyPI's `svix` and fails when it changes). Every spelling of a secret a user
/// may hold (as copied, with a file's trailing newline, with surrounding spaces, without
/// `whsec_`, without padding) is read by nectar-rs as the key it spells: its signatures equal
/// those Svix's library makes for the secret as copied, and Svix's signatures verify. Where
/// Svix's library reads the same key, the two agree; where it reads another one (it does not
/// strip leading spaces and decodes `whsec` as base64), nectar-rs keeps to the key meant.
#[test]
fn svixs_python_library_and_nectar_rs_agree() {
    #[derive(serde::Deserialize)]
    struct Case {
        key: String,
        secret: String,
        form: String,
        accepted: bool,
        signatures: Vec<Signed>,
    }
    #[derive(serde::Deserialize, PartialEq)]
    struct Signed {
        id: String,
        timestamp: i64,
        body: String,
        signature: String,
    }
    let path = nectar_tests::examples_dir().join("../svix/cases.json");
    let cases: Vec<Case> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let canonical = |key: &str| {
        cases
            .iter()
            .find(|c| c.secret == key && c.accepted)
            .map(|c| &c.signatures)
            .expect("Svix accepts each secret as copied")
    };
    let (mut same_key, mut other_key) = (Vec::new(), Vec::new());
    for case in &cases {
        let what = format!("{:?} ({})", case.secret, case.form);
        let signer = Signer::new(&case.secret).unwrap_or_else(|e| panic!("{what}: {e}"));
        let verifier = Verifier::new(&case.secret).unwrap_or_else(|e| panic!("{what}: {e}"));
        for signed in canonical(&case.key) {
            let body = signed.body.as_bytes();
            assert_eq!(
                signer.sign(&signed.id, signed.timestamp, body),
                signed.signature,
                "{what}"
            );
            let mut headers = HeaderMap::new();
            headers.insert("svix-id", signed.id.parse().unwrap());
            headers.insert(
                "svix-timestamp",
                signed.timestamp.to_string().parse().unwrap(),
            );
            headers.insert("svix-signature", signed.signature.parse().unwrap());
            let at = UNIX_EPOCH + Duration::from_secs(signed.timestamp as u64);
            verifier
                .check_signature_at(&headers, body, at)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
        }
        if case.accepted && &case.signatures == canonical(&case.key) {
            same_key.push(case.form.as_str());
        } else {
            other_key.push(case.form.as_str());
        }
    }
    println!(
        "Svix's Python library reads the same key: {same_key:?}; another or none: {other_key:?}"
    );
    // The spellings the security review named: Svix's library accepts them, and so do we.
    for form in ["trailing newline", "without padding", "without whsec_"] {
        assert_eq!(same_key.iter().filter(|f| **f == form).count(), 3, "{form}");
    }
}

#[tokio::test]
async fn new_bills_arrive_as_verified_typed_document_created_events() {
    let secret = Signer::generate_secret().unwrap();
    let (url, receiver) = start_receiver(&secret, 0).await;
    let sandbox = Sandbox::builder()
        .validation_delay(Duration::from_millis(20))
        .webhook_endpoint(&url, &secret)
        .start()
        .await
        .unwrap();
    let client = sandbox.client();
    let (company, _, _) = flows::sandbox_connection(&client, 1, SANDBOX_PASSWORD)
        .await
        .unwrap();
    // Every bill of the new connection, deleted ones included, was announced once.
    let bills = || {
        receiver
            .events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(_, e)| match e {
                Event::DocumentCreated(document) => Some(document.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    eventually(|| bills().len() >= 12).await;
    let listed: Vec<nectar_api::types::Document> = {
        use futures_util::TryStreamExt;
        use nectar_api::Paginate;
        client
            .list_company_documents()
            .company_id(company)
            .is_deleted(true)
            .items()
            .try_collect()
            .await
            .unwrap()
    };
    eventually(|| bills().len() >= listed.len()).await;
    let events = bills();
    assert_eq!(events.len(), listed.len());
    for event in &events {
        let id = event.id.expect("the document's id");
        let document = listed
            .iter()
            .find(|d| d.id == id)
            .expect("the event names a listed document");
        assert_eq!(event.event_type.as_deref(), Some("document.created.v2"));
        assert_eq!(event.bill_date, document.bill_date);
        assert_eq!(event.total_charges, document.total_charges);
        assert!(event.total_charges.as_ref().unwrap().to_decimal().is_ok());
        assert!(
            event.extra.contains_key("lineItems"),
            "the rest is kept as sent"
        );
    }
}
