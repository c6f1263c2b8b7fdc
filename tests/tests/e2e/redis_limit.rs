//! The limit shared through Redis (`nectar_api::limiter::RedisLimit`) against a real
//! `redis-server` and the emulator: several clients on one key keep to one budget, a process that
//! dies with slots taken gives them back within its lease, and Redis going away never fails a
//! request.

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use nectar_api::{
    Client, Paginate,
    limiter::{Limit, RedisLimit},
};
use nectar_sandbox::{Faults, Sandbox};
use nectar_tests::redis::RedisServer;

async fn limit(redis: &RedisServer, key: &str, max: usize) -> RedisLimit {
    RedisLimit::builder(redis.url(), key)
        .max(max)
        .lease(Duration::from_secs(1))
        .connect()
        .await
        .expect("connects")
}

/// Four clients (four "processes", each with its own `RedisLimit` on the same key) paging the
/// same emulator, which answers 429 above 3 in flight: with the shared limit of 3, none is
/// ever throttled, and every row arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_one_key_keep_to_one_budget() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sandbox = Sandbox::builder()
        .faults(
            Faults::seeded(1)
                .throttle_above(3, 1)
                .latency(Duration::from_millis(10)),
        )
        .seed_usage("Fleet", 100, 10)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded_data()[0].company_id;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let client = Client::builder()
            .api_key(sandbox.api_key())
            .base_url(sandbox.base_url())
            .limit(limit(&redis, sandbox.api_key(), 3).await)
            .build()
            .unwrap();
        tasks.push(tokio::spawn(async move {
            let rows: Vec<_> = client
                .list_company_usage()
                .company_id(company)
                .items()
                .try_collect()
                .await
                .unwrap();
            rows.len()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 1000);
    }
    let throttled = sandbox
        .requests()
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    assert_eq!(
        throttled, 0,
        "no request answered 429 under the shared limit"
    );
}

/// A worker process killed with `kill -9` (SIGKILL) mid-run, while it holds every slot of the
/// shared limit: another process gets the whole budget back within the lease (1 s here) plus
/// one second, and the dead process's requests leave nothing behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_run_gives_the_budget_back_within_the_lease() {
    const MAX: usize = 4;
    let Some(redis) = RedisServer::start() else {
        return;
    };
    // Slow answers, so the worker is mid-run with its slots held when it is killed.
    let sandbox = Sandbox::builder()
        .faults(Faults::seeded(4).latency(Duration::from_millis(300)))
        .seed_usage("Killed", 200, 10)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded_data()[0].company_id.to_string();
    let mut worker = std::process::Command::new(env!("CARGO_BIN_EXE_fleet_worker"))
        .args([
            sandbox.base_url(),
            sandbox.api_key(),
            &company,
            &redis.url(),
            &MAX.to_string(),
            "1000",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the worker starts");
    // Mid-run: the shared limit has climbed to the maximum, and the worker holds all of it.
    let started = Instant::now();
    while redis.held_slots() < MAX {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the worker never held {MAX} slots"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    worker.kill().expect("SIGKILL");
    let killed = Instant::now();
    worker.wait().unwrap();
    assert!(redis.held_slots() > 0, "killed with its slots held");
    let survivor = limit(&redis, sandbox.api_key(), MAX).await;
    let mut slots = Vec::new();
    for _ in 0..MAX {
        let slot = tokio::time::timeout(Duration::from_secs(5), survivor.acquire())
            .await
            .expect("the dead worker's slots come back");
        slots.push(slot);
    }
    let waited = killed.elapsed();
    println!("the whole budget ({MAX}) back {waited:?} after kill -9 (lease 1 s)");
    assert!(waited <= Duration::from_secs(2), "{waited:?}");
    assert_eq!(
        redis.held_slots(),
        MAX,
        "the survivor holds the whole budget"
    );
    drop(slots);
    survivor.flush().await;
    assert_eq!(redis.held_slots(), 0, "flush gave every slot back");
}

/// Redis killed mid-run: requests go on under the local fallback share, with no error, and every
/// row still arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_away_fails_no_request() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sandbox = Sandbox::builder()
        .faults(Faults::seeded(2).latency(Duration::from_millis(5)))
        .seed_usage("Outage", 30, 10)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded_data()[0].company_id;
    let limit = RedisLimit::builder(redis.url(), sandbox.api_key())
        .max(4)
        .timeout(Duration::from_millis(100))
        .connect()
        .await
        .unwrap();
    let rows = pull_through(&sandbox, company, limit, 50, || redis.kill()).await;
    assert_eq!(rows, (300, 300), "every row once");
}

/// Pulls every usage row of `company` under `limit`, running `outage` once `at` rows have come
/// (what it returns lives until the pull ends); (rows, distinct rows).
async fn pull_through<T>(
    sandbox: &Sandbox,
    company: uuid::Uuid,
    limit: RedisLimit,
    at: usize,
    outage: impl FnOnce() -> T,
) -> (usize, usize) {
    let client = sandbox.client_builder().limit(limit).build().unwrap();
    let pager = client.list_company_usage().company_id(company).items();
    let mut pager = std::pin::pin!(pager);
    let mut rows = Vec::new();
    let mut outage = Some(outage);
    let mut _after = None;
    while let Some(row) = pager.try_next().await.unwrap() {
        rows.push(row.id);
        if rows.len() == at {
            _after = outage.take().map(|outage| outage());
        }
    }
    let unique: std::collections::BTreeSet<_> = rows.iter().collect();
    (rows.len(), unique.len())
}

/// Redis unreachable from the start: the limit still connects (only a malformed URL is an
/// error), says once that it keeps to its local share, and every request is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_unreachable_from_the_start_falls_back_with_a_warning() {
    use tracing::instrument::WithSubscriber;
    let sandbox = Sandbox::builder()
        .seed_usage("Alone", 10, 10)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded_data()[0].company_id;
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let (subscriber, logs) = nectar_tests::logs::capture(tracing::Level::WARN);
    let rows = async {
        let limit = RedisLimit::builder(format!("redis://127.0.0.1:{port}/"), sandbox.api_key())
            .max(8)
            .fallback_share(2)
            .connect()
            .await
            .expect("an unreachable Redis is not an error");
        assert_eq!(limit.current(), 2, "the local share");
        let client = Client::builder()
            .api_key(sandbox.api_key())
            .base_url(sandbox.base_url())
            .limit(limit)
            .build()
            .unwrap();
        let rows: Vec<_> = client
            .list_company_usage()
            .company_id(company)
            .items()
            .try_collect()
            .await
            .unwrap();
        rows.len()
    }
    .with_subscriber(subscriber)
    .await;
    assert_eq!(rows, 100);
    let text = logs.text();
    assert!(text.contains("Redis cannot be reached"), "{text}");
    assert_eq!(
        text.matches("Redis cannot be reached").count(),
        1,
        "one warning per outage: {text}"
    );
    assert!(
        RedisLimit::builder("not a url", "k")
            .connect()
            .await
            .is_err(),
        "a malformed URL is refused"
    );
}

/// Redis restarted mid-run (empty: no persistence): the limit starts over there, and every row
/// still arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_mid_run_loses_and_repeats_no_row() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let port = redis.port();
    let sandbox = Sandbox::builder()
        .faults(Faults::seeded(3).latency(Duration::from_millis(5)))
        .seed_usage("Restart", 40, 10)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded_data()[0].company_id;
    let shared = limit(&redis, sandbox.api_key(), 4).await;
    let rows = pull_through(&sandbox, company, shared, 100, || {
        redis.kill();
        let restarted = RedisServer::start_on(port);
        assert!(restarted.is_some(), "restarted on port {port}");
        restarted
    })
    .await;
    assert_eq!(rows, (400, 400), "every row once");
}

/// A process keeping every slot busy (each freed slot has another of its requests waiting for
/// it) does not starve one that comes later: slots freed in a process are handed to its own
/// waiters only a few times in a row before they go back to Redis, where every process competes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_arriving_late_is_not_starved_by_a_busy_one() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let busy = limit(&redis, "starve-key", 4).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    // Eight requests at a time for four slots: one always waits for each slot freed.
    for _ in 0..8 {
        let busy = busy.clone();
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let slot = busy.acquire().await;
                tokio::time::sleep(Duration::from_millis(5)).await;
                busy.succeeded(&slot);
                drop(slot);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let late = limit(&redis, "starve-key", 4).await;
    let mut served = 0;
    let started = Instant::now();
    while served < 10 {
        let slot = tokio::time::timeout(Duration::from_secs(5), late.acquire())
            .await
            .expect("the late process gets a slot");
        late.succeeded(&slot);
        drop(slot);
        served += 1;
    }
    println!(
        "the late process was served 10 times in {:?}",
        started.elapsed()
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
}
