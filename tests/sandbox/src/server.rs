//! The accept loop: axum's router served over HTTP/1 with hyper, one task per connection, with a
//! way for a request to close its own connection without an answer (the `Drop` fault).

use std::sync::Arc;

use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, sync::Notify};
use tower::ServiceExt;

use super::http::DropConnection;

pub(crate) async fn serve(listener: TcpListener, router: Router) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
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
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                // Dropping the connection future closes the socket mid-request.
                () = kill.notified() => {}
            }
        });
    }
}
