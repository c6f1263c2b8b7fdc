//! Production signals against the emulator: drift seen at run time (an emulator answering with
//! a field the bindings do not know, in every object of every answer), and the request id in
//! every error.

use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use nectar_api::{
    Client, Paginate,
    drift::{Drift, DriftKind},
};
use nectar_sandbox::{Faults, Sandbox, SeededData};
use tracing::instrument::WithSubscriber;

/// The reads of the drift test and its control: the seeded company, all its documents (the
/// number returned) and its connection.
async fn read_company(client: &Client, data: &SeededData) -> usize {
    client
        .get_company()
        .company_id(data.company_id)
        .send()
        .await
        .unwrap();
    let documents: Vec<_> = client
        .list_company_documents()
        .company_id(data.company_id)
        .items()
        .try_collect()
        .await
        .unwrap();
    client
        .get_connection()
        .connection_id(data.connection_id)
        .send()
        .await
        .unwrap();
    documents.len()
}

/// A value a new field could hold that must never be kept or printed: personal data.
const PERSONAL: &str = "jane.doe@example.com";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_nectar_adds_is_noted_by_schema_and_path_warned_once_and_never_kept() {
    let sandbox = Sandbox::builder()
        .faults(Faults::seeded(1).add_field("contactEmail", serde_json::json!(PERSONAL)))
        .seed_usage("Drift", 3, 2)
        .start()
        .await
        .unwrap();
    let data = sandbox.seeded_data()[0].clone();
    let handed: Arc<Mutex<Vec<Drift>>> = Arc::default();
    let client = sandbox
        .client_builder()
        .on_drift({
            let handed = handed.clone();
            move |drift| handed.lock().unwrap().push(drift.clone())
        })
        .build()
        .unwrap();
    let (subscriber, logs) = nectar_tests::logs::capture(tracing::Level::WARN);
    async {
        // Twice over: the second round adds answers, not warnings or hooks.
        for _ in 0..2 {
            let documents = read_company(&client, &data).await;
            assert_eq!(documents, 3, "an added field fails no answer");
        }
    }
    .with_subscriber(subscriber)
    .await;
    let drift = client.drift();
    println!("drift after the run:");
    for item in &drift {
        println!("  {item}");
    }
    let field = |path: &str| {
        drift
            .iter()
            .find(|d| matches!(&d.kind, DriftKind::Field { path: p, .. } if p == path))
    };
    let company = field("Company.contactEmail").expect("the company's new field");
    assert_eq!(company.answers, 2, "counted per answer");
    assert_eq!(company.first_operation, "get_company");
    assert!(
        matches!(
            &company.kind,
            DriftKind::Field {
                schema: "Company",
                ..
            }
        ),
        "{company:?}"
    );
    // Nested: by the path from the answer's root, `[]` for an array's elements.
    let nested: Vec<&str> = drift
        .iter()
        .filter_map(|d| match &d.kind {
            DriftKind::Field { path, .. } if path.contains("[]") => Some(path.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        nested.iter().any(|p| p.ends_with("[].contactEmail")),
        "{nested:?}"
    );
    // Every path ends in the field; each is handed to the hook once, the first time.
    assert!(drift.iter().all(|d| d.to_string().contains("contactEmail")));
    assert_eq!(handed.lock().unwrap().len(), drift.len());
    // Names and counts only.
    let text = logs.text();
    assert!(!format!("{drift:?}").contains(PERSONAL));
    assert!(!text.contains(PERSONAL), "{text}");
    for item in &drift {
        let DriftKind::Field { path, .. } = &item.kind else {
            panic!("{item:?}")
        };
        assert_eq!(
            text.matches(&format!("path={path} ")).count(),
            1,
            "one warning per field per process: {path}\n{text}"
        );
    }
    println!(
        "the warning:\n{}",
        text.lines()
            .find(|l| l.contains("Company.contactEmail"))
            .unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_names_the_request_id_of_its_answer() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox.client();
    let error = client
        .get_company()
        .company_id(uuid::Uuid::nil())
        .send()
        .await
        .unwrap_err();
    let answered = sandbox.requests().last().cloned().unwrap();
    assert_eq!(answered.status, Some(404));
    assert_eq!(error.request_id(), Some(answered.request_id().as_str()));
    assert!(
        error
            .to_string()
            .ends_with(&format!("(request id {})", answered.request_id())),
        "{error}"
    );
    assert!(format!("{error:?}").contains(&answered.request_id()));
    // A success carries it in its headers.
    let ok = client.list_companies().send().await.unwrap();
    let id = ok.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(id, sandbox.requests().last().unwrap().request_id());
}

/// The control: answers exactly as the spec has them (every field known, decimals included)
/// note no drift, so a field noted above is one the bindings really lack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_as_the_spec_has_them_note_no_drift() {
    let sandbox = Sandbox::builder()
        .seed_usage("Known", 3, 2)
        .seed_company("Sites", 2, 4)
        .start()
        .await
        .unwrap();
    let data = sandbox.seeded_data()[0].clone();
    let client = sandbox.client();
    let documents = read_company(&client, &data).await;
    let usage: Vec<_> = client
        .list_company_usage()
        .company_id(data.company_id)
        .items()
        .try_collect()
        .await
        .unwrap();
    for company in client.list_companies().send().await.unwrap().iter() {
        let _: Vec<_> = client
            .list_company_connections()
            .company_id(company.id)
            .items()
            .try_collect()
            .await
            .unwrap();
    }
    assert_eq!((documents, usage.len()), (3, 6));
    assert_eq!(client.drift(), Vec::new());
}
