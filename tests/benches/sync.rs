//! Incremental sync against a full pull: a company with 10,000 bills of which 1 % changed since
//! the last run (100 revised, soft-deleted or new), against the emulator on loopback with 25 ms
//! added latency per request.
//!
//! `cargo bench -p nectar-tests --bench sync`
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

criterion_group!(benches, sync_against_full_pull);
criterion_main!(benches);
