//! What the hooks saw of an operation's last answer (a task-local record), and [`finish`], where
//! every generated `send()` ends: progenitor's error and that record become the one [`Error`].

use std::{cell::RefCell, future::Future};

use progenitor_client::ClientInfo;
use serde::de::DeserializeOwned;

use crate::{
    Client, ResponseValue,
    error::{Error, Seen},
    types::ApiError,
};

tokio::task_local! {
    /// What the hooks saw of the current operation's last answer; set by [`finish`].
    static SEEN: RefCell<Seen>;
}

/// Records into the current operation's [`Seen`], when there is one.
pub(super) fn see(record: impl FnOnce(&mut Seen)) {
    // Outside `finish` (no operation in scope) there is nothing to record into.
    let _ = SEEN.try_with(|seen| record(&mut seen.borrow_mut()));
}

/// The request id of the current operation's last answer, as `read_bounded` took it from the
/// headers (read once per answer).
pub(super) fn seen_request_id() -> Option<String> {
    SEEN.try_with(|seen| seen.borrow().request_id.clone())
        .ok()
        .flatten()
}

/// Runs an operation's exchange (progenitor's generated request and decoding) and turns its
/// error into the one [`Error`]. Every generated `send()` ends here.
pub(crate) async fn finish<T, F>(
    client: &Client,
    operation: &'static str,
    exchange: F,
) -> Result<ResponseValue<T>, Error>
where
    T: DeserializeOwned,
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<ApiError>>>,
{
    let (result, mut seen) = SEEN
        .scope(RefCell::new(Seen::default()), async move {
            let result = exchange.await;
            let seen = SEEN.try_with(|seen| seen.take()).unwrap_or_default();
            (result, seen)
        })
        .await;
    client
        .inner()
        .drift
        .note(operation, std::mem::take(&mut seen.drift));
    result.map_err(|error| {
        Error::from_operation(
            operation,
            error,
            seen,
            client.inner().key.expose_secret(),
            decode_path::<T>,
        )
    })
}

/// Where `body` stops decoding as `T` (a path such as `connections[3].status`).
pub(super) fn decode_path<T: DeserializeOwned>(body: &[u8]) -> Option<String> {
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, T>(deserializer)
        .err()
        .map(|error| error.path().to_string())
}
