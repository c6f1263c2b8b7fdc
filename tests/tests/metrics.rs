//! The client's metrics (nectar-api's `metrics` feature) exported for Prometheus and scraped
//! over HTTP, as a Prometheus server would: request durations, requests in flight, the limit,
//! retries, and answers by status class. (Its own test binary: the recorder is global.)

use std::time::Duration;

use futures_util::TryStreamExt;
use metrics_exporter_prometheus::PrometheusBuilder;
use nectar_api::Paginate;
use nectar_sandbox::{Fault, Faults, RetryAfter, Sandbox};

/// The value of the first sample of `metric` whose labels include every one of `labels`.
fn sample(scrape: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.split(['{', ' '])
                .next()
                .is_some_and(|name| name == metric)
        })
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_s_metrics_can_be_scraped_by_prometheus() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    PrometheusBuilder::new()
        .with_http_listener(([127, 0, 0, 1], port))
        .install()
        .expect("the exporter starts");
    let sandbox = Sandbox::builder()
        // The first two requests are answered 503 and 429: retried.
        .faults(
            Faults::seeded(1)
                .on_request(1, Fault::ServiceUnavailable)
                .on_request(2, Fault::TooManyRequests(Some(RetryAfter::Seconds(0)))),
        )
        .seed_usage("Metered", 5, 10)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded_data()[0].company_id;
    let client = sandbox.client();
    let rows: Vec<_> = client
        .list_company_usage()
        .company_id(company)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 50);
    client
        .get_company()
        .company_id(uuid::Uuid::nil())
        .send()
        .await
        .unwrap_err();
    // What Prometheus would read.
    let scrape = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    println!("{scrape}");
    let usage = "url_template=\"/usage/company/{company_id}\"";
    // Answers by status class: the 503 and the 429, then the pages.
    let answers = |class: &str| {
        sample(
            &scrape,
            "nectar_client_responses",
            &[usage, &format!("status_class=\"{class}\"")],
        )
    };
    assert_eq!(answers("5xx"), Some(1.0));
    assert_eq!(answers("4xx"), Some(1.0));
    assert!(answers("2xx").is_some_and(|n| n >= 1.0));
    // Retries, by why.
    for why in ["503", "429"] {
        assert_eq!(
            sample(
                &scrape,
                "nectar_client_retries",
                &[usage, &format!("error_type=\"{why}\"")]
            ),
            Some(1.0),
            "{why}"
        );
    }
    // Durations (a summary by default), with the status and the error type as labels.
    assert!(
        sample(
            &scrape,
            "http_client_request_duration_count",
            &["http_response_status_code=\"404\"", "error_type=\"404\""]
        )
        .is_some_and(|n| n >= 1.0),
        "the 404's duration"
    );
    // Nothing in flight once all is answered; the limit as it stands.
    assert_eq!(
        sample(&scrape, "http_client_active_requests", &[usage]),
        Some(0.0)
    );
    let limit = sample(&scrape, "nectar_client_concurrency_limit", &[]).unwrap();
    assert!((1.0..=10.0).contains(&limit), "{limit}");
    // Templates, never ids.
    assert!(!scrape.contains(&company.to_string()));
}
