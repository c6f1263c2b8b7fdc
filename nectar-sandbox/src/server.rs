//! The accept loop: axum's router served over HTTP/1 with hyper, one task per connection, with a
//! way for a request to close its own connection without an answer (the `Drop` fault).
//!
//! Held against abuse: a connection that does not send a request's headers within the header
//! timeout is closed (slow-header clients, idle kept-alive connections), and when accepting fails
//! (no file descriptors left) the loop waits, doubling from 5 ms to 500 ms, instead of spinning.

use std::{sync::Arc, time::Duration};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{net::TcpListener, sync::Notify};
use tower::ServiceExt;

use super::http::DropConnection;

/// The first wait after a failed accept.
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
/// The longest wait after failed accepts in a row.
const MAX_BACKOFF: Duration = Duration::from_millis(500);

pub(crate) async fn serve(listener: TcpListener, router: Router, header_timeout: Duration) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                backoff = FIRST_BACKOFF;
                stream
            }
            // Out of file descriptors (EMFILE, ENFILE), or a connection reset before it was
            // accepted: the same error comes back at once until something changes, so wait.
            Err(_) => {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2).min(MAX_BACKOFF);
                continue;
            }
        };
        let router = router.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let marker = DropConnection(kill.clone());
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(marker.clone());
                    router.clone().oneshot(request.map(axum::body::Body::new))
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                // Dropping the connection future closes the socket mid-request.
                () = kill.notified() => {}
            }
        });
    }
}
