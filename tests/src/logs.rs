//! `tracing` output captured in memory, for tests that check what the client logs (and that no
//! secret is in it).

use std::{
    io::Write,
    sync::{Arc, Mutex, PoisonError},
};

/// Everything a [`capture`] subscriber wrote.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// The text written so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A dispatcher writing every event (and its spans' fields) at `level` and above, without
/// colours, into the returned [`Logs`]. Use it with `tracing::dispatcher::with_default` or
/// `WithSubscriber::with_subscriber`.
///
/// Tests run in parallel threads of one process, and `tracing` caches per call site whether
/// any dispatcher wants its events. When one dispatcher is registered, tracing-core 0.1 takes it
/// for the global one and computes a call site's interest from the *current thread's* default: a
/// call site first reached in a task on a runtime's worker thread (no default there) is then
/// cached as unwanted, and its events never reach this dispatcher (the Redis fallback's warning
/// was lost that way in 4 of 10 runs). A second dispatcher, registered once and kept, makes it
/// ask every registered dispatcher; the cache is rebuilt once this one exists, for the call sites
/// reached before.
pub fn capture(level: tracing::Level) -> (tracing::Dispatch, Logs) {
    static SECOND: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    SECOND.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(level)
        .with_writer(move || writer.clone())
        .finish();
    let dispatch = tracing::Dispatch::new(subscriber);
    tracing::callsite::rebuild_interest_cache();
    (dispatch, logs)
}
