//! The client's memory against an endless body: it holds the response-size limit and a fixed
//! amount of connection buffers (under 1 MiB), however long the server goes on. Its own test binary, because it installs a counting allocator.
//!
//! The client runs on a current-thread runtime on the test thread (the only thread counted); the
//! server on a runtime of its own.

use std::time::Duration;

use nectar_api::{Client, ErrorKind, RetryPolicy};
use nectar_tests::{
    heap::peak_during,
    hostile::{Hostile, Reply},
};

#[global_allocator]
static ALLOCATOR: nectar_tests::heap::Counting = nectar_tests::heap::Counting;

#[test]
fn an_endless_body_holds_memory_near_the_limit() {
    let server_runtime = nectar_tests::bench::server_runtime();
    let server = server_runtime
        .block_on(Hostile::start("127.0.0.1", |_, _| Reply::Endless {
            head: b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n[".to_vec(),
            chunk: br#"{"id": "00000000-0000-0000-0000-000000000000", "name": "x"},"#.repeat(1000),
        }))
        .unwrap();
    let client_runtime = nectar_tests::bench::client_runtime();

    for limit in [1_u64 << 20, 8 << 20] {
        let client = Client::builder()
            .api_key("k")
            .base_url(server.base_url())
            .retry_policy(RetryPolicy::none())
            .attempt_timeout(Duration::from_secs(30))
            .max_response_size(limit)
            .build()
            .unwrap();
        let (error, peak) = peak_during(|| {
            client_runtime.block_on(async { client.list_companies().send().await.unwrap_err() })
        });
        assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error}");
        let ratio = peak as f64 / limit as f64;
        println!(
            "endless 200 body, max_response_size {} MiB: peak heap growth {:.2} MiB ({ratio:.2}x the limit)",
            limit >> 20,
            peak as f64 / f64::from(1 << 20),
        );
        assert!(
            peak < limit as usize + (1 << 20),
            "peak {peak} bytes for a limit of {limit}: more than the limit and 1 MiB of buffers"
        );
    }
}

/// What one answer decodes to, measured both ways.
struct Shape {
    name: &'static str,
    /// The answer served.
    body: Vec<u8>,
    /// Whether it is a legitimate answer (which must decode) rather than an inflated one.
    legitimate: bool,
    /// Peak heap of decoding `body` as progenitor did before (`serde_json::from_slice`).
    unbounded: fn(&[u8]) -> usize,
    /// The operation the client calls.
    call: Call,
}

#[derive(Clone, Copy)]
enum Call {
    GetDocument,
    ListUsage,
    GetCompany,
    ListConnections,
}

fn unbounded<T: serde::de::DeserializeOwned>(body: &[u8]) -> usize {
    let (decoded, peak) = peak_during(|| serde_json::from_slice::<T>(body));
    assert!(decoded.is_ok(), "the shape decodes: {:?}", decoded.err());
    drop(decoded);
    peak
}

/// `value` (an object) with its array `field` replaced by `element` repeated until the body is
/// about `size` bytes.
fn inflated(
    mut value: serde_json::Value,
    field: &str,
    element: serde_json::Value,
    size: usize,
) -> Vec<u8> {
    let one = serde_json::to_vec(&element).unwrap().len() + 1;
    value[field] = serde_json::Value::Array(vec![element; size / one]);
    serde_json::to_vec(&value).unwrap()
}

async fn raw(sandbox: &nectar_sandbox::Sandbox, path: &str) -> serde_json::Value {
    nectar_api::reqwest::Client::new()
        .get(format!("{}{path}", sandbox.base_url()))
        .header("x-api-key", sandbox.api_key())
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Every answer within the size limit either decodes within 8x its size or fails as
/// `ResponseTooLarge` (naming the limit and the operation) before memory grows past that. The
/// inflated shapes are the attacker's (arrays of elements that take far more memory decoded
/// than their bytes); the legitimate ones are the emulator's own answers, which must decode.
#[test]
fn answers_decode_within_eight_times_their_size() {
    use nectar_api::types;

    const SIZE: usize = 4 << 20;
    let server_runtime = nectar_tests::bench::server_runtime();
    let sandbox = server_runtime
        .block_on(
            nectar_sandbox::Sandbox::builder()
                .seed_company("Connections", 3, 500)
                .seed_usage("Data", 3, 100)
                .start(),
        )
        .unwrap();
    let companies = sandbox.seeded()[0].company_id;
    let data = sandbox.seeded_data()[0].company_id;
    let (documents, usage, company, connections) = server_runtime.block_on(async {
        (
            raw(&sandbox, &format!("/document/company/{data}")).await,
            raw(&sandbox, &format!("/usage/company/{data}")).await,
            raw(&sandbox, &format!("/company/{companies}")).await,
            raw(
                &sandbox,
                &format!("/connection/company/{companies}?limit=500"),
            )
            .await,
        )
    });
    let document = documents["documents"][0].clone();
    let mut two_fields = serde_json::Map::new();
    two_fields.insert("description".into(), "".into());
    two_fields.insert("totalCharge".into(), serde_json::json!(1));
    let mut row = usage["usageData"][0].as_object().unwrap().clone();
    row.retain(|key, _| {
        ["id", "created", "datasourceType", "startDate", "endDate"].contains(&key.as_str())
    });

    let shapes = [
        Shape {
            name: "get_document, lineItems of {}",
            body: inflated(document.clone(), "lineItems", serde_json::json!({}), SIZE),
            legitimate: false,
            unbounded: unbounded::<types::Document>,
            call: Call::GetDocument,
        },
        Shape {
            name: "get_document, lineItems of two-field objects",
            body: inflated(document, "lineItems", two_fields.into(), SIZE),
            legitimate: false,
            unbounded: unbounded::<types::Document>,
            call: Call::GetDocument,
        },
        Shape {
            name: "list_company_usage, usageData of the required fields",
            body: inflated(usage.clone(), "usageData", row.into(), SIZE),
            legitimate: false,
            unbounded: unbounded::<types::UsagePage>,
            call: Call::ListUsage,
        },
        Shape {
            name: "get_company, users of empty strings",
            body: inflated(company, "users", "".into(), SIZE),
            legitimate: false,
            unbounded: unbounded::<types::Company>,
            call: Call::GetCompany,
        },
        Shape {
            name: "list_company_usage, the emulator's page",
            body: serde_json::to_vec(&usage).unwrap(),
            legitimate: true,
            unbounded: unbounded::<types::UsagePage>,
            call: Call::ListUsage,
        },
        Shape {
            name: "list_company_connections, the emulator's page of 500",
            body: serde_json::to_vec(&connections).unwrap(),
            legitimate: true,
            unbounded: unbounded::<types::ConnectionPage>,
            call: Call::ListConnections,
        },
    ];

    let client_runtime = nectar_tests::bench::client_runtime();
    let id = uuid::Uuid::nil();
    for shape in shapes {
        let len = shape.body.len();
        let before = (len + (shape.unbounded)(&shape.body)) as f64 / len as f64;
        let body = std::sync::Arc::new(shape.body);
        let served = body.clone();
        let server = server_runtime
            .block_on(Hostile::start("127.0.0.1", move |_, _| {
                Reply::json("200 OK", served.as_slice())
            }))
            .unwrap();
        let client = Client::builder()
            .api_key("k")
            .base_url(server.base_url())
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let (outcome, peak) = peak_during(|| {
            client_runtime.block_on(async {
                match shape.call {
                    Call::GetDocument => {
                        client.get_document().document_id(id).send().await.map(drop)
                    }
                    Call::ListUsage => client
                        .list_company_usage()
                        .company_id(id)
                        .send()
                        .await
                        .map(drop),
                    Call::GetCompany => client.get_company().company_id(id).send().await.map(drop),
                    Call::ListConnections => client
                        .list_company_connections()
                        .company_id(id)
                        .send()
                        .await
                        .map(drop),
                }
            })
        });
        let after = peak as f64 / len as f64;
        println!(
            "{}: {:.2} MiB body; before {before:.1}x, after {after:.1}x ({})",
            shape.name,
            len as f64 / f64::from(1 << 20),
            match &outcome {
                Ok(()) => "decoded".to_owned(),
                Err(error) => format!("{:?}", error.kind()),
            }
        );
        if shape.legitimate {
            assert!(outcome.is_ok(), "{}: {}", shape.name, outcome.unwrap_err());
        } else {
            let error = outcome.expect_err(shape.name);
            assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error}");
            assert!(error.operation().is_some(), "{error}");
            let shown = error.to_string();
            let limit = error.limit().unwrap();
            assert!(shown.contains(&limit.to_string()), "{shown}");
            assert!(
                before > 8.0,
                "{}: the shape does not inflate ({before:.1}x), so it tests nothing",
                shape.name
            );
        }
        // 8x the body; a small legitimate body may add the connection's own buffers (well
        // under 1 MiB), which do not grow with it.
        let buffers = if shape.legitimate { 1 << 20 } else { 0 };
        assert!(
            peak <= 8 * len + buffers,
            "{}: peak {peak} bytes for a body of {len}: more than 8x",
            shape.name
        );
    }
}
