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

/// A subscriber writing every event (and its spans' fields) at `level` and above, without
/// colours, into the returned [`Logs`]. Use it with `tracing::subscriber::with_default` or
/// `tracing::dispatcher::set_default`.
pub fn capture(level: tracing::Level) -> (impl tracing::Subscriber + Send + Sync, Logs) {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(level)
        .with_writer(move || writer.clone())
        .finish();
    (subscriber, logs)
}
