//! Runtimes for the benchmarks and memory tests: the emulator on a multi-threaded runtime of
//! its own, the client on a current-thread runtime on the calling thread (so a counting
//! allocator that counts that thread sees the client alone).

use tokio::runtime::{Builder, Runtime};

/// A 2-worker runtime for the emulator.
pub fn server_runtime() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("a server runtime: {e}"))
}

/// A current-thread runtime for the client.
pub fn client_runtime() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("a client runtime: {e}"))
}
