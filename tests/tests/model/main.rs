//! Model-based tests of what users trust with their records: incremental sync and the pager,
//! against a server whose records are created, revised and soft-deleted between and during page
//! requests (`nectar_tests::scripted`), in every plausible list order, with a skewed clock.
//! Thousands of random schedules with proptest; a failure prints the (shrunk) schedule, which
//! reproduces it.
//!
//! `cargo test -p nectar-tests --test model` (`PROPTEST_CASES=N` for more or fewer schedules).

mod pager;
mod sync;

/// One runtime for every case: a server per test, a client per case.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Cases per property unless `PROPTEST_CASES` says otherwise.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}
