//! Incremental sync against a full pull: a company with 10,000 bills of which 1 % changed since
//! the last run (100 revised, soft-deleted or new), against the emulator on loopback with 25 ms
//! added latency per request.
//!
//! `cargo bench -p nectar-tests --bench sync` (and `-- companies` for the many-company run
//! alone, described at `many_companies`)
//!
//! Both read the same state: the checkpoint is taken once before the changes, so every sync
//! iteration delivers the same 100 changes. Printed once: the requests each makes.

use std::{hint::black_box, time::Duration};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::TryStreamExt;
use nectar_api::{Client, Paginate, sync::Checkpoint};
use nectar_sandbox::{Faults, Sandbox};
use nectar_tests::bench::{client_runtime, server_runtime};

const BILLS: usize = 10_000;
const CHANGED: usize = BILLS / 100;

/// Every document, as a full pull reads them; the count.
async fn full_pull(client: &Client, company: uuid::Uuid) -> usize {
    client
        .list_company_documents()
        .company_id(company)
        .items()
        .try_fold(0_usize, |n, document| async move {
            drop(black_box(document));
            Ok(n + 1)
        })
        .await
        .expect("every page arrives")
}

/// The changes since `checkpoint`; their count.
async fn sync(
    client: &Client,
    company: uuid::Uuid,
    checkpoint: &Checkpoint,
    now: &chrono::DateTime<Utc>,
) -> usize {
    let mut run = client
        .sync_documents(company, Some(checkpoint))
        .expect("the checkpoint is this company's")
        .now(*now);
    let mut changes = 0;
    while let Some(change) = run.next().await.expect("the sync runs") {
        drop(black_box(change));
        changes += 1;
    }
    changes
}

fn sync_against_full_pull(c: &mut Criterion) {
    let server = server_runtime();
    let sandbox = server
        .block_on(
            Sandbox::builder()
                .now(Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap())
                .faults(Faults::seeded(1).latency(Duration::from_millis(25)))
                .seed_usage("Sync bench", BILLS, 1)
                .start(),
        )
        .expect("the emulator starts");
    let company = sandbox.seeded_data()[0].company_id;
    let client = sandbox.client();
    let runtime = client_runtime();

    // The last run, then the night's changes: 1 % of the bills revised or withdrawn.
    let checkpoint = runtime.block_on(async {
        let mut first = client
            .sync_documents(company, None)
            .expect("a first run")
            .now(sandbox.now());
        while first.next().await.expect("the first run").is_some() {}
        first.checkpoint().expect("finished")
    });
    sandbox.advance_clock(Duration::from_secs(3600));
    let documents: Vec<_> = runtime
        .block_on(
            client
                .list_company_documents()
                .company_id(company)
                .items()
                .try_collect(),
        )
        .expect("the documents");
    for (index, document) in documents.iter().step_by(BILLS / CHANGED).enumerate() {
        if index % 4 == 3 {
            sandbox.delete_document(document.id);
        } else {
            sandbox.revise_document(document.id);
        }
    }

    let requests = |work: &dyn Fn() -> usize| {
        let before = sandbox.requests().len();
        let count = work();
        (count, sandbox.requests().len() - before)
    };
    let (pulled, pull_requests) = requests(&|| runtime.block_on(full_pull(&client, company)));
    let (changes, sync_requests) =
        requests(&|| runtime.block_on(sync(&client, company, &checkpoint, &sandbox.now())));
    assert_eq!(
        pulled,
        BILLS - CHANGED / 4,
        "the full pull lists the live bills"
    );
    assert_eq!(changes, CHANGED, "the sync delivers the changes, no more");
    println!(
        "sync of {BILLS} bills, {CHANGED} changed: sync {sync_requests} requests, {changes} \
         changes; full pull {pull_requests} requests, {pulled} bills"
    );

    let mut group = c.benchmark_group(format!("{BILLS} bills, 1% changed (25 ms latency)"));
    group.sample_size(10);
    group.bench_function("full pull", |b| {
        b.iter(|| runtime.block_on(full_pull(&client, company)));
    });
    group.bench_function("incremental sync", |b| {
        b.iter(|| runtime.block_on(sync(&client, company, &checkpoint, &sandbox.now())));
    });
    group.finish();
}

/// 200 companies of 50 bills each, 1 % of the bills changed (100, spread over the companies),
/// 25 ms latency: one nightly incremental run of every company with `Client::sync_companies`
/// (10 companies at a time, every request under the client's limit of 10). The floor: the
/// requests it makes x 25 ms / 10.
fn many_companies(c: &mut Criterion) {
    use nectar_api::{StreamExt, types::Document};
    const COMPANIES: usize = 200;
    const PER_COMPANY: usize = 50;
    let latency = Duration::from_millis(25);
    let server = server_runtime();
    let mut builder = Sandbox::builder()
        .now(Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap())
        .faults(Faults::seeded(2).latency(latency));
    for n in 0..COMPANIES {
        builder = builder.seed_usage(format!("Company {n}"), PER_COMPANY, 1);
    }
    let sandbox = server
        .block_on(builder.start())
        .expect("the emulator starts");
    let client = sandbox.client();
    let runtime = client_runtime();
    let companies: Vec<uuid::Uuid> = sandbox.seeded_data().iter().map(|d| d.company_id).collect();
    let night = |stored: Vec<(uuid::Uuid, Option<Checkpoint>)>| {
        let client = &client;
        async move {
            let mut out = Vec::new();
            let mut changes = 0;
            let mut runs = client.sync_companies::<Document>(stored, 10);
            while let Some(done) = runs.next().await {
                let done = done.expect("a company's run");
                changes += done.changes.len();
                out.push((done.company, Some(done.checkpoint)));
            }
            (out, changes)
        }
    };
    let (stored, first) = runtime.block_on(night(companies.iter().map(|c| (*c, None)).collect()));
    assert_eq!(first, COMPANIES * PER_COMPANY);
    sandbox.advance_clock(Duration::from_secs(3600));
    // 1 %: one bill in each of 100 companies, revised.
    for company in companies.iter().step_by(2) {
        let page = runtime
            .block_on(client.list_company_documents().company_id(*company).send())
            .expect("a page");
        sandbox.revise_document(page.documents[0].id);
    }
    let before = sandbox.requests().last().map_or(0, |r| r.n);
    let (_, changes) = runtime.block_on(night(stored.clone()));
    let requests = sandbox.requests().last().map_or(0, |r| r.n) - before;
    assert_eq!(changes, COMPANIES / 2, "the revised bills, no more");
    let floor = latency.as_secs_f64() * requests as f64 / 10.0;
    let started = std::time::Instant::now();
    runtime.block_on(night(stored.clone()));
    let once = started.elapsed().as_secs_f64();
    println!(
        "sync of {COMPANIES} companies x {PER_COMPANY} bills, 1% changed: {requests} requests, \
         {changes} changes, {once:.2}s, the floor {floor:.2}s: {:.2}x the floor",
        once / floor
    );
    let mut group = c.benchmark_group(format!(
        "{COMPANIES} companies x {PER_COMPANY} bills, 1% changed (25 ms latency)"
    ));
    group.sample_size(10);
    group.bench_function("sync_companies, 10 at a time", |b| {
        b.iter(|| runtime.block_on(night(stored.clone())));
    });
    group.finish();
}

criterion_group!(benches, sync_against_full_pull, many_companies);
criterion_main!(benches);
