//! Reading an answer's body bounded and counted (a success body up to the client's limit, an
//! error body up to 64 KiB), and decoding it bounded ([`decode`]: at most
//! [`MAX_DECODE_RATIO`](crate::decode::MAX_DECODE_RATIO) times its size).

use std::fmt;

use progenitor_client::{Error, ResponseValue};
use serde::de::DeserializeOwned;

use super::record::see;
use crate::{
    decode::{self, Failure},
    error::{Seen, location_of, retry_after_of},
};

/// The most bytes of an error answer the client reads (the rest is discarded).
pub(super) const MAX_BUFFERED_ERROR: usize = 64 * 1024;

/// The error a body stream yields once the client stopped reading it at its limit; the
/// operation then fails with [`ErrorKind::ResponseTooLarge`].
#[derive(Debug)]
pub(super) struct TooLarge;

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the body is larger than the client's limit")
    }
}

impl std::error::Error for TooLarge {}

/// Reads the answer's body, bounded and counted, and hands back a response with the body in
/// memory: a success body up to `max_response_size` (past it, a body that fails to read, which
/// the operation reports as [`ErrorKind::ResponseTooLarge`]), an error body up to 64 KiB (the
/// rest is dropped). Reading within the hooks puts a slow body under the attempt's timeout and
/// the retry policy.
pub(super) async fn read_bounded(
    mut response: reqwest::Response,
    max_response_size: u64,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let success = status.is_success();
    let limit = if success {
        max_response_size
    } else {
        MAX_BUFFERED_ERROR as u64
    };
    // A new answer replaces what was seen of the last one.
    see(|seen| {
        seen.replace(Seen {
            status: Some(status),
            retry_after: retry_after_of(response.headers()),
            location: location_of(response.headers()),
            request_id: crate::headers::request_id_of(response.headers()),
            ..Seen::default()
        });
    });
    let declared = response.content_length();
    let mut too_large = success && declared.is_some_and(|length| length > limit);
    let capacity = declared.unwrap_or(0).min(limit).min(1 << 20);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while !too_large {
        let Some(chunk) = response.chunk().await? else {
            break;
        };
        let room = usize::try_from(limit.saturating_sub(body.len() as u64)).unwrap_or(usize::MAX);
        let take = chunk.len().min(room);
        if body.capacity() - body.len() < take {
            // Grow by doubling, but never past the limit: the buffer holds at most `limit`.
            let want = body.capacity().saturating_mul(2).max(body.len() + take);
            body.reserve_exact(want.min(body.len().saturating_add(room)) - body.len());
        }
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            // An error body is kept cut; a success body cut would decode wrongly or not at all.
            too_large = success;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let mut rebuilt = http::Response::new(if too_large {
        see(|seen| seen.too_large = Some(limit));
        drop(body);
        reqwest::Body::wrap_stream(futures_util::stream::once(async {
            Err::<bytes::Bytes, _>(TooLarge)
        }))
    } else {
        // The buffer doubled as it grew: give back what the body does not use, so that what it
        // decodes to has the room (the decode budget counts the body once).
        body.shrink_to_fit();
        let body = bytes::Bytes::from(body);
        if !success {
            see(|seen| seen.error_body = Some(body.clone()));
        }
        reqwest::Body::from(body)
    });
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = response.version();
    *rebuilt.headers_mut() = std::mem::take(response.headers_mut());
    Ok(reqwest::Response::from(rebuilt))
}

/// Decodes an answer's body as `T` within the decode budget: every generated operation decodes
/// through here (the codegen routes progenitor's `ResponseValue::from_response` to it), so
/// what an answer decodes to is bounded by its size whatever its shape. Past the budget the
/// operation fails as [`ErrorKind::ResponseTooLarge`](crate::ErrorKind::ResponseTooLarge).
pub(crate) async fn decode<T: DeserializeOwned, E>(
    response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(Error::ResponseBodyError)?;
    let (decoded, drift) = decode::decode_noting_drift(&body);
    if !drift.is_empty() {
        see(|seen| seen.drift = drift);
    }
    match decoded {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(failure) => {
            if let Failure::OverBudget { allowance, .. } = &failure {
                let allowance = *allowance as u64;
                see(|seen| seen.over_budget = Some(allowance));
            }
            Err(Error::InvalidResponsePayload(body, failure.into_source()))
        }
    }
}
