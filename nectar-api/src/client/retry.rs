//! Retries: the policy, which answers are retried for which method (a POST only when it cannot
//! have been applied), and the jittered backoff.

use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::error::{self, retry_after_of};

/// When and how often a failed request is sent again.
///
/// GET, HEAD, PUT and DELETE are retried on 408, 429, 5xx and transport failures. POST and
/// PATCH are retried only when they cannot have been applied: on 429 and when the connection
/// could not be made. Waits grow exponentially with full jitter (a random wait between zero and
/// the exponential bound) and honour `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retries).
    pub max_attempts: u32,
    /// Upper bound of the first wait.
    pub initial_backoff: Duration,
    /// Upper bound of any wait (a longer `Retry-After` is still honoured, within the total
    /// timeout).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The exponential bound for the wait after attempt `attempt` (from 1).
    pub(super) fn bound(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Why the retry loop would send a request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Retry {
    No,
    Yes { after: Option<Duration> },
}

/// GET, HEAD, PUT, DELETE, OPTIONS: sending them twice does no harm.
pub(super) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

pub(super) fn classify(method: &Method, outcome: &reqwest::Result<reqwest::Response>) -> Retry {
    let idempotent = is_idempotent(method);
    match outcome {
        // The attempt ran out of time (its answer may still come): as a transport timeout.
        Ok(_) if super::hooks::timed_out(outcome) => {
            if idempotent {
                Retry::Yes { after: None }
            } else {
                Retry::No
            }
        }
        Ok(response) => {
            let status = response.status();
            let after = retry_after_of(response.headers());
            if status == StatusCode::TOO_MANY_REQUESTS {
                // Throttled: the request was not applied, whatever its method.
                Retry::Yes { after }
            } else if idempotent
                && (status == StatusCode::REQUEST_TIMEOUT || status.is_server_error())
            {
                Retry::Yes { after }
            } else {
                Retry::No
            }
        }
        // No connection was made, so nothing was sent.
        Err(error) if error.is_connect() => Retry::Yes { after: None },
        Err(_) if idempotent => Retry::Yes { after: None },
        Err(_) => Retry::No,
    }
}

/// A random number for jitter, from the operating system's random source (or, should that
/// fail, the standard library's per-process random keys).
pub(super) fn random_u64() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.finish()
    })
}

/// Full jitter: uniformly between zero and `bound`.
pub(super) fn jitter(bound: Duration) -> Duration {
    let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(random_u64() % nanos.saturating_add(1))
}

/// Why an attempt failed, for the retry log line: a status or a kind of transport failure,
/// never a URL.
pub(super) fn reason(outcome: &reqwest::Result<reqwest::Response>) -> String {
    match outcome {
        Ok(_) if super::hooks::timed_out(outcome) => error::TIMED_OUT.to_owned(),
        Ok(response) => response.status().to_string(),
        Err(error) => error::describe(error).1.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_is_retried_only_when_it_cannot_have_been_applied() {
        let answer = |status: u16| {
            Ok(reqwest::Response::from(
                http::Response::builder()
                    .status(status)
                    .body(reqwest::Body::from(""))
                    .unwrap(),
            ))
        };
        let yes = |d: Retry| matches!(d, Retry::Yes { .. });
        assert!(yes(classify(&Method::GET, &answer(503))));
        assert!(yes(classify(&Method::DELETE, &answer(502))));
        assert!(yes(classify(&Method::POST, &answer(429))));
        assert!(yes(classify(&Method::PATCH, &answer(429))));
        assert!(!yes(classify(&Method::POST, &answer(502))));
        assert!(!yes(classify(&Method::PATCH, &answer(503))));
        assert!(!yes(classify(&Method::GET, &answer(404))));
        assert!(!yes(classify(&Method::GET, &answer(200))));
    }

    #[test]
    fn backoff_grows_exponentially_under_the_cap_with_full_jitter() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        assert_eq!(policy.bound(1), Duration::from_millis(100));
        assert_eq!(policy.bound(3), Duration::from_millis(400));
        assert_eq!(policy.bound(9), Duration::from_secs(1));
        let waits: Vec<Duration> = (0..200)
            .map(|_| jitter(Duration::from_millis(100)))
            .collect();
        assert!(waits.iter().all(|w| *w <= Duration::from_millis(100)));
        assert!(
            waits.iter().any(|w| *w < Duration::from_millis(50))
                && waits.iter().any(|w| *w > Duration::from_millis(50))
        );
    }
}
