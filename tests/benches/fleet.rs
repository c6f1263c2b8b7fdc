//! A fleet of 4 worker processes (`src/bin/fleet_worker.rs`), each pulling a different company's
//! 5,000 usage rows (50 pages) from one emulator that answers 429 (`Retry-After: 1`) above 10
//! requests in flight in total, with 25 ms added latency. Two modes: (a) each worker with its own
//! adaptive limit (10 each), (b) one limit of 10 shared through Redis (a real `redis-server`).
//! The floor: 200 pages x 25 ms / 10 = 0.5 s. Each run prints
//! `fleet 4 workers, <mode>: <t>s, <n> requests, <k> answered 429 (<p>%), 0 lost, 0 duplicated, <r>x the floor`.
//!
//! `cargo bench -p nectar-tests --bench fleet`

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use criterion::{Criterion, criterion_group, criterion_main};
use nectar_sandbox::{Faults, Sandbox};
use nectar_tests::{bench::server_runtime, redis::RedisServer};

const WORKERS: usize = 4;
const LATENCY: Duration = Duration::from_millis(25);
const ROWS: usize = 5_000;

fn fleet(c: &mut Criterion) {
    let server = server_runtime();
    let mut builder =
        Sandbox::builder().faults(Faults::seeded(1).throttle_above(10, 1).latency(LATENCY));
    for n in 0..WORKERS {
        builder = builder.seed_usage(format!("Fleet {n}"), 50, 100);
    }
    let sandbox = server
        .block_on(builder.start())
        .expect("the emulator starts");
    let companies: Vec<String> = sandbox
        .seeded_data()
        .iter()
        .map(|d| d.company_id.to_string())
        .collect();
    let Some(redis) = RedisServer::start() else {
        eprintln!("redis-server is not installed: the fleet benchmark needs it");
        return;
    };
    let pages = WORKERS * ROWS / 100;
    let floor = LATENCY.as_secs_f64() * pages as f64 / 10.0;
    let mut group = c.benchmark_group("fleet of 4 worker processes, 20,000 rows");
    group.sample_size(10);
    for (name, mode) in [
        ("own adaptive limit each", "local".to_owned()),
        ("one limit shared through Redis", redis.url()),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    // Requests are numbered; the log keeps the last 10,000.
                    let before = sandbox.requests().last().map_or(0, |r| r.n);
                    let started = Instant::now();
                    let children: Vec<_> = companies
                        .iter()
                        .map(|company| {
                            Command::new(env!("CARGO_BIN_EXE_fleet_worker"))
                                .args([sandbox.base_url(), sandbox.api_key(), company, &mode])
                                .stdout(Stdio::piped())
                                .spawn()
                                .expect("a worker starts")
                        })
                        .collect();
                    let mut lost = 0;
                    let mut duplicated = 0;
                    for child in children {
                        let output = child.wait_with_output().expect("a worker ends");
                        assert!(output.status.success(), "a worker failed");
                        let text = String::from_utf8_lossy(&output.stdout);
                        let counts: Vec<usize> =
                            text.split_whitespace().filter_map(|n| n.parse().ok()).collect();
                        let [rows, distinct] = counts[..] else {
                            panic!("worker said {text:?}");
                        };
                        lost += ROWS.saturating_sub(distinct);
                        duplicated += rows - distinct;
                    }
                    let elapsed = started.elapsed();
                    total += elapsed;
                    let log = sandbox.requests();
                    let requests: Vec<_> = log.iter().filter(|r| r.n > before).collect();
                    let throttled = requests.iter().filter(|r| r.status == Some(429)).count();
                    println!(
                        "fleet {WORKERS} workers, {}: {:.2}s, {} requests, {throttled} answered 429 ({:.1}%), {lost} lost, {duplicated} duplicated, {:.2}x the floor",
                        if mode == "local" { "own limit each" } else { "shared Redis limit" },
                        elapsed.as_secs_f64(),
                        requests.len(),
                        100.0 * throttled as f64 / requests.len().max(1) as f64,
                        elapsed.as_secs_f64() / floor,
                    );
                    assert_eq!((lost, duplicated), (0, 0));
                }
                total
            });
        });
    }
    group.finish();
    drop(redis);
}

criterion_group!(benches, fleet);
criterion_main!(benches);
