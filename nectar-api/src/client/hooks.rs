//! Around every request: one attempt under the client-wide concurrency limit, and
//! `impl ClientHooks<Inner> for Client` (the key, retries with backoff, timeouts, bounded reads,
//! no redirects, tracing).

use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::StatusCode;
use tracing::Instrument;

use super::{
    Inner,
    body::read_bounded,
    record::{see, seen_request_id},
    retry::{Retry, classify, jitter, reason},
    telemetry::{self, InFlight, Outcome, Request},
};
use crate::{
    Client,
    error::{Fired, Seen},
    generated::operations,
};

impl Client {
    /// One attempt under the client-wide concurrency limit: wait for a slot, send, read the
    /// answer within the attempt's timeout, and tell the limiter how it went. `started` bounds
    /// the attempt's timeout by what is left of the total (the wait for a slot counts).
    ///
    /// An attempt that runs out of time keeps its slot: the server may still be working on it,
    /// so the request goes on in the background, with its connection open, until its answer
    /// has come (at most the total timeout), and only then frees the slot. So the server never
    /// sees more requests in flight from this client than its limit, timeouts and retries
    /// included; and a timeout counts as congestion for the adaptive limit, as a 429 does. The
    /// operation gets a stand-in answer marked [`TimedOut`], which it retries (for a method that
    /// may be) or turns into an [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) error.
    ///
    /// The attempt has its span (`nectar.attempt`, see `telemetry.rs`) from when it has its slot
    /// until its answer is read, and counts as in flight (`http.client.active_requests`) until
    /// its slot is freed.
    async fn attempt(
        &self,
        mut request: reqwest::Request,
        started: Instant,
        about: &Request<'_>,
        attempt: u32,
    ) -> reqwest::Result<reqwest::Response> {
        let inner = self.inner();
        // What was seen of an earlier attempt does not describe this one (a timeout, then a
        // refused connection, is a transport failure); what the request sent stays.
        see(|seen| seen.replace(Seen::default()));
        let permit = inner.limiter.acquire().await;
        let span = about.attempt_span(attempt);
        let in_flight = InFlight::start(about, inner.limiter.current());
        let sent = Instant::now();
        let remaining = inner.total_timeout.saturating_sub(started.elapsed());
        let deadline = inner
            .attempt_timeout
            .min(remaining)
            .max(Duration::from_millis(1));
        // Which limit bounds this attempt, for the message if it fires.
        let fires = if inner.attempt_timeout <= remaining {
            Fired {
                limit: "attempt timeout",
                value: inner.attempt_timeout,
                set_by: inner.timeouts_from.attempt,
            }
        } else {
            Fired {
                limit: "total timeout",
                value: inner.total_timeout,
                set_by: inner.timeouts_from.total,
            }
        };
        // The longest a slot stays taken by an answer still coming after its attempt gave up.
        *request.timeout_mut() = Some(inner.total_timeout.max(deadline));
        let http = self.client().clone();
        let limit = inner.max_response_size;
        let mut work = Box::pin(async move {
            match http.execute(request).await {
                Ok(response) => read_bounded(response, limit).await,
                Err(error) => Err(error),
            }
        });
        let outcome = match tokio::time::timeout(deadline, &mut work)
            .instrument(span.clone())
            .await
        {
            Ok(outcome) => outcome,
            Err(_) => {
                inner.limiter.throttled(&permit, None);
                let answer = timed_out_answer();
                let ended = Outcome::of(&Ok(answer));
                ended.record(&span);
                telemetry::answered(about, &ended, sent.elapsed());
                tokio::spawn(async move {
                    // Outside the operation's scope: what it reads is recorded nowhere.
                    let _answer = work.await;
                    drop(permit);
                    drop(in_flight);
                });
                see(|seen| {
                    seen.replace(Seen {
                        timed_out: Some(fires),
                        ..Seen::default()
                    });
                });
                return Ok(timed_out_answer());
            }
        };
        let ended = Outcome::of(&outcome);
        ended.record(&span);
        // The id `read_bounded` took from this answer's headers; not an echo of the key.
        if outcome.is_ok()
            && let Some(id) = seen_request_id()
        {
            let key = inner.key.expose_secret();
            if key.is_empty() || !id.contains(key) {
                span.record("nectar.request_id", id.as_str());
            }
        }
        telemetry::answered(about, &ended, sent.elapsed());
        drop(in_flight);
        match &outcome {
            Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                let retry_after = crate::error::retry_after_of(response.headers());
                inner.limiter.throttled(&permit, retry_after);
            }
            Ok(_) => inner.limiter.succeeded(&permit),
            // reqwest's own timeout (the total, when it bounds the attempt) fired first.
            Err(error) if error.is_timeout() && !error.is_connect() => {
                see(|seen| seen.timed_out = Some(fires));
            }
            Err(_) => {}
        }
        outcome
    }
}

/// Marks the stand-in answer of an attempt that ran out of time.
#[derive(Clone, Copy, Debug)]
pub(super) struct TimedOut;

/// Whether `outcome` is the stand-in answer of an attempt that ran out of time.
pub(super) fn timed_out(outcome: &reqwest::Result<reqwest::Response>) -> bool {
    outcome
        .as_ref()
        .is_ok_and(|response| response.extensions().get::<TimedOut>().is_some())
}

/// The stand-in answer: `504` with no body, marked [`TimedOut`]. No operation documents a 504,
/// so progenitor reports it as unexpected, and `finish` turns it into a timeout error (the
/// record says the attempt timed out).
fn timed_out_answer() -> reqwest::Response {
    let mut answer = http::Response::new(reqwest::Body::from(Vec::<u8>::new()));
    *answer.status_mut() = StatusCode::GATEWAY_TIMEOUT;
    answer.extensions_mut().insert(TimedOut);
    reqwest::Response::from(answer)
}

impl ClientHooks<Inner> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        request
            .headers_mut()
            .insert("x-api-key", self.inner().api_key.clone());
        // The body's secrets, so an error can mask them wherever the server echoes them.
        if let Some(body) = request.body().and_then(reqwest::Body::as_bytes) {
            see(|seen| seen.sent.add_sent_body(body));
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let inner = self.inner();
        let method = request.method().clone();
        let about = Request {
            method: method.clone(),
            template: operations::operation(info.operation_id).map_or("", |op| op.path),
            host: &inner.server.0,
            port: inner.server.1,
        };
        let span = about.operation_span(info.operation_id);
        async move {
            let started = Instant::now();
            let mut attempt = 1_u32;
            let done = |attempt: u32, outcome: reqwest::Result<reqwest::Response>| {
                let span = tracing::Span::current();
                span.record("nectar.attempts", i64::from(attempt));
                Outcome::of(&outcome).record(&span);
                outcome
            };
            loop {
                let Some(this) = request.try_clone() else {
                    // A body that cannot be copied (a stream) is sent once, without retries.
                    return done(
                        attempt,
                        self.attempt(request, started, &about, attempt).await,
                    );
                };
                let outcome = self.attempt(this, started, &about, attempt).await;
                let Retry::Yes { after } = classify(&method, &outcome) else {
                    return done(attempt, outcome);
                };
                if attempt >= inner.retry.max_attempts {
                    return done(attempt, outcome);
                }
                let wait = after.unwrap_or_else(|| jitter(inner.retry.bound(attempt)));
                if started.elapsed().saturating_add(wait) >= inner.total_timeout {
                    return done(attempt, outcome);
                }
                telemetry::retried(&about, &Outcome::of(&outcome));
                tracing::warn!(
                    attempt,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    retry_after = after.is_some(),
                    reason = %reason(&outcome),
                    "retrying"
                );
                drop(outcome);
                tokio::time::sleep(wait).await;
                attempt = attempt.saturating_add(1);
            }
        }
        .instrument(span)
        .await
    }
}
