//! The client's speed and memory, against the emulator on loopback.
//!
//! `cargo bench -p nectar-tests --bench client`
//!
//! 1. `list 20000`: 20,000 connections, limit 500 (40 pages), 25 ms added latency per request;
//!    page after page against the pager at concurrency 8. Floor: 25 ms x (1 + ceil(39/8)) = 150 ms.
//! 2. `decode page of 500`: one page's bytes as `ConnectionPage` (with serde_json alone, and within
//!    the decode budget as the client decodes), as `serde_json::Value`, and as
//!    `serde::de::IgnoredAny`.
//! 3. `stream 100000 (memory)`: peak heap of the client while streaming 100,000 connections item
//!    by item at concurrency 4, against the peak of fetching one page; printed as a ratio.
//!
//! The emulator runs on its own multi-threaded runtime; the client on a current-thread runtime
//! on the bench thread, the only thread the counting allocator counts.

use std::{hint::black_box, time::Duration};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::TryStreamExt;
use nectar_api::{Paginate, types::ConnectionPage};
use nectar_sandbox::{Faults, Sandbox};
use nectar_tests::{
    bench::{client_runtime, server_runtime},
    heap::{budget_report, peak_during},
};

#[global_allocator]
static ALLOCATOR: nectar_tests::heap::Counting = nectar_tests::heap::Counting;

// ---- benches ----------------------------------------------------------------------------------

fn server(latency: Duration, connections: usize) -> (tokio::runtime::Runtime, Sandbox) {
    let runtime = server_runtime();
    let sandbox = runtime
        .block_on(
            Sandbox::builder()
                .faults(Faults::seeded(1).latency(latency))
                .seed_company("Bench", 3, connections)
                .start(),
        )
        .expect("the emulator starts");
    (runtime, sandbox)
}

/// Streams every connection of `company` (limit 500) item by item, dropping each; the count.
async fn stream_all(client: &nectar_api::Client, company: uuid::Uuid, concurrency: usize) -> usize {
    client
        .list_company_connections()
        .company_id(company)
        .limit(500_u32)
        .pager()
        .concurrency(concurrency)
        .items()
        .try_fold(0_usize, |n, connection| async move {
            drop(black_box(connection));
            Ok(n + 1)
        })
        .await
        .expect("every page arrives")
}

fn list_20000(c: &mut Criterion) {
    let (_server, sandbox) = server(Duration::from_millis(25), 20_000);
    let company = sandbox.seeded()[0].company_id;
    let client = sandbox.client();
    let runtime = client_runtime();
    let mut group = c.benchmark_group("list 20000 (limit 500, 25 ms latency)");
    group.sample_size(10);
    for concurrency in [1, 8] {
        group.bench_function(format!("concurrency {concurrency}"), |b| {
            b.to_async(&runtime).iter(|| async {
                let count = stream_all(&client, company, concurrency).await;
                assert_eq!(count, 20_000);
            });
        });
    }
    group.finish();
}

fn decode_page(c: &mut Criterion) {
    let (_server, sandbox) = server(Duration::ZERO, 500);
    let url = format!(
        "{}/connection/company/{}?limit=500",
        sandbox.base_url(),
        sandbox.seeded()[0].company_id
    );
    let bytes = client_runtime()
        .block_on(async {
            reqwest::Client::new()
                .get(url)
                .header("X-API-Key", sandbox.api_key())
                .send()
                .await?
                .bytes()
                .await
        })
        .expect("a page");
    let mut group = c.benchmark_group(format!("decode page of 500 ({} KiB)", bytes.len() / 1024));
    group.bench_function("typed ConnectionPage", |b| {
        b.iter(|| serde_json::from_slice::<ConnectionPage>(black_box(&bytes)).expect("decodes"));
    });
    group.bench_function("typed ConnectionPage, within the decode budget", |b| {
        b.iter(|| nectar_api::from_slice::<ConnectionPage>(black_box(&bytes)).expect("decodes"));
    });
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).expect("decodes"));
    });
    group.bench_function("serde::de::IgnoredAny", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&bytes)).expect("decodes")
        });
    });
    group.finish();
}

fn stream_memory(c: &mut Criterion) {
    let (_server, sandbox) = server(Duration::ZERO, 100_000);
    let company = sandbox.seeded()[0].company_id;
    let client = sandbox.client();
    let runtime = client_runtime();
    // Warm the connection pool so neither measurement pays for connecting.
    runtime.block_on(client.ping().send()).expect("ping");

    let (page, one_page) = peak_during(|| {
        runtime.block_on(async {
            client
                .list_company_connections()
                .company_id(company)
                .limit(500_u32)
                .send()
                .await
                .expect("a page")
        })
    });
    drop(page);
    let concurrency = 4;
    let (count, streaming) =
        peak_during(|| runtime.block_on(stream_all(&client, company, concurrency)));
    assert_eq!(count, 100_000);
    println!(
        "{}",
        budget_report("stream 100000", streaming, one_page, concurrency)
    );

    let mut group = c.benchmark_group("stream 100000 (limit 500)");
    group.sample_size(10);
    group.bench_function(format!("concurrency {concurrency}, item by item"), |b| {
        b.to_async(&runtime)
            .iter(|| stream_all(&client, company, concurrency));
    });
    group.finish();
}

criterion_group!(benches, list_20000, decode_page, stream_memory);
criterion_main!(benches);
