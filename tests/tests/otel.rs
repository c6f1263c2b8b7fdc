//! The client's spans as `tracing-opentelemetry` exports them, into OpenTelemetry's in-memory
//! exporter: one `INTERNAL` span per operation, and inside it one `CLIENT` span per attempt with
//! the attribute names of OpenTelemetry's HTTP client conventions. (Its own test binary: the
//! subscriber is the thread's default for the whole run.)

use std::collections::HashMap;

use nectar_sandbox::{Fault, Faults, Sandbox};
use opentelemetry::{
    Value,
    trace::{SpanKind, Status, TracerProvider as _},
};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

fn attributes(span: &SpanData) -> HashMap<String, Value> {
    span.attributes
        .iter()
        .map(|kv| (kv.key.to_string(), kv.value.clone()))
        .collect()
}

#[test]
fn operations_and_attempts_are_standard_http_client_spans() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("nectar-tests")));
    // One thread: every span the client opens is under this thread's subscriber.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (port, company, record) = tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let sandbox = Sandbox::builder()
                // The second request (the first attempt of `get_company`) is answered 503.
                .faults(Faults::seeded(1).on_request(2, Fault::ServiceUnavailable))
                .seed_company("Traced", 1, 0)
                .start()
                .await
                .unwrap();
            let client = sandbox.client();
            let companies = client.list_companies().send().await.unwrap();
            let company = companies[0].id;
            client
                .get_company()
                .company_id(company)
                .send()
                .await
                .unwrap();
            client
                .get_company()
                .company_id(uuid::Uuid::nil())
                .send()
                .await
                .unwrap_err();
            let port = url_port(sandbox.base_url());
            (port, company, sandbox.requests())
        })
    });
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let attempts: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name == "GET /company/{company_id}")
        .collect();
    let operations: Vec<&SpanData> = spans.iter().filter(|s| s.name == "get_company").collect();
    println!("exported spans:");
    for span in attempts.iter().chain(&operations) {
        let mut attributes: Vec<_> = attributes(span).into_iter().collect();
        attributes.sort_by(|a, b| a.0.cmp(&b.0));
        println!("  {} ({:?}, {:?})", span.name, span.span_kind, span.status);
        for (key, value) in attributes {
            println!("    {key} = {value}");
        }
    }
    assert_eq!(operations.len(), 2, "one span per operation");
    assert_eq!(
        attempts.len(),
        3,
        "one span per attempt: 503, its retry, 404"
    );
    // Sorted by start: the 503, the retry, the 404.
    let mut attempts = attempts;
    attempts.sort_by_key(|s| s.start_time);
    let expected = [
        (503, Some("503"), None, &record[1]),
        (200, None, Some(1), &record[2]),
        (404, Some("404"), None, &record[3]),
    ];
    for (span, (status, error_type, resends, answered)) in attempts.iter().zip(expected) {
        let a = attributes(span);
        assert_eq!(span.span_kind, SpanKind::Client, "{span:?}");
        assert_eq!(a["http.request.method"], Value::from("GET"));
        assert_eq!(a["url.template"], Value::from("/company/{company_id}"));
        assert_eq!(a["server.address"], Value::from("127.0.0.1"));
        assert_eq!(a["server.port"], Value::I64(i64::from(port)));
        assert_eq!(a["http.response.status_code"], Value::I64(status));
        assert_eq!(a.get("error.type"), error_type.map(Value::from).as_ref());
        assert_eq!(
            a.get("http.request.resend_count"),
            resends.map(Value::I64).as_ref()
        );
        assert_eq!(
            a["nectar.request_id"],
            Value::from(answered.request_id()),
            "the attempt's span names its answer's request id"
        );
        let failed = matches!(span.status, Status::Error { .. });
        assert_eq!(failed, error_type.is_some(), "{:?}", span.status);
        // Inside the operation's span.
        assert!(
            operations
                .iter()
                .any(|op| op.span_context.span_id() == span.parent_span_id),
            "an attempt's parent is its operation"
        );
    }
    let mut operations = operations;
    operations.sort_by_key(|s| s.start_time);
    let first = attributes(operations[0]);
    assert_eq!(operations[0].span_kind, SpanKind::Internal);
    assert_eq!(first["nectar.operation"], Value::from("get_company"));
    assert_eq!(first["http.response.status_code"], Value::I64(200));
    assert_eq!(first["nectar.attempts"], Value::I64(2));
    assert!(!first.contains_key("error.type"));
    let second = attributes(operations[1]);
    assert_eq!(second["error.type"], Value::from("404"));
    assert!(matches!(operations[1].status, Status::Error { .. }));
    // No id in any attribute: templates, not paths.
    let shown = format!("{spans:?}");
    assert!(
        !shown.contains(&company.to_string()),
        "no company id in the spans"
    );
}

fn url_port(base: &str) -> u16 {
    let authority = base.split("://").nth(1).unwrap().split('/').next().unwrap();
    authority.rsplit(':').next().unwrap().parse().unwrap()
}
