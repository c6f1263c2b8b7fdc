//! Pulling usage data: speed, decoding, memory, and politeness under throttling, against the
//! emulator on loopback.
//!
//! `cargo bench -p nectar-tests --bench usage` (one group: `-- "pull 20000"` and so on)
//!
//! 1. `pull 20000`: 20,000 usage rows (200 pages of 100), 25 ms added latency per request; page
//!    after page against the default pager (10 in flight, the client's limit). Floor:
//!    25 ms x (1 + ceil(199 / 10)) = 525 ms.
//! 2. `decode page of 100 usage rows`: typed `UsagePage` (serde_json alone, and the client's
//!    decode with its budget and drift check, also with a field the bindings lack in every row)
//!    vs `serde_json::Value` vs `IgnoredAny`.
//! 3. `stream 100000 usage rows (memory)`: peak heap of the client while streaming 100,000 rows
//!    item by item with the default pager, against the peak of fetching one page; printed.
//! 4. `throttled 20000`: the emulator answers 429 (`Retry-After: 1`) to requests above 5 in
//!    flight; the adaptive client (default), in order and unordered (`Pager::unordered`),
//!    against a fixed limit of 10. Each run checks that every row arrives once, and prints its
//!    time, the share of requests answered 429 and its ratio to the floor (200 pages of 25 ms,
//!    five at a time: 1 s).

use std::{collections::HashSet, hint::black_box, time::Duration};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::TryStreamExt;
use nectar_api::{Client, Paginate, RetryPolicy, types::UsagePage};
use nectar_sandbox::{Faults, Sandbox};
use nectar_tests::{
    bench::{client_runtime, server_runtime},
    heap::{budget_report, peak_during},
};

#[global_allocator]
static ALLOCATOR: nectar_tests::heap::Counting = nectar_tests::heap::Counting;

fn server(faults: Faults, documents: usize) -> (tokio::runtime::Runtime, Sandbox) {
    let runtime = server_runtime();
    let sandbox = runtime
        .block_on(
            Sandbox::builder()
                .faults(faults)
                .seed_usage("Bench", documents, 100)
                .start(),
        )
        .expect("the emulator starts");
    (runtime, sandbox)
}

/// Streams every usage row of the seeded company item by item; the count.
async fn pull(client: &Client, company: uuid::Uuid, concurrency: usize) -> usize {
    client
        .list_company_usage()
        .company_id(company)
        .pager()
        .concurrency(concurrency)
        .items()
        .try_fold(0_usize, |n, row| async move {
            drop(black_box(row));
            Ok(n + 1)
        })
        .await
        .expect("every page arrives")
}

fn pull_20000(c: &mut Criterion) {
    let (_server, sandbox) = server(Faults::seeded(1).latency(Duration::from_millis(25)), 200);
    let company = sandbox.seeded_data()[0].company_id;
    let client = sandbox.client();
    let runtime = client_runtime();
    let mut group = c.benchmark_group("pull 20000 usage rows (200 pages, 25 ms latency)");
    group.sample_size(10);
    for (name, concurrency) in [
        ("page after page", 1),
        ("default pager", nectar_api::pager::DEFAULT_CONCURRENCY),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                assert_eq!(pull(&client, company, concurrency).await, 20_000);
            });
        });
    }
    group.finish();
}

fn decode_page(c: &mut Criterion) {
    let (_server, sandbox) = server(Faults::default(), 1);
    let url = format!(
        "{}/usage/company/{}",
        sandbox.base_url(),
        sandbox.seeded_data()[0].company_id
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
    let page: UsagePage = serde_json::from_slice(&bytes).expect("a page of usage");
    assert_eq!(page.usage_data.len(), 100);
    let mut group = c.benchmark_group(format!(
        "decode page of 100 usage rows ({} KiB)",
        bytes.len() / 1024
    ));
    group.bench_function("typed UsagePage", |b| {
        b.iter(|| serde_json::from_slice::<UsagePage>(black_box(&bytes)).expect("decodes"));
    });
    // The client's own decode (`nectar_api::from_slice`, as every answer is decoded): the
    // decode budget and the drift check (issue 29: at most 5 % over the decode without it).
    group.bench_function("client decode (budget, drift)", |b| {
        b.iter(|| nectar_api::from_slice::<UsagePage>(black_box(&bytes)).expect("decodes"));
    });
    // The same page with a field the bindings do not know in every row: each is noted.
    let mut drifted: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    if let Some(rows) = drifted["usageData"].as_array_mut() {
        for row in rows {
            row["carbonIntensity"] = serde_json::json!(0.4);
        }
    }
    let drifted = serde_json::to_vec(&drifted).expect("JSON");
    group.bench_function("client decode, a new field in every row", |b| {
        b.iter(|| nectar_api::from_slice::<UsagePage>(black_box(&drifted)).expect("decodes"));
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
    let (_server, sandbox) = server(Faults::default(), 1000);
    let company = sandbox.seeded_data()[0].company_id;
    let client = sandbox.client();
    let runtime = client_runtime();
    runtime.block_on(client.ping().send()).expect("ping");
    let (page, one_page) = peak_during(|| {
        runtime.block_on(async {
            client
                .list_company_usage()
                .company_id(company)
                .send()
                .await
                .expect("a page")
        })
    });
    drop(page);
    let concurrency = nectar_api::pager::DEFAULT_CONCURRENCY;
    let (count, streaming) = peak_during(|| runtime.block_on(pull(&client, company, concurrency)));
    assert_eq!(count, 100_000);
    println!(
        "{}",
        budget_report("stream 100000 usage rows", streaming, one_page, concurrency)
    );
    let mut group = c.benchmark_group("stream 100000 usage rows");
    group.sample_size(10);
    group.bench_function(format!("concurrency {concurrency}, item by item"), |b| {
        b.to_async(&runtime)
            .iter(|| pull(&client, company, concurrency));
    });
    group.finish();
}

fn throttled_20000(c: &mut Criterion) {
    let (_server, sandbox) = server(
        Faults::seeded(1)
            .latency(Duration::from_millis(25))
            .throttle_above(5, 1),
        200,
    );
    let company = sandbox.seeded_data()[0].company_id;
    let runtime = client_runtime();
    let patient = RetryPolicy {
        max_attempts: 30,
        ..RetryPolicy::default()
    };
    let mut group = c.benchmark_group("throttled 20000 (429 above 5 in flight)");
    group.sample_size(10);
    // 200 pages of 25 ms, five at a time.
    let floor = Duration::from_millis(25 * 200 / 5);
    for (name, adaptive, ordered) in [
        ("adaptive (default), in order", true, true),
        ("adaptive (default), unordered", true, false),
        ("fixed 10, in order", false, true),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter_custom(|iterations| {
                let sandbox = &sandbox;
                let patient = patient.clone();
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        // A fresh client per run: each starts at the maximum of 10.
                        let client = sandbox
                            .client_builder()
                            .retry_policy(patient.clone())
                            .adaptive_concurrency(adaptive)
                            .build()
                            .expect("a client");
                        let before = sandbox.requests().len();
                        let started = std::time::Instant::now();
                        let pager = client.list_company_usage().company_id(company).pager();
                        let pager = if ordered { pager } else { pager.unordered() };
                        let ids: Vec<String> = pager
                            .items()
                            .map_ok(|row| row.id)
                            .try_collect()
                            .await
                            .expect("every page arrives");
                        let elapsed = started.elapsed();
                        total += elapsed;
                        let unique: HashSet<&String> = ids.iter().collect();
                        assert_eq!((ids.len(), unique.len()), (20_000, 20_000));
                        let requests = &sandbox.requests()[before..];
                        let throttled = requests.iter().filter(|r| r.status == Some(429)).count();
                        println!(
                            "throttled 20000, {name}: {:.2}s, {} requests, {throttled} answered \
                             429 ({:.1}%), 0 lost, 0 duplicated, {:.2}x the throttled floor",
                            elapsed.as_secs_f64(),
                            requests.len(),
                            100.0 * throttled as f64 / requests.len() as f64,
                            elapsed.as_secs_f64() / floor.as_secs_f64()
                        );
                    }
                    total
                }
            });
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    pull_20000,
    decode_page,
    stream_memory,
    throttled_20000
);
criterion_main!(benches);
