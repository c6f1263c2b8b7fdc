//! How long the emulator takes to seed one company with 100,000 connections.
//!
//! `cargo bench -p nectar-tests --bench seed`

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use nectar_sandbox::Sandbox;

fn seed_100k(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let mut group = c.benchmark_group("sandbox");
    group.sample_size(10);
    group.bench_function("seed 100,000 connections", |b| {
        b.iter_batched(
            // A fresh emulator per iteration, so every run seeds into an empty store.
            || {
                runtime
                    .block_on(Sandbox::start())
                    .expect("the emulator starts")
            },
            |sandbox| {
                black_box(sandbox.seed("Bench", 3, 100_000));
                sandbox
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, seed_100k);
criterion_main!(benches);
