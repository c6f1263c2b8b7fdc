//! The fault middleware: numbers every request, logs it as it arrives, applies the fault plan
//! (`super::Faults`) to it, and notes the status answered.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::http::{DropConnection, json_response};
use crate::{
    RequestRecord, Shared,
    faults::{Fault, RetryAfter},
};

pub(crate) async fn faults(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let n = shared.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    // Counted while handled; a request over the throttling limit is answered 429 at once.
    struct InFlight<'a>(&'a std::sync::atomic::AtomicUsize);
    impl Drop for InFlight<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let in_flight = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let _counted = InFlight(&shared.in_flight);
    let throttled = shared
        .faults
        .throttling()
        .filter(|(max, _)| in_flight > *max)
        .map(|(_, seconds)| Fault::TooManyRequests(Some(RetryAfter::Seconds(seconds))));
    let is_throttled = throttled.is_some();
    let fault = throttled.or_else(|| shared.faults.decide(n));
    // Logged as it arrives, so a request the client gives up on is in the log too.
    shared.log(RequestRecord {
        n,
        method,
        path,
        fault: fault.clone(),
        status: None,
    });
    let latency = shared.faults.added_latency();
    // A throttled request is refused at once, as a rate limiter in front of the API would.
    if !latency.is_zero() && !is_throttled {
        tokio::time::sleep(latency).await;
    }
    let mut response = match &fault {
        None => next.run(request).await,
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(*delay).await;
            next.run(request).await
        }
        Some(Fault::TooManyRequests(retry_after)) => {
            let seconds = match retry_after {
                Some(RetryAfter::Seconds(s)) => *s,
                Some(RetryAfter::Date(d)) => d.as_secs(),
                None => 1,
            };
            let mut response = json_response(
                429,
                &json!({ "detail": format!("Request was throttled. Expected available in {seconds} seconds.") }),
            );
            let value = match retry_after {
                Some(RetryAfter::Seconds(s)) => Some(s.to_string()),
                Some(RetryAfter::Date(d)) => Some(http_date(shared.clock.now(), *d)),
                None => None,
            };
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Some(Fault::BadGateway) => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        )
            .into_response(),
        Some(Fault::ServiceUnavailable) => json_response(
            503,
            &json!({ "detail": "Service temporarily unavailable, try again later." }),
        ),
        Some(Fault::Drop) => {
            if let Some(DropConnection(notify)) = request.extensions().get::<DropConnection>() {
                notify.notify_one();
            }
            // The server loop drops the connection; this answer is never sent.
            std::future::pending::<()>().await;
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    shared.answered(n, response.status().as_u16());
    if !shared.faults.added_fields().is_empty() && response.status().is_success() {
        response = with_added_fields(response, shared.faults.added_fields()).await;
    }
    // Every answer names its request, as gateways in front of APIs do.
    if let Ok(id) = HeaderValue::from_str(&RequestRecord::request_id_of(n)) {
        response.headers_mut().insert("x-request-id", id);
    }
    response
}

/// `response` with `fields` added to each of its JSON objects that lacks them (a body that is
/// not JSON, or larger than 64 MiB, is answered as it was).
async fn with_added_fields(response: Response, fields: &[(String, serde_json::Value)]) -> Response {
    fn add(value: &mut serde_json::Value, fields: &[(String, serde_json::Value)]) {
        match value {
            serde_json::Value::Object(object) => {
                for child in object.values_mut() {
                    add(child, fields);
                }
                for (name, added) in fields {
                    object.entry(name.clone()).or_insert_with(|| added.clone());
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| add(item, fields)),
            _ => {}
        }
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "answer too large to add fields to",
        )
            .into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    add(&mut value, fields);
    let body = serde_json::to_vec(&value).unwrap_or_else(|_| bytes.to_vec());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) this far from `now` (the emulator's clock).
pub(crate) fn http_date(now: chrono::DateTime<chrono::Utc>, from_now: Duration) -> String {
    let when = chrono::Duration::from_std(from_now)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(now);
    when.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}
