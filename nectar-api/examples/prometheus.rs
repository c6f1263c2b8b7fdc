//! The client's metrics for Prometheus (the `metrics` feature): an exporter serves them on
//! `/metrics`, a usage pull makes some, and the example prints what a scrape reads; with
//! `--serve` it keeps serving them until stopped, for a Prometheus to scrape.
//!
//! ```sh
//! cargo run -p nectar-api --features metrics --example prometheus
//! cargo run -p nectar-api --features metrics --example prometheus -- --serve   # then curl 127.0.0.1:9464/metrics
//! NECTAR_API_KEY=... cargo run -p nectar-api --features metrics --example prometheus   # against Nectar
//! ```
//!
//! `NECTAR_METRICS_ADDR` sets the address (default `127.0.0.1:9464`, Prometheus's port for
//! OpenTelemetry-style exporters). Without a key, the embedded emulator serves a company of
//! 2,000 usage rows and answers the first request `503`, so a retry shows too.

use std::{error::Error, net::SocketAddr};

use metrics_exporter_prometheus::PrometheusBuilder;
use nectar_api::{Client, Paginate, TryStreamExt};
use nectar_sandbox::{Fault, Faults, Sandbox};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let address: SocketAddr = std::env::var("NECTAR_METRICS_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:9464".to_owned())
        .parse()?;
    // Any recorder of the `metrics` facade works the same; this one serves Prometheus's format.
    PrometheusBuilder::new()
        .with_http_listener(address)
        .install()?;

    let has_key = std::env::var("NECTAR_API_KEY").is_ok_and(|k| !k.is_empty());
    let (client, _sandbox) = if has_key {
        (Client::builder().build()?, None)
    } else {
        let sandbox = Sandbox::builder()
            .faults(Faults::seeded(1).on_request(2, Fault::ServiceUnavailable))
            .seed_usage("Metered", 200, 10)
            .start()
            .await?;
        (sandbox.client(), Some(sandbox))
    };
    let companies = client.list_companies().send().await?.into_inner();
    let Some(company) = companies.first() else {
        println!("no company for this key");
        return Ok(());
    };
    let rows: Vec<_> = client
        .list_company_usage()
        .company_id(company.id)
        .items()
        .try_collect()
        .await?;
    println!("{} usage rows of {}", rows.len(), company.name);

    // What a Prometheus server reads from the exporter.
    let scrape = reqwest::get(format!("http://{address}/metrics"))
        .await?
        .text()
        .await?;
    for line in scrape
        .lines()
        .filter(|l| !l.starts_with("http_client_request_duration{") && !l.is_empty())
    {
        println!("{line}");
    }
    if std::env::args().any(|a| a == "--serve") {
        println!("serving http://{address}/metrics until stopped (Ctrl-C)");
        std::future::pending::<()>().await;
    }
    Ok(())
}
